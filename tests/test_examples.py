"""Every gallery example runs to the end in its quick mode (``SKSTC_EXAMPLES_QUICK=1``).

Each script runs in a fresh interpreter with the Agg backend, from an empty working directory
and with its own temporary folder: it must exit 0, write nothing to the working directory,
and finish in well under a minute. The tutorials read the project's real files when they are
found and a synthetic stand-in otherwise; the ``slow`` tests force the stand-in.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
TUTORIALS = [p for p in EXAMPLES if p.stem.startswith("plot_tutorial_")]
# seconds per script in quick mode: ~10-18 s measured on 2 shared, loaded cores
MAX_SECONDS = 45

pytest.importorskip("matplotlib")


def run_example(script, tmp_path, **env):
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    environ = dict(os.environ, MPLBACKEND="Agg", SKSTC_EXAMPLES_QUICK="1", OMP_NUM_THREADS="1",
                   TMPDIR=str(tmp), PYTHONPATH=os.pathsep.join(
                       [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]), **env)
    start = time.perf_counter()
    res = subprocess.run([sys.executable, str(script)], cwd=cwd, env=environ,
                         capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    assert res.returncode == 0, f"{script.name} failed:\n{res.stderr[-4000:]}"
    assert sorted(p.name for p in cwd.iterdir()) == [], \
        f"{script.name} wrote to the working directory"
    assert elapsed < MAX_SECONDS, f"{script.name} took {elapsed:.0f}s in quick mode"
    return res.stdout


def test_every_example_has_a_quick_mode():
    assert len(EXAMPLES) >= 6 and len(TUTORIALS) >= 3
    for script in EXAMPLES:
        assert 'os.environ.get("SKSTC_EXAMPLES_QUICK") == "1"' in script.read_text(), script.name
    assert "SKSTC_EXAMPLES_QUICK" in (ROOT / "examples" / "README.rst").read_text()


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_in_quick_mode(script, tmp_path):
    run_example(script, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("script", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_falls_back_to_a_synthetic_file(script, tmp_path):
    empty = tmp_path / "no_data"
    empty.mkdir()
    out = run_example(script, tmp_path, SKSTC_DATA_DIR=str(empty))
    assert "synthetic" in out
