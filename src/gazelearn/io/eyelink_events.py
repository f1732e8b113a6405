"""The tracker's own events of an EyeLink ``.asc`` file as gazelearn :class:`Events` columns.

``EFIX L start end duration x y pupil``, ``ESACC L start end duration sx sy ex ey amplitude
peak_velocity``, ``EBLINK L start end duration`` (times in ms, the tracker's end time being the
event's last sample), parsed by :mod:`gazelearn.io.eyelink` into a table with columns ``line``,
``kind``, ``eye``, ``start``, ``end`` and the measures ``v0`` .. ``v6``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from gazelearn.events import Events
from gazelearn.recording import Recording

#: Tracker event keywords and gazelearn's event types.
EVENT_TYPES = {"EFIX": "fixation", "ESACC": "saccade", "EBLINK": "blink"}


def events_table(events: pl.DataFrame, rates: list) -> pl.DataFrame:
    """gazelearn's event columns from the tracker's lines; ``offset`` is one sample after the
    tracker's end (``rates``: ``(line, declared rate)`` in file order; 1000 Hz without any)."""
    numbers = np.array([n for n, _ in rates], dtype=np.int64)
    values = np.array([r for _, r in rates] or [1000.0])
    which = np.clip(np.searchsorted(numbers, events["line"].to_numpy(), side="right") - 1, 0,
                    None)
    step_ms = 1000.0 / values[which] if len(events) else np.zeros(0)
    kind = events["kind"]
    fix, sacc = (kind == "EFIX").to_numpy(), (kind == "ESACC").to_numpy()
    v = {i: events[f"v{i}"].to_numpy() for i in range(7)}
    nan = np.full(len(events), np.nan)
    return pl.DataFrame({
        "type": kind.replace_strict(EVENT_TYPES),
        "onset": events["start"].to_numpy() / 1000.0,  # numpy's division, as for samples
        "offset": (events["end"].to_numpy() + step_ms) / 1000.0,
        "amplitude": np.where(sacc, v[5], nan),
        "peak_velocity": np.where(sacc, v[6], nan),
        "mean_x": np.where(fix, v[1], nan),
        "mean_y": np.where(fix, v[2], nan),
        "eye": events["eye"].replace_strict({"L": "left", "R": "right"}),
        "start_x": np.where(sacc, v[1], nan), "start_y": np.where(sacc, v[2], nan),
        "end_x": np.where(sacc, v[3], nan), "end_y": np.where(sacc, v[4], nan),
        "pupil": np.where(fix, v[3], nan),
        "line": events["line"],
    })


def attach_events(events: pl.DataFrame, rates: list, rec: Recording, letter: str) -> Events:
    """The events of one eye (``L``/``R``) that start inside the recording, indexed on its
    samples."""
    t0, t1 = rec.time[0] * 1000.0, rec.time[-1] * 1000.0
    rows = events.filter((pl.col("eye") == letter) & pl.col("start").is_between(t0, t1))
    frame = events_table(rows, rates)
    onset_index = np.searchsorted(rec.time, frame["onset"].to_numpy(), side="left")
    offset_index = np.searchsorted(rec.time, frame["offset"].to_numpy(), side="left")
    return Events(frame.with_columns(pl.Series("onset_index", onset_index, dtype=pl.Int64),
                                     pl.Series("offset_index", offset_index, dtype=pl.Int64)))
