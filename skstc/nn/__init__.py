"""Pure torch modules (encoders, decoders, clustering heads).

Nothing under ``skstc.nn`` imports scikit-learn or xarray. Docstrings name tensor axes as
``(batch, channels, height, width)``, ``(batch, time, features)`` etc.
"""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
from ._dsc import ClusteringHead, CNNLSTMAutoencoder, DenseAutoencoder  # noqa: E402
