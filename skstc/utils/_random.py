"""``random_state`` -> local generators; nothing here touches a global RNG."""

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._distributed import shared_seed

_SEED_MAX = np.iinfo(np.int32).max


def local_random_state(random_state):
    """Like :func:`sklearn.utils.check_random_state`, but None never uses the global RNG.

    scikit-learn maps ``None`` to numpy's global RandomState, so fitting advances the global
    state. skstc promises that fitting leaves global RNG state unchanged, so ``None`` gives a
    fresh RandomState seeded from OS entropy (non-reproducible, as ``None`` means).

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState

    Returns
    -------
    rng : numpy.random.RandomState
    """
    if random_state is None:
        # inside a torch.distributed process group every rank gets rank 0's entropy
        entropy = int(np.random.SeedSequence().generate_state(1)[0])
        return np.random.RandomState(shared_seed(entropy))
    return check_random_state(random_state)


def draw_seed(random_state):
    """Draw an integer seed from ``random_state`` (None, int or RandomState).

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState
        Source of randomness; a RandomState is advanced by one draw.

    Returns
    -------
    seed : int
        A seed in ``[0, 2**31 - 1)``.
    """
    return int(local_random_state(random_state).randint(_SEED_MAX))


def torch_generator(random_state, device="cpu"):
    """Return a :class:`torch.Generator` seeded from ``random_state``.

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState
        Source of the seed (see :func:`draw_seed`).
    device : str, default="cpu"
        Device of the generator.

    Returns
    -------
    generator : torch.Generator
    """
    gen = torch.Generator(device=device)
    gen.manual_seed(draw_seed(random_state))
    return gen
