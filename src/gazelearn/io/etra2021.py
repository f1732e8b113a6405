"""The ETRA 2021 tutorial data (Kasprowski, "Deep Learning in the Eye Tracking World").

``paths/IMG_P.csv`` (format ``etra-paths``): tab-separated, no header:
system timestamp (ms), ``G``, x (px), y (px), tracker info ``GazeData TS:<tracker ms>``.
IMG is the picture (bus, kot = cat, nap = text, rab = rabbits; the file's code is the stimulus
and ``extra["stimulus_name"]`` the English name), P the participant.

The system timestamps tick in steps of 10-20 ms (a coarse PC clock), which would make a 60 Hz
tracker look like 50 Hz; the tracker's own ``TS:`` clock (ms) ticks every 16-17 ms. By default
time comes from the tracker clock (``clock="tracker"``), falling back to the system clock when a
row lacks it; ``clock="system"`` forces the first column. Either way the irregularities stay in the
data (``Recording.timing()`` reports them); a few samples arrive out of order and are sorted into
place (``extra["reordered_samples"]`` counts them; ``unordered="error"`` refuses instead).
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

import re
from pathlib import Path

import numpy as np

from gazelearn.errors import InputError
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .registry import register_reader
from .table import make_recording, read_table, zero_to_nan

#: The pictures of the ``paths`` task: file code -> English name.
PATH_STIMULI = {"bus": "bus", "kot": "cat", "nap": "text", "rab": "rabbits"}
ANIMALS_STIMULUS = "animal-11.jpg"
_TS = re.compile(r"TS:\s*(-?\d+(?:\.\d+)?)")


def paths_metadata(path: str | Path) -> Metadata:
    """Stimulus and participant from ``IMG_P.csv``."""
    path = Path(path)
    meta = Metadata(source=str(path), format="etra-paths")
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
    markers = table.strings(1)
    bad = [i for i, value in enumerate(markers) if value != "G"]
    if bad:
        raise InputError(f"expected the record type 'G', got {markers[bad[0]][:20]!r}",
                         source=source, line=int(table.lines[bad[0]]), field="1")
    x, y = zero_to_nan(table.floats(2, "x column"), table.floats(3, "y column"))
    meta = paths_metadata(path)
    time_ms = None
    if clock == "tracker" and all(len(row) > 4 for row in table.rows):
        found = [_TS.search(row[4]) for row in table.rows]
        if all(found):
            time_ms = np.array([float(m.group(1)) for m in found])
            meta.extra["clock"] = "tracker"
    if time_ms is None:
        time_ms = table.floats(0, "time column")
        meta.extra["clock"] = "system"
    return make_recording(time_ms / 1000.0, x, y, screen=screen, meta=meta, unordered=unordered,
                          lines=table.lines, time_field="0" if meta.extra["clock"] == "system"
                          else "4")


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
                    trial=Path(path).stem)
    return make_recording(time, x, y, screen=screen, meta=meta, unordered=unordered,
                          lines=table.lines, time_field="0")
