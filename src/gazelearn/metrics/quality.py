"""Data quality of a recording: loss, precision (RMS-S2S, STD), sampling jitter, off-screen share.

The measures eye-tracking researchers report for a recording (Holmqvist, Nyström & Mulvey 2012,
"Eye tracker data quality: what it is and how to measure it", ETRA; pymovements' users ask for
the same numbers). Every formula is in ``docs/quality.md``; in short, for ``n`` samples:

* ``loss``: share of samples without a finite position (NaN or inf in x or y), 0..1.
* ``rms_s2s``: RMS of the distances between consecutive samples, ``sqrt(mean(d_i**2))``, over
  pairs of consecutive samples that both have a position (and both lie in a fixation when
  ``precision_on`` is ``"fixation"``).
* ``std``: RMS distance of the samples from the centroid of their segment,
  ``sqrt(sum((x - mean_x)**2 + (y - mean_y)**2) / m)``, pooled over the segments (fixations,
  or the whole recording).
* ``jitter_std_ms``, ``jitter_max_ms``: standard deviation of the sampling intervals, and the
  largest absolute deviation of an interval from the nominal interval (the median interval).
* ``out_of_screen``: share of the samples with a position that lie outside the screen's pixel
  area ``0 <= x <= width``, ``0 <= y <= height``.

Precision is in pixels always and in degrees too when the screen knows its size and distance
(:attr:`~gazelearn.screen.Screen.has_geometry`); without geometry the degree entries are
``None`` (no error: quality in pixels is still worth knowing).

Examples
--------
>>> import numpy as np
>>> from gazelearn import Recording, Screen
>>> rec = Recording(np.arange(5) / 100.0, [0.0, 3, 3, np.nan, 2000], [0.0, 4, 4, 0, 10],
...                 screen=Screen(1024, 768))
>>> q = data_quality(rec)
>>> q["loss"], round(q["rms_s2s_px"], 4), q["out_of_screen"], q["rms_s2s_deg"]
(0.2, 3.5355, 0.25, None)
"""

from __future__ import annotations

import numpy as np

from gazelearn.errors import InputError
from gazelearn.labels import Label
from gazelearn.metrics.regression import rms_steps
from gazelearn.recording import Recording

#: The keys of :func:`data_quality`'s result, in order.
QUALITY_KEYS = ("samples", "loss", "nonfinite_values", "precision_on", "rms_s2s_px", "std_px",
                "rms_s2s_deg", "std_deg", "interval_ms", "jitter_std_ms", "jitter_max_ms",
                "out_of_screen")

_PRECISION_ON = ("auto", "all", "fixation")


def _segments(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) of every run of True in ``keep``."""
    edges = np.diff(np.concatenate(([0], keep.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


#: Samples per piece of the measures below: their temporaries are a few MiB, not one array
#: per sample of the recording each (an hour at 500 Hz is 1.8 M samples; issue 14: peak
#: memory of ``info`` at most 3x the file). Sums over every sample still run on one array of
#: the kept values, in order, so the numbers are the ones a single pass gives, bit for bit.
BLOCK = 1 << 18


def pooled_std(x, y, segments=None, keep=None, transform=None) -> float:
    """RMS distance of positions from the centroid of their segment (STD precision).

    ``sqrt(sum_k sum_{i in k} ((x_i - mean_x_k)**2 + (y_i - mean_y_k)**2) / m)`` over the ``m``
    finite samples, segment ``k`` being a fixation (or the whole signal when ``segments`` is
    None). Population form (divides by ``m``), as ``numpy.std``.

    Parameters
    ----------
    x, y : array_like
        Positions; samples where either is not finite are skipped.
    segments : tuple of numpy.ndarray, optional
        ``(starts, stops)`` of the segments, in order and not overlapping; stops are
        exclusive.
    keep : numpy.ndarray of bool, optional
        Only these samples count (as if the others were NaN).
    transform : callable, optional
        ``transform(x, y) -> (x, y)``, elementwise (such as
        :meth:`~gazelearn.screen.Screen.px_to_deg`), applied to each piece of the positions:
        the STD of the transformed positions without a transformed copy of all of them.

    Examples
    --------
    Two fixations 1 px either side of their centroids, 10 px apart:

    >>> x, y = [0.0, 2.0, 10.0, 12.0], [0.0, 0.0, 0.0, 0.0]
    >>> pooled_std(x, y, ([0, 2], [2, 4])), round(pooled_std(x, y), 3)
    (1.0, 5.099)
    >>> pooled_std(x, y, keep=np.array([True, True, False, False]))
    1.0
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    starts, stops = (np.array([0]), np.array([len(x)])) if segments is None else segments
    starts, stops = np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64)
    pieces = _Pieces(x, y, keep, transform)
    if len(starts) == 1 and starts[0] <= 0 and stops[0] >= len(x):
        return _whole_std(pieces)
    nonempty = stops > starts
    starts, stops = starts[nonempty], stops[nonempty]
    # pieces cut between segments, so each segment's sums run within one piece in order,
    # from 0 (as one bincount over every sample adds them)
    cuts = [0]
    while cuts[-1] < len(starts):
        a = cuts[-1]
        cuts.append(max(int(np.searchsorted(stops, starts[a] + BLOCK, "right")), a + 1))
    groups = [(a, b, *pieces.members(starts[a:b], stops[a:b])) for a, b in
              zip(cuts[:-1], cuts[1:], strict=True)]
    counts = np.zeros(len(starts), dtype=np.int64)
    sums_x, sums_y = np.zeros(len(starts)), np.zeros(len(starts))
    for a, b, lo, hi, group in groups:
        gx, gy, ok = pieces.kept(lo, hi, group >= 0)
        group = group[ok]
        counts[a:b] = np.bincount(group, minlength=b - a)
        sums_x[a:b] = np.bincount(group, gx, minlength=b - a)
        sums_y[a:b] = np.bincount(group, gy, minlength=b - a)
    m = int(counts.sum())
    if not m:
        return float("nan")
    safe = np.maximum(counts, 1)
    mean_x, mean_y = sums_x / safe, sums_y / safe
    squared, w = np.empty(m), 0
    for a, _, lo, hi, group in groups:
        gx, gy, ok = pieces.kept(lo, hi, group >= 0)
        group = group[ok] + a
        part = (gx - mean_x[group]) ** 2 + (gy - mean_y[group]) ** 2
        squared[w:w + part.size] = part
        w += part.size
    return float(np.sqrt(squared.sum() / m))


class _Pieces:
    """The positions of :func:`pooled_std` piece by piece: kept samples only, transformed."""

    def __init__(self, x, y, keep, transform) -> None:
        self.x, self.y, self.keep, self.transform = x, y, keep, transform

    def kept(self, lo: int, hi: int, inside=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The finite kept positions of samples ``lo:hi`` (``inside``: a mask of them), and
        the mask that picked them."""
        x, y = self.x[lo:hi], self.y[lo:hi]
        if self.transform is not None:
            x, y = self.transform(x, y)
        ok = np.isfinite(x)
        ok &= np.isfinite(y)
        if self.keep is not None:
            ok &= self.keep[lo:hi]
        if inside is not None:
            ok &= inside
        return x[ok], y[ok], ok

    def members(self, starts, stops) -> tuple[int, int, np.ndarray]:
        """``lo, hi`` of the segments' samples and each sample's segment number from 0 there,
        -1 between segments (an hour holds ~10^4 fixations: no loop over them)."""
        lo, hi = int(starts[0]), int(stops[-1])
        size = hi - lo
        edges = (np.bincount(starts - lo, minlength=size + 1)
                 - np.bincount(stops - lo, minlength=size + 1))
        inside = np.cumsum(edges[:-1]) > 0
        begun = np.zeros(size, dtype=np.int64)
        begun[starts - lo] = 1
        return lo, hi, np.where(inside, np.cumsum(begun) - 1, -1)


def _whole_std(pieces: _Pieces) -> float:
    """:func:`pooled_std` of one segment holding every sample (the usual case, precision on
    all): sequential sums for the centroid (as bincount's in the general case: same bits),
    then one array of the squared distances."""
    n = len(pieces.x)
    m, sum_x, sum_y = 0, 0.0, 0.0
    for lo in range(0, n, BLOCK):
        gx, gy, _ = pieces.kept(lo, lo + BLOCK)
        m += gx.size
        if gx.size:  # the running sum carried into the piece's own running sum
            sum_x = np.cumsum(np.concatenate(([sum_x], gx)))[-1]
            sum_y = np.cumsum(np.concatenate(([sum_y], gy)))[-1]
    if not m:
        return float("nan")
    mean_x, mean_y = sum_x / m, sum_y / m
    squared, w = np.empty(m), 0
    for lo in range(0, n, BLOCK):
        gx, gy, _ = pieces.kept(lo, lo + BLOCK)
        gx -= mean_x
        gx *= gx
        gy -= mean_y
        gy *= gy
        gx += gy
        squared[w:w + gx.size] = gx
        w += gx.size
    return float(np.sqrt(squared.sum() / m))


def _nonfinite_count(rec: Recording, infinite: int) -> int:
    # what the reader counted (and turned into NaN), plus any inf still in the positions
    counted = int(rec.meta.extra.get("nonfinite_values", 0) or 0) if rec.meta else 0
    return counted + infinite


def _jitter(rec: Recording) -> tuple[float, float, float]:
    """Nominal interval, interval SD and largest deviation from the nominal, all in ms."""
    nominal = rec.median_interval()  # the median interval that timing() measured already
    if not np.isfinite(nominal):
        return float("nan"), float("nan"), float("nan")
    steps = np.diff(rec.time)
    # the largest deviation piece by piece, then numpy.std's own steps (mean, deviations
    # squared, their mean, root) done in place on the one array of intervals: same bits
    deviation = max(float(np.abs(steps[lo:lo + BLOCK] - nominal).max())
                    for lo in range(0, steps.size, BLOCK))
    steps -= steps.sum() / steps.size
    steps *= steps
    spread = float(np.sqrt(steps.sum() / steps.size))
    # to the nanosecond: synthesised times are regular, not 1e-14 ms off from floating point
    return (round(1e3 * nominal, 6), round(1e3 * spread, 6), round(1e3 * deviation, 6))


def _out_of_screen(rec: Recording, valid: np.ndarray) -> float | None:
    if rec.screen is None:
        return None
    if not valid.any():
        return float("nan")
    width, height = rec.screen.size_px
    outside = 0
    for lo in range(0, len(rec), BLOCK):  # counts are exact in any order: in pieces
        x, y = rec.x[lo:lo + BLOCK], rec.y[lo:lo + BLOCK]
        out = (x < 0) | (x > width) | (y < 0) | (y > height)
        outside += int(np.count_nonzero(out & valid[lo:lo + BLOCK]))
    return float(np.float64(outside) / np.count_nonzero(valid))


def data_quality(recording: Recording, precision_on: str = "auto") -> dict:
    """Data-quality measures of one recording (formulas in ``docs/quality.md``).

    Parameters
    ----------
    recording : Recording
    precision_on : {"auto", "all", "fixation"}
        Samples the precision measures (RMS-S2S, STD) use. ``"fixation"``: samples labelled
        fixation, STD about each fixation's centroid (the usual definition: precision is
        measured while the eye is still); ``"all"``: every sample, STD about one centroid;
        ``"auto"`` (default): fixations when the recording has fixation labels, else all.

    Returns
    -------
    dict
        ``samples``; ``loss`` (0..1); ``nonfinite_values`` (values the reader found not finite,
        from ``meta.extra["nonfinite_values"]``, plus infinite positions left in the
        recording); ``precision_on`` (``"fixation"`` or ``"all"``); ``rms_s2s_px``, ``std_px``;
        ``rms_s2s_deg``, ``std_deg`` (``None`` without screen geometry); ``interval_ms`` (the
        nominal, median interval), ``jitter_std_ms``, ``jitter_max_ms``; ``out_of_screen``
        (0..1, ``None`` without a screen). NaN where a measure has no samples to use.

    Examples
    --------
    A fixation with a 2-px step, then a saccade that precision on fixations leaves out:

    >>> from gazelearn import Recording, Screen
    >>> rec = Recording(np.arange(6) / 500.0, [10.0, 12, 12, 200, 400, 400],
    ...                 np.full(6, 50.0), labels=[1, 1, 1, 2, 2, 1],
    ...                 screen=Screen(1024, 768, 380.0, 300.0, 670.0))
    >>> q = data_quality(rec)
    >>> q["precision_on"], round(q["rms_s2s_px"], 4), round(q["std_px"], 4)
    ('fixation', 1.4142, 0.8165)
    >>> round(q["rms_s2s_deg"], 4), q["interval_ms"], q["jitter_max_ms"] < 1e-9
    (0.041, 2.0, True)
    """
    if precision_on not in _PRECISION_ON:
        raise InputError(f"precision_on must be one of {', '.join(_PRECISION_ON)}, got "
                         f"{precision_on!r}")
    rec = recording
    n = len(rec)
    valid = rec.valid
    fixation = None if rec.labels is None else rec.labels == Label.FIXATION
    if precision_on == "auto":
        precision_on = "fixation" if fixation is not None and fixation.any() else "all"
    if precision_on == "fixation":
        if fixation is None:
            raise InputError("precision on fixations needs per-sample labels; this recording "
                             "has none (precision_on='all' uses every sample)",
                             source=rec.meta.source)
        keep = valid & fixation
        # segments are the label runs, so two fixations never pool into one centroid
        segments = _segments(fixation)
    else:
        keep = valid
        segments = (np.array([0]), np.array([n]))
    infinite = int(np.count_nonzero(np.isinf(rec.x)) + np.count_nonzero(np.isinf(rec.y)))
    # the positions as they are, with the mask of the samples that count: no masked copies
    # of every position, in pixels or degrees (issue 14: memory within 3x the file)
    x, y = rec.x, rec.y
    result = {
        "samples": n,
        "loss": float(np.mean(~valid)) if n else float("nan"),
        "nonfinite_values": _nonfinite_count(rec, infinite),
        "precision_on": precision_on,
        "rms_s2s_px": rms_steps(x, y, keep=keep),
        "std_px": pooled_std(x, y, segments, keep=keep),
        "rms_s2s_deg": None,
        "std_deg": None,
    }
    if rec.has_geometry:
        result["rms_s2s_deg"] = rms_steps(x, y, rec.screen, keep=keep)
        result["std_deg"] = pooled_std(x, y, segments, keep=keep,
                                       transform=rec.screen.px_to_deg)
    interval, jitter_std, jitter_max = _jitter(rec)
    result.update(interval_ms=interval, jitter_std_ms=jitter_std, jitter_max_ms=jitter_max,
                  out_of_screen=_out_of_screen(rec, valid))
    return result


def quality_per_trial(recordings, trials=None, precision_on: str = "auto") -> list[dict]:
    """:func:`data_quality` of every trial, each row led by its source, subject and trial.

    Parameters
    ----------
    recordings : Recording or list of Recording
        One recording per trial (as :func:`gazelearn.io.read_all` returns them), or one
        recording with ``trials``.
    trials : array_like, optional
        A trial id per sample of a single recording; one row per distinct id, in order of
        first appearance.
    precision_on : str
        As in :func:`data_quality`.

    Examples
    --------
    >>> from gazelearn import Recording
    >>> rec = Recording(np.arange(4) / 100.0, [0.0, 1, np.nan, 5], np.zeros(4))
    >>> [(row["trial"], row["loss"]) for row in quality_per_trial(rec, ["a", "a", "b", "b"])]
    [('a', 0.0), ('b', 0.5)]
    """
    if isinstance(recordings, Recording):
        recordings = [recordings]
    if trials is not None:
        if len(recordings) != 1:
            raise InputError("trials= splits one recording; give a single recording with it")
        rec = recordings[0]
        trials = np.asarray(trials)
        if len(trials) != len(rec):
            raise InputError(f"{len(trials)} trial ids for {len(rec)} samples")
        _, first = np.unique(trials, return_index=True)
        ids = trials[np.sort(first)]
        parts = [(rec.select(trials == trial), trial.item() if hasattr(trial, "item")
                  else trial) for trial in ids]
    else:
        parts = [(rec, rec.meta.trial) for rec in recordings]
    return [{"source": rec.meta.source, "subject": rec.meta.subject, "trial": trial,
             **data_quality(rec, precision_on)} for rec, trial in parts]
