"""Private samplers: tile and triplet samplers, class-balanced pair batches.

Every sampler takes a :class:`torch.Generator` or :class:`numpy.random.RandomState`,
never the global RNG.
"""

import numpy as np
import torch

from .utils._random import local_random_state

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier ---


def sample_class_pairs(y, generator=None, pairs_factor=2):
    """Balanced same-class pairs: ``pairs_factor x (smallest class count)`` pairs per class.

    Only classes (labels ``>= 0``) with at least two members in ``y`` take part; the
    smallest count is taken over those classes. The two members of a pair are distinct
    rows, drawn uniformly with replacement across pairs.

    Parameters
    ----------
    y : LongTensor of shape (batch,)
        Batch labels, ``-1`` for unlabelled.
    generator : torch.Generator or None
        Source of randomness (None uses a fresh unseeded generator, never the global one).
    pairs_factor : int, default=2

    Returns
    -------
    pairs : list of (LongTensor, LongTensor)
        One ``(idx_i, idx_j)`` per eligible class, each of length
        ``pairs_factor * min_count``; empty when no class has two members.
    """
    if generator is None:
        generator = torch.Generator()
        generator.seed()
    y = torch.as_tensor(y)
    labelled = y[y >= 0]
    if labelled.numel() == 0:
        return []
    classes, counts = torch.unique(labelled, return_counts=True)
    eligible = classes[counts >= 2]
    if eligible.numel() == 0:
        return []
    n_pairs = pairs_factor * int(counts[counts >= 2].min())
    pairs = []
    for c in eligible:
        members = torch.nonzero(y == c, as_tuple=True)[0]
        k = members.numel()
        a = torch.randint(k, (n_pairs,), generator=generator)
        # an offset in 1..k-1 guarantees a distinct second member
        b = (a + torch.randint(1, k, (n_pairs,), generator=generator)) % k
        pairs.append((members[a].to(y.device), members[b].to(y.device)))
    return pairs


def sample_cannot_link(y, n_pairs, generator=None):
    """``n_pairs`` pairs of labelled rows from different classes (empty if < 2 classes).

    Parameters
    ----------
    y : LongTensor of shape (batch,)
    n_pairs : int
    generator : torch.Generator or None

    Returns
    -------
    idx_a, idx_b : LongTensor of shape (n_pairs,) (or empty)
    """
    if generator is None:
        generator = torch.Generator()
        generator.seed()
    y = torch.as_tensor(y)
    lab = torch.nonzero(y >= 0, as_tuple=True)[0]
    empty = torch.empty(0, dtype=torch.long, device=y.device)
    if lab.numel() < 2 or torch.unique(y[lab]).numel() < 2 or n_pairs < 1:
        return empty, empty
    a_out, b_out, need = [], [], n_pairs
    while need > 0:  # rejection: different-class pairs are at least 1/n_classes of all pairs
        a = lab[torch.randint(lab.numel(), (2 * need,), generator=generator)]
        b = lab[torch.randint(lab.numel(), (2 * need,), generator=generator)]
        ok = y[a] != y[b]
        a_out.append(a[ok][:need])
        b_out.append(b[ok][:need])
        need -= int(ok.sum().clamp(max=need))
    return torch.cat(a_out).to(y.device), torch.cat(b_out).to(y.device)


class ClassBalancedBatchSampler:
    """Batches that each hold labelled samples of every class (for pair losses).

    Each epoch visits every sample once in a random order, in chunks of
    ``batch_size - n_labeled`` rows; to each chunk ``n_per_class`` labelled rows of every
    class are added (drawn without replacement within the batch when the class has enough
    members, otherwise with replacement), so that same-class pairs exist in every batch.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels, ``-1`` for unlabelled.
    batch_size : int
    generator : torch.Generator
        Source of randomness.
    n_per_class : int or None, default=None
        Labelled rows per class per batch; None: ``max(2, batch_size // (2 * n_classes))``
        capped by the smallest class count (but at least 2), so labelled rows take at most
        about half of each batch.

    Yields
    ------
    batch : list of int
    """

    def __init__(self, y, batch_size, generator, n_per_class=None):
        self.y = np.asarray(y)
        self.batch_size = int(batch_size)
        self.generator = generator
        self.classes = np.unique(self.y[self.y >= 0])
        self.members = [np.flatnonzero(self.y == c) for c in self.classes]
        if n_per_class is None:
            k = len(self.classes)
            n_per_class = max(2, self.batch_size // (2 * k)) if k else 0
            if k:
                n_per_class = max(2, min(n_per_class, min(len(m) for m in self.members)))
        self.n_per_class = int(n_per_class)
        n_lab = self.n_per_class * len(self.classes)
        self.chunk = max(1, self.batch_size - n_lab)

    def __len__(self):
        return int(np.ceil(len(self.y) / self.chunk))

    def __iter__(self):
        n = len(self.y)
        order = torch.randperm(n, generator=self.generator).numpy()
        for start in range(0, n, self.chunk):
            batch = order[start:start + self.chunk]
            extra = []
            for members in self.members:
                m = len(members)
                if m >= self.n_per_class:
                    pick = torch.randperm(m, generator=self.generator)[:self.n_per_class]
                else:
                    pick = torch.randint(m, (self.n_per_class,), generator=self.generator)
                extra.append(members[pick.numpy()])
            if extra:
                extra = np.concatenate(extra)
                batch = np.concatenate([batch[~np.isin(batch, extra)], extra])
            yield batch.tolist()


# --- Tile2VecSeriesKMeans ---


def _t2v_numpy_rng(random_state):
    """A RandomState from a torch.Generator, a RandomState, an int or None (never global)."""
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, torch.Generator):
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=random_state))
        return np.random.RandomState(seed)

    return local_random_state(random_state)


def _t2v_nan_integral(image):
    """Summed-area table of missing pixels (NaN in any band) of ``(n_times, n_bands, h, w)``.

    Returns an int32 array of shape ``(n_times, h + 1, w + 1)``.
    """
    miss = np.isnan(image).any(axis=1)
    out = np.zeros((miss.shape[0], miss.shape[1] + 1, miss.shape[2] + 1), dtype=np.int32)
    out[:, 1:, 1:] = miss.cumsum(axis=1, dtype=np.int32).cumsum(axis=2, dtype=np.int32)
    return out


def _t2v_box_sum(integral, t, r, c, size):
    """Sum over the ``size`` x ``size`` boxes with top-left ``(r, c)`` at dates ``t``."""
    return (integral[t, r + size, c + size] - integral[t, r, c + size]
            - integral[t, r + size, c] + integral[t, r, c])


def _t2v_sample_outside(rng, center, n_pos, radius):
    """Uniform positions in ``[0, n_pos)`` per axis pair outside a square around ``center``.

    ``center`` is ``(n, 2)`` (row, col) of positions; ``n_pos = (n_rows, n_cols)`` counts the
    admissible positions per axis. Returns ``(n, 2)`` positions whose Chebyshev distance to
    ``center`` exceeds ``radius``, uniformly among all such positions (the caller guarantees
    at least one exists).
    """
    n = center.shape[0]
    lo = np.maximum(center - radius, 0)
    hi = np.minimum(center + radius, np.asarray(n_pos) - 1)
    n_in = hi - lo + 1
    n_out = np.asarray(n_pos)[None, :] - n_in
    # region A: row outside the band, any column; region B: row inside, column outside
    area_a = n_out[:, 0] * n_pos[1]
    area_b = n_in[:, 0] * n_out[:, 1]
    pick_a = rng.random_sample(n) * (area_a + area_b) < area_a

    def _outside(k, axis):
        # k-th admissible position outside [lo, hi] along ``axis``
        return np.where(k < lo[:, axis], k, hi[:, axis] + 1 + (k - lo[:, axis]))

    u = rng.random_sample((n, 2))
    out = np.empty((n, 2), dtype=np.int64)
    k_row = np.floor(u[:, 0] * np.maximum(n_out[:, 0], 1)).astype(np.int64)
    k_col = np.floor(u[:, 1] * np.maximum(n_out[:, 1], 1)).astype(np.int64)
    any_col = np.floor(u[:, 1] * n_pos[1]).astype(np.int64)
    in_row = lo[:, 0] + np.floor(u[:, 0] * n_in[:, 0]).astype(np.int64)
    out[:, 0] = np.where(pick_a, _outside(k_row, 0), in_row)
    out[:, 1] = np.where(pick_a, any_col, _outside(k_col, 1))
    return out


def augment_tiles(tiles, rng):
    """Random flips and rot90 of each tile, independently (the dihedral group D4).

    Parameters
    ----------
    tiles : ndarray of shape (n, n_bands, size, size)
    rng : numpy.random.RandomState

    Returns
    -------
    tiles : ndarray of the same shape (a new array)
    """
    tiles = np.array(tiles, copy=True)
    flip = rng.randint(0, 2, size=len(tiles)).astype(bool)
    tiles[flip] = tiles[flip][..., ::-1]
    k = rng.randint(0, 4, size=len(tiles))
    for rot in (1, 2, 3):
        sel = k == rot
        if sel.any():
            tiles[sel] = np.rot90(tiles[sel], rot, axes=(2, 3))
    return tiles


class TileTripletSampler:
    """On-the-fly Tile2Vec triplets (anchor, neighbour, distant) from image time series.

    For each triplet: a region is drawn with probability proportional to its number of
    admissible anchor positions, a date uniformly, an anchor tile anywhere in the region (not
    only on the tile grid; tiles stay inside the image), a neighbour whose centre lies within
    ``neighborhood`` pixels of the anchor's centre in Chebyshev distance (``max(|dy|, |dx|)
    <= neighborhood``, the square neighbourhood of the published sampler; tiles may overlap),
    and a distant tile drawn uniformly among the positions farther than ``neighborhood``, all
    three from the same date. Anchors with no admissible distant position are not drawn.

    Distant tiles and regions: with ``cross_region=True`` (default) the distant tile is drawn
    uniformly among all admissible distant positions of the whole data set, i.e. among the
    positions of the anchor's region farther than ``neighborhood`` and every position of the
    other regions (Tile2Vec draws distant tiles from anywhere in the data, also from other
    images); a region then contributes distant tiles in proportion to its number of
    positions. With ``cross_region=False``, or with a single region, the distant tile comes
    from the anchor's region.

    Missing data rule: a pixel is missing when any band is NaN. A tile whose fraction of
    missing pixels exceeds ``max_nan_fraction`` (and always an all-missing tile) is rejected
    and its triplet redrawn. Missing values of kept tiles are replaced by ``fill_values``
    (one value per band), so no NaN reaches the encoder.

    Parameters
    ----------
    images : list of ndarray of shape (n_times, n_bands, height, width)
        One image stack per region; same dates and bands for all.
    tile_size : int
        Side of the square tiles in pixels.
    neighborhood : int
        Radius (pixels, Chebyshev) around the anchor's centre for neighbour centres.
    max_nan_fraction : float, default=0.5
        Largest fraction of missing pixels in a sampled tile.
    fill_values : array-like of shape (n_bands,) or None, default=None
        Replacement for missing values per band; None uses 0.
    augment : bool, default=True
        Apply a random flip/rot90 to each tile.
    cross_region : bool, default=True
        Draw distant tiles from any region (see above), not only the anchor's.
    """

    def __init__(self, images, tile_size, neighborhood, *, max_nan_fraction=0.5,
                 fill_values=None, augment=True, cross_region=True):
        if not images:
            raise ValueError("images must hold at least one region.")
        self.images = list(images)
        self.tile_size = int(tile_size)
        self.neighborhood = int(neighborhood)
        self.max_nan_fraction = float(max_nan_fraction)
        self.augment = augment
        self.cross_region = bool(cross_region)
        n_bands = self.images[0].shape[1]
        self.fill_values = (np.zeros(n_bands, dtype=np.float32) if fill_values is None
                            else np.asarray(fill_values, dtype=np.float32))
        ts, nb = self.tile_size, self.neighborhood
        self.n_positions_ = []
        for img in self.images:
            if img.shape[2] < ts or img.shape[3] < ts:
                raise ValueError(f"A region of {img.shape[2]}x{img.shape[3]} pixels is smaller "
                                 f"than one tile of {ts}x{ts}.")
            self.n_positions_.append((img.shape[2] - ts + 1, img.shape[3] - ts + 1))
        # anchors with an admissible distant tile: some position farther than nb
        self._weights = np.array([
            self._n_anchor_positions(npos) for npos in self.n_positions_], dtype=float)
        if self._weights.sum() == 0:
            largest = max(max(p) - 1 for p in self.n_positions_)
            raise ValueError(
                f"neighborhood={nb} is too large: no two tile positions of size {ts} are more "
                f"than {largest} pixels apart in any region, so no distant tile can be drawn. "
                f"Use neighborhood < {largest} or a smaller tile_size.")
        self._n_total = np.array([p[0] * p[1] for p in self.n_positions_], dtype=float)
        self._integrals = ([_t2v_nan_integral(img) for img in self.images]
                           if any(np.isnan(img).any() for img in self.images) else None)

    def _n_anchor_positions(self, n_pos):
        # an anchor at row r has a distant position iff max(r, R-1-r, c, C-1-c) > nb
        nb = self.neighborhood
        rows = np.arange(n_pos[0])
        cols = np.arange(n_pos[1])
        far_r = np.maximum(rows, n_pos[0] - 1 - rows) > nb
        far_c = np.maximum(cols, n_pos[1] - 1 - cols) > nb
        return int(n_pos[0] * n_pos[1] - (~far_r).sum() * (~far_c).sum())

    def _anchors(self, rng, n_pos, n):
        nb = self.neighborhood
        out = np.empty((n, 2), dtype=np.int64)
        todo = np.arange(n)
        while todo.size:
            cand = np.stack([rng.randint(0, n_pos[0], todo.size),
                             rng.randint(0, n_pos[1], todo.size)], axis=1)
            ok = ((np.maximum(cand[:, 0], n_pos[0] - 1 - cand[:, 0]) > nb)
                  | (np.maximum(cand[:, 1], n_pos[1] - 1 - cand[:, 1]) > nb))
            out[todo[ok]] = cand[ok]
            todo = todo[~ok]
        return out

    def sample_positions(self, n_triplets, random_state=None):
        """Draw triplet positions.

        Parameters
        ----------
        n_triplets : int
        random_state : torch.Generator, RandomState, int or None

        Returns
        -------
        positions : dict of ndarray
            ``region`` (of the anchor and the neighbour), ``distant_region`` and ``time``
            of shape (n_triplets,), ``anchor``, ``neighbor``, ``distant`` of shape
            (n_triplets, 2): top-left (row, col) pixel of each tile (its centre is
            top-left + tile_size / 2).
        """
        rng = _t2v_numpy_rng(random_state)
        n_times = self.images[0].shape[0]
        pos = {"region": np.empty(n_triplets, dtype=np.int64),
               "distant_region": np.empty(n_triplets, dtype=np.int64),
               "time": np.empty(n_triplets, dtype=np.int64),
               "anchor": np.empty((n_triplets, 2), dtype=np.int64),
               "neighbor": np.empty((n_triplets, 2), dtype=np.int64),
               "distant": np.empty((n_triplets, 2), dtype=np.int64)}
        todo = np.arange(n_triplets)
        p = self._weights / self._weights.sum()
        for _ in range(1000):
            if not todo.size:
                break
            region = rng.choice(len(self.images), size=todo.size, p=p)
            time = rng.randint(0, n_times, todo.size)
            pos["region"][todo] = region
            pos["time"][todo] = time
            ok = np.ones(todo.size, dtype=bool)
            for g in np.unique(region):
                sel = np.flatnonzero(region == g)
                n_pos = self.n_positions_[g]
                a = self._anchors(rng, n_pos, sel.size)
                lo = np.maximum(a - self.neighborhood, 0)
                hi = np.minimum(a + self.neighborhood, np.asarray(n_pos) - 1)
                nbr = lo + np.floor(rng.random_sample(a.shape) * (hi - lo + 1)).astype(
                    np.int64)
                d = _t2v_sample_outside(rng, a, n_pos, self.neighborhood)
                d_reg = np.full(sel.size, g, dtype=np.int64)
                n_other = self._n_total.sum() - self._n_total[g]
                if self.cross_region and n_other > 0:
                    # admissible distant positions: own region outside the box, all others
                    n_own = self._n_total[g] - np.prod(hi - lo + 1, axis=1)
                    other = rng.random_sample(sel.size) * (n_own + n_other) >= n_own
                    if other.any():
                        p_other = self._n_total.copy()
                        p_other[g] = 0.0
                        h = rng.choice(len(self.images), size=int(other.sum()),
                                       p=p_other / p_other.sum())
                        rows = np.array([self.n_positions_[i][0] for i in h])
                        cols = np.array([self.n_positions_[i][1] for i in h])
                        u = rng.random_sample((h.size, 2))
                        d[other] = np.stack([np.floor(u[:, 0] * rows),
                                             np.floor(u[:, 1] * cols)], 1).astype(np.int64)
                        d_reg[other] = h
                pos["anchor"][todo[sel]] = a
                pos["neighbor"][todo[sel]] = nbr
                pos["distant"][todo[sel]] = d
                pos["distant_region"][todo[sel]] = d_reg
                if self._integrals is not None:
                    limit = self.max_nan_fraction * self.tile_size ** 2
                    full = self.tile_size ** 2
                    for t, regs in ((a, None), (nbr, None), (d, d_reg)):
                        miss = np.empty(sel.size, dtype=np.int64)
                        for r in (np.unique(regs) if regs is not None else [g]):
                            m = slice(None) if regs is None else regs == r
                            miss[m] = _t2v_box_sum(self._integrals[r], time[sel][m],
                                                   t[m, 0], t[m, 1], self.tile_size)
                        ok[sel] &= (miss <= limit) & (miss < full)
            todo = todo[~ok]
        if todo.size:
            raise ValueError(
                "Could not draw enough triplets of tiles with at most "
                f"{self.max_nan_fraction:.0%} missing pixels; the images are mostly NaN. "
                "Raise max_nan_fraction or mask fewer pixels.")
        return pos

    def extract(self, positions, role, random_state=None):
        """Cut the tiles of one role at the given positions (NaN filled, augmented).

        Returns
        -------
        tiles : ndarray of shape (n_triplets, n_bands, tile_size, tile_size), float32
        """
        region, time, tl = positions["region"], positions["time"], positions[role]
        if role == "distant":
            region = positions.get("distant_region", region)
        return extract_tiles(self.images, region, time, tl, self.tile_size, self.fill_values,
                             augment=self.augment, random_state=random_state)

    def sample(self, n_triplets, random_state=None):
        """Draw ``n_triplets`` triplets and cut their tiles.

        Returns
        -------
        triplets : dict of ndarray
            ``anchor``, ``neighbor``, ``distant`` of shape
            (n_triplets, n_bands, tile_size, tile_size), float32.
        """
        rng = _t2v_numpy_rng(random_state)
        pos = self.sample_positions(n_triplets, rng)
        return {role: self.extract(pos, role, rng) for role in ("anchor", "neighbor", "distant")}


def extract_tiles(images, region, time, top_left, tile_size, fill_values=None, *,
                  augment=False, random_state=None):
    """Cut square tiles from a list of image stacks by fancy indexing (no Python loop per tile).

    Parameters
    ----------
    images : list of ndarray of shape (n_times, n_bands, height, width)
    region, time : ndarray of int of shape (n,)
    top_left : ndarray of int of shape (n, 2)
        (row, col) of each tile's top-left pixel.
    tile_size : int
    fill_values : array-like of shape (n_bands,) or None
        Replacement of NaN per band (None leaves NaN).
    augment : bool, default=False
        Random flip/rot90 per tile.
    random_state : torch.Generator, RandomState, int or None

    Returns
    -------
    tiles : ndarray of shape (n, n_bands, tile_size, tile_size), float32
    """
    n_bands = images[0].shape[1]
    n = len(region)
    out = np.empty((n, n_bands, tile_size, tile_size), dtype=np.float32)
    offs = np.arange(tile_size)
    bands = np.arange(n_bands)
    for g in np.unique(region):
        sel = np.flatnonzero(region == g)
        rows = top_left[sel, 0][:, None] + offs
        cols = top_left[sel, 1][:, None] + offs
        out[sel] = images[g][time[sel][:, None, None, None], bands[None, :, None, None],
                             rows[:, None, :, None], cols[:, None, None, :]]
    if fill_values is not None:
        fill = np.broadcast_to(np.asarray(fill_values, dtype=np.float32)[None, :, None, None],
                               out.shape)
        nan = np.isnan(out)
        if nan.any():
            out[nan] = fill[nan]
    if augment:
        out = augment_tiles(out, _t2v_numpy_rng(random_state))
    return out


def sample_cluster_triplets(labels, centers, n_triplets, n_times, random_state=None, *,
                            valid=None, metric="series"):
    """Refinement triplets drawn from a clustering of tile sequences (f^c of the paper).

    A cluster ``c`` is chosen with probability proportional to its size (among clusters of at
    least two tiles), anchor and neighbour are two different tiles of ``c``, the distant
    cluster ``d != c`` is chosen with probability proportional to ``size_d * dist(mu_c, mu_d)``,
    the distant tile uniformly in ``d``, and one date for the three. ``dist`` is the series
    distance between the centroid series (``metric="series"``: sum over the ``n_times`` dates
    of per-date Euclidean distances, the paper's Eq. 3) or the Euclidean distance of the
    flattened centroids (``metric="euclidean"``).

    Parameters
    ----------
    labels : ndarray of int of shape (n_tiles,)
        Cluster of each tile (labels ``0 .. n_clusters-1``).
    centers : ndarray of shape (n_clusters, n_features)
        Cluster centroids.
    n_triplets : int
    n_times : int
        Number of dates.
    random_state : torch.Generator, RandomState, int or None
    valid : ndarray of bool of shape (n_times, n_tiles) or None
        Tiles usable at each date (e.g. not mostly NaN); invalid triplets are redrawn.
    metric : {"series", "euclidean"}, default="series"
        Distance between centroids (``centers`` rows are flattened ``(n_times, dim)``).

    Returns
    -------
    anchor, neighbor, distant, time : ndarray of int of shape (n_triplets,)
        Tile indices and the date.
    """
    rng = _t2v_numpy_rng(random_state)
    labels = np.asarray(labels)
    n_clusters = centers.shape[0]
    sizes = np.bincount(labels, minlength=n_clusters).astype(float)
    order = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    from .metrics import _series_dist

    dist = _series_dist(centers, centers, metric, n_times)
    w = sizes[None, :] * dist
    np.fill_diagonal(w, 0.0)
    p_anchor = np.where((sizes >= 2) & (w.sum(1) > 0), sizes, 0.0)
    if p_anchor.sum() == 0:
        raise ValueError("Refinement triplets need a cluster of at least two tiles and another "
                         "non-empty cluster at a positive distance.")
    p_anchor /= p_anchor.sum()
    cum = np.cumsum(w, axis=1)
    out = [np.empty(n_triplets, dtype=np.int64) for _ in range(4)]
    todo = np.arange(n_triplets)
    for _ in range(1000):
        if not todo.size:
            break
        m = todo.size
        c = rng.choice(n_clusters, size=m, p=p_anchor)
        size_c = sizes[c].astype(np.int64)
        ia = rng.randint(0, 2**31 - 1, m) % size_c
        ineigh = (ia + 1 + rng.randint(0, 2**31 - 1, m) % (size_c - 1)) % size_c
        u = rng.random_sample(m) * cum[c, -1]
        d = (cum[c] <= u[:, None]).sum(1)
        d = np.minimum(d, n_clusters - 1)
        idist = rng.randint(0, 2**31 - 1, m) % sizes[d].astype(np.int64)
        t = rng.randint(0, n_times, m)
        a, nbr, ds = order[starts[c] + ia], order[starts[c] + ineigh], order[starts[d] + idist]
        for arr, val in zip(out, (a, nbr, ds, t)):
            arr[todo] = val
        if valid is None:
            break
        ok = valid[t, a] & valid[t, nbr] & valid[t, ds]
        todo = todo[~ok]
    else:
        if todo.size:
            raise ValueError("Could not draw refinement triplets of valid (not mostly NaN) "
                             "tiles; the images are mostly NaN.")
    return tuple(out)


# --- DeepSpatiotemporalClustering ---
