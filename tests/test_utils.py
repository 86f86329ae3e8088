"""Tests of the edge utilities: validation messages and random state."""

import numpy as np
import pytest

from skstc.utils._random import draw_seed, local_random_state, torch_generator
from skstc.utils._validation import (
    check_n_clusters,
    check_numeric_array,
    reshape_samples,
)


def test_check_n_clusters_messages():
    check_n_clusters(3, 3)
    with pytest.raises(ValueError, match=r"n_clusters=5 is larger than the number of tiles \(4\)"):
        check_n_clusters(5, 4, what="tiles")
    with pytest.raises(ValueError, match=">= 1"):
        check_n_clusters(0, 4)
    with pytest.raises(TypeError, match="integer"):
        check_n_clusters(2.5, 4)


def test_check_numeric_array_errors():
    assert check_numeric_array([[1, 2]]).dtype == np.float32
    with pytest.raises(TypeError, match="numeric"):
        check_numeric_array(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="minimum of 1"):
        check_numeric_array(np.empty((0, 3)))
    with pytest.raises(ValueError, match="scalar"):
        check_numeric_array(3.0)


def test_reshape_samples_flat_and_nd():
    X = np.arange(24, dtype=float).reshape(2, 12)
    out = reshape_samples(X, (3, 2, 2))
    assert out.shape == (2, 3, 2, 2)
    assert reshape_samples(out, (3, 2, 2)) is out
    with pytest.raises(ValueError, match=r"input_shape=\(3, 2, 3\) needs 18"):
        reshape_samples(X, (3, 2, 3))
    with pytest.raises(ValueError, match=r"must have shape \(n_samples, 2, 3, 2\)"):
        reshape_samples(out, (2, 3, 2))


def test_random_helpers_do_not_touch_global_state():
    state = np.random.get_state()
    draw_seed(None)
    local_random_state(None).rand()
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2] == after[2]
    assert draw_seed(0) == draw_seed(0)
    g1, g2 = torch_generator(5), torch_generator(5)
    import torch

    assert torch.equal(torch.rand(3, generator=g1), torch.rand(3, generator=g2))
