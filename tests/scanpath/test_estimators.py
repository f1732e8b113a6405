"""The scanpath learners on scikit-learn's contract: clone, NotFittedError, model files.

Covers :class:`MultiInputClassifier`, :class:`ScanpathGenerator` and
:class:`NextPointPredictor` (each a :class:`gazelearn.learn.TorchEstimator`): clone gives an
equal unfitted estimator, prediction before ``fit`` raises ``NotFittedError``, and a model file
round trip (also of the files written before the port) predicts exactly the same.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from gazelearn import Recording
from gazelearn.learn.modelfile import load_model, save_model
from gazelearn.scanpath.fixseq import render_fixations
from gazelearn.scanpath.generate import ScanpathGenerator
from gazelearn.scanpath.multinet import MultiInputClassifier
from gazelearn.scanpath.nextpoint import NextPointPredictor

torch.set_num_threads(1)


def multi_inputs():
    rng = np.random.default_rng(0)
    owner = np.repeat(np.arange(6), 4)
    windows = rng.normal(size=(24, 10, 2)).astype(np.float32)
    maps = rng.random(size=(6, 1, 6, 8)).astype(np.float32)
    return (windows, maps, owner), owner % 2, owner


def fixation_recordings(n: int = 6):
    rng = np.random.default_rng(0)
    return [render_fixations(rng.uniform(100, 700, 6), rng.uniform(100, 500, 6),
                             rng.uniform(0.2, 0.4, 6), np.full(5, 0.04), 50.0, 80, 2.0,
                             (800, 600), rng) for _ in range(n)]


def circle_recordings(n: int = 3):
    t = np.arange(40) / 50.0
    return [Recording(t, 400 + 150 * np.cos(15 * t + p), 300 + 150 * np.sin(15 * t + p))
            for p in np.linspace(0, 2 * np.pi, n, endpoint=False)]


def _fitted_multi():
    X, y, groups = multi_inputs()
    model = MultiInputClassifier(window_filters=(4,), map_filters=(4,), embedding=4, epochs=2,
                                 num_threads=1, progress=False)
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(NotFittedError):
        model.predict_proba(X)
    assert model.fit(X, y, groups=groups) is model
    return model, X, lambda m: m.predict_proba(X)


def _fitted_generator():
    recs = fixation_recordings()
    model = ScanpathGenerator(extent=(800, 600), hidden=4, epochs=2, num_threads=1)
    with pytest.raises(NotFittedError):
        model.sample(1, length=10)
    with pytest.raises(NotFittedError):
        model.nll(recs)
    assert model.fit(recs) is model
    return model, recs, lambda m: np.concatenate([r.x for r in m.sample(2, length=30, seed=3)])


def _fitted_next_point():
    recs = circle_recordings()
    model = NextPointPredictor(length=5, epochs=2, num_threads=1,
                               architecture_options={"hidden": 4})
    with pytest.raises(NotFittedError):
        model.predict_next(recs[0])
    assert model.fit(recs) is model
    return model, recs, lambda m: m.predict_next(recs[0])


FITTED = {"multi": _fitted_multi, "generator": _fitted_generator,
          "next-point": _fitted_next_point}


@pytest.mark.parametrize("name", FITTED)
def test_clone_not_fitted_and_model_file_round_trip(name, tmp_path):
    model, _, predict = FITTED[name]()
    copy = clone(model)
    assert type(copy) is type(model) and copy.get_params() == model.get_params()
    assert model.set_params(**model.get_params()) is model
    with pytest.raises(NotFittedError):  # a clone of a fitted model is not fitted
        predict(copy)
    again = load_model(save_model(model, tmp_path / f"{name}.safetensors"))
    assert type(again) is type(model) and again.get_params() == model.get_params()
    assert np.array_equal(predict(again), predict(model))


def test_multi_input_fit_takes_the_triple_as_X():
    X, y, groups = multi_inputs()
    model = MultiInputClassifier(window_filters=(4,), map_filters=(4,), embedding=4, epochs=1,
                                 num_threads=1, progress=False).fit(X, y, groups=groups)
    assert model.n_validation_ > 0 and set(model.predict(X)) <= {0, 1}
    with pytest.raises(ValueError, match="triple"):
        model.predict(X[0])


def test_files_written_before_the_port_still_load():
    # the multi-input net stored its network as model_, the next-point model wrapped a regressor
    multi, X, predict = _fitted_multi()
    state = multi.__gazelearn_state__()
    state["model_"] = state.pop("network_")
    old = MultiInputClassifier(**multi.get_params())
    old.__gazelearn_restore__(state)
    assert np.array_equal(predict(old), predict(multi))

    nxt, recs, predict = _fitted_next_point()
    wrapped = {"regressor_params_": {}, "regressor_state_": nxt.__gazelearn_state__(),
               "training_summary_": {"recordings": 3}}
    wrapped["regressor_state_"]["model_"] = wrapped["regressor_state_"].pop("network_")
    old = NextPointPredictor(**nxt.get_params())
    old.__gazelearn_restore__(wrapped)
    assert np.array_equal(predict(old), predict(nxt))
    assert old.training_summary_ == {"recordings": 3}
