"""Model files: any trained estimator as one safetensors file or a directory, never a pickle.

A model file holds

* the weights and every fitted array as **safetensors** tensors,
* a **JSON config** to rebuild the estimator: its registered class, constructor parameters and
  the fitted non-array state (classes, shapes, training history),
* **preprocessing** parameters: normalisation statistics (as tensors), the input shape, and any
  ``preprocessing`` dict the caller attaches (window length, sampling rate, features ...),
* the **gazelearn version** and library versions that wrote it, and a **training data summary**.

``path`` with a suffix (``model.safetensors``) gives a single file whose safetensors header holds
the JSON config; ``path`` without a suffix gives a directory with ``config.json`` and
``weights.safetensors``. scikit-learn baselines are stored inside the same file as skops bytes
(scikit-learn's maintained safe format; a uint8 tensor), loaded only after every type in them is
checked against the allow-list. Only registered classes (and the scikit-learn types listed in
:data:`gazelearn.learn.serialize.TRUSTED_SKLEARN`) can be rebuilt, so loading a file never runs
code from it. The config carries a sha256 checksum of itself and of the tensors
(:func:`tensors_checksum`, :func:`config_checksum`), verified on load (files written before it
existed have none and load as before); non-finite weights, networks whose stored weights do not
fit the rebuilt network and decision trees whose node indices leave the tree are refused, so a
damaged or edited file is one :class:`~gazelearn.errors.InputError` naming it, never a crash or
a silently wrong prediction. Format version 2 (skops) replaced version 1's hand-encoded
scikit-learn state; version 1 files of the neural estimators load as before.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from gazelearn.learn import create
>>> X = np.random.default_rng(0).normal(size=(40, 5)); y = (X[:, 0] > 0).astype(int)
>>> tree = create("tree", max_depth=3).fit(X, y)
>>> path = os.path.join(tempfile.mkdtemp(), "tree.safetensors")
>>> _ = save_model(tree, path, preprocessing={"window_length": 5, "sampling_rate": 500.0})
>>> again = load_model(path)
>>> bool((again.predict(X) == tree.predict(X)).all()), again.preprocessing_["window_length"]
(True, 5)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from gazelearn.errors import InputError
from gazelearn.learn.registry import class_for_key, class_key, entries, is_registered_class
from gazelearn.learn.serialize import decode, encode

FORMAT = "gazelearn-model"
FORMAT_VERSION = 2
CONFIG_KEY = "gazelearn_config"


def _version_tuple(text: str) -> tuple[int, ...] | None:
    match = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", str(text))
    return None if match is None else tuple(int(g or 0) for g in match.groups())


def _installed_version() -> str:
    from gazelearn import __version__

    return __version__


def _registered_name(cls: type) -> tuple[str | None, str | None]:
    for entry in entries():
        if entry.factory is cls:
            return entry.name, entry.task
    return None, None


def _libraries() -> dict[str, str]:
    import sklearn
    import torch

    return {"numpy": np.__version__, "torch": torch.__version__,
            "scikit-learn": sklearn.__version__}


def save_model(estimator: Any, path: str | Path, preprocessing: dict | None = None,
               training_data: dict | None = None) -> Path:
    """Write a fitted estimator to ``path`` (a single file with a suffix, else a directory).

    Parameters
    ----------
    estimator : fitted estimator
        A gazelearn neural estimator, a registered baseline, or any registered class that
        implements ``__gazelearn_state__`` / ``__gazelearn_restore__``.
    path : str or Path
        ``model.safetensors`` (one file) or ``model_dir`` (``config.json`` + weights).
    preprocessing : dict, optional
        JSON-ready parameters the model needs at prediction time: ``window_length``,
        ``sampling_rate``, ``features``, ... (merged over the estimator's ``preprocessing_``).
    training_data : dict, optional
        Extra description of the training data (merged over what ``fit`` recorded).

    Returns
    -------
    Path
        The written file or directory.
    """
    cls = type(estimator)
    if not is_registered_class(cls) or not hasattr(estimator, "__gazelearn_state__"):
        raise InputError(f"cannot save a {cls.__name__}: only registered gazelearn estimators "
                         "can be stored (see gazelearn.learn.register)")
    try:
        state = estimator.__gazelearn_state__()
    except (AttributeError, ValueError) as error:
        raise InputError(f"cannot save the {cls.__name__}: it is not fitted ({error})") from None
    arrays: dict[str, np.ndarray] = {}
    params = estimator.get_params(deep=False)
    dropped = [k for k, v in params.items() if callable(v)]
    params = {k: (None if k in dropped else v) for k, v in params.items()}
    name, task = _registered_name(cls)
    merged_pre = {**getattr(estimator, "preprocessing_", {}), **(preprocessing or {})}
    if hasattr(estimator, "input_shape_"):
        merged_pre.setdefault("input_shape", list(estimator.input_shape_))
    if hasattr(estimator, "x_mean_"):
        merged_pre.setdefault("standardization", "per feature/channel; tensors state.x_mean_ "
                                                 "and state.x_scale_")
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "gazelearn_version": _installed_version(),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "estimator": class_key(cls),
        "name": name,
        "task": task,
        "params": encode(params, "params", arrays),
        "params_not_stored": dropped,
        "state": encode(state, "state", arrays),
        "preprocessing": _json_ready(merged_pre, "preprocessing"),
        "training_data": _json_ready({**getattr(estimator, "training_summary_", {}),
                                      **(training_data or {})}, "training_data"),
        "libraries": _libraries(),
    }
    config["checksum"] = {"algorithm": "sha256", "tensors": tensors_checksum(arrays),
                          "config": config_checksum(config)}
    from safetensors.numpy import save

    from gazelearn.io.atomic import atomic_write_bytes

    # serialised in memory and written through gazelearn's one atomic writer: the file is
    # complete or absent, with the permissions of every other output (safetensors' own file
    # writing leaves 0600 files)
    path = Path(path)
    if path.suffix:
        data = save(arrays, metadata={CONFIG_KEY: json.dumps(config, allow_nan=True)})
        atomic_write_bytes(path, data)
    else:
        atomic_write_bytes(path / "weights.safetensors", save(arrays))
        text = json.dumps(config, indent=1, allow_nan=True) + "\n"
        atomic_write_bytes(path / "config.json", text.encode("utf-8"))
    return path


def tensors_checksum(arrays: dict[str, np.ndarray]) -> str:
    """The sha256 of a model file's tensors: names, dtypes, shapes and little-endian bytes.

    Examples
    --------
    >>> import numpy as np
    >>> a = tensors_checksum({"w": np.arange(3.0)})
    >>> a == tensors_checksum({"w": np.arange(3.0).astype(">f8")}), len(a)
    (True, 64)
    >>> a == tensors_checksum({"w": np.array([0.0, 1.0, 2.5])})
    False
    """
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.asarray(arrays[name])
        little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        head = json.dumps([name, little.dtype.str, list(little.shape)])
        digest.update(len(head).to_bytes(8, "little") + head.encode("utf-8"))
        digest.update(little.tobytes())
    return digest.hexdigest()


def config_checksum(config: dict) -> str:
    """The sha256 of a model file's JSON config without its ``checksum`` entry.

    Computed on a canonical form (sorted keys, no spaces), so the one-file and the directory
    layout agree and whitespace does not matter; every value does.

    Examples
    --------
    >>> config_checksum({"a": 1, "b": [1.5]}) == config_checksum({"b": [1.5], "a": 1})
    True
    >>> config_checksum({"a": 1}) == config_checksum({"a": 2})
    False
    """
    body = {k: v for k, v in config.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _verify_checksum(config: dict, arrays: dict[str, np.ndarray], path: Path) -> None:
    # files written before the checksum existed have none: they load as before (the shipped
    # detector among them); a file that has one must match it exactly
    stored = config.get("checksum")
    if stored is None:
        return
    if not isinstance(stored, dict) or stored.get("algorithm") != "sha256":
        raise InputError("the model file's checksum entry is not a sha256 checksum", source=path)
    if stored.get("config") != config_checksum(config):
        raise InputError("the model file's JSON config does not match its checksum (the file "
                         "was changed or damaged)", source=path)
    if stored.get("tensors") != tensors_checksum(arrays):
        raise InputError("the model file's tensors do not match their checksum (the file was "
                         "changed or damaged)", source=path)


def _check_finite(arrays: dict[str, np.ndarray], path: Path) -> None:
    # a NaN weight makes every prediction NaN (or one endless "fixation") with no error
    for name, array in arrays.items():
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            raise InputError(f"tensor {name!r} holds non-finite values (NaN or infinity)",
                             source=path)


def _json_ready(value: Any, what: str) -> Any:
    from gazelearn.io.writers import jsonable

    try:
        return jsonable(value, strict=True)
    except TypeError as error:
        raise InputError(f"{what} must be JSON-ready (numbers, strings, lists, dicts): "
                         f"{error}") from None


def _read(path: str | Path) -> tuple[dict, Path]:
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    if path.is_dir():
        config_path, weights = path / "config.json", path / "weights.safetensors"
        if not config_path.is_file() or not weights.is_file():
            raise InputError("a model directory needs config.json and weights.safetensors",
                             source=path)
        try:
            config = json.loads(config_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
            raise InputError(f"config.json is not valid JSON: {_one_line(error)}",
                             source=path) from None
        return config, weights
    try:
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
    except Exception as error:  # noqa: BLE001 - safetensors raises its own error types
        raise InputError(f"not a gazelearn model file (not safetensors: {_one_line(error)})",
                         source=path) from None
    if CONFIG_KEY not in metadata:
        raise InputError("not a gazelearn model file (no gazelearn config in the header)",
                         source=path)
    try:
        return json.loads(metadata[CONFIG_KEY]), path
    except (json.JSONDecodeError, RecursionError) as error:
        raise InputError(f"the model file's config is not valid JSON: {_one_line(error)}",
                         source=path) from None


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def _load_tensors(weights: Path, path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        return load_file(str(weights))
    except Exception as error:  # noqa: BLE001 - truncated or damaged data: safetensors' errors
        raise InputError(f"cannot read the model file's tensors: {_one_line(error)}",
                         source=path) from None


def _check(config: dict, path: Path) -> None:
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise InputError("not a gazelearn model file (format is not 'gazelearn-model')",
                         source=path)
    written = str(config.get("gazelearn_version", ""))
    installed = _installed_version()
    written_v, installed_v = _version_tuple(written), _version_tuple(installed)
    if written_v is None:
        raise InputError(f"model file was written by an unknown gazelearn version {written!r}",
                         source=path)
    if installed_v is not None and written_v > installed_v:
        raise InputError(f"model file was written by gazelearn {written}, newer than the "
                         f"installed {installed}; upgrade gazelearn to load it", source=path)
    version = config.get("format_version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f"model file format_version must be a whole number, got {version!r}",
                         source=path)
    if version > FORMAT_VERSION:
        raise InputError(f"model file format {version} is newer than this "
                         f"gazelearn reads ({FORMAT_VERSION}); upgrade gazelearn", source=path)
    if not isinstance(config.get("estimator"), str):
        raise InputError("model file config lacks the 'estimator' entry (the class to rebuild)",
                         source=path)
    for key in ("params", "state"):
        if not isinstance(config.get(key), dict):
            raise InputError(f"model file config entry {key!r} must be an object, got "
                             f"{type(config.get(key)).__name__}", source=path)
    if not isinstance(config.get("preprocessing", {}), dict):
        raise InputError("model file config entry 'preprocessing' must be an object",
                         source=path)


def read_model_info(path: str | Path) -> dict:
    """The JSON config of a model file (estimator, params, preprocessing, versions, data)."""
    config, _ = _read(path)
    _check(config, Path(path))
    return config


def renamed_params(cls: type, params: dict[str, Any]) -> dict[str, Any]:
    """Constructor parameters of an older file under the class's current names.

    A class lists its renamed parameters as ``_renamed_params = {"old": "new"}`` (``None``: the
    parameter is gone), so files written before a rename still load.

    Examples
    --------
    >>> class Net:
    ...     _renamed_params = {"model": "architecture", "path": None}
    >>> renamed_params(Net, {"model": "resnet", "path": "x", "epochs": 3})
    {'epochs': 3, 'architecture': 'resnet'}
    """
    params = dict(params)
    for old, new in getattr(cls, "_renamed_params", {}).items():
        if old in params:
            value = params.pop(old)
            if new is not None:
                params.setdefault(new, value)
    return params


def load_model(path: str | Path) -> Any:
    """Rebuild the estimator saved at ``path``; ready to ``predict``.

    The returned estimator also carries ``preprocessing_`` (the stored preprocessing dict) and
    ``model_info_`` (the whole JSON config).

    Raises
    ------
    InputError
        Not a model file, written by a newer or unknown gazelearn version, naming an
        estimator this installation does not know, or damaged: a config or tensors that do
        not match their checksum, non-finite weights, arrays of the wrong shape or a decision
        tree whose indices point outside it (every message one line naming the file).
    """
    path = Path(path)
    config, weights = _read(path)
    _check(config, path)
    with _as_input_error(path, "find the estimator class"):
        cls = class_for_key(config["estimator"])
    arrays = _load_tensors(weights, path)
    # decoding builds no estimator of gazelearn's; skops objects are type-checked against the
    # allow-list and their trees validated. The checksum is compared before anything is built
    with _as_input_error(path, "decode"):
        params = decode(config["params"], arrays)
        state = decode(config["state"], arrays)
    if not isinstance(params, dict) or not isinstance(state, dict):
        raise InputError("model file 'params' and 'state' must be objects", source=path)
    _verify_checksum(config, arrays, path)
    _check_finite(arrays, path)
    try:
        estimator = cls(**renamed_params(cls, params))
    except TypeError as error:
        raise InputError(f"model file parameters do not fit {cls.__name__}: {error}",
                         source=path) from None
    with _as_input_error(path, f"rebuild the {cls.__name__}"):
        estimator.__gazelearn_restore__(state)
    estimator.preprocessing_ = config.get("preprocessing", {})
    estimator.model_info_ = config
    return estimator


@contextlib.contextmanager
def _as_input_error(path: Path, doing: str) -> Iterator[None]:
    """Any error while rebuilding from a file's content is the file's fault: one line naming it.

    The rebuilt estimator's code is gazelearn's; what it is given comes from the file, so a
    KeyError, a shape mismatch or a wrong type there means a damaged or edited file.
    """
    try:
        yield
    except InputError as error:
        if error.source is not None:
            raise
        raise InputError(error.reason, source=path, line=error.line, field=error.field,
                         params=error.params) from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError,
            RecursionError, OverflowError, MemoryError) as error:
        raise InputError(f"cannot {doing} from the model file: {type(error).__name__}: "
                         f"{_one_line(error)}", source=path) from None
