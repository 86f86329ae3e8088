"""Transactional fitting: a fit that raises leaves the estimator as it was before the call.

:class:`TransactionalFitMixin` wraps the fitting methods (``fit``, ``fit_predict``,
``fit_transform``, ``fit_resample``, ``partial_fit``) of every subclass, including those
inherited from scikit-learn's mixins. Before the outermost fitting call the instance's
attribute dictionary is copied (a shallow copy: the previous fitted objects are kept by
reference); if the call raises, including on ``KeyboardInterrupt``, the dictionary is
restored, so

* a failed refit keeps the previous model and every fitted attribute intact;
* a failed first fit leaves the estimator unfitted (``predict`` raises ``NotFittedError``).

Fits never mutate the objects held by the previous fitted attributes (they build new ones),
which is what makes the shallow copy sufficient. This module imports neither torch nor
xarray, so light transformers can use it.
"""

import functools

__all__ = ["TransactionalFitMixin", "FIT_METHODS"]

FIT_METHODS = ("fit", "fit_predict", "fit_transform", "fit_resample", "partial_fit")
_DEPTH = "_skstc_fit_depth"


def _transactional(method):
    """Wrap a fitting method so that an exception restores the instance's ``__dict__``."""
    if getattr(method, "__skstc_transactional__", False):
        return method

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        state = self.__dict__
        depth = state.get(_DEPTH, 0)
        if depth:  # nested call (fit_predict -> fit): the outer call owns the transaction
            return method(self, *args, **kwargs)
        snapshot = dict(state)
        state[_DEPTH] = 1
        try:
            result = method(self, *args, **kwargs)
        except BaseException:
            state.clear()
            state.update(snapshot)
            raise
        state.pop(_DEPTH, None)
        return result

    wrapper.__skstc_transactional__ = True
    return wrapper


class TransactionalFitMixin:
    """Make every fitting method of the subclasses all-or-nothing (see the module docstring).

    Put it first in the bases (before scikit-learn's mixins) of a public estimator or
    transformer; nothing else is needed.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in FIT_METHODS:
            method = getattr(cls, name, None)
            if method is None or not callable(method):
                continue
            if getattr(method, "__skstc_transactional__", False) and name not in cls.__dict__:
                continue  # inherited, already wrapped
            setattr(cls, name, _transactional(method))
