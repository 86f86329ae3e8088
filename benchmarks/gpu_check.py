"""Self-check of the CUDA path: every estimator at paper size on synthetic data.

For each estimator the script fits on the GPU (architecture at the published size, a few
epochs), then checks that

* ``transform`` (or ``predict_proba``) on the GPU agrees with the same fitted model run on the
  CPU within ``--rtol`` of the output's largest magnitude (cuDNN may use TF32 convolutions);
* the CUDA-trained estimator, pickled, unpickles and predicts in a fresh process that sees no
  GPU (``CUDA_VISIBLE_DEVICES=""``);

and prints training and inference samples/s and the fraction of the GPU's measured fp32
matmul peak reached by the fit (FLOPs counted by ``torch.utils.flop_counter``). On a GPU with
bfloat16 support every estimator is then fitted again with ``precision="bf16"`` (mixed
precision): its samples/s, its speed-up over float32 and the agreement of its GPU
``transform`` with the same model run on the CPU in float32 (within ``--bf16-rtol``) are
reported and checked the same way. It exits 1 when a check fails and 0 (after saying so) on
a machine without CUDA. About 5 minutes on one recent GPU.

Run: ``python benchmarks/gpu_check.py [--device cuda:0] [--quick] [--bf16 auto|yes|no]``;
``--quick`` uses tiny sizes (a smoke test of the script, also on ``--device cpu``).
"""

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # skstc from this checkout
from _flops import counted_flops, matmul_peak  # noqa: E402

_UNPICKLE = """
import pickle, sys
import numpy as np
import torch
assert not torch.cuda.is_available()
est = pickle.load(open(sys.argv[1], "rb"))
est.set_params(device="cpu", precision=None)
X = np.load(sys.argv[2], allow_pickle=False)
out = est.predict_proba(X) if hasattr(est, "predict_proba") else est.transform(X)
ref = np.load(sys.argv[3])
scale = max(float(np.abs(ref).max()), 1e-12)
err = float(np.abs(out - ref).max()) / scale
print(err)
sys.exit(0 if err <= float(sys.argv[4]) else 1)
"""


def cases(quick):
    """``[(name, estimator, X, y, n_train_samples_per_epoch_times_epochs)]``."""
    from skstc import (
        DeepSpatiotemporalClustering,
        MultimodalClassifier,
        MultimodalConstrainedAE,
        Tile2VecSeriesKMeans,
    )
    from skstc.datasets import make_climate_fields, make_image_sequence, make_water_bodies

    out = []
    if quick:
        Xw, yw = make_water_bodies(64, n_timesteps=16, map_size=16, random_state=0)
        small = dict(spatial_shape=(16, 16), embedding_dim=16, conv_channels=(4, 8), lstm_hidden_size=8)
        epochs = 2
    else:   # ReaLSAT-size objects: 64 x 64 maps, 442 monthly steps
        Xw, yw = make_water_bodies(4000, random_state=0)
        small, epochs = {}, 10
    # a few labelled objects of every class (10 %), the rest unlabelled
    y_few = np.full_like(yw, -1)
    for c in np.unique(yw):
        idx = np.flatnonzero(yw == c)
        keep = idx[:max(2, len(idx) // 10)]
        y_few[keep] = yw[keep]
    if not quick:   # the published networks (the defaults are CPU-sized), a short budget
        small = {k: v for k, v in MultimodalConstrainedAE.paper_params().items()
                 if k != "max_epochs"}
    out.append(("MultimodalConstrainedAE",
                MultimodalConstrainedAE(4, max_epochs=epochs, random_state=0, **small),
                Xw, y_few, len(Xw) * epochs))
    clf_small = (dict(small, hidden_units=8) if quick
                 else MultimodalClassifier.paper_params())
    out.append(("MultimodalClassifier",
                MultimodalClassifier(max_epochs=epochs, random_state=0, **clf_small),
                Xw, yw, len(Xw) * epochs))

    if quick:
        images, _ = make_image_sequence(n_regions=1, n_times=3, height=64, width=64,
                                        random_state=0)
        t2v = dict(tile_size=16, embedding_dim=16, n_blocks=(1, 1), base_width=8,
                   n_triplets=64, max_epochs=1, refine_epochs=1)
    else:   # the paper's TileNet (5 residual stages, 512-d) on 100 x 100 px tiles
        images, _ = make_image_sequence(n_regions=1, n_times=12, n_bands=4, height=1000,
                                        width=1000, random_state=0)
        t2v = dict(Tile2VecSeriesKMeans.paper_params(), max_epochs=1, refine_epochs=1,
                   n_refine_triplets=2000)
    est = Tile2VecSeriesKMeans(n_clusters=5, random_state=0, **t2v)
    n_trip = t2v["n_triplets"] * t2v["max_epochs"] + t2v.get(
        "n_refine_triplets", t2v["n_triplets"]) * t2v["refine_epochs"]
    out.append(("Tile2VecSeriesKMeans", est, images[0], None, 3 * n_trip))

    if quick:
        Xc, _ = make_climate_fields(n_times=64, n_regimes=2, grid_shape=(8, 8), random_state=0)
        dsc = dict(n_clusters=2, embedding_dim=4, conv_channels=(4, 8), lstm_hidden_size=8,
                   dense_units=(16,), pretrain_epochs=1, max_epochs=1)
    else:   # the published CNN-LSTM autoencoder on 10 years of daily 24 x 24 fields
        Xc, _ = make_climate_fields(n_times=3650, random_state=0)
        dsc = dict(DeepSpatiotemporalClustering.paper_params(), pretrain_epochs=2, max_epochs=2)
    est = DeepSpatiotemporalClustering(tol=0.0, random_state=0, **dsc)
    out.append(("DeepSpatiotemporalClustering", est, Xc, None,
                len(Xc) * (dsc["pretrain_epochs"] + dsc["max_epochs"])))
    return out


def _infer(est, X):
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.transform(X)


def check(name, est, X, y, n_train, device, peak, rtol, workdir, precision=None):
    """Fit on ``device`` in ``precision``, check agreement and CPU unpickling.

    Returns
    -------
    ok : bool
    samples_per_s : float
        Training throughput of the fit.
    """
    est.set_params(device=device, precision=precision)
    # FLOPs of one fit (counted; slower), then the timed fit
    _, flops = counted_flops(est.fit, X, y)
    t0 = time.perf_counter()
    est.fit(X, y)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    out_dev = _infer(est, X)
    t_inf = time.perf_counter() - t0
    n_inf = out_dev.shape[0]   # objects, tiles or time steps

    # the same fitted model on the CPU
    cpu = pickle.loads(pickle.dumps(est))
    on_cpu = all(p.device.type == "cpu" for p in cpu.module_.parameters())
    cpu.set_params(device="cpu", precision=None)   # the float32 reference
    out_cpu = _infer(cpu, X)
    scale = max(float(np.abs(out_cpu).max()), 1e-12)
    err = float(np.abs(out_dev - out_cpu).max()) / scale

    # unpickle in a process that sees no GPU
    paths = [Path(workdir, f"{name}.{ext}") for ext in ("pkl", "X.npy", "ref.npy")]
    paths[0].write_bytes(pickle.dumps(est))
    np.save(paths[1], np.asarray(X))
    np.save(paths[2], out_cpu)
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", _UNPICKLE, *map(str, paths), str(rtol)],
                          env=env, capture_output=True, text=True, timeout=600)
    ok = on_cpu and err <= rtol and proc.returncode == 0
    rate = flops / t_fit
    label = f"{name} [{precision or 'fp32'}]"
    print(f"{label:37s} fit {t_fit:7.1f} s {n_train / t_fit:9.0f} samples/s  "
          f"{rate / 1e9:8.1f} GFLOP/s = {rate / peak:6.1%} of matmul peak | "
          f"inference {n_inf / t_inf:9.0f} samples/s | GPU-CPU rel. error {err:.1e} | "
          f"CPU unpickle {'ok' if proc.returncode == 0 else 'FAILED'} "
          f"-> {'PASS' if ok else 'FAIL'}", flush=True)
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:], flush=True)
    return ok, n_train / t_fit


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rtol", type=float, default=1e-2)
    parser.add_argument("--bf16", choices=("auto", "yes", "no"), default="auto",
                        help="also check precision='bf16': auto = on a GPU that supports it")
    parser.add_argument("--bf16-rtol", type=float, default=5e-2,
                        help="GPU (bf16) vs CPU (fp32) tolerance of the outputs")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("gpu_check: no CUDA device on this machine; nothing to check (run it on a GPU "
              "machine).")
        return 0
    device = args.device
    # mixed precision is for GPUs (on a CPU bf16 is slow without native instructions)
    precisions = [None]
    if device.startswith("cuda"):
        print(f"device: {torch.cuda.get_device_name(device)}", flush=True)
    if args.bf16 == "yes" or (args.bf16 == "auto" and device.startswith("cuda")
                              and torch.cuda.is_bf16_supported()):
        precisions.append("bf16")
    elif args.bf16 == "auto":
        print("precision bf16: skipped (" + ("not supported by this GPU" if
              device.startswith("cuda") else "GPU check; --bf16 yes forces it") + ")",
              flush=True)
    peak = matmul_peak(device)
    print(f"measured fp32 matmul peak: {peak / 1e9:.1f} GFLOP/s", flush=True)
    results, speed = [], {}
    with tempfile.TemporaryDirectory() as workdir:
        for name, est, X, y, n_train in cases(args.quick):
            for precision in precisions:
                rtol = args.rtol if precision is None else args.bf16_rtol
                ok, rate = check(name, clone(est), X, y, n_train, device, peak, rtol,
                                 workdir, precision=precision)
                results.append(ok)
                speed[name, precision] = rate
    if len(precisions) > 1:
        print("samples/s per precision (training):", flush=True)
        for (name, precision), rate in speed.items():
            if precision == "bf16":
                fp32 = speed[name, None]
                print(f"  {name:30s} fp32 {fp32:9.0f}  bf16 {rate:9.0f}  bf16/fp32 "
                      f"{rate / fp32:5.2f}x", flush=True)
    print("gpu_check:", "all checks passed" if all(results) else "FAILED", flush=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
