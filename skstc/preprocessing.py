"""Public transformers that turn raw spatiotemporal data into model input."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
