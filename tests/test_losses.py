"""skstc.losses: hand-computable losses (multimodal, DEC, DSC, triplet)."""

import math

import numpy as np
import pytest
import torch

from skstc._sampling import (
    TileTripletSampler,
)
from skstc.losses import (
    DSCLoss,
    TripletLoss,
    constrained_cosine_loss,
    cosine_pair_loss,
    embedding_collapse,
    kl_clustering_loss,
    modality_variance,
    pairwise_constraint_loss,
    reconstruction_error,
    student_t_assignment,
    supervised_contrastive_loss,
    target_distribution,
    tile2vec_triplet_loss,
)
from skstc.nn import TileNet


# ---- losses -----------------------------------------------------------------------------
def test_normalized_reconstruction_is_one_for_the_mean():
    rng = np.random.RandomState(0)
    x = torch.as_tensor(rng.normal(3.0, 2.0, size=(50, 4, 5)), dtype=torch.float32)
    scale = modality_variance(x)
    assert scale == pytest.approx(float(x.var(dim=0, unbiased=False).mean()), rel=1e-5)
    mean = x.mean(dim=0, keepdim=True).expand_as(x)
    assert float(reconstruction_error(mean, x, "normalized", scale)) == pytest.approx(1.0,
                                                                                     rel=1e-5)
    # by hand: per-element mean divided by the scale; independent of the number of elements
    pred, target = torch.zeros(2, 3), torch.ones(2, 3)
    assert float(reconstruction_error(pred, target, "normalized", 4.0)) == pytest.approx(0.25)
    big_pred, big_target = torch.zeros(2, 300), torch.ones(2, 300)
    assert float(reconstruction_error(big_pred, big_target, "normalized", 4.0)) == 0.25


def test_supervised_contrastive_loss_by_hand():
    # rows 0, 1 class 0; row 2 class 1; row 3 unlabelled (ignored)
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [5.0, -1.0]])
    y = torch.tensor([0, 0, 1, -1])
    t = 0.5
    c01, c02, c12 = 0.0, 1 / math.sqrt(2), 1 / math.sqrt(2)
    # anchor 0: positive 1 among {1, 2}; anchor 1: positive 0 among {0, 2}; anchor 2: none
    l0 = -(c01 / t - math.log(math.exp(c01 / t) + math.exp(c02 / t)))
    l1 = -(c01 / t - math.log(math.exp(c01 / t) + math.exp(c12 / t)))
    got = float(supervised_contrastive_loss(z, y, temperature=t))
    assert got == pytest.approx((l0 + l1) / 2, rel=1e-5)
    # no positive pair: zero with a graph
    zero = supervised_contrastive_loss(z.requires_grad_(), torch.tensor([0, 1, -1, -1]))
    assert float(zero.detach()) == 0.0 and zero.requires_grad


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


def test_student_t_hand_computed():
    z = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    centers = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    # sample 0: d2 = 0, 1 -> kernel 1, 1/2 -> q = 2/3, 1/3
    # sample 1: d2 = 2, 1 -> kernel 1/3, 1/2 -> q = 2/5, 3/5
    q = student_t_assignment(z, centers, alpha=1.0)
    np.testing.assert_allclose(q.numpy(), [[2 / 3, 1 / 3], [2 / 5, 3 / 5]], rtol=1e-5)
    # alpha = 2: kernel (1 + d2/2)^(-3/2); sample 0: 1, (1.5)^-1.5
    q2 = student_t_assignment(z, centers, alpha=2.0)
    k = 1.5 ** -1.5
    np.testing.assert_allclose(q2[0].numpy(), [1 / (1 + k), k / (1 + k)], rtol=1e-5)


def test_target_distribution_hand_computed():
    q = torch.tensor([[0.5, 0.5], [0.75, 0.25]])
    # f = (1.25, 0.75); row 0: (0.25/1.25, 0.25/0.75) = (0.2, 1/3) -> (0.375, 0.625)
    # row 1: (0.5625/1.25, 0.0625/0.75) = (0.45, 1/12) -> (0.84375, 0.15625)
    p = target_distribution(q)
    np.testing.assert_allclose(p.numpy(), [[0.375, 0.625], [0.84375, 0.15625]], rtol=1e-6)
    np.testing.assert_allclose(target_distribution(q.numpy()), p.numpy(), rtol=1e-6)


def test_kl_value_and_gradient_sanity():
    p = torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    q = torch.tensor([[0.5, 0.5], [0.5, 0.5]])
    expected = np.mean([0.9 * np.log(1.8) + 0.1 * np.log(0.2),
                        0.2 * np.log(0.4) + 0.8 * np.log(1.6)])
    assert kl_clustering_loss(p, q).item() == pytest.approx(expected, rel=1e-5)
    assert kl_clustering_loss(p, p).item() == pytest.approx(0.0, abs=1e-6)
    # gradient wrt z against finite differences, and a descent step lowers the loss
    g = torch.Generator().manual_seed(0)
    z = torch.randn(5, 3, dtype=torch.float64, generator=g, requires_grad=True)
    mu = torch.randn(2, 3, dtype=torch.float64, generator=g)
    target = target_distribution(student_t_assignment(z, mu)).detach()

    def f(zz):
        return kl_clustering_loss(target, student_t_assignment(zz, mu))

    assert torch.autograd.gradcheck(f, (z,))
    loss = f(z)
    loss.backward()
    with torch.no_grad():
        lower = f(z - 0.05 * z.grad)
    assert lower < loss
    # p is a constant: no gradient flows into it
    pp = target.clone().requires_grad_(True)
    kl_clustering_loss(pp, student_t_assignment(z, mu)).backward()
    assert pp.grad is None or torch.all(pp.grad == 0)


def test_dsc_loss_eq7_reconstruction_is_a_per_sample_sum_over_the_batch():
    # two samples of 2x1x2 values; errors 1 and 2 on one value each
    x = torch.zeros(2, 1, 1, 2)
    recon = torch.tensor([[[[1.0, 0.0]]], [[[0.0, 2.0]]]])
    y_pred = {"z": torch.zeros(2, 1), "q": torch.full((2, 1), 1.0), "recon": recon}
    batch = {"x": x, "p": torch.full((2, 1), 1.0)}
    eq7 = DSCLoss(clustering_weight=0.0, reduction="sum")
    assert float(eq7(y_pred, None, batch)) == pytest.approx((1.0 + 4.0) / 2)
    mse = DSCLoss(clustering_weight=0.0)
    assert float(mse(y_pred, None, batch)) == pytest.approx((1.0 + 4.0) / 4)
    with pytest.raises(ValueError, match="reduction"):
        DSCLoss(clustering_weight=0.0, reduction="max")(y_pred, None, batch)


def test_geometry_loss_hand_computed_and_scale_free():
    from skstc.losses import geometry_loss

    x = torch.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    assert float(geometry_loss(10 * x, x)) == pytest.approx(0.0, abs=1e-12)
    # code distances 1, 1, 0 (mean 2/3); input distances 5, 10, 5 (mean 20/3)
    z = torch.tensor([[0.0], [1.0], [1.0]], requires_grad=True)
    loss = geometry_loss(z, x)
    assert float(loss.detach()) == pytest.approx((0.75 ** 2 + 0.0 + 0.75 ** 2) / 3)
    loss.backward()
    assert torch.isfinite(z.grad).all()
    assert float(geometry_loss(z[:1], x[:1]).detach()) == 0.0


# ---- loss ----------------------------------------------------------------------------------
def test_triplet_loss_by_hand():
    za = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    zn = torch.tensor([[3.0, 4.0], [1.0, 1.0]])   # distances 5, 0
    zd = torch.tensor([[0.0, 1.0], [1.0, 4.0]])   # distances 1, 3
    # hinge: relu(5 - 1 + 2) = 6 ; relu(0 - 3 + 2) = 0 -> mean 3
    loss, parts = tile2vec_triplet_loss(za, zn, zd, margin=2.0, l2=0.0)
    assert float(loss) == pytest.approx(3.0)
    assert float(parts["d_neighbor"]) == pytest.approx(2.5)
    assert float(parts["d_distant"]) == pytest.approx(2.0)
    # l2 term: Frobenius norms of the batches, as in the published code
    # ||Za|| = sqrt(2), ||Zn|| = sqrt(25 + 2) , ||Zd|| = sqrt(1 + 17)
    expected = 3.0 + 0.1 * (np.sqrt(2) + np.sqrt(27) + np.sqrt(18))
    loss, parts = tile2vec_triplet_loss(za, zn, zd, margin=2.0, l2=0.1)
    assert float(loss) == pytest.approx(expected, rel=1e-6)
    assert float(parts["l2"]) == pytest.approx(expected - 3.0, rel=1e-6)


def test_triplet_loss_criterion_records_components():
    crit = TripletLoss(margin=1.0, l2=0.0)
    z = torch.zeros(2, 3)
    loss = crit((z, z, z), None, None)
    assert float(loss) == pytest.approx(1.0)
    assert crit.components_["triplet"] == pytest.approx(1.0)


def test_triplet_loss_gradient_finite_for_identical_tiles():
    za = torch.ones(3, 4, requires_grad=True)
    zn = torch.ones(3, 4, requires_grad=True)
    zd = torch.zeros(3, 4, requires_grad=True)
    loss, _ = tile2vec_triplet_loss(za, zn, zd, margin=5.0, l2=0.01)
    loss.backward()
    for z in (za, zn, zd):
        assert torch.isfinite(z.grad).all()


def test_triplet_loss_gradient_pushes_right_way():
    za = torch.zeros(1, 2)
    zn = torch.tensor([[2.0, 0.0]], requires_grad=True)
    zd = torch.tensor([[1.0, 0.0]], requires_grad=True)
    loss, _ = tile2vec_triplet_loss(za, zn, zd, margin=1.0, l2=0.0)
    loss.backward()
    assert zn.grad[0, 0] > 0   # descending moves the neighbour towards the anchor
    assert zd.grad[0, 0] < 0   # and the distant tile away


# ---- real data: the original Tile2Vec NAIP triplets --------------------------------------
@pytest.mark.realdata
def test_naip_ready_triplets_through_the_loss(data_file):
    xr = pytest.importorskip("xarray")
    ds = xr.open_dataset(data_file("naip_cdl_tile2vec.nc"))
    trip = ds["example_triplets"].values.astype(np.float32) / 255.0  # (20, 3, 50, 50, 4)
    trip = np.moveaxis(trip, -1, 2)                                  # (20, 3, 4, 50, 50)
    a, n, d = (torch.as_tensor(np.ascontiguousarray(trip[:, i])) for i in range(3))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = TileNet(4, embedding_dim=16, n_blocks=(1, 1, 1), base_width=8)
    crit = TripletLoss(margin=1.0, l2=0.0)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses = []
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(15):
            opt.zero_grad()
            loss = crit(net(a, n, d))
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    finally:
        torch.set_num_threads(prev)
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.5 * losses[0]
    net.eval()
    with torch.no_grad():
        za, zn, zd = net(a, n, d)
    # after fitting, the ready triplets are mostly ordered (neighbour closer than distant)
    assert ((za - zn).norm(dim=1) < (za - zd).norm(dim=1)).float().mean() >= 0.75
    # and the on-the-fly sampler works on the NAIP scenes (same-date = one scene)
    scenes = ds["image"].values.astype(np.float32) / 255.0   # (8, 4, 256, 256)
    sampler = TileTripletSampler([s[None] for s in scenes], 50, 50)
    batch = sampler.sample(6, np.random.RandomState(0))
    assert batch["anchor"].shape == (6, 4, 50, 50)
    with torch.no_grad():
        out = crit(net(*(torch.as_tensor(batch[k]) for k in ("anchor", "neighbor", "distant"))))
    assert np.isfinite(float(out))

