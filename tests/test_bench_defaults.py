"""benchmarks/bench_defaults.py: the user snippets are valid, public and use the defaults."""

import ast

import pytest

from benchmarks.bench_defaults import PARTS, SNIPPETS, count_lines, snippet_code

ALLOWED_MODULES = {"numpy", "xarray", "matplotlib.pyplot", "sklearn.pipeline",
                   "sklearn.linear_model", "skstc", "skstc.datasets", "skstc.preprocessing",
                   "skstc.plotting", "skstc.io"}
ESTIMATORS = {"DeepSpatiotemporalClustering", "MultimodalConstrainedAE", "MultimodalClassifier",
              "Tile2VecSeriesKMeans", "LabelAugmenter"}
# what the data decides (the number of clusters/classes, the grid of tiles, the map shape,
# a modality that is absent, no grid at all); every other parameter keeps its default
DATA_REQUIRED = {"n_clusters", "tile_size", "spatial_shape", "modalities", "architecture"}


def _trees():
    for name, (_, parts) in SNIPPETS.items():
        yield name, ast.parse(snippet_code(parts), filename=name)


def test_every_snippet_has_the_three_parts_and_compiles():
    for name, (method, parts) in SNIPPETS.items():
        assert set(parts) == set(PARTS), name
        for part in PARTS:
            compile(parts[part], f"<{name}:{part}>", "exec")
        assert parts["fit"].strip(), name


def test_snippets_import_only_public_api():
    for name, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module]
                assert not any(a.name.startswith("_") for a in node.names), name
            else:
                if isinstance(node, ast.Attribute):
                    assert not node.attr.startswith("_"), (name, node.attr)
                continue
            assert set(mods) <= ALLOWED_MODULES, (name, mods)


def test_estimators_run_with_their_defaults():
    for name, tree in _trees():
        built = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ESTIMATORS:
                built.append(node.func.id)
                if node.func.id == "LabelAugmenter":
                    assert not node.keywords, name
                    continue
                keywords = {k.arg for k in node.keywords}
                assert keywords <= DATA_REQUIRED, (name, keywords - DATA_REQUIRED)
        assert built, name


def test_count_lines_ignores_blank_lines():
    assert count_lines("a = 1\n\n   \nb = 2\n") == 2


@pytest.mark.realdata
def test_every_real_file_has_a_snippet(data_file):
    folder = data_file("sentinel2_slovenia_ndvi.nc").parent
    files = {p.name for p in folder.glob("*.nc")}
    covered = {name.split(" ")[0] for name in SNIPPETS}
    assert files <= covered, files - covered
