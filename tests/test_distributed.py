"""Data-parallel training over torch.distributed (2 CPU processes, gloo, launched by torchrun)."""

import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from skstc._distributed import _ShardedBatches, distributed_world

_TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(_TESTS))
from _ddp_script import CASES, make_case  # noqa: E402

# Relative tolerance on the final training loss, 2 processes vs 1 on the same global batch.
# DSC's and the classifier's losses are means over rows, so the row-weighted gradient
# average is the global-batch gradient up to float32 rounding. Tile2Vec's loss also has a
# norm of the whole batch, and TileNet normalises batches: both are computed from sums
# all-reduced over the processes, so it matches as closely. The constrained pair loss draws
# its pairs within each process's share, so that fit follows the one-process path closely
# but not exactly.
RTOL = {"dsc": 1e-4, "classifier": 1e-4, "multimodal_dec": 1e-2, "tile2vec": 1e-4,
        "multimodal": 5e-2}


@pytest.fixture(scope="module")
def ddp_run():
    if not torch.distributed.is_available():
        pytest.skip("torch.distributed is not available")
    # a private directory: concurrent pytest sessions prune each other's numbered basetemps
    with tempfile.TemporaryDirectory(prefix="skstc-ddp-") as tmp:
        yield _launch(Path(tmp))


def _launch(out):
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(_TESTS.parent), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(_TESTS / "_ddp_script.py"), str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


@pytest.mark.parametrize("name", CASES)
def test_two_processes_match_one(ddp_run, name):
    res = json.loads((ddp_run / f"{name}.json").read_text())
    assert res["world_size"] == 2
    # both ranks end with the same weights
    assert res["checksums"][0] == res["checksums"][1]

    est, X, y = make_case(name)
    est.fit(X, y)
    one = np.array([h["train_loss"] for h in est.history_])
    rows_one = np.array([h["rows_seen"] for h in est.history_])
    two = np.array(res["train_loss"])
    # the processes shared every global batch: together they saw each row once
    rows = np.array(res["rows_seen"])
    np.testing.assert_array_equal(rows.sum(0), rows_one)
    assert ((rows > 0.4 * rows_one) & (rows < 0.6 * rows_one)).all()
    assert len(two) == len(one)
    np.testing.assert_allclose(two[-1], one[-1], rtol=RTOL[name])
    if name in ("dsc", "classifier", "tile2vec"):
        np.testing.assert_allclose(two, one, rtol=RTOL[name])

    fitted = pickle.loads((ddp_run / f"{name}.pkl").read_bytes())
    assert type(fitted) is type(est)
    if name == "classifier":
        assert fitted.predict_proba(X).shape == est.predict_proba(X).shape
        np.testing.assert_array_equal(fitted.classes_, est.classes_)
        return
    assert fitted.labels_.shape == est.labels_.shape
    assert fitted.transform(X).shape == est.transform(X).shape
    assert fitted.predict(X).shape == est.labels_.shape


def test_sharded_batches_split_rows_and_keep_tiny_batches():
    batches = [({"a": torch.arange(8), "b": torch.arange(8) * 10}, torch.arange(8)),
               (torch.arange(3), torch.arange(3))]
    rank1 = list(_ShardedBatches(batches, 1, 2))
    np.testing.assert_array_equal(rank1[0][0]["a"], [1, 3, 5, 7])
    np.testing.assert_array_equal(rank1[0][0]["b"], [10, 30, 50, 70])
    np.testing.assert_array_equal(rank1[0][1], [1, 3, 5, 7])
    # 3 rows cannot give each of 2 processes two rows: processed whole on every rank
    np.testing.assert_array_equal(rank1[1][0], [0, 1, 2])
    assert len(_ShardedBatches(batches, 0, 2)) == 2


def test_launcher_without_process_group_warns(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.warns(UserWarning, match="init_process_group"):
        assert distributed_world() is None
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert distributed_world() is None
