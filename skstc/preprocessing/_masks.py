"""Objects with a spatial map and a time series: stacking, splitting, fraction maps."""
import numbers
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from ..utils._fitting import TransactionalFitMixin
from ..utils._inputs import _check_chunks, _forget_input_features, rows_spec
from ..utils._xarray import is_dask, is_xarray, map_samples, wrap_samples


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


class FractionMapFeatures(TransactionalFitMixin, TransformerMixin, BaseEstimator):
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
        Mask value meaning land.
    nodata_value : int, float or None, default=0
        Mask value meaning "no data" (counts as not water). Any value other than
        ``water_value``, ``land_value`` and ``nodata_value`` raises a ``ValueError`` naming
        it (a mask in another encoding, or scaled values, would otherwise give all-land
        features). None counts every other value as no data, without a check.
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

    _parameter_constraints: dict = {
        "map_size": [Interval(Integral, 1, None, closed="left")],
        "water_value": [Real],
        "land_value": [Real],
        "mask_shape": ["array-like", None],
        "nodata_value": [Real, None],
    }

    def __init__(self, map_size=64, water_value=2, land_value=1, mask_shape=None, *,
                 nodata_value=0):
        self.map_size = map_size
        self.water_value = water_value
        self.land_value = land_value
        self.mask_shape = mask_shape
        self.nodata_value = nodata_value

    def _check_values(self, stacks, which=None):
        """Raise when a mask holds a value that is neither water, land nor no data."""
        if self.nodata_value is None:
            return
        known = (stacks == self.water_value) | (stacks == self.land_value)
        known |= stacks == self.nodata_value
        if not known.all():
            bad = np.unique(np.asarray(stacks)[~known])
            where = "the masks" if which is None else f"masks[{which}]"
            raise ValueError(
                f"{where} hold the value(s) {bad[:5].tolist()}, which are neither "
                f"water_value={self.water_value!r}, land_value={self.land_value!r} nor "
                f"nodata_value={self.nodata_value!r}; recode the masks, set these "
                "parameters, or pass nodata_value=None to count every other value as no "
                "data.")

    def _check_params(self):
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

    @_fit_context(prefer_skip_nested_validation=True)
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
        if isinstance(stacks, list):
            for i, stack in enumerate(stacks):
                self._check_values(stack, i)
        else:
            for start in range(0, len(stacks), _FMF_CHUNK):
                self._check_values(stacks[start:start + _FMF_CHUNK])
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
            Flattened fraction map followed by the area series (float32); a DataArray
            ``(object dim, feature)`` on the input's first dim and coordinate for a DataArray.
        """
        check_is_fitted(self, "n_timesteps_")
        spec = rows_spec(X)
        data = X.data if is_xarray(X) else X
        if is_dask(data) and data.ndim == 4:  # lazy: objects block by block
            _check_chunks(data, "X")
            self._check_stack(tuple(int(s) for s in data.shape[1:]), None)
            out = map_samples(lambda block: self.transform(np.asarray(block)), data,
                              (self.map_size ** 2 + self.n_timesteps_,), np.float32)
            return wrap_samples(out, spec, feature_dim="feature",
                                feature_coords=self.get_feature_names_out(), name="features")
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
        return wrap_samples(stack_modalities(maps, series), spec, feature_dim="feature",
                            feature_coords=self.get_feature_names_out(), name="features")

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
        self._check_values(stacks)
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
