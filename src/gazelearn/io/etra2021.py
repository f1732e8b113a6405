"""The ETRA 2021 tutorial data (Kasprowski, "Deep Learning in the Eye Tracking World").

``paths/IMG_P.csv`` (format ``etra-paths``): tab-separated, no header:
system timestamp (ms), ``G``, x (px), y (px), tracker info ``GazeData TS:<tracker ms>``.
IMG is the picture (bus, kot = cat, nap = text, rab = rabbits; the file's code is the stimulus
and ``extra["stimulus_name"]`` the English name), P the participant.

The system timestamps tick in steps of 10-20 ms (a coarse PC clock), which would make a 60 Hz
tracker look like 50 Hz; the tracker's own ``TS:`` clock (ms) ticks every 16-17 ms. By default
time comes from the tracker clock (``clock="tracker"``), or the system clock when no row has
one; a file where only some rows lack it is an error naming the first (``clock="system"``
forces the first column). A last line cut off mid-way (no line end, fields or ``TS`` digits
missing) is dropped and counted (``extra["dropped_cut_lines"]``, ``extra["warnings"]``); a
timestamp more than 1 s before the row above is an error naming its line. Either way the
irregularities stay in the data (``Recording.timing()`` reports them); a few samples arrive out
of order and are sorted into place (``extra["reordered_samples"]`` counts them;
``unordered="error"`` refuses instead).
(0, 0) is a lost sample.

``animals/A*.csv`` (format ``etra-animals``): comma-separated, no header: timestamp (ms), x, y
(px), about 50 Hz; stimulus ``animal-11.jpg``; the file name (``A10``) becomes the trial.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "kot_12.csv"
>>> _ = path.write_text("1000\\tG\\t10.5\\t20\\tGazeData TS:500\\n"
...                     "1020\\tG\\t0\\t0\\tGazeData TS:517\\n")
>>> rec = read_etra_paths(path)
>>> rec.time.tolist(), rec.x.tolist(), rec.meta.subject, rec.meta.extra["stimulus_name"]
([0.5, 0.517], [10.5, nan], '12', 'cat')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .registry import register_reader
from .table import make_recording, read_table, read_text, zero_to_nan

#: The pictures of the ``paths`` task: file code -> English name.
PATH_STIMULI = {"bus": "bus", "kot": "cat", "nap": "text", "rab": "rabbits"}
ANIMALS_STIMULUS = "animal-11.jpg"
# the tracker clock in ASCII digits (polars' \d would take any Unicode digit)
_TS = r"TS:\s*(-?[0-9]+(?:\.[0-9]+)?)"


def paths_metadata(path: str | Path) -> Metadata:
    """Stimulus and participant from ``IMG_P.csv``."""
    path = Path(path)
    # pictures: a static stimulus (no pursuit possible)
    meta = Metadata(source=str(path), format="etra-paths", extra={"stimulus_kind": "static"})
    image, _, person = path.stem.partition("_")
    if person:
        meta.stimulus, meta.subject = image, person
        if image in PATH_STIMULI:
            meta.extra["stimulus_name"] = PATH_STIMULI[image]
    return meta


@register_reader("etra-paths", description="ETRA 2021 'paths' recordings (ms, G, x, y, tracker "
                 "TS), about 60 Hz", options=("screen", "clock", "unordered"))
def read_etra_paths(path: str | Path, *, screen: Screen | None = None, clock: str = "tracker",
                    unordered: str = "sort") -> Recording:
    """Read one ETRA 2021 ``paths`` recording.

    Parameters
    ----------
    path : str or Path
    screen : Screen, optional
        The geometry, when known (the files do not say).
    clock : {"tracker", "system"}
        Which timestamps to use (see the module notes).
    unordered : {"sort", "error"}
        What to do with samples whose timestamp is earlier than the previous one.
    """
    if clock not in ("tracker", "system"):
        raise InputError(f"clock must be 'tracker' or 'system', got {clock!r}")
    source = str(path)
    table = read_table(path, delimiter="\t", header=False)
    meta = paths_metadata(path)
    if _ends_without_newline(path) and len(table) > 1 and _is_cut(table, len(table) - 1):
        # the recording stopped mid-line: its last line would be a sample at a wrong time
        # (``TS:5`` sorts to the front) or position; drop it and say so
        line = int(table.lines[len(table) - 1])
        text = read_text(path)
        table = read_table(path, delimiter="\t", header=False,
                           text=text[:text.rstrip("\r\n").rfind("\n") + 1])
        meta.extra["dropped_cut_lines"] = 1
        meta.extra["warnings"] = [f"line {line}: cut off (no line end, incomplete); dropped"]
    markers = table.series(1)
    bad = (markers != "G").fill_null(True)
    if bad.any():
        row = int(bad.arg_max())
        raise InputError(f"expected the record type 'G', got {(markers[row] or '')[:20]!r}",
                         source=source, line=int(table.lines[row]), field="1")
    x, y = zero_to_nan(table.floats(2, "x column"), table.floats(3, "y column"))
    time_ms = None
    if clock == "tracker":
        stamps = _tracker_ms(table)
        missing = stamps.is_null()
        if not missing.all():  # a file without any TS: is on the system clock throughout
            if missing.any():
                row = int(missing.arg_max())
                raise InputError("expected the tracker time 'GazeData TS:<ms>' as on the other "
                                 "rows (clock='system' reads the first column instead)",
                                 source=source, line=int(table.lines[row]), field="4")
            time_ms = stamps.to_numpy().astype(np.float64)
            meta.extra["clock"] = "tracker"
    if time_ms is None:
        time_ms = table.floats(0, "time column")
        meta.extra["clock"] = "system"
    field = "0" if meta.extra["clock"] == "system" else "4"
    _check_jumps(time_ms, table, source, field)
    return make_recording(time_ms / 1000.0, x, y, screen=screen, meta=meta, unordered=unordered,
                          lines=table.lines, time_field=field)


def _tracker_ms(table) -> pl.Series:
    """The ``TS:<ms>`` number of every row as Float64 (null where a row has none)."""
    return (table.series(4, check=False).str.extract(_TS, 1)
            .cast(pl.Float64, strict=False))


def _ends_without_newline(path: str | Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            return False
        handle.seek(-1, 2)
        return handle.read(1) != b"\n"


def _is_cut(table, row: int) -> bool:
    """Whether the last row (of a file without a final line end) is incomplete: fewer fields,
    no tracker time, or a tracker time before the previous row's (its digits cut off)."""
    if row in table.short_rows(4).tolist():
        return True
    stamps = _tracker_ms(table).tail(2).to_list()
    if stamps[-1] is None:
        return stamps[0] is not None
    return stamps[0] is not None and stamps[-1] < stamps[0] - _MAX_BACKWARD_MS


# a few samples arrive late (at most 17 ms in the tutorial's 72 files): later than this is a
# broken timestamp, not a late sample
_MAX_BACKWARD_MS = 1000.0


def _check_jumps(time_ms: np.ndarray, table, source: str, field: str) -> None:
    """An error naming the line of a timestamp far before the one of the row above."""
    back = np.flatnonzero(np.diff(time_ms) < -_MAX_BACKWARD_MS)
    if back.size:
        row = int(back[0]) + 1
        gap_s = (time_ms[row - 1] - time_ms[row]) / 1000
        raise InputError(f"time {time_ms[row]:.0f} ms is {gap_s:.1f} s before the row above "
                         "(a broken line?); expected time in order (late samples are at most a "
                         "few frames late)", source=source, line=int(table.lines[row]),
                         field=field)


@register_reader("etra-animals", description="ETRA 2021 'animals' free viewing (ms, x, y)",
                 options=("screen", "unordered"))
def read_etra_animals(path: str | Path, *, screen: Screen | None = None,
                      unordered: str = "sort") -> Recording:
    """Read one ETRA 2021 ``animals`` recording (timestamp ms, x, y; no header)."""
    source = str(path)
    table = read_table(path, delimiter=",", header=False)
    time = table.floats(0, "time column") / 1000.0
    x, y = zero_to_nan(table.floats(1, "x column"), table.floats(2, "y column"))
    meta = Metadata(source=source, format="etra-animals", stimulus=ANIMALS_STIMULUS,
                    trial=Path(path).stem, extra={"stimulus_kind": "static"})  # one picture
    return make_recording(time, x, y, screen=screen, meta=meta, unordered=unordered,
                          lines=table.lines, time_field="0")
