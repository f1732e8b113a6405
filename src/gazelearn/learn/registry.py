"""Estimators by name: ``create("tree", max_depth=5)``, ``create("conv1d", epochs=20)``.

Every learner of gazelearn registers itself with :func:`register`, so the CLI, configs and the
tuner pick models by string, and later modules (the deep event detector, gaze CNNs) add theirs
without touching this file. One name may have a classification and a regression variant.

Registered *classes* are also the allow-list of what :mod:`gazelearn.learn.modelfile` may rebuild
from a file (by their key, ``module.ClassName``).

Examples
--------
>>> from gazelearn.learn import create, available
>>> create("tree", max_depth=3).get_params()["max_depth"]
3
>>> {"tree", "forest", "knn", "lda", "nb", "svm", "mlp", "conv1d", "conv2d", "lstm", "gru"} <= set(
...     available())
True
>>> type(create("forest", task="regression")).__name__
'ForestRegressor'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gazelearn.errors import InputError

TASKS = ("classification", "regression")


@dataclass(frozen=True)
class Entry:
    """One registered factory: name, task, the callable and a one-line description."""

    name: str
    task: str
    factory: Callable[..., Any]
    description: str


_ENTRIES: dict[tuple[str, str], Entry] = {}
_CLASSES: dict[str, type] = {}


def class_key(cls: type) -> str:
    """The key a class is stored under in model files: ``module.ClassName``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def register(name: str, task: str = "classification",
             description: str | None = None) -> Callable[[Any], Any]:
    """Register an estimator class or factory function under ``name`` (decorator).

    Parameters
    ----------
    name : str
        The name users pass to :func:`create` (lower case, no spaces).
    task : {"classification", "regression"}
        Which variant this is; a name can have both.
    description : str, optional
        One line for ``gazelearn models``; default: the first docstring line.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> @register("majority", description="always the most frequent class")
    ... class Majority(DummyClassifier):
    ...     pass
    >>> type(create("majority")).__name__
    'Majority'
    """
    if task not in TASKS:
        raise InputError(f"task must be one of {', '.join(TASKS)}, got {task!r}")

    def decorate(factory: Any) -> Any:
        text = description or ((factory.__doc__ or "").strip().splitlines() or [""])[0]
        _ENTRIES[(name, task)] = Entry(name, task, factory, text)
        if isinstance(factory, type):
            _CLASSES[class_key(factory)] = factory
        return factory

    return decorate


def register_class(cls: type) -> type:
    """Allow a class to be rebuilt from model files without giving it a name (decorator)."""
    _CLASSES[class_key(cls)] = cls
    return cls


def _load_builtins() -> None:
    import gazelearn.learn.base  # noqa: F401  (registers mlp, conv1d, ...)
    import gazelearn.learn.baselines  # noqa: F401  (registers tree, forest, ...)


def available(task: str | None = None) -> list[str]:
    """Sorted names of the registered estimators (optionally only one task's)."""
    _load_builtins()
    return sorted({name for (name, t) in _ENTRIES if task is None or t == task})


def entries() -> list[Entry]:
    """Every registration, sorted by name and task."""
    _load_builtins()
    return [_ENTRIES[k] for k in sorted(_ENTRIES)]


def create(name: str, task: str = "classification", **params: Any) -> Any:
    """A new, unfitted estimator registered as ``name``, with keyword options.

    Raises
    ------
    InputError
        For an unknown name, a task the name lacks, or options the estimator does not take.
    """
    _load_builtins()
    entry = _ENTRIES.get((name, task))
    if entry is None:
        if any(n == name for n, _ in _ENTRIES):
            tasks = [t for n, t in _ENTRIES if n == name]
            raise InputError(f"model {name!r} has no {task} variant (only {', '.join(tasks)})")
        raise InputError(f"unknown model {name!r}; available: {', '.join(available())}")
    try:
        return entry.factory(**params)
    except TypeError as error:
        raise InputError(f"model {name!r}: {error}") from None


def class_for_key(key: str) -> type:
    """The registered class stored under ``key`` in a model file."""
    _load_builtins()
    if key not in _CLASSES:
        raise InputError(f"model file names estimator {key!r}, which this gazelearn does not "
                         "know (written by a newer version or a plug-in that is not imported?)")
    return _CLASSES[key]


def is_registered_class(cls: type) -> bool:
    """True when instances of ``cls`` can be stored and rebuilt by key."""
    _load_builtins()
    return class_key(cls) in _CLASSES
