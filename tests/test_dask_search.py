"""Hyper-parameter search on a dask cluster: GridSearchCV under joblib's dask backend."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold

from skstc import DeepSpatiotemporalClustering
from skstc.datasets import make_climate_fields

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


def _search():
    est = DeepSpatiotemporalClustering(n_clusters=2, embedding_dim=4, conv_channels=(4, 8),
                                       lstm_hidden_size=8, pretrain_epochs=1, max_epochs=2,
                                       random_state=0)
    return GridSearchCV(est, {"embedding_dim": [2, 4]},
                        scoring="adjusted_rand_score", cv=KFold(2))


def _worker_threads():
    import torch

    from skstc._training import effective_n_threads

    # what the engine uses in a task (n_threads=None) and what torch has as its default
    return effective_n_threads(None), torch.get_num_threads()


def test_grid_search_on_local_cluster_matches_sequential():
    X, y = make_climate_fields(n_times=40, n_regimes=2, grid_shape=(8, 8), random_state=0)
    sequential = _search().set_params(estimator__n_threads=1).fit(X, y)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        threads = client.run(_worker_threads)
        with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
            search = _search().fit(X, y)
    # the cross-validation fits ran as tasks on the cluster's workers
    assert len(stream.data) >= 4
    assert {task["worker"] for task in stream.data} <= set(threads)

    assert len(threads) == 2
    assert all(t == (1, 1) for t in threads.values()), threads
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               sequential.cv_results_["mean_test_score"], atol=1e-12)
    assert search.best_params_ == sequential.best_params_
    assert search.best_estimator_.labels_.shape == (40,)
