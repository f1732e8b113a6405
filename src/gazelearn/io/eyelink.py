"""SR Research EyeLink ``.asc`` files (the text export of EDF files made by ``edf2asc``).

Read:

* sample lines ``time x y pupil ...`` (binocular: ``time xl yl pl xr yr pr ...``); ``.`` marks a
  lost value; time in ms becomes seconds;
* the tracker's events ``EFIX``, ``ESACC``, ``EBLINK`` of the chosen eye become per-sample labels
  (fixation, saccade, blink; a blink inside a saccade wins, samples in no event are undefined);
  without any event lines the recording has no labels;
* ``MSG ... DISPLAY_COORDS l t r b`` (or ``GAZE_COORDS``) gives the screen resolution, kept in
  ``extra["display_width_px"]``/``["display_height_px"]`` and as a pixel-only
  ``Recording.screen`` (an ASC file does not know the physical size or distance: give ``screen``
  for degrees);
* ``SAMPLES ... RATE r`` gives ``extra["declared_sampling_rate"]``, ``TRIALID`` the trial (when
  there is one), the ``** VERSION`` header the tracker model.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s1.asc"
>>> _ = path.write_text("MSG\\t100 DISPLAY_COORDS 0 0 1023 767\\n"
...                     "SAMPLES\\tGAZE\\tLEFT\\tRATE\\t500.00\\n"
...                     "100\\t 512.0\\t 384.0\\t 900.0\\t...\\n102\\t .\\t .\\t 0.0\\t...\\n"
...                     "EBLINK L 102 102 2\\n")
>>> rec = read_eyelink_asc(path)
>>> rec.x.tolist(), rec.labels.tolist(), rec.meta.extra["display_width_px"]
([512.0, nan], [0, 5], 1024)
>>> rec.screen.size_px, rec.screen.has_geometry
((1024, 768), False)
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
from .table import make_recording, read_text, text_lines

_EVENTS = {"EFIX": Label.FIXATION, "ESACC": Label.SACCADE, "EBLINK": Label.BLINK}
_COORDS = re.compile(r"(DISPLAY_COORDS|GAZE_COORDS)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)"
                     r"\s+(-?[\d.]+)")
_RATE = re.compile(r"RATE\s+([\d.]+)")


def _number(value: str) -> float:
    return np.nan if value == "." else float(value)


@register_reader("eyelink-asc", description="SR Research EyeLink .asc text (samples, events, "
                 "DISPLAY_COORDS)", options=("screen", "eye"))
def read_eyelink_asc(path: str | Path, *, screen: Screen | None = None,
                     eye: str | None = None) -> Recording:
    """Read an EyeLink ASC file.

    Parameters
    ----------
    path : str or Path
    screen : Screen, optional
        The geometry (the file only knows the resolution, which gives a pixel-only screen).
    eye : {"left", "right"}, optional
        Which eye of a binocular recording (default left; a monocular file's only eye).
    """
    source = str(path)
    if eye is not None and eye not in ("left", "right"):
        raise InputError(f"eye must be 'left' or 'right', got {eye!r}")
    lines = text_lines(read_text(path))
    times, xs, ys, pupils, numbers = [], [], [], [], []
    events: list[tuple[str, float, float, int]] = []
    meta = Metadata(source=source, format="eyelink-asc")
    trials: list[str] = []
    recorded = None  # eyes named on the SAMPLES / START line
    binocular = False
    column = 0  # offset of the chosen eye in a sample line
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        head = line.lstrip()[0]
        if head.isdigit():
            fields = line.split()
            try:
                if len(fields) < 4 + column:
                    raise ValueError
                times.append(float(fields[0]))
                xs.append(_number(fields[1 + column]))
                ys.append(_number(fields[2 + column]))
                pupils.append(_number(fields[3 + column]))
            except ValueError:
                raise InputError(f"expected a sample 'time x y pupil', got {line.strip()[:60]!r}",
                                 source=source, line=number) from None
            numbers.append(number)
            continue
        fields = line.split()
        keyword = fields[0]
        if keyword in ("SAMPLES", "START"):
            upper = [f.upper() for f in fields]
            eyes = [e for e in ("LEFT", "RIGHT") if e in upper]
            if eyes:
                recorded = eyes
                binocular = len(eyes) == 2
                wanted = (eye or "left").upper()
                if not binocular and eye is not None and wanted not in eyes:
                    raise InputError(f"the file recorded the {eyes[0].lower()} eye only, "
                                     f"not the {eye} eye", source=source, line=number)
                column = 3 if binocular and wanted == "RIGHT" else 0
            rate = _RATE.search(line)
            if rate:
                meta.extra["declared_sampling_rate"] = float(rate.group(1))
        elif keyword in _EVENTS:
            try:
                side, start, end = fields[1], float(fields[2]), float(fields[3])
            except (IndexError, ValueError):
                raise InputError(f"expected '{keyword} eye start end ...', got "
                                 f"{line.strip()[:60]!r}", source=source, line=number) from None
            events.append((side.upper(), start, end, int(_EVENTS[keyword])))
        elif keyword == "MSG":
            coords = _COORDS.search(line)
            if coords:
                left, top, right, bottom = (float(coords.group(i)) for i in range(2, 6))
                meta.extra["display_width_px"] = int(round(right - left + 1))
                meta.extra["display_height_px"] = int(round(bottom - top + 1))
            if "TRIALID" in line:
                trials.append(line.split("TRIALID", 1)[1].strip())
        elif keyword == "**" and len(fields) > 2 and fields[1] == "VERSION:":
            meta.extra["tracker"] = " ".join(fields[2:])
    if not times:
        raise InputError("no sample lines ('time x y pupil ...') in the file", source=source)
    if recorded:
        meta.extra["eye"] = ("right" if column == 3 else "left") if binocular \
            else recorded[0].lower()
    if len(trials) == 1:
        meta.trial = trials[0]
    elif trials:
        meta.extra["trials"] = len(trials)
    time_ms = np.array(times)
    labels = None
    if events:
        letter = meta.extra.get("eye", "left")[0].upper()
        labels = np.zeros(len(time_ms), dtype=np.int8)
        if np.all(np.diff(time_ms) >= 0):
            order = {int(Label.FIXATION): 0, int(Label.SACCADE): 1, int(Label.BLINK): 2}
            for side, start, end, code in sorted(events, key=lambda e: order[e[3]]):
                if side != letter and side in ("L", "R"):
                    continue
                first = np.searchsorted(time_ms, start, side="left")
                last = np.searchsorted(time_ms, end, side="right")
                labels[first:last] = code
    x = np.array(xs)
    y = np.array(ys)
    pupil = np.array(pupils)
    pupil = np.where(pupil == 0, np.nan, pupil)
    if screen is None and "display_width_px" in meta.extra:
        screen = _display(meta.extra["display_width_px"], meta.extra["display_height_px"])
    return make_recording(time_ms / 1000.0, x, y, pupil=pupil, labels=labels, screen=screen,
                          meta=meta, lines=np.array(numbers), time_field="time")


def _display(width: int, height: int) -> Screen | None:
    """The pixel-only screen of DISPLAY_COORDS; None when the numbers are not a real screen
    (they stay in ``extra``, as the file gave them)."""
    try:
        return Screen(width, height)
    except InputError:
        return None
