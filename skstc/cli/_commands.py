"""The subcommands of ``skstc``: tiles, regimes, objects fit|apply, demo.

Only click is imported at module level; every command imports what it needs when it runs.
The commands read the input with :func:`skstc.io.open_dataset` (or
:func:`skstc.datasets.load_era5`), pick variables and rename the dims the user names to the
estimator's dim names, then call the public estimator API on xarray objects; parsing of the
data itself is the estimators' job.
"""

import json
from pathlib import Path

import click


# --------------------------------------------------------------------------------------------
# model files: the fitted Pipeline in MODEL_FILE, the command's settings in a JSON beside it
# --------------------------------------------------------------------------------------------
def _save_model(obj, path):
    from .._persistence import save

    save(obj, path)


def _load_model(path):
    from .._persistence import load

    return load(path)


# skstc's own format: data only (JSON, npz, tensors); loading never unpickles
MODEL_FILE = "model.skstc"
SETTINGS_FILE = "model.json"


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------
def _engine_options(fn):
    """Options shared by the training commands: seed, device, precision, threads, verbosity."""
    options = [
        click.option("--seed", type=int, default=0, show_default=True,
                     help="random_state of the estimator (same seed, same result on CPU)."),
        click.option("--device", default=None,
                     help="torch device ('cpu', 'cuda', 'cuda:1', 'auto'); default: the "
                          "estimator's ('auto': a GPU when available)."),
        click.option("--precision", type=click.Choice(["fp32", "bf16", "fp16"]), default=None,
                     help="training/inference precision; bf16 and fp16 are for GPUs "
                          "(default: fp32)."),
        click.option("--threads", type=click.IntRange(min=1), default=None,
                     help="torch threads during fit/predict (default: OMP_NUM_THREADS or "
                          "torch's default)."),
        click.option("-v", "--verbose", count=True,
                     help="print training progress (estimator verbose=1); -vv also the "
                          "method's intermediate steps."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _engine_params(seed, device, threads, verbose, precision=None):
    params = {"random_state": seed, "verbose": min(int(verbose), 2)}
    if device is not None:
        params["device"] = device
    if precision is not None:
        from .._training import resolve_device, resolve_precision

        try:  # refused before any data is read (fp16 on a CPU, an unknown device)
            resolve_precision(precision, resolve_device(device or "auto"))
        except (ValueError, RuntimeError) as exc:
            raise click.UsageError(str(exc), ctx=click.get_current_context(silent=True)) from exc
        params["precision"] = precision
    if threads is not None:
        params["n_threads"] = threads
    return params


def _given(**params):
    """Keep the options the user set (None means: the estimator's default)."""
    return {k: v for k, v in params.items() if v is not None}


def _open(path):
    from ..io import open_dataset

    try:
        return open_dataset(path)
    except ImportError as exc:
        raise click.UsageError(str(exc)) from exc
    except (ValueError, OSError) as exc:
        raise click.BadParameter(f"cannot read {path}: {exc}", param_hint="'IN'") from exc


def _out_dir(path):
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{out} exists and is not a folder.", param_hint="'OUT'")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _check_variables(ds, names, option="--variable"):
    missing = [v for v in names if v not in ds.data_vars]
    if missing:
        raise click.BadParameter(
            f"{', '.join(map(repr, missing))} not in the input; its variables are "
            f"{', '.join(map(str, ds.data_vars)) or '(none)'}.", param_hint=f"'{option}'")


def _check_dims(ds, given):
    """``given``: {option: dim name or None}; every name must be a dim of ``ds``."""
    for option, name in given.items():
        if name is not None and name not in ds.dims:
            raise click.BadParameter(
                f"{name!r} is not a dim of the input; its dims are "
                f"{', '.join(map(str, ds.dims))}.", param_hint=f"'{option}'")


def _input_error(exc, what, dims, options):
    """The estimator refused the input or a setting: its message, with the input's dims."""
    return click.UsageError(
        f"{exc}\n[input: {what} with dims ({', '.join(map(str, dims))}); dims are named with "
        f"{options}]")


def _int_tuple(ctx, param, value):
    if value is None:
        return None
    try:
        out = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}.") \
            from None
    if not out or min(out) < 1:
        raise click.BadParameter(f"expected positive integers, got {value!r}.")
    return out


def _format_option(fn):
    return click.option(
        "--format", "fmt", type=click.Choice(["netcdf", "zarr"]), default="netcdf",
        show_default=True,
        help="format of the array outputs: netCDF files (*.nc) or zarr stores (*.zarr, "
             "needs zarr).")(fn)


def _write(obj, out_dir, stem, fmt, **kwargs):
    """Write ``obj`` as ``stem.nc`` or ``stem.zarr`` with the provenance attributes."""
    from ..io import to_netcdf, to_zarr

    if fmt == "zarr":
        try:
            return to_zarr(obj, out_dir / f"{stem}.zarr", **kwargs)
        except ImportError as exc:
            raise click.UsageError(str(exc)) from exc
    return to_netcdf(obj, out_dir / f"{stem}.nc", **kwargs)


def _figure(nrows=1, ncols=1, **kwargs):
    """A matplotlib Figure without pyplot (no global backend or figure registry)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None, None
    fig = Figure(**kwargs)
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _save_png(fig, path, estimator):
    """Save a figure with the skstc version and the parameters in the PNG metadata."""
    from ..io import provenance

    meta = provenance(estimator)
    fig.savefig(path, dpi=100, metadata={
        "Software": f"skstc {meta['skstc_version']}",
        "Description": f"{meta.get('skstc_estimator', '')} {meta.get('skstc_params', '')}"})
    return path


def _echo_written(paths):
    for p in paths:
        click.echo(f"  wrote {p}")


# --------------------------------------------------------------------------------------------
# skstc tiles
# --------------------------------------------------------------------------------------------
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("in_path", metavar="IN", type=click.Path(exists=True, path_type=Path))
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--variable", "variables", multiple=True,
              help="data variable(s) of the image series; several variables without a band "
                   "dim become the bands. Default: the only variable with time, y and x.")
@click.option("--time-dim", default=None, help="name of the time dim (default: 'time').")
@click.option("--band-dim", default=None, help="name of the band dim (default: 'band'; "
                                               "none means one band).")
@click.option("--y-dim", default=None, help="name of the row dim (default: 'y').")
@click.option("--x-dim", default=None, help="name of the column dim (default: 'x').")
@click.option("--valid-var", default=None,
              help="variable that is 0 where a pixel is cloudy or missing (e.g. is_valid); "
                   "those pixels become NaN.")
@click.option("--truth", "truth_var", default=None,
              help="per-pixel reference map (y, x), e.g. land use: its tile majority is drawn "
                   "beside the clusters in one matched colour scheme and scored.")
@click.option("--truth-ignore", type=int, default=None,
              help="value of the reference map that does not vote (e.g. 0 = no data).")
@click.option("-k", "--n-clusters", type=click.IntRange(min=1), default=None,
              help="number of clusters.")
@click.option("--tile-size", type=click.IntRange(min=1), default=None,
              help="side of the square tiles in pixels.")
@click.option("--embedding-dim", type=click.IntRange(min=1), default=None,
              help="size of a tile embedding.")
@click.option("--n-blocks", callback=_int_tuple, default=None,
              help="residual blocks per encoder stage, e.g. 1,1,1 (a small CPU encoder; "
                   "the default is the paper's ResNet-18 TileNet).")
@click.option("--base-width", type=click.IntRange(min=1), default=None,
              help="channels of the first encoder stage (e.g. 16 on a CPU).")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="training epochs of the tile encoder (max_epochs).")
@click.option("--triplets", type=click.IntRange(min=2), default=None,
              help="triplets per epoch (n_triplets).")
@click.option("--refine-epochs", type=click.IntRange(min=1), default=None,
              help="epochs of the clustering-based refinement.")
@click.option("--no-refine", is_flag=True, help="skip the refinement (geographic partition).")
@click.option("--embeddings", is_flag=True,
              help="also write each tile's series of embeddings (embeddings.nc).")
@_format_option
@_engine_options
def tiles(in_path, out, variables, time_dim, band_dim, y_dim, x_dim, valid_var, truth_var,
          truth_ignore, n_clusters, tile_size, embedding_dim, n_blocks, base_width, epochs,
          triplets, refine_epochs, no_refine, embeddings, fmt, seed, device, precision, threads,
          verbose):
    """Cluster the tiles of an image time series (Tile2VecSeriesKMeans).

    IN is a netCDF file, a zarr store, a GeoTIFF or a folder of GeoTIFFs (one per date; needs
    rioxarray). OUT is a folder that receives labels.nc (the tile label map with the input's
    CRS; also labels.tif when rioxarray is installed), labels.png, tree.json and tree.txt
    (the semantic tree of the clusters).

    \b
    Example:
      skstc tiles sentinel2.nc out/ --variable ndvi --valid-var is_valid \\
          --truth lulc --truth-ignore 0 -k 5 --tile-size 10 --n-blocks 1,1,1 \\
          --base-width 16 --embedding-dim 16 --epochs 3 --triplets 2000
    """
    import numpy as np
    import xarray as xr

    from .. import Tile2VecSeriesKMeans
    from ..io import copy_crs, provenance, to_geotiff

    ds = _open(in_path)
    dim_options = {"--time-dim": time_dim, "--band-dim": band_dim, "--y-dim": y_dim,
                   "--x-dim": x_dim}
    _check_dims(ds, dim_options)
    _check_variables(ds, list(variables))
    for option, name in (("--valid-var", valid_var), ("--truth", truth_var)):
        if name is not None:
            _check_variables(ds, [name], option)
    canonical = dict(zip(dim_options, ("time", "band", "y", "x")))
    renames = {name: canonical[opt] for opt, name in dim_options.items()
               if name is not None and name != canonical[opt]}
    ds = ds.rename(renames)
    if not variables:
        found = [v for v in ds.data_vars if {"time", "y", "x"} <= set(ds[v].dims)]
        if len(found) != 1:
            raise click.UsageError(
                f"{'Several' if found else 'No'} variables with time, y and x dims "
                f"({', '.join(found) or 'none'}); choose with --variable (the input has "
                f"{', '.join(map(str, ds.data_vars))} over dims {', '.join(map(str, ds.dims))}"
                "; name dims with --time-dim/--y-dim/--x-dim).")
        variables = found
    if len(variables) == 1:
        images = ds[variables[0]]
    else:
        if any("band" in ds[v].dims for v in variables):
            raise click.BadParameter("several variables are stacked as bands, so none may "
                                     "have a band dim already.", param_hint="'--variable'")
        images = xr.concat([ds[v] for v in variables], dim="band").assign_coords(
            band=list(variables))
    if valid_var is not None:
        images = images.where(ds[valid_var] != 0)
    params = _given(n_clusters=n_clusters, tile_size=tile_size, embedding_dim=embedding_dim,
                    n_blocks=n_blocks, base_width=base_width, max_epochs=epochs,
                    n_triplets=triplets, refine_epochs=refine_epochs)
    if no_refine:
        params["refine"] = False
    model = Tile2VecSeriesKMeans(**params,
                                 **_engine_params(seed, device, threads, verbose, precision))
    click.echo(f"Tile2VecSeriesKMeans on {', '.join(variables)} {dict(images.sizes)}")
    try:
        model.fit(images)
    except (ValueError, TypeError) as exc:
        raise _input_error(exc, f"The image series {', '.join(variables)!s}", images.dims,
                           "--time-dim/--band-dim/--y-dim/--x-dim") from exc

    def as_map(lm, name):
        if not hasattr(lm, "dims"):
            lm = xr.DataArray(np.asarray(lm), dims=("y", "x"))
        return lm.rename(name).astype("int32")

    maps = [as_map(m, "cluster") for m in model.label_maps_]
    geo = [as_map(m, "geographic_cluster") for m in model.geographic_label_maps_]
    if len(maps) == 1:
        result = xr.merge([maps[0], geo[0]])
    else:
        result = xr.merge([xr.concat(maps, dim="region"), xr.concat(geo, dim="region")])
    result["cluster"].attrs.update(long_name="cluster of the tile series (after refinement)",
                                   flag_values=np.arange(model.n_clusters, dtype="int32"))
    result["geographic_cluster"].attrs["long_name"] = "cluster before refinement"
    summary = {"input": str(in_path), "variables": list(variables),
               "inertia": float(model.inertia_)}
    truth_tiles = None
    if truth_var is not None:
        from sklearn.metrics import adjusted_rand_score

        from ..datasets import tile_majority

        truth = ds[truth_var]
        if set(truth.dims) != {"y", "x"}:
            raise click.BadParameter(f"{truth_var!r} has dims {truth.dims}; the reference map "
                                     "must be 2-D (y, x).", param_hint="'--truth'")
        truth_tiles = tile_majority(np.asarray(truth.transpose("y", "x").values),
                                    model.tile_size, ignore=truth_ignore)
        if len(maps) == 1:
            result["truth"] = (maps[0].dims, truth_tiles.astype("int32"))
            ok = truth_tiles.ravel() >= 0
            summary["ari_vs_truth"] = float(adjusted_rand_score(
                truth_tiles.ravel()[ok], np.asarray(maps[0]).ravel()[ok]))
    result = copy_crs(ds, result)
    back = {v: k for k, v in renames.items() if v in ("y", "x")}
    out_dir = _out_dir(out)
    written = [_write(result.rename(back), out_dir, "labels", fmt, estimator=model,
                      attrs=summary)]
    if embeddings:
        Z = np.asarray(model.transform(images), dtype="float32")
        grid = result["cluster"]
        if grid.ndim == 2:
            emb = xr.DataArray(Z.reshape(grid.shape + (Z.shape[1],)),
                               dims=grid.dims + ("feature",), coords=grid.coords,
                               name="embedding")
        else:
            emb = xr.DataArray(Z, dims=("tile", "feature"), name="embedding")
        emb.attrs["long_name"] = ("series of tile embeddings (n_times * embedding_dim "
                                  "values per tile, date-major)")
        written.append(_write(emb.rename(back), out_dir, "embeddings", fmt, estimator=model,
                              attrs=summary))
    try:
        written.append(to_geotiff(result["cluster"], out_dir / "labels.tif",
                                  crs=ds.attrs.get("crs"), estimator=model, attrs=summary))
    except ImportError:
        click.echo("  (rioxarray is not installed: no GeoTIFF; pip install 'skstc[geo]')")
    tree = _cluster_tree(model.cluster_centers_, np.asarray(model.labels_), model.n_clusters)
    tree["provenance"] = provenance(model, **summary)
    (out_dir / "tree.json").write_text(json.dumps(tree, indent=2))
    (out_dir / "tree.txt").write_text(_tree_text(tree))
    written += [out_dir / "tree.json", out_dir / "tree.txt"]
    png = _tiles_png(maps, truth_tiles, out_dir / "labels.png", model)
    if png is not None:
        written.append(png)
    for key, value in summary.items():
        if isinstance(value, float):
            click.echo(f"  {key}: {value:.3f}")
    _echo_written(written)


def _cluster_tree(centers, labels, n_clusters):
    import numpy as np

    from ..inspection import semantic_tree

    edges, weights = semantic_tree(centers)
    sizes = np.bincount(labels, minlength=n_clusters)
    return {"n_clusters": int(n_clusters),
            "sizes": [int(s) for s in sizes],
            "edges": [{"a": int(a), "b": int(b), "distance": float(w)}
                      for (a, b), w in zip(edges, weights)]}


def _tree_text(tree):
    lines = [f"semantic tree of {tree['n_clusters']} clusters (minimum spanning tree of the "
             "centroid distances)", "", "cluster  tiles"]
    lines += [f"{k:>7d}  {s:>5d}" for k, s in enumerate(tree["sizes"])]
    lines += ["", "edge        distance"]
    lines += [f"{e['a']:>3d} -- {e['b']:<3d}  {e['distance']:.4g}" for e in tree["edges"]]
    return "\n".join(lines) + "\n"


def _tiles_png(maps, truth_tiles, path, model):
    from .. import plotting

    n = len(maps)
    fig, axes = _figure(1, 2 if (truth_tiles is not None and n == 1) else n,
                        figsize=(4.2 * (2 if truth_tiles is not None and n == 1 else n), 4.2))
    if fig is None:
        click.echo("  (matplotlib is not installed: no PNG; pip install 'skstc[plot]')")
        return None
    if truth_tiles is not None and n == 1:
        plotting.plot_truth_and_clusters(truth_tiles, maps[0], axes=axes[0])
    else:
        plotting.plot_label_maps(maps, axes=axes[0], legend=True)
    fig.tight_layout()
    return _save_png(fig, path, model)


# --------------------------------------------------------------------------------------------
# skstc regimes
# --------------------------------------------------------------------------------------------
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("in_path", metavar="IN", type=click.Path(exists=True, path_type=Path))
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--variable", "variables", multiple=True,
              help="data variable(s) to cluster (repeat the option); default: every "
                   "variable with time, latitude and longitude dims.")
@click.option("--time-dim", default=None, help="time dim (default: found by name, e.g. "
                                               "time, valid_time).")
@click.option("--lat-dim", default=None, help="latitude dim (default: latitude, lat, y ...).")
@click.option("--lon-dim", default=None, help="longitude dim (default: longitude, lon, "
                                              "x ...).")
@click.option("--resample", default=None,
              help="average to this time frequency first, e.g. 1D for daily means.")
@click.option("--area-weighting", is_flag=True,
              help="multiply the fields by sqrt(cos(latitude)) before clustering, so each "
                   "grid cell counts by its area (composites stay unweighted).")
@click.option("-k", "--n-clusters", type=click.IntRange(min=1), default=None,
              help="number of regimes.")
@click.option("--embedding-dim", type=click.IntRange(min=1), default=None,
              help="size of the embedding (the code of each time step).")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="maximum epochs of the clustering phase (max_epochs).")
@click.option("--pretrain-epochs", type=click.IntRange(min=0), default=None,
              help="autoencoder pretraining epochs.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="mini-batch size.")
@click.option("--conv-channels", callback=_int_tuple, default=None,
              help="channels of the convolution blocks, e.g. 16,32,64 (each block halves "
                   "the grid: a 41x41 grid allows 5 blocks, 8x8 allows 3).")
@click.option("--lstm-hidden-size", type=click.IntRange(min=1), default=None,
              help="hidden size of the LSTM.")
@_format_option
@_engine_options
def regimes(in_path, out, variables, time_dim, lat_dim, lon_dim, resample, area_weighting,
            n_clusters,
            embedding_dim, epochs, pretrain_epochs, batch_size, conv_channels, lstm_hidden_size,
            fmt, seed, device, precision, threads, verbose):
    """Cluster the time steps of gridded fields into regimes (DeepSpatiotemporalClustering).

    IN is a netCDF file or zarr store of fields over (time, latitude, longitude), read with
    skstc.datasets.load_era5 (ensemble members become samples, levels become variables).
    Missing values are filled per variable (FieldNaNFiller). OUT is a folder that receives
    labels.nc (regime and soft assignments on the time coordinate), labels.csv, composites.nc
    (mean fields of each regime, in the input's units, with the regime frequencies),
    metrics.csv (cluster-quality metrics of the regimes and of k-means on the same fields)
    and composites.png.

    \b
    Example:
      skstc regimes era5.nc out/ --variable msl --variable vo850 -k 4 --resample 1D
    """
    import numpy as np
    import xarray as xr

    from .. import DeepSpatiotemporalClustering
    from ..datasets import load_era5
    from ..io import labels_to_csv

    ds = _open(in_path)
    _check_variables(ds, list(variables))
    _check_dims(ds, {"--time-dim": time_dim, "--lat-dim": lat_dim, "--lon-dim": lon_dim})
    try:
        fields = load_era5(ds, list(variables) or None, time_dim=time_dim, lat_dim=lat_dim,
                           lon_dim=lon_dim, resample=resample)
    except ValueError as exc:
        raise _input_error(exc, "The input", ds.dims,
                           "--time-dim/--lat-dim/--lon-dim") from exc
    fields = fields.load()
    names = list(fields.data_vars)
    X = fields
    if area_weighting:
        lat = fields["lat"]
        if not np.issubdtype(lat.dtype, np.number) or float(np.abs(lat).max()) > 90:
            raise click.UsageError("--area-weighting needs latitudes in degrees on the lat "
                                   "dim.")
        X = fields * np.sqrt(np.cos(np.deg2rad(lat)).clip(min=0))
    has_nan = any(bool(fields[v].isnull().any()) for v in names)
    if has_nan:
        from ..preprocessing import FieldNaNFiller

        X = FieldNaNFiller().fit_transform(X)
    params = _given(n_clusters=n_clusters, embedding_dim=embedding_dim, max_epochs=epochs,
                    pretrain_epochs=pretrain_epochs, batch_size=batch_size,
                    conv_channels=conv_channels, lstm_hidden_size=lstm_hidden_size)
    engine = _engine_params(seed, device, threads, verbose, precision)
    model = DeepSpatiotemporalClustering(**params, **engine)
    click.echo(f"DeepSpatiotemporalClustering on {', '.join(names)} {dict(fields.sizes)}")
    try:
        model.fit(X)
    except (ValueError, TypeError) as exc:
        raise _input_error(exc, "The fields", fields.dims,
                           "--time-dim/--lat-dim/--lon-dim") from exc
    labels = np.asarray(model.labels_).astype("int32")
    q = np.asarray(model.soft_assignments(X), dtype="float32")
    k = model.n_clusters
    time = fields["time"]
    result = xr.Dataset(
        {"regime": ("time", labels, {"long_name": "regime (cluster) of the time step"}),
         "q": (("time", "cluster"), q, {"long_name": "soft assignment to each regime"})},
        coords={"time": time, "cluster": np.arange(k)})
    result = result.assign_coords({c: fields[c] for c in fields.coords
                                   if c != "time" and fields[c].dims == ("time",)})
    regime = xr.DataArray(labels, dims="time", coords={"time": time}, name="regime")
    composites = fields.groupby(regime).mean("time")
    counts = np.bincount(labels, minlength=k)
    composites = composites.reindex(regime=np.arange(k))
    composites["frequency"] = ("regime", counts / len(labels),
                               {"long_name": "fraction of the time steps in the regime"})
    metrics = _regime_metrics(X, labels, k, seed)
    summary = {"input": str(in_path), "variables": names,
               "area_weighting": "sqrt(cos(latitude))" if area_weighting else "none"}
    out_dir = _out_dir(out)
    written = [
        _write(result, out_dir, "labels", fmt, estimator=model, attrs=summary),
        labels_to_csv(regime, out_dir / "labels.csv", estimator=model, attrs=summary,
                      columns={c: result[c].values for c in result.coords
                               if c != "time" and result[c].dims == ("time",)}),
        _write(composites, out_dir, "composites", fmt, estimator=model, attrs=summary),
    ]
    metrics_path = out_dir / "metrics.csv"
    with open(metrics_path, "w", newline="") as fh:
        from ..io import provenance

        for key, value in provenance(model, **summary).items():
            fh.write(f"# {key}: {value}\n")
        metrics.to_csv(fh)
    written.append(metrics_path)
    click.echo(metrics.to_string(float_format=lambda v: f"{v:.3f}"))
    fig, axes = _figure(len(names), k, figsize=(2.6 * k, 2.4 * len(names) + 0.4))
    if fig is not None:
        from ..plotting import plot_composites

        for row, name in enumerate(names):
            plot_composites(composites[name], axes=axes[row], title=name)
        written.append(_save_png(fig, out_dir / "composites.png", model))
    _echo_written(written)


def _regime_metrics(X, labels, k, seed):
    """Cluster-quality table of the regimes and of k-means on the same scaled fields."""
    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans

    from ..metrics import cluster_quality_scores
    from ..preprocessing import FieldMinMaxScaler
    from ..utils._inputs import parse_fields

    values, _ = parse_fields(X)  # (time, variable, lat, lon), dims found by name
    scaled = np.asarray(FieldMinMaxScaler().fit_transform(np.asarray(values)), dtype=np.float64)
    flat = scaled.reshape(len(scaled), -1)
    rows = {"DeepSpatiotemporalClustering": cluster_quality_scores(flat, labels)}
    km = KMeans(k, n_init=10, random_state=seed).fit_predict(flat)
    rows["KMeans (scaled fields)"] = cluster_quality_scores(flat, km)
    table = pd.DataFrame(rows).T
    table.index.name = "method"
    return table


# --------------------------------------------------------------------------------------------
# skstc objects fit | apply
# --------------------------------------------------------------------------------------------
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def objects():
    """Few-label classification of objects with a map and a time series.

    The input is a netCDF/zarr Dataset with a map per object (sample, y, x), a series per
    object (sample, time) and, for fit, a label per object (-1 = unlabelled).
    MultimodalConstrainedAE embeds the objects, LabelAugmenter adds labels inside pure
    clusters and fits a logistic regression on them.
    """


def _object_options(fn):
    options = [
        click.option("--map-var", default="fraction_map", show_default=True,
                     help="variable holding each object's map (sample, y, x)."),
        click.option("--series-var", default="area", show_default=True,
                     help="variable holding each object's series (sample, time)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _object_inputs(ds, map_var, series_var):
    """The Dataset with the variable names the estimator documents."""
    _check_variables(ds, [map_var], "--map-var")
    _check_variables(ds, [series_var], "--series-var")
    inputs = ds[[map_var, series_var]].rename({map_var: "fraction_map", series_var: "area"})
    if inputs["fraction_map"].ndim != 3:
        raise click.BadParameter(f"{map_var!r} has dims {ds[map_var].dims}; a map per object "
                                 "needs (sample, y, x).", param_hint="'--map-var'")
    if inputs["area"].ndim != 2:
        raise click.BadParameter(f"{series_var!r} has dims {ds[series_var].dims}; a series per "
                                 "object needs (sample, time).", param_hint="'--series-var'")
    return inputs


def _object_outputs(model, inputs, out_dir, attrs, y=None):
    """Embeddings (netCDF) and labels/predictions (netCDF + CSV) of the objects."""
    import numpy as np
    import xarray as xr

    from ..io import labels_to_csv, to_netcdf

    ae, aug = model.named_steps["embed"], model.named_steps["augment"]
    sample = inputs["fraction_map"].dims[0]
    coords = {sample: inputs[sample].values} if sample in inputs.coords else {}
    Z = np.asarray(ae.transform(inputs), dtype="float32")
    pred = np.asarray(model.predict(inputs))
    cluster = np.asarray(ae.predict(inputs)).astype("int32")
    data = {"embedding": ((sample, "embedding_dim"), Z),
            "predicted": (sample, pred), "cluster": (sample, cluster)}
    columns = {"predicted": pred, "cluster": cluster}
    if y is not None:
        data["label"] = (sample, y)
        data["augmented"] = (sample, np.asarray(aug.transduction_))
        columns = {"augmented": np.asarray(aug.transduction_), **columns}
    result = xr.Dataset(data, coords=coords)
    written = [to_netcdf(result, out_dir / "embeddings.nc", estimator=ae, attrs=attrs)]
    index = coords.get(sample)
    first = ("label", y) if y is not None else ("predicted", pred)
    columns.pop(first[0], None)
    written.append(labels_to_csv(xr.DataArray(first[1], dims=sample, coords=coords,
                                              name=first[0]),
                                 out_dir / "labels.csv", index=index, columns=columns,
                                 estimator=ae, attrs=attrs))
    return written


@objects.command("fit", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("in_path", metavar="IN", type=click.Path(exists=True, path_type=Path))
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path))
@_object_options
@click.option("--label-var", default="label", show_default=True,
              help="variable with each object's class (integer, -1 or NaN = unlabelled).")
@click.option("-k", "--n-clusters", type=click.IntRange(min=1), default=None,
              help="k-means clusters of the embedding (default: the estimator's).")
@click.option("--embedding-dim", type=click.IntRange(min=1), default=None,
              help="size of the embedding.")
@click.option("--conv-channels", callback=_int_tuple, default=None,
              help="convolution channels of the map encoder, e.g. 8,16.")
@click.option("--lstm-hidden-size", type=click.IntRange(min=1), default=None,
              help="LSTM hidden size of the series encoder.")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="training epochs of the autoencoder (max_epochs).")
@click.option("--augment-clusters", type=click.IntRange(min=1), default=None,
              help="k-means clusters of LabelAugmenter (default: the estimator's).")
@_engine_options
def objects_fit(in_path, out, map_var, series_var, label_var, n_clusters, embedding_dim,
                conv_channels, lstm_hidden_size, epochs, augment_clusters, seed, device,
                precision, threads, verbose):
    """Fit on objects with a few labels; save the model and the results in OUT.

    OUT receives model.skstc (embedder + label augmenter + classifier, written by
    skstc.save: data only, loading it never runs code), model.json (the variable names
    used), embeddings.nc (embedding, given/augmented/predicted labels and cluster per
    object) and labels.csv.

    \b
    Example:
      skstc objects fit lakes.nc out/ --label-var class --epochs 30
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import LabelAugmenter, MultimodalConstrainedAE, __version__

    ds = _open(in_path)
    inputs = _object_inputs(ds, map_var, series_var)
    _check_variables(ds, [label_var], "--label-var")
    raw = np.asarray(ds[label_var].values)
    if raw.ndim != 1 or len(raw) != inputs["fraction_map"].shape[0]:
        raise click.BadParameter(f"{label_var!r} must hold one label per object.",
                                 param_hint="'--label-var'")
    if raw.dtype.kind == "f":
        raw = np.where(np.isnan(raw), -1, raw)
    y = raw.astype("int64")
    if not (y >= 0).any():
        raise click.BadParameter(f"{label_var!r} has no labelled object (all -1).",
                                 param_hint="'--label-var'")
    spatial_shape = tuple(int(s) for s in inputs["fraction_map"].shape[1:])
    ae = MultimodalConstrainedAE(
        **_given(n_clusters=n_clusters, embedding_dim=embedding_dim,
                 conv_channels=conv_channels, lstm_hidden_size=lstm_hidden_size,
                 max_epochs=epochs),
        spatial_shape=spatial_shape, **_engine_params(seed, device, threads, verbose, precision))
    aug = LabelAugmenter(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                         **_given(n_clusters=augment_clusters), random_state=seed)
    model = Pipeline([("embed", ae), ("augment", aug)])
    click.echo(f"MultimodalConstrainedAE + LabelAugmenter on {len(y)} objects "
               f"({int((y >= 0).sum())} labelled)")
    try:
        model.fit(inputs, y)
    except (ValueError, TypeError) as exc:
        raise _input_error(exc, "The objects", inputs.dims, "--map-var/--series-var") from exc
    out_dir = _out_dir(out)
    attrs = {"input": str(in_path), "map_var": map_var, "series_var": series_var}
    _save_model(model, out_dir / MODEL_FILE)
    settings = {"map_var": map_var, "series_var": series_var, "skstc_version": __version__,
                "classes": [int(c) for c in np.unique(y[y >= 0])]}
    (out_dir / SETTINGS_FILE).write_text(json.dumps(settings, indent=2))
    written = [out_dir / MODEL_FILE, out_dir / SETTINGS_FILE]
    written += _object_outputs(model, inputs, out_dir, attrs, y=y)
    click.echo(f"  labels added by LabelAugmenter: {aug.n_augmented_}")
    _echo_written(written)


@objects.command("apply", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, dir_okay=False,
                                                                path_type=Path))
@click.argument("in_path", metavar="IN", type=click.Path(exists=True, path_type=Path))
@click.argument("out", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--map-var", default=None,
              help="map variable (default: the one used in fit, from model.json beside MODEL).")
@click.option("--series-var", default=None,
              help="series variable (default: the one used in fit, from model.json).")
def objects_apply(model_path, in_path, out, map_var, series_var):
    """Embed and classify new objects with a model saved by `skstc objects fit`.

    MODEL is the model.skstc written by fit (loading it never runs code). OUT receives
    embeddings.nc and labels.csv (predicted class and cluster per object).
    """
    from sklearn.pipeline import Pipeline

    try:
        model = _load_model(model_path)
    except (OSError, ValueError, TypeError) as exc:
        raise click.BadParameter(f"{model_path} is not a model written by "
                                 f"`skstc objects fit`: {exc}", param_hint="'MODEL'") from exc
    if not (isinstance(model, Pipeline) and "embed" in model.named_steps
            and "augment" in model.named_steps):
        raise click.BadParameter(f"{model_path} is not a model written by `skstc objects fit`.",
                                 param_hint="'MODEL'")
    settings_path = Path(model_path).with_name(SETTINGS_FILE)
    settings = (json.loads(settings_path.read_text()) if settings_path.is_file()
                else {"map_var": "fraction_map", "series_var": "area"})
    ds = _open(in_path)
    inputs = _object_inputs(ds, map_var or settings["map_var"],
                            series_var or settings["series_var"])
    try:
        written = _object_outputs(model, inputs, _out_dir(out),
                                  {"input": str(in_path), "model": str(model_path)})
    except (ValueError, TypeError) as exc:
        raise _input_error(exc, "The objects", inputs.dims, "--map-var/--series-var") from exc
    _echo_written(written)


# --------------------------------------------------------------------------------------------
# skstc demo
# --------------------------------------------------------------------------------------------
@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="save the figure to this PNG file (default: no file is written).")
@click.option("--seed", type=int, default=0, show_default=True, help="random_state.")
def demo(output, seed):
    """Run the quickstart: fit every estimator on a small synthetic dataset.

    Prints each estimator's scores against the planted truth and the simple baseline
    (under a minute or two on 2 CPU cores). Writes nothing unless --output is given.
    """
    from ..demo import main as demo_main

    argv = ["--random-state", str(seed)]
    if output is not None:
        argv += ["--output", str(output)]
    raise SystemExit(demo_main(argv))
