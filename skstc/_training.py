"""The one training engine: skorch as a private glue layer under every skstc estimator.

Public estimators inherit :class:`TorchEstimatorMixin` (never skorch's ``NeuralNet``) and call

* :meth:`TorchEstimatorMixin._train_module` to train a torch module through a private skorch
  net (seeding, threads, device, early stopping, progress, loss components in ``history_``);
* :meth:`TorchEstimatorMixin._predict_module` for batched, no-grad inference.

The engine parameters every deep estimator exposes, with scikit-learn/skorch names, are
``max_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``tol``, ``n_iter_no_change``,
``device``, ``n_threads``, ``num_workers``, ``callbacks``, ``verbose`` and ``random_state``.
They are documented once here and referenced from each estimator's docstring.

Criterion protocol
------------------
The criterion is a :class:`torch.nn.Module` *class* (or instance) whose
``forward(y_pred, y_true, X)`` returns a scalar tensor: ``y_pred`` is what the module's forward
returned for the batch (tensor, tuple or dict), ``y_true`` the batch's targets (``-1`` filled
when there are none) and ``X`` the batch input (a dict of tensors when the data was a dict). It
may set ``self.components_`` to a dict of floats each batch; their epoch means are recorded in
``history_``.
"""

import contextlib
import copy
import numbers
import os
import re
import threading
import time

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring, PrintLog
from skorch.utils import to_tensor
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler

from ._distributed import distributed_net_class, local_device
from .utils._random import draw_seed

__all__ = [
    "TorchEstimatorMixin",
    "StopTraining",
    "batch_loader",
    "document_engine_params",
    "effective_n_threads",
    "resolve_device",
]

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

ENGINE_PARAMS_DOC = """\
optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch optimizer class, default="adam"
    Optimizer; a class (or ``functools.partial`` of one) is called as
    ``optimizer(params, lr=lr)``.
tol : float, default=1e-4
    Relative decrease of the training loss that counts as an improvement for early stopping.
n_iter_no_change : int or None, default=None
    Stop when the training loss has not improved by ``tol`` for this many epochs; None
    trains for ``max_epochs``.
device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
    Torch device; "auto" takes CUDA when available, else the CPU.
n_threads : int or None, default=None
    Torch intra-op threads during fit and transform, set and restored around the work.
    None: ``OMP_NUM_THREADS`` when set (joblib's workers set it), 1 outside the main thread,
    else the usable cores.
num_workers : int, default=0
    Data-loading worker processes.
callbacks : list of skorch callbacks or (name, callback) tuples, default=None
    Extra skorch callbacks run during training.
verbose : int, default=0
    0 is silent; 1 prints one progress line per epoch with the losses.
random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, data order and sampling through local generators; the
    global numpy and torch RNG states are left unchanged. None draws fresh OS entropy
    (never numpy's global RNG)."""


def _split_param_docs(text):
    """``{name: entry lines}`` of a numpydoc parameter list (entries start at column 0)."""
    entries, name = {}, None
    for line in text.split("\n"):
        if line and not line[0].isspace():
            name = line.split(" : ")[0]
            entries[name] = []
        entries[name].append(line)
    return entries


_ENGINE_PARAM_ENTRIES = _split_param_docs(ENGINE_PARAMS_DOC)
_MARKER = re.compile(r"^(?P<indent>\s*)<engine parameter: (?P<name>\w+)>\s*$")


def document_engine_params(cls):
    """Class decorator: fill ``<engine parameter: NAME>`` lines of the docstring.

    Each engine parameter whose meaning is the same in every estimator is documented once,
    in :data:`ENGINE_PARAMS_DOC`; an estimator's docstring holds a marker line per such
    parameter, in signature order, and writes out the ones it documents differently (its
    own defaults, or a parameter that does more there). The marker's indentation is kept, so
    it works whether or not the interpreter strips docstring indentation (Python >= 3.13
    does).
    """
    doc = cls.__doc__
    if doc is None:  # python -OO
        return cls
    out, found = [], False
    for line in doc.split("\n"):
        match = _MARKER.match(line)
        if match is None:
            out.append(line)
            continue
        name, indent = match["name"], match["indent"]
        if name not in _ENGINE_PARAM_ENTRIES:
            raise ValueError(f"{cls.__name__}: unknown engine parameter {name!r} in docstring.")
        out += [indent + row for row in _ENGINE_PARAM_ENTRIES[name]]
        found = True
    if not found:
        raise ValueError(f"{cls.__name__}'s docstring has no '<engine parameter: ...>' line.")
    cls.__doc__ = "\n".join(out)
    return cls


class StopTraining(Exception):
    """Raised by a callback to end training early (a convergence rule was met)."""


def resolve_device(device):
    """Map ``"auto"`` to ``"cuda"`` when available, else ``"cpu"``; validate the rest."""
    if device is None or device == "auto":
        return local_device("cuda") if torch.cuda.is_available() else "cpu"
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str) or not (device == "cpu" or device.startswith("cuda")
                                           or device == "mps"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}.")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available here.")
    return local_device(device)


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def effective_n_threads(n_threads):
    """Number of torch threads to use for ``n_threads`` (see the engine parameters).

    Parameters
    ----------
    n_threads : int or None
        Requested threads; -1 means all usable cores; None picks a default that avoids
        oversubscription (``OMP_NUM_THREADS`` if set, 1 outside the main thread, else the
        usable cores).

    Returns
    -------
    n : int
    """
    if n_threads is None:
        env = os.environ.get("OMP_NUM_THREADS", "")
        if env.strip().isdigit() and int(env) > 0:
            return int(env)
        if threading.current_thread() is not threading.main_thread():
            return 1
        return max(1, min(torch.get_num_threads(), _usable_cores()))
    if n_threads == -1:
        return _usable_cores()
    return int(n_threads)


@contextlib.contextmanager
def torch_threads(n):
    """Set torch intra-op threads to ``n`` and restore the previous value afterwards."""
    previous = torch.get_num_threads()
    if n != previous:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def _check_int(value, name, low, *, allow_none=False):
    if value is None and allow_none:
        return
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")


class _ComponentLog(Callback):
    """Record epoch means of the criterion's ``components_`` in the history."""

    def on_epoch_begin(self, net, **kwargs):
        self._sums, self._count = {}, 0

    def on_batch_end(self, net, training=True, **kwargs):
        comps = getattr(net.criterion_, "components_", None)
        if not training or not comps:
            return
        self._count += 1
        for key, val in comps.items():
            self._sums[key] = self._sums.get(key, 0.0) + float(val)

    def on_epoch_end(self, net, **kwargs):
        for key, total in self._sums.items():
            net.history.record(key, total / max(self._count, 1))


class _LossPlateau(Callback):
    """Stop when ``train_loss`` has not decreased by ``tol`` (relative) for ``patience`` epochs."""

    def __init__(self, tol, patience):
        self.tol = tol
        self.patience = patience

    def initialize(self):
        self.best_, self.wait_ = np.inf, 0
        return self

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        improved = not np.isfinite(self.best_) or loss < self.best_ - self.tol * abs(self.best_)
        if improved:
            self.best_, self.wait_ = loss, 0
        else:
            self.wait_ += 1
        net.history.record("epochs_without_improvement", self.wait_)
        if self.wait_ >= self.patience:
            raise StopTraining


class _Net(NeuralNet):
    """Private skorch net: criterion gets the batch input, clean stop, interrupt re-raised."""

    def __init__(self, *args, print_progress=False, **kwargs):
        self.print_progress = print_progress
        super().__init__(*args, **kwargs)

    @property
    def _default_callbacks(self):
        cbs = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("components", _ComponentLog()),
        ]
        if self.print_progress:
            cbs.append(("print_log", PrintLog(keys_ignored=["epochs_without_improvement"])))
        return cbs

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        X = to_tensor(X, device=self.device)
        return self.criterion_(y_pred, y_true, X)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except StopTraining:
            self.stopped_early_ = True
            return self
        except KeyboardInterrupt:
            self.interrupted_ = True
            raise


class _IndexedBatches(Dataset):
    """Wrap array data so that one item is a whole mini-batch fetched by fancy indexing.

    A DataLoader over per-sample items pays one ``__getitem__`` and one collate per sample;
    indexing the arrays once per batch removes that Python overhead.
    """

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return _n_items(self.X)

    def __getitem__(self, idx):
        idx = np.asarray(idx)
        return _take(self.X, idx), None if self.y is None else _take(self.y, idx)


def _take(X, idx):
    if isinstance(X, dict):
        return {k: _take(v, idx) for k, v in X.items()}
    return torch.as_tensor(np.ascontiguousarray(X[idx]))


def batch_loader(dataset, batch_sampler, num_workers=0):
    """DataLoader yielding the batches of ``batch_sampler`` (lists of indices) from ``dataset``.

    For skorch's array-backed datasets each batch is fetched with one fancy index, not per
    sample. Method-specific ``iterator_train`` callables (e.g. class-balanced batch samplers)
    should build their loader with this function.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch Dataset
        Training data as handed to ``iterator_train``.
    batch_sampler : iterable of index lists
        Yields the indices of each batch.
    num_workers : int, default=0
        Data-loading worker processes.
    """
    if _is_array_dataset(dataset):
        return DataLoader(_IndexedBatches(dataset.X, dataset.y), sampler=batch_sampler,
                          batch_size=None, num_workers=num_workers)
    return DataLoader(dataset, batch_sampler=batch_sampler, num_workers=num_workers)


def _is_array_dataset(dataset):
    from skorch.dataset import Dataset as SkorchDataset

    if type(dataset) is not SkorchDataset:
        return False
    X = dataset.X
    arrays = X.values() if isinstance(X, dict) else [X]
    return all(isinstance(a, np.ndarray) for a in arrays) and (
        dataset.y is None or isinstance(dataset.y, np.ndarray))


class _LoaderFactory:
    """Build the training loader (or a custom iterator) with a seeded generator."""

    def __init__(self, seed, num_workers, iterator=None):
        self.seed = seed
        self.num_workers = num_workers
        self.iterator = iterator

    def __call__(self, dataset, batch_size, **kwargs):
        gen = torch.Generator()
        gen.manual_seed(self.seed)
        if self.iterator is not None:
            return self.iterator(dataset, batch_size=batch_size, generator=gen,
                                 num_workers=self.num_workers)
        sampler = BatchSampler(RandomSampler(range(len(dataset)), generator=gen), batch_size,
                               drop_last=False)
        return batch_loader(dataset, sampler, self.num_workers)


def _history_records(history):
    records = []
    for row in history:
        records.append({k: v for k, v in row.items() if k != "batches"})
    return records


def _n_items(X):
    if isinstance(X, dict):
        return len(next(iter(X.values())))
    return len(X)


def _slice(X, start, stop):
    if isinstance(X, dict):
        return {k: _slice(v, start, stop) for k, v in X.items()}
    return X[start:stop]


def _pad_rows(X, size):
    """Zero-pad a batch tensor (or dict of them) along its first axis to ``size`` rows."""
    if isinstance(X, dict):
        return {k: _pad_rows(v, size) for k, v in X.items()}
    missing = size - len(X)
    if missing <= 0:
        return X
    return torch.cat([X, X.new_zeros((missing,) + tuple(X.shape[1:]))])


def _to_batch_tensor(X, device):
    if isinstance(X, dict):
        return {k: _to_batch_tensor(v, device) for k, v in X.items()}
    if isinstance(X, torch.Tensor):
        return X.to(device)
    return torch.as_tensor(np.ascontiguousarray(X)).to(device)


class TorchEstimatorMixin:
    """Mixin giving scikit-learn estimators a skorch-driven torch training engine.

    The estimator must define the engine parameters listed in this module's docstring.
    Fitted torch modules stored as attributes are moved to the CPU when pickled, so a model
    trained on a GPU unpickles on a CPU-only machine.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:
            # torch computes in float32 whatever the input dtype
            tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # ---- parameters -------------------------------------------------------------------
    def _check_engine_params(self):
        """Validate the engine hyper-parameters with clear messages."""
        _check_int(self.max_epochs, "max_epochs", 1)
        _check_int(self.batch_size, "batch_size", 1)
        if not isinstance(self.lr, numbers.Real) or not self.lr > 0:
            raise ValueError(f"lr must be a positive float, got {self.lr!r}.")
        if isinstance(self.optimizer, str):
            if self.optimizer.lower() not in _OPTIMIZERS:
                raise ValueError(
                    f"optimizer must be one of {sorted(_OPTIMIZERS)} or a torch optimizer "
                    f"class, got {self.optimizer!r}.")
        elif not callable(self.optimizer):
            raise TypeError(f"optimizer must be a string or a callable, got {self.optimizer!r}.")
        if not isinstance(self.tol, numbers.Real) or self.tol < 0:
            raise ValueError(f"tol must be a float >= 0, got {self.tol!r}.")
        _check_int(self.n_iter_no_change, "n_iter_no_change", 1, allow_none=True)
        if self.n_threads is not None and self.n_threads != -1:
            _check_int(self.n_threads, "n_threads", 1)
        _check_int(self.num_workers, "num_workers", 0)
        resolve_device(self.device)

    def _optimizer_class(self):
        if isinstance(self.optimizer, str):
            return _OPTIMIZERS[self.optimizer.lower()]
        return self.optimizer

    def _user_callbacks(self):
        cbs = []
        for i, cb in enumerate(self.callbacks or []):
            if isinstance(cb, tuple):
                cbs.append((cb[0], copy.deepcopy(cb[1])))
            else:
                cbs.append((f"user_{i}_{type(cb).__name__}", copy.deepcopy(cb)))
        return cbs

    # ---- training -----------------------------------------------------------------------
    def _train_module(self, module, X, y=None, *, module_params=None, criterion=None,
                      criterion_params=None, random_state=None, max_epochs=None,
                      batch_size=None, lr=None, iterator_train=None, callbacks=()):
        """Train a torch module through a private skorch net.

        Parameters
        ----------
        module : torch.nn.Module class or instance
            A class is instantiated with ``module_params`` under the seeded RNG; an instance
            (e.g. a fitted encoder to fine-tune) is trained further as is.
        X : ndarray, dict of ndarrays, or torch Dataset
            Training data; a dict is passed to the module's forward as keyword arguments; a
            Dataset must yield ``(x, y)`` pairs.
        y : ndarray or None, default=None
            Targets; None passes ``-1`` for every sample (or nothing for a Dataset).
        module_params, criterion_params : dict or None
            Constructor arguments.
        criterion : torch.nn.Module class or instance
            Loss following the criterion protocol (module docstring).
        random_state : None, int or RandomState
            Source of the seed; the global torch RNG is forked, so it is unchanged afterwards.
        max_epochs, batch_size, lr : optional
            Override the estimator's values (e.g. a refinement phase).
        iterator_train : callable or None
            ``iterator_train(dataset, batch_size=, generator=, num_workers=)`` returning an
            iterable of batches (a custom batch sampler); None shuffles with a seeded generator.
        callbacks : sequence of (name, skorch callback)
            Method-specific callbacks, run before the user's ``callbacks``.

        Returns
        -------
        module : torch.nn.Module
            The trained module, in eval mode, on the training device.
        history : list of dict
            One record per epoch: ``epoch``, ``train_loss``, ``dur`` and loss components.
        """
        device = resolve_device(self.device)
        seed = draw_seed(random_state)
        max_epochs = self.max_epochs if max_epochs is None else max_epochs
        batch_size = self.batch_size if batch_size is None else batch_size
        cbs = list(callbacks)
        if self.n_iter_no_change is not None:
            cbs.append(("loss_plateau", _LossPlateau(self.tol, self.n_iter_no_change)))
        cbs += self._user_callbacks()

        if not isinstance(X, Dataset) and y is None:
            y = np.full(_n_items(X), -1, dtype=np.int64)
        module_kwargs = {}
        if isinstance(module, torch.nn.Module):
            if module_params:
                raise ValueError("module_params cannot be given with a module instance.")
        else:
            module_kwargs = {f"module__{k}": v for k, v in (module_params or {}).items()}
        criterion_kwargs = {f"criterion__{k}": v for k, v in (criterion_params or {}).items()}

        net = distributed_net_class(_Net)(
            module,
            criterion=criterion,
            optimizer=self._optimizer_class(),
            lr=self.lr if lr is None else lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=None,
            iterator_train=_LoaderFactory(seed + 1, self.num_workers, iterator_train),
            callbacks=cbs,
            device=device,
            verbose=int(self.verbose),
            print_progress=bool(self.verbose),
            **module_kwargs,
            **criterion_kwargs,
        )
        cuda_devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch_threads(effective_n_threads(self.n_threads)), \
                torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(seed)
            net.fit(X, y)
        if getattr(net, "interrupted_", False):
            raise KeyboardInterrupt
        trained = net.module_
        trained.eval()
        return trained, _history_records(net.history)

    # ---- inference ----------------------------------------------------------------------
    def _predict_module(self, fn, X, *, module=None, batch_size=None):
        """Run ``fn(module, batch)`` over ``X`` in batches without gradients.

        Parameters
        ----------
        fn : callable
            ``fn(module, batch) -> tensor or tuple of tensors``; ``batch`` is a tensor, or a
            dict of tensors when ``X`` is a dict.
        X : ndarray, dict of ndarrays or torch Dataset
            Data; numpy batches are converted one at a time, so memory grows with the output
            only.
        module : torch.nn.Module or None, default=None
            Defaults to ``self.module_``.
        batch_size : int or None, default=None
            Defaults to the estimator's ``batch_size``.

        Returns
        -------
        out : ndarray or tuple of ndarrays
        """
        module = self.module_ if module is None else module
        device = resolve_device(self.device)
        batch_size = batch_size or self.batch_size
        module.to(device)
        was_training = module.training
        module.eval()
        if isinstance(X, Dataset):
            n = len(X)
            batches = (b[0] if isinstance(b, (tuple, list)) else b
                       for b in DataLoader(X, batch_size=batch_size, shuffle=False))
        else:
            n = _n_items(X)
            batches = (_slice(X, s, s + batch_size) for s in range(0, n, batch_size))
        if n == 0:
            raise ValueError("Cannot run the model on an empty input (0 samples).")
        # Batches are written into preallocated outputs: peak memory = one output + one batch.
        outs, single, start = None, False, 0
        try:
            with torch_threads(effective_n_threads(self.n_threads)), torch.no_grad():
                for batch in batches:
                    batch = _to_batch_tensor(batch, device)
                    rows = _n_items(batch)
                    # Every batch is padded to ``batch_size`` rows: float32 kernels round a
                    # row differently for different batch lengths, so a fixed length makes
                    # each sample's output independent of its neighbours and of the order.
                    res = fn(module, _pad_rows(batch, batch_size))
                    single = not isinstance(res, (tuple, list))
                    parts = [r.detach()[:rows].cpu().numpy()
                             for r in ((res,) if single else res)]
                    if outs is None:
                        outs = [np.empty((n,) + p.shape[1:], dtype=p.dtype) for p in parts]
                    stop = start + rows
                    for out, part in zip(outs, parts):
                        out[start:stop] = part
                    start = stop
        finally:
            module.train(was_training)
        if start != n:
            raise RuntimeError(f"the model returned {start} rows for {n} samples.")
        return outs[0] if single else tuple(outs)

    # ---- pickling -----------------------------------------------------------------------
    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else dict(
            self.__dict__)
        state = dict(state)
        for key, val in list(state.items()):
            if isinstance(val, (torch.nn.Module, torch.Tensor)) and _on_accelerator(val):
                state[key] = copy.deepcopy(val).cpu()
        return state


def _on_accelerator(obj):
    if isinstance(obj, torch.Tensor):
        return obj.device.type != "cpu"
    for p in obj.parameters():
        return p.device.type != "cpu"
    for b in obj.buffers():
        return b.device.type != "cpu"
    return False


def timed(fn, *args, repeat=1, **kwargs):
    """Return the best wall time of ``repeat`` calls of ``fn`` (for benchmarks)."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best
