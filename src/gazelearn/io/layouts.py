"""The CSV/TSV layouts of public eye-tracking data sets, as one table of declarative mappings.

Each :class:`Layout` says which column holds time (and its unit), which columns hold x and y
for each eye (and their unit: px, deg or norm), the pupil, a validity column, the trial
columns, and the screen geometry the data set publishes. One generic reader,
:func:`read_layout`, reads every layout through the shared text reader
(:func:`~gazelearn.io.table.read_table`); each layout is registered as a format under its name
(``--format judo1000``) and detected by ``--format auto`` from its exact header (and delimiter),
or, for the headerless two-column layouts, from the file name the data set uses.

Facts about the data sets (columns, units, rates, screens) come from the data sets' own
documentation as summarised in pymovements' public dataset definitions; where those disagree
with the data, the data wins (GazeGraph's positions are normalised 0..1, not pixels).

Options every layout takes:

* ``eye``: for binocular layouts, ``left``, ``right`` or ``average`` (the mean where both eyes
  have a position, else the one that has); GazeBase VR also ``cyclopean`` (its ``x``, ``y``,
  the default); Potsdam binge PVT ``eyelink`` (default) or ``pupilcore`` (the tracker);
* ``screen``: overrides the published screen;
* ``trials``: ``True`` returns one recording per trial (the layout's trial columns; read them
  with :func:`gazelearn.io.read_all`), ``False`` (default) one recording with
  ``extra["trials"]`` counting them;
* ``unordered``: ``"error"`` (default) or ``"sort"``;
* ``decimal``: ``","`` for decimal-comma files.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "1_1.csv"
>>> _ = path.write_text("trialId\\tpointId\\ttime\\tx_left\\ty_left\\tx_right\\ty_right\\n"
...                     "1\\t1\\t8005274\\t649.5\\t531.1\\t640.6\\t529.1\\n"
...                     "1\\t1\\t8005275\\t649.8\\t533.2\\t639.7\\t528.9\\n")
>>> detect_layout(path)
'judo1000'
>>> rec = read_layout(path, "judo1000", eye="right")
>>> rec.x.tolist(), rec.sampling_rate, rec.screen.size_px
([640.6, 639.7], 1000.0, (1280, 1024))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gazelearn.errors import InputError
from gazelearn.recording import Metadata, Recording
from gazelearn.screen import Screen

from .registry import register_reader
from .table import (
    make_recording,
    positions_to_px,
    read_table,
    sniff_delimiter,
    split_line,
    synthetic_time,
    time_to_seconds,
    zero_to_nan,
)

#: Options of the layout readers (``eye`` only where there are several eyes, ``trials`` where
#: there are trial columns; ``read`` refuses others).
OPTIONS = ("eye", "screen", "trials", "unordered", "decimal")

_HEAD_BYTES = 65536


@dataclass(frozen=True)
class Layout:
    """How one data set writes its gaze samples.

    Attributes
    ----------
    name, description : str
        Format name and one line for ``gazelearn formats``.
    columns : tuple of str
        The exact header (the detection signature); for headerless files, the names given to
        the columns by position.
    delimiter : str
        The field delimiters the data set uses (part of the signature; ``",\t"``: either).
    time : str or None
        Time column; None when the file has none (time from ``sampling_rate``).
    time_unit : {"s", "ms", "us", "step"}
        ``step`` is a sample counter (time = step / sampling_rate).
    eyes : dict
        Eye name -> (x column, y column); the first is the default.
    position_unit : {"px", "deg", "norm"}
    pupil : dict
        Eye name -> pupil column (an entry ``"*"`` serves every eye).
    sampling_rate : float or None
        The published rate (used for files without time and for ties of coarse clocks).
    screen : Screen or None
        The published screen.
    trial_columns : tuple of str
    valid : tuple or None
        ``(column, value)``: samples whose column differs from value are lost.
    coarse_clock : bool
        Timestamps coarser than the sampling interval (EMTeC: 2 kHz in whole ms) repeat; spread
        the samples of one timestamp evenly over it.
    file_name : str or None
        Regular expression a headerless layout's file name must match to be detected.
    zero_is_lost : bool
        Exact (0, 0) in px is a lost sample (EyeLink-style exports).
    notes : str
        Decisions worth knowing, for the docs and ``gazelearn formats``.
    """

    name: str
    description: str
    columns: tuple[str, ...]
    delimiter: str
    time: str | None
    time_unit: str
    eyes: dict
    position_unit: str = "px"
    pupil: dict = field(default_factory=dict)
    sampling_rate: float | None = None
    screen: Screen | None = None
    trial_columns: tuple[str, ...] = ()
    valid: tuple[str, float] | None = None
    coarse_clock: bool = False
    file_name: str | None = None
    zero_is_lost: bool = True
    notes: str = ""

    @property
    def header(self) -> bool:
        return self.file_name is None

    def detection(self) -> str:
        """What ``--format auto`` looks for, in words."""
        where = " or ".join({"\t": "tab", ",": "comma", ";": "semicolon"}[d]
                            for d in self.delimiter)
        if not self.header:
            return (f"no header, {len(self.columns)} numeric {where}-separated columns, file "
                    f"name matching {self.file_name}")
        return f"exact {where}-separated header {','.join(self.columns)}"


def _mm(width_cm: float, height_cm: float, distance_cm: float | None,
        width_px: int, height_px: int) -> Screen:
    return Screen(width_px, height_px, width_cm * 10, height_cm * 10,
                  None if distance_cm is None else distance_cm * 10)


_LR = {"left": ("x_left", "y_left"), "right": ("x_right", "y_right")}

#: The layouts, one per data set (and pymovements' own example layouts).
LAYOUTS: tuple[Layout, ...] = (
    Layout("gazebase", "GazeBase (Griffith et al. 2021) S_*.csv: n ms, x/y deg, 1000 Hz",
           ("n", "x", "y", "val", "dP", "lab", "xT", "yT"), ",", "n", "ms",
           {"cyclopean": ("x", "y")}, "deg", {"*": "dP"}, 1000.0, _mm(47.4, 29.7, 55, 1680, 1050),
           valid=("val", 0),
           notes="val != 0 marks a lost sample; lab is not read as labels"),
    Layout("gazebase-vr", "GazeBase VR (Lohr et al. 2023) S_*.csv: n ms, deg, 250 Hz, binocular",
           ("n", "x", "y", "lx", "ly", "rx", "ry", "xT", "yT", "zT", "clx", "cly", "clz", "crx",
            "cry", "crz"), ",", "n", "ms",
           {"cyclopean": ("x", "y"), "left": ("lx", "ly"), "right": ("rx", "ry")}, "deg",
           sampling_rate=250.0, screen=_mm(47.4, 29.7, 55, 1680, 1050),
           notes="degrees shown through the published 1680x1050 px screen"),
    Layout("judo1000", "JuDo1000 (Makowski et al. 2020) jumping dots: ms, px, 1000 Hz, binocular",
           ("trialId", "pointId", "time", "x_left", "y_left", "x_right", "y_right"), "\t", "time",
           "ms", dict(_LR), "px", sampling_rate=1000.0, screen=_mm(38, 30.2, 68, 1280, 1024),
           trial_columns=("trialId",)),
    Layout("sbsat", "SB-SAT (Ahn et al. 2020) reading msd*.csv: ms, px, 1000 Hz, left eye",
           ("book_name", "screen_id", "time", "x_left", "y_left", "pupil_left"), "\t", "time",
           "ms", {"left": ("x_left", "y_left")}, "px", {"*": "pupil_left"}, 1000.0,
           _mm(44.5, 42.4, 70, 1024, 768), trial_columns=("book_name", "screen_id")),
    Layout("potec", "PoTeC (Jakobi et al. 2024) reader*_raw_data.tsv: ms, px, 1000 Hz",
           ("time", "x", "y", "pupil_diameter"), "\t", "time", "ms", {"right": ("x", "y")}, "px",
           {"*": "pupil_diameter"}, 1000.0, _mm(47.5, 30, 65, 1680, 1050)),
    Layout("hbn", "Healthy Brain Network videos (Alexander et al. 2017): sample steps, px, "
           "120 Hz", ("x_pix", "y_pix", "time"), ",", "time", "step",
           {"cyclopean": ("x_pix", "y_pix")}, "px", sampling_rate=120.0,
           screen=_mm(33.8, 27.0, 63.5, 800, 600), notes="time counts samples at 120 Hz"),
    Layout("emtec", "EMTeC (Bolliger et al. 2024) ET_*.csv: ms, px, 2000 Hz, right eye",
           ("item_id", "TRIAL_ID", "Trial_Index_", "model", "decoding_strategy", "time", "x",
            "y", "pupil_right"), "\t", "time", "ms", {"right": ("x", "y")}, "px",
           {"*": "pupil_right"}, 2000.0, _mm(38.2, 30.2, 60, 1280, 1024),
           trial_columns=("item_id",), coarse_clock=True,
           notes="2 kHz in whole ms: the two samples of one ms are 0.5 ms apart"),
    Layout("gazegraph", "GazeGraph (Lan et al. 2020) P*_*.csv: no header, x y normalised, 30 Hz",
           ("x", "y"), ",", None, "s", {"cyclopean": ("x", "y")}, "norm", sampling_rate=30.0,
           screen=_mm(79.375, 34.0106, 50, 3440, 1440), file_name=r"^(P\d+_\w+|.*gaze_?graph.*)$",
           zero_is_lost=False, notes="positions are 0..1 in the files (not px): scaled to the "
           "3440x1440 px screen; time synthesised at 30 Hz"),
    Layout("gazeonfaces", "GazeOnFaces (Coutrot et al. 2016) gaze_sub*_trial*.csv: no header, "
           "x y px, 60 Hz", ("x", "y"), ",", None, "s", {"cyclopean": ("x", "y")}, "px",
           sampling_rate=60.0, screen=_mm(38, 30, 57, 1280, 1024),
           file_name=r"^(gaze_sub\d+_trial\d+|.*gaze_?on_?faces.*)$",
           notes="time synthesised at 60 Hz"),
    Layout("potsdam-binge-pvt", "Potsdam binge PVT (EyeLink 1000 Plus + Pupil Core): ms, px, "
           "1000 Hz", ("trial_id", "block_id", "x_pix_eyelink", "y_pix_eyelink",
                       "eyelink_timestamp", "x_pix_pupilcore_interpolated",
                       "y_pix_pupilcore_interpolated", "pupil_size_eyelink", "target_distance",
                       "pupil_size_pupilcore_interpolated", "pupil_confidence_interpolated",
                       "time_to_prev_bac", "time_to_next_bac", "prev_bac", "next_bac"), ",",
           "eyelink_timestamp", "ms",
           {"eyelink": ("x_pix_eyelink", "y_pix_eyelink"),
            "pupilcore": ("x_pix_pupilcore_interpolated", "y_pix_pupilcore_interpolated")}, "px",
           {"eyelink": "pupil_size_eyelink", "pupilcore": "pupil_size_pupilcore_interpolated"},
           1000.0, _mm(59.76, 33.615, None, 1920, 1080), trial_columns=("trial_id", "block_id"),
           notes="eye=eyelink (remote, right eye) or pupilcore (glasses); viewing distance = "
           "median of target_distance (mm)"),
    Layout("pymovements-monocular", "pymovements' monocular example: time ms, x/y_left_pix px",
           ("time", "x_left_pix", "y_left_pix"), ",\t", "time", "ms",
           {"left": ("x_left_pix", "y_left_pix")}, "px"),
    Layout("pymovements-binocular", "pymovements' binocular example: time ms, *_pix px "
           "(the *_pos degrees are not read)",
           ("time", "x_left_pix", "y_left_pix", "x_right_pix", "y_right_pix", "x_left_pos",
            "y_left_pos", "x_right_pos", "y_right_pos"), ",", "time", "ms",
           {"left": ("x_left_pix", "y_left_pix"), "right": ("x_right_pix", "y_right_pix")}, "px"),
    Layout("pymovements-pixel-position", "pymovements' missing-values example: time ms, "
           "pixel_x/pixel_y px", ("time", "pixel_x", "pixel_y", "position_x", "position_y"), ",",
           "time", "ms", {"cyclopean": ("pixel_x", "pixel_y")}, "px"),
)

_BY_NAME = {layout.name: layout for layout in LAYOUTS}


# ---------------------------------------------------------------------------- detection
def head(path: str | Path) -> tuple[list[str], list[str]]:
    """The first lines of a text file: (comment lines starting with ``#``, other lines).

    Reads at most 64 KiB; decoding never fails (latin-1 fallback).
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(_HEAD_BYTES)
    except OSError:
        return [], []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if len(data) == _HEAD_BYTES:
        lines = lines[:-1]  # the last line may be cut
    comments = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if line.strip() and not line.startswith("#")][:40]
    return comments, body


def header_fields(lines: list[str]) -> tuple[str | None, list[str]]:
    """The delimiter of the first lines and the fields of the first one (stripped, unquoted)."""
    if not lines:
        return None, []
    delimiter = sniff_delimiter(lines[:30])
    if delimiter is None and "\t" in lines[0]:
        delimiter = "\t"  # exports whose message rows are shorter than the samples
    return delimiter, [f.strip().strip('"') for f in split_line(lines[0], delimiter)]


def _numeric(fields: list[str]) -> bool:
    try:
        [float(f) for f in fields]
    except ValueError:
        return False
    return bool(fields)


def detect_layout(path: str | Path) -> str | None:
    """The data-set layout whose signature ``path`` matches, or None.

    Header layouts match by their exact header and delimiter; headerless ones by their number
    of numeric columns and the data set's file names.
    """
    path = Path(path)
    _, lines = head(path)
    delimiter, names = header_fields(lines)
    if not names:
        return None
    for layout in LAYOUTS:
        if delimiter is None or delimiter not in layout.delimiter:
            continue
        if layout.header and tuple(names) == layout.columns:
            return layout.name
        if (not layout.header and len(names) == len(layout.columns) and _numeric(names)
                and re.match(layout.file_name, path.stem, flags=re.IGNORECASE)):
            return layout.name
    return None


# ---------------------------------------------------------------------------- reading
def choose(options: dict, value: str | None, what: str, source: str) -> str:
    """``value`` when it is one of ``options`` (the first when None); else a clear error."""
    if not options:
        raise InputError(f"found no columns for any {what}", source=source)
    if value is None:
        return next(iter(options))
    if value not in options:
        raise InputError(f"{what} must be one of {', '.join(options)}, got {value!r}",
                         source=source, params=(what,))
    return value


def mean_of_two(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The mean of two measures where both are there, else the one that is (NaN: missing).

    Examples
    --------
    >>> mean_of_two(np.array([1.0, np.nan, 2.0]), np.array([3.0, 4.0, np.nan])).tolist()
    [2.0, 4.0, 2.0]
    """
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2))


def combine_eyes(left: tuple[np.ndarray, np.ndarray], right: tuple[np.ndarray, np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The mean position of two eyes where both have one, else the eye that has one.

    Examples
    --------
    >>> x, y = combine_eyes((np.array([1.0, np.nan]), np.array([2.0, np.nan])),
    ...                     (np.array([3.0, 5.0]), np.array([4.0, 6.0])))
    >>> x.tolist(), y.tolist()
    ([2.0, 5.0], [3.0, 6.0])
    """
    lx, ly = left
    rx, ry = right
    left_ok = ~(np.isnan(lx) | np.isnan(ly))
    right_ok = ~(np.isnan(rx) | np.isnan(ry))
    both = left_ok & right_ok
    x = np.where(both, (lx + rx) / 2, np.where(left_ok, lx, rx))
    y = np.where(both, (ly + ry) / 2, np.where(left_ok, ly, ry))
    return x, y


def spread_ties(time: np.ndarray, rate: float) -> np.ndarray:
    """Timestamps with each run of equal values spread ``1/rate`` apart (coarse clocks).

    Examples
    --------
    >>> spread_ties(np.array([1.0, 1.0, 1.001, 1.001]), 2000.0).round(6).tolist()
    [1.0, 1.0005, 1.001, 1.0015]
    """
    if len(time) < 2:
        return time
    new_run = np.r_[True, np.diff(time) != 0]
    starts = np.flatnonzero(new_run)
    run = np.cumsum(new_run) - 1
    within = np.arange(len(time)) - starts[run]
    return time + within / rate


def trial_keys(strings: list[list[str]]) -> np.ndarray:
    """One key per row from the trial columns' strings (joined with ``/``)."""
    if len(strings) == 1:
        return np.asarray(strings[0], dtype=object)
    return np.asarray(["/".join(parts) for parts in zip(*strings, strict=True)], dtype=object)


def split_trials(recording: Recording, keys: np.ndarray) -> list[Recording]:
    """One recording per trial key, in order of first appearance; ``meta.trial`` is the key."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    result = []
    for code in np.argsort(first):
        part = recording.select(np.flatnonzero(inverse == code))
        part.meta = Metadata(**{**recording.meta.__dict__, "extra": dict(recording.meta.extra),
                                "trial": str(keys[first[code]])})
        result.append(part)
    return result


def finish(recording: Recording, keys: np.ndarray | None, trials: bool) -> Recording | list:
    """Count trials in the metadata, or split the recording by them."""
    if keys is None:
        return recording
    count = len(set(keys.tolist()))
    recording.meta.extra["trials"] = count
    return split_trials(recording, keys) if trials else recording


def table_options(decimal: str | None) -> dict:
    """Keyword options of ``read_table`` for a ``decimal`` option (``"."`` or ``","``)."""
    if decimal in (None, "."):
        return {}
    if decimal != ",":
        raise InputError(f"decimal must be '.' or ',', got {decimal!r}", params=("decimal",))
    return {"decimal_comma": True}


def read_layout(path: str | Path, name: str, *, eye: str | None = None,
                screen: Screen | None = None, trials: bool = False, unordered: str = "error",
                decimal: str | None = None) -> Recording | list[Recording]:
    """Read a file in the layout called ``name`` (see :data:`LAYOUTS` and the module notes).

    Returns
    -------
    Recording, or a list of them (one per trial) when ``trials`` is True.

    Raises
    ------
    InputError
        When a column of the layout is missing, a value is not a number (naming line and
        column), the eye is not one of the layout's, time goes backwards, ...
    """
    layout = _BY_NAME[name]
    source = str(path)
    which = choose(layout.eyes, eye, "eye", source) if eye != "average" else "average"
    if which == "average" and not {"left", "right"} <= set(layout.eyes):
        raise InputError(f"eye='average' needs a binocular layout; {name} has "
                         f"{', '.join(layout.eyes)}", source=source, params=("eye",))
    delimiter = layout.delimiter[0]
    if len(layout.delimiter) > 1:  # the one of the layout's delimiters this file uses
        found, _ = header_fields(head(path)[1])
        delimiter = found if found and found in layout.delimiter else delimiter
    table = read_table(path, delimiter=delimiter, header=layout.header,
                       **table_options(decimal))

    def column(name: str) -> str | int:  # headerless layouts: columns by position
        return name if layout.header else layout.columns.index(name)
    if len(table) == 0:
        raise InputError("no samples in the file (only a header)", source=source)

    def position(eye_name: str) -> tuple[np.ndarray, np.ndarray]:
        x_col, y_col = layout.eyes[eye_name]
        return (table.floats(column(x_col), "x column"),
                table.floats(column(y_col), "y column"))

    x, y = combine_eyes(position("left"), position("right")) if which == "average" \
        else position(which)
    if layout.valid is not None:
        lost = table.floats(layout.valid[0], "validity column") != layout.valid[1]
        x, y = np.where(lost, np.nan, x), np.where(lost, np.nan, y)
    meta = Metadata(source=source, format=name, extra={"eye": which})
    if screen is None:
        screen = layout.screen
        if name == "potsdam-binge-pvt":
            screen = _distance_from_data(table, screen, meta)
    x, y = positions_to_px(x, y, layout.position_unit, screen, source)
    if layout.zero_is_lost and layout.position_unit == "px":
        x, y = zero_to_nan(x, y)
    if layout.time is None:
        time, time_field = synthetic_time(len(table), layout.sampling_rate, source), None
        meta.extra["time_synthesized"] = True
    else:
        raw = table.floats(layout.time, "time column")
        time = raw / layout.sampling_rate if layout.time_unit == "step" else time_to_seconds(
            raw, layout.time_unit, source)
        time_field = layout.time
    pupil_col = layout.pupil.get(which, layout.pupil.get("*"))
    pupil = None if pupil_col is None else table.floats(pupil_col, "pupil column")
    recording = make_recording(time, x, y, pupil=pupil, screen=screen, meta=meta,
                               unordered=unordered, lines=table.lines, time_field=time_field)
    if layout.coarse_clock:
        recording.time = spread_ties(recording.time, layout.sampling_rate)
    keys = trial_keys([table.strings(c, "trial column") for c in layout.trial_columns]) \
        if layout.trial_columns else None
    if keys is not None and recording.meta.extra.get("reordered_samples"):
        keys = keys[np.argsort(time, kind="stable")]  # keep keys with their reordered samples
    return finish(recording, keys, trials)


def _distance_from_data(table, screen: Screen, meta: Metadata) -> Screen:
    """Potsdam binge PVT measures the eye-to-screen distance per sample: use its median."""
    distance = table.floats("target_distance", "distance column")
    finite = distance[np.isfinite(distance) & (distance > 0)]
    if finite.size == 0:
        return Screen(screen.width_px, screen.height_px)
    meta.extra["distance_mm_from"] = "median target_distance"
    return Screen(screen.width_px, screen.height_px, screen.width_mm, screen.height_mm,
                  float(np.median(finite)))


def _make_reader(layout: Layout):
    def reader(path: str | Path, **options) -> Recording | list[Recording]:
        return read_layout(path, layout.name, **options)

    # a name of its own per layout, so the registry sees a re-registration after a reload
    slug = layout.name.replace("-", "_")
    reader.__name__ = reader.__qualname__ = f"read_{slug}"
    reader.__doc__ = f"{layout.description} (see :func:`read_layout`)."
    return reader


for _layout in LAYOUTS:
    _reader = _make_reader(_layout)
    globals()[_reader.__name__] = _reader
    _options = tuple(o for o in OPTIONS if (o != "eye" or len(_layout.eyes) > 1)
                     and (o != "trials" or _layout.trial_columns))
    register_reader(_layout.name, description=_layout.description, options=_options,
                    detection=_layout.detection())(_reader)
