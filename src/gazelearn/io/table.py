"""Reading delimited text into a checked table of strings, and helpers every text reader shares.

Every problem becomes an :class:`~gazelearn.errors.InputError` naming the file, the line and the
column: missing or empty files, binary content, short rows, values that are not numbers, time
that runs backwards.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "a.tsv"
>>> _ = path.write_text("t\\tx\\ty\\n0\\t1.5\\t2\\n10\\t\\t3\\n")
>>> table = read_table(path)
>>> table.delimiter == "\\t", table.header
(True, ['t', 'x', 'y'])
>>> table.floats("x").tolist()
[1.5, nan]
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gazelearn.errors import InputError, MissingScreenError
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import SCREEN_HINT

#: Strings read as a missing value (NaN).
MISSING = frozenset({"", "nan", "na", "n/a", "null", "none", ".", "-", "?"})

#: Divisors from each accepted time unit to seconds (division keeps 1017 ms == 1.017 s).
TIME_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6}

#: Accepted position units.
POSITION_UNITS = ("px", "deg", "norm")

_DELIMITERS = ("\t", ",", ";", "|")
_SNIFF_LINES = 30


def read_text(path: str | Path) -> str:
    """The text of a file; a clear error when it is missing, unreadable, empty or binary."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=path)
    if path.is_dir():
        raise InputError("is a folder, expected a file", source=path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", source=path) from None
    if not data.strip():
        raise InputError("file is empty", source=path)
    if b"\x00" in data[:65536]:
        raise InputError("binary content, expected a text file", source=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # European tracker exports; never fails
    if not text.strip():
        raise InputError("file is empty (only blanks)", source=path)
    return text


def text_lines(text: str) -> list[str]:
    """Lines of ``text`` split on newlines only (so line numbers match an editor's)."""
    return [line.rstrip("\r") for line in text.split("\n")]


def sniff_delimiter(lines: list[str]) -> str | None:
    """The delimiter that splits the first lines into a constant number of fields (>1).

    Returns ``None`` for runs of whitespace.
    """
    sample = [line for line in lines if line.strip()][:_SNIFF_LINES]
    best, best_count = None, 0
    for delimiter in _DELIMITERS:
        counts = [line.count(delimiter) for line in sample]
        # a trailing partial line may differ: require agreement on all but the last line
        body = counts[:-1] if len(counts) > 2 else counts
        if min(body, default=0) > 0 and len(set(body)) == 1 and body[0] > best_count:
            best, best_count = delimiter, body[0]
    if best is None:
        for delimiter in _DELIMITERS:  # consistent counts failed: take the most frequent one
            if all(delimiter in line for line in sample[:-1] or sample):
                return delimiter
    return best


def split_line(line: str, delimiter: str | None) -> list[str]:
    """Split one line; quoted fields are honoured for real delimiters."""
    if delimiter is None:
        return line.split()
    if '"' in line:
        try:
            return next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            pass
    return line.split(delimiter)


def is_number(text: str) -> bool:
    """True when ``text`` reads as a float or a missing-value marker."""
    stripped = text.strip()
    if stripped.lower() in MISSING:
        return True
    try:
        float(stripped)
    except ValueError:
        return False
    return True


def _non_numeric(fields: list[str]) -> int:
    return sum(not is_number(value) for value in fields)


@dataclass
class Table:
    """Rows of string fields from a delimited text file.

    Attributes
    ----------
    source : str
        The file.
    header : list of str or None
        Column names when the file has a header line.
    rows : list of list of str
        Data rows (blank and comment lines removed).
    lines : numpy.ndarray
        1-based line number of each row in the file, for error messages.
    delimiter : str or None
        The delimiter (None for whitespace).
    """

    source: str
    header: list[str] | None
    rows: list[list[str]]
    lines: np.ndarray
    delimiter: str | None
    _widths: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._widths = np.array([len(row) for row in self.rows], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    def column_index(self, column: str | int, role: str = "column") -> int:
        """The 0-based index of ``column``: a header name, or an index (int or digit string).

        Raises a clear error naming the available columns when there is no such column.
        """
        if isinstance(column, str) and self.header is not None:
            names = [name.strip() for name in self.header]
            if column.strip() in names:
                return names.index(column.strip())
            lowered = [name.lower() for name in names]
            if column.strip().lower() in lowered:
                return lowered.index(column.strip().lower())
        if isinstance(column, int | np.integer) or (isinstance(column, str)
                                                    and column.strip().isdigit()):
            index = int(column)
            width = len(self.header) if self.header is not None else int(self._widths.max(
                initial=0))
            if 0 <= index < width:
                return index
            raise InputError(f"no {role} number {index}: the file has {width} columns "
                             "(numbered from 0)", source=self.source, field=str(column))
        available = ", ".join(self.header) if self.header else "none (the file has no header; " \
            "give column numbers from 0)"
        raise InputError(f"no {role} named {column!r}; available columns: {available}",
                         source=self.source, field=str(column))

    def name_of(self, index: int) -> str:
        """A column's name for messages (its header name or its number)."""
        if self.header is not None and index < len(self.header):
            return self.header[index]
        return str(index)

    def strings(self, column: str | int, role: str = "column") -> list[str]:
        """One column as stripped strings; short rows raise an error naming their line."""
        index = self.column_index(column, role)
        short = np.flatnonzero(self._widths <= index)
        if short.size:
            row = int(short[0])
            raise InputError(f"expected at least {index + 1} fields, found {self._widths[row]}",
                             source=self.source, line=int(self.lines[row]),
                             field=self.name_of(index))
        return [row[index].strip() for row in self.rows]

    def floats(self, column: str | int, role: str = "column") -> np.ndarray:
        """One column as float64; missing markers become NaN, anything else non-numeric fails."""
        values = self.strings(column, role)
        index = self.column_index(column, role)
        try:
            return np.asarray(values, dtype=np.float64) if values else np.zeros(0)
        except ValueError:
            pass
        result = np.empty(len(values), dtype=np.float64)
        for i, value in enumerate(values):
            if value.lower() in MISSING:
                result[i] = np.nan
                continue
            try:
                result[i] = float(value)
            except ValueError:
                raise InputError(f"expected a number, got {value[:40]!r}", source=self.source,
                                 line=int(self.lines[i]), field=self.name_of(index)) from None
        return result


def read_table(path: str | Path, delimiter: str | None = None, header: bool | None = None,
               comment: str | None = "#", text: str | None = None) -> Table:
    """Read a delimited text file into a :class:`Table`.

    Parameters
    ----------
    path : str or Path
    delimiter : str, optional
        ``None`` detects it from the first lines (tab, comma, semicolon, bar, else whitespace);
        ``"whitespace"`` or ``" "`` splits on runs of blanks.
    header : bool, optional
        ``None`` detects a header: the first line has more non-numeric fields than the second.
    comment : str, optional
        Lines starting with this are skipped.
    text : str, optional
        The file's text when already read.
    """
    source = str(path)
    text = read_text(path) if text is None else text
    lines = text_lines(text)
    kept = [(number, line) for number, line in enumerate(lines, start=1)
            if line.strip() and not (comment and line.lstrip().startswith(comment))]
    if not kept:
        raise InputError("file has no data lines", source=source)
    if delimiter in ("whitespace", " ", "space"):
        delimiter = None
        explicit = True
    elif delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(delimiter,
                                                                                    delimiter)
        explicit = True
    else:
        explicit = False
    if not explicit:
        delimiter = sniff_delimiter([line for _, line in kept])
    rows = [split_line(line, delimiter) for _, line in kept]
    numbers = np.array([number for number, _ in kept], dtype=np.int64)
    if header is None:
        first = _non_numeric(rows[0])
        header = first > 0 and (len(rows) == 1 or first > _non_numeric(rows[1]))
    names = None
    if header:
        names = [name.strip().strip('"') for name in rows[0]]
        rows, numbers = rows[1:], numbers[1:]
    return Table(source, names, rows, numbers, delimiter)


# ---------------------------------------------------------------------------- shared helpers
def check_finite_time(time: np.ndarray, lines: np.ndarray | None, source: str | None,
                      field: str | None = None) -> None:
    """Raise an error naming the line of the first missing or infinite timestamp."""
    bad = np.flatnonzero(~np.isfinite(time))
    if bad.size:
        line = int(lines[bad[0]]) if lines is not None else None
        raise InputError("expected a timestamp, found a missing or infinite value",
                         source=source, line=line, field=field)


def order_time(time: np.ndarray, unordered: str, source: str, lines: np.ndarray | None = None,
               field: str | None = None) -> tuple[np.ndarray | None, int]:
    """Check that ``time`` does not decrease.

    Parameters
    ----------
    unordered : {"error", "sort"}
        ``"error"`` raises naming the first line where time goes backwards; ``"sort"`` returns a
        stable sorting permutation and the number of samples that were out of order.

    Returns
    -------
    order : numpy.ndarray or None
        The permutation to apply, or None when the time is already in order.
    moved : int
        Samples whose timestamp was smaller than an earlier one.
    """
    steps = np.diff(time)
    if not np.any(steps < 0):
        return None, 0
    if unordered not in ("error", "sort"):
        raise InputError(f"unordered must be 'error' or 'sort', got {unordered!r}")
    if unordered == "error":
        bad = int(np.flatnonzero(steps < 0)[0]) + 1
        line = None if lines is None else int(lines[bad])
        raise InputError(f"time goes backwards ({time[bad - 1]!r} -> {time[bad]!r}); expected "
                         "non-decreasing timestamps (unordered='sort' reorders them)",
                         source=source, line=line, field=field)
    moved = int(np.sum(time < np.maximum.accumulate(time)))
    return np.argsort(time, kind="stable"), moved


def make_recording(time, x, y, *, meta: Metadata, pupil=None, labels=None, screen=None,
                   unordered: str = "error", lines: np.ndarray | None = None,
                   time_field: str | None = None) -> Recording:
    """Build a :class:`Recording`, checking time order (see :func:`order_time`).

    When samples are reordered, ``meta.extra["reordered_samples"]`` says how many moved.
    """
    time = np.asarray(time, dtype=np.float64)
    if len(time) == 0:
        raise InputError("no samples in the file", source=meta.source)
    check_finite_time(time, lines, meta.source, time_field)
    order, moved = order_time(time, unordered, meta.source, lines, time_field)
    arrays = [time, x, y, pupil, labels]
    if order is not None:
        arrays = [None if a is None else np.asarray(a)[order] for a in arrays]
        meta.extra["reordered_samples"] = moved
    time, x, y, pupil, labels = arrays
    return Recording(time=time, x=x, y=y, pupil=pupil, labels=labels, screen=screen, meta=meta)


def zero_to_nan(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions with exact (0, 0) or any NaN coordinate set to NaN (the trackers' "lost")."""
    lost = ((x == 0) & (y == 0)) | np.isnan(x) | np.isnan(y)
    return np.where(lost, np.nan, x), np.where(lost, np.nan, y)


def time_to_seconds(values: np.ndarray, unit: str, source: str | None = None) -> np.ndarray:
    """Convert timestamps in ``unit`` (s, ms, us) to seconds."""
    try:
        factor = TIME_UNITS[unit]
    except KeyError:
        raise InputError(f"unknown time unit {unit!r}; expected one of "
                         f"{', '.join(TIME_UNITS)}", source=source) from None
    return np.asarray(values, dtype=np.float64) / factor


def positions_to_px(x: np.ndarray, y: np.ndarray, unit: str, screen, source: str | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Convert positions in ``unit`` (px, deg, norm) to pixels; deg and norm need the screen
    (deg its size in mm and the viewing distance too)."""
    if unit == "px":
        return x, y
    if unit not in POSITION_UNITS:
        raise InputError(f"unknown position unit {unit!r}; expected one of "
                         f"{', '.join(POSITION_UNITS)}", source=source)
    if screen is None:
        raise MissingScreenError(f"positions in {unit} need the screen geometry to convert to "
                                 f"pixels: {SCREEN_HINT}", source=source)
    if unit == "norm":
        return screen.norm_to_px(x, y)
    return screen.require_geometry(f"converting positions in {unit} to pixels",
                                   source=source).deg_to_px(x, y)


def synthetic_time(n: int, sampling_rate: float | None, source: str | None) -> np.ndarray:
    """Timestamps ``0, 1/rate, ...`` for files without a time column."""
    if sampling_rate is None:
        raise InputError("the file has no time column: give the sampling rate "
                         "(sampling_rate=HZ) or a time column (time_col=NAME or number)",
                         source=source, params=("sampling_rate", "time_col"))
    rate = float(sampling_rate)
    if not math.isfinite(rate) or rate <= 0:
        raise InputError(f"sampling rate must be a positive number, got {sampling_rate!r}",
                         source=source)
    return np.arange(n, dtype=np.float64) / rate
