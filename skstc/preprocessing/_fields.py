"""Gridded fields: NaN filling and scaling per variable."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from ..utils._fitting import TransactionalFitMixin
from ..utils._inputs import (
    _forget_input_features,
    check_no_inf,
    fields_from_rows,
    parse_fields,
)
from ..utils._validation import check_numeric_array
from ..utils._xarray import is_dask, wrap_fields

# Gridded fields (n_times, n_variables, n_lat, n_lon): NaN filling and min-max scaling.


def _field_array(est, X, *, reset, name="X"):
    """Return ``(X4, spec)`` with ``X4`` of shape (n_times, n_variables, n_lat, n_lon).

    The input is parsed by :func:`skstc.utils._inputs.parse_fields` (xarray dims by name,
    variables matched by name with fit). 2-D input goes through scikit-learn's
    ``validate_data`` (sets or checks ``n_features_in_``) and is unflattened with
    ``est.input_shape``; without it, each of the ``n_features`` columns is one variable on a
    1x1 grid (the reading of :class:`~skstc.DeepSpatiotemporalClustering`). float32 input
    stays float32, anything else becomes float64; dask-backed input stays lazy unless
    ``reset`` (fit computes its statistics in memory).
    """
    X4, spec = parse_fields(X, variables=None if reset else est._variable_names, name=name)
    if X4 is None:
        X2 = validate_data(est, X, reset=reset, dtype=[np.float64, np.float32],
                           ensure_all_finite="allow-nan")
        shape = est.input_shape if reset else est._sample_shape
        return fields_from_rows(X2, shape, name=name), spec
    dtype = np.float32 if X4.dtype == np.float32 else np.float64
    if is_dask(X4) and not reset:
        X4 = X4.astype(dtype)
    else:
        X4 = check_numeric_array(X4.compute() if is_dask(X4) else X4, name, dtype=dtype)
    if reset and est.input_shape is not None and tuple(X4.shape[1:]) != tuple(est.input_shape):
        raise ValueError(f"{name} has sample shape {X4.shape[1:]} but input_shape="
                         f"{tuple(est.input_shape)}.")
    if reset:
        _forget_input_features(est)
        est.n_features_in_ = int(np.prod(X4.shape[1:]))
    return X4, spec


def _fit_fields(est, X, verb):
    """Validate training fields: returns ``(X4, finite)``; rejects inf and all-NaN variables."""
    X4, spec = _field_array(est, X, reset=True)
    names = est.variable_names or spec.variables
    if np.isinf(X4).any():
        raise ValueError("X contains infinity; only finite values or NaN are allowed.")
    finite = np.isfinite(X4)
    for v in np.flatnonzero(~finite.any(axis=(0, 2, 3))):
        raise ValueError(f"Variable {_variable_label(v, names)} is NaN everywhere: it cannot "
                         f"be {verb}; drop it before clustering.")
    est._sample_shape = X4.shape[1:]
    est._variable_names = spec.variables
    return X4, finite


def _fields_to_transform(est, X, fitted_attr):
    """Validate fields given to a fitted transformer: returns ``(X4, spec)``."""
    check_is_fitted(est, fitted_attr)
    X4, spec = _field_array(est, X, reset=False)
    if X4.shape[1:] != est._sample_shape:
        raise ValueError(f"X has sample shape {X4.shape[1:]} but {type(est).__name__} was "
                         f"fitted on {est._sample_shape}.")
    # NaN marks missing values; inf is refused here as in fit (lazily for dask input)
    return check_no_inf(X4), spec


def _as_input_form(out, spec, variables=None):
    """Output in the input's form: 2-D rows, numpy/dask array, Dataset or DataArray."""
    if spec.ndim == 2:
        return out.reshape(out.shape[0], -1)
    return wrap_fields(out, spec, variables=variables)


def _variable_label(i, variable_names):
    if variable_names is not None and i < len(variable_names):
        return f"{variable_names[i]!r} (index {i})"
    return f"index {i}"


class FieldNaNFiller(TransactionalFitMixin, TransformerMixin, BaseEstimator):
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

    _parameter_constraints: dict = {
        "strategy": [StrOptions({"overall_mean", "variable_mean", "constant"})],
        "fill_value": [Real],
        "add_mask": ["boolean"],
        "input_shape": ["array-like", None],
        "variable_names": ["array-like", None],
    }

    def __init__(self, strategy="variable_mean", *, fill_value=0.0, add_mask=False,
                 input_shape=None, variable_names=None):
        self.strategy = strategy
        self.fill_value = fill_value
        self.add_mask = add_mask
        self.input_shape = input_shape
        self.variable_names = variable_names

    @_fit_context(prefer_skip_nested_validation=True)
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
        X_filled : ndarray, dask array, Dataset or DataArray
            The input's form: 4-D of shape (n_times, n_channels, n_lat, n_lon) (3-D input
            without mask channels stays 3-D), 2-D flattened when the input was 2-D, lazy for
            dask input; a Dataset (DataArray) on the input's coordinates for xarray input,
            mask channels being the variables (labels) ``<variable>_observed``.
        """
        X4, spec = _fields_to_transform(self, X, "fill_values_")
        missing = np.isnan(X4)
        fills = self.fill_values_.astype(X4.dtype)[None, :, None, None]
        out = np.where(missing, fills, X4)
        names = None
        if len(self.mask_variables_):
            mask = (~missing[:, self.mask_variables_]).astype(out.dtype)
            out = np.concatenate([out, mask], axis=1)
            names = self._channel_names(spec.variables)
        return _as_input_form(out, spec, names)

    def _channel_names(self, variables):
        """Names of the output channels: the variables, then ``<variable>_observed``."""
        n_var = len(self.fill_values_)
        if variables is None or len(variables) != n_var:
            variables = [f"variable{i}" for i in range(n_var)]
        return list(variables) + [f"{variables[i]}_observed" for i in self.mask_variables_]

    def get_feature_names_out(self, input_features=None):
        """Names of the output features (flattened channels, lat and lon).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the input features (``feature_names_in_`` or ``x0``... when None).

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input's names, then ``<name>_observed`` for the cells of each mask channel.
        """
        check_is_fitted(self, "fill_values_")
        names = _check_feature_names_in(self, input_features)
        cells = int(np.prod(self.output_shape_[1:]))
        masked = [names[v * cells + c] + "_observed" for v in self.mask_variables_
                  for c in range(cells)]
        return np.asarray(list(names) + masked, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class FieldMinMaxScaler(TransactionalFitMixin, OneToOneFeatureMixin, TransformerMixin,
                        BaseEstimator):
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

    _parameter_constraints: dict = {
        "per": [StrOptions({"variable", "cell"})],
        "feature_range": [tuple, list],
        "input_shape": ["array-like", None],
        "variable_names": ["array-like", None],
    }

    def __init__(self, per="variable", *, feature_range=(0, 1), input_shape=None,
                 variable_names=None):
        self.per = per
        self.feature_range = feature_range
        self.input_shape = input_shape
        self.variable_names = variable_names

    @_fit_context(prefer_skip_nested_validation=True)
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
        X_scaled : ndarray, dask array, Dataset or DataArray
            The input's form and dimensionality (xarray on the input's coordinates, lazy for
            dask input).
        """
        X4, spec = _fields_to_transform(self, X, "scale_")
        out = (X4 - self.data_min_) * self.scale_ + self.feature_range[0]
        return _as_input_form(out.astype(X4.dtype, copy=False), spec)

    def inverse_transform(self, X):
        """Undo the scaling.

        Parameters
        ----------
        X : array-like of shape (n_times, n_variables, n_lat, n_lon) or (n_times, n_features)
            Scaled fields.

        Returns
        -------
        X_orig : ndarray, dask array, Dataset or DataArray
            The input's form and dimensionality.
        """
        X4, spec = _fields_to_transform(self, X, "scale_")
        out = (X4 - self.feature_range[0]) / self.scale_ + self.data_min_
        return _as_input_form(out.astype(X4.dtype, copy=False), spec)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
