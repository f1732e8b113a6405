"""SR Research EyeLink ``.asc`` files (the text export of EDF files made by ``edf2asc``).

The file is read in pieces of a few MiB, each one polars column of lines classified by their
first characters (:mod:`gazelearn.io.eyelink_samples`): no Python loop runs per sample and the
whole text is never in memory, only the chosen eye's arrays and one piece:

* **samples** are the lines starting with a digit: ``time x y pupil ...`` (binocular: ``time
  xl yl pl xr yr pr ...``), times in ms (2 kHz files have half milliseconds, ``2154556.5``),
  ``.`` for a lost value, pupil 0 lost; extra columns (``INPUT``, velocities, resolution) and the
  flag columns (``...``, ``.C.C.``) are ignored. Lines of a ``!CAL`` block that continue without a
  prefix start with blanks and are never samples;
* **eye**: the ``START``/``SAMPLES`` line before each sample says which eyes the columns hold.
  ``eye=None`` takes the tracked eye (left for a binocular file), ``"left"``/``"right"`` one
  eye, ``"mean"`` the average of both (the one valid eye where the other is lost);
  ``extra["eye"]`` says which, ``extra["recorded_eyes"]`` what the file holds;
* **events** ``EFIX``/``ESACC``/``EBLINK`` of the chosen eye become per-sample labels (fixation,
  saccade, blink; a blink inside a saccade wins; for ``eye="mean"`` the left eye's), and the
  samples of a blink are lost; without any event lines there are no labels.
  :func:`read_eyelink_events` gives the tracker's events as :class:`~gazelearn.events.Events`,
  ``tracker_events=True`` attaches them to each recording (``extra["tracker_events"]``);
* **messages** ``MSG time text`` become ``extra["messages"]``, a polars table (``time`` in s on
  the recording's clock, ``text``, ``line``): a trial's own messages, from its start message to
  its stop message;
* **trials** run from a message matching ``trial_start`` (default ``TRIALID`` or
  ``start_trial``) to one matching ``trial_stop`` (default ``TRIAL_RESULT`` or ``stop_trial``) or
  the next start, in file order. Each trial with samples is one recording with ``meta.trial`` its
  name (what follows the matched text, or the pattern's first group); samples outside every trial
  are left out (``extra["samples_outside_trials"]`` counts them). ``split_trials=False`` gives
  one recording with ``extra["trial"]``, the trial of each sample (an int array, -1 outside any
  trial; it is not sliced by :meth:`Recording.select`), indexing ``extra["trial_names"]``. A
  file without trial messages is one recording;
* **calibrations and validations** (``!CAL``, ``VALIDATE``) become ``extra["calibrations"]`` and
  ``extra["validations"]``, lists of dicts (see
  :func:`~gazelearn.io.eyelink_calibration.parse_calibrations`), the same in every trial;
* **set-up**: ``GAZE_COORDS`` (else ``DISPLAY_COORDS``) ``l t r b`` gives a pixel-only
  ``Recording.screen`` of ``r - l + 1`` by ``b - t + 1`` px (``extra["display_width_px"]``,
  ``["display_height_px"]``; give ``screen`` for degrees); ``SAMPLES ... RATE r``
  ``extra["declared_sampling_rate"]``; ``RECCFG`` the tracking mode, file and link filters and
  ``extra["tracked_eyes"]``; ``PUPIL AREA|DIAMETER`` ``extra["pupil_measure"]``; the ``**``
  header the tracker, its model and software version, the recording date. Each recording takes
  the values in force at its first sample.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s1.asc"
>>> _ = path.write_text("MSG\\t100 DISPLAY_COORDS 0 0 1023 767\\n"
...                     "SAMPLES\\tGAZE\\tLEFT\\tRATE\\t500.00\\n"
...                     "100\\t 512.0\\t 384.0\\t 900.0\\t...\\n102\\t .\\t .\\t 0.0\\t...\\n"
...                     "EBLINK L 102 102 2\\n")
>>> rec = read_eyelink_asc(path)
>>> rec.x.tolist(), rec.labels.tolist(), rec.meta.extra["display_width_px"]
([512.0, nan], [0, 5], 1024)
>>> rec.screen.size_px, rec.screen.has_geometry
((1024, 768), False)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.events import Events
from gazelearn.labels import Label
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .eyelink_calibration import CALIBRATION_LINES, parse_calibrations, parse_header
from .eyelink_events import EVENT_TYPES, attach_events, events_table
from .eyelink_samples import Samples, floats, read_samples
from .registry import register_reader
from .samples import parse_float
from .table import make_recording, order_time

#: Default trial markers (regular expressions searched in a message's text).
TRIAL_START = r"\bTRIALID\b|\bstart_trial\b"
TRIAL_STOP = r"\bTRIAL_RESULT\b|\bstop_trial\b"

_EYES = ("left", "right", "mean")
_EVENT = (r"^(?P<kind>EFIX|ESACC|EBLINK)\s+(?P<eye>\S+)\s+(?P<start>\S+)\s+(?P<end>\S+)"
          + "".join(rf"(?:\s+(?P<v{i}>\S+))?" for i in range(7)))
# the words after the keyword are checked as numbers (ASCII digits, finite) where they are used
_COORDS = re.compile(r"\b(DISPLAY_COORDS|GAZE_COORDS)\b\s*(\S*)\s*(\S*)\s*(\S*)\s*(\S*)")
_RECCFG = re.compile(r"\bRECCFG\s+(\S+)\s+([0-9]{1,6})\s+([0-9]{1,3})\s+([0-9]{1,3})\s+(L|R|LR)\b")
_MESSAGE = r"^MSG\s+(?P<time>\S+)\s*(?P<text>.*)$"
_RATE = re.compile(r"\bRATE\b\s*(\S*)")
_TRACKED = {"L": "left", "R": "right", "LR": "both"}


@dataclass
class _Asc:
    """One parsed file: samples as arrays, the other lines as small tables and lists."""

    source: str
    samples: Samples  # the samples' line numbers, time (ms) and the chosen eye's values
    messages: pl.DataFrame | None = None  # number, time (s), text
    events: pl.DataFrame | None = None  # number, kind, eye, start, end (ms), v0..v6
    settings: dict = field(default_factory=dict)  # key -> [(line, value)]
    header: dict = field(default_factory=dict)
    calibrations: list = field(default_factory=list)
    validations: list = field(default_factory=list)


def _flag(name: str, value) -> bool:
    """A boolean option, also given as text on the command line (``-O split_trials=false``)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise InputError(f"{name} must be true or false, got {value!r}")


def _parse(path: str | Path, eye: str | None = None) -> _Asc:
    samples = read_samples(path, eye)
    asc = _Asc(str(path), samples)
    other = samples.other
    _read_settings(asc, other)
    _read_messages(asc, other)
    _read_events(asc, other)
    asc.header = parse_header(other.filter(pl.col("keyword") == "**")["line"].to_list())
    cal = other.filter(pl.col("line").str.contains(CALIBRATION_LINES))
    asc.calibrations, asc.validations = parse_calibrations(cal.select("number", "line")
                                                           .iter_rows())
    return asc


def _read_settings(asc: _Asc, other: pl.DataFrame) -> None:
    """RATE of START/SAMPLES lines, PUPIL, and (below, from messages) coordinates and RECCFG
    (the eyes of START/SAMPLES lines are read with the samples)."""
    for number, line, keyword in other.filter(pl.col("keyword").is_in(
            ["START", "SAMPLES", "PUPIL"])).iter_rows():
        words = line.upper().split()
        if keyword == "PUPIL":
            if len(words) > 1:
                asc.settings.setdefault("pupil_measure", []).append((number, words[1].lower()))
            continue
        rate = _RATE.search(line)
        if rate:
            asc.settings.setdefault("declared_sampling_rate", []).append(
                (number, _number(rate.group(1), "RATE Hz", asc.source, number, positive=True)))


def _read_messages(asc: _Asc, other: pl.DataFrame) -> None:
    parts = (other.filter(pl.col("keyword") == "MSG")
             .select("number", pl.col("line").str.extract_groups(_MESSAGE).alias("g"))
             .unnest("g"))
    time = parts["time"].cast(pl.Float64, strict=False)
    bad = time.is_null() | ~time.is_finite()
    if bad.any():
        row = int(bad.arg_max())
        raise InputError("expected a message 'MSG time text'", source=asc.source,
                         line=int(parts["number"][row]))
    asc.messages = pl.DataFrame({"time": time / 1000.0,
                                 "text": parts["text"].str.strip_chars_end(),
                                 "line": parts["number"]})
    special = asc.messages.filter(pl.col("text").str.contains(r"\b(?:DISPLAY_COORDS|GAZE_COORDS"
                                                              r"|RECCFG)\b"))
    for text, number in special.select("text", "line").iter_rows():
        if coords := _COORDS.search(text):
            key = coords.group(1).lower()
            what = f"{coords.group(1)} left top right bottom (px)"
            values = tuple(_number(coords.group(i), what, asc.source, number)
                           for i in range(2, 6))
            if not (values[0] < values[2] and values[1] < values[3]):
                raise InputError(f"expected {what} with left < right and top < bottom, got "
                                 f"{' '.join(coords.group(i) for i in range(2, 6))[:60]!r}",
                                 source=asc.source, line=number)
            asc.settings.setdefault(key, []).append((number, values))
        elif reccfg := _RECCFG.search(text):
            asc.settings.setdefault("reccfg", []).append((number, {
                "tracking_mode": reccfg.group(1), "reccfg_rate": float(reccfg.group(2)),
                "file_filter": int(reccfg.group(3)), "link_filter": int(reccfg.group(4)),
                "tracked_eyes": _TRACKED[reccfg.group(5)]}))


def _number(text: str, what: str, source: str, line: int, positive: bool = False) -> float:
    """One number of a settings line: ASCII digits, finite (positive), else an error naming
    the line."""
    try:
        value = parse_float(text)
    except ValueError:
        value = math.nan
    # 1e6 px or Hz is no tracker's: a 400-digit number is a broken line, not a screen
    if not (math.isfinite(value) and abs(value) < 1e6 and (value > 0 or not positive)):
        raise InputError(f"expected {what}, got {text[:40]!r}", source=source, line=line)
    return value


def _read_events(asc: _Asc, other: pl.DataFrame) -> None:
    events = (other.filter(pl.col("keyword").is_in(list(EVENT_TYPES)))
              .select("number", "line", pl.col("line").str.extract_groups(_EVENT).alias("g"))
              .unnest("g"))
    broken = events["kind"].is_null() | ~events["eye"].is_in(["L", "R"])
    if broken.any():
        row = int(broken.arg_max())
        keyword = events["line"][row].split()[0]
        raise InputError(f"expected '{keyword} eye start end ...' (eye L or R), got "
                         f"{events['line'][row].strip()[:60]!r}", source=asc.source,
                         line=int(events["number"][row]))
    values = floats(events, {"start": (3, "start"), "end": (4, "end")}, asc.source,
                     "expected an event 'E... eye start end ...'")
    measures = {name: events[name].cast(pl.Float64, strict=False).fill_null(np.nan)
                for name in (f"v{i}" for i in range(7))}
    asc.events = pl.DataFrame({"line": events["number"], "kind": events["kind"],
                               "eye": events["eye"], "start": values["start"],
                               "end": values["end"], **measures})
    ends_early = asc.events["end"] < asc.events["start"]
    if ends_early.any():
        row = int(ends_early.arg_max())
        raise InputError("the event ends before it starts", source=asc.source,
                         line=int(asc.events["line"][row]))


def _in_force(entries: list, line: int):
    """The value of the last entry at or before ``line`` (else the file's first), or None."""
    if not entries:
        return None
    before = [value for number, value in entries if number <= line]
    return before[-1] if before else entries[0][1]


# ---------------------------------------------------------------------------- samples and eyes
def _choose_eye(asc: _Asc, eye: str | None) -> tuple[str | None, list[str]]:
    """The eye named in meta and the recorded eyes (the samples took their columns while
    read); an error when a one-eye part of the file has not the eye asked for."""
    samples = asc.samples
    recorded: list[str] = []
    used: list[str] = []
    for k, (number, eyes) in enumerate(samples.layouts):
        if k not in samples.layout_rows:
            continue
        names = [_TRACKED[letter] for letter in eyes]
        recorded.extend(name for name in names if name not in recorded)
        if eyes == "LR":
            used.append(eye or "left")
        else:
            if eye in ("left", "right") and names[0] != eye:
                raise InputError(f"the file recorded the {names[0]} eye only, not the {eye} eye",
                                 source=asc.source, line=number)
            used.append(names[0])
    if samples.before_layouts and eye is not None:
        used.append(eye)  # samples before any START/SAMPLES line: take the eye asked for
    named = ", ".join(dict.fromkeys(used)) or None
    return named, recorded


def _cover(time: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Samples inside any of the closed intervals [start, end] (vectorised, no loop)."""
    mask = np.zeros(len(time) + 1, dtype=np.int32)
    np.add.at(mask, np.searchsorted(time, starts, side="left"), 1)
    np.add.at(mask, np.searchsorted(time, ends, side="right"), -1)
    return np.cumsum(mask[:-1], dtype=np.int32) > 0


def _eye_cover(asc: _Asc, kind: str, right: np.ndarray | None) -> np.ndarray:
    """Samples inside an event ``kind`` of their own eye (``right``: the right eye's samples;
    None: the right eye's events for every sample)."""
    time, events = asc.samples.time, asc.events.filter(pl.col("kind") == kind)
    covers = {}
    for letter in "LR" if right is not None else "R":
        rows = events.filter(pl.col("eye") == letter)
        covers[letter] = _cover(time, rows["start"].to_numpy(), rows["end"].to_numpy())
    return covers["R"] if right is None else np.where(right, covers["R"], covers["L"])


def _signals(asc: _Asc) -> np.ndarray | None:
    """The samples' x, y, pupil made final in place (blinks of the sample's eye and zero
    pupils lost, the mean of both eyes where asked); per-sample labels, or None without any
    event lines."""
    s = asc.samples
    blink = _eye_cover(asc, "EBLINK", s.right)
    for values in (s.x, s.y, s.pupil):
        values[blink] = np.nan
    del blink
    s.pupil[s.pupil == 0] = np.nan
    if s.second is not None:  # eye="mean": both eyes, each without its blinks
        rows = np.flatnonzero(s.choice == 3)
        blink = _eye_cover(asc, "EBLINK", None)[rows]
        for values, name in ((s.x, "x2"), (s.y, "y2"), (s.pupil, "p2")):
            a, b = values[rows], np.where(blink, np.nan, s.second[name][rows])
            if name == "p2":
                b[b == 0] = np.nan
            with np.errstate(invalid="ignore"):
                values[rows] = np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2))
        s.second = None
    lost = ~(np.isfinite(s.x) & np.isfinite(s.y))  # inf, 1e400: lost, never a position
    s.x[lost] = np.nan
    s.y[lost] = np.nan
    del lost
    if not asc.events.height:
        return None
    labels = np.zeros(len(s.time), dtype=np.int8)
    for kind, code in (("EFIX", Label.FIXATION), ("ESACC", Label.SACCADE),
                       ("EBLINK", Label.BLINK)):
        labels[_eye_cover(asc, kind, s.right)] = int(code)
    return labels


# ---------------------------------------------------------------------------- trials
def _compile(name: str, pattern) -> re.Pattern:
    try:
        return re.compile(pattern)
    except (re.error, TypeError) as error:
        raise InputError(f"{name} is not a valid regular expression ({error}): {pattern!r}",
                         params=(name,)) from None


def _trials(messages: pl.DataFrame, start: re.Pattern, stop: re.Pattern) -> list[tuple]:
    """Trial spans ``(name, first line, stop line)`` in file order: lines ``first <= line <
    stop`` (stop: just after the stop message, or the next start message's line, or a very
    large number when the file ends first)."""
    spans: list[list] = []
    end_of_file = np.iinfo(np.int64).max
    # Python's re on the messages (few next to the samples), so the patterns are Python's
    for text, line in messages.select("text", "line").iter_rows():
        closes = stop.search(text)
        found = start.search(text)
        if not (closes or found):
            continue
        if closes and spans and spans[-1][2] == end_of_file:
            spans[-1][2] = line + 1  # the stop message is the trial's last line
        if found:
            if spans and spans[-1][2] == end_of_file:
                spans[-1][2] = line
            groups = [g for g in found.groups() if g] if found.re.groups else []
            name = (found.groupdict().get("trial") or (groups[0] if groups else None)
                    or text[found.end():].strip() or str(len(spans) + 1))
            spans.append([name.strip(), line, end_of_file])
    return [tuple(span) for span in spans]


# ---------------------------------------------------------------------------- the reader
@register_reader("eyelink-asc", description="SR Research EyeLink .asc text (samples, trials, "
                 "messages, calibrations, tracker events)",
                 options=("screen", "eye", "trial_start", "trial_stop", "split_trials",
                          "tracker_events"))
def read_eyelink_asc(path: str | Path, *, screen: Screen | None = None, eye: str | None = None,
                     trial_start: str = TRIAL_START, trial_stop: str = TRIAL_STOP,
                     split_trials: bool = True, tracker_events: bool = False
                     ) -> Recording | list[Recording]:
    """Read an EyeLink ASC file: one recording, or one per trial (see the module notes).

    Parameters
    ----------
    path : str or Path
    screen : Screen, optional
        The geometry (the file only knows the resolution, which gives a pixel-only screen).
    eye : {"left", "right", "mean"}, optional
        Which eye (default: the tracked eye; left for a binocular file).
    trial_start, trial_stop : str
        Regular expressions searched in each message's text that start and end a trial.
    split_trials : bool
        One recording per trial (default); False gives one recording with the trial of each
        sample in ``extra["trial"]``.
    tracker_events : bool
        Attach the tracker's events of the chosen eye as ``extra["tracker_events"]``.

    Returns
    -------
    Recording or list of Recording
        One recording when the file holds one; a list, one per trial, otherwise
        (:func:`gazelearn.io.read_all` always gives a list).
    """
    if eye is not None and eye not in _EYES:
        raise InputError(f"eye must be 'left', 'right' or 'mean', got {eye!r}", params=("eye",))
    split_trials = _flag("split_trials", split_trials)
    tracker_events = _flag("tracker_events", tracker_events)
    start, stop = _compile("trial_start", trial_start), _compile("trial_stop", trial_stop)
    asc = _parse(path, eye)
    samples = asc.samples
    numbers, time = samples.numbers, samples.time
    if len(numbers) == 0:
        raise InputError("no sample lines ('time x y pupil ...') in the file", source=asc.source)
    order_time(time / 1000.0, "error", asc.source, numbers, "time")
    eye_name, recorded = _choose_eye(asc, eye)
    labels = _signals(asc)
    np.divide(time, 1000.0, out=time)  # ms to s in place (the events are matched in ms above)
    spans = _trials(asc.messages, start, stop)
    starts = np.array([span[1] for span in spans], dtype=np.int64)
    stops = np.array([span[2] for span in spans], dtype=np.int64)
    base = _file_meta(asc, eye_name, recorded)
    whole = Piece(0, len(time), None, 0, np.iinfo(np.int64).max)
    if not spans:
        pieces = [whole]
    else:
        which = np.searchsorted(starts, numbers, side="right") - 1
        inside = (which >= 0) & (numbers < stops[np.maximum(which, 0)])
        trial = np.where(inside, which, -1).astype(np.int32)
        if not split_trials:
            base.extra["trial"] = trial
            base.extra["trial_names"] = [span[0] for span in spans]
            pieces = [whole]
        else:
            first = np.searchsorted(numbers, starts, side="right")
            last = np.searchsorted(numbers, stops, side="left")
            pieces = [Piece(a, b, name, line, stop_line)
                      for (name, line, stop_line), a, b in zip(spans, first, last, strict=True)
                      if b > a]
            outside = int(np.sum(~inside))
            if not pieces:  # trial messages, but no sample inside any: the whole file
                pieces = [whole]
            elif outside:
                base.extra["samples_outside_trials"] = outside
        del which, inside
    recordings = []
    for piece in pieces:
        index = slice(piece.first, piece.last)
        meta = _piece_meta(asc, base, piece)
        rec_screen = screen if screen is not None else _screen(meta)
        rec = make_recording(time[index], samples.x[index], samples.y[index],
                             pupil=samples.pupil[index],
                             labels=None if labels is None else labels[index],
                             screen=rec_screen, meta=meta, lines=numbers[index],
                             time_field="time")
        if tracker_events:
            letter = "R" if np.all(samples.right[index]) else "L"
            rec.meta.extra["tracker_events"] = attach_events(
                asc.events, asc.settings.get("declared_sampling_rate", []), rec, letter)
        recordings.append(rec)
    return recordings[0] if len(recordings) == 1 else recordings


@dataclass(frozen=True)
class Piece:
    """The samples ``first:last`` of one output recording, its trial and its message lines."""

    first: int
    last: int
    trial: str | None
    first_line: int
    stop_line: int


def _file_meta(asc: _Asc, eye_name: str | None, recorded: list[str]) -> Metadata:
    meta = Metadata(source=asc.source, format="eyelink-asc")
    meta.extra.update(asc.header)
    if eye_name:
        meta.extra["eye"] = eye_name
    if recorded:
        meta.extra["recorded_eyes"] = recorded
    meta.extra["calibrations"] = asc.calibrations
    meta.extra["validations"] = asc.validations
    return meta


def _piece_meta(asc: _Asc, base: Metadata, piece: Piece) -> Metadata:
    """The file's metadata, the set-up in force at the piece's first sample, its messages."""
    extra = dict(base.extra)
    line = int(asc.samples.numbers[piece.first])
    coords = None
    for key in ("display_coords", "gaze_coords"):  # gaze coordinates win: the samples' space
        value = _in_force(asc.settings.get(key, []), line)
        if value is not None:
            extra[key] = list(value)
            coords = value
    if coords is not None:
        left, top, right, bottom = coords
        extra["display_width_px"] = int(round(right - left + 1))
        extra["display_height_px"] = int(round(bottom - top + 1))
    for key in ("declared_sampling_rate", "pupil_measure"):
        value = _in_force(asc.settings.get(key, []), line)
        if value is not None:
            extra[key] = value
    reccfg = _in_force(asc.settings.get("reccfg", []), line)
    if reccfg:
        extra.update(reccfg)
        extra.setdefault("declared_sampling_rate", reccfg["reccfg_rate"])
        extra.pop("reccfg_rate")
    messages = asc.messages
    if piece.trial is not None:
        messages = messages.filter((pl.col("line") >= piece.first_line)
                                   & (pl.col("line") < piece.stop_line))
    extra["messages"] = messages
    return Metadata(source=base.source, format=base.format, trial=piece.trial, extra=extra)


def _screen(meta: Metadata) -> Screen | None:
    """The pixel-only screen of the coordinates; None when the numbers are not a real screen
    (they stay in ``extra``, as the file gave them)."""
    if "display_width_px" not in meta.extra:
        return None
    try:
        return Screen(meta.extra["display_width_px"], meta.extra["display_height_px"])
    except InputError:
        return None


# ---------------------------------------------------------------------------- tracker events
def read_eyelink_events(path: str | Path, eye: str | None = None, *,
                        trial_start: str = TRIAL_START, trial_stop: str = TRIAL_STOP) -> Events:
    """The tracker's own events (``EFIX``, ``ESACC``, ``EBLINK``) of an ASC file as
    :class:`~gazelearn.events.Events`.

    Times in seconds on the tracker's clock; ``offset`` is one sample after the tracker's end
    time (gazelearn's events end where the next sample starts). The tracker's measures fill
    ``amplitude`` (deg) and ``peak_velocity`` (deg/s) of saccades and ``mean_x``/``mean_y``
    (px) of fixations; extra columns ``eye``, ``start_x``, ``start_y``, ``end_x``, ``end_y``,
    ``pupil`` (a fixation's mean), ``line`` and ``trial`` (the trial the event line falls in,
    None outside trials). Sample indices are -1: the events of one recording, indexed on its
    samples, come with ``read_eyelink_asc(path, tracker_events=True)``.

    Parameters
    ----------
    path : str or Path
    eye : {"left", "right"}, optional
        Only the events of one eye (default both).
    trial_start, trial_stop : str
        The trial markers, as in :func:`read_eyelink_asc`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.asc"
    >>> _ = path.write_text("SAMPLES\\tGAZE\\tLEFT\\tRATE\\t500.00\\n"
    ...                     "EFIX L 1000 1198 200 512.0 384.0 900\\n"
    ...                     "ESACC L 1200 1230 32 512 384 700 400 4.1 310\\n")
    >>> events = read_eyelink_events(path)
    >>> events.frame.select("type", "onset", "offset", "amplitude").rows()
    [('fixation', 1.0, 1.2, nan), ('saccade', 1.2, 1.232, 4.1)]
    """
    if eye is not None and eye not in ("left", "right"):
        raise InputError(f"eye must be 'left' or 'right', got {eye!r}", params=("eye",))
    asc = _parse(path)
    events = asc.events
    if eye is not None:
        events = events.filter(pl.col("eye") == eye[0].upper())
    if events.height == 0:
        return Events.empty()
    spans = _trials(asc.messages, _compile("trial_start", trial_start),
                    _compile("trial_stop", trial_stop))
    frame = events_table(events, asc.settings.get("declared_sampling_rate", []))
    lines = frame["line"].to_numpy()
    starts = np.array([s[1] for s in spans], dtype=np.int64)
    which = np.searchsorted(starts, lines, side="right") - 1
    names = pl.Series([s[0] for s in spans] + [None], dtype=pl.String)
    stops = np.array([s[2] for s in spans] + [0], dtype=np.int64)
    inside = (which >= 0) & (lines < stops[which])
    trial = names.gather(np.where(inside, which, len(spans)))
    return Events(frame.with_columns(trial.alias("trial")))
