"""GazeCom video free-viewing recordings with hand-labelled events.

Dorr, Martinetz, Gegenfurtner & Barth (2010), "Variability of eye movements when viewing dynamic
natural scenes", Journal of Vision 10(10):28; labels by Startsev, Agtzidis & Dorr (2019),
"1D CNN with BLSTM for automated classification of fixations, saccades, and smooth pursuits",
Behavior Research Methods 51, 556-572 (as redistributed by the OEMC repository).

Files ``VIDEO/SUBJ_VIDEO.csv``: tab-separated with the header
``X_coord Y_coord Confidence Pattern``; no time column, 250 Hz; coordinates normalised 0..1 over
the 1280 x 720 px video area (400 x 225 mm viewed at 450 mm).

Decisions (checked on all 290 development files):

* ``Confidence`` is 0 or 1, and 0 only occurs in samples labelled B (blink/noise): those samples
  are lost (NaN), as are samples at exactly (0, 0). Other samples keep their position even when
  outside 0..1 (gaze off the video area is real gaze, about 0.5 % of samples).
* Pattern F, S, P, B become fixation, saccade, pursuit, blink (B also covers noise).
* subject = SUBJ (3 letters), stimulus = VIDEO (the part after the first underscore);
  ``extra["stimulus_kind"]`` = ``dynamic`` (videos: pursuit is possible).

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "AAF_beach.csv"
>>> _ = path.write_text("X_coord\\tY_coord\\tConfidence\\tPattern\\n"
...                     "0.5\\t0.5\\t1.0\\tF\\n0.0\\t0.0\\t0.0\\tB\\n0.25\\t0.5\\t1.0\\tS\\n")
>>> rec = read_gazecom(path)
>>> rec.x.tolist(), rec.labels.tolist(), rec.sampling_rate, rec.meta.stimulus
([640.0, nan, 320.0], [1, 5, 2], 250.0, 'beach')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.labels import Label
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .registry import register_reader
from .table import make_recording, read_table, synthetic_time

#: The GazeCom set-up: 1280 x 720 px video area = 400 x 225 mm at 450 mm.
GAZECOM_SCREEN = Screen(1280, 720, 400.0, 225.0, 450.0)
GAZECOM_RATE = 250.0
HEADER = ("X_coord", "Y_coord", "Confidence", "Pattern")
_PATTERNS = {"F": Label.FIXATION, "S": Label.SACCADE, "P": Label.PURSUIT, "B": Label.BLINK,
             "N": Label.BLINK, "U": Label.UNDEFINED}


def gazecom_metadata(path: str | Path) -> Metadata:
    """Subject and video from ``SUBJ_VIDEO.csv``."""
    path = Path(path)
    # natural videos: a dynamic stimulus (pursuit possible)
    meta = Metadata(source=str(path), format="gazecom", extra={"stimulus_kind": "dynamic"})
    subject, _, video = path.stem.partition("_")
    if video:
        meta.subject, meta.stimulus = subject, video
    return meta


@register_reader("gazecom", description="GazeCom labelled video viewing (X_coord Y_coord "
                 "Confidence Pattern), 250 Hz", options=("screen", "sampling_rate"))
def read_gazecom(path: str | Path, *, screen: Screen | None = None,
                 sampling_rate: float | None = None) -> Recording:
    """Read one GazeCom recording.

    Parameters
    ----------
    path : str or Path
    screen : Screen, optional
        Overrides the GazeCom geometry (normalised positions are scaled to its pixels).
    sampling_rate : float, optional
        Overrides the 250 Hz rate.
    """
    source = str(path)
    table = read_table(path, delimiter="\t", header=True)
    if table.header is None or [h.strip() for h in table.header[:4]] != list(HEADER):
        found = "\t".join(table.header or [])[:80]
        raise InputError(f"expected the GazeCom header {' '.join(HEADER)}, found {found!r}",
                         source=source, line=1)
    if not table.rows:
        raise InputError("no samples in the file (only a header)", source=source)
    screen = screen or GAZECOM_SCREEN
    x_norm = table.floats("X_coord")
    y_norm = table.floats("Y_coord")
    confidence = table.floats("Confidence")
    patterns = table.series("Pattern").fill_null("")
    labels = (patterns.str.to_uppercase()
              .replace_strict({k: int(v) for k, v in _PATTERNS.items()}, default=-1,
                              return_dtype=pl.Int8).to_numpy())
    if (labels < 0).any():  # vectorised; the first unknown pattern names its line
        row = int(np.argmax(labels < 0))
        raise InputError(f"unknown pattern {patterns[row][:20]!r}; expected F, S, P or B",
                         source=source, line=int(table.lines[row]), field="Pattern")
    lost = (confidence <= 0) | ((x_norm == 0) & (y_norm == 0)) | np.isnan(confidence)
    x, y = screen.norm_to_px(x_norm, y_norm)
    x = np.where(lost, np.nan, x)
    y = np.where(lost, np.nan, y)
    time = synthetic_time(len(table), sampling_rate or GAZECOM_RATE, source)
    meta = gazecom_metadata(path)
    return make_recording(time, x, y, labels=labels, screen=screen, meta=meta,
                          lines=table.lines)
