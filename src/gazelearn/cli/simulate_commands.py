"""``gazelearn simulate``: synthetic data with exact ground truth.

``gazelearn simulate eyes --persons P --measurements M --frames F --output DIR`` writes a folder of
synthetic eye images (see :mod:`gazelearn.simulate.eyes`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from gazelearn._terminal import progress_wanted
from gazelearn.cli.common import console, run_safely
from gazelearn.errors import InputError

simulate_app = typer.Typer(
    help="Simulate data with exact ground truth (synthetic eye images).\n\n"
    "Example: gazelearn simulate eyes --persons 10 --measurements 2 --frames 100 --output eyes",
    no_args_is_help=True,
)


def _screen(screen_px: tuple[int, int] | None, screen_mm: tuple[float, float] | None,
            distance_mm: float | None):
    from gazelearn.screen import Screen
    from gazelearn.simulate.oculomotor import DEFAULT_SCREEN

    if screen_px is None and screen_mm is None and distance_mm is None:
        return DEFAULT_SCREEN
    base = DEFAULT_SCREEN
    width_px, height_px = screen_px if screen_px is not None else (base.width_px, base.height_px)
    width_mm, height_mm = screen_mm if screen_mm is not None else (base.width_mm, base.height_mm)
    distance = distance_mm if distance_mm is not None else base.distance_mm
    return Screen(width_px, height_px, width_mm, height_mm, distance)


@simulate_app.command("eyes")
@run_safely
def eyes(
    persons: int = typer.Option(10, "--persons", "-p", help="Number of simulated persons."),
    measurements: int = typer.Option(2, "--measurements", "-m",
                                     help="Measurements (sittings) per person."),
    frames: int = typer.Option(100, "--frames", "-f",
                               help="Frames per measurement, each at a random dot."),
    output: Path = typer.Option(..., "--output", "-o",
                                help="Folder to create (must not exist or be empty)."),
    size: tuple[int, int] = typer.Option((64, 36), "--size", help="Image width and height (px)."),
    color: bool = typer.Option(False, "--color", help="RGB images instead of grayscale."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same data."),
    overwrite: bool = typer.Option(False, "--overwrite",
                                   help="Replace the content of a non-empty output folder."),
    screen_px: tuple[int, int] | None = typer.Option(
        None, "--screen-px", help="Screen resolution W H (default 1920 1080)."),
    screen_mm: tuple[float, float] | None = typer.Option(
        None, "--screen-mm", help="Screen size W H in mm (default 531 299)."),
    distance_mm: float | None = typer.Option(
        None, "--distance-mm", help="Typical eye-screen distance in mm (default 600)."),
) -> None:
    """Write synthetic eye images of persons looking at random dots, with a manifest.

    OUTPUT gets images/*.png and manifest.csv (image,x,y,person,measurement; x, y in screen px).

    truth.csv holds per-frame gaze angles, head position, pupil and iris position.

    meta.json holds the screen, the seed, the generator parameters and each person's kappa.

    Example: gazelearn simulate eyes --persons 10 --measurements 2 --frames 100 --output eyes
    """
    from gazelearn.simulate.eyes import EyeSimulator, write_eye_dataset

    for name, value in (("--persons", persons), ("--measurements", measurements),
                        ("--frames", frames)):
        if value < 1:
            raise InputError(f"{name} must be at least 1, got {value}")
    if output.exists() and not output.is_dir():
        raise InputError("output exists and is not a folder", source=output)
    if output.is_dir() and any(output.iterdir()) and not overwrite:
        raise InputError("output folder is not empty (use --overwrite to replace it)",
                         source=output)
    simulator = EyeSimulator(image_size=tuple(size), color=color, seed=seed,
                             screen=_screen(screen_px, screen_mm, distance_mm))
    total = persons * measurements * frames
    if progress_wanted():
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("rendering eyes", total=total)
            dataset = simulator.simulate(persons, measurements, frames,
                                         progress=lambda n: progress.advance(task, n))
    else:
        dataset = simulator.simulate(persons, measurements, frames)
    write_eye_dataset(dataset, output, overwrite=overwrite)
    width, height = dataset.image_size
    console.print(f"{total} images ({width}x{height}, {'RGB' if color else 'grayscale'}) of "
                  f"{persons} person(s) x {measurements} measurement(s) written to {output}",
                  soft_wrap=True, highlight=False)
