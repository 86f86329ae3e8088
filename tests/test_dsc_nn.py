"""DSC torch modules and the DEC losses."""

import numpy as np
import pytest
import torch

from skstc.losses import DSCLoss, kl_clustering_loss, student_t_assignment, target_distribution
from skstc.nn import ClusteringHead, CNNLSTMAutoencoder, DenseAutoencoder


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
    torch.manual_seed(0)
    z = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    mu = torch.randn(2, 3, dtype=torch.float64)
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


def test_clustering_head_gradient_moves_centres_toward_members():
    head = ClusteringHead(2, 1)
    with torch.no_grad():
        head.centers.copy_(torch.tensor([[0.0], [4.0]]))
    z = torch.tensor([[1.0], [3.0]])
    q = head(z)
    p = target_distribution(q).detach()
    kl_clustering_loss(p, q).backward()
    # gradient descent pulls centre 0 toward 1 (positive move) and centre 1 toward 3
    assert head.centers.grad[0, 0] < 0 and head.centers.grad[1, 0] > 0


@pytest.mark.parametrize("grid", [(16, 16), (13, 19)])
@pytest.mark.parametrize("use_lstm", [True, False])
def test_cnn_lstm_autoencoder_shapes_and_padding(grid, use_lstm):
    net = CNNLSTMAutoencoder(2, grid, window=3, conv_channels=(4, 8, 8), lstm_hidden_size=6,
                             embedding_dim=5, n_clusters=3, use_lstm=use_lstm)
    assert net.padded_shape == (16, 16) or net.padded_shape == (16, 20)
    x = torch.randn(4, 3, 2, *grid)
    out = net(x)
    assert out["z"].shape == (4, 5) and out["q"].shape == (4, 3)
    assert out["recon"].shape == (4, 2, *grid)
    torch.testing.assert_close(out["q"].sum(1), torch.ones(4))
    # the loss is the MSE on the real grid of the centre step (padding cropped away)
    crit = DSCLoss(clustering_weight=0.0)
    loss = crit(out, None, {"x": x, "p": out["q"].detach()})
    expected = ((out["recon"] - x[:, 1]) ** 2).mean()
    torch.testing.assert_close(loss, expected)
    assert set(crit.components_) == {"recon"}
    loss.backward()


def test_window_context_reaches_the_code():
    net = CNNLSTMAutoencoder(1, (8, 8), window=3, conv_channels=(4, 4), lstm_hidden_size=4,
                             embedding_dim=3, use_decoder=False)
    x = torch.randn(2, 3, 1, 8, 8)
    x2 = x.clone()
    x2[:, 0] += 1.0  # change only the first (past) step
    assert not torch.allclose(net.encode(x), net.encode(x2))
    cnn_only = CNNLSTMAutoencoder(1, (8, 8), window=3, conv_channels=(4, 4), embedding_dim=3,
                                  use_lstm=False, use_decoder=False)
    torch.testing.assert_close(cnn_only.encode(x), cnn_only.encode(x2))
    assert "recon" not in cnn_only(x)


def test_grid_too_small_is_a_clear_error():
    with pytest.raises(ValueError, match="smaller than the 4 poolings"):
        CNNLSTMAutoencoder(1, (10, 40))


def test_dense_autoencoder():
    net = DenseAutoencoder(2 * 5 * 6, hidden_units=(16, 8), embedding_dim=3, n_clusters=4,
                           sample_shape=(2, 5, 6))
    x = torch.randn(7, 1, 2, 5, 6)
    out = net(x)
    assert out["z"].shape == (7, 3) and out["recon"].shape == (7, 2, 5, 6)
    loss = DSCLoss()(out, None, {"x": x, "p": target_distribution(out["q"]).detach()})
    loss.backward()
    assert net.head.centers.grad is not None
    net.reconstruct = False
    assert set(net(x)) == {"z", "q"}
    conv = CNNLSTMAutoencoder(2, (5, 6), conv_channels=(4,), embedding_dim=3)
    conv.reconstruct = False
    assert set(conv(x)) == {"z", "q"}


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
