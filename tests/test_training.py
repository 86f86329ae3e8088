"""Unit tests of the training engine (skstc._training) through a minimal estimator."""

import pickle
import threading

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils.estimator_checks import check_estimator
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback

from skstc._training import (
    StopTraining,
    TorchEstimatorMixin,
    effective_n_threads,
    resolve_device,
)
from skstc.utils._random import local_random_state


class _AE(torch.nn.Module):
    def __init__(self, n_features, n_hidden=3, dropout=0.1):
        super().__init__()
        self.enc = torch.nn.Sequential(torch.nn.Linear(n_features, n_hidden), torch.nn.Tanh())
        self.drop = torch.nn.Dropout(dropout)
        self.dec = torch.nn.Linear(n_hidden, n_features)

    def forward(self, x):
        return self.dec(self.drop(self.enc(x)))


class _ReconLoss(torch.nn.Module):
    def forward(self, y_pred, y_true, X):
        mse = ((y_pred - X) ** 2).mean()
        self.components_ = {"recon": float(mse)}
        return mse


class EngineAE(TorchEstimatorMixin, TransformerMixin, BaseEstimator):
    """Smallest estimator on the engine: a dense autoencoder (test fixture only)."""

    _parameter_constraints = {"n_hidden": [int],
                              **TorchEstimatorMixin._engine_parameter_constraints}

    def __init__(self, n_hidden=3, *, max_epochs=5, batch_size=16, lr=1e-2, optimizer="adam",
                 tol=1e-4, n_iter_no_change=None, device="auto", n_threads=1, num_workers=0,
                 callbacks=None, verbose=0, random_state=None):
        self.n_hidden = n_hidden
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        self._check_engine_params()
        X = validate_data(self, X, dtype=np.float32)
        rng = local_random_state(self.random_state)
        self.module_, self.history_ = self._train_module(
            _AE, X, module_params={"n_features": X.shape[1], "n_hidden": self.n_hidden},
            criterion=_ReconLoss, random_state=rng)
        self.n_iter_ = len(self.history_)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return self._predict_module(lambda m, xb: m.enc(xb), X)


def _data(n=64, p=6, seed=0):
    return np.random.RandomState(seed).randn(n, p).astype(np.float32)


def _weights(est):
    return {k: v.detach().cpu().numpy().copy() for k, v in est.module_.state_dict().items()}


def test_engine_estimator_passes_sklearn_checks():
    check_estimator(EngineAE(max_epochs=2, random_state=0))


def test_same_seed_same_weights_and_output():
    X = _data()
    a = EngineAE(random_state=3).fit(X)
    b = EngineAE(random_state=3).fit(X)
    for k, v in _weights(a).items():
        np.testing.assert_array_equal(v, _weights(b)[k])
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = EngineAE(random_state=4).fit(X)
    assert not np.allclose(a.transform(X), c.transform(X))


def test_global_rng_state_unchanged():
    X = _data()
    torch_state = torch.get_rng_state().clone()
    np_state = np.random.get_state()
    EngineAE(random_state=0).fit(X).transform(X)
    EngineAE(random_state=None).fit(X)
    assert torch.equal(torch_state, torch.get_rng_state())
    after = np.random.get_state()
    assert np_state[0] == after[0] and np.array_equal(np_state[1], after[1])
    assert np_state[2:] == after[2:]


def test_random_state_instance_is_advanced_not_reset():
    X = _data()
    rng = np.random.RandomState(0)
    a = EngineAE(random_state=rng).fit(X).transform(X)
    b = EngineAE(random_state=rng).fit(X).transform(X)
    assert not np.allclose(a, b)


def test_threads_set_and_restored():
    seen = []

    class Spy(Callback):
        def on_epoch_end(self, net, **kwargs):
            seen.append(torch.get_num_threads())

    before = torch.get_num_threads()
    EngineAE(n_threads=1, max_epochs=2, callbacks=[Spy()], random_state=0).fit(_data())
    assert seen == [1, 1]
    assert torch.get_num_threads() == before


def test_default_threads_avoid_oversubscription(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert effective_n_threads(None) == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    out = []
    t = threading.Thread(target=lambda: out.append(effective_n_threads(None)))
    t.start()
    t.join()
    assert out == [1]
    assert effective_n_threads(2) == 2
    assert effective_n_threads(-1) >= 1


def test_early_stopping_on_train_loss_recorded_in_history():
    X = _data()
    est = EngineAE(max_epochs=200, lr=0.05, tol=0.5, n_iter_no_change=2, random_state=0).fit(X)
    assert est.n_iter_ < 200
    assert est.history_[-1]["epochs_without_improvement"] == 2
    full = EngineAE(max_epochs=7, random_state=0).fit(X)
    assert full.n_iter_ == 7
    assert {"epoch", "train_loss", "dur", "recon"} <= set(full.history_[0])
    assert np.isclose(full.history_[0]["recon"], full.history_[0]["train_loss"], rtol=1e-4)


def test_training_reduces_loss():
    X = _data(256)
    est = EngineAE(max_epochs=30, lr=1e-2, random_state=0).fit(X)
    losses = [h["train_loss"] for h in est.history_]
    assert losses[-1] < 0.8 * losses[0]


def test_callback_can_stop_training():
    class StopAt3(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 3:
                raise StopTraining

    est = EngineAE(max_epochs=50, callbacks=[("stop", StopAt3())], random_state=0).fit(_data())
    assert est.n_iter_ == 3


def test_keyboard_interrupt_propagates():
    class Interrupt(Callback):
        def on_epoch_end(self, net, **kwargs):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        EngineAE(callbacks=[Interrupt()], random_state=0).fit(_data())


def test_progress_printed_when_verbose(capsys):
    EngineAE(max_epochs=3, verbose=1, random_state=0).fit(_data())
    out = capsys.readouterr().out
    assert "train_loss" in out and "recon" in out
    assert len([line for line in out.splitlines() if line.strip().startswith(("1", "2", "3"))]) == 3
    EngineAE(max_epochs=3, verbose=0, random_state=0).fit(_data())
    assert capsys.readouterr().out == ""


def test_pickle_roundtrip_identical_transform():
    X = _data()
    est = EngineAE(random_state=0).fit(X)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(est.transform(X), loaded.transform(X))
    assert clone(est).get_params() == est.get_params()


def test_pickle_moves_accelerator_modules_to_cpu(monkeypatch):
    # Simulate a module trained on an accelerator: __getstate__ must hand over CPU copies.
    est = EngineAE(random_state=0).fit(_data())
    import skstc._training as tr

    monkeypatch.setattr(tr, "_on_accelerator", lambda obj: isinstance(obj, torch.nn.Module))
    state = est.__getstate__()
    assert state["module_"] is not est.module_
    assert all(p.device.type == "cpu" for p in state["module_"].parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_model_unpickles_on_cpu():  # pragma: no cover - GPU machines only
    X = _data()
    est = EngineAE(device="cuda", random_state=0).fit(X)
    loaded = pickle.loads(pickle.dumps(est))
    assert next(loaded.module_.parameters()).device.type == "cpu"


def test_nothing_written_to_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    est = EngineAE(verbose=1, random_state=0).fit(_data())
    pickle.dumps(est)
    assert list(tmp_path.iterdir()) == []


def test_device_resolution_and_param_errors():
    assert resolve_device("auto") in ("cpu", "cuda")
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")
    X = _data()
    for bad, match in [({"max_epochs": 0}, "max_epochs"), ({"batch_size": -2}, "batch_size"),
                       ({"lr": 0}, "lr"), ({"optimizer": "lbfgs-ish"}, "optimizer"),
                       ({"n_iter_no_change": 0}, "n_iter_no_change"),
                       ({"n_threads": 0}, "n_threads"), ({"device": "gpu"}, "device")]:
        with pytest.raises(ValueError, match=match):
            EngineAE(**bad).fit(X)


def test_optimizer_class_accepted():
    est = EngineAE(optimizer=torch.optim.SGD, max_epochs=2, random_state=0).fit(_data())
    assert est.n_iter_ == 2


def test_predict_module_streams_and_handles_dict_and_empty():
    est = EngineAE(random_state=0).fit(_data())
    X = _data(50)
    full = est._predict_module(lambda m, xb: m.enc(xb), X, batch_size=7)
    # float32 kernels round differently for different batch lengths: equal to rounding
    np.testing.assert_allclose(full, est.transform(X), rtol=1e-6, atol=1e-7)
    # at a fixed batch_size every row is independent of its neighbours and of the order
    perm = np.random.RandomState(0).permutation(50)
    permuted = est._predict_module(lambda m, xb: m.enc(xb), X[perm], batch_size=7)
    np.testing.assert_array_equal(permuted, full[perm])
    np.testing.assert_array_equal(
        est._predict_module(lambda m, xb: m.enc(xb), X[:9], batch_size=7), full[:9])
    both = est._predict_module(lambda m, xb: (m.enc(xb["a"]), xb["a"]), {"a": X}, batch_size=8)
    assert both[0].shape == (50, 3) and both[1].shape == (50, 6)
    with pytest.raises(ValueError, match="empty"):
        est._predict_module(lambda m, xb: m.enc(xb), X[:0])


def _threads_during_fit(seed):
    seen = []

    class Spy(Callback):
        def on_epoch_end(self, net, **kwargs):
            seen.append(torch.get_num_threads())

    EngineAE(n_threads=None, max_epochs=1, callbacks=[Spy()], random_state=seed).fit(_data())
    return seen


def test_default_threads_inside_joblib_workers_is_one():
    from joblib import Parallel, delayed

    for backend in ("loky", "threading"):
        seen = Parallel(n_jobs=2, backend=backend)(delayed(_threads_during_fit)(s) for s in (0, 1))
        assert seen == [[1], [1]], backend


def test_batches_cover_data_once_per_epoch_and_custom_batch_sampler():
    from skstc._training import batch_loader

    sizes = []

    class Sizes(Callback):
        def on_batch_begin(self, net, batch=None, **kwargs):
            sizes.append(len(batch[0]))

    X = _data(50)
    EngineAE(max_epochs=1, batch_size=16, callbacks=[Sizes()], random_state=0).fit(X)
    assert sizes == [16, 16, 16, 2]

    seen = []

    def fixed_batches(dataset, batch_size, generator, num_workers):
        return batch_loader(dataset, [[0, 1], [2, 3, 4]], num_workers)

    class Record(Callback):
        def on_batch_begin(self, net, batch=None, **kwargs):
            seen.append(batch[0].numpy().copy())

    est = EngineAE(callbacks=[Record()], random_state=0)
    est._check_engine_params()
    est._train_module(_AE, X, module_params={"n_features": 6}, criterion=_ReconLoss,
                      random_state=0, max_epochs=1, iterator_train=fixed_batches)
    np.testing.assert_array_equal(seen[0], X[[0, 1]])
    np.testing.assert_array_equal(seen[1], X[[2, 3, 4]])


def test_document_engine_params_fills_the_markers_at_their_indentation():
    from skstc._training import document_engine_params

    for indent in ("    ", ""):  # Python < 3.13 keeps docstring indentation, >= 3.13 strips it
        class Est:
            pass

        Est.__doc__ = (f"Title.\n\n{indent}Parameters\n{indent}----------\n"
                       f"{indent}lr : float\n{indent}    Step.\n"
                       f"{indent}<engine parameter: device>\n"
                       f"{indent}verbose : int\n{indent}    Own wording.\n"
                       f"{indent}<engine parameter: random_state>\n\n{indent}Attributes\n")
        document_engine_params(Est)
        lines = Est.__doc__.split("\n")
        assert "<engine" not in Est.__doc__
        names = [ln.strip().split(" : ")[0] for ln in lines
                 if " : " in ln and not ln[len(indent):].startswith(" ")]
        assert names == ["lr", "device", "verbose", "random_state"]
        assert f'{indent}    Torch device; "auto" takes CUDA when available, else the CPU.' in lines
        assert f"{indent}    Own wording." in lines

    class Unknown:
        """Title.

        <engine parameter: nonsense>
        """

    with pytest.raises(ValueError, match="unknown engine parameter 'nonsense'"):
        document_engine_params(Unknown)

    class NoMarker:
        """Title."""

    with pytest.raises(ValueError, match="no '<engine parameter"):
        document_engine_params(NoMarker)


def test_loader_factory_new_order_every_epoch_fixed_by_the_seed():
    from skstc._training import _LoaderFactory

    data = torch.utils.data.TensorDataset(torch.arange(40.0))

    def orders(seed, epochs=3):
        factory = _LoaderFactory(seed, 0)  # one factory per fit, called once per epoch
        return [torch.cat([b[0] for b in factory(data, batch_size=8)]).tolist()
                for _ in range(epochs)]

    first = orders(3)
    assert all(sorted(o) == list(range(40)) for o in first)
    assert first[0] != first[1] != first[2]       # a new batch order every epoch
    assert orders(3) == first                     # the same sequence for the same seed
    assert orders(4)[0] != first[0]
