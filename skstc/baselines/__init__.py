"""The simple baselines a practitioner would use instead of each deep method.

Each baseline takes the same input as the skstc estimator it stands beside, so that the two
can be compared on the user's own data (see :func:`compare_with_baselines`).
"""

__all__ = []

from ._compare import compare_with_baselines  # noqa: E402
from ._objects import objects_baselines  # noqa: E402

__all__ += ["compare_with_baselines", "objects_baselines"]
