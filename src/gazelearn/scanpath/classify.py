"""Classify whole recordings (the picture viewed, the viewer's expertise) from their scanpaths.

:class:`ScanpathClassifier` is a scikit-learn-style estimator over **recordings**:
``fit(X, y, groups=None)`` with recordings ``X`` and one label each in ``y``,
``predict(recordings)``, ``predict_proba(recordings)``, ``classes_``. It builds the inputs its
model needs from the recordings:

* **window models** ``tree``, ``forest``, ``knn``, ``svm``, ``lda``, ``nb``, ``mlp``,
  ``conv1d``, ``lstm``, ``gru`` (:func:`gazelearn.learn.create`): every recording is cut
  into windows of velocities (:func:`gazelearn.windows.make_windows`; deg/s when the
  recordings have a screen, else px/s, plus a ``valid`` channel), each window gets its
  recording's label, and the recording-level probability is the **mean window probability**;
* ``heatmap-cnn``: a 2-D CNN (``conv2d``) on one heat map per recording
  (:func:`gazelearn.scanpath.heatmap`, blur width ``sigma_deg`` in degrees);
* ``multi``: :class:`~gazelearn.scanpath.multinet.MultiInputClassifier`, every window together
  with its recording's heat map, recording level again the mean window probability.

:meth:`ScanpathClassifier.window_proba` gives the window-level scores behind a recording-level
prediction. Saved with :func:`gazelearn.learn.save_model` (the window length, features, velocity
unit, sampling rate, heat-map grid, blur and screen area go into the file), loaded with
:func:`load_classifier`, so ``predict`` on new files cuts them exactly as in training.

Recordings without a screen (the ETRA 2021 paths and radio files) have no degrees: velocities are
in px/s, and the heat map covers a screen area and blur in pixels. Unless ``extent`` and
``sigma_px`` are given, they are **learned from the training recordings**: the area is the 99th
percentile of the valid x and y positions, rounded up to 16 px, the blur ``1/40`` of its width
(about 1 degree on a desktop screen); both are stored and reused for prediction.

Windows count samples, so a recording sampled more than 10 % faster or slower than the training
recordings (their median rate, stored) is resampled to that rate first
(:func:`gazelearn.preprocess.resample`: linear, never across gaps) — in ``fit`` and ``predict``
alike (two of the 611 radio recordings are at 30 Hz, the others at 59 Hz).

Examples
--------
>>> import numpy as np
>>> from gazelearn import Recording, Screen
>>> screen = Screen(1024, 768, 380.0, 300.0, 670.0)
>>> rng = np.random.default_rng(0)
>>> def rec(side):   # 2 s at 60 Hz on the left or right half of the screen
...     x = rng.uniform(50, 450, 120) + (500 if side == "right" else 0)
...     return Recording(np.arange(120) / 60, x, rng.uniform(50, 700, 120), screen=screen)
>>> recs = [rec(side) for side in ["left", "right"] * 6]
>>> labels = ["left", "right"] * 6
>>> clf = ScanpathClassifier("heatmap-cnn", grid=(16, 12), epochs=15, lr=0.01,
...                          num_threads=1).fit(recs, labels)
>>> clf.predict(recs[:4]).tolist()
['left', 'right', 'left', 'right']
>>> ScanpathClassifier("tree", window=30).fit(recs, labels).predict_proba(recs[:2]).shape
(2, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from gazelearn.errors import InputError, MissingScreenError
from gazelearn.learn.data import standardization
from gazelearn.learn.registry import class_for_key, class_key, create, register_class
from gazelearn.learn.serialize import fitted_attributes
from gazelearn.recording import Recording
from gazelearn.scanpath.heatmaps import heatmap
from gazelearn.scanpath.multinet import MultiInputClassifier
from gazelearn.screen import GEOMETRY_FIELDS, SCREEN_HINT
from gazelearn.windows import make_windows

__all__ = ["MODELS", "NEURAL_WINDOW_MODELS", "WINDOW_MODELS", "ScanpathClassifier",
           "WindowScores", "load_classifier"]

#: Models over velocity windows (names of :func:`gazelearn.learn.create`).
WINDOW_MODELS = ("tree", "forest", "knn", "svm", "lda", "nb", "mlp", "conv1d", "lstm", "gru")
NEURAL_WINDOW_MODELS = ("mlp", "conv1d", "lstm", "gru")
#: Every model name :class:`ScanpathClassifier` takes.
MODELS = (*WINDOW_MODELS, "heatmap-cnn", "multi")
#: Recordings whose rate differs from the training rate by more than this share are resampled.
RATE_TOLERANCE = 0.1


@dataclass
class WindowScores:
    """Window-level probabilities and the recording each window comes from.

    For ``heatmap-cnn`` the unit is the whole recording (one row per recording).
    """

    proba: np.ndarray
    recording: np.ndarray
    classes: np.ndarray

    def recording_proba(self, n_recordings: int) -> np.ndarray:
        """Mean window probability per recording, ``(n_recordings, n_classes)``."""
        out = np.zeros((n_recordings, len(self.classes)))
        np.add.at(out, self.recording, self.proba)
        counts = np.bincount(self.recording, minlength=n_recordings)
        return out / np.maximum(counts, 1)[:, None]


def _kind(model: str) -> str:
    if model in WINDOW_MODELS:
        return "windows"
    if model == "heatmap-cnn":
        return "map"
    if model == "multi":
        return "multi"
    raise InputError(f"unknown scanpath model {model!r}; choose from {', '.join(MODELS)}")


def _svm_proba(svm: Any, X: np.ndarray) -> np.ndarray:
    """Softmax of the SVM's one-vs-rest decision values: scores that sum to 1, not calibrated.

    scikit-learn deprecates ``SVC(probability=True)`` (Platt scaling by internal cross-validation),
    and mean-probability voting only needs comparable scores per window.
    """
    scores = np.asarray(svm.decision_function(X), dtype=np.float64)
    if scores.ndim == 1:  # two classes: one signed distance, positive for classes_[1]
        scores = np.stack([-scores, scores], axis=1) / 2
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)


def _recordings(data: Any) -> list[Recording]:
    recordings = list(data)
    if not recordings:
        raise InputError("no recordings given")
    for i, rec in enumerate(recordings):
        if not isinstance(rec, Recording):
            raise InputError(f"item {i} is a {type(rec).__name__}, not a Recording")
    return recordings


def _name(rec: Recording, i: int) -> str:
    return Path(rec.meta.source).name if rec.meta.source else f"recording {i}"


@register_class
class ScanpathClassifier(ClassifierMixin, BaseEstimator):
    """One label per recording from its windows, its heat map, or both.

    Parameters
    ----------
    model : str
        ``tree``, ``forest``, ``knn``, ``svm``, ``lda``, ``nb``, ``mlp``, ``conv1d``, ``lstm``,
        ``gru`` (window models),
        ``heatmap-cnn`` or ``multi``.
    model_options : dict, optional
        Options of the underlying estimator, over the defaults below (e.g.
        ``{"n_estimators": 300}`` for the forest, ``{"architecture_options": {...}}`` for
        networks, ``{"map_filters": (8, 16)}`` for ``multi``).
    window, step : int
        Window length and hop in samples (``step`` default: half a window). Recordings shorter
        than a window give one window padded with a ``valid`` channel of 0.
    features : sequence of str
        Window channels (:data:`gazelearn.windows.FEATURES`); velocities in deg/s with a screen.
    grid : (width, height)
        Heat-map size in cells.
    sigma_deg : float
        Heat-map blur in degrees (recordings with a screen).
    sigma_px, extent : float, (width_px, height_px), optional
        Blur and screen area in pixels for recordings without a screen (learned when omitted,
        see the module notes).
    epochs, batch_size, lr, patience, validation_fraction
        Training of the networks (early stopping on whole held-out groups).
    class_weight : None or "balanced"
        Class weights of every model that takes them (longer recordings give more windows).
    seed : int
        Seeds models, validation split and shuffling.
    num_threads : int, optional
        Torch threads (1 on shared machines).
    progress : bool, optional
        Progress bars of the networks.

    Attributes
    ----------
    classes_ : numpy.ndarray
        The classes, in the column order of :meth:`predict_proba`.
    model_ : estimator
        The fitted window, map or multi-input estimator.
    velocity_unit_, sampling_rate_, extent_, sigma_px_, has_screen_
        Preprocessing learned in ``fit`` and reused in ``predict``.
    """

    def __init__(self, model: str = "forest", model_options: dict | None = None,
                 window: int = 100, step: int | None = None,
                 features: Sequence[str] = ("vx", "vy"), grid: tuple[int, int] = (32, 24),
                 sigma_deg: float = 1.0, sigma_px: float | None = None,
                 extent: tuple[float, float] | None = None, epochs: int = 30,
                 batch_size: int = 32, lr: float = 1e-3, patience: int | None = 10,
                 validation_fraction: float = 0.2, class_weight: str | None = "balanced",
                 seed: int = 0, num_threads: int | None = None,
                 progress: bool | None = None) -> None:
        self.model = model
        self.model_options = model_options
        self.window = window
        self.step = step
        self.features = features
        self.grid = grid
        self.sigma_deg = sigma_deg
        self.sigma_px = sigma_px
        self.extent = extent
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.seed = seed
        self.num_threads = num_threads
        self.progress = progress

    # ------------------------------------------------------------------ the inner estimator
    def _estimator(self) -> Any:
        name, options = self.model, dict(self.model_options or {})
        neural = {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                  "patience": self.patience, "validation_fraction": self.validation_fraction,
                  "class_weight": self.class_weight, "seed": self.seed,
                  "num_threads": self.num_threads, "progress": self.progress}
        if name == "tree":
            defaults = {"class_weight": self.class_weight, "random_state": self.seed}
        elif name == "forest":
            defaults = {"n_estimators": 100, "class_weight": self.class_weight,
                        "random_state": self.seed, "n_jobs": 1}
        elif name == "knn":
            defaults = {"n_neighbors": 15}
        elif name == "svm":
            defaults = {"class_weight": self.class_weight}
        elif name in ("lda", "nb"):
            defaults = {}  # neither takes class weights or a seed
        elif name in NEURAL_WINDOW_MODELS:
            defaults = dict(neural)
            if name in ("lstm", "gru"):
                defaults["architecture_options"] = {"hidden": 32}
        elif name == "heatmap-cnn":
            defaults = {**neural, "architecture": "conv2d",
                        "architecture_options": {"channels": (16, 32, 32), "dropout": 0.3}}
            return create("neural", **{**defaults, **options})
        elif name == "multi":
            defaults = dict(neural)
            return MultiInputClassifier(**{**defaults, **options})
        else:
            _kind(name)  # raises with the list of models
        return create(name, **{**defaults, **options})

    # ------------------------------------------------------------------ inputs
    def _windows(self, recordings: list[Recording], fitting: bool) -> Any:
        step = self.step or max(1, self.window // 2)
        unit = "auto" if fitting else ("deg" if self.velocity_unit_ == "deg/s" else "px")
        if not fitting and self.velocity_unit_ == "deg/s":
            missing = [_name(r, i) for i, r in enumerate(recordings) if not r.has_geometry]
            if missing:
                raise MissingScreenError(f"the model uses velocities in deg/s but {missing[0]} "
                                         f"has no screen geometry; {SCREEN_HINT}",
                                         missing=GEOMETRY_FIELDS)
        windows = make_windows(recordings, self.window, step, features=tuple(self.features),
                               pad=True, velocity_unit=unit)
        counts = np.bincount(windows.recording, minlength=len(recordings))
        if (counts == 0).any():
            i = int(np.flatnonzero(counts == 0)[0])
            raise InputError(f"{_name(recordings[i], i)} has no samples to cut into windows")
        return windows

    def _at_rate(self, recordings: list[Recording]) -> list[Recording]:
        """Recordings at the training rate: windows count samples, so a recording sampled more
        than 10 % faster or slower is resampled (linearly, never across gaps)."""
        from gazelearn.preprocess import resample

        out = []
        for rec in recordings:
            rate = rec.sampling_rate
            if rate and self.sampling_rate_ and \
                    abs(rate - self.sampling_rate_) > RATE_TOLERANCE * self.sampling_rate_:
                rec = resample(rec, self.sampling_rate_)
            out.append(rec)
        return out

    def _learn_area(self, recordings: list[Recording]) -> None:
        screens = {rec.has_geometry for rec in recordings}
        if len(screens) > 1:
            raise InputError("some recordings have the screen geometry and some do not; give "
                             "them all the same screen")
        self.has_screen_ = screens == {True}
        self.extent_ = None if self.extent is None else tuple(float(v) for v in self.extent)
        self.sigma_px_ = None if self.sigma_px is None else float(self.sigma_px)
        if self.has_screen_:
            return
        if self.extent_ is None:
            xs = np.concatenate([np.asarray(r.x, float) for r in recordings])
            ys = np.concatenate([np.asarray(r.y, float) for r in recordings])
            ok = np.isfinite(xs) & np.isfinite(ys)
            if not ok.any():
                raise InputError("the training recordings hold no valid gaze position")
            top = np.percentile(np.stack([xs[ok], ys[ok]]), 99, axis=1)
            self.extent_ = tuple(float(16 * np.ceil(max(v, 16.0) / 16)) for v in top)
        if self.sigma_px_ is None:
            self.sigma_px_ = self.extent_[0] / 40.0

    def _maps(self, recordings: list[Recording]) -> np.ndarray:
        maps = np.zeros((len(recordings), 1, self.grid[1], self.grid[0]), dtype=np.float32)
        for i, rec in enumerate(recordings):
            if self.has_screen_ and not rec.has_geometry:
                raise MissingScreenError(f"the model's heat maps are in degrees but "
                                         f"{_name(rec, i)} has no screen geometry; "
                                         f"{SCREEN_HINT}", missing=GEOMETRY_FIELDS)
            options = ({"sigma_deg": self.sigma_deg} if self.has_screen_ else
                       {"sigma_px": self.sigma_px_})
            try:
                maps[i, 0] = heatmap(rec, grid=tuple(self.grid), extent=self.extent_,
                                     normalize="max", **options)
            except InputError as error:
                if "no gaze point falls" not in str(error):
                    raise
                # nothing on the screen area: an empty map is what the recording shows
        return maps

    # ------------------------------------------------------------------ fit / predict
    def fit(self, X: Any, y: Any, groups: Any = None) -> ScanpathClassifier:
        """Train on recordings and one label per recording.

        Parameters
        ----------
        X : sequence of Recording (or a Dataset)
        y : sequence
            The class of every recording.
        groups : sequence, optional
            Participant (or other group) of every recording: the networks' validation set is
            whole groups. Default: each recording its own group.
        """
        recordings = _recordings(X)
        labels = np.asarray(y)
        if len(labels) != len(recordings):
            raise InputError(f"{len(recordings)} recordings but {len(labels)} labels")
        groups = np.arange(len(recordings)) if groups is None else np.asarray(groups)
        if len(groups) != len(recordings):
            raise InputError(f"{len(recordings)} recordings but {len(groups)} groups")
        groups = groups.astype(str)
        kind = _kind(self.model)
        self.classes_ = np.unique(labels)
        if len(self.classes_) < 2:
            raise InputError(f"training needs at least two classes; all labels are "
                             f"{self.classes_[0]!r}")
        rates = [r.sampling_rate for r in recordings if r.sampling_rate]
        self.sampling_rate_ = float(np.median(rates)) if rates else None
        self.model_ = self._estimator()
        self.kind_ = kind
        self.n_resampled_ = 0
        self.velocity_unit_ = ""
        self.channels_ = []
        self._learn_area(recordings)
        if kind == "map":
            self.model_.fit(self._maps(recordings), labels, groups=groups)
            self.n_windows_ = len(recordings)
            return self
        at_rate = self._at_rate(recordings)
        self.n_resampled_ = sum(a is not b for a, b in zip(at_rate, recordings, strict=True))
        windows = self._windows(at_rate, fitting=True)
        self.velocity_unit_ = windows.velocity_unit
        self.channels_ = list(windows.channels)
        self.n_windows_ = len(windows)
        y, g = labels[windows.recording], groups[windows.recording]
        if kind == "multi":
            self.model_.fit((windows.X, self._maps(recordings), windows.recording), y, groups=g)
            return self
        X = windows.X
        if self.model in ("knn", "svm"):  # distances need channels on one scale
            self.x_mean_, self.x_scale_ = standardization(X)
            X = (X - self.x_mean_[None]) / self.x_scale_[None]
        self.model_.fit(X, y, groups=g)
        return self

    def window_proba(self, recordings: Any) -> WindowScores:
        """Window-level class probabilities (columns in the order of ``classes_``)."""
        check_is_fitted(self, "model_")
        recordings = _recordings(recordings)
        if self.kind_ == "map":
            proba = self.model_.predict_proba(self._maps(recordings))
            return WindowScores(self._columns(proba), np.arange(len(recordings)), self.classes_)
        windows = self._windows(self._at_rate(recordings), fitting=False)
        if list(windows.channels) != list(self.channels_):
            raise InputError(f"windows have channels {windows.channels}, the model "
                             f"{tuple(self.channels_)}")
        if self.kind_ == "multi":
            proba = self.model_.predict_proba((windows.X, self._maps(recordings),
                                               windows.recording))
        else:
            X = windows.X
            if hasattr(self, "x_mean_"):
                X = (X - self.x_mean_[None]) / self.x_scale_[None]
            proba = _svm_proba(self.model_, X) if self.model == "svm" else \
                self.model_.predict_proba(X)
        return WindowScores(self._columns(proba), windows.recording, self.classes_)

    def _columns(self, proba: np.ndarray) -> np.ndarray:
        """Probabilities in the order of ``classes_`` (a fold may lack a class)."""
        inner = np.asarray(self.model_.classes_)
        if len(inner) == len(self.classes_) and (inner == self.classes_).all():
            return np.asarray(proba, dtype=np.float64)
        out = np.zeros((len(proba), len(self.classes_)))
        out[:, np.searchsorted(self.classes_, inner)] = proba
        return out

    def predict_proba(self, recordings: Any) -> np.ndarray:
        """Recording-level probabilities: the mean window probability of every recording."""
        recordings = _recordings(recordings)
        return self.window_proba(recordings).recording_proba(len(recordings))

    def predict(self, recordings: Any) -> np.ndarray:
        """The most probable class of every recording."""
        proba = self.predict_proba(recordings)  # first: NotFittedError before classes_ is read
        return self.classes_[proba.argmax(axis=1)]

    @property
    def preprocessing_(self) -> dict[str, Any]:
        """What a model file records about the inputs (JSON-ready)."""
        check_is_fitted(self, "model_")
        return {"model": self.model, "input": self.kind_, "window_length": self.window,
                "step": self.step or max(1, self.window // 2), "features": list(self.features),
                "channels": self.channels_, "velocity_unit": self.velocity_unit_,
                "sampling_rate": self.sampling_rate_, "grid": list(self.grid),
                "sigma_deg": self.sigma_deg if self.has_screen_ else None,
                "sigma_px": self.sigma_px_, "extent_px": self.extent_,
                "heatmap_normalize": "max"}

    @preprocessing_.setter
    def preprocessing_(self, value: dict) -> None:
        # load_model attaches the stored dict; the fitted attributes already hold the same
        pass

    def onnx_spec(self) -> Any:
        """What ``gazelearn export`` writes: the network on windows and/or heat maps to class
        probabilities (a recording's are the mean over its windows, done by the caller).

        Raises
        ------
        InputError
            For the models that are not networks (tree, forest, knn, svm).
        """
        from gazelearn.nn.onnx_export import EXPORTABLE, OnnxTensor

        check_is_fitted(self, "model_")
        if not hasattr(self.model_, "onnx_spec"):
            raise InputError(f"cannot export the scanpath classifier's {self.model!r} model to "
                             f"ONNX: it is not a network; exportable are {EXPORTABLE}")
        spec, pre = self.model_.onnx_spec(), self.preprocessing_
        unit = self.velocity_unit_ or "units/s"
        windows = OnnxTensor("windows", spec.inputs[0].shape,
                             f"windows of {self.window} samples at {self.sampling_rate_} Hz, "
                             f"channels {', '.join(self.channels_)} (velocities in {unit}, "
                             "valid 1 or 0 with lost samples 0)")
        maps = OnnxTensor("heatmap", spec.inputs[-1].shape,
                          f"the recording's heat map, {self.grid[0]} x {self.grid[1]} cells "
                          "over the screen area, scaled to a maximum of 1")
        inputs = {"windows": (windows,), "map": (maps,), "multi": (windows, maps)}[self.kind_]
        output = OnnxTensor("probabilities", spec.outputs[0].shape,
                            "class probabilities per window (per map for heatmap-cnn), columns "
                            "in the order of metadata classes; a recording's are the mean over "
                            "its windows")
        return spec.renamed(inputs, (output,), {
            "classes": [str(c) for c in self.model_.classes_], "model": self.model,
            "window_length": pre["window_length"], "step": pre["step"],
            "channels": self.channels_, "velocity_unit": self.velocity_unit_,
            "velocity": "Savitzky-Golay derivative, order 2, 20-ms window "
                        "(gazelearn.preprocess.velocity)",
            "sampling_rate": self.sampling_rate_, "grid": list(self.grid),
            "sigma_deg": pre["sigma_deg"], "sigma_px": self.sigma_px_,
            "extent_px": self.extent_})

    # ------------------------------------------------------------------ model files
    def __gazelearn_state__(self) -> dict[str, Any]:
        check_is_fitted(self, "model_")
        inner = self.model_
        params = {k: v for k, v in inner.get_params(deep=False).items() if not callable(v)}
        state = {k: v for k, v in fitted_attributes(self).items()
                 if k.endswith("_") and not k.startswith("_") and k not in
                 ("model_", "model_info_")}
        state["inner"] = {"estimator": class_key(type(inner)), "params": params,
                          "state": inner.__gazelearn_state__()}
        return state

    def __gazelearn_restore__(self, state: dict[str, Any]) -> None:
        inner = state.pop("inner")
        cls = class_for_key(inner["estimator"])
        estimator = cls(**inner["params"])
        estimator.__gazelearn_restore__(inner["state"])
        vars(self).update(state)
        for name in ("extent_",):
            if getattr(self, name, None) is not None:
                setattr(self, name, tuple(getattr(self, name)))
        self.model_ = estimator


def load_classifier(path: str | Path) -> ScanpathClassifier:
    """Load a :class:`ScanpathClassifier` written by :func:`gazelearn.learn.save_model`.

    Raises
    ------
    InputError
        The file holds another kind of model (or is not a model file).
    """
    from gazelearn.learn.modelfile import load_model

    model = load_model(path)
    if not isinstance(model, ScanpathClassifier):
        raise InputError(f"{path} holds a {type(model).__name__}, not a scanpath classifier "
                         "(train one with gazelearn scanpath train)", source=path)
    return model
