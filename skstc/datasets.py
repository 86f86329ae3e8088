"""Synthetic generators (``make_*``, with ground truth) and readers (``load_*``)."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
