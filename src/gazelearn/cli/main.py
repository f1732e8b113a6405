"""Entry point of the ``gazelearn`` command."""

from __future__ import annotations

import typer

from gazelearn import __version__
from gazelearn.cli import (
    biometrics_commands,
    data_commands,
    demo_commands,
    events_commands,
    format_commands,
    gaze_commands,
    learn_commands,
    scanpath_commands,
    server_commands,
    simulate_commands,
    track_commands,
)

app = typer.Typer(
    name="gazelearn",
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


# The command tree, in help order: top-level commands, then the domain groups. Each module owns
# its commands (or its group) and imports nothing from here; heavy libraries (torch,
# scikit-learn, mediapipe, matplotlib, fastapi) load inside the commands, so start-up stays quick.
app.command("info")(data_commands.info)
app.command("convert")(data_commands.convert)
app.command("formats")(format_commands.formats)
app.command("demo")(demo_commands.demo)
app.command("models")(learn_commands.models)
app.command("export")(learn_commands.export)
app.command("tune")(learn_commands.tune_command)
app.command("server")(server_commands.server)
app.command("track")(track_commands.track)
app.add_typer(biometrics_commands.biometrics_app, name="biometrics")
app.add_typer(events_commands.events_app, name="events")
app.add_typer(gaze_commands.gaze_app, name="gaze")
app.add_typer(scanpath_commands.scanpath_app, name="scanpath")
app.add_typer(server_commands.collection_app, name="collection")
app.add_typer(simulate_commands.simulate_app, name="simulate")


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
            sys.stdout.write(error.ctx.get_help() + "\n")  # a bare command shows its help
            sys.exit(0)
        command = error.ctx.command_path if error.ctx else "gazelearn"
        message = " ".join(error.format_message().split())
        sys.stderr.write(f"error: {message} (see '{command} --help')\n")
        sys.exit(1)
    except typer.Abort:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)

