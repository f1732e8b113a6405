"""The demo's runner: steps, the context they share, progress, the report and its numbers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazelearn.errors import InputError


@dataclass
class DemoContext:
    """What the steps share: options, the report being written, results and data in memory.

    Attributes
    ----------
    output : Path
        Folder of ``report.html`` and ``results.json``.
    quick : bool
        Shrink every step (the test suite's setting).
    real : Path or None
        Folder of the real data sets (``../shared/data``), for the ``real`` steps.
    report : gazelearn.report.Report
        The report; each step adds one section.
    results : dict
        Numbers per step, saved as JSON.
    data : dict
        Objects one step leaves for later ones (the population, its events, ...).
    """

    output: Path
    quick: bool
    real: Path | None
    report: Any
    results: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    step: str = ""
    figures: list = field(default_factory=list)

    def figure(self, fig, caption: str) -> None:
        """Add a figure to the report and keep it as ``figures/<step>-<n>.png`` too."""
        from gazelearn.io.atomic import atomic_write
        from gazelearn.report.html import figure_to_png_bytes

        png = figure_to_png_bytes(fig)
        self.report.image(png, caption)
        folder = self.output / "figures"
        folder.mkdir(exist_ok=True)
        number = sum(name.startswith(f"{self.step}-") for name in self.figures) + 1
        path = folder / f"{self.step}-{number}.png"
        with atomic_write(path, "wb") as handle:
            handle.write(png)
        self.figures.append(path.name)

    def size(self, quick: int, full: int) -> int:
        """``quick`` in a quick tour, else ``full``."""
        return quick if self.quick else full


@dataclass(frozen=True)
class Step:
    """One part of the tour: a name (key in results.json), a title and the function."""

    name: str
    title: str
    run: Callable[[DemoContext], dict]
    real: bool = False


def _steps() -> list[Step]:
    from gazelearn.demo import gaze_steps, real_steps, signal_steps

    return [
        Step("population", "A simulated population", signal_steps.population),
        Step("events", "Event detection against the simulator's truth", signal_steps.events),
        Step("scanpaths", "Heat maps and a scanpath classifier", signal_steps.scanpaths),
        Step("biometrics", "Who is it? Identification from eye movements",
             signal_steps.biometrics),
        Step("eyes", "Synthetic eye images", gaze_steps.eyes),
        Step("gaze", "Gaze CNN with and without batch-normalisation calibration",
             gaze_steps.gaze),
        Step("tracking", "The webcam pipeline on a bundled face video", gaze_steps.tracking),
        Step("real_events", "Real data: events in Lund 2013", real_steps.events, real=True),
        Step("real_scanpaths", "Real data: which picture? (ETRA 2021 paths)",
             real_steps.scanpaths, real=True),
        Step("real_gaze", "Real data: gaze from eye images (ETRA 2021 eye_left)",
             real_steps.gaze, real=True),
    ]


class _LazySteps(list):
    """The step list, built on first use so ``import gazelearn.demo`` stays light."""

    def _fill(self) -> None:
        if not super().__len__():
            self.extend(_steps())

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __getitem__(self, index):
        self._fill()
        return super().__getitem__(index)


STEPS: list[Step] = _LazySteps()


def run_demo(output: str | Path, quick: bool = False, real: str | Path | None = None,
             progress: bool = True, only: list[str] | None = None) -> dict:
    """Run the tour and write ``output/report.html`` and ``output/results.json``.

    Parameters
    ----------
    output : str or Path
        Folder for the report (created when missing).
    quick : bool
        The short tour (under a minute).
    real : str or Path, optional
        Folder of the real data sets; adds the real-data steps.
    progress : bool
        Show a progress bar on the terminal.
    only : list of str, optional
        Run only these steps (by name) and the steps they need.

    Returns
    -------
    dict
        The results, step by step (with each step's seconds); ``figures`` lists the report's
        plots, also saved as PNG files under ``output/figures/``.
    """
    from gazelearn.report import Report

    output = Path(output)
    if output.exists() and not output.is_dir():
        raise InputError("is a file; --output must be a folder", source=output)
    if real is not None:
        real = Path(real)
        if not real.is_dir():
            raise InputError("is not a folder; --real must be the folder of the real data sets "
                             "(../shared/data)", source=real)
    output.mkdir(parents=True, exist_ok=True)
    report = Report("gazelearn demo", command="gazelearn demo" + (" --quick" if quick else "")
                    + (f" --real {real}" if real else ""), seed=0,
                    data="generated on the spot" + (f" + {real}" if real else ""))
    context = DemoContext(output=output, quick=quick, real=real, report=report)
    steps = [s for s in STEPS if (real is not None or not s.real)]
    if only:
        unknown = set(only) - {s.name for s in STEPS}
        if unknown:
            raise InputError(f"unknown demo step(s) {sorted(unknown)}; the steps are "
                             f"{', '.join(s.name for s in STEPS)}")
        steps = [s for s in steps if s.name in only or s.name in _NEEDED_BY(only)]
    start = time.perf_counter()
    with _progress(progress) as bar:
        task = bar.add_task("demo", total=len(steps)) if bar else None
        for step in steps:
            if bar:
                bar.update(task, description=step.title)
            report.section(step.title)
            context.step = step.name
            t0 = time.perf_counter()
            result = step.run(context) or {}
            result["seconds"] = round(time.perf_counter() - t0, 2)
            context.results[step.name] = result
            if bar:
                bar.advance(task)
    context.results["total_seconds"] = round(time.perf_counter() - start, 1)
    context.results["figures"] = [f"figures/{name}" for name in context.figures]
    report.save(output / "report.html")
    from gazelearn.io.atomic import atomic_write

    with atomic_write(output / "results.json", "w") as handle:
        json.dump(context.results, handle, indent=1, default=_plain)
    return context.results


def _NEEDED_BY(names: list[str]) -> set[str]:  # noqa: N802 (reads as a constant table)
    needs = {"events": {"population"}, "scanpaths": {"population"},
             "biometrics": {"population"}, "gaze": {"eyes"}}
    return set().union(*(needs.get(n, set()) for n in names))


def _plain(value: Any) -> Any:
    """JSON for numpy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


class _NoProgress:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _progress(enabled: bool):
    from gazelearn.cli.common import progress_enabled

    if not (enabled and progress_enabled()):
        return _NoProgress()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
        "{task.completed}/{task.total}"), TimeElapsedColumn(), transient=False)
