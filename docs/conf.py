"""Sphinx configuration for skstc (API reference from docstrings, gallery from examples/).

Builds with sphinx and numpydoc alone; the pydata theme and sphinx-gallery are used when
installed. Without sphinx-gallery the examples page lists the example scripts' sources.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import skstc  # noqa: E402

project = "skstc"
author = "skstc developers"
copyright = "skstc developers"
release = version = skstc.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples"]

autosummary_generate = True
autosummary_ignore_module_all = False     # a module's __all__ is its public API
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -n: every cross-reference must resolve. The docs are built offline (no intersphinx), so
# references into the libraries skstc builds on are left unresolved on purpose.
nitpicky = True
_EXTERNAL = ("sklearn", "numpy", "np", "scipy", "xarray", "xr", "torch", "skorch", "pandas",
             "matplotlib", "dask", "joblib", "click", "rioxarray", "zarr", "pyproj")
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_EXTERNAL)})(\..*)?"),
    (r"py:.*", r"(BaseEstimator|TransformerMixin|ClusterMixin|MetaEstimatorMixin|Module)"),
    # private helpers named in docstrings for the curious reader are not documented pages
    (r"py:.*", r"skstc\.(.*\.)?_.*"),
]

try:  # the gallery is optional so that the API docs build without it
    import sphinx_gallery  # noqa: F401
except ImportError:
    sphinx_gallery = None
if sphinx_gallery is not None:
    extensions.append("sphinx_gallery.gen_gallery")
    sphinx_gallery_conf = {
        "examples_dirs": "../examples",
        "gallery_dirs": "auto_examples",
        "filename_pattern": r"/plot_",
        "download_all_examples": False,
        # SKSTC_DOCS_QUICK=1 (CI) runs no example: the scripts are rendered unexecuted
        "plot_gallery": os.environ.get("SKSTC_DOCS_QUICK", "0") != "1",
    }
else:
    # Without sphinx-gallery: one page listing every example's source (the scripts' own
    # docstring as its text), written where the gallery would write its pages.
    out = HERE / "auto_examples"
    out.mkdir(exist_ok=True)
    lines = ["Examples", "========", "",
             "Each script runs on its own (``python examples/plot_....py``). Install "
             "sphinx-gallery to render them with their figures.", ""]
    for script in sorted((HERE.parent / "examples").glob("*.py")):
        title = script.stem
        lines += [title, "-" * len(title), "",
                  f".. literalinclude:: ../../examples/{script.name}",
                  "   :language: python", ""]
    text = "\n".join(lines)
    index = out / "index.rst"
    if not index.exists() or index.read_text() != text:
        index.write_text(text)

try:
    import pydata_sphinx_theme  # noqa: F401

    html_theme = "pydata_sphinx_theme"
except ImportError:
    html_theme = "alabaster"


# ---- the command line's help, generated from the program itself ---------------------------
def _cli_help_directive():
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    class CliHelp(SphinxDirective):
        """``.. skstc-cli-help:: objects fit`` renders ``skstc objects fit --help``."""

        optional_arguments = 10
        has_content = False

        def run(self):
            from click.testing import CliRunner

            from skstc.cli import main

            args = list(self.arguments) + ["--help"]
            result = CliRunner().invoke(main, args, prog_name="skstc", terminal_width=88)
            if result.exit_code != 0:
                raise self.error(f"skstc {' '.join(args)} failed: {result.output}")
            block = nodes.literal_block(result.output, result.output)
            block["language"] = "text"
            return [block]

    return CliHelp


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods (metadata routing)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.add_directive("skstc-cli-help", _cli_help_directive())
    app.connect("autodoc-skip-member", _skip_metadata_requests)
