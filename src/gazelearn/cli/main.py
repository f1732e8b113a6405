"""Entry point of the ``gazelearn`` command."""

from __future__ import annotations

import typer

from gazelearn import __version__
from gazelearn.cli.help_format import LazyGroup


class _Commands(LazyGroup):
    """The command tree, in help order: top-level commands, then the domain groups.

    Each module owns its commands (or its group) and imports nothing from here; it is imported
    only when its command runs or shows its help, and heavy libraries (torch, scikit-learn,
    mediapipe, matplotlib, fastapi) load inside the commands, so ``gazelearn --help`` and
    ``--version`` import none of them. The short help is what ``gazelearn --help`` lists
    (tests/test_cli_help.py checks it is each command's own first line).
    """

    lazy_commands = {
        "info": ("gazelearn.cli.data_commands:info", "Describe recordings: format, duration, "
                 "sampling rate, lost data, screen, labels, metadata."),
        "convert": ("gazelearn.cli.data_commands:convert", "Convert recordings to "
                    "gazelearn's CSV or Parquet (time s, x y px, pupil, label)."),
        "plot": ("gazelearn.cli.plot_commands:plot", "Plot a recording: its trace, scanpath, "
                 "heat map, main sequence or data quality."),
        "formats": ("gazelearn.cli.format_commands:formats", "List the formats --format "
                    "takes: name, description, what auto-detection looks for, and the format's "
                    "options (give them with --read-option KEY=VALUE)."),
        "demo": ("gazelearn.cli.demo_commands:demo", "Simulate, detect, classify, identify, "
                 "render eyes, train gaze CNNs: one HTML report."),
        "models": ("gazelearn.cli.learn_commands:models", "List the models --model takes, "
                   "with the commands that take each."),
        "export": ("gazelearn.cli.learn_commands:export", "Export a saved network to ONNX, "
                   "checked with onnxruntime before it is written."),
        "tune": ("gazelearn.cli.learn_commands:tune_command", "Tune a model's "
                 "hyper-parameters on windows cut from labelled recordings."),
        "server": ("gazelearn.cli.server_commands:server", "Run the browser app: collection, "
                   "calibration, live gaze, recording."),
        "track": ("gazelearn.cli.track_commands:track", "Track gaze from a video or a camera "
                  "with a calibration profile, or fit a profile."),
        "biometrics": ("gazelearn.cli.biometrics_commands:biometrics_app", "Identify and "
                       "verify people from their eye movements: train an embedding, embed "
                       "recordings, evaluate enrollment/probe protocols."),
        "events": ("gazelearn.cli.events_commands:events_app", "Detect eye-movement events "
                   "and score detectors."),
        "gaze": ("gazelearn.cli.gaze_commands:gaze_app", "Gaze from eye images: train a CNN, "
                 "predict gaze points, calibrate per user."),
        "scanpath": ("gazelearn.cli.scanpath_commands:scanpath_app", "Learn from scanpaths: "
                     "classify recordings (stimulus, expertise), generate scanpaths."),
        "collection": ("gazelearn.cli.server_commands:collection_app", "The browser app's "
                       "collected data: list, export as a manifest, delete a person."),
        "simulate": ("gazelearn.cli.simulate_commands:simulate_app", "Simulate data with "
                     "exact ground truth (synthetic eye images)."),
    }


app = typer.Typer(
    name="gazelearn",
    cls=_Commands,
    help="Deep learning for eye tracking: read recordings, detect events, learn from scanpaths, "
    "track gaze with a webcam.\n\nExample: gazelearn info recording.csv",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gazelearn {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """gazelearn: deep learning for eye tracking."""


def _on_sigterm(signum, frame) -> None:
    """SIGTERM: remove the temporary files being written, end pool workers, exit 143."""
    import os
    import sys

    # gazelearn.io.atomic is imported by whatever writes; if it is not, no temporary file exists
    atomic = sys.modules.get("gazelearn.io.atomic")
    if atomic is not None:
        atomic._on_sigterm(signum, frame)  # does not return
    os._exit(143)


def main() -> None:
    """Run the CLI (the ``gazelearn`` console script).

    Usage mistakes (a missing or unknown option, a bad value) end like every other bad input:
    one line on stderr and exit code 1, instead of Click's framed message and code 2. SIGTERM
    ends the command with code 143 and leaves no temporary file behind.
    """
    import signal
    import sys

    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:  # a server installs its own later
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:  # typer >= 0.20 vendors click; older typer uses click itself
        from typer._click import exceptions as click_exceptions
    except ImportError:  # pragma: no cover
        from click import exceptions as click_exceptions

    try:
        code = app(prog_name="gazelearn", standalone_mode=False)
    except click_exceptions.UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError" and error.ctx is not None:
            # a bare command shows its help, once: the error was made with it as its message
            sys.stdout.write(error.format_message() + "\n")
            sys.exit(0)
        command = error.ctx.command_path if error.ctx else "gazelearn"
        message = " ".join(error.format_message().split())
        sys.stderr.write(f"error: {message} (see '{command} --help')\n")
        sys.exit(1)
    except typer.Abort:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)

