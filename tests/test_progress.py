"""The training display, the ``skstc`` logger and the long-fit warning, on every deep estimator."""

import logging
import re
import warnings

import numpy as np
import pytest

import skstc._training as engine
from skstc import (
    DeepSpatiotemporalClustering,
    MultimodalClassifier,
    MultimodalConstrainedAE,
    Tile2VecSeriesKMeans,
)
from skstc.datasets import make_climate_fields, make_image_sequence, make_water_bodies
from skstc.preprocessing import FieldMinMaxScaler

ANSI = re.compile(r"\x1b\[")
EPOCH_LINE = re.compile(r"^\s*(\d+)/(\d+)\s")
MM = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,), lstm_hidden_size=8,
          n_threads=1, random_state=0)


@pytest.fixture(scope="module")
def objects():
    X, y = make_water_bodies(48, n_timesteps=12, map_size=8, random_state=0)
    y_few = np.full_like(y, -1)
    for c in range(4):
        y_few[np.flatnonzero(y == c)[:3]] = c
    return X, y_few


@pytest.fixture(scope="module")
def images():
    return make_image_sequence(n_regions=2, n_times=3, n_bands=2, height=32, width=40,
                               random_state=0)[0]


@pytest.fixture(scope="module")
def fields():
    X, _ = make_climate_fields(n_times=60, n_regimes=3, grid_shape=(8, 8), random_state=0)
    return FieldMinMaxScaler().fit_transform(X).astype(np.float32)


# (estimator factory, data fixture, fit uses y, [(phase name, epochs)])
CASES = {
    "multimodal": (lambda **kw: MultimodalConstrainedAE(4, max_epochs=4, **MM, **kw),
                   "objects", True, [("training", 4)]),
    "classifier": (lambda **kw: MultimodalClassifier(max_epochs=3, **MM, **kw),
                   "objects", True, [("training", 3)]),
    "tile2vec": (lambda **kw: Tile2VecSeriesKMeans(
        3, tile_size=8, embedding_dim=8, n_blocks=(1,), base_width=4, n_triplets=64,
        batch_size=32, max_epochs=2, refine_epochs=2, n_threads=1, random_state=0, **kw),
        "images", False, [("encoder training", 2), ("refinement", 2)]),
    "dsc": (lambda **kw: DeepSpatiotemporalClustering(
        3, embedding_dim=4, conv_channels=(4,), lstm_hidden_size=4, pretrain_epochs=2,
        max_epochs=3, batch_size=16, n_init=2, tol=0.0, n_threads=1, random_state=0, **kw),
        "fields", False, [("pretraining", 2), ("clustering", 3)]),
}


def _fit(name, request, **kw):
    make, data, with_y, _ = CASES[name]
    data = request.getfixturevalue(data)
    est = make(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # method warnings (tiny data) are not tested here
        if with_y:
            return est.fit(*data)
        return est.fit(data)


def _tables(out, owner):
    """{phase: (header columns, [rows of cells])} parsed from the printed lines."""
    tables, phase, lines = {}, None, out.splitlines()
    for i, line in enumerate(lines):
        m = re.match(rf"^\[{owner}\] ([\w -]+): up to (\d+) epoch", line)
        if m:
            phase = m.group(1)
            tables[phase] = (None, [])
            continue
        if phase is None:
            continue
        if line.split()[:1] == ["epoch"]:
            tables[phase] = (line.split(), tables[phase][1])
        elif EPOCH_LINE.match(line):
            tables[phase][1].append(line.split())
    return tables


@pytest.mark.parametrize("name", list(CASES))
def test_verbose_display_is_one_plain_table_per_phase(name, request, capsys):
    est = _fit(name, request, verbose=1)
    out, err = capsys.readouterr()
    assert not ANSI.search(out + err)
    owner = type(est).__name__
    tables = _tables(out, owner)
    phases = CASES[name][3]
    assert list(tables) == [p for p, _ in phases]
    for phase, n_epochs in phases:
        header, rows = tables[phase]
        assert header is not None and header[:2] == ["epoch", "train_loss"]
        assert header[-2:] == ["dur", "eta"]
        # one line per epoch (training may stop early, never print twice)
        epochs = [int(r[0].split("/")[0]) for r in rows]
        assert epochs == list(range(1, len(rows) + 1)) and 1 <= len(rows) <= n_epochs
        assert all(r[0].endswith(f"/{n_epochs}") for r in rows)
        # the same columns on every line
        assert {len(r) for r in rows} == {len(header)}
        assert re.search(rf"^\[{owner}\] {phase}: {len(rows)} epoch\(s\) in ", out, re.M)
    if name == "tile2vec":
        assert "K-means: clustering 40 embedded tile series" in out
        assert "K-means: clustering 40 refined tile series" in out


def test_multimodal_constraint_column_from_the_first_epoch(objects, capsys):
    X, y = objects
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MultimodalConstrainedAE(4, max_epochs=4, constraint_start=0.5, verbose=1,
                                      **MM).fit(X, y)
    out = capsys.readouterr().out
    header, rows = _tables(out, "MultimodalConstrainedAE")["training"]
    assert "constraint" in header
    col = header.index("constraint")
    # the term starts after epoch 2: blank before, a number after, in the same column
    assert [r[col] for r in rows[:2]] == ["-", "-"]
    assert all(float(r[col]) >= 0 for r in rows[2:]) and len(rows) == 4
    assert all(len(r) == len(header) for r in rows)
    assert "constraint" not in est.history_[0] and "constraint" in est.history_[-1]


@pytest.mark.parametrize("name", list(CASES))
def test_verbose_zero_prints_nothing(name, request, capsys):
    _fit(name, request, verbose=0)
    assert capsys.readouterr() == ("", "")


def test_dec_target_updates_only_at_verbose_2(request, capsys):
    _fit("dsc", request, verbose=1)
    assert "target update" not in capsys.readouterr().out
    _fit("dsc", request, verbose=2)
    assert "target update 1 (iteration 0)" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(CASES))
def test_records_go_to_the_skstc_logger(name, request, caplog, capsys):
    with caplog.at_level(logging.DEBUG, logger="skstc"):
        est = _fit(name, request, verbose=0)
    assert capsys.readouterr() == ("", "")  # logged, not printed
    records = [r for r in caplog.records if r.name == "skstc"]
    owner = type(est).__name__
    phases = [p for p, _ in CASES[name][3]]
    info = [r.getMessage() for r in records if r.levelno == logging.INFO]
    for phase in phases:
        assert any(m.startswith(f"[{owner}] {phase}: up to") for m in info)
    assert any(m.startswith(f"[{owner}] projected fit time") for m in info)
    debug = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    assert sum(bool(EPOCH_LINE.match(m)) for m in debug) == sum(
        len(h) for h in _by_phase(est.history_, phases))


def _by_phase(history, phases):
    if "phase" not in history[0]:
        return [history]
    names = list(dict.fromkeys(h["phase"] for h in history))
    assert len(names) == len(phases)
    return [[h for h in history if h["phase"] == n] for n in names]


def test_library_adds_no_handler_but_a_null_one():
    import skstc  # noqa: F401

    handlers = logging.getLogger("skstc").handlers
    assert handlers and all(isinstance(h, logging.NullHandler) for h in handlers)


SPEED = {
    "multimodal": ["max_epochs=4", "conv_channels=(4,)", "lstm_hidden_size=8", "embedding_dim=8",
                   "batch_size="],
    "classifier": ["max_epochs=3", "conv_channels=(4,)", "embedding_dim=8"],
    "tile2vec": ["max_epochs=2", "n_triplets=64", "refine_epochs=2", "tile_size=8"],
    "dsc": ["pretrain_epochs=2", "max_epochs=3", "conv_channels=(4,)", "window=1"],
}


@pytest.mark.parametrize("name", list(CASES))
def test_long_fit_warns_once_naming_the_parameters(name, request, monkeypatch, capsys):
    # a budget far below any epoch's duration: every fit is "long"
    monkeypatch.setattr(engine, "_LONG_FIT_SECONDS", 1e-9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _fit_recording(name, request)
    long = [w for w in caught if "is projected to take" in str(w.message)]
    assert len(long) == 1 and long[0].category is UserWarning
    assert long[0].filename == __file__  # points at the user's fit call
    msg = str(long[0].message)
    for param in SPEED[name]:
        assert param in msg
    assert capsys.readouterr() == ("", "")  # verbose=0: the warning is the only output


@pytest.mark.parametrize("name", list(CASES))
def test_short_fit_does_not_warn(name, request):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _fit_recording(name, request)
    assert not [w for w in caught if "is projected to take" in str(w.message)]


def _fit_recording(name, request):
    make, data, with_y, _ = CASES[name]
    data = request.getfixturevalue(data)
    est = make(verbose=0)
    return est.fit(*data) if with_y else est.fit(data)


class _FakeClock:
    """A clock advancing ``step`` seconds at every reading."""

    def __init__(self, step):
        self.t, self.step = 0.0, step

    def __call__(self):
        self.t += self.step
        return self.t


def test_projection_from_the_first_batches_of_a_long_epoch(request, monkeypatch, caplog):
    # each clock reading is 40 s later: the first batch passes the 5 s probe, and
    # 40 s x 4 batches x (2 + 3) epochs project well over the default budget
    monkeypatch.setattr(engine, "_clock", _FakeClock(40.0))
    with warnings.catch_warnings(record=True) as caught, \
            caplog.at_level(logging.INFO, logger="skstc"):
        warnings.simplefilter("always")
        _fit_recording("dsc", request)
    long = [str(w.message) for w in caught if "is projected to take" in str(w.message)]
    assert len(long) == 1
    assert "40.0s for the first 1 of ~4 batches" in long[0]
    assert "about 13m20s on cpu" in long[0]


def test_projection_uses_the_whole_fit(request, monkeypatch):
    # 1 s per clock reading; the budget sits between one phase and the whole fit
    seen = []
    monkeypatch.setattr(engine, "_clock", _FakeClock(1.0))
    monkeypatch.setattr(engine, "_PROBE_SECONDS", 1e9)  # project at the end of epoch 1
    monkeypatch.setattr(engine._Progress, "_project",
                        lambda self, per_epoch, measured: seen.append(
                            (self.phase, per_epoch, self.fit_epochs)))
    _fit_recording("tile2vec", request)
    _fit_recording("dsc", request)
    # Tile2Vec: encoder epochs + refinement epochs (same triplet count), measured once
    # DSC: pretraining + clustering epochs, measured once, in the first phase
    assert [(p, f) for p, _, f in seen] == [("encoder training", 4.0), ("pretraining", 5)]
    assert all(per_epoch > 0 for _, per_epoch, _ in seen)


def test_no_projection_without_pretraining_is_made_in_clustering(request, monkeypatch):
    seen = []
    monkeypatch.setattr(engine._Progress, "_project",
                        lambda self, per_epoch, measured: seen.append(
                            (self.phase, self.fit_epochs)))
    est = CASES["dsc"][0](verbose=0).set_params(pretrain_epochs=0)
    est.fit(request.getfixturevalue("fields"))
    assert seen == [("clustering", 3)]


def test_format_seconds():
    assert engine.format_seconds(3.14159) == "3.14s"
    assert engine.format_seconds(42.0) == "42.0s"
    assert engine.format_seconds(245) == "4m05s"
    assert engine.format_seconds(3720) == "1h02m"
    assert engine.format_seconds(float("nan")) == "-"


def test_long_epochs_print_where_they_are(request, monkeypatch, capsys):
    # 40 s per clock reading: every batch is past the 30 s heartbeat interval
    monkeypatch.setattr(engine, "_clock", _FakeClock(40.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _fit("dsc", request, verbose=1)
    out = capsys.readouterr().out
    assert "[DeepSpatiotemporalClustering] pretraining: epoch 1, batch 1/~4, 40.0s into the " \
           "epoch" in out
    tables = _tables(out, "DeepSpatiotemporalClustering")
    assert [len(rows) for _, rows in tables.values()] == [2, 3]  # still one line per epoch
