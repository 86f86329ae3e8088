"""scikit-learn's common estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

# Each entry: (estimator built with tiny settings, {check_name: reason it is expected to fail}).
ESTIMATORS = []

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
