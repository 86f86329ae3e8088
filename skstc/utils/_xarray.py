"""xarray and dask at the edges: convert inputs to numpy, put coordinates back on outputs.

xarray is imported lazily so that numpy-only users never pay for it.
"""

from dataclasses import dataclass, field

import numpy as np


def is_xarray(obj):
    """Return True for an ``xarray.DataArray`` or ``xarray.Dataset``."""
    mod = type(obj).__module__
    return mod.startswith("xarray.") and type(obj).__name__ in ("DataArray", "Dataset")


def is_dask(obj):
    """Return True for a dask array or a dask-backed xarray object."""
    if is_xarray(obj):
        if type(obj).__name__ == "Dataset":
            return any(is_dask(v) for v in obj.data_vars.values())
        return type(obj.data).__module__.startswith("dask.")
    return type(obj).__module__.startswith("dask.")


@dataclass
class EdgeInfo:
    """What an xarray input looked like, to rebuild outputs on its coordinates.

    Attributes
    ----------
    dims : tuple of str
        Dims of the array, in the order of the numpy array returned.
    coords : dict
        ``{dim: 1-D coordinate values}`` for the dims that had coordinates.
    attrs : dict
        Attributes of the input.
    variables : list of str or None
        Variable names, when the input was a Dataset stacked along a variable dim.
    """

    dims: tuple
    coords: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)
    variables: list = None


def _check_dims(obj, dims, name):
    missing = [d for d in dims if d is not Ellipsis and d not in obj.dims]
    if missing:
        raise ValueError(
            f"{name} has dims {tuple(obj.dims)} but {tuple(d for d in dims if d is not ...)} "
            f"are expected; missing {missing}. Rename them (DataArray.rename) or pass the "
            "dim names as parameters."
        )


def xarray_to_numpy(obj, dims=None, *, variable_dim="variable", variable_axis=1, name="X",
                    compute=True):
    """Convert a DataArray or Dataset to a numpy array in a given dim order.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        The input. A Dataset's data variables are stacked along a new ``variable_dim`` placed
        at ``variable_axis`` (after reordering the other dims to ``dims``).
    dims : sequence of str or None, default=None
        Wanted order of the (non-variable) dims; ``...`` stands for the others. None keeps the
        input's order.
    variable_dim : str, default="variable"
        Name of the dim along which a Dataset's variables are stacked.
    variable_axis : int, default=1
        Position of that dim in the output.
    name : str, default="X"
        Name used in messages.
    compute : bool, default=True
        Load dask-backed data into memory. With False, the returned array is the dask array.

    Returns
    -------
    values : ndarray (or dask array when ``compute=False``)
    info : EdgeInfo
        Dims and coordinates of ``values``.
    """
    import xarray as xr

    variables = None
    if isinstance(obj, xr.Dataset):
        if not obj.data_vars:
            raise ValueError(f"{name} is a Dataset without data variables.")
        variables = list(obj.data_vars)
        da = obj.to_dataarray(dim=variable_dim) if hasattr(obj, "to_dataarray") else obj.to_array(
            dim=variable_dim)
        rest = [d for d in da.dims if d != variable_dim]
        if dims is not None:
            _check_dims(obj, dims, name)
            rest = list(xr.DataArray(np.empty([1] * len(rest)), dims=rest).transpose(*dims).dims)
        order = list(rest)
        order.insert(variable_axis, variable_dim)
        da = da.transpose(*order)
    elif isinstance(obj, xr.DataArray):
        da = obj
        if dims is not None:
            _check_dims(obj, dims, name)
            da = da.transpose(*dims)
    else:
        raise TypeError(f"{name} must be an xarray DataArray or Dataset, got {type(obj)}.")
    coords = {d: np.asarray(da[d].values) for d in da.dims if d in da.coords}
    info = EdgeInfo(dims=tuple(da.dims), coords=coords, attrs=dict(obj.attrs),
                    variables=variables)
    data = da.data
    if compute:
        data = np.asarray(da.values)
    return data, info


def wrap_output(values, info, dims, *, name=None, extra_coords=None):
    """Put per-sample (or per-pixel) outputs back on the input's coordinates.

    Parameters
    ----------
    values : ndarray
        Output whose leading axes correspond to ``dims``.
    info : EdgeInfo or None
        Returned by :func:`xarray_to_numpy`; None returns ``values`` unchanged.
    dims : sequence of str
        Dims of ``values``; coordinates of the input's dims of the same name are attached.
    name : str or None, default=None
        Name of the DataArray.
    extra_coords : dict or None, default=None
        More coordinates ``{dim: values}`` (e.g. tile-centre coordinates).

    Returns
    -------
    out : xarray.DataArray or ndarray
    """
    if info is None:
        return values
    import xarray as xr

    coords = {}
    for d, n in zip(dims, np.shape(values)):
        if extra_coords and d in extra_coords:
            coords[d] = extra_coords[d]
        elif d in info.coords and len(info.coords[d]) == n:
            coords[d] = info.coords[d]
    return xr.DataArray(values, dims=tuple(dims), coords=coords, name=name)


def iter_chunks(X, axis_size, chunk_size):
    """Yield ``(start, stop, numpy block)`` along the first axis of an array-like.

    Works on numpy arrays, dask arrays and (dask-backed) DataArrays without loading more than
    one block at a time.

    Parameters
    ----------
    X : array-like
        Sliceable along its first axis.
    axis_size : int
        Length of the first axis.
    chunk_size : int
        Block length.
    """
    for start in range(0, axis_size, chunk_size):
        stop = min(start + chunk_size, axis_size)
        block = X[start:stop]
        if hasattr(block, "values") and is_xarray(block):
            block = block.values
        elif hasattr(block, "compute"):
            block = block.compute()
        yield start, stop, np.asarray(block)
