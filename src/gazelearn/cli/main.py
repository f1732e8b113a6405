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
    """Run the CLI (the ``gazelearn`` console script)."""
    app()


if __name__ == "__main__":
    main()
