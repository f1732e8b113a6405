"""Guessing a file's format from its extension, its name and its first lines.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "AAF_beach.csv").write_text("X_coord\\tY_coord\\tConfidence\\tPattern\\n")
>>> _ = (folder / "gaze.csv").write_text("time,x,y\\n0.0,1.0,2.0\\n")
>>> detect_format(folder / "AAF_beach.csv"), detect_format(folder / "gaze.csv")
('gazecom', 'delimited')
"""

from __future__ import annotations

import re
from pathlib import Path

from gazelearn.errors import InputError

from .gazecom import HEADER as GAZECOM_HEADER
from .images import IMAGE_EXTENSIONS, is_target_image_name
from .layouts import detect_layout
from .radio import HEADER as RADIO_HEADER
from .table import is_number, sniff_delimiter, split_line
from .vendors import detect_vendor

#: Formats whose reader gives an :class:`~gazelearn.io.images.ImageSet`, not a Recording.
IMAGE_FORMATS = ("images", "manifest")

#: What :func:`detect_format` looks for, per format whose reader does not say it itself
#: (``register_reader(detection=...)``); shown by ``gazelearn formats``.
DETECTION = {
    "delimited": "any other text table (gazelearn's own header time,x,y[,pupil][,label] needs "
                 "no options)",
    "lund2013": ".mat file (MATLAB header)",
    "gazecom": "first line X_coord, Y_coord, Confidence, Pattern (tab-separated)",
    "radio": "first line timstamp,smoothx,smoothy,rawx,rawy,fixation",
    "eyelink-asc": ".asc file, '** CONVERTED FROM' or two EyeLink keywords (MSG, START, ...)",
    "etra-paths": "tab-separated rows 'ms G x y TS:...' or a file name bus|kot|nap|rab_N",
    "etra-animals": "file name A<N> with rows of three numbers",
    "parquet": ".parquet or .pq file",
}

_ASC_KEYWORDS = ("MSG", "START", "SAMPLES", "EFIX", "ESACC", "EBLINK", "SFIX", "SSACC", "SBLINK",
                 "PRESCALER", "EVENTS", "END", "INPUT")
_PATHS_NAME = re.compile(r"^(bus|kot|nap|rab)_\d+$")
_ANIMALS_NAME = re.compile(r"^A\d+$")
_HEAD_BYTES = 65536


def _head_lines(path: Path) -> list[str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(_HEAD_BYTES)
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", source=path) from None
    if not data.strip():
        raise InputError("file is empty", source=path)
    if b"\x00" in data:
        if data.startswith(b"MATLAB"):
            return ["MATLAB"]
        raise InputError("binary content of an unknown format; expected text, .mat or "
                         ".parquet", source=path)
    text = data.decode("utf-8-sig", errors="replace")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if len(data) == _HEAD_BYTES:
        lines = lines[:-1] or lines  # the last line may be cut
    lines = [line for line in lines if line.strip()][:40]
    if not lines:
        raise InputError("file is empty (only blanks)", source=path)
    return lines


def detect_format(path: str | Path) -> str:
    """The name of the reader for ``path``.

    Returns one of ``delimited``, ``lund2013``, ``gazecom``, ``etra-paths``, ``etra-animals``,
    ``radio``, ``eyelink-asc``, ``parquet`` (gazelearn's own), ``images`` (a folder of ``X_Y``
    images), ``manifest`` (an image manifest CSV), a vendor export (``smi``, ``tobii``,
    ``gazepoint``, ``pupil-labs``) or a public data set's layout (``gazebase``, ``judo1000``, ...:
    see :mod:`gazelearn.io.layouts`).

    Raises
    ------
    InputError
        When the path does not exist, is empty or binary of an unknown kind, or is a folder
        without target images.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=path)
    if path.is_dir():
        try:
            if any(is_target_image_name(p) for p in path.iterdir()):
                return "images"
        except OSError as error:
            raise InputError(f"cannot list the folder: {error.strerror}", source=path) from None
        raise InputError("a folder without X_Y images; to read every recording in a folder use "
                         "read_dataset (several files on the command line)", source=path)
    suffix = path.suffix.lower()
    if suffix == ".mat":
        return "lund2013"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in IMAGE_EXTENSIONS:
        raise InputError("a single image; give the folder of X_Y images or a manifest CSV",
                         source=path)
    lines = _head_lines(path)
    if lines == ["MATLAB"]:
        return "lund2013"
    if suffix == ".asc":
        return "eyelink-asc"
    first = lines[0]
    if tuple(f.strip() for f in first.split("\t")[:4]) == GAZECOM_HEADER:
        return "gazecom"
    if tuple(f.strip().lower() for f in first.split(",")[:6]) == RADIO_HEADER:
        return "radio"
    keywords = [line.split(maxsplit=1)[0] for line in lines]
    if any(line.startswith("** CONVERTED FROM") for line in lines) or (
            sum(k in _ASC_KEYWORDS for k in keywords) >= 2):
        return "eyelink-asc"
    tabs = first.split("\t")
    if len(tabs) >= 5 and tabs[1].strip() == "G" and "TS:" in tabs[4]:
        return "etra-paths"
    if len(tabs) >= 4 and tabs[1].strip() == "G" and _PATHS_NAME.match(path.stem):
        return "etra-paths"
    commas = first.split(",")
    if (_ANIMALS_NAME.match(path.stem) and len(commas) == 3
            and all(is_number(v) and v.strip() for v in commas)):
        return "etra-animals"
    signature = detect_vendor(path) or detect_layout(path)  # vendor exports, data-set layouts
    if signature is not None:
        return signature
    if len(lines) >= 2:
        delimiter = sniff_delimiter(lines[:2])
        second = split_line(lines[1], delimiter)
        if any(v.strip().lower().endswith(IMAGE_EXTENSIONS) for v in second) and not all(
                is_number(v) for v in split_line(first, delimiter)):
            return "manifest"
    return "delimited"


def format_table() -> list[dict]:
    """Every registered format: name, description, what ``--format auto`` looks for, options.

    Formats that auto-detection never returns say so (``didec``: read by name, detected as
    ``smi``).

    Examples
    --------
    >>> rows = {row["name"]: row for row in format_table()}
    >>> rows["judo1000"]["detection"].startswith("exact tab-separated header")
    True
    >>> rows["didec"]["detection"]
    'by name only (--format didec)'
    """
    from .registry import available_formats, reader_info

    rows = []
    for name in available_formats():
        info = reader_info(name)
        detection = info.detection or DETECTION.get(name) or f"by name only (--format {name})"
        rows.append({"name": name, "description": info.description, "detection": detection,
                     "options": list(info.options)})
    return rows
