"""Generic delimited text (CSV, TSV, semicolon, whitespace), and gazelearn's own recording files.

The user names the columns (header names, or 0-based numbers when there is no header) and their
units; the delimiter and the header line are detected when not given.

* time: ``time_col`` in ``time_unit`` (s, ms, us), or ``sampling_rate`` when the file has no
  time column. Without ``time_unit`` the unit is decided from the data, never from the column's
  name: the median interval between timestamps must mean 10 Hz .. 10 kHz in exactly one of s, ms
  and us (:func:`~gazelearn.io.table.infer_time_unit`); anything else is an error asking for
  ``time_unit=``. A file of two samples cannot tell: there ms is taken (s for gazelearn's header);
* position: ``x_col``, ``y_col`` in ``position_unit`` (px, deg from the screen centre, or norm =
  0..1 over the screen; deg and norm need ``screen``);
* optional ``pupil_col`` and ``label_col`` (label names such as ``fixation`` or codes 0..5).

Empty fields and ``NaN``/``NA``/``.`` are lost samples; so is an exact (0, 0) unless
``zero_is_lost=False``; so are infinite values (``inf``, ``1e400``, a 5000-digit number), counted
in ``meta.extra["nonfinite_values"]``. ``decimal=","`` reads numbers written ``1,5``.
polars parses the file (see :mod:`gazelearn.io.table`): no Python code runs per row. Without
column options, a header with the usual names (``time`` or ``timestamp``, ``x``, ``y``) is
recognised.

**gazelearn's own files** (written by :func:`gazelearn.io.write_recording`) have the header
``time,x,y[,pupil][,label]`` with time in seconds and positions in px; they are recognised
automatically, read back exactly, and their sidecar ``<file>.json`` (screen, metadata and the
time unit) is picked up when present. Without a sidecar the header alone proves nothing (other
tools write ``time,x,y`` in ms): the unit is then decided from the data like any file's, and a
file whose time is not in seconds is read as a foreign file ((0, 0) is lost).

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "gaze.csv"
>>> _ = path.write_text("ts;gx;gy\\n0;100;200\\n2;0;0\\n4;101;201\\n")
>>> rec = read_delimited(path, time_col="ts", x_col="gx", y_col="gy")
>>> rec.sampling_rate, rec.x.tolist()
(500.0, [100.0, nan, 101.0])
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.labels import LABELS, name_to_code
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .registry import register_reader
from .table import (
    Table,
    infer_time_unit,
    make_recording,
    positions_to_px,
    read_table,
    require_positions,
    synthetic_time,
    time_to_seconds,
    zero_to_nan,
)

#: gazelearn's own header: these first, then optionally pupil and label.
OWN_COLUMNS = ("time", "x", "y")
_OWN_OPTIONAL = ("pupil", "label")

_GUESSES = {
    "time": ("time", "timestamp", "t", "time_ms", "timestamp_ms"),
    "x": ("x", "gaze_x", "x_px", "gazex"),
    "y": ("y", "gaze_y", "y_px", "gazey"),
}

OPTIONS = ("time_col", "x_col", "y_col", "pupil_col", "label_col", "time_unit", "position_unit",
           "sampling_rate", "screen", "delimiter", "header", "unordered", "zero_is_lost",
           "decimal")


def is_own_header(names: list[str] | None) -> bool:
    """True for gazelearn's header ``time,x,y[,pupil][,label]``."""
    if not names:
        return False
    lowered = [name.strip().lower() for name in names]
    return (tuple(lowered[:3]) == OWN_COLUMNS
            and all(name in _OWN_OPTIONAL for name in lowered[3:])
            and len(set(lowered)) == len(lowered))


def sidecar_path(path: str | Path) -> Path:
    """The JSON file holding a written recording's screen and metadata: ``<file>.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


#: Deepest nesting accepted in JSON read from files (gazelearn writes 3 levels): deeper is an
#: error, not a RecursionError in the parser or in whatever walks the result later.
MAX_JSON_DEPTH = 32


def load_json(text: str, source: str | Path, what: str = "JSON") -> Any:
    """``json.loads`` for file content: any failure, and nesting deeper than
    :data:`MAX_JSON_DEPTH`, is one :class:`InputError` naming ``source``.

    Examples
    --------
    >>> load_json('{"a": [1, 2]}', "s.json")
    {'a': [1, 2]}
    >>> load_json("[" * 100000 + "]" * 100000, "s.json")
    Traceback (most recent call last):
    ...
    gazelearn.errors.InputError: s.json: unreadable JSON: nested deeper than 32 levels
    """
    if _bracket_depth(text) > MAX_JSON_DEPTH:
        raise InputError(f"unreadable {what}: nested deeper than {MAX_JSON_DEPTH} levels",
                         source=source)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        reason = " ".join(str(error).split())[:120]
        raise InputError(f"unreadable {what}: {reason}", source=source) from None


def _bracket_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` outside strings, without recursion (numpy over
    the bytes once the strings are cut out)."""
    if "[" not in text and "{" not in text:
        return 0
    data = np.frombuffer(_JSON_STRING.sub("", text).encode("utf-8", "replace"), dtype=np.uint8)
    steps = (np.isin(data, _OPENING).astype(np.int64)
             - np.isin(data, _CLOSING).astype(np.int64))
    return int(np.cumsum(steps).max(initial=0))


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_OPENING = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSING = np.frombuffer(b"]}", dtype=np.uint8)


def _load_sidecar(path: str | Path) -> dict | None:
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        text = side.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"unreadable sidecar: {error}", source=side) from None
    content = load_json(text, side, "sidecar")
    if not isinstance(content, dict):
        raise InputError("sidecar must hold a JSON object", source=side)
    return content


def sidecar_time_unit(content: dict, path: str | Path) -> str:
    """The time unit a sidecar declares (``"s"`` for sidecars written before it said)."""
    unit = content.get("time_unit", "s")
    if unit not in ("s", "ms", "us"):
        raise InputError(f"'time_unit' must be s, ms or us, got {unit!r}",
                         source=sidecar_path(path), field="time_unit")
    return unit


def read_sidecar(path: str | Path, content: dict | None = None
                 ) -> tuple[Screen | None, Metadata | None]:
    """Screen and metadata from a recording's sidecar, or ``(None, None)`` when there is none."""
    side = sidecar_path(path)
    content = _load_sidecar(path) if content is None else content
    if content is None:
        return None, None
    screen = content.get("screen")
    if screen is not None:
        if not isinstance(screen, dict):
            raise InputError("'screen' must be an object", source=side, field="screen")
        screen = Screen.from_dict(screen)
    values = content.get("metadata") or {}
    if not isinstance(values, dict):
        raise InputError("'metadata' must be an object", source=side, field="metadata")
    extra = values.get("extra") or {}
    meta = Metadata(**{k: (None if values.get(k) is None else str(values.get(k)))
                       for k in ("subject", "session", "stimulus", "trial")},
                    extra=dict(extra) if isinstance(extra, dict) else {})
    return screen, meta


def _guess(table: Table, role: str) -> str | None:
    if table.header is None:
        return None
    lowered = [name.strip().lower() for name in table.header]
    for candidate in _GUESSES[role]:
        if candidate in lowered:
            return table.header[lowered.index(candidate)]
    return None


def _labels(table: Table, column: str | int) -> np.ndarray:
    """Label codes from names (any case) or codes 0..5, mapped once per distinct value."""
    if table.is_numeric(column):
        codes = table.floats(column, "label column")
        good = np.isfinite(codes) & (codes >= 0) & (codes < len(LABELS)) & (codes % 1 == 0)
        if not good.all():
            row = int(np.argmin(good))
            raise table.error(f"unknown event label code {codes[row]:g}; expected 0.."
                              f"{len(LABELS) - 1} or one of {', '.join(LABELS)}", row, column)
        return codes.astype(np.int8)
    text = table.series(column, "label column").fill_null("").str.to_lowercase()
    mapping, unknown = {}, {}
    for value in text.unique().to_list():  # a handful of distinct labels, not one per row
        if value.isdigit() and int(value) < len(LABELS):
            mapping[value] = int(value)
            continue
        try:
            mapping[value] = name_to_code(value)
        except InputError as error:
            unknown[value] = error.reason
    if unknown:
        row = int(text.is_in(list(unknown)).arg_max())
        raise table.error(unknown[text[row]], row, column)
    return text.replace_strict(mapping, return_dtype=pl.Int8).to_numpy()


@register_reader("delimited", description="CSV/TSV/whitespace text; you name the columns and "
                 "units (gazelearn's own time,x,y files need nothing)", options=OPTIONS)
def read_delimited(path: str | Path, *, time_col: str | int | None = None,
                   x_col: str | int | None = None, y_col: str | int | None = None,
                   pupil_col: str | int | None = None, label_col: str | int | None = None,
                   time_unit: str | None = None, position_unit: str | None = None,
                   sampling_rate: float | None = None, screen: Screen | None = None,
                   delimiter: str | None = None, header: bool | None = None,
                   unordered: str = "error", zero_is_lost: bool | None = None,
                   decimal: str = ".") -> Recording:
    """Read a delimited text file of gaze samples.

    Parameters
    ----------
    path : str or Path
    time_col, x_col, y_col, pupil_col, label_col : str or int, optional
        Column names, or 0-based numbers (also as digit strings) when the file has no header.
    time_unit : {"s", "ms", "us"}, optional
        Decided from the data when omitted (see the module notes); a sidecar's unit for
        gazelearn's own files.
    position_unit : {"px", "deg", "norm"}, optional
        Default ``"px"``; ``deg`` and ``norm`` need ``screen``.
    sampling_rate : float, optional
        Samples per second, used when there is no time column.
    screen : Screen, optional
        Screen geometry (also overrides a sidecar's).
    delimiter : str, optional
        Detected when omitted; ``"whitespace"`` for runs of blanks.
    header : bool, optional
        Detected when omitted.
    unordered : {"error", "sort"}
        What to do when time goes backwards.
    zero_is_lost : bool, optional
        Treat exact (0, 0) as lost; default True, False for gazelearn's own files.
    decimal : {".", ","}
        The decimal mark; ``","`` for files written ``1,5`` (the delimiter is then not a comma).

    Returns
    -------
    Recording

    Raises
    ------
    InputError
        On a missing column, a non-numeric value (naming line and column), time going
        backwards, a time unit the data cannot tell, no position at all, a unit without the
        screen it needs, ...
    """
    source = str(path)
    if decimal not in (".", ","):
        raise InputError(f"decimal must be '.' or ',', got {decimal!r}", source=source)
    table = read_table(path, delimiter=delimiter, header=header, decimal_comma=decimal == ",")
    own = (is_own_header(table.header) and time_col is None and x_col is None
           and y_col is None)
    meta = Metadata(source=source, format="delimited")
    side_unit = None
    if own:
        time_col, x_col, y_col = table.header[0], table.header[1], table.header[2]
        lowered = [name.strip().lower() for name in table.header]
        if "pupil" in lowered and pupil_col is None:
            pupil_col = table.header[lowered.index("pupil")]
        if "label" in lowered and label_col is None:
            label_col = table.header[lowered.index("label")]
        content = _load_sidecar(path)
        if content is not None:
            side_unit = sidecar_time_unit(content, path)
            side_screen, side_meta = read_sidecar(path, content)
            meta = Metadata(subject=side_meta.subject, session=side_meta.session,
                            stimulus=side_meta.stimulus, trial=side_meta.trial, source=source,
                            format="delimited", extra=side_meta.extra)
            screen = screen if screen is not None else side_screen
    else:
        if time_col is None and sampling_rate is None:
            time_col = _guess(table, "time")
        x_col = x_col if x_col is not None else _guess(table, "x")
        y_col = y_col if y_col is not None else _guess(table, "y")
        for role, column in (("x", x_col), ("y", y_col)):
            if column is None:
                columns = (", ".join(table.header) if table.header
                           else f"{table.width} unnamed columns (0-based)")
                raise InputError(f"which column holds {role}? give --{role}-col "
                                 f"({role}_col= in the API); the file has {columns}",
                                 source=source)
    if not len(table):
        raise InputError("no samples in the file (only a header)", source=source,
                         line=table.first_data_line)
    time_field = None
    if time_col is not None:
        time_field = table.name_of(table.column_index(time_col, "time column"))
        time = table.take_floats(time_col, "time column")  # ours: divided in place below
        if time_unit is None:
            time_unit = side_unit or infer_time_unit(time, source, time_field,
                                                     default="s" if own else "ms")
        if own and side_unit is None and time_unit != "s":
            own = False  # gazelearn's header, another program's file (not in seconds)
        time = time_to_seconds(time, time_unit, source, inplace=True)
    else:
        time = synthetic_time(len(table), sampling_rate, source)
    position_unit = position_unit or "px"
    x = table.floats(x_col, "x column")
    y = table.floats(y_col, "y column")
    x_field = table.name_of(table.column_index(x_col))
    x, y = positions_to_px(x, y, position_unit, screen, source)
    if not own and (zero_is_lost is None or zero_is_lost) or own and zero_is_lost:
        if position_unit == "px":
            x, y = zero_to_nan(x, y, inplace=x is not y)
    if not own:  # a written recording may be all lost; a foreign file without one position is
        require_positions(x, y, source, x_field)  # read with the wrong columns or is empty
    pupil = None if pupil_col is None else table.floats(pupil_col, "pupil column")
    labels = None if label_col is None else _labels(table, label_col)
    return make_recording(time, x, y, pupil=pupil, labels=labels, screen=screen, meta=meta,
                          unordered=unordered, lines=table.lines, time_field=time_field)
