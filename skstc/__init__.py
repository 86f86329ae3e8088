"""skstc: scikit-learn compatible deep spatiotemporal clustering with few or no labels.

The public API is the estimators listed in ``__all__`` with :func:`save` and :func:`load`
(model files that hold data only, never pickle); helpers live in the public
submodules :mod:`skstc.preprocessing`, :mod:`skstc.datasets`, :mod:`skstc.metrics`,
:mod:`skstc.losses`, :mod:`skstc.inspection` and :mod:`skstc.plotting`.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__", "save", "load"]

from ._persistence import load, save  # noqa: E402

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---
from ._classifier import MultimodalClassifier  # noqa: E402
from ._label_augmenter import LabelAugmenter  # noqa: E402
from ._multimodal import MultimodalConstrainedAE  # noqa: E402

__all__ += ["MultimodalConstrainedAE", "LabelAugmenter", "MultimodalClassifier"]

# --- Tile2VecSeriesKMeans (issue 4) ---
from ._tile2vec import Tile2VecSeriesKMeans  # noqa: E402

__all__ += ["Tile2VecSeriesKMeans"]

# --- DeepSpatiotemporalClustering (issue 5) ---
from ._dsc import DeepSpatiotemporalClustering  # noqa: E402

__all__ += ["DeepSpatiotemporalClustering"]
