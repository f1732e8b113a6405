"""Writing recordings and events (CSV or Parquet by extension), reading them back.

A recording is written as ``time,x,y[,pupil][,label]`` (seconds, px, label names). Its screen and
metadata go to a sidecar ``<file>.json`` beside a CSV, or into the key-value metadata of a Parquet
file; both are picked up when the file is read again, so ``read(write_recording(rec, p))`` gives
back the same samples, labels, screen and metadata. Every writer goes through
:func:`~gazelearn.io.atomic.atomic_write`: output is complete or absent.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> from gazelearn import Recording
>>> from gazelearn.io import read
>>> rec = Recording(np.arange(3) / 500, np.array([1.0, np.nan, 3.0]), np.zeros(3),
...                 labels=[1, 2, 2])
>>> path = write_recording(rec, pathlib.Path(tempfile.mkdtemp()) / "rec.csv")
>>> back = read(path)
>>> np.array_equal(back.time, rec.time), back.x.tolist(), back.labels.tolist()
(True, [1.0, nan, 3.0], [1, 2, 2])
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.events import EVENT_SCHEMA, Events
from gazelearn.labels import LABELS
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .atomic import atomic_write
from .delimited import load_json, sidecar_path
from .registry import register_reader
from .table import make_recording

CSV_SUFFIXES = (".csv", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
_META_KEY = "gazelearn"
#: What polars raises on a corrupt file: its errors, and the panics of its Rust code (a
#: ``BaseException``), which a footer that passed :func:`check_parquet` can still cause in the
#: pages (a broken page header)
_PARQUET_ERRORS = (Exception, pl.exceptions.PanicException)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise InputError(f"cannot tell the output format from {suffix or 'no extension'!r}; "
                     "expected .csv, .tsv or .parquet", source=path)


def jsonable(value: Any, *, finite: bool = False, digits: int | None = None,
             strict: bool = False) -> Any:
    """A JSON-ready copy of ``value``: the one cleaner for descriptions, summaries and replies.

    Dicts (keys as strings), lists and tuples (as lists), numbers, strings, booleans and None
    stay; numpy scalars and arrays become numbers and lists, paths strings, anything else its
    ``str`` (not for model state: model files store arrays as tensors).

    Parameters
    ----------
    value : object
        What to clean.
    finite : bool
        NaN and infinities become None (JSON has no NaN; browsers and ``jq`` reject it).
    digits : int, optional
        Round floats to this many decimals.
    strict : bool
        Raise ``TypeError`` for a value that is not data instead of writing its ``str``.

    Examples
    --------
    >>> jsonable({"n": np.int64(3), "xy": np.zeros(2), 1: (np.nan, 0.123)}, finite=True, digits=2)
    {'n': 3, 'xy': [0.0, 0.0], '1': [None, 0.12]}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v, finite=finite, digits=digits, strict=strict)
                for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        items = value.tolist() if isinstance(value, np.ndarray) else value
        return [jsonable(v, finite=finite, digits=digits, strict=strict) for v in items]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if finite and not math.isfinite(value):
            return None
        return value if digits is None else round(value, digits)
    if value is None or isinstance(value, bool | int | str):
        return value
    if strict and not isinstance(value, Path):
        raise TypeError(f"{type(value).__name__} is not JSON-ready")
    return str(value)


def json_default(value: Any) -> Any:
    """``default=`` for :func:`json.dumps`: :func:`jsonable` for what json cannot write itself.

    Examples
    --------
    >>> import json
    >>> json.dumps({"n": np.int64(3), "xy": np.zeros(2)}, default=json_default)
    '{"n": 3, "xy": [0.0, 0.0]}'
    """
    return jsonable(value)


def _description(rec: Recording) -> dict:
    meta = rec.meta
    return {
        "kind": "gazelearn-recording",
        "version": 1,
        "time_unit": "s",  # the CSV's time column; readers take it over the data's intervals
        "screen": None if rec.screen is None else rec.screen.to_dict(),
        "metadata": {"subject": meta.subject, "session": meta.session,
                     "stimulus": meta.stimulus, "trial": meta.trial,
                     "original_source": meta.source, "original_format": meta.format,
                     "extra": meta.extra},
    }


def write_recording(rec: Recording, path: str | Path, *, sidecar: bool = True) -> Path:
    """Write a recording to CSV/TSV or Parquet (chosen by the extension).

    Parameters
    ----------
    rec : Recording
    path : str or Path
        ``.csv``, ``.tsv``, ``.parquet`` or ``.pq``.
    sidecar : bool
        Beside a CSV, also write ``<file>.json`` with the screen and metadata.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    kind = _kind(path)
    frame = rec.to_frame()
    description = json.dumps(_description(rec), default=json_default)
    if kind == "parquet":
        with atomic_write(path) as temp:
            frame.write_parquet(temp, metadata={_META_KEY: description})
        return path
    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    with atomic_write(path) as temp:
        frame.write_csv(temp, separator=separator)
    if sidecar:
        with atomic_write(sidecar_path(path), "w") as handle:
            handle.write(description)
    return path


def _restore_meta(description: dict, source: str, fmt: str) -> tuple[Screen | None, Metadata]:
    screen = description.get("screen")
    try:
        screen = Screen.from_dict(screen) if isinstance(screen, dict) else None
    except (InputError, TypeError, ValueError) as error:
        raise InputError(f"the stored screen is not valid: {error}", source=source,
                         field="screen") from None
    values = description.get("metadata") or {}
    if not isinstance(values, dict):  # another program's metadata under the key: not ours
        values = {}
    extra = values.get("extra") if isinstance(values.get("extra"), dict) else {}
    meta = Metadata(**{k: (None if values.get(k) is None else str(values.get(k)))
                       for k in ("subject", "session", "stimulus", "trial")},
                    source=source, format=fmt, extra=dict(extra))
    return screen, meta


def check_parquet(path: Path) -> None:
    """Refuse a Parquet file whose frame or footer polars cannot be trusted with.

    polars parses the footer (Thrift ``FileMetaData``) itself and aborts the whole process (a
    failed allocation, not an exception) when a list length in it is huge, or panics when its
    counts disagree; neither can be caught. So the frame (``PAR1`` at both ends, a footer length
    that fits) is checked here, then pyarrow parses the footer with every Thrift string and list
    bounded by the footer's own length (each element takes at least one byte, so a larger count
    is a lie), and the counts and offsets polars relies on are checked against each other.

    Raises
    ------
    InputError
        One line naming the file.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> pl.DataFrame({"time": [0.0, 0.002]}).write_parquet(path)
    >>> check_parquet(path)
    >>> _ = path.write_bytes(path.read_bytes()[:-1])
    >>> try:
    ...     check_parquet(path)
    ... except InputError as error:
    ...     print(error.reason)
    not a readable Parquet file (missing or broken 'PAR1' frame: truncated?)
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(max(size - 8, 0))
        tail = handle.read(8)
    footer = int.from_bytes(tail[:4], "little") if len(tail) == 8 else -1
    if size < 12 or head != b"PAR1" or tail[4:] != b"PAR1" or not 0 < footer <= size - 12:
        raise InputError("not a readable Parquet file (missing or broken 'PAR1' frame: truncated?)",
                         source=path)
    import pyarrow.parquet as pq  # here, not at the top: the CLI's start-up never loads pyarrow

    try:
        with pq.ParquetFile(path, thrift_string_size_limit=footer,
                            thrift_container_size_limit=footer) as parquet:
            problem = _footer_problem(parquet.metadata, size - 8 - footer)
    except Exception as error:  # pyarrow raises OSError, ArrowInvalid, UnicodeDecodeError, ...
        problem = " ".join(str(error).split())[:120] or type(error).__name__
    if problem:
        raise InputError(f"not a readable Parquet file: broken footer ({problem})", source=path)


def _footer_problem(meta: Any, data_end: int) -> str | None:
    """What in a parsed footer disagrees with itself or with the file (None when nothing)."""
    flat = [meta.schema.column(j).max_repetition_level == 0 for j in range(meta.num_columns)]
    rows = 0
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        if group.num_columns != meta.num_columns or group.num_rows < 0:
            return f"row group {i} does not match the schema"
        for j in range(group.num_columns):
            chunk = group.column(j)
            start = chunk.data_page_offset
            if chunk.has_dictionary_page and chunk.dictionary_page_offset is not None:
                start = min(start, chunk.dictionary_page_offset)
            if not 4 <= start <= start + chunk.total_compressed_size <= data_end:
                return f"column {j} of row group {i} lies outside the data"
            # a flat column has one value (or null) per row; polars asserts it (a panic)
            if flat[j] and chunk.num_values != group.num_rows:
                return f"column {j} of row group {i} has {chunk.num_values} values for " \
                       f"{group.num_rows} rows"
        rows += group.num_rows
    return None if rows == meta.num_rows else f"{meta.num_rows} rows announced, {rows} stored"


@register_reader("parquet", description="gazelearn's own Parquet recordings (time,x,y,...)",
                 options=("screen",))
def read_parquet_recording(path: str | Path, *, screen: Screen | None = None) -> Recording:
    """Read a recording written by :func:`write_recording` as Parquet."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise InputError("file not found", source=path)
    check_parquet(path)
    try:
        frame = pl.read_parquet(path)
        stored = pl.read_parquet_metadata(path).get(_META_KEY)
    except _PARQUET_ERRORS as error:  # polars raises several types (and panics) on corrupt data
        reason = " ".join(str(error).split())[:120]
        raise InputError(f"not a readable Parquet file: {reason}", source=source) from None
    for column in ("time", "x", "y"):
        if column not in frame.columns:
            raise InputError(f"a recording needs a {column!r} column; the file has "
                             f"{', '.join(frame.columns)}", source=source, field=column)
    description = {}
    if stored:
        description = load_json(stored, source, "gazelearn metadata")
    file_screen, meta = _restore_meta(description if isinstance(description, dict) else {},
                                      source, "parquet")

    def numbers(name: str) -> np.ndarray:
        try:
            return frame[name].cast(pl.Float64).to_numpy()
        except Exception:  # noqa: BLE001 - any polars cast failure is bad input
            raise InputError("expected numbers", source=source, field=name) from None

    labels = None
    if "label" in frame.columns:
        lookup = {name: code for code, name in enumerate(LABELS)}
        names = frame["label"].cast(pl.String).to_list()
        unknown = sorted({str(n) for n in names if n not in lookup})
        if unknown:
            raise InputError(f"unknown label {unknown[0]!r}; expected one of {', '.join(LABELS)}",
                             source=source, field="label")
        labels = np.array([lookup[n] for n in names], dtype=np.int8)
    return make_recording(numbers("time"), numbers("x"), numbers("y"),
                          pupil=numbers("pupil") if "pupil" in frame.columns else None,
                          labels=labels, screen=screen or file_screen, meta=meta)


def write_events(events: Events, path: str | Path) -> Path:
    """Write an events table to CSV/TSV or Parquet (by extension); returns the path."""
    path = Path(path)
    kind = _kind(path)
    with atomic_write(path) as temp:
        if kind == "parquet":
            events.frame.write_parquet(temp)
        else:
            events.frame.write_csv(temp, separator="\t" if path.suffix.lower() == ".tsv"
                                   else ",")
    return path


def read_events(path: str | Path) -> Events:
    """Read an events table written by :func:`write_events` (CSV/TSV or Parquet).

    Raises
    ------
    InputError
        When the file is missing, unreadable, or lacks ``type``, ``onset``, ``offset``.
    """
    path = Path(path)
    kind = _kind(path)
    if not path.is_file():
        raise InputError("file not found", source=path)
    if kind == "parquet":
        check_parquet(path)
    try:
        if kind == "parquet":
            frame = pl.read_parquet(path)
        else:
            separator = "\t" if path.suffix.lower() == ".tsv" else ","
            header = pl.read_csv(path, separator=separator, n_rows=0).columns
            frame = pl.read_csv(path, separator=separator, schema_overrides={
                name: dtype for name, dtype in EVENT_SCHEMA.items() if name in header})
    except _PARQUET_ERRORS as error:  # polars raises several types (and panics) on bad files
        reason = " ".join(str(error).split())[:160]
        raise InputError(f"not a readable events table: {reason}", source=path) from None
    for name in ("type", "onset", "offset"):
        if name in frame.columns and frame[name].null_count():
            row = int(frame[name].is_null().arg_max())
            raise InputError(f"missing {name}", source=path, field=name,
                             line=row + 2 if kind == "csv" else None)
    try:
        return Events(frame)
    except InputError as error:
        raise InputError(error.reason, source=path, field=error.field) from None
