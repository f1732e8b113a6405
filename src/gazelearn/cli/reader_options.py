"""The reader options every command that reads recordings shares.

The reader options (a binding contract: ``--format``, ``--time-col``, ``--x-col``, ``--y-col``,
``--pupil-col``, ``--label-col``, ``--time-unit``, ``--position-unit``, ``--sampling-rate``,
``--screen-px W H``, ``--screen-mm W H``, ``--distance-mm D``, ``--read-option KEY=VALUE``) are
added to any command by the :func:`reader_options` decorator; the command receives them as one
:class:`ReaderOptions` argument named ``reader``::

    from pathlib import Path
    import typer
    from gazelearn.cli.common import run_safely
    from gazelearn.cli.reader_options import ReaderOptions, reader_options
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
import typing
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from gazelearn.cli.common import parse_key_values
from gazelearn.errors import InputError

if TYPE_CHECKING:  # numpy comes with it: loaded when a screen is made, not at start-up
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

#: The names ``--format`` takes, spelled out in its help: listing them from the reader registry
#: would import every reader (numpy, polars) for each command's help; tests/test_cli_help.py
#: checks this list is the registry's.
FORMAT_NAMES = (
    "delimited", "didec", "emtec", "etra-animals", "etra-paths", "eyelink-asc", "gazebase",
    "gazebase-vr", "gazecom", "gazegraph", "gazeonfaces", "gazepoint", "hbn", "judo1000",
    "lund2013", "parquet", "potec", "potsdam-binge-pvt", "pupil-labs", "pymovements-binocular",
    "pymovements-monocular", "pymovements-pixel-position", "radio", "sbsat", "smi", "tobii")

FormatOption = Annotated[str, typer.Option(
    "--format", help="File format: auto (detect from the file) or one of "
    f"{', '.join(FORMAT_NAMES)} ('gazelearn formats' describes each).", rich_help_panel=_PANEL)]
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
DecimalCommaOption = Annotated[bool, typer.Option(
    "--decimal-comma", help="Numbers are written 1,5 (decimal comma; the delimiter is then not a "
    "comma).", rich_help_panel=_PANEL)]
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
    decimal_comma: bool = False

    def screen(self) -> Screen | None:
        """The screen from ``--screen-px``, ``--screen-mm``, ``--distance-mm``.

        All three give a screen with geometry (degrees work); ``--screen-px`` alone a
        pixel-only screen (normalised positions become pixels; degrees still need the rest);
        ``--screen-mm`` with ``--distance-mm`` complete the resolution the file states (see
        :meth:`screen_geometry`: None here); any other combination is incomplete.

        Examples
        --------
        >>> ReaderOptions(screen_px=(1024, 768), screen_mm=(380.0, 300.0),
        ...               distance_mm=670.0).screen().pixels_per_degree > 30
        True
        >>> ReaderOptions(screen_px=(1920, 1080)).screen().has_geometry
        False
        """
        given = {"--screen-px": self.screen_px, "--screen-mm": self.screen_mm,
                 "--distance-mm": self.distance_mm}
        present = [name for name, value in given.items() if _present(value)]
        if not present:
            return None
        from gazelearn.screen import Screen

        missing = [name for name in given if name not in present]
        if present == ["--screen-px"]:
            return Screen(self.screen_px[0], self.screen_px[1])
        if missing == ["--screen-px"]:
            return None  # the file's resolution, completed by screen_geometry()
        if missing:
            raise InputError(f"incomplete screen: {', '.join(present)} given but "
                             f"{', '.join(missing)} missing; the screen needs --screen-px W H "
                             "--screen-mm W H --distance-mm D (or --screen-px W H alone for "
                             "pixels only)")
        return Screen(self.screen_px[0], self.screen_px[1], self.screen_mm[0], self.screen_mm[1],
                      self.distance_mm)

    def screen_geometry(self) -> tuple[float, float, float] | None:
        """``(width_mm, height_mm, distance_mm)`` when ``--screen-mm`` and ``--distance-mm`` are
        given without ``--screen-px``: the reader completes the resolution the file states
        (EyeLink's ``GAZE_COORDS``) and refuses a file that states none.

        Examples
        --------
        >>> ReaderOptions(screen_mm=(380.0, 300.0), distance_mm=670.0).screen_geometry()
        (380.0, 300.0, 670.0)
        >>> ReaderOptions(screen_px=(1024, 768)).screen_geometry() is None
        True
        """
        if self.screen() is not None or not _present(self.screen_mm):
            return None
        return (float(self.screen_mm[0]), float(self.screen_mm[1]), float(self.distance_mm))

    def kwargs(self) -> dict:
        """Keyword arguments for :func:`gazelearn.io.read` / :func:`~gazelearn.io.read_dataset`."""
        values = {
            "format": self.format or "auto",
            "time_col": self.time_col, "x_col": self.x_col, "y_col": self.y_col,
            "pupil_col": self.pupil_col, "label_col": self.label_col,
            "time_unit": self.time_unit, "position_unit": self.position_unit,
            "sampling_rate": self.sampling_rate, "screen": self.screen(),
            "screen_geometry": self.screen_geometry(),
            "decimal": "," if self.decimal_comma else None,
            **self.read_options,
        }
        return {k: v for k, v in values.items() if v is not None}


def reader_kwargs(format: str = "auto", time_col: str | None = None, x_col: str | None = None,
                  y_col: str | None = None, time_unit=None, position_unit=None,
                  sampling_rate: float | None = None, screen_px=None, screen_mm=None,
                  distance_mm: float | None = None, pupil_col: str | None = None,
                  label_col: str | None = None, read_option: list[str] | None = None,
                  decimal_comma: bool = False) -> dict:
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
    ("decimal_comma", DecimalCommaOption, False),
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

    # the command module's annotations are strings (``from __future__ import annotations``):
    # resolve them where the command is defined, or Typer loses their Option metadata (min=,
    # callbacks) when it reads them through this wrapper
    hints = typing.get_type_hints(function, include_extras=True)
    kept = [p.replace(annotation=hints.get(p.name, p.annotation))
            for p in signature.parameters.values() if p.name != "reader"]
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                               annotation=annotation)
             for name, annotation, default in _OPTION_PARAMETERS]
    positional = [p for p in kept if p.kind != inspect.Parameter.KEYWORD_ONLY]
    keyword = [p for p in kept if p.kind == inspect.Parameter.KEYWORD_ONLY]
    wrapper.__signature__ = signature.replace(parameters=positional + keyword + added)
    annotations = {k: v for k, v in hints.items() if k != "reader"}
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
        "decimal_comma": bool(raw.get("decimal_comma")),
    }
