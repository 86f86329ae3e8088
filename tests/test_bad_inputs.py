"""The bad-input catalogue over every public estimator and transformer.

Each (estimator, case) ends in a clear ``ValueError``/``TypeError``/``NotFittedError`` raised
by skstc or scikit-learn, or in one of the documented handlings listed in ``HANDLED``
(``tests/_bad_inputs_matrix.py``); no torch/numpy/xarray internal error escapes, and the
handlings that promise a result (dims or variables in another order, dask computed as numpy)
are checked against the result on the canonical form. ``KNOWN_SILENT`` lists cases that still
give a result where an error is due, as strict xfails. The whole catalogue (over 400 cases,
many of them tiny fits) is marked slow; ``FAST`` is a representative subset run by default.
``python tests/_bad_inputs_matrix.py`` prints the whole matrix and its counts.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _bad_inputs_matrix import HANDLED, KNOWN_SILENT, matrix, run  # noqa: E402

# default-suite subset: every case of the cheap transformers, and on the others the input-layer
# cases (xarray dims/variables by name, dask chunks, labels) that end before any training
_CHEAP = ("FieldNaNFiller", "ImageBandScaler", "FractionMapFeatures", "ImageToTiles")
FAST = {
    ("MultimodalConstrainedAE", "ds_missing_variable"),
    ("MultimodalConstrainedAE", "dask_unknown_chunks"),
    ("MultimodalConstrainedAE", "huge_1e300"),
    ("MultimodalConstrainedAE", "y_minus_two"),
    ("MultimodalClassifier", "y_strings_with_none"),
    ("LabelAugmenter", "dask_unknown_chunks_predict"),
    ("Tile2VecSeriesKMeans", "dask_unknown_chunks"),
    ("Tile2VecSeriesKMeans", "xr_misnamed_dim"),
    ("Tile2VecSeriesKMeans", "huge_1e300"),
    ("DeepSpatiotemporalClustering", "xr_missing_dim"),
    ("DeepSpatiotemporalClustering", "dask_unknown_chunks"),
    ("TemporalGapFiller", "predict_inf"),
    ("FieldMinMaxScaler", "predict_inf"),
    ("FieldMinMaxScaler", "predict_dims_permuted"),
    ("FieldMinMaxScaler", "predict_ds_variable_order"),
    ("FieldMinMaxScaler", "predict_da_variable_order"),
    ("FieldMinMaxScaler", "predict_ds_misnamed_variable"),
    ("EOFKMeans", "predict_da_variable_order"),
    ("TilePixelKMeans", "huge_1e30"),
    ("TilePixelKMeans", "dask_unknown_chunks_predict"),
    # one fit each: predictions on dims/variables in another order equal the fitted order's
    ("MultimodalConstrainedAE", "predict_dims_permuted"),
    ("DeepSpatiotemporalClustering", "predict_ds_variable_order"),
    ("Tile2VecSeriesKMeans", "predict_dims_permuted"),
    ("TilePixelKMeans", "predict_dims_permuted"),
}

PARAMS = []
for _name, _case in matrix():
    fast = _name in _CHEAP or (_name, _case) in FAST
    marks = [] if fast else [pytest.mark.slow]
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
    assert len(cases) >= 303
    assert len(set(cases)) == len(cases)
    assert not set(HANDLED) & set(KNOWN_SILENT)
    assert FAST <= set(cases)
    assert set(HANDLED) <= set(cases)


# ---- the fixes behind the matrix, one behaviour each ---------------------------------------
def test_fraction_map_mask_codes_are_checked_unless_nodata_value_is_none():
    import numpy as np

    from skstc.preprocessing import FractionMapFeatures

    masks = np.ones((2, 3, 4, 4), dtype=np.uint8)
    masks[0, :, :2] = 2
    masks[1, 0, 0, 0] = 3  # e.g. a cloud code
    with pytest.raises(ValueError, match=r"value\(s\) \[3\].*nodata_value=0"):
        FractionMapFeatures(map_size=4).fit(masks)
    loose = FractionMapFeatures(map_size=4, nodata_value=None).fit_transform(masks)
    coded = FractionMapFeatures(map_size=4, nodata_value=3).fit_transform(masks)
    np.testing.assert_array_equal(loose, coded)  # 3 counts as no data (not water) in both
    fitted = FractionMapFeatures(map_size=4).fit(np.where(masks == 3, 0, masks))
    with pytest.raises(ValueError, match=r"\[3\]"):
        fitted.transform(masks)


def test_image_band_scaler_refuses_inf_at_transform_lazily_for_dask():
    import dask.array as da
    import numpy as np

    from skstc.preprocessing import ImageBandScaler

    X = np.random.RandomState(0).rand(3, 2, 8, 8)
    sc = ImageBandScaler().fit(X)
    bad = X.copy()
    bad[1, 0, 2, 2] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        sc.transform(bad)
    lazy = sc.transform(da.from_array(bad, chunks=(1, 2, 8, 8)))
    assert hasattr(lazy, "compute")  # still lazy
    with pytest.raises(ValueError, match="infinity"):
        lazy.compute()
    np.testing.assert_allclose(sc.transform(da.from_array(X, chunks=(1, 2, 8, 8))).compute(),
                               sc.transform(X))


def test_image_band_scaler_keeps_1e30_and_refuses_what_float32_cannot_hold():
    import numpy as np

    from skstc.preprocessing import ImageBandScaler

    X = np.random.RandomState(0).rand(3, 2, 8, 8)
    out = ImageBandScaler().fit_transform(X * 1e30)
    np.testing.assert_allclose(out, ImageBandScaler().fit_transform(X), atol=1e-4)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        ImageBandScaler().fit(X * 1e300)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        ImageBandScaler().fit(X).transform(X * 1e300)
    with pytest.raises(ValueError, match="0 dates"):
        ImageBandScaler().fit(X[:0])


def test_gap_filler_image_stack_with_unknown_dask_chunks_is_refused_clearly():
    import numpy as np
    from _bad_inputs_matrix import _unknown_chunks

    from skstc.preprocessing import TemporalGapFiller

    X = np.random.RandomState(0).rand(4, 2, 8, 8)
    X[1, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="unknown chunk sizes.*compute_chunk_sizes"):
        TemporalGapFiller().fit(_unknown_chunks(X))
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        TemporalGapFiller().fit(X).transform(_unknown_chunks(X))
