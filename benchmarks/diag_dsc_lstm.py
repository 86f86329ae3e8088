"""Why does DSC's CNN-LSTM path trail the CNN autoencoder at window=1? Diagnostics.

Same synthetic set and reduced networks as ``bench_dsc.py``'s synthetic part (365 days, 5
planted regimes, 3 x 24 x 24, min-max per variable; conv 16-32-64-128, LSTM 64, latent 32,
20 pretraining epochs). Two modes:

* ``pre``: pretraining only (the estimator's own steps), then: final reconstruction MSE,
  ARI of k-means on the codes (what the clustering phase starts from), spread of the codes,
  and for the LSTM path the LSTM output ``h`` (bounded by tanh(1) = 0.76 at window=1 since
  the cell state starts at 0): max |h|, fraction of |h| within 10 % of that bound, units
  with no variance, ARI of k-means on ``h``.
* ``full``: the whole fit; ARI against the planted regimes, n_iter, seconds.
* ``era5``: the whole fit on ``bench_dsc.py``'s real set (ERA5 DJF msl+vo850 sector, k=7,
  no ground truth): silhouette and Davies-Bouldin on the scaled input, n_iter, seconds.

Every seed listed is run and printed (no selection). Run:
``OMP_NUM_THREADS=1 python benchmarks/diag_dsc_lstm.py pre --arch cnn_lstm_ae --seeds 0,1,2
[--lstm-hidden 64]``.
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from skstc import DeepSpatiotemporalClustering
from skstc._dsc import _FieldWindows, _WindowBatches
from skstc.datasets import make_climate_fields
from skstc.losses import DSCLoss
from skstc.metrics import cluster_quality_scores
from skstc.preprocessing import FieldMinMaxScaler
from skstc.utils._random import draw_seed, local_random_state

NET = dict(conv_channels=(16, 32, 64, 128), lstm_hidden_size=64, embedding_dim=32, batch_size=32,
           max_epochs=40, pretrain_epochs=20, update_interval=10, tol=1e-3, n_threads=1)


def data():
    X, y = make_climate_fields(n_times=365, n_regimes=5, n_variables=3, grid_shape=(24, 24),
                               random_state=2024)
    return FieldMinMaxScaler().fit_transform(X).astype(np.float32), y


def pretrain_stats(X, y, params, seed):
    """Reproduce fit's pretraining (same seeds and steps) and describe the codes."""
    est = DeepSpatiotemporalClustering(5, random_state=seed, **params)
    est._check_params()
    Xf, _ = est._to_fields(X, reset=True)
    rng = local_random_state(seed)
    module = est._build_module(draw_seed(rng))
    est._set_normalisation(module, Xf)
    p = np.full((len(Xf), 5), 0.2, dtype=np.float32)
    ds = _FieldWindows(Xf, p, est.window)
    module, hist = est._train_module(
        module, ds, criterion=DSCLoss,
        criterion_params={"reconstruction_weight": 1.0, "clustering_weight": 0.0},
        random_state=rng, max_epochs=est.pretrain_epochs, iterator_train=_WindowBatches)
    z, _ = est._codes_and_q(module, ds)
    km = KMeans(5, n_init=10, random_state=rng).fit(z)
    out = dict(recon=hist[-1].get("recon", hist[-1]["train_loss"]),
               ari_kmeans_codes=adjusted_rand_score(y, km.labels_),
               code_sd=float(z.std(0).mean()),
               kernel_scale=float(1 / np.sqrt(km.inertia_ / len(z))))
    if module.lstm is not None:
        with torch.no_grad():
            x = (ds.windows(torch.arange(len(Xf))) - module.shift) / module.spread
            b, w, c, h, wd = x.shape
            feats = module.conv(x.reshape(b * w, c, h, wd)).reshape(b, w, -1)
            H = module.lstm(feats)[0][:, -1].numpy()
        out.update(h_absmax=float(np.abs(H).max()),
                   h_frac_near_bound=float((np.abs(H) > 0.9 * np.tanh(1)).mean()),
                   h_dead_units=float((H.std(0) < 1e-3).mean()),
                   ari_kmeans_h=adjusted_rand_score(
                       y, KMeans(5, n_init=10, random_state=0).fit_predict(H)))
    return out


def full_fit(X, y, params, seed):
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = DeepSpatiotemporalClustering(5, random_state=seed, **params).fit(X)
    return dict(ari=adjusted_rand_score(y, est.labels_), n_iter=est.n_batches_,
                seconds=time.perf_counter() - t)


def era5_data():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_dsc import era5_sector
    scaled = FieldMinMaxScaler().fit_transform(era5_sector())  # a Dataset, like its input
    return np.stack([scaled[v].values for v in scaled.data_vars], axis=1).astype(np.float32)


def era5_fit(X, y, params, seed):
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = DeepSpatiotemporalClustering(7, random_state=seed, **params).fit(X)
    scores = cluster_quality_scores(X.reshape(len(X), -1), est.labels_)
    return dict(silhouette=scores["silhouette"], davies_bouldin=scores["davies_bouldin"],
                n_iter=est.n_batches_, seconds=time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["pre", "full", "era5"])
    ap.add_argument("--arch", default="cnn_lstm_ae")
    ap.add_argument("--lstm-hidden", type=int, default=64)
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()
    torch.set_num_threads(1)
    params = dict(NET, architecture=args.arch, lstm_hidden_size=args.lstm_hidden)
    if args.mode == "era5":
        X, y = era5_data(), None
        fn = era5_fit
    else:
        X, y = data()
        fn = pretrain_stats if args.mode == "pre" else full_fit
    for seed in [int(s) for s in args.seeds.split(",")]:
        r = fn(X, y, params, seed)
        print(args.mode, args.arch, f"lstm_hidden_size={args.lstm_hidden}", f"seed={seed}",
              json.dumps({k: round(v, 4) for k, v in r.items()}), flush=True)


if __name__ == "__main__":
    main()
