"""Clustering and semi-supervised metrics that complement :mod:`sklearn.metrics`."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
