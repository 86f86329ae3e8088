"""Lazy inference on a dask.distributed cluster of 2 worker processes.

Every estimator's transform/predict on dask-backed input returns a lazy result; computed by
the cluster it equals the in-process result on the same data.
"""

import numpy as np
import pytest

from skstc import (
    DeepSpatiotemporalClustering,
    MultimodalClassifier,
    MultimodalConstrainedAE,
    Tile2VecSeriesKMeans,
)
from skstc.datasets import make_climate_fields, make_image_sequence, make_water_bodies
from skstc.preprocessing import FieldMinMaxScaler, FieldNaNFiller, ImageBandScaler, ImageToTiles

distributed = pytest.importorskip("distributed")
dsa = pytest.importorskip("dask.array")
xr = pytest.importorskip("xarray")

MM = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,), lstm_hidden_size=8,
          max_epochs=2, n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def fields():
    ds, _ = make_climate_fields(n_times=40, n_regimes=3, grid_shape=(8, 8), as_xarray=True,
                                random_state=0)
    return FieldMinMaxScaler().fit_transform(ds)


@pytest.fixture(scope="module")
def objects():
    X, y = make_water_bodies(40, n_timesteps=12, map_size=8, random_state=0)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def images():
    images, _ = make_image_sequence(n_regions=2, n_times=3, n_bands=2, height=32, width=32,
                                    random_state=0)
    return images


def _on_cluster(client, lazy):
    """Compute ``lazy`` (dask array or xarray object) on the cluster; numpy out."""
    data = lazy.data if hasattr(lazy, "dims") else lazy
    assert isinstance(data, dsa.Array)
    if hasattr(lazy, "dims"):
        return np.asarray(client.compute(lazy).result().values)
    return np.asarray(client.compute(lazy).result())


def test_dsc_on_cluster(client, fields):
    dsc = DeepSpatiotemporalClustering(3, embedding_dim=4, conv_channels=(4, 8),
                                       lstm_hidden_size=8, pretrain_epochs=2, max_epochs=2,
                                       batch_size=16, n_init=2, n_threads=1,
                                       random_state=0).fit(fields)
    chunked = fields.chunk({"time": 10})
    np.testing.assert_array_equal(_on_cluster(client, dsc.predict(chunked)),
                                  dsc.predict(fields).values)
    np.testing.assert_allclose(_on_cluster(client, dsc.transform(chunked)),
                               dsc.transform(fields).values, rtol=1e-6, atol=1e-7)


def test_multimodal_on_cluster(client, objects):
    X, y = objects
    y = y.copy()
    y[10:] = -1
    ae = MultimodalConstrainedAE(3, **MM).fit(X, y)
    lazy = dsa.from_array(X, chunks=(10, -1))
    np.testing.assert_array_equal(_on_cluster(client, ae.predict(lazy)), ae.predict(X))
    np.testing.assert_allclose(_on_cluster(client, ae.transform(lazy)), ae.transform(X),
                               rtol=1e-6, atol=1e-7)


def test_classifier_on_cluster(client, objects):
    X, y = objects
    clf = MultimodalClassifier(hidden_units=8, **MM).fit(X, y)
    lazy = dsa.from_array(X, chunks=(10, -1))
    np.testing.assert_array_equal(_on_cluster(client, clf.predict(lazy)), clf.predict(X))
    np.testing.assert_allclose(_on_cluster(client, clf.predict_proba(lazy)),
                               clf.predict_proba(X), rtol=1e-6, atol=1e-7)


def test_tile2vec_on_cluster(client, images):
    model = Tile2VecSeriesKMeans(3, tile_size=8, embedding_dim=8, n_blocks=(1,), base_width=4,
                                 n_triplets=64, batch_size=32, max_epochs=1, refine=False,
                                 n_threads=1, random_state=0).fit(images)
    lazy = dsa.from_array(images, chunks=(1, 1, 2, 16, 16))
    np.testing.assert_array_equal(_on_cluster(client, model.predict(lazy)),
                                  model.predict(images))
    np.testing.assert_allclose(_on_cluster(client, model.transform(lazy)),
                               model.transform(images), rtol=1e-6, atol=1e-7)


def test_field_and_image_transformers_on_cluster(client, fields, images):
    with_nan = fields.copy(deep=True)
    with_nan["var0"][0, 0, 0] = np.nan
    filler = FieldNaNFiller(add_mask=True).fit(with_nan)
    out = client.compute(filler.transform(with_nan.chunk({"time": 10}))).result()
    expected = filler.transform(with_nan)
    for v in expected.data_vars:
        np.testing.assert_array_equal(out[v].values, expected[v].values)
    X = np.stack([fields[v].values for v in fields.data_vars], axis=1)
    scaler = FieldMinMaxScaler().fit(X)
    np.testing.assert_allclose(_on_cluster(client, scaler.transform(dsa.from_array(X, 10))),
                               scaler.transform(X), rtol=1e-12)
    lazy_images = dsa.from_array(images, chunks=(1, 1, 2, 16, 16))
    bands = ImageBandScaler().fit(images)
    np.testing.assert_allclose(_on_cluster(client, bands.transform(lazy_images)),
                               bands.transform(images), rtol=1e-6)
    tiles = ImageToTiles(tile_size=8).fit(images)
    np.testing.assert_allclose(_on_cluster(client, tiles.transform(lazy_images)),
                               tiles.transform(images), rtol=1e-6)


def test_fitted_model_shipped_once_not_per_block(client, objects, monkeypatch):
    # the model is serialised as one task of the graph, whatever the number of blocks
    X, y = objects
    clf = MultimodalClassifier(hidden_units=8, **MM).fit(X, y)
    count = {"n": 0}
    getstate = type(clf).__getstate__

    def counting(self):
        count["n"] += 1
        return getstate(self)

    monkeypatch.setattr(type(clf), "__getstate__", counting)
    pickles = []
    for chunk in (20, 4):  # 2 and 10 blocks
        count["n"] = 0
        _on_cluster(client, clf.predict_proba(dsa.from_array(X, chunks=(chunk, -1))))
        pickles.append(count["n"])
    assert pickles[0] == pickles[1] and pickles[1] < 10


def test_parallel_post_fit_on_cluster(client, objects):
    # dask-ml's ParallelPostFit hands each block of a dask array to predict/transform
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = objects
    lazy = dsa.from_array(X, chunks=(10, -1))
    clf = wrappers.ParallelPostFit(MultimodalClassifier(hidden_units=8, **MM)).fit(X, y)
    np.testing.assert_array_equal(_on_cluster(client, clf.predict(lazy)), clf.predict(X))
    np.testing.assert_allclose(_on_cluster(client, clf.predict_proba(lazy)),
                               clf.predict_proba(X), rtol=1e-6, atol=1e-7)
    y_semi = y.copy()
    y_semi[10:] = -1
    ae = wrappers.ParallelPostFit(MultimodalConstrainedAE(3, **MM)).fit(X, y_semi)
    np.testing.assert_array_equal(_on_cluster(client, ae.predict(lazy)), ae.predict(X))
    np.testing.assert_allclose(_on_cluster(client, ae.transform(lazy)), ae.transform(X),
                               rtol=1e-6, atol=1e-7)
