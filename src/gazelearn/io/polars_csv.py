"""polars' CSV reader under the text readers: the data rows of a laid-out file parsed into typed
columns, in pieces of a few MiB so that one piece of text is in memory at a time.

:mod:`gazelearn.io.table` decides the layout from the first lines (a :class:`_Layout`) and builds
its :class:`~gazelearn.io.table.Table` on what these functions return; nothing here knows about
recordings.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from gazelearn.errors import InputError

#: Strings read as a missing value (NaN).
MISSING = frozenset({"", "nan", "na", "n/a", "null", "none", ".", "-", "?"})
# polars compares null markers exactly: the usual spellings of each
_NULL_VALUES = sorted({v for m in MISSING - {"", "nan"} for v in (m, m.upper(), m.title())})

# the data rows are parsed in pieces of this size (times a quarter of the columns, at most 8
# times): memory holds one piece of text at a time next to the parsed columns (never the whole
# file), and polars' buffers are reused per piece
_CHUNK_BYTES = 1 << 21
_LINE_SEPARATOR = "\x1f"  # never in a text file: each line is one field
_POLARS_COLUMN = re.compile(r"at column '(c\d+)'")


def _names(index: int) -> str:
    return f"c{index}"


@dataclass
class _Layout:
    """What the first lines say: where the data starts and how it is split."""

    source: str
    data: object  # the path, or a BytesIO of text given in memory
    skip: int  # physical lines before the first data row
    header: list[str] | None
    header_line: int | None
    delimiter: str | None
    width: int
    numeric: list[bool]
    comment: str | None
    decimal_comma: bool
    start: int = 0  # byte offset of the first data row
    size: int = 0  # bytes of the file (or of the text)
    delimiters: int | None = None  # delimiters in the data rows, counted while parsing them


def _lines_frame(layout: _Layout, comments: bool) -> pl.LazyFrame:
    """The file's lines after the layout's skipped ones, one String column ``l``, lazily.

    With ``comments=False`` comment lines are dropped, so row ``p`` is polars' data row ``p``.
    """
    options = dict(has_header=False, separator=_LINE_SEPARATOR, quote_char=None,
                   schema={"l": pl.String}, skip_lines=layout.skip, truncate_ragged_lines=True,
                   extra_columns="ignore",
                   encoding="utf8-lossy", comment_prefix=None if comments else layout.comment,
                   raise_if_empty=False)
    if isinstance(layout.data, io.BytesIO):
        layout.data.seek(0)
        return pl.read_csv(layout.data, **options).lazy()
    return pl.scan_csv(layout.data, **options)


def _only_rows(lines: pl.LazyFrame, rows: np.ndarray) -> pl.LazyFrame:
    """The rows of ``lines`` whose index ``p`` is in ``rows`` (a semi join, lazily)."""
    wanted = pl.DataFrame({"p": pl.Series(rows.astype(np.uint32), dtype=pl.UInt32)})
    return lines.join(wanted.lazy(), on="p", how="semi")


def _read_polars(layout: _Layout, schema: dict, columns: list | None = None,
                 data: bytes | None = None, plain: bool = False) -> pl.DataFrame:
    """The file (or ``data``: some of its data rows) parsed by polars with ``schema``.

    ``plain`` parses without the null markers and the comment prefix (see :func:`_plain_safe`):
    a third less CPU; any marker or comment line then fails the parse, and the caller parses
    the piece again with them."""
    if data is None and isinstance(layout.data, io.BytesIO):
        layout.data.seek(0)
    try:
        return _polars_csv(layout, schema, columns, data, plain)
    except pl.exceptions.PanicException:  # a polars bug on odd input (a lone quote): bad input
        raise InputError("cannot parse the file as delimited text (unbalanced quotes?)",
                         source=layout.source) from None


def _plain_safe(layout: _Layout, schema: dict, columns: list[int]) -> bool:
    """Whether a parse without null markers and comment prefix can only fail, never differ.

    Every null marker (``NA``, ``.``, ``-``, ...) is text that polars refuses as a Float64 (a
    ComputeError, tested in tests/io/test_table_chunks.py), so with numbers only the plain parse
    either gives exactly the full parse's columns or fails. A comment line fails it too when its
    first field is a number column that is parsed and the prefix cannot start a number."""
    if any(schema[_names(i)] != pl.Float64 for i in columns):
        return False  # a text column would take a marker or a comment line as text
    return layout.comment is None or (
        0 in columns and not layout.comment[:1].isalnum() and layout.comment[:1] not in "+-. ")


def _polars_csv(layout: _Layout, schema: dict, columns: list | None, data: bytes | None,
                plain: bool = False) -> pl.DataFrame:
    return pl.read_csv(layout.data if data is None else data, has_header=False,
                       separator=layout.delimiter,
                       skip_lines=layout.skip if data is None else 0,
                       comment_prefix=None if plain else layout.comment, schema=schema,
                       columns=columns, null_values=None if plain else _NULL_VALUES,
                       truncate_ragged_lines=True, missing_columns="insert",
                       extra_columns="ignore",
                       decimal_comma=layout.decimal_comma,
                       # text columns take any bytes (latin-1 exports); numbers need none
                       encoding="utf8-lossy" if pl.String in schema.values() else "utf8",
                       raise_if_empty=False)


def _read_typed(layout: _Layout, wanted: set[int] | None = None
                ) -> tuple[pl.DataFrame, dict[int, np.ndarray], np.ndarray]:
    """The columns, Float64 where numbers are expected; a column that turns out to hold text is
    read again as String (its first bad value is reported when it is asked for as numbers).

    Returns the text columns (a polars frame), the numeric ones as float64 arrays and whether
    each row's last field is empty (blank and short rows are among those). ``wanted`` limits
    the columns read (the last one is always read: it finds short rows).
    """
    kinds = [pl.Float64 if numeric else pl.String for numeric in layout.numeric]
    for _ in range(layout.width + 1):
        schema = {_names(i): kind for i, kind in enumerate(kinds)}
        try:
            return _read_chunked(layout, schema, wanted)
        except pl.exceptions.ComputeError as error:
            match = _POLARS_COLUMN.search(str(error))
            if match and schema.get(match[1]) == pl.Float64:
                kinds[int(match[1][1:])] = pl.String
            elif pl.Float64 in kinds:
                kinds = [pl.String] * layout.width
            else:
                raise _polars_error(error, layout.source) from None
        except pl.exceptions.PolarsError as error:
            raise _polars_error(error, layout.source) from None
    raise InputError("cannot parse the file", source=layout.source)


def _data_chunks(layout: _Layout):
    """The data rows' bytes in pieces of about :data:`_CHUNK_BYTES`, each ending at a line end
    outside quotes, so that the file is never held whole next to its parsed columns.

    Each piece is read once, at its exact size (the line end is found in a small probe before
    it), so no piece is copied."""
    if isinstance(layout.data, io.BytesIO):
        data = layout.data.getbuffer()
        read = lambda offset, size: bytes(data[offset:offset + size])  # noqa: E731
    else:
        handle = open(layout.data, "rb")  # noqa: SIM115 (closed below)
        read = lambda offset, size: os.pread(handle.fileno(), size, offset)  # noqa: E731
    try:
        offset, size = layout.start, layout.size
        # wide rows: bigger pieces, so that each holds about as many rows (polars' cost per
        # piece grows with the columns; the parsed piece's memory with rows times columns)
        piece = _CHUNK_BYTES * min(max(layout.width // 4, 1), 8)
        if offset == 0 and read(0, 3) == b"\xef\xbb\xbf":
            offset = 3  # a byte-order mark
        pending, quotes = b"", 0
        while offset < size:
            end = _line_end(read, offset + piece, size)
            chunk = read(offset, end - offset)
            if not chunk:
                break
            offset += len(chunk)
            if pending:  # rare: the previous piece ended inside a quoted field
                chunk, pending = pending + chunk, b""
            odd = (quotes + (_count(chunk, b'"') if b'"' in chunk else 0)) % 2
            if odd and offset < size:  # a line end inside a quoted field is no row end
                pending = chunk
                continue
            quotes = 0
            yield chunk
        if pending:
            yield pending
    finally:
        if not isinstance(layout.data, io.BytesIO):
            handle.close()


def _count(data, byte: bytes) -> int:
    """How often ``byte`` occurs in ``data`` (bytes or a buffer): numpy's comparison is about
    six times faster than ``bytes.count`` for one byte, which matters at every MiB of a file.

    Examples
    --------
    >>> _count(b"1,2,,3\\n", b","), _count("a;b".encode(), ";".encode())
    (3, 1)
    """
    if len(byte) != 1:
        return bytes(data).count(byte)
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == byte[0]))


def _line_end(read, target: int, size: int) -> int:
    """The offset just after the last line end before ``target`` (``size`` at the end)."""
    if target >= size:
        return size
    probe = 1 << 16
    while True:
        start = max(target - probe, 0)
        found = read(start, target - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        if start == 0:  # one line longer than the piece: take it whole
            return _line_end(read, target + probe, size) if target + probe < size else size
        probe *= 4


def _read_chunked(layout: _Layout, schema: dict, wanted: set[int] | None
                  ) -> tuple[pl.DataFrame, dict[int, np.ndarray], np.ndarray]:
    """Parse the data rows piece by piece; numbers go straight into float64 arrays."""
    read = sorted(set(range(layout.width)) if wanted is None
                  else {i for i in wanted if 0 <= i < layout.width} | {layout.width - 1})
    names = [_names(i) for i in read]
    numbers = [i for i in read if schema[_names(i)] == pl.Float64]
    texts, arrays, last, height, delimiters = [], {}, [], 0, 0
    separator = layout.delimiter.encode()
    plain = _plain_safe(layout, schema, read)
    for chunk in _data_chunks(layout):
        delimiters += _count(chunk, separator)  # for _blank_and_short_rows, while in memory
        part = None
        if plain:
            try:
                part = _read_polars(layout, schema, columns=read, data=chunk, plain=True)
            except (pl.exceptions.PolarsError, InputError):
                pass  # a null marker, a comment line or a bad value: the full parse decides
        if part is None:
            part = _read_polars(layout, schema, columns=read, data=chunk)
        rows = part.height
        if not arrays:  # room for the rows this chunk's line length promises (grown below)
            size = layout.size - layout.start
            guess = int(rows * size / max(len(chunk), 1) * 1.05) + 1024
            arrays = {i: np.empty(max(guess, rows), dtype=np.float64) for i in numbers}
        for i, array in arrays.items():
            if height + rows > len(array):  # realloc in place (no copy for large arrays)
                array.resize(max(2 * len(array), height + rows), refcheck=False)
            array[height:height + rows] = part[_names(i)].to_numpy()
        last.append(part[_names(layout.width - 1)].is_null().to_numpy())
        texts.append(part.drop([_names(i) for i in numbers]))
        height += rows
    for array in arrays.values():
        array.resize(height, refcheck=False)  # shrinks in place
    layout.delimiters = delimiters
    if not texts:
        frame = pl.DataFrame(schema={n: schema[n] for n in names if schema[n] == pl.String})
        return frame, {i: np.zeros(0) for i in numbers}, np.zeros(0, dtype=bool)
    frame = pl.concat(texts, how="vertical") if len(texts) > 1 else texts[0]
    return frame, arrays, np.concatenate(last)


def _polars_error(error: Exception, source: str) -> InputError:
    reason = " ".join(str(error).split("\n\n")[0].split())[:160]
    return InputError(f"cannot parse the file as delimited text: {reason}", source=source)


def _read_whitespace(layout: _Layout) -> tuple[pl.DataFrame, np.ndarray | None,
                                                 tuple[np.ndarray, np.ndarray]]:
    """Columns split on runs of blanks (polars splits each line; all columns String)."""
    fields = (_lines_frame(layout, comments=False)
              .select(pl.col("l").str.extract_all(r"\S+").alias("f")).collect()["f"])
    counts = fields.list.len().fill_null(0).to_numpy()
    kept = None
    if (counts == 0).any():  # blank lines
        kept = np.flatnonzero(counts > 0)
        fields, counts = fields.gather(kept), counts[kept]
    frame = pl.DataFrame({_names(i): fields.list.get(i, null_on_oob=True)
                          for i in range(layout.width)})
    short = np.flatnonzero(counts < layout.width)
    return frame, kept, (short, counts[short])


def _delimiters_agree(rows: int, layout: _Layout) -> bool:
    """Whether the data holds exactly ``width - 1`` delimiters per row: then no row is short or
    blank (a count at memory speed, in chunks, instead of reading every line as text)."""
    expected = rows * (layout.width - 1)
    if layout.delimiters is not None:
        return layout.delimiters == expected
    delimiter = layout.delimiter.encode()
    if isinstance(layout.data, io.BytesIO):
        return _count(layout.data.getbuffer()[layout.start:], delimiter) == expected
    found = 0
    with open(layout.data, "rb") as handle:
        handle.seek(layout.start)
        while chunk := handle.read(1 << 24):
            found += _count(chunk, delimiter)
            if found > expected:
                return False
    return found == expected


def _blank_and_short_rows(height: int, last: np.ndarray, layout: _Layout
                          ) -> tuple[np.ndarray | None, tuple[np.ndarray, np.ndarray]]:
    """Blank lines to drop and rows with fewer fields than columns, from the raw lines of the
    only rows that can be either: those whose last column is empty (``last``)."""
    empty = (np.zeros(0, dtype=np.int64),) * 2
    if layout.width == 0 or height == 0:
        return None, empty
    if not last.any() or _delimiters_agree(height, layout):
        return None, empty
    candidates = np.flatnonzero(last)
    counts = (_only_rows(_lines_frame(layout, comments=False).with_row_index("p"), candidates)
              .select("p", pl.when(pl.col("l").fill_null("").str.strip_chars() == "").then(0)
                      .otherwise(pl.col("l").str.count_matches(layout.delimiter, literal=True)
                                 + 1).alias("n"))
              .collect())
    rows = counts["p"].to_numpy().astype(np.int64)
    widths = counts["n"].to_numpy().astype(np.int64)
    kept = None
    blank = rows[widths == 0]
    if blank.size:
        keep = np.ones(height, dtype=bool)
        keep[blank] = False
        kept = np.flatnonzero(keep)
    short = widths < layout.width
    short &= widths > 0
    rows, widths = rows[short], widths[short]
    if kept is not None:  # renumber to the table's rows
        rows = np.searchsorted(kept, rows)
    return kept, (rows, widths)
