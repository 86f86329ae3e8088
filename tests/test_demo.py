"""The quickstart writes nothing unless asked, and draws one panel (or more) per method."""

import pytest

from skstc import demo


@pytest.fixture
def fake_demos(monkeypatch):
    drawn = []

    def one(ax, random_state=0):
        drawn.append(ax)
        for a in ([] if ax is None else ax if isinstance(ax, list) else [ax]):
            a.plot([0, 1], [random_state, 1])
        return {"score": 0.5, "count": 3}

    monkeypatch.setattr(demo, "DEMOS", [("one", one, 1), ("two", one, 2)])
    return drawn


def test_demo_writes_nothing_without_output(fake_demos, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert demo.main(["--random-state", "3"]) == 0
    assert list(tmp_path.iterdir()) == []
    assert fake_demos == [None, None]
    out = capsys.readouterr().out
    assert "score" in out and "0.500" in out and "no file written" in out


def test_demo_saves_the_figure_when_asked(fake_demos, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "sub.png"
    assert demo.main(["--output", str(target)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["sub.png"]
    assert target.stat().st_size > 1000
    single, pair = fake_demos
    assert single.get_title() == "one" and len(pair) == 2
    assert single.figure is pair[0].figure and len(single.figure.axes) == 3
