"""The latent-space clusterer shared by the estimators that cluster an embedding.

:class:`~skstc.MultimodalConstrainedAE` and :class:`~skstc.Tile2VecSeriesKMeans` learn an
embedding and hand it to a scikit-learn clusterer given as the ``clusterer`` parameter. The
wiring (how the clusterer is built from ``clusterer``, ``n_clusters`` and ``random_state``, how
it is fitted, where its labels and centres come from and how the result is scored) is written
here once.
"""

import numpy as np
from sklearn.base import clone
from sklearn.cluster import KMeans

from ._training import effective_n_threads
from .utils._random import draw_seed
from .utils._validation import negative_inertia


def build_clusterer(clusterer, n_clusters, random_state):
    """Unfitted clone of the latent-space clusterer.

    The rule is the same for every estimator: ``None`` is ``KMeans(n_clusters, n_init=10)``;
    otherwise ``clusterer`` is cloned, and the clone gets ``n_clusters`` when it has that
    parameter and a seed drawn from ``random_state`` when it has a ``random_state`` parameter.

    Parameters
    ----------
    clusterer : estimator or None
        The ``clusterer`` hyper-parameter (never modified).
    n_clusters : int
        The ``n_clusters`` hyper-parameter.
    random_state : numpy.random.RandomState
        Local random state of the fit; one seed is drawn from it.

    Returns
    -------
    clusterer : estimator
        The clone, not fitted.
    """
    est = KMeans(n_clusters=n_clusters, n_init=10) if clusterer is None else clone(clusterer)
    params = est.get_params()
    if "n_clusters" in params:
        est.set_params(n_clusters=n_clusters)
    if "random_state" in params:
        est.set_params(random_state=draw_seed(random_state))
    return est


def effective_n_clusters(clusterer, n_clusters):
    """Number of clusters the built clusterer will be asked for, or None when it has no such
    parameter (e.g. a density-based clusterer)."""
    if clusterer is None or "n_clusters" in clusterer.get_params():
        return n_clusters
    return None


def fit_clusterer(clusterer, Z, n_threads=None):
    """Fit ``clusterer`` on the embeddings ``Z`` and return its labels (int64).

    ``fit_predict`` when the clusterer has it, else ``fit`` followed by ``labels_``.
    ``n_threads`` (the engine parameter) also bounds the clusterer's OpenMP/BLAS threads,
    restored afterwards.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(effective_n_threads(n_threads)):
        if hasattr(clusterer, "fit_predict"):
            labels = clusterer.fit_predict(Z)
        else:
            labels = clusterer.fit(Z).labels_
    return np.asarray(labels).astype(np.int64)


def cluster_centers(clusterer, Z, labels, n_clusters):
    """The clusterer's ``cluster_centers_``, or the mean embedding of each cluster (NaN for a
    cluster without members) when it has none."""
    centers = getattr(clusterer, "cluster_centers_", None)
    if centers is None:
        centers = np.stack([Z[labels == k].mean(0) if (labels == k).any()
                            else np.full(Z.shape[1], np.nan)
                            for k in range(n_clusters)])
    return np.asarray(centers)


def clusterer_score(clusterer, Z):
    """Score of a fitted latent-space clusterer on the embeddings ``Z``.

    The clusterer's own ``score`` when it has one (minus the inertia for k-means), else
    :func:`~skstc.utils._validation.negative_inertia` to its ``cluster_centers_``.
    """
    if hasattr(clusterer, "score"):
        return float(clusterer.score(Z))
    centers = getattr(clusterer, "cluster_centers_", None)
    if centers is None:
        raise AttributeError(f"{type(clusterer).__name__} has neither score nor "
                             "cluster_centers_: the clustering cannot be scored.")
    return negative_inertia(Z, centers)
