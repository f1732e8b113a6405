"""``gazelearn plot``: look at your own data (trace, scanpath, heat map, main sequence, quality).

CLI contract (scripts depend on it exactly):

* ``gazelearn plot RECORDING --kind trace|scanpath|heatmap|main-sequence|quality
  [--stimulus IMG] --output FIG.png|.svg|.html`` reads RECORDING as ``gazelearn info`` does
  (the same reader and screen options) and writes one figure; ``.html`` is a standalone page
  (gazelearn's report look) with the figure as inline SVG and its caption.
* Events come from the recording's labels, else from the classic detector ``nh`` (the default
  of ``events detect``); ``--events EVENTS.csv`` (an ``events detect`` table) or ``--method``
  override that. The caption says which.
* A file of several trials: ``quality`` draws every trial; the other kinds draw one
  (``--trial NAME``; the first by default).

The figures are :mod:`gazelearn.report.recording_plots`'s; this module only reads, picks the
events and writes (atomically, through :func:`gazelearn.report.save_figure` and
:meth:`gazelearn.report.Report.save`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gazelearn.cli.common import console, run_safely
from gazelearn.cli.reader_options import ReaderOptions, reader_options
from gazelearn.errors import InputError

if TYPE_CHECKING:  # numpy, polars, matplotlib load when the command runs, not at start-up
    from gazelearn.recording import Recording

#: The default detector when a recording has no labels: the default of ``events detect``.
DEFAULT_METHOD = "nh"
_SUFFIXES = (".png", ".svg", ".pdf", ".html")


class Kind(StrEnum):
    """What ``gazelearn plot`` draws."""

    trace = "trace"
    scanpath = "scanpath"
    heatmap = "heatmap"
    main_sequence = "main-sequence"
    quality = "quality"


_WITH_STIMULUS = (Kind.scanpath, Kind.heatmap)


def _read(path: Path, reader: ReaderOptions, kind: Kind) -> list[Recording]:
    """Every recording of the file; for ``quality`` a layout with trial columns is split."""
    from gazelearn.io import detect_format, read_all, reader_info

    kwargs = reader.kwargs()
    if kind == Kind.quality and "trials" not in kwargs:
        fmt = kwargs.get("format", "auto")
        fmt = detect_format(path) if fmt == "auto" else fmt
        if "trials" in reader_info(fmt).options:  # the trial columns of a data set's layout
            kwargs["trials"] = True
    recordings = read_all(path, **kwargs)
    if not recordings:
        raise InputError("holds no recording", source=path)
    return recordings


def _pick_trial(recordings: list[Recording], trial: str | None) -> tuple[Recording, str]:
    """The trial to draw and how the caption names it."""
    names = [str(r.meta.trial) for r in recordings]
    if trial is not None:
        if trial not in names:
            shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
            raise InputError(f"--trial {trial!r}: the file's trials are {shown}")
        index = names.index(trial)
    else:
        index = 0
    if len(recordings) == 1:
        return recordings[0], ""
    hint = "" if trial is not None else "; --trial NAME draws another"
    return recordings[index], f"trial {names[index]} ({index + 1} of {len(recordings)}{hint})"


def _labels(recording: Recording, events: Path | None, method: str | None):
    """Per-sample labels and where they come from (for the caption)."""
    if events is not None:
        from gazelearn.io import read_events

        return read_events(events).to_labels(recording.time), f"events: {events.name}"
    if method is None and recording.labels is not None:
        return recording.labels, "events: the recording's own labels"
    from gazelearn.cli.events_commands import _detector  # one detector cache for the CLI

    name = method or DEFAULT_METHOD
    why = "" if method else " (the recording has no labels)"
    return (_detector(name, {}).predict(recording, stimulus="auto"),
            f"events: detected with {name}{why}")


def _figure(kind: Kind, recording: Recording, recordings: list[Recording], labels,
            stimulus: Path | None, name: str):
    """The figure of one kind (titled with ``name``) and the facts its caption states."""
    import numpy as np

    from gazelearn.events import Events
    from gazelearn.report import recording_plots as plots

    facts = []
    if kind == Kind.quality:
        from gazelearn.metrics import quality_per_trial

        rows = quality_per_trial(recordings)
        on = {r["precision_on"] for r in rows}
        count = f"{len(rows)} trials" if len(rows) > 1 else "one recording"
        where = {frozenset({"fixation"}): "fixations", frozenset({"all"}): "all samples"}.get(
            frozenset(on), "fixations where a trial has fixation labels, else all samples")
        facts.append(f"{count}; data loss and RMS-S2S precision on {where}, the figures of "
                     "gazelearn info")
        return plots.quality_bars(rows, title=f"{name}: data quality"), facts
    if kind == Kind.trace:
        return plots.trace(recording, labels, title=f"{name}: trace"), facts
    events = Events.from_labels(recording, labels)
    screen = recording.screen
    if kind == Kind.main_sequence:
        amplitude, peak, unit = plots.saccade_measures(recording, events)
        figure = plots.main_sequence(amplitude, peak, unit)
        if unit == "deg":
            above, below = plots.main_sequence_outliers(amplitude, peak)
            facts.append(f"{len(amplitude)} saccades, {above} above and {below} below the "
                         "expected band (V = 461.6 (1 - exp(-A / 9.07)) deg/s ± 29 %, fitted "
                         "to Hopf et al. 2018)")
        else:
            facts.append(f"{len(amplitude)} saccades in px: no expected band without the "
                         "screen geometry (--screen-px W H --screen-mm W H --distance-mm D)")
        return figure, facts
    n_fix = len(events.of_type("fixation"))
    if n_fix == 0:
        raise InputError(f"has no fixations to draw a {kind.value} of (the events hold "
                         f"{len(events)} events and none is a fixation)",
                         source=recording.meta.source)
    if screen is not None:  # drawn on the screen area: say what falls off it
        frame = events.of_type("fixation").frame
        x, y = frame["mean_x"].to_numpy(), frame["mean_y"].to_numpy()
        off = int((~((x >= 0) & (x <= screen.width_px) & (y >= 0)
                     & (y <= screen.height_px)) & np.isfinite(x) & np.isfinite(y)).sum())
        if off == n_fix and kind == Kind.heatmap:
            raise InputError(f"has no fixation on the screen ({screen.width_px} x "
                             f"{screen.height_px} px; all {n_fix} lie off it): no heat map to "
                             "draw", source=recording.meta.source)
        if off:
            facts.append(f"{off} of {n_fix} fixations lie off the screen and are not shown")
    if kind == Kind.scanpath:
        facts.append(f"{n_fix} fixations; circle area proportional to duration")
        return plots.fixation_scanpath(events, screen, stimulus), facts
    if screen is not None and screen.has_geometry:
        facts.append("fixation-duration-weighted Gaussian density, sigma 1 deg")
    else:
        facts.append(f"fixation-duration-weighted Gaussian density, sigma "
                     f"{plots.HEATMAP_SIGMA_PX:g} px (the screen geometry is unknown)")
    return plots.fixation_heatmap(events, screen, stimulus), facts


@run_safely
@reader_options
def plot(
    recording_path: Path = typer.Argument(..., metavar="RECORDING",
                                          help="A recording (any format 'gazelearn info' "
                                          "reads)."),
    kind: Kind = typer.Option(..., "--kind", "-k", metavar="KIND",
                              help="trace (x, y over time with events), "
                              "scanpath, heatmap, main-sequence (amplitude vs peak velocity) "
                              "or quality (loss and precision per trial)."),
    output: Path = typer.Option(..., "--output", "-o", help="Figure: .png, .svg, .pdf, or "
                                ".html (a page with the figure and its caption)."),
    stimulus: Path | None = typer.Option(None, "--stimulus", help="Stimulus image under a "
                                         "scanpath or heat map (stretched over the screen)."),
    events: Path | None = typer.Option(None, "--events", help="Events table from 'events "
                                       "detect' (default: the recording's labels, else "
                                       f"detected with {DEFAULT_METHOD})."),
    method: str | None = typer.Option(None, "--method", "-m", help="Detect the events with "
                                      "this method (ivt, idt, nh, ivdt, deep) even when the "
                                      "recording has labels."),
    trial: str | None = typer.Option(None, "--trial", help="In a file of several trials, the "
                                     "one to draw (default: the first; quality draws all)."),
    reader: ReaderOptions = None,
) -> None:
    """Plot a recording: its trace, scanpath, heat map, main sequence or data quality.

    Events come from the recording's labels, else from the nh detector (the caption says
    which); --events or --method override that.

    Example: gazelearn plot TH38_img_Europe_labelled_RA.mat --kind scanpath --stimulus
    Europe1024x768.png --output scanpath.png

    Example: gazelearn plot eyelink_monocular_example.asc --kind quality --output quality.html
    """
    import shlex
    import sys

    suffix = output.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(f"--output {output}: expected a .png, .svg, .pdf or .html file")
    if stimulus is not None:
        if kind not in _WITH_STIMULUS:
            raise InputError(f"--stimulus goes with --kind scanpath or heatmap, not {kind.value}")
        if not stimulus.is_file():
            raise InputError(f"--stimulus {stimulus}: no such image file")
    if events is not None and method is not None:
        raise InputError("give --events or --method, not both")
    if events is not None and not events.is_file():
        raise InputError(f"--events {events}: no such file")
    recordings = _read(recording_path, reader, kind)
    recording, trial_text = _pick_trial(recordings, trial)
    if kind == Kind.quality:  # every trial, or the one asked for
        if trial is None:
            trial_text = ""
        else:
            recordings = [recording]
        labels, origin = None, ""
    else:
        labels, origin = _labels(recording, events, method)

    from gazelearn.report import Report, save_figure  # matplotlib: only this command needs it
    from gazelearn.report.recording_plots import add_caption

    name = recording_path.name
    figure, facts = _figure(kind, recording, recordings, labels, stimulus, name)
    if kind not in (Kind.trace, Kind.quality):  # their axes' titles say what they show
        figure.suptitle(name)
    caption = "; ".join(part for part in (trial_text, origin, *facts) if part) + "."
    if suffix == ".html":
        command = "gazelearn " + shlex.join(sys.argv[1:])
        Report(f"{name}: {kind.value}", command=command, data=str(recording_path)).figure(
            figure, caption, format="svg").save(output)
    else:
        save_figure(add_caption(figure, caption), output)
    console.print(f"{recording_path.name}: {kind.value} -> {output}", highlight=False)
