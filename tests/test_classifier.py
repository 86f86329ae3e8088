"""MultimodalClassifier: encoder modes, scaling, search."""

import os
import sys

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from skstc import MultimodalClassifier, MultimodalConstrainedAE
from skstc.metrics import (
    labelled_accuracy_scorer,
)

sys.path.insert(0, os.path.dirname(__file__))
from _helpers import TINY, few_labels  # noqa: E402


def test_grid_search_classifier_with_labelled_scorer(small):
    X, y, y_few = small
    clf = MultimodalClassifier(**dict(TINY, hidden_units=8))
    grid = GridSearchCV(clf, {"lr": [1e-3, 1e-2]}, cv=2, scoring=labelled_accuracy_scorer,
                        error_score="raise").fit(X, few_labels(y, 6))
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_estimator_.predict(X).shape == (48,)


# ---- MultimodalClassifier ------------------------------------------------------------------
def test_classifier_modes(small):
    X, y, y_few = small
    ae = MultimodalConstrainedAE(4, **TINY).fit(X, y_few)
    kw = dict(hidden_units=8, max_epochs=2, n_threads=1, random_state=0)
    frozen = MultimodalClassifier(ae, freeze_encoder=True, **kw).fit(X, y_few)
    # the frozen encoder gives exactly the autoencoder's embeddings
    np.testing.assert_allclose(frozen.embed(X), ae.transform(X), rtol=1e-5, atol=1e-6)
    tuned = MultimodalClassifier(ae, freeze_encoder=False, **kw).fit(X, y_few)
    assert not np.allclose(tuned.embed(X), ae.transform(X))
    np.testing.assert_array_equal(ae.transform(X), ae.transform(X))  # ae left untouched
    scratch = MultimodalClassifier(**dict(TINY, hidden_units=8)).fit(X, y_few)
    proba = scratch.predict_proba(X)
    assert proba.shape == (48, 4) and np.allclose(proba.sum(1), 1)
    np.testing.assert_array_equal(scratch.classes_, [0, 1, 2, 3])
    # an unfitted encoder is fitted first (on every row)
    auto = MultimodalClassifier(MultimodalConstrainedAE(4, **TINY), freeze_encoder=True,
                                **kw).fit(X, y_few)
    assert hasattr(auto.encoder_, "module_") and not hasattr(auto.encoder, "module_")
    assert 0 <= auto.score(X, y_few) <= 1
    with pytest.raises(ValueError, match="freeze_encoder"):
        MultimodalClassifier(freeze_encoder=True, **TINY).fit(X, y_few)
    with pytest.raises(ValueError, match="temporal modality"):
        Xn = X.copy()
        Xn[0, -1] = np.nan
        MultimodalClassifier(**TINY).fit(Xn, y_few)
    with pytest.raises(ValueError, match="2 classes"):
        MultimodalClassifier(**TINY).fit(X, np.where(y_few == 1, 1, -1))


def test_classifier_standardizes_the_embedding(small):
    """Standardise each embedding feature by the labelled rows' statistics.

    The statistics are those of the initial encoder: with a frozen encoder the head sees
    z-scores.
    """
    X, _, y_few = small
    ae = MultimodalConstrainedAE(4, **TINY).fit(X, y_few)
    kw = dict(hidden_units=8, max_epochs=1, n_threads=1, random_state=0)
    clf = MultimodalClassifier(ae, freeze_encoder=True, **kw).fit(X, y_few)
    Z = ae.transform(X)[y_few >= 0]
    net = clf.module_
    np.testing.assert_allclose(net.embedding_mean.numpy(), Z.mean(0), rtol=1e-4, atol=1e-6)
    live = Z.std(0) > 1e-6                 # dead ReLU features (constant) keep scale 1
    assert live.sum() >= 2
    np.testing.assert_allclose(net.embedding_scale.numpy()[live], Z.std(0)[live], rtol=1e-3)
    np.testing.assert_array_equal(net.embedding_scale.numpy()[~live], 1)
    z_std = (Z - net.embedding_mean.numpy()) / net.embedding_scale.numpy()
    np.testing.assert_allclose(z_std[:, live].std(0), 1, atol=1e-3)
    plain = MultimodalClassifier(ae, freeze_encoder=True, standardize=False, **kw).fit(X, y_few)
    assert (plain.module_.embedding_mean == 0).all()
    assert (plain.module_.embedding_scale == 1).all()



def test_paper_params_give_the_published_network():
    import torch
    from skorch.callbacks import Callback

    from skstc.datasets import make_water_bodies

    params = MultimodalClassifier.paper_params()
    assert params is not MultimodalClassifier.paper_params()  # a fresh dict
    enc_params = MultimodalConstrainedAE.paper_params()
    for name in ("embedding_dim", "conv_channels", "lstm_hidden_size"):
        assert params[name] == enc_params[name]
    X, y = make_water_bodies(40, n_timesteps=12, map_size=16, random_state=0)
    sizes = []

    class Batches(Callback):
        def on_batch_begin(self, net, batch=None, **kwargs):
            sizes.append(len(batch[1]))

    clf = MultimodalClassifier(spatial_shape=(16, 16), max_epochs=1, n_threads=1,
                               random_state=0).set_params(**params, callbacks=[Batches()])
    clf.fit(X, y)
    ae = clf.module_.autoencoder
    convs = [c for c in ae.spatial_encoder.conv if isinstance(c, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32, 64]
    assert ae.temporal_encoder.lstm.hidden_size == 64
    assert ae.fused_dim == 256 and clf.module_.head[0].in_features == 256
    assert torch.all(clf.module_.embedding_mean == 0)  # the paper's plain head
    assert sizes and max(sizes) == 40  # batches of 256, not capped


def test_defaults_share_the_autoencoder_encoder():
    ae, clf = MultimodalConstrainedAE().get_params(), MultimodalClassifier().get_params()
    for name in ("spatial_shape", "embedding_dim", "conv_channels", "lstm_hidden_size"):
        assert clf[name] == ae[name], name
