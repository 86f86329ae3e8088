"""Reliability: transactional fit, divergence caught, safe default threads, label rules."""

import os
import sys
import threading
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback

import skstc._training as training
from skstc import LabelAugmenter, MultimodalConstrainedAE
from skstc._training import TrainingDivergedError, effective_n_threads
from skstc.utils._fitting import TransactionalFitMixin, _transactional
from skstc.utils._validation import (
    check_float32_range,
    split_semisupervised_labels,
    warn_if_unscaled,
)

sys.path.insert(0, os.path.dirname(__file__))
from _reliability_cases import MM, cases, fields, images, water  # noqa: E402

CASES = cases()
TORCH = ["MultimodalConstrainedAE", "MultimodalClassifier", "Tile2VecSeriesKMeans",
         "DeepSpatiotemporalClustering"]
TRANSFORMERS = ["FractionMapFeatures", "ImageBandScaler", "ImageToTiles", "TemporalGapFiller",
                "FieldNaNFiller", "FieldMinMaxScaler"]


class _FailAtEpochEnd(Callback):
    """Raise once training has run one epoch (a failure late in fit)."""

    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("late failure")


def _other_shaped(name):
    """A valid input of another shape than the case's (the refit that fails late)."""
    if name in ("MultimodalConstrainedAE", "MultimodalClassifier"):
        rng = np.random.RandomState(1)
        X = rng.rand(40, 64 + 24).astype(np.float32)  # 88 columns: 24 steps, not 12
        y = np.where(np.arange(40) < 20, np.arange(40) % 2, -1)
        return X, y
    if name == "Tile2VecSeriesKMeans":
        return [np.concatenate([images()[0]] * 2)], None  # 6 dates, not 3
    if name == "DeepSpatiotemporalClustering":
        F = fields()
        return np.concatenate([F, F[:, :1]], axis=1), None  # 3 variables, not 2
    raise KeyError(name)


def _outputs(est, X, methods):
    out = []
    for m in methods:
        res = getattr(est, m)(X)
        out.append(np.stack(res) if isinstance(res, list) else np.asarray(res))
    return out


def _fitted_state(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("__")}


def _quiet():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    return ctx


# ---- transactional fit ------------------------------------------------------------------
@pytest.mark.parametrize("name", TORCH)
def test_failed_refit_keeps_the_previous_model(name):
    make, X, y, methods = CASES[name]
    ctx = _quiet()
    try:
        est = make().fit(X, y)
        before = _outputs(est, X, methods)
        state = _fitted_state(est)
        X2, y2 = _other_shaped(name)
        est.set_params(callbacks=[_FailAtEpochEnd()])
        with pytest.raises(RuntimeError, match="late failure"):
            est.fit(X2, y2)
        est.set_params(callbacks=None)
        assert _fitted_state(est).keys() == state.keys()
        for key, val in state.items():
            assert getattr(est, key) is val, key
        after = _outputs(est, X, methods)
    finally:
        ctx.__exit__(None, None, None)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError):
        est.predict(X2)


@pytest.mark.parametrize("name", TORCH)
def test_failed_first_fit_leaves_the_estimator_unfitted(name):
    make, X, y, methods = CASES[name]
    est = make().set_params(callbacks=[_FailAtEpochEnd()])
    ctx = _quiet()
    try:
        with pytest.raises(RuntimeError, match="late failure"):
            est.fit(X, y)
    finally:
        ctx.__exit__(None, None, None)
    assert _fitted_state(est) == {}
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_keyboard_interrupt_during_refit_keeps_the_previous_model():
    X, y = water()
    ctx = _quiet()
    try:
        est = MultimodalConstrainedAE(3, **MM).fit(X, y)
        labels, module = est.labels_, est.module_

        class Interrupt(Callback):
            def on_epoch_end(self, net, **kwargs):
                raise KeyboardInterrupt

        est.set_params(callbacks=[Interrupt()])
        with pytest.raises(KeyboardInterrupt):
            est.fit(X[:30], y[:30])
    finally:
        ctx.__exit__(None, None, None)
    assert est.labels_ is labels and est.module_ is module and len(est.labels_) == 40


class _Raising(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("base estimator failed")

    def predict(self, X):  # pragma: no cover - never fitted
        return np.zeros(len(X))


def test_label_augmenter_failed_refit_keeps_the_previous_model():
    make, X, y, methods = CASES["LabelAugmenter"]
    est = make().fit(X, y)
    before = _outputs(est, X, methods)
    trans = est.transduction_
    est.set_params(estimator=_Raising())
    X5 = np.random.RandomState(0).randn(30, 5)
    with pytest.raises(RuntimeError, match="base estimator failed"):
        est.fit(X5, np.where(np.arange(30) < 10, np.arange(30) % 2, -1))
    assert est.transduction_ is trans and est.n_features_in_ == 3
    est.set_params(estimator=CASES["LabelAugmenter"][0]().estimator)
    for a, b in zip(before, _outputs(est, X, methods)):
        np.testing.assert_array_equal(a, b)
    fresh = LabelAugmenter(_Raising(), n_clusters=3)
    with pytest.raises(RuntimeError):
        fresh.fit(X, y)
    with pytest.raises(NotFittedError):
        fresh.predict(X)


@pytest.mark.parametrize("name", TRANSFORMERS)
def test_transformer_failed_refit_keeps_the_previous_state(name, monkeypatch):
    """A refit interrupted late (here: inside the last computation) restores the old state."""
    make, X, y, methods = CASES[name]
    est = make().fit(X, y)
    before = _outputs(est, X, methods)
    state = _fitted_state(est)
    # fail at the very end of fit, after the new fitted attributes are assigned
    cls = type(est)
    original = cls.fit.__wrapped__

    def fit_then_fail(self, *a, **k):
        original(self, *a, **k)
        raise MemoryError("late failure")

    monkeypatch.setattr(cls, "fit", _transactional(fit_then_fail))
    with pytest.raises(MemoryError):
        est.fit(X, y)
    monkeypatch.undo()
    assert _fitted_state(est) == state
    for a, b in zip(before, _outputs(est, X, methods)):
        np.testing.assert_array_equal(a, b)


def test_every_public_estimator_and_transformer_is_transactional():
    for name, (make, *_rest) in CASES.items():
        cls = type(make())
        for method in ("fit", "fit_transform", "fit_predict"):
            if hasattr(cls, method):
                assert getattr(getattr(cls, method), "__skstc_transactional__", False), (
                    name, method)


# ---- shape parameters changed after fit --------------------------------------------------
SHAPE_CHANGES = {
    "MultimodalConstrainedAE": dict(spatial_shape=(4, 4)),
    "Tile2VecSeriesKMeans": dict(tile_size=4),
    "DeepSpatiotemporalClustering": dict(input_shape=(1, 4, 4), window=3),
    "FractionMapFeatures": dict(map_size=8, mask_shape=(3, 3)),
    "ImageToTiles": dict(tile_size=4),
    "FieldNaNFiller": dict(input_shape=(1, 4, 4)),
    "FieldMinMaxScaler": dict(input_shape=(1, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(SHAPE_CHANGES))
def test_set_params_of_shape_parameters_after_fit_keeps_inference(name):
    make, X, y, methods = CASES[name]
    ctx = _quiet()
    try:
        est = make().fit(X, y)
        before = _outputs(est, X, methods)
        est.set_params(**SHAPE_CHANGES[name])
        after = _outputs(est, X, methods)
    finally:
        ctx.__exit__(None, None, None)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    for key, val in SHAPE_CHANGES[name].items():  # the new value is kept for the next fit
        assert est.get_params()[key] == val


# ---- divergence --------------------------------------------------------------------------
@pytest.mark.parametrize("lr", [1e6, 1e12])
@pytest.mark.parametrize("name", TORCH)
def test_divergence_stops_training_with_a_clear_error(name, lr):
    make, X, y, _ = CASES[name]
    est = make().set_params(lr=lr)
    ctx = _quiet()
    try:
        with pytest.raises(TrainingDivergedError,
                           match=r"diverged at epoch \d+.*(loss|weights).*lower the learning"):
            est.fit(X, y)
    finally:
        ctx.__exit__(None, None, None)
    with pytest.raises(NotFittedError):
        est.predict(X)


@pytest.mark.parametrize("name", TORCH)
def test_inputs_too_large_for_float32_are_refused_before_training(name):
    make, X, y, _ = CASES[name]
    big = [x * 1e30 for x in X] if isinstance(X, list) else X * 1e30
    epochs = []

    class Count(Callback):
        def on_epoch_end(self, net, **kwargs):
            epochs.append(1)

    est = make().set_params(callbacks=[Count()])
    with pytest.raises(ValueError, match="too large for float32"):
        est.fit(big, y)
    assert epochs == []


def test_inference_on_inputs_too_large_for_float32_is_refused():
    X, y = water()
    ctx = _quiet()
    try:
        est = MultimodalConstrainedAE(3, **MM).fit(X, y)
    finally:
        ctx.__exit__(None, None, None)
    with pytest.raises(ValueError, match="too large for float32"):
        est.transform(X * 1e30)


def test_unscaled_fields_warn():
    F = fields()
    raw = F * 3e4 + 5e5  # geopotential-like values in physical units
    est = CASES["DeepSpatiotemporalClustering"][0]().set_params(max_epochs=1)
    with pytest.warns(UserWarning, match="looks unscaled"):
        est.fit(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert not warn_if_unscaled(F)


def test_float32_range_helper():
    check_float32_range(np.array([1e15, -1e15, np.nan]))
    check_float32_range(np.array([1, 2], dtype=np.int64))
    with pytest.raises(ValueError, match=r"1e\+20"):
        check_float32_range(np.array([0.0, -1e20]), "X")
    with pytest.raises(ValueError, match="too large"):
        check_float32_range(np.array([1e300]))


def test_non_finite_embeddings_are_not_clustered():
    with pytest.raises(TrainingDivergedError, match="cannot be clustered"):
        training.check_finite_embeddings(np.array([[0.0, np.nan], [1.0, 2.0]]))


# ---- default threads ---------------------------------------------------------------------
def test_default_threads_is_one_on_small_machines(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(training.torch, "get_num_threads", lambda: 4)
    monkeypatch.setattr(training, "_usable_cores", lambda: 2)
    assert effective_n_threads(None) == 1
    monkeypatch.setattr(training, "_usable_cores", lambda: 4)
    assert effective_n_threads(None) == 1
    assert effective_n_threads(-1) == 4 and effective_n_threads(3) == 3


def test_default_threads_use_only_idle_cores_on_large_machines(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(training.torch, "get_num_threads", lambda: 32)
    monkeypatch.setattr(training, "_usable_cores", lambda: 32)
    monkeypatch.setattr(training.os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    assert effective_n_threads(None) == 31
    monkeypatch.setattr(training.os, "getloadavg", lambda: (30.5, 0.0, 0.0))
    assert effective_n_threads(None) == 1
    monkeypatch.setattr(training.os, "getloadavg", lambda: (40.0, 0.0, 0.0))
    assert effective_n_threads(None) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert effective_n_threads(None) == 3
    out = []
    monkeypatch.delenv("OMP_NUM_THREADS")
    t = threading.Thread(target=lambda: out.append(effective_n_threads(None)))
    t.start()
    t.join()
    assert out == [1]


# ---- labels: only -1 is unlabelled ---------------------------------------------------------
@pytest.mark.parametrize("y, match", [
    ([0, 1, -2, -1], "negative label"),
    ([0.0, 1.0, -3.0, -1.0], "negative label"),
    (np.array(["a", "b", "-1", "a"]), "string '-1'"),
    (np.array(["a", None, "b", "a"], dtype=object), "None"),
    (np.array(["a", 1, "b", -1], dtype=object), "mixes numeric"),
])
def test_unknown_unlabelled_markers_are_errors(y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        split_semisupervised_labels(y, 4)


def test_object_labels_with_integer_minus_one():
    y_enc, classes = split_semisupervised_labels(np.array(["b", -1, "a", "b"], dtype=object), 4)
    assert y_enc.tolist() == [1, -1, 0, 1] and classes.tolist() == ["a", "b"]


@pytest.mark.parametrize("bad", [[0, 1, -2] * 13 + [0], ["0", "1", "-1"] * 13 + ["0"]])
def test_estimators_refuse_unknown_negative_labels(bad):
    X, _ = water()
    with pytest.raises(ValueError, match="-1"):
        MultimodalConstrainedAE(3, **MM).fit(X, np.array(bad))
    Z = np.random.RandomState(0).randn(40, 3)
    with pytest.raises(ValueError, match="-1"):
        LabelAugmenter(n_clusters=3).fit(Z, np.array(bad))


def test_n_clusters_larger_than_n_samples_is_refused_before_training():
    X, y = water()
    epochs = []

    class Count(Callback):
        def on_epoch_end(self, net, **kwargs):
            epochs.append(1)

    with pytest.raises(ValueError, match="n_clusters=41 is larger than the number of samples"):
        MultimodalConstrainedAE(41, callbacks=[Count()], **MM).fit(X, np.full(40, -1))
    assert epochs == []
    clone(MultimodalConstrainedAE(3, **MM))  # still clonable with the mixin


def test_thread_count_does_not_leak_and_torch_state_is_restored():
    before = torch.get_num_threads()
    X, y = water()
    ctx = _quiet()
    try:
        MultimodalConstrainedAE(3, **dict(MM, n_threads=None)).fit(X, y)
    finally:
        ctx.__exit__(None, None, None)
    assert torch.get_num_threads() == before


# ---- properties of the helpers -----------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-1, 6), min_size=1, max_size=30))
def test_label_split_round_trips(labels):
    y = np.array(labels)
    y_enc, classes = split_semisupervised_labels(y, len(y))
    assert (y_enc == -1).sum() == (y == -1).sum()
    np.testing.assert_array_equal(classes[y_enc[y_enc >= 0]], y[y != -1])
    assert list(classes) == sorted(set(labels) - {-1})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-50, 6), min_size=1, max_size=30))
def test_label_split_refuses_every_negative_label_but_minus_one(labels):
    y = np.array(labels)
    if ((y < -1)).any():
        with pytest.raises(ValueError, match="only -1 marks unlabelled"):
            split_semisupervised_labels(y, len(y))
    else:
        split_semisupervised_labels(y, len(y))


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=5),
                  elements=st.floats(allow_nan=True, allow_infinity=False, width=64)))
def test_float32_range_accepts_exactly_the_values_below_the_limit(X):
    finite = X[np.isfinite(X)]
    too_big = finite.size and np.abs(finite).max() > 1e15
    if too_big:
        with pytest.raises(ValueError, match="too large for float32"):
            check_float32_range(X)
    else:
        check_float32_range(X)


class _Toy(TransactionalFitMixin, BaseEstimator):
    def __init__(self, fail_at=None):
        self.fail_at = fail_at

    def fit(self, X, y=None):
        for i, v in enumerate(X):
            setattr(self, f"a{i}_", v)
            if i == self.fail_at:
                raise ValueError("fail")
        return self


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(), min_size=1, max_size=8), st.lists(st.integers(), min_size=1,
                                                                  max_size=8), st.integers(0, 8))
def test_transactional_fit_restores_any_state(first, second, fail_at):
    est = _Toy().fit(first)
    before = dict(vars(est))
    est.set_params(fail_at=fail_at)
    if fail_at < len(second):
        with pytest.raises(ValueError):
            est.fit(second)
        after = dict(vars(est))
        after["fail_at"] = None
        assert after == before
    else:
        est.fit(second)
        assert all(getattr(est, f"a{i}_") == v for i, v in enumerate(second))


@pytest.mark.slow
def test_one_and_two_threads_agree_to_rounding():
    """The documented guarantee across thread counts at a small size (rounding-level)."""
    from sklearn.metrics import adjusted_rand_score

    X, y = water()
    out = []
    ctx = _quiet()
    try:
        for t in (1, 2):
            est = MultimodalConstrainedAE(3, **dict(MM, n_threads=t, max_epochs=6)).fit(X, y)
            out.append((est.transform(X), est.labels_))
    finally:
        ctx.__exit__(None, None, None)
    assert np.abs(out[0][0] - out[1][0]).max() < 1e-4
    assert adjusted_rand_score(out[0][1], out[1][1]) == 1.0
