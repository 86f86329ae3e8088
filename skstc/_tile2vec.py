"""Tile2VecSeriesKMeans: semantic partitions of regions from satellite image time series."""

import copy
import logging
import time
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
from sklearn.cluster import BisectingKMeans, KMeans, MiniBatchKMeans
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._clustering import (
    SketchKMeans,
    build_clusterer,
    cluster_centers,
    clusterer_score,
    fit_clusterer,
    series_sketch_kmeans,
    stream_fit_clusterer,
)
from ._sampling import (
    TileTripletSampler,
    extract_tiles,
    sample_cluster_triplets,
)
from ._training import (
    TorchEstimatorMixin,
    _emit,
    document_engine_params,
    effective_n_threads,
    format_seconds,
)
from .losses import TripletLoss
from .metrics import kmeans_error
from .nn import TileNet
from .utils._inputs import (
    ImageRegion,
    check_regions,
    check_tile_shape_params,
    read_regions,
    tile_series,
)
from .utils._random import draw_seed, local_random_state
from .utils._validation import check_float32_range, check_n_clusters
from .utils._xarray import is_dask, is_xarray, tile_label_maps, wrap_tiles

__all__ = ["Tile2VecSeriesKMeans"]

_ENCODERS = ("tilenet", "pixel_mean")


class _OnTheFlyTriplets:
    """``iterator_train`` for the engine: fresh triplets every epoch from a local RNG.

    Calling it returns a re-iterable whose every pass (one per epoch) yields
    ``ceil(n_triplets / batch_size)`` batches ``({"anchor", "neighbor", "distant"}, dummy_y)``
    drawn by ``sample_fn(n, rng)``.
    """

    def __init__(self, sample_fn, n_triplets, seed):
        self.sample_fn = sample_fn
        self.n_triplets = n_triplets
        self.rng = np.random.RandomState(seed)
        self.batch_size = None

    def __call__(self, dataset, batch_size, generator=None, num_workers=0):
        self.batch_size = int(batch_size)
        return self

    def __iter__(self):
        n, bs = self.n_triplets, self.batch_size
        sizes = [min(bs, n - s) for s in range(0, n, bs)]
        if len(sizes) > 1 and sizes[-1] == 1:   # batch norm needs > 1 tile per batch
            sizes[-2] += 1
            sizes.pop()
        for size in sizes:
            trip = self.sample_fn(size, self.rng)
            yield ({k: torch.as_tensor(v) for k, v in trip.items()},
                   torch.zeros(size, dtype=torch.float32))


def _tile_aligned_chunks(chunks, tile_size):
    """Chunk sizes along a spatial axis whose boundaries fall between tiles.

    ``chunks`` cover a whole number of tiles. Boundaries already on multiples of
    ``tile_size`` are kept; otherwise regular chunks of the first chunk's size rounded to a
    multiple of ``tile_size`` (at least one tile) are used.
    """
    bounds = np.cumsum(chunks)
    if not (bounds % tile_size).any():
        return tuple(int(c) for c in chunks)
    total = int(bounds[-1])
    size = max(tile_size, int(round(chunks[0] / tile_size)) * tile_size)
    n_full, rest = divmod(total, size)
    return (size,) * n_full + ((rest,) if rest else ())


def _tile_block(block, fn, tile_size, out_shape):
    """``fn`` on one block ``(time, band, h, w)`` of whole tiles -> ``(h / ts, w / ts, ...)``."""
    block = np.asarray(block)
    out = np.asarray(fn([ImageRegion(block)]))
    return out.reshape((block.shape[2] // tile_size, block.shape[3] // tile_size)
                       + tuple(out_shape))


class _Count(torch.utils.data.Dataset):
    """Placeholder dataset: its length is the number of triplets per epoch."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):  # pragma: no cover - batches come from _OnTheFlyTriplets
        raise IndexError("triplets are drawn on the fly")


@document_engine_params
class Tile2VecSeriesKMeans(TorchEstimatorMixin, ClassNamePrefixFeaturesOutMixin, ClusterMixin,
                           TransformerMixin, BaseEstimator):
    """Semantic land partitions from satellite image time series (Tile2Vec + series K-means).

    1. A ResNet-style tile encoder f^g (:class:`skstc.nn.TileNet`) is trained with the
       Tile2Vec triplet loss (:func:`skstc.losses.tile2vec_triplet_loss`) on triplets drawn
       on the fly from the images (:class:`skstc._sampling.TileTripletSampler`): a region
       and a date at random, an anchor tile anywhere, a neighbour whose centre lies within
       ``neighborhood`` pixels (Chebyshev) of the anchor's, a distant tile outside it or, with
       ``cross_region=True``, anywhere in another region; all from the same date.
    2. Each tile of the grid of non-overlapping ``tile_size`` tiles (region by region,
       row-major; right/bottom remainders narrower than a tile are dropped) becomes the
       series of its embeddings at every date, ``(n_times, embedding_dim)``, flattened;
       the series are clustered by K-means with Euclidean distance over the whole series
       (``clusterer``, K-means restarted in a sketch and polished in full space by
       default). The paper's series
       distance (Eq. 3, sum over dates of per-date Euclidean distances,
       :func:`skstc.metrics.pairwise_series_distances`) is used where a distance between
       series is measured rather than minimised (``metric``): the choice of distant
       clusters in the refinement, and the inspection tools and metrics given
       ``metric="series"``; K-means itself minimises squared Euclidean distances.
    3. With ``refine=True`` the encoder is fine-tuned (f^c) on triplets drawn from that
       clustering (:func:`skstc._sampling.sample_cluster_triplets`), the tiles re-embedded
       and re-clustered. ``labels_`` is the final partition, ``geographic_labels_`` the one
       before refinement.

    Read more in the paper's analysis tools: :mod:`skstc.inspection`,
    :mod:`skstc.metrics` (geographic silhouette), :mod:`skstc.plotting`.

    Parameters
    ----------
    n_clusters : int, default=5
        Number of clusters.
    tile_size : int, default=100
        Side of the square tiles in pixels.
    neighborhood : int or None, default=None
        Radius in pixels (Chebyshev, between tile centres) of the neighbour tiles; distant
        tiles are farther. None uses half a tile, ``max(1, tile_size // 2)``: a neighbour
        then overlaps at least half of the anchor along each axis, so it lies in the
        anchor's land zone far more often than one a whole tile away, which makes the
        recovered zones stable across ``random_state`` (``benchmarks/results/
        tile2vec_ladder.md``). Tile2Vec's NAIP setting was a radius of two tiles
        (``neighborhood=2 * tile_size``), suited to fields much larger than a tile.
    embedding_dim : int, default=16
        Size of a tile embedding (the published TileNet: 512).
    n_blocks : tuple of int, default=(1, 1, 1)
        Residual blocks per TileNet stage. The published ResNet-18 TileNet is
        ``n_blocks=(2, 2, 2, 2, 2), base_width=64, embedding_dim=512``, hundreds of times
        the default's operations per tile and practical on a GPU only; the default is a
        CPU-sized encoder (a fit on the real series of ``benchmarks/bench_tile2vec.py``
        takes seconds to a minute on one thread).
    base_width : int, default=8
        Channels of the first TileNet stage (the published TileNet: 64).
    n_triplets : int, default=1024
        Triplets drawn per training epoch of f^g, over all regions and dates together:
        each (region, date) pair receives on average ``n_triplets / (n_regions *
        n_times)`` triplets per epoch, and ``max_epochs * n_triplets`` in all. The
        training budget is therefore spread thinner the more dates there are (e.g. 392
        dates of MODIS leave ~13 triplets per date over the default 5 epochs, where the
        published Tile2Vec encoders were trained on ~10^5 triplets of single-date
        imagery). Raise ``n_triplets`` (time grows linearly) for long series.
    margin : float, default=1.0
        Triplet-loss margin. The published Tile2Vec value is 50; with the half-tile
        neighbourhood, margin 50 merged two texture zones in 2 of 4 model seeds of a planted
        benchmark set that margin 1 recovered in 4 of 4.
    l2 : float, default=0.01
        Weight of the embedding-norm penalty of the triplet loss.
    augment : bool, default=True
        Random flips/rot90 of the training tiles.
    cross_region : bool, default=True
        Draw distant tiles uniformly among all admissible positions of all regions (the
        anchor's region outside the neighbourhood, and anywhere in the others), as Tile2Vec
        draws distant tiles from anywhere in the data; False keeps them in the anchor's
        region. Without effect for a single region.
    metric : {"series", "euclidean"}, default="series"
        Distance between centroid series used by the refinement to pick distant clusters
        (``"series"``: the paper's Eq. 3).
    max_nan_fraction : float, default=0.5
        Tiles with a larger fraction of missing pixels are kept out of triplets.
    refine : bool, default=True
        Run the clustering-based refinement f^c.
    n_refine_triplets : int or None, default=None
        Triplets per refinement epoch; None uses ``n_triplets``.
    refine_epochs : int, default=3
        Refinement epochs.
    refine_lr : float or None, default=None
        Learning rate of the refinement; None uses ``lr``.
    representation : {"tilenet", "pixel_mean"}, default="tilenet"
        ``"pixel_mean"`` is the paper's pixel-based baseline: the series of a tile are its
        mean band values at each date (no network, no refinement), clustered the same way.
    clusterer : estimator or None, default=None
        Clusterer of the series, cloned into ``clusterer_`` with ``n_clusters`` and a seed
        set. None is a sketch K-means: the ``n_init=10`` k-means++ restarts run on a 512-feature signed-sum sketch of the
        series, the one of lowest full-space inertia is polished by Lloyd iterations on
        the series until no tile changes cluster (a full-space K-means fixed point); the
        series are neither copied nor converted (see the method page). A scikit-learn
        ``KMeans(n_init=10)`` gives plain K-means with every restart in full space. With
        ``streaming_passes`` it is ``MiniBatchKMeans(n_clusters, batch_size=1024)``.
    streaming_passes : int or None, default=None
        None clusters the series in memory: the ``(n_tiles, n_times * embedding_dim)``
        float32 array of all series is built and given to ``clusterer.fit``. An int streams
        them instead, for tile series that do not fit in memory: the tiles are embedded
        ``batch_size`` tile-dates at a time and their series fed in chunks of the
        clusterer's ``batch_size`` tiles (1024 when it has none) to ``clusterer.partial_fit``,
        ``streaming_passes`` times over all tiles in a fresh random order (the first call,
        which seeds the clusterer, gets its ``init_size`` tiles, by default 3 chunks, as
        :class:`~sklearn.cluster.MiniBatchKMeans` seeds itself in ``fit``), then labelled in
        one more pass; at most one chunk of series is in memory. The clusterer must have
        ``partial_fit`` (e.g. :class:`~sklearn.cluster.MiniBatchKMeans`). Each pass runs
        the encoder over every tile, so the clustering takes ``streaming_passes + 1``
        times the embedding time. The refinement works the same (it needs the labels and
        centres only).
    series_shape : tuple (n_times, n_bands) or None, default=None
        How to read a 2-D array (see Notes); None means one date.
    tile_grid_shape : tuple (n_rows, n_cols) or None, default=None
        Tile grid of the rows of a 2-D array at fit time; None is ``(n_samples, 1)``.
    max_epochs : int, default=5
        Training epochs of f^g.
    batch_size : int, default=64
        Triplets per training batch and tiles per inference batch; input blocks are read
        ``batch_size`` tiles at a time at inference, which bounds peak memory.
    lr : float, default=1e-3
        Learning rate of the optimizer.
    <engine parameter: optimizer>
    <engine parameter: tol>
    <engine parameter: n_iter_no_change>
    <engine parameter: device>
    <engine parameter: n_threads>
    num_workers : int, default=0
        Data-loading worker processes (unused: triplets are cut in the main process).
    <engine parameter: callbacks>
    <engine parameter: verbose>
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, triplet sampling and K-means through local generators;
        the global numpy and torch RNG states are left unchanged.
    <engine parameter: precision>

    Attributes
    ----------
    labels_ : ndarray of shape (n_tiles,)
        Final cluster of each tile (region by region, row-major); a DataArray on a ``tile``
        dim (as :meth:`predict`'s) when fitted on xarray input.
    label_maps_ : list of ndarray of shape (n_rows, n_cols) or of xarray.DataArray
        ``labels_`` as one 2-D map per region; DataArrays on the tile-centre coordinates
        when the input was xarray.
    geographic_labels_, geographic_label_maps_ : as above, before refinement.
    cluster_centers_ : ndarray of shape (n_clusters, n_times * embedding_dim)
        Centroids of the final series.
    geographic_cluster_centers_ : ndarray
        Centroids before refinement.
    inertia_, geographic_inertia_ : float
        Sum of squared distances of the series to their centroid.
    module_ : TileNet
        Final encoder (f^c, or f^g without refinement); None for ``"pixel_mean"``.
    geographic_module_ : TileNet
        Encoder before refinement.
    clusterer_ : estimator
        Fitted clusterer of the final series.
    history_ : list of dict
        One record per epoch (``phase`` is ``"geographic"`` or ``"refine"``, ``train_loss``,
        ``triplet``, ``l2``, ``d_neighbor``, ``d_distant``, ``dur``).
    tile_grid_shapes_ : list of tuple
        Tile grid ``(n_rows, n_cols)`` of each region.
    n_times_, n_bands_ : int
        Dates and bands of the training images.
    fill_values_ : ndarray of shape (n_bands,)
        Per-band mean of the training images, used to fill missing values.
    neighborhood_ : int
        Neighbourhood radius used.
    n_features_in_ : int
        ``n_times * n_bands * tile_size**2``, the length of a flattened tile sequence.
    n_iter_ : int
        Number of training epochs run (tile encoder and refinement; 0 for
        ``representation="pixel_mean"``). The iterations of the final clusterer are
        ``clusterer_.n_iter_``.

    Notes
    -----
    Input forms: ``(n_times, n_bands, height, width)`` for one region; a 5-D array
    ``(n_regions, n_times, n_bands, height, width)`` or a list of 4-D arrays (regions of
    different sizes); an ``xarray.DataArray`` with dims ``(time, band, y, x)`` and optionally
    ``region`` (a missing ``band`` dim means one band), numpy- or dask-backed. A **2-D array**
    ``(n_samples, n_features)`` is a set of tile sequences, one per row, each the C-order
    flattening of ``(n_times, n_bands, tile_size, tile_size)`` with ``(n_times, n_bands) =
    series_shape`` (None: one date, ``n_features / tile_size**2`` bands). At fit time the rows
    are laid on the tile grid ``tile_grid_shape`` (default a single column) to form the image the
    triplets are drawn from; ``labels_``, ``predict`` and ``transform`` have one row per input
    row. This is what lets scikit-learn's checks, cross-validation and grid search slice rows.

    Memory: ``fit`` loads the training regions into memory (triplets are cut at random
    positions); ``transform`` and ``predict`` read numpy or memory-mapped input
    ``batch_size`` tiles at a time. Dask-backed input (e.g. ``xr.open_zarr``) gives lazy
    results with one task per spatial chunk: the chunks are aligned to whole tiles (rounded
    to multiples of ``tile_size`` when they are not) and each task holds all dates and bands
    of its chunk, so memory is bounded by the spatial chunk size times the number of
    dask threads, not by the region's size; choose spatial chunks accordingly
    (``benchmarks/bench_out_of_core.py`` labels a zarr stack larger than half the memory
    this way).
    The clustering in ``fit`` holds the series of all tiles, ``n_tiles * n_times *
    embedding_dim`` float32 values (and, with the default clusterer, a sketch of
    ``n_tiles * 512`` values), unless ``streaming_passes`` is set, which bounds it by
    the clusterer's ``batch_size`` (``benchmarks/results/series_kmeans.md``).

    Missing values: NaN (clouds, no data) is allowed. A pixel is missing when any band is
    NaN; tiles with more than ``max_nan_fraction`` missing pixels are never used in training
    triplets; at inference missing values are replaced by ``fill_values_`` (per-band means
    of the training images) before encoding, so NaN never reaches an embedding. A 1-date
    input is valid (Tile2Vec on one image, series of length 1).

    Examples
    --------
    >>> from skstc import Tile2VecSeriesKMeans
    >>> from skstc.datasets import make_image_sequence
    >>> images, zones = make_image_sequence(n_regions=1, n_times=3, height=32, width=32,
    ...                                     random_state=0)
    >>> model = Tile2VecSeriesKMeans(n_clusters=4, tile_size=8, embedding_dim=8,
    ...                              n_blocks=(1, 1), base_width=8, n_triplets=64,
    ...                              max_epochs=1, refine_epochs=1, n_threads=1,
    ...                              random_state=0).fit(images[0])
    >>> model.labels_.shape, model.label_maps_[0].shape
    ((16,), (4, 4))
    >>> model.transform(images[0]).shape
    (16, 24)
    """

    @classmethod
    def paper_params(cls):
        """Parameters of the published configuration (encoder size and training budget).

        The defaults are sized for a CPU; these values give the published ResNet-18
        TileNet (``n_blocks=(2, 2, 2, 2, 2)``, ``base_width=64``, 512-d embeddings)
        trained with Tile2Vec's triplet loss (margin 50, ``l2=0.01``) on 10 000 triplets
        per epoch for 10 epochs and refined for 5, on tiles of 100 pixels whose
        neighbours lie up to one tile away (``neighborhood=100``; with another
        ``tile_size``, set ``neighborhood`` to it too). A fit with these values is sized
        for a GPU.

        Returns
        -------
        params : dict
            Parameter names and values, a new dict at each call; pass them to the
            constructor or to ``set_params``.

        Examples
        --------
        >>> from skstc import Tile2VecSeriesKMeans
        >>> model = Tile2VecSeriesKMeans(n_clusters=5)
        >>> model = model.set_params(**Tile2VecSeriesKMeans.paper_params())
        >>> model.n_blocks, model.base_width, model.embedding_dim
        ((2, 2, 2, 2, 2), 64, 512)
        """
        return {"tile_size": 100, "neighborhood": 100, "embedding_dim": 512,
                "n_blocks": (2, 2, 2, 2, 2), "base_width": 64, "n_triplets": 10000,
                "max_epochs": 10, "refine": True, "refine_epochs": 5, "margin": 50.0,
                "l2": 0.01}

    _parameter_constraints: dict = {
        **TorchEstimatorMixin._engine_parameter_constraints,
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "tile_size": [Interval(Integral, 1, None, closed="left")],
        "neighborhood": [Interval(Integral, 0, None, closed="left"), None],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "n_blocks": ["array-like"],
        "base_width": [Interval(Integral, 1, None, closed="left")],
        "n_triplets": [Interval(Integral, 2, None, closed="left")],
        "margin": [Interval(Real, 0, None, closed="left")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "augment": ["boolean"],
        "cross_region": ["boolean"],
        "metric": [StrOptions({"series", "euclidean"})],
        "max_nan_fraction": [Interval(Real, 0, 1, closed="left")],
        "refine": ["boolean"],
        "n_refine_triplets": [Interval(Integral, 2, None, closed="left"), None],
        "refine_epochs": [Interval(Integral, 1, None, closed="left")],
        "refine_lr": [Interval(Real, 0, None, closed="neither"), None],
        "representation": [StrOptions(set(_ENCODERS))],
        "clusterer": [HasMethods(["fit", "predict"]), None],
        "streaming_passes": [Interval(Integral, 1, None, closed="left"), None],
        "series_shape": ["array-like", None],
        "tile_grid_shape": ["array-like", None],
    }

    # the parameters that shorten a fit, named by the long-fit warning
    _fit_time_params = ("max_epochs", "n_triplets", "refine_epochs", "n_refine_triplets",
                        "tile_size", "base_width", "embedding_dim")

    def __init__(self, n_clusters=5, *, tile_size=100, neighborhood=None, embedding_dim=16,
                 n_blocks=(1, 1, 1), base_width=8, n_triplets=1024, margin=1.0,
                 l2=0.01, augment=True, cross_region=True, metric="series",
                 max_nan_fraction=0.5, refine=True,
                 n_refine_triplets=None, refine_epochs=3, refine_lr=None, representation="tilenet",
                 clusterer=None, streaming_passes=None, series_shape=None, tile_grid_shape=None,
                 max_epochs=5,
                 batch_size=64, lr=1e-3, optimizer="adam", tol=1e-4, n_iter_no_change=None,
                 device="auto", n_threads=None, num_workers=0, callbacks=None, verbose=0,
                 random_state=None,
                 precision=None):
        self.n_clusters = n_clusters
        self.tile_size = tile_size
        self.neighborhood = neighborhood
        self.embedding_dim = embedding_dim
        self.n_blocks = n_blocks
        self.base_width = base_width
        self.n_triplets = n_triplets
        self.margin = margin
        self.l2 = l2
        self.augment = augment
        self.cross_region = cross_region
        self.metric = metric
        self.max_nan_fraction = max_nan_fraction
        self.refine = refine
        self.n_refine_triplets = n_refine_triplets
        self.refine_epochs = refine_epochs
        self.refine_lr = refine_lr
        self.representation = representation
        self.clusterer = clusterer
        self.streaming_passes = streaming_passes
        self.series_shape = series_shape
        self.tile_grid_shape = tile_grid_shape
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    # ---- parameters ---------------------------------------------------------------------
    def _check_params(self):
        """Check what the declarative ``_parameter_constraints`` cannot say."""
        self._check_engine_params()
        try:
            blocks = tuple(int(b) for b in self.n_blocks)
        except TypeError as exc:
            raise TypeError(f"n_blocks must be a sequence of ints, got {self.n_blocks!r}.") \
                from exc
        if not blocks or min(blocks) < 1:
            raise ValueError(f"n_blocks must be a non-empty sequence of ints >= 1, got "
                             f"{self.n_blocks!r}.")
        check_tile_shape_params(self)
        if self.streaming_passes is not None and self.clusterer is not None and \
                not hasattr(self.clusterer, "partial_fit"):
            raise ValueError(f"streaming_passes needs a clusterer with partial_fit (e.g. "
                             f"MiniBatchKMeans); {type(self.clusterer).__name__} has none.")

    # ---- input -> regions -> tile series ---------------------------------------------------
    def _regions(self, X, *, fitting):
        return read_regions(self, X, fitting=fitting)

    def _check_regions(self, regions, *, fitting):
        return check_regions(self, regions, fitting=fitting)

    def _tile_series(self, regions, module):
        """Series of every grid tile (:func:`~skstc.utils._inputs.tile_series`), embedded by
        ``module`` (band means when None)."""
        bs = max(int(self.batch_size), 1)
        if module is None:
            return tile_series(regions, self.tile_size, bs, self.fill_values_, self.n_bands_)

        def embed(tiles):
            return self._predict_module(lambda m, xb: m.encode(xb), tiles, module=module,
                                        batch_size=bs)
        return tile_series(regions, self.tile_size, bs, self.fill_values_, self.embedding_dim,
                           embed=embed)

    def _label_maps(self, labels, regions, is_2d):
        return tile_label_maps(labels, regions, self.tile_size, is_2d)

    # ---- fit ----------------------------------------------------------------------------
    def _fit_clusterer(self, series, rng):
        """The in-memory K-means step: cluster the flattened float32 series ``(n_tiles,
        n_times * dim)`` (which the default clusterer centres in place and restores)."""
        est = build_clusterer(self.clusterer, self.n_clusters, rng,
                              default=series_sketch_kmeans)
        labels = fit_clusterer(est, series, self.n_threads)
        centers = cluster_centers(est, series, labels, self.n_clusters)
        if isinstance(est, (KMeans, MiniBatchKMeans, BisectingKMeans, SketchKMeans)):
            inertia = float(est.inertia_)   # of labels_ and cluster_centers_: no extra pass
        else:
            inertia = kmeans_error(series, labels, centers) * len(series)
        return est, labels, np.asarray(centers, np.float32), inertia

    def _stream_clusterer(self, rows, n_tiles, rng):
        """The streaming K-means step: ``partial_fit`` on chunks of ``rows(idx)`` (the series
        of the tiles ``idx``), ``streaming_passes`` passes, then a labelling pass."""
        est = build_clusterer(self.clusterer, self.n_clusters, rng,
                              default=lambda k: MiniBatchKMeans(n_clusters=k, batch_size=1024))
        params = est.get_params()
        chunk = params.get("batch_size", 1024)
        labels, centers, inertia = stream_fit_clusterer(
            est, rows, n_tiles, n_passes=self.streaming_passes, chunk_size=chunk,
            init_size=params.get("init_size") or 3 * chunk, random_state=rng,
            n_threads=self.n_threads)
        return est, labels, np.asarray(centers, np.float32), inertia

    def _series_rows(self, images, module):
        """``rows(idx)``: the flattened series of the grid tiles ``idx`` (fit order) of the
        in-memory ``images``, embedded by ``module`` (band means when None) a few batches of
        tile-dates at a time."""
        region, top_left = self._tile_positions()
        n_times, ts = self.n_times_, self.tile_size
        bs = max(int(self.batch_size), 1)
        dim = self.n_bands_ if module is None else self.embedding_dim
        step = 8 * bs

        def rows(idx):
            idx = np.asarray(idx)
            reg = np.repeat(region[idx], n_times)
            tl = np.repeat(top_left[idx], n_times, axis=0)
            t = np.tile(np.arange(n_times), len(idx))
            out = np.empty((len(reg), dim), dtype=np.float32)
            for s in range(0, len(reg), step):
                tiles = extract_tiles(images, reg[s:s + step], t[s:s + step], tl[s:s + step],
                                      ts, self.fill_values_)
                out[s:s + step] = (tiles.mean(axis=(2, 3)) if module is None else
                                   self._predict_module(lambda m, xb: m.encode(xb), tiles,
                                                        module=module, batch_size=bs))
            return out.reshape(len(idx), n_times * dim)
        return rows

    def _nan_fractions(self, images):
        """Missing-pixel fraction of every grid tile at every date, ``(n_times, n_tiles)``
        (a pixel is missing when any band is NaN)."""
        ts, out = self.tile_size, []
        for img, (gh, gw) in zip(images, self.tile_grid_shapes_, strict=True):
            miss = np.isnan(img[:, :, :gh * ts, :gw * ts]).any(axis=1)
            out.append(miss.reshape(len(miss), gh, ts, gw, ts).mean(axis=(2, 4),
                                                                     dtype=np.float32)
                       .reshape(len(miss), gh * gw))
        return np.concatenate(out, axis=1)

    def _cluster_tiles(self, images, module, rng, what):
        """Series of every grid tile of ``images`` under ``module``, clustered in memory or
        streamed (``streaming_passes``); also returns the tiles' missing fractions."""
        n_tiles = sum(g[0] * g[1] for g in self.tile_grid_shapes_)
        if self.streaming_passes is None:
            series, nan_frac = self._tile_series([ImageRegion(img) for img in images], module)
            return self._cluster_series(series.reshape(n_tiles, -1), rng, what) + (nan_frac,)
        self._log(f"K-means: streaming {n_tiles} {what} tile series, "
                  f"{self.streaming_passes} pass(es)")
        t0 = time.perf_counter()
        out = self._stream_clusterer(self._series_rows(images, module), n_tiles, rng)
        self._log(f"K-means: done in {format_seconds(time.perf_counter() - t0)} "
                  f"(inertia {out[3]:.4g})")
        return out + (self._nan_fractions(images),)

    def _log(self, msg):
        _emit(int(self.verbose or 0), logging.INFO, f"[{type(self).__name__}] {msg}")

    def _cluster_series(self, flat, rng, what):
        """:meth:`_fit_clusterer` with its progress lines (the K-means phase)."""
        self._log(f"K-means: clustering {len(flat)} {what} tile series")
        t0 = time.perf_counter()
        out = self._fit_clusterer(flat, rng)
        self._log(f"K-means: done in {format_seconds(time.perf_counter() - t0)} "
                  f"(inertia {out[3]:.4g})")
        return out

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the tile encoder, cluster the tile series and (optionally) refine.

        Parameters
        ----------
        X : array-like, list of arrays or xarray.DataArray
            Image time series (see the class Notes for the accepted forms).
        y : None
            Ignored.

        Returns
        -------
        self : Tile2VecSeriesKMeans
        """
        self._check_params()
        regions, is_2d = self._regions(X, fitting=True)
        n_times, n_bands = self._check_regions(regions, fitting=True)
        ts = self.tile_size
        self.n_times_, self.n_bands_ = n_times, n_bands
        self.n_features_in_ = n_times * n_bands * ts * ts
        self.tile_grid_shapes_ = [(r.shape[2] // ts, r.shape[3] // ts) for r in regions]
        n_tiles = sum(g[0] * g[1] for g in self.tile_grid_shapes_)
        check_n_clusters(self.n_clusters, n_tiles, what="tiles")
        images = [r.load() for r in regions]
        for i, img in enumerate(images):
            if np.isinf(img).any():
                raise ValueError(f"Region {i} contains infinity; only finite values or NaN "
                                 "(missing) are allowed.")
            check_float32_range(img, f"Region {i}")
        sums = np.zeros(n_bands)
        counts = np.zeros(n_bands)
        for img in images:
            sums += np.nansum(img, axis=(0, 2, 3), dtype=np.float64)
            counts += np.isfinite(img).sum(axis=(0, 2, 3))
        if (counts == 0).any():
            raise ValueError(f"Band(s) {np.flatnonzero(counts == 0).tolist()} are missing "
                             "(NaN) everywhere.")
        self.fill_values_ = (sums / counts).astype(np.float32)
        self.neighborhood_ = (max(1, ts // 2) if self.neighborhood is None
                              else int(self.neighborhood))
        rng = local_random_state(self.random_state)
        self.history_ = []

        if self.representation == "pixel_mean":
            self.module_ = self.geographic_module_ = None
            est, labels, centers, inertia, _ = self._cluster_tiles(images, None, rng,
                                                                   "pixel-mean")
            self._set_partition("geographic_", labels, centers, inertia, regions, is_2d)
            self._set_partition("", labels, centers, inertia, regions, is_2d)
            self.clusterer_ = est
            self.n_iter_ = 0
            return self

        sampler = TileTripletSampler(images, ts, self.neighborhood_,
                                     max_nan_fraction=self.max_nan_fraction,
                                     fill_values=self.fill_values_, augment=self.augment,
                                     cross_region=bool(self.cross_region))
        stream = _OnTheFlyTriplets(sampler.sample, self.n_triplets, draw_seed(rng))
        module, hist = self._train_module(
            TileNet, _Count(self.n_triplets),
            module_params={"in_channels": n_bands, "embedding_dim": self.embedding_dim,
                           "n_blocks": tuple(self.n_blocks), "base_width": self.base_width},
            criterion=TripletLoss, criterion_params={"margin": self.margin, "l2": self.l2},
            random_state=rng, iterator_train=stream, phase="encoder training",
            fit_epochs=self.max_epochs + (self.refine_epochs * (
                self.n_refine_triplets or self.n_triplets) / self.n_triplets
                if self.refine else 0))
        self.history_ += [dict(h, phase="geographic") for h in hist]
        self.geographic_module_ = module
        self._log(f"embedding {n_tiles} tiles x {n_times} dates")
        est, labels, centers, inertia, nan_frac = self._cluster_tiles(images, module, rng,
                                                                      "embedded")
        self._set_partition("geographic_", labels, centers, inertia, regions, is_2d)

        sizes = np.bincount(labels, minlength=self.n_clusters)
        can_refine = (sizes >= 2).any() and len(np.unique(centers[sizes > 0], axis=0)) > 1
        if self.refine and not can_refine:
            warnings.warn("Refinement skipped: no cluster has two tiles and a distinct other "
                          "cluster to draw triplets from; labels_ is the geographic partition.",
                          UserWarning, stacklevel=2)
        if self.refine and can_refine:
            module = copy.deepcopy(module)
            tile_index = self._tile_positions()
            valid = (nan_frac <= self.max_nan_fraction) & (nan_frac < 1)
            n_ref = self.n_refine_triplets or self.n_triplets

            def cluster_triplets(n, r):
                a, nbr, d, t = sample_cluster_triplets(labels, centers, n, n_times, r,
                                                       valid=valid, metric=self.metric)
                out = {}
                for role, idx in (("anchor", a), ("neighbor", nbr), ("distant", d)):
                    reg, tl = tile_index[0][idx], tile_index[1][idx]
                    out[role] = extract_tiles(images, reg, t, tl, ts, self.fill_values_,
                                              augment=self.augment, random_state=r)
                return out

            stream = _OnTheFlyTriplets(cluster_triplets, n_ref, draw_seed(rng))
            module, hist = self._train_module(
                module, _Count(n_ref), criterion=TripletLoss,
                criterion_params={"margin": self.margin, "l2": self.l2}, random_state=rng,
                max_epochs=self.refine_epochs, lr=self.refine_lr, iterator_train=stream,
                phase="refinement")
            self.history_ += [dict(h, phase="refine") for h in hist]
            est, labels, centers, inertia, _ = self._cluster_tiles(images, module, rng,
                                                                   "refined")
        self.module_ = module
        self.clusterer_ = est
        self._set_partition("", labels, centers, inertia, regions, is_2d)
        self.n_iter_ = len(self.history_)
        return self

    def _set_partition(self, prefix, labels, centers, inertia, regions, is_2d):
        attrs = regions[0].attrs  # xarray input: labels on a tile dim, as predict's
        setattr(self, f"{prefix}labels_", labels if attrs is None else
                wrap_tiles(labels, regions, self.tile_size, name="cluster", attrs=attrs))
        setattr(self, f"{prefix}cluster_centers_", centers)
        setattr(self, f"{prefix}inertia_", inertia)
        setattr(self, f"{prefix}label_maps_", self._label_maps(labels, regions, is_2d))

    def _tile_positions(self):
        """Region index and top-left pixel of every grid tile (fit order)."""
        ts = self.tile_size
        reg, tl = [], []
        for g, (gh, gw) in enumerate(self.tile_grid_shapes_):
            rr, cc = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
            reg.append(np.full(gh * gw, g))
            tl.append(np.stack([rr.ravel() * ts, cc.ravel() * ts], axis=1))
        return np.concatenate(reg), np.concatenate(tl)

    # ---- inference ----------------------------------------------------------------------
    def _per_region(self, X, fn, out_shape, dtype):
        """``fn(regions)`` on the regions of ``X``; lazy and block-wise for dask input.

        ``fn`` maps a list of regions to per-tile outputs ``(n_tiles, *out_shape)``. For dask
        input the result is :meth:`_lazy_tile_grids` flattened, tile by tile in ``fn``'s
        order (region by region, row-major).
        """
        regions, _ = self._regions(X, fitting=False)
        self._check_regions(regions, fitting=False)
        if not any(is_dask(r.data) for r in regions):
            return fn(regions)
        import dask.array as dsa

        grids = self._lazy_tile_grids(regions, fn, out_shape, dtype)
        return dsa.concatenate([g.reshape((-1,) + tuple(out_shape)) for g in grids])

    def _lazy_tile_grids(self, regions, fn, out_shape, dtype):
        """Per region, a lazy dask array ``(n_tile_rows, n_tile_cols, *out_shape)`` of ``fn``.

        Each region is cut to its tile grid and rechunked so that a block holds all dates and
        bands of whole tiles (:func:`_tile_aligned_chunks`; a no-op when the spatial chunks
        are already multiples of ``tile_size``); one task per block computes ``fn`` on it, so
        memory is bounded by the block size, not by the region's, and the blocks run in
        parallel on the active scheduler. The fitted model is one task of the graph, sent
        once to each worker.
        """
        import dask
        import dask.array as dsa

        ts = self.tile_size
        shipped = dask.delayed(fn, pure=False)
        out_shape = tuple(int(s) for s in out_shape)
        grids = []
        for r in regions:
            gh, gw = r.shape[2] // ts, r.shape[3] // ts
            data = r.data if is_dask(r.data) else dsa.from_array(r.data)
            data = data[:, :, :gh * ts, :gw * ts]
            data = data.rechunk({0: -1, 1: -1, 2: _tile_aligned_chunks(data.chunks[2], ts),
                                 3: _tile_aligned_chunks(data.chunks[3], ts)})
            chunks = (tuple(c // ts for c in data.chunks[2]),
                      tuple(c // ts for c in data.chunks[3])) + tuple((s,) for s in out_shape)
            grids.append(data.map_blocks(
                _tile_block, shipped, ts, out_shape, dtype=dtype, chunks=chunks,
                drop_axis=[0, 1], new_axis=list(range(2, 2 + len(out_shape))) or None,
                meta=np.empty((0,) * (2 + len(out_shape)), dtype=dtype)))
        return grids

    def _region_series(self, regions, module):
        series, _ = self._tile_series(regions, module)
        return series.reshape(series.shape[0], -1)

    def _series(self, X, module=None):
        return self._per_region(X, lambda regions: self._region_series(regions, module),
                                (self.cluster_centers_.shape[1],), np.float32)

    def _predict_regions(self, regions):
        from threadpoolctl import threadpool_limits

        series = self._region_series(regions, self.module_)
        with threadpool_limits(effective_n_threads(self.n_threads)):
            return self.clusterer_.predict(series).astype(np.int64)

    def transform(self, X):
        """Series embeddings of the grid tiles of ``X``.

        Parameters
        ----------
        X : array-like, list of arrays or xarray.DataArray
            Image time series with the training bands and dates (see the class Notes).

        Returns
        -------
        series : ndarray of shape (n_tiles, n_times * embedding_dim)
            (``n_times * n_bands`` for ``representation="pixel_mean"``), float32; a DataArray
            ``(tile, feature)`` with the tiles' ``region``/``row``/``col`` (and centre
            ``y``/``x``) coordinates for xarray input; dask-backed for dask input.
        """
        check_is_fitted(self, "labels_")
        return self._wrap(X, self._series(X, self.module_), feature_dim="feature",
                          name="series")

    def _wrap(self, X, values, **kwargs):
        """Put per-tile outputs of xarray input on a ``tile`` dim (region, row, col, y, x)."""
        if not is_xarray(X):
            return values
        regions, _ = self._regions(X, fitting=False)
        return wrap_tiles(values, regions, self.tile_size, attrs=X.attrs, **kwargs)

    def score(self, X, y=None):
        """Return the clusterer's score of the tile series of ``X`` (minus the inertia).

        Parameters
        ----------
        X : array-like, list of arrays or xarray.DataArray
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        check_is_fitted(self, "labels_")
        return clusterer_score(self.clusterer_, np.asarray(self._series(X, self.module_)))

    @property
    def _n_features_out(self):
        return self.cluster_centers_.shape[1]

    def geographic_transform(self, X):
        """Series embeddings of the grid tiles of ``X`` under the encoder before refinement.

        The geographic encoder f^g is the one trained on spatial triplets only;
        :meth:`transform` uses the refined encoder f^c. Comparing the two (e.g. the
        silhouette of each partition on its own series, the paper's Table 2) needs both.
        Without refinement (``refine=False``, or when it was skipped) and for
        ``representation="pixel_mean"`` both are the same series.

        Parameters
        ----------
        X : array-like, list of arrays or xarray.DataArray
            Image time series with the training bands and dates (see the class Notes).

        Returns
        -------
        series : ndarray of shape (n_tiles, n_times * embedding_dim)
            The series that ``geographic_labels_`` and ``geographic_cluster_centers_``
            were computed on (for the training input).
        """
        check_is_fitted(self, "labels_")
        return self._wrap(X, self._series(X, self.geographic_module_), feature_dim="feature",
                          name="series")

    def predict(self, X):
        """Cluster of every grid tile of ``X`` (same bands and dates as the training data).

        Parameters
        ----------
        X : array-like, list of arrays or xarray.DataArray

        Returns
        -------
        labels : ndarray of shape (n_tiles,)
            A DataArray on a ``tile`` dim (``region``/``row``/``col``, centre ``y``/``x``
            coordinates) for xarray input; for dask input lazy (one task per tile-aligned
            spatial chunk, holding all dates and bands of that chunk), computed when asked;
            :meth:`predict_label_maps` gives maps.
        """
        check_is_fitted(self, "labels_")
        labels = self._per_region(X, self._predict_regions, (), np.int64)
        return self._wrap(X, labels, name="cluster")

    def fit_predict(self, X, y=None):
        """Fit and return ``labels_``."""
        return self.fit(X).labels_

    def predict_label_maps(self, X):
        """Cluster maps of the regions of ``X``, one 2-D array (or DataArray) per region.

        Parameters
        ----------
        X : array-like, list of arrays or xarray.DataArray

        Returns
        -------
        label_maps : list of ndarray of shape (n_tile_rows, n_tile_cols)
            DataArrays on the tile-centre ``y``/``x`` coordinates for xarray input; for dask
            input lazy, chunked like the input's tile-aligned spatial chunks (one task per
            chunk), computed or written (e.g. :func:`skstc.io.to_zarr`) when asked.
        """
        check_is_fitted(self, "labels_")
        regions, is_2d = self._regions(X, fitting=False)
        if not any(is_dask(r.data) for r in regions):
            return self._label_maps(np.asarray(self.predict(X)), regions, is_2d)
        self._check_regions(regions, fitting=False)
        grids = self._lazy_tile_grids(regions, self._predict_regions, (), np.int64)
        return self._label_maps(grids, regions, is_2d)
