"""The one training engine: skorch as a private glue layer under every skstc estimator.

Public estimators inherit :class:`TorchEstimatorMixin` (never skorch's ``NeuralNet``) and call

* :meth:`TorchEstimatorMixin._train_module` to train a torch module through a private skorch
  net (seeding, threads, device, early stopping, progress, loss components in ``history_``);
* :meth:`TorchEstimatorMixin._predict_module` for batched, no-grad inference.

The engine parameters every deep estimator exposes, with scikit-learn/skorch names, are
``max_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``tol``, ``n_iter_no_change``,
``device``, ``n_threads``, ``num_workers``, ``callbacks``, ``verbose``, ``random_state`` and
``precision``. They are documented once here and referenced from each estimator's docstring.

On a GPU the engine keeps array training data (and its targets) on the device for the whole
fit when it takes at most half of the free device memory, indexes batches there, and keeps
the batch losses and loss components on the device until the end of each epoch (one host
synchronisation per epoch instead of several per batch). ``torch.backends.cudnn.benchmark``
is switched on around CUDA fits and inference (every batch but the last has one shape) and
restored afterwards, and modules with 2-D convolutions run in the channels-last memory
format.

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
import logging
import math
import numbers
import os
import re
import sys
import threading
import time
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, Options, StrOptions
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator, to_tensor
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler

from ._distributed import distributed_net_class, local_device
from .utils._fitting import TransactionalFitMixin
from .utils._random import draw_seed
from .utils._validation import MAX_ABS_VALUE, check_float32_range

__all__ = [
    "TorchEstimatorMixin",
    "StopTraining",
    "TrainingDivergedError",
    "check_finite_embeddings",
    "batch_loader",
    "document_engine_params",
    "effective_n_threads",
    "resolve_device",
    "resolve_precision",
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
    -1 uses all usable cores. None never oversubscribes: ``OMP_NUM_THREADS`` when set
    (joblib's workers set it), 1 outside the main thread or on machines with at most 4
    cores, else the idle cores (usable cores minus the load average).
num_workers : int, default=0
    Data-loading worker processes.
callbacks : list of skorch callbacks or (name, callback) tuples, default=None
    Extra skorch callbacks run during training.
verbose : int, default=0
    0 is silent (except one warning when the fit is projected to take more than a few
    minutes); 1 prints, for each training phase, a header and one plain-text line per epoch
    with the losses, the epoch time and the phase's remaining time; 2 also prints the
    method's intermediate steps. Everything is also sent to the ``"skstc"`` logger.
random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, data order and sampling through local generators; the
    global numpy and torch RNG states are left unchanged. None draws fresh OS entropy
    (never numpy's global RNG).
precision : {"fp32", "bf16", "fp16"} or None, default=None
    Numerical precision of the forward pass and the loss, in training and inference. None
    and "fp32" compute in float32. "bf16" and "fp16" run them under ``torch.autocast``
    (mixed precision: weights, optimizer state and returned outputs stay float32), which
    is faster on GPUs with tensor cores; "fp16" adds dynamic loss scaling
    (``torch.amp.GradScaler``) on CUDA. Both are for accelerators: on a CPU "fp16" is
    refused (no half-precision arithmetic units, about 100x slower than float32) and
    "bf16" warns, since it is fast only on CPUs with native bfloat16 instructions
    (AVX512-BF16, AMX)."""


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


class TrainingDivergedError(ValueError):
    """Training produced a non-finite or exploding loss (or non-finite weights)."""


_FIXES = ("Likely fixes: lower the learning rate (lr={lr:g}), scale the input to values of "
          "order 1 (sklearn's StandardScaler or the scalers in skstc.preprocessing).")


def _batch_max_abs(X):
    """Largest finite |x| over the float tensors/arrays of a batch (dict, tuple or array)."""
    if isinstance(X, dict):
        return max((_batch_max_abs(v) for v in X.values()), default=0.0)
    if isinstance(X, (tuple, list)):
        return max((_batch_max_abs(v) for v in X), default=0.0)
    if isinstance(X, np.ndarray):
        X = torch.from_numpy(X)
    if not isinstance(X, torch.Tensor) or not X.is_floating_point() or X.numel() == 0:
        return 0.0
    finite = X[torch.isfinite(X)]
    return float(finite.abs().max()) if finite.numel() else 0.0


class _DivergenceGuard(Callback):
    """Stop training with :class:`TrainingDivergedError` on a non-finite or exploding loss.

    A batch loss that is NaN/inf, or more than ``factor`` times the loss of the first batch
    (floored at 1, so a tiny initial loss does not make the rule fragile), ends the fit with
    an error naming the epoch, the batch, the loss and the likely fixes. So do weights that
    grew past ``weight_factor`` times their largest initial magnitude (floored at 1): with
    batch or L2 normalisation a diverged network can keep a bounded loss (dead units, all
    embeddings equal) while its weights explode.

    On the CPU each batch's loss is checked as it comes. On an accelerator reading a loss
    waits for the device, so the losses of an epoch are kept there and checked together at
    its end (the error then names the first bad batch of the epoch).
    """

    def __init__(self, lr, factor=1e6, weight_factor=1e4):
        self.lr = lr
        self.factor = factor
        self.weight_factor = weight_factor

    def initialize(self):
        self.first_loss_ = None
        self.batch_ = 0
        self.initial_weight_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        self.initial_weight_ = _max_abs_weight(net.module_)
        self.deferred_ = _keep_on_device(net.device)
        self.pending_ = []

    def on_epoch_end(self, net, **kwargs):
        self._check_pending(net)
        peak = _max_abs_weight(net.module_)
        limit = self.weight_factor * max(self.initial_weight_ or 0.0, 1.0)
        if np.isfinite(peak) and peak <= limit:
            return
        raise TrainingDivergedError(
            f"Training diverged at epoch {len(net.history)}: the weights exploded (largest "
            f"|w| = {peak:.3g}, {self.initial_weight_:.3g} at the start; last epoch loss "
            f"{net.history[-1].get('train_loss', float('nan')):.3g}). "
            + _FIXES.format(lr=self.lr))

    def on_epoch_begin(self, net, **kwargs):
        self.batch_ = 0
        self.pending_ = []

    def on_train_end(self, net, **kwargs):
        self._check_pending(net)

    def on_batch_end(self, net, batch=None, training=True, loss=None, **kwargs):
        if not training or loss is None:
            return
        self.batch_ += 1
        if getattr(self, "deferred_", False) and isinstance(loss, torch.Tensor):
            self.pending_.append(loss.detach().float())
            return
        value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
        self._check_value(net, value, self.batch_, batch)

    def _check_pending(self, net):
        pending, self.pending_ = getattr(self, "pending_", []), []
        if not pending:
            return
        first = self.batch_ - len(pending) + 1
        for i, value in enumerate(torch.stack(pending).tolist()):  # one synchronisation
            self._check_value(net, value, first + i, None)

    def _check_value(self, net, value, batch_number, batch):
        if self.first_loss_ is None and np.isfinite(value):
            self.first_loss_ = value
        limit = self.factor * max(abs(self.first_loss_ or 0.0), 1.0)
        if np.isfinite(value) and value <= limit:
            return
        epoch = len(net.history)
        what = ("is not finite" if not np.isfinite(value) else
                f"exploded (more than {self.factor:g} x the first batch's loss "
                f"{self.first_loss_:.3g})")
        hint = ""
        if batch is not None:
            peak = _batch_max_abs(batch[0] if isinstance(batch, (tuple, list)) else batch)
            if peak > 1e3:
                hint = f" The input of this batch reaches |x| = {peak:.3g}: it looks unscaled."
        raise TrainingDivergedError(
            f"Training diverged at epoch {epoch}, batch {batch_number}: the training loss "
            f"{what} (loss={value:.3g}).{hint} " + _FIXES.format(lr=self.lr))


def _max_abs_weight(module):
    peaks = [p.detach().abs().max() for p in module.parameters()
             if p.requires_grad and p.numel()]
    return float(torch.stack(peaks).max()) if peaks else 0.0   # one synchronisation


def _check_finite_weights(module, lr):
    bad = [name for name, p in module.named_parameters() if not torch.isfinite(p).all()]
    if bad:
        raise TrainingDivergedError(
            f"Training diverged: the weights {bad[:3]} of the trained network are not finite. "
            + _FIXES.format(lr=lr))


def check_finite_embeddings(Z, name="the embeddings"):
    """Raise :class:`TrainingDivergedError` when ``Z`` holds NaN or inf (before clustering).

    Parameters
    ----------
    Z : ndarray
        Embeddings computed by a trained network.
    name : str, default="the embeddings"
        What ``Z`` is, for the message.
    """
    Z = np.asarray(Z)
    if Z.dtype.kind == "f" and not np.isfinite(Z).all():
        n_bad = int((~np.isfinite(Z)).any(axis=tuple(range(1, Z.ndim))).sum()) if Z.ndim > 1 \
            else int((~np.isfinite(Z)).sum())
        raise TrainingDivergedError(
            f"{name} of {n_bad} sample(s) are NaN or inf, so they cannot be clustered: the "
            "network overflowed (training diverged, or the input is too large). Lower the "
            "learning rate and scale the input to values of order 1.")


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


# On machines with at most this many usable cores the default is one thread: a second
# OpenMP thread gains little there and collapses (10x slower) as soon as another process
# keeps one of the cores busy.
_SMALL_MACHINE_CORES = 4


def _idle_cores(usable):
    """Usable cores minus the 1-minute load average (rounded up), at least 1."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - not Unix
        return usable
    return max(1, usable - int(np.ceil(load)))


def effective_n_threads(n_threads):
    """Number of torch threads to use for ``n_threads`` (see the engine parameters).

    Parameters
    ----------
    n_threads : int or None
        Requested threads; -1 means all usable cores. None picks a default that never
        oversubscribes the machine: ``OMP_NUM_THREADS`` if set; 1 outside the main thread;
        1 on machines with at most 4 usable cores; else the cores that are idle (usable
        cores minus the 1-minute load average), capped by torch's own default.

    Returns
    -------
    n : int

    Notes
    -----
    OpenMP threads wait for each other at every parallel region, so one thread sharing its
    core with another busy process stalls all of them: a fit with 2 threads on 2 cores runs
    about 10 times slower than with 1 thread as soon as another process keeps one core
    busy. Hence the conservative default; ask for more threads explicitly when the machine
    is yours alone.
    """
    if n_threads is None:
        env = os.environ.get("OMP_NUM_THREADS", "")
        if env.strip().isdigit() and int(env) > 0:
            return int(env)
        if threading.current_thread() is not threading.main_thread():
            return 1
        usable = _usable_cores()
        if usable <= _SMALL_MACHINE_CORES:
            return 1
        return max(1, min(torch.get_num_threads(), _idle_cores(usable)))
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


_PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_precision(precision, device, warn=False):
    """Autocast dtype of ``precision`` on ``device`` (None: plain float32), validated.

    Parameters
    ----------
    precision : {"fp32", "bf16", "fp16"} or None
        The estimator's ``precision``.
    device : str
        A resolved device name.
    warn : bool, default=False
        Warn when bfloat16 is requested on a CPU (checked once per fit).

    Returns
    -------
    dtype : torch.dtype or None
    """
    if precision is None:
        return None
    if not isinstance(precision, str) or precision not in _PRECISIONS:
        raise ValueError(f"precision must be None, 'fp32', 'bf16' or 'fp16', got "
                         f"{precision!r}.")
    dtype = _PRECISIONS[precision]
    if dtype is None or torch.device(device).type != "cpu":
        return dtype
    if dtype is torch.float16:
        raise ValueError(
            "precision='fp16' needs a GPU: CPUs have no float16 arithmetic units (it runs "
            "about 100x slower than float32 there) and float16 training needs loss scaling. "
            "Use precision=None on the CPU, or 'bf16' on a CPU with native bfloat16 "
            "instructions (AVX512-BF16, AMX).")
    if warn:
        warnings.warn(
            "precision='bf16' on the CPU: bfloat16 is fast only on CPUs with native "
            "bfloat16 instructions (AVX512-BF16, AMX); elsewhere it can be much slower than "
            "float32 (about 1.2 GFLOP/s for a matrix product on an AVX2 CPU) and it is less "
            "accurate. precision=None (float32) is the CPU default.",
            UserWarning, stacklevel=_caller_stacklevel())
    return dtype


def _autocast(device, dtype):
    """``torch.autocast`` on the device's type to ``dtype``; no-op for None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=dtype)


def _grad_scaler(device, dtype):
    """Dynamic loss scaling for float16 on CUDA, else None."""
    if dtype is torch.float16 and torch.device(device).type == "cuda":
        return torch.amp.GradScaler("cuda")
    return None


@contextlib.contextmanager
def cudnn_benchmark(device):
    """Switch ``torch.backends.cudnn.benchmark`` on for CUDA work, restore it afterwards.

    cuDNN then times its convolution algorithms once per input shape and keeps the fastest;
    the engine's batches have one shape (inference pads the last batch, training has at
    most one shorter last batch), so the search is paid once. Other devices are untouched.
    """
    if torch.device(device).type != "cuda":
        yield
        return
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def _use_channels_last(device, module):
    """Channels-last memory format on CUDA for modules with 2-D convolutions."""
    return torch.device(device).type == "cuda" and any(
        isinstance(m, torch.nn.Conv2d) for m in module.modules())


def _to_channels_last(X):
    """4-D float tensors (of a batch, dict or tuple) in the channels-last memory format."""
    if isinstance(X, dict):
        return {k: _to_channels_last(v) for k, v in X.items()}
    if isinstance(X, (tuple, list)):
        return type(X)(_to_channels_last(v) for v in X)
    if isinstance(X, torch.Tensor) and X.dim() == 4 and X.is_floating_point():
        return X.contiguous(memory_format=torch.channels_last)
    return X


def _keep_on_device(device):
    """Whether ``device`` is an accelerator, for which the engine keeps training data there
    and reads batch losses once per epoch (on the CPU both are free)."""
    return torch.device(device).type != "cpu"


def _device_bytes_free(device):
    if torch.device(device).type == "cuda":
        return torch.cuda.mem_get_info(torch.device(device))[0]
    return None


def _nbytes(X):
    if X is None:
        return 0
    if isinstance(X, dict):
        return sum(_nbytes(v) for v in X.values())
    return int(getattr(X, "nbytes", 0))


def _to_device(X, device):
    """numpy arrays (or a dict of them) as tensors on ``device``; other objects unchanged."""
    if isinstance(X, dict):
        return {k: _to_device(v, device) for k, v in X.items()}
    if isinstance(X, np.ndarray):
        return torch.as_tensor(np.ascontiguousarray(X)).to(device)
    return X


def fits_on_device(nbytes, device, num_workers=0):
    """Whether training data of ``nbytes`` bytes should live on ``device`` for a whole fit.

    True on an accelerator when the data takes at most half of its free memory (and no
    data-loading workers are used); always False on the CPU, where the data already is.
    """
    if num_workers or not _keep_on_device(device):
        return False
    free = _device_bytes_free(device)
    return free is None or nbytes <= free // 2


def _resident_data(X, y, device, num_workers):
    """``(X, y)`` moved to the training device once when they fit in half its free memory.

    Batches are then indexed on the device: no host-to-device copy per batch. Data that
    does not fit, data-loading workers and the CPU keep the arrays on the host.
    """
    if not fits_on_device(_nbytes(X) + _nbytes(y), device, num_workers):
        return X, y
    return _to_device(X, device), _to_device(y, device)


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
            # tensors are summed where they live and read once per epoch
            val = val.detach().float() if isinstance(val, torch.Tensor) else float(val)
            self._sums[key] = self._sums.get(key, 0.0) + val

    def on_epoch_end(self, net, **kwargs):
        for key, total in self._sums.items():
            net.history.record(key, float(total) / max(self._count, 1))


logger = logging.getLogger("skstc")

# A fit projected to take longer than this (seconds) warns once, whatever ``verbose``.
_LONG_FIT_SECONDS = 300.0
# The projection is made at the end of the first epoch, or earlier, once the first epoch has
# run this long (seconds), from the time per batch.
_PROBE_SECONDS = 5.0
# With verbose, an epoch running longer than this prints a progress line every such interval.
_HEARTBEAT_SECONDS = 30.0
_clock = time.perf_counter


def format_seconds(seconds):
    """``12.3s``, ``4m05s`` or ``1h02m``: a duration for progress lines and messages."""
    if seconds is None or not np.isfinite(seconds):
        return "-"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        minutes, sec = divmod(int(round(seconds)), 60)
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(int(round(seconds / 60)), 60)
    return f"{hours}h{minutes:02d}m"


def _emit(verbose, level, text, min_verbose=1):
    """Print ``text`` when ``verbose >= min_verbose`` and log it on the ``skstc`` logger."""
    logger.log(level, text)
    if verbose >= min_verbose:
        print(text, flush=True)


def _library_dirs():
    import sklearn
    import skorch

    return tuple(os.path.dirname(m.__file__) + os.sep for m in (sklearn, skorch, torch)) + (
        os.path.dirname(os.path.abspath(__file__)) + os.sep,)


def _caller_stacklevel():
    """``stacklevel`` of the first frame outside skstc, skorch, scikit-learn and torch.

    A warning raised deep in the training loop then points at the user's ``fit`` call.
    """
    dirs = _library_dirs()
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(dirs):
        frame, level = frame.f_back, level + 1
    return level


class _Progress(Callback):
    """Plain-text progress of one training phase, and the projection of the fit's duration.

    With ``verbose`` a phase prints a header, a column header and one line per epoch whose
    columns are fixed after the first epoch (a value that is not recorded in an epoch shows
    as ``-``), so a log file reads as one table; nothing is coloured. Every line also goes to
    the ``skstc`` logger (phase lines at INFO, epoch lines at DEBUG).

    When ``fit_epochs`` is given, the duration of the whole fit is projected from the first
    epoch (or from its first batches when the epoch is long) as ``fit_epochs`` times the
    time of one epoch, an upper bound when early stopping ends the fit sooner; a projection longer than ``_LONG_FIT_SECONDS`` warns once, naming the
    parameters that shorten the fit.
    """

    def __init__(self, owner, phase, max_epochs, n_batches=None, columns=None, verbose=0,
                 fit_epochs=None, speed_params=(), device="cpu"):
        self.owner = owner
        self.phase = phase
        self.max_epochs = max_epochs
        self.n_batches = n_batches
        self.columns = columns
        self.verbose = verbose
        self.fit_epochs = fit_epochs
        self.speed_params = speed_params
        self.device = device

    def initialize(self):
        self.columns_ = None
        self.printed_ = 0
        self.projected_ = None  # True once the fit's duration has been projected
        return self

    # ---- lines --------------------------------------------------------------------------
    def _say(self, text, level=logging.INFO, min_verbose=1):
        _emit(self.verbose, level, f"[{self.owner}] {text}", min_verbose)

    def _widths(self):
        ep = len(f"{self.max_epochs}/{self.max_epochs}")
        return max(ep, len("epoch")), [max(len(c), 10) for c in self.columns_]

    def _header(self):
        ep, widths = self._widths()
        cells = ["epoch".rjust(ep)] + [c.rjust(w) for c, w in zip(self.columns_, widths)]
        return "  ".join(cells + ["dur".rjust(7), "eta".rjust(7)])

    def _line(self, net, row):
        ep, widths = self._widths()
        epoch = row.get("epoch", len(net.history))
        cells = [f"{epoch}/{self.max_epochs}".rjust(ep)]
        for col, w in zip(self.columns_, widths):
            val = row.get(col)
            ok = isinstance(val, numbers.Real) and not isinstance(val, bool) and \
                np.isfinite(val)
            cells.append((f"{val:.4g}" if ok else "-").rjust(w))
        durs = [r["dur"] for r in net.history if "dur" in r]
        eta = np.mean(durs) * (self.max_epochs - epoch) if durs else None
        return "  ".join(cells + [format_seconds(row.get("dur")).rjust(7),
                                  format_seconds(eta).rjust(7)])

    def _print_row(self, net, row):
        if self.columns_ is None:
            comps = list(getattr(net.criterion_, "components_", None) or {})
            self.columns_ = ["train_loss"] + [
                c for c in (comps if self.columns is None else self.columns)
                if c != "train_loss"]
            _emit(self.verbose, logging.DEBUG, self._header())
        _emit(self.verbose, logging.DEBUG, self._line(net, row))
        self.printed_ += 1

    # ---- projection ---------------------------------------------------------------------
    def _project(self, seconds_per_epoch, measured):
        total = seconds_per_epoch * self.fit_epochs
        logger.info("[%s] projected fit time %s (%s)", self.owner, format_seconds(total),
                    measured)
        if total <= _LONG_FIT_SECONDS:
            return
        params = ", ".join(f"{name}={value!r}" for name, value in self.speed_params)
        warnings.warn(
            f"{self.owner}.fit is projected to take up to about {format_seconds(total)} on "
            f"{self.device} ({measured}, at most {self.fit_epochs:.3g} epochs in all; early "
            f"stopping can end it sooner). To shorten it, lower {params}. verbose=1 shows "
            f"the progress.",
            UserWarning, stacklevel=_caller_stacklevel())

    # ---- skorch hooks -------------------------------------------------------------------
    def on_train_begin(self, net, **kwargs):
        self.t0_ = _clock()
        batches = "" if self.n_batches is None else f" of ~{self.n_batches} batches"
        self._say(f"{self.phase}: up to {self.max_epochs} epoch(s){batches}")

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_t0_ = self.last_beat_ = _clock()
        self.batches_ = 0

    def on_batch_end(self, net, training=True, **kwargs):
        if not training:
            return
        self.batches_ += 1
        now = _clock()
        elapsed = now - self.epoch_t0_
        first = len(net.history) == 1
        if (first and self.fit_epochs is not None and self.projected_ is None
                and self.n_batches and elapsed >= _PROBE_SECONDS):
            self.projected_ = True
            per_epoch = elapsed / self.batches_ * self.n_batches
            self._project(per_epoch, f"{format_seconds(elapsed)} for the first "
                                     f"{self.batches_} of ~{self.n_batches} batches")
        if self.verbose and now - self.last_beat_ >= _HEARTBEAT_SECONDS:
            self.last_beat_ = now
            of = "" if self.n_batches is None else f"/~{self.n_batches}"
            self._say(f"{self.phase}: epoch {len(net.history)}, batch {self.batches_}{of}, "
                      f"{format_seconds(elapsed)} into the epoch", logging.DEBUG)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        if self.fit_epochs is not None and self.projected_ is None:
            self.projected_ = True
            dur = _clock() - self.epoch_t0_
            self._project(dur, f"{format_seconds(dur)} for the first epoch")
        self._print_row(net, row)

    def on_train_end(self, net, **kwargs):
        # a callback that stops training inside an epoch skips the later callbacks'
        # on_epoch_end: print the last epoch here
        if len(net.history) > self.printed_ and "train_loss" in net.history[-1]:
            self._print_row(net, net.history[-1])
        n = len(net.history)
        early = " (stopped early)" if n < self.max_epochs else ""
        self._say(f"{self.phase}: {n} epoch(s) in {format_seconds(_clock() - self.t0_)}"
                  f"{early}")


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
    """Private skorch net: criterion gets the batch input, clean stop, interrupt re-raised.

    skorch's own printing (``PrintLog``, which colours its table with ANSI codes) is not
    used: the engine's :class:`_Progress` callback prints plain text.

    The forward pass and the loss run under ``autocast_dtype_`` (mixed precision) when set,
    with ``grad_scaler_`` scaling float16 losses. Batch losses stay on the device until the
    end of the epoch (or until :meth:`flush_batch_losses`), so a GPU is not synchronised
    with the host at every batch; 4-D inputs are made channels-last when
    ``channels_last_`` is set.
    """

    autocast_dtype_ = None
    grad_scaler_ = None
    channels_last_ = False

    @property
    def _default_callbacks(self):
        cbs = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("components", _ComponentLog()),
        ]
        return cbs

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = _device_tensor(y_true, self.device)
        X = _device_tensor(X, self.device)
        return self.criterion_(y_pred, y_true, X)

    def _set_training(self, training=True):
        # skorch sets the mode before every batch; ``Module.train`` walks every submodule,
        # so within an epoch it is called again only when the mode changes
        if not getattr(self, "mode_set_", False) or self.module_.training != training:
            super()._set_training(training)
            self.mode_set_ = True

    def initialize_module(self):
        super().initialize_module()
        # channels-last is requested for CUDA and applies to modules with 2-D convolutions
        self.channels_last_ = bool(self.channels_last_) and _use_channels_last(
            self.device, self.module_)
        if self.channels_last_:
            self.module_.to(memory_format=torch.channels_last)
        return self

    def infer(self, x, **fit_params):
        # skorch's infer with the tensor fast path
        x = _device_tensor(x, self.device)
        if self.channels_last_:
            x = _to_channels_last(x)
        if isinstance(x, dict):
            return self.module_(**self._merge_x_and_fit_params(x, fit_params))
        return self.module_(x, **fit_params)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        with _autocast(self.device, self.autocast_dtype_):
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaler = self.grad_scaler_
        (loss if scaler is None else scaler.scale(loss)).backward()
        return {"loss": loss, "y_pred": y_pred}

    def train_step(self, batch, **fit_params):
        scaler = self.grad_scaler_
        if scaler is None:
            return super().train_step(batch, **fit_params)
        # float16: gradients are unscaled before the callbacks see them; the step is
        # skipped (and the scale lowered) when they overflowed
        self._zero_grad_optimizer()
        step = self.train_step_single(batch, **fit_params)
        scaler.unscale_(self.optimizer_)
        self.notify("on_grad_computed",
                    named_parameters=TeeGenerator(self.get_all_learnable_params()),
                    batch=batch, training=True)
        scaler.step(self.optimizer_)
        scaler.update()
        return step

    def notify(self, method_name, **cb_kwargs):
        # skorch's notify, skipping the callbacks that do not override the hook (most
        # callbacks have no batch hooks, which run twice per batch)
        getattr(self, method_name)(self, **cb_kwargs)
        for cb in self._hooked(method_name):
            getattr(cb, method_name)(self, **cb_kwargs)

    def _hooked(self, method_name):
        callbacks = self.callbacks_
        cache = getattr(self, "hooked_", None)
        if cache is None or cache[0] is not callbacks:
            cache = self.hooked_ = (callbacks, {})
        found = cache[1].get(method_name)
        if found is None:
            base = getattr(Callback, method_name, None)
            found = cache[1][method_name] = [
                cb for _, cb in callbacks
                if base is None or getattr(type(cb), method_name, None) is not base
                or method_name in vars(cb)]
        return found

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop with the batch losses kept on the device (see the class docstring)
        if iterator is None:
            return
        self.pending_losses_ = []
        self.mode_set_ = False
        batch_count = 0
        try:
            for batch in iterator:
                self.notify("on_batch_begin", batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                row = self.history[-1]["batches"][-1]
                self.pending_losses_.append((row, prefix + "_loss", step["loss"].detach()))
                Xi = batch[0] if isinstance(batch, (tuple, list)) else batch
                self.history.record_batch(prefix + "_batch_size", _n_rows(Xi))
                self.notify("on_batch_end", batch=batch, training=training, **step)
                batch_count += 1
        finally:
            self.flush_batch_losses()
        self.history.record(prefix + "_batch_count", batch_count)

    def flush_batch_losses(self):
        """Write the batch losses held on the device into the history (one synchronisation)."""
        pending = getattr(self, "pending_losses_", None)
        if not pending:
            return
        values = torch.stack([loss.float() for _, _, loss in pending]).tolist()
        for (row, key, _), value in zip(pending, values):
            row[key] = value
        self.pending_losses_ = []

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
    if isinstance(X, torch.Tensor):  # device-resident data: the batch is gathered there
        return X[torch.from_numpy(idx).to(X.device, non_blocking=True)]
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
        batches = _IndexedBatches(dataset.X, dataset.y)
        if not num_workers:   # in-process: no DataLoader machinery per batch
            return _SampledBatches(batches, batch_sampler)
        return DataLoader(batches, sampler=batch_sampler, batch_size=None,
                          num_workers=num_workers)
    return DataLoader(dataset, batch_sampler=batch_sampler, num_workers=num_workers)


class _SampledBatches:
    """Iterable of ``batches[idx]`` for each index list of ``sampler`` (re-iterable)."""

    def __init__(self, batches, sampler):
        self.batches = batches
        self.sampler = sampler

    def __len__(self):
        return len(self.sampler)

    def __iter__(self):
        for idx in self.sampler:
            yield self.batches[idx]


def _is_array_dataset(dataset):
    from skorch.dataset import Dataset as SkorchDataset

    if type(dataset) is not SkorchDataset:
        return False
    X = dataset.X
    arrays = X.values() if isinstance(X, dict) else [X]
    kinds = (np.ndarray, torch.Tensor)
    return all(isinstance(a, kinds) for a in arrays) and (
        dataset.y is None or isinstance(dataset.y, kinds))


class _LoaderFactory:
    """Build the training loader (or a custom iterator) with a seeded generator.

    skorch calls the factory once per epoch; the generator is seeded once per fit and
    advances from epoch to epoch, so every epoch sees a new batch order while the whole
    sequence is fixed by the seed.
    """

    def __init__(self, seed, num_workers, iterator=None):
        self.seed = seed
        self.num_workers = num_workers
        self.iterator = iterator
        self._generator = None

    def __call__(self, dataset, batch_size, **kwargs):
        if self._generator is None:
            self._generator = torch.Generator()
            self._generator.manual_seed(self.seed)
        gen = self._generator
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


def _n_rows(X):
    """Rows of a batch (tensor, array or dict of them)."""
    if isinstance(X, dict):
        X = next(iter(X.values()))
    return X.shape[0] if hasattr(X, "shape") else len(X)


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


def _device_tensor(X, device):
    """skorch's ``to_tensor`` with a fast path for tensors (and dicts of them)."""
    if isinstance(X, torch.Tensor):
        return X.to(device)
    if isinstance(X, dict) and all(isinstance(v, torch.Tensor) for v in X.values()):
        return {k: v.to(device) for k, v in X.items()}
    return to_tensor(X, device=device)


# outputs kept on an accelerator before one copy to the host (bytes)
_PENDING_BYTES = 64 * 2**20


def _batch_peak(X):
    """Largest finite |x| of a batch's float tensors as a 0-d tensor (no synchronisation)."""
    if isinstance(X, dict):
        X = list(X.values())
    if isinstance(X, (tuple, list)):
        peaks = [_batch_peak(v) for v in X]
        return torch.stack([p.to(peaks[0].device) for p in peaks]).max() if peaks \
            else torch.zeros(())
    if not isinstance(X, torch.Tensor) or not X.is_floating_point() or X.numel() == 0:
        return torch.zeros((), device=getattr(X, "device", "cpu"))
    return torch.where(torch.isfinite(X), X.abs(), 0).max().float()


def _host_array(t):
    """A model output as a numpy array; half-precision floats come back as float32."""
    t = t.detach()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    return t.cpu().numpy()


def _to_batch_tensor(X, device):
    if isinstance(X, dict):
        return {k: _to_batch_tensor(v, device) for k, v in X.items()}
    if isinstance(X, torch.Tensor):
        return X.to(device)
    return torch.as_tensor(np.ascontiguousarray(X)).to(device)


class TorchEstimatorMixin(TransactionalFitMixin):
    """Mixin giving scikit-learn estimators a skorch-driven torch training engine.

    The estimator must define the engine parameters listed in this module's docstring.
    Fitted torch modules stored as attributes are moved to the CPU when pickled, so a model
    trained on a GPU unpickles on a CPU-only machine.

    Fitting is transactional (:class:`skstc.utils._fitting.TransactionalFitMixin`): a fit
    that raises leaves the previous fitted state, or the unfitted one, intact. Training
    stops with :class:`TrainingDivergedError` on a non-finite or exploding loss, and array
    inputs too large for float32 are refused before training.
    """

    # declarative checks of the engine parameters, merged into each estimator's
    # _parameter_constraints; the optimizer name and the device are checked in
    # _check_engine_params (case-insensitive names, CUDA availability)
    _engine_parameter_constraints = {
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [str, callable],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str, torch.device, None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1}), None],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "callbacks": [list, tuple, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "precision": [StrOptions({"fp32", "bf16", "fp16"}), None],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:
            # torch computes in float32 whatever the input dtype
            tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # ---- parameters -------------------------------------------------------------------
    def _check_engine_params(self):
        """Semantic checks of the engine hyper-parameters that constraints cannot express.

        Types and ranges are declared in ``_engine_parameter_constraints`` and validated by
        ``_fit_context``; here: the optimizer name (case-insensitive), the device, and the
        precision on that device (float16 is refused on a CPU, bfloat16 warns there).
        """
        if isinstance(self.optimizer, str) and self.optimizer.lower() not in _OPTIMIZERS:
            raise ValueError(
                f"optimizer must be one of {sorted(_OPTIMIZERS)} or a torch optimizer "
                f"class, got {self.optimizer!r}.")
        resolve_precision(getattr(self, "precision", None), resolve_device(self.device),
                          warn=True)

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
                      batch_size=None, lr=None, iterator_train=None, callbacks=(),
                      phase="training", progress_columns=None, fit_epochs=None):
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
        phase : str, default="training"
            Name of the phase in the progress lines ("pretraining", "clustering", ...).
        progress_columns : list of str or None, default=None
            History keys shown after ``train_loss`` in the progress lines, fixed for the
            whole phase (a key not recorded in an epoch shows as ``-``); None shows the
            criterion's components of the first epoch.
        fit_epochs : float or None, default=None
            Give it in the first phase of a fit only: the whole fit's length in epochs of
            this phase. The fit's duration is then projected from the first epoch, and a
            projection longer than a few minutes warns once, naming the parameters in the
            estimator's ``_fit_time_params`` with their values.

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
        lr = self.lr if lr is None else lr
        cbs = [("divergence_guard", _DivergenceGuard(lr))] + list(callbacks)
        if self.n_iter_no_change is not None:
            cbs.append(("loss_plateau", _LossPlateau(self.tol, self.n_iter_no_change)))
        cbs += self._user_callbacks()
        n_items = len(X) if isinstance(X, Dataset) and hasattr(X, "__len__") else (
            None if isinstance(X, Dataset) else _n_items(X))
        speed = [(name, getattr(self, name)) for name in
                 getattr(self, "_fit_time_params", ("max_epochs", "batch_size"))]
        # in a process group only rank 0 reports (all ranks train the same epochs)
        dist = torch.distributed
        secondary = dist.is_available() and dist.is_initialized() and dist.get_rank() != 0
        # last, so that every other callback's records of the epoch are there
        cbs.append(("progress", _Progress(
            type(self).__name__, phase, max_epochs,
            n_batches=None if not n_items else math.ceil(n_items / batch_size),
            columns=progress_columns, verbose=0 if secondary else int(self.verbose or 0),
            fit_epochs=None if secondary else fit_epochs, speed_params=speed,
            device=device)))

        if not isinstance(X, Dataset):
            for key, arr in (X.items() if isinstance(X, dict) else [("X", X)]):
                check_float32_range(arr, "the training data" if key == "X"
                                    else f"the training data {key!r}")
            if y is None:
                y = np.full(_n_items(X), -1, dtype=np.int64)
            X, y = _resident_data(X, y, device, self.num_workers)
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
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=None,
            iterator_train=_LoaderFactory(seed + 1, self.num_workers, iterator_train),
            callbacks=cbs,
            device=device,
            verbose=0,
            **module_kwargs,
            **criterion_kwargs,
        )
        dtype = resolve_precision(getattr(self, "precision", None), device)
        net.autocast_dtype_ = dtype
        net.grad_scaler_ = _grad_scaler(device, dtype)
        net.channels_last_ = torch.device(device).type == "cuda"
        cuda_devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch_threads(effective_n_threads(self.n_threads)), cudnn_benchmark(device), \
                torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(seed)
            net.fit(X, y)
        if getattr(net, "interrupted_", False):
            raise KeyboardInterrupt
        trained = net.module_
        _check_finite_weights(trained, lr)
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
        _check_finite_weights(module, self.lr)
        module.to(device)
        channels_last = _use_channels_last(device, module)
        if channels_last:
            module.to(memory_format=torch.channels_last)
        # float64 modules (exact inference) are never autocast
        dtype = None if next(module.parameters(), torch.empty(0)).dtype == torch.float64 \
            else resolve_precision(getattr(self, "precision", None), device)
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
        # On an accelerator the outputs of up to ``_PENDING_BYTES`` are kept on the device
        # and copied to the host together (one synchronisation per group of batches).
        outs, single, start = None, False, 0
        pending, pending_bytes, peaks = [], 0, []
        limit = _PENDING_BYTES if _keep_on_device(device) else 0

        def flush():
            nonlocal outs, start, pending, pending_bytes, peaks
            if peaks:
                peak = float(torch.stack(peaks).max())
                if peak > MAX_ABS_VALUE:
                    raise ValueError(
                        f"the input holds values up to |x| = {peak:.3g}, too large for "
                        f"float32 inference (at most {MAX_ABS_VALUE:.0e}); scale it as the "
                        "training data was scaled.")
            for res in pending:
                parts = [_host_array(r) for r in res]
                if outs is None:
                    outs = [np.empty((n,) + p.shape[1:], dtype=p.dtype) for p in parts]
                stop = start + len(parts[0])
                for out, part in zip(outs, parts):
                    out[start:stop] = part
                start = stop
            pending, pending_bytes, peaks = [], 0, []

        try:
            with torch_threads(effective_n_threads(self.n_threads)), torch.no_grad(), \
                    cudnn_benchmark(device):
                for batch in batches:
                    batch = _to_batch_tensor(batch, device)
                    if channels_last:
                        batch = _to_channels_last(batch)
                    peaks.append(_batch_peak(batch))
                    if not limit:   # check before running the model on the batch
                        flush()
                    rows = _n_items(batch)
                    # Every batch is padded to ``batch_size`` rows: float32 kernels round a
                    # row differently for different batch lengths, so a fixed length makes
                    # each sample's output independent of its neighbours and of the order.
                    with _autocast(device, dtype):
                        res = fn(module, _pad_rows(batch, batch_size))
                    single = not isinstance(res, (tuple, list))
                    res = [r.detach()[:rows] for r in ((res,) if single else res)]
                    pending.append(res)
                    pending_bytes += sum(r.numel() * r.element_size() for r in res)
                    if pending_bytes >= limit:
                        flush()
                flush()
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
