"""``gazelearn demo [--output DIR] [--quick] [--real DATA]``: the whole system in one command.

Runs every capability end to end on data generated on the spot (see :mod:`gazelearn.demo`) and
writes ``DIR/report.html`` (self-contained, plots inline) and ``DIR/results.json``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gazelearn.cli.common import VerboseOption, console, run_safely, show_native_logs


@run_safely
def demo(
    output: Path = typer.Option(Path("demo-output"), "--output", "-o",
                                help="Folder for report.html and results.json (created)."),
    quick: bool = typer.Option(False, "--quick", help="The short tour: under a minute, small "
                               "data, few epochs (the numbers mean little)."),
    real: Path = typer.Option(None, "--real", help="Folder of the real data sets "
                              "(../shared/data): adds real-data results."),
    step: list[str] = typer.Option(None, "--step", help="Run only this step (repeatable): "
                                   "population, events, scanpaths, biometrics, eyes, gaze, "
                                   "tracking, real_events, real_scanpaths, real_gaze."),
    verbose: bool = VerboseOption,
) -> None:
    """Simulate, detect, classify, identify, render eyes, train gaze CNNs: one HTML report.

    Example: gazelearn demo --output demo-output --quick
    """
    from rich.table import Table

    from gazelearn.demo import STEPS, run_demo

    show_native_logs(verbose)
    results = run_demo(output, quick=quick, real=real, only=step or None)
    table = Table("step", "seconds", "headline")
    for s in STEPS:
        if s.name in results:
            table.add_row(s.title, f"{results[s.name]['seconds']:.1f}",
                          _headline(s.name, results[s.name]))
    console.print(table)
    console.print(f"total {results['total_seconds']:.0f} s; report: {output / 'report.html'}")


def _headline(name: str, result: dict) -> str:
    """One line of numbers per step for the terminal."""
    if "skipped" in result:
        return f"skipped ({result['skipped']})"
    if name == "population":
        return f"{result['people']} people, {result['recordings']} recordings"
    if name in ("events", "real_events"):
        best = max(result["detectors"], key=lambda r: r["kappa"])
        return f"best kappa {best['kappa']:.2f} ({best['detector']})"
    if name in ("scanpaths", "real_scanpaths"):
        return f"accuracy {result['accuracy']:.2f}, kappa {result['kappa']:.2f} (people held out)"
    if name == "biometrics":
        return f"rank-1 {result['rank1']:.2f}, EER {result['eer']:.2f}"
    if name == "gaze":
        return ", ".join(f"{r['% of screen']:.1f} %" for r in result["errors"]) + \
            " (baseline, per-measurement BN, profile + affine)"
    if name == "real_gaze":
        return f"MAE {result['mae_px']:.1f} px"
    if name == "tracking":
        return f"face in {result['faces_found']}/{result['frames']} frames, " \
               f"{result['median_ms']:.1f} ms/frame"
    if name == "eyes":
        return f"{result['persons']} persons x {result['measurements']} x {result['frames']}"
    return ""
