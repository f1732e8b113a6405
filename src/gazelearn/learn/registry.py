"""Estimators by name: ``create("tree", max_depth=5)``, ``create("conv1d", epochs=20)``.

Every learner of gazelearn registers itself with :func:`register`, so the CLI, Python code and
the tuner pick models by string, and later modules (the deep event detector, gaze CNNs) add theirs
without touching this file. One name may have a classification and a regression variant.

Registered *classes* are also the allow-list of what :mod:`gazelearn.learn.modelfile` may rebuild
from a file (by their key, ``module.ClassName``). Both are :class:`gazelearn.registry.Registry`
objects: the built-in estimators register when :mod:`gazelearn.learn` is imported, and the
classes of the domains above ``learn/`` are lazy entries naming their module, imported when a
model file needs one. Keys of folders since renamed (``gazelearn.gazemodels.*``,
``gazelearn.gaze.*``) are read as their new names.

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
from gazelearn.registry import Registry

TASKS = ("classification", "regression")


@dataclass(frozen=True)
class Entry:
    """One registered factory: name, task, the callable and a one-line description."""

    name: str
    task: str
    factory: Callable[..., Any]
    description: str


# one registry per task: a name may have a classification and a regression variant
_ESTIMATORS: dict[str, Registry[Entry]] = {
    task: Registry(f"{task} model", identity=lambda entry: entry.factory) for task in TASKS}
CLASSES: Registry[type] = Registry("estimator class")

# Classes of the domains above learn/ that model files name; their module is imported when a
# file needs one (the registry never imports them itself, and listing them imports no torch).
for _key in ("gazelearn.appearance.estimator.GazeRegressor",
             "gazelearn.biometrics.estimator.EyeMovementEmbedder",
             "gazelearn.detection.deep.DeepDetector",
             "gazelearn.scanpath.classify.ScanpathClassifier",
             "gazelearn.scanpath.generate.ScanpathGenerator",
             "gazelearn.scanpath.multinet.MultiInputClassifier",
             "gazelearn.scanpath.nextpoint.NextPointPredictor"):
    CLASSES.register_lazy(_key, _key.rpartition(".")[0])
# registered by the module that stores it (the regressor's own module stays free of torch)
CLASSES.register_lazy("gazelearn.webcam.regressor.LandmarkGazeRegressor",
                      "gazelearn.webcam.model_files")
CLASSES.register_lazy("gazelearn.webcam.geometry_mapper.EyeballGazeMapper",
                      "gazelearn.webcam.model_files")
CLASSES.register_lazy("gazelearn.webcam.hybrid_mapper.HybridGazeMapper",
                      "gazelearn.webcam.model_files")

#: Old module prefixes of class keys -> new ones (folders renamed; files written before still load).
RENAMED = {"gazelearn.gazemodels.calibration.": "gazelearn.appearance.bn_calibration.",
           "gazelearn.gazemodels.": "gazelearn.appearance.",
           "gazelearn.gaze.": "gazelearn.webcam."}


def class_key(cls: type) -> str:
    """The key a class is stored under in model files: ``module.ClassName``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def current_key(key: str) -> str:
    """``key`` with a renamed folder's old module prefix replaced by the new one.

    Examples
    --------
    >>> current_key("gazelearn.gazemodels.estimator.GazeRegressor")
    'gazelearn.appearance.estimator.GazeRegressor'
    """
    for old, new in RENAMED.items():
        if key.startswith(old):
            return new + key[len(old):]
    return key


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
        _ESTIMATORS[task].register(name, Entry(name, task, factory, text))
        if isinstance(factory, type):
            register_class(factory)
        return factory

    return decorate


def register_class(cls: type) -> type:
    """Allow a class to be rebuilt from model files without giving it a name (decorator)."""
    return CLASSES.register(class_key(cls), cls)


def available(task: str | None = None) -> list[str]:
    """Sorted names of the registered estimators (optionally only one task's)."""
    tasks = TASKS if task is None else (task,)
    return sorted({name for t in tasks for name in _ESTIMATORS[t].names()})


def entries() -> list[Entry]:
    """Every registration, sorted by name and task."""
    found = [entry for registry in _ESTIMATORS.values() for entry in registry.loaded().values()]
    return sorted(found, key=lambda entry: (entry.name, entry.task))


def create(name: str, task: str = "classification", **params: Any) -> Any:
    """A new, unfitted estimator registered as ``name``, with keyword options.

    Raises
    ------
    InputError
        For an unknown name, a task the name lacks, or options the estimator does not take.
    """
    if task not in TASKS:
        raise InputError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if name not in _ESTIMATORS[task]:
        tasks = [t for t in TASKS if name in _ESTIMATORS[t]]
        if tasks:
            raise InputError(f"model {name!r} has no {task} variant (only {', '.join(tasks)})")
        raise InputError(f"unknown model {name!r}; available: {', '.join(available())}")
    entry = _ESTIMATORS[task].get(name)
    try:
        return entry.factory(**params)
    except TypeError as error:
        raise InputError(f"model {name!r}: {error}") from None


def class_for_key(key: str) -> type:
    """The registered class stored under ``key`` in a model file."""
    key = current_key(key)
    if key not in CLASSES:
        raise InputError(f"model file names estimator {key!r}, which this gazelearn does not "
                         "know (written by a newer version or a plug-in that is not imported?)")
    return CLASSES.get(key)


def is_registered_class(cls: type) -> bool:
    """True when instances of ``cls`` can be stored and rebuilt by key (a lazy entry's module
    is imported to tell)."""
    key = class_key(cls)
    return key in CLASSES and CLASSES.get(key) is cls
