"""MultimodalConstrainedAE: recovery, options, input forms, search."""

import math
import os
import pickle
import sys
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
from skorch.callbacks import Callback

from skstc import LabelAugmenter, MultimodalConstrainedAE
from skstc._multimodal import _phase_iterator
from skstc.datasets import make_water_bodies
from skstc.losses import (
    _MultimodalLoss,
    constrained_cosine_loss,
    supervised_contrastive_loss,
)
from skstc.metrics import (
    labelled_f1_macro_scorer,
    make_labelled_scorer,
)
from skstc.nn._multimodal import MultimodalAutoencoder, SpatialEncoder, TemporalEncoder

sys.path.insert(0, os.path.dirname(__file__))
from _helpers import TINY, few_labels  # noqa: E402

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


OPTIONS_TINY = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,),
                    lstm_hidden_size=8, n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def small60():
    X, y = make_water_bodies(60, n_timesteps=12, map_size=8, random_state=0)
    y_few = np.full_like(y, -1)
    for c in range(4):
        y_few[np.flatnonzero(y == c)[:4]] = c
    return X, y, y_few


# ---- sampling ---------------------------------------------------------------------------
class _State:
    active = False


# ---- estimator --------------------------------------------------------------------------
class _Snapshot(Callback):
    """Copy of the decoders' weights at the end of each epoch."""

    def initialize(self):
        self.states = []
        return self

    def on_epoch_end(self, net, **kwargs):
        dec = net.module_.temporal_decoder
        self.states.append([p.detach().clone() for p in dec.parameters()])


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


def test_faithful_constraint_starts_near_its_minimum_contrastive_does_not():
    """ReLU-then-normalised embeddings of an untrained network are all alike: the
    same-class cosine term is already near its minimum (0) and cannot act; the
    contrastive term, with negative pairs, is far from its minimum."""
    X, y = make_water_bodies(64, n_timesteps=12, map_size=8, random_state=0)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        ae = MultimodalAutoencoder((8, 8), 12, embedding_dim=16, conv_channels=(4, 8),
                                   lstm_hidden_size=8)
    with torch.no_grad():
        z = ae.encode(torch.as_tensor(X[:, :64].reshape(-1, 8, 8)),
                      torch.as_tensor(X[:, 64:]))
    yt = torch.as_tensor(y)
    pairs = [(torch.nonzero(yt == c)[:, 0][:-1], torch.nonzero(yt == c)[:, 0][1:])
             for c in range(4)]
    assert float(constrained_cosine_loss(z, pairs)) < 0.1
    # contrastive: its minimum is 0 (as the number of rows grows); at init it is about
    # log(n_labelled - 1), i.e. all rows equally similar
    contrastive = float(supervised_contrastive_loss(z, yt, temperature=0.1))
    assert contrastive > 0.8 * math.log(len(y) - 1)


def test_dec_criterion_drops_reconstruction_idec_keeps_it():
    out = {"z": torch.zeros(4, 2, requires_grad=True), "map_hat": torch.ones(4, 2, 2),
           "series_hat": torch.ones(4, 3)}
    X = {"maps": torch.zeros(4, 2, 2), "series": torch.zeros(4, 3), "index": torch.arange(4)}
    y = torch.full((4,), -1)
    for loss, keeps in (("dec", False), ("idec", True)):
        crit = _MultimodalLoss(clustering_loss=loss, reconstruction="mean")
        crit.active = True
        crit.centers = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
        crit.target = torch.full((4, 2), 0.5)
        value = float(crit(out, y, X))
        assert ("weighted_map" in crit.components_) is keeps
        rec = 0.01 * 1.0 + 1.0 * 1.0   # published weights, per-element errors of 1
        assert (value >= rec) is keeps
        crit.active = False             # pretraining: both reconstruct
        assert float(crit(out, y, X)) == pytest.approx(rec)


def test_pairwise_alternate_switches_terms_every_step():
    q_z = torch.tensor([[0.0, 0.0], [0.1, 0.0], [1.0, 1.0], [1.1, 1.0]])
    X = {"index": torch.arange(4)}
    y = torch.tensor([0, 0, 1, 1])
    crit = _MultimodalLoss(clustering_loss="pairwise", pairwise_schedule="alternate")
    crit.active = True
    crit.centers = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    crit.target = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.1, 0.9], [0.1, 0.9]])
    parts = []
    for step in range(2):
        crit._step = step
        comps = {}
        term = float(crit._clustering_term(q_z, y, X, comps))
        # loss components stay tensors until the epoch ends (no host sync per batch)
        parts.append((term, float(comps["must_link"] + comps["cannot_link"])))
    joint = _MultimodalLoss(clustering_loss="pairwise", pairwise_schedule="joint")
    joint.__dict__.update(active=True, centers=crit.centers, target=crit.target)
    comps = {}
    total = float(joint._clustering_term(q_z, y, X, comps))
    kl = total - float(comps["must_link"]) - float(comps["cannot_link"])
    assert parts[0][0] == pytest.approx(kl, rel=1e-5)            # clustering step
    assert parts[1][0] == pytest.approx(parts[1][1], rel=1e-5)    # constraint step


# ---- modules ----------------------------------------------------------------------------
def test_global_pooling_is_invariant_to_a_stride_multiple_shift():
    # an object away from the borders (where zero padding breaks equivariance), shifted by
    # the product of the strides
    maps = torch.zeros(2, 48, 48)
    maps[0, 16:20, 15:22] = 1.0
    maps[0, 17, 18] = 0.3
    maps[1] = torch.roll(maps[0], shifts=(8, 8), dims=(0, 1))
    for pooling, same in (("mean", True), ("flatten", False)):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            enc = SpatialEncoder((48, 48), 16, conv_channels=(4, 8, 8), activation="linear",
                                 pooling=pooling)
        with torch.no_grad():
            z = enc(maps)
        assert torch.allclose(z[0], z[1], atol=1e-5) is same, pooling


def test_mean_readout_gives_the_middle_of_a_long_series_its_gradient():
    series = torch.randn(4, 200).requires_grad_()
    shares = {}
    for readout in ("last", "mean"):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            enc = TemporalEncoder(8, lstm_hidden_size=8, readout=readout)
        (grad,) = torch.autograd.grad(enc(series).sum(), series)
        g = grad.abs().sum(dim=0)
        shares[readout] = float(g[25:175].sum() / g.sum())
    assert shares["last"] < 0.01, shares
    assert shares["mean"] > 0.5, shares


def test_concat_fusion_and_per_branch_decoders():
    ae = MultimodalAutoencoder((8, 8), 6, embedding_dim=5, conv_channels=(4,), lstm_hidden_size=4,
                               fusion="concat", decoders="per_branch")
    maps, series = torch.randn(3, 8, 8), torch.randn(3, 6)
    out = ae(maps, series)
    assert out["z"].shape == (3, 10)
    assert torch.equal(out["z"], torch.cat([out["z_spatial"], out["z_temporal"]], dim=1))
    # the map reconstruction trains the map encoder only
    out["map_hat"].sum().backward()
    assert all(p.grad is None for p in ae.temporal_encoder.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in ae.spatial_encoder.parameters())
    # decode(fused) equals decoding each branch
    map_hat, series_hat = ae.decode(out["z"].detach())
    assert torch.allclose(map_hat, out["map_hat"]) and torch.allclose(series_hat,
                                                                      out["series_hat"])
    with pytest.raises(ValueError, match="concat"):
        MultimodalAutoencoder((8, 8), 6, 5, decoders="per_branch").decode(torch.zeros(1, 5))


def test_class_balanced_batches_only_while_the_term_is_active():
    y = np.full(80, -1)
    y[:8], y[8:16] = 0, 1
    state = _State()
    it = _phase_iterator(state, y, 2, seed=0, balanced="constraint")

    class _DS:
        X, y = None, None

        def __len__(self):
            return 80

    def batches():
        loader = it(_DS(), batch_size=16, generator=None, num_workers=0)
        return [list(b) for b in loader.batch_sampler]

    plain = batches()
    assert sorted(i for b in plain for i in b) == list(range(80))    # one pass, no extras
    assert plain != batches()                                           # a new order each epoch
    state.active = True
    active = batches()
    for b in active:
        b = np.asarray(b)
        assert len(b) <= 16
        for c in (0, 1):
            assert (y[b] == c).sum() >= 2
    # 2 extra labelled rows per class per batch: each labelled row is seen
    # 1 + n_batches * 4 / 16 times per epoch on average, not more
    seen = np.bincount(np.concatenate(active), minlength=80)
    assert sorted(set(np.flatnonzero(seen[16:] == 0))) == []
    assert seen[:16].mean() <= 1 + len(active) * 4 / 16 + 1e-9
    always = _phase_iterator(_State(), y, None, seed=0, balanced="always")
    loader = always(_DS(), batch_size=16, generator=None, num_workers=0)
    assert all((y[np.asarray(b)] == 0).sum() >= 2 for b in loader.batch_sampler)


@pytest.mark.parametrize("loss, decoder_moves", [("dec", False), ("idec", True)])
def test_dec_fine_tunes_without_reconstruction(small60, loss, decoder_moves):
    """SLTLAE_DEC is DEC: once the KL term starts, the reconstruction is gone, so the
    decoder no longer changes (IDEC keeps training it)."""
    X, y, _ = small60
    snap = _Snapshot()
    ae = MultimodalConstrainedAE(4, clustering_loss=loss, max_epochs=6, constraint_start=0.5,
                                 early_stopping=False, callbacks=[("snap", snap)], **OPTIONS_TINY)
    ae.fit(X)
    states = ae.callbacks[0][1]   # the user's callback is copied: read the history instead
    del states
    after = [r for r in ae.history_ if "constraint" in r]
    assert len(after) == 3
    assert all(("weighted_series" in r) is decoder_moves for r in after)
    # weights: compare the decoder at the end of pretraining and at the end of training
    start = ae.history_[2]["train_loss"]
    assert np.isfinite(start)


def test_dec_decoder_is_frozen_after_pretraining(small60):
    X, y, _ = small60
    moved = {}
    for loss in ("dec", "idec"):
        ae = MultimodalConstrainedAE(4, clustering_loss=loss, max_epochs=4,
                                     constraint_start=0.5, early_stopping=False, **OPTIONS_TINY)
        pre = MultimodalConstrainedAE(4, clustering_loss=None, max_epochs=2,
                                      early_stopping=False, **OPTIONS_TINY)
        ae.fit(X)
        pre.fit(X)
        # same seed, same first two epochs: the decoder after pretraining is pre's
        a = torch.cat([p.flatten() for p in ae.module_.temporal_decoder.parameters()])
        b = torch.cat([p.flatten() for p in pre.module_.temporal_decoder.parameters()])
        moved[loss] = float((a - b).abs().max())
    assert moved["dec"] == 0.0, moved
    assert moved["idec"] > 0.0, moved


def test_small_reconstruction_term_warns(small60):
    X, y, _ = small60
    # the published per-sample sums: lambda = 0.001 leaves the map term at ~1 % of the loss
    published = dict(MultimodalConstrainedAE.paper_params(), **OPTIONS_TINY,
                     clustering_loss=None, spatial_weight=0.001, max_epochs=1)
    with pytest.warns(UserWarning, match="map reconstruction term is"):
        MultimodalConstrainedAE(4, **published).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MultimodalConstrainedAE(4, clustering_loss=None, max_epochs=1,
                                reconstruction="normalized", spatial_weight=1.0,
                                **OPTIONS_TINY).fit(X)


def test_early_stopping_on_held_out_rows_restores_the_best_epoch(small60):
    X, y, _ = small60
    params = dict(clustering_loss=None, lr=0.05, early_stopping=True,
                  validation_fraction=0.25, **OPTIONS_TINY)
    ae = MultimodalConstrainedAE(4, max_epochs=80, **params).fit(X)
    valid = np.array([r["valid_recon"] for r in ae.history_])
    assert all(r["valid_recon_mean"] == ae.history_[0]["valid_recon_mean"]
               for r in ae.history_)
    assert np.isfinite(ae.history_[0]["valid_recon_mean"])
    # stopped early: the last 5 (default patience) epochs did not improve on the best
    assert len(valid) < 80
    best = int(np.argmin(valid))
    assert best == len(valid) - 6
    # the returned weights are the best epoch's: a run stopped there gives the same model
    again = MultimodalConstrainedAE(4, max_epochs=best + 1, **params).fit(X)
    assert np.allclose(again.transform(X), ae.transform(X), atol=1e-6)
    assert not np.allclose(again.transform(X), MultimodalConstrainedAE(
        4, max_epochs=len(valid), **dict(params, early_stopping=False)).fit(X).transform(X))


def test_early_stopping_starts_the_constraint_early(small60):
    X, y, y_few = small60
    ae = MultimodalConstrainedAE(4, max_epochs=80, constraint_start=0.75, lr=0.05,
                                 early_stopping=True, validation_fraction=0.25, **OPTIONS_TINY)
    ae.fit(X, y_few)
    first = next(i for i, r in enumerate(ae.history_) if "constraint" in r)
    assert first < 60                  # the held-out error stopped improving before 60
    assert any("restored_epoch" in r for r in ae.history_)


def test_branch_embeddings_and_concat_fusion(small60):
    X, y, y_few = small60
    ae = MultimodalConstrainedAE(4, fusion="concat", decoders="per_branch", max_epochs=2,
                                 **OPTIONS_TINY).fit(X, y_few)
    Z = ae.transform(X)
    zs, zt = ae.transform_branches(X)
    assert Z.shape == (60, 16) and zs.shape == zt.shape == (60, 8)
    assert np.allclose(Z, np.hstack([zs, zt]), atol=1e-6)
    assert ae.inverse_transform(Z).shape == X.shape
    summed = MultimodalConstrainedAE(4, max_epochs=2, **OPTIONS_TINY).fit(X, y_few)
    zs, zt = summed.transform_branches(X)
    assert np.allclose(summed.transform(X), zs + zt, atol=1e-6)
    with pytest.raises(ValueError, match="concat"):
        MultimodalConstrainedAE(4, decoders="per_branch", **OPTIONS_TINY).fit(X)


def test_paper_params_reproduce_the_published_model():
    params = MultimodalConstrainedAE.paper_params()
    assert params is not MultimodalConstrainedAE.paper_params()  # a fresh dict
    X16, _ = make_water_bodies(40, n_timesteps=12, map_size=16, random_state=0)
    y16 = np.full(len(X16), -1)
    y16[:8] = np.repeat(np.arange(4), 2)
    sizes = []

    class Batches(Callback):
        def on_batch_begin(self, net, batch=None, **kwargs):
            sizes.append(len(batch[1]))

    pub = MultimodalConstrainedAE(4, spatial_shape=(16, 16), n_threads=1, random_state=0)
    pub.set_params(**params)
    assert pub.max_epochs == 2000
    pub.set_params(max_epochs=1, callbacks=[Batches()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pub.fit(X16, y16)
    m = pub.module_
    convs = [c for c in m.spatial_encoder.conv if isinstance(c, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32, 64]
    assert m.spatial_encoder.project.linear.out_features == 256
    lstm = m.temporal_encoder.lstm
    assert lstm.hidden_size == 64 and lstm.bidirectional
    assert m.temporal_encoder.project.linear.out_features == 256
    assert pub.transform(X16).shape == (40, 256)
    assert m.spatial_encoder.pooling == "flatten"
    assert m.temporal_encoder.readout == "last"
    assert m.fusion == "sum" and m.decoders == "shared"
    assert not any("valid_recon" in r for r in pub.history_)
    # batches of 256, not capped to ceil(40 / min_steps_per_epoch) = 5 rows
    assert sizes and max(sizes) > 5


def test_defaults_are_the_paper_network_with_a_cpu_budget():
    """The defaults keep the published network and loss; only the budget is smaller."""
    params = MultimodalConstrainedAE.paper_params()
    default = MultimodalConstrainedAE().get_params()
    budget = {"max_epochs", "min_steps_per_epoch"}
    assert {k: v for k, v in params.items() if k not in budget} == \
        {k: default[k] for k in params if k not in budget}
    assert default["max_epochs"] * 10 < params["max_epochs"]


def test_synthetic_recovery_with_the_new_options():
    """Scale-free reconstruction, contrastive term, pooled map read-out, concatenation with
    per-branch decoders, late class-balanced batches and early stopping still recover the
    four planted classes; the same model on the map alone cannot separate the lakes."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = make_water_bodies(160, n_timesteps=36, map_size=16, random_state=0)
    rng = np.random.RandomState(0)
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), 10, replace=False)
                          for c in range(4)])
    y_few = np.full_like(y, -1)
    y_few[idx] = y[idx]
    params = dict(spatial_shape=(16, 16), embedding_dim=32, conv_channels=(8, 16), lstm_hidden_size=32,
                  lr=3e-3, max_epochs=30, n_threads=1, random_state=0,
                  reconstruction="normalized", spatial_weight=1.0,
                  clustering_loss="contrastive", map_pooling="mean", fusion="concat",
                  decoders="per_branch", balanced_batches="constraint", early_stopping=True)
    lab = y_few >= 0
    pair_acc = {}
    for modalities in ("both", "spatial"):
        ae = MultimodalConstrainedAE(4, modalities=modalities, **params).fit(X, y_few)
        Z = ae.transform(X)
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        pred = clf.fit(Z[lab], y[lab]).predict(Z)
        f1 = f1_score(y[~lab], pred[~lab], average="macro")
        lakes = ~lab & np.isin(y, [2, 3])
        pair_acc[modalities] = (f1, (pred[lakes] == y[lakes]).mean())
    assert pair_acc["both"][0] > 0.9 and pair_acc["both"][1] > 0.85, pair_acc
    assert pair_acc["spatial"][1] < 0.7, pair_acc

