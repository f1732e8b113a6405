"""Windows of eye-movement velocity, one set per recording, with the person of each recording.

Biometric models see short windows (about 1 s) of horizontal and vertical velocity (deg/s when
the screen is known, else px/s) plus a ``valid`` channel (1 on usable samples). Window lengths
are given in seconds and turned into samples with the recordings' sampling rate, so one model
can be stored with its rate and refuse recordings sampled at another.

Examples
--------
>>> from gazelearn.simulate import simulate_population
>>> data = simulate_population(n_subjects=2, recordings_per_subject=1, duration_s=3.0,
...                            sampling_rate=100.0)
>>> spec = WindowSpec(length_s=1.0, step_s=0.5)
>>> ws = velocity_windows(data, spec, persons=data.column("subject"))
>>> ws.X.shape[1:], ws.channels, sorted(set(ws.y))
((100, 3), ('vx', 'vy', 'valid'), ['s00', 's01'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gazelearn.errors import InputError
from gazelearn.windows import WindowSet, make_windows

#: Channels every biometric window carries (velocity components, then the validity flag).
FEATURES = ("vx", "vy")


@dataclass(frozen=True)
class WindowSpec:
    """How recordings are cut: window and step in seconds, lost-data limit, velocity clip.

    Attributes
    ----------
    length_s, step_s : float
        Window length and hop in seconds (``step_s < length_s`` overlaps windows).
    max_lost : float
        Windows with a larger share of unusable samples are not used for training (a recording
        whose windows are all that bad keeps them all, so every recording gets an embedding).
    clip : float
        Velocities are clipped to ``+-clip`` (deg/s or px/s): blink edges and tracker glitches
        give spikes of thousands of deg/s that would dominate the standardisation.
    log_scale : bool
        Use ``sign(v) * log(1 + |v|)``: velocities span four orders of magnitude (tremor and
        drift below 1 deg/s, saccades at hundreds), and person-specific traits live at both
        ends; on a linear scale the standardised fixation signal would be almost zero.
    """

    length_s: float = 1.0
    step_s: float = 0.5
    max_lost: float = 0.5
    clip: float = 1000.0
    log_scale: bool = True

    def samples(self, sampling_rate: float) -> tuple[int, int]:
        """Window length and step in samples at ``sampling_rate``."""
        length = max(int(round(self.length_s * sampling_rate)), 2)
        step = max(int(round(self.step_s * sampling_rate)), 1)
        return length, step

    def to_dict(self) -> dict[str, float]:
        """The specification as a plain dict (stored in model files)."""
        return asdict(self)


def common_rate(recordings: Sequence, tolerance: float = 0.1) -> float:
    """The sampling rate shared by ``recordings`` (median), or an error naming the odd one out.

    Raises
    ------
    InputError
        A recording has no measurable rate, or rates differ by more than ``tolerance``
        (a window of N samples would cover different durations).
    """
    rates = []
    for i, rec in enumerate(recordings):
        rate = rec.sampling_rate
        if not rate or not np.isfinite(rate):
            raise InputError("cannot measure the sampling rate (too few timestamps?)",
                             source=rec.meta.source or f"recording {i}")
        rates.append(float(rate))
    if not rates:
        raise InputError("no recordings given")
    median = float(np.median(rates))
    for rec, rate in zip(recordings, rates, strict=True):
        if abs(rate - median) > tolerance * median:
            raise InputError(f"sampled at {rate:.1f} Hz while the others are at about "
                             f"{median:.1f} Hz; resample first (gazelearn.preprocess.resample)",
                             source=rec.meta.source)
    return median


def velocity_windows(recordings: Sequence, spec: WindowSpec = WindowSpec(),
                     persons: Sequence | None = None, sampling_rate: float | None = None,
                     velocity_unit: str = "auto", drop_lost: bool = True) -> WindowSet:
    """Cut recordings into windows of velocity with a ``valid`` channel.

    Parameters
    ----------
    recordings : Dataset or sequence of Recording
    spec : WindowSpec
        Window length, step, lost-data limit and clip.
    persons : sequence, optional
        The person of each recording; becomes ``y`` (and ``groups``) of every window.
    sampling_rate : float, optional
        Rate that fixes the window length in samples (a stored model's rate); default the
        recordings' common rate (see :func:`common_rate`).
    velocity_unit : {"auto", "deg", "px"}
        As in :func:`gazelearn.windows.make_windows`.
    drop_lost : bool
        Drop windows with more than ``spec.max_lost`` unusable samples (but keep all windows of
        a recording that has no better ones). Recordings shorter than one window always give one
        window, padded with invalid samples.

    Returns
    -------
    WindowSet
        ``recording`` indexes ``recordings``; ``y`` holds the persons (None without them).
    """
    recordings = list(recordings)
    if not recordings:
        raise InputError("no recordings given")
    rate = float(sampling_rate) if sampling_rate else common_rate(recordings)
    length, step = spec.samples(rate)
    targets = None if persons is None else np.asarray(list(persons), dtype=object).astype(str)
    if targets is not None and len(targets) != len(recordings):
        raise InputError(f"{len(targets)} persons given for {len(recordings)} recordings")
    ws = make_windows(recordings, length, step, features=FEATURES, pad=True, targets=targets,
                      groups=targets, fill_nan=True, velocity_unit=velocity_unit)
    velocity = np.clip(ws.X[..., :2], -spec.clip, spec.clip)
    if spec.log_scale:
        velocity = np.sign(velocity) * np.log1p(np.abs(velocity))
    ws.X[..., :2] = velocity
    if drop_lost:
        ws = ws.subset(_usable_windows(ws, spec.max_lost, len(recordings)))
    return ws


def lost_share(ws: WindowSet) -> np.ndarray:
    """Share of each window's real samples that are unusable (from the ``valid`` channel)."""
    valid = ws.X[..., -1] > 0.5
    real = np.maximum(ws.mask.sum(axis=1), 1)
    return 1.0 - (valid & ws.mask).sum(axis=1) / real


def _usable_windows(ws: WindowSet, max_lost: float, n_recordings: int) -> np.ndarray:
    lost = lost_share(ws)
    keep = lost <= max_lost + 1e-12
    for index in range(n_recordings):
        mine = ws.recording == index
        if mine.any() and not keep[mine].any():
            keep |= mine  # no good window: an embedding from bad ones beats none
    return np.flatnonzero(keep)


def persons_of(recordings: Sequence, persons: Sequence | None = None) -> np.ndarray:
    """Persons of ``recordings``: as given, else each recording's ``subject`` metadata.

    Raises
    ------
    InputError
        Neither given nor in the metadata (name the file).
    """
    recordings = list(recordings)
    if persons is not None:
        persons = np.asarray(list(persons), dtype=object).astype(str)
        if len(persons) != len(recordings):
            raise InputError(f"{len(persons)} persons given for {len(recordings)} recordings")
        return persons
    found: list[Any] = []
    for i, rec in enumerate(recordings):
        if rec.meta.subject is None:
            raise InputError("no person for this recording: give labels (a LABELS.csv table) "
                             "or read it with a format that knows the subject",
                             source=rec.meta.source or f"recording {i}")
        found.append(str(rec.meta.subject))
    return np.asarray(found, dtype=object).astype(str)
