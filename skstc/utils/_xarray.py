"""xarray and dask at the edges: outputs follow the input (the output policy).

xarray in -> xarray out on the input's coordinates (labels on the sample coordinate,
embeddings with a named feature dim, fields in the input's form, attributes such as a CRS
kept); dask in -> lazy dask out, computed block by block only when the user computes; numpy in
-> numpy out. The input side (parsing, dims by name) is :mod:`skstc.utils._inputs`.

xarray and dask are imported lazily so that numpy-only users never pay for them.
"""

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


def map_samples(fn, values, out_shape, dtype, *, halo=0):
    """Apply ``fn`` (numpy block -> numpy outputs) to a dask array block by block, lazily.

    Parameters
    ----------
    fn : callable
        ``fn(block)`` with ``block`` of shape ``(n, ...)`` (with ``halo`` extra samples at
        each end, the edge samples repeated at the array's ends) returning an array of shape
        ``(n + 2 * halo, *out_shape)``; the halo rows are dropped.
    values : dask array
        Input chunked along its first (sample) axis; other axes are merged into one chunk.
    out_shape : tuple of int
        Shape of the output of one sample (``()`` for labels).
    dtype : dtype
        Output dtype.
    halo : int, default=0
        Samples of context needed on each side (e.g. half a time window).

    Returns
    -------
    dask array of shape ``(n_samples, *out_shape)``, computed only when asked.
    """
    import dask.array as dsa

    values = values.rechunk({i: -1 for i in range(1, values.ndim)})
    sample_chunks = values.chunks[0]
    if halo:
        if min(sample_chunks) < halo:
            values = values.rechunk({0: max(halo, max(sample_chunks))})
            sample_chunks = values.chunks[0]
        padded = dsa.overlap.overlap(values, depth={i: (halo if i == 0 else 0)
                                                    for i in range(values.ndim)},
                                     boundary={i: ("nearest" if i == 0 else "none")
                                               for i in range(values.ndim)})
    else:
        padded = values

    import dask

    out_chunks = (sample_chunks,) + tuple((s,) for s in out_shape)
    n_in, n_out = values.ndim, 1 + len(out_shape)
    kwargs = {}
    if n_out < n_in:
        kwargs["drop_axis"] = list(range(n_out, n_in))
    elif n_out > n_in:
        kwargs["new_axis"] = list(range(n_in, n_out))
    # ``fn`` (which holds the fitted model) is one task of the graph that every block
    # depends on: a distributed scheduler ships it once to each worker, not with every block
    shipped = dask.delayed(fn, pure=False)
    return padded.map_blocks(_apply_block, shipped, halo, dtype=dtype, chunks=out_chunks,
                             meta=np.empty((0,) * n_out, dtype=dtype), **kwargs)


def _apply_block(block, fn, halo):
    out = np.asarray(fn(np.asarray(block)))
    return out[halo:len(out) - halo] if halo else out


def wrap_samples(values, spec, *, feature_dim=None, feature_coords=None, name=None):
    """Per-sample output on the sample coordinate of an xarray input (time for fields).

    Numpy/dask input returns ``values`` unchanged. For xarray input the first axis gets the
    input's time dim and coordinate, the second (when present) ``feature_dim`` with
    ``feature_coords``; the input's attributes are kept.
    """
    if spec is None or not spec.is_xarray:
        return values
    import xarray as xr

    t = spec.roles.get("sample", spec.roles.get("time"))
    dims = (t,) if np.ndim(values) == 1 else (t, feature_dim)
    coords = {t: spec.coords[t]} if t in spec.coords else {}
    if feature_coords is not None and len(dims) == 2:
        coords[feature_dim] = feature_coords
    return xr.DataArray(values, dims=dims, coords=coords, name=name, attrs=dict(spec.attrs))


def wrap_fields(values, spec, *, variables=None):
    """Fields ``(time, variable, lat, lon)`` back to the input's form.

    Numpy/dask arrays return ``values`` (a 3-D input with one output channel stays 3-D); a
    Dataset returns a Dataset with the variables ``variables`` (default: the input's); a
    DataArray returns a DataArray with the input's dims in the input's order.
    """
    if spec is None or not spec.is_xarray:
        if spec is not None and spec.ndim == 3 and values.shape[1] == 1:
            return values[:, 0]
        return values
    import xarray as xr

    r = spec.roles
    t, la, lo = r["time"], r["lat"], r["lon"]
    coords = {d: spec.coords[d] for d in (t, la, lo) if d in spec.coords}
    names = list(variables) if variables is not None else list(spec.variables or [])
    if spec.container == "Dataset":
        data = {}
        for i, v in enumerate(names):
            attrs = spec.var_attrs.get(v, {})
            data[v] = xr.DataArray(values[:, i], dims=(t, la, lo), coords=coords,
                                   attrs=attrs).transpose(*spec.dims)
        ds = xr.Dataset(data, attrs=dict(spec.attrs))
        return ds.assign_coords(spec.non_dim_coords) if spec.non_dim_coords else ds
    v = r.get("variable")
    if v is None and values.shape[1] == 1:
        da = xr.DataArray(values[:, 0], dims=(t, la, lo), coords=coords, name=spec.name,
                          attrs=dict(spec.attrs))
        dims = spec.dims
    else:
        vdim = v or "variable"
        if names and len(names) == values.shape[1]:
            coords[vdim] = np.asarray(names)
        da = xr.DataArray(values, dims=(t, vdim, la, lo), coords=coords, name=spec.name,
                          attrs=dict(spec.attrs))
        dims = spec.dims if v is not None else (t, vdim, la, lo)
    da = da.transpose(*dims)
    keep = {c: spec.non_dim_coords[c] for c in spec.non_dim_coords
            if set(spec.non_dim_coords[c].dims) <= set(da.dims)}
    return da.assign_coords(keep) if keep else da


def apply_to_samples(fn, rows, spec, out_shape, dtype, **wrap):
    """``fn`` on the rows, in the input's form: lazy for dask rows, xarray for xarray input.

    ``fn(numpy rows) -> numpy outputs`` of shape ``(n, *out_shape)``; ``wrap`` goes to
    :func:`wrap_samples`.
    """
    out = map_samples(fn, rows, out_shape, dtype) if is_dask(rows) else fn(rows)
    return wrap_samples(out, spec, **wrap)


def _tile_centres(coord, n, tile_size):
    if np.issubdtype(coord.dtype, np.number):
        return coord[:n * tile_size].reshape(n, tile_size).mean(axis=1)
    return coord[tile_size // 2::tile_size][:n]


def wrap_tiles(values, regions, tile_size, *, feature_dim=None, name=None, attrs=None):
    """Per-tile output of xarray regions as a DataArray on a ``tile`` dim.

    ``regions`` are the parsed regions (``shape`` (time, band, y, x), ``y``/``x`` pixel
    coordinates or None, ``name``); tiles are numbered region by region, row-major, as the
    estimators number them. The ``tile`` dim gets the coordinates ``region``, ``row``, ``col``
    and, when the input had them, ``y``/``x`` of the tile centres.
    """
    import xarray as xr

    region, row, col, yc, xc = [], [], [], [], []
    has_xy = all(r.y is not None and r.x is not None for r in regions)
    for i, r in enumerate(regions):
        gh, gw = r.shape[2] // tile_size, r.shape[3] // tile_size
        rr, cc = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        region.append(np.full(gh * gw, r.name if r.name is not None else i))
        row.append(rr.ravel())
        col.append(cc.ravel())
        if has_xy:
            ys, xs = _tile_centres(r.y, gh, tile_size), _tile_centres(r.x, gw, tile_size)
            yc.append(ys[rr.ravel()])
            xc.append(xs[cc.ravel()])
    coords = {"region": ("tile", np.concatenate(region)), "row": ("tile", np.concatenate(row)),
              "col": ("tile", np.concatenate(col))}
    if has_xy:
        coords["y"] = ("tile", np.concatenate(yc))
        coords["x"] = ("tile", np.concatenate(xc))
    dims = ("tile",) if np.ndim(values) == 1 else ("tile", feature_dim)
    return xr.DataArray(values, dims=dims, coords=coords, name=name, attrs=dict(attrs or {}))


def tile_label_maps(labels, regions, tile_size, is_2d):
    """One ``(n_tile_rows, n_tile_cols)`` label map per region (regions in fit order).

    ``labels`` holds every tile's label (region by region, row-major), or is a list of one
    ``(n_tile_rows, n_tile_cols)`` array per region (numpy or lazy dask). A DataArray on
    tile-centre ``y``/``x`` coordinates, with the input's attributes, when the region came
    from xarray (and not from 2-D rows), else the array.
    """
    ts = tile_size
    maps, offset = [], 0
    for i, region in enumerate(regions):
        gh, gw = region.shape[2] // ts, region.shape[3] // ts
        if isinstance(labels, list):
            lm = labels[i]
        else:
            lm = labels[offset:offset + gh * gw].reshape(gh, gw)
        offset += gh * gw
        if region.y is not None and region.x is not None and not is_2d:
            import xarray as xr

            yc = region.y[:gh * ts].reshape(gh, ts).mean(axis=1) if np.issubdtype(
                region.y.dtype, np.number) else region.y[ts // 2::ts][:gh]
            xc = region.x[:gw * ts].reshape(gw, ts).mean(axis=1) if np.issubdtype(
                region.x.dtype, np.number) else region.x[ts // 2::ts][:gw]
            lm = xr.DataArray(lm, dims=("y", "x"), coords={"y": yc, "x": xc},
                              name="cluster", attrs=dict(region.attrs or {}))
        maps.append(lm)
    return maps
