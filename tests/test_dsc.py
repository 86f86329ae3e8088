"""DeepSpatiotemporalClustering (issue 5)."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline

from skstc import DeepSpatiotemporalClustering
from skstc.datasets import make_climate_fields
from skstc.preprocessing import FieldMinMaxScaler, FieldNaNFiller

TINY = dict(latent_dim=4, conv_channels=(4, 8), lstm_hidden=8, pretrain_epochs=2,
            max_epochs=3, batch_size=16, n_init=2, n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def fields():
    X, y = make_climate_fields(n_times=60, n_regimes=3, grid_shape=(8, 8), random_state=0)
    return FieldMinMaxScaler().fit_transform(X).astype(np.float32), y


def test_fit_attributes_and_outputs(fields):
    X, _ = fields
    est = DeepSpatiotemporalClustering(3, window=3, **TINY).fit(X)
    assert est.labels_.shape == (60,) and est.cluster_centers_.shape == (3, 4)
    assert est.transform(X).shape == (60, 4)
    q = est.soft_assignments(X)
    np.testing.assert_allclose(q.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(est.predict(X), est.labels_)
    phases = [h["phase"] for h in est.history_]
    assert phases.count("pretrain") == 2 and "cluster" in phases
    assert est.n_iter_ > 0
    assert all("delta_label" in h for h in est.history_ if h["phase"] == "cluster")


def test_input_forms_agree(fields):
    X, _ = fields
    a = DeepSpatiotemporalClustering(3, **TINY).fit(X)
    b = DeepSpatiotemporalClustering(3, input_shape=X.shape[1:], **TINY).fit(X.reshape(60, -1))
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.transform(X), b.transform(X.reshape(60, -1)), rtol=1e-5)
    da = pytest.importorskip("dask.array")
    np.testing.assert_allclose(a.transform(da.from_array(X, chunks=(7, -1, -1, -1))),
                               a.transform(X), rtol=1e-5, atol=1e-6)


def test_pickle_clone_pipeline(fields):
    X, _ = fields
    est = DeepSpatiotemporalClustering(3, **TINY).fit(X)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(again.transform(X), est.transform(X))
    assert clone(est).get_params() == est.get_params()
    pipe = make_pipeline(FieldNaNFiller(input_shape=X.shape[1:]),
                         FieldMinMaxScaler(input_shape=X.shape[1:]),
                         DeepSpatiotemporalClustering(3, input_shape=X.shape[1:], **TINY))
    labels = pipe.fit_predict(X.reshape(60, -1))
    assert labels.shape == (60,)
