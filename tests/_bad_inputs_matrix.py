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
from _reliability_cases import cases  # noqa: E402

CASES = cases()
SEMI = ("MultimodalConstrainedAE", "MultimodalClassifier", "LabelAugmenter")


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
    ("predict_inf", "all"), ("predict_huge", "all"), ("scalar_input", "all"),
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
        "constant": lambda: _mod(X, lambda a: np.ones_like(a)),
        "scalar_input": lambda: 3.0,
        "none_input": lambda: None,
        "ragged_list": lambda: [[1.0, 2.0], [3.0]],
    }[case]()
    yb = y
    if yb is not None and case in ("empty", "one_sample"):
        yb = y[: len(np.asarray(_first(Xb)))] if not isinstance(X, list) else y
    return est.fit(Xb, yb)


_USER_PACKAGES = (f"{os.sep}skstc{os.sep}", f"{os.sep}sklearn{os.sep}")


def run(name, case):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _call(name, case)
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
        return "warned", f"{relevant[0].category.__name__}: {str(relevant[0].message)[:140]}"
    return "ok", ""


def matrix():
    for name in CASES:
        for case, scope in CATALOGUE:
            if applicable(name, scope):
                yield name, case


if __name__ == "__main__":
    counts = {}
    for name, case in matrix():
        outcome, detail = run(name, case)
        counts[outcome] = counts.get(outcome, 0) + 1
        print(f"{name:30s} {case:24s} {outcome:8s} {detail}", flush=True)
    print(counts)
