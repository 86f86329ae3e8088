"""Data and settings shared by several test modules (imported, not collected)."""

import numpy as np

TINY = dict(spatial_shape=(8, 8), embedding_dim=8, conv_channels=(4,), lstm_hidden_size=8,
            max_epochs=2, n_threads=1, random_state=0)


def few_labels(y, per_class, seed=0):
    rng = np.random.RandomState(seed)
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                          for c in np.unique(y)])
    y_few = np.full_like(y, -1)
    y_few[idx] = y[idx]
    return y_few


def series_by_loop(X, Y, n_times):
    """Series distance (sum over dates of per-date Euclidean distances) by loops."""
    out = np.zeros((len(X), len(Y)))
    for i, x in enumerate(X):
        for j, y in enumerate(Y):
            xs, ys = x.reshape(n_times, -1), y.reshape(n_times, -1)
            out[i, j] = sum(np.linalg.norm(xs[t] - ys[t]) for t in range(n_times))
    return out
