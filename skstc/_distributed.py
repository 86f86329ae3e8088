"""Data-parallel training over an initialised :mod:`torch.distributed` process group.

When a script is started by ``torchrun`` (or any launcher) and has called
:func:`torch.distributed.init_process_group` before ``fit``, every deep estimator trains
data-parallel across the processes of the default group:

* all ranks draw the same seeded global batches (the engine's generator and every
  ``random_state=None`` seed are rank 0's), and each rank computes the loss on a strided
  share ``rows[rank::world_size]`` of every global batch (triplets, pairs and windows alike);
* after ``backward`` one all-reduce averages the gradients, weighted by each rank's number of
  rows, so the update is the gradient of the mean loss over the global batch; the recorded
  ``train_loss`` is that global mean; floating-point buffers (batch-norm statistics) are
  averaged in the same message;
* module parameters and buffers are broadcast from rank 0 when training starts and before the
  first batch of every epoch, so that whatever callbacks set in the module (k-means centres,
  re-seeded DEC centres) is rank 0's on every rank; the computations that read the whole data
  set (k-means initialisation, DEC target updates) then run identically on all ranks.

Every rank ends with the same fitted estimator; rank 0's is the one to keep (it pickles and
predicts like any other). Gradient averaging is done here, after ``backward``, rather than by
wrapping the module in :class:`torch.nn.parallel.DistributedDataParallel`: DDP's reducer
requires every parameter to receive a gradient through ``forward`` in every step, while DEC
centres enter the loss outside ``forward`` and pretraining phases leave the clustering
parameters without gradients. The message is one flat all-reduce per step (DDP's single-bucket
case).
"""

import os
import warnings

import numpy as np
import torch

__all__ = ["distributed_world", "distributed_net_class", "shared_seed", "local_device"]


def _dist():
    import torch.distributed as dist

    return dist if dist.is_available() else None


def distributed_world():
    """``(rank, world_size)`` of the initialised default process group, or None.

    None when torch.distributed is unavailable, not initialised, or has a single process.
    A process started by a launcher (``WORLD_SIZE`` > 1 in the environment) without an
    initialised group gets a warning, since it would train alone.

    Returns
    -------
    world : tuple of int or None
    """
    dist = _dist()
    if dist is not None and dist.is_initialized():
        size = dist.get_world_size()
        return (dist.get_rank(), size) if size > 1 else None
    env = os.environ.get("WORLD_SIZE", "1")
    if env.isdigit() and int(env) > 1:
        warnings.warn(
            f"WORLD_SIZE={env} is set but no torch.distributed process group is initialised: "
            "this process trains alone. Call torch.distributed.init_process_group() before "
            "fit to train data-parallel.", UserWarning, stacklevel=3)
    return None


def shared_seed(seed):
    """Return rank 0's ``seed`` on every rank (``seed`` itself outside a process group).

    Parameters
    ----------
    seed : int

    Returns
    -------
    seed : int
    """
    world = distributed_world()
    if world is None:
        return seed
    buf = torch.tensor([int(seed)], dtype=torch.int64, device=_comm_device())
    _dist().broadcast(buf, src=0)
    return int(buf.cpu().item())


def local_device(device):
    """Map a bare ``"cuda"`` to ``"cuda:LOCAL_RANK"`` inside a process group.

    Parameters
    ----------
    device : str
        A resolved device name.

    Returns
    -------
    device : str
    """
    if device == "cuda" and distributed_world() is not None:
        return f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return device


def _comm_device():
    """Where collective messages live: this process's GPU for NCCL, else the CPU."""
    if _dist().get_backend() == "nccl":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK",
                                                       torch.cuda.current_device())))
    return torch.device("cpu")


def _n_rows(X):
    if isinstance(X, dict):
        return _n_rows(next(iter(X.values())))
    return len(X)


def _rows(X, sl):
    if isinstance(X, dict):
        return {k: _rows(v, sl) for k, v in X.items()}
    if isinstance(X, torch.Tensor):
        return X[sl].contiguous()
    if isinstance(X, np.ndarray):
        return np.ascontiguousarray(X[sl])
    return X


class _ShardedBatches:
    """Each rank's share ``rows[rank::world_size]`` of every global training batch.

    A global batch with fewer than two rows per rank (batch normalisation needs two) is
    processed whole by every rank; the row-weighted gradient average then equals its
    gradient.
    """

    def __init__(self, batches, rank, world_size):
        self.batches = batches
        self.rank = rank
        self.world_size = world_size

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        sl = slice(self.rank, None, self.world_size)
        for batch in self.batches:
            Xi, yi = batch if isinstance(batch, (tuple, list)) else (batch, None)
            if _n_rows(Xi) < 2 * self.world_size:
                yield batch
                continue
            yield _rows(Xi, sl), (None if yi is None else _rows(yi, sl))


def _float_buffers(module):
    return [b for b in module.buffers() if b.is_floating_point()]


def _broadcast_module(module):
    """Overwrite every rank's parameters and buffers with rank 0's (one message)."""
    tensors = [p.data for p in module.parameters()] + list(module.buffers())
    if not tensors:
        return
    dist = _dist()
    device = _comm_device()
    groups = {}
    for t in tensors:
        groups.setdefault(t.dtype, []).append(t)
    for dtype, group in groups.items():
        flat = torch.cat([t.reshape(-1).to(device) for t in group])
        dist.broadcast(flat, src=0)
        offset = 0
        for t in group:
            n = t.numel()
            t.copy_(flat[offset:offset + n].view_as(t))
            offset += n


class _DistributedNetMixin:
    """skorch net hooks for data-parallel training (see the module docstring)."""

    def get_iterator(self, dataset, training=False):
        batches = super().get_iterator(dataset, training=training)
        if not training:
            return batches
        rank, size = self.world_
        return _ShardedBatches(batches, rank, size)

    def initialize(self):
        self.world_ = distributed_world()
        factory = self.iterator_train
        if hasattr(factory, "seed"):  # the engine's seeded loader: rank 0's data order
            factory.seed = shared_seed(factory.seed)
        return super().initialize()

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        _broadcast_module(self.module_)

    def on_epoch_begin(self, net, **kwargs):
        super().on_epoch_begin(net, **kwargs)
        self._broadcast_pending = True

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        super().on_batch_begin(net, batch=batch, training=training, **kwargs)
        # after every on_epoch_begin callback (e.g. k-means centres set at an epoch start)
        if training and getattr(self, "_broadcast_pending", False):
            _broadcast_module(self.module_)
            self._broadcast_pending = False

    def train_step_single(self, batch, **fit_params):
        step = super().train_step_single(batch, **fit_params)
        Xi = batch[0] if isinstance(batch, (tuple, list)) else batch
        step["loss"] = self._all_reduce_step(step["loss"], _n_rows(Xi))
        return step

    def _all_reduce_step(self, loss, n_rows):
        """Row-weighted mean of gradients and loss, plain mean of float buffers."""
        params = [p for _, p in self.get_all_learnable_params()]
        buffers = _float_buffers(self.module_)
        device = _comm_device()
        n = float(n_rows)
        dtype = torch.float32
        header = torch.tensor([n, float(loss.detach()) * n]
                              + [float(p.grad is not None) for p in params], dtype=dtype)
        flat = torch.cat(
            [header.to(device)]
            + [(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
               .to(device, dtype) * n for p in params]
            + [b.reshape(-1).to(device, dtype) for b in buffers])
        _dist().all_reduce(flat)
        total = flat[0]
        mean_loss = flat[1] / total
        offset = 2
        grad_count = flat[offset:offset + len(params)]
        offset += len(params)
        for p, count in zip(params, grad_count.tolist()):
            k = p.numel()
            if count > 0:
                grad = (flat[offset:offset + k] / total).view_as(p).to(p.device, p.dtype)
                if p.grad is None:
                    p.grad = grad
                else:
                    p.grad.copy_(grad)
            offset += k
        size = self.world_[1]
        for b in buffers:
            k = b.numel()
            b.copy_((flat[offset:offset + k] / size).view_as(b))
            offset += k
        return mean_loss.to(loss.device, loss.dtype)


_CLASSES = {}


def distributed_net_class(net_class):
    """``net_class`` extended for data-parallel training when a process group is active.

    Parameters
    ----------
    net_class : type
        A skorch ``NeuralNet`` subclass.

    Returns
    -------
    cls : type
        ``net_class`` itself outside a process group.
    """
    if distributed_world() is None:
        return net_class
    if net_class not in _CLASSES:
        _CLASSES[net_class] = type(f"Distributed{net_class.__name__}",
                                   (_DistributedNetMixin, net_class), {})
    return _CLASSES[net_class]
