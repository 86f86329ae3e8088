"""Shared fixtures: the real-data folder and small helpers."""

import os
from pathlib import Path

import numpy as np
import pytest

from skstc.datasets import make_water_bodies

_REPO = Path(__file__).resolve().parents[1]


def shared_data_dir():
    """Folder holding the real datasets (``../shared/data`` or ``$SKSTC_DATA_DIR``)."""
    env = os.environ.get("SKSTC_DATA_DIR")
    return Path(env) if env else _REPO.parent / "shared" / "data"


@pytest.fixture
def data_dir():
    """Path to the real-data folder; skips the test when it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent")
    return path


@pytest.fixture
def data_file(data_dir):
    """Return a function giving the path of one real-data file, skipping when absent."""

    def _get(name):
        path = data_dir / name
        if not path.is_file():
            pytest.skip(f"real data file {path} is absent")
        return path

    return _get


@pytest.fixture(scope="module")
def small():
    """48 water bodies (4 classes, maps 8x8, 12 dates) and 3 labels per class (rest -1)."""
    X, y = make_water_bodies(48, n_timesteps=12, map_size=8, random_state=0)
    y_few = np.full_like(y, -1)
    for c in range(4):
        y_few[np.flatnonzero(y == c)[:3]] = c
    return X, y, y_few
