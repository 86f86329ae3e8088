"""Fit tiny deep estimators in every process of a torch.distributed group (run by torchrun).

``python -m torch.distributed.run --standalone --nproc_per_node=2 tests/_ddp_script.py OUT``
writes, from rank 0, ``OUT/<case>.pkl`` (the fitted estimator) and ``OUT/<case>.json`` (its
per-epoch training losses, every rank's rows per epoch and a checksum of every rank's
parameters).
"""

import json
import pickle
import sys
from pathlib import Path



def _row_counter():
    from skorch.callbacks import Callback

    class RowsSeen(Callback):
        """Record how many training rows this process saw in each epoch."""

        def on_epoch_begin(self, net, **kwargs):
            self.rows = 0

        def on_batch_begin(self, net, batch=None, training=False, **kwargs):
            if training:
                X = batch[0]
                self.rows += len(next(iter(X.values())) if isinstance(X, dict) else X)

        def on_epoch_end(self, net, **kwargs):
            net.history.record("rows_seen", self.rows)

    return RowsSeen()


def make_case(name):
    """``(estimator, X, y)`` of one tiny fit, identical on every rank."""
    est, X, y = _make(name)
    est.set_params(callbacks=[("rows_seen", _row_counter())])
    return est, X, y


def _make(name):
    from skstc import (DeepSpatiotemporalClustering, MultimodalClassifier,
                       MultimodalConstrainedAE, Tile2VecSeriesKMeans)
    from skstc.datasets import make_climate_fields, make_image_sequence, make_water_bodies

    if name == "tile2vec":
        images, _ = make_image_sequence(n_regions=1, n_times=3, height=32, width=32,
                                        random_state=0)
        est = Tile2VecSeriesKMeans(n_clusters=4, tile_size=8, embedding_dim=8, n_blocks=(1, 1),
                                   base_width=8, n_triplets=64, max_epochs=3, batch_size=16,
                                   refine=False, n_threads=1, random_state=0)
        return est, images[0], None
    if name == "dsc":
        X, _ = make_climate_fields(n_times=64, n_regimes=2, grid_shape=(8, 8), random_state=0)
        est = DeepSpatiotemporalClustering(n_clusters=2, embedding_dim=4, conv_channels=(4, 8),
                                           lstm_hidden_size=8, pretrain_epochs=2, max_epochs=3,
                                           batch_size=16, update_interval=4, tol=0.0,
                                           n_threads=1, random_state=0)
        return est, X, None
    X, y = make_water_bodies(64, n_timesteps=12, map_size=8, random_state=0)
    if name == "classifier":
        est = MultimodalClassifier(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,),
                                   lstm_hidden_size=8, hidden_units=8, max_epochs=4, batch_size=16,
                                   min_steps_per_epoch=1, n_threads=1, random_state=0)
        return est, X, y
    y = y.copy()
    y[16:] = -1
    loss = "constrained" if name == "multimodal" else "dec"
    est = MultimodalConstrainedAE(4, spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,),
                                  lstm_hidden_size=8, max_epochs=4, batch_size=16,
                                  min_steps_per_epoch=1, clustering_loss=loss,
                                  n_threads=1, random_state=0)
    return est, X, y


CASES = ("tile2vec", "dsc", "multimodal", "multimodal_dec", "classifier")


def _checksum(est):
    return float(sum(p.detach().double().sum() for p in est.module_.parameters()).item())


def main(out):
    import torch.distributed as dist

    dist.init_process_group("gloo")
    rank, size = dist.get_rank(), dist.get_world_size()
    try:
        for name in CASES:
            est, X, y = make_case(name)
            est.fit(X, y)
            sums, rows = [None] * size, [None] * size
            dist.all_gather_object(sums, _checksum(est))
            dist.all_gather_object(rows, [h["rows_seen"] for h in est.history_])
            if rank == 0:
                losses = [h["train_loss"] for h in est.history_]
                Path(out, f"{name}.json").write_text(json.dumps(
                    {"train_loss": losses, "rows_seen": rows, "checksums": sums,
                     "world_size": size}))
                est.set_params(callbacks=None)  # the callback class lives in __main__
                Path(out, f"{name}.pkl").write_bytes(pickle.dumps(est))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
