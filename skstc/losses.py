"""Loss functions as pure torch callables (triplet, constrained cosine pair, DEC KL)."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---
import torch as _torch_t2v  # noqa: E402
from torch import nn as _nn_t2v  # noqa: E402
from torch.nn import functional as _F_t2v  # noqa: E402


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
    d_n = _torch_t2v.linalg.vector_norm(z_anchor - z_neighbor, dim=1)
    d_d = _torch_t2v.linalg.vector_norm(z_anchor - z_distant, dim=1)
    hinge = _F_t2v.relu(d_n - d_d + margin).mean()
    penalty = l2 * (_torch_t2v.linalg.norm(z_anchor) + _torch_t2v.linalg.norm(z_neighbor)
                    + _torch_t2v.linalg.norm(z_distant))
    loss = hinge + penalty
    return loss, {"triplet": hinge, "l2": penalty, "d_neighbor": d_n.mean(),
                  "d_distant": d_d.mean()}


class TripletLoss(_nn_t2v.Module):
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


# --- DeepSpatiotemporalClustering (issue 5) ---
