"""
Tutorial: a land-unit map from a Sentinel-2 NDVI time series
============================================================

From a netCDF file to a label map on disk. The file is the project's Sentinel-2 patch
(``sentinel2_slovenia_ndvi.nc``: NDVI on 68 dates over 101 x 100 pixels at 10 m, with a
validity mask ``is_valid`` and a land-use map ``lulc``); any file with a ``(time, y, x)``
variable works the same way. When the file is not found (set ``SKSTC_DATA_DIR`` to the folder
holding it), a synthetic file with the same layout is written and used instead.

Steps: read with xarray, mask clouds, scan the number of clusters, fit
:class:`skstc.Tile2VecSeriesKMeans` with CPU-sized settings next to its pixel baseline, draw
the clusters against the land use in one matched colour scheme, look at the NDVI course of
each cluster, and write the label map with the model's parameters in the file (netCDF;
GeoTIFF too when rioxarray is installed).
"""

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from sklearn.metrics import adjusted_rand_score

from skstc import Tile2VecSeriesKMeans
from skstc.datasets import make_image_sequence, tile_majority
from skstc.inspection import choose_n_clusters
from skstc.io import to_geotiff, to_netcdf
from skstc.plotting import (
    plot_choose_k,
    plot_cluster_series,
    plot_history,
    plot_truth_and_clusters,
)

# SKSTC_EXAMPLES_QUICK=1 (the test suite) runs the script with smaller data and budgets
QUICK = os.environ.get("SKSTC_EXAMPLES_QUICK") == "1"


def data_file(name):
    """The real file if it can be found, else None: in ``SKSTC_DATA_DIR`` when it is set,
    else in the ``shared/data`` folder beside the project."""
    here = Path(globals().get("__file__", "plot_tutorial_sentinel2.py")).resolve().parent
    folders = ([os.environ["SKSTC_DATA_DIR"]] if os.environ.get("SKSTC_DATA_DIR") else
               [here.parent.parent / "shared" / "data", Path.cwd() / ".." / "shared" / "data"])
    for folder in folders:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


workdir = Path(tempfile.mkdtemp(prefix="skstc_tutorial_"))   # results go here, not to the cwd
path = data_file("sentinel2_slovenia_ndvi.nc")
if path is None:
    # a stand-in with the same layout: one band over (time, y, x), a mask and a reference
    images, zones = make_image_sequence(n_regions=1, n_times=12, n_bands=1, height=100,
                                        width=100, n_zones=4, random_state=0)
    path = workdir / "synthetic_ndvi.nc"
    xr.Dataset({"ndvi": (("time", "y", "x"), images[0, :, 0]),
                "is_valid": (("time", "y", "x"), np.ones((12, 100, 100), dtype="uint8")),
                "lulc": (("y", "x"), zones[0] + 1)},
               coords={"y": 5e6 - 10.0 * np.arange(100), "x": 5e5 + 10.0 * np.arange(100)},
               attrs={"crs": "EPSG:32633"}).to_netcdf(path)
print(f"reading {path.name}")

# %%
# Read and mask
# -------------
# Pixels flagged invalid (clouds, no data) become NaN; the estimator keeps tiles with too
# many missing pixels out of its training triplets and fills the rest.
ds = xr.open_dataset(path)
ndvi = ds["ndvi"].where(ds["is_valid"] == 1)
print(ndvi.sizes, f"missing: {float(ndvi.isnull().mean()):.0%}")

# %%
# How many clusters?
# ------------------
# :func:`skstc.inspection.choose_n_clusters` fits a model for each k and three seeds and
# reports the elbow of the within-cluster error, the silhouette and the stability across
# seeds. On the pixel baseline it takes a second; the same call on the Tile2Vec model with
# ``refine=False`` trains one encoder per seed and re-clusters its embedding for every k. On
# the real patch no k stands out (the silhouette is low and flat), so we keep one cluster per
# land-use class present, five.
scan = choose_n_clusters(Tile2VecSeriesKMeans(tile_size=10, representation="pixel_mean"),
                         ndvi, n_clusters=range(2, 9), n_seeds=3, random_state=0)
print(scan.table.round(3).to_string(index=False))
print(f"suggested k: {scan.suggested_k} (knee of the inertia: {scan.knee_k})")
fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
plot_choose_k(scan, axes=axes)
fig.tight_layout()

# %%
# Fit, next to the pixel baseline
# -------------------------------
# Tiles of 10 x 10 pixels; a small encoder and budget that fit in about a minute on a CPU
# (the class defaults are the paper-sized network, meant for a GPU).
settings = dict(n_clusters=5, tile_size=10, random_state=0)
model = Tile2VecSeriesKMeans(**settings, embedding_dim=16, n_blocks=(1, 1, 1), base_width=16,
                             n_triplets=200 if QUICK else 2000, max_epochs=1 if QUICK else 3,
                             refine_epochs=1 if QUICK else 2).fit(ndvi)
pixel = Tile2VecSeriesKMeans(**settings, representation="pixel_mean").fit(ndvi)

# %%
# Against the land-use map
# ------------------------
# The reference per tile is the majority land use (0 = no data does not vote). Clusters are
# matched one to one to the classes and drawn in their colours.
truth = tile_majority(ds["lulc"].values, 10, ignore=0)
names = {1: "cultivated", 2: "forest", 3: "grassland", 4: "shrubland", 8: "artificial"}
ok = truth.ravel() >= 0
for label, est in (("Tile2Vec", model), ("pixel baseline", pixel)):
    ari = adjusted_rand_score(truth.ravel()[ok], est.labels_[ok])
    print(f"ARI against the land use, {label}: {ari:.3f}")

fig, axes = plt.subplots(2, 2, figsize=(8.5, 8))
plot_truth_and_clusters(truth, model.label_maps_[0], class_names=names, axes=axes[0],
                        titles=("land use (tile majority)", "Tile2Vec clusters (matched)"))
plot_truth_and_clusters(truth, pixel.label_maps_[0], class_names=names, axes=axes[1],
                        titles=("land use (tile majority)", "pixel baseline (matched)"))
fig.tight_layout()

# %%
# What the clusters are
# ---------------------
# The mean NDVI course of each cluster (tile means, spread = one standard deviation) and the
# training curves of the two phases (encoder on spatial triplets, then refinement on triplets
# drawn from the clusters).
tile_ndvi = ndvi.coarsen(y=10, x=10, boundary="trim").mean()        # (time, 10, 10)
series = tile_ndvi.transpose("y", "x", "time").values.reshape(-1, tile_ndvi.sizes["time"])
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6), width_ratios=[1.6, 1])
plot_cluster_series(series, model.labels_, time=tile_ndvi["time"].values, ax=axes[0])
axes[0].set_ylabel("NDVI (tile mean)")
plot_history(model.history_, ax=axes[1])
fig.tight_layout()

# %%
# Write the result
# ----------------
# The label map keeps the tile-centre coordinates and the file's CRS; the parameters and the
# skstc version go into the attributes.
result = model.label_maps_[0].to_dataset(name="cluster")
result["land_use"] = (("y", "x"), truth)
out = to_netcdf(result, workdir / "ndvi_clusters.nc", estimator=model,
                attrs={"crs": ds.attrs.get("crs", ""), "source": path.name})
print("wrote", out, list(xr.open_dataset(out).attrs)[:3])
try:
    print("wrote", to_geotiff(result["cluster"], workdir / "ndvi_clusters.tif",
                              crs=ds.attrs.get("crs"), estimator=model))
except ImportError:
    print("GeoTIFF skipped: pip install 'skstc[geo]'")
