"""Property tests (hypothesis) for the samplers and the input-validation helpers.

The samplers in ``skstc._sampling`` must keep their invariants for any labels, sizes and
seeds: indices in range, pair members of the same (or different) class, every class in every
balanced batch, tile triplets inside the images with the neighbour within and the distant
tile beyond ``neighborhood`` (and no tile over the missing-data limit). The validation
helpers must accept exactly what their contract says and nothing else.
"""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skstc._sampling import (
    ClassBalancedBatchSampler,
    TileTripletSampler,
    sample_cannot_link,
    sample_class_pairs,
    sample_cluster_triplets,
)
from skstc.utils._inputs import check_float_range, check_no_inf, parse_fields
from skstc.utils._validation import (
    check_n_clusters,
    reshape_samples,
    split_semisupervised_labels,
)

labels_st = st.lists(st.integers(-1, 5), min_size=1, max_size=60)
seed_st = st.integers(0, 2**31 - 1)


def _gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


# ---- pair samplers -----------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(labels_st, seed_st, st.integers(1, 4))
def test_class_pairs_are_distinct_members_of_one_class(labels, seed, factor):
    y = torch.tensor(labels)
    pairs = sample_class_pairs(y, _gen(seed), pairs_factor=factor)
    classes, counts = np.unique([v for v in labels if v >= 0], return_counts=True)
    eligible = classes[counts >= 2]
    assert len(pairs) == len(eligible)
    if not len(eligible):
        return
    n_pairs = factor * counts[counts >= 2].min()
    for (a, b), c in zip(pairs, eligible):
        assert len(a) == len(b) == n_pairs
        assert ((a >= 0) & (a < len(labels))).all() and ((b >= 0) & (b < len(labels))).all()
        assert (y[a] == c).all() and (y[b] == c).all()
        assert (a != b).all()


@settings(max_examples=80, deadline=None)
@given(labels_st, st.integers(0, 40), seed_st)
def test_cannot_link_pairs_join_different_labelled_classes(labels, n_pairs, seed):
    y = torch.tensor(labels)
    a, b = sample_cannot_link(y, n_pairs, _gen(seed))
    n_classes = len({v for v in labels if v >= 0})
    if n_classes < 2 or n_pairs < 1:
        assert len(a) == len(b) == 0
        return
    assert len(a) == len(b) == n_pairs
    assert (y[a] >= 0).all() and (y[b] >= 0).all()
    assert (y[a] != y[b]).all()


@settings(max_examples=60, deadline=None)
@given(labels_st, st.integers(2, 32), seed_st)
def test_class_balanced_batches_cover_every_sample_and_every_class(labels, batch_size, seed):
    y = np.array(labels)
    sampler = ClassBalancedBatchSampler(y, batch_size, _gen(seed))
    batches = list(sampler)
    assert len(batches) == len(sampler)
    seen = np.concatenate([np.asarray(b, dtype=int) for b in batches])
    assert ((seen >= 0) & (seen < len(y))).all()
    assert set(seen.tolist()) == set(range(len(y)))  # every sample once per epoch at least
    classes = np.unique(y[y >= 0])
    for b in batches:
        b = np.asarray(b)
        rows, times = np.unique(b, return_counts=True)
        # a row appears twice only when its class is smaller than n_per_class (documented:
        # then drawn with replacement)
        for r in rows[times > 1]:
            assert y[r] >= 0 and (y == y[r]).sum() < sampler.n_per_class
        for c in classes:  # labelled rows of every class in every batch
            members = (y == c).sum()
            assert (y[b] == c).sum() >= min(sampler.n_per_class, members)


# ---- tile triplets -----------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.integers(6, 24), st.integers(6, 24), st.integers(1, 4), st.integers(0, 4), seed_st,
       st.floats(0.0, 0.6), st.sampled_from([0.25, 0.5, 1.0]))
def test_tile_triplets_respect_geometry_and_missing_data(h, w, tile, nb, seed, nan_frac,
                                                         max_nan):
    rng = np.random.RandomState(seed % 2**31)
    images = [rng.rand(3, 2, h, w).astype(np.float32), rng.rand(3, 2, w, h).astype(np.float32)]
    for img in images:  # missing pixels (NaN in one band)
        img[:, 0][rng.rand(*img[:, 0].shape) < nan_frac] = np.nan
    assume(max(max(i.shape[2:]) for i in images) - tile > nb)
    try:
        sampler = TileTripletSampler(images, tile, nb, max_nan_fraction=max_nan)
        pos = sampler.sample_positions(100, rng)
    except ValueError as exc:  # only the documented refusal: images mostly NaN
        assert "mostly NaN" in str(exc)
        return
    d_n = np.abs(pos["anchor"] - pos["neighbor"]).max(axis=1)
    d_d = np.abs(pos["anchor"] - pos["distant"]).max(axis=1)
    same = pos["distant_region"] == pos["region"]
    assert (d_n <= nb).all()
    assert (d_d[same] > nb).all()
    assert ((pos["time"] >= 0) & (pos["time"] < 3)).all()
    for role in ("anchor", "neighbor", "distant"):
        reg = pos["distant_region"] if role == "distant" else pos["region"]
        for k in range(len(reg)):
            img = images[reg[k]]
            r, c = pos[role][k]
            assert 0 <= r <= img.shape[2] - tile and 0 <= c <= img.shape[3] - tile
            box = img[pos["time"][k], :, r:r + tile, c:c + tile]
            missing = np.isnan(box).any(axis=0).sum()
            assert missing <= max_nan * tile * tile and missing < tile * tile
    tiles = sampler.sample(20, rng)
    for role in ("anchor", "neighbor", "distant"):
        assert tiles[role].shape == (20, 2, tile, tile)
        assert np.isfinite(tiles[role]).all()  # missing values filled, never NaN


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=3, max_size=80), st.integers(1, 200),
       st.integers(1, 5), seed_st, st.sampled_from(["series", "euclidean"]))
def test_cluster_triplets_pair_one_cluster_against_another(labels, n, n_times, seed, metric):
    labels = np.array(labels)
    sizes = np.bincount(labels)
    assume((sizes >= 2).any() and (sizes > 0).sum() >= 2)
    k = len(sizes)
    centers = np.random.RandomState(seed % 2**31).rand(k, n_times * 2)
    a, nb, d, t = sample_cluster_triplets(labels, centers, n, n_times, seed % 2**31,
                                          metric=metric)
    for idx in (a, nb, d):
        assert len(idx) == n and ((idx >= 0) & (idx < len(labels))).all()
    assert (labels[a] == labels[nb]).all() and (a != nb).all()
    assert (labels[a] != labels[d]).all()
    assert ((t >= 0) & (t < n_times)).all()
    assert (sizes[labels[a]] >= 2).all()


# ---- validation helpers ------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(st.integers(-3, 20), st.integers(0, 20))
def test_check_n_clusters_accepts_exactly_one_to_n_samples(k, n):
    if 1 <= k <= n:
        check_n_clusters(k, n)
    else:
        with pytest.raises(ValueError, match="n_clusters"):
            check_n_clusters(k, n)


@settings(max_examples=60, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), st.integers(1, 5),
       st.booleans(), st.integers(-1, 1))
def test_reshape_samples_flat_or_shaped_and_nothing_else(shape, n, flat, off):
    size = int(np.prod(shape))
    if flat:
        X = np.arange(n * (size + off)).reshape(n, size + off) if size + off > 0 else None
    else:
        X = np.zeros((n,) + tuple(shape[:-1]) + (shape[-1] + off,))
    assume(X is not None and X.size > 0)
    if off == 0:
        out = reshape_samples(X, shape)
        assert out.shape == (n,) + tuple(shape)
        if flat:
            np.testing.assert_array_equal(out.reshape(n, -1), X)
    else:
        with pytest.raises(ValueError, match="input_shape|must have shape"):
            reshape_samples(X, shape)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["a", "b", "c"]), st.just(-1)), min_size=1,
                max_size=20))
def test_string_labels_with_minus_one_round_trip(labels):
    y = np.array(labels, dtype=object)
    y_enc, classes = split_semisupervised_labels(y, len(y))
    text = [v for v in labels if v != -1]
    assert (y_enc == -1).sum() == len(labels) - len(text)
    assert list(classes[y_enc[y_enc >= 0]]) == text


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=5),
                  elements=st.floats(allow_nan=True, allow_infinity=True, width=64)))
def test_no_inf_and_float_range_checks_refuse_exactly_the_bad_values(X):
    has_inf = np.isinf(X).any()
    finite = np.abs(X[np.isfinite(X)])
    too_big = finite.size and finite.max() > np.finfo(np.float32).max
    if has_inf:
        with pytest.raises(ValueError, match="infinity"):
            check_no_inf(X)
    else:
        assert check_no_inf(X) is X or np.array_equal(check_no_inf(X), X, equal_nan=True)
    if too_big:
        with pytest.raises(ValueError, match="beyond the range of float32"):
            check_float_range(X, np.float32)
    else:
        check_float_range(X, np.float32)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 5), st.integers(1, 3))
def test_checks_on_dask_stay_lazy_and_raise_at_compute(bad_chunk, n_chunks):
    da = pytest.importorskip("dask.array")
    X = np.ones((6 * n_chunks, 3))
    X[min(bad_chunk, len(X) - 1), 1] = np.inf
    lazy = check_no_inf(da.from_array(X, chunks=(6, 3)))
    assert hasattr(lazy, "compute")  # nothing computed yet
    with pytest.raises(ValueError, match="infinity"):
        lazy.compute()


@settings(max_examples=30, deadline=None)
@given(st.permutations(["time", "variable", "lat", "lon"]),
       st.permutations(["u", "v", "w"]))
def test_fields_are_read_by_dim_and_variable_name_in_any_order(order, variables):
    xr = pytest.importorskip("xarray")
    values = np.random.RandomState(0).rand(4, 3, 2, 5)
    da = xr.DataArray(values, dims=("time", "variable", "lat", "lon"),
                      coords={"variable": ["u", "v", "w"]})
    ref, spec = parse_fields(da)
    moved = da.sel(variable=list(variables)).transpose(*order)
    got, _ = parse_fields(moved, variables=spec.variables)
    np.testing.assert_array_equal(got, ref)
