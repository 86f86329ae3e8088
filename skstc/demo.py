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
@_register("Tile2VecSeriesKMeans: planted land zones")
def _demo_tile2vec(ax, random_state=0):
    from sklearn.metrics import adjusted_rand_score

    from .datasets import make_image_sequence, tile_majority
    from ._tile2vec import Tile2VecSeriesKMeans

    images, zones = make_image_sequence(n_regions=2, n_times=6, n_bands=3, height=64,
                                        width=64, n_zones=4, random_state=3)
    truth = np.concatenate([tile_majority(z, 8).ravel() for z in zones])
    model = Tile2VecSeriesKMeans(4, tile_size=8, embedding_dim=16, n_blocks=(1, 1, 1),
                                 base_width=8, n_triplets=1024, batch_size=64, max_epochs=5,
                                 refine_epochs=3, margin=1.0, n_threads=1,
                                 random_state=random_state).fit(images)
    pixel = Tile2VecSeriesKMeans(4, tile_size=8, encoder="pixel_mean",
                                 random_state=random_state).fit(images)
    if ax is not None:
        from .inspection import pca_colors
        from .plotting import plot_label_maps

        colors = pca_colors(model.transform(images), model.cluster_centers_)
        plot_label_maps([np.hstack([model.label_maps_[0], np.full((8, 1), -1),
                                    model.label_maps_[1]])], colors=colors, axes=[ax])
    return {"ARI vs planted zones (Tile2Vec)": adjusted_rand_score(truth, model.labels_),
            "ARI vs planted zones (pixel baseline)": adjusted_rand_score(truth, pixel.labels_)}


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
