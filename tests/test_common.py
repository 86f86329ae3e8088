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

# --- DeepSpatiotemporalClustering (issue 5) ---


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
