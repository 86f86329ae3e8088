"""Torch modules of Deep Spatiotemporal Clustering (DSC) and its DEC baseline.

Axes: a sample is a window of consecutive time steps of gridded fields, ``x`` of shape
``(batch, window, channels, height, width)``; ``(batch, channels, height, width)`` is accepted
for ``window=1``. Latent codes are ``(batch, embedding_dim)``, soft assignments
``(batch, n_clusters)``. Only torch is imported here.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..losses import student_t_assignment

__all__ = ["ClusteringHead", "CNNLSTMAutoencoder", "DenseAutoencoder", "grid_after_pooling"]


class ClusteringHead(nn.Module):
    """DEC clustering layer: learnable centres and Student-t soft assignments.

    Parameters
    ----------
    n_clusters : int
        Number of centres.
    embedding_dim : int
        Dimension of the codes.
    alpha : float, default=1.0
        Degrees of freedom of the Student-t kernel.

    Notes
    -----
    The Student-t kernel is not scale invariant: codes whose spread is far below 1 give
    nearly uniform ``q`` and no clustering signal. The buffer ``scale`` (1 by default, set
    by the estimator when the centres are initialised) multiplies the codes before the
    kernel; ``centers`` live in the scaled space.
    """

    def __init__(self, n_clusters, embedding_dim, alpha=1.0):
        super().__init__()
        self.alpha = float(alpha)
        self.centers = nn.Parameter(torch.zeros(n_clusters, embedding_dim))
        nn.init.xavier_uniform_(self.centers)
        self.register_buffer("scale", torch.ones(()))

    def forward(self, z):
        """Return ``q`` of shape (batch, n_clusters) for codes ``z`` of shape (batch, latent)."""
        return student_t_assignment(z * self.scale, self.centers, self.alpha)


def grid_after_pooling(grid_shape, n_pool):
    """Padded grid (multiple of ``2**n_pool``) and the grid after ``n_pool`` poolings."""
    f = 2 ** n_pool
    padded = tuple(int(math.ceil(g / f) * f) for g in grid_shape)
    return padded, tuple(p // f for p in padded)


class CNNLSTMAutoencoder(nn.Module):
    """The DSC network: CNN (+ LSTM) encoder, dense latent, mirrored upsampling decoder.

    Each time step of the window goes through the same convolutional stack (3x3 convolutions
    with ReLU, 2x2 max pooling after every block but the last); the flattened maps of the
    window form a sequence for the LSTM, whose last hidden state is projected to the latent
    code. The decoder maps the code back to the last block's maps, then upsamples (nearest,
    x2) and convolves block by block to the input channels, and reconstructs the centre step
    of the window. Grids not divisible by ``2**n_pool`` are zero-padded at the bottom/right
    before encoding and the reconstruction is cropped back to the input grid, so the padding
    never enters the reconstruction loss.

    Parameters
    ----------
    in_channels : int
        Variables (channels) per time step.
    grid_shape : tuple (height, width)
        Grid size.
    window : int, default=1
        Number of time steps per sample (the LSTM's sequence length).
    conv_channels : sequence of int, default=(64, 64, 128, 256, 512)
        Output channels of the convolutional blocks; ``len(conv_channels) - 1`` poolings.
    lstm_hidden_size : int, default=256
        LSTM hidden size.
    lstm_layers : int, default=1
        Stacked LSTM layers.
    embedding_dim : int, default=256
        Size of the latent code.
    n_clusters : int, default=7
        Centres of the clustering head.
    alpha : float, default=1.0
        Student-t degrees of freedom.
    use_lstm : bool, default=True
        False drops the LSTM (the flattened CNN maps of the centre step feed the dense layer):
        the "CNN" ablations.
    use_decoder : bool, default=True
        False drops the decoder ("encoder only" ablations: clustering loss alone).

    Attributes
    ----------
    reconstruct : bool
        Whether ``forward`` runs the decoder (True when there is one); set to False for a
        phase whose loss has no reconstruction term, to skip the decoder's work.

    Notes
    -----
    The buffers ``shift`` (channels, height, width) and ``spread`` (channels, 1, 1)
    normalise the input, ``(x - shift) / spread``, and map the reconstruction back; they
    default to 0 and 1 and are set by the estimator to the training mean field and the
    per-variable standard deviation of the anomalies, so that the optimisation does not
    depend on the scaling of the input (min-max scaled fields have a small variance). The
    buffer ``cell_weight`` (1, height, width), 1 by default, multiplies the normalised input
    (area weighting: ``sqrt(cos(latitude))``).
    """

    def __init__(self, in_channels, grid_shape, *, window=1,
                 conv_channels=(64, 64, 128, 256, 512), lstm_hidden_size=256, lstm_layers=1,
                 embedding_dim=256, n_clusters=7, alpha=1.0, use_lstm=True, use_decoder=True):
        super().__init__()
        self.in_channels = int(in_channels)
        self.grid_shape = tuple(int(g) for g in grid_shape)
        self.window = int(window)
        self.use_lstm = bool(use_lstm)
        self.use_decoder = bool(use_decoder)
        self.reconstruct = self.use_decoder
        conv_channels = tuple(int(c) for c in conv_channels)
        self.n_pool = len(conv_channels) - 1
        self.padded_shape, self.code_grid = grid_after_pooling(self.grid_shape, self.n_pool)
        if min(self.grid_shape) < 2 ** self.n_pool:
            raise ValueError(
                f"The grid {self.grid_shape} is smaller than the {self.n_pool} poolings of "
                f"conv_channels={conv_channels} allow (at least {2 ** self.n_pool} cells per "
                "side); use fewer convolutional blocks or a larger grid.")
        layers, prev = [], self.in_channels
        for i, ch in enumerate(conv_channels):
            layers += [nn.Conv2d(prev, ch, 3, padding=1), nn.ReLU(inplace=True)]
            if i < self.n_pool:
                layers.append(nn.MaxPool2d(2))
            prev = ch
        self.conv = nn.Sequential(*layers)
        n_flat = prev * self.code_grid[0] * self.code_grid[1]
        if self.use_lstm:
            self.lstm = nn.LSTM(n_flat, lstm_hidden_size, num_layers=lstm_layers, batch_first=True)
            self.to_latent = nn.Linear(lstm_hidden_size, embedding_dim)
        else:
            self.lstm = None
            self.to_latent = nn.Linear(n_flat, embedding_dim)
        if self.use_decoder:
            self.from_latent = nn.Linear(embedding_dim, n_flat)
            dec, rev = [], list(reversed(conv_channels))
            for i in range(self.n_pool):
                dec += [nn.Upsample(scale_factor=2, mode="nearest"),
                        nn.Conv2d(rev[i], rev[i + 1], 3, padding=1), nn.ReLU(inplace=True)]
            dec.append(nn.Conv2d(rev[-1], self.in_channels, 3, padding=1))
            self.deconv = nn.Sequential(*dec)
        self.head = ClusteringHead(n_clusters, embedding_dim, alpha)
        self._last_channels = prev
        # input normalisation (set from the training data by the estimator): the network
        # sees (x - shift) / spread and the reconstruction is mapped back to the input space
        self.register_buffer("shift", torch.zeros(self.in_channels, *self.grid_shape))
        self.register_buffer("spread", torch.ones(self.in_channels, 1, 1))
        self.register_buffer("cell_weight", torch.ones(1, *self.grid_shape))

    def _steps(self, x):
        if x.dim() == 4:
            x = x.unsqueeze(1)
        if x.dim() != 5:
            raise ValueError("x must be (batch, window, channels, height, width), got "
                             f"shape {tuple(x.shape)}.")
        return x

    def encode(self, x, **_):
        """Latent codes of shape (batch, embedding_dim)."""
        x = (self._steps(x) - self.shift) / self.spread * self.cell_weight
        b, w, c, h, wd = x.shape
        ph, pw = self.padded_shape
        if self.lstm is None:
            x = x[:, w // 2: w // 2 + 1]
            w = 1
        flat = x.reshape(b * w, c, h, wd)
        if (ph, pw) != (h, wd):
            flat = F.pad(flat, (0, pw - wd, 0, ph - h))
        feats = self.conv(flat).reshape(b, w, -1)
        if self.lstm is not None:
            out, _ = self.lstm(feats)
            feats = out[:, -1]
        else:
            feats = feats[:, 0]
        return self.to_latent(feats)

    def decode(self, z):
        """Reconstruction of the centre step, shape (batch, channels, height, width)."""
        h = self.from_latent(z).reshape(-1, self._last_channels, *self.code_grid)
        out = self.deconv(F.relu(h))
        out = out[:, :, : self.grid_shape[0], : self.grid_shape[1]]
        return out * self.spread + self.shift

    def forward(self, x, **_):
        """Return a dict with ``z``, ``q`` and (with a decoder) ``recon``."""
        z = self.encode(x)
        out = {"z": z, "q": self.head(z)}
        if self.use_decoder and self.reconstruct:
            out["recon"] = self.decode(z)
        return out


class DenseAutoencoder(nn.Module):
    """DEC's stacked dense autoencoder on flattened fields, with the same clustering head.

    Parameters
    ----------
    n_features : int
        Values per sample (``channels * height * width``).
    hidden_units : sequence of int, default=(500, 500, 2000)
        Encoder widths (DEC's d-500-500-2000-latent); the decoder mirrors them.
    embedding_dim : int, default=10
        Size of the latent code.
    n_clusters : int, default=7
        Centres of the clustering head.
    alpha : float, default=1.0
        Student-t degrees of freedom.
    sample_shape : tuple or None, default=None
        Shape to give the reconstruction (``(channels, height, width)``); None keeps it flat.

    Attributes
    ----------
    reconstruct : bool
        Whether ``forward`` runs the decoder (default True); False for a phase without a
        reconstruction term (DEC's clustering phase drops the decoder).
    """

    def __init__(self, n_features, *, hidden_units=(500, 500, 2000), embedding_dim=10,
                 n_clusters=7, alpha=1.0, sample_shape=None):
        super().__init__()
        self.sample_shape = tuple(sample_shape) if sample_shape is not None else None
        self.use_decoder = True
        self.reconstruct = True
        widths = [int(n_features)] + [int(u) for u in hidden_units]
        enc = []
        for a, b in zip(widths[:-1], widths[1:]):
            enc += [nn.Linear(a, b), nn.ReLU(inplace=True)]
        enc.append(nn.Linear(widths[-1], embedding_dim))
        self.encoder = nn.Sequential(*enc)
        dec, back = [], [embedding_dim] + widths[::-1][:-1]
        for a, b in zip(back[:-1], back[1:]):
            dec += [nn.Linear(a, b), nn.ReLU(inplace=True)]
        dec.append(nn.Linear(back[-1], int(n_features)))
        self.decoder = nn.Sequential(*dec)
        self.head = ClusteringHead(n_clusters, embedding_dim, alpha)
        self.register_buffer("shift", torch.zeros(int(n_features)))
        self.register_buffer("spread", torch.ones(int(n_features)))
        self.register_buffer("cell_weight", torch.ones(int(n_features)))

    def _centre(self, x):
        if x.dim() == 5:  # (batch, window, ...) -> the centre step
            x = x[:, x.shape[1] // 2]
        return x.reshape(x.shape[0], -1)

    def encode(self, x, **_):
        """Latent codes of shape (batch, embedding_dim)."""
        return self.encoder((self._centre(x) - self.shift) / self.spread * self.cell_weight)

    def forward(self, x, **_):
        """Return a dict with ``z``, ``q`` and (when ``reconstruct``) ``recon``."""
        z = self.encode(x)
        out = {"z": z, "q": self.head(z)}
        if self.reconstruct:
            recon = self.decoder(z) * self.spread + self.shift
            if self.sample_shape is not None:
                recon = recon.reshape((-1,) + self.sample_shape)
            out["recon"] = recon
        return out
