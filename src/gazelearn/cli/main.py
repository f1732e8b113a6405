"""Entry point of the ``gazelearn`` command."""

from __future__ import annotations

import typer

from gazelearn import __version__

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


def _register() -> None:
    # Each domain has a module `gazelearn/cli/<domain>_commands.py` that adds its commands to
    # `app`; importing them all here lets a new domain plug in without editing this file.
    import importlib
    import pkgutil

    import gazelearn.cli as package

    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        if module.endswith("_commands"):
            importlib.import_module(f"gazelearn.cli.{module}")


_register()


def main() -> None:
    """Run the CLI (the ``gazelearn`` console script).

    Usage mistakes (a missing or unknown option, a bad value) end like every other bad input:
    one line on stderr and exit code 1, instead of Click's framed message and code 2.
    """
    import sys

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

