"""Helpers shared by all CLI modules: error handling (with option hints), console, KEY=VALUE."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps

import typer
from rich.console import Console
from rich.markup import escape

from gazelearn.errors import GazelearnError, InputError

#: Width of output that goes to a pipe or file: wide enough that no table cell is cut or wrapped
#: (Rich would otherwise fit tables into 80 columns and cut their headers).
PIPE_WIDTH = 10_000

# Markup is off: what the consoles print holds file names, column names such as `L POR X [px]`
# and messages that Rich would read as tags; the few styled words use markup=True with escape().
console = Console(markup=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)
error_console = Console(stderr=True, markup=False)


def error_line(message: str) -> str:
    r"""``error: MESSAGE`` as Rich markup (the word styled, the message escaped, on one line).

    Examples
    --------
    >>> print(error_line("column 'L POR X [px]'   not found"))
    [bold red]error:[/] column 'L POR X \[px]' not found
    """
    return f"[bold red]error:[/] {escape(' '.join(str(message).split()))}"


def fail(message: str) -> None:
    """Print a one-line error to stderr and exit with code 1."""
    error_console.print(error_line(message), markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


#: How the CLI writes the Python arguments that library errors name (:attr:`InputError.params`);
#: any other argument ``name`` is the option ``--name`` (underscores as dashes).
_OPTION_SPELLING = {
    "screen": "--screen-px W H --screen-mm W H --distance-mm D",
    "sampling_rate": "--sampling-rate HZ",
    "extent": "--extent W H",
    "stimulus": "--stimulus IMAGE",
}


def _command_options() -> set[str]:
    """The long options of the command being run (empty outside a command line)."""
    try:  # typer >= 0.20 vendors click; older typer uses click itself
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover
        from click import get_current_context
    context = get_current_context(silent=True)
    if context is None:
        return set()
    return {name for param in context.command.params for name in param.opts}


def option_hint(error: BaseException) -> str:
    """``; on the command line give --x ...``: this command's options for what ``error`` needs.

    Library errors speak the Python API (``pass screen=Screen(...)``); on the command line the
    same advice is an option. Arguments the running command has no option for are left out.

    Examples
    --------
    >>> from gazelearn.errors import MissingScreenError
    >>> option_hint(MissingScreenError("I-VT needs the screen"))  # no command running
    ''
    """
    options = _command_options()
    spelled = []
    for name in getattr(error, "params", ()):
        text = _OPTION_SPELLING.get(name, "--" + name.replace("_", "-"))
        if all(word in options for word in text.split() if word.startswith("--")):
            spelled.append(text)
    return f"; on the command line give {' or '.join(spelled)}" if spelled else ""


def run_safely(function: Callable) -> Callable:
    """Decorate a command so that gazelearn's input errors end in one line and exit code 1.

    The line ends with the command's options for what was missing (see :func:`option_hint`).
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
            fail(str(error) + option_hint(error))
        except KeyboardInterrupt:
            error_console.print("interrupted")
            sys.exit(130)

    return wrapper


VerboseOption = typer.Option(False, "--verbose", help="Also print MediaPipe's and TensorFlow "
                             "Lite's own log lines (hidden by default).")


def show_native_logs(verbose: bool) -> None:
    """``--verbose``: keep MediaPipe's C++ log lines (see :mod:`gazelearn.webcam.native_logs`).

    Set in the environment, so worker processes and the one place MediaPipe is built see it.
    """
    if verbose:
        os.environ["GAZELEARN_VERBOSE"] = "1"


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


def frame_lag_option(value: str, option: str = "--frame-lag") -> int | None:
    """``--frame-lag`` of ``gaze train`` and ``track --calibrate``: ``auto`` -> None (find
    it), else a lag of 0 or more rows.

    Examples
    --------
    >>> frame_lag_option("auto"), frame_lag_option("2")
    (None, 2)
    """
    if value.strip().lower() == "auto":
        return None
    try:
        lag = int(value)
    except ValueError:
        raise InputError(f"{option} must be 'auto' or a whole number of rows, got "
                         f"{value!r}") from None
    if lag < 0:
        raise InputError(f"{option} must be 0 or more, got {lag}")
    return lag
