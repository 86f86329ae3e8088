"""Constructor arguments recorded on every skstc module, so a model can be rebuilt from data.

:func:`skstc.save` stores a module as its class, these arguments and its ``state_dict``;
:func:`skstc.load` calls the class with the arguments and loads the weights, without pickle.
"""

import functools

import torch

INIT_ARGS = "_skstc_init_args"


def record_init_args(cls):
    """Wrap ``cls.__init__`` so that instances keep ``(args, kwargs)`` under ``INIT_ARGS``.

    The outermost constructor wins (a subclass calling ``super().__init__`` records its own
    arguments). Idempotent.
    """
    init = cls.__dict__.get("__init__")
    if init is None or getattr(init, "__skstc_records__", False):
        return cls

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if type(self).__init__ is __init__:
            object.__setattr__(self, INIT_ARGS, (args, dict(kwargs)))

    __init__.__skstc_records__ = True
    cls.__init__ = __init__
    return cls


def record_package_modules(*modules):
    """Apply :func:`record_init_args` to every ``torch.nn.Module`` class defined in ``modules``."""
    for mod in modules:
        for obj in vars(mod).values():
            if (isinstance(obj, type) and issubclass(obj, torch.nn.Module)
                    and obj.__module__ == mod.__name__):
                record_init_args(obj)
