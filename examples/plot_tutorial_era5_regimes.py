"""
Tutorial: weather regimes and their composites from ERA5 fields
===============================================================

From a netCDF file of gridded fields to regimes, composites and files on disk. The file is
the project's ERA5 extract (``era5_msl_vo850_djf2025-26_6h.nc``: mean sea-level pressure and
850 hPa vorticity, 6-hourly, winter 2025/26, global at 2.5 degrees); any CF file with
``(time, latitude, longitude)`` variables works the same way. When the file is not found (set
``SKSTC_DATA_DIR`` to the folder holding it), a synthetic file with the same layout is
written and used instead.

Steps: read with :func:`skstc.datasets.load_era5` (daily means), weight each grid cell by its
area, cluster the days with :class:`skstc.DeepSpatiotemporalClustering` next to k-means on the
same fields, compare them with the paper's metrics, draw the regime composites, compute an
area-weighted regional index, and write labels and composites with the model's parameters.
"""

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from skstc import DeepSpatiotemporalClustering
from skstc.datasets import load_era5, make_climate_fields
from skstc.io import labels_to_csv, to_netcdf
from skstc.metrics import cluster_quality_scores
from skstc.plotting import plot_composites, plot_history
from skstc.preprocessing import FieldMinMaxScaler

# SKSTC_EXAMPLES_QUICK=1 (the test suite) runs the script with smaller data and budgets
QUICK = os.environ.get("SKSTC_EXAMPLES_QUICK") == "1"


def data_file(name):
    """The real file if it can be found, else None: in ``SKSTC_DATA_DIR`` when it is set,
    else in the ``shared/data`` folder beside the project."""
    here = Path(globals().get("__file__", "plot_tutorial_era5_regimes.py")).resolve().parent
    folders = ([os.environ["SKSTC_DATA_DIR"]] if os.environ.get("SKSTC_DATA_DIR") else
               [here.parent.parent / "shared" / "data", Path.cwd() / ".." / "shared" / "data"])
    for folder in folders:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


workdir = Path(tempfile.mkdtemp(prefix="skstc_tutorial_"))   # results go here, not to the cwd
path = data_file("era5_msl_vo850_djf2025-26_6h.nc")
if path is None:
    synthetic, _ = make_climate_fields(n_times=360, n_regimes=4, n_variables=2,
                                       grid_shape=(36, 72), as_xarray=True, random_state=0)
    synthetic = synthetic.rename(var0="msl", var1="vo850", time="valid_time", lat="latitude",
                                 lon="longitude")
    synthetic = synthetic.assign_coords(valid_time=pd.date_range("2025-12-01", periods=360,
                                                                 freq="6h"))
    path = workdir / "synthetic_fields.nc"
    synthetic.to_netcdf(path)
print(f"reading {path.name}")

# %%
# Read
# ----
# ``load_era5`` finds the time, latitude and longitude dims by name and renames them
# ``time, lat, lon``; ``resample="1D"`` averages the 6-hourly steps to daily fields. A 2 x 2
# coarsening keeps this example fast on a CPU.
fields = load_era5(path, ["msl", "vo850"], resample="1D")
fields = fields.coarsen(lat=2, lon=2, boundary="trim").mean()
print(dict(fields.sizes))

# %%
# Area weighting
# --------------
# On a regular latitude-longitude grid, cells near the poles are small but as many as at the
# equator. Multiplying every field by ``sqrt(cos(latitude))`` makes each cell's share of a
# squared distance proportional to its area (the usual weighting of EOF analysis). The
# weighted fields are then min-max scaled per variable, as in the DSC paper (an affine map per
# variable, so the area weighting of squared distances is kept), and the deep model and the
# k-means baseline see the same scaled fields. Composites are computed from the unweighted
# fields.
weights = np.sqrt(np.cos(np.deg2rad(fields["lat"]))).clip(min=0)
scaled = FieldMinMaxScaler().fit_transform(fields * weights)    # still a Dataset

dsc = DeepSpatiotemporalClustering(n_clusters=4, embedding_dim=16, conv_channels=(8, 16, 32),
                                   lstm_hidden_size=32, pretrain_epochs=3 if QUICK else 10,
                                   max_epochs=3 if QUICK else 20,
                                   random_state=0).fit(scaled)
regime = xr.DataArray(np.asarray(dsc.labels_), dims="time", coords={"time": fields["time"]},
                      name="regime")

# k-means on the same fields: the baseline a regime study starts from
flat = np.stack([scaled[v].values for v in scaled.data_vars], axis=1).reshape(
    scaled.sizes["time"], -1)
km = KMeans(4, n_init=10, random_state=0).fit_predict(flat)
table = pd.DataFrame({"DSC": cluster_quality_scores(flat, dsc.labels_),
                      "k-means": cluster_quality_scores(flat, km)}).T
print(table[["silhouette", "davies_bouldin", "cluster_rmse"]].round(3))
print(f"agreement of DSC and k-means (ARI): {adjusted_rand_score(km, dsc.labels_):.2f}")

# %%
# Composites
# ----------
# The mean field of each regime, drawn as the departure from the mean of the regimes, with
# the share of days in each regime in the titles.
composites = fields.groupby(regime).mean("time")
# (a regime without days has no composite: the frequencies follow the composites' regimes)
frequency = regime.groupby(regime).count().rename("frequency") / regime.size
fig, axes = plt.subplots(2, 4, figsize=(14, 5))
for row, name in enumerate(["msl", "vo850"]):
    plot_composites(composites[name], axes=axes[row], anomaly=True, title=name,
                    frequency=frequency.values)

# %%
# An area-weighted regional index
# -------------------------------
# A spatial mean must weight each latitude row by ``cos(latitude)``: here the mean sea-level
# pressure anomaly of each regime over the North Atlantic (30-70 N, 300-360 E).
box = composites["msl"].sel(lat=slice(70, 30), lon=slice(300, 360))
anomaly = box - fields["msl"].sel(lat=slice(70, 30), lon=slice(300, 360)).mean("time")
index = anomaly.weighted(np.cos(np.deg2rad(box["lat"]))).mean(("lat", "lon"))
print("North Atlantic msl anomaly per regime (Pa):", index.values.round(1))

fig, ax = plt.subplots(figsize=(5, 3.2))
plot_history(dsc.history_, keys=("train_loss", "recon"), ax=ax)

# %%
# Write the results
# -----------------
# Labels on the time coordinate (netCDF and CSV) and the composites, each with the model's
# parameters and the skstc version in its attributes.
attrs = {"source": path.name, "weighting": "sqrt(cos(latitude))"}
for out in (labels_to_csv(regime, workdir / "regimes.csv", estimator=dsc, attrs=attrs),
            to_netcdf(regime, workdir / "regimes.nc", estimator=dsc, attrs=attrs),
            to_netcdf(composites.assign(frequency=frequency),
                      workdir / "composites.nc", estimator=dsc, attrs=attrs)):
    print("wrote", out)
