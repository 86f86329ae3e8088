"""scikit-learn's common estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

# Each entry: (estimator built with tiny settings, {check_name: reason it is expected to fail}).
ESTIMATORS = []

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier ---
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skstc import LabelAugmenter, MultimodalClassifier, MultimodalConstrainedAE  # noqa: E402
from skstc.preprocessing import FractionMapFeatures  # noqa: E402

_TINY_MM = dict(spatial_shape=(1, 1), embedding_dim=4, conv_channels=(2,), lstm_hidden_size=4,
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
    # a 2-D row is the monthly mask series of a one-pixel object (mask_shape=None); the
    # checks feed continuous values, which the default (water/land/no-data codes only)
    # refuses, so every other value counts as no data here; every common check passes
    (FractionMapFeatures(nodata_value=None), {}),
]

# --- Tile2VecSeriesKMeans ---
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
# --- TilePixelKMeans (baseline of Tile2VecSeriesKMeans, same 2-D reading) ---
from skstc.baselines import TilePixelKMeans  # noqa: E402

ESTIMATORS += [(TilePixelKMeans(3, tile_size=1, n_init=3, random_state=0), {}),
               (TilePixelKMeans(3, tile_size=1, method="pca", n_components=2, n_init=3,
                                random_state=0), {})]

from skstc.preprocessing import ImageBandScaler, ImageToTiles  # noqa: E402

# ImageBandScaler scales a 2-D array per column (StandardScaler's rules, NaN kept): all checks
# apply. ImageToTiles only reads image stacks (pixels -> rows of tiles, like scikit-learn's
# PatchExtractor) and says so with the input_tags.two_d_array=False tag, so scikit-learn runs
# only check_estimator_cloneable on it; the rest of its API is tested in
# tests/test_preprocessing_images.py::test_image_to_tiles_api.
ESTIMATORS += [(ImageBandScaler(), {}), (ImageToTiles(tile_size=2), {})]
from skstc.preprocessing import TemporalGapFiller  # noqa: E402

# TemporalGapFiller reads a 2-D array as one series per row over n_features equally spaced
# dates (filled along the columns): all checks apply.
ESTIMATORS += [(TemporalGapFiller(), {}), (TemporalGapFiller(method="nearest", max_gap=2), {})]

# --- DeepSpatiotemporalClustering ---
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
    DeepSpatiotemporalClustering(n_clusters=3, embedding_dim=3, conv_channels=(4,), lstm_hidden_size=4,
                                 pretrain_epochs=2, max_epochs=2, batch_size=16, n_init=2,
                                 lr=1e-2, n_threads=1, random_state=0),
    {},
))


from skstc.baselines import EOFKMeans  # noqa: E402

# 2-D input without input_shape: n_features variables on a 1x1 grid (as DSC reads it)
ESTIMATORS += [(EOFKMeans(n_clusters=3, n_eofs=2, random_state=0), {}),
               (EOFKMeans(n_clusters=3, n_eofs=None, anomalies=None, area_weighting=False,
                          random_state=0), {})]


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


def _public_estimator_classes():
    import inspect

    from sklearn.base import BaseEstimator

    import skstc
    import skstc.preprocessing

    found = [getattr(skstc, name) for name in skstc.__all__]
    found += [obj for _, obj in inspect.getmembers(skstc.preprocessing, inspect.isclass)
              if obj.__module__ == "skstc.preprocessing" and not obj.__name__.startswith("_")]
    return [cls for cls in found if inspect.isclass(cls) and issubclass(cls, BaseEstimator)]


def test_docstrings_document_every_parameter_in_order():
    """numpydoc ``Parameters`` of every public estimator == its ``__init__`` signature."""
    import inspect

    docscrape = __import__("pytest").importorskip("numpydoc.docscrape")
    for cls in _public_estimator_classes():
        params = [name for name, p in inspect.signature(cls.__init__).parameters.items()
                  if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        documented = []
        for entry in docscrape.NumpyDocString(inspect.getdoc(cls))["Parameters"]:
            documented += [name.strip() for name in entry.name.split(",")]
        assert documented == params, cls.__name__


def test_every_public_estimator_is_checked():
    checked = {type(est) for est, _ in ESTIMATORS}
    missing = [cls.__name__ for cls in _public_estimator_classes() if cls not in checked]
    assert not missing, f"public estimators missing from ESTIMATORS: {missing}"
