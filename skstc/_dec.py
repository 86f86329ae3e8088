"""DEC machinery shared by the deep clustering estimators.

One place for what Deep Embedded Clustering adds to a network: the centres of the Student-t
head initialised by k-means on the codes (optionally on the kernel's scale), the target
distribution ``P`` recomputed on all samples, the schedule of target updates with its stopping
rule on changed assignments, and the re-seeding of empty or near-empty clusters. The loss
itself (:func:`skstc.losses.kl_clustering_loss`) and the kernel
(:func:`skstc.losses.student_t_assignment`) live in :mod:`skstc.losses`.
"""

import logging

import numpy as np
import torch
from sklearn.cluster import KMeans
from skorch.callbacks import Callback

from ._training import StopTraining, _emit
from .losses import target_distribution

__all__ = ["DECTargetUpdates", "dec_targets", "init_centers", "min_cluster_size",
           "reseed_small_clusters"]


def init_centers(z, n_clusters, *, n_init=10, random_state=None, rescale=True):
    """k-means centres of the codes ``z``, optionally on the Student-t kernel's scale.

    The Student-t kernel is not scale invariant: codes whose spread is far below 1 give
    nearly uniform ``q`` (no clustering signal, then collapse). With ``rescale`` the codes are
    multiplied by ``scale = 1 / sqrt(mean squared distance of a code to its k-means centre)``
    and the centres are returned in that scaled space.

    Parameters
    ----------
    z : ndarray of shape (n_samples, embedding_dim)
        Codes.
    n_clusters : int
        Number of centres.
    n_init : int, default=10
        k-means restarts.
    random_state : int, RandomState instance or None, default=None
        Seed of k-means.
    rescale : bool, default=True
        Put the codes on the kernel's scale (else ``scale`` is 1).

    Returns
    -------
    centers : ndarray of shape (n_clusters, embedding_dim)
        Centres in the scaled space (``scale * z``).
    scale : float
        Factor applied to the codes before the kernel.
    labels : ndarray of shape (n_samples,)
        k-means labels.
    """
    km = KMeans(n_clusters, n_init=n_init, random_state=random_state).fit(z)
    scale = 1.0
    if rescale:
        within = km.inertia_ / len(z)
        scale = 1.0 / np.sqrt(within) if within > 0 else 1.0
    return km.cluster_centers_ * scale, float(scale), km.labels_.astype(np.int64)


def dec_targets(q):
    """DEC targets of the soft assignments ``q`` of all samples, computed in float64.

    Parameters
    ----------
    q : ndarray or Tensor of shape (n_samples, n_clusters)

    Returns
    -------
    p : ndarray of shape (n_samples, n_clusters), float64
        :func:`skstc.losses.target_distribution` of ``q``.
    """
    if isinstance(q, torch.Tensor):
        q = q.detach().cpu().numpy()
    return target_distribution(np.asarray(q, dtype=np.float64))


def min_cluster_size(n_samples, n_clusters):
    """Size under which a cluster counts as near-empty: 5 % of an even share (at least 1)."""
    return max(1, n_samples // (20 * n_clusters))


def reseed_small_clusters(z, centers, labels, min_size):
    """Move the centres of empty or near-empty clusters onto far samples of large clusters.

    Each small cluster's centre is placed on the code of the sample farthest from its own
    centre among the clusters that can spare a member (more than ``2 * min_size``), one
    distinct sample per small cluster.

    Parameters
    ----------
    z : ndarray of shape (n_samples, embedding_dim)
        Codes in the centres' space.
    centers : ndarray of shape (n_clusters, embedding_dim)
        Current centres (not modified).
    labels : ndarray of shape (n_samples,)
        Current assignments.
    min_size : int
        Clusters with fewer members are re-seeded.

    Returns
    -------
    centers : ndarray of shape (n_clusters, embedding_dim)
        New centres.
    n_reseeded : int
        Centres moved (0 when no cluster is small, or when every cluster is).
    """
    k = len(centers)
    centers = np.array(centers, dtype=np.float64, copy=True)
    sizes = np.bincount(labels, minlength=k)
    small = np.flatnonzero(sizes < min_size)
    if not small.size or small.size == k:
        return centers, 0
    dist = ((z - centers[labels]) ** 2).sum(1)
    taken, moved = [], 0
    for j in small:
        cand = np.where(sizes[labels] > 2 * min_size, dist, -np.inf)
        cand[taken] = -np.inf
        i = int(np.argmax(cand))
        if not np.isfinite(cand[i]):
            break
        taken.append(i)
        sizes[labels[i]] -= 1
        sizes[j] += 1
        centers[j] = z[i]
        moved += 1
    return centers, moved


class DECTargetUpdates(Callback):
    """DEC schedule: targets every ``update_interval`` iterations, stop on few label changes.

    At the start of training and every ``update_interval`` mini-batch iterations, the codes
    and ``q`` of all samples are recomputed, small clusters are re-seeded
    (:func:`reseed_small_clusters`), and the targets ``p`` (an array the training batches
    read, updated in place) are set to :func:`dec_targets` of ``q``. Training stops when
    fewer than ``tol`` of the samples changed cluster since the previous update.

    Parameters
    ----------
    codes_and_q : callable
        ``codes_and_q(module) -> (z, q)`` on all samples (numpy arrays).
    head : callable
        ``head(module)`` returns the clustering head, with a ``centers`` parameter and a
        ``scale`` buffer (codes are multiplied by ``scale`` before the kernel).
    p : ndarray of shape (n_samples, n_clusters)
        Targets read by the loss, written in place.
    labels : ndarray of shape (n_samples,)
        Current assignments (initially the k-means labels), written in place.
    update_interval : int
        Mini-batch iterations between two updates.
    tol : float
        Stopping threshold on the fraction of changed assignments.
    min_size : int
        Near-empty cluster size (see :func:`min_cluster_size`).
    verbose : int, default=0
        At 2 and above, print one line per update (always logged at DEBUG level on the
        ``skstc`` logger).
    """

    def __init__(self, codes_and_q, head, p, labels, update_interval, tol, min_size,
                 verbose=0):
        self.codes_and_q = codes_and_q
        self.head = head
        self.p = p
        self.labels = labels
        self.update_interval = update_interval
        self.tol = tol
        self.min_size = min_size
        self.verbose = verbose

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
                getattr(net, "flush_batch_losses", lambda: None)()
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
        net.history.record("n_batches", self.iteration_)

    def _update(self, net, check):
        module = net.module_
        head = self.head(module)
        z, q = self.codes_and_q(module)
        labels = q.argmax(1)
        k = q.shape[1]
        scale = float(head.scale)
        centers, moved = reseed_small_clusters(
            z * scale, head.centers.detach().cpu().numpy(), labels, self.min_size)
        if moved:
            self.n_reseeded_ += moved
            with torch.no_grad():
                head.centers.copy_(torch.as_tensor(centers, dtype=head.centers.dtype))
            z, q = self.codes_and_q(module)
            labels = q.argmax(1)
        if check:
            self.delta_ = float(np.mean(labels != self.labels))
            self.converged_ = self.delta_ < self.tol
        self.labels[:] = labels
        if isinstance(self.p, torch.Tensor):  # targets kept on the training device
            self.p.copy_(torch.as_tensor(dec_targets(q), dtype=self.p.dtype))
        else:
            self.p[:] = dec_targets(q).astype(self.p.dtype)
        self.n_updates_ += 1
        _emit(int(self.verbose or 0), logging.DEBUG,
               f"  target update {self.n_updates_} (iteration {self.iteration_}): changed "
               f"assignments {self.delta_:.4f}, cluster sizes "
               f"{np.bincount(labels, minlength=k).tolist()}, re-seeded {self.n_reseeded_}",
               min_verbose=2)
