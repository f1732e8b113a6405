"""The :class:`Recording`: one stream of gaze samples on a screen.

A recording holds time (s, float64, starting wherever the tracker's clock started), gaze position
``x``, ``y`` in screen pixels, optional pupil size, optional per-sample event labels (codes of
:class:`gazelearn.labels.Label`), the :class:`~gazelearn.screen.Screen` when it is known (its
resolution at least; degrees need its size in mm and the viewing distance too),
and :class:`Metadata`. Lost samples have NaN positions, never (0, 0): readers convert the
tracker-specific "lost" markers.

Examples
--------
>>> import numpy as np
>>> rec = Recording(time=np.arange(5) / 500.0, x=np.array([1.0, 2, np.nan, 4, 5]),
...                 y=np.zeros(5))
>>> rec.sampling_rate, rec.lost_fraction
(500.0, 0.2)
>>> rec.timing().n_duplicates
0
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from gazelearn.errors import InputError, MissingScreenError
from gazelearn.labels import LABELS
from gazelearn.screen import SCREEN_HINT, Screen

#: Metadata columns every recording has (``None`` when unknown).
METADATA_FIELDS = ("subject", "session", "stimulus", "trial", "source", "format")


@dataclass
class Metadata:
    """What is known about a recording besides its samples.

    ``extra`` takes anything else a reader finds (tracker model, eye, coder, class label ...).
    """

    subject: str | None = None
    session: str | None = None
    stimulus: str | None = None
    trial: str | None = None
    source: str | None = None
    format: str | None = None
    extra: dict = field(default_factory=dict)

    def as_row(self) -> dict:
        """A flat dictionary: the standard fields followed by ``extra``."""
        row = {name: getattr(self, name) for name in METADATA_FIELDS}
        row.update(self.extra)
        return row


@dataclass(frozen=True)
class TimingReport:
    """How regular a recording's timestamps are.

    Attributes
    ----------
    sampling_rate : float
        Nominal rate in Hz: the inverse of the median positive inter-sample interval.
    n_duplicates : int
        Intervals of zero length (repeated timestamps).
    n_irregular : int
        Positive intervals deviating more than 25 % from the median interval.
    n_gaps : int
        Intervals longer than twice the median (missing samples in time).
    longest_gap_s : float
        The longest interval in seconds.
    """

    sampling_rate: float
    n_duplicates: int
    n_irregular: int
    n_gaps: int
    longest_gap_s: float

    @property
    def regular(self) -> bool:
        """True when no interval is duplicated, irregular or a gap."""
        return self.n_duplicates == 0 and self.n_irregular == 0 and self.n_gaps == 0

    def describe(self) -> str:
        """A one-line human description."""
        if self.regular:
            return f"{self.sampling_rate:.1f} Hz, regular"
        parts = [f"{self.sampling_rate:.1f} Hz"]
        if self.n_duplicates:
            parts.append(f"{self.n_duplicates} duplicated timestamps")
        if self.n_irregular:
            parts.append(f"{self.n_irregular} irregular intervals")
        if self.n_gaps:
            parts.append(f"{self.n_gaps} gaps (longest {self.longest_gap_s * 1000:.0f} ms)")
        return ", ".join(parts)


def _as_1d(name: str, values, dtype, n: int | None, source: str | None) -> np.ndarray:
    array = np.asarray(values, dtype=dtype)
    if array.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got shape {array.shape}", source=source)
    if n is not None and len(array) != n:
        raise InputError(f"{name} has {len(array)} values, expected {n} (one per sample)",
                         source=source)
    return array


def positive_intervals(steps: np.ndarray) -> tuple[np.ndarray, float]:
    """The positive values of ``steps`` (sample intervals) and their median.

    The median is ``np.median``'s (partition, then the mean of the middle one or two values),
    taken in place on the new array of positive intervals, which is returned partitioned (its
    order lost): no further copy of every interval, which matters for hours of samples.

    Examples
    --------
    >>> positive, median = positive_intervals(np.array([0.002, 0.0, 0.004, 0.002, 0.003]))
    >>> sorted(positive.tolist()), median
    ([0.002, 0.002, 0.003, 0.004], 0.0025)
    """
    positive = steps[steps > 0]
    return positive, _median_in_place(positive)


#: Samples per piece when intervals are taken piece by piece (temporaries of 2 MiB, not n).
_BLOCK = 1 << 18


def _positive_steps(time: np.ndarray) -> tuple[np.ndarray, int]:
    """``np.diff(time)``'s positive values in order, and how many are 0, without holding every
    interval besides them (an hour at 500 Hz is 1.8 M; issue 14: memory within 3x the file)."""
    count = duplicates = 0
    for lo in range(0, max(len(time) - 1, 0), _BLOCK):
        steps = np.diff(time[lo:lo + _BLOCK + 1])
        count += int(np.count_nonzero(steps > 0))
        duplicates += int(np.count_nonzero(steps == 0))
    positive, w = np.empty(count), 0
    for lo in range(0, max(len(time) - 1, 0), _BLOCK):
        steps = np.diff(time[lo:lo + _BLOCK + 1])
        part = steps[steps > 0]
        positive[w:w + part.size] = part
        w += part.size
    return positive, duplicates


def _median_in_place(positive: np.ndarray) -> float:
    """``np.median(positive)`` by partitioning ``positive`` itself (NaN when empty)."""
    if positive.size == 0:
        return float("nan")
    middle = positive.size // 2
    kth = (middle,) if positive.size % 2 else (middle - 1, middle)
    positive.partition(kth)
    return float(np.mean(positive[kth[0]:middle + 1]))


@dataclass(eq=False)
class Recording:
    """Gaze samples of one recording.

    Parameters
    ----------
    time : array_like of float
        Timestamps in seconds; must not decrease.
    x, y : array_like of float
        Gaze position in screen pixels; NaN where the sample is lost.
    pupil : array_like of float, optional
        Pupil size in the tracker's unit.
    labels : array_like of int, optional
        Per-sample event label codes (see :mod:`gazelearn.labels`).
    screen : Screen, optional
        The screen; anything in degrees needs its physical fields (see :attr:`has_geometry`).
    meta : Metadata, optional
        Subject, session, stimulus, trial, source file, ...

    Raises
    ------
    InputError
        When arrays differ in length, time decreases or is not finite, or labels are unknown.
    """

    time: np.ndarray
    x: np.ndarray
    y: np.ndarray
    pupil: np.ndarray | None = None
    labels: np.ndarray | None = None
    screen: Screen | None = None
    meta: Metadata = field(default_factory=Metadata)

    def __post_init__(self) -> None:
        source = self.meta.source if self.meta else None
        self.time = _as_1d("time", self.time, np.float64, None, source)
        n = len(self.time)
        self.x = _as_1d("x", self.x, np.float64, n, source)
        self.y = _as_1d("y", self.y, np.float64, n, source)
        if self.pupil is not None:
            self.pupil = _as_1d("pupil", self.pupil, np.float64, n, source)
        if self.labels is not None:
            labels = _as_1d("labels", self.labels, np.int64, n, source)
            if n and (labels.min() < 0 or labels.max() >= len(LABELS)):
                raise InputError(f"labels must be codes 0..{len(LABELS) - 1}", source=source)
            self.labels = labels.astype(np.int8)
        if not np.all(np.isfinite(self.time)):
            bad = int(np.flatnonzero(~np.isfinite(self.time))[0])
            raise InputError(f"time is not finite at sample {bad}", source=source)
        steps = np.diff(self.time)
        if np.any(steps < 0):
            bad = int(np.flatnonzero(steps < 0)[0]) + 1
            raise InputError(
                f"time goes backwards at sample {bad} ({self.time[bad - 1]!r} -> "
                f"{self.time[bad]!r}); expected non-decreasing timestamps",
                source=source,
            )
        # one notion of "lost": both coordinates NaN together (copied only where they disagree:
        # readers already mark both, and a copy of hours of samples is not free)
        x_nan, y_nan = np.isnan(self.x), np.isnan(self.y)
        if not np.array_equal(x_nan, y_nan):
            lost = x_nan | y_nan
            self.x = np.where(lost, np.nan, self.x)
            self.y = np.where(lost, np.nan, self.y)

    # ------------------------------------------------------------------ basic properties
    def __len__(self) -> int:
        return len(self.time)

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of samples with a gaze position (both coordinates finite: an inf that
        slipped through a reader is a lost sample, never a position)."""
        return np.isfinite(self.x) & np.isfinite(self.y)

    @property
    def lost_fraction(self) -> float:
        """Share of samples without a gaze position (0..1)."""
        return float(np.mean(~self.valid)) if len(self) else 0.0

    @property
    def duration(self) -> float:
        """Duration in seconds, including one sample interval at the end."""
        if len(self) == 0:
            return 0.0
        return float(self.time[-1] - self.time[0]) + (1.0 / self.sampling_rate
                                                       if len(self) > 1 else 0.0)

    def timing(self) -> TimingReport:
        """Measure the sampling rate and report irregular or duplicated timestamps.

        The report is cached for the current ``time`` array (a median over all intervals is
        the slowest step of a fast detector otherwise); assigning a new ``time`` renews it.
        """
        return self._timing_and_median()[0]

    def median_interval(self) -> float:
        """The median positive sampling interval in seconds (NaN without one), measured and
        cached with :meth:`timing`.

        Examples
        --------
        >>> Recording(time=[0.0, 0.002, 0.002, 0.006], x=[0.0] * 4, y=[0.0] * 4).median_interval()
        0.003
        """
        return self._timing_and_median()[1]

    def _timing_and_median(self) -> tuple[TimingReport, float]:
        cached = self.__dict__.get("_timing_cache")
        if cached is not None and cached[0] is self.time:
            return cached[1]
        measured = self._measure_timing()
        self.__dict__["_timing_cache"] = (self.time, measured)
        return measured

    def _measure_timing(self) -> tuple[TimingReport, float]:
        # positive intervals only, taken piece by piece, then partitioned (the counts need no
        # order): one array of intervals at a time, which matters for hours of samples
        positive, n_duplicates = _positive_steps(self.time)
        median = _median_in_place(positive)
        if positive.size == 0:
            return TimingReport(float("nan"), n_duplicates, 0, 0, 0.0), median
        n_irregular = 0
        for start in range(0, positive.size, _BLOCK):
            block = positive[start:start + _BLOCK]
            deviation = np.abs(block - median) / median
            n_irregular += int(np.count_nonzero((deviation > 0.25) & (block <= 2 * median)))
        return TimingReport(
            # 6 significant digits: the nominal rate, free of floating-point dust (499.99999...)
            sampling_rate=float(f"{1.0 / median:.6g}"),
            n_duplicates=n_duplicates,
            n_irregular=n_irregular,
            n_gaps=int(np.count_nonzero(positive > 2 * median)),
            longest_gap_s=float(positive.max()),
        ), median

    @property
    def sampling_rate(self) -> float:
        """Nominal sampling rate in Hz, measured from the timestamps (see :meth:`timing`)."""
        return self.timing().sampling_rate

    # ------------------------------------------------------------------ derived views
    def require_screen(self, purpose: str = "this", geometry: bool = True) -> Screen:
        """Return the screen, or raise :class:`~gazelearn.errors.MissingScreenError`.

        Parameters
        ----------
        purpose : str
            What needs the screen, for the message ("conversion to degrees").
        geometry : bool
            Also require the physical fields (size in mm, viewing distance) that degrees need;
            False when the resolution is enough.

        Examples
        --------
        >>> rec = Recording(time=[0.0, 0.002], x=[1.0, 2.0], y=[0.0, 0.0],
        ...                 screen=Screen(1920, 1080))
        >>> rec.require_screen("I-VT", geometry=False).size_px
        (1920, 1080)
        >>> rec.require_screen("I-VT")
        Traceback (most recent call last):
        ...
        gazelearn.errors.MissingScreenError: I-VT needs the screen's width_mm, height_mm and ...
        """
        source = self.meta.source if self.meta else None
        if self.screen is None:
            raise MissingScreenError(
                f"{purpose} needs the screen geometry, which this recording lacks: {SCREEN_HINT}",
                source=source)
        return self.screen.require_geometry(purpose, source=source) if geometry else self.screen

    @property
    def has_geometry(self) -> bool:
        """True when the recording's screen knows its size in mm and the viewing distance."""
        return self.screen is not None and self.screen.has_geometry

    def position_deg(self, exact: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Gaze position in degrees from the screen centre (needs the screen)."""
        return self.require_screen("conversion to degrees").px_to_deg(self.x, self.y, exact)

    def label_shares(self) -> dict[str, float]:
        """Share of samples per label present (empty without labels)."""
        if self.labels is None or len(self) == 0:
            return {}
        counts = np.zeros(len(LABELS), dtype=np.int64)
        for lo in range(0, len(self), _BLOCK):  # bincount takes int64: in pieces, not n of them
            counts += np.bincount(self.labels[lo:lo + _BLOCK], minlength=len(LABELS))
        return {LABELS[c]: counts[c] / len(self) for c in range(len(LABELS)) if counts[c]}

    def select(self, index) -> Recording:
        """A new recording with the samples selected by a slice, mask or index array."""
        return replace(
            self,
            time=self.time[index],
            x=self.x[index],
            y=self.y[index],
            pupil=None if self.pupil is None else self.pupil[index],
            labels=None if self.labels is None else self.labels[index],
        )

    def with_labels(self, labels) -> Recording:
        """A copy with other per-sample labels."""
        return replace(self, labels=labels)

    def to_frame(self):
        """The samples as a polars DataFrame: ``time, x, y[, pupil][, label]``."""
        import polars as pl

        columns = {"time": self.time, "x": self.x, "y": self.y}
        if self.pupil is not None:
            columns["pupil"] = self.pupil
        frame = pl.DataFrame(columns)
        if self.labels is not None:
            # label names by gathering from the table of names: no Python string per sample
            names = pl.Series("label", LABELS, dtype=pl.String)
            frame = frame.with_columns(names.gather(pl.Series(self.labels)))
        return frame

    def summary(self) -> dict:
        """The facts ``gazelearn info`` prints, as a dictionary."""
        timing = self.timing()
        return {
            "source": self.meta.source,
            "format": self.meta.format,
            "samples": len(self),
            "duration_s": round(self.duration, 3),
            "sampling_rate_hz": round(timing.sampling_rate, 2),
            "timing": timing.describe(),
            "lost_percent": round(100.0 * self.lost_fraction, 2),
            "screen": None if self.screen is None else self.screen.to_dict(),
            "labels": {k: round(v, 4) for k, v in self.label_shares().items()},
            **{k: v for k, v in self.meta.as_row().items() if k not in ("source", "format")},
        }

    def __repr__(self) -> str:
        name = self.meta.source or "recording"
        return (f"Recording({name!r}, {len(self)} samples, {self.sampling_rate:.1f} Hz, "
                f"{100 * self.lost_fraction:.1f}% lost)")
