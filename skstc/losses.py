"""Loss functions as pure torch callables (triplet, constrained cosine pair, DEC KL)."""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
