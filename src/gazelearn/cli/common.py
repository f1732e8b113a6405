"""Helpers shared by all CLI modules: error handling, console, quiet progress bars."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps

import typer
from rich.console import Console

from gazelearn.errors import GazelearnError, InputError

console = Console()
error_console = Console(stderr=True)


def fail(message: str) -> None:
    """Print a one-line error to stderr and exit with code 1."""
    error_console.print(f"[bold red]error:[/] {' '.join(str(message).split())}", highlight=False,
                        soft_wrap=True)
    raise typer.Exit(code=1)


def run_safely(function: Callable) -> Callable:
    """Decorate a command so that gazelearn's input errors end in one line and exit code 1.

    Other exceptions are bugs: they keep their traceback so they get reported and fixed. Set
    ``GAZELEARN_DEBUG=1`` to see the traceback of input errors too.
    """

    @wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (GazelearnError, FileNotFoundError, IsADirectoryError, PermissionError) as error:
            if os.environ.get("GAZELEARN_DEBUG"):
                raise
            fail(str(error))
        except KeyboardInterrupt:
            error_console.print("interrupted")
            sys.exit(130)

    return wrapper


def progress_enabled() -> bool:
    """Progress bars only on an interactive terminal, never in CI or tests."""
    return sys.stderr.isatty() and not os.environ.get("CI") and "PYTEST_CURRENT_TEST" not in \
        os.environ


def _parse_value(text: str):
    lowered = text.strip().lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_key_values(items: list[str] | None, option: str) -> dict:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}`` for repeatable ``KEY=VALUE`` options.

    Values become bool, int or float where they read as one; ``-`` in keys becomes ``_``.

    Examples
    --------
    >>> parse_key_values(["threshold=40", "eye=right", "sort=yes"], "--option")
    {'threshold': 40, 'eye': 'right', 'sort': True}
    """
    options = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} {item!r}: expected KEY=VALUE, e.g. threshold=40")
        options[key.strip().replace("-", "_")] = _parse_value(value)
    return options
