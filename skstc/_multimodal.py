"""MultimodalConstrainedAE: spatial + temporal autoencoder with a constrained (few-label) loss."""

import copy
import math
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
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from ._clustering import (
    build_clusterer,
    cluster_centers,
    clusterer_score,
    effective_n_clusters,
    fit_clusterer,
)
from ._dec import dec_targets, init_centers
from ._sampling import ClassBalancedBatchSampler
from ._training import (
    StopTraining,
    TorchEstimatorMixin,
    batch_loader,
    check_finite_embeddings,
    document_engine_params,
)
from .losses import (
    _MultimodalLoss,
    modality_variance,
    student_t_assignment,
)
from .nn._multimodal import MultimodalAutoencoder
from .utils._inputs import (
    _check_finite_chunked,
    _check_spatial_shape,
    _fitted_spatial_shape,
    _split_labels,
    _validate_multimodal,
    parse_multimodal,
)
from .utils._random import draw_seed, local_random_state
from .utils._validation import check_n_clusters
from .utils._xarray import apply_to_samples, wrap_samples

__all__ = ["MultimodalConstrainedAE"]

_CLUSTERING_LOSSES = (None, "constrained", "contrastive", "dec", "idec", "pairwise")
_DEC_LOSSES = ("dec", "idec", "pairwise")
_LABEL_LOSSES = ("constrained", "contrastive", "pairwise")
_MIN_TERM_SHARE = 0.05



# ---------------------------------------------------------------------------------------------
# training schedule and callbacks
# ---------------------------------------------------------------------------------------------
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
        self.active = False

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history)  # 1-based, the current epoch's row already exists
        crit = net.criterion_
        crit.active = self.active = (epoch > self.start_epoch
                                     and crit.clustering_loss is not None)
        if not crit.active or crit.clustering_loss not in _DEC_LOSSES:
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
        # on the training device, indexed there by each batch's sample indices
        crit.target = torch.as_tensor(dec_targets(q), dtype=q.dtype).to(
            module.cluster_centers.device)
        crit.centers = module.cluster_centers


class _HeldOutStopping(Callback):
    """Early stopping on the reconstruction error of held-out (unlabelled) rows.

    Each epoch the scale-free reconstruction error of the held-out rows (each modality's
    mean squared error over its variance, averaged with the modality weights) is recorded
    in the history as ``valid_recon``, next to ``valid_recon_mean``, the same error for
    predicting the training rows' mean (the reference a useful model must beat).

    Before the embedding term starts, the weights with the lowest held-out error are kept;
    after ``patience`` epochs without a relative improvement of ``tol`` they are restored
    and the embedding term starts at the next epoch. While the term is active (and it keeps
    the reconstruction), training stops after ``patience`` epochs without improvement.
    Without an embedding term the best weights are restored at the end of training.
    """

    def __init__(self, error, reference, schedule, has_term, monitor_term, patience, tol):
        self.error = error
        self.reference = reference
        self.schedule = schedule
        self.has_term = has_term
        self.monitor_term = monitor_term
        self.patience = patience
        self.tol = tol

    def initialize(self):
        self._reset()
        return self

    def _reset(self):
        self.best_, self.wait_, self.state_ = np.inf, 0, None

    def _restore(self, net):
        if self.state_ is not None:
            net.module_.load_state_dict(self.state_)

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        active = self.schedule.active
        if active and not self.monitor_term:
            return
        err = float(self.error(net.module_))
        net.history.record("valid_recon", err)
        net.history.record("valid_recon_mean", self.reference)
        if active and self.state_ is not None and self.has_term:
            self._reset()   # first epoch of the term: a new phase
        if err < self.best_ - self.tol * abs(self.best_) or not np.isfinite(self.best_):
            self.best_, self.wait_ = err, 0
            if not (active and self.has_term):
                self.state_ = copy.deepcopy(net.module_.state_dict())
        else:
            self.wait_ += 1
        if self.wait_ < self.patience:
            return
        if self.has_term and not active:
            self._restore(net)
            net.history.record("restored_epoch", epoch - self.wait_)
            self.schedule.start_epoch = epoch
            self._reset()
            self.state_ = None
            return
        raise StopTraining

    def on_train_end(self, net, **kwargs):
        if not self.schedule.active:
            self._restore(net)


def _phase_iterator(schedule, y_pairs, n_per_class, seed, balanced):
    """Training iterator: shuffled batches, class-balanced while the pair term is active.

    A new generator is derived for every epoch (the engine calls the iterator each epoch).
    ``balanced="always"`` uses class-balanced batches from the first epoch (the published
    sampler), ``"constraint"`` only while the embedding term is active.
    """
    state = {"epoch": 0}

    def iterator(dataset, batch_size, generator, num_workers):
        state["epoch"] += 1
        gen = torch.Generator()
        gen.manual_seed(seed + 7919 * state["epoch"])
        if y_pairs is not None and (balanced == "always" or schedule.active):
            sampler = ClassBalancedBatchSampler(y_pairs, batch_size, gen, n_per_class)
        else:
            order = torch.randperm(len(dataset), generator=gen).tolist()
            sampler = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        return batch_loader(dataset, sampler, num_workers)

    return iterator


# ---------------------------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------------------------
@document_engine_params
class MultimodalConstrainedAE(TorchEstimatorMixin, ClassNamePrefixFeaturesOutMixin, ClusterMixin,
                              TransformerMixin, BaseEstimator):
    """Spatial + temporal autoencoder with a few-label constrained loss (and its ablations).

    Each object has a map (e.g. the fraction map of a water body) and a time series (its
    area). A CNN encodes the map and a bidirectional LSTM encodes the series; each branch
    goes through Linear + ReLU + L2 normalisation and the fused embedding is their sum (or
    concatenation, ``fusion``). An up-convolution decoder and an LSTM decoder reconstruct the
    map and the series (from the fused embedding, or each from its own branch,
    ``decoders``). The loss is::

        spatial_weight * E_map + temporal_weight * E_series + constraint_weight * L_c

    where ``E`` is the squared reconstruction error of a modality (see ``reconstruction``)
    and ``L_c``, switched on after ``constraint_start`` of the epochs, is the embedding term
    chosen by ``clustering_loss``. The published ``"constrained"`` term is the mean over
    labelled classes of the mean over sampled same-class pairs of
    ``-log(|cos(h_i, h_j)| + eps)``, with 2 x (smallest labelled-class count in the batch)
    pairs per class.

    ``fit_predict``/``predict`` run k-means on the embeddings.

    **Defaults, the published model and its variants.** The defaults are the paper's loss
    and training choices (``reconstruction="sum"`` with ``spatial_weight=0.01``,
    ``map_pooling="flatten"``, ``series_readout="last"``, ``fusion="sum"``,
    ``decoders="shared"``, ``balanced_batches="always"``, ``early_stopping=False``,
    ``clustering_loss="constrained"``, ``constraint_center=False``) and the published
    network with a CPU budget (60 epochs of at least ``min_steps_per_epoch`` steps);
    :meth:`paper_params` gives the published configuration (2000 epochs of batches of
    256, for a GPU). Narrower networks were cheaper but lost few-label macro-F1 on the
    real object sets (``benchmarks/results/defaults.md``). Each deviation found
    in an audit of the published form is a parameter: scale-free reconstruction terms
    (``reconstruction="normalized"``), early stopping on held-out rows, global pooling of
    the map, a read-out pooled over all steps, concatenation and per-branch decoders,
    class-balanced batches only while the pair term is active, and a term that can act
    (``clustering_loss="contrastive"``). None of them won consistently on the real object
    sets of the benchmark (``benchmarks/results/multimodal.md``), so none is the default;
    on those sets a linear model on the raw features is better than every variant, which
    is worth checking on one's own data before using the embedding:
    :func:`skstc.baselines.compare_with_baselines` fits this model and its simple
    baselines on the same data and says which is better.

    With per-sample sums the weight of a term grows with its size: on maps smaller than
    the paper's 64 x 64, ``spatial_weight=0.01`` makes the map term a tiny fraction of the
    loss and the map branch is barely trained (a warning says so when a reconstruction term
    is under 5 % of the loss). The faithful constraint starts near its minimum:
    ReLU-then-normalised embeddings lie in the positive orthant, where same-class cosines
    are close to 1 from the first epoch, so it barely acts; ``constraint_center=True`` or
    ``clustering_loss="contrastive"`` (with negative pairs) give a term that can act.

    The paper's baselines are parameters of this class:

    ==============  =========================================================
    SAE             ``modalities="spatial", clustering_loss=None``
    TAE             ``modalities="temporal", clustering_loss=None``
    SLTLAE          ``clustering_loss=None``
    SLTLAE_DEC      ``clustering_loss="dec"`` (Student-t + KL to sharpened target; the
                    reconstruction is dropped once the KL term starts, as in DEC;
                    ``"idec"`` keeps it)
    SLTLAE_CONS     ``clustering_loss="pairwise", pairwise_schedule="alternate"``
                    (DEC + must-link/cannot-link, alternating as in Zhang et al.)
    SLTLAE_CL       ``clustering_loss="constrained"`` (the proposed model)
    ==============  =========================================================

    Parameters
    ----------
    n_clusters : int, default=4
        Number of k-means clusters on the embeddings (``labels_``) and of DEC centres.
    spatial_shape : tuple of int (height, width), default=(64, 64)
        Shape of the maps: the first ``height * width`` columns of ``X`` are the flattened
        map, the rest is the series.
    embedding_dim : int, default=256
        Size of each branch's embedding (and of the fused embedding with
        ``fusion="sum"``; twice that with ``"concat"``); the paper's. Embeddings of 32
        lost few-label macro-F1 on the real object sets of
        ``benchmarks/results/defaults.md`` (Slovenia 0.50 against 0.56).
    modalities : {"both", "spatial", "temporal"}, default="both"
        Which branches are used (SAE: "spatial", TAE: "temporal").
    clustering_loss : {"constrained", "contrastive", "dec", "idec", "pairwise"} or None, \
            default="constrained"
        Extra term on the embedding, see the table above. ``"contrastive"``: supervised
        contrastive loss over the labelled rows of each batch (same-class pairs pulled
        together, other labelled rows pushed away, cosine similarity over ``temperature``);
        ``"idec"``: DEC keeping the reconstruction. None: plain autoencoder.
    pairwise_schedule : {"joint", "alternate"}, default="joint"
        For ``clustering_loss="pairwise"``: add the DEC and pairwise terms at every step, or
        alternate between them from step to step (Zhang et al.; the SLTLAE_CONS ablation).
    spatial_weight : float, default=0.01
        Weight of the map reconstruction error (the paper's lambda, set for per-sample sums
        over 64 x 64 maps; ``0.01 * 4096 / (height * width)`` keeps its per-pixel weight on
        other sizes; with ``reconstruction="normalized"`` a weight of 1 makes the two
        terms equally important).
    temporal_weight : float, default=1.0
        Weight of the series reconstruction error (the paper's gamma, 1).
    constraint_weight : float, default=1.0
        Weight of the clustering/constraint term (fixed to 1 in the paper).
    reconstruction : {"sum", "normalized", "mean"}, default="sum"
        Normalisation of the reconstruction errors. ``"normalized"``: per-element mean
        squared error divided by the modality's variance over the training rows, so each
        term is free of the modality's size and units and predicting the mean scores 1
        (equal weights then mean equal importance). ``"sum"``: per-sample sum over pixels
        (steps) as in the authors' code (the published weights assume it; their ratio then
        depends on the map size and series length). ``"mean"``: per-element mean.
    constraint_start : float in [0, 1), default=0.5
        Fraction of ``max_epochs`` trained on reconstruction only before the extra term
        starts (paper: half). With early stopping the term starts earlier when the
        held-out reconstruction stops improving.
    constraint_center : bool, default=False
        Compute the constraint on batch-centred embeddings (removes the direction shared by
        all ReLU-then-normalised embeddings, so the term is not at its minimum from the
        start and cannot be met by collapse).
    temperature : float, default=0.1
        Temperature of ``clustering_loss="contrastive"``.
    conv_channels : tuple of int, default=(16, 32, 64)
        Convolution channels of the spatial encoder (reversed in the decoder).
    lstm_hidden_size : int, default=64
        LSTM hidden size. The recurrent steps dominate the cost of a fit on long series
        (32 units take less than half the time, and lost macro-F1 in
        ``benchmarks/results/defaults.md``).
    bidirectional : bool, default=True
        Bidirectional LSTM encoder (False: forward direction only).
    activation : {"relu", "linear"}, default="relu"
        Activation of each branch before its L2 normalisation: ReLU (the paper; the
        embeddings then lie in the positive orthant, where all cosines are positive) or
        none (embeddings anywhere on the sphere).
    map_pooling : {"flatten", "mean"}, default="flatten"
        Read-out of the map encoder: flatten the last feature map into the linear layer
        (the paper) or average it over space (global average pooling, nearly invariant to
        translations of the object).
    series_readout : {"last", "mean"}, default="last"
        Read-out of the series encoder: final hidden state of each direction, added (the
        paper; the middle of a long series gets almost no gradient) or the hidden states
        averaged over all steps.
    fusion : {"sum", "concat"}, default="sum"
        Fused embedding: sum of the branch embeddings (the paper) or their concatenation
        (each branch keeps its own coordinates; :meth:`transform_branches` gives the
        branch embeddings in either case).
    decoders : {"shared", "per_branch"}, default="shared"
        Both decoders read the fused embedding (the paper), or each reads its own branch
        (each encoder is then trained by its own modality's reconstruction; needs
        ``fusion="concat"`` when both modalities are used).
    balanced_batches : {"always", "constraint"}, default="always"
        With a label-based term: class-balanced batches (labelled rows of every class in
        every batch) from the first epoch with up to half the batch labelled (the published
        sampler, which shows labelled rows many times more often than the others, but also
        shows rare classes more often); ``"constraint"``: only while the term is active
        (plain shuffled batches before), with labelled rows capped at about a quarter of
        the batch.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the unlabelled rows and monitor their
        scale-free reconstruction error every epoch (``valid_recon`` in ``history_``,
        next to ``valid_recon_mean``, the error of predicting the training mean). Before
        the embedding term starts, the weights of the best epoch are restored once the
        error has not improved (by ``tol``) for ``n_iter_no_change`` epochs (5 when None),
        and the term starts; while the term is active, training stops under the same
        rule. Without a term the best weights are returned. Held-out rows are not used
        for training but are embedded and clustered like the others.
    validation_fraction : float in (0, 1), default=0.1
        Fraction of the unlabelled rows held out for early stopping (skipped when fewer
        than 2 rows).
    dec_alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel (DEC losses).
    eps : float, default=1e-8
        Added to ``|cos|`` (and the pairwise agreements) inside the logarithms.
    min_steps_per_epoch : int, default=8
        The batch size is capped at ``ceil(n_samples / min_steps_per_epoch)`` so that small
        data sets still get several optimiser steps per epoch (with a few hundred objects and
        batch 256 an epoch would otherwise be 1-2 steps).
    clusterer : estimator or None, default=None
        Clusterer of the embeddings, cloned into ``clusterer_`` with ``n_clusters`` (when it
        has that parameter) and a seed drawn from ``random_state`` (when it has a
        ``random_state``) set; None is ``KMeans(n_clusters, n_init=10)``.
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
    <engine parameter: precision>

    Attributes
    ----------
    module_ : skstc.nn.MultimodalAutoencoder
        The trained network.
    history_ : list of dict
        Per-epoch records: ``train_loss``, ``recon_map``, ``recon_series``, ``constraint``
        (once active), the weighted terms ``weighted_map``, ``weighted_series``,
        ``weighted_constraint`` (their shares of the loss), ``collapse`` (the
        embedding-collapse measure :func:`skstc.losses.embedding_collapse` averaged over
        the batches: 1 means all embeddings point the same way) and, with early stopping,
        ``valid_recon`` / ``valid_recon_mean`` (held-out error of the model and of
        predicting the mean) and ``restored_epoch`` (when the best weights were restored
        before the embedding term).
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample.
    cluster_centers_ : ndarray of shape (n_clusters, n_embedding)
        The clusterer's centres in the embedding space (``n_embedding`` is ``embedding_dim``,
        or twice that with ``fusion="concat"``); the mean embedding of each cluster for a
        clusterer without ``cluster_centers_``.
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
    >>> ae = MultimodalConstrainedAE(4, spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,),
    ...                              lstm_hidden_size=8, max_epochs=2, n_threads=1, random_state=0)
    >>> ae.fit(X, y_few).transform(X).shape
    (40, 8)
    >>> ae.labels_.shape
    (40,)
    """

    @classmethod
    def paper_params(cls):
        """Parameters of the published configuration (network size, loss and training).

        The defaults keep the published loss, training choices and network with a CPU
        budget (fewer epochs); these values give the published model: branch
        embeddings of 256, convolutions of 16, 32 and 64 channels, a bidirectional LSTM of
        64 units, the constrained term with the per-sample summed reconstruction errors
        (``spatial_weight=0.01``, set for 64 x 64 maps), class-balanced batches of 256 and
        2000 epochs of Adam at 1e-3 (the batch size is not capped by
        ``min_steps_per_epoch``). A fit with these values is sized for a GPU.

        Returns
        -------
        params : dict
            Parameter names and values, a new dict at each call; pass them to the
            constructor or to ``set_params``.

        Examples
        --------
        >>> from skstc import MultimodalConstrainedAE
        >>> ae = MultimodalConstrainedAE(4, spatial_shape=(64, 64))
        >>> ae = ae.set_params(**MultimodalConstrainedAE.paper_params())
        >>> ae.embedding_dim, ae.conv_channels, ae.lstm_hidden_size, ae.max_epochs
        (256, (16, 32, 64), 64, 2000)
        """
        return {
            "embedding_dim": 256, "conv_channels": (16, 32, 64), "lstm_hidden_size": 64,
            "bidirectional": True, "activation": "relu",
            "clustering_loss": "constrained", "constraint_center": False,
            "constraint_start": 0.5, "reconstruction": "sum", "spatial_weight": 0.01,
            "temporal_weight": 1.0, "constraint_weight": 1.0,
            "map_pooling": "flatten", "series_readout": "last", "fusion": "sum",
            "decoders": "shared", "balanced_batches": "always", "early_stopping": False,
            "max_epochs": 2000, "batch_size": 256, "min_steps_per_epoch": 1, "lr": 1e-3,
            "optimizer": "adam",
        }

    _parameter_constraints: dict = {
        **TorchEstimatorMixin._engine_parameter_constraints,
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "spatial_shape": ["array-like"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "modalities": [StrOptions({"both", "spatial", "temporal"})],
        "clustering_loss": [StrOptions({c for c in _CLUSTERING_LOSSES if c}), None],
        "pairwise_schedule": [StrOptions({"joint", "alternate"})],
        "spatial_weight": [Interval(Real, 0, None, closed="left")],
        "temporal_weight": [Interval(Real, 0, None, closed="left")],
        "constraint_weight": [Interval(Real, 0, None, closed="left")],
        "reconstruction": [StrOptions({"sum", "mean", "normalized"})],
        "constraint_start": [Interval(Real, 0, 1, closed="left")],
        "constraint_center": ["boolean"],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "conv_channels": ["array-like"],
        "lstm_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "activation": [StrOptions({"relu", "linear"})],
        "map_pooling": [StrOptions({"flatten", "mean"})],
        "series_readout": [StrOptions({"last", "mean"})],
        "fusion": [StrOptions({"sum", "concat"})],
        "decoders": [StrOptions({"shared", "per_branch"})],
        "balanced_batches": [StrOptions({"constraint", "always"})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "dec_alpha": [Interval(Real, 0, None, closed="neither")],
        "eps": [Interval(Real, 0, None, closed="left")],
        "min_steps_per_epoch": [Interval(Integral, 1, None, closed="left")],
        "clusterer": [HasMethods(["fit"]), None],
    }

    # the parameters that shorten a fit, named by the long-fit warning
    _fit_time_params = ("max_epochs", "conv_channels", "lstm_hidden_size", "embedding_dim",
                        "batch_size")

    def __init__(self, n_clusters=4, *, spatial_shape=(64, 64), embedding_dim=256,
                 modalities="both", clustering_loss="constrained", pairwise_schedule="joint",
                 spatial_weight=0.01, temporal_weight=1.0, constraint_weight=1.0,
                 reconstruction="sum", constraint_start=0.5, constraint_center=False,
                 temperature=0.1, conv_channels=(16, 32, 64), lstm_hidden_size=64, bidirectional=True,
                 activation="relu", map_pooling="flatten", series_readout="last",
                 fusion="sum", decoders="shared", balanced_batches="always",
                 early_stopping=False, validation_fraction=0.1,
                 dec_alpha=1.0, eps=1e-8, min_steps_per_epoch=8, clusterer=None, max_epochs=60,
                 batch_size=256, lr=1e-3, optimizer="adam", tol=1e-4, n_iter_no_change=None,
                 device="auto", n_threads=None, num_workers=0, callbacks=None, verbose=0,
                 random_state=None,
                 precision=None):
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
        self.temperature = temperature
        self.conv_channels = conv_channels
        self.lstm_hidden_size = lstm_hidden_size
        self.bidirectional = bidirectional
        self.activation = activation
        self.map_pooling = map_pooling
        self.series_readout = series_readout
        self.fusion = fusion
        self.decoders = decoders
        self.balanced_batches = balanced_batches
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
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
        self.precision = precision

    # ---- validation -------------------------------------------------------------------------
    def _check_params(self):
        """Check what the declarative ``_parameter_constraints`` cannot say."""
        shape = _check_spatial_shape(self.spatial_shape)
        if self.decoders == "per_branch" and self.fusion == "sum" and self.modalities == "both":
            raise ValueError(
                "decoders='per_branch' needs fusion='concat' (a summed embedding cannot be "
                "split back into its branches for inverse_transform).")
        if len(self.conv_channels) == 0 or not all(
                isinstance(c, numbers.Integral) and c >= 1 for c in self.conv_channels):
            raise ValueError(
                f"conv_channels must be a non-empty tuple of positive integers, got "
                f"{self.conv_channels!r}.")
        return shape

    # ---- fitting ------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
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
        maps, series, spec = _validate_multimodal(self, X, shape, reset=True)
        n = maps.shape[0]
        if n < 2:
            raise ValueError(f"n_samples={n}: at least 2 samples are needed to train.")
        y_enc, self.classes_ = self._check_labels(y, n)
        if effective_n_clusters(self.clusterer, self.n_clusters) is not None:
            check_n_clusters(self.n_clusters, n)
        self.n_timesteps_ = series.shape[1]
        rng = local_random_state(self.random_state)

        uses_labels = self.clustering_loss in _LABEL_LOSSES
        uses_dec = self.clustering_loss in _DEC_LOSSES
        if uses_dec and self.n_clusters > n:
            raise ValueError(f"n_clusters={self.n_clusters} is larger than n_samples={n}.")
        labelled_classes = np.unique(y_enc[y_enc >= 0])
        counts = np.bincount(y_enc[y_enc >= 0], minlength=len(self.classes_))
        pair_classes = np.flatnonzero(counts >= 2)
        if uses_labels and not pair_classes.size and labelled_classes.size:
            warnings.warn("no class has 2 labelled samples: the constraint is skipped.",
                          UserWarning, stacklevel=2)
        has_term = self.clustering_loss is not None and (
            not uses_labels or pair_classes.size > 0)

        # held-out unlabelled rows for early stopping (labelled rows are all trained on)
        train_idx, valid_idx = np.arange(n), np.array([], dtype=np.int64)
        if self.early_stopping:
            unlab = np.flatnonzero(y_enc < 0)
            n_valid = int(round(self.validation_fraction * unlab.size))
            if n_valid >= 2 and n - n_valid >= 2:
                valid_idx = np.sort(rng.permutation(unlab)[:n_valid])
                train_idx = np.setdiff1d(np.arange(n), valid_idx)
        n_train = train_idx.size
        batch_size = max(1, min(self.batch_size, math.ceil(n_train / self.min_steps_per_epoch)))

        data = {"maps": maps[train_idx], "series": series[train_idx]}
        y_train = y_enc[train_idx]
        train_data = dict(data, index=np.arange(n_train))
        use_map = self.modalities in ("both", "spatial")
        use_series = self.modalities in ("both", "temporal")
        map_scale = modality_variance(data["maps"]) if use_map else 1.0
        series_scale = modality_variance(data["series"]) if use_series else 1.0
        ae_params = {
            "spatial_shape": shape, "n_timesteps": self.n_timesteps_,
            "embedding_dim": self.embedding_dim, "mode": self.modalities,
            "conv_channels": tuple(self.conv_channels), "lstm_hidden_size": self.lstm_hidden_size,
            "bidirectional": self.bidirectional, "activation": self.activation,
            "n_clusters": self.n_clusters if uses_dec else None,
            "map_pooling": self.map_pooling, "series_readout": self.series_readout,
            "fusion": self.fusion, "decoders": self.decoders,
        }
        seed = draw_seed(rng)
        start_epoch = (int(math.floor(self.constraint_start * self.max_epochs)) if has_term
                       else self.max_epochs)

        def embed(module, d):
            return self._predict_module(_encode, d, module=module, batch_size=batch_size)

        schedule = _ConstraintSchedule(start_epoch, data, embed, self.n_clusters, seed,
                                       self.dec_alpha)
        y_pairs, n_per_class = None, None
        if uses_labels and pair_classes.size:
            y_pairs = np.where(np.isin(y_train, pair_classes), y_train, -1)
            if self.balanced_batches == "constraint":
                # labelled rows capped at about a quarter of each batch
                smallest = int(counts[pair_classes].min())
                n_per_class = max(2, min(batch_size // (4 * pair_classes.size), smallest))
        callbacks = [("constraint_schedule", schedule)]
        if valid_idx.size:
            held = {"maps": maps[valid_idx], "series": series[valid_idx]}
            weights = {"map": self.spatial_weight if use_map else 0.0,
                       "series": self.temporal_weight if use_series else 0.0}
            if weights["map"] + weights["series"] == 0:
                weights = {"map": float(use_map), "series": float(use_series)}
            scales = {"map": map_scale, "series": series_scale}
            total = weights["map"] + weights["series"]

            def held_error(map_hat, series_hat):
                err = 0.0
                if weights["map"]:
                    err += weights["map"] * float(
                        np.mean((map_hat - held["maps"]) ** 2)) / scales["map"]
                if weights["series"]:
                    err += weights["series"] * float(
                        np.mean((series_hat - held["series"]) ** 2)) / scales["series"]
                return err / total

            def error(module):
                map_hat, series_hat = self._predict_module(
                    _reconstruct, held, module=module, batch_size=batch_size)
                return held_error(map_hat if use_map else None,
                                  series_hat if use_series else None)

            reference = held_error(data["maps"].mean(axis=0)[None],
                                   data["series"].mean(axis=0)[None])
            patience = 5 if self.n_iter_no_change is None else self.n_iter_no_change
            callbacks.append(("held_out_stopping", _HeldOutStopping(
                error, reference, schedule, has_term, self.clustering_loss != "dec",
                patience, self.tol)))
        self.module_, self.history_ = self._train_module(
            MultimodalAutoencoder, train_data, y_train,
            module_params=ae_params,
            criterion=_MultimodalLoss,
            criterion_params={
                "spatial_weight": self.spatial_weight, "temporal_weight": self.temporal_weight,
                "constraint_weight": self.constraint_weight,
                "reconstruction": self.reconstruction,
                "clustering_loss": self.clustering_loss,
                "pairwise_schedule": self.pairwise_schedule,
                "constraint_center": self.constraint_center, "dec_alpha": self.dec_alpha,
                "eps": self.eps, "temperature": self.temperature,
                "map_scale": map_scale, "series_scale": series_scale, "seed": seed + 2,
            },
            random_state=rng, batch_size=batch_size,
            iterator_train=_phase_iterator(schedule, y_pairs, n_per_class, seed + 3,
                                           self.balanced_batches),
            callbacks=callbacks,
            progress_columns=(["recon_map"] * use_map + ["recon_series"] * use_series
                              + ["constraint"] * has_term
                              + ["valid_recon"] * bool(valid_idx.size)),
            fit_epochs=self.max_epochs,
        )
        self._warn_small_terms()
        data = {"maps": maps, "series": series}
        self.n_iter_ = len(self.history_)
        self._batch_size_eff = batch_size
        Z = self._predict_module(_encode, data)
        check_finite_embeddings(Z)
        clusterer = build_clusterer(self.clusterer, self.n_clusters, rng)
        labels = fit_clusterer(clusterer, Z, self.n_threads)
        self.clusterer_ = clusterer
        self.labels_ = wrap_samples(labels, spec, name="cluster")
        self.cluster_centers_ = cluster_centers(clusterer, Z, labels, self.n_clusters)
        return self

    def _warn_small_terms(self):
        """Warn when a reconstruction term is under 5 % of the loss before the constraint."""
        rows = [r for r in self.history_ if "constraint" not in r]
        if not rows:
            return
        keys = ("weighted_map", "weighted_series")
        means = {k: float(np.mean([r.get(k, 0.0) for r in rows])) for k in keys
                 if any(k in r for r in rows)}
        total = sum(means.values())
        if len(means) < 2 or not total > 0:
            return
        for key, val in means.items():
            share = val / total
            if share < _MIN_TERM_SHARE:
                branch = "map" if key == "weighted_map" else "series"
                warnings.warn(
                    f"the {branch} reconstruction term is {100 * share:.1f} % of the "
                    f"reconstruction loss, so the {branch} branch is barely trained; use "
                    "reconstruction='normalized' or raise its weight "
                    f"({'spatial' if branch == 'map' else 'temporal'}_weight).",
                    UserWarning, stacklevel=3)

    def _check_labels(self, y, n):
        y_enc, classes = _split_labels(y, n)
        if y is not None and classes.size == 0:
            warnings.warn("y has no labelled sample (all -1): training is unsupervised.",
                          UserWarning, stacklevel=3)
        needs_labels = self.clustering_loss in _LABEL_LOSSES
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
        """Fit and return the cluster labels of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width + n_timesteps) or xarray.Dataset
        y : array-like of shape (n_samples,) or None, default=None
            Class labels, ``-1`` for unlabelled.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            A DataArray on the sample coordinate for a Dataset input.
        """
        return self.fit(X, y).labels_

    # ---- inference ---------------------------------------------------------------------------
    def _inputs(self, X):
        check_is_fitted(self)
        maps, series, spec = _validate_multimodal(self, X, None, reset=False)
        return {"maps": maps, "series": series}, spec

    def _embed_rows(self, rows):
        data, _ = self._inputs(rows)
        return self._predict_module(_encode, data)

    def _rows(self, X):
        """``(rows, spec)``: dask-backed input stays lazy, the rest is validated later."""
        check_is_fitted(self)
        return parse_multimodal(X, _fitted_spatial_shape(self))

    def transform(self, X):
        """Fused embeddings, computed in batches (memory independent of ``n_samples``).

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width + n_timesteps) or xarray.Dataset

        Returns
        -------
        Z : ndarray of shape (n_samples, embedding_dim)
            A DataArray ``(sample, embedding)`` on the sample coordinate for a Dataset input;
            dask-backed (computed block by block when asked) for dask input.
        """
        rows, spec = self._rows(X)
        return apply_to_samples(self._embed_rows, rows, spec, (self.embedding_dim,),
                                np.float32, feature_dim="embedding", name="embedding")

    def _predict_rows(self, rows):
        return np.asarray(self.clusterer_.predict(self._embed_rows(rows)))

    def transform_branches(self, X):
        """Per-branch embeddings (before fusion), computed in batches.

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width + n_timesteps) or xarray.Dataset

        Returns
        -------
        Z_spatial : ndarray of shape (n_samples, embedding_dim)
            Map-branch embeddings (0 columns with ``modalities="temporal"``).
        Z_temporal : ndarray of shape (n_samples, embedding_dim)
            Series-branch embeddings (0 columns with ``modalities="spatial"``).
        """
        data, _ = self._inputs(X)
        return self._predict_module(_encode_branches, data)

    def predict(self, X):
        """Cluster of each sample (the clusterer applied to the embeddings).

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width + n_timesteps) or xarray.Dataset

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            A DataArray on the sample coordinate for a Dataset input; dask-backed for dask
            input.
        """
        rows, spec = self._rows(X)
        return apply_to_samples(self._predict_rows, rows, spec, (), self.labels_.dtype,
                                name="cluster")

    def score(self, X, y=None):
        """Return the clusterer's score of the embeddings (minus the k-means inertia).

        Parameters
        ----------
        X : array-like of shape (n_samples, height * width + n_timesteps) or xarray.Dataset
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return clusterer_score(self.clusterer_, np.asarray(self.transform(X)))

    @property
    def _n_features_out(self):
        check_is_fitted(self, "clusterer_")  # an AttributeError before fit (sklearn's rule)
        return self.embedding_dim

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
        dim = self.module_.fused_dim
        if Z.ndim != 2 or Z.shape[1] != dim:
            raise ValueError(
                f"inverse_transform expects embeddings of shape (n_samples, {dim}), got "
                f"{Z.shape}.")
        _check_finite_chunked(Z, "the embeddings")
        h, w = _fitted_spatial_shape(self)
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


def _encode_branches(module, batch):
    z_map, z_series = module.encode_branches(batch["maps"], batch["series"])
    n = batch["maps"].shape[0]
    empty = batch["maps"].new_zeros((n, 0))
    return (empty if z_map is None else z_map), (empty if z_series is None else z_series)


def _reconstruct(module, batch):
    out = module(batch["maps"], batch["series"])
    h, w = batch["maps"].shape[1:]
    map_hat = out.get("map_hat", batch["maps"].new_zeros(batch["maps"].shape))
    series_hat = out.get("series_hat", batch["series"].new_zeros(batch["series"].shape))
    return map_hat.reshape(-1, h, w), series_hat
