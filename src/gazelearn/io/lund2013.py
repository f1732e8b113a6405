"""Lund 2013 hand-labelled recordings (MATLAB ``.mat``, struct ``ETdata``).

Andersson, Larsson, Holmqvist, Stridh & Nyström (2017), "One algorithm to rule them all? An
evaluation and discussion of ten eye movement event-detection algorithms", Behavior Research
Methods 49(2), 616-637.

``ETdata.pos`` is N x 6: timestamp (us), two tracker columns, x, y (px), label (1 fixation,
2 saccade, 3 PSO, 4 smooth pursuit, 5 blink, 6 undefined). ``screenDim`` (m), ``screenRes`` (px),
``viewDist`` (m), ``sampFreq`` (Hz) give the screen and nominal rate.

Conversions:

* time: microseconds to seconds. The ``dots`` files have no timestamps at all (NaN): time is then
  made from ``sampFreq`` (or ``sampling_rate=`` when given; 500 Hz, the data set's rate, when the
  file has neither) and ``extra["time_synthesized"]`` is True.
* padding and missing times: some files end with padding rows (timestamp 0 at x = y = 0) and some
  ``dots`` files have NaN timestamps except such a trailing 0 row. Every row is a labelled sample,
  so every row stays one sample: a padding row is a lost sample, and padding rows and rows
  whose timestamp is NaN or infinite get a synthesised time (see :func:`fill_lund_time`:
  interpolated between the known timestamps around them, continued at the recording's median
  interval before the first and after the last). ``extra["padding_rows"]`` and
  ``extra["synthesized_times"]`` count them when there are any. A row with a missing time keeps
  its position: only its time is unknown.
* lost: x = y = 0, NaN or inf become NaN (``extra["nonfinite_values"]`` counts the inf values).
* labels: 1..5 keep their codes, 6 (undefined) becomes 0.
* metadata from the file name: ``TH38_img_Europe_labelled_RA.mat`` gives subject ``TH38``,
  stimulus ``Europe``, ``extra`` stimulus_type ``img`` and coder ``RA``;
  ``TL32_trial17_labelled_RA.mat`` gives trial ``trial17`` and stimulus_type ``dots``.
  ``extra["stimulus_kind"]`` is ``static`` for images and ``dynamic`` for dots and video (the
  detectors then rule out pursuit on images); a file named otherwise takes both from its
  folder (``img/``, ``dots/``, ``video/``) when it is in one.
* ``extra["declared_sampling_rate"]`` keeps ``sampFreq``. Beware: it says 500 Hz in every file,
  but the timestamps of the TL48 and UL47 video/img recordings run at 200 Hz (and so, judging by
  its sample count, does the timestamp-less ``UL47_trial1``); trust the timestamps.

Examples
--------
>>> import tempfile, pathlib, numpy as np, scipy.io
>>> path = pathlib.Path(tempfile.mkdtemp()) / "XX01_img_Test_labelled_RA.mat"
>>> pos = np.array([[0, 0, 0, 10, 20, 1], [2000, 0, 0, 0, 0, 5], [4000, 0, 0, 12, 22, 6.]])
>>> scipy.io.savemat(path, {"ETdata": {"pos": pos, "screenDim": [0.38, 0.3],
...                  "screenRes": [1024, 768], "viewDist": 0.67, "sampFreq": 500}})
>>> rec = read_lund2013(path)
>>> rec.labels.tolist(), rec.x.tolist(), rec.meta.subject, rec.meta.extra["stimulus_type"]
([1, 5, 0], [10.0, nan, 12.0], 'XX01', 'img')
>>> rec.meta.extra["stimulus_kind"]
'static'

A padding row at the end (time 0, x = y = 0) is a lost sample one interval later:

>>> pos = np.vstack([pos, [0, 0, 0, 0, 0, 1]])
>>> scipy.io.savemat(path, {"ETdata": {"pos": pos, "sampFreq": 500, "screenDim": [0.38, 0.3],
...                  "screenRes": [1024, 768], "viewDist": 0.67}})
>>> rec = read_lund2013(path)
>>> rec.time.tolist(), rec.labels.tolist(), rec.meta.extra["padding_rows"]
([0.0, 0.002, 0.004, 0.006], [1, 5, 0, 1], 1)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gazelearn.errors import InputError
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .registry import register_reader
from .table import make_recording, synthetic_time, zero_to_nan

#: The rate of the Lund 2013 data set, for files that declare none.
LUND_RATE = 500.0

_NAME = re.compile(
    r"^(?P<subject>[A-Za-z]+\d+)_(?:(?P<type>img|video)_(?P<stimulus>.+?)|(?P<trial>trial\d+))"
    r"_labelled_(?P<coder>[A-Za-z]+)$")


def lund_metadata(path: str | Path) -> Metadata:
    """Metadata from a Lund 2013 file name (subject, stimulus or trial, stimulus type, coder)."""
    path = Path(path)
    meta = Metadata(source=str(path), format="lund2013")
    match = _NAME.match(path.stem)
    if match is None:
        return _kind_from_folders(path, meta)
    meta.subject = match["subject"]
    if match["trial"]:
        meta.trial = match["trial"]
        meta.extra["stimulus_type"] = "dots"
    else:
        meta.stimulus = match["stimulus"]
        meta.extra["stimulus_type"] = match["type"]
    meta.extra["coder"] = match["coder"]
    meta.extra["stimulus_kind"] = _STIMULUS_KIND[meta.extra["stimulus_type"]]
    return meta


# images are static (no pursuit possible); moving dots and video are dynamic
_STIMULUS_KIND = {"img": "static", "dots": "dynamic", "video": "dynamic"}


def _kind_from_folders(path: Path, meta: Metadata) -> Metadata:
    """``stimulus_kind`` from the data set's folders (``img/``, ``dots/``, ``video/``) when the
    file name does not say it."""
    if "stimulus_kind" not in meta.extra:
        for folder in path.parent.parts[::-1]:
            if folder in _STIMULUS_KIND:
                meta.extra["stimulus_type"] = folder
                meta.extra["stimulus_kind"] = _STIMULUS_KIND[folder]
                break
    return meta


def fill_lund_time(time_us: np.ndarray, x: np.ndarray, y: np.ndarray, rate: float,
                   source: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds for every row of a Lund ``pos`` array, synthesising the times a file lacks.

    A padding row (timestamp 0 at x = y = 0, after the first row) and a row whose timestamp is
    NaN or infinite have no usable time. Between two known timestamps such rows get times
    interpolated linearly by row number; before the first and after the last known timestamp
    they continue at the median interval of the known ones (``1 / rate`` when fewer than two
    are known). Without any known timestamp the time is ``0, 1/rate, 2/rate, ...``.

    Parameters
    ----------
    time_us : numpy.ndarray
        The file's timestamps in microseconds.
    x, y : numpy.ndarray
        Positions (to recognise padding rows).
    rate : float
        Sampling rate in Hz used when the timestamps cannot give the interval.
    source : str, optional
        The file, for error messages.

    Returns
    -------
    time : numpy.ndarray
        Seconds, one per row.
    padding, synthesized : numpy.ndarray of bool
        Rows that are padding; rows whose time was synthesised (padding rows included).

    Examples
    --------
    >>> t = np.array([np.nan, 2000.0, 4000.0, np.nan, 8000.0, 0.0, 0.0])
    >>> xy = np.array([5.0, 5, 5, 5, 5, 0, 0])
    >>> time, padding, synthesized = fill_lund_time(t, xy, xy, 500.0)
    >>> (time * 1000).round(6).tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
    >>> padding.tolist(), int(synthesized.sum())
    ([False, False, False, False, False, True, True], 4)
    """
    n = len(time_us)
    row = np.arange(n)
    # row 0 at time 0 is a clock that starts at 0, not padding (even when its position is lost)
    padding = (time_us == 0) & (x == 0) & (y == 0) & (row > 0)
    known = np.isfinite(time_us) & ~padding
    synthesized = ~known
    if not known.any():
        return synthetic_time(n, rate, source), padding, synthesized
    time = time_us / 1e6
    if not synthesized.any():
        return time, padding, synthesized
    at, values = row[known], time[known]
    steps = np.diff(values) / np.diff(at)
    steps = steps[steps > 0]
    interval = float(np.median(steps)) if steps.size else 1.0 / rate
    # np.interp keeps the interior rows in order between their neighbours; it would clamp
    # outside, so the ends continue at the recording's own interval instead
    filled = np.interp(row, at, values)
    filled = np.where(row < at[0], values[0] - (at[0] - row) * interval, filled)
    filled = np.where(row > at[-1], values[-1] + (row - at[-1]) * interval, filled)
    return np.where(known, time, filled), padding, synthesized


def _field(struct, name: str, source: str):
    try:
        value = struct[name]
        while isinstance(value, np.ndarray) and value.dtype == object and value.size == 1:
            value = value.reshape(-1)[0]
        return np.asarray(value, dtype=np.float64)
    except (KeyError, ValueError, TypeError, IndexError):
        raise InputError(f"ETdata lacks a numeric {name!r} field", source=source,
                         field=name) from None


def _load(path: str | Path):
    import scipy.io

    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputError("file not found", source=path)
    if path.is_dir():
        raise InputError("is a folder, expected a .mat file", source=path)
    try:
        content = scipy.io.loadmat(path)
    except MemoryError:
        raise InputError("not a readable MATLAB file (corrupt size fields)", source=source
                         ) from None
    except Exception as error:  # scipy raises many types on corrupt files
        reason = " ".join(str(error).split())[:120] or type(error).__name__
        raise InputError(f"not a readable MATLAB file: {reason}", source=source) from None
    if "ETdata" not in content:
        keys = ", ".join(k for k in content if not k.startswith("__")) or "none"
        raise InputError(f"expected a Lund 2013 struct 'ETdata'; the file has variables {keys}",
                         source=source, field="ETdata")
    struct = content["ETdata"]
    if not (isinstance(struct, np.ndarray) and struct.dtype.names and struct.size >= 1):
        raise InputError("'ETdata' is not a struct", source=source, field="ETdata")
    return struct.reshape(-1)[0]


@register_reader("lund2013", description="Lund 2013 hand-labelled .mat files (ETdata struct)",
                 options=("screen", "sampling_rate"))
def read_lund2013(path: str | Path, *, screen: Screen | None = None,
                  sampling_rate: float | None = None) -> Recording:
    """Read one Lund 2013 ``.mat`` recording.

    Parameters
    ----------
    path : str or Path
    screen : Screen, optional
        Overrides the file's geometry.
    sampling_rate : float, optional
        Rate used to make timestamps when the file has none (default: the file's ``sampFreq``,
        else 500 Hz), and the interval of synthesised times when fewer than two are known.

    Returns
    -------
    Recording
        With labels, screen and metadata.
    """
    source = str(path)
    struct = _load(path)
    pos = _field(struct, "pos", source)
    if pos.ndim != 2 or pos.shape[1] < 6:
        raise InputError(f"ETdata.pos must be N x 6, got shape {pos.shape}", source=source,
                         field="pos")
    if pos.shape[0] == 0:
        raise InputError("no samples in the file", source=source, field="pos")
    meta = lund_metadata(path)
    declared = None
    if "sampFreq" in struct.dtype.names:
        rate = _field(struct, "sampFreq", source).reshape(-1)
        if rate.size == 1 and np.isfinite(rate[0]) and rate[0] > 0:
            declared = float(rate[0])
            meta.extra["declared_sampling_rate"] = declared
    if screen is None:
        try:
            dim = _field(struct, "screenDim", source).reshape(-1)
            res = _field(struct, "screenRes", source).reshape(-1)
            dist = _field(struct, "viewDist", source).reshape(-1)
            screen = Screen(int(res[0]) if np.isfinite(res[0]) else -1,
                            int(res[1]) if np.isfinite(res[1]) else -1,
                            float(dim[0]) * 1000.0, float(dim[1]) * 1000.0,
                            float(dist[0]) * 1000.0)
        except IndexError:
            raise InputError("screenDim, screenRes and viewDist need 2, 2 and 1 values",
                             source=source, field="screenDim") from None
        except InputError as error:
            raise InputError(error.reason, source=source, field="ETdata") from None
    rate = sampling_rate if sampling_rate is not None else (declared or LUND_RATE)
    try:
        rate = float(rate)
    except (TypeError, ValueError):
        rate = float("nan")
    if not (np.isfinite(rate) and rate > 0):
        raise InputError(f"sampling rate must be a positive number, got {sampling_rate!r}",
                         source=source, field="sampling_rate")
    time, padding, synthesized = fill_lund_time(pos[:, 0], pos[:, 3], pos[:, 4], rate, source)
    if synthesized.all():
        meta.extra["time_synthesized"] = True
    if padding.any():
        meta.extra["padding_rows"] = int(padding.sum())
    if synthesized.any():
        meta.extra["synthesized_times"] = int(synthesized.sum())
    # inf is a lost sample, never a position; counted like the text readers count theirs
    infinite = int(np.isinf(pos[:, 3:5]).sum())
    if infinite:
        meta.extra["nonfinite_values"] = infinite
    x, y = zero_to_nan(*(np.where(np.isinf(pos[:, c]), np.nan, pos[:, c]) for c in (3, 4)))
    raw = pos[:, 5]
    raw = np.where(np.isnan(raw), 6, raw)
    bad = np.flatnonzero((raw != np.round(raw)) | (raw < 1) | (raw > 6))
    if bad.size:
        raise InputError(f"label {raw[bad[0]]!r} in sample {bad[0] + 1}; expected 1..6",
                         source=source, field="pos")
    labels = np.where(raw == 6, 0, raw).astype(np.int8)
    return make_recording(time, x, y, labels=labels, screen=screen, meta=meta,
                          lines=np.arange(1, len(pos) + 1), time_field="pos")
