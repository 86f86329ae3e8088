"""Loss functions as pure torch callables (triplet, constrained cosine pair, DEC KL)."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---

import torch  # noqa: E402
from torch import nn  # noqa: E402


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
        Sharpened, cluster-frequency-normalised targets; rows sum to one.
    """
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
