"""DeepSpatiotemporalClustering: cluster the time steps of gridded multivariate fields."""

import numbers
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.cluster import KMeans
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback

from ._training import StopTraining, TorchEstimatorMixin, document_engine_params
from .losses import DSCLoss, target_distribution
from .nn._dsc import CNNLSTMAutoencoder, DenseAutoencoder
from .utils._inputs import (
    _forget_input_features,
    check_sample_shape,
    fields_from_rows,
    parse_fields,
)
from .utils._random import draw_seed, local_random_state
from .utils._validation import check_n_clusters, negative_inertia
from .utils._xarray import is_dask, map_samples, wrap_samples

__all__ = ["DeepSpatiotemporalClustering"]

_ARCHITECTURES = ("cnn_lstm_ae", "cnn_lstm", "cnn_ae", "cnn", "dec")
_PREDICT_CHUNK_BATCHES = 16  # time steps loaded at once when predicting = 16 * batch_size


def _batch_codes_and_q(module, batch):
    """Codes and soft assignments of one batch (the engine's ``_predict_module`` worker)."""
    z = module.encode(batch["x"])
    return z, module.head(z)


class _FieldWindows(torch.utils.data.Dataset):
    """Samples = centred windows of ``window`` steps of ``fields`` (edges repeated).

    ``p`` (the DEC targets, a float32 array of shape (n_times, n_clusters), or None for
    inference) is held by reference so that target updates made in place are seen by the
    next batches. ``batch(idx)`` builds a whole training batch with one gather.
    """

    def __init__(self, fields, p, window):
        self.fields = torch.from_numpy(np.ascontiguousarray(fields, dtype=np.float32))
        self.p = p
        self.offsets = torch.arange(window) - window // 2
        self.n = len(fields)

    def __len__(self):
        return self.n

    def windows(self, idx):
        """Windows of the time steps ``idx``: (len(idx), window, channels, lat, lon)."""
        steps = (idx[:, None] + self.offsets[None, :]).clamp_(0, self.n - 1)
        return self.fields[steps]

    def batch(self, idx):
        return {"x": self.windows(idx), "p": torch.from_numpy(self.p[idx.numpy()])}

    def __getitem__(self, i):
        b = self.batch(torch.tensor([i]))
        return {k: v[0] for k, v in b.items()}, -1


class _WindowView:
    """Inference view of the windows of steps ``start:stop`` of a :class:`_FieldWindows`.

    ``view[a:b]`` is the batch ``{"x": windows}`` of those steps, gathered when the engine's
    ``_predict_module`` slices it, so the windows of all samples never exist at once.
    """

    def __init__(self, dataset, start=0, stop=None):
        self.dataset = dataset
        self.start = start
        self.stop = len(dataset) if stop is None else stop

    def __len__(self):
        return self.stop - self.start

    def __getitem__(self, steps):
        a, b, _ = steps.indices(len(self))
        return {"x": self.dataset.windows(torch.arange(self.start + a, self.start + b))}


class _WindowBatches:
    """Training iterator: shuffled index batches gathered in one tensor op each."""

    def __init__(self, dataset, batch_size, generator, num_workers=0):
        self.dataset = dataset
        self.batch_size = batch_size
        self.generator = generator

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.dataset), generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self.dataset.batch(idx), torch.full((len(idx),), -1, dtype=torch.long)


class _TargetUpdates(Callback):
    """DEC schedule: targets every ``update_interval`` iterations, stop on few label changes.

    Also detects collapse (empty or near-empty clusters) and re-seeds empty centres on the
    code of the sample farthest from its centre.
    """

    def __init__(self, estimator, dataset, labels, update_interval, tol, min_size):
        self.estimator = estimator
        self.dataset = dataset
        self.labels = labels
        self.update_interval = update_interval
        self.tol = tol
        self.min_size = min_size

    def initialize(self):
        self.iteration_ = 0
        self.delta_ = np.nan
        self.n_updates_ = 0
        self.n_reseeded_ = 0
        self.converged_ = False
        return self

    def on_train_begin(self, net, **kwargs):
        self._update(net, check=False)

    def on_batch_end(self, net, training=True, **kwargs):
        if not training:
            return
        self.iteration_ += 1
        if self.iteration_ % self.update_interval == 0:
            self._update(net, check=True)
            if self.converged_:
                losses = [b["train_loss"] for b in net.history[-1]["batches"]
                          if "train_loss" in b]
                net.history.record("train_loss", float(np.mean(losses)))
                self._record(net)
                raise StopTraining

    def on_epoch_end(self, net, **kwargs):
        self._record(net)

    def _record(self, net):
        net.history.record("delta_label", self.delta_)
        net.history.record("n_target_updates", self.n_updates_)
        net.history.record("n_reseeded", self.n_reseeded_)
        net.history.record("n_iter", self.iteration_)

    def _update(self, net, check):
        est = self.estimator
        module = net.module_
        z, q = est._codes_and_q(module, self.dataset)
        labels = q.argmax(1)
        k = q.shape[1]
        sizes = np.bincount(labels, minlength=k)
        small = np.flatnonzero(sizes < self.min_size)
        if small.size and small.size < k:
            self._reseed(module, z, labels, small, sizes)
            z, q = est._codes_and_q(module, self.dataset)
            labels = q.argmax(1)
        if check:
            self.delta_ = float(np.mean(labels != self.labels))
            self.converged_ = self.delta_ < self.tol
        self.labels[:] = labels
        self.dataset.p[:] = target_distribution(q.astype(np.float64)).astype(np.float32)
        self.n_updates_ += 1
        if est.verbose:
            print(f"target update {self.n_updates_} (iteration {self.iteration_}): "
                  f"changed assignments {self.delta_:.4f}, cluster sizes "
                  f"{np.bincount(labels, minlength=k).tolist()}, re-seeded "
                  f"{self.n_reseeded_}", flush=True)

    def _reseed(self, module, z, labels, small, sizes):
        centers = module.head.centers.detach().cpu().numpy()
        z = z * float(module.head.scale)
        dist = ((z - centers[labels]) ** 2).sum(1)
        taken = set()
        for j in small:
            # farthest sample of a cluster that can spare it
            ok = sizes[labels] > 2 * self.min_size
            cand = np.where(ok, dist, -np.inf)
            cand[list(taken)] = -np.inf
            i = int(np.argmax(cand))
            if not np.isfinite(cand[i]):
                break
            taken.add(i)
            sizes[labels[i]] -= 1
            sizes[j] += 1
            centers[j] = z[i]
            self.n_reseeded_ += 1
        with torch.no_grad():
            module.head.centers.copy_(torch.as_tensor(centers))


@document_engine_params
class DeepSpatiotemporalClustering(TorchEstimatorMixin, ClassNamePrefixFeaturesOutMixin,
                                   ClusterMixin, TransformerMixin, BaseEstimator):
    """Deep Spatiotemporal Clustering (DSC) of the time steps of gridded climate fields.

    A convolutional encoder reads each time step's multivariate field; an LSTM reads the
    encoded steps of a centred ``window`` and a dense layer gives the latent code; a mirrored
    upsampling decoder reconstructs the field. A DEC clustering layer (Student-t soft
    assignments ``q``, centres initialised by k-means on the codes) is trained jointly with the
    reconstruction: ``loss = KL(P || Q) + reconstruction_weight * MSE`` where the target ``P``
    is recomputed on all samples every ``update_interval`` iterations; training stops when the
    fraction of changed assignments between two target updates falls below ``tol``.

    Parameters
    ----------
    n_clusters : int, default=7
        Number of clusters (weather regimes).
    latent_dim : int, default=256
        Size of the latent code.
    window : int, default=1
        Consecutive time steps per sample fed to the LSTM (centred; the first/last step is
        repeated at the edges). ``window=1`` is the published model (each day alone) and the
        default: in ``benchmarks/bench_dsc.py`` windows of 3 and 5 recovered planted regimes
        less well (ARI 0.47 and 0.46 vs 0.51), smoothed the labels beyond the planted
        persistence, matched window 1 on ERA5 and cost 1.5-2.2x the time.
    alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel.
    architecture : {"cnn_lstm_ae", "cnn_lstm", "cnn_ae", "cnn", "dec"}, default="cnn_lstm_ae"
        ``"cnn_lstm_ae"`` is DSC; the paper's ablations are ``"cnn"`` (CNN encoder only, no
        reconstruction), ``"cnn_ae"`` (CNN autoencoder, no LSTM) and ``"cnn_lstm"``
        (CNN-LSTM encoder only); ``"dec"`` is the DEC baseline (dense autoencoder on the
        flattened centre step, ``dense_units``).
    conv_channels : tuple of int, default=(64, 64, 128, 256, 512)
        Channels of the 3x3 convolution blocks, with 2x2 max pooling between blocks; grids
        not divisible by the pooling are zero-padded and the padding is left out of the loss.
    lstm_hidden : int, default=256
        Hidden size of the LSTM. With ``window=1`` the LSTM is one gated layer between the
        CNN maps and the dense latent whose outputs are bounded by tanh(1) = 0.76 (the cell
        starts at zero); ``benchmarks/diag_dsc_lstm.py`` found a narrow one (64 units, latent
        32) to cost separability already after pretraining (k-means ARI on the codes 0.53 vs
        0.60 without the LSTM) and 256 units to recover it (0.60), with a larger spread.
    lstm_layers : int, default=1
        Number of LSTM layers.
    dense_units : tuple of int, default=(500, 500, 2000)
        Hidden widths of the DEC baseline's dense autoencoder.
    reconstruction_weight : float, default=1.0
        Weight of the reconstruction error in the clustering phase (ignored without decoder).
    pretrain_epochs : int, default=20
        Autoencoder pretraining epochs (reconstruction only) before the centres are
        initialised; 0 (the published code) initialises k-means on the codes of the random
        network, which in ``benchmarks/bench_dsc.py`` recovered planted regimes much less
        well (ARI 0.34 vs 0.51) and needed re-seeding of empty clusters on ERA5. Ignored by
        the encoder-only architectures.
    update_interval : int, default=10
        Mini-batch iterations between two target updates.
    n_init : int, default=10
        k-means restarts for the centre initialisation.
    input_shape : tuple (n_variables, n_lat, n_lon) or None, default=None
        Shape of one sample for 2-D input; None reads 2-D input as ``n_features`` variables
        on a 1x1 grid.
    time_dim, lat_dim, lon_dim : str or None, default=None
        Dim names of xarray input; None finds them by name (``time``/``valid_time``/
        ``date``, ``lat``/``latitude``/``y``/``rlat``, ``lon``/``longitude``/``x``/``rlon``,
        or the CF ``axis``/``standard_name`` attributes of their coordinates). The dims may
        come in any order: they are transposed by name.
    variable_dim : str, default="variable"
        Dim of a DataArray holding the variables (``band``/``channel`` are recognised too; a
        DataArray with three dims is one variable). Dataset variables (or the labels of this
        dim) are matched by name with those seen in :meth:`fit`, so their order may differ
        at predict; a missing or unexpected variable raises a ValueError.
    max_epochs : int, default=100
        Maximum number of epochs of the clustering phase.
    batch_size : int, default=32
        Mini-batch size.
    lr : float, default=1e-3
        Learning rate of the optimizer.
    <engine parameter: optimizer>
    tol : float, default=1e-3
        Stop the clustering phase when fewer than this fraction of the samples changed
        cluster between two target updates; also the relative loss improvement of early
        stopping when ``n_iter_no_change`` is set.
    <engine parameter: n_iter_no_change>
    <engine parameter: device>
    <engine parameter: n_threads>
    num_workers : int, default=0
        Data-loading workers (unused: batches are gathered in memory).
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks run during both phases.
    <engine parameter: verbose>
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, data order and k-means through local generators; the
        global numpy and torch RNG states are left unchanged.

    Attributes
    ----------
    labels_ : ndarray of shape (n_times,)
        Cluster of each training time step (argmax of ``q``); a DataArray on the time
        coordinate when fitted on xarray input.
    cluster_centers_ : ndarray of shape (n_clusters, latent_dim)
        Centres in the latent space of :meth:`transform`.
    n_iter_ : int
        Mini-batch iterations of the clustering phase.
    history_ : list of dict
        One record per epoch: ``phase`` ("pretrain" or "cluster"), ``train_loss``, ``recon``,
        ``kl``, and in the clustering phase ``delta_label`` (fraction of changed assignments
        at the last target update), ``n_target_updates``, ``n_reseeded`` and ``n_iter``
        (cumulative mini-batch iterations).
    converged_ : bool
        Whether the stopping rule on changed assignments was met.
    n_reseeded_ : int
        Empty or near-empty clusters whose centre was re-seeded during training.
    input_shape_ : tuple (n_variables, n_lat, n_lon)
        Shape of one sample.
    module_ : torch.nn.Module
        The trained network.
    n_features_in_ : int
        Values per sample (``n_variables * n_lat * n_lon``).

    Examples
    --------
    >>> from skstc import DeepSpatiotemporalClustering
    >>> from skstc.datasets import make_climate_fields
    >>> X, y = make_climate_fields(n_times=40, n_regimes=2, grid_shape=(8, 8), random_state=0)
    >>> dsc = DeepSpatiotemporalClustering(n_clusters=2, latent_dim=4, conv_channels=(4, 8),
    ...                                    lstm_hidden=8, pretrain_epochs=2, max_epochs=2,
    ...                                    n_threads=1, random_state=0).fit(X)
    >>> dsc.labels_.shape, dsc.transform(X).shape
    ((40,), (40, 4))
    """

    _parameter_constraints: dict = {
        **TorchEstimatorMixin._engine_parameter_constraints,
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "architecture": [StrOptions(set(_ARCHITECTURES))],
        "conv_channels": ["array-like"],
        "lstm_hidden": [Interval(Integral, 1, None, closed="left")],
        "lstm_layers": [Interval(Integral, 1, None, closed="left")],
        "dense_units": ["array-like"],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "update_interval": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "input_shape": ["array-like", None],
        "time_dim": [str, None],
        "lat_dim": [str, None],
        "lon_dim": [str, None],
        "variable_dim": [str],
    }

    def __init__(self, n_clusters=7, *, latent_dim=256, window=1, alpha=1.0,
                 architecture="cnn_lstm_ae", conv_channels=(64, 64, 128, 256, 512),
                 lstm_hidden=256, lstm_layers=1, dense_units=(500, 500, 2000),
                 reconstruction_weight=1.0, pretrain_epochs=20, update_interval=10,
                 n_init=10, input_shape=None, time_dim=None, lat_dim=None, lon_dim=None,
                 variable_dim="variable", max_epochs=100, batch_size=32,
                 lr=1e-3, optimizer="adam", tol=1e-3, n_iter_no_change=None, device="auto",
                 n_threads=None, num_workers=0, callbacks=None, verbose=0,
                 random_state=None):
        self.n_clusters = n_clusters
        self.latent_dim = latent_dim
        self.window = window
        self.alpha = alpha
        self.architecture = architecture
        self.conv_channels = conv_channels
        self.lstm_hidden = lstm_hidden
        self.lstm_layers = lstm_layers
        self.dense_units = dense_units
        self.reconstruction_weight = reconstruction_weight
        self.pretrain_epochs = pretrain_epochs
        self.update_interval = update_interval
        self.n_init = n_init
        self.input_shape = input_shape
        self.time_dim = time_dim
        self.lat_dim = lat_dim
        self.lon_dim = lon_dim
        self.variable_dim = variable_dim
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

    # ---- validation ---------------------------------------------------------------------
    def _check_params(self):
        """Check what the declarative ``_parameter_constraints`` cannot say."""
        self._check_engine_params()
        chans = tuple(self.conv_channels)
        if not chans or not all(isinstance(c, numbers.Integral) and c > 0 for c in chans):
            raise ValueError("conv_channels must be a non-empty sequence of positive "
                             f"integers, got {self.conv_channels!r}.")
        if not all(isinstance(c, numbers.Integral) and c > 0 for c in self.dense_units):
            raise ValueError("dense_units must be a sequence of positive integers, got "
                             f"{self.dense_units!r}.")

    def _to_fields(self, X, *, reset, compute=True):
        """Any accepted input -> ((n_times, n_variables, n_lat, n_lat) values, InputSpec).

        xarray dims are found by name and Dataset variables matched by name with fit
        (:mod:`skstc.utils._inputs`); with ``compute=False`` dask-backed values stay lazy.
        """
        values, spec = parse_fields(
            X, time_dim=self.time_dim, variable_dim=self.variable_dim, lat_dim=self.lat_dim,
            lon_dim=self.lon_dim, variables=None if reset else self._variable_names)
        if values is None:
            rows = validate_data(self, X, dtype=np.float32, ensure_all_finite=False,
                                 reset=reset)
            values = fields_from_rows(rows, self.input_shape if reset else self.input_shape_)
        elif is_dask(values) and compute:
            values = np.asarray(values.compute(), dtype=np.float32)
        else:
            values = values.astype(np.float32, copy=False)
        if reset:
            if spec.ndim != 2:
                _forget_input_features(self)
            self.input_shape_ = tuple(int(s) for s in values.shape[1:])
            self.n_features_in_ = int(np.prod(self.input_shape_))
            self._variable_names = spec.variables
        else:
            check_sample_shape(values, self.input_shape_, self)
        return values, spec

    def _check_values(self, X):
        if np.isinf(X).any():
            raise ValueError("X contains infinity; only finite values are allowed.")
        nan = np.isnan(X)
        if nan.any():
            per_var = nan.reshape(X.shape[0], X.shape[1], -1).all(axis=(0, 2))
            names = getattr(self, "_variable_names", None)
            if per_var.any():
                v = int(np.flatnonzero(per_var)[0])
                label = f"{names[v]!r}" if names and v < len(names) else f"index {v}"
                raise ValueError(f"Variable {label} of X is NaN everywhere; drop it.")
            raise ValueError(
                f"X contains {int(nan.sum())} NaN value(s) (NaN left after preprocessing?); "
                "fill them first, e.g. with skstc.preprocessing.FieldNaNFiller.")

    # ---- modules --------------------------------------------------------------------------
    def _build_module(self, seed):
        c, h, w = self.input_shape_
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            if self.architecture == "dec":
                return DenseAutoencoder(c * h * w, hidden_units=tuple(self.dense_units),
                                        latent_dim=self.latent_dim, n_clusters=self.n_clusters,
                                        alpha=self.alpha, sample_shape=(c, h, w))
            return CNNLSTMAutoencoder(
                c, (h, w), window=self.window, conv_channels=tuple(self.conv_channels),
                lstm_hidden=self.lstm_hidden, lstm_layers=self.lstm_layers,
                latent_dim=self.latent_dim, n_clusters=self.n_clusters, alpha=self.alpha,
                use_lstm=self.architecture in ("cnn_lstm_ae", "cnn_lstm"),
                use_decoder=self.architecture in ("cnn_lstm_ae", "cnn_ae"))

    @staticmethod
    def _set_normalisation(module, X):
        mean = X.mean(axis=0, dtype=np.float64)
        anomalies_sd = np.sqrt(((X - mean) ** 2).mean(axis=(0, 2, 3)))
        anomalies_sd = np.where(anomalies_sd > 0, anomalies_sd, 1.0)
        with torch.no_grad():
            if isinstance(module, DenseAutoencoder):
                spread = np.broadcast_to(anomalies_sd[:, None, None], mean.shape)
                module.shift.copy_(torch.as_tensor(mean.ravel(), dtype=torch.float32))
                module.spread.copy_(torch.as_tensor(spread.ravel(), dtype=torch.float32))
            else:
                module.shift.copy_(torch.as_tensor(mean, dtype=torch.float32))
                module.spread.copy_(torch.as_tensor(anomalies_sd[:, None, None],
                                                    dtype=torch.float32))

    def _codes_and_q(self, module, dataset):
        """Codes and q of every sample of ``dataset`` (a target update, or the final labels)."""
        return self._predict_module(_batch_codes_and_q, _WindowView(dataset), module=module,
                                    batch_size=max(self.batch_size, 256))

    # ---- fit ------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network and the clustering layer on the time steps of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_times, n_variables, n_lat, n_lon), (n_times, n_lat, n_lon)
            or (n_times, n_features) with ``input_shape``; or an xarray Dataset/DataArray
            Scaled fields (see :mod:`skstc.preprocessing`), in time order.
        y : None
            Ignored.

        Returns
        -------
        self : DeepSpatiotemporalClustering
        """
        self._check_params()
        X, spec = self._to_fields(X, reset=True)
        n = X.shape[0]
        if n < 2:
            raise ValueError(f"X has {n} sample(s) (1 sample cannot be clustered); DSC needs "
                             "at least 2 time steps.")
        check_n_clusters(self.n_clusters, n, what="time steps")
        self._check_values(X)
        if np.ptp(X.reshape(n, -1), axis=0).max() == 0:
            raise ValueError("X is constant over time (every time step is identical): there "
                             "is nothing to cluster.")
        rng = local_random_state(self.random_state)
        module = self._build_module(draw_seed(rng))
        self._set_normalisation(module, X)
        p = np.full((n, self.n_clusters), 1.0 / self.n_clusters, dtype=np.float32)
        dataset = _FieldWindows(X, p, self.window)
        history = []
        if self.pretrain_epochs and module.use_decoder:
            module, hist = self._train_module(
                module, dataset, criterion=DSCLoss,
                criterion_params={"reconstruction_weight": 1.0, "clustering_weight": 0.0},
                random_state=rng, max_epochs=self.pretrain_epochs,
                iterator_train=_WindowBatches)
            history += [dict(h, phase="pretrain") for h in hist]
        z, _ = self._codes_and_q(module, dataset)
        km = KMeans(self.n_clusters, n_init=self.n_init, random_state=rng).fit(z)
        # put the codes on the Student-t kernel's scale: unit mean squared distance of a
        # code to its k-means centre (else tiny codes give uniform q and a collapse)
        within = km.inertia_ / n
        scale = 1.0 / np.sqrt(within) if within > 0 else 1.0
        with torch.no_grad():
            module.head.scale.fill_(float(scale))
            module.head.centers.copy_(torch.as_tensor(km.cluster_centers_ * scale,
                                                      dtype=torch.float32))
        labels = km.labels_.astype(np.int64).copy()
        min_size = max(1, n // (20 * self.n_clusters))
        updater = _TargetUpdates(self, dataset, labels, self.update_interval, self.tol,
                                 min_size)
        recon_w = self.reconstruction_weight if module.use_decoder else 0.0
        module.reconstruct = recon_w > 0  # DEC: no decoder work in the clustering phase
        try:
            module, hist = self._train_module(
                module, dataset, criterion=DSCLoss,
                criterion_params={"reconstruction_weight": recon_w, "clustering_weight": 1.0},
                random_state=rng, iterator_train=_WindowBatches,
                callbacks=(("dec_targets", updater),))
        finally:
            module.reconstruct = module.use_decoder
        history += [dict(h, phase="cluster") for h in hist]
        # the updater's counters are in the returned history; the final assignments are
        # recomputed with the trained module (the last target update may be a few
        # iterations old)
        self.module_ = module
        z, q = self._codes_and_q(module, dataset)
        self.labels_ = q.argmax(1)
        self.cluster_centers_ = (module.head.centers.detach().cpu().numpy()
                                 / float(module.head.scale))
        self.history_ = history
        cluster_rows = [h for h in history if h["phase"] == "cluster"]
        last = cluster_rows[-1] if cluster_rows else {}
        self.n_iter_ = int(last.get("n_iter", 0))
        self.converged_ = bool(np.isfinite(last.get("delta_label", np.nan))
                               and last.get("delta_label") < self.tol)
        self.n_reseeded_ = int(last.get("n_reseeded", 0))
        self._warn_if_collapsed(q)
        self.labels_ = wrap_samples(self.labels_, spec, name="cluster")
        return self

    def _warn_if_collapsed(self, q):
        k = self.n_clusters
        sizes = np.bincount(self.labels_, minlength=k)
        n = len(self.labels_)
        near_empty = int(np.sum(sizes < max(1, n // (20 * k))))
        mean_max_q = float(q.max(1).mean())
        self.cluster_sizes_ = sizes
        if k > 1 and near_empty:
            warnings.warn(
                f"DeepSpatiotemporalClustering collapsed: {near_empty} of {k} clusters are "
                f"empty or near-empty (sizes {sizes.tolist()}) despite re-seeding. Try "
                "pretraining (pretrain_epochs), a lower lr, a shorter update_interval or "
                "fewer clusters.", UserWarning, stacklevel=3)
        elif k > 1 and mean_max_q < 1.0 / k + 0.05 * (1 - 1.0 / k):
            warnings.warn(
                "DeepSpatiotemporalClustering: soft assignments are nearly uniform (mean "
                f"max q = {mean_max_q:.3f} for {k} clusters); the codes do not separate the "
                "time steps.", UserWarning, stacklevel=3)

    # ---- inference --------------------------------------------------------------------------
    def _codes_q_block(self, fields):
        """Codes and q of numpy fields, ``batch_size * 16`` time steps (+ halo) at a time."""
        n = fields.shape[0]
        h = self.window // 2
        chunk = self.batch_size * _PREDICT_CHUNK_BATCHES
        zs, qs = [], []
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            lo, hi = max(0, start - h), min(n, stop + h)
            block = np.asarray(fields[lo:hi], dtype=np.float32)
            self._check_values(block)
            ds = _FieldWindows(block, None, self.window)
            z, q = self._predict_module(_batch_codes_and_q,
                                        _WindowView(ds, start - lo, stop - lo))
            zs.append(z)
            qs.append(q)
        return np.concatenate(zs), np.concatenate(qs)

    def _stream(self, X):
        """Codes, q and the InputSpec of ``X``.

        Numpy input is encoded in chunks of ``batch_size * 16`` time steps (plus the window's
        halo); for dask-backed input codes and q are lazy dask arrays computed block by block
        (with the halo) only when the user computes them.
        """
        check_is_fitted(self, "module_")
        fields, spec = self._to_fields(X, reset=False, compute=False)
        if fields.shape[0] == 0:
            raise ValueError("X has 0 time steps.")
        if not is_dask(fields):
            z, q = self._codes_q_block(fields)
            return z, q, spec
        d = self.cluster_centers_.shape[1]
        zq = map_samples(lambda b: np.concatenate(self._codes_q_block(b), axis=1), fields,
                         (d + self.n_clusters,), np.float32, halo=self.window // 2)
        return zq[:, :d], zq[:, d:], spec

    @property
    def _n_features_out(self):
        return self.cluster_centers_.shape[1]

    def transform(self, X):
        """Latent codes of the time steps.

        Parameters
        ----------
        X : array-like or xarray object
            Fields shaped as in :meth:`fit`; dask-backed input gives lazy output.

        Returns
        -------
        Z : ndarray of shape (n_times, latent_dim)
            A DataArray ``(time, latent)`` on the input's time coordinate for xarray input;
            dask-backed for dask input.
        """
        z, _, spec = self._stream(X)
        return wrap_samples(z, spec, feature_dim="latent", name="code")

    def soft_assignments(self, X):
        """Student-t soft assignments ``q`` of the time steps to the clusters.

        Parameters
        ----------
        X : array-like or xarray object
            Fields shaped as in :meth:`fit`.

        Returns
        -------
        Q : ndarray of shape (n_times, n_clusters)
            Rows sum to one; a DataArray ``(time, cluster)`` for xarray input, dask-backed
            for dask input.
        """
        _, q, spec = self._stream(X)
        return wrap_samples(q, spec, feature_dim="cluster",
                            feature_coords=np.arange(self.n_clusters), name="q")

    def predict(self, X):
        """Cluster of each time step (argmax of the soft assignments).

        Parameters
        ----------
        X : array-like or xarray object
            Fields shaped as in :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_times,)
            A DataArray on the input's time coordinate for xarray input; dask-backed for
            dask input.
        """
        _, q, spec = self._stream(X)
        return wrap_samples(q.argmax(axis=1), spec, name="cluster")

    def fit_predict(self, X, y=None):
        """Fit and return ``labels_``.

        Parameters
        ----------
        X : array-like or xarray object
            Fields shaped as in :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        labels : ndarray of shape (n_times,)
            A DataArray on the input's time coordinate for xarray input.
        """
        return self.fit(X).labels_

    def score(self, X, y=None):
        """Opposite of the inertia of ``X``'s codes (as :meth:`sklearn.cluster.KMeans.score`).

        Parameters
        ----------
        X : array-like or xarray object
            Fields shaped as in :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Minus the sum of squared distances of the codes to their closest centre.
        """
        z, _, _ = self._stream(X)
        return negative_inertia(z, self.cluster_centers_)
