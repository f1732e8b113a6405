"""Hyper-parameter search with Optuna over group k-fold cross-validation.

:func:`tune` searches the parameters of any registered estimator (``tree``, ``conv1d``, ...).
Each trial is scored by group k-fold cross-validation (:func:`gazelearn.splits.group_kfold`:
no group on both sides of a fold), the sampler (TPE) is seeded, and the study is stored in an
Optuna journal file so it can be resumed and inspected (``optuna-dashboard`` reads it).

Search spaces are plain, JSON-friendly dicts:

=============================================  ================================================
``{"max_depth": [2, 4, 8]}``                   categorical
``{"max_depth": {"low": 2, "high": 12}}``      integer range (ints), ``"step"`` allowed
``{"lr": {"low": 1e-4, "high": 1e-1, "log": true}}``  float range (floats), log scale
``{"max_depth": (2, 12)}``                     a (low, high) tuple: int or float range
=============================================  ================================================

A callable ``space(trial) -> dict`` is accepted too for conditional spaces.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(80, 6)); y = (X[:, 0] > 0).astype(int); groups = np.arange(80) // 10
>>> study = tune("tree", X, y, groups, {"max_depth": {"low": 1, "high": 4}}, n_trials=4,
...              folds=3, seed=0, verbose=False)
>>> sorted(study.best_params), len(study.trials)
(['max_depth'], 4)
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone

from gazelearn.errors import InputError
from gazelearn.io.atomic import atomic_write
from gazelearn.io.writers import jsonable
from gazelearn.learn.registry import create
from gazelearn.splits import group_kfold

Space = Mapping[str, Any] | Callable[[Any], dict[str, Any]]


#: Search spaces used when none is given (``gazelearn tune --model NAME`` without ``--space``).
DEFAULT_SPACES: dict[str, dict[str, Any]] = {
    "tree": {"max_depth": {"low": 2, "high": 20}, "min_samples_leaf": {"low": 1, "high": 20}},
    "forest": {"n_estimators": {"low": 50, "high": 300, "step": 50},
               "max_depth": {"low": 2, "high": 20}},
    "knn": {"n_neighbors": {"low": 1, "high": 30}, "weights": ["uniform", "distance"]},
    "lda": {"solver": ["svd", "lsqr"]},
    "nb": {"var_smoothing": {"low": 1e-12, "high": 1e-6, "log": True}},
    "svm": {"C": {"low": 1e-2, "high": 1e3, "log": True}, "gamma": ["scale", "auto"]},
}
_NEURAL_SPACE = {"lr": {"low": 1e-4, "high": 1e-2, "log": True}, "batch_size": [32, 64, 128],
                 "weight_decay": {"low": 1e-6, "high": 1e-2, "log": True}}


def default_space(estimator_name: str) -> dict[str, Any]:
    """The default search space of a registered estimator (networks: lr, batch size, decay)."""
    return DEFAULT_SPACES.get(estimator_name, _NEURAL_SPACE)


def suggest(trial: Any, space: Space) -> dict[str, Any]:
    """Draw one set of parameters from ``space`` for an Optuna ``trial``."""
    if callable(space):
        return dict(space(trial))
    params: dict[str, Any] = {}
    for name, spec in space.items():
        if isinstance(spec, list):
            params[name] = trial.suggest_categorical(name, spec)
        elif isinstance(spec, tuple) and len(spec) == 2:
            params[name] = _range(trial, name, {"low": spec[0], "high": spec[1]})
        elif isinstance(spec, Mapping) and "choices" in spec:
            params[name] = trial.suggest_categorical(name, list(spec["choices"]))
        elif isinstance(spec, Mapping) and {"low", "high"} <= set(spec):
            params[name] = _range(trial, name, spec)
        else:
            raise InputError(f"search space entry {name!r} must be a list of choices, a "
                             f"(low, high) pair or {{'low': ..., 'high': ...}}; got {spec!r}")
    return params


def _range(trial: Any, name: str, spec: Mapping[str, Any]) -> Any:
    low, high = spec["low"], spec["high"]
    kind = spec.get("type") or ("int" if isinstance(low, int) and isinstance(high, int)
                                and not isinstance(low, bool) else "float")
    if kind == "int":
        return trial.suggest_int(name, int(low), int(high), step=int(spec.get("step", 1)),
                                 log=bool(spec.get("log", False)))
    if kind == "float":
        step = spec.get("step")
        return trial.suggest_float(name, float(low), float(high), log=bool(spec.get("log", False)),
                                   step=None if step is None else float(step))
    raise InputError(f"search space entry {name!r}: type must be 'int' or 'float', got {kind!r}")


def _storage(output: str | Path | None) -> Any:
    if output is None:
        return None
    output = Path(output)
    if output.suffix in (".db", ".sqlite", ".sqlite3"):
        output.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{output.resolve()}"
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    output.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(output / "study.journal")))


def cross_validate_groups(estimator: Any, X: Any, y: Any, groups: Any, folds: int = 5,
                          seed: int = 0, scoring: str | Callable | None = None,
                          report: Callable[[float, int], None] | None = None) -> list[float]:
    """Scores of ``estimator`` on each of ``folds`` group k-fold splits (groups go to ``fit``)."""
    from sklearn.metrics import check_scoring

    scorer = check_scoring(estimator, scoring=scoring)
    groups = np.asarray(groups)
    passes_groups = "groups" in inspect.signature(estimator.fit).parameters
    scores: list[float] = []
    for k, (train, test) in enumerate(group_kfold(groups, n_splits=folds, seed=seed)):
        model = clone(estimator)
        extra = {"groups": groups[train]} if passes_groups else {}
        model.fit(X[train], y[train], **extra)
        scores.append(float(scorer(model, X[test], y[test])))
        if report is not None:
            report(float(np.mean(scores)), k)
    return scores


def tune(estimator_name: str, X: Any, y: Any, groups: Any, param_space: Space,
         n_trials: int = 20, folds: int = 5, seed: int = 0, *, task: str = "classification",
         scoring: str | Callable | None = None, fixed_params: Mapping[str, Any] | None = None,
         output: str | Path | None = None, study_name: str | None = None,
         timeout: float | None = None, verbose: bool = True) -> Any:
    """Search ``param_space`` of a registered estimator; return the Optuna study.

    Parameters
    ----------
    estimator_name : str
        A name of :func:`gazelearn.learn.available` (``tree``, ``forest``, ``conv1d``, ...).
    X, y : arrays
        Samples (any shape the estimator takes) and targets.
    groups : array
        Recording / session / subject of each sample; folds never split a group.
    param_space : dict or callable
        The search space (see the module documentation).
    n_trials, folds, seed : int
        Trials to run, group k-fold folds, seed of the sampler, the folds and the estimators
        (``seed`` is passed to estimators that take one, unless fixed otherwise).
    task : {"classification", "regression"}
    scoring : str or callable, optional
        scikit-learn scorer; default the estimator's ``score`` (accuracy or R^2). Higher is
        better, the study maximises.
    fixed_params : dict, optional
        Parameters set in every trial (e.g. ``{"epochs": 20}``).
    output : str or Path, optional
        A directory (Optuna journal ``study.journal`` plus ``best.json`` and ``trials.csv``) or
        a ``.db`` file (SQLite). A study of the same name there is resumed.
    study_name : str, optional
        Default ``"<estimator_name>-tune"``.
    timeout : float, optional
        Stop starting new trials after this many seconds.
    verbose : bool
        Print the best trial at the end.
    """
    import optuna

    X, y = np.asarray(X), np.asarray(y)
    if groups is None:
        raise InputError("tuning needs groups (recording, session or subject of each sample)")
    groups = np.asarray(groups)
    if not len(X) == len(y) == len(groups):
        raise InputError(f"X, y and groups have different lengths ({len(X)}, {len(y)}, "
                         f"{len(groups)})")
    fixed = dict(fixed_params or {})
    probe = create(estimator_name, task=task, **fixed)
    if "seed" in probe.get_params() and "seed" not in fixed:
        fixed["seed"] = seed
    elif "random_state" in probe.get_params() and "random_state" not in fixed:
        fixed["random_state"] = seed

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, param_space)
        estimator = create(estimator_name, task=task, **fixed, **params)
        scores = cross_validate_groups(estimator, X, y, groups, folds=folds, seed=seed,
                                       scoring=scoring)
        trial.set_user_attr("fold_scores", scores)
        trial.set_user_attr("std", float(np.std(scores)))
        return float(np.mean(scores))

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            study_name=study_name or f"{estimator_name}-tune", storage=_storage(output),
            sampler=optuna.samplers.TPESampler(seed=seed), direction="maximize",
            load_if_exists=True)
        study.set_user_attr("estimator", estimator_name)
        study.set_user_attr("task", task)
        study.set_user_attr("folds", folds)
        study.set_user_attr("seed", seed)
        study.set_user_attr("fixed_params", jsonable(fixed))
        study.optimize(objective, n_trials=n_trials, timeout=timeout)
    finally:
        optuna.logging.set_verbosity(previous)
    if output is not None:
        write_summary(study, Path(output))
    if verbose:
        best = study.best_trial
        print(f"best trial {best.number}: score {best.value:.4f} "
              f"(+/- {best.user_attrs.get('std', float('nan')):.4f} over {folds} group folds) "
              f"params {json.dumps(jsonable(best.params))}")
    return study


def write_summary(study: Any, output: Path) -> None:
    """``best.json`` (best trial, its parameters and fold scores) and ``trials.csv``."""
    folder = output if output.suffix == "" else output.parent
    folder.mkdir(parents=True, exist_ok=True)
    best = study.best_trial
    summary = {"study": study.study_name, "best_trial": best.number, "best_score": best.value,
               "best_params": best.params, "fold_scores": best.user_attrs.get("fold_scores"),
               "n_trials": len(study.trials), **study.user_attrs}
    with atomic_write(folder / "best.json", "w") as handle:  # complete or absent, like every output
        handle.write(json.dumps(jsonable(summary), indent=1) + "\n")
    _trials_csv(study, folder / "trials.csv")


def _trials_csv(study: Any, path: Path) -> None:
    import csv

    names = sorted({k for t in study.trials for k in t.params})
    with atomic_write(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "value", "state", *names])
        for t in study.trials:
            writer.writerow([t.number, t.value, t.state.name, *[t.params.get(n) for n in names]])
