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
which is what makes the shallow copy sufficient.

The same mixin keeps inference consistent with the fitted model: the values of the shape
hyper-parameters (``spatial_shape``, ``input_shape``, ``series_shape``, ``tile_size``, ``window``, ``map_size``,
``mask_shape``) are recorded when a fit succeeds, and the inference methods (``predict``,
``transform``, ...) run with those recorded values, so a ``set_params`` of a shape parameter
after fit takes effect at the next fit only instead of breaking the fitted model. This module
imports neither torch nor xarray, so light transformers can use it.
"""

import functools

__all__ = ["TransactionalFitMixin", "FIT_METHODS", "SHAPE_PARAMS"]

FIT_METHODS = ("fit", "fit_predict", "fit_transform", "fit_resample", "partial_fit")
INFERENCE_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function",
                     "transform", "inverse_transform", "score", "score_samples", "embed",
                     "predict_label_maps")
SHAPE_PARAMS = ("spatial_shape", "input_shape", "series_shape", "tile_grid_shape", "tile_size", "window", "map_size",
                "mask_shape")
_DEPTH = "_skstc_fit_depth"
_FITTED_SHAPES = "_fitted_shape_params"


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
        names = [n for n in type(self)._shape_param_names() if n in state]
        if names:
            state[_FITTED_SHAPES] = {n: state[n] for n in names}
        return result

    wrapper.__skstc_transactional__ = True
    return wrapper


def _with_fitted_shapes(method):
    """Run an inference method with the shape parameters recorded at the last fit."""
    if getattr(method, "__skstc_fitted_shapes__", False):
        return method

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        state = self.__dict__
        fitted = state.get(_FITTED_SHAPES)
        if not fitted or state.get(_DEPTH):
            return method(self, *args, **kwargs)
        changed = {k: state[k] for k, v in fitted.items() if k in state and state[k] is not v}
        if not changed:
            return method(self, *args, **kwargs)
        state.update({k: fitted[k] for k in changed})
        try:
            return method(self, *args, **kwargs)
        finally:
            for k, v in changed.items():
                if state.get(k) is fitted[k]:
                    state[k] = v

    wrapper.__skstc_fitted_shapes__ = True
    return wrapper


class TransactionalFitMixin:
    """Make every fitting method of the subclasses all-or-nothing (see the module docstring).

    Put it first in the bases (before scikit-learn's mixins) of a public estimator or
    transformer; nothing else is needed.
    """

    @classmethod
    def _shape_param_names(cls):
        try:
            params = cls._get_param_names()
        except (AttributeError, RuntimeError):
            return ()
        return tuple(n for n in SHAPE_PARAMS if n in params)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in FIT_METHODS:
            method = getattr(cls, name, None)
            if method is None or not callable(method):
                continue
            if getattr(method, "__skstc_transactional__", False) and name not in cls.__dict__:
                continue  # inherited, already wrapped
            setattr(cls, name, _transactional(method))
        if not cls._shape_param_names():
            return
        for name in INFERENCE_METHODS:
            method = cls.__dict__.get(name)
            if method is None:  # inherited from a skstc class: already wrapped there
                method = getattr(cls, name, None)
                if method is None or getattr(method, "__skstc_fitted_shapes__", False):
                    continue
            if not callable(method) or not hasattr(method, "__code__") and not hasattr(
                    method, "__wrapped__"):
                continue  # descriptors such as available_if are left alone
            setattr(cls, name, _with_fitted_shapes(method))
