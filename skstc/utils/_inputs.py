"""The input-contract layer shared by every estimator and transformer.

Each data contract is parsed here once:

- gridded fields ``(time, variable, lat, lon)`` (:func:`parse_fields`), read by
  :class:`~skstc.DeepSpatiotemporalClustering`, :class:`~skstc.preprocessing.FieldNaNFiller`
  and :class:`~skstc.preprocessing.FieldMinMaxScaler`;
- multimodal objects, a map and a series per sample (:func:`parse_multimodal`), read by
  :class:`~skstc.MultimodalConstrainedAE` and :class:`~skstc.MultimodalClassifier`;
- image-region stacks ``([region,] time, band, y, x)`` (:func:`parse_regions`), read by
  :class:`~skstc.Tile2VecSeriesKMeans` and the image transformers;
- 2-D rows with shape parameters (:func:`fields_from_rows`, :func:`_validate_multimodal`),
  through scikit-learn's ``validate_data``.

The output side (xarray in -> xarray out, dask in -> lazy dask out) is
:mod:`skstc.utils._xarray`.

With xarray input the dims are found **by name** (CF-style aliases, or the estimator's
``*_dim`` parameters); only numpy arrays are read by position. What came in is recorded in an
:class:`InputSpec` at fit; at predict/transform a DataArray whose dims are permuted is
transposed by name, and the variables of a Dataset (or the labels of a DataArray's variable
dim) are selected **by name in the order seen at fit**, so a different order never
mis-assigns a variable; a missing or unexpected variable is an error.

xarray and dask are imported lazily so that numpy-only users never pay for them.
"""

import numbers
from dataclasses import dataclass, field

import numpy as np
from sklearn.utils.validation import column_or_1d, validate_data

from ._validation import split_semisupervised_labels
from ._xarray import is_dask, is_xarray

# dim names recognised for each role of a gridded field, lower case, in order of preference
TIME_NAMES = ("time", "valid_time", "date", "datetime", "t", "forecast_time")
VARIABLE_NAMES = ("variable", "band", "channel", "var")
LAT_NAMES = ("lat", "latitude", "y", "rlat", "nav_lat", "south_north", "row")
LON_NAMES = ("lon", "longitude", "x", "rlon", "nav_lon", "west_east", "col")
_CF_AXIS = {"time": "T", "lat": "Y", "lon": "X"}
_CF_STANDARD = {"time": ("time",), "lat": ("latitude", "grid_latitude", "projection_y_coordinate"),
                "lon": ("longitude", "grid_longitude", "projection_x_coordinate")}

FIELDS_CONTRACT = ("(n_times, n_variables, n_lat, n_lon) or (n_times, n_lat, n_lon) arrays, a "
                   "Dataset of (time, lat, lon) variables, a DataArray with time, lat, lon "
                   "(and a variable) dims, or 2-D (n_times, n_features) rows with input_shape")


def _forget_input_features(est):
    """Drop ``n_features_in_``/``feature_names_in_`` of an earlier 2-D fit (image input now).

    The 2-D (table) path sets them through ``validate_data``; a refit on n-D input must not
    keep the previous table's size and column names.
    """
    for name in ("n_features_in_", "feature_names_in_"):
        if hasattr(est, name):
            delattr(est, name)


@dataclass
class InputSpec:
    """What an input looked like: recorded at fit, compared at predict, used to wrap outputs.

    Attributes
    ----------
    kind : {"numpy", "dask", "xarray"}
        Array kind (a dask-backed xarray object is ``"xarray"`` with ``lazy=True``).
    lazy : bool
        Whether the values are dask-backed.
    container : {"ndarray", "DataArray", "Dataset"}
        Type of the object.
    dims : tuple of str or None
        Dims of the xarray input as given (per variable for a Dataset).
    roles : dict
        ``{role: dim name}`` found by name (``"time"``, ``"variable"``, ``"lat"``, ``"lon"``).
    coords : dict
        ``{dim: 1-D coordinate values}`` of the input's dims.
    variables : tuple of str or None
        Variable names (Dataset variables or labels of the DataArray's variable dim).
    name : str or None
        Name of a DataArray.
    attrs : dict
        Attributes of the input (e.g. ``crs``); also ``{variable: attrs}`` of a Dataset.
    dtype : numpy.dtype or None
        dtype of the values.
    ndim : int
        Dimensionality of the array as given (2 for rows).
    """

    kind: str
    lazy: bool = False
    container: str = "ndarray"
    dims: tuple = None
    roles: dict = field(default_factory=dict)
    coords: dict = field(default_factory=dict)
    variables: tuple = None
    name: str = None
    attrs: dict = field(default_factory=dict)
    var_attrs: dict = field(default_factory=dict)
    non_dim_coords: dict = field(default_factory=dict)
    dtype: object = None
    ndim: int = 0

    @property
    def is_xarray(self):
        return self.kind == "xarray"


def _spec_of_array(X):
    # no np.ndim: array-likes that refuse __array_function__ must still pass
    return InputSpec(kind="dask" if is_dask(X) else "numpy", lazy=is_dask(X),
                     dtype=getattr(X, "dtype", None), ndim=int(getattr(X, "ndim", 2)))


def rows_spec(X):
    """Spec of an input whose first axis is the sample axis (rows, mask stacks, embeddings).

    A DataArray keeps its first dim and its coordinate, so that per-sample outputs can be put
    back on them (:func:`skstc.utils._xarray.wrap_samples`); other inputs give a spec of their
    kind, for which outputs stay arrays.
    """
    if not is_xarray(X) or type(X).__name__ != "DataArray" or X.ndim == 0:
        return _spec_of_array(X)
    sample = X.dims[0]
    coords = {sample: np.asarray(X[sample].values)} if sample in X.coords else {}
    return InputSpec(kind="xarray", lazy=is_dask(X), container="DataArray", dims=tuple(X.dims),
                     roles={"sample": sample}, coords=coords, name=X.name,
                     attrs=dict(X.attrs), dtype=X.dtype, ndim=X.ndim)


# ---------------------------------------------------------------------------------------------
# dims by name
# ---------------------------------------------------------------------------------------------
def find_dim(obj, role, *, override=None, exclude=(), contract="X", name="X"):
    """Name of the dim of ``obj`` playing ``role`` ("time", "variable", "lat", "lon").

    ``override`` (an estimator's ``*_dim`` parameter) wins; then the dim names of the role
    (``TIME_NAMES``, ``LAT_NAMES`` ...) case-insensitively; then the CF attributes ``axis`` and
    ``standard_name`` of the coordinate. Returns None for ``role="variable"`` when absent, and
    raises a ValueError naming the contract for the others.
    """
    dims = [d for d in obj.dims if d not in exclude]
    if override is not None:
        if override not in obj.dims:
            raise ValueError(f"{name} has dims {tuple(obj.dims)} but {role}_dim={override!r} "
                             f"is not one of them; expected {contract}.")
        return override
    names = {"time": TIME_NAMES, "variable": VARIABLE_NAMES, "lat": LAT_NAMES,
             "lon": LON_NAMES}[role]
    lower = {str(d).lower(): d for d in dims}
    for candidate in names:
        if candidate in lower:
            return lower[candidate]
    if role in _CF_AXIS:
        for d in dims:
            if d in obj.coords:
                attrs = obj.coords[d].attrs
                if (str(attrs.get("axis", "")).upper() == _CF_AXIS[role]
                        or attrs.get("standard_name") in _CF_STANDARD[role]):
                    return d
    if role == "variable":
        return None
    raise ValueError(
        f"{name} has dims {tuple(obj.dims)}: no {role} dim found (known names "
        f"{', '.join(names)}, or CF axis/standard_name attributes); expected {contract}. "
        f"Rename the dim or pass {role}_dim=<name>.")


def _check_chunks(arr, name):
    chunks = getattr(arr, "chunks", None)
    if chunks and any(np.isnan(c) for axis in chunks for c in axis):
        raise ValueError(f"{name} is a dask array with unknown chunk sizes (e.g. after boolean "
                         "indexing); call X.compute_chunk_sizes() first.")


def _raise_if_inf(block, name):
    if np.isinf(block).any():
        raise ValueError(f"{name} contains infinity; only finite values or NaN are allowed.")
    return block


def check_no_inf(values, name="X"):
    """Refuse infinite values, eagerly for numpy and lazily (at compute) for dask.

    Transformers that keep NaN (missing values) still refuse ``inf``, at ``fit`` and at
    ``transform`` alike: an infinity would otherwise be passed through, or turn into NaN
    statistics downstream. A dask array gets a per-chunk check that raises when computed,
    so lazy input stays lazy.

    Returns
    -------
    values : ndarray or dask array
        ``values`` itself (numpy) or the checked lazy array (dask).
    """
    if is_dask(values):
        return values.map_blocks(_raise_if_inf, name, dtype=values.dtype)
    values = np.asarray(values)
    if values.dtype.kind in "fc":
        _raise_if_inf(values, name)
    return values


def check_float_range(values, dtype, name="X"):
    """Refuse finite values whose magnitude overflows ``dtype`` (e.g. 1e300 for float32).

    Casting such values turns them into ``inf`` (and ``inf - inf`` into NaN), a silent
    change of finite data. numpy input is checked eagerly, dask input lazily.
    """
    limit = float(np.finfo(dtype).max)

    def check(block):
        block = np.asarray(block)
        if block.dtype.kind == "f" and np.finfo(block.dtype).max > limit:
            with np.errstate(invalid="ignore"):
                big = np.abs(block[np.isfinite(block)])
            if big.size and big.max() > limit:
                raise ValueError(
                    f"{name} holds values up to |x| = {big.max():.3g}, beyond the range of "
                    f"{np.dtype(dtype).name} ({limit:.3g}) it is computed in (the cast would "
                    "turn them into inf); rescale the input first (e.g. change its units).")
        return block

    if is_dask(values):
        return values.map_blocks(check, dtype=values.dtype)
    return check(values)


def _numeric(values, name):
    kind = np.dtype(values.dtype).kind
    if kind == "c":
        raise ValueError("Complex data not supported.")
    if kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {values.dtype}.")


# ---------------------------------------------------------------------------------------------
# gridded fields (time, variable, lat, lon)
# ---------------------------------------------------------------------------------------------
def _fields_from_xarray(X, *, time_dim, variable_dim, lat_dim, lon_dim, variables, name):
    """Read xarray fields by dim name: ``(values (time, variable, lat, lon), InputSpec)``."""
    import xarray as xr

    contract = FIELDS_CONTRACT
    attrs = dict(X.attrs)
    if isinstance(X, xr.Dataset):
        if not X.data_vars:
            raise ValueError(f"{name} is a Dataset without data variables.")
        present = [str(v) for v in X.data_vars]
        if variables is not None:
            missing = [v for v in variables if v not in present]
            extra = [v for v in present if v not in variables]
            if missing or extra:
                raise ValueError(
                    f"{name} has variables {present} but the estimator was fitted on "
                    f"{list(variables)} (missing {missing}, unexpected {extra}); variables "
                    "are matched by name.")
            names = list(variables)
        else:
            names = present
        first = X[names[0]]
        for v in names[1:]:
            if set(X[v].dims) != set(first.dims):
                raise ValueError(f"{name}: variables {names[0]!r} {first.dims} and {v!r} "
                                 f"{X[v].dims} have different dims; expected {contract}.")
        t = find_dim(first, "time", override=time_dim, contract=contract, name=name)
        la = find_dim(first, "lat", override=lat_dim, exclude=(t,), contract=contract,
                      name=name)
        lo = find_dim(first, "lon", override=lon_dim, exclude=(t, la), contract=contract,
                      name=name)
        extra_dims = [d for d in first.dims if d not in (t, la, lo)]
        if extra_dims:
            raise ValueError(f"{name} variables have dims {first.dims}; unexpected "
                             f"{extra_dims}: expected {contract}.")
        for v in names:
            _numeric(X[v], f"{name}[{v!r}]")
        arrays = [X[v].transpose(t, la, lo).data for v in names]
        lazy = any(is_dask(a) for a in arrays)
        if lazy:
            import dask.array as dsa

            values = dsa.stack([dsa.asarray(a) for a in arrays], axis=1)
        else:
            values = np.stack([np.asarray(a) for a in arrays], axis=1)
        dims = tuple(first.dims)
        roles = {"time": t, "lat": la, "lon": lo}
        coords = {d: np.asarray(X[d].values) for d in (t, la, lo) if d in X.coords}
        var_attrs = {v: dict(X[v].attrs) for v in names}
        container, da_name, variables = "Dataset", None, tuple(names)
        non_dim = {c: X.coords[c] for c in X.coords if c not in X.dims}
    elif isinstance(X, xr.DataArray):
        v = find_dim(X, "variable", override=variable_dim if variable_dim in X.dims else None,
                     contract=contract, name=name)
        spatial_pool = [d for d in X.dims if d != v]
        if len(spatial_pool) != 3:
            raise ValueError(
                f"{name} is a {X.ndim}-D DataArray with dims {tuple(X.dims)}; expected "
                f"{contract}.")
        t = find_dim(X, "time", override=time_dim, exclude=(v,), contract=contract, name=name)
        la = find_dim(X, "lat", override=lat_dim, exclude=(v, t), contract=contract, name=name)
        lo = find_dim(X, "lon", override=lon_dim, exclude=(v, t, la), contract=contract,
                      name=name)
        _numeric(X, name)
        if v is None:
            da = X.transpose(t, la, lo)
            values = da.data[:, None]
            labels = (str(X.name),) if X.name is not None else None
        else:
            da = X
            labels = (tuple(str(s) for s in X[v].values) if v in X.coords else None)
            if variables is not None and labels is not None:
                missing = [s for s in variables if s not in labels]
                extra = [s for s in labels if s not in variables]
                if missing or extra:
                    raise ValueError(
                        f"{name} has {v!r} labels {list(labels)} but the estimator was fitted "
                        f"on {list(variables)} (missing {missing}, unexpected {extra}).")
                if tuple(labels) != tuple(variables):
                    index = {s: i for i, s in enumerate(labels)}
                    da = da.isel({v: [index[s] for s in variables]})
                    labels = tuple(variables)
            values = da.transpose(t, v, la, lo).data
        lazy = is_dask(values)
        if not lazy:
            values = np.asarray(values)
        dims = tuple(X.dims)
        roles = {"time": t, "lat": la, "lon": lo}
        if v is not None:
            roles["variable"] = v
        coords = {d: np.asarray(X[d].values) for d in X.dims if d in X.coords}
        container, da_name, variables, var_attrs = "DataArray", X.name, labels, {}
        non_dim = {c: X.coords[c] for c in X.coords if c not in X.dims}
    else:  # pragma: no cover - guarded by callers
        raise TypeError(f"{name} must be an xarray object, got {type(X)}.")
    if lazy:
        _check_chunks(values, name)
    spec = InputSpec(kind="xarray", lazy=lazy, container=container, dims=dims, roles=roles,
                     coords=coords, variables=variables, name=da_name, attrs=attrs,
                     var_attrs=var_attrs, non_dim_coords=non_dim, dtype=values.dtype,
                     ndim=len(dims) + (container == "Dataset"))
    return values, spec


def parse_fields(X, *, time_dim=None, variable_dim=None, lat_dim=None, lon_dim=None,
                 variables=None, name="X"):
    """Parse gridded fields: ``(values, spec)`` with values ``(time, variable, lat, lon)``.

    2-D input is not handled here (it goes through scikit-learn's ``validate_data`` by the
    caller); ``spec.ndim == 2`` and ``values is None`` are returned for it.

    Parameters
    ----------
    X : array-like, dask array, xarray.DataArray or xarray.Dataset
        Fields; numpy/dask arrays are read by position (3-D is one variable), xarray by dim
        name.
    time_dim, variable_dim, lat_dim, lon_dim : str or None
        Dim names overriding the recognised names.
    variables : sequence of str or None
        Variable names seen at fit: xarray variables are selected by name in this order.
    name : str, default="X"
        Name used in messages.

    Returns
    -------
    values : ndarray, dask array or None
        Fields of shape (n_times, n_variables, n_lat, n_lon) in the input's dtype, lazy for
        dask-backed input; None for 2-D input.
    spec : InputSpec
    """
    if is_xarray(X):
        return _fields_from_xarray(X, time_dim=time_dim, variable_dim=variable_dim,
                                   lat_dim=lat_dim, lon_dim=lon_dim, variables=variables,
                                   name=name)
    if hasattr(X, "tocsr") or hasattr(X, "iloc") or hasattr(X, "to_numpy"):
        return None, InputSpec(kind="numpy", ndim=2)  # sparse or data frame: rows
    if is_dask(X):
        _check_chunks(X, name)
    if hasattr(X, "ndim"):
        ndim = X.ndim
    else:
        try:
            ndim = np.asarray(X).ndim
        except (ValueError, TypeError):  # ragged: scikit-learn's validation explains
            ndim = 2
    if ndim <= 2:  # rows (1-D gets scikit-learn's own message)
        return None, InputSpec(kind="dask" if is_dask(X) else "numpy", ndim=ndim)
    if ndim not in (3, 4):
        raise ValueError(f"{name} is a {ndim}-D array of shape {tuple(np.shape(X))}; "
                         f"expected {FIELDS_CONTRACT}.")
    arr = X
    if not isinstance(arr, np.ndarray) and not is_dask(arr):
        arr = np.asarray(arr)
    _numeric(arr, name)
    if arr.ndim == 3:
        arr = arr[:, None]
    return arr, _spec_of_array(X)


def fields_from_rows(rows, input_shape, *, name="X"):
    """Unflatten validated 2-D rows to (n_times, n_variables, n_lat, n_lon) by ``input_shape``.

    ``input_shape`` is the parameter at fit and the shape recorded at fit afterwards; None
    (at fit) reads each column as one variable on a 1x1 grid.
    """
    from ._validation import reshape_samples

    shape = input_shape
    if shape is None:
        shape = (rows.shape[1], 1, 1)
    if len(tuple(shape)) != 3:
        raise ValueError(f"input_shape must be (n_variables, n_lat, n_lon), got {shape!r}.")
    return reshape_samples(rows, shape, name=name)


def check_sample_shape(values, fitted_shape, est, name="X"):
    """Raise when one sample of ``values`` differs from the shape seen at fit."""
    if tuple(values.shape[1:]) != tuple(fitted_shape):
        raise ValueError(
            f"{name} has samples of shape {tuple(values.shape[1:])} (variables, lat, lon) but "
            f"{type(est).__name__} was fitted on {tuple(fitted_shape)}.")


# ---------------------------------------------------------------------------------------------
# multimodal objects (a map and a series per sample)
# ---------------------------------------------------------------------------------------------
def read_fields(est, X, *, reset, compute=True):
    """Any input of the gridded-fields contract -> ``(values, InputSpec)``.

    ``values`` has shape (n_times, n_variables, n_lat, n_lon), float32. ``est`` supplies the
    ``*_dim`` overrides and ``input_shape`` (2-D rows); with ``reset`` the fitted
    ``input_shape_``, ``n_features_in_`` and the variable names are recorded on it, otherwise
    they are checked (Dataset variables are matched by name with fit). xarray dims are found
    by name (:func:`parse_fields`); with ``compute=False`` dask-backed values stay lazy.
    """
    values, spec = parse_fields(
        X, time_dim=est.time_dim, variable_dim=est.variable_dim, lat_dim=est.lat_dim,
        lon_dim=est.lon_dim, variables=None if reset else est._variable_names)
    if values is None:
        rows = validate_data(est, X, dtype=np.float32, ensure_all_finite=False, reset=reset)
        values = fields_from_rows(rows, est.input_shape if reset else est.input_shape_)
    elif is_dask(values) and compute:
        values = np.asarray(values.compute(), dtype=np.float32)
    else:
        values = values.astype(np.float32, copy=False)
    if reset:
        if spec.ndim != 2:
            _forget_input_features(est)
        est.input_shape_ = tuple(int(s) for s in values.shape[1:])
        est.n_features_in_ = int(np.prod(est.input_shape_))
        est._variable_names = spec.variables
    else:
        check_sample_shape(values, est.input_shape_, est)
    return values, spec


def check_field_values(X, variable_names=None):
    """Refuse infinite or missing values in fields ``(n_times, n_variables, ...)``, naming a
    variable that is NaN everywhere."""
    if np.isinf(X).any():
        raise ValueError("X contains infinity; only finite values are allowed.")
    nan = np.isnan(X)
    if nan.any():
        per_var = nan.reshape(X.shape[0], X.shape[1], -1).all(axis=(0, 2))
        names = variable_names
        if per_var.any():
            v = int(np.flatnonzero(per_var)[0])
            label = f"{names[v]!r}" if names and v < len(names) else f"index {v}"
            raise ValueError(f"Variable {label} of X is NaN everywhere; drop it.")
        raise ValueError(
            f"X contains {int(nan.sum())} NaN value(s) (NaN left after preprocessing?); "
            "fill them first, e.g. with skstc.preprocessing.FieldNaNFiller.")


_CHUNK = 4096


MULTIMODAL_CONTRACT = ("2-D (n_samples, height * width + n_timesteps) rows (flattened map then "
                       "series, see skstc.preprocessing.stack_modalities) or a Dataset with "
                       "variables 'fraction_map' (sample, y, x) and 'area' (sample, time)")


def parse_multimodal(X, spatial_shape, *, maps_var="fraction_map", series_var="area",
                     name="X"):
    """Multimodal objects -> ``(rows, spec)``; rows are ``(n_samples, h * w + n_timesteps)``.

    A Dataset holds the maps in ``maps_var`` (sample, y, x) and the series in ``series_var``
    (sample, time); dims are found by name (the sample dim is the one the two variables
    share), so their order does not matter. Dask-backed variables give lazy rows. Any other
    input is returned unchanged (``rows is X``) with a spec of its kind.
    """
    if not is_xarray(X):
        if is_dask(X):  # lazy rows keep their chunks: their sizes must be known
            _check_chunks(X, name)
        return X, _spec_of_array(X)
    if type(X).__name__ != "Dataset":
        raise TypeError(f"{name} is a DataArray; expected {MULTIMODAL_CONTRACT}.")
    missing = [v for v in (maps_var, series_var) if v not in X.data_vars]
    if missing:
        raise ValueError(f"{name} is a Dataset with variables {list(X.data_vars)}; missing "
                         f"{missing}: expected {MULTIMODAL_CONTRACT}.")
    fmap, area = X[maps_var], X[series_var]
    shared = [d for d in fmap.dims if d in area.dims]
    if fmap.ndim != 3 or area.ndim != 2 or len(shared) != 1:
        raise ValueError(
            f"{maps_var} has dims {fmap.dims} and {series_var} {area.dims}; expected "
            f"{MULTIMODAL_CONTRACT} (one shared sample dim).")
    sample = shared[0]
    t = [d for d in area.dims if d != sample][0]
    yx = [d for d in fmap.dims if d != sample]
    try:
        ydim = find_dim(fmap, "lat", exclude=(sample,), contract=MULTIMODAL_CONTRACT,
                        name=maps_var)
        xdim = find_dim(fmap, "lon", exclude=(sample, ydim), contract=MULTIMODAL_CONTRACT,
                        name=maps_var)
    except ValueError:
        ydim, xdim = yx  # unnamed map axes: positional
    fmap = fmap.transpose(sample, ydim, xdim)
    area = area.transpose(sample, t)
    if fmap.shape[1:] != tuple(spatial_shape):
        raise ValueError(
            f"the spatial modality ({maps_var}) has maps of shape {fmap.shape[1:]} but "
            f"spatial_shape={tuple(spatial_shape)}; resample the maps or set spatial_shape.")
    if area.shape[1] == 0:
        raise ValueError(f"the temporal modality ({series_var}) has length 0; at least one "
                         "time step is required.")
    n = fmap.shape[0]
    lazy = is_dask(fmap.data) or is_dask(area.data)
    if lazy:
        import dask.array as dsa

        maps = dsa.asarray(fmap.data).reshape(n, -1).astype(np.float32)
        series = dsa.asarray(area.data).astype(np.float32)
        maps = maps.rechunk({0: series.chunks[0]})
        rows = dsa.concatenate([maps, series], axis=1)
        _check_chunks(rows, name)
    else:
        rows = np.concatenate([np.asarray(fmap.values, dtype=np.float32).reshape(n, -1),
                               np.asarray(area.values, dtype=np.float32)], axis=1)
    coords = {sample: np.asarray(X[sample].values)} if sample in X.coords else {}
    spec = InputSpec(kind="xarray", lazy=lazy, container="Dataset", dims=(sample, ydim, xdim, t),
                     roles={"sample": sample, "time": t, "lat": ydim, "lon": xdim},
                     coords=coords, variables=(maps_var, series_var), attrs=dict(X.attrs),
                     dtype=np.dtype(np.float32), ndim=2)
    return rows, spec


def _check_finite_chunked(arr, name):
    """NaN/inf check without a full-size temporary (streams over rows)."""
    for start in range(0, arr.shape[0], _CHUNK):
        block = arr[start:start + _CHUNK]
        if not np.isfinite(block).all():
            raise ValueError(
                f"{name} contains NaN or inf values (first bad sample near row {start}); "
                "fill or drop them first.")


def _split_checked(est, X, spatial_shape):
    """Split validated 2-D ``X`` into maps and series, naming the modality in errors."""
    h, w = spatial_shape
    n_map = h * w
    if X.shape[1] <= n_map:
        raise ValueError(
            f"X has {X.shape[1]} features but spatial_shape={tuple(spatial_shape)} needs "
            f"{n_map} map features followed by a series of at least 1 time step (series of "
            "length 0). Check spatial_shape or use skstc.preprocessing.stack_modalities.")
    maps = X[:, :n_map].reshape(X.shape[0], h, w)
    series = X[:, n_map:]
    _check_finite_chunked(maps, "the spatial modality (fraction map)")
    _check_finite_chunked(series, "the temporal modality (area series)")
    return maps, series


def _fitted_spatial_shape(est):
    """The map shape recorded at fit (inference never reads it back from a parameter)."""
    return est._spatial_shape


def _validate_multimodal(est, X, spatial_shape, *, reset):
    """2-D array or xarray Dataset -> (maps, series, spec) with checks.

    At fit (``reset``) ``spatial_shape`` is recorded on ``est``; afterwards the recorded shape
    is used whatever ``spatial_shape`` says.
    """
    if not reset:
        spatial_shape = _fitted_spatial_shape(est)
    X, spec = parse_multimodal(X, spatial_shape)
    ndim = getattr(X, "ndim", 2)
    if ndim > 2 and not hasattr(X, "tocsr"):
        raise ValueError(f"X is a {ndim}-D array of shape {tuple(X.shape)}; expected "
                         f"{MULTIMODAL_CONTRACT}.")
    if isinstance(X, np.ndarray) or is_dask(X):
        X = check_float_range(X, np.float32)  # before the cast turns 1e300 into inf
    X = validate_data(est, X, dtype=np.float32, ensure_all_finite=False, reset=reset)
    maps, series = _split_checked(est, X, spatial_shape)
    if reset:
        est._spatial_shape = tuple(spatial_shape)
    return maps, series, spec


def _check_spatial_shape(spatial_shape):
    if (not isinstance(spatial_shape, (tuple, list)) or len(spatial_shape) != 2
            or not all(isinstance(s, numbers.Integral) and s >= 1 for s in spatial_shape)):
        raise ValueError(
            f"spatial_shape must be a pair of positive integers (height, width), got "
            f"{spatial_shape!r}.")
    return tuple(int(s) for s in spatial_shape)


def _required_labels(y, n_samples, owner):
    """``y`` of a semi-supervised fit that needs it -> (encoded labels with -1, classes)."""
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None (class "
                         "labels, -1 for unlabelled).")
    return _split_labels(column_or_1d(y, warn=True), n_samples)


def _split_labels(y, n_samples):
    """Labels with -1 = unlabelled -> (encoded labels with -1, classes).

    See :func:`skstc.utils._validation.split_semisupervised_labels` for what is refused.
    """
    return split_semisupervised_labels(y, n_samples)


# ---------------------------------------------------------------------------------------------
# image-region stacks (time, band, y, x)
# ---------------------------------------------------------------------------------------------
REGIONS_CONTRACT = ("(n_times, n_bands, height, width) arrays, 5-D stacks (n_regions, n_times, "
                    "n_bands, height, width), lists of 4-D regions, or a DataArray with time, "
                    "band, y and x dims (and optionally region)")
REGION_NAMES = ("region", "regions", "scene", "tile_id")


def parse_regions(X, *, name="X"):
    """Image-region DataArray -> ``(da, spec)`` with ``da`` ([region,] time, band, y, x).

    Dims are found by name: time (``time``/``date``...), band (``band``/``variable``/
    ``channel``; absent = one band), y (``y``/``lat``/``latitude``...), x (``x``/``lon``...)
    and an optional region dim (``region``); the result is transposed to the canonical order.
    """
    if type(X).__name__ == "Dataset":
        raise TypeError(f"{name} is a Dataset; pass a DataArray with dims (time, band, y, x), "
                        "e.g. ds['reflectance'].")
    da = X
    band = find_dim(da, "variable", contract=REGIONS_CONTRACT, name=name)
    if band is None:
        da = da.expand_dims(band=1, axis=-3 if da.ndim >= 3 else 0)
        band = "band"
    lower = {str(d).lower(): d for d in da.dims}
    region = next((lower[n] for n in REGION_NAMES if n in lower), None)
    t = find_dim(da, "time", exclude=(band, region), contract=REGIONS_CONTRACT, name=name)
    y = find_dim(da, "lat", exclude=(band, region, t), contract=REGIONS_CONTRACT, name=name)
    x = find_dim(da, "lon", exclude=(band, region, t, y), contract=REGIONS_CONTRACT, name=name)
    order = ((region,) if region is not None else ()) + (t, band, y, x)
    extra = [d for d in da.dims if d not in order]
    if extra:
        raise ValueError(f"{name} has dims {tuple(X.dims)}; unexpected {extra}: expected "
                         f"{REGIONS_CONTRACT}.")
    _numeric(da, name)
    da = da.transpose(*order)
    if is_dask(da.data):
        _check_chunks(da.data, name)
    roles = {"time": t, "variable": band, "lat": y, "lon": x}
    if region is not None:
        roles["region"] = region
    spec = InputSpec(kind="xarray", lazy=is_dask(da.data), container="DataArray",
                     dims=tuple(X.dims), roles=roles,
                     coords={d: np.asarray(da[d].values) for d in da.dims if d in da.coords},
                     name=X.name, attrs=dict(X.attrs), dtype=da.dtype, ndim=X.ndim)
    return da, spec


class ImageRegion:
    """One region's image stack ``(time, band, y, x)`` (numpy or dask) and its coordinates.

    ``y``/``x`` are the pixel coordinates of xarray input (None for arrays), ``name`` the
    region's label and ``attrs`` the DataArray's attributes (None for arrays).
    """

    def __init__(self, data, y=None, x=None, name=None, attrs=None):
        self.data = data
        self.y, self.x = y, x
        self.name = name
        self.attrs = attrs

    @property
    def shape(self):
        return tuple(int(s) for s in self.data.shape)

    def block(self, t0, t1, r0, r1, c0, c1):
        """Read ``data[t0:t1, :, r0:r1, c0:c1]`` as a float32 numpy array.

        Infinite values, and finite ones beyond float32's range (which the cast would turn
        into inf), are refused here, where every fit and inference reads its pixels.
        """
        blk = self.data[t0:t1, :, r0:r1, c0:c1]
        if hasattr(blk, "compute"):
            blk = blk.compute()
        blk = check_float_range(check_no_inf(blk), np.float32)
        return np.asarray(blk, dtype=np.float32)

    def load(self):
        """The whole stack as a float32 numpy array."""
        return self.block(0, self.shape[0], 0, self.shape[2], 0, self.shape[3])


def xarray_regions(X, *, cls=ImageRegion, name="X"):
    """The regions of an image DataArray read by dim name (:func:`parse_regions`)."""
    da, spec = parse_regions(X, name=name)
    y, x = spec.roles["lat"], spec.roles["lon"]

    def coord(dim):
        return np.asarray(da[dim].values) if dim in da.coords else None

    region = spec.roles.get("region")
    if region is None:
        return [cls(da.data, coord(y), coord(x), attrs=spec.attrs)]
    return [cls(da.isel({region: i}).data, coord(y), coord(x),
                name=(da[region].values[i] if region in da.coords else i), attrs=spec.attrs)
            for i in range(da.sizes[region])]


def _region_array(x, name):
    """A 4-D/5-D numeric region array (dask arrays stay lazy)."""
    if is_dask(x):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric, got dtype {x.dtype}.")
        _check_chunks(x, name)
        return x
    try:
        arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    except Exception as exc:
        raise TypeError(f"{name} could not be converted to a numeric array: {exc}") \
            from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}.")
    if arr.ndim != 4 and arr.ndim != 5:
        raise ValueError(f"{name} must be (n_times, n_bands, height, width), got shape "
                         f"{arr.shape}.")
    return arr


def check_tile_shape_params(est):
    """``series_shape`` and ``tile_grid_shape`` of ``est`` are None or pairs of positive ints
    (how 2-D rows of tile sequences are read)."""
    for name in ("series_shape", "tile_grid_shape"):
        val = getattr(est, name)
        if val is not None and (len(tuple(val)) != 2 or min(int(v) for v in val) < 1):
            raise ValueError(f"{name} must be None or a pair of positive ints, got {val!r}.")


def read_regions(est, X, *, fitting):
    """Any input of the image-region contract -> ``(list of ImageRegion, is_2d)``.

    ``est`` supplies ``tile_size``, ``series_shape`` and ``tile_grid_shape`` (2-D rows of tile
    sequences at fit), ``n_times_``/``n_bands_`` (2-D rows after fit) and is the estimator
    that ``validate_data`` records ``n_features_in_`` on. ``is_2d`` tells that the regions
    were assembled from 2-D rows.
    """
    ts = est.tile_size
    if is_xarray(X):
        return xarray_regions(X), False
    if isinstance(X, (list, tuple)) and len(X) and not np.isscalar(X[0]) and \
            np.ndim(X[0]) == 4:
        return [ImageRegion(_region_array(x, f"X[{i}]")) for i, x in enumerate(X)], False
    if getattr(X, "ndim", 2) > 2 and not is_dask(X) and X.ndim not in (4, 5):
        raise ValueError(f"X is a {X.ndim}-D array of shape {tuple(X.shape)}; expected "
                         f"{REGIONS_CONTRACT}, or 2-D rows of tile sequences.")
    if is_dask(X) or (isinstance(X, np.ndarray) and X.ndim in (4, 5)):
        arr = _region_array(X, "X")
        if arr.ndim == 4:
            return [ImageRegion(arr)], False
        if arr.ndim == 5:
            return [ImageRegion(arr[i]) for i in range(arr.shape[0])], False
    # 2-D tile-sequence rows
    X2 = validate_data(est, X, reset=fitting, dtype=np.float32,
                       ensure_all_finite="allow-nan", ensure_min_samples=1)
    n_samples, n_features = X2.shape
    if fitting:
        if est.series_shape is None:
            if n_features % (ts * ts):
                raise ValueError(
                    f"X has {n_features} features per row, not a multiple of "
                    f"tile_size**2 = {ts * ts}; set tile_size/series_shape.")
            n_times, n_bands = 1, n_features // (ts * ts)
        else:
            n_times, n_bands = (int(v) for v in est.series_shape)
            if n_times * n_bands * ts * ts != n_features:
                raise ValueError(
                    f"X has {n_features} features per row but series_shape="
                    f"{tuple(est.series_shape)} and tile_size={ts} need "
                    f"{n_times * n_bands * ts * ts}.")
        grid = (n_samples, 1) if est.tile_grid_shape is None else tuple(
            int(v) for v in est.tile_grid_shape)
        if grid[0] * grid[1] != n_samples:
            raise ValueError(f"tile_grid_shape={grid} holds {grid[0] * grid[1]} tiles but X "
                             f"has {n_samples} rows.")
    else:
        n_times, n_bands = est.n_times_, est.n_bands_
        grid = (n_samples, 1)
    tiles = X2.reshape(grid[0], grid[1], n_times, n_bands, ts, ts)
    img = tiles.transpose(2, 3, 0, 4, 1, 5).reshape(n_times, n_bands, grid[0] * ts,
                                                     grid[1] * ts)
    return [ImageRegion(np.ascontiguousarray(img))], True


def check_regions(est, regions, *, fitting):
    """Check that the regions share dates and bands (and match fit), return
    ``(n_times, n_bands)``; at fit every region must hold two tiles of ``est.tile_size``."""
    ts = est.tile_size
    shapes = [r.shape for r in regions]
    if not shapes:
        raise ValueError("X holds no region.")
    n_times, n_bands = shapes[0][0], shapes[0][1]
    for i, s in enumerate(shapes):
        if s[1] != n_bands:
            raise ValueError(f"All regions must have the same bands: region 0 has "
                             f"{n_bands}, region {i} has {s[1]}.")
        if s[0] != n_times:
            raise ValueError(f"All regions must have the same dates: region 0 has "
                             f"{n_times}, region {i} has {s[0]}.")
        if s[0] < 1 or s[1] < 1:
            raise ValueError(f"Region {i} has an empty time or band axis (shape {s}).")
    if fitting:
        for i, s in enumerate(shapes):
            n_tiles = (s[2] // ts) * (s[3] // ts)
            if n_tiles < 2:
                raise ValueError(
                    f"Region {i} of {s[2]}x{s[3]} pixels holds {n_tiles} tile(s) of "
                    f"{ts}x{ts}; at least two tiles per region are needed (X has "
                    f"{n_tiles} sample(s) there). Use a smaller tile_size.")
    else:
        if n_bands != est.n_bands_:
            raise ValueError(f"X has {n_bands} bands but the model was fitted on "
                             f"{est.n_bands_}.")
        if n_times != est.n_times_:
            raise ValueError(f"X has {n_times} dates but the model was fitted on "
                             f"{est.n_times_}; predict needs the same dates.")
        for i, s in enumerate(shapes):
            if s[2] < ts or s[3] < ts:
                raise ValueError(f"Region {i} of {s[2]}x{s[3]} pixels is smaller than one "
                                 f"tile of {ts}x{ts}.")
    return n_times, n_bands


def tile_series(regions, tile_size, batch_size, fill_values, dim, *, embed=None):
    """Series of every grid tile: ``(n_tiles, n_times, dim)`` and missing fractions.

    Reads the regions ``batch_size`` tiles at a time (one tile row, a few dates); missing
    pixels get ``fill_values`` (one per band). ``embed`` maps a float32 stack of tiles
    ``(n, n_bands, tile_size, tile_size)`` to ``(n, dim)``; None takes the band means
    (``dim`` is then ``n_bands``). The missing fractions have shape ``(n_times, n_tiles)``.
    """
    ts, bs = tile_size, batch_size
    n_times = regions[0].shape[0]
    grids = [(r.shape[2] // ts, r.shape[3] // ts) for r in regions]
    n_tiles = sum(g[0] * g[1] for g in grids)
    out = np.empty((n_tiles, n_times, dim), dtype=np.float32)
    nan_frac = np.empty((n_times, n_tiles), dtype=np.float32)
    fill = np.asarray(fill_values).astype(np.float32)[None, :, None, None]
    offset = 0
    for region, (gh, gw) in zip(regions, grids):
        cols_per = min(gw, bs)
        dates_per = max(1, bs // cols_per)
        for i in range(gh):
            for c0 in range(0, gw, cols_per):
                c1 = min(gw, c0 + cols_per)
                nc = c1 - c0
                for t0 in range(0, n_times, dates_per):
                    t1 = min(n_times, t0 + dates_per)
                    blk = region.block(t0, t1, i * ts, (i + 1) * ts, c0 * ts, c1 * ts)
                    nt, nb = blk.shape[0], blk.shape[1]
                    tiles = blk.reshape(nt, nb, ts, nc, ts).transpose(0, 3, 1, 2, 4)
                    tiles = tiles.reshape(nt * nc, nb, ts, ts)
                    miss = np.isnan(tiles)
                    frac = miss.any(axis=1).mean(axis=(1, 2))
                    if miss.any():
                        tiles = np.where(miss, fill, tiles)
                    emb = tiles.mean(axis=(2, 3)) if embed is None else embed(tiles)
                    idx = offset + i * gw + np.arange(c0, c1)
                    out[idx, t0:t1] = emb.reshape(nt, nc, dim).transpose(1, 0, 2)
                    nan_frac[t0:t1, idx] = frac.reshape(nt, nc)
        offset += gh * gw
    return out, nan_frac
