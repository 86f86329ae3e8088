"""
Weather regimes from gridded fields with DeepSpatiotemporalClustering
=====================================================================

A year of synthetic daily fields (3 variables on a 16x16 grid) is generated from four planted
weather regimes that persist for several days, on top of a seasonal cycle and noise. The
fields are min-max scaled per variable, as in the DSC paper, and clustered with
:class:`skstc.DeepSpatiotemporalClustering` (CNN-LSTM autoencoder + DEC clustering layer),
then compared with k-means on the raw fields using the paper's metrics. The figure shows the
planted and found regime sequences, the mean field of each cluster, and the training
history (loss and fraction of changed assignments at each target update).
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from skstc import DeepSpatiotemporalClustering
from skstc.datasets import make_climate_fields
from skstc.metrics import cluster_quality_scores, match_labels
from skstc.preprocessing import FieldMinMaxScaler

# SKSTC_EXAMPLES_QUICK=1 (the test suite) runs the script with smaller data and budgets
QUICK = os.environ.get("SKSTC_EXAMPLES_QUICK") == "1"

fields, regime = make_climate_fields(n_times=120 if QUICK else 365, n_regimes=4, n_variables=3,
                                     grid_shape=(16, 16), seasonal_amplitude=0.5,
                                     as_xarray=True, random_state=1)
scaled = FieldMinMaxScaler().fit_transform(fields).astype(np.float32)  # still a Dataset

dsc = DeepSpatiotemporalClustering(4, embedding_dim=8, conv_channels=(8, 16, 32),
                                   lstm_hidden_size=32,
                                   pretrain_epochs=2 if QUICK else 20,
                                   max_epochs=3 if QUICK else 30, n_threads=1,
                                   random_state=0)
labels = dsc.fit_predict(scaled)  # a DataArray on the time coordinate
X = np.stack([scaled[v].values for v in scaled.data_vars], axis=1)
kmeans = KMeans(4, n_init=10, random_state=0).fit_predict(X.reshape(len(X), -1))

for name, lab in (("DSC", dsc.labels_), ("k-means", kmeans)):
    scores = cluster_quality_scores(X, lab)
    print(f"{name:8s} ARI {adjusted_rand_score(regime, lab):.2f}  "
          + "  ".join(f"{k} {v:.3f}" for k, v in scores.items() if k != "n_clusters"))
print(f"DSC: {dsc.n_batches_} clustering iterations, converged={dsc.converged_}")

# %%
# Regime sequence, cluster mean fields (variable 0) and training history. Cluster ids are
# arbitrary: each cluster is renamed to the planted regime it is matched to (Hungarian
# matching) so that the two sequences and the panels line up.
matched = labels.copy(data=match_labels(regime.values, labels.values))
print(f"DSC: {np.mean(matched.values == regime.values):.0%} of the days in the matched regime")
fig = plt.figure(figsize=(11, 6))
ax = fig.add_subplot(2, 1, 1)
ax.step(regime["time"], regime + 0.15, where="mid", label="planted regime")
ax.step(matched["time"], matched - 0.15, where="mid", label="DSC cluster (matched id)")
ax.set_ylabel("regime / cluster")
ax.legend(loc="upper right", fontsize=8)
for k in range(4):
    axk = fig.add_subplot(2, 6, 7 + k)
    members = matched.values == k
    axk.imshow(X[members, 0].mean(0), cmap="RdBu_r", vmin=0, vmax=1)
    axk.set_title(f"cluster -> regime {k} (n={members.sum()})", fontsize=8)
    axk.set_xticks([])
    axk.set_yticks([])
axh = fig.add_subplot(2, 6, (11, 12))
hist = dsc.history_
axh.plot([h["train_loss"] for h in hist], label="loss")
cluster_epochs = [i for i, h in enumerate(hist) if h["phase"] == "cluster"]
axh.plot(cluster_epochs, [hist[i]["delta_label"] for i in cluster_epochs],
         label="changed assignments")
axh.axvline(cluster_epochs[0] - 0.5, color="grey", lw=0.8)
axh.set_xlabel("epoch (pretraining | clustering)")
axh.legend(fontsize=7)
fig.tight_layout()
plt.show()
