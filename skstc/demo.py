"""Quickstart: fit every available skstc estimator on a built-in dataset.

Run ``python -m skstc.demo`` or ``skstc demo``; nothing is written unless ``--output
FILE.png`` asks for the figure. Each method contributes a ``_demo_*`` function that fits its
estimator on a small synthetic set from :mod:`skstc.datasets`, prints its scores and draws
its panels of the figure. The whole run is meant to take under three minutes on two CPU
cores.
"""

import argparse
import sys
import time

import numpy as np

DEMOS = []


def _register(title, n_axes=1):
    def deco(fn):
        DEMOS.append((title, fn, n_axes))
        return fn

    return deco


# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier ---
@_register("MultimodalConstrainedAE + LabelAugmenter (10 labels per class)")
def _demo_multimodal(ax, random_state=0):
    """Few-label water-body classification on synthetic objects (map + area series)."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skstc import LabelAugmenter, MultimodalConstrainedAE
    from skstc.datasets import WATER_BODY_CLASSES, make_water_bodies

    s = 16
    X, y = make_water_bodies(160, n_timesteps=36, map_size=s, random_state=random_state)
    rng = np.random.RandomState(random_state)
    y_few = np.full_like(y, -1)
    for c in range(4):
        keep = rng.choice(np.flatnonzero(y == c), 10, replace=False)
        y_few[keep] = c
    ae = MultimodalConstrainedAE(4, spatial_shape=(s, s), embedding_dim=32, conv_channels=(8, 16),
                                 lstm_hidden_size=32, spatial_weight=0.01 * 4096 / (s * s),
                                 lr=3e-3, max_epochs=30, n_threads=1,
                                 random_state=random_state).fit(X, y_few)
    Z = ae.transform(X)
    aug = LabelAugmenter(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                         n_clusters=20, random_state=random_state).fit(Z, y_few)
    test = y_few == -1
    new = (aug.transduction_ != -1) & test
    scores = {
        "macro-F1 on the unlabelled objects": f1_score(y[test], aug.predict(Z[test]),
                                                       average="macro"),
        "labels added by LabelAugmenter": int(new.sum()),
        "precision of the added labels": float((aug.transduction_[new] == y[new]).mean())
        if new.any() else float("nan"),
    }
    if ax is not None:
        P = PCA(2).fit_transform(StandardScaler().fit_transform(Z))
        for c, name in enumerate(WATER_BODY_CLASSES):
            ax.scatter(*P[y == c].T, s=8, label=name)
        ax.set_xlabel("embedding PC 1")
        ax.set_ylabel("embedding PC 2")
        ax.legend(fontsize=7, title="true class", title_fontsize=7, loc="upper left",
                  bbox_to_anchor=(1.02, 1.0), frameon=False)
    return scores


# --- Tile2VecSeriesKMeans ---
@_register("Tile2VecSeriesKMeans: planted land zones", n_axes=2)
def _demo_tile2vec(ax, random_state=0):
    """Two synthetic regions, 6 dates, 4 zones (pairs share mean values, differ by texture)."""
    from sklearn.metrics import adjusted_rand_score

    from ._tile2vec import Tile2VecSeriesKMeans
    from .datasets import make_image_sequence, tile_majority
    from .metrics import geographic_silhouette

    images, zones = make_image_sequence(n_regions=2, n_times=6, n_bands=3, height=64,
                                        width=64, n_zones=4, random_state=3)
    truth_maps = [tile_majority(z, 8) for z in zones]
    truth = np.concatenate([t.ravel() for t in truth_maps])
    model = Tile2VecSeriesKMeans(4, tile_size=8, embedding_dim=16, n_blocks=(1, 1, 1),
                                 base_width=8, n_triplets=1024, batch_size=64, max_epochs=5,
                                 refine_epochs=3, margin=1.0, n_threads=1,
                                 random_state=random_state).fit(images)
    pixel = Tile2VecSeriesKMeans(4, tile_size=8, representation="pixel_mean",
                                 random_state=random_state).fit(images)
    if ax is not None:
        # both regions side by side (a transparent column between them); clusters drawn in
        # the colour of the zone they are matched to (Hungarian matching, one legend)
        from .plotting import plot_truth_and_clusters

        gap = np.full((truth_maps[0].shape[0], 1), -1)
        cluster_maps = model.labels_.reshape(len(truth_maps), 8, 8)
        truth_panel = np.hstack([truth_maps[0], gap, truth_maps[1]])
        cluster_panel = np.hstack([cluster_maps[0], gap, cluster_maps[1]])
        plot_truth_and_clusters(truth_panel, cluster_panel, axes=ax,
                                class_names={k: f"zone {k}" for k in range(4)},
                                titles=("planted zones (regions 1 | 2)",
                                        "Tile2Vec clusters (matched)"))
    return {"ARI vs planted zones (Tile2Vec)": adjusted_rand_score(truth, model.labels_),
            "ARI before refinement (f^g)": adjusted_rand_score(truth,
                                                               model.geographic_labels_),
            "ARI vs planted zones (pixel baseline)": adjusted_rand_score(truth, pixel.labels_),
            "geographic silhouette (Tile2Vec)": float(np.mean(
                [geographic_silhouette(m) for m in model.label_maps_]))}


# --- DeepSpatiotemporalClustering ---


@_register("DeepSpatiotemporalClustering: planted weather regimes")
def _demo_dsc(ax, random_state=0):
    """Cluster 240 synthetic daily fields with planted regimes; compare with k-means."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from skstc import DeepSpatiotemporalClustering
    from skstc.datasets import make_climate_fields
    from skstc.metrics import match_labels
    from skstc.preprocessing import FieldMinMaxScaler

    X, y = make_climate_fields(n_times=240, n_regimes=4, grid_shape=(16, 16),
                               seasonal_amplitude=0.5, random_state=random_state)
    X = FieldMinMaxScaler().fit_transform(X).astype(np.float32)
    dsc = DeepSpatiotemporalClustering(4, embedding_dim=8, conv_channels=(8, 16, 32),
                                       lstm_hidden_size=32, pretrain_epochs=30, max_epochs=30,
                                       n_threads=1, random_state=random_state).fit(X)
    km = KMeans(4, n_init=10, random_state=random_state).fit_predict(X.reshape(len(X), -1))
    matched = match_labels(y, dsc.labels_)  # cluster ids = matched regime ids
    if ax is not None:
        days = np.arange(len(y))
        ax.step(days, y + 0.15, where="mid", label="planted regime")
        ax.step(days, matched - 0.15, where="mid", label="DSC cluster (matched id)")
        top = max(y.max(), matched.max())
        ax.set_yticks(np.arange(top + 1))
        ax.set_ylim(-0.5, top + 1.6)          # room for the legend above the data
        ax.set_xlabel("day")
        ax.set_ylabel("regime / cluster")
        ax.legend(fontsize=7, loc="upper center", ncol=2, frameon=False)
    return {"ARI DSC vs planted regimes": adjusted_rand_score(y, dsc.labels_),
            "ARI k-means (raw fields)": adjusted_rand_score(y, km),
            "days in the matched regime (DSC)": float(np.mean(matched == y)),
            "days in the matched regime (k-means)": float(np.mean(
                match_labels(y, km) == y)),
            "DSC clustering iterations": dsc.n_batches_}


def main(argv=None):
    """Run every registered demo and print its scores; save the figure if asked.

    Parameters
    ----------
    argv : list of str or None, default=None
        Command-line arguments (``--output FILE.png``, ``--random-state N``); None reads
        ``sys.argv``.

    Returns
    -------
    status : int
        0 on success.
    """
    parser = argparse.ArgumentParser(
        prog="python -m skstc.demo",
        description="Fit every skstc estimator on a small synthetic dataset and print its "
                    "scores. Nothing is written unless --output is given.")
    parser.add_argument("--output", default=None,
                        help="save the figure to this PNG file (default: no file)")
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)

    import skstc

    print(f"skstc {skstc.__version__}: {len(DEMOS)} estimator demo(s)")
    if not DEMOS:
        print("no estimator is available yet")
        return 0
    fig = None
    if args.output is not None:
        try:
            from matplotlib.figure import Figure
        except ImportError:  # pragma: no cover - plot extra not installed
            print("matplotlib is not installed (pip install 'skstc[plot]'): no figure")
        else:
            n_axes = sum(n for _, _, n in DEMOS)
            fig = Figure(figsize=(4.6 * n_axes, 4.6))
            flat = list(fig.subplots(1, n_axes, squeeze=False)[0])
    t_all = time.perf_counter()
    start = 0
    for title, fn, n_axes in DEMOS:
        t0 = time.perf_counter()
        print(f"\n== {title}")
        ax = None
        if fig is not None:
            ax = flat[start] if n_axes == 1 else flat[start:start + n_axes]
            start += n_axes
        scores = fn(ax, random_state=args.random_state)
        for key, val in scores.items():
            print(f"  {key:<40s} {val:.3f}" if isinstance(val, (float, np.floating))
                  else f"  {key:<40s} {val}")
        print(f"  ({time.perf_counter() - t0:.1f} s)")
        if ax is not None and n_axes == 1:
            ax.set_title(title, fontsize=9)
    if fig is not None:
        fig.tight_layout()
        fig.savefig(args.output, dpi=90)
        print(f"\nfigure saved to {args.output}")
    else:
        print("\n(no file written; pass --output FILE.png to save the figure)")
    print(f"total {time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
