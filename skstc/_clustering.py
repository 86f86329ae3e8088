"""The latent-space clusterer shared by the estimators that cluster an embedding.

:class:`~skstc.MultimodalConstrainedAE` and :class:`~skstc.Tile2VecSeriesKMeans` learn an
embedding and hand it to a scikit-learn clusterer given as the ``clusterer`` parameter. The
wiring (how the clusterer is built from ``clusterer``, ``n_clusters`` and ``random_state``, how
it is fitted, where its labels and centres come from and how the result is scored) is written
here once.
"""

from functools import partial
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, _fit_context, clone
from sklearn.cluster import KMeans
from sklearn.metrics import euclidean_distances
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._training import effective_n_threads
from .metrics import _row_chunks, kmeans_error
from .utils._random import draw_seed
from .utils._validation import negative_inertia


def build_clusterer(clusterer, n_clusters, random_state, *, default=None):
    """Unfitted clone of the latent-space clusterer.

    The rule is the same for every estimator: ``None`` is ``KMeans(n_clusters, n_init=10)``
    (or ``default(n_clusters)``); otherwise ``clusterer`` is cloned, and the clone gets
    ``n_clusters`` when it has that parameter and a seed drawn from ``random_state`` when it
    has a ``random_state`` parameter.

    Parameters
    ----------
    clusterer : estimator or None
        The ``clusterer`` hyper-parameter (never modified).
    n_clusters : int
        The ``n_clusters`` hyper-parameter.
    random_state : numpy.random.RandomState
        Local random state of the fit; one seed is drawn from it.
    default : callable or None, default=None
        ``default(n_clusters)`` builds the clusterer used for ``clusterer=None``
        (e.g. :func:`series_kmeans`); None is ``KMeans(n_clusters, n_init=10)``.

    Returns
    -------
    clusterer : estimator
        The clone, not fitted.
    """
    if clusterer is not None:
        est = clone(clusterer)
    elif default is not None:
        est = default(n_clusters)
    else:
        est = KMeans(n_clusters=n_clusters, n_init=10)
    params = est.get_params()
    if "n_clusters" in params:
        est.set_params(n_clusters=n_clusters)
    if "random_state" in params:
        est.set_params(random_state=draw_seed(random_state))
    return est


def kmeans_plusplus_float32(X, n_clusters, random_state, *, sample_size=None):
    """Greedy k-means++ seeds computed in the dtype of ``X`` (no float64 copy).

    The algorithm of :func:`sklearn.cluster.kmeans_plusplus` (``2 + log(n_clusters)`` local
    trials per seed, the candidate lowering the potential most kept), with the squared
    distances computed as ``||x||^2 - 2 x.c + ||c||^2`` by one matrix product in the dtype
    of ``X``. scikit-learn's own seeding converts float32 data to float64 block by block
    for every seed, which dominates a K-means fit of long float32 series; the seeding only
    draws samples with probability proportional to these distances, so float32 precision
    is enough. Usable as ``KMeans(init=kmeans_plusplus_float32)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    random_state : numpy.random.RandomState
    sample_size : int or None, default=None
        Seed from this many rows drawn at random without replacement (as
        :class:`~sklearn.cluster.MiniBatchKMeans` seeds from ``init_size`` rows); None or
        a size ``>= n_samples`` uses every row.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        Rows of ``X``, in ``X``'s dtype.
    """
    if sample_size is not None and sample_size < X.shape[0]:
        rows = np.sort(random_state.choice(X.shape[0], max(int(sample_size), n_clusters),
                                           replace=False))
    else:
        rows = np.arange(X.shape[0])
    n = len(rows)
    n_trials = 2 + int(np.log(n_clusters))
    # the sampled rows are read in blocks of about 4 MB, never gathered into one copy
    step = max(1, (1 << 20) // max(1, X.shape[1]))
    blocks = [rows[s:s + step] for s in range(0, n, step)]
    x_sq = np.concatenate([np.einsum("ij,ij->i", X[b], X[b]) for b in blocks])
    centers = np.empty((n_clusters, X.shape[1]), dtype=X.dtype)

    def sq_dist(cand):
        """Squared distances ``(len(cand), n)`` of the sampled rows to the rows ``cand``
        (positions in the sample)."""
        C = X[rows[cand]]
        c_sq = x_sq[cand][:, None]
        d = np.concatenate([C @ X[b].T for b in blocks], axis=1)   # in X's dtype
        d *= -2
        d += x_sq[None, :]
        d += c_sq
        np.maximum(d, 0, out=d)
        return d

    first = random_state.choice(n)
    centers[0] = X[rows[first]]
    closest = sq_dist([first])[0]
    potential = closest.sum(dtype=np.float64)
    for c in range(1, n_clusters):
        draws = random_state.uniform(size=n_trials) * potential
        cand = np.searchsorted(np.cumsum(closest, dtype=np.float64), draws)
        np.clip(cand, None, n - 1, out=cand)
        dist = np.minimum(closest[None, :], sq_dist(cand))
        pots = dist.sum(axis=1, dtype=np.float64)
        best = int(np.argmin(pots))
        potential, closest = pots[best], dist[best]
        centers[c] = X[rows[cand[best]]]
    return centers


# rows per cluster (at least 1024 rows in all) the k-means++ seeds of a series K-means are
# drawn from
SEED_ROWS_PER_CLUSTER = 32


def series_kmeans(n_clusters):
    """Build the K-means of long float32 series (the default clusterer of tile series).

    ``KMeans(n_clusters, n_init=10)`` (Lloyd, ``max_iter=300``) with three changes that
    keep a fit on float32 series in float32 and free of temporaries as large as the
    series: the k-means++ seeds are computed in float32 from ``max(1024, 32 *
    n_clusters)`` rows drawn at random (:func:`kmeans_plusplus_float32`; the seeding reads
    its rows once per seed, Lloyd's iterations then read all rows once each, and seeds
    drawn from all rows gave no lower inertia on the benchmark's planted series);
    ``copy_x=False`` (the series are
    the estimator's own array: scikit-learn centres it in place and restores it, within
    float32 rounding, instead of copying it); and ``tol=0``: Lloyd iterations stop when no
    series changes cluster (scikit-learn's relative ``tol > 0`` is scaled by the features'
    variance, whose computation makes a temporary copy of the whole array).

    Parameters
    ----------
    n_clusters : int

    Returns
    -------
    kmeans : sklearn.cluster.KMeans
    """
    return KMeans(n_clusters=n_clusters, n_init=10, tol=0.0, copy_x=False,
                  init=partial(kmeans_plusplus_float32,
                               sample_size=max(1024, SEED_ROWS_PER_CLUSTER * n_clusters)))


def _nearest(block, centers, c_sq):
    """Index of the nearest of ``centers`` (squared norms ``c_sq``) for each row of
    ``block``: ``argmin ||c||^2 - 2 x.c``, the row's own norm being common to all centres."""
    dist = block @ centers.T
    dist *= -2
    dist += c_sq
    return dist.argmin(axis=1)


def _row_blocks(n_rows, n_features, nbytes=1 << 20):
    """Slices of about ``nbytes`` of float32 rows (at least 16 rows each)."""
    step = max(16, nbytes // (4 * max(1, n_features)))
    return [slice(s, min(n_rows, s + step)) for s in range(0, n_rows, step)]


class SketchKMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means of long series: restarts in a signed-sum sketch, Lloyd polish in full space.

    The default clusterer of :class:`~skstc.Tile2VecSeriesKMeans`. A Lloyd iteration on
    ``(n_samples, n_features)`` series with many features costs one read of the whole
    array, and ``n_init`` restarts of a plain :class:`~sklearn.cluster.KMeans` each run
    their iterations in full space. Here:

    1. one pass over ``X`` computes a sketch ``S`` of at most ``n_components`` features:
       the features are cut into groups of ``ceil(n_features / n_components)``
       consecutive features and each sketch feature is the sum of its group with random
       signs (a sign projection with
       one non-zero per input feature, so ``E ||S x||^2 = ||x||^2``);
    2. the ``n_init`` k-means++ restarts and their Lloyd iterations run on ``S``
       (:class:`~sklearn.cluster.KMeans`, float32 seeds from
       :func:`kmeans_plusplus_float32`, until no label changes); one more pass over ``X``
       takes the full-space cluster sums of every restart's partition, and the partition
       of lowest full-space inertia is kept;
    3. polish in full space: the centres start as the full-space means of that partition,
       and Lloyd iterations on ``X`` (float32, read block by block) run until no sample
       changes cluster or ``max_iter``. The result is a Lloyd fixed point of ``X``
       (every sample is labelled by its nearest centre and every centre is the mean of
       its samples), and ``inertia_`` is the full-space inertia.

    ``X`` is never copied nor converted (float32 stays float32); the temporaries are the
    sketch, at most ``n_samples * n_components`` values, and blocks of about 1 MB. When
    ``n_features <= n_components`` (or ``n_components=None``) there is no sketch: the
    restarts run on ``X`` itself and are the result.

    Parameters
    ----------
    n_clusters : int, default=8
    n_components : int or None, default=512
        Largest number of features of the sketch; None runs the restarts in full space.
    n_init : int, default=10
        k-means++ restarts in the sketch.
    max_iter : int, default=300
        Lloyd iterations of each restart in the sketch, and of the full-space polish.
    random_state : int, RandomState instance or None, default=None
        Seeds the signs of the sketch and the restarts.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Full-space centres (means of the clusters), in ``X``'s float dtype.
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
        Sum of squared full-space distances of the samples to their centre.
    n_iter_ : int
        Full-space Lloyd iterations of the polish.
    sketch_n_iter_ : int
        Lloyd iterations of the retained restart in the sketch.
    sketch_inertia_ : float
        Inertia of the retained restart in the sketch.
    n_features_in_ : int

    See Also
    --------
    series_kmeans : The plain full-space K-means of float32 series.
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_clusters=8, *, n_components=512, n_init=10, max_iter=300,
                 random_state=None):
        self.n_clusters = n_clusters
        self.n_components = n_components
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def _groups(self, n_features):
        """Group length ``g = ceil(n_features / n_components)`` of the sketch
        (``n_features // g`` full groups, plus one group of the remaining features: at most
        ``n_components`` groups), or None for no sketch."""
        m = self.n_components
        if m is None or n_features <= m:
            return None
        return -(-n_features // m)

    def _sketch(self, X, signs, g):
        """The signed group sums of the rows of ``X`` and their squared norms (float64)."""
        n, d = X.shape
        full = d // g
        m = full + (1 if d % g else 0)
        S = np.empty((n, m), dtype=X.dtype)
        sq = np.empty(n, dtype=np.float64)
        head = signs[:full * g].reshape(full, g)
        for b in _row_blocks(n, d):
            block = X[b]
            np.einsum("rmg,mg->rm", block[:, :full * g].reshape(-1, full, g), head,
                      out=S[b, :full])
            if m > full:
                S[b, full] = block[:, full * g:] @ signs[full * g:]
            sq[b] = np.einsum("ij,ij->i", block, block)
        return S, sq

    @staticmethod
    def _sums(X, labels, k):
        """Per-cluster sums (float64) and counts of the rows of ``X`` under each of the
        partitions ``labels`` (shape ``(n_partitions, n_samples)``), in one pass over
        ``X`` block by block; row ``p * k + j`` is cluster ``j`` of partition ``p``."""
        n_part = len(labels)
        sums = np.zeros((n_part * k, X.shape[1]), dtype=np.float64)
        offset = (np.arange(n_part) * k)[:, None]
        for b in _row_blocks(*X.shape):
            m = b.stop - b.start
            onehot = np.zeros((n_part * k, m), dtype=X.dtype)
            onehot[(labels[:, b] + offset).ravel(), np.tile(np.arange(m), n_part)] = 1
            sums += onehot @ X[b]
        counts = np.concatenate([np.bincount(lab, minlength=k) for lab in labels])
        return sums, counts

    def _polish(self, X, labels, sums, counts, k):
        """Full-space Lloyd from the means ``sums / counts`` of ``labels`` (updated in
        place) until no label changes; each iteration reads ``X`` once, and the cluster
        sums are updated by the samples that change cluster."""
        centers = (sums / np.maximum(counts, 1)[:, None]).astype(X.dtype)
        sums = sums.copy()
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            c_sq = np.einsum("ij,ij->i", centers, centers)
            changed = False
            for b in _row_blocks(*X.shape):
                block = X[b]
                new = _nearest(block, centers, c_sq)
                moved = np.flatnonzero(new != labels[b])
                if moved.size:   # the sums follow the samples that change cluster only
                    delta = np.zeros((k, moved.size), dtype=X.dtype)
                    delta[new[moved], np.arange(moved.size)] = 1
                    delta[labels[b][moved], np.arange(moved.size)] = -1
                    sums += delta @ block[moved]
                    labels[b] = new
                    changed = True
            counts = np.bincount(labels, minlength=k)
            # an emptied cluster keeps its centre (it stays a candidate)
            keep = counts == 0
            means = sums / np.maximum(counts, 1)[:, None]
            means[keep] = centers[keep]
            centers = means.astype(X.dtype)
            if not changed:
                break
        return labels, centers, sums, counts, n_iter

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Cluster ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Not copied when it is a C-contiguous float32 or float64 array.
        y : None
            Ignored.

        Returns
        -------
        self : SketchKMeans
        """
        X = validate_data(self, X, dtype=[np.float32, np.float64], order="C")
        n, d = X.shape
        k = self.n_clusters
        if n < k:
            raise ValueError(f"n_samples={n} should be >= n_clusters={k}.")
        rng = check_random_state(self.random_state)
        init = partial(kmeans_plusplus_float32,
                       sample_size=max(1024, SEED_ROWS_PER_CLUSTER * k))
        g = self._groups(d)
        if g is None:   # no sketch: the restarts in full space are the result
            km = KMeans(n_clusters=k, n_init=self.n_init, max_iter=self.max_iter, tol=0.0,
                        init=init, random_state=draw_seed(rng)).fit(X)
            self.labels_ = km.labels_.astype(np.int64)
            self.cluster_centers_ = km.cluster_centers_.astype(X.dtype)
            self.inertia_ = float(km.inertia_)
            self.n_iter_ = self.sketch_n_iter_ = int(km.n_iter_)
            self.sketch_inertia_ = self.inertia_
            return self
        seeds = np.random.RandomState(draw_seed(rng)).randint(np.iinfo(np.int32).max,
                                                              size=self.n_init)
        signs = rng.choice(np.array([-1.0, 1.0], dtype=X.dtype), size=d)
        S, sq = self._sketch(X, signs, g)
        runs = [KMeans(n_clusters=k, n_init=1, max_iter=self.max_iter, tol=0.0, init=init,
                       random_state=int(seed), copy_x=False).fit(S) for seed in seeds]
        del S
        # every restart's partition is scored by its full-space inertia, sum ||x||^2 -
        # sum_j n_j ||m_j||^2, from the cluster sums of all restarts taken in one pass
        labels = np.stack([r.labels_.astype(np.int64) for r in runs])
        sums, counts = self._sums(X, labels, k)
        # (the lowest inertia is the largest sum_j n_j ||m_j||^2 = sum_j ||s_j||^2 / n_j)
        between = np.einsum("ij,ij->i", sums, sums) / np.maximum(counts, 1)
        best = int(np.argmax(between.reshape(len(runs), k).sum(axis=1)))
        self.sketch_n_iter_ = int(runs[best].n_iter_)
        self.sketch_inertia_ = float(runs[best].inertia_)
        part = slice(best * k, (best + 1) * k)
        labels, centers, sums, counts, n_iter = self._polish(
            X, labels[best], sums[part], counts[part], k)
        self.labels_, self.cluster_centers_, self.n_iter_ = labels, centers, n_iter
        # at the fixed point the centres are the means: sum ||x||^2 - sum_j n_j ||m_j||^2
        self.inertia_ = max(float(sq.sum() - (np.einsum("ij,ij->i", sums, sums)
                                                / np.maximum(counts, 1)).sum()), 0.0)
        return self

    def fit_predict(self, X, y=None):
        """Cluster ``X`` and return ``labels_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self.fit(X).labels_

    def _check(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=[np.float32, np.float64], order="C",
                             reset=False)

    def predict(self, X):
        """Nearest centre of each sample, read block by block.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        X = self._check(X)
        C = self.cluster_centers_.astype(X.dtype, copy=False)
        c_sq = np.einsum("ij,ij->i", C, C)
        out = np.empty(len(X), dtype=np.int64)
        for b in _row_blocks(*X.shape):
            out[b] = _nearest(X[b], C, c_sq)
        return out

    def transform(self, X):
        """Euclidean distances of the samples to the centres.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
        """
        X = self._check(X)
        return euclidean_distances(X, self.cluster_centers_.astype(X.dtype, copy=False))

    def score(self, X, y=None):
        """Minus the inertia of ``X`` to the nearest centres (as
        :meth:`sklearn.cluster.KMeans.score`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        labels = self.predict(X)
        X = self._check(X)
        return -kmeans_error(X, labels, self.cluster_centers_) * len(X)


def series_sketch_kmeans(n_clusters):
    """The default clusterer of tile series: :class:`SketchKMeans` ``(n_clusters)``.

    Parameters
    ----------
    n_clusters : int

    Returns
    -------
    kmeans : SketchKMeans
    """
    return SketchKMeans(n_clusters=n_clusters)


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


def _row_reader(rows):
    """``rows`` as a callable ``idx -> 2-D float ndarray`` (a callable is returned as is;
    arrays, memory maps and dask arrays are indexed by row and computed chunk by chunk)."""
    if callable(rows):
        return rows

    def read(idx):
        part = rows[np.asarray(idx)]
        part = part.compute() if hasattr(part, "compute") else part
        return np.asarray(part)
    return read


def stream_fit_clusterer(clusterer, rows, n_samples, *, n_passes, chunk_size, random_state,
                         init_size=None, n_threads=None):
    """Fit a clusterer with ``partial_fit`` on chunks of rows, never holding all rows.

    Each of the ``n_passes`` passes visits every row once, in a fresh random order drawn
    from ``random_state``, ``chunk_size`` rows at a time; every chunk is one
    ``clusterer.partial_fit`` call, except that the first call gets ``init_size`` rows:
    :class:`~sklearn.cluster.MiniBatchKMeans` seeds itself (k-means++) on the rows of its
    first call, and seeds drawn from a few chunks are markedly better than from one (its
    ``fit`` seeds from ``init_size = 3 * batch_size`` rows likewise). A last pass, in row
    order, labels every row with ``clusterer.predict`` and sums the squared distances of
    the rows to their centre. At most ``max(chunk_size, init_size)`` rows are in memory
    at a time.

    Parameters
    ----------
    clusterer : estimator with ``partial_fit`` and ``predict``
        E.g. :class:`~sklearn.cluster.MiniBatchKMeans`; fitted in place.
    rows : callable or array-like of shape (n_samples, n_features)
        ``rows(idx)`` returns the rows ``idx`` (an int array) as a 2-D array, e.g. by
        embedding those tiles; an array, memory map or dask array is indexed instead.
    n_samples : int
    n_passes : int
        Passes of ``partial_fit`` over all rows.
    chunk_size : int
        Rows per chunk.
    random_state : numpy.random.RandomState
        Draws the order of every pass.
    init_size : int or None, default=None
        Rows of the first ``partial_fit`` call; None is ``chunk_size``.
    n_threads : int or None, default=None
        Bounds the clusterer's OpenMP/BLAS threads (the engine parameter).

    Returns
    -------
    labels : ndarray of int64 of shape (n_samples,)
    centers : ndarray of shape (n_clusters, n_features)
        ``clusterer.cluster_centers_``, or the mean row of each label when it has none.
    inertia : float
        Sum of squared distances of the rows to ``centers[labels]``.
    """
    from threadpoolctl import threadpool_limits

    read = _row_reader(rows)
    chunk_size = max(1, int(chunk_size))
    labels = np.empty(n_samples, dtype=np.int64)
    with threadpool_limits(effective_n_threads(n_threads)):
        for p in range(int(n_passes)):
            order = random_state.permutation(n_samples)
            # the first call seeds the clusterer: give it init_size rows (as fit would)
            first = max(chunk_size, int(init_size or 0)) if p == 0 else chunk_size
            clusterer.partial_fit(read(order[:first]))
            for start in range(first, n_samples, chunk_size):
                clusterer.partial_fit(read(order[start:start + chunk_size]))
        centers = getattr(clusterer, "cluster_centers_", None)
        sums, counts, sq_norms, inertia = None, None, 0.0, 0.0
        for start in range(0, n_samples, chunk_size):
            idx = np.arange(start, min(n_samples, start + chunk_size))
            Z = read(idx)
            lab = np.asarray(clusterer.predict(Z)).astype(np.int64)
            labels[idx] = lab
            if centers is not None:   # float64 sums over small blocks of the chunk
                inertia += kmeans_error(Z, lab, centers) * len(Z)
                continue
            # no centres: the means, and the inertia from sum ||x||^2 - sum_k n_k ||m_k||^2
            k = int(lab.max()) + 1
            if sums is None or k > len(sums):
                grown, grown_counts = np.zeros((k, Z.shape[1])), np.zeros(k)
                if sums is not None:
                    grown[:len(sums)], grown_counts[:len(counts)] = sums, counts
                sums, counts = grown, grown_counts
            counts += np.bincount(lab, minlength=len(counts))
            for s, block in _row_chunks(Z):
                sq_norms += float(np.einsum("ij,ij->", block, block))
                for j in np.unique(lab[s]):
                    sums[j] += block[lab[s] == j].sum(axis=0)
    if centers is None:
        centers = sums / np.maximum(counts, 1)[:, None]
        inertia = sq_norms - float((counts * np.einsum("ij,ij->i", centers, centers)).sum())
    return labels, np.asarray(centers), max(inertia, 0.0)
