"""The eyeball geometry blended with eye-image CNNs, once a calibration has many frames.

:class:`HybridGazeMapper` is what ``gazelearn track --calibrate`` fits when the calibration has
at least ``min_frames`` frames with a face (a 9-point calibration followed by a smooth-pursuit
sweep, a 100-dot collection): the :class:`~gazelearn.webcam.EyeballGazeMapper` as always, and
beside it ``networks`` small CNNs (:class:`~gazelearn.webcam.crop_model.CropGazeModel`, one
training seed each) trained on the same frames' normalised eye crops. The two read different
things -- the geometry MediaPipe's landmarks, the CNNs the pixels around the iris and the lids
-- and on ``webcam-crops-dev`` their errors barely correlate: the geometry's is mostly
vertical (the iris point moves little when the eye looks up or down), the CNNs' mostly
horizontal. Each axis of the result is therefore a fixed blend,
``(1 - w) * geometry + w * mean(CNNs)``, with ``weights = (w_x, w_y)`` chosen by pool
cross-validation (docs/results.md). With fewer frames the CNNs are not trained (a network
fitted on 27 frames is noise) and the mapper is the geometry alone.

A frame's row (:meth:`HybridGazeMapper.frame_input`) is the geometry's row followed by the
crop pixels; after a calibration without CNNs the pixels are not cut (zeros), so tracking costs
what the geometry costs. The CNNs run as one ONNX Runtime graph (their mean inside it,
exported when they are trained and kept in the model file): about a millisecond per frame,
where the three torch networks called one by one took ten times that.

Examples
--------
Too few frames for the CNNs: the mapper is the geometry.

>>> import numpy as np
>>> from gazelearn.webcam.calibration import calibration_targets
>>> from gazelearn.webcam.geometry_mapper import EyeballGazeMapper, synthetic_rows
>>> geometry = EyeballGazeMapper(screen=(1920, 1080), second_stage="none", prior_weight=0.0)
>>> targets = calibration_targets(9, (1920, 1080))
>>> rows = synthetic_rows(targets, geometry, eye_gain=0.8, kappa=(3.0, -2.0))
>>> mapper = HybridGazeMapper(screen=(1920, 1080),
...                           geometry_params={"second_stage": "none", "prior_weight": 0.0})
>>> crops = np.zeros((len(rows), mapper.input_size - rows.shape[1]))
>>> mapper.fit(np.hstack([rows, crops]), targets).networks_
[]
>>> bool(np.abs(mapper.predict(np.hstack([rows, crops])) - targets).max() < 1.0)
True
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from gazelearn.errors import InputError
from gazelearn.webcam.crop_model import CropGazeModel
from gazelearn.webcam.crops import EYE_CROP_SIZE
from gazelearn.webcam.geometry_mapper import EyeballGazeMapper, _open_enough

#: Per-axis weight of the CNNs' mean (x, y): chosen by pool cross-validation on
#: ``webcam-crops-dev`` with :data:`DEFAULT_NETWORKS`, :data:`DEFAULT_EPOCHS` and
#: :data:`GEOMETRY_DEFAULTS` (benchmarks/webcam_hybrid.py, docs/results.md).
DEFAULT_WEIGHTS = (0.4, 0.7)
#: Training epochs of each CNN: on the pool 40 / 80 / 160 / 320 epochs (3 networks) gave the
#: CNNs' mean 290 / 253 / 225 / 203 px and the best blend 201 / 192 / 185 / 172 px (the
#: geometry alone 205 px; 5 networks of 160 epochs instead of 3: 183 px). For the same
#: training time, 2 networks of 480 epochs beat 3 of 320 (blend 170.1 -> 166.7 px, both with
#: the geometry's alpha 100) and 1 of 960 (171.8 px).
DEFAULT_EPOCHS = 480
#: CNNs trained (seeds 0 .. n - 1), their mean blended: see :data:`DEFAULT_EPOCHS`.
DEFAULT_NETWORKS = 2
#: What the blend's geometry gets unless ``geometry_params`` says otherwise: its ridge stage
#: on the landmark features (from 100 frames, as the CNNs) shrunk 100 times harder than the
#: geometry's own default (alpha 1). Beside CNNs that learn from the pixels, the linear stage
#: on 14 landmark features mostly adds its own overfitting: by pool cross-validation the blend
#: went from 172.5 to 170.1 px with 3 networks of 320 epochs and from 168.3 to 166.7 px with
#: 2 of 480 (``benchmarks/webcam_hybrid.py --rescore-geometry``, docs/results.md).
GEOMETRY_DEFAULTS = {"alpha": 100.0}


class HybridGazeMapper(RegressorMixin, BaseEstimator):
    """Eyeball geometry, blended per axis with eye-crop CNNs when the calibration is large.

    Parameters
    ----------
    screen : (int, int) or dict, optional
        The screen, as for :class:`~gazelearn.webcam.EyeballGazeMapper` (None: set by
        :func:`~gazelearn.webcam.fit_profile` from the profile's screen).
    geometry_params : dict, optional
        Further parameters of the :class:`~gazelearn.webcam.EyeballGazeMapper`
        (``calibration``, ``camera_mm``, ``eyelid``, ``alpha``, ...), over
        :data:`GEOMETRY_DEFAULTS` (the ridge stage's ``alpha`` 100 in the blend).
    eyes : {"left", "right", "both"}
        The CNNs' input crops (:class:`~gazelearn.webcam.crop_model.CropGazeModel`; ``both``:
        two channels, better than the left eye alone on the pool, docs/results.md).
    networks : int
        CNNs trained, with seeds 0 .. networks - 1; their mean is blended (one network's
        error varies a lot with its seed on a few hundred frames; :data:`DEFAULT_NETWORKS`).
    epochs : int
        Training epochs of each CNN (:data:`DEFAULT_EPOCHS`: longer was better on the pool,
        up to the 480 measured; about two and a half minutes of CPU per network for 360 frames).
    min_frames : int
        Usable calibration frames (with a face) from which the CNNs are trained; fewer:
        the geometry alone.
    max_frames : int, optional
        The CNNs train on at most this many usable frames, evenly spaced in the rows' order
        (None: all). Training time grows with the frames; a browser calibration at 30-60
        frames per second sends several times the 479 frames measured, most of them near
        copies of their neighbours (``gazelearn server`` caps at 480). The geometry always
        fits on every frame.
    weights : (float, float)
        Weight of the CNNs' mean on x and on y (0: geometry only, 1: CNNs only).

    Attributes
    ----------
    geometry_ : EyeballGazeMapper
        The fitted geometry.
    networks_ : list of CropGazeModel
        The fitted CNNs (empty below ``min_frames``).
    n_features_in_ : int
    """

    #: what a frame's row holds (the :class:`~gazelearn.webcam.mapper.GazeMapper` protocol)
    inputs = "landmarks+crops"
    #: the first columns of a row: the geometry's (outlier frames are judged on them)
    landmark_columns = EyeballGazeMapper.input_size

    def __init__(self, screen=None, geometry_params: dict | None = None, eyes: str = "both",
                 networks: int = DEFAULT_NETWORKS, epochs: int = DEFAULT_EPOCHS,
                 min_frames: int = 100,
                 weights: tuple[float, float] = DEFAULT_WEIGHTS,
                 max_frames: int | None = None) -> None:
        self.screen = screen
        self.geometry_params = geometry_params
        self.eyes = eyes
        self.networks = networks
        self.epochs = epochs
        self.min_frames = min_frames
        self.weights = weights
        self.max_frames = max_frames

    # ------------------------------------------------------------------ rows
    def _geometry(self) -> EyeballGazeMapper:
        params = {**GEOMETRY_DEFAULTS, **(self.geometry_params or {})}
        if "screen" in params:
            raise InputError("geometry_params must not hold 'screen': give it as screen")
        return EyeballGazeMapper(screen=self.screen, **params)

    def _crops(self) -> CropGazeModel:
        return CropGazeModel(eyes=self.eyes, size=EYE_CROP_SIZE, epochs=self.epochs)

    @property
    def input_size(self) -> int:
        """Length of one frame's row: the geometry's values, then the crop pixels."""
        return self.landmark_columns + self._crops().input_size

    def frame_input(self, face, frame) -> np.ndarray:
        """One frame's row: :meth:`EyeballGazeMapper.frame_input`, then the eye crops' pixels
        (zeros once fitted without CNNs: they would not be read)."""
        # per frame: the fitted parts cut the rows when there are (no models built anew)
        geometry = getattr(self, "geometry_", None) or self._geometry()
        networks = getattr(self, "networks_", None)
        if networks == []:
            crops = np.zeros(self.input_size - self.landmark_columns)
        else:
            crops = (networks[0] if networks else self._crops()).frame_input(face, frame)
        geometry = geometry.frame_input(face)
        return np.concatenate([geometry, crops])

    def _check(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.input_size:
            raise InputError(f"expected rows of {self.input_size} values (frame_input), got "
                             f"shape {X.shape}")
        return X

    def _weights(self) -> np.ndarray:
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.shape != (2,) or not ((weights >= 0) & (weights <= 1)).all():
            raise InputError(f"weights must be two numbers in [0, 1] (x, y), got "
                             f"{self.weights!r}")
        return weights

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, groups=None) -> HybridGazeMapper:
        """Calibrate the geometry on the rows' first part and, from ``min_frames`` usable
        frames (a face, eyes open as the geometry's ``min_open_ratio`` asks), train the CNNs
        on their crops; ``groups`` is accepted and ignored."""
        X = self._check(X)
        weights = self._weights()
        if not (isinstance(self.networks, int) and self.networks >= 1):
            raise InputError(f"networks must be an integer >= 1, got {self.networks!r}")
        if self.max_frames is not None and not (isinstance(self.max_frames, int)
                                                and self.max_frames >= max(self.min_frames, 1)):
            raise InputError(f"max_frames must be None or an integer >= min_frames "
                             f"({self.min_frames}), got {self.max_frames!r}")
        g = self.landmark_columns
        self.geometry_ = self._geometry().fit(X[:, :g], y)
        usable = np.isfinite(X).all(axis=1) & np.isfinite(np.asarray(y, np.float64)).all(axis=1)
        # the frames the geometry calibrates on: squints and half blinks (the lids over the
        # iris) teach a CNN a look down as much as they mislead the geometry
        usable[usable] = _open_enough(X[usable, :g], self.geometry_.min_open_ratio)
        self.networks_ = []
        if usable.sum() >= self.min_frames and weights.any():
            usable = _evenly_spaced(usable, self.max_frames)
            screen = self.geometry_.geometry().screen
            for seed in range(self.networks):
                network = self._crops().set_params(seed=seed, screen_size=screen.size_px)
                self.networks_.append(network.fit(X[usable, g:], np.asarray(y)[usable]))
        # the networks' mean as one ONNX graph, kept in the model file: a profile loads and
        # tracks at once instead of exporting the networks again (seconds) on its first frame
        self.graph_ = _mean_graph(self.networks_) if self.networks_ else None
        self._session = None
        self.n_features_in_ = X.shape[1]
        return self

    def _networks_mean(self, X: np.ndarray) -> np.ndarray:
        from gazelearn.appearance.estimator import as_images

        session = getattr(self, "_session", None)
        if session is None:
            import onnxruntime as ort

            from gazelearn.detection.deep_inference import session_options

            if getattr(self, "graph_", None) is None:
                self.graph_ = _mean_graph(self.networks_)
            session = self._session = ort.InferenceSession(
                self.graph_.tobytes(), session_options(1), providers=["CPUExecutionProvider"])
        images = as_images(self.networks_[0].images(X[:, self.landmark_columns:]))
        return session.run(None, {"images": images})[0].astype(np.float64)

    def __getstate__(self) -> dict:
        # an ONNX Runtime session is neither copied nor pickled: it is rebuilt when needed
        state = super().__getstate__()
        state.pop("_session", None)
        return state

    def predict(self, X) -> np.ndarray:
        """``(n, 2)`` screen px; rows with a NaN give NaN."""
        check_is_fitted(self, "geometry_")
        X = self._check(X)
        out = self.geometry_.predict(X[:, :self.landmark_columns])
        if self.networks_:
            ok = np.isfinite(X).all(axis=1)
            if ok.any():
                w = self._weights()
                out[ok] = (1 - w) * out[ok] + w * self._networks_mean(X[ok])
            out[~ok] = np.nan
        return out

    def recalibrate_offset(self, X, target) -> np.ndarray:
        """Drift check: moves the geometry's kappa so that the blend meets ``target`` (px) on
        frames of one point; returns the change (deg). The CNNs stay."""
        check_is_fitted(self, "geometry_")
        X = self._check(X)
        X = X[np.isfinite(X).all(axis=1)]
        if not len(X):
            raise InputError("the drift check has no frame with a face")
        target = np.broadcast_to(np.asarray(target, dtype=np.float64), (len(X), 2))
        if self.networks_:
            w = self._weights()
            if (w >= 1).any():
                raise InputError("the drift check moves the geometry, which a weight of 1 "
                                 "leaves out")
            # what the geometry must reach for the blend to meet the target
            target = (target - w * self._networks_mean(X)) / (1 - w)
        return self.geometry_.recalibrate_offset(X[:, :self.landmark_columns], target)

    # ------------------------------------------------------------------ persistence
    def __gazelearn_state__(self) -> dict:
        check_is_fitted(self, "geometry_")
        return {"n_features_in_": self.n_features_in_,
                "geometry_": {"params": self.geometry_.get_params(),
                              "state": self.geometry_.__gazelearn_state__()},
                "networks_": [{"params": n.model_.get_params(),
                               "state": n.model_.__gazelearn_state__()}
                              for n in self.networks_],
                "graph_": getattr(self, "graph_", None)}

    def __gazelearn_restore__(self, state: dict) -> None:
        from gazelearn.appearance import GazeRegressor

        if state.get("n_features_in_") != self.input_size:
            raise InputError(f"the stored n_features_in_ must be {self.input_size}")
        geometry = EyeballGazeMapper(**state["geometry_"]["params"])
        geometry.__gazelearn_restore__(state["geometry_"]["state"])
        networks = []
        for stored in state.get("networks_") or []:
            model = GazeRegressor(**stored["params"])
            model.__gazelearn_restore__(stored["state"])
            network = self._crops()
            network.model_ = model
            network.n_features_in_ = network.input_size
            networks.append(network)
        graph = state.get("graph_")
        if graph is not None and (not isinstance(graph, np.ndarray) or graph.dtype != np.uint8
                                  or graph.ndim != 1 or not networks):
            raise InputError("the stored graph_ must be the networks' ONNX graph as bytes")
        self.geometry_, self.networks_, self.graph_ = geometry, networks, graph
        self._session = None
        self.n_features_in_ = self.input_size


def _mean_graph(networks: list[CropGazeModel]) -> np.ndarray:
    """The ONNX graph (bytes as uint8) of the mean of the networks' gaze points (px) from
    images in [0, 1] (:func:`gazelearn.appearance.estimator.as_images`)."""
    import torch

    from gazelearn.nn.onnx_export import OnnxSpec, graph_bytes

    specs = [network.model_.onnx_spec() for network in networks]

    class _Mean(torch.nn.Module):
        def __init__(self, parts: list[torch.nn.Module]) -> None:
            super().__init__()
            self.parts = torch.nn.ModuleList(parts)

        def forward(self, images: torch.Tensor) -> torch.Tensor:
            return torch.stack([part(images) for part in self.parts]).mean(dim=0)

    spec = OnnxSpec(_Mean([s.module for s in specs]).eval(), specs[0].inputs,
                    specs[0].outputs, specs[0].metadata)
    return np.frombuffer(graph_bytes(spec), dtype=np.uint8).copy()


def _evenly_spaced(mask: np.ndarray, limit: int | None) -> np.ndarray:
    """``mask`` with at most ``limit`` of its True entries kept, evenly spaced (None: all).

    Examples
    --------
    >>> _evenly_spaced(np.array([1, 1, 0, 1, 1, 1], bool), 3).astype(int).tolist()
    [1, 0, 0, 1, 0, 1]
    """
    chosen = np.flatnonzero(mask)
    if limit is None or len(chosen) <= limit:
        return mask
    out = np.zeros_like(mask)
    out[chosen[np.round(np.linspace(0, len(chosen) - 1, limit)).astype(int)]] = True
    return out
