"""skstc.save / skstc.load: data-only model files, round trip in a fresh process, hostile files."""

import io
import json
import os
import pickle
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skstc
from skstc import LabelAugmenter, MultimodalConstrainedAE
from skstc._persistence import FORMAT_VERSION

sys.path.insert(0, os.path.dirname(__file__))
from _reliability_cases import MM, cases, water  # noqa: E402

CASES = cases()
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _outputs(est, X, methods):
    out = {}
    for m in methods:
        res = getattr(est, m)(X)
        if isinstance(res, list):
            res = np.stack([np.asarray(r) for r in res])
        out[m] = np.asarray(res)
    return out


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Fit every public estimator/transformer, save it and its outputs."""
    root = tmp_path_factory.mktemp("models")
    expected = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (make, X, y, methods) in CASES.items():
            est = make().fit(X, y)
            skstc.save(est, root / f"{name}.skstc")
            np.save(root / f"{name}_X.npy", np.asarray(X), allow_pickle=False)
            expected[name] = _outputs(est, X, methods)
    return root, expected


_FRESH = """
import json, sys, warnings
import numpy as np
import skstc
root, spec = sys.argv[1], json.loads(sys.argv[2])
warnings.simplefilter("ignore")
for name, methods in spec.items():
    est = skstc.load(f"{root}/{name}.skstc")
    X = np.load(f"{root}/{name}_X.npy", allow_pickle=False)
    out = {}
    for m in methods:
        res = getattr(est, m)(X)
        if isinstance(res, list):
            res = np.stack([np.asarray(r) for r in res])
        out[m] = np.asarray(res)
    np.savez(f"{root}/{name}_out.npz", **out)
"""


@pytest.fixture(scope="module")
def reloaded(saved):
    """Load every file in one fresh interpreter and compute the same outputs there."""
    root, _ = saved
    spec = {name: list(c[3]) for name, c in CASES.items()}
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=REPO)
    subprocess.run([sys.executable, "-c", _FRESH, str(root), json.dumps(spec)], check=True,
                   env=env, timeout=300, cwd=str(root))
    return root


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_in_fresh_process_gives_identical_outputs(name, saved, reloaded):
    root, expected = saved
    with np.load(root / f"{name}_out.npz", allow_pickle=False) as got:
        for method, want in expected[name].items():
            np.testing.assert_array_equal(got[method], want, err_msg=f"{name}.{method}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_loaded_model_keeps_params_and_fitted_attributes(name, saved):
    root, _ = saved
    est = skstc.load(root / f"{name}.skstc")
    fresh = CASES[name][0]()
    assert type(est) is type(fresh)
    assert set(est.get_params(deep=False)) == set(fresh.get_params(deep=False))
    assert est.__sklearn_is_fitted__() if hasattr(est, "__sklearn_is_fitted__") else True
    assert hasattr(est, "n_features_in_") or not hasattr(fresh.fit(*CASES[name][1:3]),
                                                         "n_features_in_")


def test_files_hold_no_pickle(saved):
    root, _ = saved
    with zipfile.ZipFile(root / "MultimodalClassifier.skstc") as zf:
        assert sorted(zf.namelist()) == ["arrays.npz", "manifest.json", "tensors.pt"]
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format"] == "skstc-model"
        assert manifest["format_version"] == FORMAT_VERSION
        text = zf.read("manifest.json").decode()
        # the sub-estimators (the encoder and its KMeans clusterer) are data in the manifest
        assert "MultimodalConstrainedAE" in text and "KMeans" in text
        # the weights load under weights_only=True, the arrays with allow_pickle=False
        torch.load(io.BytesIO(zf.read("tensors.pt")), weights_only=True)
        np.load(io.BytesIO(zf.read("arrays.npz")), allow_pickle=False)


def test_sub_estimators_are_rebuilt_as_estimators(saved):
    root, _ = saved
    aug = skstc.load(root / "LabelAugmenter.skstc")
    assert type(aug.estimator_).__name__ == "LogisticRegression"
    assert isinstance(aug.clusterer_, KMeans)
    clf = skstc.load(root / "MultimodalClassifier.skstc")
    assert isinstance(clf.encoder, MultimodalConstrainedAE)
    assert isinstance(clf.encoder_.clusterer_, KMeans)


def test_unfitted_estimator_and_pipeline_round_trip(tmp_path):
    est = MultimodalConstrainedAE(5, spatial_shape=(4, 4), conv_channels=(2, 3))
    skstc.save(est, tmp_path / "u.skstc")
    again = skstc.load(tmp_path / "u.skstc")
    assert again.get_params() == est.get_params()
    X, y = water()
    pipe = make_pipeline(StandardScaler(), LabelAugmenter(n_clusters=3, random_state=0))
    pipe.fit(X, np.where(np.arange(40) < 10, np.arange(40) % 2, -1))
    skstc.save(pipe, tmp_path / "p.skstc")
    np.testing.assert_array_equal(skstc.load(tmp_path / "p.skstc")[-1].transduction_,
                                  pipe[-1].transduction_)


# ---- hostile and broken files ------------------------------------------------------------
class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > PWNED",))


def _model_file(tmp_path):
    X, y = water()
    est = MultimodalConstrainedAE(3, **MM)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    path = tmp_path / "m.skstc"
    skstc.save(est, path)
    return path


def _rewrite(src, dst, replace):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, replace.get(name, zin.read(name)))


def test_hostile_or_broken_files_are_refused_and_nothing_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = _model_file(tmp_path)
    data = good.read_bytes()
    # a plain pickle (what joblib/pickle users would hand over)
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(ValueError, match="not a skstc model file"):
        skstc.load(tmp_path / "evil.pkl")
    # a torch.save of a pickled object is a zip without a manifest
    torch.save({"x": _Boom()}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="not a skstc model file"):
        skstc.load(tmp_path / "evil.pt")
    # pickle payload inside the weights file
    evil_pt = io.BytesIO()
    torch.save({"t0": _Boom()}, evil_pt)
    _rewrite(good, tmp_path / "evil_w.skstc", {"tensors.pt": evil_pt.getvalue()})
    with pytest.raises(ValueError, match="not plain tensors"):
        skstc.load(tmp_path / "evil_w.skstc")
    # object (pickled) arrays inside the npz
    evil_npz = io.BytesIO()
    np.savez(evil_npz, a0=np.array([_Boom()], dtype=object))
    _rewrite(good, tmp_path / "evil_a.skstc", {"arrays.npz": evil_npz.getvalue()})
    with pytest.raises(ValueError, match="pickled objects"):
        skstc.load(tmp_path / "evil_a.skstc")
    # a class outside the allowed packages in the manifest
    with zipfile.ZipFile(good) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    manifest["root"]["__estimator__"] = "os:system"
    _rewrite(good, tmp_path / "evil_c.skstc", {"manifest.json": json.dumps(manifest)})
    with pytest.raises(ValueError, match="outside the packages"):
        skstc.load(tmp_path / "evil_c.skstc")
    assert not (tmp_path / "PWNED").exists()
    # truncated file
    (tmp_path / "cut.skstc").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a skstc model file|truncated"):
        skstc.load(tmp_path / "cut.skstc")
    # corrupted bytes inside a member (checksum)
    raw = bytearray(data)
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("tensors.pt")
    pos = info.header_offset + 30 + len(info.filename) + 40
    raw[pos] ^= 0xFF
    (tmp_path / "flip.skstc").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupt|truncated|not plain tensors"):
        skstc.load(tmp_path / "flip.skstc")
    # newer format / another format
    manifest = json.loads(zipfile.ZipFile(good).read("manifest.json"))
    manifest["format_version"] = FORMAT_VERSION + 1
    _rewrite(good, tmp_path / "new.skstc", {"manifest.json": json.dumps(manifest)})
    with pytest.raises(ValueError, match="Upgrade skstc"):
        skstc.load(tmp_path / "new.skstc")
    manifest["format"] = "other"
    _rewrite(good, tmp_path / "other.skstc", {"manifest.json": json.dumps(manifest)})
    with pytest.raises(ValueError, match="not a skstc model file"):
        skstc.load(tmp_path / "other.skstc")
    assert not (tmp_path / "PWNED").exists()


def test_unsavable_objects_give_a_clear_error_and_write_nothing(tmp_path):
    class Custom(BaseEstimator):
        def fit(self, X, y=None):
            self.thing_ = object()
            return self

    with pytest.raises(TypeError, match="cannot be saved"):
        skstc.save(Custom().fit(None), tmp_path / "c.skstc")
    assert not (tmp_path / "c.skstc").exists()


def test_callbacks_are_dropped_with_a_warning(tmp_path):
    from skorch.callbacks import Callback

    est = MultimodalConstrainedAE(3, callbacks=[Callback()], **MM)
    with pytest.warns(UserWarning, match="callbacks"):
        skstc.save(est, tmp_path / "cb.skstc")
    assert skstc.load(tmp_path / "cb.skstc").callbacks is None


def test_model_trained_on_another_device_loads_on_cpu(tmp_path, monkeypatch):
    """Tensors are written from the CPU copy, so a CUDA-trained model loads anywhere."""
    X, y = water()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MultimodalConstrainedAE(3, **MM).fit(X, y)
    seen = []
    real_clone = torch.Tensor.clone

    def spy(self, *a, **k):
        seen.append(self.device.type)
        return real_clone(self, *a, **k)

    monkeypatch.setattr(torch.Tensor, "clone", spy)
    skstc.save(est, tmp_path / "d.skstc")
    monkeypatch.undo()
    assert seen and set(seen) == {"cpu"}
    again = skstc.load(tmp_path / "d.skstc")
    assert next(again.module_.parameters()).device.type == "cpu"
