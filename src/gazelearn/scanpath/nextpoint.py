"""The tutorial's next-point predictor: an LSTM reads the last 20 gaze points and predicts the next.

The ETRA 2021 tutorial (Kasprowski, ``animals.ipynb``) cuts every recording of one stimulus into
windows of 20 consecutive samples, trains a two-layer LSTM to predict the 21st sample and reports
the mean absolute error in pixels (about 57-64 px after 30 epochs, on a *random* split of windows,
so windows of one recording sat on both sides). Here the split is by recording: windows of one
recording are only ever on one side (``groups`` are recordings), and the network is trained by
gazelearn's one fit skeleton (:class:`NextPointPredictor` is a
:class:`gazelearn.learn.NeuralRegressor` with the tutorial's LSTM).

At 50-60 Hz consecutive samples are close, so the trivial "the next point is the last point"
(:func:`last_point_baseline`) is hard to beat; every MAE reported by gazelearn sits next to it.
MAE follows the tutorial's (Keras) definition: the mean over x and y of the absolute error in px.

Examples
--------
>>> import numpy as np
>>> from gazelearn import Recording
>>> t = np.arange(60) / 50.0
>>> rec = Recording(t, 500 + 100 * np.cos(2 * t), 400 + 100 * np.sin(2 * t))
>>> X, y, groups = point_sequences([rec], length=20)
>>> X.shape, y.shape, float(last_point_baseline(X, y)) < 5
((40, 20, 2), (40, 2), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gazelearn.errors import InputError
from gazelearn.learn.base import NeuralRegressor
from gazelearn.learn.registry import register_class
from gazelearn.learn.torch_estimator import TrainingData
from gazelearn.metrics import mae
from gazelearn.nn.architectures import build
from gazelearn.recording import Recording
from gazelearn.windows import sliding_windows

#: The tutorial's network: LSTM(128) -> LSTM(128) -> dense; here one linear head after the LSTM.
TUTORIAL_LSTM = {"hidden": 128, "layers": 2, "bidirectional": False, "dropout": 0.0}


def point_sequences(recordings: Sequence[Recording], length: int = 20
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows of ``length`` gaze points and the point after each, with the recording index.

    Windows touching a lost sample (NaN) are left out.

    Returns
    -------
    X : array (n, length, 2)
        x, y in px of ``length`` consecutive samples.
    y : array (n, 2)
        The next sample's x, y.
    groups : array (n,)
        Index of the recording each window comes from (for leak-free splits).
    """
    if int(length) != length or length < 1:
        raise InputError(f"the sequence length must be a positive whole number, got {length}")
    xs, ys, gs = [], [], []
    for index, rec in enumerate(recordings):
        if not isinstance(rec, Recording):
            raise InputError(f"expected Recordings, got a {type(rec).__name__}")
        if len(rec) <= length:
            continue
        points = np.column_stack([rec.x, rec.y]).astype(np.float64)
        windows, starts, _ = sliding_windows(points[:-1], length, step=1)
        targets = points[starts + length]
        keep = np.isfinite(windows).all(axis=(1, 2)) & np.isfinite(targets).all(axis=1)
        xs.append(windows[keep])
        ys.append(targets[keep])
        gs.append(np.full(int(keep.sum()), index))
    if not xs or sum(len(x) for x in xs) == 0:
        raise InputError(f"no recording is longer than {length} valid samples: nothing to learn")
    return (np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.float32),
            np.concatenate(gs))


def last_point_baseline(X: np.ndarray, y: np.ndarray) -> float:
    """MAE (px, mean over x and y) of predicting that the next point is the last one."""
    X = np.asarray(X)
    return mae(y, X[:, -1, :])


def _is_recordings(X: Any) -> bool:
    return isinstance(X, list | tuple) and len(X) > 0 and isinstance(X[0], Recording)


@register_class
class NextPointPredictor(NeuralRegressor):
    """LSTM next-gaze-point regressor on windows of recordings (the tutorial's model).

    A :class:`~gazelearn.learn.NeuralRegressor` whose network is the ``lstm`` architecture and
    whose ``fit`` also takes recordings (cut by :func:`point_sequences`); inputs and targets are
    standardised, the best checkpoint is the epoch of the lowest validation MAE.

    Parameters
    ----------
    length : int
        Points per input window (the tutorial's 20).
    architecture_options : dict, optional
        Options of the ``lstm`` architecture; default :data:`TUTORIAL_LSTM`.
    epochs, batch_size, lr : int, int, float
        Training (the tutorial: 30 epochs, batch 128, Adam at 1e-3, L1 loss).
    loss : str
        ``l1`` (the tutorial's MAE loss) or ``mse``, on standardised targets.
    validation_fraction : float
        Share of training *recordings* held out for the best checkpoint.
    seed : int
    device : str
        ``auto`` (GPU when available), ``cpu`` or ``cuda:N``.
    num_threads : int, optional
        CPU threads (1 when other work shares the machine).
    progress : bool, optional

    Examples
    --------
    >>> import numpy as np
    >>> from gazelearn import Recording
    >>> t = np.arange(80) / 50.0
    >>> recs = [Recording(t, 500 + 100 * np.cos(2 * t + p), 400 + 100 * np.sin(2 * t + p))
    ...         for p in (0.0, 1.0, 2.0)]
    >>> model = NextPointPredictor(length=5, epochs=2, num_threads=1,
    ...                            architecture_options={"hidden": 8}).fit(recs)
    >>> model.predict_next(recs[0]).shape, np.isfinite(model.evaluate(recs)["mae_px"])
    ((75, 2), True)
    """

    # the tutorial's fixed choices, not parameters: standardised data, plain shuffled batches
    standardize = True
    batch_sampler = None
    _training_defaults = {"monitor": "val_mae"}

    def __init__(self, length: int = 20, architecture_options: dict | None = None,
                 epochs: int = 30, batch_size: int = 128, lr: float = 1e-3, loss: str = "l1",
                 validation_fraction: float = 0.2, seed: int = 0, device: str = "auto",
                 num_threads: int | None = None, progress: bool | None = None) -> None:
        self.length = length
        self.architecture_options = architecture_options
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.loss = loss
        self.validation_fraction = validation_fraction
        self.seed = seed
        self.device = device
        self.num_threads = num_threads
        self.progress = progress

    def _training_data(self, X: Any, y: Any, groups: Any) -> TrainingData:
        """Recordings (cut into windows; groups: the recordings), or windows ``(n, length, 2)``
        with the next points ``y`` ``(n, 2)``."""
        if _is_recordings(X):
            X, y, groups = point_sequences(list(X), self.length)
        data = super()._training_data(X, y, groups)
        data.summary.update(windows=int(len(X)), **(
            {} if groups is None else {"recordings": int(len(np.unique(groups)))}))
        return data

    def _build_network(self) -> Any:
        return build("lstm", self.input_shape_, self.n_outputs_,
                     **dict(self.architecture_options or TUTORIAL_LSTM))

    def predict(self, X: Any) -> np.ndarray:
        """Next point (px) of windows ``(n, length, 2)``."""
        return super().predict(np.asarray(X, dtype=np.float32))

    def onnx_spec(self) -> Any:
        """What :func:`gazelearn.nn.onnx_export.export_onnx` writes: ``length`` gaze points
        (px) to the next one (px)."""
        from gazelearn.nn.onnx_export import OnnxTensor

        spec = super().onnx_spec()
        return spec.renamed(
            (OnnxTensor("input", spec.inputs[0].shape, f"the last {self.length} gaze points x, "
                        "y in px, oldest first"),),
            (OnnxTensor("output", spec.outputs[0].shape, "the next gaze point x, y in px"),),
            {"length": self.length})

    def predict_next(self, recording: Recording) -> np.ndarray:
        """Predicted next point after every full window of one recording, shape (n, 2)."""
        X, _, _ = point_sequences([recording], self.length)
        return self.predict(X)

    def evaluate(self, recordings: Sequence[Recording]) -> dict[str, float]:
        """Test MAE in px of the model and of the last-point baseline on ``recordings``.

        Also the mean Euclidean error (``error_px``) of both, since MAE averages x and y. The
        numbers only mean something side by side, so this is a dict; ``score(X, y)`` is
        scikit-learn's one float (R^2 on windows), as for every regressor.
        """
        X, y, groups = point_sequences(list(recordings), self.length)
        predicted = self.predict(X)
        return {"mae_px": mae(y, predicted),
                "baseline_mae_px": last_point_baseline(X, y),
                "error_px": float(np.mean(np.hypot(*(y - predicted).T))),
                "baseline_error_px": float(np.mean(np.hypot(*(y - X[:, -1]).T))),
                "windows": int(len(X)), "recordings": int(len(np.unique(groups)))}

    # ------------------------------------------------------------------ model files
    def __gazelearn_restore__(self, state: dict[str, Any]) -> None:
        if "regressor_state_" in state:  # files written when the predictor wrapped a regressor
            state = {**state["regressor_state_"],
                     "training_summary_": state.get("training_summary_", {})}
        super().__gazelearn_restore__(state)
