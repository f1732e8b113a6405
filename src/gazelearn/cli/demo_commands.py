"""``gazelearn demo``: a tour of gazelearn on data bundled with the package (no download)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import polars as pl
import typer
from rich.table import Table

from gazelearn.cli.common import console, run_safely
from gazelearn.cli.main import app


def bundled_recording_path() -> Path:
    """Path of the synthetic recording shipped inside the package."""
    return Path(str(resources.files("gazelearn") / "data" / "demo_recording.csv"))


@app.command()
@run_safely
def demo(
    output: Path = typer.Option(Path("demo-output"), "--output", "-o",
                                help="Folder for the report (created if needed)."),
    quick: bool = typer.Option(False, "--quick", help="The shortest tour (used by the tests)."),
) -> None:
    """Run a tour of gazelearn on bundled synthetic data and write DIR/report.html.

    Example: gazelearn demo --output demo-output
    """
    from gazelearn import Events
    from gazelearn.io import read
    from gazelearn.report import Report
    from gazelearn.report.plots import signal_with_events
    from gazelearn.simulate import DEFAULT_SCREEN

    path = bundled_recording_path()
    recording = read(path, screen=DEFAULT_SCREEN)
    summary = recording.summary()

    table = Table(title=f"Bundled synthetic recording ({path.name})")
    table.add_column("property")
    table.add_column("value")
    for key in ("samples", "duration_s", "sampling_rate_hz", "timing", "lost_percent"):
        table.add_row(key, str(summary[key]))
    table.add_row("screen", "{width_px}x{height_px} px, {width_mm}x{height_mm} mm at "
                  "{distance_mm} mm".format(**DEFAULT_SCREEN.to_dict()))
    for label, share in summary["labels"].items():
        table.add_row(f"label {label}", f"{100 * share:.1f} %")
    console.print(table)

    events = Events.from_labels(recording)
    per_type = (
        events.frame.group_by("type")
        .agg(n=pl.len(), mean_duration_ms=(pl.col("duration").mean() * 1000).round(1),
             mean_amplitude_deg=pl.col("amplitude").mean().round(2))
        .sort("type")
    )
    console.print(per_type)

    output.mkdir(parents=True, exist_ok=True)
    report = Report("gazelearn demo")
    report.section("The bundled recording")
    report.text("A synthetic recording from gazelearn's oculomotor simulator, with exact "
                "per-sample labels.")
    report.facts({k: summary[k] for k in ("samples", "duration_s", "sampling_rate_hz",
                                          "lost_percent")})
    report.table(per_type, caption="Events from the simulator's labels")
    part = recording.select(slice(0, 1000 if quick else 2500))
    report.figure(signal_with_events(part.time, part.x, part.y, part.labels),
                  caption="Gaze position with the event labels as coloured bands")
    report.save(output / "report.html")
    console.print(f"report written to {output / 'report.html'}")
