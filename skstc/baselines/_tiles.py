"""Pixel baselines of Tile2VecSeriesKMeans: k-means on tile pixel statistics."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, _fit_context
from sklearn.decomposition import PCA
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._clustering import SketchKMeans
from .._training import effective_n_threads
from ..utils._fitting import TransactionalFitMixin
from ..utils._inputs import check_regions, check_tile_shape_params, read_regions, tile_series
from ..utils._random import draw_seed, local_random_state
from ..utils._validation import check_float32_range, check_n_clusters
from ..utils._xarray import tile_label_maps

__all__ = ["TilePixelKMeans", "tiles_baselines"]

_METHODS = ("mean", "pca")


class TilePixelKMeans(TransactionalFitMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means of grid tiles on their pixel values: the baseline of Tile2VecSeriesKMeans.

    Cuts the regions into the same grid of non-overlapping ``tile_size`` tiles as
    :class:`~skstc.Tile2VecSeriesKMeans` (same input forms, same tile order, same label
    maps) and clusters one feature vector per tile with K-means:

    * ``method="mean"``: the series of the tile's mean band values at every date,
      ``(n_times, n_bands)`` flattened - what a practitioner computes first (the pixel-based
      baseline of the Tile2Vec series clustering paper);
    * ``method="pca"``: all the tile's pixels at every date, ``(n_times, n_bands,
      tile_size, tile_size)`` flattened, projected on their first ``n_components``
      principal components (PCA fitted on the tiles), which keeps some of the spatial
      pattern inside a tile that the mean discards.

    Missing values (NaN) are replaced by the per-band mean of the training images, as in
    :class:`~skstc.Tile2VecSeriesKMeans`.

    Parameters
    ----------
    n_clusters : int, default=5
        Number of clusters.
    tile_size : int, default=100
        Side of the square tiles in pixels.
    method : {"mean", "pca"}, default="mean"
        Features of a tile (see above).
    n_components : int, default=20
        Principal components kept by ``method="pca"`` (at most ``n_tiles - 1``).
    n_init : int, default=10
        K-means restarts.
    series_shape : tuple (n_times, n_bands) or None, default=None
        How to read a 2-D array of flattened tile sequences (as for
        :class:`~skstc.Tile2VecSeriesKMeans`).
    tile_grid_shape : tuple (n_rows, n_cols) or None, default=None
        Tile grid of the rows of a 2-D array at fit time.
    batch_size : int, default=50
        Tiles read at a time for ``method="mean"``.
    n_threads : int or None, default=None
        Threads of K-means and PCA (None: all).
    random_state : int, RandomState instance or None, default=None
        Seeds K-means (and the randomized PCA solver).

    Attributes
    ----------
    labels_ : ndarray of shape (n_tiles,)
        Cluster of each tile (region by region, row-major).
    label_maps_ : list of ndarray of shape (n_rows, n_cols) or of xarray.DataArray
        ``labels_`` as one map per region.
    cluster_centers_ : ndarray of shape (n_clusters, n_features_out)
        Centroids in the feature space of :meth:`transform`.
    inertia_ : float
    pca_ : PCA or None
        The fitted projection (``method="pca"``).
    clusterer_ : estimator
        The K-means of the features: the default clusterer of
        :class:`~skstc.Tile2VecSeriesKMeans` (its restarts run in full space for features
        of at most 512 values, in a sketch of longer ones).
    tile_grid_shapes_ : list of tuple
    n_times_, n_bands_ : int
    fill_values_ : ndarray of shape (n_bands,)
    n_features_in_ : int
    n_iter_ : int

    See Also
    --------
    skstc.Tile2VecSeriesKMeans : the deep model this baseline stands beside.
    tiles_baselines : both baselines configured like a given model.

    Examples
    --------
    >>> from skstc.baselines import TilePixelKMeans
    >>> from skstc.datasets import make_image_sequence
    >>> images, zones = make_image_sequence(n_regions=1, n_times=3, height=32, width=32,
    ...                                     random_state=0)
    >>> model = TilePixelKMeans(4, tile_size=8, random_state=0).fit(images[0])
    >>> model.labels_.shape, model.label_maps_[0].shape, model.transform(images[0]).shape
    ((16,), (4, 4), (16, 9))
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "tile_size": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions(set(_METHODS))],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "series_shape": ["array-like", None],
        "tile_grid_shape": ["array-like", None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1}), None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_clusters=5, *, tile_size=100, method="mean", n_components=20,
                 n_init=10, series_shape=None, tile_grid_shape=None, batch_size=50, n_threads=None,
                 random_state=None):
        self.n_clusters = n_clusters
        self.tile_size = tile_size
        self.method = method
        self.n_components = n_components
        self.n_init = n_init
        self.series_shape = series_shape
        self.tile_grid_shape = tile_grid_shape
        self.batch_size = batch_size
        self.n_threads = n_threads
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _check_params(self):
        """Check what the declarative ``_parameter_constraints`` cannot say."""
        check_tile_shape_params(self)

    def _pixels(self, regions):
        """All pixels of every grid tile, ``(n_tiles, n_times * n_bands * ts * ts)``."""
        ts = self.tile_size
        fill = self.fill_values_.astype(np.float32)[None, :, None, None]
        rows = []
        for region in regions:
            gh, gw = region.shape[2] // ts, region.shape[3] // ts
            for i in range(gh):
                blk = region.block(0, region.shape[0], i * ts, (i + 1) * ts, 0, gw * ts)
                blk = np.where(np.isnan(blk), fill, blk)
                nt, nb = blk.shape[:2]
                tiles = blk.reshape(nt, nb, ts, gw, ts).transpose(3, 0, 1, 2, 4)
                rows.append(tiles.reshape(gw, -1))
        return np.concatenate(rows)

    def _features(self, regions):
        if self.method == "mean":
            series, _ = tile_series(regions, self.tile_size, self.batch_size, self.fill_values_,
                                    self.n_bands_)
            feats = series.reshape(series.shape[0], -1)
        else:
            # float64: the PCA projection of a row must not depend on the other rows' order
            feats = self._pixels(regions).astype(np.float64)
        # k-means distances in float32 overflow for huge values: refuse them up front
        check_float32_range(feats, "X (tile features)")
        return feats

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Cut the tiles and cluster their pixel features.

        Parameters
        ----------
        X : array-like, list of arrays or xarray.DataArray
            Image time series (the forms of :class:`~skstc.Tile2VecSeriesKMeans`).
        y : None
            Ignored.

        Returns
        -------
        self : TilePixelKMeans
        """
        from threadpoolctl import threadpool_limits

        self._check_params()
        regions, is_2d = read_regions(self, X, fitting=True)
        n_times, n_bands = check_regions(self, regions, fitting=True)
        ts = self.tile_size
        grid_shapes = [(r.shape[2] // ts, r.shape[3] // ts) for r in regions]
        n_tiles = sum(g[0] * g[1] for g in grid_shapes)
        check_n_clusters(self.n_clusters, n_tiles, what="tiles")
        sums, counts = np.zeros(n_bands), np.zeros(n_bands)
        for r in regions:
            img = r.load()
            if np.isinf(img).any():
                raise ValueError("X contains infinity; only finite values or NaN (missing) "
                                 "are allowed.")
            sums += np.nansum(img, axis=(0, 2, 3), dtype=np.float64)
            counts += np.isfinite(img).sum(axis=(0, 2, 3))
        if (counts == 0).any():
            raise ValueError(f"Band(s) {np.flatnonzero(counts == 0).tolist()} are missing "
                             "(NaN) everywhere.")
        self.n_times_, self.n_bands_ = n_times, n_bands
        self.fill_values_ = (sums / counts).astype(np.float32)
        rng = local_random_state(self.random_state)
        feats = self._features(regions)
        with threadpool_limits(effective_n_threads(self.n_threads)):
            pca = None
            if self.method == "pca":
                k = max(1, min(self.n_components, n_tiles - 1, feats.shape[1]))
                pca = PCA(k, random_state=draw_seed(rng))
                feats = pca.fit_transform(feats)
            # the default clusterer of Tile2VecSeriesKMeans (K-means restarts in a sketch of
            # long series, in full space for short ones)
            km = SketchKMeans(self.n_clusters, n_init=self.n_init,
                              random_state=draw_seed(rng))
            labels = km.fit_predict(feats).astype(np.int64)
        self.pca_ = pca
        self.clusterer_ = km
        self.tile_grid_shapes_ = grid_shapes
        self.n_features_in_ = n_times * n_bands * ts * ts
        self.labels_ = labels
        self.cluster_centers_ = km.cluster_centers_
        self.inertia_ = float(km.inertia_)
        self.n_iter_ = int(km.n_iter_)
        self.label_maps_ = tile_label_maps(labels, regions, self.tile_size, is_2d)
        return self

    def transform(self, X):
        """Features of the grid tiles of ``X`` (mean series, or PCA scores of the pixels).

        Parameters
        ----------
        X : array-like, list of arrays or xarray.DataArray

        Returns
        -------
        features : ndarray of shape (n_tiles, n_features_out)
        """
        check_is_fitted(self, "labels_")
        regions, _ = read_regions(self, X, fitting=False)
        check_regions(self, regions, fitting=False)
        feats = self._features(regions)
        if self.pca_ is not None:
            feats = self.pca_.transform(feats)
        return feats

    def predict(self, X):
        """Cluster of every grid tile of ``X``.

        Parameters
        ----------
        X : array-like, list of arrays or xarray.DataArray

        Returns
        -------
        labels : ndarray of shape (n_tiles,)
        """
        from threadpoolctl import threadpool_limits

        feats = self.transform(X)
        with threadpool_limits(effective_n_threads(self.n_threads)):
            return self.clusterer_.predict(feats).astype(np.int64)

    def fit_predict(self, X, y=None):
        """Fit and return ``labels_``."""
        return self.fit(X).labels_


def tiles_baselines(estimator):
    """The pixel baselines of a Tile2VecSeriesKMeans, configured like it (unfitted).

    Parameters
    ----------
    estimator : Tile2VecSeriesKMeans
        Fitted or not; its ``n_clusters``, ``tile_size``, ``series_shape``, ``tile_grid_shape``,
        ``batch_size``, ``n_threads`` and ``random_state`` are copied.

    Returns
    -------
    baselines : dict of str to estimator
        ``"pixel-mean k-means"`` (:class:`TilePixelKMeans` with ``method="mean"``) and
        ``"pixel PCA k-means"`` (``method="pca"``).

    Examples
    --------
    >>> from skstc import Tile2VecSeriesKMeans
    >>> from skstc.baselines import tiles_baselines
    >>> sorted(tiles_baselines(Tile2VecSeriesKMeans(4, tile_size=8)))
    ['pixel PCA k-means', 'pixel-mean k-means']
    """
    p = estimator.get_params()
    common = dict(n_clusters=p["n_clusters"], tile_size=p["tile_size"],
                  series_shape=p["series_shape"], tile_grid_shape=p["tile_grid_shape"],
                  batch_size=p["batch_size"], n_threads=p["n_threads"],
                  random_state=p["random_state"])
    return {"pixel-mean k-means": TilePixelKMeans(method="mean", **common),
            "pixel PCA k-means": TilePixelKMeans(method="pca", **common)}

