"""Public transformers that turn raw spatiotemporal data into model input."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .utils._validation import check_numeric_array, reshape_samples
from .utils._xarray import is_xarray, xarray_to_numpy

# --- shared ---

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


class FractionMapFeatures(TransformerMixin, BaseEstimator):
    """Monthly water masks of objects -> fraction map + normalised area series.

    For each object (e.g. a water body) the input is a stack of monthly masks. The output row
    is the *fraction map* (the mask padded with zeros to a square, resized to
    ``map_size x map_size`` by nearest neighbour, then averaged over months of the water
    indicator), flattened, followed by the *area series* (the number of water pixels per
    month on the original stack, divided by its maximum; an object that is never wet gives
    zeros). This is the input format of :class:`skstc.MultimodalConstrainedAE`.

    The transformer is stateless: ``fit`` only records the input sizes.

    Parameters
    ----------
    map_size : int, default=64
        Side of the output fraction map.
    water_value : int, default=2
        Mask value meaning water.
    land_value : int, default=1
        Mask value meaning land (other values, e.g. 0, are "no data" and count as not water).

    Attributes
    ----------
    n_timesteps_ : int
        Number of months of the stacks seen in ``fit``.

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
    """

    def __init__(self, map_size=64, water_value=2, land_value=1):
        self.map_size = map_size
        self.water_value = water_value
        self.land_value = land_value

    def _check_params(self):
        if (not isinstance(self.map_size, numbers.Integral) or isinstance(self.map_size, bool)
                or self.map_size < 1):
            raise ValueError(f"map_size must be a positive integer, got {self.map_size!r}.")
        if self.water_value == self.land_value:
            raise ValueError(
                f"water_value and land_value must differ, both are {self.water_value!r}.")

    def _as_stacks(self, masks):
        """Return a list of (n_months, h, w) arrays (or one 4-D array)."""
        if is_xarray(masks):
            masks = np.asarray(masks.values)
        if isinstance(masks, (list, tuple)):
            if len(masks) == 0:
                raise ValueError("masks is an empty list; at least one object is required.")
            stacks = [np.asarray(m) for m in masks]
            for i, m in enumerate(stacks):
                if m.ndim != 3:
                    raise ValueError(
                        f"masks[{i}] must have shape (n_months, height, width), got {m.shape}.")
            return stacks
        masks = np.asarray(masks)
        if masks.ndim != 4:
            raise ValueError(
                "masks must have shape (n_objects, n_months, height, width) or be a list of "
                f"(n_months, height, width) stacks; got shape {masks.shape}.")
        if masks.shape[0] == 0:
            raise ValueError("masks holds 0 objects; at least one is required.")
        return masks

    def fit(self, X, y=None):
        """Check the parameters and record the number of months.

        Parameters
        ----------
        X : array-like of shape (n_objects, n_months, height, width), list or DataArray
            Mask stacks (a list may hold stacks of different spatial sizes).
        y : ignored

        Returns
        -------
        self : FractionMapFeatures
        """
        self._check_params()
        stacks = self._as_stacks(X)
        lengths = {s.shape[0] for s in stacks}
        if len(lengths) != 1:
            raise ValueError(
                f"all mask stacks must have the same number of months, got {sorted(lengths)}.")
        self.n_timesteps_ = lengths.pop()
        if self.n_timesteps_ == 0:
            raise ValueError("mask stacks have 0 months; at least one is required.")
        return self

    def transform(self, X):
        """Compute fraction maps and area series.

        Parameters
        ----------
        X : array-like of shape (n_objects, n_months, height, width), list or DataArray
            Mask stacks.

        Returns
        -------
        Xt : ndarray of shape (n_objects, map_size * map_size + n_months)
            Flattened fraction map followed by the area series (float32).
        """
        check_is_fitted(self)
        self._check_params()
        stacks = self._as_stacks(X)
        n = len(stacks)
        maps = np.empty((n, self.map_size, self.map_size), dtype=np.float32)
        series = np.empty((n, self.n_timesteps_), dtype=np.float32)
        for i, stack in enumerate(stacks):
            if stack.shape[0] != self.n_timesteps_:
                raise ValueError(
                    f"object {i} has {stack.shape[0]} months but {self.n_timesteps_} were "
                    "seen in fit.")
            if stack.shape[1] == 0 or stack.shape[2] == 0:
                raise ValueError(f"object {i} has an empty spatial extent {stack.shape[1:]}.")
            water = stack == self.water_value
            fraction = water.mean(axis=0, dtype=np.float32)
            maps[i] = _nearest_resize(_pad_square(fraction), self.map_size)
            area = water.reshape(water.shape[0], -1).sum(axis=1).astype(np.float32)
            peak = area.max()
            series[i] = area / peak if peak > 0 else 0.0
        return stack_modalities(maps, series)

    def get_feature_names_out(self, input_features=None):
        """Names ``map_r_c`` for the map pixels then ``area_t`` for the series."""
        check_is_fitted(self)
        s = self.map_size
        names = [f"map_{r}_{c}" for r in range(s) for c in range(s)]
        names += [f"area_{t}" for t in range(self.n_timesteps_)]
        return np.asarray(names, dtype=object)


# --- Tile2VecSeriesKMeans (issue 4) ---


class ImageBandScaler(TransformerMixin, BaseEstimator):
    """Standardise each band of image time series (NaN-aware), keeping the image layout.

    The band axis is axis ``-3`` of ``(n_times, n_bands, height, width)``,
    ``(n_regions, n_times, n_bands, height, width)``, a list of 4-D regions, or the ``band``
    dim of a DataArray; mean and standard deviation of each band are computed over all other
    axes, ignoring NaN (which stays NaN). A 2-D array is scaled per column, like
    :class:`sklearn.preprocessing.StandardScaler`, so the scaler fits in front of
    :class:`~skstc.Tile2VecSeriesKMeans` in a Pipeline whatever the input form.

    Attributes
    ----------
    mean_ : ndarray of shape (n_bands,)
    scale_ : ndarray of shape (n_bands,)

    Examples
    --------
    >>> import numpy as np
    >>> from skstc.preprocessing import ImageBandScaler
    >>> X = np.random.RandomState(0).rand(3, 2, 4, 4) * [[[[1.0]], [[100.0]]]]
    >>> Xt = ImageBandScaler().fit_transform(X)
    >>> Xt.std(axis=(0, 2, 3)).round(3).tolist()
    [1.0, 1.0]
    """

    def _bands(self, X):
        import numpy as np

        from .utils._xarray import is_xarray

        if is_xarray(X):
            if "band" not in X.dims:
                raise ValueError(f"X has dims {X.dims}; a 'band' dim is expected.")
            return [np.moveaxis(np.asarray(X.transpose(..., "band").values, dtype=np.float64),
                                -1, -3)]
        if isinstance(X, (list, tuple)):
            return [np.asarray(x, dtype=np.float64) for x in X]
        X = np.asarray(X, dtype=np.float64)
        return [X]

    def fit(self, X, y=None):
        """Compute the per-band mean and standard deviation."""
        import numpy as np

        import warnings

        arrs = self._bands(X)
        if arrs[0].ndim == 2:
            flat = arrs
        elif arrs[0].ndim in (4, 5):
            flat = [np.moveaxis(a, -3, -1).reshape(-1, a.shape[-3]) for a in arrs]
        else:
            raise ValueError(f"X must be 2-D, 4-D or 5-D, got shape {arrs[0].shape}.")
        allv = np.concatenate(flat, axis=0)
        if np.isinf(allv).any():
            raise ValueError("X contains infinity.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(allv, axis=0)
            std = np.nanstd(allv, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self.mean_, self.scale_ = mean, std
        if arrs[0].ndim == 2:
            self.n_features_in_ = allv.shape[1]
        self.n_bands_ = len(mean)
        return self

    def transform(self, X):
        """Return ``(X - mean_) / scale_`` per band, in X's form (float32)."""
        import numpy as np
        from sklearn.utils.validation import check_is_fitted

        from .utils._xarray import is_xarray

        check_is_fitted(self)
        band_axis = -1 if (not is_xarray(X) and not isinstance(X, (list, tuple))
                           and np.ndim(X) == 2) else -3

        def _one(a):
            a = np.asarray(a, dtype=np.float32)
            if a.shape[band_axis] != self.n_bands_:
                raise ValueError(f"X has {a.shape[band_axis]} bands/features, the scaler was "
                                 f"fitted on {self.n_bands_}.")
            shape = [1] * a.ndim
            shape[band_axis] = -1
            return ((a - self.mean_.reshape(shape)) / self.scale_.reshape(shape)).astype(
                np.float32)

        if is_xarray(X):
            b = list(X.dims).index("band")
            vals = np.moveaxis(np.asarray(X.values, dtype=np.float32), b, -3)
            return X.copy(data=np.moveaxis(_one(vals), -3, b))
        if isinstance(X, (list, tuple)):
            return [_one(x) for x in X]
        return _one(X)


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

    @staticmethod
    def _regions(X):
        import numpy as np

        from .utils._xarray import is_xarray

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
        import numpy as np

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
        """Record the tile grid and ``(n_times, n_bands)`` of ``X``."""
        import numbers

        if not isinstance(self.tile_size, numbers.Integral) or self.tile_size < 1:
            raise ValueError(f"tile_size must be a positive integer, got {self.tile_size!r}.")
        regions = self._regions(X)
        _, self.grid_shapes_ = self._cut(regions)
        self.input_shape_ = tuple(int(v) for v in regions[0].shape[:2])
        return self

    def transform(self, X):
        """Return the tile rows of ``X``, of shape (n_tiles, n_times * n_bands * tile_size**2)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        regions = self._regions(X)
        if tuple(regions[0].shape[:2]) != self.input_shape_:
            raise ValueError(f"X has (n_times, n_bands) = {tuple(regions[0].shape[:2])}, "
                             f"fitted on {self.input_shape_}.")
        return self._cut(regions)[0]

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
    from sklearn.utils.validation import validate_data

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


def _fields_to_transform(est, X, fitted_attr, *, check_shape=True):
    """Validate fields given to a fitted transformer: returns ``(X4, was_2d)``."""
    check_is_fitted(est, fitted_attr)
    X4, was_2d = _field_array(est, X, reset=False)
    if check_shape and X4.shape[1:] != est._sample_shape:
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
