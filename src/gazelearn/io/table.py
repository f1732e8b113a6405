"""Reading delimited text into a typed table with polars, and helpers every text reader shares.

The first lines (at most 64 KiB) decide the layout in Python: comment and blank lines before the
data, the delimiter, whether there is a header, which columns hold numbers. Then polars' CSV
reader parses the whole file at once into Float64 columns where numbers are expected (String
elsewhere); no Python code runs per row. Every problem becomes an
:class:`~gazelearn.errors.InputError` naming the file, the line and the column: missing or empty
files, binary content, short rows, values that are not numbers (found with a vectorised pass
over that column read as text), time that runs backwards. Line numbers count every line of the
file (header, comments, blank lines) and are worked out only when an error needs one.

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
>>> int(table.lines[1])
3
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from gazelearn.errors import InputError

from .polars_csv import (
    MISSING,
    _blank_and_short_rows,
    _Layout,
    _lines_frame,
    _names,
    _only_rows,
    _read_polars,
    _read_typed,
    _read_whitespace,
)
from .samples import (  # noqa: F401 (the shared helpers, re-exported for the readers)
    POSITION_UNITS,
    TIME_UNITS,
    check_finite_time,
    infer_time_unit,
    make_recording,
    order_time,
    parse_float,
    positions_to_px,
    require_positions,
    synthetic_time,
    time_to_seconds,
    zero_to_nan,
)

_DELIMITERS = ("\t", ",", ";", "|")
_SNIFF_LINES = 30
_HEAD_BYTES = 65536


def read_text(path: str | Path) -> str:
    """The text of a file; a clear error when it is missing, unreadable, empty or binary."""
    data = _check_file(path)
    if not data.strip():
        raise InputError("file is empty", source=path)
    if b"\x00" in data[:65536]:
        raise InputError("binary content, expected a text file", source=path)
    text = _decode(data)
    if not text.strip():
        raise InputError("file is empty (only blanks)", source=path)
    return text


def _check_file(path: str | Path, limit: int | None = None) -> bytes:
    """The file's bytes (the first ``limit`` of them), or an error when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=path)
    if path.is_dir():
        raise InputError("is a folder, expected a file", source=path)
    try:
        with open(path, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", source=path) from None


def _decode(data: bytes) -> str:
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark, even before latin-1
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # European tracker exports; never fails


def text_lines(text: str) -> list[str]:
    """Lines of ``text`` split on newlines only (so line numbers match an editor's)."""
    return [line.rstrip("\r") for line in text.split("\n")]


def sniff_delimiter(lines: list[str], exclude: tuple[str, ...] = ()) -> str | None:
    """The delimiter that splits the first lines into a constant number of fields (>1).

    Returns ``None`` for runs of whitespace; ``exclude`` removes candidates (the comma when
    commas are decimal marks).
    """
    sample = [line for line in lines if line.strip()][:_SNIFF_LINES]
    candidates = [d for d in _DELIMITERS if d not in exclude]
    best, best_count = None, 0
    for delimiter in candidates:
        counts = [line.count(delimiter) for line in sample]
        # a trailing partial line may differ: require agreement on all but the last line
        body = counts[:-1] if len(counts) > 2 else counts
        if min(body, default=0) > 0 and len(set(body)) == 1 and body[0] > best_count:
            best, best_count = delimiter, body[0]
    if best is None:
        for delimiter in candidates:  # consistent counts failed: take the most frequent one
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
        parse_float(stripped)
    except ValueError:
        return False
    return True


def _non_numeric(fields: list[str]) -> int:
    return sum(not is_number(value) for value in fields)


class LineNumbers:
    """The 1-based line of each table row in its file, worked out when first asked for.

    Indexing with an int gives an int, with an array an array; ``numpy.asarray`` gives all;
    :meth:`subset` the lines of some rows, still worked out only when asked for.
    """

    def __init__(self, table: Table, rows: np.ndarray | None = None) -> None:
        self._table = table
        self._rows = rows  # the table rows these are the lines of (None: every row)

    def __len__(self) -> int:
        return len(self._table) if self._rows is None else len(self._rows)

    def _table_rows(self, index) -> np.ndarray:
        if self._rows is None:
            return np.arange(len(self))[index]
        return self._rows[index]

    def __getitem__(self, index):
        rows = np.asarray(index)
        if rows.ndim == 0:
            row = int(rows) if self._rows is None else int(self._rows[int(rows)])
            return int(self._table._line_of(np.array([row]))[0])
        return self._table._line_of(self._table_rows(rows))

    def subset(self, rows: np.ndarray) -> LineNumbers:
        """The line numbers of ``rows`` (indices into these), without working them out."""
        return LineNumbers(self._table, self._table_rows(np.asarray(rows, dtype=np.int64)))

    def __array__(self, dtype=None, copy=None):
        lines = self._table._line_of(self._table_rows(slice(None)))
        return lines if dtype is None else lines.astype(dtype)


@dataclass
class Table:
    """Columns of a delimited text file, parsed by polars.

    Attributes
    ----------
    source : str
        The file.
    header : list of str or None
        Column names when the file has a header line.
    frame : polars.DataFrame
        The columns not yet taken by :meth:`floats`, named ``c0``, ``c1``, ... (Float64 where
        the first lines hold numbers, String elsewhere); blank lines removed.
    delimiter : str or None
        The delimiter (None for whitespace).
    width : int
        Number of columns (the header's, or the widest of the first lines).
    lines : LineNumbers
        1-based line number of each row in the file, for error messages.
    """

    source: str
    header: list[str] | None
    frame: pl.DataFrame
    delimiter: str | None
    width: int
    _layout: _Layout = field(repr=False)
    _kept: np.ndarray | None = field(default=None, repr=False)  # polars rows kept
    _short: tuple[np.ndarray, np.ndarray] = field(default=None, repr=False)  # rows, widths
    _floats: dict = field(default_factory=dict, repr=False)
    _parsed: dict = field(default_factory=dict, repr=False)  # numeric columns not yet asked for
    _height: int | None = field(default=None, repr=False)
    _read: set | None = field(default=None, repr=False)  # columns parsed (None: all)
    _removed: np.ndarray | None = field(default=None, repr=False)  # see _file_lines
    _reload: Callable[[], io.BytesIO] | None = field(default=None, repr=False)  # see release

    def __post_init__(self) -> None:
        if self._height is None:
            self._height = self.frame.height
        if self._short is None:
            self._short = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))

    @property
    def lines(self) -> LineNumbers:
        """The 1-based line of each row (see :class:`LineNumbers`). A new view at every access:
        a table holding its own view would be a reference cycle, and the cycle would keep the
        table's columns in memory after the reader returns, until Python's cycle collector
        happens to run (190 MB for a GazeBase hour)."""
        return LineNumbers(self)

    def __len__(self) -> int:
        return self._height

    # ------------------------------------------------------------------ columns
    def column_index(self, column: str | int, role: str = "column") -> int:
        """The 0-based index of ``column``: a header name, or an index (int or digit string).

        Raises a clear error naming the available columns when there is no such column, and
        when a name appears more than once in the header.
        """
        # the header's line, or the first line when there is none (where a header would be)
        line = (self._file_lines(self._layout.header_line) if self._layout.header_line
                else self.first_data_line)
        if isinstance(column, str) and self.header is not None:
            names = [name.strip() for name in self.header]
            for candidates, wanted in ((names, column.strip()),
                                       ([n.lower() for n in names], column.strip().lower())):
                if wanted in candidates:
                    found = [i for i, name in enumerate(candidates) if name == wanted]
                    if len(found) > 1:
                        raise InputError(
                            f"the header names {len(found)} columns {column!r} (columns "
                            f"{', '.join(map(str, found))}, numbered from 0); expected unique "
                            "names: rename them or give the column number", source=self.source,
                            line=line, field=str(column))
                    return found[0]
        if isinstance(column, int | np.integer) or (isinstance(column, str)
                                                    and column.strip().isdigit()):
            index = int(column)
            if 0 <= index < self.width:
                return index
            raise InputError(f"no {role} number {index}: the file has {self.width} columns "
                             "(numbered from 0)", source=self.source, field=str(column))
        available = ", ".join(self.header) if self.header else "none (the file has no header; " \
            "give column numbers from 0)"
        raise InputError(f"no {role} named {column!r}; available columns: {available}",
                         source=self.source, line=line, field=str(column))

    def name_of(self, index: int) -> str:
        """A column's name for messages (its header name or its number)."""
        if self.header is not None and index < len(self.header):
            return self.header[index]
        return str(index)

    def error(self, message: str, row: int | None = None, column: str | int | None = None
              ) -> InputError:
        """An :class:`InputError` naming this file, the line of ``row`` and the column."""
        line = None if row is None else int(self.lines[int(row)])
        name = None if column is None else self.name_of(self.column_index(column))
        return InputError(message, source=self.source, line=line, field=name)

    def short_rows(self, index: int) -> np.ndarray:
        """Rows (0-based) too short to have column ``index``."""
        rows, widths = self._short
        return rows[widths <= index]

    def _check_short(self, index: int) -> None:
        rows, widths = self._short
        short = np.flatnonzero(widths <= index)
        if short.size:
            row = int(rows[short[0]])
            raise InputError(f"expected at least {index + 1} fields, found "
                             f"{int(widths[short[0]])}", source=self.source,
                             line=int(self.lines[row]), field=self.name_of(index))

    def is_numeric(self, column: str | int) -> bool:
        """Whether the column was parsed as numbers (Float64)."""
        index = self.column_index(column)
        name = _names(index)
        if self._read is not None and index not in self._read:
            self._read_later(index)
        return (index in self._floats or index in self._parsed
                or self.frame.schema.get(name) == pl.Float64)

    def series(self, column: str | int, role: str = "column", check: bool = True
               ) -> pl.Series:
        """One column as a polars String Series, stripped; null where the field is empty.

        For vectorised work on text columns (codes, markers, patterns); ``check=False`` lets
        rows too short for the column through (as nulls) instead of raising.
        """
        index = self.column_index(column, role)
        if check:
            self._check_short(index)
        name = _names(index)
        if name in self.frame.columns and self.frame.schema[name] == pl.String:
            values = self.frame[name]
        else:  # a numeric column: its exact text, read again as strings
            values = self._reread_strings(index)
        return values.str.strip_chars()

    def strings(self, column: str | int, role: str = "column") -> list[str]:
        """One column as stripped strings (a Python list; for small tables, use :meth:`series`
        for large ones); short rows raise an error naming their line."""
        return self.series(column, role).fill_null("").to_list()

    @property
    def rows(self) -> list[list[str]]:
        """All rows as lists of strings (a Python list per row: for small tables only)."""
        columns = [self.series(i, check=False).fill_null("").to_list()
                   for i in range(self.width)]
        rows, widths = self._short
        result = [list(row) for row in zip(*columns, strict=True)] if columns else []
        for row, width in zip(rows.tolist(), widths.tolist(), strict=True):
            result[row] = result[row][:width]
        return result

    def floats(self, column: str | int, role: str = "column") -> np.ndarray:
        """One column as float64; missing markers become NaN, anything else non-numeric fails.

        The first call takes the column out of :attr:`frame` (its memory goes to the array);
        later calls return the same array, so a caller that changes it in place changes it for
        every caller.
        """
        index = self.column_index(column, role)
        if index in self._floats:
            return self._floats[index]
        self._check_short(index)
        name = _names(index)
        if index not in self._parsed and name not in self.frame.columns:
            self._read_later(index)  # a column the reader did not announce
        if index in self._parsed:  # parsed as numbers while reading
            self._floats[index] = array = self._parsed.pop(index)
            return array
        values = self.frame[name]
        if values.dtype == pl.String:
            values = self._parse_numbers(values, index)
        array = values.to_numpy(writable=True).astype(np.float64, copy=False)
        self.frame = self.frame.drop(name)  # the array holds the data now
        self._floats[index] = array
        return array

    def take_floats(self, column: str | int, role: str = "column") -> np.ndarray:
        """Like :meth:`floats`, but the table forgets the array: the caller owns it (and may
        change it in place)."""
        array = self.floats(column, role)
        del self._floats[self.column_index(column, role)]
        return array

    def release(self) -> None:
        """Forget the columns (their memory goes to whoever took them); line numbers still
        work. For a reader that has asked for everything it needs."""
        self.frame = self.frame.clear()
        self._parsed.clear()
        self._floats.clear()

    def drop_text(self, reload: Callable[[], io.BytesIO]) -> None:
        """Drop the text in memory the table was read from (``read_table(text=)``): ``reload``
        makes it again when an error needs a line number or a column is read later."""
        self._reload, self._layout.data = reload, None

    def forget(self, column: str | int) -> None:
        """Drop a text column from :attr:`frame` (asked for again, it is read again)."""
        name = _names(self.column_index(column))
        if name in self.frame.columns:
            self.frame = self.frame.drop(name)
            if self._read is not None:
                self._read = self._read - {self.column_index(column)}

    def _data(self) -> _Layout:
        """The layout, its text made again if :meth:`release` dropped it."""
        if self._layout.data is None:
            self._layout.data = self._reload()
        return self._layout

    @property
    def first_data_line(self) -> int:
        """The 1-based line where the data rows start (after header, comments, blanks)."""
        return self._file_lines(self._layout.skip + 1)

    def _file_lines(self, lines):
        """Lines of the parsed text as lines of the file: after each line the reader left out
        of the text (``_removed[i]``: its number minus ``i``), one more."""
        if self._removed is None:
            return lines
        moved = np.searchsorted(self._removed, lines, side="right")
        return lines + moved if np.ndim(lines) else int(lines + moved)

    def _parse_numbers(self, text: pl.Series, index: int) -> pl.Series:
        """Text to Float64 in one vectorised pass; the first non-number is an error."""
        stripped = text.str.strip_chars()
        missing = stripped.is_null() | stripped.str.to_lowercase().is_in(list(MISSING))
        if self._layout.decimal_comma:
            stripped = stripped.str.replace(",", ".", literal=True)
        values = stripped.cast(pl.Float64, strict=False)
        bad = values.is_null() & ~missing
        if bad.any():
            row = int(bad.arg_max())
            raise InputError(f"expected a number, got {text[row].strip()[:40]!r}",
                             source=self.source, line=int(self.lines[row]),
                             field=self.name_of(index))
        return values.fill_null(np.nan)

    def _read_later(self, index: int) -> None:
        """Parse one column left out at first: into :attr:`frame` or the float arrays."""
        frame, floats, _ = _read_typed(self._data(), {index})
        name = _names(index)
        if self._kept is not None:
            frame = frame[self._kept]
            floats = {i: a[self._kept] for i, a in floats.items()}
        if index in floats:
            self._parsed[index] = floats[index]
        else:
            self.frame = self.frame.with_columns(frame[name])
        self._read = None if self._read is None else self._read | {index}

    # ------------------------------------------------------------------ raw lines
    def _reread_strings(self, index: int) -> pl.Series:
        layout = self._data()
        if layout.delimiter is None:
            raise AssertionError("whitespace tables hold strings only")
        schema = {_names(i): pl.String for i in range(layout.width)}
        frame = _read_polars(layout, schema, columns=[index])
        values = frame[_names(index)]
        return values if self._kept is None else values.gather(self._kept)

    def _line_of(self, rows: np.ndarray) -> np.ndarray:
        """Physical 1-based line numbers of table rows (one scan of the file's lines)."""
        layout = self._data()
        polars_rows = rows if self._kept is None else self._kept[rows]
        lines = _lines_frame(layout, comments=True).with_row_index("k")
        if layout.comment:
            lines = lines.filter(~pl.col("l").str.starts_with(layout.comment).fill_null(False))
        if len(polars_rows) == 0:
            return np.zeros(0, dtype=np.int64)
        # streaming: the file's lines pass by in batches, never all in memory
        found = (_only_rows(lines.with_row_index("p"), np.unique(polars_rows))
                 .select("p", "k").sort("p").collect(engine="streaming"))
        known, at = found["p"].to_numpy().astype(np.int64), found["k"].to_numpy()
        polars_rows = np.asarray(polars_rows, dtype=np.int64)
        where = np.minimum(np.searchsorted(known, polars_rows), max(len(known) - 1, 0))
        hit = known[where] == polars_rows if len(known) else np.zeros(len(polars_rows), bool)
        index = np.where(hit, at[where] if len(known) else 0, polars_rows)
        return self._file_lines(layout.skip + index.astype(np.int64) + 1)


def _layout(path: str | Path, text: io.BytesIO | None, delimiter: str | None,
            header: bool | None, comment: str | None, decimal_comma: bool) -> _Layout:
    """Read the first lines: skipped lines, delimiter, header, numeric columns (of ``text``,
    UTF-8 bytes, when given)."""
    source = str(path)
    if text is None:
        head = _check_file(path, _HEAD_BYTES)
        complete = len(head) < _HEAD_BYTES
        if not head.strip() and not complete:
            head, complete = read_text(path).encode(), True  # blank start of a big file
        if not head.strip():
            raise InputError("file is empty", source=source)
        if b"\x00" in head:
            raise InputError("binary content, expected a text file", source=source)
        lines = text_lines(_decode(head))
        if not complete:
            lines = lines[:-1] or lines  # the last line may be cut
        data = path
    else:
        head, lines, kept = _head_of(text, comment)
        data = text
    kept = kept if text is not None else _kept_lines(lines, comment)
    if not kept:
        if text is None and not _decode(head).strip():
            raise InputError("file is empty (only blanks)", source=source)
        raise InputError("file has no data lines", source=source)
    kept = kept[:_SNIFF_LINES + 1]
    if delimiter in ("whitespace", " ", "space"):
        delimiter, explicit = None, True
    elif delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(delimiter,
                                                                                    delimiter)
        explicit = True
    else:
        explicit = False
    if not explicit:
        delimiter = sniff_delimiter([line for _, line in kept],
                                    exclude=(",",) if decimal_comma else ())
    rows = [split_line(line, delimiter) for _, line in kept]
    if header is None:
        first = _non_numeric(rows[0])
        header = first > 0 and (len(rows) == 1 or first > _non_numeric(rows[1]))
    skip = kept[0][0]
    names = header_line = None
    if header:
        names = [name.strip().strip('"').lstrip("\ufeff") for name in rows[0]]
        header_line, skip, rows = skip + 1, skip + 1, rows[1:]
    width = len(names) if names is not None else max(len(row) for row in rows)
    numeric = [all(is_number(row[i]) for row in rows if len(row) > i) for i in range(width)]
    raw = head
    start = 0
    for _ in range(skip):  # the byte where the data rows start, for delimiter counting
        found = raw.find(b"\n", start)
        start = len(raw) if found < 0 else found + 1
    size = text.getbuffer().nbytes if text is not None else Path(path).stat().st_size
    return _Layout(source, data, skip, names, header_line, delimiter, width, numeric, comment,
                   decimal_comma, start, size)


def _kept_lines(lines: list[str], comment: str | None) -> list[tuple[int, str]]:
    """The lines (with their 0-based numbers) that are neither blank nor comments."""
    return [(number, line) for number, line in enumerate(lines)
            if line.strip() and not (comment and line.lstrip().startswith(comment))]


def _head_of(text: io.BytesIO, comment: str | None) -> tuple[bytes, list[str], list]:
    """The first lines of UTF-8 text in memory: as many as the layout looks at (the first
    ``_SNIFF_LINES + 1`` data lines), read from a head that grows until it holds them, so the
    layout is the one of the whole text without splitting all of it into Python strings."""
    view = text.getbuffer()
    size = _HEAD_BYTES
    while True:
        complete = size >= view.nbytes
        head = bytes(view[:size])
        if not complete:
            head = head[:head.rfind(b"\n") + 1]  # whole lines only
        lines = text_lines(head.decode("utf-8"))
        kept = _kept_lines(lines, comment)
        if complete or len(kept) > _SNIFF_LINES:
            return head, lines, kept
        size *= 4


def read_table(path: str | Path, delimiter: str | None = None, header: bool | None = None,
               comment: str | None = "#", text: str | io.BytesIO | None = None,
               decimal_comma: bool = False,
               columns: Callable[[list[str] | None], Iterable[str | int]] | None = None,
               strings: Iterable[str] = (), removed_lines: np.ndarray | None = None) -> Table:
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
    text : str or io.BytesIO, optional
        The file's text when already read (or its UTF-8 bytes: the readers that build the
        text piece by piece pass those, so no whole-file string exists).
    decimal_comma : bool
        Numbers are written ``1,5`` (the comma is then never taken as the delimiter).
    columns : callable, optional
        Given the header (None without one), the columns the reader will ask for (names, or
        numbers from 0; names not in the header are ignored): only those are parsed, which
        saves the memory of the others. Asking for another column later still works (it is
        read from the file then).
    strings : iterable of str
        Header names of columns to read as text even when their first values are numbers
        (the readers that only ever ask for their strings: no second read of the file).
    removed_lines : numpy.ndarray, optional
        The 1-based numbers (increasing) of the file's lines a reader left out of ``text``
        (SMI message rows): errors still name the lines of the file.
    """
    if isinstance(text, str):
        text = io.BytesIO(text.encode("utf-8"))
    layout = _layout(path, text, delimiter, header, comment, decimal_comma)
    removed = None
    if removed_lines is not None and len(removed_lines):
        removed = np.asarray(removed_lines, dtype=np.int64) - np.arange(len(removed_lines))
    for name in strings:
        for index, found in enumerate(layout.header or []):
            if found.strip() == name:
                layout.numeric[index] = False
    if layout.delimiter is None:
        frame, kept, short = _read_whitespace(layout)
        return Table(layout.source, layout.header, frame, None, layout.width, layout,
                     kept, short, _removed=removed)
    wanted = None if columns is None else _wanted(layout, columns(layout.header))
    frame, floats, last_empty = _read_typed(layout, wanted)
    height = len(last_empty)
    kept, short = _blank_and_short_rows(height, last_empty, layout)
    if kept is not None:  # blank lines: a slice when they all end the file, else a copy
        trailing = kept[-1] == len(kept) - 1 if len(kept) else True
        frame = frame.head(len(kept)) if trailing else frame[kept]
        for index, array in floats.items():
            if not array.flags.owndata:  # a view (of polars' memory): a copy
                floats[index] = array[:len(kept)] if trailing else array[kept]
                continue
            if not trailing:
                _compact(array, kept)
            array.resize(len(kept), refcheck=False)  # in place
        height = len(kept)
    return Table(layout.source, layout.header, frame, layout.delimiter, layout.width, layout,
                 kept, short, _parsed=floats, _height=height, _read=wanted, _removed=removed)


def _compact(array: np.ndarray, kept: np.ndarray, block: int = 1 << 16) -> None:
    """``array[:len(kept)] = array[kept]`` in place, block by block (``kept`` increasing): no
    second array of the whole column. Each block reads from positions at or after those it
    writes, so no value is overwritten before it is read."""
    for start in range(0, len(kept), block):
        rows = kept[start:start + block]
        array[start:start + len(rows)] = array[rows]


def _wanted(layout: _Layout, columns: Iterable[str | int]) -> set[int]:
    """Column numbers of the names (or numbers) a reader asks for; unknown names are left out."""
    names = [name.strip() for name in layout.header or []]
    found = set()
    for column in columns:
        if isinstance(column, int | np.integer):
            found.add(int(column))
        elif column.strip() in names:
            found.update(i for i, name in enumerate(names) if name == column.strip())
        elif column.strip().isdigit():
            found.add(int(column))
        else:  # the same case-blind match column_index makes
            lowered = [name.lower() for name in names]
            found.update(i for i, name in enumerate(lowered) if name == column.strip().lower())
    return found

