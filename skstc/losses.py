"""Loss functions as pure torch callables (triplet, constrained cosine pair, DEC KL)."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---
import torch  # noqa: E402
from torch.nn import functional as _F  # noqa: E402


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
    cos = _F.cosine_similarity(z[idx_i], z[idx_j], dim=-1, eps=1e-12)
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


def student_t_assignment(z, centers, alpha=1.0):
    """DEC soft assignment ``q_ij`` with a Student's t kernel.

    ``q_ij = (1 + ||z_i - mu_j||^2 / alpha)^(-(alpha + 1) / 2)``, normalised over ``j``.

    Parameters
    ----------
    z : Tensor of shape (batch, dim)
    centers : Tensor of shape (n_clusters, dim)
    alpha : float, default=1.0
        Degrees of freedom.

    Returns
    -------
    q : Tensor of shape (batch, n_clusters), rows summing to 1.
    """
    dist2 = torch.cdist(z, centers).pow(2)
    q = (1.0 + dist2 / alpha).pow(-(alpha + 1.0) / 2.0)
    return q / q.sum(dim=1, keepdim=True)


def target_distribution(q):
    """DEC sharpened target ``p_ij = (q_ij^2 / f_j) / sum_k (q_ik^2 / f_k)``, ``f_j = sum_i q_ij``.

    Parameters
    ----------
    q : Tensor of shape (batch, n_clusters)

    Returns
    -------
    p : Tensor of shape (batch, n_clusters), detached from the graph.
    """
    q = q.detach()
    weight = q.pow(2) / q.sum(dim=0, keepdim=True)
    return weight / weight.sum(dim=1, keepdim=True)


def dec_kl_loss(q, p, eps=1e-12):
    """``KL(P || Q)`` averaged over the batch (DEC clustering loss)."""
    return (p * (torch.log(p + eps) - torch.log(q + eps))).sum(dim=1).mean()


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
    u = _F.normalize(z.detach(), dim=-1, eps=1e-12)
    return float(u.mean(dim=0).pow(2).sum())


# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
