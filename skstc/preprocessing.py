"""Public transformers that turn raw spatiotemporal data into model input."""

import functools
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from .utils._validation import check_numeric_array, reshape_samples
from .utils._xarray import is_dask, is_xarray, xarray_to_numpy

# --- shared ---


def _forget_input_features(est):
    """Drop ``n_features_in_``/``feature_names_in_`` of an earlier 2-D fit (image input now).

    The 2-D (table) path sets them through ``validate_data``; a refit on n-D input must not
    keep the previous table's size and column names.
    """
    for name in ("n_features_in_", "feature_names_in_"):
        if hasattr(est, name):
            delattr(est, name)


# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---


def stack_modalities(maps, series):
    """Stack spatial maps and time series into the 2-D model input ``X``.

    Parameters
    ----------
    maps : array-like of shape (n_samples, height, width) or (n_samples, height * width)
        Spatial modality (e.g. fraction maps).
    series : array-like of shape (n_samples, n_timesteps)
        Temporal modality (e.g. normalised area series).

    Returns
    -------
    X : ndarray of shape (n_samples, height * width + n_timesteps)
        Each row is the flattened map followed by the series, so that rows can be sliced by
        scikit-learn's model selection tools.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import stack_modalities, split_modalities
    >>> X = stack_modalities(np.ones((2, 3, 3)), np.zeros((2, 5)))
    >>> X.shape
    (2, 14)
    >>> maps, series = split_modalities(X, (3, 3))
    >>> maps.shape, series.shape
    ((2, 3, 3), (2, 5))
    """
    maps = np.asarray(maps)
    series = np.asarray(series)
    if maps.ndim < 2:
        raise ValueError(f"maps must have shape (n_samples, height, width), got {maps.shape}.")
    if series.ndim != 2:
        raise ValueError(
            f"series must have shape (n_samples, n_timesteps), got {series.shape}.")
    if maps.shape[0] != series.shape[0]:
        raise ValueError(
            f"maps has {maps.shape[0]} samples but series has {series.shape[0]}; "
            "they must be the same length.")
    if series.shape[1] == 0:
        raise ValueError("series has length 0; at least one time step is required.")
    dtype = np.result_type(maps.dtype, series.dtype, np.float32)
    return np.concatenate(
        [maps.reshape(maps.shape[0], -1).astype(dtype, copy=False),
         series.astype(dtype, copy=False)], axis=1)


def split_modalities(X, spatial_shape):
    """Split the 2-D model input into maps and series (inverse of :func:`stack_modalities`).

    Parameters
    ----------
    X : array-like of shape (n_samples, height * width + n_timesteps)
        Flattened maps followed by the series.
    spatial_shape : tuple of int (height, width)
        Shape of one map.

    Returns
    -------
    maps : ndarray of shape (n_samples, height, width)
    series : ndarray of shape (n_samples, n_timesteps)
    """
    X = np.asarray(X)
    height, width = (int(s) for s in spatial_shape)
    n_map = height * width
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D of shape (n_samples, {height}*{width} + n_timesteps), got {X.shape}.")
    if X.shape[1] <= n_map:
        raise ValueError(
            f"X has {X.shape[1]} features but spatial_shape={(height, width)} needs "
            f"{n_map} map features plus at least one time step of the series.")
    return X[:, :n_map].reshape(-1, height, width), X[:, n_map:]


def _nearest_resize(img, size):
    """Nearest-neighbour resize of the last two axes of ``img`` to ``(size, size)``."""
    h, w = img.shape[-2:]
    rows = np.minimum((np.arange(size) + 0.5) * h / size, h - 1).astype(int)
    cols = np.minimum((np.arange(size) + 0.5) * w / size, w - 1).astype(int)
    return img[..., rows[:, None], cols[None, :]]


def _pad_square(img):
    """Centre ``img`` (..., h, w) in a zero-padded square of side ``max(h, w)``."""
    h, w = img.shape[-2:]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    pad = [(0, 0)] * (img.ndim - 2) + [(top, side - h - top), (left, side - w - left)]
    return np.pad(img, pad)


_FMF_CHUNK = 256  # objects per vectorised block of FractionMapFeatures.transform


class FractionMapFeatures(TransformerMixin, BaseEstimator):
    """Monthly water masks of objects -> fraction map + normalised area series.

    For each object (e.g. a water body) the input is a stack of monthly masks. The output row
    is the *fraction map* (the mask padded with zeros to a square, resized to
    ``map_size x map_size`` by nearest neighbour, then averaged over months of the water
    indicator), flattened, followed by the *area series* (the number of water pixels per
    month on the original stack, divided by its maximum; an object that is never wet gives
    zeros). This is the input format of :class:`skstc.MultimodalConstrainedAE`.

    The input may be

    * an array of shape ``(n_objects, n_months, height, width)`` (or a DataArray with those
      four dims in this order);
    * a list of ``(n_months, height, width)`` stacks of different spatial sizes;
    * a 2-D array ``(n_objects, n_months * height * width)`` of flattened stacks, read with
      ``mask_shape=(height, width)`` (so that Pipelines and model selection can slice rows).
      With ``mask_shape=None`` a 2-D row is the monthly mask series of a one-pixel object:
      its fraction map is constant (the fraction of wet months) and its area series is its
      wet indicator.

    The transformer is stateless: ``fit`` only records the input sizes. Mask values must be
    finite; NaN or infinity raise a ``ValueError``.

    Parameters
    ----------
    map_size : int, default=64
        Side of the output fraction map.
    water_value : int, default=2
        Mask value meaning water.
    land_value : int, default=1
        Mask value meaning land (other values, e.g. 0, are "no data" and count as not water).
    mask_shape : tuple of int (height, width) or None, default=None
        Spatial shape of the masks in a 2-D input (ignored for 4-D arrays and lists); None is
        ``(1, 1)``.

    Attributes
    ----------
    n_timesteps_ : int
        Number of months of the stacks seen in ``fit``.
    n_features_in_ : int
        Number of columns of a 2-D input seen in ``fit`` (only for 2-D input).

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import FractionMapFeatures
    >>> masks = np.ones((1, 4, 2, 4), dtype=np.uint8)  # 1 object, 4 months, 2x4 pixels
    >>> masks[0, :2, :, :2] = 2                        # 4 water pixels in months 0 and 1
    >>> X = FractionMapFeatures(map_size=4).fit_transform(masks)
    >>> X.shape
    (1, 20)
    >>> X[0, 16:]                                      # area series / its maximum
    array([1., 1., 0., 0.], dtype=float32)
    >>> flat = masks.reshape(1, -1)                    # the same stack, flattened
    >>> Xf = FractionMapFeatures(map_size=4, mask_shape=(2, 4)).fit_transform(flat)
    >>> bool((Xf == X).all())
    True
    """

    def __init__(self, map_size=64, water_value=2, land_value=1, mask_shape=None):
        self.map_size = map_size
        self.water_value = water_value
        self.land_value = land_value
        self.mask_shape = mask_shape

    def _check_params(self):
        if (not isinstance(self.map_size, numbers.Integral) or isinstance(self.map_size, bool)
                or self.map_size < 1):
            raise ValueError(f"map_size must be a positive integer, got {self.map_size!r}.")
        if self.water_value == self.land_value:
            raise ValueError(
                f"water_value and land_value must differ, both are {self.water_value!r}.")
        if self.mask_shape is None:
            return (1, 1)
        if (not isinstance(self.mask_shape, (tuple, list)) or len(self.mask_shape) != 2
                or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1
                           for v in self.mask_shape)):
            raise ValueError(
                f"mask_shape must be None or a pair of positive integers (height, width), got "
                f"{self.mask_shape!r}.")
        return tuple(int(v) for v in self.mask_shape)

    def _as_stacks(self, masks, *, reset):
        """Return a validated list of (n_months, h, w) arrays, or one 4-D array."""
        mask_shape = self._check_params()
        if is_xarray(masks):
            masks = np.asarray(masks.values)
        if isinstance(masks, (list, tuple)) and len(masks) == 0:
            raise ValueError("masks is an empty list; at least one object is required.")
        if isinstance(masks, (list, tuple)) and np.ndim(masks[0]) >= 2:
            # a list of (n_months, height, width) stacks (a list of rows is a 2-D array)
            stacks = []
            for i, m in enumerate(masks):
                m = np.asarray(m)
                if m.ndim != 3:
                    raise ValueError(
                        f"masks[{i}] must have shape (n_months, height, width), got {m.shape}.")
                stacks.append(check_array(m, allow_nd=True, dtype="numeric",
                                          ensure_min_samples=0, input_name=f"masks[{i}]"))
            if reset:
                _forget_input_features(self)
            return stacks
        ndim = getattr(masks, "ndim", None)
        if ndim is None:
            ndim = np.asarray(masks).ndim
        if ndim != 4:
            # 2-D flattened stacks (validated by scikit-learn: finite, numeric, n_features)
            X = validate_data(self, masks, dtype="numeric", reset=reset)
            h, w = mask_shape
            if X.shape[1] % (h * w):
                raise ValueError(
                    f"X has {X.shape[1]} features, not a multiple of the {h * w} pixels of "
                    f"mask_shape={(h, w)}: each row must be a flattened (n_months, {h}, {w}) "
                    "stack.")
            return X.reshape(X.shape[0], X.shape[1] // (h * w), h, w)
        masks = check_array(masks, allow_nd=True, dtype="numeric", input_name="masks")
        if reset:
            _forget_input_features(self)
        return masks

    def fit(self, X, y=None):
        """Check the parameters and record the number of months.

        Parameters
        ----------
        X : array-like of shape (n_objects, n_months, height, width), list, DataArray or \
array-like of shape (n_objects, n_months * height * width)
            Mask stacks (a list may hold stacks of different spatial sizes; a 2-D array is
            read with ``mask_shape``).
        y : ignored

        Returns
        -------
        self : FractionMapFeatures
        """
        stacks = self._as_stacks(X, reset=True)
        lengths = {s.shape[0] for s in stacks}
        if len(lengths) != 1:
            raise ValueError(
                f"all mask stacks must have the same number of months, got {sorted(lengths)}.")
        n_months = lengths.pop()
        if n_months == 0:
            raise ValueError("mask stacks have 0 months; at least one is required.")
        self.n_timesteps_ = n_months
        return self

    def transform(self, X):
        """Compute fraction maps and area series.

        Parameters
        ----------
        X : array-like of shape (n_objects, n_months, height, width), list, DataArray or \
array-like of shape (n_objects, n_months * height * width)
            Mask stacks.

        Returns
        -------
        Xt : ndarray of shape (n_objects, map_size * map_size + n_months)
            Flattened fraction map followed by the area series (float32).
        """
        check_is_fitted(self, "n_timesteps_")
        stacks = self._as_stacks(X, reset=False)
        n = len(stacks)
        maps = np.empty((n, self.map_size, self.map_size), dtype=np.float32)
        series = np.empty((n, self.n_timesteps_), dtype=np.float32)
        if isinstance(stacks, list):
            for i, stack in enumerate(stacks):
                self._check_stack(stack.shape, i)
                maps[i], series[i] = self._features(stack[None])
        else:
            self._check_stack(stacks.shape[1:], None)
            for start in range(0, n, _FMF_CHUNK):
                block = slice(start, start + _FMF_CHUNK)
                maps[block], series[block] = self._features(stacks[block])
        return stack_modalities(maps, series)

    def _check_stack(self, shape, which):
        what = "the mask stacks have" if which is None else f"object {which} has"
        if shape[0] != self.n_timesteps_:
            raise ValueError(
                f"{what} {shape[0]} months of {shape[1]}x{shape[2]} pixels but "
                f"{self.n_timesteps_} months were seen in fit (a 2-D input is read with "
                f"mask_shape={self.mask_shape!r}).")
        if shape[1] == 0 or shape[2] == 0:
            raise ValueError(f"{what} an empty spatial extent {shape[1:]}.")

    def _features(self, stacks):
        """(n, n_months, h, w) masks -> maps (n, map_size, map_size), series (n, n_months)."""
        water = stacks == self.water_value
        fraction = water.mean(axis=1, dtype=np.float32)
        maps = _nearest_resize(_pad_square(fraction), self.map_size)
        area = water.reshape(water.shape[0], water.shape[1], -1).sum(axis=2)
        area = area.astype(np.float32)
        peak = area.max(axis=1, keepdims=True)
        series = np.divide(area, peak, out=np.zeros_like(area), where=peak > 0)
        return maps, series

    def get_feature_names_out(self, input_features=None):
        """Names ``map_r_c`` for the map pixels then ``area_t`` for the series.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the input's feature names (2-D input) and otherwise unused: the
            output names do not depend on them.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_timesteps_")
        _check_feature_names_in(self, input_features, generate_names=False)
        s = self.map_size
        names = [f"map_{r}_{c}" for r in range(s) for c in range(s)]
        names += [f"area_{t}" for t in range(self.n_timesteps_)]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the output is float32 whatever the (integer) mask dtype
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


# --- Tile2VecSeriesKMeans (issue 4) ---


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
        return np.ndim(np.asarray(X) if not hasattr(X, "ndim") else X) not in (4, 5)

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
            if dim not in X.dims:
                raise ValueError(f"X has dims {X.dims}; a {dim!r} dim is expected.")
            return [(X.data, list(X.dims).index(dim))]
        regions = self._is_regions(X)
        out = []
        for a in (list(X) if regions else [X]):
            a = a if (is_dask(a) or isinstance(a, np.ndarray)) else np.asarray(a)
            if a.dtype.kind not in "biuf":
                raise TypeError(f"X must be numeric, got dtype {a.dtype}.")
            if a.ndim not in (4, 5) or (regions and a.ndim != 4):
                raise ValueError(f"Each region must be (n_times, n_bands, height, width), "
                                 f"got shape {a.shape}.")
            out.append((a, a.ndim - self._AXIS_FROM_END[dim]))
        return out


class ImageBandScaler(_ImageStackMixin, TransformerMixin, BaseEstimator):
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

    @staticmethod
    def _compute(*values):
        """Evaluate lazy (dask) reductions together, chunk by chunk; numpy passes through."""
        if any(is_dask(v) for v in values):
            import dask

            values = dask.compute(*values)
        return [np.asarray(v) for v in values]

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
            parts = self._image_parts(X, "band")
            n_bands = {a.shape[b] for a, b in parts}
            if len(n_bands) != 1:
                raise ValueError(f"All regions must have the same bands, got {sorted(n_bands)}.")

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
        for a, b in self._image_parts(X, "band"):
            if a.shape[b] != self.n_bands_:
                raise ValueError(f"X has shape {a.shape} ({a.shape[b]} bands); the scaler was "
                                 f"fitted on {self.n_bands_} bands.")
            shape = [1] * a.ndim
            shape[b] = -1
            out.append((a.astype(np.float32) - mean.reshape(shape)) / scale.reshape(shape))
        if is_xarray(X):
            return X.copy(data=out[0])
        return out if self._is_regions(X) else out[0]


class ImageToTiles(TransformerMixin, BaseEstimator):
    """Cut image time series into the rows of non-overlapping tile sequences.

    Each tile of the grid of ``tile_size`` x ``tile_size`` tiles (region by region,
    row-major; right/bottom remainders narrower than a tile are dropped) becomes one row, the
    C-order flattening of its ``(n_times, n_bands, tile_size, tile_size)`` values. These rows
    are the 2-D form :class:`~skstc.Tile2VecSeriesKMeans` reads (with
    ``input_shape=(n_times, n_bands)`` and, for training on one region, ``grid_shape``).

    Parameters
    ----------
    tile_size : int, default=100
        Side of the tiles in pixels.

    Attributes
    ----------
    grid_shapes_ : list of tuple
        Tile grid ``(n_rows, n_cols)`` of each region seen in ``fit``.
    input_shape_ : tuple
        ``(n_times, n_bands)``.

    Notes
    -----
    The input is an image stack, never a 2-D table: the transformer turns pixels of images
    into rows of tiles (the number of output rows is the number of tiles, not of input rows),
    like :class:`sklearn.feature_extraction.image.PatchExtractor`. It declares so with the
    ``input_tags.two_d_array=False`` tag, which makes scikit-learn's common checks (all
    built on 2-D tables) skip it; its API is tested in ``tests/test_tile2vec_tools.py``.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import ImageToTiles
    >>> rows = ImageToTiles(tile_size=2).fit_transform(np.zeros((3, 4, 5, 6)))
    >>> rows.shape
    (6, 48)
    """

    def __init__(self, tile_size=100):
        self.tile_size = tile_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.allow_nan = True
        return tags

    @staticmethod
    def _regions(X):
        if is_xarray(X):
            da = X if "band" in X.dims else X.expand_dims(band=1)
            order = (("region",) if "region" in da.dims else ()) + ("time", "band", "y", "x")
            arr = np.asarray(da.transpose(*order).values, dtype=np.float32)
        elif isinstance(X, (list, tuple)):
            return [np.asarray(x, dtype=np.float32) for x in X]
        else:
            arr = np.asarray(X, dtype=np.float32)
        if arr.ndim == 4:
            return [arr]
        if arr.ndim == 5:
            return list(arr)
        raise ValueError(f"X must be (n_times, n_bands, height, width) or have a leading region "
                         f"axis; got shape {arr.shape}.")

    def _cut(self, regions):
        if not isinstance(self.tile_size, numbers.Integral) or isinstance(
                self.tile_size, bool) or self.tile_size < 1:
            raise ValueError(f"tile_size must be a positive integer, got {self.tile_size!r}.")
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
        return np.concatenate(rows), grids

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
        _, self.grid_shapes_ = self._cut(regions)
        self.input_shape_ = tuple(int(v) for v in regions[0].shape[:2])
        return self

    def transform(self, X):
        """Return the tile rows of ``X``, of shape (n_tiles, n_times * n_bands * tile_size**2)."""
        check_is_fitted(self)
        regions = self._regions(X)
        if tuple(regions[0].shape[:2]) != self.input_shape_:
            raise ValueError(f"X has (n_times, n_bands) = {tuple(regions[0].shape[:2])}, "
                             f"fitted on {self.input_shape_}.")
        return self._cut(regions)[0]


def _fill_time_gaps(a, t, method, max_gap):
    """Fill NaN along axis 0 of a 2-D float array ``a`` (n_times, n_series), vectorised.

    ``t`` are the (strictly increasing, float64) positions of the dates. Returns a new array
    of ``a``'s dtype. See :class:`TemporalGapFiller` for the rule.
    """
    if np.isinf(a).any():
        raise ValueError("X contains infinity.")
    out = a.copy()
    n_t = a.shape[0]
    valid = ~np.isnan(a)
    if n_t == 0 or valid.all():
        return out
    idx = np.arange(n_t, dtype=np.intp)[:, None]
    # last valid date at or before each date (-1: none), first valid at or after (n_t: none)
    prev = np.maximum.accumulate(np.where(valid, idx, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(valid, idx, n_t)[::-1], axis=0)[::-1]
    has_p, has_n = prev >= 0, nxt < n_t
    p = np.where(has_p, prev, 0)
    q = np.where(has_n, nxt, n_t - 1)
    vp = np.take_along_axis(a, p, axis=0)
    vq = np.take_along_axis(a, q, axis=0)
    # edges (and, for now, inside gaps): the valid value before, else the one after; a
    # series with no valid date picks a NaN on both sides and stays NaN
    fill = np.where(has_p, vp, vq)
    inner = ~valid & has_p & has_n
    if inner.any():
        tt = np.broadcast_to(t[:, None], a.shape)[inner]
        tp, tq = t[p[inner]], t[q[inner]]
        a0, a1 = vp[inner].astype(np.float64), vq[inner].astype(np.float64)
        if method == "linear":
            fill[inner] = a0 + (tt - tp) / (tq - tp) * (a1 - a0)
        else:   # nearest in time; a tie goes to the earlier date
            fill[inner] = np.where(tq - tt < tt - tp, a1, a0)
    missing = ~valid
    if max_gap is not None:
        # length of the run of missing dates each missing value belongs to
        gap = np.where(has_p, np.where(has_n, q - p - 1, n_t - 1 - p), q)
        missing &= gap <= max_gap
    out[missing] = fill[missing]
    return out


def _fill_block(block, axis, t, method, max_gap, dtype):
    """Gap-fill a numpy block along ``axis`` (whole time axis), in slabs of series."""
    a = np.moveaxis(np.asarray(block), axis, 0)
    shape = a.shape
    flat = a.reshape(shape[0], -1).astype(dtype, copy=False)
    out = np.empty(flat.shape, dtype=dtype)
    step = max(1, (1 << 20) // max(shape[0], 1))   # ~1M values per slab: bounded scratch
    for s in range(0, flat.shape[1], step):
        out[:, s:s + step] = _fill_time_gaps(flat[:, s:s + step], t, method, max_gap)
    return np.ascontiguousarray(np.moveaxis(out.reshape(shape), 0, axis))


class TemporalGapFiller(_ImageStackMixin, TransformerMixin, BaseEstimator):
    """Fill missing values (NaN) of image time series along time, pixel by pixel and band by band.

    For each pixel and band, a NaN date is filled from the nearest valid dates of the same
    series: ``method="linear"`` interpolates linearly between the last valid date before and
    the first valid date after it (``np.interp``'s rule); ``method="nearest"`` copies the
    value of the closer of the two (a tie goes to the earlier date). A leading (trailing) gap
    takes the first (last) valid value of the series. A series with no valid date at all
    stays all-NaN (for :class:`~skstc.Tile2VecSeriesKMeans` such pixels stay missing: its
    NaN rule keeps mostly-missing tiles out of triplets and fills them with the per-band
    training means at inference). Valid values are never changed. Bands are filled
    independently: a pixel NaN in one band only gets that band filled.

    Input forms are those of :class:`ImageBandScaler`: ``(n_times, n_bands, height, width)``,
    ``(n_regions, n_times, n_bands, height, width)``, a list of 4-D regions (time axis 0,
    resp. 1), or an xarray.DataArray with a ``time`` dim (any other dims, coordinates and
    attributes kept). Numpy or dask: dask-backed input stays lazy and is filled chunk by
    chunk along space (the time axis is first rechunked into one chunk, which the filling
    needs). The numpy path is vectorised and works on slabs of about a million values, so its
    scratch memory does not grow with the image. Image output has the input's floating dtype
    (float32 for integer input).

    A 2-D array (what scikit-learn's checks feed) is read as one series per row over
    ``n_features`` equally spaced dates: each row is filled along its columns with the same
    rule (validated like scikit-learn's transformers: float32/float64 kept, integers ->
    float64, NaN allowed, infinity and sparse input refused).

    Parameters
    ----------
    method : {"linear", "nearest"}, default="linear"
        How a gap between two valid dates is filled.
    max_gap : int or None, default=None
        Longest run of consecutive missing dates that is filled (counted in dates, edges
        included); the values of longer runs stay NaN. None fills every run.
    use_time_coordinate : bool, default=True
        For a DataArray whose ``time`` coordinate is datetime64 or numeric, interpolate on
        the actual date spacing (datetimes in days); the coordinate must then be strictly
        increasing. Otherwise (and for numpy/dask/2-D input) dates are equally spaced.

    Attributes
    ----------
    n_times_ : int
        Dates (columns for 2-D input) of the array seen in ``fit``. The filling learns
        nothing from ``fit``: image stacks with another number of dates can be transformed.
    n_features_in_ : int
        Columns of a 2-D training array (only set for 2-D input).

    Notes
    -----
    Infinite values raise a ValueError (for dask input, when the result is computed).

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import TemporalGapFiller
    >>> X = np.array([np.nan, 1.0, np.nan, np.nan, 4.0, np.nan]).reshape(6, 1, 1, 1)
    >>> TemporalGapFiller().fit_transform(X).ravel().tolist()
    [1.0, 1.0, 2.0, 3.0, 4.0, 4.0]
    >>> TemporalGapFiller(max_gap=1).fit_transform(X).ravel().tolist()
    [1.0, 1.0, nan, nan, 4.0, 4.0]
    """

    def __init__(self, method="linear", *, max_gap=None, use_time_coordinate=True):
        self.method = method
        self.max_gap = max_gap
        self.use_time_coordinate = use_time_coordinate

    def _check_params(self):
        if self.method not in ("linear", "nearest"):
            raise ValueError(f"method must be 'linear' or 'nearest', got {self.method!r}.")
        if self.max_gap is not None and (
                not isinstance(self.max_gap, numbers.Integral)
                or isinstance(self.max_gap, bool) or self.max_gap < 0):
            raise ValueError(f"max_gap must be None or a non-negative integer, "
                             f"got {self.max_gap!r}.")

    def _times(self, X, n_t):
        """Float positions of the dates: the DataArray's time coordinate or 0..n_t-1."""
        if is_xarray(X) and self.use_time_coordinate and "time" in X.coords:
            tc = np.asarray(X["time"].values)
            if tc.dtype.kind == "M":
                t = (tc - tc[0]) / np.timedelta64(1, "D")
            elif tc.dtype.kind in "biuf":
                t = tc.astype(np.float64)
            else:
                t = None
            if t is not None:
                t = np.asarray(t, dtype=np.float64)
                if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
                    raise ValueError("The time coordinate must be strictly increasing (sort "
                                     "with X.sortby('time') or pass "
                                     "use_time_coordinate=False).")
                return t
        return np.arange(n_t, dtype=np.float64)

    def fit(self, X, y=None):
        """Check the parameters and the input form (nothing is learnt from the values).

        Parameters
        ----------
        X : array-like, list of 4-D arrays or xarray.DataArray
            Image time series, or a 2-D array (one series per row).
        y : None
            Ignored.

        Returns
        -------
        self : TemporalGapFiller
        """
        self._check_params()
        if self._is_table(X):
            X2 = self._validate_table(X, reset=True)
            self.n_times_ = X2.shape[1]
        else:
            if hasattr(self, "n_features_in_"):
                del self.n_features_in_
            parts = self._image_parts(X, "time")
            n_t = {a.shape[ax] for a, ax in parts}
            if len(n_t) != 1:
                raise ValueError(f"All regions must have the same dates, got {sorted(n_t)}.")
            self.n_times_ = n_t.pop()
            self._times(X, self.n_times_)
        return self

    def transform(self, X):
        """Return ``X`` with its NaN filled along time, in X's form.

        Parameters
        ----------
        X : array-like, list of 4-D arrays or xarray.DataArray
            Same form rules as ``fit``; dask-backed input stays lazy.

        Returns
        -------
        Xt : ndarray, dask array, list of arrays or xarray.DataArray
            Same shape as ``X``; NaN left only where the rule leaves it.
        """
        check_is_fitted(self)
        self._check_params()
        if self._is_table(X):
            X2 = self._validate_table(X, reset=False)
            t = np.arange(X2.shape[1], dtype=np.float64)
            return _fill_block(X2, 1, t, self.method, self.max_gap, X2.dtype)
        out = []
        for a, ax in self._image_parts(X, "time"):
            dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)
            t = self._times(X, a.shape[ax])
            if is_dask(a):
                if len(a.chunks[ax]) > 1:
                    a = a.rechunk({ax: -1})
                fill = functools.partial(_fill_block, axis=ax, t=t, method=self.method,
                                         max_gap=self.max_gap, dtype=dtype)
                out.append(a.map_blocks(fill, dtype=dtype))
            else:
                out.append(_fill_block(a, ax, t, self.method, self.max_gap, dtype))
        if is_xarray(X):
            return X.copy(data=out[0])
        return out if self._is_regions(X) else out[0]

# --- DeepSpatiotemporalClustering (issue 5) ---


# Gridded fields (n_times, n_variables, n_lat, n_lon): NaN filling and min-max scaling.


def _field_array(est, X, *, reset, name="X"):
    """Return ``(X4, was_2d)`` with ``X4`` of shape (n_times, n_variables, n_lat, n_lon).

    2-D input goes through scikit-learn's ``validate_data`` (sets or checks
    ``n_features_in_``) and is unflattened with ``est.input_shape``; without it, each of the
    ``n_features`` columns is one variable on a 1x1 grid (the reading of
    :class:`~skstc.DeepSpatiotemporalClustering`). float32 input stays float32, anything else
    becomes float64.
    """
    if is_xarray(X):
        X, _ = xarray_to_numpy(X, name=name)
    ndim = getattr(X, "ndim", None)
    if ndim in (3, 4) and not hasattr(X, "tocsr"):
        dtype = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
        X4 = check_numeric_array(X, name, dtype=dtype)
        if X4.ndim == 3:
            X4 = X4[:, None]
        if est.input_shape is not None and tuple(X4.shape[1:]) != tuple(est.input_shape):
            raise ValueError(f"{name} has sample shape {X4.shape[1:]} but input_shape="
                             f"{tuple(est.input_shape)}.")
        if reset:
            _forget_input_features(est)
            est.n_features_in_ = int(np.prod(X4.shape[1:]))
        return X4, False
    X2 = validate_data(est, X, reset=reset, dtype=[np.float64, np.float32],
                       ensure_all_finite="allow-nan")
    shape = est.input_shape
    if shape is None:
        shape = (X2.shape[1], 1, 1)
    elif len(tuple(shape)) != 3:
        raise ValueError(f"input_shape must be (n_variables, n_lat, n_lon), got {shape!r}.")
    return reshape_samples(X2, shape, name=name), True


def _fit_fields(est, X, verb):
    """Validate training fields: returns ``(X4, finite)``; rejects inf and all-NaN variables."""
    names = est.variable_names or _xarray_variable_names(X)
    X4, _ = _field_array(est, X, reset=True)
    if np.isinf(X4).any():
        raise ValueError("X contains infinity; only finite values or NaN are allowed.")
    finite = np.isfinite(X4)
    for v in np.flatnonzero(~finite.any(axis=(0, 2, 3))):
        raise ValueError(f"Variable {_variable_label(v, names)} is NaN everywhere: it cannot "
                         f"be {verb}; drop it before clustering.")
    est._sample_shape = X4.shape[1:]
    return X4, finite


def _fields_to_transform(est, X, fitted_attr):
    """Validate fields given to a fitted transformer: returns ``(X4, was_2d)``."""
    check_is_fitted(est, fitted_attr)
    X4, was_2d = _field_array(est, X, reset=False)
    if X4.shape[1:] != est._sample_shape:
        raise ValueError(f"X has sample shape {X4.shape[1:]} but {type(est).__name__} was "
                         f"fitted on {est._sample_shape}.")
    return X4, was_2d


def _as_input_dims(out, was_2d):
    return out.reshape(out.shape[0], -1) if was_2d else out


def _variable_label(i, variable_names):
    if variable_names is not None and i < len(variable_names):
        return f"{variable_names[i]!r} (index {i})"
    return f"index {i}"


def _xarray_variable_names(X):
    if is_xarray(X) and type(X).__name__ == "Dataset":
        return [str(v) for v in X.data_vars]
    return None


class FieldNaNFiller(TransformerMixin, BaseEstimator):
    """Fill missing values of gridded fields (land points of SST, masked cells ...).

    Works on arrays of shape ``(n_times, n_variables, n_lat, n_lon)`` (numpy, dask, or an
    xarray Dataset whose variables are stacked), or on 2-D ``(n_times, n_variables * n_lat *
    n_lon)`` arrays with ``input_shape``; the output has the input's dimensionality. 2-D
    input without ``input_shape`` is read as ``n_features`` variables on a 1x1 grid (as
    :class:`~skstc.DeepSpatiotemporalClustering` reads it): ``"variable_mean"`` is then the
    column mean, as :class:`sklearn.impute.SimpleImputer`.

    Parameters
    ----------
    strategy : {"overall_mean", "variable_mean", "constant"}, default="variable_mean"
        ``"overall_mean"`` fills every NaN with the mean of all finite values of the training
        data (all variables together: the published DSC code); ``"variable_mean"`` with the
        training mean of the NaN's own variable (better when variables have different units);
        ``"constant"`` with ``fill_value``.
    fill_value : float, default=0.0
        Value used by ``strategy="constant"``.
    add_mask : bool, default=False
        Append one channel per variable that had missing values during fit, equal to 1 where
        the value was observed and 0 where it was filled, so a network can tell filled cells
        apart.
    input_shape : tuple of int or None, default=None
        ``(n_variables, n_lat, n_lon)`` for 2-D input; None reads 2-D input as one variable
        per column.
    variable_names : list of str or None, default=None
        Names used in error messages (taken from a Dataset's variables when None).

    Attributes
    ----------
    fill_values_ : ndarray of shape (n_variables,)
        Fill value of each variable.
    mask_variables_ : ndarray of int
        Variables that get a mask channel (empty unless ``add_mask``).
    output_shape_ : tuple of int
        ``(n_channels, n_lat, n_lon)`` of one transformed sample.
    n_features_in_ : int
        Number of values per sample seen in fit.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import FieldNaNFiller
    >>> X = np.ones((4, 2, 3, 3)); X[:, 1] = 3.0; X[0, 1, 0, 0] = np.nan
    >>> float(FieldNaNFiller(strategy="variable_mean").fit_transform(X)[0, 1, 0, 0])
    3.0
    >>> FieldNaNFiller(strategy="variable_mean", add_mask=True).fit_transform(X).shape
    (4, 3, 3, 3)
    """

    def __init__(self, strategy="variable_mean", *, fill_value=0.0, add_mask=False,
                 input_shape=None, variable_names=None):
        self.strategy = strategy
        self.fill_value = fill_value
        self.add_mask = add_mask
        self.input_shape = input_shape
        self.variable_names = variable_names

    def fit(self, X, y=None):
        """Compute the fill values.

        Parameters
        ----------
        X : array-like of shape (n_times, n_variables, n_lat, n_lon) or (n_times, n_features)
            Training fields.
        y : None
            Ignored.

        Returns
        -------
        self : FieldNaNFiller
        """
        if self.strategy not in ("overall_mean", "variable_mean", "constant"):
            raise ValueError("strategy must be 'overall_mean', 'variable_mean' or 'constant', "
                             f"got {self.strategy!r}.")
        X4, finite = _fit_fields(self, X, "filled")
        n_var = X4.shape[1]
        if self.strategy == "overall_mean":
            fills = np.full(n_var, X4[finite].mean())
        elif self.strategy == "variable_mean":
            sums = np.where(finite, X4, 0.0).sum(axis=(0, 2, 3))
            fills = sums / finite.sum(axis=(0, 2, 3))
        else:
            fills = np.full(n_var, float(self.fill_value))
        self.fill_values_ = fills
        has_nan = (~finite).any(axis=(0, 2, 3))
        self.mask_variables_ = (np.flatnonzero(has_nan) if self.add_mask
                                else np.array([], dtype=int))
        self.output_shape_ = (n_var + len(self.mask_variables_),) + tuple(X4.shape[2:])
        return self

    def transform(self, X):
        """Fill NaNs (and append mask channels when ``add_mask``).

        Parameters
        ----------
        X : array-like of shape (n_times, n_variables, n_lat, n_lon) or (n_times, n_features)
            Fields.

        Returns
        -------
        X_filled : ndarray
            4-D of shape (n_times, n_channels, n_lat, n_lon), or 2-D flattened when the input
            was 2-D.
        """
        X4, was_2d = _fields_to_transform(self, X, "fill_values_")
        missing = np.isnan(X4)
        fills = self.fill_values_.astype(X4.dtype)[None, :, None, None]
        out = np.where(missing, fills, X4)
        if len(self.mask_variables_):
            mask = (~missing[:, self.mask_variables_]).astype(out.dtype)
            out = np.concatenate([out, mask], axis=1)
        return _as_input_dims(out, was_2d)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class FieldMinMaxScaler(TransformerMixin, BaseEstimator):
    """Min-max scale gridded fields per variable (the published DSC) or per grid cell.

    NaNs are ignored when computing the extremes and kept in the output, so the scaler can
    come before or after :class:`FieldNaNFiller`. 2-D input without ``input_shape`` is read as
    ``n_features`` variables on a 1x1 grid: per variable (and per cell) scaling is then
    :class:`sklearn.preprocessing.MinMaxScaler`'s per-column scaling.

    Parameters
    ----------
    per : {"variable", "cell"}, default="variable"
        ``"variable"``: one minimum and maximum per variable over all times and cells (keeps
        spatial contrasts); ``"cell"``: one per variable and grid cell over time (removes
        the climatological mean pattern, every cell spans the range).
    feature_range : tuple (min, max), default=(0, 1)
        Output range.
    input_shape : tuple of int or None, default=None
        ``(n_variables, n_lat, n_lon)`` for 2-D input; None reads 2-D input as one variable
        per column.
    variable_names : list of str or None, default=None
        Names used in error messages (taken from a Dataset's variables when None).

    Attributes
    ----------
    data_min_, data_max_ : ndarray
        Extremes, of shape (n_variables, 1, 1) for ``per="variable"`` or (n_variables, n_lat,
        n_lon) for ``per="cell"``.
    scale_ : ndarray
        ``(max_out - min_out) / (data_max_ - data_min_)``; constant entries get scale 1
        (mapped to ``min_out``), as :class:`sklearn.preprocessing.MinMaxScaler`.
    n_features_in_ : int
        Number of values per sample seen in fit.

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import FieldMinMaxScaler
    >>> X = np.array([0.0, 2.0, 4.0, 8.0]).reshape(2, 1, 1, 2)
    >>> FieldMinMaxScaler().fit_transform(X).ravel()
    array([0.  , 0.25, 0.5 , 1.  ])
    """

    def __init__(self, per="variable", *, feature_range=(0, 1), input_shape=None,
                 variable_names=None):
        self.per = per
        self.feature_range = feature_range
        self.input_shape = input_shape
        self.variable_names = variable_names

    def fit(self, X, y=None):
        """Compute the extremes.

        Parameters
        ----------
        X : array-like of shape (n_times, n_variables, n_lat, n_lon) or (n_times, n_features)
            Training fields.
        y : None
            Ignored.

        Returns
        -------
        self : FieldMinMaxScaler
        """
        if self.per not in ("variable", "cell"):
            raise ValueError(f"per must be 'variable' or 'cell', got {self.per!r}.")
        lo, hi = self.feature_range
        if not lo < hi:
            raise ValueError(f"feature_range must be (min, max) with min < max, got "
                             f"{self.feature_range!r}.")
        X4, finite = _fit_fields(self, X, "scaled")
        axes = (0, 2, 3) if self.per == "variable" else (0,)
        big = np.where(finite, X4, np.inf).min(axis=axes)
        small = np.where(finite, X4, -np.inf).max(axis=axes)
        if self.per == "variable":
            big, small = big[:, None, None], small[:, None, None]
        # all-NaN cells (per="cell") are left NaN
        big = np.where(np.isfinite(big), big, np.nan)
        small = np.where(np.isfinite(small), small, np.nan)
        rng = small - big
        self.data_min_ = big
        self.data_max_ = small
        self.scale_ = (hi - lo) / np.where((rng > 0) & np.isfinite(rng), rng, hi - lo)
        return self

    def transform(self, X):
        """Scale the fields.

        Parameters
        ----------
        X : array-like of shape (n_times, n_variables, n_lat, n_lon) or (n_times, n_features)
            Fields.

        Returns
        -------
        X_scaled : ndarray of the input's dimensionality
        """
        X4, was_2d = _fields_to_transform(self, X, "scale_")
        out = (X4 - self.data_min_) * self.scale_ + self.feature_range[0]
        return _as_input_dims(out.astype(X4.dtype, copy=False), was_2d)

    def inverse_transform(self, X):
        """Undo the scaling.

        Parameters
        ----------
        X : array-like of shape (n_times, n_variables, n_lat, n_lon) or (n_times, n_features)
            Scaled fields.

        Returns
        -------
        X_orig : ndarray of the input's dimensionality
        """
        X4, was_2d = _fields_to_transform(self, X, "scale_")
        out = (X4 - self.feature_range[0]) / self.scale_ + self.data_min_
        return _as_input_dims(out.astype(X4.dtype, copy=False), was_2d)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
