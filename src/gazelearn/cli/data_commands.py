"""``gazelearn info`` and ``gazelearn convert``, and the reader options every command reuses.

The reader options (a binding contract: ``--format``, ``--time-col``, ``--x-col``, ``--y-col``,
``--pupil-col``, ``--label-col``, ``--time-unit``, ``--position-unit``, ``--sampling-rate``,
``--screen-px W H``, ``--screen-mm W H``, ``--distance-mm D``, ``--read-option KEY=VALUE``) are
added to any command by the :func:`reader_options` decorator; the command receives them as one
:class:`ReaderOptions` argument named ``reader``::

    from pathlib import Path
    import typer
    from gazelearn.cli.common import run_safely
    from gazelearn.cli.data_commands import ReaderOptions, reader_options
    from gazelearn.io import read

    @events_app.command("detect")
    @run_safely
    @reader_options
    def detect(files: list[Path] = typer.Argument(..., help="Recordings."),
               reader: ReaderOptions = None) -> None:
        for path in files:
            recording = read(path, **reader.kwargs())

``reader.kwargs()`` gives the keyword arguments of :func:`gazelearn.io.read` (and of
:func:`gazelearn.io.read_dataset`); ``reader.screen()`` the :class:`~gazelearn.Screen` or None
(a partial screen is an error naming the missing options). Commands that prefer plain parameters
can use the ``*Option`` type aliases below with :func:`reader_kwargs`.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gazelearn.cli.common import console, parse_key_values, run_safely
from gazelearn.errors import InputError
from gazelearn.io import IMAGE_FORMATS, detect_format, expand_paths, read, write_recording
from gazelearn.io.images import read_images
from gazelearn.recording import Recording
from gazelearn.screen import Screen


class TimeUnit(StrEnum):
    """Units of a time column."""

    s = "s"
    ms = "ms"
    us = "us"


class PositionUnit(StrEnum):
    """Units of x and y columns."""

    px = "px"
    deg = "deg"
    norm = "norm"


_PANEL = "Reading"

FormatOption = Annotated[str, typer.Option(
    "--format", help="File format: auto (detect) or one of gazelearn.io.available_formats().",
    rich_help_panel=_PANEL)]
TimeColOption = Annotated[str | None, typer.Option(
    "--time-col", help="Time column: name, or 0-based number without a header.",
    rich_help_panel=_PANEL)]
XColOption = Annotated[str | None, typer.Option(
    "--x-col", help="Horizontal gaze column (name or number).", rich_help_panel=_PANEL)]
YColOption = Annotated[str | None, typer.Option(
    "--y-col", help="Vertical gaze column (name or number).", rich_help_panel=_PANEL)]
PupilColOption = Annotated[str | None, typer.Option(
    "--pupil-col", help="Pupil size column (optional).", rich_help_panel=_PANEL)]
LabelColOption = Annotated[str | None, typer.Option(
    "--label-col", help="Event label column: names (fixation, saccade, ...) or codes 0-5.",
    rich_help_panel=_PANEL)]
TimeUnitOption = Annotated[TimeUnit | None, typer.Option(
    "--time-unit", help="Unit of the time column (default ms; s for gazelearn's own files).",
    rich_help_panel=_PANEL)]
PositionUnitOption = Annotated[PositionUnit | None, typer.Option(
    "--position-unit", help="Unit of x/y (default px); deg and norm need the screen options.",
    rich_help_panel=_PANEL)]
SamplingRateOption = Annotated[float | None, typer.Option(
    "--sampling-rate", help="Samples per second, for files without timestamps.",
    rich_help_panel=_PANEL)]
ScreenPxOption = Annotated[tuple[int, int] | None, typer.Option(
    "--screen-px", help="Screen resolution: W H in pixels.", rich_help_panel=_PANEL)]
ScreenMmOption = Annotated[tuple[float, float] | None, typer.Option(
    "--screen-mm", help="Screen size: W H in millimetres.", rich_help_panel=_PANEL)]
DistanceMmOption = Annotated[float | None, typer.Option(
    "--distance-mm", help="Eye-to-screen distance in millimetres.", rich_help_panel=_PANEL)]
ReadOptionOption = Annotated[list[str] | None, typer.Option(
    "--read-option", "-O", help="A format option KEY=VALUE, e.g. position=smooth (radio), "
    "clock=system (etra-paths), eye=right (eyelink-asc), unordered=sort. Repeatable.",
    rich_help_panel=_PANEL)]


def _present(value) -> bool:
    return value is not None and not (isinstance(value, tuple) and all(v is None for v in value))


@dataclass
class ReaderOptions:
    """The reader options of one command invocation (see the module notes)."""

    format: str = "auto"
    time_col: str | None = None
    x_col: str | None = None
    y_col: str | None = None
    pupil_col: str | None = None
    label_col: str | None = None
    time_unit: str | None = None
    position_unit: str | None = None
    sampling_rate: float | None = None
    screen_px: tuple[int, int] | None = None
    screen_mm: tuple[float, float] | None = None
    distance_mm: float | None = None
    read_options: dict = field(default_factory=dict)

    def screen(self) -> Screen | None:
        """The screen from ``--screen-px``, ``--screen-mm``, ``--distance-mm`` (all or none).

        Examples
        --------
        >>> ReaderOptions(screen_px=(1024, 768), screen_mm=(380.0, 300.0),
        ...               distance_mm=670.0).screen().pixels_per_degree > 30
        True
        """
        given = {"--screen-px": self.screen_px, "--screen-mm": self.screen_mm,
                 "--distance-mm": self.distance_mm}
        present = [name for name, value in given.items() if _present(value)]
        if not present:
            return None
        missing = [name for name in given if name not in present]
        if missing:
            raise InputError(f"incomplete screen: {', '.join(present)} given but "
                             f"{', '.join(missing)} missing; the screen needs --screen-px W H "
                             "--screen-mm W H --distance-mm D")
        return Screen(self.screen_px[0], self.screen_px[1], self.screen_mm[0], self.screen_mm[1],
                      self.distance_mm)

    def kwargs(self) -> dict:
        """Keyword arguments for :func:`gazelearn.io.read` / :func:`~gazelearn.io.read_dataset`."""
        values = {
            "format": self.format or "auto",
            "time_col": self.time_col, "x_col": self.x_col, "y_col": self.y_col,
            "pupil_col": self.pupil_col, "label_col": self.label_col,
            "time_unit": self.time_unit, "position_unit": self.position_unit,
            "sampling_rate": self.sampling_rate, "screen": self.screen(),
            **self.read_options,
        }
        return {k: v for k, v in values.items() if v is not None}


def reader_kwargs(format: str = "auto", time_col: str | None = None, x_col: str | None = None,
                  y_col: str | None = None, time_unit=None, position_unit=None,
                  sampling_rate: float | None = None, screen_px=None, screen_mm=None,
                  distance_mm: float | None = None, pupil_col: str | None = None,
                  label_col: str | None = None, read_option: list[str] | None = None) -> dict:
    """Keyword arguments for :func:`gazelearn.io.read` from the raw CLI option values."""
    raw = dict(locals())
    return ReaderOptions(**reader_kwargs_raw(raw)).kwargs()


_OPTION_PARAMETERS = [
    ("format", FormatOption, "auto"),
    ("time_col", TimeColOption, None),
    ("x_col", XColOption, None),
    ("y_col", YColOption, None),
    ("pupil_col", PupilColOption, None),
    ("label_col", LabelColOption, None),
    ("time_unit", TimeUnitOption, None),
    ("position_unit", PositionUnitOption, None),
    ("sampling_rate", SamplingRateOption, None),
    ("screen_px", ScreenPxOption, None),
    ("screen_mm", ScreenMmOption, None),
    ("distance_mm", DistanceMmOption, None),
    ("read_option", ReadOptionOption, None),
]


def reader_options(function):
    """Give a command the reader options; it receives them as ``reader: ReaderOptions``.

    The decorated function must have a parameter named ``reader``; it is replaced, in the
    signature Typer sees, by the individual ``--format``, ``--time-col``, ... options.
    """
    signature = inspect.signature(function)
    if "reader" not in signature.parameters:
        raise TypeError(f"{function.__name__} needs a parameter named 'reader'")
    names = [name for name, _, _ in _OPTION_PARAMETERS]

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        raw = {name: kwargs.pop(name, None) for name in names}
        kwargs["reader"] = ReaderOptions(**reader_kwargs_raw(raw))
        return function(*args, **kwargs)

    kept = [p for p in signature.parameters.values() if p.name != "reader"]
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                               annotation=annotation)
             for name, annotation, default in _OPTION_PARAMETERS]
    positional = [p for p in kept if p.kind != inspect.Parameter.KEYWORD_ONLY]
    keyword = [p for p in kept if p.kind == inspect.Parameter.KEYWORD_ONLY]
    wrapper.__signature__ = signature.replace(parameters=positional + keyword + added)
    annotations = {k: v for k, v in getattr(function, "__annotations__", {}).items()
                   if k != "reader"}
    annotations.update({name: annotation for name, annotation, _ in _OPTION_PARAMETERS})
    wrapper.__annotations__ = annotations
    return wrapper


def reader_kwargs_raw(raw: dict) -> dict:
    """ReaderOptions fields from raw option values (enums to strings, KEY=VALUE parsed)."""
    return {
        "format": raw.get("format") or "auto",
        "time_col": raw.get("time_col"), "x_col": raw.get("x_col"), "y_col": raw.get("y_col"),
        "pupil_col": raw.get("pupil_col"), "label_col": raw.get("label_col"),
        "time_unit": getattr(raw.get("time_unit"), "value", raw.get("time_unit")),
        "position_unit": getattr(raw.get("position_unit"), "value", raw.get("position_unit")),
        "sampling_rate": raw.get("sampling_rate"),
        "screen_px": raw.get("screen_px"), "screen_mm": raw.get("screen_mm"),
        "distance_mm": raw.get("distance_mm"),
        "read_options": parse_key_values(raw.get("read_option"), "--read-option"),
    }


# ---------------------------------------------------------------------------- info
# Imported here, after the reusable options: importing main imports every *_commands module, and
# those import ReaderOptions/reader_options from this (then partially initialised) module.
from gazelearn.cli.main import app  # noqa: E402


def _clean(value):
    """JSON-safe: NaN to None, numpy scalars to Python, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def recording_info(rec: Recording) -> dict:
    """What ``gazelearn info`` reports about a recording (JSON-ready)."""
    summary = rec.summary()
    timing = rec.timing()
    summary["timing_detail"] = {"regular": timing.regular, "duplicates": timing.n_duplicates,
                                "irregular_intervals": timing.n_irregular,
                                "gaps": timing.n_gaps, "longest_gap_s": timing.longest_gap_s}
    standard = ("source", "format", "samples", "duration_s", "sampling_rate_hz", "timing",
                "lost_percent", "screen", "labels", "timing_detail")
    summary["metadata"] = {k: v for k, v in summary.items() if k not in standard}
    return _clean({k: summary[k] for k in (*standard, "metadata")})


def _print_recording(info: dict) -> None:
    console.print(f"[bold]{info['source']}[/]  ({info['format']})", highlight=False)
    rows = [("samples", f"{info['samples']}  ({info['duration_s']} s)"),
            ("sampling", info["timing"]),
            ("lost", f"{info['lost_percent']} %")]
    screen = info["screen"]
    rows.append(("screen", "unknown" if screen is None else
                 f"{screen['width_px']} x {screen['height_px']} px, {screen['width_mm']:g} x "
                 f"{screen['height_mm']:g} mm at {screen['distance_mm']:g} mm"))
    labels = info["labels"]
    rows.append(("labels", ", ".join(f"{k} {100 * v:.1f} %" for k, v in labels.items())
                 if labels else "none"))
    meta = ", ".join(f"{k} {v}" for k, v in info["metadata"].items() if v is not None)
    rows.append(("metadata", meta or "none"))
    for name, value in rows:
        console.print(f"  {name:<10} {value}", highlight=False, soft_wrap=True)


def _print_images(info: dict) -> None:
    console.print(f"[bold]{info['source']}[/]  ({info['format']})", highlight=False)
    console.print(f"  {'images':<10} {info['images']}", highlight=False)
    for column, sizes in info["image_sizes"].items():
        text = ", ".join(f"{size} px ({count})" for size, count in sizes.items())
        console.print(f"  {'size':<10} {column}: {text}", highlight=False, soft_wrap=True)
    ranges = info["target_range_px"]
    if ranges:
        console.print(f"  {'targets':<10} x {ranges['x'][0]:g}..{ranges['x'][1]:g} px, "
                      f"y {ranges['y'][0]:g}..{ranges['y'][1]:g} px", highlight=False)


def collect_info(paths: list[Path], reader: ReaderOptions) -> list[dict]:
    """``gazelearn info`` results for files, folders of recordings and image sets."""
    kwargs = reader.kwargs()
    results = []
    fmt = kwargs.get("format", "auto")
    for path in paths:
        if fmt in ("auto", *IMAGE_FORMATS) and path.exists():
            try:
                kind = detect_format(path) if fmt == "auto" else fmt
            except InputError:
                if not path.is_dir():
                    raise
                kind = None  # a folder of recordings: expanded below
            if kind in IMAGE_FORMATS:
                results.append(_clean(read_images(path).summary()))
                continue
        options = {k: v for k, v in kwargs.items() if k != "format"}
        for file in expand_paths([path], fmt, **options):
            results.append(recording_info(read(file, **kwargs)))
    return results


@app.command("info")
@run_safely
@reader_options
def info(
    files: list[Path] = typer.Argument(..., help="Recordings, folders of recordings, image "
                                       "folders or image manifests."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON (a list)."),
    reader: ReaderOptions = None,
) -> None:
    """Describe recordings: format, duration, sampling rate, lost data, screen, labels, metadata.

    Example: gazelearn info ../shared/data/lund2013-dev/img/TH38_img_Europe_labelled_RA.mat

    Example: gazelearn info gaze.tsv --time-col t --x-col gx --y-col gy --time-unit us --json
    """
    results = collect_info(files, reader)
    if as_json:
        typer.echo(json.dumps(results, indent=2))
        return
    for result in results:
        if "images" in result:
            _print_images(result)
        else:
            _print_recording(result)


@app.command("convert")
@run_safely
@reader_options
def convert(
    source: Path = typer.Argument(..., help="The recording to read (any supported format)."),
    target: Path = typer.Argument(..., help="The file to write: .csv, .tsv or .parquet."),
    sidecar: bool = typer.Option(True, "--sidecar/--no-sidecar",
                                 help="Beside a CSV, write <file>.json with screen and metadata."),
    reader: ReaderOptions = None,
) -> None:
    """Convert a recording to gazelearn's CSV or Parquet (time s, x y px, pupil, label).

    Example: gazelearn convert TH38_img_Europe_labelled_RA.mat th38.parquet

    Example: gazelearn convert raw.txt raw.csv --time-col 0 --x-col 1 --y-col 2 --time-unit us
    """
    recording = read(source, **reader.kwargs())
    write_recording(recording, target, sidecar=sidecar)
    console.print(f"wrote {target} ({len(recording)} samples, {recording.meta.format} -> "
                  f"{target.suffix.lstrip('.')})", highlight=False)
