"""MultimodalConstrainedAE: spatial + temporal autoencoder with a constrained (few-label) loss."""

import math
import numbers
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback

from ._dec import dec_targets, init_centers
from ._sampling import ClassBalancedBatchSampler, sample_cannot_link, sample_class_pairs
from ._training import TorchEstimatorMixin, batch_loader, document_engine_params
from .losses import (
    constrained_cosine_loss,
    embedding_collapse,
    kl_clustering_loss,
    pairwise_constraint_loss,
    reconstruction_error,
    student_t_assignment,
)
from .nn._multimodal import MultimodalAutoencoder
from .preprocessing import stack_modalities
from .utils._random import draw_seed, local_random_state
from .utils._xarray import is_xarray

__all__ = ["MultimodalConstrainedAE"]

_CLUSTERING_LOSSES = (None, "constrained", "dec", "pairwise")
_CHUNK = 4096


# ---------------------------------------------------------------------------------------------
# input handling shared by the multimodal estimators
# ---------------------------------------------------------------------------------------------
def _dataset_to_2d(ds, spatial_shape):
    """``xarray.Dataset`` with ``fraction_map (sample, y, x)`` and ``area (sample, time)``."""
    missing = [v for v in ("fraction_map", "area") if v not in ds.data_vars]
    if missing:
        raise ValueError(
            f"the Dataset needs variables 'fraction_map' (sample, y, x) and 'area' "
            f"(sample, time); missing {missing}.")
    fmap = ds["fraction_map"]
    area = ds["area"]
    sample = fmap.dims[0]
    if area.dims[0] != sample:
        area = area.transpose(sample, ...)
    maps = np.asarray(fmap.values, dtype=np.float32)
    series = np.asarray(area.values, dtype=np.float32)
    if maps.ndim != 3 or series.ndim != 2:
        raise ValueError(
            f"fraction_map must be 3-D (sample, y, x) and area 2-D (sample, time); got "
            f"{fmap.dims} and {area.dims}.")
    if maps.shape[1:] != tuple(spatial_shape):
        raise ValueError(
            f"the spatial modality (fraction_map) has maps of shape {maps.shape[1:]} but "
            f"spatial_shape={tuple(spatial_shape)}; resample the maps or set spatial_shape.")
    if series.shape[1] == 0:
        raise ValueError("the temporal modality (area) has length 0; at least one time step "
                         "is required.")
    coords = {sample: np.asarray(fmap[sample].values)} if sample in fmap.coords else {}
    return stack_modalities(maps, series), (sample, coords)


def _check_finite_chunked(arr, name):
    """NaN/inf check without a full-size temporary (streams over rows)."""
    for start in range(0, arr.shape[0], _CHUNK):
        block = arr[start:start + _CHUNK]
        if not np.isfinite(block).all():
            raise ValueError(
                f"{name} contains NaN or inf values (first bad sample near row {start}); "
                "fill or drop them first.")


def _split_checked(est, X, spatial_shape):
    """Split validated 2-D ``X`` into maps and series, naming the modality in errors."""
    h, w = spatial_shape
    n_map = h * w
    if X.shape[1] <= n_map:
        raise ValueError(
            f"X has {X.shape[1]} features but spatial_shape={tuple(spatial_shape)} needs "
            f"{n_map} map features followed by a series of at least 1 time step (series of "
            "length 0). Check spatial_shape or use skstc.preprocessing.stack_modalities.")
    maps = X[:, :n_map].reshape(X.shape[0], h, w)
    series = X[:, n_map:]
    _check_finite_chunked(maps, "the spatial modality (fraction map)")
    _check_finite_chunked(series, "the temporal modality (area series)")
    return maps, series


def _validate_multimodal(est, X, spatial_shape, *, reset):
    """2-D array or xarray Dataset -> (maps, series, edge) with checks."""
    edge = None
    if is_xarray(X):
        if type(X).__name__ != "Dataset":
            raise TypeError(
                "an xarray input must be a Dataset with 'fraction_map' (sample, y, x) and "
                "'area' (sample, time); for a DataArray pass its values.")
        X, edge = _dataset_to_2d(X, spatial_shape)
    X = validate_data(est, X, dtype=np.float32, ensure_all_finite=False, reset=reset)
    maps, series = _split_checked(est, X, spatial_shape)
    return maps, series, edge


def _check_spatial_shape(spatial_shape):
    if (not isinstance(spatial_shape, (tuple, list)) or len(spatial_shape) != 2
            or not all(isinstance(s, numbers.Integral) and s >= 1 for s in spatial_shape)):
        raise ValueError(
            f"spatial_shape must be a pair of positive integers (height, width), got "
            f"{spatial_shape!r}.")
    return tuple(int(s) for s in spatial_shape)


def _split_labels(y, n_samples):
    """Labels with -1 = unlabelled -> (encoded labels with -1, classes).

    Numeric labels: ``-1`` marks unlabelled rows. Object arrays may mix class labels with
    the integer ``-1``. String arrays have no unlabelled rows.
    """
    if y is None:
        return np.full(n_samples, -1, dtype=np.int64), np.array([])
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D of shape (n_samples,), got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"y has {y.shape[0]} labels but X has {n_samples} samples; they must be the same "
            "length.")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or inf; use -1 for unlabelled samples.")
    if y.dtype.kind in "iufb":
        labelled = y != -1
    elif y.dtype.kind == "O":
        labelled = np.array([not (isinstance(v, numbers.Number) and v == -1) for v in y],
                            dtype=bool)
    else:
        labelled = np.ones(n_samples, dtype=bool)
    if labelled.any():
        classes, enc = np.unique(y[labelled], return_inverse=True)
    else:
        classes, enc = np.array([]), np.array([], dtype=np.int64)
    y_enc = np.full(n_samples, -1, dtype=np.int64)
    y_enc[labelled] = enc
    return y_enc, classes


# ---------------------------------------------------------------------------------------------
# criterion and callbacks
# ---------------------------------------------------------------------------------------------
class _MultimodalLoss(torch.nn.Module):
    """Weighted reconstruction + optional clustering/constraint loss (criterion protocol)."""

    def __init__(self, spatial_weight=0.01, temporal_weight=1.0, constraint_weight=1.0,
                 reconstruction="sum", clustering_loss="constrained", pairwise_schedule="joint",
                 constraint_center=False, dec_alpha=1.0, eps=1e-8, seed=0):
        super().__init__()
        self.spatial_weight = spatial_weight
        self.temporal_weight = temporal_weight
        self.constraint_weight = constraint_weight
        self.reconstruction = reconstruction
        self.clustering_loss = clustering_loss
        self.pairwise_schedule = pairwise_schedule
        self.constraint_center = constraint_center
        self.dec_alpha = dec_alpha
        self.eps = eps
        self.generator = torch.Generator()
        self.generator.manual_seed(seed)
        self.active = False        # switched on by _ConstraintSchedule
        self.target = None         # DEC target distribution over the whole data set
        self.centers = None        # reference to the module's cluster centres
        self._step = 0

    def forward(self, y_pred, y_true, X):
        comps = {}
        loss = 0.0
        if "map_hat" in y_pred:
            rec = reconstruction_error(y_pred["map_hat"], X["maps"], self.reconstruction)
            comps["recon_map"] = float(rec.detach())
            loss = loss + self.spatial_weight * rec
        if "series_hat" in y_pred:
            rec = reconstruction_error(y_pred["series_hat"], X["series"], self.reconstruction)
            comps["recon_series"] = float(rec.detach())
            loss = loss + self.temporal_weight * rec
        z = y_pred["z"]
        comps["collapse"] = embedding_collapse(z)
        if self.active and self.clustering_loss is not None:
            extra = self._clustering_term(z, y_true, X, comps)
            comps["constraint"] = float(extra.detach())
            loss = loss + self.constraint_weight * extra
        self._step += 1
        self.components_ = comps
        return loss

    def _clustering_term(self, z, y, X, comps):
        if self.clustering_loss == "constrained":
            pairs = sample_class_pairs(y, self.generator)
            return constrained_cosine_loss(z, pairs, eps=self.eps, center=self.constraint_center)
        q = student_t_assignment(z, self.centers, self.dec_alpha)
        kl = kl_clustering_loss(self.target[X["index"]].to(q.device), q)
        if self.clustering_loss == "dec":
            return kl
        pairs = sample_class_pairs(y, self.generator)
        if pairs:
            ml = (torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs]))
            cl = sample_cannot_link(y, len(ml[0]), self.generator)
        else:
            ml = cl = None
        ml_loss, cl_loss = pairwise_constraint_loss(q, ml, cl, eps=self.eps)
        comps["must_link"] = float(ml_loss.detach())
        comps["cannot_link"] = float(cl_loss.detach())
        if self.pairwise_schedule == "joint":
            return kl + ml_loss + cl_loss
        # alternate: clustering step, then constraint step
        return kl if self._step % 2 == 0 else ml_loss + cl_loss


class _ConstraintSchedule(Callback):
    """Switch the clustering/constraint term on at ``start_epoch`` and keep DEC targets fresh.

    For the DEC-based losses the cluster centres are initialised by k-means on the current
    embeddings when the term starts, and the target distribution is recomputed over the whole
    data set at the beginning of every epoch (DEC's update rule with one update per epoch).
    """

    def __init__(self, start_epoch, data, embed, n_clusters, seed, dec_alpha):
        self.start_epoch = start_epoch
        self.data = data
        self.embed = embed
        self.n_clusters = n_clusters
        self.seed = seed
        self.dec_alpha = dec_alpha

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history)  # 1-based, the current epoch's row already exists
        crit = net.criterion_
        crit.active = epoch > self.start_epoch
        if not crit.active or crit.clustering_loss in (None, "constrained"):
            return
        module = net.module_
        z = torch.as_tensor(self.embed(module, self.data))
        if epoch == self.start_epoch + 1:
            centers, _, _ = init_centers(z.numpy(), self.n_clusters, n_init=10,
                                         random_state=self.seed, rescale=False)
            with torch.no_grad():
                module.cluster_centers.copy_(torch.as_tensor(centers))
        with torch.no_grad():
            q = student_t_assignment(z, module.cluster_centers.detach().cpu(), self.dec_alpha)
        crit.target = torch.as_tensor(dec_targets(q), dtype=q.dtype)
        crit.centers = module.cluster_centers


# ---------------------------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------------------------
@document_engine_params
class MultimodalConstrainedAE(TorchEstimatorMixin, ClusterMixin, TransformerMixin,
                              BaseEstimator):
    """Spatial + temporal autoencoder with a few-label constrained loss (and its ablations).

    Each object has a map (e.g. the fraction map of a water body) and a time series (its
    area). A CNN encodes the map and a bidirectional LSTM (forward and backward final states
    added) encodes the series; each branch goes through Linear + ReLU + L2 normalisation and
    the fused embedding is their sum. An up-convolution decoder and an LSTM decoder
    reconstruct the map and the series from the fused embedding. The loss is::

        spatial_weight * E_map + temporal_weight * E_series + constraint_weight * L_c

    where ``E`` is the squared reconstruction error (per-sample sum over pixels/steps, then
    batch mean, with ``reconstruction="sum"``: the published weights lambda=0.01 on the map
    and 1 on the series were chosen for that scale) and ``L_c`` (after ``constraint_start``
    of the epochs) is, with ``clustering_loss="constrained"``, the mean over labelled classes
    of the mean over sampled same-class pairs of ``-log(|cos(h_i, h_j)| + eps)``, with
    2 x (smallest labelled-class count in the batch) pairs per class. Batches come from a
    class-balanced sampler so that every batch holds labelled samples of every class.

    ``fit_predict``/``predict`` run k-means on the embeddings.

    The paper's baselines are parameters of this class:

    ==============  =========================================================
    SAE             ``modalities="spatial", clustering_loss=None``
    TAE             ``modalities="temporal", clustering_loss=None``
    SLTLAE          ``clustering_loss=None``
    SLTLAE_DEC      ``clustering_loss="dec"`` (Student-t + KL to sharpened target)
    SLTLAE_CONS     ``clustering_loss="pairwise"`` (DEC + must-link/cannot-link)
    SLTLAE_CL       ``clustering_loss="constrained"`` (the proposed model, default)
    ==============  =========================================================

    Parameters
    ----------
    n_clusters : int, default=4
        Number of k-means clusters on the embeddings (``labels_``) and of DEC centres.
    spatial_shape : tuple of int (height, width), default=(64, 64)
        Shape of the maps: the first ``height * width`` columns of ``X`` are the flattened
        map, the rest is the series.
    embedding_dim : int, default=256
        Size of each branch's embedding and of the fused embedding.
    modalities : {"both", "spatial", "temporal"}, default="both"
        Which branches are used (SAE: "spatial", TAE: "temporal").
    clustering_loss : {"constrained", "dec", "pairwise"} or None, default="constrained"
        Extra loss on the embedding, see the table above. None: plain autoencoder.
    pairwise_schedule : {"joint", "alternate"}, default="joint"
        For ``clustering_loss="pairwise"``: add the DEC and pairwise terms at every step, or
        alternate between them from step to step (Zhang et al.).
    spatial_weight : float, default=0.01
        Weight of the map reconstruction error (the paper's lambda). With
        ``reconstruction="sum"`` the published value was set for 64 x 64 maps; for other map
        sizes ``0.01 * 4096 / (height * width)`` keeps the same weight per pixel.
    temporal_weight : float, default=1.0
        Weight of the series reconstruction error.
    constraint_weight : float, default=1.0
        Weight of the clustering/constraint term (the paper's gamma).
    reconstruction : {"sum", "mean"}, default="sum"
        Normalisation of the reconstruction errors: per-sample sum over pixels (steps) as in
        the authors' code (the published weights assume it), or per-element mean (then
        ``spatial_weight=0.01`` nearly removes the spatial signal).
    constraint_start : float in [0, 1), default=0.5
        Fraction of ``max_epochs`` trained on reconstruction only before the extra term
        starts (paper: half).
    constraint_center : bool, default=False
        Variant of the constrained loss computing cosines on batch-centred embeddings. The
        faithful form (False) acts on ReLU-then-normalised embeddings that live in the
        positive orthant, where same-class cosines are often already near 1 and the term
        has little effect; centring removes the shared direction (see the benchmark).
    channels : tuple of int, default=(16, 32, 64)
        Convolution channels of the spatial encoder (reversed in the decoder).
    hidden_size : int, default=64
        LSTM hidden size.
    bidirectional : bool, default=True
        Bidirectional LSTM encoder (False: forward direction only).
    dec_alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel (DEC losses).
    eps : float, default=1e-8
        Added to ``|cos|`` (and the pairwise agreements) inside the logarithms.
    min_steps_per_epoch : int, default=8
        The batch size is capped at ``ceil(n_samples / min_steps_per_epoch)`` so that small
        data sets still get several optimiser steps per epoch (with a few hundred objects and
        batch 256 an epoch would otherwise be 1-2 steps).
    clusterer : estimator or None, default=None
        Clusterer fitted on the embeddings (cloned); None: ``KMeans(n_clusters, n_init=10)``.
    max_epochs : int, default=60
        Number of passes over the data. The paper trains 2000 epochs on a GPU; 60 epochs
        of at least ``min_steps_per_epoch`` steps give a useful model on a CPU in minutes
        for a few hundred objects.
    batch_size : int, default=256
        Mini-batch size (paper: 256), capped as described in ``min_steps_per_epoch``.
    lr : float, default=1e-3
        Learning rate of the optimizer (paper: Adam, 1e-3).
    <engine parameter: optimizer>
    <engine parameter: tol>
    <engine parameter: n_iter_no_change>
    <engine parameter: device>
    <engine parameter: n_threads>
    <engine parameter: num_workers>
    <engine parameter: callbacks>
    <engine parameter: verbose>
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, data order, pair sampling and k-means through local
        generators; the global numpy and torch RNG states are left unchanged.

    Attributes
    ----------
    module_ : skstc.nn.MultimodalAutoencoder
        The trained network.
    history_ : list of dict
        Per-epoch records: ``train_loss``, ``recon_map``, ``recon_series``, ``constraint``
        (once active) and ``collapse`` (the embedding-collapse measure
        :func:`skstc.losses.embedding_collapse` averaged over the batches: 1 means all
        embeddings point the same way).
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        K-means centres in the embedding space.
    clusterer_ : estimator
        The fitted clusterer.
    classes_ : ndarray
        Labelled classes seen in ``y`` (empty when unsupervised).
    n_timesteps_ : int
        Length of the series.
    n_iter_ : int
        Number of epochs trained.
    n_features_in_ : int
        ``height * width + n_timesteps``.

    See Also
    --------
    skstc.LabelAugmenter : Algorithm 2, label propagation in the embedding space.
    skstc.MultimodalClassifier : supervised models on top of the encoder.

    Examples
    --------
    >>> from skstc import MultimodalConstrainedAE
    >>> from skstc.datasets import make_water_bodies
    >>> X, y = make_water_bodies(40, n_timesteps=12, map_size=8, random_state=0)
    >>> y_few = y.copy(); y_few[8:] = -1                     # 8 labelled objects
    >>> ae = MultimodalConstrainedAE(4, spatial_shape=(8, 8), embedding_dim=8, channels=(4,),
    ...                              hidden_size=8, max_epochs=2, n_threads=1, random_state=0)
    >>> ae.fit(X, y_few).transform(X).shape
    (40, 8)
    >>> ae.labels_.shape
    (40,)
    """

    def __init__(self, n_clusters=4, *, spatial_shape=(64, 64), embedding_dim=256,
                 modalities="both", clustering_loss="constrained", pairwise_schedule="joint",
                 spatial_weight=0.01, temporal_weight=1.0, constraint_weight=1.0,
                 reconstruction="sum", constraint_start=0.5, constraint_center=False,
                 channels=(16, 32, 64), hidden_size=64, bidirectional=True, dec_alpha=1.0,
                 eps=1e-8, min_steps_per_epoch=8, clusterer=None, max_epochs=60,
                 batch_size=256, lr=1e-3, optimizer="adam", tol=1e-4, n_iter_no_change=None,
                 device="auto", n_threads=None, num_workers=0, callbacks=None, verbose=0,
                 random_state=None):
        self.n_clusters = n_clusters
        self.spatial_shape = spatial_shape
        self.embedding_dim = embedding_dim
        self.modalities = modalities
        self.clustering_loss = clustering_loss
        self.pairwise_schedule = pairwise_schedule
        self.spatial_weight = spatial_weight
        self.temporal_weight = temporal_weight
        self.constraint_weight = constraint_weight
        self.reconstruction = reconstruction
        self.constraint_start = constraint_start
        self.constraint_center = constraint_center
        self.channels = channels
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional
        self.dec_alpha = dec_alpha
        self.eps = eps
        self.min_steps_per_epoch = min_steps_per_epoch
        self.clusterer = clusterer
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

    # ---- validation -------------------------------------------------------------------------
    def _check_params(self):
        shape = _check_spatial_shape(self.spatial_shape)
        if not isinstance(self.n_clusters, numbers.Integral) or self.n_clusters < 1:
            raise ValueError(f"n_clusters must be a positive integer, got {self.n_clusters!r}.")
        for name in ("embedding_dim", "hidden_size", "min_steps_per_epoch"):
            val = getattr(self, name)
            if not isinstance(val, numbers.Integral) or isinstance(val, bool) or val < 1:
                raise ValueError(f"{name} must be a positive integer, got {val!r}.")
        if self.modalities not in ("both", "spatial", "temporal"):
            raise ValueError(
                f"modalities must be 'both', 'spatial' or 'temporal', got {self.modalities!r}.")
        if self.clustering_loss not in _CLUSTERING_LOSSES:
            raise ValueError(
                f"clustering_loss must be one of {_CLUSTERING_LOSSES}, got "
                f"{self.clustering_loss!r}.")
        if self.pairwise_schedule not in ("joint", "alternate"):
            raise ValueError(
                f"pairwise_schedule must be 'joint' or 'alternate', got "
                f"{self.pairwise_schedule!r}.")
        if self.reconstruction not in ("sum", "mean"):
            raise ValueError(
                f"reconstruction must be 'sum' or 'mean', got {self.reconstruction!r}.")
        for name in ("spatial_weight", "temporal_weight", "constraint_weight", "eps"):
            val = getattr(self, name)
            if not isinstance(val, numbers.Real) or val < 0:
                raise ValueError(f"{name} must be a float >= 0, got {val!r}.")
        if not isinstance(self.dec_alpha, numbers.Real) or self.dec_alpha <= 0:
            raise ValueError(f"dec_alpha must be a positive float, got {self.dec_alpha!r}.")
        if not isinstance(self.constraint_start, numbers.Real) or not (
                0 <= self.constraint_start < 1):
            raise ValueError(
                f"constraint_start must be in [0, 1), got {self.constraint_start!r}.")
        if (not isinstance(self.channels, (tuple, list)) or len(self.channels) == 0
                or not all(isinstance(c, numbers.Integral) and c >= 1 for c in self.channels)):
            raise ValueError(
                f"channels must be a non-empty tuple of positive integers, got "
                f"{self.channels!r}.")
        return shape

    # ---- fitting ------------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Train the autoencoder (with the constraint on labelled rows) and cluster.

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width + n_timesteps) or xarray.Dataset
            Flattened maps followed by the series (see
            :func:`skstc.preprocessing.stack_modalities`), or a Dataset with
            ``fraction_map (sample, y, x)`` and ``area (sample, time)``.
        y : array-like of shape (n_samples,) or None, default=None
            Class labels, ``-1`` for unlabelled; None trains unsupervised.

        Returns
        -------
        self : MultimodalConstrainedAE
        """
        self._check_engine_params()
        shape = self._check_params()
        maps, series, _ = _validate_multimodal(self, X, shape, reset=True)
        n = maps.shape[0]
        if n < 2:
            raise ValueError(f"n_samples={n}: at least 2 samples are needed to train.")
        y_enc, self.classes_ = self._check_labels(y, n)
        self.n_timesteps_ = series.shape[1]
        rng = local_random_state(self.random_state)

        batch_size = max(1, min(self.batch_size, math.ceil(n / self.min_steps_per_epoch)))
        uses_labels = self.clustering_loss in ("constrained", "pairwise")
        uses_dec = self.clustering_loss in ("dec", "pairwise")
        if uses_dec and self.n_clusters > n:
            raise ValueError(f"n_clusters={self.n_clusters} is larger than n_samples={n}.")
        labelled_classes = np.unique(y_enc[y_enc >= 0])
        counts = np.bincount(y_enc[y_enc >= 0], minlength=len(self.classes_))
        pair_classes = np.flatnonzero(counts >= 2)
        iterator = None
        if uses_labels and pair_classes.size:
            y_pairs = np.where(np.isin(y_enc, pair_classes), y_enc, -1)

            def iterator(dataset, batch_size, generator, num_workers):
                sampler = ClassBalancedBatchSampler(y_pairs, batch_size, generator)
                return batch_loader(dataset, sampler, num_workers)
        elif uses_labels and labelled_classes.size:
            warnings.warn("no class has 2 labelled samples: the constraint is skipped.",
                          UserWarning, stacklevel=2)

        data = {"maps": maps, "series": series}
        train_data = dict(data, index=np.arange(n))
        ae_params = {
            "spatial_shape": shape, "n_timesteps": self.n_timesteps_,
            "embedding_dim": self.embedding_dim, "mode": self.modalities,
            "channels": tuple(self.channels), "hidden_size": self.hidden_size,
            "bidirectional": self.bidirectional,
            "n_clusters": self.n_clusters if uses_dec else None,
        }
        seed = draw_seed(rng)
        start_epoch = int(math.floor(self.constraint_start * self.max_epochs))

        def embed(module, d):
            return self._predict_module(_encode, d, module=module, batch_size=batch_size)

        schedule = _ConstraintSchedule(start_epoch, data, embed, self.n_clusters, seed,
                                       self.dec_alpha)
        self.module_, self.history_ = self._train_module(
            MultimodalAutoencoder, train_data, y_enc,
            module_params=ae_params,
            criterion=_MultimodalLoss,
            criterion_params={
                "spatial_weight": self.spatial_weight, "temporal_weight": self.temporal_weight,
                "constraint_weight": self.constraint_weight,
                "reconstruction": self.reconstruction,
                "clustering_loss": self.clustering_loss,
                "pairwise_schedule": self.pairwise_schedule,
                "constraint_center": self.constraint_center, "dec_alpha": self.dec_alpha,
                "eps": self.eps, "seed": seed + 2,
            },
            random_state=rng, batch_size=batch_size, iterator_train=iterator,
            callbacks=[("constraint_schedule", schedule)],
        )
        self.n_iter_ = len(self.history_)
        self._batch_size_eff = batch_size
        Z = self._predict_module(_encode, data)
        clusterer = (KMeans(self.n_clusters, n_init=10) if self.clusterer is None
                     else clone(self.clusterer))
        if "random_state" in clusterer.get_params():
            clusterer.set_params(random_state=draw_seed(rng))
        if getattr(clusterer, "n_clusters", 1) > n:
            raise ValueError(f"n_clusters={self.n_clusters} is larger than n_samples={n}.")
        self.clusterer_ = clusterer.fit(Z)
        self.labels_ = np.asarray(self.clusterer_.labels_)
        self.cluster_centers_ = getattr(self.clusterer_, "cluster_centers_", None)
        return self

    def _check_labels(self, y, n):
        y_enc, classes = _split_labels(y, n)
        if y is not None and classes.size == 0:
            warnings.warn("y has no labelled sample (all -1): training is unsupervised.",
                          UserWarning, stacklevel=3)
        needs_labels = self.clustering_loss in ("constrained", "pairwise")
        if needs_labels and classes.size == 1:
            raise ValueError(
                f"y has labelled samples of one class only ({classes[0]!r}); the constrained "
                "loss needs at least two classes (or use y=None / clustering_loss=None).")
        if needs_labels and classes.size > 1:
            counts = np.bincount(y_enc[y_enc >= 0], minlength=classes.size)
            few = classes[counts < 2]
            if few.size:
                warnings.warn(
                    f"classes {few.tolist()} have fewer than 2 labelled samples: the "
                    "constraint is skipped for them.", UserWarning, stacklevel=3)
        return y_enc, classes

    def fit_predict(self, X, y=None):
        """Fit and return the cluster labels of ``X``."""
        return self.fit(X, y).labels_

    # ---- inference ---------------------------------------------------------------------------
    def _inputs(self, X):
        check_is_fitted(self)
        shape = _check_spatial_shape(self.spatial_shape)
        maps, series, edge = _validate_multimodal(self, X, shape, reset=False)
        return {"maps": maps, "series": series}, edge

    def transform(self, X):
        """Fused embeddings, computed in batches (memory independent of ``n_samples``).

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width + n_timesteps) or xarray.Dataset

        Returns
        -------
        Z : ndarray of shape (n_samples, embedding_dim), or a DataArray
            ``(sample, embedding)`` for a Dataset input.
        """
        data, edge = self._inputs(X)
        Z = self._predict_module(_encode, data)
        if edge is not None:
            import xarray as xr

            dim, coords = edge
            return xr.DataArray(Z, dims=(dim, "embedding"), coords=coords,
                                name="embedding")
        return Z

    def predict(self, X):
        """Cluster of each sample (the clusterer applied to the embeddings)."""
        Z = self.transform(X)
        return self.clusterer_.predict(np.asarray(Z))

    def inverse_transform(self, X):
        """Reconstruct maps and series from embeddings.

        Parameters
        ----------
        X : array-like of shape (n_samples, embedding_dim)
            Embeddings (e.g. from :meth:`transform`).

        Returns
        -------
        X_rec : ndarray of shape (n_samples, height * width + n_timesteps)
            Reconstructed flattened maps then series; a modality that the model does not use
            (``modalities="spatial"`` or ``"temporal"``) is NaN.
        """
        check_is_fitted(self)
        Z = np.asarray(X, dtype=np.float32)
        if Z.ndim != 2 or Z.shape[1] != self.embedding_dim:
            raise ValueError(
                f"inverse_transform expects embeddings of shape (n_samples, "
                f"{self.embedding_dim}), got {Z.shape}.")
        _check_finite_chunked(Z, "the embeddings")
        h, w = _check_spatial_shape(self.spatial_shape)
        n_t = self.n_timesteps_

        def decode(module, z):
            map_hat, series_hat = module.decode(z)
            if map_hat is None:
                map_hat = torch.full((z.shape[0], h, w), float("nan"))
            if series_hat is None:
                series_hat = torch.full((z.shape[0], n_t), float("nan"))
            return map_hat.flatten(1), series_hat

        maps, series = self._predict_module(decode, Z)
        return np.concatenate([maps, series], axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def _encode(module, batch):
    return module.encode(batch["maps"], batch["series"])
