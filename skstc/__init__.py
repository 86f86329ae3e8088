"""skstc: scikit-learn compatible deep spatiotemporal clustering with few or no labels.

The public API is the estimators listed in ``__all__`` with :func:`skstc.save` and :func:`skstc.load`
(model files that hold data only, never pickle); helpers live in the public
submodules :mod:`skstc.preprocessing`, :mod:`skstc.datasets`, :mod:`skstc.metrics`,
:mod:`skstc.losses`, :mod:`skstc.inspection`, :mod:`skstc.baselines`, :mod:`skstc.plotting`
and :mod:`skstc.io`; the command line is ``skstc`` (:mod:`skstc.cli`).

The estimators are imported on first use (PEP 562), so that ``import skstc`` and the
command line's ``--help`` do not pay for importing torch.
"""

import importlib
import logging

__version__ = "0.1.0.dev0"

# the library's messages go to the "skstc" logger; the application configures logging
logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> private module defining it (imported on first attribute access)
_LAZY = {
    "DeepSpatiotemporalClustering": "._dsc",
    "LabelAugmenter": "._label_augmenter",
    "MultimodalClassifier": "._classifier",
    "MultimodalConstrainedAE": "._multimodal",
    "Tile2VecSeriesKMeans": "._tile2vec",
    "load": "._persistence",
    "save": "._persistence",
}

__all__ = [
    "DeepSpatiotemporalClustering",
    "LabelAugmenter",
    "MultimodalClassifier",
    "MultimodalConstrainedAE",
    "Tile2VecSeriesKMeans",
    "__version__",
    "load",
    "save",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
