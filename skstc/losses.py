"""Loss functions as pure torch callables (triplet, constrained cosine pair, DEC KL)."""

import torch
from torch import nn
from torch.nn import functional as F

from ._distributed import batch_sum
from ._sampling import sample_cannot_link, sample_class_pairs

# --- shared ---

def student_t_assignment(z, centers, alpha=1.0):
    """DEC soft assignment of codes to centres with a Student-t kernel.

    ``q_ij = (1 + ||z_i - mu_j||^2 / alpha)^(-(alpha + 1) / 2)``, normalised over ``j``
    (computed in log space for stability).

    Parameters
    ----------
    z : torch.Tensor of shape (n_samples, embedding_dim)
        Codes.
    centers : torch.Tensor of shape (n_clusters, embedding_dim)
        Centres.
    alpha : float, default=1.0
        Degrees of freedom.

    Returns
    -------
    q : torch.Tensor of shape (n_samples, n_clusters)
        Rows sum to one.

    Examples
    --------
    >>> import torch
    >>> from skstc.losses import student_t_assignment
    >>> student_t_assignment(torch.tensor([[0.0]]), torch.tensor([[0.0], [1.0]]))
    tensor([[0.6667, 0.3333]])
    """
    dist2 = torch.cdist(z, centers).pow(2)
    logits = -(alpha + 1.0) / 2.0 * torch.log1p(dist2 / alpha)
    return torch.softmax(logits, dim=1)


def target_distribution(q):
    """DEC target ``p_ij = (q_ij^2 / f_j) / sum_l (q_il^2 / f_l)`` with ``f_j = sum_i q_ij``.

    Parameters
    ----------
    q : torch.Tensor or ndarray of shape (n_samples, n_clusters)
        Soft assignments.

    Returns
    -------
    p : same type as ``q``
        Sharpened, cluster-frequency-normalised targets; rows sum to one. A tensor result
        is detached from the graph (targets are constants).
    """
    if isinstance(q, torch.Tensor):
        q = q.detach()
    weight = q ** 2 / q.sum(0)
    return weight / weight.sum(1)[:, None]


def kl_clustering_loss(p, q, eps=1e-10):
    """``KL(P || Q) = sum_ij p_ij log(p_ij / q_ij)``, averaged over the samples.

    Parameters
    ----------
    p : torch.Tensor of shape (n_samples, n_clusters)
        Targets (treated as constants).
    q : torch.Tensor of shape (n_samples, n_clusters)
        Soft assignments.
    eps : float, default=1e-10
        Guard for ``log(0)``.

    Returns
    -------
    loss : torch.Tensor (scalar)
    """
    p = p.detach()
    return (p * (torch.log(p + eps) - torch.log(q + eps))).sum(1).mean()


# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier ---


def reconstruction_error(pred, target, reduction="sum", scale=1.0):
    """Squared reconstruction error with an explicit normalisation.

    Parameters
    ----------
    pred, target : Tensor of shape (batch, ...)
        Reconstruction and input (e.g. maps ``(batch, height, width)`` or series
        ``(batch, time)``).
    reduction : {"sum", "mean", "normalized"}, default="sum"
        ``"sum"``: squared error summed over each sample's elements (pixels or time steps),
        then averaged over the batch (the published method's scale, for which its loss
        weights were chosen). ``"mean"``: mean over every element (per-element MSE).
        ``"normalized"``: the per-element mean divided by ``scale``; with ``scale`` the
        modality's variance (mean over its elements of the variance across samples), the
        error is free of the modality's size and units and predicting the mean is 1.
    scale : float, default=1.0
        Divisor of the ``"normalized"`` error (ignored otherwise).

    Returns
    -------
    loss : scalar Tensor
    """
    sq = (pred - target) ** 2
    if reduction == "sum":
        return sq.flatten(1).sum(dim=1).mean()
    if reduction == "mean":
        return sq.mean()
    if reduction == "normalized":
        return sq.mean() / scale
    raise ValueError(f"reduction must be 'sum', 'mean' or 'normalized', got {reduction!r}.")


def modality_variance(x):
    """Variance scale of one modality: mean over its elements of the variance across samples.

    The mean squared error of predicting each element's mean is exactly this value, so
    ``reconstruction_error(..., "normalized", scale=modality_variance(x))`` is 1 for the
    predict-the-mean reference.

    Parameters
    ----------
    x : ndarray or Tensor of shape (n_samples, ...)

    Returns
    -------
    scale : float (at least 1e-12)
    """
    x = torch.as_tensor(x, dtype=torch.float64).flatten(1)
    return max(float(x.var(dim=0, unbiased=False).mean()), 1e-12)


def cosine_pair_loss(z, idx_i, idx_j, eps=1e-8):
    """Per-pair ``-log(|cos(z_i, z_j)| + eps)``.

    Parameters
    ----------
    z : Tensor of shape (batch, dim)
    idx_i, idx_j : LongTensor of shape (n_pairs,)
    eps : float, default=1e-8

    Returns
    -------
    losses : Tensor of shape (n_pairs,)
    """
    cos = F.cosine_similarity(z[idx_i], z[idx_j], dim=-1, eps=1e-12)
    return -torch.log(cos.abs() + eps)


def constrained_cosine_loss(z, pairs, eps=1e-8, center=False):
    """Constrained loss: mean over classes of the mean pair loss over same-class pairs.

    Parameters
    ----------
    z : Tensor of shape (batch, dim)
        Embeddings of the batch.
    pairs : list of (LongTensor, LongTensor)
        For each class, the indices of its sampled same-class pairs (see
        :func:`skstc._sampling.sample_class_pairs`); classes without pairs are omitted.
    eps : float, default=1e-8
        Added to ``|cos|`` inside the log.
    center : bool, default=False
        Subtract the batch mean embedding before the cosine (a variant: removes the common
        direction shared by all ReLU-then-normalised embeddings, so that the term is not
        already at its minimum when it starts and cannot be met by collapse).

    Returns
    -------
    loss : scalar Tensor (0 with a zero gradient when ``pairs`` is empty)
    """
    if not pairs:
        return z.sum() * 0.0
    if center:
        z = z - z.mean(dim=0, keepdim=True)
    per_class = [cosine_pair_loss(z, i, j, eps).mean() for i, j in pairs]
    return torch.stack(per_class).mean()


def pairwise_constraint_loss(q, must_link=None, cannot_link=None, eps=1e-8):
    """Deep constrained clustering pairwise loss on soft assignments (Zhang et al.).

    A must-link pair ``(a, b)`` costs ``-log(q_a . q_b)`` (same cluster), a cannot-link pair
    ``-log(1 - q_a . q_b)`` (different clusters).

    Parameters
    ----------
    q : Tensor of shape (batch, n_clusters)
        Soft assignments.
    must_link, cannot_link : tuple of LongTensor (idx_a, idx_b) or None

    Returns
    -------
    ml_loss, cl_loss : scalar Tensors (means over the pairs; 0 when there are none)
    """
    zero = q.sum() * 0.0

    def _agree(pairs):
        a, b = pairs
        return (q[a] * q[b]).sum(dim=1)

    ml = zero if must_link is None or len(must_link[0]) == 0 else \
        -torch.log(_agree(must_link) + eps).mean()
    cl = zero if cannot_link is None or len(cannot_link[0]) == 0 else \
        -torch.log(1.0 - _agree(cannot_link) + eps).mean()
    return ml, cl


def embedding_collapse(z):
    """Collapse measure of a batch of embeddings, in [0, 1]; 1 = all identical directions.

    The squared norm of the mean of the L2-normalised embeddings (``mean pairwise cosine``
    including self-pairs): 1 when every embedding points the same way, near 0 for
    directions spread over the sphere.

    Parameters
    ----------
    z : Tensor of shape (batch, dim)

    Returns
    -------
    collapse : float
    """
    return float(_collapse(z))


def _collapse(z):
    """:func:`embedding_collapse` as a 0-d tensor on ``z``'s device (no synchronisation)."""
    u = F.normalize(z.detach(), dim=-1, eps=1e-12)
    return u.mean(dim=0).pow(2).sum()


def _on(owner, name, value, like):
    """``value`` as a tensor of ``like``'s dtype and device, converted once and cached."""
    cached = owner.__dict__.get(name)
    if cached is None or cached.device != like.device or cached.dtype != like.dtype:
        cached = torch.as_tensor(value, dtype=like.dtype, device=like.device)
        owner.__dict__[name] = cached
    return cached


def supervised_contrastive_loss(z, y, temperature=0.1):
    """Supervised contrastive loss over the labelled rows of a batch (Khosla et al.).

    For each labelled anchor ``i`` with at least one same-class row,
    ``-mean_{p in P(i)} log(exp(c_ip / t) / sum_{a != i} exp(c_ia / t))`` where ``c`` is
    the cosine similarity, ``P(i)`` the other rows of its class and ``a`` runs over the
    other labelled rows; the loss is the mean over anchors. Unlike the same-class cosine
    term it has negative pairs, so it cannot be met by making every embedding alike.

    Parameters
    ----------
    z : Tensor of shape (batch, dim)
    y : LongTensor of shape (batch,)
        Labels, ``-1`` for unlabelled rows (ignored).
    temperature : float, default=0.1

    Returns
    -------
    loss : scalar Tensor (0 with a zero gradient when no anchor has a positive)
    """
    lab = torch.nonzero(y >= 0, as_tuple=True)[0]
    zero = z.sum() * 0.0
    if lab.numel() < 2:
        return zero
    u = F.normalize(z[lab], dim=-1, eps=1e-12)
    yl = y[lab]
    logits = u @ u.T / temperature
    self_mask = torch.eye(len(lab), dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    pos = (yl[:, None] == yl[None]) & ~self_mask
    n_pos = pos.sum(dim=1)
    has = n_pos > 0
    if not has.any():
        return zero
    pos_lp = torch.where(pos, log_prob, torch.zeros_like(log_prob)).sum(dim=1)
    return -(pos_lp[has] / n_pos[has]).mean()


class _MultimodalLoss(nn.Module):
    """Criterion of MultimodalConstrainedAE: weighted reconstruction + embedding term.

    ``spatial_weight * E_map + temporal_weight * E_series + constraint_weight * L`` with
    the errors normalised by ``reconstruction`` (see :func:`reconstruction_error`) and
    ``L`` switched on by the estimator's schedule (``active``). With
    ``clustering_loss="dec"`` the reconstruction terms are dropped once ``L`` is active
    (DEC fine-tunes the encoder on the KL term alone); ``"idec"`` keeps them (IDEC).
    Follows the engine's criterion protocol; ``components_`` holds the raw terms
    (``recon_map``, ``recon_series``, ``constraint``...) and the weighted ones
    (``weighted_map``, ``weighted_series``, ``weighted_constraint``).
    """

    def __init__(self, spatial_weight=0.01, temporal_weight=1.0, constraint_weight=1.0,
                 reconstruction="sum", clustering_loss="constrained", pairwise_schedule="joint",
                 constraint_center=False, dec_alpha=1.0, eps=1e-8, temperature=0.1,
                 map_scale=1.0, series_scale=1.0, seed=0):
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
        self.temperature = temperature
        self.map_scale = map_scale
        self.series_scale = series_scale
        self.generator = torch.Generator()
        self.generator.manual_seed(seed)
        self.active = False        # switched on by the estimator's schedule
        self.target = None         # DEC target distribution over the whole data set
        self.centers = None        # reference to the module's cluster centres
        self._step = 0

    def forward(self, y_pred, y_true, X):
        comps = {}
        loss = y_pred["z"].new_zeros(())
        with_term = self.active and self.clustering_loss is not None
        keep_rec = not (with_term and self.clustering_loss == "dec")
        for key, target, weight, scale, name in (
                ("map_hat", "maps", self.spatial_weight, self.map_scale, "map"),
                ("series_hat", "series", self.temporal_weight, self.series_scale, "series")):
            if key not in y_pred:
                continue
            rec = reconstruction_error(y_pred[key], X[target], self.reconstruction, scale)
            comps[f"recon_{name}"] = rec.detach()
            if keep_rec:
                comps[f"weighted_{name}"] = weight * comps[f"recon_{name}"]
                loss = loss + weight * rec
        z = y_pred["z"]
        comps["collapse"] = _collapse(z)
        if with_term:
            extra = self._clustering_term(z, y_true, X, comps)
            comps["constraint"] = extra.detach()
            comps["weighted_constraint"] = self.constraint_weight * comps["constraint"]
            loss = loss + self.constraint_weight * extra
        self._step += 1
        self.components_ = comps
        return loss

    def _clustering_term(self, z, y, X, comps):
        if self.clustering_loss == "constrained":
            pairs = sample_class_pairs(y, self.generator)
            return constrained_cosine_loss(z, pairs, eps=self.eps, center=self.constraint_center)
        if self.clustering_loss == "contrastive":
            if self.constraint_center:
                z = z - z.mean(dim=0, keepdim=True)
            return supervised_contrastive_loss(z, y, self.temperature)
        q = student_t_assignment(z, self.centers, self.dec_alpha)
        kl = kl_clustering_loss(self.target[X["index"]].to(q.device), q)
        if self.clustering_loss in ("dec", "idec"):
            return kl
        pairs = sample_class_pairs(y, self.generator)
        if pairs:
            ml = (torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs]))
            cl = sample_cannot_link(y, len(ml[0]), self.generator)
        else:
            ml = cl = None
        ml_loss, cl_loss = pairwise_constraint_loss(q, ml, cl, eps=self.eps)
        comps["must_link"] = ml_loss.detach()
        comps["cannot_link"] = cl_loss.detach()
        if self.pairwise_schedule == "joint":
            return kl + ml_loss + cl_loss
        # alternate: clustering step, then constraint step
        return kl if self._step % 2 == 0 else ml_loss + cl_loss


# --- Tile2VecSeriesKMeans ---


def tile2vec_triplet_loss(z_anchor, z_neighbor, z_distant, margin=50.0, l2=0.01):
    """Tile2Vec triplet loss and its parts.

    ``mean(relu(||za - zn|| - ||za - zd|| + margin)) + l2 * (||Za|| + ||Zn|| + ||Zd||)``,
    where ``||za - zn||`` is the Euclidean distance of each triplet's embeddings and, as in
    the published Tile2Vec code, ``||Za||`` is the Frobenius norm of the whole batch of
    anchor embeddings (not a per-sample mean), so the penalty grows like ``sqrt(batch)``.

    Parameters
    ----------
    z_anchor, z_neighbor, z_distant : Tensor of shape (batch, embedding_dim)
        Embeddings of the anchor, neighbour and distant tiles.
    margin : float, default=50.0
        Hinge margin.
    l2 : float, default=0.01
        Weight of the embedding-norm penalty (0 disables it).

    Returns
    -------
    loss : Tensor (scalar)
        Total loss.
    parts : dict of Tensor
        ``triplet`` (hinge mean), ``l2`` (weighted penalty), ``d_neighbor`` and ``d_distant``
        (mean anchor-neighbour and anchor-distant distances).

    Examples
    --------
    >>> import torch
    >>> za, zn, zd = torch.tensor([[0., 0.]]), torch.tensor([[3., 4.]]), torch.tensor([[1., 0.]])
    >>> loss, parts = tile2vec_triplet_loss(za, zn, zd, margin=1.0, l2=0.0)
    >>> float(loss)  # relu(5 - 1 + 1)
    5.0
    """
    # vector_norm has a zero (sub)gradient at distance 0, where sqrt(sum(d**2)) gives NaN
    # (an anchor and its neighbour may be the very same tile)
    d_n = torch.linalg.vector_norm(z_anchor - z_neighbor, dim=1)
    d_d = torch.linalg.vector_norm(z_anchor - z_distant, dim=1)
    hinge = F.relu(d_n - d_d + margin).mean()
    # norms of the whole batch: in sharded data-parallel training, of the global batch
    n = z_anchor.shape[0]
    penalty = l2 * sum(_frobenius(z, n) for z in (z_anchor, z_neighbor, z_distant))
    loss = hinge + penalty
    return loss, {"triplet": hinge, "l2": penalty, "d_neighbor": d_n.mean(),
                  "d_distant": d_d.mean()}


def _frobenius(z, n_rows):
    """Frobenius norm of a batch of embeddings (of the global batch when sharded)."""
    sq = z.pow(2).sum()
    total = batch_sum(sq, n_rows)
    if total is sq:
        return torch.linalg.norm(z)
    return total.clamp_min(torch.finfo(total.dtype).tiny).sqrt()


class TripletLoss(nn.Module):
    """Tile2Vec triplet loss as an engine criterion (see :func:`tile2vec_triplet_loss`).

    ``forward(y_pred, y_true=None, X=None)`` takes ``y_pred = (z_anchor, z_neighbor,
    z_distant)``; ``y_true`` and ``X`` are ignored. The parts of the last batch are kept in
    ``components_``.

    Parameters
    ----------
    margin : float, default=50.0
        Hinge margin.
    l2 : float, default=0.01
        Weight of the embedding-norm penalty.
    """

    def __init__(self, margin=50.0, l2=0.01):
        super().__init__()
        self.margin = margin
        self.l2 = l2

    def forward(self, y_pred, y_true=None, X=None):
        """Return the scalar loss of a batch of triplet embeddings."""
        za, zn, zd = y_pred
        loss, parts = tile2vec_triplet_loss(za, zn, zd, margin=self.margin, l2=self.l2)
        self.components_ = {k: v.detach() for k, v in parts.items()}
        return loss


# --- DeepSpatiotemporalClustering ---


def geometry_loss(z, x, eps=1e-12):
    """Mismatch of the pairwise distances of codes and inputs, each relative to its mean.

    ``mean_{i<j} (d_z(i, j) / mean d_z - d_x(i, j) / mean d_x)^2`` over the pairs of a batch:
    zero when the codes reproduce the inputs' distances up to one global scale, so that a
    partition compact in the input space (what EOF + k-means finds) is also compact in the
    code space. Scale-free in both spaces.

    Parameters
    ----------
    z : Tensor of shape (batch, embedding_dim)
        Codes.
    x : Tensor of shape (batch, n_values)
        Inputs (flattened, in the metric to preserve).
    eps : float, default=1e-12
        Guard against a batch of identical samples.

    Returns
    -------
    loss : scalar Tensor (0 for a batch of fewer than 2 samples)

    Examples
    --------
    >>> import torch
    >>> from skstc.losses import geometry_loss
    >>> x = torch.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    >>> float(geometry_loss(10 * x, x))  # same geometry at another scale
    0.0
    """
    n = z.shape[0]
    if n < 2:
        return z.sum() * 0.0
    iu = torch.triu_indices(n, n, offset=1, device=z.device)
    dz = torch.cdist(z, z)[iu[0], iu[1]]
    dx = torch.cdist(x.detach(), x.detach())[iu[0], iu[1]]
    return ((dz / (dz.mean() + eps) - dx / (dx.mean() + eps)) ** 2).mean()


class DSCLoss(nn.Module):
    """Joint DSC/DEC criterion: ``clustering_weight * KL(P||Q) + reconstruction_weight * L_r``.

    Follows the engine's criterion protocol: ``y_pred`` is the module's dict (``q`` and,
    with a decoder, ``recon``), ``X`` the batch dict with the window ``x`` and the targets
    ``p``. The reconstruction target is the centre step of the window.

    Parameters
    ----------
    reconstruction_weight : float, default=1.0
        Weight of the squared reconstruction error (ignored without a decoder).
    clustering_weight : float, default=1.0
        Weight of the KL term (0 during autoencoder pretraining).
    reduction : {"mean", "sum"}, default="mean"
        ``"mean"``: mean over every value of the batch (per-value MSE). ``"sum"``: squared
        errors summed over each sample's values, averaged over the samples (the DSC paper's
        Eq 7); see :func:`reconstruction_error`.
    value_weights : Tensor of shape (channels, height, width) or broadcastable, or None
        Weights of the squared errors of each value (area weighting: ``cos(latitude)``
        normalised to mean 1); None weighs every value alike.
    geometry_weight : float, default=0.0
        Weight of :func:`geometry_loss` between the codes and the inputs of the batch
        (centre steps multiplied by ``geometry_scale``).
    geometry_scale : Tensor of (channels * height * width) values, or None
        Per-value factor of the centre step (any shape, flattened in C order) before its
        pairwise distances are taken (the encoder's normalisation: ``cell_weight /
        spread``).
    """

    def __init__(self, reconstruction_weight=1.0, clustering_weight=1.0, reduction="mean",
                 value_weights=None, geometry_weight=0.0, geometry_scale=None):
        super().__init__()
        self.reconstruction_weight = reconstruction_weight
        self.clustering_weight = clustering_weight
        self.reduction = reduction
        self.value_weights = value_weights
        self.geometry_weight = geometry_weight
        self.geometry_scale = geometry_scale

    def forward(self, y_pred, y_true=None, X=None):
        """Scalar loss; sets ``components_`` (``kl``, ``recon``)."""
        loss = y_pred["z"].new_zeros(())
        comps = {}
        if self.clustering_weight:
            kl = kl_clustering_loss(X["p"], y_pred["q"])
            loss = loss + self.clustering_weight * kl
            comps["kl"] = kl.detach()
        if self.reconstruction_weight and "recon" in y_pred:
            x = X["x"]
            if x.dim() == 5:
                x = x[:, x.shape[1] // 2]
            recon = y_pred["recon"].reshape(x.shape)
            if self.value_weights is not None:
                w = _on(self, "_value_weights", self.value_weights, x).sqrt()
                recon, x = recon * w, x * w
            mse = reconstruction_error(recon, x, reduction=self.reduction)
            loss = loss + self.reconstruction_weight * mse
            comps["recon"] = mse.detach()
        if self.geometry_weight:
            x = X["x"]
            if x.dim() == 5:
                x = x[:, x.shape[1] // 2]
            x = x.flatten(1)
            if self.geometry_scale is not None:
                x = x * _on(self, "_geometry_scale", self.geometry_scale, x).flatten()
            geo = geometry_loss(y_pred["z"], x)
            loss = loss + self.geometry_weight * geo
            comps["geometry"] = geo.detach()
        self.components_ = comps
        return loss
