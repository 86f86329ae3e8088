"""scikit-learn's common estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

# Each entry: (estimator built with tiny settings, {check_name: reason it is expected to fail}).
ESTIMATORS = []

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skstc import LabelAugmenter, MultimodalClassifier, MultimodalConstrainedAE  # noqa: E402

_TINY_MM = dict(spatial_shape=(1, 1), embedding_dim=4, channels=(2,), hidden_size=4,
                max_epochs=1, n_threads=1, random_state=0)
_MINUS_ONE = ("-1 marks unlabelled rows (scikit-learn's semi-supervised convention), so the "
              "check's binary target {-1, 1} has only one labelled class")
ESTIMATORS += [
    (MultimodalConstrainedAE(3, **_TINY_MM), {
        "check_fit2d_1feature": "one feature cannot hold a map (spatial_shape=(1, 1)) and a "
                                "series of at least one step; a clear ValueError is raised",
    }),
    (MultimodalClassifier(hidden_units=8, **dict(_TINY_MM, embedding_dim=8, max_epochs=10,
                                                  lr=3e-2)), {
        "check_classifiers_classes": _MINUS_ONE,
        "check_fit2d_1feature": "one feature cannot hold a map (spatial_shape=(1, 1)) and a "
                                "series of at least one step; a clear ValueError is raised",
    }),
    (LabelAugmenter(LogisticRegression(), n_clusters=3, random_state=0),
     {"check_classifiers_classes": _MINUS_ONE}),
]

# --- Tile2VecSeriesKMeans (issue 4) ---
from sklearn.cluster import KMeans  # noqa: E402

from skstc import Tile2VecSeriesKMeans  # noqa: E402

# A 2-D array is read as one tile sequence per row (tile_size=1: one pixel, one date,
# n_features bands) laid on a single-column grid; see the class Notes.
ESTIMATORS.append((
    Tile2VecSeriesKMeans(3, tile_size=1, embedding_dim=4, n_blocks=(1,), base_width=4,
                         n_triplets=16, batch_size=16, max_epochs=1, refine_epochs=1,
                         clusterer=KMeans(n_init=3), n_threads=1, random_state=0),
    {},
))

# --- DeepSpatiotemporalClustering (issue 5) ---
from skstc import DeepSpatiotemporalClustering  # noqa: E402
from skstc.preprocessing import FieldMinMaxScaler, FieldNaNFiller  # noqa: E402

# 2-D input without input_shape is read as one variable per column (1x1 grid), so these are
# the per-column imputer/scaler there; with NaN filling and a mask channel too.
ESTIMATORS += [
    (FieldNaNFiller(), {}),
    (FieldNaNFiller(strategy="overall_mean", add_mask=True), {}),
    (FieldMinMaxScaler(), {}),
    (FieldMinMaxScaler(per="cell", feature_range=(-1, 1)), {}),
]

ESTIMATORS.append((
    # 2-D input without input_shape is read as n_features variables on a 1x1 grid, so a
    # single convolution block (no pooling) is used.
    DeepSpatiotemporalClustering(n_clusters=3, latent_dim=3, conv_channels=(4,), lstm_hidden=4,
                                 pretrain_epochs=2, max_epochs=2, batch_size=16, n_init=2,
                                 lr=1e-2, n_threads=1, random_state=0),
    {},
))


def _expected_failed_checks(estimator):
    for est, failures in ESTIMATORS:
        if est is estimator:
            return failures
    return {}


def test_every_expected_failure_has_a_reason():
    for est, failures in ESTIMATORS:
        for check, reason in failures.items():
            assert isinstance(reason, str) and len(reason) > 20, (type(est).__name__, check)


@parametrize_with_checks(
    [est for est, _ in ESTIMATORS], expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
