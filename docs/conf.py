"""Sphinx configuration for skstc (API reference from docstrings, gallery from examples/)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
import skstc  # noqa: E402

project = "skstc"
author = "skstc developers"
release = version = skstc.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]
try:  # the gallery is optional so that the API docs build without it
    import sphinx_gallery  # noqa: F401

    extensions.append("sphinx_gallery.gen_gallery")
    sphinx_gallery_conf = {
        "examples_dirs": "../examples",
        "gallery_dirs": "auto_examples",
        "filename_pattern": r"/plot_",
        "download_all_examples": False,
    }
except ImportError:  # pragma: no cover
    pass

autosummary_generate = True
numpydoc_show_class_members = False
templates_path = []
exclude_patterns = ["_build"]
try:
    import pydata_sphinx_theme  # noqa: F401

    html_theme = "pydata_sphinx_theme"
except ImportError:  # pragma: no cover
    html_theme = "alabaster"
