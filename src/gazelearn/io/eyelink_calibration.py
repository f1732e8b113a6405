"""The metadata of an EyeLink ``.asc`` file: calibrations, validations and the ``**`` header.

A calibration block starts with ``MSG t !CAL`` and the line ``>>>>>>> CALIBRATION (HV9,P-CR)
FOR LEFT: <<<<<<<<<``; its ``!CAL`` lines give the calibration points (raw pupil x, y and the
target in HREF units) and end with ``!CAL CALIBRATION HV9 L LEFT GOOD``. Some of its lines (the
fitted coefficients, the eye check box) continue without any prefix: they are ignored, and they
are never samples (see :mod:`gazelearn.io.eyelink`). A validation is one line, ``!CAL VALIDATION
HV9 L LEFT GOOD ERROR 0.27 avg. 0.83 max OFFSET 0.11 deg. 3.7,2.4 pix.``, followed by one
``VALIDATE L POINT 0 LEFT at 640,512 OFFSET 0.19 deg. 7.2,1.0 pix.`` line per target.

Times are seconds on the tracker's clock (the clock of the recording's samples).

Examples
--------
>>> lines = [(1, "MSG\\t2135819 !CAL"),
...          (2, ">>>>>>> CALIBRATION (HV9,P-CR) FOR LEFT: <<<<<<<<<"),
...          (3, "MSG\\t2135819 !CAL Calibration points:"),
...          (4, "MSG\\t2135819 !CAL -32.6, -47.7        -0,    227"),
...          (5, "MSG\\t2135821 !CAL CALIBRATION HV9 L LEFT    GOOD"),
...          (6, "MSG\\t2148587 !CAL VALIDATION HV9 L LEFT  GOOD ERROR 0.27 avg. 0.83 max  "
...              "OFFSET 0.11 deg. 3.7,2.4 pix."),
...          (7, "MSG\\t2148587 VALIDATE L POINT 0  LEFT  at 640,512  OFFSET 0.19 deg.  "
...              "7.2,1.0 pix.")]
>>> calibrations, validations = parse_calibrations(lines)
>>> cal = calibrations[0]
>>> cal["time"], cal["type"], cal["n_points"], cal["eye"], cal["result"], cal["points"]
(2135.819, 'HV9', 9, 'left', 'GOOD', [[-32.6, -47.7, -0.0, 227.0]])
>>> val = validations[0]
>>> val["error_avg_deg"], val["error_max_deg"], val["result"], val["points"][0]["x"]
(0.27, 0.83, 'GOOD', 640.0)
"""

from __future__ import annotations

import re
from datetime import datetime

from .samples import NUMBER as _NUMBER
from .samples import parse_float

#: The lines :func:`parse_calibrations` reads (a polars ``str.contains`` pattern).
CALIBRATION_LINES = r"!CAL|>>>>>>> CALIBRATION|\bVALIDATE\b"

_MSG = re.compile(r"^MSG\s+(\S+)\s*(.*)$")
_HEADER = re.compile(r">+\s*CALIBRATION\s*\(([^,)]*),?\s*([^)]*)\)\s*FOR\s+(LEFT|RIGHT)", re.I)
_POINT = re.compile(rf"^({_NUMBER}),\s*({_NUMBER})\s+({_NUMBER}),\s*({_NUMBER})\s*$")
_RESULT = re.compile(r"^CALIBRATION\s+(\S+)\s+(\S+)\s+(LEFT|RIGHT)\s+(\w+)", re.I)
_VALIDATION = re.compile(
    rf"^VALIDATION\s+(\S+)\s+(\S+)\s+(LEFT|RIGHT)\s+(\w+)\s+ERROR\s+({_NUMBER})\s+avg\.\s+"
    rf"({_NUMBER})\s+max(?:\s+OFFSET\s+({_NUMBER})\s+deg\.\s+({_NUMBER}),\s*({_NUMBER})\s+pix)?",
    re.I)
_VALIDATE = re.compile(
    rf"VALIDATE\s+\S+\s+[0-9]*POINT\s+([0-9]{{1,6}})\s+(LEFT|RIGHT)\s+at\s+({_NUMBER}),\s*({_NUMBER})"
    rf"\s+OFFSET\s+({_NUMBER})\s+deg\.\s+({_NUMBER}),\s*({_NUMBER})\s+pix", re.I)


def _seconds(text: str) -> float | None:
    try:
        return parse_float(text) / 1000.0
    except ValueError:
        return None


def _n_points(kind: str) -> int | None:
    digits = re.search(r"[0-9]{1,6}", kind)
    return int(digits.group()) if digits else None


def parse_calibrations(lines) -> tuple[list[dict], list[dict]]:
    """Calibrations and validations from an ASC file's ``!CAL`` and ``VALIDATE`` lines.

    Parameters
    ----------
    lines : iterable of (int, str)
        Line numbers and texts, in file order (the lines matching :data:`CALIBRATION_LINES`).

    Returns
    -------
    calibrations : list of dict
        ``time`` (s), ``type`` (``HV9``), ``n_points``, ``mode`` (``P-CR``), ``eye``
        (``left``/``right``), ``result`` (``GOOD``/``FAIR``/``POOR``, None when the block has
        no result line), ``points`` (``[raw_x, raw_y, target_x, target_y]`` per point), ``line``.
    validations : list of dict
        ``time``, ``type``, ``n_points``, ``eye``, ``result``, ``error_avg_deg``,
        ``error_max_deg``, ``offset_deg``, ``offset_px`` (``[x, y]``), ``points`` (``point``,
        ``x``, ``y`` target px, ``offset_deg``, ``offset_x_px``, ``offset_y_px``), ``line``.
    """
    calibrations: list[dict] = []
    validations: list[dict] = []
    cal_time = None  # time of the last "MSG t !CAL" line: a block's header line has none
    in_points = False
    for number, line in lines:
        message = _MSG.match(line)
        time = _seconds(message.group(1)) if message else None
        body = message.group(2) if message else line.strip()
        if body.startswith("!CAL"):
            body = body[4:].strip()
            cal_time = time if time is not None else cal_time
        header = _HEADER.search(body)
        if header:
            kind = header.group(1).strip()
            calibrations.append({"time": time if time is not None else cal_time, "type": kind,
                                 "n_points": _n_points(kind), "mode": header.group(2).strip(),
                                 "eye": header.group(3).lower(), "result": None, "points": [],
                                 "line": number})
            in_points = False
            continue
        if body.lower().startswith("calibration points"):
            in_points = True
            continue
        point = _POINT.match(body) if in_points and calibrations else None
        if point:
            calibrations[-1]["points"].append([float(v) for v in point.groups()])
            continue
        in_points = False
        result = _RESULT.match(body)
        if result:
            _calibration_result(calibrations, result, time, number)
            continue
        validation = _VALIDATION.match(body)
        if validation:
            validations.append(_validation(validation, time, number))
            continue
        target = _VALIDATE.search(body)
        if target:
            eye = target.group(2).lower()
            for previous in reversed(validations):
                if previous["eye"] == eye:
                    previous["points"].append({
                        "point": int(target.group(1)), "x": float(target.group(3)),
                        "y": float(target.group(4)), "offset_deg": float(target.group(5)),
                        "offset_x_px": float(target.group(6)),
                        "offset_y_px": float(target.group(7))})
                    break
    return calibrations, validations


def _calibration_result(calibrations: list[dict], match: re.Match, time: float | None,
                        number: int) -> None:
    """Give the last open block of that eye its result (a bare result line makes a block)."""
    eye = match.group(3).lower()
    for calibration in reversed(calibrations):
        if calibration["eye"] == eye and calibration["result"] is None:
            calibration["result"] = match.group(4).upper()
            return
    kind = match.group(1)
    calibrations.append({"time": time, "type": kind, "n_points": _n_points(kind), "mode": None,
                         "eye": eye, "result": match.group(4).upper(), "points": [],
                         "line": number})


def _validation(match: re.Match, time: float | None, number: int) -> dict:
    kind, eye, result = match.group(1), match.group(3).lower(), match.group(4).upper()
    offset = match.group(7)
    return {"time": time, "type": kind, "n_points": _n_points(kind), "eye": eye,
            "result": result, "error_avg_deg": float(match.group(5)),
            "error_max_deg": float(match.group(6)),
            "offset_deg": None if offset is None else float(offset),
            "offset_px": None if offset is None else [float(match.group(8)),
                                                      float(match.group(9))],
            "points": [], "line": number}


_VERSION = re.compile(r"^\*\*\s+VERSION:\s*(.+)$")
_SOFTWARE = re.compile(r"^\*\*\s+EYELINK\b.*?\bv(\d+(?:\.\d+)*)(.*)$", re.I)
_DATE = re.compile(r"^\*\*\s+DATE:\s*(.+)$")
_RECORDED_BY = re.compile(r"^\*\*\s+RECORDED BY\s+(.+)$", re.I)


def parse_header(lines) -> dict:
    """What the ``**`` header lines say: ``tracker`` (``EYELINK II 1``), ``tracker_software``
    (``6.12``), ``tracker_model`` (``EyeLink Portable Duo``, when the header names it),
    ``recorded`` (ISO date and time) and ``recorded_by``.

    Examples
    --------
    >>> found = parse_header(["** VERSION: EYELINK II 1",
    ...                       "** EYELINK II CL v6.12 Feb  1 2018 (EyeLink Portable Duo)",
    ...                       "** DATE: Wed Mar  8 09:25:20 2023"])
    >>> found["tracker_model"], found["tracker_software"], found["recorded"]
    ('EyeLink Portable Duo', '6.12', '2023-03-08T09:25:20')
    """
    found: dict = {}
    for line in lines:
        line = line.strip()
        if match := _VERSION.match(line):
            found["tracker"] = match.group(1).strip()
        elif match := _SOFTWARE.match(line):
            found["tracker_software"] = match.group(1)
            model = re.search(r"\(([^)]+)\)\s*$", match.group(2))
            if model:
                found["tracker_model"] = model.group(1).strip()
        elif match := _DATE.match(line):
            text = " ".join(match.group(1).split())
            try:
                found["recorded"] = datetime.strptime(text, "%a %b %d %H:%M:%S %Y").isoformat()
            except ValueError:
                found["recorded"] = text
        elif match := _RECORDED_BY.match(line):
            found["recorded_by"] = match.group(1).strip()
    return found
