"""Hand-computable tests of the multimodal losses, samplers and torch modules."""

import math

import numpy as np
import pytest
import torch

from skstc._sampling import ClassBalancedBatchSampler, sample_cannot_link, sample_class_pairs
from skstc.losses import (
    constrained_cosine_loss,
    cosine_pair_loss,
    embedding_collapse,
    kl_clustering_loss,
    pairwise_constraint_loss,
    reconstruction_error,
    student_t_assignment,
    target_distribution,
)
from skstc.nn._multimodal import MultimodalAutoencoder, MultimodalClassifierNet


def _gen(seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def test_reconstruction_error_sum_vs_mean():
    pred = torch.zeros(2, 2, 2)
    target = torch.tensor([[[1.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 0.0]]])
    # per-sample sums: 4 and 4 -> mean 4; per-element mean: 8 / 8 = 1
    assert reconstruction_error(pred, target, "sum").item() == pytest.approx(4.0)
    assert reconstruction_error(pred, target, "mean").item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="reduction"):
        reconstruction_error(pred, target, "max")


def test_cosine_pair_loss_by_hand():
    z = torch.tensor([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0], [0.0, 2.0]])
    i, j = torch.tensor([0, 0, 0]), torch.tensor([1, 2, 3])
    loss = cosine_pair_loss(z, i, j, eps=0.0)
    # cos = 1/sqrt(2); -1 (abs -> 1); 0
    assert loss[0].item() == pytest.approx(-math.log(1 / math.sqrt(2)), rel=1e-5)
    assert loss[1].item() == pytest.approx(0.0, abs=1e-6)
    eps = 1e-3
    assert cosine_pair_loss(z, i[2:], j[2:], eps=eps).item() == pytest.approx(-math.log(eps))


def test_constrained_loss_is_mean_over_classes_of_pair_means():
    z = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    pairs = [(torch.tensor([0, 0]), torch.tensor([1, 1])),      # class a: two pairs, cos .707
             (torch.tensor([2, 3, 2, 3]), torch.tensor([3, 4, 4, 2]))]  # class b: 1, 0, 0, 1
    eps = 1e-2
    a = -math.log(1 / math.sqrt(2) + eps)
    b = (2 * -math.log(1 + eps) + 2 * -math.log(eps)) / 4
    got = constrained_cosine_loss(z, pairs, eps=eps).item()
    assert got == pytest.approx((a + b) / 2, rel=1e-5)
    zero = constrained_cosine_loss(z.requires_grad_(), [])
    assert zero.item() == 0.0
    zero.backward()
    assert torch.all(z.grad == 0)


def test_centered_constrained_loss():
    z = torch.tensor([[1.0, 0.1], [1.0, 0.2], [1.0, 0.3]])
    pairs = [(torch.tensor([0]), torch.tensor([2]))]
    # centred: (0, -0.1) and (0, 0.1): antiparallel, |cos| = 1 -> loss -log(1+eps)
    assert constrained_cosine_loss(z, pairs, center=True).item() == pytest.approx(0, abs=1e-6)
    assert constrained_cosine_loss(z, pairs).item() > 0


def test_student_t_and_target_distribution_by_hand():
    z = torch.tensor([[0.0, 0.0]])
    centers = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    q = student_t_assignment(z, centers, alpha=1.0)
    # kernels 1/(1+1) = 0.5 and 1/(1+4) = 0.2
    np.testing.assert_allclose(q.numpy(), [[0.5 / 0.7, 0.2 / 0.7]], rtol=1e-6)
    q2 = torch.tensor([[0.5, 0.5], [0.9, 0.1]])
    p = target_distribution(q2)
    f = np.array([1.4, 0.6])
    w = np.array([[0.25, 0.25], [0.81, 0.01]]) / f
    np.testing.assert_allclose(p.numpy(), w / w.sum(1, keepdims=True), rtol=1e-6)
    assert kl_clustering_loss(q2, q2).item() == pytest.approx(0.0, abs=1e-6)
    kl = kl_clustering_loss(p, q2).item()
    expected = np.mean((p.numpy() * np.log(p.numpy() / q2.numpy())).sum(1))
    assert kl == pytest.approx(expected, rel=1e-5)


def test_pairwise_constraint_loss_by_hand():
    q = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    ml, cl = pairwise_constraint_loss(q, (torch.tensor([0]), torch.tensor([1])),
                                      (torch.tensor([0]), torch.tensor([2])), eps=0.0)
    assert ml.item() == pytest.approx(-math.log(0.5))
    assert cl.item() == pytest.approx(0.0, abs=1e-7)
    ml0, cl0 = pairwise_constraint_loss(q)
    assert ml0.item() == 0 and cl0.item() == 0


def test_embedding_collapse_measure():
    assert embedding_collapse(torch.ones(5, 3)) == pytest.approx(1.0)
    assert embedding_collapse(torch.eye(4)) == pytest.approx(0.25)
    assert embedding_collapse(torch.tensor([[1.0, 0], [-1.0, 0]])) == pytest.approx(0.0)


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


@pytest.mark.parametrize("mode", ["both", "spatial", "temporal"])
def test_autoencoder_shapes_and_unit_branches(mode):
    torch.manual_seed(0)
    ae = MultimodalAutoencoder((9, 12), 7, embedding_dim=5, mode=mode, conv_channels=(4, 8),
                               lstm_hidden_size=6)
    out = ae(torch.rand(3, 9, 12), torch.rand(3, 7))
    assert out["z"].shape == (3, 5)
    for key in ("z_spatial", "z_temporal"):
        if key in out:
            np.testing.assert_allclose(out[key].norm(dim=1).detach().numpy(), 1, atol=1e-5)
            assert (out[key] >= 0).all()
    assert ("map_hat" in out) == (mode != "temporal")
    assert ("series_hat" in out) == (mode != "spatial")
    if mode != "temporal":
        assert out["map_hat"].shape == (3, 9, 12)
    if mode != "spatial":
        assert out["series_hat"].shape == (3, 7)


def test_bidirectional_adds_directions():
    torch.manual_seed(0)
    ae = MultimodalAutoencoder((4, 4), 6, embedding_dim=3, mode="temporal", lstm_hidden_size=5,
                               activation="linear")
    enc = ae.temporal_encoder
    s = torch.rand(2, 6)
    _, (h_n, _) = enc.lstm(s.unsqueeze(-1))
    expected = torch.nn.functional.normalize(enc.project.linear(h_n[0] + h_n[1]), dim=-1)
    torch.testing.assert_close(enc(s), expected)
    uni = MultimodalAutoencoder((4, 4), 6, 3, mode="temporal", bidirectional=False)
    assert not uni.temporal_encoder.lstm.bidirectional


def test_classifier_net_freeze():
    torch.manual_seed(0)
    ae = MultimodalAutoencoder((8, 8), 5, embedding_dim=4, conv_channels=(4,), lstm_hidden_size=4)
    before = {k: v.clone() for k, v in ae.state_dict().items()}
    net = MultimodalClassifierNet(ae, 3, hidden_units=6, freeze_encoder=True)
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
    loss = net(torch.rand(4, 8, 8), torch.rand(4, 5)).sum()
    loss.backward()
    opt.step()
    for k, v in ae.state_dict().items():
        assert torch.equal(v, before[k])
    assert net(torch.rand(2, 8, 8), torch.rand(2, 5)).shape == (2, 3)
