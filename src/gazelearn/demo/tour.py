"""The demo's runner: the step type, the context steps share, progress, report and numbers."""

from __future__ import annotations

import contextlib
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
    needs: tuple[str, ...] = ()  # steps whose data this one reads


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
    from gazelearn.demo import STEPS
    from gazelearn.report import Report

    output = Path(output)
    if output.exists() and not output.is_dir():
        raise InputError("is a file; --output must be a folder", source=output)
    if real is not None:
        real = Path(real)
        if not real.is_dir():
            raise InputError("is not a folder; --real must be the folder of the real data sets "
                             "(../shared/data)", source=real)
    if only:  # checked before anything is written
        unknown = set(only) - {s.name for s in STEPS}
        if unknown:
            raise InputError(f"unknown demo step(s) {sorted(unknown)}; the steps are "
                             f"{', '.join(s.name for s in STEPS)}")
    output.mkdir(parents=True, exist_ok=True)
    report = Report("gazelearn demo", command="gazelearn demo" + (" --quick" if quick else "")
                    + (f" --real {real}" if real else ""), seed=0,
                    data="generated on the spot" + (f" + {real}" if real else ""))
    context = DemoContext(output=output, quick=quick, real=real, report=report)
    steps = [s for s in STEPS if (real is not None or not s.real)]
    if only:
        wanted = set(only).union(*(s.needs for s in STEPS if s.name in only))
        steps = [s for s in steps if s.name in wanted]
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
    from gazelearn.io.writers import jsonable

    with atomic_write(output / "results.json", "w") as handle:  # NaN (n/a) as null: valid JSON
        json.dump(jsonable(context.results, finite=True), handle, indent=1)
    return context.results


def _progress(enabled: bool):
    from gazelearn._terminal import progress_wanted

    if not (enabled and progress_wanted()):
        return contextlib.nullcontext()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
        "{task.completed}/{task.total}"), TimeElapsedColumn(), transient=False)
