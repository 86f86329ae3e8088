"""Private samplers: tile and triplet samplers, class-balanced pair batches.

Every sampler takes a :class:`torch.Generator` or :class:`numpy.random.RandomState`,
never the global RNG.
"""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
