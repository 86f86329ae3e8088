"""Default fits on every real file: the user code from file to figure, timed.

For each file of ``../shared/data`` (or ``$SKSTC_DATA_DIR``) the method the data README maps
it to runs as a user would write it: ``xarray.open_dataset`` (or a public ``skstc`` reader),
the estimator with its default parameters and only what the data requires (``n_clusters``,
the variables, masks of no-data values, a tile size that fits the image, the map shape),
and a figure from :mod:`skstc.plotting` (or matplotlib). Each snippet is a string in
``SNIPPETS`` made of three parts, run in one namespace from the data folder: ``load``,
``fit`` (the timed default fit) and ``plot``. Reported per file: the method, the default fit
time, the total time from file to figure (imports included, after a warm-up import of the
libraries) and the number of non-blank lines of the snippet.

Torch runs with one thread (``torch.set_num_threads(1)`` in this script, outside the
snippets, as ``n_threads=1`` would do), so that the times compare across machines with
other jobs.

Run ``python benchmarks/bench_defaults.py [--files NAME ...] [--out rows.jsonl]``; one JSON
row per file is printed, then the Markdown table.
"""

import argparse
import contextlib
import json
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA_DIR = Path(os.environ.get("SKSTC_DATA_DIR", REPO.parent / "shared" / "data"))

# ---------------------------------------------------------------------------------------------
# the user code, per file: (method, {"load": ..., "fit": ..., "plot": ...})
# ---------------------------------------------------------------------------------------------
_T2V_IMPORTS = """\
import xarray as xr
from skstc import Tile2VecSeriesKMeans
from skstc.plotting import plot_label_maps
"""

_DSC_IMPORTS = """\
from sklearn.pipeline import make_pipeline
from skstc import DeepSpatiotemporalClustering
from skstc.datasets import load_era5
from skstc.plotting import plot_composites
from skstc.preprocessing import FieldMinMaxScaler
"""

_SERIES_IMPORTS = """\
import numpy as np
import xarray as xr
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from skstc import LabelAugmenter, MultimodalConstrainedAE
from skstc.plotting import plot_label_confusion
from skstc.preprocessing import stack_modalities
"""


def _labelled_series(name, band):
    """Few-label protocol on a labelled series set: the series branch, 5 % of the labels."""
    return ("MultimodalConstrainedAE + LabelAugmenter", {
        "load": _SERIES_IMPORTS + f"""
ds = xr.open_dataset("{name}")
series = ds["values"].sel(band="{band}").values            # (sample, step)
classes, y = np.unique(ds["label"].values, return_inverse=True)
y_few = np.where(np.random.default_rng(0).random(len(y)) < 0.05, y, -1)  # 5 % labelled
X = stack_modalities(np.zeros((len(y), 1, 1)), series)      # no maps: a blank 1 x 1 map
""",
        "fit": """\
ae = MultimodalConstrainedAE(len(classes), spatial_shape=(1, 1), modalities="temporal")
model = make_pipeline(ae, LabelAugmenter(LogisticRegression(max_iter=2000))).fit(X, y_few)
""",
        "plot": """\
plot_label_confusion(y, model.predict(X), class_names=list(classes))
""",
    })


SNIPPETS = {
    "sentinel2_slovenia_ndvi.nc": ("Tile2VecSeriesKMeans", {
        "load": _T2V_IMPORTS + """
ds = xr.open_dataset("sentinel2_slovenia_ndvi.nc")
ndvi = ds["ndvi"].where((ds["is_valid"] == 1) & (ds["cloud_mask"] == 0))
""",
        "fit": """\
model = Tile2VecSeriesKMeans(n_clusters=5, tile_size=10).fit(ndvi)
""",
        "plot": """\
plot_label_maps(model.label_maps_[0], legend=True)
""",
    }),
    "sentinel2_slovenia_13band.nc": ("Tile2VecSeriesKMeans", {
        "load": _T2V_IMPORTS + """
ds = xr.open_dataset("sentinel2_slovenia_13band.nc")
reflectance = ds["reflectance"].sortby("time")              # scenes are not in time order
""",
        "fit": """\
model = Tile2VecSeriesKMeans(n_clusters=5, tile_size=10).fit(reflectance)
""",
        "plot": """\
plot_label_maps(model.label_maps_[0], legend=True)
""",
    }),
    "cbers4_awfi_2018.nc": ("Tile2VecSeriesKMeans", {
        "load": _T2V_IMPORTS + """\
from sklearn.pipeline import make_pipeline
from skstc.preprocessing import ImageBandScaler

ds = xr.open_dataset("cbers4_awfi_2018.nc")
dn = ds["reflectance"].where(ds["reflectance"] != -9999)    # digital numbers, no data -> NaN
""",
        "fit": """\
model = make_pipeline(ImageBandScaler(), Tile2VecSeriesKMeans(n_clusters=5, tile_size=5))
model.fit(dn)
""",
        "plot": """\
plot_label_maps(model[-1].label_maps_[0], legend=True)
""",
    }),
    "sinop_modis_2000_2017.nc": ("Tile2VecSeriesKMeans", {
        "load": _T2V_IMPORTS + """
ds = xr.open_dataset("sinop_modis_2000_2017.nc")
index = ds[["ndvi", "evi"]].to_dataarray("band").transpose("time", "band", "y", "x")
index = index.where(index != -3000) * 1e-4                  # scaled integers, no data -> NaN
""",
        "fit": """\
model = Tile2VecSeriesKMeans(n_clusters=4, tile_size=4).fit(index)
""",
        "plot": """\
plot_label_maps(model.label_maps_[0], legend=True)
""",
    }),
    "landsat_lsts_2008-2013.nc": ("Tile2VecSeriesKMeans", {
        "load": _T2V_IMPORTS + """
ds = xr.open_dataset("landsat_lsts_2008-2013.nc")
clear = (ds["reflectance"] != -9999) & ~ds["fmask"].isin([4, 255])   # no data, cloud, fill
reflectance = ds["reflectance"].where(clear) * 1e-4
""",
        "fit": """\
model = Tile2VecSeriesKMeans(n_clusters=5, tile_size=6).fit(reflectance)
""",
        "plot": """\
plot_label_maps(model.label_maps_[0], legend=True)
""",
    }),
    "formosat2_tempcnn_image.nc": ("Tile2VecSeriesKMeans", {
        "load": _T2V_IMPORTS + """\
from sklearn.pipeline import make_pipeline
from skstc.preprocessing import ImageBandScaler

ds = xr.open_dataset("formosat2_tempcnn_image.nc")
images = ds["values"].rename(step="time")                   # (time, band, y, x)
""",
        "fit": """\
model = make_pipeline(ImageBandScaler(), Tile2VecSeriesKMeans(n_clusters=3, tile_size=4))
model.fit(images)
""",
        "plot": """\
plot_label_maps(model[-1].label_maps_[0], legend=True)
""",
    }),
    "naip_cdl_tile2vec.nc": ("Tile2VecSeriesKMeans (one date, 8 scenes)", {
        "load": _T2V_IMPORTS + """
ds = xr.open_dataset("naip_cdl_tile2vec.nc")
scenes = (ds["image"] / 255).rename(scene="region").expand_dims("time", axis=1)
""",
        "fit": """\
model = Tile2VecSeriesKMeans(n_clusters=5, tile_size=50).fit(scenes)
""",
        "plot": """\
plot_label_maps(model.label_maps_, legend=True)
""",
    }),
    "era5_msl_vo850_djf2025-26_6h.nc": ("DeepSpatiotemporalClustering", {
        "load": _DSC_IMPORTS + """
fields = load_era5("era5_msl_vo850_djf2025-26_6h.nc", ["msl", "vo850"])
""",
        "fit": """\
model = make_pipeline(FieldMinMaxScaler(), DeepSpatiotemporalClustering(n_clusters=7))
model.fit(fields)
""",
        "plot": """\
regime = model[-1].labels_.rename("regime")
plot_composites(fields["msl"].groupby(regime).mean("time"), anomaly=True)
""",
    }),
    "era5_t2m_uk_2019-03_hourly.nc": ("DeepSpatiotemporalClustering", {
        "load": _DSC_IMPORTS + """
fields = load_era5("era5_t2m_uk_2019-03_hourly.nc", ["t2m"])
""",
        "fit": """\
model = make_pipeline(FieldMinMaxScaler(), DeepSpatiotemporalClustering(n_clusters=4))
model.fit(fields)
""",
        "plot": """\
regime = model[-1].labels_.rename("regime")
plot_composites(fields["t2m"].groupby(regime).mean("time"), anomaly=True)
""",
    }),
    "era5_levels_members_2017-01.nc": ("DeepSpatiotemporalClustering", {
        "load": _DSC_IMPORTS + """
fields = load_era5("era5_levels_members_2017-01.nc")       # members x dates, z/t per level
""",
        "fit": """\
model = make_pipeline(FieldMinMaxScaler(), DeepSpatiotemporalClustering(n_clusters=4))
model.fit(fields)
""",
        "plot": """\
regime = model[-1].labels_.rename("regime")
plot_composites(fields["z_500"].groupby(regime).mean("time"), anomaly=True)
""",
    }),
    "era5_daily_5cities_1990-1993.nc": ("DeepSpatiotemporalClustering (architecture=\"dec\")", {
        "load": """\
import matplotlib.pyplot as plt
import xarray as xr
from skstc import DeepSpatiotemporalClustering

ds = xr.open_dataset("era5_daily_5cities_1990-1993.nc")    # 24 variables at 5 cities
X = ds.to_dataarray("variable").transpose("time", "variable", "location")
X = X.values.reshape(ds.sizes["time"], -1)                  # no grid: one row per day
""",
        "fit": """\
model = DeepSpatiotemporalClustering(n_clusters=4, architecture="dec").fit(X)
""",
        "plot": """\
plt.scatter(ds["time"].values, ds["tas"].isel(location=0), c=model.labels_, s=4)
""",
    }),
    "sits_samples_modis_ndvi.nc": _labelled_series("sits_samples_modis_ndvi.nc", "NDVI"),
    "sits_cerrado_2classes.nc": _labelled_series("sits_cerrado_2classes.nc", "NDVI"),
    "sits_samples_l8_rondonia_2bands.nc": _labelled_series("sits_samples_l8_rondonia_2bands.nc",
                                                           "NDVI"),
    "formosat2_tempcnn_pixels.nc": ("MultimodalClassifier", {
        "load": """\
import numpy as np
import xarray as xr
from skstc import MultimodalClassifier
from skstc.plotting import plot_label_confusion
from skstc.preprocessing import stack_modalities

ds = xr.open_dataset("formosat2_tempcnn_pixels.nc")
nir, red = ds["values"].sel(band="nir"), ds["values"].sel(band="red")
ndvi = ((nir - red) / (nir + red)).values                   # (sample, step)
X = stack_modalities(np.zeros((len(ndvi), 1, 1)), ndvi)     # no maps: a blank 1 x 1 map
y, train = ds["label"].values, ds["split"].values == "train"
""",
        "fit": """\
clf = MultimodalClassifier(spatial_shape=(1, 1)).fit(X[train], y[train])
""",
        "plot": """\
plot_label_confusion(y[~train], clf.predict(X[~train]))
""",
    }),
}

# the objects stand-ins (a window map + the series of its centre pixel, labels from the
# file's class map) for MultimodalConstrainedAE, beside the image methods of the same files
_OBJECTS_IMPORTS = """\
import numpy as np
import xarray as xr
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from skstc import LabelAugmenter, MultimodalConstrainedAE
from skstc.datasets import cut_objects
from skstc.plotting import plot_label_confusion
from skstc.preprocessing import stack_modalities
"""

SNIPPETS.update({
    "sinop_modis_2000_2017.nc (objects)": ("MultimodalConstrainedAE + LabelAugmenter", {
        "load": _OBJECTS_IMPORTS + """
ds = xr.open_dataset("sinop_modis_2000_2017.nc")
ndvi = ds["ndvi"].where(ds["ndvi"] != -3000) * 1e-4         # scaled integers, no data -> NaN
ndvi = ndvi.interpolate_na("time").fillna(ndvi.mean("time"))  # gaps, then series ends
rows, cols = np.mgrid[4:36:3, 4:36:3].reshape(2, -1)        # an object every 3rd pixel
maps, series = cut_objects(ndvi, np.c_[rows, cols], window=9)
classes, y = np.unique(ds["svm_class"].isel(season=0).values[rows, cols],
                       return_inverse=True)
y_few = np.where(np.random.default_rng(0).random(len(y)) < 0.1, y, -1)  # 10 % labelled
X = stack_modalities(maps, series)
""",
        "fit": """\
ae = MultimodalConstrainedAE(len(classes), spatial_shape=(9, 9))
model = make_pipeline(ae, LabelAugmenter(LogisticRegression(max_iter=2000))).fit(X, y_few)
""",
        "plot": """\
plot_label_confusion(y, model.predict(X), class_names=list(classes))
""",
    }),
    "sentinel2_slovenia_ndvi.nc (objects)": ("MultimodalConstrainedAE + LabelAugmenter", {
        "load": _OBJECTS_IMPORTS + """
ds = xr.open_dataset("sentinel2_slovenia_ndvi.nc")
ndvi = ds["ndvi"].where((ds["is_valid"] == 1) & (ds["cloud_mask"] == 0))
ndvi = ndvi.interpolate_na("time").fillna(ndvi.mean("time"))  # gaps, then series ends
rows, cols = np.mgrid[4:97:3, 4:96:3].reshape(2, -1)        # an object every 3rd pixel
keep = ds["lulc"].values[rows, cols] > 0                     # land use 0 = no data
rows, cols = rows[keep], cols[keep]
classes, y = np.unique(ds["lulc"].values[rows, cols], return_inverse=True)
y_few = np.where(np.random.default_rng(0).random(len(y)) < 0.1, y, -1)  # 10 % labelled
X = stack_modalities(*cut_objects(ndvi, np.c_[rows, cols], window=9))
""",
        "fit": """\
ae = MultimodalConstrainedAE(len(classes), spatial_shape=(9, 9))
model = make_pipeline(ae, LabelAugmenter(LogisticRegression(max_iter=2000))).fit(X, y_few)
""",
        "plot": """\
plot_label_confusion(y, model.predict(X), class_names=list(classes))
""",
    }),
})

PARTS = ("load", "fit", "plot")


def snippet_code(parts):
    """The whole user code of a snippet, as one string."""
    return "".join(parts[p] for p in PARTS)


def count_lines(code):
    """Non-blank lines of user code."""
    return sum(1 for line in code.splitlines() if line.strip())


def run_snippet(name, method, parts, workdir):
    """Run the three parts in one namespace from ``workdir``; time the fit and the total."""
    import matplotlib.pyplot as plt

    namespace = {"__name__": f"snippet:{name}"}
    times, cpu = {}, {}
    old = Path.cwd()
    os.chdir(workdir)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for part in PARTS:
                t0, c0 = time.perf_counter(), time.process_time()
                exec(compile(parts[part], f"<{name}:{part}>", "exec"), namespace)
                times[part] = time.perf_counter() - t0
                cpu[part] = time.process_time() - c0
        error = None
    except Exception:
        error = traceback.format_exc(limit=3)
        caught = []
    finally:
        os.chdir(old)
        plt.close("all")
    row = dict(file=name, method=method, lines=count_lines(snippet_code(parts)),
               fit_seconds=round(times.get("fit", float("nan")), 1),
               fit_cpu_seconds=round(cpu.get("fit", float("nan")), 1),
               total_seconds=round(sum(times.values()), 1), error=error,
               warnings=sorted({str(w.message).split("\n")[0][:120] for w in caught}))
    return row


def markdown_table(rows):
    lines = ["| file | method | default fit (s) | fit CPU time (s) | file to figure (s) "
             "| lines of user code |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        if r["error"]:
            fit, cpu, total = "failed", "", ""
        else:
            fit, cpu = f"{r['fit_seconds']:.1f}", f"{r['fit_cpu_seconds']:.1f}"
            total = f"{r['total_seconds']:.1f}"
        lines.append(f"| `{r['file']}` | {r['method']} | {fit} | {cpu} | {total} "
                     f"| {r['lines']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", nargs="*", default=None,
                        help="snippet names to run (default: every file found)")
    parser.add_argument("--out", default=None, help="append the JSON rows to this file")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import torch

    torch.set_num_threads(1)
    # warm-up: the libraries' import time is not the snippets'
    with contextlib.redirect_stdout(sys.stderr):
        import sklearn.cluster  # noqa: F401
        import xarray  # noqa: F401

        import skstc  # noqa: F401
        import skstc.plotting  # noqa: F401
    names = args.files or list(SNIPPETS)
    unknown = [n for n in names if n not in SNIPPETS]
    if unknown:
        parser.error(f"unknown snippet(s) {unknown}; choose among {list(SNIPPETS)}")
    rows, t_start = [], time.perf_counter()
    for name in names:
        file = name.split(" ")[0]
        if not (DATA_DIR / file).is_file():
            print(json.dumps(dict(file=name, skipped="file not found")), flush=True)
            continue
        method, parts = SNIPPETS[name]
        row = run_snippet(name, method, parts, DATA_DIR)
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(json.dumps(row) + "\n")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s, torch threads "
          f"{torch.get_num_threads()}\n")
    print(markdown_table(rows))
    return rows


if __name__ == "__main__":
    main()
