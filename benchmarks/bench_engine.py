"""Engine overhead: every deep estimator's ``fit`` vs the same fit with a hand-written loop.

For each deep estimator, ``fit`` runs twice on the same data with the same settings:

* **engine**: as shipped, every training phase through ``TorchEstimatorMixin._train_module``
  (the private skorch net with its callbacks: progress, divergence guard, loss components,
  history);
* **hand-written**: the same ``fit`` with ``_train_module`` replaced by a plain PyTorch loop
  (``hand_train_module`` below): the same module (built under the same seed), loss,
  optimizer, learning rate, batches (the default shuffle is ``torch.randperm`` with the
  engine's seed; a method's own batch iterator -- triplets drawn on the fly, class-balanced
  batches, DSC's windows -- is called as is), epochs and thread count. The method's own
  callbacks (DEC target updates, the constraint schedule) are called at the same points
  through a minimal stand-in for the net, because they are part of the method, not of the
  engine. The loop reads each batch loss with ``loss.item()`` as a hand-written loop does.

Everything else in ``fit`` (input parsing, k-means initialisation, embedding, clustering) is
identical in both, so the ratio of the two fits' throughputs is the engine's overhead on the
whole fit. A fifth row times a small convolutional autoencoder trained directly through
``_train_module`` vs a ``for batch in DataLoader`` loop (the engine alone).

After one untimed warm-up fit of each, the two variants are interleaved (alternating which
goes first) so that they share the machine's noise; one torch thread. The ratio is computed
from the process CPU time of each fit (with one thread it measures the work done and is
insensitive to other processes on a shared machine), median of ``--repeat`` runs of each,
with the range of the per-pair ratios; the wall-clock ratio of the medians is printed too. Target:
engine/hand-written >= 0.9 for every estimator.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_engine.py [--repeat 3] [--only NAME]``.
"""

import argparse
import contextlib
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator
from skorch.dataset import Dataset as SkorchDataset
from skorch.history import History
from torch.utils.data import Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from skstc._training import (  # noqa: E402
    StopTraining,
    TorchEstimatorMixin,
    _LoaderFactory,
    torch_threads,
)
from skstc.utils._random import draw_seed  # noqa: E402


# ---- the hand-written training loop -------------------------------------------------------
def _batches_by_hand(X, y, batch_size, generator):
    """Shuffled batches of array data (a dict of arrays or one array), one gather each."""
    n = len(next(iter(X.values()))) if isinstance(X, dict) else len(X)
    for idx in torch.randperm(n, generator=generator).split(batch_size):
        idx = idx.numpy()
        xb = ({k: torch.from_numpy(np.ascontiguousarray(v[idx])) for k, v in X.items()}
              if isinstance(X, dict) else torch.from_numpy(np.ascontiguousarray(X[idx])))
        yield xb, torch.from_numpy(y[idx])


def hand_train_module(self, module, X, y=None, *, module_params=None, criterion=None,
                      criterion_params=None, random_state=None, max_epochs=None,
                      batch_size=None, lr=None, iterator_train=None, callbacks=(),
                      phase="training", progress_columns=None, fit_epochs=None):
    """Drop-in for ``TorchEstimatorMixin._train_module``: a plain PyTorch loop (CPU)."""
    seed = draw_seed(random_state)
    max_epochs = self.max_epochs if max_epochs is None else max_epochs
    batch_size = self.batch_size if batch_size is None else batch_size
    lr = self.lr if lr is None else lr
    if not isinstance(X, Dataset) and y is None:
        n = len(next(iter(X.values()))) if isinstance(X, dict) else len(X)
        y = np.full(n, -1, dtype=np.int64)
    with torch_threads(self.n_threads or 1), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if not isinstance(module, torch.nn.Module):
            module = module(**(module_params or {}))
        crit = criterion(**(criterion_params or {})) if isinstance(criterion, type) \
            else criterion
        opt = self._optimizer_class()(module.parameters(), lr=lr)
        # the method's own batch iterator (same batches as the engine), or a plain shuffle
        method_batches = None
        if iterator_train is not None:
            data = X if isinstance(X, Dataset) else SkorchDataset(X, y)
            method_batches = _LoaderFactory(seed + 1, 0, iterator_train)
        generator = torch.Generator()
        generator.manual_seed(seed + 1)
        history = History()
        net = types.SimpleNamespace(module_=module, criterion_=crit, history=history,
                                    device="cpu")
        cbs = [cb for _, cb in callbacks]
        for cb in cbs:
            cb.initialize()
            cb.on_train_begin(net)
        try:
            for _ in range(max_epochs):
                history.new_epoch()
                history.record("epoch", len(history))
                for cb in cbs:
                    cb.on_epoch_begin(net)
                t0 = time.perf_counter()
                batches = (method_batches(data, batch_size) if method_batches is not None
                           else _batches_by_hand(X, y, batch_size, generator))
                losses, sizes = [], []
                module.train()
                for xb, yb in batches:
                    history.new_batch()
                    opt.zero_grad()
                    out = module(**xb) if isinstance(xb, dict) else module(xb)
                    loss = crit(out, yb, xb)
                    loss.backward()
                    opt.step()
                    value = loss.item()
                    history.record_batch("train_loss", value)
                    losses.append(value)
                    sizes.append(len(yb) if yb is not None else 1)
                    for cb in cbs:
                        cb.on_batch_end(net, training=True, loss=loss)
                history.record("train_loss", float(np.average(losses, weights=sizes)))
                history.record("dur", time.perf_counter() - t0)
                for cb in cbs:
                    cb.on_epoch_end(net)
        except StopTraining:
            pass
    module.eval()
    return module, [{k: v for k, v in row.items() if k != "batches"} for row in history]


@contextlib.contextmanager
def hand_written(est):
    """``est.fit`` trains through :func:`hand_train_module` inside the block."""
    est._train_module = types.MethodType(hand_train_module, est)
    try:
        yield est
    finally:
        del est._train_module


# ---- the estimators -------------------------------------------------------------------------
def cases():
    """``[(name, make_estimator, X, y)]``: each fit takes a few seconds on one thread."""
    from skstc import (
        DeepSpatiotemporalClustering,
        MultimodalClassifier,
        MultimodalConstrainedAE,
        Tile2VecSeriesKMeans,
    )
    from skstc.datasets import make_climate_fields, make_image_sequence, make_water_bodies

    Xw, yw = make_water_bodies(512, n_timesteps=32, map_size=32, random_state=0)
    y_few = np.full_like(yw, -1)
    for c in np.unique(yw):
        idx = np.flatnonzero(yw == c)
        y_few[idx[:max(2, len(idx) // 10)]] = c
    net = dict(spatial_shape=(32, 32), embedding_dim=16, conv_channels=(8, 16),
               lstm_hidden_size=16, batch_size=64, device="cpu", n_threads=1, random_state=0)
    images, _ = make_image_sequence(n_regions=1, n_times=4, height=128, width=128,
                                    random_state=0)
    Xc, _ = make_climate_fields(n_times=730, n_regimes=4, grid_shape=(16, 16), random_state=0)
    return [
        ("MultimodalConstrainedAE",
         lambda: MultimodalConstrainedAE(4, max_epochs=6, reconstruction="normalized", **net),
         Xw, y_few),
        ("MultimodalClassifier",
         lambda: MultimodalClassifier(hidden_units=16, max_epochs=20, **net), Xw, yw),
        ("Tile2VecSeriesKMeans",
         lambda: Tile2VecSeriesKMeans(
             n_clusters=4, tile_size=16, embedding_dim=16, n_blocks=(1, 1), base_width=8,
             n_triplets=1024, max_epochs=2, refine_epochs=1, batch_size=64, device="cpu",
             n_threads=1, random_state=0),
         images[0], None),
        ("DeepSpatiotemporalClustering",
         lambda: DeepSpatiotemporalClustering(
             n_clusters=4, embedding_dim=8, conv_channels=(8, 16), lstm_hidden_size=16,
             pretrain_epochs=3, max_epochs=3, tol=0.0, batch_size=64, device="cpu",
             n_threads=1, random_state=0),
         Xc, None),
    ]


# ---- the engine alone on a small convolutional autoencoder -----------------------------------
class ConvAE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(8, 16, 3, stride=2, padding=1), torch.nn.ReLU(),
        )
        self.dec = torch.nn.Sequential(
            torch.nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1), torch.nn.ReLU(),
            torch.nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1),
        )

    def forward(self, x):
        return self.dec(self.enc(x))


class Recon(torch.nn.Module):
    def forward(self, y_pred, y_true, X):
        return ((y_pred - X) ** 2).mean()


class _Bench(TorchEstimatorMixin, BaseEstimator):
    def __init__(self, max_epochs=3, batch_size=256, lr=1e-3, optimizer="adam", tol=1e-4,
                 n_iter_no_change=None, device="cpu", n_threads=1, num_workers=0,
                 callbacks=None, verbose=0, random_state=0, precision=None):
        for k, v in locals().items():
            if k != "self":
                setattr(self, k, v)

    def fit(self, X, y=None):
        self.module_, self.history_ = self._train_module(ConvAE, X, criterion=Recon,
                                                         random_state=self.random_state)
        return self


def conv_ae_case():
    X = np.random.RandomState(0).rand(1024, 1, 64, 64).astype(np.float32)
    return ("conv AE, engine alone", lambda: _Bench(max_epochs=3), X, None)


# ---- timing ---------------------------------------------------------------------------------
def _fit(est, X, y, hand):
    """``(cpu seconds, wall seconds, last-epoch loss)`` of one fit."""
    with hand_written(est) if hand else contextlib.nullcontext(est):
        c0, t0 = time.process_time(), time.perf_counter()
        est.fit(X, y)
        return (time.process_time() - c0, time.perf_counter() - t0,
                est.history_[-1]["train_loss"])


def run(name, make, X, y, repeat):
    for hand in (False, True):   # warm-up (lazy imports, kernel selection), not timed
        _fit(make(), X, y, hand)
    cpu = {False: [], True: []}
    wall = {False: [], True: []}
    losses = {}
    for i in range(repeat):   # interleaved, alternating who goes first
        for hand in ((False, True) if i % 2 == 0 else (True, False)):
            c, t, losses[hand] = _fit(make(), X, y, hand)
            cpu[hand].append(c)
            wall[hand].append(t)
    ce, ch = float(np.median(cpu[False])), float(np.median(cpu[True]))
    we, wh = float(np.median(wall[False])), float(np.median(wall[True]))
    pairs = np.array(cpu[True]) / np.array(cpu[False])
    return {"name": name, "engine_s": ce, "hand_s": ch, "ratio": ch / ce,
            "wall_ratio": wh / we, "loss_engine": losses[False], "loss_hand": losses[True],
            "spread": (float(pairs.min()), float(pairs.max()))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    args = parser.parse_args(argv)
    rows = []
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s) by default; "
          "fits use 1 thread; median of", args.repeat, "interleaved runs", flush=True)
    print("CPU seconds per fit (one thread: CPU time is the work done, insensitive to other "
          "processes sharing the cores); ratio = engine/hand-written throughput", flush=True)
    print(f"{'estimator':30s} {'engine fit':>11s} {'hand fit':>9s} {'ratio':>6s} "
          f"{'(pairs)':>12s} {'wall ratio':>10s}  last-epoch loss engine / hand",
          flush=True)
    for name, make, X, y in cases() + [conv_ae_case()]:
        if args.only and args.only.lower() not in name.lower():
            continue
        r = run(name, make, X, y, args.repeat)
        rows.append(r)
        print(f"{name:30s} {r['engine_s']:10.2f}s {r['hand_s']:8.2f}s {r['ratio']:6.3f} "
              f"({r['spread'][0]:.2f}-{r['spread'][1]:.2f}) {r['wall_ratio']:10.3f}  "
              f"{r['loss_engine']:.4g} / {r['loss_hand']:.4g}", flush=True)
    worst = min(r["ratio"] for r in rows)
    print(f"engine/hand-written throughput: worst {worst:.3f} (target >= 0.9)")
    return rows


if __name__ == "__main__":
    main()
