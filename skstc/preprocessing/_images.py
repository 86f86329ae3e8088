"""Image time series: band scaling and tiling."""
import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from ..utils._fitting import TransactionalFitMixin
from ..utils._inputs import (
    REGIONS_CONTRACT,
    VARIABLE_NAMES,
    _check_chunks,
    _forget_input_features,
    check_float_range,
    check_no_inf,
    find_dim,
    parse_regions,
    xarray_regions,
)
from ..utils._xarray import is_dask, is_xarray, wrap_tiles


class _ImageStackMixin:
    """Input forms shared by the image-stack transformers (NaN allowed).

    Image input is a ``(n_times, n_bands, height, width)`` region, a 5-D stack of equal
    regions, a list of 4-D regions or a DataArray with ``time``/``band`` dims (numpy or dask);
    anything else (2-D, sparse, ...) is a table handled by scikit-learn's rules.
    """

    _AXIS_FROM_END = {"time": 4, "band": 3}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    @staticmethod
    def _is_regions(X):
        """A list/tuple of 4-D regions (a nested list of numbers is an array-like)."""
        return isinstance(X, (list, tuple)) and len(X) > 0 and np.ndim(X[0]) == 4

    def _is_table(self, X):
        """True for 2-D (and sparse, 1-D, 3-D ...) input handled by scikit-learn's rules."""
        if is_xarray(X) or self._is_regions(X):
            return False
        if sp.issparse(X):
            return True
        # 3-D and deeper arrays are images, so a wrong rank gets the image contract's message
        return np.ndim(np.asarray(X) if not hasattr(X, "ndim") else X) < 3

    def _validate_table(self, X, *, reset):
        """2-D input through scikit-learn's checks (NaN allowed, float32/float64 kept)."""
        if not reset and not hasattr(self, "n_features_in_"):
            raise ValueError(f"{type(self).__name__} was fitted on images; pass images to "
                             "transform, not a 2-D array.")
        return validate_data(self, X, dtype=[np.float64, np.float32],
                             ensure_all_finite="allow-nan", reset=reset)

    def _image_parts(self, X, dim):
        """``[(array, axis of dim)]`` of image input; arrays stay numpy or dask (lazy)."""
        if is_xarray(X):
            if type(X).__name__ == "Dataset":
                raise TypeError(f"Pass a DataArray with a {dim!r} dim, not a Dataset.")
            found = find_dim(X, {"time": "time", "band": "variable"}[dim],
                             contract=REGIONS_CONTRACT)
            if found is None:
                raise ValueError(f"X has dims {X.dims}: no {dim} dim found (known names "
                                 f"{', '.join(VARIABLE_NAMES)}); expected {REGIONS_CONTRACT}.")
            return [(X.data, list(X.dims).index(found))]
        regions = self._is_regions(X)
        out = []
        for a in (list(X) if regions else [X]):
            a = a if (is_dask(a) or isinstance(a, np.ndarray)) else np.asarray(a)
            if is_dask(a):
                _check_chunks(a, "X")
            if a.dtype.kind not in "biuf":
                raise TypeError(f"X must be numeric, got dtype {a.dtype}.")
            if a.ndim not in (4, 5) or (regions and a.ndim != 4):
                raise ValueError(f"Each region must be (n_times, n_bands, height, width), "
                                 f"got shape {a.shape}.")
            out.append((a, a.ndim - self._AXIS_FROM_END[dim]))
        return out


class ImageBandScaler(TransactionalFitMixin, _ImageStackMixin, OneToOneFeatureMixin,
                      TransformerMixin, BaseEstimator):
    """Standardise each band of image time series (NaN-aware), keeping the image layout.

    The band axis is axis ``-3`` of ``(n_times, n_bands, height, width)``,
    ``(n_regions, n_times, n_bands, height, width)``, a list of 4-D regions, or the ``band``
    dim of a DataArray; mean and standard deviation of each band are computed over all other
    axes, ignoring NaN (which stays NaN). A 2-D array is scaled per column, like
    :class:`sklearn.preprocessing.StandardScaler` (validated the same way, float32/float64
    kept), so the scaler fits in front of :class:`~skstc.Tile2VecSeriesKMeans` in a Pipeline
    whatever the input form. Image input is returned as float32. A band (column) that is
    constant or all-NaN gets scale 1 (all-NaN: mean 0).

    Attributes
    ----------
    mean_ : ndarray of shape (n_bands,)
    scale_ : ndarray of shape (n_bands,)
    n_bands_ : int
        Bands (columns for 2-D input) seen in ``fit``.
    n_features_in_ : int
        Columns of a 2-D training array (only set for 2-D input).

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import ImageBandScaler
    >>> X = np.random.RandomState(0).rand(3, 2, 4, 4) * [[[[1.0]], [[100.0]]]]
    >>> Xt = ImageBandScaler().fit_transform(X)
    >>> Xt.std(axis=(0, 2, 3)).round(3).tolist()
    [1.0, 1.0]
    """

    _parameter_constraints: dict = {}

    @staticmethod
    def _compute(*values):
        """Evaluate lazy (dask) reductions together, chunk by chunk; numpy passes through."""
        if any(is_dask(v) for v in values):
            import dask

            values = dask.compute(*values)
        return [np.asarray(v) for v in values]

    def _band_parts(self, X):
        """Image parts with their band axis; a DataArray must have the image dims by name."""
        if is_xarray(X) and type(X).__name__ != "Dataset":
            parse_regions(X)  # time, band, y, x (and region) by name; nothing else
        return self._image_parts(X, "band")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the per-band mean and standard deviation (NaN ignored).

        Image input may be dask-backed: the statistics are then reductions computed chunk by
        chunk (two passes), without loading the array.

        Parameters
        ----------
        X : array-like, list of 4-D arrays or xarray.DataArray
            Image time series (band axis -3 or dim ``band``), or a 2-D array scaled per
            column.
        y : None
            Ignored.

        Returns
        -------
        self : ImageBandScaler
        """
        if self._is_table(X):
            allv = self._validate_table(X, reset=True).astype(np.float64)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(allv, axis=0)
                std = np.nanstd(allv, axis=0)
        else:
            _forget_input_features(self)
            parts = self._band_parts(X)
            n_bands = {a.shape[b] for a, b in parts}
            if len(n_bands) != 1:
                raise ValueError(f"All regions must have the same bands, got {sorted(n_bands)}.")
            for a, b in parts:
                if a.size == 0:
                    raise ValueError(
                        f"X has an image stack of shape {tuple(a.shape)} with no values (0 "
                        "dates, bands or pixels); at least one date of one pixel is needed "
                        "to fit the band statistics.")
            # image output is float32: finite values beyond its range would become inf/NaN
            parts = [(check_float_range(a, np.float32), b) for a, b in parts]

            def axes(a, b):
                return tuple(i for i in range(a.ndim) if i != b)

            first = []
            for a, b in parts:
                first += [np.nansum(a, axis=axes(a, b), dtype=np.float64),
                          np.sum(~np.isnan(a), axis=axes(a, b)), np.isinf(a).any()]
            first = self._compute(*first)
            if any(bool(v) for v in first[2::3]):
                raise ValueError("X contains infinity.")
            total, count = sum(first[0::3]), sum(first[1::3])
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = total / count
            safe = np.where(np.isfinite(mean), mean, 0.0)
            second = []
            for a, b in parts:
                shape = [1] * a.ndim
                shape[b] = -1
                second.append(np.nansum((a - safe.reshape(shape)) ** 2, axis=axes(a, b),
                                        dtype=np.float64))
            with np.errstate(invalid="ignore", divide="ignore"):
                std = np.sqrt(sum(self._compute(*second)) / count)
        self.mean_ = np.where(np.isfinite(mean), mean, 0.0)
        self.scale_ = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self.n_bands_ = len(self.mean_)
        return self

    def transform(self, X):
        """Return ``(X - mean_) / scale_`` per band, in X's form.

        Parameters
        ----------
        X : array-like, list of 4-D arrays or xarray.DataArray
            Same form rules as ``fit``; dask-backed input stays lazy.

        Returns
        -------
        Xt : ndarray, list of ndarray or xarray.DataArray
            Float32 for image input; float32/float64 as the input for 2-D input.
        """
        check_is_fitted(self)
        if self._is_table(X):
            X2 = self._validate_table(X, reset=False)
            return ((X2 - self.mean_) / self.scale_).astype(X2.dtype, copy=False)
        mean = self.mean_.astype(np.float32)
        scale = self.scale_.astype(np.float32)
        out = []
        for a, b in self._band_parts(X):
            if a.shape[b] != self.n_bands_:
                raise ValueError(f"X has shape {a.shape} ({a.shape[b]} bands); the scaler was "
                                 f"fitted on {self.n_bands_} bands.")
            shape = [1] * a.ndim
            shape[b] = -1
            a = check_float_range(check_no_inf(a), np.float32)
            out.append((a.astype(np.float32) - mean.reshape(shape)) / scale.reshape(shape))
        if is_xarray(X):
            return X.copy(data=out[0])
        return out if self._is_regions(X) else out[0]


class ImageToTiles(TransactionalFitMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                   BaseEstimator):
    """Cut image time series into the rows of non-overlapping tile sequences.

    Each tile of the grid of ``tile_size`` x ``tile_size`` tiles (region by region,
    row-major; right/bottom remainders narrower than a tile are dropped) becomes one row, the
    C-order flattening of its ``(n_times, n_bands, tile_size, tile_size)`` values. These rows
    are the 2-D form :class:`~skstc.Tile2VecSeriesKMeans` reads (with
    ``series_shape=(n_times, n_bands)`` and, for training on one region, ``tile_grid_shape``).

    Parameters
    ----------
    tile_size : int, default=100
        Side of the tiles in pixels.

    Attributes
    ----------
    tile_grid_shapes_ : list of tuple
        Tile grid ``(n_rows, n_cols)`` of each region seen in ``fit``.
    series_shape_ : tuple
        ``(n_times, n_bands)``.

    Notes
    -----
    The input is an image stack, never a 2-D table: the transformer turns pixels of images
    into rows of tiles (the number of output rows is the number of tiles, not of input rows),
    like :class:`sklearn.feature_extraction.image.PatchExtractor`. It declares so with the
    ``input_tags.two_d_array=False`` tag, which makes scikit-learn's common checks (all
    built on 2-D tables) skip it; its API is tested in ``tests/test_preprocessing_images.py``.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import ImageToTiles
    >>> rows = ImageToTiles(tile_size=2).fit_transform(np.zeros((3, 4, 5, 6)))
    >>> rows.shape
    (6, 48)
    """

    _parameter_constraints: dict = {
        "tile_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, tile_size=100):
        self.tile_size = tile_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.allow_nan = True
        return tags

    @staticmethod
    def _regions(X):
        def as_float32(a):  # dask stays lazy (its chunk sizes must be known)
            if is_dask(a):
                _check_chunks(a, "X")
                return a.astype(np.float32)
            return np.asarray(a, dtype=np.float32)

        if is_xarray(X):  # dims by name, any order
            return [as_float32(r.data) for r in xarray_regions(X)]
        if isinstance(X, (list, tuple)):
            return [as_float32(x) for x in X]
        else:
            arr = as_float32(X)
        if arr.ndim == 4:
            return [arr]
        if arr.ndim == 5:
            return list(arr)
        raise ValueError(f"X must be (n_times, n_bands, height, width) or have a leading region "
                         f"axis; got shape {arr.shape}.")

    def _cut(self, regions):
        ts = int(self.tile_size)
        rows, grids = [], []
        for img in regions:
            if img.ndim != 4:
                raise ValueError(f"Each region must be 4-D, got shape {img.shape}.")
            t, b, h, w = img.shape
            gh, gw = h // ts, w // ts
            if gh == 0 or gw == 0:
                raise ValueError(f"A region of {h}x{w} pixels is smaller than one tile of "
                                 f"{ts}x{ts}.")
            crop = img[:, :, :gh * ts, :gw * ts].reshape(t, b, gh, ts, gw, ts)
            rows.append(crop.transpose(2, 4, 0, 1, 3, 5).reshape(gh * gw, -1))
            grids.append((gh, gw))
        if any(is_dask(r) for r in rows):
            import dask.array as dsa

            return dsa.concatenate(rows), grids
        return np.concatenate(rows), grids

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the tile grid and ``(n_times, n_bands)`` of ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_times, n_bands, height, width), a 5-D array of regions, a
            list of 4-D regions or an xarray.DataArray with dims (time, band, y, x)
        y : None
            Ignored.

        Returns
        -------
        self : ImageToTiles
        """
        regions = self._regions(X)
        _, self.tile_grid_shapes_ = self._cut(regions)
        self.series_shape_ = tuple(int(v) for v in regions[0].shape[:2])
        return self

    def transform(self, X):
        """Return the tile rows of ``X``, of shape (n_tiles, n_times * n_bands * tile_size**2).

        For xarray input (dims found by name, in any order) the rows are a DataArray
        ``(tile, feature)`` with the tiles' ``region``/``row``/``col`` and centre ``y``/``x``
        coordinates.
        """
        check_is_fitted(self)
        self._validate_params()  # tile_size may have been set after fit
        regions = self._regions(X)
        if tuple(regions[0].shape[:2]) != self.series_shape_:
            raise ValueError(f"X has (n_times, n_bands) = {tuple(regions[0].shape[:2])}, "
                             f"fitted on {self.series_shape_}.")
        rows = self._cut(regions)[0]
        if is_xarray(X):
            return wrap_tiles(rows, xarray_regions(X), int(self.tile_size),
                              feature_dim="feature", name="tiles", attrs=X.attrs)
        return rows

    @property
    def _n_features_out(self):
        return int(np.prod(self.series_shape_)) * int(self.tile_size) ** 2
