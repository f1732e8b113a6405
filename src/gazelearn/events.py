"""The :class:`Events` table: one row per eye-movement event, and conversion to and from samples.

Columns (one row per event, in time order):

=============== ===========================================================================
type            label name (``fixation``, ``saccade``, ``pso``, ``pursuit``, ``blink``)
onset, offset   seconds; ``offset`` is the time the next sample starts (end-exclusive)
duration        ``offset - onset`` in seconds
onset_index     first sample of the event
offset_index    one past the last sample (so ``samples[onset_index:offset_index]``)
amplitude       visual angle between the first and last valid position, degrees (NaN without screen)
peak_velocity   highest Savitzky-Golay speed inside the event, deg/s (NaN without screen)
mean_x, mean_y  mean gaze position in pixels
start_x,        gaze position (px) at the first valid sample of the event
start_y
end_x, end_y    gaze position (px) at the last valid sample of the event
mean_velocity   mean Savitzky-Golay speed over the event's samples, deg/s (NaN without screen)
median_velocity median of that speed, deg/s (NaN without screen)
=============== ===========================================================================

The columns after ``mean_y`` are what REMoDNaV's events table gives (start/end position,
amplitude, peak, mean and median velocity, duration); a table read from a file written before
they existed gets them as NaN.

Samples labelled ``undefined`` belong to no event; converting events back to samples gives
``undefined`` where no event covers a sample, so ``Events.from_labels`` and
:meth:`Events.to_labels` are exact inverses.

Examples
--------
>>> import numpy as np
>>> from gazelearn import Recording
>>> rec = Recording(np.arange(6) / 100.0, np.zeros(6), np.zeros(6), labels=[1, 1, 2, 2, 2, 1])
>>> events = Events.from_recording(rec)
>>> events.frame["type"].to_list(), events.frame["onset_index"].to_list()
(['fixation', 'saccade', 'fixation'], [0, 2, 5])
>>> events.to_labels(rec.time).tolist()
[1, 1, 2, 2, 2, 1]
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.labels import LABELS, Label, name_to_code
from gazelearn.preprocess import speed_deg
from gazelearn.recording import Recording

#: The columns of every events table, in order, with their polars types.
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "type": pl.String,
    "onset": pl.Float64,
    "offset": pl.Float64,
    "duration": pl.Float64,
    "onset_index": pl.Int64,
    "offset_index": pl.Int64,
    "amplitude": pl.Float64,
    "peak_velocity": pl.Float64,
    "mean_x": pl.Float64,
    "mean_y": pl.Float64,
    "start_x": pl.Float64,
    "start_y": pl.Float64,
    "end_x": pl.Float64,
    "end_y": pl.Float64,
    "mean_velocity": pl.Float64,
    "median_velocity": pl.Float64,
}


#: Savitzky-Golay window (s) of the speed behind ``peak_velocity``.
EVENTS_WINDOW_S = 0.02


def label_runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run-length encode a label sequence.

    Returns
    -------
    starts, stops, codes : numpy.ndarray
        Run ``i`` covers ``labels[starts[i]:stops[i]]`` and has label ``codes[i]``.

    Examples
    --------
    >>> label_runs(np.array([1, 1, 2, 1]))
    (array([0, 2, 3]), array([2, 3, 4]), array([1, 2, 1], dtype=int8))
    """
    labels = np.asarray(labels)
    if labels.size == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.int8)
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [len(labels)]))
    return starts, stops, labels[starts].astype(np.int8)


class Events:
    """A table of eye-movement events (a thin, validated wrapper around a polars DataFrame).

    Parameters
    ----------
    frame : polars.DataFrame
        With at least ``type``, ``onset`` and ``offset``; missing measure columns are added as
        NaN (index columns as -1).
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        for required in ("type", "onset", "offset"):
            if required not in frame.columns:
                raise InputError(f"an events table needs a {required!r} column; "
                                 f"it has {', '.join(frame.columns) or 'no columns'}")
        missing = []
        for name, dtype in EVENT_SCHEMA.items():
            if name not in frame.columns:
                default = -1 if dtype == pl.Int64 else float("nan")
                missing.append(pl.lit(default, dtype=dtype).alias(name))
        if missing:
            frame = frame.with_columns(missing)
        if "duration" not in frame.columns or frame["duration"].is_nan().all():
            frame = frame.with_columns((pl.col("offset") - pl.col("onset")).alias("duration"))
        try:
            frame = frame.with_columns(
                [pl.col(name).cast(dtype) for name, dtype in EVENT_SCHEMA.items()])
        except pl.exceptions.PolarsError as error:
            raise InputError(f"events table has a column of the wrong type: {error}") from None
        for name in frame["type"].unique().to_list():
            name_to_code(name)  # raises a clear error on unknown types
        if (frame["offset"] < frame["onset"]).any():
            raise InputError("an event ends before it starts (offset < onset)")
        extra = [c for c in frame.columns if c not in EVENT_SCHEMA]
        self.frame: pl.DataFrame = frame.select([*EVENT_SCHEMA, *extra]).sort("onset")

    # ------------------------------------------------------------------ construction
    @classmethod
    def empty(cls) -> Events:
        """An events table without rows."""
        return cls(pl.DataFrame(schema=EVENT_SCHEMA))

    @classmethod
    def from_labels(cls, recording: Recording, labels=None, *,
                    speed: np.ndarray | None = None) -> Events:
        """Events from per-sample labels (the recording's own when ``labels`` is None).

        Consecutive samples with the same label form one event; ``undefined`` runs form none.
        Measures in degrees are NaN when the recording has no screen. Positions that are not
        finite (NaN, inf) are lost samples: means, amplitudes and peak velocities ignore them.
        Every measure is computed for all events at once (no Python loop per event).

        Parameters
        ----------
        recording : Recording
        labels : array_like of int, optional
            One label code per sample.
        speed : numpy.ndarray, optional
            ``speed_deg(recording)``, when the caller has it already (a velocity detector):
            peak velocities are taken from it instead of computing it again. It must be that
            exact array (20-ms window, see :data:`EVENTS_WINDOW_S`).

        Examples
        --------
        >>> from gazelearn import Recording
        >>> rec = Recording(np.arange(4) / 100.0, [1.0, np.inf, 3.0, 5.0], np.zeros(4),
        ...                 labels=[1, 1, 1, 1])
        >>> Events.from_labels(rec).frame["mean_x"].to_list()
        [3.0]
        """
        labels = recording.labels if labels is None else np.asarray(labels)
        if labels is None:
            raise InputError("the recording has no per-sample labels to turn into events",
                             source=recording.meta.source)
        if len(labels) != len(recording):
            raise InputError(f"{len(labels)} labels for {len(recording)} samples")
        recording = _finite_positions(recording)
        starts, stops, codes = label_runs(labels)
        keep = codes != Label.UNDEFINED
        starts, stops, codes = starts[keep], stops[keep], codes[keep]
        if len(starts) == 0:
            return cls.empty()
        time = recording.time
        n = len(recording)
        step = 1.0 / recording.sampling_rate if n > 1 else 0.0
        onset = time[starts]
        offset = np.where(stops < n, time[np.minimum(stops, n - 1)], time[-1] + step)
        valid = recording.valid
        counts = _run_reduce(np.add, valid, starts, stops, dtype=np.int64)
        mean_x = _run_means(recording.x, valid, counts, starts, stops)
        mean_y = _run_means(recording.y, valid, counts, starts, stops)
        nan = np.full(len(starts), np.nan)
        amplitude, peak, mean_speed, median_speed = nan.copy(), nan.copy(), nan.copy(), nan
        first, last = _first_last_valid(valid, starts, stops)
        ok = first >= 0
        ends = {}
        for name, index in (("start", first), ("end", last)):
            for axis, values in (("x", recording.x), ("y", recording.y)):
                ends[f"{name}_{axis}"] = np.where(ok, values[np.maximum(index, 0)], np.nan)
        if recording.has_geometry and n > 1:
            if speed is None:
                speed = speed_deg(recording, EVENTS_WINDOW_S)
            elif len(speed) != n:
                raise InputError(f"speed has {len(speed)} values for {n} samples")
            amplitude[ok] = recording.screen.angular_distance(
                ends["start_x"][ok], ends["start_y"][ok], ends["end_x"][ok], ends["end_y"][ok])
            peak = _run_max(speed, starts, stops)
            moving = np.isfinite(speed)
            mean_speed = _run_means(speed, moving, _run_reduce(np.add, moving, starts, stops,
                                                               dtype=np.int64), starts, stops)
            median_speed = _run_medians(speed, starts, stops)
        return cls(pl.DataFrame({
            "type": [LABELS[c] for c in codes],
            "onset": onset,
            "offset": offset,
            "duration": offset - onset,
            "onset_index": starts.astype(np.int64),
            "offset_index": stops.astype(np.int64),
            "amplitude": amplitude,
            "peak_velocity": peak,
            "mean_x": mean_x,
            "mean_y": mean_y,
            **ends,
            "mean_velocity": mean_speed,
            "median_velocity": median_speed,
        }))

    from_recording = from_labels

    # ------------------------------------------------------------------ conversion back
    def to_labels(self, time) -> np.ndarray:
        """Per-sample label codes for timestamps ``time``: the event covering each sample.

        A sample belongs to an event when ``onset <= t < offset``; samples covered by none are
        ``undefined``. Where events overlap, the later one wins.
        """
        time = np.asarray(time, dtype=np.float64)
        labels = np.zeros(len(time), dtype=np.int8)
        first = np.searchsorted(time, self.frame["onset"].to_numpy(), side="left")
        last = np.searchsorted(time, self.frame["offset"].to_numpy(), side="left")
        for start, stop, name in zip(first, last, self.frame["type"].to_list(), strict=True):
            labels[start:stop] = name_to_code(name)
        return labels

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return self.frame.height

    def of_type(self, name: str) -> Events:
        """Only the events of one type."""
        name_to_code(name)
        return Events(self.frame.filter(pl.col("type") == name))

    def counts(self) -> dict[str, int]:
        """Number of events per type."""
        return dict(self.frame.group_by("type").len().sort("type").iter_rows())

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}: {v}" for k, v in self.counts().items())
        return f"Events({len(self)} events; {counts})"


def finite_or_lost(recording: Recording) -> bool:
    """True when every position is finite or NaN (no inf): the common case, nothing to clean.

    Examples
    --------
    >>> finite_or_lost(Recording([0.0, 0.1], [1.0, np.nan], [2.0, np.nan]))
    True
    >>> finite_or_lost(Recording([0.0, 0.1], [1.0, np.inf], [2.0, 3.0]))
    False
    """
    # a Recording makes x and y NaN together, so "no inf" is "finite wherever not lost"
    return not (np.isinf(recording.x).any() or np.isinf(recording.y).any())


def _finite_positions(recording: Recording) -> Recording:
    """The recording with positions that are not finite (inf) set to NaN, i.e. lost."""
    if finite_or_lost(recording):
        return recording  # only NaN: nothing to clean (the common case, no copy)
    finite = np.isfinite(recording.x) & np.isfinite(recording.y)
    return replace(recording, x=np.where(finite, recording.x, np.nan),
                   y=np.where(finite, recording.y, np.nan))


def _run_reduce(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray, stops: np.ndarray,
                **options) -> np.ndarray:
    """``ufunc.reduce(values[start:stop])`` of every run, by one ``ufunc.reduceat``.

    Runs are non-empty and in order, so reducing at ``start, stop, start, stop, ...`` gives each
    run's result at the even positions (the odd ones, the gaps between runs, are dropped); a
    last ``stop`` at the end is left out (``reduceat`` takes the last start to the end).

    Examples
    --------
    >>> _run_reduce(np.add, np.arange(6.0), np.array([0, 3]), np.array([2, 6]))
    array([ 1., 12.])
    """
    if len(starts) == 0:
        return np.zeros(0, dtype=options.get("dtype", values.dtype))
    bounds = np.empty(2 * len(starts), dtype=np.intp)
    bounds[0::2], bounds[1::2] = starts, stops
    if bounds[-1] == len(values):
        bounds = bounds[:-1]
    return ufunc.reduceat(values, bounds, **options)[0::2]


def _run_means(values: np.ndarray, valid: np.ndarray, counts: np.ndarray, starts: np.ndarray,
               stops: np.ndarray) -> np.ndarray:
    """Mean of the ``valid`` ``values[start:stop]`` of every run (NaN when none is valid);
    ``counts`` are the valid samples per run. One zero-filled copy and one ``reduceat``: no
    running sums over the whole recording.

    Examples
    --------
    >>> values = np.array([1.0, np.nan, 3.0, 5.0])
    >>> valid = np.isfinite(values)
    >>> _run_means(values, valid, np.array([1, 1, 0]), np.array([0, 2, 1]), np.array([2, 3, 2]))
    array([ 1.,  3., nan])
    """
    clean = np.zeros(len(values))
    np.copyto(clean, values, where=valid)
    sums = _run_reduce(np.add, clean, starts, stops)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _run_max(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Largest finite ``values[start:stop]`` of every run (NaN when none is finite).

    One ``np.maximum.reduceat`` over the run boundaries (:func:`_run_reduce`), no Python loop
    per event; non-finite values count as ``-inf``.

    Examples
    --------
    >>> _run_max(np.array([1.0, 5.0, np.nan, 2.0, np.inf]), np.array([0, 2, 4]),
    ...          np.array([2, 4, 5]))
    array([ 5.,  2., nan])
    """
    if len(starts) == 0:
        return np.full(0, np.nan)
    finite = np.where(np.isfinite(values), values, -np.inf)
    result = _run_reduce(np.maximum, finite, starts, stops)
    result[np.isneginf(result)] = np.nan
    return result


#: Samples per block of runs whose medians :func:`_run_medians` takes at once: the block's
#: temporaries (run ids, indices, picked values, polars' group-by) stay a few MB however long
#: the recording (they were the peak of ``events detect`` on long recordings).
MEDIAN_BLOCK = 1 << 18


def _run_medians(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Median of the finite ``values[start:stop]`` of every run (NaN when none is finite).

    One polars group-by per block of runs of about :data:`MEDIAN_BLOCK` samples (a run longer
    than that is a block of its own); no Python loop per event.

    Examples
    --------
    >>> _run_medians(np.array([1.0, 5.0, 2.0, np.nan, 4.0, np.nan]), np.array([0, 4, 5]),
    ...              np.array([3, 5, 6]))
    array([ 2.,  4., nan])
    """
    result = np.full(len(starts), np.nan)
    lengths = stops - starts
    if len(starts) == 0 or lengths.sum() == 0:
        return result
    block = (np.cumsum(lengths) - lengths) // MEDIAN_BLOCK  # of each run, by its first sample
    cuts = [0, *(np.flatnonzero(np.diff(block)) + 1).tolist(), len(starts)]
    for first, last in zip(cuts[:-1], cuts[1:], strict=True):
        result[first:last] = _block_medians(values, starts[first:last], stops[first:last])
    return result


def _block_medians(values: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """:func:`_run_medians` of a few runs at once, by one polars group-by of their samples."""
    result = np.full(len(starts), np.nan)
    lengths = stops - starts
    if lengths.sum() == 0:
        return result
    run = np.repeat(np.arange(len(starts), dtype=np.int32), lengths)  # int32: faster group-by
    # the samples of every run, in order: start + position within the run
    index = np.arange(len(run)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    index += np.repeat(starts, lengths)
    picked = values[index]
    finite = np.isfinite(picked)
    medians = (pl.DataFrame({"run": run[finite], "v": picked[finite]})
               .group_by("run").agg(pl.col("v").median()))
    result[medians["run"].to_numpy()] = medians["v"].to_numpy()
    return result


def _first_last_valid(valid: np.ndarray, starts: np.ndarray, stops: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first and last valid sample of each run (-1 when none).

    From the indices of the valid samples (``flatnonzero(valid)``): run ``i`` holds those
    from the first at or after its start to the last before its stop.

    Examples
    --------
    >>> _first_last_valid(np.array([False, True, True, False, False]), np.array([0, 3]),
    ...                   np.array([3, 5]))
    (array([ 1, -1]), array([ 2, -1]))
    """
    valid_index = np.flatnonzero(np.asarray(valid, dtype=bool))
    # the valid samples before each run's start and before its stop: no running count of the
    # whole recording (two more recording-long arrays at the peak of `events detect`)
    before = np.searchsorted(valid_index, starts)
    after = np.searchsorted(valid_index, stops)
    has = after > before
    first = np.full(len(starts), -1)
    last = np.full(len(starts), -1)
    first[has] = valid_index[before[has]]
    last[has] = valid_index[after[has] - 1]
    return first, last
