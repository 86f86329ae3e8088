"""Tests of MultimodalConstrainedAE, LabelAugmenter and MultimodalClassifier."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skstc import LabelAugmenter, MultimodalClassifier, MultimodalConstrainedAE
from skstc._label_augmenter import augment_labels
from skstc.datasets import make_water_bodies
from skstc.metrics import (
    labelled_accuracy_scorer,
    labelled_f1_macro_scorer,
    make_labelled_scorer,
)

TINY = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,), lstm_hidden_size=8, max_epochs=2,
            n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def small():
    X, y = make_water_bodies(48, n_timesteps=12, map_size=8, random_state=0)
    y_few = np.full_like(y, -1)
    for c in range(4):
        y_few[np.flatnonzero(y == c)[:3]] = c
    return X, y, y_few


def few_labels(y, per_class, seed=0):
    rng = np.random.RandomState(seed)
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                          for c in np.unique(y)])
    y_few = np.full_like(y, -1)
    y_few[idx] = y[idx]
    return y_few


# ---- Algorithm 2 on a hand-made configuration -----------------------------------------------
def test_augment_labels_hand_made_configuration():
    # cluster 0: centre 0; labelled (class 0) at distances 1 and 3 -> radius 2
    # cluster 1: mixed labels -> no propagation
    # cluster 2: one labelled member only (< min_labelled=2) -> no propagation
    X = np.array([[-1.0], [3.0], [0.5], [-2.0], [2.5],          # cluster 0
                  [10.0], [11.0], [10.5],                        # cluster 1
                  [20.0], [20.5]])                               # cluster 2
    y = np.array([0, 0, -1, -1, -1, 1, 2, -1, 1, -1])
    clusters = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2])
    centers = np.array([[0.0], [10.5], [20.25]])
    out = augment_labels(X, y, clusters, centers, min_labelled=2)
    # 0.5 (d=0.5) and -2 (d=2, on the radius) join class 0; 2.5 (d=2.5) does not
    np.testing.assert_array_equal(out, [0, 0, 0, 0, -1, 1, 2, -1, 1, -1])
    out1 = augment_labels(X, y, clusters, centers, min_labelled=1)
    assert out1[9] == 1   # with min_labelled=1 the single-label cluster propagates


def test_label_augmenter_counts_resample_and_delegation():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 0.3, (30, 2)), rng.normal(5, 0.3, (30, 2))])
    y_true = np.repeat([0, 1], 30)
    y = np.full(60, -1)
    y[[0, 1, 2, 30, 31, 32]] = y_true[[0, 1, 2, 30, 31, 32]]
    aug = LabelAugmenter(LogisticRegression(), n_clusters=2, algorithm="published",
                         random_state=0).fit(X, y)
    new = (aug.transduction_ >= 0) & (y < 0)
    assert aug.n_augmented_ == new.sum() > 0
    assert (aug.transduction_[new] == y_true[new]).all()   # precision 1 on separated blobs
    assert sum(aug.augmented_counts_.values()) == aug.n_augmented_
    assert aug.labeled_counts_[0] == 3 + aug.augmented_counts_[0]
    Xr, yr = LabelAugmenter(n_clusters=2, algorithm="published",
                            random_state=0).fit_resample(X, y)
    assert len(Xr) == len(yr) == 6 + aug.n_augmented_
    assert aug.predict(X).shape == (60,)
    assert aug.predict_proba(X).shape == (60, 2)
    assert aug.score(X, np.where(np.arange(60) % 2, y_true, -1)) == 1.0
    assert not hasattr(LabelAugmenter(), "predict")
    with pytest.raises(ValueError, match="no labelled"):
        LabelAugmenter(n_clusters=2).fit(X, np.full(60, -1))
    with pytest.raises(ValueError, match="n_clusters"):
        LabelAugmenter(n_clusters=0).fit(X, y)


# ---- MultimodalConstrainedAE API ------------------------------------------------------------
def test_fit_transform_predict_inverse(small):
    X, _, y_few = small
    ae = MultimodalConstrainedAE(4, **TINY).fit(X, y_few)
    Z = ae.transform(X)
    assert Z.shape == (48, 8) and Z.dtype == np.float32
    assert ae.labels_.shape == (48,) and ae.cluster_centers_.shape == (4, 8)
    np.testing.assert_array_equal(ae.predict(X), ae.clusterer_.predict(Z))
    rec = ae.inverse_transform(Z)
    assert rec.shape == X.shape and np.isfinite(rec).all()
    assert ae.n_iter_ == 2 and {"recon_map", "recon_series", "collapse"} <= set(ae.history_[0])
    assert "constraint" in ae.history_[1]      # constraint_start=0.5: on for epoch 2
    assert "constraint" not in ae.history_[0]
    sae = MultimodalConstrainedAE(4, modalities="spatial", clustering_loss=None, **TINY)
    rec = sae.fit(X).inverse_transform(sae.transform(X))
    assert np.isfinite(rec[:, :64]).all() and np.isnan(rec[:, 64:]).all()


def test_budget_gives_small_data_several_steps_per_epoch(small):
    """Give every epoch at least min_steps_per_epoch optimiser steps on small data.

    With 48 objects and the paper's batch of 256 an epoch would be one optimiser step; the
    batch size is capped instead.
    """
    from skorch.callbacks import Callback

    class CountSteps(Callback):
        steps = []          # class-level: the engine deep-copies user callbacks

        def on_epoch_begin(self, net, **kwargs):
            type(self).steps.append(0)

        def on_batch_end(self, net, training=False, **kwargs):
            type(self).steps[-1] += int(training)

    X, _, y_few = small
    for y_fit in (None, y_few):                 # plain and class-balanced batches
        CountSteps.steps = []
        MultimodalConstrainedAE(4, **dict(TINY, callbacks=[CountSteps()])).fit(X, y_fit)
        assert len(CountSteps.steps) == 2 and min(CountSteps.steps) >= 8, CountSteps.steps


def test_reproducible_and_global_rng_untouched(small):
    X, _, y_few = small
    torch_state = torch.get_rng_state().clone()
    np_state = np.random.get_state()[1].copy()
    a = MultimodalConstrainedAE(4, **TINY).fit(X, y_few).transform(X)
    b = MultimodalConstrainedAE(4, **TINY).fit(X, y_few).transform(X)
    np.testing.assert_array_equal(a, b)
    assert torch.equal(torch_state, torch.get_rng_state())
    np.testing.assert_array_equal(np_state, np.random.get_state()[1])


@pytest.mark.parametrize("loss", [None, "dec", "pairwise"])
def test_ablations_train(small, loss):
    X, _, y_few = small
    ae = MultimodalConstrainedAE(4, clustering_loss=loss, pairwise_schedule="alternate",
                                 **dict(TINY, max_epochs=3)).fit(X, y_few)
    assert np.isfinite(ae.transform(X)).all()
    if loss == "pairwise":
        assert {"must_link", "cannot_link", "constraint"} <= set(ae.history_[-1])
    if loss is None:
        assert "constraint" not in ae.history_[-1]


def test_xarray_dataset_input(small):
    xr = pytest.importorskip("xarray")
    X, _, y_few = small
    ds = xr.Dataset({"fraction_map": (("sample", "y", "x"), X[:, :64].reshape(-1, 8, 8)),
                     "area": (("sample", "time"), X[:, 64:])},
                    coords={"sample": np.arange(100, 148)})
    ae = MultimodalConstrainedAE(4, **TINY).fit(ds, y_few)
    Z = ae.transform(ds)
    assert Z.dims == ("sample", "embedding") and Z["sample"][0] == 100
    np.testing.assert_allclose(Z.values, ae.transform(X), rtol=1e-5, atol=1e-6)


def test_dataset_input_checks_each_modality(small):
    xr = pytest.importorskip("xarray")
    X, _, _ = small
    maps = X[:, :64].reshape(-1, 8, 8)
    ae = MultimodalConstrainedAE(4, **dict(TINY, spatial_shape=(4, 4)))
    ds = xr.Dataset({"fraction_map": (("sample", "y", "x"), maps),
                     "area": (("sample", "time"), X[:, 64:])})
    # 8x8 maps with spatial_shape=(4, 4) would be silently mis-split as a 2-D array
    with pytest.raises(ValueError, match="spatial modality.*spatial_shape"):
        ae.fit(ds)
    empty = xr.Dataset({"fraction_map": (("sample", "y", "x"), maps),
                        "area": (("sample", "time"), X[:, 64:64])})
    with pytest.raises(ValueError, match="temporal modality.*length 0"):
        MultimodalConstrainedAE(4, **TINY).fit(empty)
    with pytest.raises(ValueError, match="area"):
        MultimodalConstrainedAE(4, **TINY).fit(ds[["fraction_map"]])


def test_transform_streams_in_batches(small):
    """Stream transform in batches of at most batch_size rows.

    Its memory then does not grow with n_samples beyond the output (the benchmark measures
    the MB).
    """
    X, _, y_few = small
    ae = MultimodalConstrainedAE(4, **dict(TINY, batch_size=64)).fit(X, y_few)
    big = np.tile(X, (50, 1))                         # 2400 rows
    seen = []
    hook = ae.module_.spatial_encoder.register_forward_hook(
        lambda m, inp, out: seen.append(inp[0].shape[0]))
    try:
        Z = ae.transform(big)
    finally:
        hook.remove()
    # 38 batches of exactly 64 rows (the last one zero-padded from 32)
    assert seen == [64] * 38
    np.testing.assert_allclose(Z[:48], ae.transform(X), rtol=1e-5, atol=1e-6)


def test_bad_input(small):
    X, y, y_few = small
    ae = MultimodalConstrainedAE(4, **TINY)
    with pytest.raises(ValueError, match="spatial_shape"):
        ae.fit(X[:, :64])                        # no series: length 0
    with pytest.raises(ValueError, match="spatial_shape"):
        MultimodalConstrainedAE(4, **dict(TINY, spatial_shape=(12, 12))).fit(X)
    Xn = X.copy()
    Xn[3, 5] = np.nan
    with pytest.raises(ValueError, match="spatial modality"):
        ae.fit(Xn)
    Xn = X.copy()
    Xn[3, -1] = np.nan
    with pytest.raises(ValueError, match="temporal modality"):
        ae.fit(Xn)
    with pytest.raises(ValueError, match="one class"):
        ae.fit(X, np.where(y_few == 0, 0, -1))
    with pytest.raises(ValueError, match="same length"):
        ae.fit(X, y_few[:-1])
    with pytest.warns(UserWarning, match="fewer than 2 labelled"):
        ae.fit(X, np.where(np.arange(48) == np.flatnonzero(y == 0)[0], 0, y_few * (y_few != 0)
                           - (y_few == 0)))
    with pytest.warns(UserWarning, match="unsupervised"):
        ae.fit(X, np.full(48, -1))
    for bad in (dict(modalities="rgb"), dict(clustering_loss="kl"), dict(constraint_start=1),
                dict(reconstruction="l1"), dict(spatial_shape=(8,)), dict(spatial_weight=-1)):
        with pytest.raises(ValueError):
            MultimodalConstrainedAE(4, **dict(TINY, **bad)).fit(X)
    fitted = MultimodalConstrainedAE(4, **TINY).fit(X)
    with pytest.raises(ValueError, match="features"):
        fitted.transform(X[:, :-1])


def test_pickle_clone_and_verbose(small, capsys):
    X, _, y_few = small
    ae = MultimodalConstrainedAE(4, **dict(TINY, verbose=1)).fit(X, y_few)
    assert "train_loss" in capsys.readouterr().out
    again = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(again.transform(X), ae.transform(X))
    c = clone(ae)
    assert not hasattr(c, "module_") and c.get_params() == ae.get_params()


def test_pipeline_and_grid_search(small):
    X, y, y_few = small
    pipe = Pipeline([("ae", MultimodalConstrainedAE(4, **TINY)),
                     ("aug", LabelAugmenter(make_pipeline(StandardScaler(),
                                                          LogisticRegression()),
                                            n_clusters=8, random_state=0))])
    pipe.fit(X, y_few)
    assert pipe.predict(X).shape == (48,)
    assert 0 <= pipe.score(X, y) <= 1
    pickle.loads(pickle.dumps(pipe)).predict(X)


def test_grid_search_scores_the_labelled_rows_only(small):
    """Score a GridSearchCV over Pipeline(AE, LabelAugmenter) on the labelled rows only.

    With the public labelled-rows scorer, each split score equals the macro-F1 on that
    fold's labelled rows.
    """
    X, y, _ = small
    y_semi = few_labels(y, 6)                      # 24 labelled, 24 unlabelled rows
    pipe = Pipeline([("ae", MultimodalConstrainedAE(4, **TINY)),
                     ("aug", LabelAugmenter(make_pipeline(StandardScaler(),
                                                          LogisticRegression()),
                                            n_clusters=8, random_state=0))])
    # -1 is a stratum of its own: every fold gets labelled rows of every class
    cv = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y_semi))
    scorer = make_labelled_scorer(f1_score, average="macro")
    grid = GridSearchCV(pipe, {"ae__clustering_loss": [None, "constrained"]}, cv=cv,
                        scoring=scorer, error_score="raise")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*fewer than 2 labelled.*")
        grid.fit(X, y_semi)
        assert list(grid.cv_results_["param_ae__clustering_loss"]) == [None, "constrained"]
        for k, (train, test) in enumerate(cv):
            est = clone(pipe).set_params(ae__clustering_loss="constrained")
            pred = est.fit(X[train], y_semi[train]).predict(X[test])
            lab = y_semi[test] >= 0
            expected = f1_score(y_semi[test][lab], pred[lab], average="macro")
            assert grid.cv_results_[f"split{k}_test_score"][1] == pytest.approx(expected)
            # a plain metric would count the unlabelled rows (as class -1) and differ
            assert f1_score(y_semi[test], pred, average="macro") < expected
            assert labelled_f1_macro_scorer(est, X[test], y_semi[test]) == pytest.approx(
                expected)
    pickle.loads(pickle.dumps(grid.best_estimator_)).predict(X)


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


# ---- recovery of the synthetic classes ------------------------------------------------------
RECOVERY = dict(spatial_shape=(16, 16), embedding_dim=32, conv_channels=(8, 16), lstm_hidden_size=32,
                spatial_weight=0.01 * 4096 / 256, lr=3e-3, max_epochs=30, n_threads=1)


@pytest.fixture(scope="module")
def water():
    X, y = make_water_bodies(160, n_timesteps=36, map_size=16, random_state=0)
    return X, y, few_labels(y, 10)


def _few_label_f1(ae, X, y, y_few):
    """Scaled logistic regression on the 40 labelled embeddings; macro-F1 on the rest."""
    Z = ae.transform(X)
    lab = y_few >= 0
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(Z[lab], y[lab])
    return f1_score(y[~lab], clf.predict(Z[~lab]), average="macro"), clf.predict(Z)


def test_synthetic_recovery_uses_both_modalities(water):
    """The fused model separates all four classes; a single modality cannot (it confuses one
    pair), so the threshold fails for a model whose embedding lost either modality."""
    X, y, y_few = water
    ae = MultimodalConstrainedAE(4, random_state=0, **RECOVERY).fit(X, y_few)
    f1, pred = _few_label_f1(ae, X, y, y_few)
    assert f1 > 0.9, f1
    unl = y_few < 0
    # shape-only pair (ponds vs rivers) and dynamics-only pair (stable vs seasonal lakes)
    for a, b in ((0, 1), (2, 3)):
        rows = unl & np.isin(y, [a, b])
        assert (pred[rows] == y[rows]).mean() > 0.85, (a, b)
    # both modalities move the embedding: swapping either one changes it
    n_map = 256
    Z = ae.transform(X)
    perm = np.random.RandomState(0).permutation(len(X))
    swap_map = np.hstack([X[perm, :n_map], X[:, n_map:]])
    swap_series = np.hstack([X[:, :n_map], X[perm, n_map:]])
    spread = np.linalg.norm(Z - Z.mean(0), axis=1).mean()
    for Xs in (swap_map, swap_series):
        assert np.linalg.norm(ae.transform(Xs) - Z, axis=1).mean() > 0.3 * spread
    # trained within the budget: the series is reconstructed better than by the mean series
    series = X[:, n_map:]
    rec = ae.inverse_transform(Z)[:, n_map:]
    mean_baseline = ((series - series.mean(0)) ** 2).sum(1).mean()
    assert ((rec - series) ** 2).sum(1).mean() < 0.5 * mean_baseline
    # training did not collapse the embedding
    assert ae.history_[-1]["collapse"] < 0.95
    assert all(np.isfinite(h["collapse"]) for h in ae.history_)


@pytest.mark.slow
def test_single_modality_fails_the_recovery_threshold(water):
    X, y, y_few = water
    for modalities, pair in (("spatial", (2, 3)), ("temporal", (0, 1))):
        ae = MultimodalConstrainedAE(4, modalities=modalities, random_state=0,
                                     **RECOVERY).fit(X, y_few)
        f1, pred = _few_label_f1(ae, X, y, y_few)
        assert f1 < 0.9, (modalities, f1)
        rows = (y_few < 0) & np.isin(y, pair)
        assert (pred[rows] == y[rows]).mean() < 0.85, modalities


# ---- real data ------------------------------------------------------------------------------
@pytest.mark.realdata
def test_sinop_objects_few_labels(data_file):
    """Objects cut from the Sinop MODIS cube (9x9 NDVI window + series, SVM pseudo-labels)."""
    from benchmarks._data import load_sinop_objects

    X, y, codes = load_sinop_objects(data_file("sinop_modis_2000_2017.nc"), window=9,
                                     stride=2, min_class_count=20)
    X = np.hstack([X[:, :81], X[:, 81::4]])     # every 4th 16-day step keeps the test short
    y_few = few_labels(y, 10)
    ae = MultimodalConstrainedAE(len(codes), spatial_shape=(9, 9), embedding_dim=16,
                                 conv_channels=(8,), lstm_hidden_size=16, spatial_weight=0.01 * 4096 / 81,
                                 lr=3e-3, max_epochs=10, n_threads=1, random_state=0)
    ae.fit(X, y_few)
    assert np.isfinite(ae.transform(X)).all()
    f1, _ = _few_label_f1(ae, X, y, y_few)
    # better than always predicting one class (macro-F1 of a constant <= 1 / n_classes)
    assert f1 > 1.5 / len(codes), f1


@pytest.mark.realdata
def test_slovenia_objects_few_labels(data_file):
    """Learn few-label objects cut from the Sentinel-2 Slovenia patch.

    9x9 mean-NDVI window + the centre pixel's series, land-use labels, standardised
    column-wise, 10 labels per class.
    """
    from sklearn.preprocessing import StandardScaler as Scaler

    from benchmarks._data import load_slovenia_objects

    X, y, codes = load_slovenia_objects(data_file("sentinel2_slovenia_ndvi.nc"), window=9,
                                        stride=3)
    X = Scaler().fit_transform(X).astype(np.float32)
    y_few = few_labels(y, 10)
    ae = MultimodalConstrainedAE(len(codes), spatial_shape=(9, 9), embedding_dim=32,
                                 conv_channels=(8,), lstm_hidden_size=16, spatial_weight=0.01 * 4096 / 81,
                                 lr=3e-3, max_epochs=10, n_threads=1, random_state=0)
    ae.fit(X, y_few)
    assert np.isfinite(ae.transform(X)).all()
    assert ae.history_[-1]["collapse"] < 0.99
    # trained: the series is reconstructed better than by the mean series
    rec = ae.inverse_transform(ae.transform(X))[:, 81:]
    series = X[:, 81:]
    assert ((rec - series) ** 2).sum(1).mean() < ((series - series.mean(0)) ** 2).sum(1).mean()
    f1, _ = _few_label_f1(ae, X, y, y_few)
    # imbalanced classes (forest ~78 %): beat the best constant prediction's macro-F1
    unl = y_few < 0
    constant = max(f1_score(y[unl], np.full(unl.sum(), c), average="macro")
                   for c in np.unique(y))
    assert f1 > constant + 0.03, (f1, constant)
