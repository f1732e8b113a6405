"""Text exports of eye-tracker vendors' software: SMI BeGaze, Tobii Pro Lab, Gazepoint, Pupil Labs.

Each reader finds its columns by the names the vendor's software writes (several spellings
where versions differ), reads them through the shared text reader
(:func:`~gazelearn.io.table.read_table`) and returns a :class:`~gazelearn.Recording`:

* ``smi``: BeGaze / iView X "Samples" text export: ``##`` header (sample rate, calibration area,
  stimulus size, head distance become the screen when given), a header row ``Time Type Trial
  L POR X [px] ...``, ``SMP`` sample rows and ``MSG`` rows (``extra["messages"]``, a polars
  table ``time`` (s), ``text``, ``line`` as for EyeLink files);
  time in microseconds; option ``eye`` (left, right, average), ``trials`` (the ``Trial``
  column);
* ``didec``: the SMI reader with the screen DIDEC publishes (1680 x 1050 px, 474 x 297 mm,
  70 cm);
* ``tobii``: Tobii Pro Lab (and Tobii Studio) TSV data export: ``Recording timestamp`` (in us or
  ms: from a ``[us]``/``[ms]`` in the name, else from the sampling intervals with
  :func:`~gazelearn.io.samples.infer_time_unit`; ``time_unit`` overrides), ``Gaze point
  X/Y`` (px), pupil diameters, validity, ``Eye movement type`` (the I-VT filter's fixations and
  saccades become labels), ``Sensor`` (only eye-tracker rows are samples), ``Event`` rows
  (messages), ``Recording resolution`` (the screen in px); option ``eye`` (both, left, right);
* ``gazepoint``: Gazepoint Control / Analysis CSV: ``TIME`` (s, also ``TIME(date)``), points of
  gaze ``BPOG`` (best, default), ``LPOG``, ``RPOG``, ``FPOG`` (the tracker's fixation filter)
  with their validity flags, pupil ``LPMM``/``RPMM`` (mm) or ``LPD``/``RPD`` (px); option
  ``eye`` (best, left, right, fixation);
* ``pupil-labs``: Pupil Player ``gaze_positions.csv``: ``gaze_timestamp`` (s), ``norm_pos_x``,
  ``norm_pos_y`` (0..1 over the world camera image, y up: flipped to y down), ``confidence``
  (below ``min_confidence``, default 0.6, a sample is lost); timestamps are sorted
  (``unordered="sort"``) because binocular gaze is not always in order.

Gazepoint and Pupil Labs positions are normalised: with ``screen`` (a pixel-only
``Screen(w, h)`` is enough) they become pixels; without, they stay 0..1 and
``extra["position_unit"]`` says ``norm``.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "gaze_positions.csv"
>>> _ = path.write_text("gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y\\n"
...                     "10.000,0,0.99,0.5,0.25\\n10.005,0,0.2,0.5,0.5\\n10.010,1,0.95,0.25,1.0\\n")
>>> detect_vendor(path)
'pupil-labs'
>>> rec = read_pupil_labs(path, screen=Screen(1280, 720))
>>> rec.x.tolist(), rec.y.tolist(), rec.sampling_rate
([640.0, nan, 320.0], [540.0, nan, 0.0], 200.0)
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.labels import Label
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .layouts import (
    choose,
    combine_eyes,
    finish,
    head,
    header_fields,
    mean_of_two,
    table_options,
    trial_keys,
)
from .pieces import text_pieces
from .registry import register_reader
from .table import (
    infer_time_unit,
    make_recording,
    positions_to_px,
    read_table,
    time_to_seconds,
    zero_to_nan,
)

_SMI_POR = re.compile(r"^([LRB]) POR X \[px\]$")
_SMI_MESSAGE = re.compile(r"^(\d+)\tMSG\t[^\t\n]*\t(?:# Message: )?([^\n]*)$", re.MULTILINE)
_SMI_MESSAGE_LINE = re.compile(_SMI_MESSAGE.pattern + r"\n?", re.MULTILINE)  # and its end
_SMI_HEADER = {"rate": r"Sample Rate:\s*([\d.]+)",
               "area": r"Calibration Area:\s*(\d+)\s+(\d+)",
               "size": r"Stimulus Dimension \[mm\]:\s*([\d.]+)\s+([\d.]+)",
               "distance": r"Head Distance \[mm\]:\s*([\d.]+)"}
_HEADER_CHARS = 65536  # the ## header block is at the start
DIDEC_SCREEN = Screen(1680, 1050, 474.0, 297.0, 700.0)

_TOBII_TIME = re.compile(r"^Recording ?timestamp(?: \[(μs|us|ms)\])?$", re.IGNORECASE)
_TOBII_X = {None: r"^(Gaze point X|GazePointX \(ADCSpx\)|GazePointX)(?: \[.*px\])?$",
            "left": r"^(Gaze point left X|GazePointLeftX \(ADCSpx\))(?: \[.*px\])?$",
            "right": r"^(Gaze point right X|GazePointRightX \(ADCSpx\))(?: \[.*px\])?$"}
_TOBII_LABELS = {"fixation": Label.FIXATION, "saccade": Label.SACCADE}
# columns only ever read as text (an all-empty Event column looks numeric)
_TOBII_TEXT = ("Sensor", "Validity left", "Validity right", "Eye movement type", "GazeEventType",
               "Event")

_PUPIL_LABS = ("gaze_timestamp", "norm_pos_x", "norm_pos_y", "confidence")
_GAZEPOINT_EYES = {"best": "BPOG", "left": "LPOG", "right": "RPOG", "fixation": "FPOG"}


# ---------------------------------------------------------------------------- detection
def detect_vendor(path: str | Path) -> str | None:
    """``smi``, ``tobii``, ``gazepoint`` or ``pupil-labs`` when the header is theirs, else None."""
    _, lines = head(path)
    delimiter, names = header_fields(lines)
    fields = set(names)
    if "Time" in fields and "Type" in fields and any(_SMI_POR.match(n) for n in names):
        return "smi"
    if delimiter == "\t" and _find(names, _TOBII_TIME) is not None and _find(
            names, re.compile(_TOBII_X[None])) is not None:
        return "tobii"
    if {"FPOGX", "FPOGY", "FPOGV"} <= fields and _gazepoint_time(names) is not None:
        return "gazepoint"
    if set(_PUPIL_LABS) <= fields:
        return "pupil-labs"
    return None


def _find(names: list[str], pattern: re.Pattern) -> str | None:
    return next((name for name in names if pattern.match(name)), None)


def _gazepoint_time(names: list[str]) -> str | None:
    return next((n for n in names if n == "TIME" or n.startswith("TIME(")), None)


# ---------------------------------------------------------------------------- helpers
def normalised_to_px(x, y, screen: Screen | None, meta: Metadata, source: str):
    """Positions 0..1 to pixels with a screen; without one they stay normalised (and say so)."""
    if screen is None:
        meta.extra["position_unit"] = "norm"
        return x, y
    return positions_to_px(x, y, "norm", screen, source)


def _masked(mask: np.ndarray | None, lines, *arrays):
    """The arrays (and the line numbers, worked out only for an error) of the rows in ``mask``
    (all rows when None)."""
    if mask is None or mask.all():
        return (*arrays, lines)
    return (*(None if a is None else a[mask] for a in arrays),
            lines.subset(np.flatnonzero(mask)))


def _equals(table, column: str, *values: str, lower: bool = False) -> list[np.ndarray]:
    """Whether each row's stripped text in ``column`` is each of ``values`` (lower-cased
    first), in polars (no Python string per row); short rows raise as :meth:`Table.strings`
    does. The table forgets the column (its text is no longer needed)."""
    text = table.series(column).fill_null("")
    table.forget(column)
    text = text.str.to_lowercase() if lower else text
    return [(text == value).to_numpy() for value in values]


# ---------------------------------------------------------------------------- SMI
def _smi_screen(comments: str) -> tuple[Screen | None, float | None]:
    found = {k: re.search(p, comments) for k, p in _SMI_HEADER.items()}
    rate = float(found["rate"].group(1)) if found["rate"] else None
    if not found["area"]:
        return None, rate
    width, height = int(found["area"].group(1)), int(found["area"].group(2))
    if found["size"] and found["distance"]:
        return Screen(width, height, float(found["size"].group(1)),
                      float(found["size"].group(2)), float(found["distance"].group(1))), rate
    return Screen(width, height), rate


@register_reader("smi", description="SMI BeGaze / iView X samples text export (us, px, MSG rows)",
                 options=("eye", "screen", "trials", "unordered", "decimal"),
                 detection="header row with Time, Type and L/R/B POR X [px]")
def read_smi(path: str | Path, *, eye: str | None = None, screen: Screen | None = None,
             trials: bool = False, unordered: str = "error", decimal: str | None = None,
             _format: str = "smi") -> Recording | list[Recording]:
    """SMI BeGaze text export (see the module notes)."""
    source = str(path)
    messages, samples_text, head = _smi_split(path)
    comments = "\n".join(line for line in head.split("\n") if line.startswith("#"))
    file_screen, rate = _smi_screen(comments)
    table = read_table(path, delimiter="\t", header=True, comment="#", text=samples_text,
                       columns=lambda names: _smi_columns(names or [], eye), strings=("Trial",),
                       removed_lines=messages["line"].to_numpy(), **table_options(decimal))
    # the text is needed again only for the line number of an error: made again then
    del samples_text
    table.drop_text(lambda: _smi_split(path)[1])
    names = table.header or []
    eyes = [m.group(1) for m in map(_SMI_POR.match, names) if m]
    if not eyes:
        raise InputError("no 'L POR X [px]' or 'R POR X [px]' column; expected an SMI BeGaze "
                         "samples export", source=source)
    options = {"left": "L", "right": "R", "average": "B"}
    available = {k: v for k, v in options.items() if v in eyes or (k == "average" and
                                                                  {"L", "R"} <= set(eyes))}
    which = choose(available, eye, "eye", source)

    def por(letter: str):
        return zero_to_nan(table.take_floats(f"{letter} POR X [px]", "x column"),
                           table.take_floats(f"{letter} POR Y [px]", "y column"), inplace=True)

    if which == "average" and "B" not in eyes:
        x, y = combine_eyes(por("L"), por("R"))
    else:
        x, y = por(options[which])
    letter = options[which] if which != "average" or "B" in eyes else "L"
    pupil_col = next((c for c in (f"{letter} Pupil Diameter [mm]", f"{letter} Mapped Diameter "
                                  "[mm]", f"{letter} Dia X [px]", f"{letter} Dia [mm]")
                      if c in names), None)
    pupil = None if pupil_col is None else table.floats(pupil_col, "pupil column")
    mask = None
    if "Type" in names:
        [mask] = _equals(table, "Type", "SMP")
    time = time_to_seconds(table.take_floats("Time", "time column"), "us", source,
                           inplace=True)
    keys = table.series("Trial").fill_null("") if "Trial" in names else None
    if keys is not None and mask is not None and not mask.all():
        keys = keys.filter(pl.Series(mask))
    count = None
    if keys is not None and not trials:  # what finish() says, without a Python key per row
        count, keys = keys.n_unique(), None
    table.release()  # all asked for: only the line numbers of errors are left to find
    time, x, y, pupil, lines = _masked(mask, table.lines, time, x, y, pupil)
    meta = Metadata(source=source, format=_format, extra={"eye": which, "messages": messages})
    if rate is not None:
        meta.extra["declared_sampling_rate"] = rate
    screen = screen if screen is not None else file_screen
    recording = make_recording(time, x, y, pupil=pupil, screen=screen, meta=meta,
                               unordered=unordered, lines=lines, time_field="Time")
    if count is not None:
        recording.meta.extra["trials"] = count
        return recording
    if keys is not None:  # one Python string per trial, shared by its rows
        names = keys.unique(maintain_order=True)
        codes = keys.replace_strict(names, pl.int_range(len(names), eager=True))
        keys = trial_keys([np.asarray(names.to_list(), dtype=object)[codes.to_numpy()]])
    return finish(recording, _follow_order(keys, time, recording), trials)


def _smi_columns(names: list[str], eye: str | None) -> list[str]:
    """The columns :func:`read_smi` may use for ``eye`` (every eye's when ``eye`` is none of
    the file's: the error comes after the read, as for any other file)."""
    letters = {"left": "L", "right": "R", "average": "B"}
    wanted = {letters.get(eye, "")} if eye in ("left", "right") else set("LRB")
    if eye is None:  # the first eye of the file, as choose() takes it
        found = [m.group(1) for m in map(_SMI_POR.match, names) if m]
        wanted = {next((letter for letter in "LRB" if letter in found), "L")}
    columns = ["Time", "Type", "Trial"]
    for letter in wanted:
        columns += [f"{letter} POR X [px]", f"{letter} POR Y [px]"]
        columns += [f"{letter} {kind}" for kind in ("Pupil Diameter [mm]", "Mapped Diameter "
                                                    "[mm]", "Dia X [px]", "Dia [mm]")]
    return columns


def _smi_split(path: str | Path) -> tuple[pl.DataFrame, io.BytesIO, str]:
    """The messages, the text without the message rows (UTF-8; message rows are shorter than
    samples; the table is told their numbers, so errors name the file's lines) and the first
    characters, for the ``##`` header; piece by piece, so the file's text is never whole in
    memory."""
    times, texts, lines = [], [], []
    samples, head = io.BytesIO(), ""
    for first, text in text_pieces(path):
        if len(head) < _HEADER_CHARS:
            head += text[:_HEADER_CHARS - len(head)]
        line, position = first, 0
        for match in _SMI_MESSAGE.finditer(text):  # one step per message, not per sample
            line += text.count("\n", position, match.start())
            position = match.start()
            times.append(int(match.group(1)) / 1e6)
            texts.append(match.group(2).strip())
            lines.append(line)
        samples.write(_SMI_MESSAGE_LINE.sub("", text).encode("utf-8"))
    return message_table(times, texts, lines), samples, head


def message_table(time, text, line):
    """Messages as the polars table every reader gives (``time`` in s, ``text``, ``line``)."""
    import polars as pl

    return pl.DataFrame({"time": np.asarray(time, dtype=np.float64),
                         "text": [str(t) for t in text],
                         "line": np.asarray(line, dtype=np.int64)})


def _follow_order(keys, time, recording):
    """Trial keys reordered like the samples when ``unordered="sort"`` moved some."""
    if keys is not None and recording.meta.extra.get("reordered_samples"):
        return keys[np.argsort(time, kind="stable")]
    return keys


@register_reader("didec", description="DIDEC (van Miltenburg et al. 2018) SMI samples export with "
                 "its screen (1680x1050 px, 474x297 mm, 70 cm); 250 Hz",
                 options=("eye", "screen", "trials", "unordered", "decimal"))
def read_didec(path: str | Path, *, screen: Screen | None = None, **options
               ) -> Recording | list[Recording]:
    """DIDEC: an SMI export with the published screen (auto-detection says ``smi``)."""
    return read_smi(path, screen=DIDEC_SCREEN if screen is None else screen, _format="didec",
                    **options)


# ---------------------------------------------------------------------------- Tobii
@register_reader("tobii", description="Tobii Pro Lab / Tobii Studio TSV data export (us or ms, "
                 "px, I-VT labels, events)",
                 options=("eye", "screen", "time_unit", "unordered", "decimal"),
                 detection="tab-separated header with Recording timestamp and Gaze point X")
def read_tobii(path: str | Path, *, eye: str | None = None, screen: Screen | None = None,
               time_unit: str | None = None, unordered: str = "error",
               decimal: str | None = None) -> Recording:
    """Tobii Pro Lab TSV export (see the module notes)."""
    source = str(path)
    table = read_table(path, delimiter="\t", header=True, comment=None,
                       columns=lambda names: _tobii_columns(names or [], eye),
                       strings=_TOBII_TEXT, **table_options(decimal))
    names = table.header or []
    time_col = _find(names, _TOBII_TIME)
    which = None if eye in (None, "both") else choose({"left": 0, "right": 1}, eye, "eye", source)
    x_col = _find(names, re.compile(_TOBII_X[which]))
    if time_col is None or x_col is None:
        raise InputError("expected Tobii columns 'Recording timestamp' and 'Gaze point X'"
                         + ("" if which is None else f" ({which} eye)"), source=source)
    y_col = re.sub(r"X(?= \(| \[|$)", "Y", x_col, count=1)  # Gaze point X [..] -> Y [..]
    if y_col not in names:
        raise InputError(f"found {x_col!r} but no {y_col!r}", source=source, field=y_col)
    mask = None
    if "Sensor" in names:
        [tracker] = _equals(table, "Sensor", "Eye Tracker")
        if tracker.any():
            mask = tracker
    # the arrays are taken from the table and changed in place: no second copy of a column
    raw = table.take_floats(time_col, "time column")
    unit = time_unit or _tobii_unit(time_col) or infer_time_unit(
        raw if mask is None else raw[mask], source, time_col)
    time = time_to_seconds(raw, unit, source, inplace=True)
    x, y = zero_to_nan(table.take_floats(x_col, "x column"), table.take_floats(y_col, "y column"),
                       inplace=True)
    lost = _tobii_invalid(table, names, which)
    if lost is not None:
        x[lost] = np.nan
        y[lost] = np.nan
        del lost
    pupil = _tobii_pupil(table, names, which)
    labels = _tobii_labels(table, names)
    meta = Metadata(source=source, format="tobii", extra={"eye": which or "both",
                                                          "time_unit": unit})
    if "Event" in names:
        events = table.series("Event").fill_null("")
        table.forget("Event")
        has = (events != "").to_numpy()
        meta.extra["messages"] = message_table(time[has], events.filter(pl.Series(has)),
                                               table.lines[np.flatnonzero(has)])
    if screen is None:
        screen = _tobii_screen(table, names)
    time, x, y, pupil, labels, lines = _masked(mask, table.lines, time, x, y, pupil, labels)
    return make_recording(time, x, y, pupil=pupil, labels=labels, screen=screen, meta=meta,
                          unordered=unordered, lines=lines, time_field=time_col)


def _tobii_columns(names: list[str], eye: str | None) -> list[str]:
    """The columns :func:`read_tobii` may use (for an eye none of the file's, every eye's:
    the error comes after the read)."""
    sides = ([None] if eye in (None, "both") else [eye] if eye in ("left", "right")
             else [None, "left", "right"])
    gaze = [n for n in names if any(re.match(_TOBII_X[side], n) for side in sides)]
    gaze += [re.sub(r"X(?= \(| \[|$)", "Y", n, count=1) for n in gaze]
    used = re.compile(r"^(Validity (left|right)|Pupil diameter (left|right)( \[mm\])?"
                      r"|Recording resolution (width|height))$")
    return [n for n in names if _TOBII_TIME.match(n) or n in gaze or used.match(n)] + [
        *_TOBII_TEXT]


def _tobii_unit(name: str) -> str | None:
    unit = _TOBII_TIME.match(name).group(1)
    if unit is None:
        return "ms" if name == "RecordingTimestamp" else None  # Tobii Studio writes ms
    return "ms" if unit == "ms" else "us"


def _tobii_invalid(table, names, which) -> np.ndarray | None:
    columns = [c for c in (("Validity left", "Validity right") if which is None else
                           (f"Validity {which}",)) if c in names]
    if not columns:
        return None
    invalid = [_equals(table, c, "invalid", lower=True)[0] for c in columns]
    return np.logical_and.reduce(invalid)


def _tobii_pupil(table, names, which) -> np.ndarray | None:
    found = {side: next((n for n in names if re.match(rf"^Pupil diameter {side}( \[mm\])?$", n)),
                        None) for side in ("left", "right")}
    if which is not None:
        return None if found[which] is None else table.floats(found[which], "pupil column")
    values = [table.floats(c, "pupil column") for c in found.values() if c is not None]
    if not values:
        return None
    return values[0] if len(values) == 1 else mean_of_two(*values)


def _tobii_labels(table, names) -> np.ndarray | None:
    column = next((c for c in ("Eye movement type", "GazeEventType") if c in names), None)
    if column is None:
        return None
    labels = np.full(len(table), int(Label.UNDEFINED), dtype=np.int8)
    found = _equals(table, column, *_TOBII_LABELS, lower=True)
    for rows, code in zip(found, _TOBII_LABELS.values(), strict=True):
        labels[rows] = int(code)
    return labels


def _tobii_screen(table, names) -> Screen | None:
    width = "Recording resolution width"
    height = "Recording resolution height"
    if width not in names or height not in names:
        return None
    w, h = table.floats(width, "resolution"), table.floats(height, "resolution")
    ok = np.isfinite(w) & np.isfinite(h)
    return Screen(int(w[ok][0]), int(h[ok][0])) if ok.any() else None


# ---------------------------------------------------------------------------- Gazepoint
@register_reader("gazepoint", description="Gazepoint Control / Analysis CSV (TIME s, normalised "
                 "points of gaze BPOG/LPOG/RPOG/FPOG)",
                 options=("eye", "screen", "unordered", "decimal"),
                 detection="header with FPOGX, FPOGY, FPOGV and TIME (or TIME(...))")
def read_gazepoint(path: str | Path, *, eye: str | None = None, screen: Screen | None = None,
                   unordered: str = "error", decimal: str | None = None) -> Recording:
    """Gazepoint CSV (see the module notes)."""
    source = str(path)
    table = read_table(path, delimiter=",", header=True, comment=None, **table_options(decimal),
                       columns=_gazepoint_columns)  # of 30-odd columns, the few it uses
    names = table.header or []
    time_col = _gazepoint_time(names)
    if time_col is None:
        raise InputError("no TIME column; expected a Gazepoint CSV", source=source)
    available = {k: v for k, v in _GAZEPOINT_EYES.items() if f"{v}X" in names}
    which = choose(available, eye, "eye", source)
    prefix = available[which]
    x, y = table.floats(f"{prefix}X", "x column"), table.floats(f"{prefix}Y", "y column")
    if f"{prefix}V" in names:
        lost = table.floats(f"{prefix}V", "validity column") != 1
        x, y = np.where(lost, np.nan, x), np.where(lost, np.nan, y)
    meta = Metadata(source=source, format="gazepoint", extra={"eye": which})
    x, y = normalised_to_px(x, y, screen, meta, source)
    pupil = _gazepoint_pupil(table, names, which)
    time = time_to_seconds(table.floats(time_col, "time column"), "s", source)
    return make_recording(time, x, y, pupil=pupil, screen=screen, meta=meta, unordered=unordered,
                          lines=table.lines, time_field=time_col)


def _gazepoint_columns(names: list[str] | None) -> list[str]:
    """Every column :func:`read_gazepoint` may use (time, points of gaze, pupils, flags)."""
    names = names or []
    wanted = [name for name in (_gazepoint_time(names),) if name]
    wanted += [f"{p}{axis}" for p in _GAZEPOINT_EYES.values() for axis in ("X", "Y", "V")]
    return wanted + [f"{side}P{kind}" for side in "LR" for kind in ("MM", "MMV", "D", "V")]


def _gazepoint_pupil(table, names, which) -> np.ndarray | None:
    unit = "MM" if "LPMM" in names or "RPMM" in names else "D"
    sides = {"left": f"LP{unit}", "right": f"RP{unit}"}
    wanted = [sides[which]] if which in sides else list(sides.values())
    values = []
    for column in wanted:
        if column not in names:
            continue
        value = table.floats(column, "pupil column")
        flag = f"{column}V" if unit == "MM" else f"{column[:2]}V"  # LPMMV, or LPV for LPD
        if flag in names:
            value = np.where(table.floats(flag, "validity column") == 1, value, np.nan)
        values.append(value)
    if not values:
        return None
    return values[0] if len(values) == 1 else mean_of_two(*values)


# ---------------------------------------------------------------------------- Pupil Labs
@register_reader("pupil-labs", description="Pupil Labs Pupil Player gaze_positions.csv (s, "
                 "normalised world-camera positions, confidence)",
                 options=("screen", "min_confidence", "unordered", "decimal"),
                 detection="header with gaze_timestamp, norm_pos_x, norm_pos_y, confidence")
def read_pupil_labs(path: str | Path, *, screen: Screen | None = None,
                    min_confidence: float = 0.6, unordered: str = "sort",
                    decimal: str | None = None) -> Recording:
    """Pupil Labs ``gaze_positions.csv`` (see the module notes)."""
    source = str(path)
    table = read_table(path, delimiter=",", header=True, comment=None, **table_options(decimal),
                       columns=lambda names: _PUPIL_LABS)
    x = table.floats("norm_pos_x", "x column")
    y = 1.0 - table.floats("norm_pos_y", "y column")  # Pupil's y runs up, screens' down
    lost = ~(table.floats("confidence", "confidence column") >= float(min_confidence))
    x, y = np.where(lost, np.nan, x), np.where(lost, np.nan, y)
    meta = Metadata(source=source, format="pupil-labs", extra={"min_confidence":
                                                               float(min_confidence)})
    x, y = normalised_to_px(x, y, screen, meta, source)
    time = table.floats("gaze_timestamp", "time column")
    return make_recording(time, x, y, screen=screen, meta=meta, unordered=unordered,
                          lines=table.lines, time_field="gaze_timestamp")
