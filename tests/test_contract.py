"""One estimator contract for every learner and detector (scikit-learn's).

Runs on every estimator of ``gazelearn.learn.registry``, every detector of
``gazelearn.detection.registry`` and the public classes with ``fit`` that are not registered:
``clone`` works, ``set_params(**get_params())`` gives back equal parameters, ``fit`` returns
self on a tiny synthetic input of the estimator's kind, and an estimator that learns raises
``NotFittedError`` before ``fit``. scikit-learn's own ``parametrize_with_checks`` runs on the
estimators that take plain arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

import gazelearn.appearance
import gazelearn.biometrics
import gazelearn.scanpath
import gazelearn.webcam  # noqa: F401  (the domains register their estimators on import)
from gazelearn.detection import available_detectors
from gazelearn.detection.registry import DETECTORS
from gazelearn.learn.registry import create, entries

# torch estimators: one epoch, one thread, tiny networks, no progress bar
FAST = {"epochs": 1, "batch_size": 16, "num_threads": 1, "progress": False}


@dataclass
class Case:
    """How to build one estimator, fit it on a tiny input and use what it learned."""

    id: str
    make: Callable[[], Any]  # a new, unfitted estimator
    data: Callable[[], tuple[tuple, dict]]  # the positional and keyword arguments of fit
    use: Callable[[Any, tuple], Any]  # the learned method, given the fit arguments


# ---------------------------------------------------------------------------- tiny inputs
@cache
def _windows(task: str = "classification", image: bool = False) -> tuple[tuple, dict]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 1, 8, 8) if image else (24, 10, 2)).astype(np.float32)
    y = (X.reshape(24, -1).mean(1) > 0).astype(int)
    if task == "regression":
        y = X.reshape(24, -1).mean(1)
    return (X, y), {"groups": np.repeat(np.arange(6), 4)}


@cache
def _recordings(n: int = 2, duration_s: float = 2.0) -> list:
    from gazelearn.simulate import simulate_recording

    return [simulate_recording(duration_s, 500.0, seed=seed) for seed in range(n)]


def _fast(estimator: Any) -> Any:
    """``estimator`` with the FAST options it takes."""
    params = estimator.get_params()
    return estimator.set_params(**{k: v for k, v in FAST.items() if k in params})


def _predict(estimator: Any, fit_args: tuple) -> Any:
    return estimator.predict(fit_args[0])


# ---------------------------------------------------------------------------- the cases
def _registered_estimators() -> list[Case]:
    # inputs by name where they are not windows; tiny networks where the default is large
    data = {"conv2d": lambda task: _windows(task, image=True), "gaze_cnn": lambda _: _eye_images()}
    tiny = {"gaze_cnn": {"model_options": {"channels": (4, 4)}}}
    cases = []
    for entry in entries():

        def make(entry=entry) -> Any:
            estimator = _fast(create(entry.name, task=entry.task))
            params = estimator.get_params()
            return estimator.set_params(**{k: v for k, v in tiny.get(entry.name, {}).items()
                                           if k in params})

        inputs = data.get(entry.name, _windows)
        cases.append(Case(f"learn:{entry.name}:{entry.task}", make,
                          lambda inputs=inputs, task=entry.task: inputs(task), _predict))
    return cases


def _detectors() -> list[Case]:
    tiny = {"deep": {**FAST, "hidden": 4, "conv_channels": 4, "window_s": 0.5}}
    # the registry's classes: create_detector("deep") is the shipped, fitted model
    return [Case(f"detector:{name}",
                 lambda name=name: DETECTORS.get(name)(**tiny.get(name, {})),
                 lambda: ((_recordings(),), {}),
                 lambda detector, args: detector.predict(args[0][0]))
            for name in available_detectors()]


def _scanpath_recordings() -> tuple[tuple, dict]:
    recs = _recordings(4)
    return (list(recs), ["a", "b"] * 2), {}


def _multi_inputs() -> tuple[tuple, dict]:
    rng = np.random.default_rng(0)
    owner = np.repeat(np.arange(4), 4)
    windows = rng.normal(size=(16, 10, 2)).astype(np.float32)
    maps = rng.random(size=(4, 1, 6, 8)).astype(np.float32)
    return ((windows, maps, owner), owner % 2), {"groups": owner}


def _eye_images() -> tuple[tuple, dict]:
    from gazelearn.simulate.eyes import simulate_eye_dataset

    data = simulate_eye_dataset(2, 1, 8, seed=0)
    return (data.images, data.targets_px), {"groups": data.measurement}


def _crop_rows() -> tuple[tuple, dict]:
    rng = np.random.default_rng(0)
    return (rng.uniform(0, 255, (12, 36 * 64)), rng.uniform(0, 1000, (12, 2))), {}


def _points_px() -> tuple[tuple, dict]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 4))
    return (X, X[:, :2] * 100 + 500), {}


def _predicted_and_true() -> tuple[tuple, dict]:
    predicted = np.random.default_rng(0).uniform(size=(9, 2))
    return (predicted, predicted * 1.1 + 0.02), {}


def _fixation_recordings() -> tuple[tuple, dict]:
    from gazelearn.scanpath.fixseq import render_fixations

    rng = np.random.default_rng(0)
    recs = [render_fixations(rng.uniform(100, 700, 6), rng.uniform(100, 500, 6),
                             rng.uniform(0.2, 0.4, 6), np.full(5, 0.04), 50.0, 80, 2.0,
                             (800, 600), rng) for _ in range(6)]
    return (recs,), {}


def _population() -> tuple[tuple, dict]:
    from gazelearn.simulate import simulate_population

    return (simulate_population(n_subjects=3, recordings_per_subject=2, duration_s=3.0,
                                sampling_rate=100.0, seed=1),), {}


def _unregistered() -> list[Case]:
    """The public classes with ``fit`` that no registry lists by name (grep ``def fit``)."""
    from gazelearn.appearance import AffineCalibration
    from gazelearn.biometrics.estimator import EyeMovementEmbedder
    from gazelearn.scanpath.classify import ScanpathClassifier
    from gazelearn.scanpath.generate import ScanpathGenerator
    from gazelearn.scanpath.multinet import MultiInputClassifier
    from gazelearn.scanpath.nextpoint import NextPointPredictor
    from gazelearn.webcam.crop_model import CropGazeModel
    from gazelearn.webcam.regressor import LandmarkGazeRegressor

    # server.live.LiveSession.fit(meta) fits a calibration profile for one browser session: a
    # session object, not an estimator, so it is not held to this contract.
    return [
        Case("ScanpathClassifier", lambda: ScanpathClassifier("tree", window=50),
             _scanpath_recordings, _predict),
        Case("ScanpathClassifier:neural",
             lambda: ScanpathClassifier("conv1d", window=50, **FAST), _scanpath_recordings,
             _predict),
        Case("MultiInputClassifier", lambda: MultiInputClassifier(
             window_filters=(4,), map_filters=(4,), embedding=4, **FAST), _multi_inputs,
             _predict),
        Case("LandmarkGazeRegressor", LandmarkGazeRegressor, _points_px, _predict),
        Case("AffineCalibration", AffineCalibration, _predicted_and_true,
             lambda model, args: model.transform(args[0])),
        Case("CropGazeModel", lambda: CropGazeModel(epochs=1, screen_size=(1000, 1000)),
             _crop_rows, _predict),
        Case("EyeMovementEmbedder", lambda: EyeMovementEmbedder(
             embedding_dim=4, persons_per_batch=3, windows_per_person=2, **FAST), _population,
             lambda model, args: model.transform(args[0])),
        Case("ScanpathGenerator", lambda: ScanpathGenerator(
             extent=(800, 600), hidden=4, epochs=1, num_threads=1), _fixation_recordings,
             lambda model, args: model.sample(1, length=10)),
        Case("NextPointPredictor", lambda: NextPointPredictor(length=10, **FAST),
             lambda: ((_recordings(),), {}),
             lambda model, args: model.predict_next(args[0][0])),
    ]


CASES = [*_registered_estimators(), *_detectors(), *_unregistered()]


def _learns(estimator: Any) -> bool:
    return get_tags(estimator).requires_fit


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


# ---------------------------------------------------------------------------- the contract
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_clone_and_params_round_trip(case):
    estimator = case.make()
    params = estimator.get_params()
    copy = clone(estimator)
    assert type(copy) is type(estimator) and copy is not estimator
    assert all(_equal(copy.get_params()[k], v) for k, v in params.items())
    again = estimator.set_params(**params)
    assert again is estimator
    assert set(estimator.get_params()) == set(params)
    assert all(_equal(estimator.get_params()[k], v) for k, v in params.items())
    assert repr(estimator).startswith(type(estimator).__name__ + "(")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fit_returns_self_and_not_fitted_before(case):
    estimator = case.make()
    args, kwargs = case.data()
    if _learns(estimator):
        with pytest.raises(NotFittedError):
            case.use(estimator, args)
    assert estimator.fit(*args, **kwargs) is estimator
    case.use(estimator, args)  # usable after fit
    if hasattr(estimator, "score") and len(args) == 2 and isinstance(args[0], np.ndarray):
        assert isinstance(estimator.score(*args), float)  # scikit-learn's one number
    # the constructor arguments are unchanged by fit: clone() of a fitted estimator is unfitted
    fresh = clone(estimator)
    if _learns(fresh):
        with pytest.raises(NotFittedError):
            case.use(fresh, args)


# ---------------------------------------------------------------------------- scikit-learn's checks
def _array_estimators() -> list[Any]:
    """The registered scikit-learn baselines (plain arrays in, nothing torch-specific)."""
    small = {"forest": {"n_estimators": 5}}  # as scikit-learn checks its own forests: fast
    return [create(e.name, task=e.task, **small.get(e.name, {})) for e in entries()
            if getattr(e.factory, "__module__", "") == "gazelearn.learn.baselines"]


def _expected_failed_checks(estimator: Any) -> dict[str, str]:
    if type(estimator).__name__ == "SVMClassifier":
        # scikit-learn lists the same failure for SVC itself (its sample weights that drop all
        # but one class raise their own message)
        return {"check_classifiers_one_label_sample_weights": "as for sklearn.svm.SVC"}
    return {}


@parametrize_with_checks(_array_estimators(), expected_failed_checks=_expected_failed_checks)
def test_scikit_learn_checks(estimator, check):
    check(estimator)
