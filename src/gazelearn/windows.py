"""Windows: recordings cut into fixed-length multichannel sequences for learning.

:func:`make_windows` turns recordings (or a :class:`~gazelearn.Dataset`) into a
:class:`WindowSet`: ``X`` of shape ``(windows, length, channels)``, a target per window, per-sample
labels, the source recording of each window and a group per window, so that group splits never
put windows of one recording (or one person) on both sides.

Examples
--------
>>> windows, starts, mask = sliding_windows(np.arange(10.0), length=4, step=3)
>>> windows.shape, starts.tolist()
((3, 4, 1), [0, 3, 6])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from gazelearn.dataset import Dataset
from gazelearn.errors import InputError
from gazelearn.preprocess import velocity_deg, velocity_px
from gazelearn.recording import Recording

#: Features :func:`make_windows` can cut (velocities in deg/s with a screen, else px/s).
FEATURES = ("x", "y", "x_deg", "y_deg", "vx", "vy", "speed", "pupil")

def sliding_windows(values, length: int, step: int | None = None, pad: bool = False,
                    fill: float = np.nan, align_last: bool = False
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut a signal into fixed-length windows.

    Parameters
    ----------
    values : array_like, shape (n,) or (n, channels)
    length : int
        Window length in samples (>= 1).
    step : int, optional
        Hop between window starts (default ``length``: no overlap).
    pad : bool
        Also return a last, partial window holding the samples no full window covers (and a
        single window for a signal shorter than ``length``), padded with ``fill``.
    fill : float
        Value of padded positions (NaN or 0).
    align_last : bool
        With ``pad``, move that last window back so it ends at the last sample (all real
        samples, overlapping its neighbour more) instead of padding it; a signal shorter than
        ``length`` is still one padded window.

    Returns
    -------
    windows : numpy.ndarray, shape (k, length, channels)
    starts : numpy.ndarray of int, shape (k,)
        Index of each window's first sample.
    mask : numpy.ndarray of bool, shape (k, length)
        True for real samples, False for padding.

    Examples
    --------
    >>> w, starts, mask = sliding_windows(np.arange(7.0), length=3, step=2, pad=True, fill=0)
    >>> w[..., 0].tolist(), starts.tolist()
    ([[0.0, 1.0, 2.0], [2.0, 3.0, 4.0], [4.0, 5.0, 6.0]], [0, 2, 4])
    >>> sliding_windows(np.arange(8.0), 3, 2, pad=True, fill=0)[0][-1, :, 0].tolist()
    [6.0, 7.0, 0.0]
    >>> sliding_windows(np.arange(8.0), 3, 3, pad=True)[2].tolist()
    [[True, True, True], [True, True, True], [True, True, False]]
    >>> sliding_windows(np.arange(8.0), 3, 3, pad=True, align_last=True)[1].tolist()
    [0, 3, 5]
    """
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise InputError(f"expected shape (n,) or (n, channels), got {values.shape}")
    for name, value in (("length", length), ("step", length if step is None else step)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise InputError(f"window {name} must be an integer >= 1, got {value!r}")
    step = length if step is None else int(step)
    n, channels = values.shape
    n_full = 0 if n < length else (n - length) // step + 1
    starts = np.arange(n_full, dtype=np.int64) * step
    if pad and n_full * step < n and (n_full == 0 or (n_full - 1) * step + length < n):
        starts = np.append(starts, n - length if align_last and n_full else n_full * step)
    total = int(starts[-1]) + length if len(starts) else n
    if total > n:
        dtype = np.result_type(values.dtype, np.float64) if np.isnan(fill) else values.dtype
        values = np.concatenate([values.astype(dtype),
                                 np.full((total - n, channels), fill, dtype=dtype)])
    index = starts[:, None] + np.arange(length)[None, :]
    return values[index], starts, index < n


@dataclass
class WindowSet:
    """Fixed-length windows cut from many recordings, ready for a model.

    Attributes
    ----------
    X : numpy.ndarray, float32, shape (k, length, channels)
    y : numpy.ndarray or None, shape (k,)
        Per-window target: the target of the recording the window comes from.
    sample_labels : numpy.ndarray or None, int8, shape (k, length)
        Per-sample event codes when every recording has labels; -1 on padding.
    recording : numpy.ndarray of int, shape (k,)
        Index of each window's source recording.
    groups : numpy.ndarray, shape (k,)
        Group of each window for splitting (the recording index unless chosen otherwise).
    start : numpy.ndarray of int, shape (k,)
        First sample of each window in its recording.
    mask : numpy.ndarray of bool, shape (k, length)
        True on real samples, False on padding.
    channels : tuple of str
        Channel names (``"valid"`` last when NaN were filled).
    velocity_unit : str
        ``"deg/s"`` or ``"px/s"`` for ``vx``, ``vy``, ``speed`` (``""`` when not used).
    """

    X: np.ndarray
    y: np.ndarray | None
    sample_labels: np.ndarray | None
    recording: np.ndarray
    groups: np.ndarray
    start: np.ndarray
    mask: np.ndarray
    channels: tuple[str, ...]
    velocity_unit: str = ""

    def __len__(self) -> int:
        return len(self.X)

    def subset(self, index) -> WindowSet:
        """The windows at ``index`` (an index array or boolean mask)."""
        pick = lambda a: None if a is None else a[index]  # noqa: E731
        return replace(self, X=self.X[index], y=pick(self.y),
                       sample_labels=pick(self.sample_labels), recording=self.recording[index],
                       groups=self.groups[index], start=self.start[index], mask=self.mask[index])


def feature_matrix(recording: Recording, features: Sequence[str] = ("vx", "vy"),
                   velocity_unit: str = "auto", window_s: float = 0.02
                   ) -> tuple[np.ndarray, str]:
    """Per-sample features of a recording as an ``(n, len(features))`` float64 array.

    Parameters
    ----------
    recording : Recording
    features : sequence of str
        From ``x``, ``y`` (px), ``x_deg``, ``y_deg``, ``vx``, ``vy``, ``speed``, ``pupil``.
    velocity_unit : {"auto", "deg", "px"}
        Unit of ``vx``, ``vy``, ``speed``: deg/s (needs the screen), px/s, or deg/s when the
        screen is known and px/s otherwise.
    window_s : float
        Savitzky-Golay window for velocities.

    Returns
    -------
    values : numpy.ndarray
    unit : str
        ``"deg/s"``, ``"px/s"``, or ``""`` when no velocity feature was asked for.

    Examples
    --------
    >>> rec = Recording(np.arange(10) / 100.0, np.arange(10.0), np.zeros(10))
    >>> values, unit = feature_matrix(rec, ("x", "vx"))
    >>> values.shape, unit, round(float(values[5, 1]), 6)
    ((10, 2), 'px/s', 100.0)
    """
    unknown = [f for f in features if f not in FEATURES]
    if unknown or not features:
        raise InputError(f"unknown features {unknown}; expected some of {', '.join(FEATURES)}")
    if velocity_unit not in ("auto", "deg", "px"):
        raise InputError(f"velocity_unit must be 'auto', 'deg' or 'px', got {velocity_unit!r}")
    columns, unit = {}, ""
    if {"x_deg", "y_deg"} & set(features):
        columns["x_deg"], columns["y_deg"] = recording.position_deg()
    if {"vx", "vy", "speed"} & set(features):
        use_deg = velocity_unit == "deg" or (velocity_unit == "auto" and recording.has_geometry)
        if use_deg:
            columns["vx"], columns["vy"] = velocity_deg(recording, window_s)
        else:
            columns["vx"], columns["vy"] = velocity_px(recording, window_s)
        columns["speed"] = np.hypot(columns["vx"], columns["vy"])
        unit = "deg/s" if use_deg else "px/s"
    if "pupil" in features and recording.pupil is None:
        raise InputError("feature 'pupil' asked for, but the recording has no pupil data",
                         source=recording.meta.source)
    columns.update(x=recording.x, y=recording.y, pupil=recording.pupil)
    return np.stack([columns[f] for f in features], axis=1).astype(np.float64), unit


def _per_recording(values, data, name: str, n: int) -> np.ndarray | None:
    if values is None:
        return None
    if isinstance(values, str):
        return np.asarray((data if isinstance(data, Dataset) else Dataset(data)).column(values))
    values = np.asarray(values)
    if len(values) != n:
        raise InputError(f"{name} has {len(values)} values for {n} recordings")
    return values


def make_windows(data, length: int, step: int | None = None,
                 features: Sequence[str] = ("vx", "vy"), pad: bool = False, targets=None,
                 groups=None, fill_nan: bool = True, max_lost: float | None = None,
                 velocity_unit: str = "auto", window_s: float = 0.02) -> WindowSet:
    """Cut recordings into fixed-length multichannel windows with targets and groups.

    Parameters
    ----------
    data : Dataset or sequence of Recording
    length, step, pad
        As in :func:`sliding_windows`.
    features : sequence of str
        Channels (see :func:`feature_matrix`); velocities are computed on the whole recording
        before cutting.
    targets : str or array_like, optional
        One target per recording (for example a class label), or the name of a metadata column.
    groups : str or array_like, optional
        One group per recording (for example ``"subject"``) or a metadata column name; default
        the recording index, so windows of one recording stay together in any split.
    fill_nan : bool
        Replace NaN (lost samples, velocity near gaps, padding) by 0 and add a ``"valid"``
        channel (1 on usable samples, 0 elsewhere). Otherwise NaN stay in ``X``.
    max_lost : float, optional
        Drop windows whose share of unusable real samples exceeds this (0..1).
    velocity_unit : {"auto", "deg", "px"}
        "auto" uses deg/s when every recording has a screen, px/s when none has; a mix is an
        error, since one channel would carry two units.

    Returns
    -------
    WindowSet

    Examples
    --------
    >>> from gazelearn import Metadata
    >>> recs = [Recording(np.arange(n) / 100.0, np.arange(n, dtype=float), np.zeros(n),
    ...                   meta=Metadata(subject=s)) for n, s in [(10, "a"), (7, "b")]]
    >>> ws = make_windows(recs, length=4, features=("x", "y"), targets=[0, 1], groups="subject")
    >>> ws.X.shape, ws.y.tolist(), ws.groups.tolist(), ws.start.tolist()
    ((3, 4, 3), [0, 0, 1], ['a', 'a', 'b'], [0, 4, 0])
    >>> ws.channels
    ('x', 'y', 'valid')
    """
    recordings = list(data)
    n_rec = len(recordings)
    if max_lost is not None and not 0 <= max_lost <= 1:
        raise InputError(f"max_lost must be in 0..1, got {max_lost!r}")
    if velocity_unit == "auto" and {"vx", "vy", "speed"} & set(features):
        with_screen = {rec.has_geometry for rec in recordings}
        if len(with_screen) > 1:
            raise InputError("some recordings have a screen and some do not: velocities would "
                             "mix deg/s and px/s; pass velocity_unit='px' or add the screens")
    target_values = _per_recording(targets, data, "targets", n_rec)
    group_values = _per_recording(groups, data, "groups", n_rec)
    if group_values is None:
        group_values = np.arange(n_rec)
    labelled = n_rec > 0 and all(rec.labels is not None for rec in recordings)
    parts: dict[str, list] = {k: [] for k in ("X", "labels", "rec", "start", "mask", "lost")}
    unit = ""
    for index, rec in enumerate(recordings):
        values, unit = feature_matrix(rec, features, velocity_unit, window_s)
        windows, starts, mask = sliding_windows(values, length, step, pad)
        usable = np.isfinite(windows).all(axis=2) & mask
        lost = (mask & ~usable).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
        parts["X"].append(windows)
        parts["mask"].append(mask)
        parts["lost"].append(lost)
        parts["start"].append(starts)
        parts["rec"].append(np.full(len(starts), index, dtype=np.int64))
        if labelled:
            labels = sliding_windows(rec.labels.astype(np.int16), length, step, pad, fill=-1)[0]
            parts["labels"].append(labels[..., 0].astype(np.int8))
    channels = tuple(features)
    if not any(len(s) for s in parts["start"]):
        X = np.zeros((0, length, len(channels)))
        mask = np.zeros((0, length), dtype=bool)
        lost, starts, rec_index = np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64)
        labels = np.zeros((0, length), np.int8) if labelled else None
    else:
        X, mask, lost = (np.concatenate(parts[k]) for k in ("X", "mask", "lost"))
        starts, rec_index = np.concatenate(parts["start"]), np.concatenate(parts["rec"])
        labels = np.concatenate(parts["labels"]) if labelled else None
    if fill_nan:
        usable = np.isfinite(X).all(axis=2) & mask
        X = np.concatenate([np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0),
                            usable[..., None].astype(X.dtype)], axis=2)
        channels += ("valid",)
    window_set = WindowSet(
        X=X.astype(np.float32), y=None if target_values is None else target_values[rec_index],
        sample_labels=labels, recording=rec_index, groups=group_values[rec_index],
        start=starts, mask=mask, channels=channels, velocity_unit=unit)
    if max_lost is not None:
        window_set = window_set.subset(np.flatnonzero(lost <= max_lost + 1e-12))
    return window_set
