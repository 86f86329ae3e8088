"""Synthetic generators (``make_*``, with ground truth) and readers (``load_*``)."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---
def _t2v_textures(kind, yy, xx, phase):
    """Zero-mean texture of a given kind on pixel grids ``yy``, ``xx`` (values ~[-1, 1])."""
    import numpy as np

    if kind == 0:    # flat
        return np.zeros_like(yy, dtype=np.float32)
    if kind == 1:    # fine checkerboard, period 4 px
        return np.sign(np.sin(np.pi * (yy + phase[0]) / 2 + 1e-3)
                       * np.sin(np.pi * (xx + phase[1]) / 2 + 1e-3)).astype(np.float32)
    if kind == 2:    # coarse stripes, period 8 px, orientation from the phase
        u = yy if phase[2] < 0.5 else xx
        return np.sin(2 * np.pi * (u + phase[0]) / 8).astype(np.float32)
    # dots: bumps on a 6 px lattice
    return (2 * (np.cos(2 * np.pi * (yy + phase[0]) / 6) * np.cos(2 * np.pi * (xx + phase[1]) / 6)
                 > 0.5) - 0.5).astype(np.float32)


def make_image_sequence(n_regions=2, n_times=12, n_bands=3, height=64, width=64, *,
                        n_zones=4, n_cells=None, texture=0.25, noise=0.05, shared_means=True,
                        cloud_fraction=0.0, as_xarray=False, random_state=None):
    """Synthetic satellite image time series of several regions with planted land zones.

    Each region is cut into compact Voronoi cells, each cell given a zone (every zone appears
    in every region when there are enough cells). A zone has (i) a seasonal trajectory of its
    mean band values, ``base_b + amp * sin(2 pi t / n_times + phase)`` with zone-specific
    amplitude and phase per band, and (ii) a texture (flat, fine checkerboard, coarse stripes
    or dots, by zone index modulo 4) whose contrast also follows the seasons. With
    ``shared_means=True`` zones come in pairs (0 and 1, 2 and 3, ...) with identical mean
    trajectories, differing only by texture: a per-tile mean-value baseline cannot tell the
    two zones of a pair apart, a tile encoder that sees texture can. Gaussian pixel noise is
    added; optional cloud blobs are set to NaN.

    Parameters
    ----------
    n_regions : int, default=2
        Number of regions (all the same size).
    n_times : int, default=12
        Number of dates (one seasonal cycle).
    n_bands : int, default=3
        Number of bands.
    height, width : int, default=64
        Region size in pixels.
    n_zones : int, default=4
        Number of planted zones.
    n_cells : int or None, default=None
        Voronoi cells per region; None uses ``2 * n_zones``.
    texture : float, default=0.25
        Texture amplitude relative to the mean values.
    noise : float, default=0.05
        Standard deviation of the pixel noise.
    shared_means : bool, default=True
        Pair zones with identical mean trajectories (see above).
    cloud_fraction : float, default=0.0
        Approximate fraction of (date, pixel) values set to NaN in round cloud blobs.
    as_xarray : bool, default=False
        Return a DataArray with dims ``(region, time, band, y, x)`` and the zone map as a
        DataArray ``(region, y, x)``.
    random_state : int, RandomState or None, default=None
        Seed (the global RNG is not used).

    Returns
    -------
    images : ndarray of shape (n_regions, n_times, n_bands, height, width), float32
        (or DataArray).
    zones : ndarray of shape (n_regions, height, width), int64
        True zone of every pixel (or DataArray).

    Examples
    --------
    >>> from skstc.datasets import make_image_sequence
    >>> images, zones = make_image_sequence(n_regions=1, height=32, width=32, random_state=0)
    >>> images.shape, zones.shape
    ((1, 12, 3, 32, 32), (1, 32, 32))
    """
    import numbers

    import numpy as np

    from .utils._random import local_random_state

    for name, val, low in (("n_regions", n_regions, 1), ("n_times", n_times, 1),
                           ("n_bands", n_bands, 1), ("height", height, 1), ("width", width, 1),
                           ("n_zones", n_zones, 1)):
        if not isinstance(val, numbers.Integral) or val < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {val!r}.")
    n_cells = 2 * n_zones if n_cells is None else n_cells
    if not isinstance(n_cells, numbers.Integral) or n_cells < 1:
        raise ValueError(f"n_cells must be a positive integer, got {n_cells!r}.")
    if not 0 <= cloud_fraction < 1:
        raise ValueError(f"cloud_fraction must be in [0, 1), got {cloud_fraction!r}.")
    rng = local_random_state(random_state)

    # zone dynamics: mean trajectory (n_zones, n_times, n_bands) and texture contrast
    n_groups = (n_zones + 1) // 2 if shared_means else n_zones
    t = np.arange(n_times)[:, None]
    base = rng.uniform(0.3, 0.7, size=(n_groups, 1, n_bands))
    amp = rng.uniform(0.05, 0.25, size=(n_groups, 1, n_bands))
    phase = rng.uniform(0, 2 * np.pi, size=(n_groups, 1, n_bands))
    group_means = base + amp * np.sin(2 * np.pi * t[None] / max(n_times, 1) + phase)
    group = np.arange(n_zones) // 2 if shared_means else np.arange(n_zones)
    means = group_means[group]                                      # (zones, T, B)
    c_phase = rng.uniform(0, 2 * np.pi, size=(n_zones, 1))
    contrast = texture * (0.75 + 0.25 * np.sin(2 * np.pi * t.T / max(n_times, 1) + c_phase))
    band_gain = rng.uniform(0.6, 1.0, size=(n_zones, n_bands))

    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    images = np.empty((n_regions, n_times, n_bands, height, width), dtype=np.float32)
    zones = np.empty((n_regions, height, width), dtype=np.int64)
    for r in range(n_regions):
        seeds = rng.uniform(0, 1, size=(n_cells, 2)) * [height, width]
        d2 = (yy[None] - seeds[:, 0, None, None]) ** 2 + (xx[None] - seeds[:, 1, None, None]) ** 2
        cell = d2.argmin(axis=0)
        cell_zone = np.concatenate([rng.permutation(n_zones),
                                    rng.randint(0, n_zones, max(n_cells - n_zones, 0))])[:n_cells]
        zmap = cell_zone[cell]
        zones[r] = zmap
        tex = np.zeros((n_zones, height, width), dtype=np.float32)
        for z in range(n_zones):
            tex[z] = _t2v_textures(z % 4, yy, xx, rng.uniform(0, 8, size=3) * [1, 1, 1 / 8])
        # (T, B, H, W) = mean + contrast * gain * texture, gathered per pixel by zone
        mean_px = np.moveaxis(means[zmap], (2, 3), (0, 1))
        tex_px = (contrast[zmap][..., None] * band_gain[zmap][:, :, None, :]
                  * tex[zmap, yy.astype(int), xx.astype(int)][..., None, None])
        img = mean_px + np.moveaxis(tex_px, (2, 3), (0, 1))
        img += rng.normal(0, noise, size=img.shape)
        images[r] = img
    if cloud_fraction > 0:
        radius = max(2.0, min(height, width) / 8)
        per_blob = np.pi * radius ** 2 / (height * width)
        for r in range(n_regions):
            for k in range(n_times):
                n_blobs = rng.poisson(cloud_fraction / per_blob)
                if n_blobs == 0:
                    continue
                centres = rng.uniform(0, 1, size=(n_blobs, 2)) * [height, width]
                d2 = ((yy[None] - centres[:, 0, None, None]) ** 2
                      + (xx[None] - centres[:, 1, None, None]) ** 2)
                images[r, k][:, (d2 < radius ** 2).any(axis=0)] = np.nan
    if as_xarray:
        import xarray as xr

        coords = {"region": np.arange(n_regions), "time": np.arange(n_times),
                  "band": [f"b{i}" for i in range(n_bands)],
                  "y": np.arange(height, dtype=float), "x": np.arange(width, dtype=float)}
        images = xr.DataArray(images, dims=("region", "time", "band", "y", "x"),
                              coords=coords, name="reflectance")
        zones = xr.DataArray(zones, dims=("region", "y", "x"),
                             coords={k: coords[k] for k in ("region", "y", "x")}, name="zone")
    return images, zones


def tile_majority(label_map, tile_size, *, ignore=None):
    """Majority label of each non-overlapping tile of a 2-D label map (row-major grid).

    Parameters
    ----------
    label_map : ndarray of int of shape (height, width)
    tile_size : int
    ignore : int or None, default=None
        Label that does not vote (e.g. 0 = no data); a tile with only ignored pixels gets -1.

    Returns
    -------
    tile_labels : ndarray of shape (height // tile_size, width // tile_size)
    """
    import numpy as np

    label_map = np.asarray(label_map)
    gh, gw = label_map.shape[0] // tile_size, label_map.shape[1] // tile_size
    blocks = label_map[:gh * tile_size, :gw * tile_size].reshape(gh, tile_size, gw, tile_size)
    blocks = blocks.transpose(0, 2, 1, 3).reshape(gh * gw, -1)
    values, inv = np.unique(blocks, return_inverse=True)
    inv = inv.reshape(blocks.shape)
    counts = np.zeros((blocks.shape[0], len(values)), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(blocks.shape[0]), blocks.shape[1]), inv.ravel()), 1)
    if ignore is not None and ignore in values:
        counts[:, np.searchsorted(values, ignore)] = 0
    out = values[counts.argmax(axis=1)].astype(np.int64)
    out[counts.sum(axis=1) == 0] = -1
    return out.reshape(gh, gw)


def load_image_series(path):
    """Read one of the real image time series of ``../shared/data`` as a DataArray.

    No-data and cloud-flagged values become NaN and integer-scaled values are rescaled to
    physical units. Supported files (by their variables): Sentinel-2 Slovenia NDVI
    (``ndvi`` + ``cloud_mask`` + ``is_valid``; labels ``lulc``), Sentinel-2 Slovenia 13 bands
    (sorted into time order), CBERS-4 AWFI (``-9999`` = no data), Sinop MODIS (NDVI and EVI
    as two bands, x1e-4, ``-3000`` = no data; labels: the first ``svm_class`` season), Landsat
    (x1e-4, ``-9999`` and ``fmask`` cloud 4 / fill 255 masked) and the Formosat-2 image.

    Parameters
    ----------
    path : str or path-like
        A netCDF file.

    Returns
    -------
    images : xarray.DataArray of dims (time, band, y, x), float32
    labels : xarray.DataArray of dims (y, x) or None
        Per-pixel land-use / class map when the file has one.
    """
    import numpy as np
    import xarray as xr

    ds = xr.open_dataset(path)
    labels = None
    if "ndvi" in ds and "cloud_mask" in ds:
        valid = (ds["cloud_mask"] == 0) & (ds["is_valid"] == 1)
        da = ds["ndvi"].where(valid).expand_dims(band=["ndvi"], axis=1)
        labels = ds["lulc"]
    elif "ndvi" in ds and "evi" in ds:
        bands = [ds[v].where(ds[v] != -3000) * 1e-4 for v in ("ndvi", "evi")]
        da = xr.concat(bands, dim=xr.DataArray(["ndvi", "evi"], dims="band"))
        da = da.transpose("time", "band", "y", "x")
        if "svm_class" in ds:
            labels = ds["svm_class"].isel(season=0, drop=True)
    elif "reflectance" in ds and "fmask" in ds:
        refl = ds["reflectance"]
        ok = (refl != -9999) & ~ds["fmask"].isin([4, 255])
        da = refl.where(ok) * 1e-4
    elif "reflectance" in ds:
        refl = ds["reflectance"]
        da = refl.where(refl != -9999) if refl.dtype.kind in "iu" else refl
        if "time" in da.dims:
            da = da.sortby("time")
    elif "values" in ds and "step" in ds["values"].dims:
        da = ds["values"].rename(step="time")
    else:
        raise ValueError(f"{path}: unknown image series layout (variables {list(ds.data_vars)}).")
    da = da.transpose("time", "band", "y", "x").astype(np.float32)
    da.attrs["source"] = ds.attrs.get("source", "")
    return da.load(), (None if labels is None else labels.load())


# --- DeepSpatiotemporalClustering (issue 5) ---
