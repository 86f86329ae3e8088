"""The bad-input catalogue over every public estimator and transformer (engine-level cases).

Each (estimator, case) ends in a clear ``ValueError``/``TypeError``/``NotFittedError`` raised
by skstc or scikit-learn, or in one of the documented handlings listed in ``HANDLED``; no
torch/numpy internal error escapes. ``KNOWN_SILENT`` lists the cases that still give a result
where an error is due (input-contract cases left to the shared input layer); they are strict
xfails, so fixing one makes the suite say so. The matrix runs the whole catalogue (about 260
fits of tiny models), so it is marked slow.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _bad_inputs_matrix import matrix, run  # noqa: E402

_CONVERTED = "converted to float like scikit-learn's check_array (documented: float32 compute)"
_NAN_OK = "NaN marks missing values, which this transformer fills or keeps (documented)"
_RESHAPER = ("ImageToTiles only cuts images into tiles (dtype-agnostic, like scikit-learn's "
             "PatchExtractor): values are passed through unchanged")
_KMEANS_WARNS = "identical samples: k-means warns that fewer distinct clusters were found"

HANDLED = {}
for _name in ("MultimodalConstrainedAE", "MultimodalClassifier", "LabelAugmenter",
              "Tile2VecSeriesKMeans", "DeepSpatiotemporalClustering", "FractionMapFeatures",
              "ImageBandScaler", "ImageToTiles", "TemporalGapFiller", "FieldNaNFiller",
              "FieldMinMaxScaler"):
    HANDLED[(_name, "float16")] = _CONVERTED
    HANDLED[(_name, "int_input")] = _CONVERTED
for _name in ("MultimodalConstrainedAE", "MultimodalClassifier", "LabelAugmenter",
              "TemporalGapFiller", "ImageToTiles"):
    HANDLED[(_name, "string_dtype")] = "numeric strings are " + _CONVERTED
for _name in ("MultimodalConstrainedAE", "MultimodalClassifier", "LabelAugmenter",
              "Tile2VecSeriesKMeans"):
    HANDLED[(_name, "constant")] = _KMEANS_WARNS
for _name in ("Tile2VecSeriesKMeans", "ImageBandScaler", "TemporalGapFiller", "FieldNaNFiller",
              "FieldMinMaxScaler"):
    HANDLED[(_name, "nan")] = _NAN_OK
    HANDLED[(_name, "predict_nan")] = _NAN_OK
for _case in ("nan", "inf", "one_sample", "string_dtype", "complex_dtype", "huge_1e30",
              "constant", "predict_nan", "predict_inf", "predict_huge"):
    HANDLED[("ImageToTiles", _case)] = _RESHAPER
HANDLED.update({
    ("MultimodalConstrainedAE", "y_all_unlabelled"): "warns and trains unsupervised",
    ("LabelAugmenter", "huge_1e30"): "float64 scikit-learn estimators handle 1e30",
    ("LabelAugmenter", "predict_huge"): "float64 scikit-learn estimators handle 1e30",
    ("LabelAugmenter", "n_clusters_gt_samples"): "n_clusters is capped at n_samples (documented)",
    ("Tile2VecSeriesKMeans", "one_sample"): "one date: series of length 1 are clustered",
    ("FractionMapFeatures", "one_sample"): "one object is a valid batch for a transformer",
    ("FractionMapFeatures", "constant"): "an all-land mask gives a zero fraction map",
    ("FractionMapFeatures", "predict_other_shape"): "masks of any shape are resized "
                                                     "(mask_shape=None, documented)",
    ("ImageBandScaler", "one_sample"): "one date is a valid image stack",
    ("ImageBandScaler", "huge_1e30"): "float64 statistics handle 1e30",
    ("ImageBandScaler", "predict_huge"): "float64 statistics handle 1e30",
    ("ImageBandScaler", "constant"): "a constant band gets scale 1 (StandardScaler's rule)",
    ("TemporalGapFiller", "one_sample"): "one series is a valid batch",
    ("TemporalGapFiller", "huge_1e30"): "interpolation in float64 handles 1e30",
    ("TemporalGapFiller", "predict_huge"): "interpolation in float64 handles 1e30",
    ("TemporalGapFiller", "constant"): "nothing to fill",
    ("FieldNaNFiller", "one_sample"): "one time step is a valid batch",
    ("FieldNaNFiller", "huge_1e30"): "float64 statistics handle 1e30",
    ("FieldNaNFiller", "predict_huge"): "float64 statistics handle 1e30",
    ("FieldNaNFiller", "constant"): "nothing to fill",
    ("FieldMinMaxScaler", "one_sample"): "one time step is a valid batch (range 0 -> scale "
                                         "of MinMaxScaler)",
    ("FieldMinMaxScaler", "huge_1e30"): "float64 statistics handle 1e30",
    ("FieldMinMaxScaler", "predict_huge"): "float64 statistics handle 1e30",
    ("FieldMinMaxScaler", "constant"): "a constant variable gets MinMaxScaler's zero-range rule",
})

KNOWN_SILENT = {
    ("FractionMapFeatures", "huge_1e30"): "mask values other than water/land/no-data are not "
                                          "refused (all-land output)",
    ("FractionMapFeatures", "predict_huge"): "same, at transform",
    ("ImageBandScaler", "empty"): "a stack with 0 dates fits mean 0 / scale 1",
    ("ImageBandScaler", "predict_inf"): "inf is passed through at transform (checked in fit)",
    ("FieldNaNFiller", "predict_inf"): "inf is passed through at transform",
    ("FieldMinMaxScaler", "predict_inf"): "inf is passed through at transform",
}

PARAMS = []
for _name, _case in matrix():
    marks = [pytest.mark.slow]
    if (_name, _case) in KNOWN_SILENT:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_SILENT[(_name, _case)]))
    PARAMS.append(pytest.param(_name, _case, marks=marks, id=f"{_name}-{_case}"))


@pytest.mark.parametrize("name, case", PARAMS)
def test_bad_input_gives_a_clear_error_or_documented_handling(name, case):
    outcome, detail = run(name, case)
    assert outcome != "internal", detail
    if (name, case) in HANDLED:
        assert outcome in ("ok", "warned"), (outcome, detail)
    else:
        assert outcome == "error", f"{outcome}: no error for {case} ({detail})"


def test_catalogue_size():
    cases = list(matrix())
    assert len(cases) >= 250
    assert not set(HANDLED) & set(KNOWN_SILENT)
