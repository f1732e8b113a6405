"""Fixation sequences: from a recording to fixations (x, y, duration) and back to gaze samples.

The scanpath generator works at the fixation level (where and how long people look), and the
realism measures compare fixations of real and generated recordings. Both take fixations from
the same place: I-DT in pixels of the stimulus (:func:`gazelearn.scanpath._points.fixation_events`
with ``dispersion_px``), so a real and a generated recording are measured by the same detector.
:func:`render_fixations` turns a fixation sequence into samples at a sampling rate: fixations
hold still with Gaussian jitter, the gap between two fixations is a straight saccade.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> rec = render_fixations([100, 400], [100, 300], [0.3, 0.3], gaps=[0.04], rate=50.0,
...                        n_samples=30, jitter_px=1.0, extent=(800, 600), rng=rng)
>>> len(rec), rec.sampling_rate
(30, 50.0)
>>> seq = fixation_sequence(rec, dispersion_px=30.0)
>>> len(seq.x), [round(float(v)) for v in seq.x], [round(float(d), 2) for d in seq.duration]
(2, [100, 400], [0.32, 0.26])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gazelearn.errors import InputError
from gazelearn.recording import Metadata, Recording
from gazelearn.scanpath._points import fixation_events, screen_area

#: I-DT in stimulus pixels: dispersion (x range + y range) and shortest fixation.
DEFAULT_DISPERSION_PX = 100.0
DEFAULT_MIN_FIXATION_S = 0.1


@dataclass
class FixationSequence:
    """Fixations of one recording in order: centres (px), durations and onsets/offsets (s).

    ``jitter`` is each fixation's standard deviation of samples around its centre (px, mean of
    x and y).
    """

    x: np.ndarray
    y: np.ndarray
    duration: np.ndarray
    onset: np.ndarray
    offset: np.ndarray
    jitter: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    @property
    def gaps(self) -> np.ndarray:
        """Time between one fixation's end and the next one's start (s, at least 0)."""
        return np.maximum(self.onset[1:] - self.offset[:-1], 0.0)

    @property
    def amplitudes(self) -> np.ndarray:
        """Distance (px) between consecutive fixation centres: the saccade amplitudes."""
        return np.hypot(np.diff(self.x), np.diff(self.y))

    def points(self) -> np.ndarray:
        """Fixation centres as an array (n, 2)."""
        return np.column_stack([self.x, self.y])


def fixation_sequence(recording: Recording, dispersion_px: float = DEFAULT_DISPERSION_PX,
                      min_fixation_s: float = DEFAULT_MIN_FIXATION_S) -> FixationSequence:
    """The fixations of one recording, by I-DT in pixels."""
    events = fixation_events(recording, dispersion_px=dispersion_px,
                             detector_options={"min_duration_s": min_fixation_s})
    frame = events.frame
    x, y = frame["mean_x"].to_numpy(), frame["mean_y"].to_numpy()
    first, stop = frame["onset_index"].to_numpy(), frame["offset_index"].to_numpy()
    jitter = np.array([0.5 * (np.nanstd(recording.x[a:b]) + np.nanstd(recording.y[a:b]))
                       for a, b in zip(first, stop, strict=True)])
    keep = np.isfinite(x) & np.isfinite(y)
    onset, offset = frame["onset"].to_numpy(), frame["offset"].to_numpy()
    return FixationSequence(x[keep], y[keep], frame["duration"].to_numpy()[keep], onset[keep],
                            offset[keep], jitter[keep])


def fixation_sequences(recordings: Sequence[Recording], dispersion_px: float =
                       DEFAULT_DISPERSION_PX, min_fixation_s: float = DEFAULT_MIN_FIXATION_S
                       ) -> list[FixationSequence]:
    """:func:`fixation_sequence` of every recording."""
    return [fixation_sequence(r, dispersion_px, min_fixation_s) for r in recordings]


def check_extent(extent) -> tuple[float, float]:
    """``(width_px, height_px)`` of the stimulus as two positive floats, or a clear error."""
    return screen_area(None, extent)


def render_fixations(x, y, duration, gaps, rate: float, n_samples: int, jitter_px: float,
                     extent, rng: np.random.Generator, meta: Metadata | None = None
                     ) -> Recording:
    """Gaze samples of a fixation sequence: still fixations with jitter, straight saccades.

    Parameters
    ----------
    x, y, duration : arrays
        Fixation centres (px) and durations (s); fixation 1 starts at time 0.
    gaps : array
        Saccade time (s) after each fixation but the last (``len(x) - 1`` values).
    rate : float
        Sampling rate (Hz) of the result.
    n_samples : int
        Samples to render; the fixations must last at least that long (the last one is held).
    jitter_px : float
        Standard deviation (px) of the noise added to fixation samples.
    extent : (width_px, height_px)
        Samples are clipped to ``[0, width) x [0, height)``.
    rng : numpy.random.Generator
    meta : Metadata, optional
    """
    x, y, duration = (np.asarray(v, dtype=np.float64) for v in (x, y, duration))
    gaps = np.asarray(gaps, dtype=np.float64)
    if len(x) == 0 or len(gaps) != len(x) - 1:
        raise InputError("render_fixations needs at least one fixation and one gap fewer")
    if rate <= 0 or n_samples < 1:
        raise InputError(f"rate and n_samples must be positive, got {rate} and {n_samples}")
    width, height = check_extent(extent)
    starts = np.concatenate(([0.0], np.cumsum(duration[:-1] + gaps)))
    ends = starts + duration
    # breakpoints (start, centre), (end, centre) per fixation: np.interp holds still during a
    # fixation and moves in a straight line during the gap to the next one
    knots_t = np.column_stack([starts, ends]).ravel()
    time = np.arange(int(n_samples)) / float(rate)
    px = np.interp(time, knots_t, np.repeat(x, 2))
    py = np.interp(time, knots_t, np.repeat(y, 2))
    index = np.searchsorted(starts, time, side="right") - 1
    fixating = time <= ends[np.clip(index, 0, len(ends) - 1)]
    noise = rng.normal(0.0, max(float(jitter_px), 0.0), size=(2, len(time)))
    px = np.where(fixating, px + noise[0], px)
    py = np.where(fixating, py + noise[1], py)
    eps = 1e-6
    px = np.clip(px, 0.0, width - eps)
    py = np.clip(py, 0.0, height - eps)
    return Recording(time, px, py, meta=meta or Metadata(source="generated"))
