"""The documentation covers every public module and builds without a warning."""

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import skstc

ROOT = Path(__file__).resolve().parents[1]


def public_modules():
    return sorted(f"skstc.{m.name}" for m in pkgutil.iter_modules(skstc.__path__)
                  if not m.name.startswith("_") and m.name not in ("demo", "cli", "utils"))


def test_api_reference_lists_every_public_module():
    api = (ROOT / "docs" / "api.rst").read_text()
    listed = {line.strip() for line in api.splitlines()}
    missing = [m for m in public_modules() if m not in listed]
    assert not missing, f"docs/api.rst does not list {missing}"
    assert "skstc.cli.main" in listed


def test_module_template_lists_members_from_all():
    # the API pages come from each module's __all__: a name there is a documented page
    template = (ROOT / "docs" / "_templates" / "autosummary" / "module.rst").read_text()
    assert "{% for item in functions %}" in template and "{% for item in classes %}" in template
    conf = (ROOT / "docs" / "conf.py").read_text()
    assert "autosummary_ignore_module_all = False" in conf
    for name in public_modules():
        mod = importlib.import_module(name)
        assert mod.__doc__, f"{name} has no module docstring"


def test_every_method_page_names_its_paper():
    pages = {"multimodal": "arXiv:2210.07522", "tile2vec": "doi:10.1007/s11222-024-10383-y",
             "dsc": "ECML PKDD 2023"}
    for page, ref in pages.items():
        text = (ROOT / "docs" / "methods" / f"{page}.rst").read_text()
        assert ref in text and "Data contract" in text and "CPU and paper settings" in text
    cff = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in cff and f'version: "{skstc.__version__}"' in cff


def test_sphinx_nitpicky_build_is_clean(tmp_path):
    # sphinx and numpydoc come with the dev extra; ~10-25 s on 2 shared cores. The gallery
    # (when sphinx-gallery is installed) is rendered without running the examples
    # (SKSTC_DOCS_QUICK=1): tests/test_examples.py runs them.
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    env = dict(os.environ, SKSTC_DOCS_QUICK="1", MPLBACKEND="Agg")
    res = subprocess.run([sys.executable, "-m", "sphinx", "-n", "-W", "--keep-going", "-q",
                          "-b", "html", str(ROOT / "docs"), str(tmp_path / "html")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-4000:]
    assert (tmp_path / "html" / "generated" / "skstc.inspection.choose_n_clusters.html").is_file()


def test_dev_extra_pulls_the_docs_build():
    # CI installs ".[all]": the nitpicky build above must not skip there
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert "dev" in extras["all"][0]
    names = {req.split(">")[0].split("=")[0].split("[")[0] for req in extras["dev"]}
    assert {"sphinx", "numpydoc"} <= names
