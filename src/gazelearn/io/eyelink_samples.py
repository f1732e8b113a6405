"""The lines of an EyeLink ``.asc`` file, read piece by piece into the samples' arrays.

The file is read in pieces of a few MiB (:func:`~gazelearn.io.pieces.text_pieces`); each piece
becomes one polars column of lines, classified by their first characters, and its sample lines
are split and parsed by polars expressions (no Python loop per sample). The numbers go straight
into preallocated float64 arrays and the piece's text is dropped, so memory holds the arrays
and one piece, never the whole file. Only the chosen eye's values are kept (see
:mod:`gazelearn.io.eyelink`); the other lines (messages, events, settings, calibrations: a few
per cent of a file) are kept as text for the reader.

Errors are those of one parse of the whole file: the first line missing a sample's fields,
else the first bad value (its line and column), else the first sample without a finite time.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s.asc"
>>> _ = path.write_text("START\\t10 \\tLEFT\\tRIGHT\\tSAMPLES\\n"
...                     "10\\t 1.0\\t 2.0\\t 900.0\\t 5.0\\t 6.0\\t 800.0\\n")
>>> found = read_samples(path, eye="right")
>>> found.time.tolist(), found.x.tolist(), found.pupil.tolist(), found.right.tolist()
([10.0], [5.0], [800.0], [True])
>>> found.other["keyword"].to_list(), found.layouts
(['START'], [(1, 'LR')])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from gazelearn.errors import InputError

from .pieces import text_pieces

_SAMPLE = (r"^(?P<t>\S+)\s+(?P<x1>\S+)\s+(?P<y1>\S+)\s+(?P<p1>\S+)"
           r"(?:\s+(?P<x2>\S+)\s+(?P<y2>\S+)\s+(?P<p2>\S+))?")
_SAMPLE_FIELDS = {"t": (1, "time"), "x1": (2, "x"), "y1": (3, "y"), "p1": (4, "pupil"),
                  "x2": (5, "x of the right eye"), "y2": (6, "y of the right eye"),
                  "p2": (7, "pupil of the right eye")}
# a sample line starts with its time: digits, or a sign, a point, nan or inf (then the time
# check below names the line instead of the line being skipped as an unknown keyword)
_SAMPLE_START = r"^(?:[-+.]?\d|(?i:[-+]?(?:nan|inf)))"
# the arrays of every sample, and those of the right eye kept for eye="mean" only
_ARRAYS = {"numbers": np.int64, "time": np.float64, "x": np.float64, "y": np.float64,
           "pupil": np.float64, "choice": np.int8, "right": np.bool_}
_SECOND = ("x2", "y2", "p2")


@dataclass
class Samples:
    """The samples of a file and its other lines.

    ``time`` is in ms; ``x``, ``y``, ``pupil`` are the chosen eye's values as written
    (``.`` is NaN; blinks and zero pupils are the reader's business); ``choice`` says which
    columns a sample took (1 the first eye, 2 the right eye of a binocular line, 3 both, for
    their mean: then ``second`` holds the right eye's ``x2``, ``y2``, ``p2``); ``right`` whether
    the sample's eye is the right one (for its blinks and labels). ``layouts`` are the
    ``START``/``SAMPLES`` lines naming eyes, ``(line, "L" | "R" | "LR")``; ``layout_rows`` the
    layouts some sample falls under; ``before_layouts`` whether a sample comes before any.
    """

    source: str
    numbers: np.ndarray
    time: np.ndarray
    x: np.ndarray
    y: np.ndarray
    pupil: np.ndarray
    choice: np.ndarray
    right: np.ndarray
    second: dict | None
    other: pl.DataFrame  # number, line, keyword: the non-blank lines that are no samples
    layouts: list = field(default_factory=list)
    layout_rows: set = field(default_factory=set)
    before_layouts: bool = False


def layout_eyes(line: str) -> str:
    """The eyes a ``START`` or ``SAMPLES`` line names: ``L``, ``R``, ``LR`` or ``""``."""
    words = line.upper().split()
    return "".join(letter for letter, word in (("L", "LEFT"), ("R", "RIGHT")) if word in words)


def _lines(first: int, text: str) -> pl.DataFrame:
    """One piece as one row per line (``number`` from ``first``, ``line`` without its end)."""
    return (pl.DataFrame({"line": [text]}).lazy()
            .select(pl.col("line").str.split("\n")).explode("line")
            .with_row_index("number", offset=first)
            .with_columns(pl.col("number").cast(pl.Int64),
                          pl.col("line").str.strip_chars_end("\r"))
            .collect())


def floats(frame: pl.DataFrame, names: dict, source: str, what: str) -> dict:
    """Columns of tokens as float64 ('.' -> NaN); the first bad value raises, naming its line
    and its column (``names``: column -> (field number on the line, description))."""
    exprs = []
    for name in names:
        token = pl.col(name)
        exprs.append(pl.when(token == ".").then(None).otherwise(token)
                     .cast(pl.Float64, strict=False).fill_null(np.nan).alias(name))
        exprs.append((token.is_not_null() & (token != ".")
                      & token.cast(pl.Float64, strict=False).is_null()).alias(f"{name}_bad"))
    values = frame.select(exprs)
    bad_rows = [(int(values[f"{name}_bad"].arg_max()), k, name)
                for k, name in enumerate(names) if values[f"{name}_bad"].any()]
    if bad_rows:
        row, _, name = min(bad_rows)
        position, description = names[name]
        raise InputError(f"{what}, got {frame[name][row][:40]!r} in column {position} "
                         f"({description})", source=source, line=int(frame["number"][row]))
    return {name: values[name].to_numpy() for name in names}


class _Reader:
    """The state of one pass over a file: arrays filled piece by piece, the first errors."""

    def __init__(self, source: str, size: int, eye: str | None) -> None:
        self.source, self.size, self.eye = source, size, eye
        self.arrays: dict[str, np.ndarray] = {}
        self.height = 0
        self.errors: dict[int, InputError] = {}  # kind (0 fields, 1 value, 2 time) -> first
        self.other: list[pl.DataFrame] = []
        self.layouts: list[tuple[int, str]] = []
        self.layout_rows: set[int] = set()
        self.before_layouts = False

    def piece(self, first: int, text: str) -> None:
        lines = _lines(first, text)
        is_sample = pl.col("line").str.contains(_SAMPLE_START)
        # "+ ''" copies the kept lines: a filtered string column still holds the whole
        # piece's text (polars' string views), which would keep every piece in memory
        other = (lines.filter(~is_sample & (pl.col("line").str.strip_chars() != ""))
                 .select("number", pl.col("line") + "",
                         pl.col("line").str.extract(r"^(\S+)").alias("keyword")))
        self.other.append(other)
        for number, line in other.filter(pl.col("keyword").is_in(["START", "SAMPLES"])).select(
                "number", "line").iter_rows():
            if eyes := layout_eyes(line):
                self.layouts.append((number, eyes))
        samples = (lines.filter(is_sample)
                   .select("number", "line", pl.col("line").str.extract_groups(_SAMPLE)
                           .alias("g"))
                   .unnest("g"))
        del lines
        if samples.height == 0:
            return
        missing = samples["t"].is_null() | samples["p1"].is_null()
        if missing.any():
            row = int(missing.arg_max())
            self._fail(0, f"expected a sample 'time x y pupil', got "
                       f"{samples['line'][row].strip()[:60]!r}", int(samples["number"][row]))
            return
        samples = samples.drop("line")
        try:
            columns = floats(samples, _SAMPLE_FIELDS, self.source,
                             "expected a sample 'time x y pupil'")
        except InputError as error:
            self.errors.setdefault(1, error)
            return
        untimed = ~np.isfinite(columns["t"])
        if untimed.any():
            row = int(np.argmax(untimed))
            self._fail(2, f"expected a sample time in ms, got {samples['t'][row][:40]!r}",
                       int(samples["number"][row]), field="1")
            return
        if not self.errors:  # after an error only the first errors of each kind matter
            self._keep(samples["number"].to_numpy(), columns, len(text))

    def _fail(self, kind: int, message: str, line: int, field: str | None = None) -> None:
        self.errors.setdefault(kind, InputError(message, source=self.source, line=line,
                                                field=field))

    def _keep(self, numbers: np.ndarray, c: dict, piece_chars: int) -> None:
        """The piece's samples: their eye chosen by the layout in force, into the arrays."""
        lay_lines = np.array([line for line, _ in self.layouts], dtype=np.int64)
        which = np.searchsorted(lay_lines, numbers, side="right") - 1
        self.layout_rows.update(int(k) for k in np.unique(which) if k >= 0)
        self.before_layouts = self.before_layouts or bool(which[0] < 0)
        # per layout (index + 1; 0: before any): the columns taken, and whether it is the right
        # eye; a binocular line takes the eye asked for (left by default)
        both = {"right": 2, "mean": 3}.get(self.eye, 1)
        choice = np.array([1] + [both if eyes == "LR" else 1 for _, eyes in self.layouts],
                          dtype=np.int8)[which + 1]
        right = np.array([False] + [eyes == "R" or (eyes == "LR" and both == 2)
                                    for _, eyes in self.layouts])[which + 1]
        on_right = choice == 2
        rows = {"numbers": numbers, "time": c["t"], "choice": choice, "right": right}
        for out, first, second in (("x", "x1", "x2"), ("y", "y1", "y2"), ("pupil", "p1", "p2")):
            rows[out] = np.where(on_right, c[second], c[first]) if on_right.any() else c[first]
        if (choice == 3).any():
            rows.update({name: c[name] for name in _SECOND})
        self._append(rows, piece_chars)

    def _append(self, rows: dict, piece_chars: int) -> None:
        n = len(rows["numbers"])
        if not self.arrays:  # room for the rows this piece's line length promises (grown below)
            guess = int(n * self.size / max(piece_chars, 1) * 1.05) + 1024
            self.arrays = {name: np.empty(max(guess, n), dtype=kind)
                           for name, kind in _ARRAYS.items()}
        capacity = len(self.arrays["numbers"])
        for name in _SECOND:
            if name in rows and name not in self.arrays:  # the first sample of eye="mean"
                self.arrays[name] = np.full(capacity, np.nan)
        if self.height + n > capacity:  # realloc in place (no copy of large arrays)
            capacity = max(2 * capacity, self.height + n)
            for array in self.arrays.values():
                array.resize(capacity, refcheck=False)
        for name, array in self.arrays.items():
            if name in rows:
                array[self.height:self.height + n] = rows[name]
        self.height += n

    def result(self) -> Samples:
        if self.errors:
            raise self.errors[min(self.errors)]
        arrays = self.arrays or {name: np.empty(0, dtype=kind) for name, kind in _ARRAYS.items()}
        for array in arrays.values():
            array.resize(self.height, refcheck=False)  # shrinks in place
        second = {name: arrays.pop(name) for name in _SECOND if name in arrays} or None
        other = (pl.concat(self.other) if self.other else
                 pl.DataFrame(schema={"number": pl.Int64, "line": pl.String,
                                      "keyword": pl.String}))
        return Samples(self.source, second=second, other=other, layouts=self.layouts,
                       layout_rows=self.layout_rows, before_layouts=self.before_layouts,
                       **arrays)


def read_samples(path: str | Path, eye: str | None = None) -> Samples:
    """Every sample line of an ASC file, the chosen eye's values (``eye`` None, ``"left"``,
    ``"right"`` or ``"mean"``: for binocular lines, the left, left, right or both eyes), and the
    other lines (see :class:`Samples`)."""
    source = str(path)
    reader = _Reader(source, 0, eye)
    for first, text in text_pieces(path):
        if not reader.size:
            reader.size = Path(path).stat().st_size
        reader.piece(first, text)
    return reader.result()
