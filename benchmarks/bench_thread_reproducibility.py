"""Same seed, different thread counts: how far apart are MultimodalConstrainedAE's results?

Fits MultimodalConstrainedAE twice with the same ``random_state``, once with ``n_threads=1``
and once with ``n_threads=2``, and prints the largest embedding difference, the share of
samples whose cluster differs after matching the clusters (1 - ARI is printed too) and the
per-epoch relative loss difference; with ``--perturb`` it compares instead two 1-thread fits
whose inputs differ by one float32 ulp on 1% of the entries (a thread-free stand-in for
rounding differences). Run on an otherwise idle machine:
``python benchmarks/bench_thread_reproducibility.py [--n 128 --steps 24 --epochs 20]``.
"""

import argparse
import warnings

import numpy as np
from sklearn.metrics import adjusted_rand_score

from skstc import MultimodalConstrainedAE
from skstc.datasets import make_water_bodies


def fit(X, y, args, n_threads, clustering_loss):
    est = MultimodalConstrainedAE(
        4, spatial_shape=(args.map_size, args.map_size), embedding_dim=args.embedding_dim,
        conv_channels=(4, 8), lstm_hidden_size=args.hidden_size, max_epochs=args.epochs, batch_size=32,
        clustering_loss=clustering_loss, n_threads=n_threads, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    loss = np.array([h["train_loss"] for h in est.history_])
    return est.transform(X), est.labels_, loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--map-size", type=int, default=8)
    parser.add_argument("--embedding-dim", type=int, default=16)
    parser.add_argument("--hidden-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--perturb", action="store_true")
    args = parser.parse_args()
    X, y = make_water_bodies(args.n, n_timesteps=args.steps, map_size=args.map_size,
                             random_state=0)
    X = X.astype(np.float32)
    y_few = np.where(np.arange(args.n) < args.n // 5, y, -1)
    print("| clustering_loss | compared | max abs embedding diff | ARI of labels | "
          "max relative loss diff |")
    print("|---|---|---|---|---|")
    for loss_name in (None, "constrained"):
        if args.perturb:
            Xp = X.copy()
            hit = np.random.RandomState(0).rand(*X.shape) < 0.01
            Xp[hit] = np.nextafter(Xp[hit], np.float32(np.inf))
            a, b = fit(X, y_few, args, 1, loss_name), fit(Xp, y_few, args, 1, loss_name)
            what = "1 thread, input +1 ulp on 1%"
        else:
            a, b = fit(X, y_few, args, 1, loss_name), fit(X, y_few, args, 2, loss_name)
            what = "1 vs 2 threads"
        rel = np.abs(a[2] - b[2]) / np.abs(a[2])
        print(f"| {loss_name} | {what} | {np.abs(a[0] - b[0]).max():.2g} | "
              f"{adjusted_rand_score(a[1], b[1]):.3f} | {rel.max():.2g} |", flush=True)


if __name__ == "__main__":
    main()
