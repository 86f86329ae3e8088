"""Loss functions as pure torch callables (triplet, constrained cosine pair, DEC KL)."""

import torch
from torch import nn
from torch.nn import functional as F

# --- shared ---

def student_t_assignment(z, centers, alpha=1.0):
    """DEC soft assignment of codes to centres with a Student-t kernel.

    ``q_ij = (1 + ||z_i - mu_j||^2 / alpha)^(-(alpha + 1) / 2)``, normalised over ``j``
    (computed in log space for stability).

    Parameters
    ----------
    z : torch.Tensor of shape (n_samples, latent_dim)
        Codes.
    centers : torch.Tensor of shape (n_clusters, latent_dim)
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


def reconstruction_error(pred, target, reduction="sum"):
    """Squared reconstruction error with an explicit normalisation.

    Parameters
    ----------
    pred, target : Tensor of shape (batch, ...)
        Reconstruction and input (e.g. maps ``(batch, height, width)`` or series
        ``(batch, time)``).
    reduction : {"sum", "mean"}, default="sum"
        ``"sum"``: squared error summed over each sample's elements (pixels or time steps),
        then averaged over the batch (the published method's scale, for which its loss
        weights were chosen). ``"mean"``: mean over every element (per-element MSE).

    Returns
    -------
    loss : scalar Tensor
    """
    sq = (pred - target) ** 2
    if reduction == "sum":
        return sq.flatten(1).sum(dim=1).mean()
    if reduction == "mean":
        return sq.mean()
    raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}.")


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
    u = F.normalize(z.detach(), dim=-1, eps=1e-12)
    return float(u.mean(dim=0).pow(2).sum())


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
    penalty = l2 * (torch.linalg.norm(z_anchor) + torch.linalg.norm(z_neighbor)
                    + torch.linalg.norm(z_distant))
    loss = hinge + penalty
    return loss, {"triplet": hinge, "l2": penalty, "d_neighbor": d_n.mean(),
                  "d_distant": d_d.mean()}


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
        self.components_ = {k: float(v.detach()) for k, v in parts.items()}
        return loss


# --- DeepSpatiotemporalClustering ---


class DSCLoss(nn.Module):
    """Joint DSC/DEC criterion: ``clustering_weight * KL(P||Q) + reconstruction_weight * MSE``.

    Follows the engine's criterion protocol: ``y_pred`` is the module's dict (``q`` and,
    with a decoder, ``recon``), ``X`` the batch dict with the window ``x`` and the targets
    ``p``. The reconstruction target is the centre step of the window.

    Parameters
    ----------
    reconstruction_weight : float, default=1.0
        Weight of the mean squared reconstruction error (ignored without a decoder).
    clustering_weight : float, default=1.0
        Weight of the KL term (0 during autoencoder pretraining).
    """

    def __init__(self, reconstruction_weight=1.0, clustering_weight=1.0):
        super().__init__()
        self.reconstruction_weight = reconstruction_weight
        self.clustering_weight = clustering_weight

    def forward(self, y_pred, y_true=None, X=None):
        """Scalar loss; sets ``components_`` (``kl``, ``recon``)."""
        loss = y_pred["z"].new_zeros(())
        comps = {}
        if self.clustering_weight:
            kl = kl_clustering_loss(X["p"], y_pred["q"])
            loss = loss + self.clustering_weight * kl
            comps["kl"] = float(kl.detach())
        if self.reconstruction_weight and "recon" in y_pred:
            x = X["x"]
            if x.dim() == 5:
                x = x[:, x.shape[1] // 2]
            recon = y_pred["recon"]
            mse = torch.mean((recon.reshape(x.shape) - x) ** 2)
            loss = loss + self.reconstruction_weight * mse
            comps["recon"] = float(mse.detach())
        self.components_ = comps
        return loss
