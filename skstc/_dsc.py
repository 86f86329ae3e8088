"""DeepSpatiotemporalClustering: cluster the time steps of gridded multivariate fields."""

import contextlib
import copy
import functools
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
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._dec import DECTargetUpdates, init_centers, min_cluster_size
from ._training import (
    TorchEstimatorMixin,
    document_engine_params,
    fits_on_device,
    resolve_device,
)
from .losses import DSCLoss
from .nn._dsc import CNNLSTMAutoencoder, DenseAutoencoder
from .utils._inputs import (
    check_field_values,
    read_fields,
)
from .utils._random import draw_seed, local_random_state
from .utils._validation import (
    check_float32_range,
    check_n_clusters,
    negative_inertia,
    warn_if_unscaled,
)
from .utils._xarray import is_dask, map_samples, wrap_samples

__all__ = ["DeepSpatiotemporalClustering"]

_ARCHITECTURES = ("cnn_lstm_ae", "cnn_lstm", "cnn_ae", "cnn", "dec", "idec")
_REDUCTIONS = ("mean", "sum")
_PREDICT_CHUNK_BATCHES = 16  # time steps loaded at once when predicting = 16 * batch_size


def _batch_codes_and_q(module, batch):
    """Codes and soft assignments of one batch (the engine's ``_predict_module`` worker)."""
    x = batch["x"]
    param = next(module.parameters())
    z = module.encode(x.to(param.dtype))
    return z, module.head(z)


@contextlib.contextmanager
def _float64(module, device):
    """Run ``module`` in float64 inside the block (a float32 round trip is exact).

    float32 convolutions and matrix products pick their kernels (and so their rounding) by
    batch size, so a time step's code would depend on which other steps share its batch;
    in float64 these differences are ~1e-16 and the public outputs do not depend on the
    order or the batching of the samples. Devices without float64 (MPS) stay in float32.

    The float64 module is a copy, so concurrent inference (dask's threaded scheduler) never
    sees a module whose dtype another thread is changing.
    """
    if torch.device(device).type == "mps":
        yield module
        return
    yield copy.deepcopy(module).double()


class _FieldWindows(torch.utils.data.Dataset):
    """Samples = centred windows of ``window`` steps of ``fields`` (edges repeated).

    ``p`` (the DEC targets, a float32 array or tensor of shape (n_times, n_clusters), or
    None for inference) is held by reference so that target updates made in place are seen
    by the next batches. ``batch(idx)`` builds a whole training batch with one gather.
    With ``device`` the fields are moved there once and the windows are gathered there
    (``p`` should then be a tensor on that device).
    """

    def __init__(self, fields, p, window, device="cpu"):
        # a writable copy when the input is read-only (e.g. a memory-mapped netCDF variable)
        self.fields = torch.from_numpy(np.require(fields, np.float32, ["C", "W"]))
        if torch.device(device).type != "cpu":
            self.fields = self.fields.to(device)
        self.p = p
        self.offsets = torch.arange(window) - window // 2
        self.n = len(fields)

    def __len__(self):
        return self.n

    def windows(self, idx):
        """Windows of the time steps ``idx``: (len(idx), window, channels, lat, lon)."""
        steps = (idx[:, None] + self.offsets[None, :]).clamp_(0, self.n - 1)
        return self.fields[steps.to(self.fields.device, non_blocking=True)]

    def batch(self, idx):
        if isinstance(self.p, torch.Tensor):
            p = self.p[idx.to(self.p.device, non_blocking=True)]
        else:
            p = torch.from_numpy(self.p[idx.numpy()])
        return {"x": self.windows(idx), "p": p}

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
    embedding_dim : int, default=256
        Size of the latent code.
    window : int, default=1
        Consecutive time steps per sample fed to the LSTM (centred; the first/last step is
        repeated at the edges). ``window=1`` is the published model (each day alone) and the
        default: in ``benchmarks/bench_dsc.py`` windows of 3 and 5 recovered planted regimes
        less well (ARI 0.47 and 0.46 vs 0.51), smoothed the labels beyond the planted
        persistence, matched window 1 on ERA5 and cost 1.5-2.2x the time.
    dec_alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel.
    architecture : {"cnn_lstm_ae", "cnn_lstm", "cnn_ae", "cnn", "dec", "idec"}, \
default="cnn_lstm_ae"
        ``"cnn_lstm_ae"`` is DSC; the paper's ablations are ``"cnn"`` (CNN encoder only, no
        reconstruction), ``"cnn_ae"`` (CNN autoencoder, no LSTM) and ``"cnn_lstm"``
        (CNN-LSTM encoder only). ``"dec"`` is the DEC baseline: a dense autoencoder on the
        flattened centre step (``dense_units``) pretrained on reconstruction, then trained
        on the KL term alone (the decoder is dropped, as in DEC). ``"idec"`` is the same
        network keeping ``reconstruction_weight`` times the reconstruction error in the
        clustering phase (IDEC).
    conv_channels : tuple of int, default=(8, 16, 32, 64)
        Channels of the 3x3 convolution blocks, with 2x2 max pooling between blocks; grids
        not divisible by the pooling are zero-padded and the padding is left out of the loss.
        The blocks at full resolution cost most of a fit's time: with the paper's
        (64, 64, 128, 256, 512) (:meth:`paper_params`) a time step of a global 2.5 degree
        grid (73 x 144) takes more than 20 times the default's floating-point operations.
    lstm_hidden_size : int, default=256
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
        Weight of the reconstruction error in the clustering phase (ignored without decoder
        and by ``"dec"``).
    reconstruction_reduction : {"mean", "sum"}, default="mean"
        Normalisation of the squared reconstruction error of a batch: ``"mean"`` over every
        value (per-value MSE, on the scale of the KL term whatever the grid size);
        ``"sum"`` sums each sample's squared errors over its variables and grid cells and
        averages over the samples of the batch (the paper's Eq 7, ``1/T sum_t ||x_t -
        x'_t||^2``): on a grid of ``p`` values it weighs the reconstruction ``p`` times more
        against the KL term, so ``reconstruction_weight`` and ``lr`` must be scaled down.
    pretrain_epochs : int, default=20
        Autoencoder pretraining epochs (reconstruction only) before the centres are
        initialised; 0 (the published code) initialises k-means on the codes of the random
        network, which in ``benchmarks/bench_dsc.py`` recovered planted regimes much less
        well (ARI 0.34 vs 0.51) and needed re-seeding of empty clusters on ERA5. Ignored by
        the encoder-only architectures.
    geometry_weight : float, default=0.0
        Weight, during pretraining, of a term that keeps the pairwise distances of the codes
        of a batch proportional to those of the encoder's (normalised, area-weighted)
        inputs (:func:`skstc.losses.geometry_loss`), so that the k-means initialisation
        on the codes sees the input's geometry, the one EOF + k-means clusters in. 0 is
        the published pretraining (reconstruction only) and the default: with weight 1 the
        codes are as separable as EOFs and DSC finds the EOF + k-means partition (silhouette
        0.232 vs 0.233 on planted regimes), which is not the planted one (ARI 0.63 vs 0.997
        without the term; ``benchmarks/results/dsc.md``).
    update_interval : int, default=10
        Mini-batch iterations between two target updates.
    n_init : int, default=10
        k-means restarts for the centre initialisation.
    area_weighting : bool, default=False
        Weight each grid row by its area: the normalised anomalies entering the encoder are
        multiplied by ``sqrt(cos(latitude))`` and the squared reconstruction errors by
        ``cos(latitude)`` (both scaled to a mean of 1 over the rows), as EOF analysis does,
        so that the many cells of high latitudes do not dominate the codes. Needs
        ``latitudes`` or xarray input with a latitude coordinate. Off by default: in
        ``benchmarks/bench_dsc.py --part ladder --variants`` it made the recovery of planted
        regimes less reliable (ARI 0.81 +- 0.14 vs 0.997, stability across seeds 0.71 vs
        0.995) and did not change the picture on ERA5 (``benchmarks/results/dsc.md``).
    latitudes : array-like of shape (n_lat,) or None, default=None
        Latitudes (degrees) of the grid rows, for ``area_weighting`` with numpy input; None
        reads them from the latitude coordinate of xarray input.
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
    <engine parameter: precision>

    Attributes
    ----------
    labels_ : ndarray of shape (n_times,)
        Cluster of each training time step (argmax of ``q``); a DataArray on the time
        coordinate when fitted on xarray input.
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centres in the latent space of :meth:`transform`.
    n_iter_ : int
        Number of training epochs run (pre-training and clustering phases).
    n_batches_ : int
        Mini-batch iterations of the clustering phase (the DEC target-update counter).
    history_ : list of dict
        One record per epoch: ``phase`` ("pretrain" or "cluster"), ``train_loss``, ``recon``,
        ``kl``, and in the clustering phase ``delta_label`` (fraction of changed assignments
        at the last target update), ``n_target_updates``, ``n_reseeded`` and ``n_batches``
        (cumulative mini-batch iterations).
    converged_ : bool
        Whether the stopping rule on changed assignments was met.
    n_reseeded_ : int
        Empty or near-empty clusters whose centre was re-seeded during training.
    area_weights_ : ndarray of shape (n_lat,) or None
        Row weights applied to the encoder's input (None without ``area_weighting``).
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
    >>> dsc = DeepSpatiotemporalClustering(n_clusters=2, embedding_dim=4, conv_channels=(4, 8),
    ...                                    lstm_hidden_size=8, pretrain_epochs=2, max_epochs=2,
    ...                                    n_threads=1, random_state=0).fit(X)
    >>> dsc.labels_.shape, dsc.transform(X).shape
    ((40,), (40, 4))
    """

    _parameter_constraints: dict = {
        **TorchEstimatorMixin._engine_parameter_constraints,
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "dec_alpha": [Interval(Real, 0, None, closed="neither")],
        "architecture": [StrOptions(set(_ARCHITECTURES))],
        "conv_channels": ["array-like"],
        "lstm_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "lstm_layers": [Interval(Integral, 1, None, closed="left")],
        "dense_units": ["array-like"],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "geometry_weight": [Interval(Real, 0, None, closed="left")],
        "update_interval": [Interval(Integral, 1, None, closed="left")],
        "reconstruction_reduction": [StrOptions(set(_REDUCTIONS))],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "area_weighting": ["boolean"],
        "latitudes": ["array-like", None],
        "input_shape": ["array-like", None],
        "time_dim": [str, None],
        "lat_dim": [str, None],
        "lon_dim": [str, None],
        "variable_dim": [str],
    }

    # the parameters that shorten a fit, named by the long-fit warning
    _fit_time_params = ("pretrain_epochs", "max_epochs", "conv_channels", "lstm_hidden_size",
                        "embedding_dim", "window", "batch_size")

    def __init__(self, n_clusters=7, *, embedding_dim=256, window=1, dec_alpha=1.0,
                 architecture="cnn_lstm_ae", conv_channels=(8, 16, 32, 64),
                 lstm_hidden_size=256, lstm_layers=1, dense_units=(500, 500, 2000),
                 reconstruction_weight=1.0, reconstruction_reduction="mean",
                 pretrain_epochs=20, geometry_weight=0.0, update_interval=10,
                 n_init=10, area_weighting=False, latitudes=None, input_shape=None,
                 time_dim=None, lat_dim=None, lon_dim=None,
                 variable_dim="variable", max_epochs=100, batch_size=32,
                 lr=1e-3, optimizer="adam", tol=1e-3, n_iter_no_change=None, device="auto",
                 n_threads=None, num_workers=0, callbacks=None, verbose=0,
                 random_state=None,
                 precision=None):
        self.n_clusters = n_clusters
        self.embedding_dim = embedding_dim
        self.window = window
        self.dec_alpha = dec_alpha
        self.architecture = architecture
        self.conv_channels = conv_channels
        self.lstm_hidden_size = lstm_hidden_size
        self.lstm_layers = lstm_layers
        self.dense_units = dense_units
        self.reconstruction_weight = reconstruction_weight
        self.reconstruction_reduction = reconstruction_reduction
        self.pretrain_epochs = pretrain_epochs
        self.geometry_weight = geometry_weight
        self.update_interval = update_interval
        self.n_init = n_init
        self.area_weighting = area_weighting
        self.latitudes = latitudes
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
        self.precision = precision

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

    # ---- modules --------------------------------------------------------------------------
    def _build_module(self, seed):
        c, h, w = self.input_shape_
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            if self.architecture in ("dec", "idec"):
                return DenseAutoencoder(c * h * w, hidden_units=tuple(self.dense_units),
                                        embedding_dim=self.embedding_dim, n_clusters=self.n_clusters,
                                        alpha=self.dec_alpha, sample_shape=(c, h, w))
            return CNNLSTMAutoencoder(
                c, (h, w), window=self.window, conv_channels=tuple(self.conv_channels),
                lstm_hidden_size=self.lstm_hidden_size, lstm_layers=self.lstm_layers,
                embedding_dim=self.embedding_dim, n_clusters=self.n_clusters, alpha=self.dec_alpha,
                use_lstm=self.architecture in ("cnn_lstm_ae", "cnn_lstm"),
                use_decoder=self.architecture in ("cnn_lstm_ae", "cnn_ae"))

    def _row_weights(self, spec, n_lat):
        """``sqrt(cos(latitude))`` per grid row, scaled to a mean square of 1, or None."""
        if not self.area_weighting:
            return None
        lat = self.latitudes
        if lat is None and spec is not None and spec.roles.get("lat") in spec.coords:
            lat = spec.coords[spec.roles["lat"]]
        if lat is None:
            raise ValueError("area_weighting=True needs the latitudes of the grid rows: pass "
                             "xarray input with a latitude coordinate, or latitudes=.")
        lat = np.asarray(lat, dtype=np.float64)
        if lat.shape != (n_lat,) or not np.isfinite(lat).all() or (np.abs(lat) > 90).any():
            raise ValueError(f"latitudes must be {n_lat} values in [-90, 90] (one per grid "
                             f"row), got shape {lat.shape}.")
        w = np.sqrt(np.clip(np.cos(np.deg2rad(lat)), 0.0, None))
        if not (w > 0).any():
            raise ValueError("every grid row is at a pole: area weights are all zero.")
        return w / np.sqrt(np.mean(w ** 2))

    @staticmethod
    def _set_normalisation(module, X, row_weights=None):
        if row_weights is not None:
            cell = np.broadcast_to(row_weights[:, None], X.shape[2:]).copy()
            with torch.no_grad():
                if isinstance(module, DenseAutoencoder):
                    cell = np.broadcast_to(cell, X.shape[1:]).copy().ravel()
                    module.cell_weight.copy_(torch.as_tensor(cell, dtype=torch.float32))
                else:
                    module.cell_weight.copy_(torch.as_tensor(cell[None],
                                                             dtype=torch.float32))
        mean = X.mean(axis=0, dtype=np.float64)
        anomalies_sd = np.sqrt(((X - mean) ** 2).mean(axis=(0, 2, 3)))
        anomalies_sd = np.where(anomalies_sd > 0, anomalies_sd, 1.0)
        with torch.no_grad():
            if isinstance(module, DenseAutoencoder):
                spread = np.broadcast_to(anomalies_sd[:, None, None], mean.shape).copy()
                module.shift.copy_(torch.as_tensor(mean.ravel(), dtype=torch.float32))
                module.spread.copy_(torch.as_tensor(spread.ravel(), dtype=torch.float32))
            else:
                module.shift.copy_(torch.as_tensor(mean, dtype=torch.float32))
                module.spread.copy_(torch.as_tensor(anomalies_sd[:, None, None],
                                                    dtype=torch.float32))

    def _codes_and_q(self, module, dataset, exact=False):
        """Codes and q of every sample of ``dataset`` (a target update, or the final labels).

        ``exact=True`` computes in float64 (independent of the batching): the public outputs.
        """
        if not exact:
            return self._predict_module(_batch_codes_and_q, _WindowView(dataset),
                                        module=module, batch_size=max(self.batch_size, 256))
        with _float64(module, resolve_device(self.device)) as exact_module:
            return self._predict_module(_batch_codes_and_q, _WindowView(dataset),
                                        module=exact_module,
                                        batch_size=max(self.batch_size, 256))

    # ---- presets ----------------------------------------------------------------------------
    @classmethod
    def paper_params(cls):
        """Parameters of the published DSC configuration (network size and training).

        The defaults are sized for a CPU; these values give the published network
        (convolutions of 64, 64, 128, 256 and 512 channels, an LSTM of 256 units, a latent
        code of 256) trained as published: SGD with momentum 0.9, a reconstruction error
        summed over each sample's values (Eq 7, ``reconstruction_reduction="sum"``) and
        centres initialised on the codes of the untrained network (``pretrain_epochs=0``).
        The summed error grows with the grid, so the learning rate of SGD must shrink with
        it: the preset takes ``lr=1e-5`` (stable on grids of a few thousand values per time
        step); set ``lr`` for other grids. A fit with these values is sized for a GPU.

        Returns
        -------
        params : dict
            Parameter names and values, a new dict at each call; pass them to the
            constructor or to ``set_params``.

        Examples
        --------
        >>> from skstc import DeepSpatiotemporalClustering
        >>> dsc = DeepSpatiotemporalClustering(n_clusters=7, random_state=0)
        >>> dsc = dsc.set_params(**DeepSpatiotemporalClustering.paper_params())
        >>> dsc.conv_channels, dsc.lstm_hidden_size, dsc.embedding_dim
        ((64, 64, 128, 256, 512), 256, 256)
        >>> dsc.reconstruction_reduction, dsc.pretrain_epochs, dsc.optimizer.keywords
        ('sum', 0, {'momentum': 0.9})
        """
        return {"architecture": "cnn_lstm_ae", "window": 1,
                "conv_channels": (64, 64, 128, 256, 512), "lstm_hidden_size": 256,
                "lstm_layers": 1, "embedding_dim": 256,
                "optimizer": functools.partial(torch.optim.SGD, momentum=0.9), "lr": 1e-5,
                "reconstruction_reduction": "sum", "pretrain_epochs": 0}

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
        X, spec = read_fields(self, X, reset=True)
        n = X.shape[0]
        if n < 2:
            raise ValueError(f"X has {n} sample(s) (1 sample cannot be clustered); DSC needs "
                             "at least 2 time steps.")
        check_n_clusters(self.n_clusters, n, what="time steps")
        check_field_values(X, getattr(self, "_variable_names", None))
        check_float32_range(X)
        warn_if_unscaled(X)
        if np.ptp(X.reshape(n, -1), axis=0).max() == 0:
            raise ValueError("X is constant over time (every time step is identical): there "
                             "is nothing to cluster.")
        rng = local_random_state(self.random_state)
        module = self._build_module(draw_seed(rng))
        rows = self._row_weights(spec, X.shape[2])
        self._set_normalisation(module, X, rows)
        value_weights = None if rows is None else torch.as_tensor(
            np.broadcast_to((rows ** 2)[:, None], X.shape[2:])[None].copy(),
            dtype=torch.float32)
        self.area_weights_ = rows
        p = np.full((n, self.n_clusters), 1.0 / self.n_clusters, dtype=np.float32)
        device = resolve_device(self.device)
        if fits_on_device(X.nbytes // X.itemsize * 4 + p.nbytes, device, self.num_workers):
            # fields and targets live on the device for the whole fit
            p = torch.from_numpy(p).to(device)
        else:
            device = "cpu"
        dataset = _FieldWindows(X, p, self.window, device=device)
        history = []
        if self.pretrain_epochs and module.use_decoder:
            module, hist = self._train_module(
                module, dataset, criterion=DSCLoss,
                criterion_params={"reconstruction_weight": 1.0, "clustering_weight": 0.0,
                                  "reduction": self.reconstruction_reduction,
                                  "value_weights": value_weights,
                                  "geometry_weight": self.geometry_weight,
                                  "geometry_scale": (module.cell_weight
                                                     / module.spread).detach().clone()},
                random_state=rng, max_epochs=self.pretrain_epochs,
                iterator_train=_WindowBatches, phase="pretraining",
                fit_epochs=self.pretrain_epochs + self.max_epochs)
            history += [dict(h, phase="pretrain") for h in hist]
        z, _ = self._codes_and_q(module, dataset)
        centers, scale, labels = init_centers(z, self.n_clusters, n_init=self.n_init,
                                              random_state=rng)
        with torch.no_grad():
            module.head.scale.fill_(scale)
            module.head.centers.copy_(torch.as_tensor(centers, dtype=torch.float32))
        updater = DECTargetUpdates(
            lambda m: self._codes_and_q(m, dataset), lambda m: m.head, p, labels,
            self.update_interval, self.tol, min_cluster_size(n, self.n_clusters),
            verbose=self.verbose)
        recon_w = self.reconstruction_weight if self._clustering_reconstructs() else 0.0
        module.reconstruct = recon_w > 0  # DEC: no decoder work in the clustering phase
        try:
            module, hist = self._train_module(
                module, dataset, criterion=DSCLoss,
                criterion_params={"reconstruction_weight": recon_w, "clustering_weight": 1.0,
                                  "reduction": self.reconstruction_reduction,
                                  "value_weights": value_weights},
                random_state=rng, iterator_train=_WindowBatches,
                callbacks=(("dec_targets", updater),), phase="clustering",
                progress_columns=(["kl", "recon"] if recon_w > 0 else ["kl"]) + ["delta_label"],
                fit_epochs=None if history else self.max_epochs)
        finally:
            module.reconstruct = module.use_decoder
        history += [dict(h, phase="cluster") for h in hist]
        # the updater's counters are in the returned history; the final assignments are
        # recomputed with the trained module (the last target update may be a few
        # iterations old)
        self.module_ = module
        z, q = self._codes_and_q(module, dataset, exact=True)
        self.labels_ = q.argmax(1)
        self.cluster_centers_ = (module.head.centers.detach().cpu().numpy()
                                 / float(module.head.scale))
        self.history_ = history
        cluster_rows = [h for h in history if h["phase"] == "cluster"]
        last = cluster_rows[-1] if cluster_rows else {}
        self.n_iter_ = len(history)
        self.n_batches_ = int(last.get("n_batches", 0))
        self.converged_ = bool(np.isfinite(last.get("delta_label", np.nan))
                               and last.get("delta_label") < self.tol)
        self.n_reseeded_ = int(last.get("n_reseeded", 0))
        self._warn_if_collapsed(q)
        self.labels_ = wrap_samples(self.labels_, spec, name="cluster")
        return self

    def _clustering_reconstructs(self):
        """Whether the clustering phase keeps a reconstruction term (IDEC-style)."""
        return self.architecture in ("cnn_lstm_ae", "cnn_ae", "idec")

    def _warn_if_collapsed(self, q):
        k = self.n_clusters
        sizes = np.bincount(self.labels_, minlength=k)
        n = len(self.labels_)
        near_empty = int(np.sum(sizes < min_cluster_size(n, k)))
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
            check_field_values(block, getattr(self, "_variable_names", None))
            ds = _FieldWindows(block, None, self.window)
            with _float64(self.module_, resolve_device(self.device)) as exact_module:
                z, q = self._predict_module(_batch_codes_and_q,
                                            _WindowView(ds, start - lo, stop - lo),
                                            module=exact_module)
            zs.append(z)
            qs.append(q)
        return np.concatenate(zs).astype(np.float32), np.concatenate(qs).astype(np.float32)

    def _stream(self, X):
        """Codes, q and the InputSpec of ``X``.

        Numpy input is encoded in chunks of ``batch_size * 16`` time steps (plus the window's
        halo); for dask-backed input codes and q are lazy dask arrays computed block by block
        (with the halo) only when the user computes them.
        """
        check_is_fitted(self, "module_")
        fields, spec = read_fields(self, X, reset=False, compute=False)
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
        Z : ndarray of shape (n_times, embedding_dim)
            A DataArray ``(time, embedding)`` on the input's time coordinate for xarray input;
            dask-backed for dask input.
        """
        z, _, spec = self._stream(X)
        return wrap_samples(z, spec, feature_dim="embedding", name="code")

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
