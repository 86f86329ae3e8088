"""The bad-input catalogue run over every public estimator and transformer.

``run(name, case)`` returns ``(outcome, detail)`` where outcome is

* ``"error"``: a ``ValueError``/``TypeError``/``NotFittedError`` raised by skstc or by
  scikit-learn's validation (a message written for users);
* ``"internal"``: any other exception, or one raised from inside torch/numpy/scipy code;
* ``"warned"``: no exception but a warning (the case is handled and reported);
* ``"ok"``: no exception and no warning (the case is handled: conversion, NaN filling ...).

Errors raised by scikit-learn itself (its validation, or a sub-estimator such as
``LogisticRegression``) count as ``"error"``: they carry scikit-learn's user-facing messages.

Run as a script to print the whole matrix: ``python tests/_bad_inputs_matrix.py``.
"""

import os
import sys
import traceback
import warnings

import numpy as np
from sklearn.exceptions import NotFittedError

sys.path.insert(0, os.path.dirname(__file__))
from _reliability_cases import CONTRACTS, cases  # noqa: E402

CASES = cases()
SEMI = ("MultimodalConstrainedAE", "MultimodalClassifier", "LabelAugmenter")


_CONVERTED = "converted to float like scikit-learn's check_array (documented: float32 compute)"
_NAN_OK = "NaN marks missing values, which this transformer fills or keeps (documented)"
_RESHAPER = ("ImageToTiles only cuts images into tiles (dtype-agnostic, like scikit-learn's "
             "PatchExtractor): values are passed through unchanged")
_KMEANS_WARNS = "identical samples: k-means warns that fewer distinct clusters were found"

HANDLED = {}
for _name in CASES:
    HANDLED[(_name, "float16")] = _CONVERTED
    HANDLED[(_name, "int_input")] = _CONVERTED
for _name in ("MultimodalConstrainedAE", "MultimodalClassifier", "LabelAugmenter",
              "TemporalGapFiller", "ImageToTiles"):
    HANDLED[(_name, "string_dtype")] = "numeric strings are " + _CONVERTED
for _name in ("MultimodalConstrainedAE", "MultimodalClassifier", "LabelAugmenter",
              "Tile2VecSeriesKMeans", "TilePixelKMeans", "EOFKMeans"):
    HANDLED[(_name, "constant")] = _KMEANS_WARNS
for _name in ("Tile2VecSeriesKMeans", "TilePixelKMeans", "ImageBandScaler", "TemporalGapFiller",
              "FieldNaNFiller", "FieldMinMaxScaler"):
    HANDLED[(_name, "nan")] = _NAN_OK
    HANDLED[(_name, "predict_nan")] = _NAN_OK
for _case in ("nan", "inf", "one_sample", "string_dtype", "complex_dtype", "huge_1e30",
              "huge_1e300", "constant", "predict_nan", "predict_inf", "predict_huge"):
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

HANDLED.pop(("FractionMapFeatures", "int_input"))  # x10 gives codes 10/20: refused
HANDLED[("LabelAugmenter", "huge_1e300")] = ("scikit-learn's estimators compute in float64 and "
                                             "warn on overflow")
for _name in ("TemporalGapFiller", "FieldNaNFiller", "FieldMinMaxScaler"):
    HANDLED[(_name, "huge_1e300")] = "float64 statistics handle 1e300"
for _case in ("huge_1e30", "predict_huge"):
    HANDLED[("EOFKMeans", _case)] = ("float64 EOFs; each variable is divided by its standard "
                                     "deviation, so the input's scale does not matter")
HANDLED[("TilePixelKMeans", "one_sample")] = "one date: series of length 1 are clustered"
_DASK_ROWS = ("a dask array read in memory (rows through scikit-learn's validation) is "
              "computed, chunk sizes are not needed; the result equals the numpy one "
              "(checked)")
# ImageToTiles, and LabelAugmenter and FractionMapFeatures after fit, keep dask input lazy,
# so they need the chunk sizes there: a clear error names the fix
for _name in ("LabelAugmenter", "TemporalGapFiller", "FractionMapFeatures"):
    HANDLED[(_name, "dask_unknown_chunks")] = _DASK_ROWS
HANDLED[("TemporalGapFiller", "dask_unknown_chunks_predict")] = _DASK_ROWS


# cases that still give a result where an error is due (strict xfails in test_bad_inputs)
KNOWN_SILENT = {}


def _first(X):
    return X[0] if isinstance(X, list) else X


def _same_kind(X, arr):
    return [arr] if isinstance(X, list) else arr


def _mod(X, fn):
    return _same_kind(X, fn(np.array(_first(X))))


def _with(X, value):
    def put(a):
        a = a.astype(np.float64)
        a.flat[a.size // 2] = value
        return a
    return _mod(X, put)


def _obj(a):
    a = a.astype(object)
    a.flat[0] = "a"
    return a


def _y_variant(y, kind):
    n = len(y)
    if kind == "y_wrong_length":
        return y[:-1]
    if kind == "y_minus_two":
        out = np.array(y).copy()
        out[out == -1] = -2
        return out
    if kind == "y_string_minus_one":
        return np.array([str(v) for v in y])
    if kind == "y_strings_with_none":
        out = np.array([None if v == -1 else f"c{v}" for v in y], dtype=object)
        return out
    if kind == "y_all_unlabelled":
        return np.full(n, -1)
    if kind == "y_one_class":
        out = np.full(n, -1)
        out[: n // 4] = 0
        return out
    if kind == "y_float_nan":
        out = np.array(y, dtype=float)
        out[0] = np.nan
        return out
    if kind == "y_2d":
        return np.stack([y, y], axis=1)
    raise KeyError(kind)


# (case, applies_to) - applies_to: "all", "semi" (labelled estimators), "clusterer"
CATALOGUE = [
    ("wrong_ndim_1d", "all"), ("extra_axis", "all"), ("nan", "all"), ("inf", "all"),
    ("empty", "all"), ("one_sample", "all"), ("object_dtype", "all"), ("string_dtype", "all"),
    ("complex_dtype", "all"), ("float16", "all"), ("int_input", "all"), ("huge_1e30", "all"),
    ("constant", "all"), ("n_clusters_gt_samples", "clusterer"),
    ("predict_before_fit", "all"), ("predict_other_shape", "all"), ("predict_nan", "all"),
    ("predict_inf", "all"), ("predict_huge", "all"), ("huge_1e300", "all"),
    ("scalar_input", "all"),
    ("none_input", "all"), ("ragged_list", "all"),
    ("y_wrong_length", "semi"), ("y_minus_two", "semi"), ("y_string_minus_one", "semi"),
    ("y_strings_with_none", "semi"), ("y_all_unlabelled", "semi"), ("y_one_class", "semi"),
    ("y_float_nan", "semi"), ("y_2d", "semi"),
]


def applicable(name, scope):
    make = CASES[name][0]
    if scope == "semi":
        return name in SEMI
    if scope == "clusterer":
        return "n_clusters" in make().get_params()
    return True


def _other_shape(X):
    a = np.array(_first(X))
    if a.ndim == 2:
        return _same_kind(X, a[:, :-1])
    return _same_kind(X, a[:, :, :-1] if a.ndim >= 3 else a)


def _call(name, case):
    if case in XR_CASES:
        return _call_xarray(name, case)
    make, X, y, methods = CASES[name]
    est = make()
    method = methods[0]
    if case == "predict_before_fit":
        return getattr(est, method)(X)
    if case.startswith("predict_"):
        est.fit(X, y)
        Xp = {"predict_other_shape": lambda: _other_shape(X),
              "predict_nan": lambda: _with(X, np.nan),
              "predict_inf": lambda: _with(X, np.inf),
              "predict_huge": lambda: _mod(X, lambda a: a.astype(np.float64) * 1e30)}[case]()
        return getattr(est, method)(Xp)
    if case.startswith("y_"):
        return est.fit(X, _y_variant(y, case))
    if case == "n_clusters_gt_samples":
        return est.set_params(n_clusters=100_000).fit(X, y)
    Xb = {
        "wrong_ndim_1d": lambda: np.ravel(_first(X)),
        "extra_axis": lambda: _mod(X, lambda a: a[..., None]),
        "nan": lambda: _with(X, np.nan),
        "inf": lambda: _with(X, np.inf),
        "empty": lambda: _mod(X, lambda a: a[:0]),
        "one_sample": lambda: _mod(X, lambda a: a[:1]),
        "object_dtype": lambda: _mod(X, _obj),
        "string_dtype": lambda: _mod(X, lambda a: a.astype(str)),
        "complex_dtype": lambda: _mod(X, lambda a: a.astype(complex)),
        "float16": lambda: _mod(X, lambda a: a.astype(np.float16)),
        "int_input": lambda: _mod(X, lambda a: np.nan_to_num(a * 10).astype(np.int64)),
        "huge_1e30": lambda: _mod(X, lambda a: a.astype(np.float64) * 1e30),
        "huge_1e300": lambda: _mod(X, lambda a: a.astype(np.float64) * 1e300),
        "constant": lambda: _mod(X, lambda a: np.ones_like(a)),
        "scalar_input": lambda: 3.0,
        "none_input": lambda: None,
        "ragged_list": lambda: [[1.0, 2.0], [3.0]],
    }[case]()
    yb = y
    if yb is not None and case in ("empty", "one_sample"):
        yb = y[: len(np.asarray(_first(Xb)))] if not isinstance(X, list) else y
    return est.fit(Xb, yb)


# ---------------------------------------------------------------------------------------------
# xarray / dask forms: dims and variables found by name (skstc.utils._inputs)
# ---------------------------------------------------------------------------------------------
class SilentWrong(AssertionError):
    """A documented handling (e.g. dims in another order) gave another result."""


def _unknown_chunks(a):
    import dask.array as dsa

    d = dsa.from_array(np.asarray(a), chunks=(max(1, len(a) // 2),) + np.shape(a)[1:])
    keep = dsa.from_array(np.ones(len(a), dtype=bool), chunks=d.chunks[0])
    return d[keep]  # boolean indexing by a lazy mask: chunk sizes along axis 0 unknown


def _fields_da():
    import xarray as xr

    F = CASES["FieldMinMaxScaler"][1]
    return xr.DataArray(F, dims=("time", "variable", "lat", "lon"),
                        coords={"time": np.arange(len(F)), "variable": ["u", "v"],
                                "lat": np.linspace(40, 50, F.shape[2]),
                                "lon": np.linspace(0, 10, F.shape[3])})


def _images_da():
    import xarray as xr

    imgs = np.array(CASES["ImageBandScaler"][1][0])  # the one region, (time, band, y, x)
    imgs[0, 0, 3, 3] = np.nan
    return xr.DataArray(imgs, dims=("time", "band", "y", "x"),
                        coords={"time": np.arange(imgs.shape[0]), "band": ["red", "nir"],
                                "y": np.arange(imgs.shape[2]), "x": np.arange(imgs.shape[3])})


def _multimodal_ds():
    import xarray as xr

    X = CASES["MultimodalConstrainedAE"][1]
    maps, series = X[:, :64].reshape(-1, 8, 8), X[:, 64:]
    return xr.Dataset({"fraction_map": (("sample", "y", "x"), maps),
                       "area": (("sample", "time"), series)},
                      coords={"sample": np.arange(len(X))})


def _comparable(out, ref):
    """``out`` as an array aligned on ``ref`` by dim and label names (not by position)."""
    import xarray as xr

    if not isinstance(out, (xr.Dataset, xr.DataArray)):
        return np.asarray(out)
    if isinstance(ref, xr.Dataset):
        out = out[list(ref.data_vars)]
        return np.stack([np.asarray(out[v].transpose(*ref[v].dims)) for v in ref.data_vars])
    if isinstance(ref, xr.DataArray):
        out = out.transpose(*ref.dims)
        for d in ref.dims:
            if d in ref.coords and d in out.coords and ref[d].dtype.kind in "OUS":
                out = out.sel({d: ref[d].values})
        return np.asarray(out)
    return np.asarray(out)


# (case, contracts it applies to): *_predict cases fit on the canonical form first; those in
# _SAME_RESULT must give what the canonical form gives (they are documented handlings)
XR_CATALOGUE = [
    ("xr_missing_dim", ("fields", "images")),
    ("xr_misnamed_dim", ("fields", "images")),
    ("xr_extra_dim", ("fields", "images")),
    ("xr_wrong_container", ("fields", "images", "multimodal")),
    ("ds_missing_variable", ("multimodal",)),
    ("ds_misnamed_variable", ("multimodal",)),
    ("ds_map_missing_dim", ("multimodal",)),
    ("dask_unknown_chunks", ("fields", "images", "multimodal", "rows", "masks")),
    ("dask_unknown_chunks_predict", ("fields", "images", "multimodal", "rows", "masks")),
    ("predict_xr_missing_dim", ("fields", "images")),
    ("predict_xr_misnamed_dim", ("fields", "images")),
    ("predict_ds_missing_variable", ("fields", "multimodal")),
    ("predict_ds_unexpected_variable", ("fields",)),
    ("predict_ds_misnamed_variable", ("fields", "multimodal")),
    ("predict_da_other_labels", ("fields",)),
    ("predict_dims_permuted", ("fields", "images", "multimodal")),
    ("predict_ds_variable_order", ("fields",)),
    ("predict_da_variable_order", ("fields",)),
]
XR_CASES = {c for c, _ in XR_CATALOGUE}
_SAME_RESULT = {"predict_dims_permuted", "predict_ds_variable_order",
                "predict_da_variable_order"}
# a dask array of rows is computed at validation: its predictions must equal the numpy ones
_SAME_AS_NUMPY = {"dask_unknown_chunks_predict"}


def _xr_input(contract, case):
    """(fit input, predict input) of an xarray/dask case."""
    if contract == "rows" or contract == "masks":
        name = {"rows": "LabelAugmenter", "masks": "FractionMapFeatures"}[contract]
        X = CASES[name][1]
        return (_unknown_chunks(X), None) if case == "dask_unknown_chunks" else \
            (X, _unknown_chunks(X))
    if contract == "fields":
        da = _fields_da()
        ds = da.to_dataset(dim="variable")
        base = ds if "_ds_" in case else da
        fit_variants = {
            "xr_missing_dim": lambda: da.isel(lat=0),
            "xr_misnamed_dim": lambda: da.rename(lon="easting_km"),
            "xr_extra_dim": lambda: da.expand_dims(member=2),
            "xr_wrong_container": lambda: da.to_dataset(name="x"),  # one var with 4 dims
            "dask_unknown_chunks": lambda: _unknown_chunks(da.values),
        }
        pred_variants = {
            "dask_unknown_chunks_predict": lambda: _unknown_chunks(da.values),
            "predict_xr_missing_dim": lambda: da.isel(lat=0),
            "predict_xr_misnamed_dim": lambda: da.rename(lon="easting_km"),
            "predict_ds_missing_variable": lambda: ds[["u"]],
            "predict_ds_unexpected_variable": lambda: ds.assign(w=ds["u"]),
            "predict_ds_misnamed_variable": lambda: ds.rename(u="t2m"),
            "predict_da_other_labels": lambda: da.assign_coords(variable=["u", "t2m"]),
            "predict_dims_permuted": lambda: da.transpose("lon", "lat", "variable", "time"),
            "predict_ds_variable_order": lambda: ds[["v", "u"]],
            "predict_da_variable_order": lambda: da.isel(variable=[1, 0]),
        }
        if case in fit_variants:
            return fit_variants[case](), None
        return base, pred_variants[case]()
    if contract == "images":
        da = _images_da()
        fit_variants = {
            "xr_missing_dim": lambda: da.isel(y=0),
            "xr_misnamed_dim": lambda: da.rename(x="easting_km"),
            "xr_extra_dim": lambda: da.expand_dims(member=2),
            "xr_wrong_container": lambda: da.to_dataset(dim="band"),
            "dask_unknown_chunks": lambda: _unknown_chunks(da.values),
        }
        pred_variants = {
            "dask_unknown_chunks_predict": lambda: _unknown_chunks(da.values),
            "predict_xr_missing_dim": lambda: da.isel(y=0),
            "predict_xr_misnamed_dim": lambda: da.rename(x="easting_km"),
            "predict_dims_permuted": lambda: da.transpose("x", "y", "band", "time"),
        }
        if case in fit_variants:
            return fit_variants[case](), None
        return da, pred_variants[case]()
    ds = _multimodal_ds()  # multimodal
    fit_variants = {
        "xr_wrong_container": lambda: ds["fraction_map"],
        "ds_missing_variable": lambda: ds[["fraction_map"]],
        "ds_misnamed_variable": lambda: ds.rename(area="series"),
        "ds_map_missing_dim": lambda: ds.isel(y=0),
        "dask_unknown_chunks": lambda: _unknown_chunks(CASES["MultimodalConstrainedAE"][1]),
    }
    pred_variants = {
        "dask_unknown_chunks_predict": lambda: _unknown_chunks(
            CASES["MultimodalConstrainedAE"][1]),
        "predict_ds_missing_variable": lambda: ds[["fraction_map"]],
        "predict_ds_misnamed_variable": lambda: ds.rename(area="series"),
        "predict_dims_permuted": lambda: ds.transpose("x", "y", "time", "sample"),
    }
    if case in fit_variants:
        return fit_variants[case](), None
    return ds, pred_variants[case]()


def _call_xarray(name, case):
    make, _, y, methods = CASES[name]
    Xfit, Xpred = _xr_input(CONTRACTS[name], case)
    est = make()
    if Xpred is None:
        return est.fit(Xfit, y)
    est.fit(Xfit, y)
    for method in methods:
        out = getattr(est, method)(Xpred)
        if case in _SAME_RESULT or (case in _SAME_AS_NUMPY and (name, case) in HANDLED):
            ref = getattr(est, method)(Xfit)
            a, b = _comparable(out, ref), _comparable(ref, ref)
            if not isinstance(out, type(ref)):
                b = np.asarray(ref)
            if a.shape != b.shape or not np.allclose(a, b, equal_nan=True, atol=1e-5):
                raise SilentWrong(f"{method} on {case} differs from {method} on the "
                                  "canonical form")
    return out


def _xr_applicable(name, contracts):
    return CONTRACTS[name] in contracts


_SAME_REASON = ("dims and variables are matched by name (skstc.utils._inputs): the result "
                "equals the one on the fitted order (checked)")
for _name in CASES:
    for _case, _contracts in XR_CATALOGUE:
        if _case in _SAME_RESULT and _xr_applicable(_name, _contracts):
            HANDLED[(_name, _case)] = _SAME_REASON



_USER_PACKAGES = (f"{os.sep}skstc{os.sep}", f"{os.sep}sklearn{os.sep}")


def run(name, case):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _call(name, case)
        except SilentWrong as exc:
            return "silent", str(exc)
        except (ValueError, TypeError, NotFittedError) as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1].filename
            if any(p in frame for p in _USER_PACKAGES):
                return "error", f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
            return "internal", f"{type(exc).__name__} in {frame}: {str(exc)[:120]}"
        except Exception as exc:  # noqa: BLE001 - classified, not swallowed
            frame = traceback.extract_tb(exc.__traceback__)[-1].filename
            return "internal", f"{type(exc).__name__} in {frame}: {str(exc)[:120]}"
    relevant = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    if relevant:
        message = str(relevant[0].message).strip().splitlines()[0][:140]
        return "warned", f"{relevant[0].category.__name__}: {message}"
    return "ok", ""


def matrix():
    for name in CASES:
        for case, scope in CATALOGUE:
            if applicable(name, scope):
                yield name, case
        for case, contracts in XR_CATALOGUE:
            if _xr_applicable(name, contracts):
                yield name, case


def classify(name, case, outcome):
    """"clear error", "documented handling", "silent" or "internal" for the report."""
    if outcome in ("internal", "silent"):
        return outcome
    if (name, case) in HANDLED:
        return "documented handling" if outcome in ("ok", "warned") else "unexpected error"
    return "clear error" if outcome == "error" else "silent"


if __name__ == "__main__":
    counts = {}
    for name, case in matrix():
        outcome, detail = run(name, case)
        kind = classify(name, case, outcome)
        counts[kind] = counts.get(kind, 0) + 1
        print(f"{name:30s} {case:30s} {kind:20s} {detail}", flush=True)
    print(f"{sum(counts.values())} cases:", counts)
