"""Engine overhead: the skorch-driven engine vs a hand-written torch loop, same run.

Trains the same small convolutional autoencoder on 64x64 maps with the same optimizer, batch
size, number of epochs and threads, once through ``TorchEstimatorMixin._train_module`` and once
with a plain ``for batch in DataLoader`` loop, and prints samples/s and their ratio (target:
engine/plain >= 0.9). Run: ``python benchmarks/bench_engine.py [--n 2048 --epochs 3]``.
"""

import argparse
import time

import numpy as np
import torch
from sklearn.base import BaseEstimator

from skstc._training import TorchEstimatorMixin, torch_threads


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
                 callbacks=None, verbose=0, random_state=0):
        for k, v in locals().items():
            if k != "self":
                setattr(self, k, v)


def plain_loop(X, epochs, batch_size, n_threads, seed=0):
    with torch_threads(n_threads):
        torch.manual_seed(seed)
        model = ConvAE()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loader = torch.utils.data.DataLoader(torch.as_tensor(X), batch_size=batch_size,
                                             shuffle=True)
        for _ in range(epochs):
            for xb in loader:
                opt.zero_grad()
                loss = ((model(xb) - xb) ** 2).mean()
                loss.backward()
                opt.step()
                loss.item()
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    X = np.random.RandomState(0).rand(args.n, 1, 64, 64).astype(np.float32)
    est = _Bench(max_epochs=args.epochs, n_threads=args.threads)
    t_plain, t_engine = [], []
    for _ in range(args.repeat):  # interleave to share machine noise
        t0 = time.perf_counter()
        plain_loop(X, args.epochs, 256, args.threads)
        t_plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        est._train_module(ConvAE, X, criterion=Recon, random_state=0)
        t_engine.append(time.perf_counter() - t0)
    n_seen = args.n * args.epochs
    plain, engine = n_seen / min(t_plain), n_seen / min(t_engine)
    print(f"plain torch loop : {plain:9.1f} samples/s")
    print(f"skstc engine     : {engine:9.1f} samples/s")
    print(f"ratio engine/plain = {engine / plain:.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
