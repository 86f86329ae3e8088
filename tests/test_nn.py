"""skstc.nn: shapes, gradients and options of the torch modules."""


import numpy as np
import pytest
import torch

from skstc.losses import (
    DSCLoss,
    kl_clustering_loss,
    target_distribution,
)
from skstc.nn import ClusteringHead, CNNLSTMAutoencoder, DenseAutoencoder, TileNet
from skstc.nn._multimodal import MultimodalAutoencoder, MultimodalClassifierNet


@pytest.mark.parametrize("mode", ["both", "spatial", "temporal"])
def test_autoencoder_shapes_and_unit_branches(mode):
    g = torch.Generator().manual_seed(0)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        ae = MultimodalAutoencoder((9, 12), 7, embedding_dim=5, mode=mode,
                                   conv_channels=(4, 8), lstm_hidden_size=6)
    out = ae(torch.rand(3, 9, 12, generator=g), torch.rand(3, 7, generator=g))
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
    g = torch.Generator().manual_seed(0)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        ae = MultimodalAutoencoder((4, 4), 6, embedding_dim=3, mode="temporal",
                                   lstm_hidden_size=5, activation="linear")
    enc = ae.temporal_encoder
    s = torch.rand(2, 6, generator=g)
    _, (h_n, _) = enc.lstm(s.unsqueeze(-1))
    expected = torch.nn.functional.normalize(enc.project.linear(h_n[0] + h_n[1]), dim=-1)
    torch.testing.assert_close(enc(s), expected)
    uni = MultimodalAutoencoder((4, 4), 6, 3, mode="temporal", bidirectional=False)
    assert not uni.temporal_encoder.lstm.bidirectional


def test_classifier_net_freeze():
    g = torch.Generator().manual_seed(0)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        ae = MultimodalAutoencoder((8, 8), 5, embedding_dim=4, conv_channels=(4,),
                                   lstm_hidden_size=4)
        before = {k: v.clone() for k, v in ae.state_dict().items()}
        net = MultimodalClassifierNet(ae, 3, hidden_units=6, freeze_encoder=True)
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
    loss = net(torch.rand(4, 8, 8, generator=g), torch.rand(4, 5, generator=g)).sum()
    loss.backward()
    opt.step()
    for k, v in ae.state_dict().items():
        assert torch.equal(v, before[k])
    assert net(torch.rand(2, 8, 8, generator=g), torch.rand(2, 5, generator=g)).shape == (2, 3)


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


# ---- TileNet -----------------------------------------------------------------------------
@pytest.mark.parametrize("size", [1, 5, 16, 33])
def test_tilenet_any_tile_size(size):
    net = TileNet(3, embedding_dim=6, n_blocks=(1, 1, 1), base_width=4)
    z = net.encode(torch.randn(4, 3, size, size))
    assert z.shape == (4, 6)


def test_tilenet_default_is_resnet18_like():
    net = TileNet(4)
    n_blocks = sum(len(stage) for stage in net.stages)
    assert n_blocks == 10  # 5 stages of 2 residual blocks (+ stem = 21 conv layers)
    assert net.encode(torch.randn(2, 4, 50, 50)).shape == (2, 512)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())


def test_tilenet_triplet_forward_matches_encode_in_eval():
    net = TileNet(2, embedding_dim=5, n_blocks=(1, 1), base_width=4).eval()
    a, n, d = (torch.randn(3, 2, 8, 8) for _ in range(3))
    za, zn, zd = net(a, n, d)
    torch.testing.assert_close(za, net.encode(a))
    torch.testing.assert_close(zd, net.encode(d))


def test_tilenet_bad_blocks():
    with pytest.raises(ValueError, match="n_blocks"):
        TileNet(3, n_blocks=())

