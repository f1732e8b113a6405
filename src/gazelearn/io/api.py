"""The front door: :func:`read` one recording, :func:`read_dataset` many, in any known format.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.csv").write_text("time,x,y\\n0.0,1,2\\n0.004,3,4\\n")
>>> rec = read(folder / "a.csv")
>>> rec.meta.format, rec.sampling_rate
('delimited', 250.0)
>>> len(read_dataset([folder]))
1
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gazelearn.dataset import Dataset
from gazelearn.errors import InputError
from gazelearn.recording import Recording
from gazelearn.screen import Screen

from .delimited import is_own_header
from .detect import IMAGE_FORMATS, detect_format
from .registry import reader_info
from .table import read_table

#: Options that only the generic readers use; values equal to a format's native unit are
#: accepted silently by the others (``position_unit="px"`` for a Lund file is not an error).
_NATIVE_DEFAULTS = {"position_unit": "px"}
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".asc", ".mat", ".parquet", ".pq", "")
_COLUMN_OPTIONS = ("time_col", "x_col", "y_col", "pupil_col", "label_col")


def read(path: str | Path, format: str = "auto", *, time_col: str | int | None = None,
         x_col: str | int | None = None, y_col: str | int | None = None,
         pupil_col: str | int | None = None, label_col: str | int | None = None,
         time_unit: str | None = None, position_unit: str | None = None,
         sampling_rate: float | None = None, screen: Screen | None = None,
         screen_geometry: tuple[float, float, float] | None = None,
         delimiter: str | None = None, header: bool | None = None,
         **format_options) -> Recording:
    """Read one recording.

    Parameters
    ----------
    path : str or Path
    format : str
        ``"auto"`` (see :func:`~gazelearn.io.detect_format`) or a name from
        :func:`~gazelearn.io.available_formats`.
    time_col, x_col, y_col, pupil_col, label_col : str or int, optional
        Columns of a generic delimited file (names, or 0-based numbers without a header).
    time_unit : {"s", "ms", "us"}, optional
        Unit of the time column (default ms; s for gazelearn's own files).
    position_unit : {"px", "deg", "norm"}, optional
        Unit of x and y (default px); deg and norm need ``screen``.
    sampling_rate : float, optional
        Samples per second when the file has no timestamps.
    screen : Screen, optional
        Screen geometry; overrides what the file says.
    screen_geometry : (width_mm, height_mm, distance_mm), optional
        The physical size and viewing distance of a screen whose resolution the file states
        (EyeLink's ``GAZE_COORDS``, say): completes the file's screen so degrees work. A file
        that states no resolution is refused (give ``screen`` instead).
    delimiter : str, optional
        Field delimiter (detected when omitted).
    header : bool, optional
        Whether the first line is a header (detected when omitted).
    **format_options
        Options of one format, e.g. ``position="smooth"`` (radio), ``clock="system"``
        (etra-paths), ``eye="right"`` (eyelink-asc), ``unordered="sort"``.

    Returns
    -------
    Recording

    Raises
    ------
    InputError
        For every problem with the file or the options, and for a file that holds several
        recordings (trials of an EyeLink file, say): read those with :func:`read_all`.
    """
    recordings = read_all(path, format, time_col=time_col, x_col=x_col, y_col=y_col,
                          pupil_col=pupil_col, label_col=label_col, time_unit=time_unit,
                          position_unit=position_unit, sampling_rate=sampling_rate,
                          screen=screen, screen_geometry=screen_geometry, delimiter=delimiter,
                          header=header, **format_options)
    if len(recordings) != 1:
        raise InputError(f"holds {len(recordings)} recordings (trials); read them with "
                         "gazelearn.io.read_all", source=path)
    return recordings[0]


def read_all(path: str | Path, format: str = "auto", **options) -> list[Recording]:
    """Every recording of one file: one for most formats, one per trial where a file holds
    several (a reader may return a list).

    Takes the options of :func:`read`. The CLI reads every file through this function.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = path.write_text("time,x,y\\n0.0,1,2\\n0.004,3,4\\n")
    >>> [len(rec) for rec in read_all(path)]
    [2]
    """
    fmt = detect_format(path) if format in (None, "auto") else format
    if fmt in IMAGE_FORMATS:
        raise InputError(f"holds images ({fmt}), not gaze samples: read it with "
                         "gazelearn.io.images.read_images", source=path)
    info = reader_info(fmt)
    geometry = options.pop("screen_geometry", None)
    given = {k: v for k, v in options.items() if v is not None}
    for name, native in _NATIVE_DEFAULTS.items():
        if name not in info.options and given.get(name) == native:
            given.pop(name)
    unknown = [name for name in given if name not in info.options]
    if unknown:
        takes = ", ".join(info.options) or "no options"
        raise InputError(f"format {fmt} does not take {', '.join(unknown)} (it knows its "
                         f"columns and units); it takes {takes}", source=path)
    result = info.function(Path(path), **given)
    recordings = list(result) if isinstance(result, list | tuple) else [result]
    if geometry is not None:
        _complete_screens(recordings, geometry, path)
    return recordings


def _complete_screens(recordings: list[Recording], geometry, path) -> None:
    """Give each recording's screen (the resolution its file states) the physical size and
    distance the user gave; what the user gives overrides what the file says."""
    width_mm, height_mm, distance_mm = geometry
    for recording in recordings:
        if recording.screen is None:
            raise InputError("the screen's size in mm and viewing distance were given, but this "
                             "file does not state the screen's resolution: give it too "
                             "(--screen-px W H, or screen=Screen(width_px, height_px, width_mm, "
                             "height_mm, distance_mm))", source=path)
        recording.screen = Screen(recording.screen.width_px, recording.screen.height_px,
                                  width_mm, height_mm, distance_mm)


def _wanted(path: Path, format: str, options: dict) -> bool:
    """Whether a file found inside a folder is a recording to read."""
    if path.name.startswith(".") or path.suffix.lower() not in _TEXT_SUFFIXES:
        return False
    if path.name.endswith(".json") or path.name.startswith(("README", "LICENSE")):
        return False
    try:
        detected = detect_format(path)
    except InputError:
        return False
    if detected in IMAGE_FORMATS:
        return False
    if format not in (None, "auto"):
        return detected == format or format == "delimited" and detected == "delimited"
    if detected != "delimited":
        return True
    if any(options.get(name) is not None for name in _COLUMN_OPTIONS):
        return True
    try:  # a plain CSV is a recording only when it has gazelearn's own header
        return is_own_header(read_table(path).header)
    except InputError:
        return False


def expand_paths(paths: str | Path | Iterable[str | Path], format: str = "auto",
                 **options) -> list[Path]:
    """Files to read: files as given, folders expanded (recursively, sorted) to recordings.

    Inside a folder, files of a specific format are taken; a plain CSV only when it has
    gazelearn's own header or column options are given; READMEs, licences, sidecars and images are
    skipped.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    result: list[Path] = []
    for item in paths:
        item = Path(item)
        if not item.exists():
            raise InputError("file not found", source=item)
        if item.is_dir():
            found = sorted(p for p in item.rglob("*") if p.is_file()
                           and _wanted(p, format, options))
            if not found:
                raise InputError("no recordings found in this folder", source=item)
            result.extend(found)
        else:
            result.append(item)
    if not result:
        raise InputError("no files given")
    return result


def read_dataset(paths: str | Path | Iterable[str | Path], format: str = "auto",
                 **options) -> Dataset:
    """Read many recordings into a :class:`~gazelearn.Dataset` (one metadata row each).

    Parameters
    ----------
    paths : path or iterable of paths
        Files and folders (see :func:`expand_paths`).
    format : str
        As in :func:`read`; ``"auto"`` detects each file's format.
    **options
        Passed to :func:`read` for every file.
    """
    files = expand_paths(paths, format, **options)
    return Dataset([rec for path in files for rec in read_all(path, format, **options)])
