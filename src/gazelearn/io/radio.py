"""Radiograph viewing by specialists, residents and laymen (Kasprowski's ETRA 2019 tutorial).

Kasprowski, Harezlak & Kasprowska (2018), "Development of diagnostic performance & visual
processing in different types of radiological expertise", ETRA '18.

Files ``CLASS_PERSON_IMAGE_N`` (no extension): CSV with the header
``timstamp,smoothx,smoothy,rawx,rawy,fixation``; timestamps in ms, about 60 Hz.

* x, y are the raw positions by default (``position="smooth"`` takes the tracker's smoothed ones);
* subject = PERSON, stimulus = IMAGE, trial = N, ``extra["expertise"]`` = specialist, resident or
  layman (from S, R, L);
* no labels by default; ``fixation_labels=True`` turns the tracker's per-sample fixation flag
  into labels (1 -> fixation, 0 -> undefined);
* a few files have samples out of order (up to 270 ms late): they are sorted into place and
  ``extra["reordered_samples"]`` counts them (``unordered="error"`` refuses instead).

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "S_A1116_5_2"
>>> _ = path.write_text("timstamp,smoothx,smoothy,rawx,rawy,fixation\\n"
...                     "1000,10,20,11,21,1\\n1017,12,22,13,23,0\\n")
>>> rec = read_radio(path)
>>> rec.x.tolist(), rec.meta.subject, rec.meta.extra["expertise"], rec.labels is None
([11.0, 13.0], 'A1116', 'specialist', True)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gazelearn.errors import InputError
from gazelearn.labels import Label
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .registry import register_reader
from .table import make_recording, read_table, zero_to_nan

HEADER = ("timstamp", "smoothx", "smoothy", "rawx", "rawy", "fixation")
EXPERTISE = {"S": "specialist", "R": "resident", "L": "layman"}
_NAME = re.compile(r"^(?P<cls>[SRL])_(?P<person>[^_]+)_(?P<image>\d+)_(?P<n>\d+)$")


def radio_metadata(path: str | Path) -> Metadata:
    """Subject, image, trial and expertise from ``CLASS_PERSON_IMAGE_N``."""
    path = Path(path)
    # radiographs: a static stimulus (no pursuit possible)
    meta = Metadata(source=str(path), format="radio", extra={"stimulus_kind": "static"})
    match = _NAME.match(path.name)
    if match:
        meta.subject, meta.stimulus, meta.trial = match["person"], match["image"], match["n"]
        meta.extra["expertise"] = EXPERTISE[match["cls"]]
    return meta


@register_reader("radio", description="Radiograph viewing by experts (timstamp,smoothx,...), "
                 "about 60 Hz", options=("screen", "position", "fixation_labels", "unordered"))
def read_radio(path: str | Path, *, screen: Screen | None = None, position: str = "raw",
               fixation_labels: bool = False, unordered: str = "sort") -> Recording:
    """Read one radiograph-viewing recording.

    Parameters
    ----------
    path : str or Path
    screen : Screen, optional
        The geometry, when known (the files do not say).
    position : {"raw", "smooth"}
        Which x, y columns to use.
    fixation_labels : bool
        Turn the tracker's fixation flag into per-sample labels.
    unordered : {"sort", "error"}
        What to do with samples whose timestamp is earlier than the previous one.
    """
    if position not in ("raw", "smooth"):
        raise InputError(f"position must be 'raw' or 'smooth', got {position!r}")
    source = str(path)
    table = read_table(path, delimiter=",", header=True)
    if table.header is None or [h.strip().lower() for h in table.header[:6]] != list(HEADER):
        raise InputError(f"expected the header {','.join(HEADER)}", source=source, line=1)
    if not table.rows:
        raise InputError("no samples in the file (only a header)", source=source)
    time = table.floats("timstamp") / 1000.0
    x, y = zero_to_nan(table.floats(f"{position}x"), table.floats(f"{position}y"))
    labels = None
    if fixation_labels:
        flag = table.floats("fixation")
        bad = np.flatnonzero(~np.isin(flag, (0.0, 1.0)))
        if bad.size:
            raise InputError(f"fixation flag must be 0 or 1, got {flag[bad[0]]!r}",
                             source=source, line=int(table.lines[bad[0]]), field="fixation")
        labels = np.where(flag == 1, Label.FIXATION, Label.UNDEFINED).astype(np.int8)
    meta = radio_metadata(path)
    meta.extra["position"] = position
    return make_recording(time, x, y, labels=labels, screen=screen, meta=meta,
                          unordered=unordered, lines=table.lines, time_field="timstamp")
