"""DeepSpatiotemporalClustering."""

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

TINY = dict(embedding_dim=4, conv_channels=(4, 8), lstm_hidden_size=8, pretrain_epochs=2,
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


RECOVERY = dict(embedding_dim=6, conv_channels=(8, 16), lstm_hidden_size=16, pretrain_epochs=30,
                max_epochs=20, batch_size=16, n_threads=1)


@pytest.fixture(scope="module")
def regimes():
    X, y = make_climate_fields(n_times=120, n_regimes=3, grid_shape=(12, 12),
                               seasonal_amplitude=0.3, random_state=0)
    return FieldMinMaxScaler().fit_transform(X).astype(np.float32), y


def test_planted_regime_recovery(regimes):
    X, y = regimes
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no collapse warning either
        est = DeepSpatiotemporalClustering(3, random_state=0, **RECOVERY).fit(X)
    assert adjusted_rand_score(y, est.labels_) > 0.9
    assert np.bincount(est.labels_, minlength=3).min() >= 10
    assert est.converged_ and est.n_reseeded_ == 0
    # the threshold is not met without training (codes of the random network, no
    # clustering phase to speak of)
    broken = DeepSpatiotemporalClustering(3, pretrain_epochs=0, max_epochs=1, lr=1e-7,
                                          random_state=0,
                                          **{k: v for k, v in RECOVERY.items()
                                             if k not in ("pretrain_epochs", "max_epochs")})
    assert adjusted_rand_score(y, broken.fit(X).labels_) < 0.9


def test_stopping_rule_on_changed_assignments(regimes):
    X, _ = regimes
    params = dict(RECOVERY, pretrain_epochs=5, update_interval=4, random_state=0)
    # tol=1: the first check (any change < 100%) stops training after update_interval steps
    early = DeepSpatiotemporalClustering(3, tol=1.0, **params).fit(X)
    assert early.converged_ and early.n_batches_ == 4
    assert early.n_iter_ == len(early.history_) == 5 + 1
    assert early.history_[-1]["delta_label"] < 1.0
    assert early.history_[-1]["n_target_updates"] == 2
    # tol=0 can never be met: all max_epochs run, targets updated every 4 iterations
    full = DeepSpatiotemporalClustering(3, tol=0.0, **dict(params, max_epochs=4)).fit(X)
    batches = int(np.ceil(120 / 16))
    assert not full.converged_ and full.n_batches_ == 4 * batches
    assert full.n_iter_ == len(full.history_) == 5 + 4
    assert full.history_[-1]["n_target_updates"] == 1 + (4 * batches) // 4
    assert [h["phase"] for h in full.history_].count("cluster") == 4


def test_empty_centre_is_reseeded_and_collapse_warns(fields):
    from skstc._dec import DECTargetUpdates

    X, _ = fields
    est = DeepSpatiotemporalClustering(3, **TINY).fit(X)
    module = est.module_
    with torch_no_grad():
        module.head.centers[0] = 1e4  # an unreachable centre: cluster 0 is empty
    p = np.zeros((60, 3), np.float32)
    labels = est.labels_.copy()
    ds = _windows(X, 1)
    upd = DECTargetUpdates(lambda m: est._codes_and_q(m, ds), lambda m: m.head, p, labels, 1,
                           0.0, min_size=2).initialize()

    class Net:
        module_ = module

    upd._update(Net, check=True)
    assert upd.n_reseeded_ == 1
    assert np.bincount(labels, minlength=3)[0] >= 1
    assert np.abs(module.head.centers.detach().numpy()[0]).max() < 1e3
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-5)
    # detection of a collapsed result
    est.labels_ = np.zeros(60, dtype=int)
    with pytest.warns(UserWarning, match="collapsed: 2 of 3"):
        est._warn_if_collapsed(np.full((60, 3), 1 / 3))
    est.labels_ = np.arange(60) % 3
    with pytest.warns(UserWarning, match="nearly uniform"):
        est._warn_if_collapsed(np.full((60, 3), 1 / 3))


def test_targets_seen_by_the_loss_are_the_dec_targets_of_all_samples(fields):
    """The target update (numpy, float64, all samples) feeds the batches' KL term."""
    import torch

    from skstc._dec import DECTargetUpdates
    from skstc._dsc import _FieldWindows, _WindowBatches
    from skstc.losses import DSCLoss, target_distribution

    X, _ = fields
    est = DeepSpatiotemporalClustering(3, **TINY).fit(X)
    ds = _FieldWindows(X, np.full((60, 3), 1 / 3, np.float32), 1)
    _, q = est._codes_and_q(est.module_, ds)  # all samples, as the update computes them
    # (the public soft assignments agree up to float32 batch-size effects)
    np.testing.assert_allclose(est.soft_assignments(X), q, rtol=1e-3, atol=1e-6)
    upd = DECTargetUpdates(lambda m: est._codes_and_q(m, ds), lambda m: m.head, ds.p,
                           est.labels_.copy(), 1, 0.0, min_size=1).initialize()

    class Net:
        module_ = est.module_

    upd._update(Net, check=False)
    expected = target_distribution(torch.as_tensor(q, dtype=torch.float64))
    np.testing.assert_allclose(ds.p, expected.numpy(), rtol=1e-5, atol=1e-7)
    # the training batches carry those targets, and the criterion's KL uses them
    gen = torch.Generator().manual_seed(0)
    xb, _ = next(iter(_WindowBatches(ds, 16, gen)))
    out = est.module_(xb["x"])
    crit = DSCLoss(reconstruction_weight=0.0)
    crit(out, None, xb)
    p_b = xb["p"].double()
    kl = (p_b * (p_b.log() - out["q"].detach().double().log())).sum(1).mean()
    assert crit.components_["kl"] == pytest.approx(float(kl), rel=1e-4)
    idx = [int(np.flatnonzero((X == xb["x"][i, 0].numpy()).all(axis=(1, 2, 3)))[0])
           for i in range(len(p_b))]
    np.testing.assert_allclose(p_b.numpy(), ds.p[idx], rtol=0)


def torch_no_grad():
    import torch

    return torch.no_grad()


@pytest.mark.parametrize("architecture", ["cnn", "cnn_ae", "cnn_lstm", "dec", "idec"])
def test_ablations_run(fields, architecture):
    X, _ = fields
    est = DeepSpatiotemporalClustering(3, architecture=architecture, dense_units=(16,),
                                       **TINY).fit(X)
    assert est.labels_.shape == (60,)
    reconstructs = architecture in ("cnn_ae", "idec")
    assert ("recon" in est.history_[-1]) == reconstructs
    pretrains = architecture in ("cnn_ae", "dec", "idec")
    assert any(h["phase"] == "pretrain" for h in est.history_) == pretrains


def test_dec_is_dec_and_idec_keeps_the_reconstruction(fields):
    """DEC trains its clustering phase on KL alone: the decoder is left untouched."""
    import torch

    X, _ = fields
    seen = {}

    class Snapshot(__import__("skorch").callbacks.Callback):
        def on_train_begin(self, net, **kwargs):
            seen.setdefault("begin", []).append(
                [p.detach().clone() for p in net.module_.decoder.parameters()])

        def on_train_end(self, net, **kwargs):
            seen.setdefault("end", []).append(
                [p.detach().clone() for p in net.module_.decoder.parameters()])

    dec = DeepSpatiotemporalClustering(3, architecture="dec", dense_units=(16,),
                                       callbacks=[Snapshot()], **TINY).fit(X)
    cluster = [h for h in dec.history_ if h["phase"] == "cluster"]
    assert cluster and not any("recon" in h for h in cluster)
    # phase 2 = clustering: decoder weights identical before and after
    assert all(torch.equal(a, b) for a, b in zip(seen["begin"][1], seen["end"][1]))
    # and the pretraining phase did move them
    assert not all(torch.equal(a, b) for a, b in zip(seen["begin"][0], seen["end"][0]))
    idec = DeepSpatiotemporalClustering(3, architecture="idec", dense_units=(16,),
                                        **TINY).fit(X)
    cluster = [h for h in idec.history_ if h["phase"] == "cluster"]
    assert cluster and all("recon" in h for h in cluster)


def test_dec_without_reconstruction_term_skips_the_decoder(fields):
    X, _ = fields
    est = DeepSpatiotemporalClustering(3, architecture="dec", dense_units=(16,),
                                       reconstruction_weight=0.0, **TINY).fit(X)
    pre = [h for h in est.history_ if h["phase"] == "pretrain"]
    cluster = [h for h in est.history_ if h["phase"] == "cluster"]
    assert pre and all("recon" in h for h in pre)
    assert cluster and not any("recon" in h for h in cluster)
    assert est.module_.reconstruct  # restored after training
    # the same model state as with the decoder run (its output was unused): identical labels
    import skstc.nn._dsc as nn_dsc

    original = nn_dsc.DenseAutoencoder.forward

    def always_decode(self, x, **kw):
        self.reconstruct = True
        return original(self, x, **kw)

    nn_dsc.DenseAutoencoder.forward = always_decode
    try:
        again = clone(est).fit(X)
    finally:
        nn_dsc.DenseAutoencoder.forward = original
    np.testing.assert_array_equal(again.labels_, est.labels_)
    np.testing.assert_allclose(again.cluster_centers_, est.cluster_centers_, rtol=1e-5)


def test_xarray_input_and_output():
    ds, regime = make_climate_fields(n_times=40, grid_shape=(8, 8), as_xarray=True,
                                     random_state=0)
    ds = ds.rename(time="valid_time", lat="latitude", lon="longitude")
    est = DeepSpatiotemporalClustering(3, **TINY)
    labels = est.fit_predict(ds)
    assert labels.dims == ("valid_time",)
    np.testing.assert_array_equal(labels["valid_time"].values, ds["valid_time"].values)
    np.testing.assert_array_equal(labels.values, est.labels_)
    z = est.transform(ds)
    assert z.dims == ("valid_time", "embedding") and z.shape == (40, 4)
    da = ds.to_dataarray(dim="variable").transpose("valid_time", "variable", ...)
    np.testing.assert_allclose(est.transform(da).values, z.values, rtol=1e-5)
    # a dask-backed Dataset is streamed
    pytest.importorskip("dask")
    np.testing.assert_array_equal(est.predict(ds.chunk({"valid_time": 7})).values,
                                  labels.values)
    assert isinstance(est.predict(da.values), np.ndarray)


def test_bad_input(fields):
    X, _ = fields
    with pytest.raises(ValueError, match="smaller than the 2 poolings"):
        DeepSpatiotemporalClustering(3, **dict(TINY, conv_channels=(4, 4, 4))).fit(X[:, :, :3, :3])
    with pytest.raises(ValueError, match="n_clusters=70 is larger than the number of time"):
        DeepSpatiotemporalClustering(70, **TINY).fit(X)
    with pytest.raises(ValueError, match="constant over time"):
        DeepSpatiotemporalClustering(3, **TINY).fit(np.ones((20, 2, 8, 8)))
    bad = X.copy()
    bad[3, 1, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN left after preprocessing"):
        DeepSpatiotemporalClustering(3, **TINY).fit(bad)
    ds, _ = make_climate_fields(n_times=20, grid_shape=(8, 8), as_xarray=True, random_state=0)
    ds["var1"][:] = np.nan
    with pytest.raises(ValueError, match="'var1'.*NaN everywhere"):
        DeepSpatiotemporalClustering(3, **TINY).fit(ds)
    with pytest.raises(ValueError, match="architecture"):
        DeepSpatiotemporalClustering(3, **dict(TINY, architecture="lstm")).fit(X)
    with pytest.raises(ValueError, match="window"):
        DeepSpatiotemporalClustering(3, **dict(TINY, window=0)).fit(X)
    est = DeepSpatiotemporalClustering(3, **TINY).fit(X)
    with pytest.raises(ValueError, match="fitted on"):
        est.predict(X[:, :1])


@pytest.mark.realdata
def test_realdata_era5_djf_regimes(data_file):
    from skstc.datasets import load_era5
    from skstc.metrics import cluster_rmse

    ds = load_era5(data_file("era5_msl_vo850_djf2025-26_6h.nc"), resample="1D")
    lon = ((ds["lon"] + 180) % 360) - 180
    ds = ds.assign_coords(lon=lon).sortby("lon").sel(lat=slice(80, 30), lon=slice(-60, 40))
    scaled = FieldMinMaxScaler().fit_transform(ds).astype(np.float32)
    X = np.stack([scaled[v].values for v in ds.data_vars], axis=1)
    assert X.shape == (90, 2, 21, 41)
    est = DeepSpatiotemporalClustering(4, embedding_dim=8, conv_channels=(8, 16, 16),
                                       lstm_hidden_size=16, pretrain_epochs=30, max_epochs=20,
                                       batch_size=16, n_threads=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels = est.fit(scaled).predict(scaled)
    assert labels.dims == ("time",) and labels.sizes["time"] == 90
    assert np.bincount(est.labels_, minlength=4).min() >= 5
    # tighter than a random partition of the same sizes, and persistent from day to day
    rng = np.random.RandomState(0)
    random_rmse = np.mean([cluster_rmse(X, rng.permutation(est.labels_)) for _ in range(20)])
    assert cluster_rmse(X, est.labels_) < 0.97 * random_rmse
    same_next_day = np.mean(est.labels_[1:] == est.labels_[:-1])
    chance = np.sum((np.bincount(est.labels_) / 90) ** 2)
    assert same_next_day > chance + 0.1


@pytest.mark.realdata
def test_realdata_other_era5_files_load_and_cluster(data_file):
    from skstc.datasets import load_era5

    uk = load_era5(data_file("era5_t2m_uk_2019-03_hourly.nc"), resample="6h")
    ens = load_era5(data_file("era5_levels_members_2017-01.nc"))
    for ds, k in ((uk, 3), (ens, 2)):
        X = FieldMinMaxScaler().fit_transform(ds).astype(np.float32)
        est = DeepSpatiotemporalClustering(k, **dict(TINY, conv_channels=(4, 8, 8))).fit(X)
        assert est.labels_.shape == (ds.sizes["time"],)
        assert len(np.unique(est.labels_)) >= 2


def test_streamed_prediction_matches_in_memory_across_chunk_borders(fields):
    X, _ = fields
    da = pytest.importorskip("dask.array")
    est = DeepSpatiotemporalClustering(3, window=5, **TINY).fit(X)
    full = est.transform(X)
    np.testing.assert_allclose(est._codes_and_q(est.module_, _windows(X, 5))[0], full,
                               rtol=1e-5, atol=1e-6)
    est.set_params(batch_size=1)  # 16 time steps per chunk: 4 chunk borders with halos
    np.testing.assert_allclose(est.transform(da.from_array(X, chunks=(9, -1, -1, -1))), full,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(est.transform(X), full, rtol=1e-5, atol=1e-6)


def test_outputs_do_not_depend_on_batching_or_sample_order(fields):
    # float32 kernels round differently with the batch size; the outputs must not
    X, _ = fields
    est = DeepSpatiotemporalClustering(3, **dict(TINY, batch_size=7)).fit(X)
    full = est.transform(X)
    perm = np.random.RandomState(1).permutation(len(X))
    np.testing.assert_array_equal(est.transform(X[perm]), full[perm])
    singles = np.concatenate([est.transform(X[i:i + 1]) for i in range(5)])
    np.testing.assert_array_equal(singles, full[:5])
    np.testing.assert_array_equal(est.soft_assignments(X[perm]), est.soft_assignments(X)[perm])
    np.testing.assert_array_equal(est.predict(X), est.labels_)


def _windows(X, window):
    from skstc._dsc import _FieldWindows

    return _FieldWindows(X, np.zeros((len(X), 1), np.float32), window)


def test_reproducible_and_global_rng_untouched(fields):
    import torch

    X, _ = fields
    torch_state = torch.get_rng_state().clone()
    np_state = np.random.get_state()
    a = DeepSpatiotemporalClustering(3, window=3, **TINY).fit(X)
    b = DeepSpatiotemporalClustering(3, window=3, **TINY).fit(X)
    DeepSpatiotemporalClustering(3, **dict(TINY, random_state=None)).fit(X)
    assert torch.equal(torch_state, torch.get_rng_state())
    assert np.array_equal(np_state[1], np.random.get_state()[1])
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_verbose_progress(fields, capsys):
    X, _ = fields
    DeepSpatiotemporalClustering(3, verbose=1, **TINY).fit(X)
    out = capsys.readouterr().out
    assert "train_loss" in out and "target update" not in out
    DeepSpatiotemporalClustering(3, verbose=2, **TINY).fit(X)
    out = capsys.readouterr().out
    assert "train_loss" in out and "target update 1" in out and "cluster sizes" in out
    DeepSpatiotemporalClustering(3, **TINY).fit(X)
    assert capsys.readouterr().out == ""


def test_paper_params_give_the_published_network_and_training():
    import torch
    from skorch.callbacks import Callback

    X, _ = make_climate_fields(n_times=20, n_regimes=2, n_variables=2, grid_shape=(16, 16),
                               random_state=0)
    X = FieldMinMaxScaler().fit_transform(X).astype(np.float32)
    seen = []

    class Optim(Callback):
        def on_train_begin(self, net, **kwargs):
            seen.append(net.optimizer_)

    params = DeepSpatiotemporalClustering.paper_params()
    assert params is not DeepSpatiotemporalClustering.paper_params()  # a fresh dict
    est = DeepSpatiotemporalClustering(2, max_epochs=1, batch_size=16, n_init=2, n_threads=1,
                                       random_state=0, callbacks=[Optim()])
    est.set_params(**params)
    assert est.reconstruction_reduction == "sum" and est.pretrain_epochs == 0
    assert est.get_params()["lr"] == 1e-5
    est.fit(X)
    convs = [m for m in est.module_.conv if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 256, 512]
    assert est.module_.lstm.hidden_size == 256 and est.module_.lstm.num_layers == 1
    assert est.module_.to_latent.out_features == 256
    assert est.cluster_centers_.shape == (2, 256)
    assert seen and all(isinstance(o, torch.optim.SGD) for o in seen)
    assert all(g["momentum"] == 0.9 for o in seen for g in o.param_groups)
    clone(est)  # the preset's optimizer is a clonable parameter


def test_defaults_are_cpu_sized_against_the_paper_network():
    """A time step of a global 2.5 degree grid costs the default network a small fraction
    of the published network's operations."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    def flops(est):
        est.input_shape_ = (2, 73, 144)
        module = est._build_module(0)
        with FlopCounterMode(display=False) as counter:
            module(torch.zeros(1, 1, 2, 73, 144))
        return counter.get_total_flops()

    default = flops(DeepSpatiotemporalClustering(7))
    paper = flops(DeepSpatiotemporalClustering(7, **DeepSpatiotemporalClustering.paper_params()))
    assert default * 10 < paper, (default, paper)


def test_reconstruction_reduction_sum_is_eq7_scale(fields):
    X, _ = fields
    mean = DeepSpatiotemporalClustering(3, **TINY).fit(X)
    eq7 = DeepSpatiotemporalClustering(3, reconstruction_reduction="sum", **TINY).fit(X)
    # Adam is invariant to the loss scale, so both pretrain alike; Eq 7 sums the
    # 3 x 8 x 8 = 192 values of each sample where the mean averages them
    ratio = eq7.history_[0]["recon"] / mean.history_[0]["recon"]
    assert ratio == pytest.approx(np.prod(X.shape[1:]), rel=0.05)
    with pytest.raises(ValueError, match="reconstruction_reduction"):
        DeepSpatiotemporalClustering(3, reconstruction_reduction="max", **TINY).fit(X)


def test_area_weighting_weights_the_encoder_input_and_the_loss(fields):
    import torch

    from skstc.losses import DSCLoss

    X, _ = fields
    lat = np.linspace(80.0, 10.0, 8)
    est = DeepSpatiotemporalClustering(3, area_weighting=True, latitudes=lat, **TINY).fit(X)
    w = np.sqrt(np.cos(np.deg2rad(lat)))
    w = w / np.sqrt(np.mean(w ** 2))
    np.testing.assert_allclose(est.area_weights_, w, rtol=1e-6)
    np.testing.assert_allclose(est.module_.cell_weight[0, :, 0].numpy(), w, rtol=1e-6)
    plain = DeepSpatiotemporalClustering(3, **TINY).fit(X)
    assert plain.area_weights_ is None
    assert not np.allclose(plain.transform(X), est.transform(X))
    # the loss: squared errors weighted by w**2 (cos(latitude), mean 1 over the rows)
    x = torch.zeros(1, 1, 8, 1)
    recon = torch.ones(1, 1, 8, 1)
    vw = torch.as_tensor(w ** 2, dtype=torch.float32)[None, :, None]
    y_pred = {"z": torch.zeros(1, 1), "q": torch.ones(1, 1), "recon": recon}
    loss = DSCLoss(clustering_weight=0.0, value_weights=vw)(y_pred, None, {"x": x})
    assert float(loss) == pytest.approx(1.0, rel=1e-6)  # mean of w**2 is 1
    recon[0, 0, 0, 0] = 0.0  # drop the error of the northernmost (lightest) row
    loss = DSCLoss(clustering_weight=0.0, value_weights=vw)(y_pred, None, {"x": x})
    assert float(loss) == pytest.approx(1.0 - w[0] ** 2 / 8, rel=1e-6)
    with pytest.raises(ValueError, match="latitudes"):
        DeepSpatiotemporalClustering(3, area_weighting=True, **TINY).fit(X)


def test_area_weighting_reads_xarray_latitudes(fields):
    xr = pytest.importorskip("xarray")
    X, _ = fields
    lat = np.linspace(80.0, 10.0, 8)
    da = xr.DataArray(X, dims=("time", "variable", "lat", "lon"), coords={"lat": lat})
    a = DeepSpatiotemporalClustering(3, area_weighting=True, **TINY).fit(da)
    b = DeepSpatiotemporalClustering(3, area_weighting=True, latitudes=lat, **TINY).fit(X)
    np.testing.assert_allclose(a.area_weights_, b.area_weights_)
    np.testing.assert_array_equal(a.labels_, b.labels_)


def test_geometry_pretraining_brings_code_distances_to_the_inputs(fields):
    from scipy.stats import pearsonr
    from sklearn.metrics import pairwise_distances

    X, _ = fields
    params = dict(TINY, embedding_dim=16, pretrain_epochs=15, max_epochs=1, update_interval=1000)
    geo = DeepSpatiotemporalClustering(3, geometry_weight=1.0, **params).fit(X)
    plain = DeepSpatiotemporalClustering(3, **params).fit(X)
    pre = [h for h in geo.history_ if h["phase"] == "pretrain"]
    assert all("geometry" in h for h in pre) and pre[-1]["geometry"] < pre[0]["geometry"]
    assert not any("geometry" in h for h in plain.history_)
    sd = np.sqrt(((X - X.mean(0)) ** 2).mean(axis=(0, 2, 3)))
    d_x = pairwise_distances((X / sd[None, :, None, None]).reshape(len(X), -1))
    iu = np.triu_indices(len(X), 1)
    corr = {name: pearsonr(pairwise_distances(est.transform(X))[iu], d_x[iu])[0]
            for name, est in (("geo", geo), ("plain", plain))}
    # measured: 0.75 with the term, 0.52 without
    assert corr["geo"] > corr["plain"] + 0.1 and corr["geo"] > 0.65


def test_read_only_input_needs_no_copy_by_the_user(fields):
    X, _ = fields
    X = np.ascontiguousarray(X, dtype=np.float32)
    X.setflags(write=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*not writable.*")
        est = DeepSpatiotemporalClustering(3, **dict(TINY, max_epochs=1)).fit(X)
        rows = X.reshape(len(X), -1)[:, :12]  # 2-D rows: variables on a 1 x 1 grid
        dec = DeepSpatiotemporalClustering(3, architecture="dec", dense_units=(8,),
                                           **dict(TINY, max_epochs=1)).fit(rows)
    assert est.labels_.shape == dec.labels_.shape == (60,) and not X.flags.writeable
