"""TileNet: the ResNet-18-style tile encoder of Tile2Vec.

Torch only. Tensor axes: tiles are ``(batch, channels, height, width)``, embeddings
``(batch, embedding_dim)``.
"""

import torch
from torch import nn
from torch.nn import functional as F


class ResidualBlock(nn.Module):
    """Basic residual block: two 3x3 conv + batch norm, identity or 1x1 projection shortcut.

    Parameters
    ----------
    in_channels : int
        Channels of the input ``(batch, in_channels, h, w)``.
    out_channels : int
        Channels of the output.
    stride : int, default=1
        Stride of the first convolution (2 halves the spatial size).
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        """Map ``(batch, in_channels, h, w)`` to ``(batch, out_channels, h', w')``."""
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class TileNet(nn.Module):
    """ResNet-18-style encoder mapping a tile to an embedding vector (Tile2Vec's f).

    A 3x3 stem convolution with batch norm, then ``len(n_blocks)`` stages of residual blocks
    (the first at stride 1, the others at stride 2, widths ``base_width * 2**i`` capped at
    ``8 * base_width``, the last stage ``embedding_dim`` wide), then global average pooling,
    so any tile size works. The defaults (5 stages of 2 blocks, width 64, 512-d) are the
    published TileNet.

    Parameters
    ----------
    in_channels : int
        Number of bands of a tile.
    embedding_dim : int, default=512
        Size of the embedding.
    n_blocks : sequence of int, default=(2, 2, 2, 2, 2)
        Residual blocks per stage.
    base_width : int, default=64
        Channels of the stem and of the first stage.
    """

    def __init__(self, in_channels, embedding_dim=512, n_blocks=(2, 2, 2, 2, 2), base_width=64):
        super().__init__()
        n_blocks = tuple(int(b) for b in n_blocks)
        if not n_blocks or min(n_blocks) < 1:
            raise ValueError(f"n_blocks must be a non-empty sequence of ints >= 1, "
                             f"got {n_blocks!r}.")
        self.in_channels = int(in_channels)
        self.embedding_dim = int(embedding_dim)
        self.stem = nn.Sequential(
            nn.Conv2d(self.in_channels, base_width, 3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(base_width),
            nn.ReLU(inplace=True),
        )
        stages = []
        width = base_width
        for i, count in enumerate(n_blocks):
            if i == len(n_blocks) - 1:
                out = self.embedding_dim
            else:
                out = base_width * min(2 ** i, 8)
            blocks = []
            for j in range(count):
                blocks.append(ResidualBlock(width, out, stride=(1 if i == 0 or j > 0 else 2)))
                width = out
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)

    def encode(self, x):
        """Embed tiles ``(batch, in_channels, h, w)`` -> ``(batch, embedding_dim)``."""
        x = self.stages(self.stem(x))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def forward(self, anchor, neighbor=None, distant=None):
        """Embed a triplet batch in one pass (shared batch-norm statistics).

        Parameters
        ----------
        anchor, neighbor, distant : Tensor of shape (batch, in_channels, h, w)
            The three tiles of each triplet; with only ``anchor`` this is :meth:`encode`.

        Returns
        -------
        z_anchor, z_neighbor, z_distant : Tensor of shape (batch, embedding_dim)
            (or a single tensor when only ``anchor`` is given).
        """
        if neighbor is None and distant is None:
            return self.encode(anchor)
        n = anchor.shape[0]
        z = self.encode(torch.cat([anchor, neighbor, distant], dim=0))
        return z[:n], z[n:2 * n], z[2 * n:]
