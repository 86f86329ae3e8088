"""Save and load fitted estimators without pickle.

A model file is a zip archive holding

* ``manifest.json``: the format name and version, the skstc version, and the estimator as a
  tree of plain JSON values (parameters, fitted scalars, lists, dicts; classes by import path);
* ``arrays.npz``: every numpy array of the tree, written and read with ``allow_pickle=False``;
* ``tensors.pt``: a flat ``{key: tensor}`` dict of the torch modules' ``state_dict`` entries,
  written with :func:`torch.save` and read with ``torch.load(..., weights_only=True)``.

Loading never unpickles. Classes are looked up by import path only inside an allowlist of
packages (skstc, scikit-learn, numpy, scipy, torch, skorch); estimators are rebuilt with
``cls(**params)`` and their fitted attributes assigned, torch modules with ``cls(*args,
**kwargs)`` (the constructor arguments recorded by :mod:`skstc.nn`) and ``load_state_dict``.
A file from another or a newer format, a truncated file, or one holding pickled objects is
refused with a ``ValueError`` before anything is built.
"""

import functools
import importlib
import io
import json
import os
import warnings
import zipfile
import zlib

import numpy as np

__all__ = ["save", "load", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "skstc-model"
FORMAT_VERSION = 1
_MANIFEST = "manifest.json"
_ARRAYS = "arrays.npz"
_TENSORS = "tensors.pt"
_ALLOWED_PACKAGES = ("skstc", "sklearn", "numpy", "scipy", "torch", "skorch")
# parameters that only steer training and may hold arbitrary objects: dropped (with a
# warning) when they cannot be written as data
_TRAINING_ONLY_PARAMS = ("callbacks",)


class _Writer:
    def __init__(self):
        self.arrays = {}
        self.tensors = {}

    def array(self, arr):
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    def tensor(self, t):
        key = f"t{len(self.tensors)}"
        self.tensors[key] = t.detach().cpu().clone()
        return key


def _qualname(obj):
    return f"{obj.__module__}:{obj.__qualname__}"


def _is_plain(v):
    return v is None or isinstance(v, (bool, int, float, str))


def _encode(obj, w, where):
    """Encode ``obj`` as JSON-able data, arrays and tensors going to ``w``."""
    import torch
    from sklearn.base import BaseEstimator

    if _is_plain(obj):
        if isinstance(obj, float) and not np.isfinite(obj):
            return {"__float__": repr(obj)}
        return obj
    if isinstance(obj, np.generic):
        if obj.dtype.kind == "O":
            raise TypeError(f"{where}: object scalars cannot be saved without pickle.")
        return {"__npscalar__": obj.dtype.str,
                "value": _encode(obj.item(), w, where)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "O" or obj.dtype.hasobject:
            items = [_encode(v, w, where) for v in obj.ravel().tolist()]
            if not all(_is_plain(v) or isinstance(v, dict) and "__float__" in v
                       for v in items):
                raise TypeError(f"{where}: an object array of non-scalar values cannot be "
                                "saved without pickle.")
            return {"__objarray__": items, "shape": list(obj.shape)}
        if obj.dtype.kind == "V":
            raise TypeError(f"{where}: structured arrays are not supported.")
        return {"__ndarray__": w.array(obj)}
    if isinstance(obj, np.dtype):
        return {"__dtype__": obj.str}
    if isinstance(obj, list):
        return [_encode(v, w, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, w, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, w, where), _encode(v, w, f"{where}[{k!r}]")]
                             for k, v in obj.items()]}
    if isinstance(obj, np.random.RandomState):
        return {"__randomstate__": _encode(obj.get_state(), w, where)}
    if isinstance(obj, torch.Tensor):
        return {"__tensor__": w.tensor(obj)}
    if isinstance(obj, torch.nn.Module):
        return _encode_module(obj, w, where)
    if isinstance(obj, BaseEstimator):
        return _encode_estimator(obj, w, where)
    if isinstance(obj, functools.partial):
        return {"__partial__": _encode(obj.func, w, where),
                "args": _encode(tuple(obj.args), w, where),
                "kwargs": _encode(dict(obj.keywords), w, where)}
    if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__"):
        name = getattr(obj, "__module__", "") or ""
        if name.split(".")[0] not in _ALLOWED_PACKAGES or "<" in obj.__qualname__:
            raise TypeError(
                f"{where}: {obj!r} is not a class or function of "
                f"{', '.join(_ALLOWED_PACKAGES)}, so it cannot be saved as data.")
        return {"__ref__": _qualname(obj)}
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover - xarray is a dependency
        xr = None
    if xr is not None and isinstance(obj, xr.DataArray):
        return {"__dataarray__": _encode(np.asarray(obj.values), w, where),
                "dims": list(obj.dims),
                "coords": _encode({str(k): np.asarray(v.values) for k, v in obj.coords.items()
                                   if v.dims and v.dims[0] in obj.dims and len(v.dims) == 1},
                                  w, where),
                "coord_dims": {str(k): v.dims[0] for k, v in obj.coords.items()
                               if v.dims and v.dims[0] in obj.dims and len(v.dims) == 1},
                "name": _encode(obj.name, w, where),
                "attrs": _encode(dict(obj.attrs), w, where)}
    raise TypeError(f"{where}: objects of type {type(obj).__name__} cannot be saved without "
                    "pickle.")


def _encode_module(module, w, where):
    from .nn._record import INIT_ARGS

    init = getattr(module, INIT_ARGS, None)
    if init is None:
        raise TypeError(
            f"{where}: the torch module {type(module).__name__} was not built from a skstc.nn "
            "class, so its architecture cannot be saved as data.")
    args, kwargs = init
    # plain public attributes changed after construction (flags, scales kept as floats)
    attrs = {}
    for name, sub in module.named_modules():
        for key, val in vars(sub).items():
            if key.startswith("_") or key == "training":
                continue
            if _is_plain(val) or isinstance(val, tuple) and all(_is_plain(v) for v in val):
                attrs[f"{name}|{key}"] = val
    return {"__module__": _qualname(type(module)),
            "args": _encode(tuple(args), w, where),
            "kwargs": _encode(kwargs, w, where),
            "state": _encode(dict(module.state_dict()), w, where),
            "attrs": _encode(attrs, w, where),
            "training": bool(module.training)}


def _encode_estimator(est, w, where):
    params = est.get_params(deep=False)
    enc_params = {}
    for key, val in params.items():
        try:
            enc_params[key] = _encode(val, w, f"{where}.{key}")
        except TypeError:
            if key not in _TRAINING_ONLY_PARAMS:
                raise
            warnings.warn(
                f"{where}.{key}={val!r} cannot be saved as data and is saved as None (it only "
                "steers training).", UserWarning, stacklevel=4)
            enc_params[key] = None
    state = {k: v for k, v in vars(est).items() if k not in params}
    return {"__estimator__": _qualname(type(est)),
            "params": {"__dict__": [[k, v] for k, v in enc_params.items()]},
            "state": _encode(state, w, where)}


def save(estimator, path):
    """Write a (fitted) estimator to ``path`` without pickle.

    Parameters
    ----------
    estimator : estimator
        A skstc estimator or transformer, fitted or not (a scikit-learn estimator works too
        when all its attributes are numbers, strings, arrays or estimators).
    path : str or path-like
        File to write (conventionally ``*.skstc``); overwritten if present.

    Raises
    ------
    TypeError
        If some parameter or attribute cannot be written as data (e.g. a user-defined
        class); nothing is written then.

    See Also
    --------
    load : read the file back.

    Notes
    -----
    Never use pickle or joblib to read a model file from an untrusted source: unpickling
    runs arbitrary code. Files written by this function hold only data (JSON, npz arrays
    and torch tensors) and :func:`skstc.load` reads them without unpickling.

    Examples
    --------
    >>> import os, tempfile
    >>> import skstc
    >>> from skstc import LabelAugmenter
    >>> X = [[0.0], [0.1], [5.0], [5.1]]
    >>> aug = LabelAugmenter(n_clusters=2, random_state=0).fit(X, [0, -1, 1, -1])
    >>> path = os.path.join(tempfile.mkdtemp(), "augmenter.skstc")
    >>> skstc.save(aug, path)
    >>> again = skstc.load(path)
    >>> bool((again.transduction_ == aug.transduction_).all()), again.n_features_in_
    (True, 1)
    """
    import torch

    from . import __version__

    w = _Writer()
    tree = _encode(estimator, w, type(estimator).__name__)
    manifest = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "skstc_version": __version__, "root": tree}
    arrays, tensors = io.BytesIO(), io.BytesIO()
    np.savez(arrays, **w.arrays)
    torch.save(w.tensors, tensors)
    tmp = f"{os.fspath(path)}.partial"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_MANIFEST, json.dumps(manifest))
        zf.writestr(_ARRAYS, arrays.getvalue())
        zf.writestr(_TENSORS, tensors.getvalue())
    os.replace(tmp, path)


def _resolve(qualname, *, base=None):
    module_name, _, attr = qualname.partition(":")
    if module_name.split(".")[0] not in _ALLOWED_PACKAGES or not attr:
        raise ValueError(
            f"the model file refers to {qualname!r}, outside the packages a skstc model may "
            f"use ({', '.join(_ALLOWED_PACKAGES)}); refusing to load it.")
    try:
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"the model file refers to {qualname!r}, which does not exist in the "
                         f"installed packages: {exc}") from exc
    if base is not None and not (isinstance(obj, type) and issubclass(obj, base)):
        raise ValueError(f"the model file refers to {qualname!r}, which is not a "
                         f"{base.__name__}.")
    return obj


class _Reader:
    def __init__(self, arrays, tensors):
        self.arrays = arrays
        self.tensors = tensors


def _decode(node, r):
    import torch
    from sklearn.base import BaseEstimator

    if _is_plain(node):
        return node
    if isinstance(node, list):
        return [_decode(v, r) for v in node]
    if not isinstance(node, dict) or len(node) == 0:
        raise ValueError(f"corrupt model file: unexpected entry {node!r}.")
    tag = next(iter(node))
    if tag == "__float__":
        return float(node["__float__"])
    if tag == "__npscalar__":
        return np.dtype(node["__npscalar__"]).type(_decode(node["value"], r))
    if tag == "__ndarray__":
        return r.arrays[node["__ndarray__"]]
    if tag == "__objarray__":
        out = np.empty(len(node["__objarray__"]), dtype=object)
        out[:] = [_decode(v, r) for v in node["__objarray__"]]
        return out.reshape(node["shape"])
    if tag == "__dtype__":
        return np.dtype(node["__dtype__"])
    if tag == "__tuple__":
        return tuple(_decode(v, r) for v in node["__tuple__"])
    if tag == "__dict__":
        return {_decode(k, r): _decode(v, r) for k, v in node["__dict__"]}
    if tag == "__randomstate__":
        rs = np.random.RandomState()
        rs.set_state(_decode(node["__randomstate__"], r))
        return rs
    if tag == "__tensor__":
        return r.tensors[node["__tensor__"]]
    if tag == "__ref__":
        return _resolve(node["__ref__"])
    if tag == "__partial__":
        return functools.partial(_decode(node["__partial__"], r), *_decode(node["args"], r),
                                 **_decode(node["kwargs"], r))
    if tag == "__dataarray__":
        import xarray as xr

        coords = _decode(node["coords"], r)
        return xr.DataArray(_decode(node["__dataarray__"], r), dims=node["dims"],
                            coords={k: (node["coord_dims"][k], v) for k, v in coords.items()},
                            name=_decode(node["name"], r), attrs=_decode(node["attrs"], r))
    if tag == "__module__":
        cls = _resolve(node["__module__"], base=torch.nn.Module)
        if not cls.__module__.startswith("skstc.nn"):
            raise ValueError(f"the model file builds the module {node['__module__']!r}; only "
                             "skstc.nn modules are rebuilt.")
        module = cls(*_decode(node["args"], r), **_decode(node["kwargs"], r))
        module.load_state_dict(_decode(node["state"], r), strict=True)
        subs = dict(module.named_modules())
        for key, val in _decode(node["attrs"], r).items():
            name, _, attr = key.partition("|")
            setattr(subs[name], attr, val)
        module.train(node["training"])
        return module
    if tag == "__estimator__":
        cls = _resolve(node["__estimator__"], base=BaseEstimator)
        est = cls(**_decode(node["params"], r))
        vars(est).update(_decode(node["state"], r))
        return est
    raise ValueError(f"corrupt model file: unknown entry type {tag!r}.")


def load(path):
    """Read an estimator written by :func:`skstc.save`, without unpickling anything.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`skstc.save`.

    Returns
    -------
    estimator : estimator
        The estimator, fitted as it was saved; torch modules are on the CPU.

    Raises
    ------
    ValueError
        If the file is not a skstc model file, comes from a newer format version, is
        truncated or corrupt, holds pickled objects, or refers to classes outside the
        packages a skstc model uses. Nothing from the file is executed.
    """
    import torch

    path = os.fspath(path)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ValueError(
            f"{path!r} is not a skstc model file (not a zip archive written by skstc.save; "
            "a truncated file or a pickle/joblib file gives this too). Pickle files are never "
            "read by skstc.load.") from exc
    with zf:
        names = set(zf.namelist())
        if _MANIFEST not in names:
            raise ValueError(f"{path!r} is not a skstc model file (no {_MANIFEST}).")
        try:
            bad = zf.testzip()
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise ValueError(f"{path!r} is truncated or corrupt: {exc}") from exc
        if bad is not None:
            raise ValueError(f"{path!r} is corrupt (checksum error in {bad}).")
        try:
            manifest = json.loads(zf.read(_MANIFEST).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path!r}: unreadable manifest: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise ValueError(f"{path!r} is not a skstc model file (format "
                             f"{manifest.get('format') if isinstance(manifest, dict) else None!r}"
                             f", expected {FORMAT_NAME!r}).")
        version = manifest.get("format_version")
        if not isinstance(version, int) or version < 1:
            raise ValueError(f"{path!r}: invalid format version {version!r}.")
        if version > FORMAT_VERSION:
            raise ValueError(
                f"{path!r} was written in skstc model format {version} (by skstc "
                f"{manifest.get('skstc_version')}); this skstc reads format {FORMAT_VERSION} "
                "or older. Upgrade skstc to load it.")
        missing = {_ARRAYS, _TENSORS} - names
        if missing:
            raise ValueError(f"{path!r} is incomplete: missing {sorted(missing)}.")
        try:
            with np.load(io.BytesIO(zf.read(_ARRAYS)), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except ValueError as exc:
            raise ValueError(f"{path!r}: the arrays hold pickled objects or are corrupt "
                             f"({exc}); refusing to load them.") from exc
        try:
            tensors = torch.load(io.BytesIO(zf.read(_TENSORS)), map_location="cpu",
                                 weights_only=True)
        except Exception as exc:  # UnpicklingError for anything that is not plain tensors
            raise ValueError(f"{path!r}: the weights are not plain tensors or are corrupt "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0]}); refusing "
                             "to load them.") from exc
    if not isinstance(tensors, dict):
        raise ValueError(f"{path!r}: corrupt weights (expected a dict of tensors).")
    return _decode(manifest["root"], _Reader(arrays, tensors))
