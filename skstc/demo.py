"""Quickstart: fit every available skstc estimator on a built-in dataset.

Run ``python -m skstc.demo`` (optionally ``--output FILE.png``). Each method contributes a
``_demo_*`` function that fits its estimator on a small synthetic set from
:mod:`skstc.datasets`, prints its scores and draws one panel of the figure. The whole run is
meant to take under three minutes on two CPU cores.
"""

import argparse
import sys
import time

import numpy as np

DEMOS = []


def _register(title):
    def deco(fn):
        DEMOS.append((title, fn))
        return fn

    return deco


# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---

# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---


def main(argv=None):
    """Run every registered demo, print scores and save one figure."""
    parser = argparse.ArgumentParser(prog="python -m skstc.demo", description=__doc__)
    parser.add_argument("--output", default="skstc_quickstart.png",
                        help="where to save the figure (default: %(default)s)")
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)

    import skstc

    print(f"skstc {skstc.__version__}: {len(DEMOS)} estimator demo(s)")
    if not DEMOS:
        print("no estimator is available yet")
        return 0
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - plot extra not installed
        plt = None
        print("matplotlib is not installed (pip install 'skstc[plot]'): no figure")
    fig = axes = None
    if plt is not None:
        fig, axes = plt.subplots(1, len(DEMOS), figsize=(5 * len(DEMOS), 4.5), squeeze=False)
        axes = axes[0]
    t_all = time.perf_counter()
    for i, (title, fn) in enumerate(DEMOS):
        t0 = time.perf_counter()
        print(f"\n== {title}")
        scores = fn(None if axes is None else axes[i], random_state=args.random_state)
        for key, val in scores.items():
            print(f"  {key:<40s} {val:.3f}" if isinstance(val, (float, np.floating))
                  else f"  {key:<40s} {val}")
        print(f"  ({time.perf_counter() - t0:.1f} s)")
        if axes is not None:
            axes[i].set_title(title, fontsize=9)
    if fig is not None:
        fig.tight_layout()
        fig.savefig(args.output, dpi=90)
        print(f"\nfigure saved to {args.output}")
    print(f"total {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
