"""The shared DEC machinery (skstc/_dec.py)."""

import numpy as np
import pytest
import torch

from skstc._dec import dec_targets, init_centers, min_cluster_size, reseed_small_clusters
from skstc.losses import target_distribution


def test_init_centers_puts_codes_on_the_kernel_scale():
    z = np.array([[0.0], [0.2], [10.0], [10.2]])
    centers, scale, labels = init_centers(z, 2, n_init=3, random_state=0)
    # mean squared distance to the k-means centre: 0.01 -> scale 10
    assert scale == pytest.approx(10.0)
    np.testing.assert_allclose(np.sort(centers.ravel()), [1.0, 101.0])
    assert len(set(labels[:2])) == 1 and labels[0] != labels[2]
    raw, one, _ = init_centers(z, 2, n_init=3, random_state=0, rescale=False)
    assert one == 1.0
    np.testing.assert_allclose(np.sort(raw.ravel()), [0.1, 10.1])


def test_dec_targets_are_the_float64_target_distribution():
    q = np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]], dtype=np.float32)
    p = dec_targets(q)
    assert p.dtype == np.float64
    np.testing.assert_allclose(p, target_distribution(torch.as_tensor(q, dtype=torch.float64)))
    np.testing.assert_allclose(dec_targets(torch.as_tensor(q)), p)


def test_reseed_moves_empty_centres_onto_far_members_of_large_clusters():
    z = np.array([[0.0], [1.0], [2.0], [9.0], [10.0], [11.0], [30.0]])
    centers = np.array([[2.0], [10.0], [100.0]])  # cluster 2 is empty
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    new, moved = reseed_small_clusters(z, centers, labels, min_size=1)
    assert moved == 1
    np.testing.assert_allclose(new, [[2.0], [10.0], [30.0]])  # the farthest sample
    assert centers[2, 0] == 100.0  # input not modified
    # nothing to do, or every cluster small: unchanged
    same, moved = reseed_small_clusters(z, centers, np.array([0, 0, 1, 1, 2, 2, 2]), 1)
    assert moved == 0 and np.array_equal(same, centers)
    same, moved = reseed_small_clusters(z, centers, labels, min_size=100)
    assert moved == 0
    assert min_cluster_size(60, 3) == 1 and min_cluster_size(6000, 3) == 100
