"""
Semantic partitions of regions from image time series with Tile2VecSeriesKMeans
===============================================================================

Two synthetic regions are observed on 6 dates. Four land zones are planted; zones 0/1 and
2/3 have the same mean band values through the seasons and differ only by texture, so a
pixel-based baseline (mean band values per tile) cannot separate them while a tile encoder
can. We fit :class:`skstc.Tile2VecSeriesKMeans`, compare it with the baseline, and draw the
paper's analysis figures: cluster maps coloured by PCA of the centroids, the representative
tile sequence (medoid) of each cluster, the nearest real tiles along the path between two
centroids, the MDS projection of the tile series and the semantic tree (minimum spanning
tree of centroid distances, node size = cluster size).
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import adjusted_rand_score

from skstc import Tile2VecSeriesKMeans
from skstc.datasets import make_image_sequence, tile_majority
from skstc.inspection import (
    centroid_interpolation,
    cluster_representatives,
    mds_projection,
    pca_colors,
    semantic_tree,
)
from skstc.metrics import geographic_silhouette, kmeans_error
from skstc.plotting import plot_label_maps, plot_mds, plot_semantic_tree
from skstc.preprocessing import ImageToTiles

# SKSTC_EXAMPLES_QUICK=1 (the test suite) runs the script with smaller data and budgets
QUICK = os.environ.get("SKSTC_EXAMPLES_QUICK") == "1"

# %%
# Data and models
# ---------------
images, zones = make_image_sequence(n_regions=2, n_times=6, n_bands=3, height=64, width=64,
                                    n_zones=4, random_state=3)
truth = np.concatenate([tile_majority(z, 8).ravel() for z in zones])

model = Tile2VecSeriesKMeans(4, tile_size=8, embedding_dim=16, n_blocks=(1, 1, 1),
                             base_width=8, n_triplets=128 if QUICK else 1024, batch_size=64,
                             max_epochs=1 if QUICK else 5, refine_epochs=1 if QUICK else 3,
                             margin=1.0, n_threads=1, random_state=0)
model.fit(images)
baseline = Tile2VecSeriesKMeans(4, tile_size=8, representation="pixel_mean", random_state=0)
baseline.fit(images)

print(f"ARI vs planted zones: Tile2Vec {adjusted_rand_score(truth, model.labels_):.2f} "
      f"(before refinement {adjusted_rand_score(truth, model.geographic_labels_):.2f}), "
      f"pixel baseline {adjusted_rand_score(truth, baseline.labels_):.2f}")
print("geographic silhouette per region:",
      [round(geographic_silhouette(m), 3) for m in model.label_maps_])
series = model.transform(images)
# distances between tile series as in the paper (Eq. 3): per-date Euclidean distances summed
# over the dates, used below by the metrics and the inspection tools
T = model.n_times_
print(f"K-means error of the series: "
      f"{kmeans_error(series, model.labels_, metric='series', n_times=T):.3f}")

# %%
# Cluster maps and the semantic tree
# ----------------------------------
# Clusters are coloured by the first three principal components of their centroids, so
# similar clusters get similar colours; the tree links the closest centroids.
colors = pca_colors(series, model.cluster_centers_, random_state=0)
sizes = np.bincount(model.labels_, minlength=4)
edges, weights = semantic_tree(model.cluster_centers_, metric="series", n_times=T)
print("semantic tree edges:", edges.tolist(), "lengths:", np.round(weights, 2).tolist())

fig, axes = plt.subplots(1, 5, figsize=(17, 3.4))
plot_label_maps([tile_majority(z, 8) for z in zones], titles=["true zones 1", "true zones 2"],
                axes=axes[:2])
plot_label_maps(model.label_maps_, colors=colors, titles=["clusters 1", "clusters 2"],
                axes=axes[2:4])
plot_semantic_tree(model.cluster_centers_, sizes, colors=colors, ax=axes[4],
                   metric="series", n_times=T)
axes[4].set_title("semantic tree")
fig.tight_layout()

# %%
# Representatives and interpolation
# ---------------------------------
# The representative of a cluster is its real tile sequence nearest the centroid (first
# three bands as RGB, one column per date). The last row walks from the centroid of cluster
# 0 to the one of the cluster farthest from it and shows the nearest real tile at each step.
tiles = ImageToTiles(tile_size=8).fit_transform(images).reshape(len(series), 6, 3, 8, 8)
lo, hi = np.nanpercentile(images, [1, 99])


def rgb(tile):
    return np.clip((np.moveaxis(tile[:3], 0, -1) - lo) / (hi - lo), 0, 1)


reps = cluster_representatives(series, model.labels_, model.cluster_centers_,
                               metric="series", n_times=T)
far = int(np.argmax(((model.cluster_centers_ - model.cluster_centers_[0]) ** 2).sum(1)))
w, _, path = centroid_interpolation(series, model.cluster_centers_[0],
                                    model.cluster_centers_[far], n_steps=6,
                                    metric="series", n_times=T)
fig, axes = plt.subplots(5, 6, figsize=(9, 7.5))
for k, idx in enumerate(reps):
    for t in range(6):
        axes[k, t].imshow(rgb(tiles[idx, t]), interpolation="nearest")
        axes[k, t].set_title(f"date {t}" if k == 0 else "", fontsize=8)
    axes[k, 0].set_ylabel(f"cluster {k}\n(tile {idx})", fontsize=8, color=colors[k])
for j, idx in enumerate(path):
    axes[4, j].imshow(rgb(tiles[idx, 0]), interpolation="nearest")
    axes[4, j].set_xlabel(f"w={w[j]:.1f}: cl. {model.labels_[idx]}", fontsize=8)
axes[4, 0].set_ylabel(f"0 -> {far}\n(date 0)", fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("representative tile sequences; interpolation between centroids")
fig.tight_layout()

# %%
# MDS projection of the tile series
# ---------------------------------
embedding, idx = mds_projection(series, max_samples=40 if QUICK else 100, metric="series",
                                n_times=T, random_state=0)
fig, ax = plt.subplots(figsize=(4, 4))
plot_mds(embedding, model.labels_[idx], colors=colors, ax=ax)
ax.set_title("MDS of tile series")
plt.show()
