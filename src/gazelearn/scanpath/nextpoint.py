"""The tutorial's next-point predictor: an LSTM reads the last 20 gaze points and predicts the next.

The ETRA 2021 tutorial (Kasprowski, ``animals.ipynb``) cuts every recording of one stimulus into
windows of 20 consecutive samples, trains a two-layer LSTM to predict the 21st sample and reports
the mean absolute error in pixels (about 57-64 px after 30 epochs, on a *random* split of windows,
so windows of one recording sat on both sides). Here the split is by recording: windows of one
recording are only ever on one side (``groups`` are recordings), and the network is trained by
gazelearn's one training loop (:class:`gazelearn.learn.NeuralRegressor` ->
:class:`gazelearn.nn.Trainer`).

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
from gazelearn.learn.registry import register_class
from gazelearn.metrics import mae
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


@register_class
class NextPointPredictor:
    """LSTM next-gaze-point regressor on windows of recordings (the tutorial's model).

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
    num_threads : int, optional
        CPU threads (1 when other work shares the machine).

    Examples
    --------
    >>> import numpy as np
    >>> from gazelearn import Recording
    >>> t = np.arange(80) / 50.0
    >>> recs = [Recording(t, 500 + 100 * np.cos(2 * t + p), 400 + 100 * np.sin(2 * t + p))
    ...         for p in (0.0, 1.0, 2.0)]
    >>> model = NextPointPredictor(length=5, epochs=2, num_threads=1,
    ...                            architecture_options={"hidden": 8}).fit(recs)
    >>> model.predict_next(recs[0]).shape, np.isfinite(model.score(recs)["mae_px"])
    ((75, 2), True)
    """

    def __init__(self, length: int = 20, architecture_options: dict | None = None,
                 epochs: int = 30, batch_size: int = 128, lr: float = 1e-3, loss: str = "l1",
                 validation_fraction: float = 0.2, seed: int = 0,
                 num_threads: int | None = None, progress: bool | None = None) -> None:
        self.length = length
        self.architecture_options = architecture_options
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.loss = loss
        self.validation_fraction = validation_fraction
        self.seed = seed
        self.num_threads = num_threads
        self.progress = progress

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Constructor parameters (scikit-learn's contract; stored in model files)."""
        names = ("length", "architecture_options", "epochs", "batch_size", "lr", "loss",
                 "validation_fraction", "seed", "num_threads", "progress")
        return {name: getattr(self, name) for name in names}

    def _regressor(self):
        from gazelearn.learn.base import NeuralRegressor

        return NeuralRegressor(
            "lstm", dict(self.architecture_options or TUTORIAL_LSTM), epochs=self.epochs,
            batch_size=self.batch_size, lr=self.lr, loss=self.loss,
            validation_fraction=self.validation_fraction, monitor="val_mae", seed=self.seed,
            device="cpu", num_threads=self.num_threads, progress=self.progress)

    def fit(self, recordings: Sequence[Recording]) -> NextPointPredictor:
        """Train on every window of ``recordings`` (validation: whole recordings)."""
        X, y, groups = point_sequences(list(recordings), self.length)
        self.regressor_ = self._regressor().fit(X, y, groups=groups)
        self.history_ = self.regressor_.history_
        self.training_summary_ = {"recordings": int(len(np.unique(groups))),
                                  "windows": int(len(X))}
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Next point (px) of windows ``(n, length, 2)``."""
        if not hasattr(self, "regressor_"):
            raise InputError("the next-point model is not trained: call fit first")
        return self.regressor_.predict(np.asarray(X, dtype=np.float32))

    def predict_next(self, recording: Recording) -> np.ndarray:
        """Predicted next point after every full window of one recording, shape (n, 2)."""
        X, _, _ = point_sequences([recording], self.length)
        return self.predict(X)

    def score(self, recordings: Sequence[Recording]) -> dict[str, float]:
        """Test MAE in px of the model and of the last-point baseline on ``recordings``.

        Also the mean Euclidean error (``error_px``) of both, since MAE averages x and y.
        """
        X, y, groups = point_sequences(list(recordings), self.length)
        predicted = self.predict(X)
        return {"mae_px": mae(y, predicted),
                "baseline_mae_px": last_point_baseline(X, y),
                "error_px": float(np.mean(np.hypot(*(y - predicted).T))),
                "baseline_error_px": float(np.mean(np.hypot(*(y - X[:, -1]).T))),
                "windows": int(len(X)), "recordings": int(len(np.unique(groups)))}

    # ------------------------------------------------------------------ model files
    def __gazelearn_state__(self) -> dict[str, Any]:
        if not hasattr(self, "regressor_"):
            raise ValueError("not fitted")
        return {"regressor_params_": self.regressor_.get_params(deep=False),
                "regressor_state_": self.regressor_.__gazelearn_state__(),
                "training_summary_": self.training_summary_}

    def __gazelearn_restore__(self, state: dict[str, Any]) -> None:
        from gazelearn.learn.base import NeuralRegressor

        regressor = NeuralRegressor(**state["regressor_params_"])
        regressor.__gazelearn_restore__(dict(state["regressor_state_"]))
        self.regressor_ = regressor
        self.history_ = regressor.history_
        self.training_summary_ = state.get("training_summary_", {})
