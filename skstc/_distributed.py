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

__all__ = ["distributed_world", "distributed_net_class", "shared_seed", "local_device",
           "batch_sum"]

# True while a training step runs on this rank's share of a global batch
_SHARD = {"active": False}


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
                _SHARD["active"] = False
                yield batch
                continue
            _SHARD["active"] = True
            yield _rows(Xi, sl), (None if yi is None else _rows(yi, sl))
        _SHARD["active"] = False


class _SumAcrossRanks(torch.autograd.Function):
    """All-reduce sum whose backward keeps the row-weighted gradient average exact.

    The engine scales each rank's gradient by ``rows / total_rows`` after backward, so the
    gradient a rank receives for the summed statistics is the rows-weighted sum of every
    rank's, divided by this rank's ``rows`` (``weight``).
    """

    @staticmethod
    def forward(ctx, tensor, weight):
        ctx.weight = weight
        out = tensor.clone()
        _dist().all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = grad * ctx.weight
        _dist().all_reduce(out)
        return out / ctx.weight, None


def batch_sum(tensor, n_rows):
    """Sum of ``tensor`` over the global batch when training on a share of it.

    A loss term that is not a mean over rows (a norm of the whole batch, say) is computed
    from sums over the batch; inside a sharded data-parallel training step this returns the
    sum of every rank's ``tensor``, differentiably and consistently with the engine's
    row-weighted gradient average, so the term equals the one-process value. Elsewhere it
    returns ``tensor``.

    Parameters
    ----------
    tensor : Tensor
        This rank's partial sum.
    n_rows : int
        The number of batch rows the loss is averaged over on this rank.

    Returns
    -------
    total : Tensor
    """
    if not _SHARD["active"]:
        return tensor
    return _SumAcrossRanks.apply(tensor.to(_comm_device()), float(n_rows)).to(tensor.device)


def _global_batch_norm(bn, x):
    """``bn(x)`` in training mode, with the statistics of every rank's share of the batch."""
    if not _SHARD["active"] or (not bn.training and bn.running_mean is not None):
        return type(bn).forward(bn, x)
    dims = [0] + list(range(2, x.dim()))
    c = x.shape[1]
    local_n = x.numel() // c
    stats = torch.cat([x.sum(dims), (x * x).sum(dims),
                       x.new_full((1,), float(local_n))])
    total = batch_sum(stats, x.shape[0])
    n = total[-1]
    mean = total[:c] / n
    var = (total[c:2 * c] / n - mean * mean).clamp_min(0)
    shape = [1, c] + [1] * (x.dim() - 2)
    out = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + bn.eps)
    if bn.affine:
        out = out * bn.weight.view(shape) + bn.bias.view(shape)
    if bn.track_running_stats and bn.running_mean is not None:
        with torch.no_grad():
            bn.num_batches_tracked.add_(1)
            momentum = (1.0 / float(bn.num_batches_tracked) if bn.momentum is None
                        else bn.momentum)
            unbiased = var * (n / (n - 1).clamp_min(1))
            bn.running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
            bn.running_var.mul_(1 - momentum).add_(unbiased.detach() * momentum)
    return out


def _batch_norms(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


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

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        norms = _batch_norms(self.module_)
        for bn in norms:  # instance attributes, removed below: the fitted module is plain
            bn.forward = _global_batch_norm.__get__(bn)
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        finally:
            _SHARD["active"] = False
            for bn in norms:
                del bn.forward

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
