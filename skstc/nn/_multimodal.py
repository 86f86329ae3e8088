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
    """CNN encoder of a map: stride-2 convolutions + read-out + Linear + ReLU + L2 norm.

    Parameters
    ----------
    spatial_shape : tuple of int (height, width)
        Shape of one map.
    embedding_dim : int
        Output dimension.
    conv_channels : tuple of int, default=(16, 32, 64)
        Output channels of the convolution layers (each halves the map size).
    activation : {"relu", "linear"}, default="relu"
        Activation before the L2 normalisation (the paper: ReLU).
    pooling : {"flatten", "mean"}, default="flatten"
        Read-out of the last feature map: flatten it into the linear layer (the paper; a
        one-pixel shift of the object changes the input of every weight), or average each
        channel over the map (global average pooling: nearly invariant to translation).

    Shapes: ``(batch, height, width)`` -> ``(batch, embedding_dim)`` unit vectors.
    """

    def __init__(self, spatial_shape, embedding_dim, conv_channels=(16, 32, 64), activation="relu",
                 pooling="flatten"):
        super().__init__()
        if pooling not in ("flatten", "mean"):
            raise ValueError(f"pooling must be 'flatten' or 'mean', got {pooling!r}.")
        layers, c_in = [], 1
        for c_out in conv_channels:
            layers += [nn.Conv2d(c_in, c_out, kernel_size=3, stride=2, padding=1), nn.ReLU()]
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        h, w = (_conv_out(s, len(conv_channels)) for s in spatial_shape)
        self.out_shape = (c_in, h, w)
        self.pooling = pooling
        n_in = c_in * h * w if pooling == "flatten" else c_in
        self.project = _Project(n_in, embedding_dim, activation)

    def forward(self, maps):
        h = self.conv(maps.unsqueeze(1))
        h = h.flatten(1) if self.pooling == "flatten" else h.mean(dim=(2, 3))
        return self.project(h)


class SpatialDecoder(nn.Module):
    """Up-convolution decoder: embedding -> map of ``spatial_shape``.

    Shapes: ``(batch, embedding_dim)`` -> ``(batch, height, width)``.
    """

    def __init__(self, spatial_shape, embedding_dim, conv_channels=(64, 32, 16)):
        super().__init__()
        self.spatial_shape = tuple(spatial_shape)
        n_up = len(conv_channels)
        self.start = (conv_channels[0], _conv_out(spatial_shape[0], n_up),
                      _conv_out(spatial_shape[1], n_up))
        self.linear = nn.Linear(embedding_dim, conv_channels[0] * self.start[1] * self.start[2])
        layers = []
        outs = list(conv_channels[1:]) + [1]
        for i, (c_in, c_out) in enumerate(zip(conv_channels, outs, strict=True)):
            layers.append(nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1))
            if i < n_up - 1:
                layers.append(nn.ReLU())
        self.deconv = nn.Sequential(*layers)

    def forward(self, z):
        h = F.relu(self.linear(z)).view(-1, *self.start)
        out = self.deconv(h)
        return out[:, 0, : self.spatial_shape[0], : self.spatial_shape[1]]


class TemporalEncoder(nn.Module):
    """LSTM encoder of a series: final (or time-averaged) states -> projection.

    Parameters
    ----------
    embedding_dim : int
        Output dimension.
    lstm_hidden_size : int, default=64
        LSTM hidden size.
    bidirectional : bool, default=True
        Bidirectional LSTM whose forward and backward final hidden states are added (the
        paper); False uses the forward direction only.
    activation : {"relu", "linear"}, default="relu"
    readout : {"last", "mean"}, default="last"
        ``"last"``: the final hidden state of each direction (the paper; on long series the
        middle steps reach it only through many recurrent steps and get almost no gradient).
        ``"mean"``: the hidden states averaged over all time steps (each direction), so
        every step contributes directly.

    Shapes: ``(batch, time)`` -> ``(batch, embedding_dim)`` unit vectors.
    """

    def __init__(self, embedding_dim, lstm_hidden_size=64, bidirectional=True, activation="relu",
                 readout="last"):
        super().__init__()
        if readout not in ("last", "mean"):
            raise ValueError(f"readout must be 'last' or 'mean', got {readout!r}.")
        self.lstm = nn.LSTM(1, lstm_hidden_size, batch_first=True, bidirectional=bidirectional)
        self.lstm_hidden_size = lstm_hidden_size
        self.readout = readout
        self.project = _Project(lstm_hidden_size, embedding_dim, activation)

    def forward(self, series):
        out, (h_n, _) = self.lstm(series.unsqueeze(-1))
        if self.readout == "mean":
            # out: (batch, time, num_directions * hidden); directions added, time averaged
            h = out.mean(dim=1).view(out.shape[0], -1, self.lstm_hidden_size).sum(dim=1)
            return self.project(h)
        # h_n: (num_directions, batch, hidden); forward + backward
        return self.project(h_n.sum(dim=0))


class TemporalDecoder(nn.Module):
    """LSTM decoder: the embedding is fed at every step, a linear layer reads each output.

    Shapes: ``(batch, embedding_dim)`` -> ``(batch, n_timesteps)``.
    """

    def __init__(self, n_timesteps, embedding_dim, lstm_hidden_size=64):
        super().__init__()
        self.n_timesteps = n_timesteps
        self.lstm = nn.LSTM(embedding_dim, lstm_hidden_size, batch_first=True)
        self.readout = nn.Linear(lstm_hidden_size, 1)

    def forward(self, z):
        steps = z.unsqueeze(1).expand(-1, self.n_timesteps, -1)
        out, _ = self.lstm(steps)
        return self.readout(out).squeeze(-1)


class MultimodalAutoencoder(nn.Module):
    """Spatial CNN + temporal LSTM autoencoder with a fused embedding.

    Parameters
    ----------
    spatial_shape : tuple of int (height, width)
    n_timesteps : int
    embedding_dim : int, default=256
    mode : {"both", "spatial", "temporal"}, default="both"
        Which modalities are encoded and reconstructed (SAE = "spatial", TAE = "temporal").
    conv_channels : tuple of int, default=(16, 32, 64)
    lstm_hidden_size : int, default=64
    bidirectional : bool, default=True
    activation : {"relu", "linear"}, default="relu"
        Activation before each branch's L2 normalisation.
    n_clusters : int or None, default=None
        When given, a learnable ``cluster_centers`` parameter ``(n_clusters, fused_dim)``
        is created (DEC-style clustering heads).
    map_pooling : {"flatten", "mean"}, default="flatten"
        Read-out of the map encoder (see :class:`SpatialEncoder`).
    series_readout : {"last", "mean"}, default="last"
        Read-out of the series encoder (see :class:`TemporalEncoder`).
    fusion : {"sum", "concat"}, default="sum"
        Fused embedding: the sum of the branch embeddings (the paper; ``fused_dim =
        embedding_dim``) or their concatenation (``fused_dim = 2 * embedding_dim`` with both
        modalities), which keeps each branch in its own coordinates.
    decoders : {"shared", "per_branch"}, default="shared"
        Both decoders read the fused embedding (the paper), or each decoder reads its own
        branch's embedding, so each encoder is trained by its own reconstruction only.

    Forward: ``forward(maps, series, index=None)`` -> dict with ``z`` (fused embedding),
    ``z_spatial``, ``z_temporal``, ``map_hat`` and ``series_hat`` (absent entries for a
    disabled modality).
    """

    def __init__(self, spatial_shape, n_timesteps, embedding_dim=256, mode="both",
                 conv_channels=(16, 32, 64), lstm_hidden_size=64, bidirectional=True, activation="relu",
                 n_clusters=None, map_pooling="flatten", series_readout="last", fusion="sum",
                 decoders="shared"):
        super().__init__()
        if mode not in ("both", "spatial", "temporal"):
            raise ValueError(f"mode must be 'both', 'spatial' or 'temporal', got {mode!r}.")
        if fusion not in ("sum", "concat"):
            raise ValueError(f"fusion must be 'sum' or 'concat', got {fusion!r}.")
        if decoders not in ("shared", "per_branch"):
            raise ValueError(f"decoders must be 'shared' or 'per_branch', got {decoders!r}.")
        self.mode = mode
        self.fusion = fusion
        self.decoders = decoders
        self.embedding_dim = embedding_dim
        self.use_spatial = mode in ("both", "spatial")
        self.use_temporal = mode in ("both", "temporal")
        n_branches = int(self.use_spatial) + int(self.use_temporal)
        self.fused_dim = embedding_dim * (n_branches if fusion == "concat" else 1)
        dec_in = embedding_dim if decoders == "per_branch" else self.fused_dim
        if self.use_spatial:
            self.spatial_encoder = SpatialEncoder(spatial_shape, embedding_dim, conv_channels,
                                                  activation, map_pooling)
            self.spatial_decoder = SpatialDecoder(spatial_shape, dec_in,
                                                  tuple(reversed(conv_channels)))
        if self.use_temporal:
            self.temporal_encoder = TemporalEncoder(embedding_dim, lstm_hidden_size, bidirectional,
                                                    activation, series_readout)
            self.temporal_decoder = TemporalDecoder(n_timesteps, dec_in, lstm_hidden_size)
        if n_clusters is not None:
            self.cluster_centers = nn.Parameter(torch.zeros(n_clusters, self.fused_dim))

    def _fuse(self, parts):
        if self.fusion == "concat":
            return torch.cat([parts[k] for k in ("z_spatial", "z_temporal") if k in parts],
                             dim=-1)
        return sum(parts.values())

    def encode(self, maps=None, series=None):
        """Fused embedding ``(batch, fused_dim)``: sum or concatenation of the branches."""
        return self._fuse(self._encode_parts(maps, series))

    def encode_branches(self, maps=None, series=None):
        """Branch embeddings ``(z_spatial, z_temporal)``, each ``(batch, embedding_dim)``.

        A disabled modality gives None.
        """
        parts = self._encode_parts(maps, series)
        return parts.get("z_spatial"), parts.get("z_temporal")

    def _encode_parts(self, maps, series):
        parts = {}
        if self.use_spatial:
            parts["z_spatial"] = self.spatial_encoder(maps)
        if self.use_temporal:
            parts["z_temporal"] = self.temporal_encoder(series)
        return parts

    def _split(self, z):
        """Branch parts of a fused embedding (per-branch decoders)."""
        if self.fusion == "concat":
            d = self.embedding_dim
            if self.use_spatial and self.use_temporal:
                return z[:, :d], z[:, d:]
            return (z, None) if self.use_spatial else (None, z)
        raise ValueError(
            "a summed embedding cannot be split into its branches: per-branch decoders "
            "decode from the branch embeddings (use fusion='concat' to decode fused codes).")

    def decode(self, z):
        """Reconstructions ``(map_hat, series_hat)`` (None for a disabled modality).

        ``z`` is a fused embedding ``(batch, fused_dim)``; with per-branch decoders each
        decoder reads its branch's part (needs ``fusion="concat"``).
        """
        if self.decoders == "per_branch":
            return self._decode_parts(*self._split(z))
        return self._decode_parts(z, z)

    def _decode_parts(self, z_map, z_series):
        map_hat = self.spatial_decoder(z_map) if self.use_spatial else None
        series_hat = self.temporal_decoder(z_series) if self.use_temporal else None
        return map_hat, series_hat

    def forward(self, maps=None, series=None, index=None):
        """Encode and decode; ``index`` (row ids used by some losses) is ignored."""
        parts = self._encode_parts(maps, series)
        z = self._fuse(parts)
        out = dict(parts, z=z)
        if self.decoders == "per_branch":
            map_hat, series_hat = self._decode_parts(parts.get("z_spatial"),
                                                     parts.get("z_temporal"))
        else:
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
        return self.autoencoder.fused_dim

    def forward(self, maps=None, series=None, index=None):
        """Logits; ``index`` is ignored."""
        if self.freeze_encoder:
            self.autoencoder.eval()
            with torch.no_grad():
                z = self.autoencoder.encode(maps, series)
        else:
            z = self.autoencoder.encode(maps, series)
        return self.head((z - self.embedding_mean) / self.embedding_scale)
