"""The accelerator path of the engine, tested on the CPU.

Mixed precision, device-resident data, one host synchronisation per epoch, the scoped
``cudnn.benchmark`` switch and the channels-last memory format are exercised here by making
the engine take its accelerator branches on the CPU (monkeypatching the device tests), so
every line that a GPU runs is also run by the default suite.
"""

import contextlib
import os
import pickle
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback

import skstc._training as engine
from skstc import (
    DeepSpatiotemporalClustering,
    MultimodalClassifier,
    MultimodalConstrainedAE,
    Tile2VecSeriesKMeans,
)
from skstc._persistence import load, save
from skstc._training import (
    TorchEstimatorMixin,
    TrainingDivergedError,
    cudnn_benchmark,
    resolve_precision,
)
from skstc.datasets import make_climate_fields, make_water_bodies
from skstc.nn import CNNLSTMAutoencoder, MultimodalAutoencoder, TileNet
from skstc.utils._random import local_random_state

DEEP = [DeepSpatiotemporalClustering, MultimodalClassifier, MultimodalConstrainedAE,
        Tile2VecSeriesKMeans]


class _Net(torch.nn.Module):
    """Dense autoencoder that records the dtype its encoder computed in."""

    def __init__(self, n_features, n_hidden=3):
        super().__init__()
        self.enc = torch.nn.Linear(n_features, n_hidden)
        self.dec = torch.nn.Linear(n_hidden, n_features)
        self.seen_dtypes = set()

    def forward(self, x):
        h = self.enc(x)
        self.seen_dtypes.add(h.dtype)
        return self.dec(torch.tanh(h))


class _Loss(torch.nn.Module):
    def forward(self, y_pred, y_true, X):
        mse = ((y_pred.float() - X) ** 2).mean()
        self.components_ = {"recon": mse.detach(), "half": 0.5 * mse.detach()}
        return mse


class _Est(TorchEstimatorMixin, TransformerMixin, BaseEstimator):
    _parameter_constraints = {**TorchEstimatorMixin._engine_parameter_constraints}

    def __init__(self, *, max_epochs=2, batch_size=8, lr=1e-2, optimizer="adam", tol=1e-4,
                 n_iter_no_change=None, device="cpu", n_threads=1, num_workers=0,
                 callbacks=None, verbose=0, random_state=0, precision=None):
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.n_threads = n_threads
        self.num_workers = num_workers
        self.callbacks = callbacks
        self.verbose = verbose
        self.random_state = random_state
        self.precision = precision

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        self._check_engine_params()
        X = validate_data(self, X, dtype=np.float32)
        self.module_, self.history_ = self._train_module(
            _Net, X, module_params={"n_features": X.shape[1]}, criterion=_Loss,
            random_state=local_random_state(self.random_state))
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return self._predict_module(lambda m, xb: m.enc(xb), X)


def _data(n=64, p=6):
    return np.random.RandomState(0).randn(n, p).astype(np.float32)


# ---- precision --------------------------------------------------------------------------
@pytest.mark.parametrize("cls", DEEP)
def test_precision_is_a_parameter_of_every_deep_estimator(cls):
    est = cls()
    assert est.get_params()["precision"] is None
    assert clone(cls(precision="bf16")).get_params()["precision"] == "bf16"
    assert "precision : {" in cls.__doc__
    with pytest.raises(InvalidParameterError, match="precision"):
        cls(precision="fp8").fit(np.zeros((4, 4), dtype=np.float32))


def test_resolve_precision():
    assert resolve_precision(None, "cpu") is None
    assert resolve_precision("fp32", "cpu") is None
    assert resolve_precision("bf16", "cuda") is torch.bfloat16
    assert resolve_precision("fp16", "cuda:1") is torch.float16
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_precision("bf16", "cpu") is torch.bfloat16  # silent unless asked
    with pytest.warns(UserWarning, match="bfloat16 instructions"):
        resolve_precision("bf16", "cpu", warn=True)
    with pytest.raises(ValueError, match="needs a GPU"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ValueError, match="precision must be"):
        resolve_precision("BF16", "cpu")


def test_fp16_on_cpu_is_refused_before_training():
    est = _Est(precision="fp16")
    with pytest.raises(ValueError, match="needs a GPU"):
        est.fit(_data())
    assert not hasattr(est, "module_")


def test_bf16_on_cpu_warns_trains_in_bf16_and_returns_float32():
    X = _data()
    with pytest.warns(UserWarning, match="precision='bf16' on the CPU"):
        est = _Est(precision="bf16").fit(X)
    assert torch.bfloat16 in est.module_.seen_dtypes   # forward ran under autocast
    assert all(p.dtype == torch.float32 for p in est.module_.parameters())
    Z = est.transform(X)
    assert Z.dtype == np.float32
    ref = _Est().fit(X)
    assert ref.module_.seen_dtypes == {torch.float32}
    # same seed, same data order: bf16 rounding (8 bits of mantissa) only
    np.testing.assert_allclose(Z, ref.transform(X), atol=0.1)
    np.testing.assert_allclose(est.history_[-1]["recon"], ref.history_[-1]["recon"],
                               rtol=0.05)


def test_bf16_inference_of_a_float32_trained_model():
    X = _data()
    est = _Est().fit(X)
    ref = est.transform(X)
    with pytest.warns(UserWarning):
        est.set_params(precision="bf16").fit(X)
    est.set_params(precision=None)
    np.testing.assert_array_equal(est.transform(X), est.transform(X))
    est.set_params(precision="bf16")
    low = est.transform(X)
    assert low.dtype == np.float32 and not np.array_equal(low, est.set_params(
        precision=None).transform(X))
    assert ref.shape == low.shape


class _GradNorms(Callback):
    """Records the squared gradient norm seen by callbacks (in a class-level log, since the
    engine copies the estimator's callbacks)."""

    log = []

    def on_grad_computed(self, net, named_parameters, **kwargs):
        type(self).log.append(float(sum(p.grad.pow(2).sum() for _, p in named_parameters)))


def test_loss_scaling_path(monkeypatch):
    # the float16 path's GradScaler (CUDA only) run with torch's CPU scaler: scaling by a
    # power of two and unscaling is exact, so the fit equals the unscaled one, and
    # callbacks see unscaled gradients
    X = _data()
    _GradNorms.log = []
    ref = _Est(callbacks=[_GradNorms()]).fit(X)
    ref_norms, _GradNorms.log = _GradNorms.log, []
    scalers = []

    def scaler(device, dtype):
        scalers.append(torch.amp.GradScaler("cpu", init_scale=2.0 ** 10))
        return scalers[-1]

    monkeypatch.setattr(engine, "_grad_scaler", scaler)
    est = _Est(callbacks=[_GradNorms()]).fit(X)
    assert len(scalers) == 1 and scalers[0].get_scale() == 2.0 ** 10   # used, no overflow
    assert len(ref_norms) == 16 and _GradNorms.log == ref_norms
    for (k, a), b in zip(est.module_.state_dict().items(), ref.module_.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)
    assert [r["train_loss"] for r in est.history_] == [r["train_loss"] for r in ref.history_]


# ---- one synchronisation per epoch --------------------------------------------------------
@contextlib.contextmanager
def _count_syncs():
    """Count reads of tensor values by the host (``item``, ``float``, ``tolist``).

    torch's optimizers read their step counter, a CPU tensor even on a GPU, with ``item``:
    those reads are not synchronisations and are not counted.
    """
    calls = {"n": 0}
    originals = {name: getattr(torch.Tensor, name) for name in ("item", "__float__", "tolist")}
    optim_dir = os.path.dirname(torch.optim.__file__)

    def wrap(fn):
        def inner(self, *a, **k):
            if not sys._getframe(1).f_code.co_filename.startswith(optim_dir):
                calls["n"] += 1
            return fn(self, *a, **k)
        return inner

    for name, fn in originals.items():
        setattr(torch.Tensor, name, wrap(fn))
    try:
        yield calls
    finally:
        for name, fn in originals.items():
            setattr(torch.Tensor, name, fn)


def test_host_syncs_per_epoch_do_not_grow_with_the_number_of_batches(monkeypatch):
    # the accelerator branch (losses kept on the device) taken on the CPU
    monkeypatch.setattr(engine, "_keep_on_device", lambda device: True)
    counts = {}
    for batch_size in (32, 4):    # 2 and 16 batches per epoch
        with _count_syncs() as calls:
            est = _Est(batch_size=batch_size, max_epochs=2).fit(_data())
        counts[batch_size] = calls["n"]
        rows = est.history_
        assert len(rows) == 2 and all(np.isfinite(r["train_loss"]) for r in rows)
        assert rows[0]["half"] == pytest.approx(rows[0]["recon"] / 2)
    assert counts[4] == counts[32], counts


def test_epoch_loss_is_the_mean_of_the_batch_losses(monkeypatch):
    monkeypatch.setattr(engine, "_keep_on_device", lambda device: True)
    est = _Est(batch_size=8).fit(_data())
    ref = _Est(batch_size=8)
    monkeypatch.undo()
    ref.fit(_data())
    for a, b in zip(est.history_, ref.history_):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-6)
        assert a["recon"] == pytest.approx(b["recon"], rel=1e-6)


def test_inference_copies_outputs_in_groups_on_an_accelerator(monkeypatch):
    X = _data(n=200)
    est = _Est().fit(X)
    refs = {bs: est.set_params(batch_size=bs).transform(X) for bs in (100, 5)}
    monkeypatch.setattr(engine, "_keep_on_device", lambda device: True)
    counts = {}
    for batch_size in (100, 5):     # 2 and 40 batches
        est.set_params(batch_size=batch_size)
        with _count_syncs() as calls:
            Z = est.transform(X)
        counts[batch_size] = calls["n"]
        np.testing.assert_array_equal(Z, refs[batch_size])
    assert counts[5] == counts[100], counts
    bad = X.copy()
    bad[150, 0] = 1e30
    with pytest.raises(ValueError, match="too large for float32 inference"):
        est.transform(bad)


class _NaNAfter(torch.nn.Module):
    calls = 0

    def forward(self, y_pred, y_true, X):
        type(self).calls += 1
        loss = ((y_pred - X) ** 2).mean()
        return loss * float("nan") if type(self).calls == 3 else loss


def test_deferred_divergence_check_names_the_bad_batch(monkeypatch):
    monkeypatch.setattr(engine, "_keep_on_device", lambda device: True)
    _NaNAfter.calls = 0
    est = _Est(batch_size=8)
    est._check_engine_params()
    with pytest.raises(TrainingDivergedError, match="epoch 1, batch 3"):
        est._train_module(_Net, _data(), module_params={"n_features": 6},
                          criterion=_NaNAfter, random_state=0)


# ---- data moved to the device once -------------------------------------------------------
def test_resident_training_data_gives_the_same_fit(monkeypatch):
    X = _data()
    ref = _Est().fit(X)
    seen = []
    take = engine._take

    def spy(data, idx):
        seen.append(type(data))
        return take(data, idx)

    monkeypatch.setattr(engine, "_keep_on_device", lambda device: True)
    monkeypatch.setattr(engine, "_take", spy)
    est = _Est().fit(X)
    assert seen and set(seen) == {torch.Tensor}   # batches gathered from tensors
    for (k, a), b in zip(est.module_.state_dict().items(), ref.module_.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)


def test_resident_data_is_kept_on_the_host_when_it_does_not_fit(monkeypatch):
    X = {"a": np.zeros((10, 3), np.float32)}
    y = np.zeros(10, np.int64)
    monkeypatch.setattr(engine, "_keep_on_device", lambda device: True)
    monkeypatch.setattr(engine, "_device_bytes_free", lambda device: 2 * (120 + 80))
    # the CPU plays the accelerator
    Xd, yd = engine._resident_data(X, y, "cpu", 0)
    assert isinstance(Xd["a"], torch.Tensor) and isinstance(yd, torch.Tensor)
    monkeypatch.setattr(engine, "_device_bytes_free", lambda device: 2 * (120 + 80) - 2)
    Xh, yh = engine._resident_data(X, y, "cpu", 0)
    assert Xh["a"] is X["a"] and yh is y
    assert engine._resident_data(X, y, "cpu", 2)[1] is y   # workers read host arrays
    monkeypatch.undo()
    assert engine._resident_data(X, y, "cpu", 0)[1] is y


def test_dsc_targets_and_fields_on_the_device_give_the_same_fit(monkeypatch):
    X, _ = make_climate_fields(n_times=48, n_regimes=2, grid_shape=(8, 8), random_state=0)
    params = dict(n_clusters=2, embedding_dim=4, conv_channels=(4,), lstm_hidden_size=4,
                  dense_units=(8,), pretrain_epochs=1, max_epochs=2, update_interval=2,
                  tol=0.0, n_threads=1, device="cpu", random_state=0)
    ref = DeepSpatiotemporalClustering(**params).fit(X)
    monkeypatch.setattr(engine, "_keep_on_device", lambda device: True)
    est = DeepSpatiotemporalClustering(**params).fit(X)
    np.testing.assert_array_equal(est.labels_, ref.labels_)
    np.testing.assert_allclose(est.transform(X), ref.transform(X), rtol=1e-5, atol=1e-6)
    assert [r["train_loss"] for r in est.history_] == pytest.approx(
        [r["train_loss"] for r in ref.history_], rel=1e-6)
    assert est.history_[-1]["n_target_updates"] == ref.history_[-1]["n_target_updates"] > 1


def test_multimodal_dec_targets_on_the_device(monkeypatch):
    X, y = make_water_bodies(64, n_timesteps=8, map_size=16, random_state=0)
    params = dict(n_clusters=2, spatial_shape=(16, 16), embedding_dim=8, conv_channels=(4, 8),
                  lstm_hidden_size=8, clustering_loss="idec", constraint_start=0.5,
                  max_epochs=4, batch_size=16, device="cpu", n_threads=1, random_state=0)
    ref = MultimodalConstrainedAE(**params).fit(X)
    assert ref.history_[-1]["constraint"] > 0 and len(np.unique(ref.labels_)) == 2
    monkeypatch.setattr(engine, "_keep_on_device", lambda device: True)
    est = MultimodalConstrainedAE(**params).fit(X)
    np.testing.assert_allclose(est.transform(X), ref.transform(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(est.labels_, ref.labels_)


# ---- cudnn.benchmark --------------------------------------------------------------------
def test_cudnn_benchmark_is_scoped_to_cuda_work():
    before = torch.backends.cudnn.benchmark
    try:
        torch.backends.cudnn.benchmark = False
        with cudnn_benchmark("cuda:0"):
            assert torch.backends.cudnn.benchmark is True
        assert torch.backends.cudnn.benchmark is False
        with pytest.raises(RuntimeError), cudnn_benchmark("cuda"):
            raise RuntimeError
        assert torch.backends.cudnn.benchmark is False   # restored after an error too
        with cudnn_benchmark("cpu"):
            assert torch.backends.cudnn.benchmark is False
    finally:
        torch.backends.cudnn.benchmark = before


def test_fit_and_predict_run_inside_the_cudnn_switch(monkeypatch):
    entered, flags = [], []
    real = engine.cudnn_benchmark

    @contextlib.contextmanager
    def spy(device):
        entered.append(device)
        with real("cuda"):   # what a CUDA fit does
            yield

    class _Flag(torch.nn.Module):
        def forward(self, y_pred, y_true, X):
            flags.append(torch.backends.cudnn.benchmark)
            return ((y_pred - X) ** 2).mean()

    before = torch.backends.cudnn.benchmark
    monkeypatch.setattr(engine, "cudnn_benchmark", spy)
    est = _Est()
    est._check_engine_params()
    module, _ = est._train_module(_Net, _data(), module_params={"n_features": 6},
                                  criterion=_Flag, random_state=0)
    est.module_ = module
    est._predict_module(lambda m, xb: m(xb), _data())
    assert entered == ["cpu", "cpu"] and flags and all(flags)
    assert torch.backends.cudnn.benchmark == before


# ---- channels-last ----------------------------------------------------------------------
def _conv_cases():
    torch.manual_seed(0)
    yield (TileNet(in_channels=3, embedding_dim=8, n_blocks=(1, 1), base_width=4).eval(),
           lambda m, x: m.encode(x), torch.randn(4, 3, 16, 16))
    mm = MultimodalAutoencoder(spatial_shape=(16, 16), n_timesteps=6, embedding_dim=4,
                               conv_channels=(4, 8), lstm_hidden_size=4).eval()
    yield mm, lambda m, x: m.encode(maps=x, series=torch.ones(4, 6)), torch.randn(4, 16, 16)
    dsc = CNNLSTMAutoencoder(2, (8, 8), conv_channels=(4, 8), lstm_hidden_size=4,
                             embedding_dim=4, n_clusters=2).eval()
    yield dsc, lambda m, x: m.encode(x), torch.randn(4, 1, 2, 8, 8)


@pytest.mark.parametrize("case", range(3))
def test_conv_encoders_accept_channels_last(case):
    module, fn, x = list(_conv_cases())[case]
    with torch.no_grad():
        ref = fn(module, x)
        module.to(memory_format=torch.channels_last)
        assert any(p.dim() == 4 and p.is_contiguous(memory_format=torch.channels_last)
                   and not p.is_contiguous() for p in module.parameters())
        out = fn(module, engine._to_channels_last(x))
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)


def test_channels_last_training_path(monkeypatch, tmp_path):
    X, y = make_water_bodies(32, n_timesteps=8, map_size=16, random_state=0)
    params = dict(spatial_shape=(16, 16), embedding_dim=4, conv_channels=(4, 8),
                  lstm_hidden_size=4, hidden_units=4, max_epochs=1, batch_size=16,
                  device="cpu", n_threads=1, random_state=0)
    ref = MultimodalClassifier(**params).fit(X, y)
    monkeypatch.setattr(engine, "_use_channels_last", lambda device, module: any(
        isinstance(m, torch.nn.Conv2d) for m in module.modules()))
    est = MultimodalClassifier(**params).fit(X, y)
    assert any(p.dim() == 4 and not p.is_contiguous() for p in est.module_.parameters())
    # trained through the channels-last path: the same losses up to kernel rounding
    for a, b in zip(est.history_, ref.history_):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
    proba = est.predict_proba(X)
    # the same weights run in the default layout give the same outputs
    monkeypatch.undo()
    plain = pickle.loads(pickle.dumps(est))
    plain.module_ = plain.module_.to(memory_format=torch.contiguous_format)
    assert all(p.is_contiguous() for p in plain.module_.parameters())
    np.testing.assert_allclose(plain.predict_proba(X), proba, rtol=1e-5, atol=1e-6)
    # and it saves and loads (skstc's pickle-free format) with its precision parameter
    path = tmp_path / "clf.skstc"
    save(est.set_params(precision="fp32"), path)
    loaded = load(path)
    assert loaded.get_params()["precision"] == "fp32"
    np.testing.assert_allclose(loaded.predict_proba(X), proba, rtol=1e-5, atol=1e-6)


# ---- a model trained on an accelerator is pickled with CPU weights ---------------------
def test_accelerator_modules_are_pickled_on_the_cpu(monkeypatch):
    est = _Est().fit(_data())
    moved = []
    monkeypatch.setattr(engine, "_on_accelerator", lambda obj: moved.append(obj) or True)
    state = est.__getstate__()
    assert moved and state["module_"] is not est.module_   # a CPU copy, not the live module
    assert all(p.device.type == "cpu" for p in state["module_"].parameters())
