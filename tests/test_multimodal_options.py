"""Tests of the MultimodalConstrainedAE options beyond the published model, and of the
fidelity of its published ablations (DEC without reconstruction, alternating CONS)."""

import math
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skstc import MultimodalConstrainedAE
from skstc._multimodal import _phase_iterator
from skstc.datasets import make_water_bodies
from skstc.losses import (
    _MultimodalLoss,
    constrained_cosine_loss,
    modality_variance,
    reconstruction_error,
    supervised_contrastive_loss,
)
from skstc.nn._multimodal import MultimodalAutoencoder, SpatialEncoder, TemporalEncoder

TINY = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,), lstm_hidden_size=8,
            n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def small():
    X, y = make_water_bodies(60, n_timesteps=12, map_size=8, random_state=0)
    y_few = np.full_like(y, -1)
    for c in range(4):
        y_few[np.flatnonzero(y == c)[:4]] = c
    return X, y, y_few


# ---- losses -----------------------------------------------------------------------------
def test_normalized_reconstruction_is_one_for_the_mean():
    rng = np.random.RandomState(0)
    x = torch.as_tensor(rng.normal(3.0, 2.0, size=(50, 4, 5)), dtype=torch.float32)
    scale = modality_variance(x)
    assert scale == pytest.approx(float(x.var(dim=0, unbiased=False).mean()), rel=1e-5)
    mean = x.mean(dim=0, keepdim=True).expand_as(x)
    assert float(reconstruction_error(mean, x, "normalized", scale)) == pytest.approx(1.0,
                                                                                     rel=1e-5)
    # by hand: per-element mean divided by the scale; independent of the number of elements
    pred, target = torch.zeros(2, 3), torch.ones(2, 3)
    assert float(reconstruction_error(pred, target, "normalized", 4.0)) == pytest.approx(0.25)
    big_pred, big_target = torch.zeros(2, 300), torch.ones(2, 300)
    assert float(reconstruction_error(big_pred, big_target, "normalized", 4.0)) == 0.25


def test_supervised_contrastive_loss_by_hand():
    # rows 0, 1 class 0; row 2 class 1; row 3 unlabelled (ignored)
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [5.0, -1.0]])
    y = torch.tensor([0, 0, 1, -1])
    t = 0.5
    c01, c02, c12 = 0.0, 1 / math.sqrt(2), 1 / math.sqrt(2)
    # anchor 0: positive 1 among {1, 2}; anchor 1: positive 0 among {0, 2}; anchor 2: none
    l0 = -(c01 / t - math.log(math.exp(c01 / t) + math.exp(c02 / t)))
    l1 = -(c01 / t - math.log(math.exp(c01 / t) + math.exp(c12 / t)))
    got = float(supervised_contrastive_loss(z, y, temperature=t))
    assert got == pytest.approx((l0 + l1) / 2, rel=1e-5)
    # no positive pair: zero with a graph
    zero = supervised_contrastive_loss(z.requires_grad_(), torch.tensor([0, 1, -1, -1]))
    assert float(zero.detach()) == 0.0 and zero.requires_grad


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
        parts.append((term, comps["must_link"] + comps["cannot_link"]))
    joint = _MultimodalLoss(clustering_loss="pairwise", pairwise_schedule="joint")
    joint.__dict__.update(active=True, centers=crit.centers, target=crit.target)
    comps = {}
    total = float(joint._clustering_term(q_z, y, X, comps))
    kl = total - comps["must_link"] - comps["cannot_link"]
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


# ---- sampling ---------------------------------------------------------------------------
class _State:
    active = False


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


# ---- estimator --------------------------------------------------------------------------
class _Snapshot(Callback):
    """Copy of the decoders' weights at the end of each epoch."""

    def initialize(self):
        self.states = []
        return self

    def on_epoch_end(self, net, **kwargs):
        dec = net.module_.temporal_decoder
        self.states.append([p.detach().clone() for p in dec.parameters()])


@pytest.mark.parametrize("loss, decoder_moves", [("dec", False), ("idec", True)])
def test_dec_fine_tunes_without_reconstruction(small, loss, decoder_moves):
    """SLTLAE_DEC is DEC: once the KL term starts, the reconstruction is gone, so the
    decoder no longer changes (IDEC keeps training it)."""
    X, y, _ = small
    snap = _Snapshot()
    ae = MultimodalConstrainedAE(4, clustering_loss=loss, max_epochs=6, constraint_start=0.5,
                                 early_stopping=False, callbacks=[("snap", snap)], **TINY)
    ae.fit(X)
    states = ae.callbacks[0][1]   # the user's callback is copied: read the history instead
    del states
    after = [r for r in ae.history_ if "constraint" in r]
    assert len(after) == 3
    assert all(("weighted_series" in r) is decoder_moves for r in after)
    # weights: compare the decoder at the end of pretraining and at the end of training
    start = ae.history_[2]["train_loss"]
    assert np.isfinite(start)


def test_dec_decoder_is_frozen_after_pretraining(small):
    X, y, _ = small
    moved = {}
    for loss in ("dec", "idec"):
        ae = MultimodalConstrainedAE(4, clustering_loss=loss, max_epochs=4,
                                     constraint_start=0.5, early_stopping=False, **TINY)
        pre = MultimodalConstrainedAE(4, clustering_loss=None, max_epochs=2,
                                      early_stopping=False, **TINY)
        ae.fit(X)
        pre.fit(X)
        # same seed, same first two epochs: the decoder after pretraining is pre's
        a = torch.cat([p.flatten() for p in ae.module_.temporal_decoder.parameters()])
        b = torch.cat([p.flatten() for p in pre.module_.temporal_decoder.parameters()])
        moved[loss] = float((a - b).abs().max())
    assert moved["dec"] == 0.0, moved
    assert moved["idec"] > 0.0, moved


def test_small_reconstruction_term_warns(small):
    X, y, _ = small
    # the published per-sample sums: lambda = 0.001 leaves the map term at ~1 % of the loss
    published = dict(MultimodalConstrainedAE.PUBLISHED_PARAMS, clustering_loss=None,
                     spatial_weight=0.001)
    with pytest.warns(UserWarning, match="map reconstruction term is"):
        MultimodalConstrainedAE(4, max_epochs=1, **published, **TINY).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MultimodalConstrainedAE(4, clustering_loss=None, max_epochs=1,
                                reconstruction="normalized", spatial_weight=1.0,
                                **TINY).fit(X)


def test_early_stopping_on_held_out_rows_restores_the_best_epoch(small):
    X, y, _ = small
    params = dict(clustering_loss=None, lr=0.05, early_stopping=True,
                  validation_fraction=0.25, **TINY)
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


def test_early_stopping_starts_the_constraint_early(small):
    X, y, y_few = small
    ae = MultimodalConstrainedAE(4, max_epochs=80, constraint_start=0.75, lr=0.05,
                                 early_stopping=True, validation_fraction=0.25, **TINY)
    ae.fit(X, y_few)
    first = next(i for i, r in enumerate(ae.history_) if "constraint" in r)
    assert first < 60                  # the held-out error stopped improving before 60
    assert any("restored_epoch" in r for r in ae.history_)


def test_branch_embeddings_and_concat_fusion(small):
    X, y, y_few = small
    ae = MultimodalConstrainedAE(4, fusion="concat", decoders="per_branch", max_epochs=2,
                                 **TINY).fit(X, y_few)
    Z = ae.transform(X)
    zs, zt = ae.transform_branches(X)
    assert Z.shape == (60, 16) and zs.shape == zt.shape == (60, 8)
    assert np.allclose(Z, np.hstack([zs, zt]), atol=1e-6)
    assert ae.inverse_transform(Z).shape == X.shape
    summed = MultimodalConstrainedAE(4, max_epochs=2, **TINY).fit(X, y_few)
    zs, zt = summed.transform_branches(X)
    assert np.allclose(summed.transform(X), zs + zt, atol=1e-6)
    with pytest.raises(ValueError, match="concat"):
        MultimodalConstrainedAE(4, decoders="per_branch", **TINY).fit(X)


def test_published_params_reproduce_the_published_model(small):
    X, y, y_few = small
    pub = MultimodalConstrainedAE(4, max_epochs=2, **MultimodalConstrainedAE.PUBLISHED_PARAMS,
                                  **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pub.fit(X, y_few)
    m = pub.module_
    assert m.spatial_encoder.pooling == "flatten"
    assert m.temporal_encoder.readout == "last"
    assert m.fusion == "sum" and m.decoders == "shared"
    assert not any("valid_recon" in r for r in pub.history_)


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
