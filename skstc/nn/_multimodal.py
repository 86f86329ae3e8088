"""Torch modules of the multimodal (map + series) constrained autoencoder.

Tensor axes: maps ``(batch, height, width)`` (a channel axis is added inside), series
``(batch, time)``, embeddings ``(batch, embedding_dim)``.
"""

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "SpatialEncoder",
    "SpatialDecoder",
    "TemporalEncoder",
    "TemporalDecoder",
    "MultimodalAutoencoder",
    "MultimodalClassifierNet",
]


def _conv_out(size, n_layers):
    for _ in range(n_layers):
        size = (size + 1) // 2  # kernel 3, stride 2, padding 1
    return size


class _Project(nn.Module):
    """Linear -> ReLU (optional) -> L2 normalisation along the last axis."""

    def __init__(self, in_features, embedding_dim, activation="relu"):
        super().__init__()
        self.linear = nn.Linear(in_features, embedding_dim)
        self.activation = activation

    def forward(self, h):
        z = self.linear(h)
        if self.activation == "relu":
            z = F.relu(z)
        return F.normalize(z, dim=-1, eps=1e-8)


class SpatialEncoder(nn.Module):
    """CNN encoder of a map: stride-2 convolutions + Linear + ReLU + L2 normalisation.

    Parameters
    ----------
    spatial_shape : tuple of int (height, width)
        Shape of one map.
    embedding_dim : int
        Output dimension.
    channels : tuple of int, default=(16, 32, 64)
        Output channels of the convolution layers (each halves the map size).
    activation : {"relu", "linear"}, default="relu"
        Activation before the L2 normalisation (the paper: ReLU).

    Shapes: ``(batch, height, width)`` -> ``(batch, embedding_dim)`` unit vectors.
    """

    def __init__(self, spatial_shape, embedding_dim, channels=(16, 32, 64), activation="relu"):
        super().__init__()
        layers, c_in = [], 1
        for c_out in channels:
            layers += [nn.Conv2d(c_in, c_out, kernel_size=3, stride=2, padding=1), nn.ReLU()]
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        h, w = (_conv_out(s, len(channels)) for s in spatial_shape)
        self.out_shape = (c_in, h, w)
        self.project = _Project(c_in * h * w, embedding_dim, activation)

    def forward(self, maps):
        h = self.conv(maps.unsqueeze(1))
        return self.project(h.flatten(1))


class SpatialDecoder(nn.Module):
    """Up-convolution decoder: embedding -> map of ``spatial_shape``.

    Shapes: ``(batch, embedding_dim)`` -> ``(batch, height, width)``.
    """

    def __init__(self, spatial_shape, embedding_dim, channels=(64, 32, 16)):
        super().__init__()
        self.spatial_shape = tuple(spatial_shape)
        n_up = len(channels)
        self.start = (channels[0], _conv_out(spatial_shape[0], n_up),
                      _conv_out(spatial_shape[1], n_up))
        self.linear = nn.Linear(embedding_dim, channels[0] * self.start[1] * self.start[2])
        layers = []
        outs = list(channels[1:]) + [1]
        for i, (c_in, c_out) in enumerate(zip(channels, outs, strict=True)):
            layers.append(nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1))
            if i < n_up - 1:
                layers.append(nn.ReLU())
        self.deconv = nn.Sequential(*layers)

    def forward(self, z):
        h = F.relu(self.linear(z)).view(-1, *self.start)
        out = self.deconv(h)
        return out[:, 0, : self.spatial_shape[0], : self.spatial_shape[1]]


class TemporalEncoder(nn.Module):
    """LSTM encoder of a series: final states (forward + backward, added) -> projection.

    Parameters
    ----------
    embedding_dim : int
        Output dimension.
    hidden_size : int, default=64
        LSTM hidden size.
    bidirectional : bool, default=True
        Bidirectional LSTM whose forward and backward final hidden states are added (the
        paper); False uses the forward direction only.
    activation : {"relu", "linear"}, default="relu"

    Shapes: ``(batch, time)`` -> ``(batch, embedding_dim)`` unit vectors.
    """

    def __init__(self, embedding_dim, hidden_size=64, bidirectional=True, activation="relu"):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.project = _Project(hidden_size, embedding_dim, activation)

    def forward(self, series):
        _, (h_n, _) = self.lstm(series.unsqueeze(-1))
        # h_n: (num_directions, batch, hidden); forward + backward
        return self.project(h_n.sum(dim=0))


class TemporalDecoder(nn.Module):
    """LSTM decoder: the embedding is fed at every step, a linear layer reads each output.

    Shapes: ``(batch, embedding_dim)`` -> ``(batch, n_timesteps)``.
    """

    def __init__(self, n_timesteps, embedding_dim, hidden_size=64):
        super().__init__()
        self.n_timesteps = n_timesteps
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, z):
        steps = z.unsqueeze(1).expand(-1, self.n_timesteps, -1)
        out, _ = self.lstm(steps)
        return self.readout(out).squeeze(-1)


class MultimodalAutoencoder(nn.Module):
    """Spatial CNN + temporal LSTM autoencoder with a fused (summed) embedding.

    Parameters
    ----------
    spatial_shape : tuple of int (height, width)
    n_timesteps : int
    embedding_dim : int, default=256
    mode : {"both", "spatial", "temporal"}, default="both"
        Which modalities are encoded and reconstructed (SAE = "spatial", TAE = "temporal").
    channels : tuple of int, default=(16, 32, 64)
    hidden_size : int, default=64
    bidirectional : bool, default=True
    activation : {"relu", "linear"}, default="relu"
        Activation before each branch's L2 normalisation.
    n_clusters : int or None, default=None
        When given, a learnable ``cluster_centers`` parameter ``(n_clusters, embedding_dim)``
        is created (DEC-style clustering heads).

    Forward: ``forward(maps, series, index=None)`` -> dict with ``z`` (fused embedding),
    ``z_spatial``, ``z_temporal``, ``map_hat`` and ``series_hat`` (absent entries for a
    disabled modality).
    """

    def __init__(self, spatial_shape, n_timesteps, embedding_dim=256, mode="both",
                 channels=(16, 32, 64), hidden_size=64, bidirectional=True, activation="relu",
                 n_clusters=None):
        super().__init__()
        if mode not in ("both", "spatial", "temporal"):
            raise ValueError(f"mode must be 'both', 'spatial' or 'temporal', got {mode!r}.")
        self.mode = mode
        self.use_spatial = mode in ("both", "spatial")
        self.use_temporal = mode in ("both", "temporal")
        if self.use_spatial:
            self.spatial_encoder = SpatialEncoder(spatial_shape, embedding_dim, channels,
                                                  activation)
            self.spatial_decoder = SpatialDecoder(spatial_shape, embedding_dim,
                                                  tuple(reversed(channels)))
        if self.use_temporal:
            self.temporal_encoder = TemporalEncoder(embedding_dim, hidden_size, bidirectional,
                                                    activation)
            self.temporal_decoder = TemporalDecoder(n_timesteps, embedding_dim, hidden_size)
        if n_clusters is not None:
            self.cluster_centers = nn.Parameter(torch.zeros(n_clusters, embedding_dim))

    def encode(self, maps=None, series=None):
        """Fused embedding ``(batch, embedding_dim)`` = sum of the branch embeddings."""
        parts = self._encode_parts(maps, series)
        return sum(parts.values())

    def _encode_parts(self, maps, series):
        parts = {}
        if self.use_spatial:
            parts["z_spatial"] = self.spatial_encoder(maps)
        if self.use_temporal:
            parts["z_temporal"] = self.temporal_encoder(series)
        return parts

    def decode(self, z):
        """Reconstructions ``(map_hat, series_hat)`` (None for a disabled modality)."""
        map_hat = self.spatial_decoder(z) if self.use_spatial else None
        series_hat = self.temporal_decoder(z) if self.use_temporal else None
        return map_hat, series_hat

    def forward(self, maps=None, series=None, index=None):
        """Encode and decode; ``index`` (row ids used by some losses) is ignored."""
        parts = self._encode_parts(maps, series)
        z = sum(parts.values())
        out = dict(parts, z=z)
        map_hat, series_hat = self.decode(z)
        if map_hat is not None:
            out["map_hat"] = map_hat
        if series_hat is not None:
            out["series_hat"] = series_hat
        return out


class MultimodalClassifierNet(nn.Module):
    """Encoder of a :class:`MultimodalAutoencoder` + two fully connected layers -> logits.

    Parameters
    ----------
    autoencoder : MultimodalAutoencoder
        Provides ``encode``; its decoders are unused.
    n_classes : int
    hidden_units : int, default=64
    freeze_encoder : bool, default=False
        Stop gradients into the encoder (the paper's enc_fixed).

    The embedding is standardised, ``(z - embedding_mean) / embedding_scale``, before the
    head; the buffers default to 0 and 1 (no change) and are set by
    :meth:`set_standardization` (fixed, not trained).

    Forward: ``forward(maps, series)`` -> logits ``(batch, n_classes)``.
    """

    def __init__(self, autoencoder, n_classes, hidden_units=64, freeze_encoder=False):
        super().__init__()
        self.autoencoder = autoencoder
        self.freeze_encoder = freeze_encoder
        if freeze_encoder:
            for p in self.autoencoder.parameters():
                p.requires_grad_(False)
        dim = self._embedding_dim()
        self.head = nn.Sequential(nn.Linear(dim, hidden_units), nn.ReLU(),
                                  nn.Linear(hidden_units, n_classes))
        self.register_buffer("embedding_mean", torch.zeros(dim))
        self.register_buffer("embedding_scale", torch.ones(dim))

    def set_standardization(self, mean, scale):
        """Set the fixed embedding standardisation (tensors of shape ``(embedding_dim,)``)."""
        with torch.no_grad():
            self.embedding_mean.copy_(torch.as_tensor(mean, dtype=self.embedding_mean.dtype))
            self.embedding_scale.copy_(torch.as_tensor(scale,
                                                       dtype=self.embedding_scale.dtype))

    def _embedding_dim(self):
        ae = self.autoencoder
        enc = ae.spatial_encoder if ae.use_spatial else ae.temporal_encoder
        return enc.project.linear.out_features

    def forward(self, maps=None, series=None, index=None):
        """Logits; ``index`` is ignored."""
        if self.freeze_encoder:
            self.autoencoder.eval()
            with torch.no_grad():
                z = self.autoencoder.encode(maps, series)
        else:
            z = self.autoencoder.encode(maps, series)
        return self.head((z - self.embedding_mean) / self.embedding_scale)
