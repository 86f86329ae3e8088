"""Private samplers: tile and triplet samplers, class-balanced pair batches.

Every sampler takes a :class:`torch.Generator` or :class:`numpy.random.RandomState`,
never the global RNG.
"""

# --- shared ---

# --- MultimodalConstrainedAE / LabelAugmenter / MultimodalClassifier (issue 3) ---
import numpy as np  # noqa: E402
import torch  # noqa: E402


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


# --- Tile2VecSeriesKMeans (issue 4) ---

# --- DeepSpatiotemporalClustering (issue 5) ---
