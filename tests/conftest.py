"""Shared fixtures: the real-data folder and small helpers."""

import os
from pathlib import Path

import pytest

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
