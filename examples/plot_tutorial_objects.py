"""
Tutorial: classifying objects from a few labels
===============================================

Objects with a map and a time series, five labels per class, the rest unlabelled. The
objects are cut from the project's Sentinel-2 patch (``sentinel2_slovenia_ndvi.nc``): each
is a 9 x 9-pixel window (its map: the window's mean NDVI) and the NDVI series of its centre
pixel, labelled by the land use of the centre (forest, grassland, shrubland, artificial).
This is the layout of the water-body data of the paper (a fraction map and an area series per
lake); any Dataset with ``fraction_map (sample, y, x)`` and ``area (sample, time)`` works the
same way. When the file is not found (set ``SKSTC_DATA_DIR``), synthetic water bodies are
used instead.

Steps: build the objects' Dataset, fit :class:`skstc.MultimodalConstrainedAE` (the
embedding) and :class:`skstc.LabelAugmenter` (adds labels inside pure clusters, then trains a
classifier), compare with a logistic regression on the raw values trained on the same five
labels per class, check the added labels against the truth, and write the predictions.
"""

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skstc import LabelAugmenter, MultimodalConstrainedAE
from skstc.datasets import WATER_BODY_CLASSES, cut_objects, make_water_bodies
from skstc.io import labels_to_csv, to_netcdf
from skstc.plotting import plot_cluster_series, plot_history, plot_label_confusion
from skstc.preprocessing import split_modalities

# SKSTC_EXAMPLES_QUICK=1 (the test suite) runs the script with smaller data and budgets
QUICK = os.environ.get("SKSTC_EXAMPLES_QUICK") == "1"


def data_file(name):
    """The real file if it can be found, else None: in ``SKSTC_DATA_DIR`` when it is set,
    else in the ``shared/data`` folder beside the project."""
    here = Path(globals().get("__file__", "plot_tutorial_objects.py")).resolve().parent
    folders = ([os.environ["SKSTC_DATA_DIR"]] if os.environ.get("SKSTC_DATA_DIR") else
               [here.parent.parent / "shared" / "data", Path.cwd() / ".." / "shared" / "data"])
    for folder in folders:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


rng = np.random.RandomState(0)
path = data_file("sentinel2_slovenia_ndvi.nc")
if path is not None:
    # %%
    # Objects from the image time series
    # ----------------------------------
    # Clouds are interpolated along time first (objects must be complete), then up to 60
    # centre pixels per land-use class are drawn and cut into (map, series) objects.
    ds = xr.open_dataset(path)
    ndvi = ds["ndvi"].where(ds["is_valid"] == 1).interpolate_na("time")
    ndvi = ndvi.fillna(ndvi.mean("time")).fillna(float(ndvi.mean()))   # series ends
    lulc = ds["lulc"].values
    class_codes = {2: "forest", 3: "grassland", 4: "shrubland", 8: "artificial"}
    inner = np.zeros_like(lulc, dtype=bool)
    inner[4:-4, 4:-4] = True
    positions, y = [], []
    for label, code in enumerate(class_codes):
        rows, cols = np.nonzero((lulc == code) & inner)
        pick = rng.choice(len(rows), min(25 if QUICK else 60, len(rows)), replace=False)
        positions.append(np.column_stack([rows[pick], cols[pick]]))
        y.append(np.full(len(pick), label))
    positions, y = np.concatenate(positions), np.concatenate(y)
    maps, series = cut_objects(ndvi, positions, window=9)
    times = ndvi["time"].values
    class_names = list(class_codes.values())
    print(f"objects cut from {path.name}")
else:
    print("file not found: synthetic water bodies")
    X, y = make_water_bodies(100 if QUICK else 240, n_timesteps=36, map_size=9, random_state=0)
    maps, series = split_modalities(X, (9, 9))
    times = np.arange(series.shape[1])
    class_names = list(WATER_BODY_CLASSES)

objects = xr.Dataset({"fraction_map": (("sample", "y", "x"), maps),
                      "area": (("sample", "time"), series)},
                     coords={"sample": np.arange(len(y)), "time": times})
print(dict(objects.sizes), "objects per class:", np.bincount(y))

# %%
# Five labels per class
# ---------------------
y_few = np.full_like(y, -1)
for c in np.unique(y):
    y_few[rng.choice(np.flatnonzero(y == c), 5, replace=False)] = c
test = y_few == -1

# %%
# Embed, augment, classify
# ------------------------
# The embedding is trained on all objects (the labels pull same-class objects together);
# the augmenter's k-means propagates labels in clusters whose labelled members agree.
ae = MultimodalConstrainedAE(n_clusters=len(class_names), spatial_shape=(9, 9),
                             embedding_dim=32, conv_channels=(8, 16), lstm_hidden_size=32,
                             spatial_weight=0.01 * 4096 / 81, max_epochs=3 if QUICK else 40,
                             lr=3e-3, random_state=0)
augmenter = LabelAugmenter(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                           n_clusters=20, random_state=0)
model = make_pipeline(ae, augmenter).fit(objects, y_few)
predicted = model.predict(objects)

raw = np.column_stack([maps.reshape(len(maps), -1), series])
baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
baseline.fit(raw[~test], y_few[~test])
print(f"macro-F1 on the unlabelled objects: skstc "
      f"{f1_score(y[test], predicted[test], average='macro'):.3f}, logistic regression on "
      f"the raw values {f1_score(y[test], baseline.predict(raw[test]), average='macro'):.3f}")
added = (augmenter.transduction_ != -1) & test
if added.any():
    print(f"labels added: {added.sum()}, of which correct: "
          f"{(augmenter.transduction_[added] == y[added]).mean():.2f}")
else:
    print("labels added: none (no cluster was pure enough)")

# %%
# Check the added labels, and what the classes look like
# -------------------------------------------------------
# On these land-use objects a logistic regression on the raw values does better than the
# embedding with five labels per class (macro-F1 about 0.6 against 0.4 with these settings):
# keep such a baseline in every comparison on your own data;
# ``benchmarks/results/multimodal.md`` has the numbers on the project's data sets.
# -------------------------------------------------------
fig, axes = plt.subplots(1, 3, figsize=(15, 4), width_ratios=[1, 1.5, 1])
if added.any():
    shown = np.unique(np.r_[y[added], augmenter.transduction_[added]])
    plot_label_confusion(y[added], augmenter.transduction_[added],
                         class_names=[class_names[c] for c in shown], ax=axes[0])
plot_cluster_series(series, y, time=times, names=[f"{n} (n={(y == k).sum()})" for k, n in
                                                  enumerate(class_names)], ax=axes[1])
axes[1].set_ylabel("series (centre NDVI)" if path is not None else "area")
plot_history(ae.history_, keys=("train_loss", "constraint"), ax=axes[2])
fig.tight_layout()

# %%
# Write the results
# -----------------
workdir = Path(tempfile.mkdtemp(prefix="skstc_tutorial_"))
embedding = xr.DataArray(ae.transform(objects), dims=("sample", "embedding_dim"),
                         coords={"sample": objects["sample"]}, name="embedding")
print("wrote", to_netcdf(embedding, workdir / "embeddings.nc", estimator=ae))
print("wrote", labels_to_csv(predicted, workdir / "predicted.csv", index_name="sample",
                             columns={"given": y_few, "augmented": augmenter.transduction_},
                             estimator=ae))
