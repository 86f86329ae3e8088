"""skstc._sampling: pair, batch, tile and triplet samplers."""


import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skstc._sampling import (
    ClassBalancedBatchSampler,
    TileTripletSampler,
    augment_tiles,
    extract_tiles,
    sample_cannot_link,
    sample_class_pairs,
    sample_cluster_triplets,
)


def _gen(seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def test_sample_class_pairs_balanced_and_distinct():
    y = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 2, 3, 3])
    pairs = sample_class_pairs(y, _gen())
    # eligible classes 0, 1, 3 (2 has a single member); min count 2 -> 4 pairs each
    assert len(pairs) == 3
    for (i, j), c in zip(pairs, [0, 1, 3]):
        assert len(i) == len(j) == 4
        assert torch.all(y[i] == c) and torch.all(y[j] == c)
        assert torch.all(i != j)
    a = sample_class_pairs(y, _gen(5))
    b = sample_class_pairs(y, _gen(5))
    assert all(torch.equal(x[0], w[0]) for x, w in zip(a, b))
    assert sample_class_pairs(torch.tensor([-1, 0, 1]), _gen()) == []


def test_sample_class_pairs_covers_all_members():
    y = torch.tensor([0] * 6 + [1] * 3)
    seen = set()
    for s in range(30):
        for i, j in sample_class_pairs(y, _gen(s)):
            seen.update(zip(i.tolist(), j.tolist()))
    assert {(a, b) for a in range(6) for b in range(6) if a != b} <= seen


def test_sample_cannot_link():
    y = torch.tensor([0, 0, 1, 1, -1])
    a, b = sample_cannot_link(y, 7, _gen())
    assert len(a) == 7 and torch.all(y[a] != y[b]) and torch.all(y[a] >= 0)
    a, b = sample_cannot_link(torch.tensor([0, 0, -1]), 3, _gen())
    assert len(a) == 0


def test_class_balanced_batch_sampler():
    y = np.full(100, -1)
    y[:3] = 0
    y[10:20] = 1
    y[50:52] = 2
    sampler = ClassBalancedBatchSampler(y, 16, _gen(0))
    batches = list(sampler)
    assert len(batches) == len(sampler)
    seen = np.zeros(100, int)
    for b in batches:
        assert len(b) <= 16 and len(set(b)) == len(b)
        labels = y[b]
        for c in (0, 1, 2):
            assert (labels == c).sum() >= 2     # pairs exist for every class in every batch
        # balanced: each class gets the same number of labelled rows drawn
        counts = [(labels == c).sum() for c in (0, 1, 2)]
        assert max(counts) - min(counts) <= 6    # up to the rows already in the chunk
        seen[b] += 1
    assert (seen >= 1).all()                     # every sample visited each epoch
    again = list(ClassBalancedBatchSampler(y, 16, _gen(0)))
    assert again == batches
    unlabelled = list(ClassBalancedBatchSampler(np.full(10, -1), 4, _gen(0)))
    assert sorted(sum(unlabelled, [])) == list(range(10))


# ---- geographic triplet sampler ---------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(h=st.integers(4, 40), w=st.integers(4, 40), tile=st.integers(1, 8),
       nb=st.integers(0, 20), seed=st.integers(0, 10_000), two=st.booleans())
def test_sampler_neighbours_inside_distant_outside(h, w, tile, nb, seed, two):
    rng = np.random.RandomState(seed)
    images = [rng.rand(2, 1, h, w).astype(np.float32)]
    if two:
        images.append(rng.rand(2, 1, w, h + 3).astype(np.float32))
    far = max(max(img.shape[2], img.shape[3]) - tile for img in images)
    if tile > min(min(img.shape[2:]) for img in images):
        with pytest.raises(ValueError, match="smaller than one tile"):
            TileTripletSampler(images, tile, nb)
        return
    if far <= nb:
        with pytest.raises(ValueError, match="too large"):
            TileTripletSampler(images, tile, nb)
        return
    sampler = TileTripletSampler(images, tile, nb)
    pos = sampler.sample_positions(300, rng)
    d_n = np.abs(pos["anchor"] - pos["neighbor"]).max(axis=1)
    d_d = np.abs(pos["anchor"] - pos["distant"]).max(axis=1)
    same = pos["distant_region"] == pos["region"]
    assert (d_n <= nb).all()
    assert (d_d[same] > nb).all()
    for role in ("anchor", "neighbor", "distant"):
        reg = pos["distant_region"] if role == "distant" else pos["region"]
        hh = np.array([images[g].shape[2] for g in reg])
        ww = np.array([images[g].shape[3] for g in reg])
        assert (pos[role] >= 0).all()
        assert (pos[role][:, 0] + tile <= hh).all() and (pos[role][:, 1] + tile <= ww).all()


def test_sampler_distant_is_uniform_over_outside_positions():
    images = [np.zeros((1, 1, 12, 12), np.float32)]
    sampler = TileTripletSampler(images, 3, 2, augment=False)
    rng = np.random.RandomState(0)
    a = np.full((60000, 2), 4)
    from skstc._sampling import _t2v_sample_outside

    d = _t2v_sample_outside(rng, a, (10, 10), 2)
    assert (np.abs(d - 4).max(1) > 2).all()
    counts = np.bincount(d[:, 0] * 10 + d[:, 1], minlength=100)
    outside = counts[counts > 0]
    assert outside.size == 100 - 25
    assert outside.min() > 0.8 * outside.mean() and outside.max() < 1.2 * outside.mean()
    assert sampler.sample(4, rng)["anchor"].shape == (4, 1, 3, 3)


def test_sampler_distant_tiles_come_from_every_region():
    # pixel value = region id: a distant tile's content tells where it was cut
    images = [np.full((2, 1, 20, 20), 0.0, np.float32),
              np.full((2, 1, 20, 30), 1.0, np.float32),
              np.full((2, 1, 10, 10), 2.0, np.float32)]
    tile, nb = 4, 3
    sampler = TileTripletSampler(images, tile, nb, augment=False)
    rng = np.random.RandomState(0)
    pos = sampler.sample_positions(20000, rng)
    distant = sampler.extract(pos, "distant")[:, 0, 0, 0]
    np.testing.assert_array_equal(distant, pos["distant_region"])
    anchor = sampler.extract(pos, "anchor")[:, 0, 0, 0]
    np.testing.assert_array_equal(anchor, pos["region"])
    n_pos = np.array([17 * 17, 17 * 27, 7 * 7], float)
    other = pos["distant_region"] != pos["region"]
    assert 0.3 < other.mean() < 0.95
    # distant tiles uniform over the admissible positions of the data set: among those cut
    # from another region, each region is chosen in proportion to its positions
    for g in range(3):
        sel = other & (pos["region"] == g)
        freq = np.bincount(pos["distant_region"][sel], minlength=3) / sel.sum()
        expect = np.where(np.arange(3) == g, 0.0, n_pos) / (n_pos.sum() - n_pos[g])
        np.testing.assert_allclose(freq, expect, atol=0.03)
    # same-region distant tiles are still outside the neighbourhood
    d_d = np.abs(pos["anchor"] - pos["distant"]).max(axis=1)
    assert (d_d[~other] > nb).all()
    # the published single-region rule stays available
    pos = TileTripletSampler(images, tile, nb, cross_region=False).sample_positions(500, rng)
    np.testing.assert_array_equal(pos["distant_region"], pos["region"])


def test_sampler_cross_region_respects_nan_rule():
    good = np.ones((1, 1, 12, 12), np.float32)
    bad = np.full((1, 1, 12, 12), np.nan, np.float32)
    bad[0, 0, :6, :6] = 1.0   # only the top-left corner can host an anchor/neighbour
    sampler = TileTripletSampler([good, bad], 6, 1, max_nan_fraction=0.0)
    pos = sampler.sample_positions(400, np.random.RandomState(0))
    assert ((pos["distant_region"] == 1) <= (pos["distant"] == 0).all(axis=1)).all()
    trip = sampler.sample(50, np.random.RandomState(1))
    assert not any(np.isnan(t).any() for t in trip.values())


def test_sampler_same_date_and_tile_content():
    # pixel value encodes (time, row, col): cut tiles must match their positions and date
    t, h, w = 3, 20, 24
    img = (np.arange(t)[:, None, None] * 10000 + np.arange(h)[None, :, None] * 100
           + np.arange(w)[None, None, :]).astype(np.float32)[:, None]
    sampler = TileTripletSampler([img], 4, 5, augment=False)
    rng = np.random.RandomState(1)
    pos = sampler.sample_positions(50, rng)
    for role in ("anchor", "neighbor", "distant"):
        tiles = sampler.extract(pos, role)
        top = tiles[:, 0, 0, 0]
        np.testing.assert_array_equal(
            top, pos["time"] * 10000 + pos[role][:, 0] * 100 + pos[role][:, 1])
        np.testing.assert_array_equal(tiles[:, 0, 3, 3] - top, 303)


def test_sampler_nan_rule():
    rng = np.random.RandomState(0)
    img = rng.rand(2, 2, 30, 30).astype(np.float32)
    img[0, 1, :, :15] = np.nan          # left half missing at date 0 (one band suffices)
    img[1] = np.nan                     # date 1 entirely missing
    sampler = TileTripletSampler([img], 6, 6, max_nan_fraction=0.0, fill_values=[7.0, 9.0])
    pos = sampler.sample_positions(200, rng)
    assert (pos["time"] == 0).all()
    for role in ("anchor", "neighbor", "distant"):
        assert (pos[role][:, 1] >= 15).all()
    # with a tolerance, partially missing tiles are kept and filled per band
    sampler = TileTripletSampler([img], 6, 6, max_nan_fraction=0.5, fill_values=[7.0, 9.0],
                                 augment=False)
    trip = sampler.sample(300, rng)
    for tiles in trip.values():
        assert not np.isnan(tiles).any()
    assert (trip["anchor"][:, 1] == 9.0).any()
    assert not (trip["anchor"][:, 0] == 7.0).any()  # band 0 was never missing
    img[:] = np.nan
    img[0, :, :2, :2] = 1.0
    with pytest.raises(ValueError, match="mostly NaN"):
        TileTripletSampler([img], 6, 6).sample_positions(5, rng)


def test_sampler_accepts_torch_generator_and_is_reproducible():
    img = np.random.RandomState(0).rand(2, 1, 20, 20).astype(np.float32)
    sampler = TileTripletSampler([img], 4, 4)
    p1 = sampler.sample_positions(20, torch.Generator().manual_seed(3))
    p2 = sampler.sample_positions(20, torch.Generator().manual_seed(3))
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    state = np.random.get_state()[1].copy()
    sampler.sample(5, 0)
    np.testing.assert_array_equal(state, np.random.get_state()[1])


def test_augment_is_dihedral():
    tiles = np.arange(2 * 16, dtype=np.float32).reshape(2, 1, 4, 4)
    out = augment_tiles(np.repeat(tiles, 50, axis=0), np.random.RandomState(0))
    for i, tile in enumerate(out):
        src = tiles[0 if i < 50 else 1, 0]
        variants = [np.rot90(f, k) for f in (src, src[:, ::-1]) for k in range(4)]
        assert any(np.array_equal(tile[0], v) for v in variants)
    assert len({out[i].tobytes() for i in range(50)}) > 4


def test_extract_tiles_fill():
    img = np.ones((1, 2, 5, 5), np.float32)
    img[0, 0, 0, 0] = np.nan
    tiles = extract_tiles([img], np.array([0]), np.array([0]), np.array([[0, 0]]), 2,
                          fill_values=[-1.0, -2.0])
    assert tiles[0, 0, 0, 0] == -1.0 and tiles[0, 1, 0, 0] == 1.0


# ---- refinement sampler -------------------------------------------------------------------
def test_cluster_triplets_respect_clusters():
    rng = np.random.RandomState(0)
    labels = np.repeat([0, 1, 2, 3], [40, 30, 1, 29])
    rng.shuffle(labels)
    centers = np.array([[0.0], [1.0], [5.0], [10.0]])
    a, n, d, t = sample_cluster_triplets(labels, centers, 20000, 7, rng,
                                          metric="euclidean")
    assert (labels[a] == labels[n]).all() and (a != n).all()
    assert (labels[a] != labels[d]).all()
    assert t.min() >= 0 and t.max() == 6
    # cluster of one tile is never an anchor cluster, anchors ~ cluster sizes
    freq = np.bincount(labels[a], minlength=4) / len(a)
    assert freq[2] == 0
    np.testing.assert_allclose(freq[[0, 1, 3]], np.array([40, 30, 29]) / 99, atol=0.02)
    # distant cluster for anchors in 0: p ~ size * distance = (30*1, 1*5, 29*10)
    sel = labels[a] == 0
    fd = np.bincount(labels[d[sel]], minlength=4) / sel.sum()
    np.testing.assert_allclose(fd[[1, 2, 3]], np.array([30, 5, 290]) / 325, atol=0.02)


def test_cluster_triplets_distant_cluster_follows_series_distance():
    # two dates of 2-D centroids; cluster 1 differs from 0 on one date by (3, 4),
    # cluster 2 on both dates by (0, 3): series distances 5 and 6, flat Euclidean 5 and 4.24
    labels = np.repeat([0, 1, 2], 50)
    centers = np.array([[0.0, 0, 0, 0], [3.0, 4, 0, 0], [0.0, 3, 0, 3]])
    rng = np.random.RandomState(0)
    a, _, d, _ = sample_cluster_triplets(labels, centers, 40000, 2, rng)
    sel = labels[a] == 0
    fd = np.bincount(labels[d[sel]], minlength=3) / sel.sum()
    np.testing.assert_allclose(fd[1:], [5 / 11, 6 / 11], atol=0.015)
    a, _, d, _ = sample_cluster_triplets(labels, centers, 40000, 2, rng, metric="euclidean")
    sel = labels[a] == 0
    fd = np.bincount(labels[d[sel]], minlength=3) / sel.sum()
    flat = np.array([5.0, np.sqrt(18)])
    np.testing.assert_allclose(fd[1:], flat / flat.sum(), atol=0.015)


def test_cluster_triplets_valid_mask_and_errors():
    labels = np.array([0, 0, 0, 1, 1, 1])
    centers = np.array([[0.0], [1.0]])
    valid = np.ones((2, 6), bool)
    valid[1] = False
    valid[0, 0] = False
    a, n, d, t = sample_cluster_triplets(labels, centers, 500, 2, 0, valid=valid,
                                          metric="euclidean")
    assert (t == 0).all() and not np.isin(0, np.concatenate([a, n, d]))
    with pytest.raises(ValueError, match="at least two tiles"):
        sample_cluster_triplets(np.array([0, 1]), centers, 5, 2, 0, metric="euclidean")

