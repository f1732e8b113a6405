"""The help screens of every command, and the lazy command tree behind ``gazelearn``.

Typer's own Rich help imports ``rich.markdown`` (and with it markdown-it and pygments) whatever
the markup mode, shows ``<bool>`` on flags, ``{inputs}`` in the usage line and ``<int,int>`` for
options that take two values separated by a space. The classes here draw the same Rich panels
(arguments, options, one panel per ``rich_help_panel``, commands) from the Click parameters, in
the words the command line accepts: ``--screen-px INT INT``, ``INPUTS...``, no type on a flag.
Help and epilog text is shown as written (no markup is read, so ``[px]`` and ``[cluster]``
stay), with single line breaks inside a paragraph joined.

:class:`LazyGroup` imports a command's module only when the command is run or its help is
shown; listing the commands in ``gazelearn --help`` uses the short help stored with each lazy
entry (tests/test_cli_help.py checks it is the command's own). So ``gazelearn --version`` and
``gazelearn --help`` import no command module at all.
"""

from __future__ import annotations

import importlib
import inspect
import io
import os
import shutil
import typing
from collections.abc import Iterable
from enum import Enum

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer >= 0.20 vendors click; older typer uses click itself
    from typer import _click as click
except ImportError:  # pragma: no cover
    import click

_WIDTH_LIMIT = 100  # help lines stay readable on wide terminals

_TYPE_NAMES = {int: "INT", float: "FLOAT", str: "TEXT", bool: "BOOL"}


def _type_name(annotation) -> str:
    """``INT``, ``PATH``, ``a|b`` for one value of ``annotation``."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "|".join(str(member.value) for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, os.PathLike):
        return "PATH"
    return _TYPE_NAMES.get(annotation, "TEXT")


_CLICK_TYPE_NAMES = {"int": "INT", "integer": "INT", "int range": "INT", "float": "FLOAT",
                     "float range": "FLOAT", "boolean": "BOOL", "file": "PATH",
                     "directory": "PATH", "path": "PATH", "filename": "PATH"}


def _click_type_name(kind) -> str:
    """``INT``, ``PATH``, ``a|b``, ``INT INT`` for the Click parameter type typer up to 0.28
    derives from an annotation (its vendored Click differs between releases: by duck type)."""
    if hasattr(kind, "types") and isinstance(kind.types, list | tuple):  # a tuple
        return " ".join(_click_type_name(k) for k in kind.types)
    if getattr(kind, "choices", None):
        return "|".join(str(getattr(c, "value", c)) for c in kind.choices)
    return _CLICK_TYPE_NAMES.get(getattr(kind, "name", ""), "TEXT")


def metavar(param: click.Parameter) -> str:
    """What follows a parameter on the command line: ``PATH``, ``INT INT``, nothing for a flag.

    Examples
    --------
    >>> import typer
    >>> app = typer.Typer()
    >>> @app.command()
    ... def size(size: tuple[int, int] = typer.Option((64, 36)), color: bool = False,
    ...          files: list[str] = typer.Argument(None)) -> None:
    ...     pass
    >>> command = typer.main.get_command(app)
    >>> [metavar(p) for p in command.params]
    ['INT INT', '', 'FILES...']
    """
    if param.param_type_name == "argument":
        name = param.metavar or (param.name or "").upper()
        return name if param.metavar or param.nargs == 1 else f"{name}..."
    if param.metavar is not None:
        return param.metavar
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    descriptor = getattr(param, "type_descriptor", None)  # typer 0.29+ (pydantic-based)
    if descriptor is None:  # typer up to 0.28: the Click type typer derived from the annotation
        return _click_type_name(param.type)
    annotation = descriptor.annotation
    arguments = typing.get_args(annotation)  # list[int] -> (int,); tuple[int, int]
    if descriptor.is_tuple:
        return " ".join(_type_name(a) for a in arguments)
    if descriptor.is_list and arguments:
        annotation = arguments[0]
    if descriptor.is_choice and descriptor.choices:
        return "|".join(str(getattr(c, "value", c)) for c in descriptor.choices)
    if descriptor.is_path:
        return "PATH"
    return _type_name(annotation)


def _default_text(param: click.Option) -> str:
    """``nh``, ``64 36``, ``keep-going``: the default as one would type it, or ''."""
    if not getattr(param, "show_default", True) or param.required:
        return ""
    if isinstance(param.show_default, str):
        return param.show_default
    default = param.default
    if callable(default) or default is None or default == ():
        return ""
    if getattr(param, "is_flag", False):
        if not param.secondary_opts:
            return ""  # a plain flag is off unless given
        opts = param.opts if default else param.secondary_opts
        return opts[0].lstrip("-")
    if isinstance(default, (list, tuple)):
        return " ".join(str(getattr(d, "value", d)) for d in default)
    return str(getattr(default, "value", default))


def _range_text(param: click.Option) -> str:
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f">= {low}"
    if high is not None:
        return f"<= {high}"
    return ""


def paragraphs(text: str) -> list[str]:
    """Help text as paragraphs, single line breaks inside one joined (``\\b`` keeps them).

    Examples
    --------
    >>> paragraphs("Detect events.\\n\\nEvery method's labels go\\nthrough it.")
    ['Detect events.', "Every method's labels go through it."]
    """
    out = []
    for block in inspect.cleandoc(text or "").split("\n\n"):
        if block.startswith("\b"):
            out.append(block.replace("\b\n", "", 1).replace("\b", ""))
        elif block.strip():
            out.append(" ".join(block.split()))
    return out


def short_help(command: click.Command) -> str:
    """The line a group's listing shows for ``command``: its short help or first paragraph."""
    if command.short_help:
        return " ".join(command.short_help.split())
    found = paragraphs(command.help or "")
    return found[0] if found else ""


def _option_rows(params: Iterable[click.Parameter]):
    from rich.text import Text

    for param in params:
        names = ", ".join(param.opts) if param.param_type_name == "option" else metavar(param)
        if param.secondary_opts:
            names += " / " + ", ".join(param.secondary_opts)
        left = Text(names, style="bold cyan")
        shown = metavar(param) if param.param_type_name == "option" else ""
        if shown:
            left.append(" " + shown, style="yellow")
        right = Text(" ".join((getattr(param, "help", None) or "").split()))
        extras = []
        if param.param_type_name == "option":
            default = _default_text(param)
            if default:
                extras.append(f"default: {default}")
            value_range = _range_text(param)
            if value_range:
                extras.append(value_range)
        if param.required:
            extras.append("required")
        if extras:
            right.append(("  " if right else "") + f"[{'; '.join(extras)}]",
                         style="dim red" if param.required else "dim")
        yield left, right


def _panel(console, title: str, rows) -> None:
    from rich.panel import Panel
    from rich.table import Table

    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(max_width=max(20, console.width * 3 // 8), overflow="fold")
    table.add_column(ratio=1)
    for left, right in rows:
        table.add_row(left, right)
    console.print(Panel(table, title=title, title_align="left", border_style="dim"))


def render_help(command: click.Command, ctx: click.Context) -> str:
    """The help screen of ``command`` (a Rich-drawn string; colour only on a terminal)."""
    from rich.console import Console
    from rich.text import Text

    terminal = os.isatty(1) and not os.environ.get("NO_COLOR")
    width = min(shutil.get_terminal_size((80, 24)).columns, _WIDTH_LIMIT)
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, no_color=not terminal,
                      highlight=False, markup=False, emoji=False, soft_wrap=False)
    console.print(Text("Usage: ", style="yellow").append(
        " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)]), style="bold"))
    for paragraph in paragraphs(command.help or ""):
        console.print()
        # an example stays one line (the terminal wraps it), so it can be copied as it is
        console.print(Text(paragraph), soft_wrap=paragraph.startswith(("Example", "$ ")))
    console.print()
    panels: dict[str, list] = {}
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        default = "Arguments" if param.param_type_name == "argument" else "Options"
        panels.setdefault(getattr(param, "rich_help_panel", None) or default, []).append(param)
    for title in sorted(panels, key=lambda t: (t != "Arguments", t != "Options")):
        _panel(console, title, _option_rows(panels[title]))
    if hasattr(command, "list_commands"):  # a group
        listed: dict[str, list] = {}
        for name, entry in command.listing(ctx) if isinstance(command, LazyGroup) else (
                (n, short_help(c)) for n, c in _subcommands(command, ctx)):
            listed.setdefault("Commands", []).append(
                (Text(name, style="bold cyan"), Text(entry)))
        for title, rows in listed.items():
            _panel(console, title, rows)
    for paragraph in paragraphs(command.epilog or ""):
        console.print(Text(paragraph))
    # Rich pads wrapped lines with the space it broke at; keep the lines clean for pipes
    return "\n".join(line.rstrip() for line in out.getvalue().rstrip("\n").splitlines())


def _subcommands(group: TyperGroup, ctx: click.Context):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is not None and not command.hidden:
            yield name, command


def _usage_pieces(command: click.Command, ctx: click.Context) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = metavar(param)
            pieces.append(name if param.required else f"[{name}]")
    return pieces


class Command(TyperCommand):
    """A Typer command whose help is drawn by :func:`render_help`."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return _usage_pieces(self, ctx)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(render_help(self, ctx) + "\n")


class Group(TyperGroup):
    """A Typer group whose help is drawn by :func:`render_help`."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*_usage_pieces(self, ctx), self.subcommand_metavar]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(render_help(self, ctx) + "\n")


class LazyGroup(Group):
    """A group whose commands live in modules imported on first use.

    Subclasses set :attr:`lazy_commands`: command name -> ``("module:attribute", short help)``,
    in listing order; the attribute is a command function or a :class:`typer.Typer` group.
    Commands registered the usual way (``app.command``) come first.
    """

    lazy_commands: dict[str, tuple[str, str]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.lazy_commands
                                                if n not in self.commands)]

    def listing(self, ctx: click.Context) -> list[tuple[str, str]]:
        """``(name, short help)`` of every command, without importing a lazy one."""
        rows = [(name, short_help(command)) for name, command in self.commands.items()
                if not command.hidden]
        return rows + [(name, text) for name, (_, text) in self.lazy_commands.items()
                       if name not in self.commands]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands[cmd_name] = load_command(cmd_name, self.lazy_commands[cmd_name][0])
        return super().get_command(ctx, cmd_name)


def _unset(value) -> bool:
    """A ``cls`` nobody chose: None, Typer's default placeholder or Typer's own class."""
    return (value is None or value is TyperCommand or value is TyperGroup
            or type(value).__name__ == "DefaultPlaceholder")


def use_help_format(app: typer.Typer) -> typer.Typer:
    """Make ``app``'s groups and commands (recursively) draw their help with this module.

    Only classes nobody chose are set, so a command with its own ``cls=`` keeps it.
    """
    if _unset(app.info.cls):
        app.info.cls = Group
    for info in app.registered_commands:
        if _unset(info.cls):
            info.cls = Command
    for group in app.registered_groups:
        if _unset(group.cls):
            group.cls = Group
        if group.typer_instance is not None:
            use_help_format(group.typer_instance)
    return app


def load_command(name: str, target: str) -> click.Command:
    """The Click command ``name`` from ``"module:attribute"`` (a function or a Typer group)."""
    module, _, attribute = target.partition(":")
    obj = getattr(importlib.import_module(module), attribute)
    if isinstance(obj, typer.Typer):
        command = typer.main.get_group(use_help_format(obj))
    else:
        single = typer.Typer(add_completion=False)
        single.command(name, cls=Command)(obj)
        command = typer.main.get_command(single)
    command.name = name
    _name_arguments(command)
    return command


def _name_arguments(command: click.Command) -> None:
    """Arguments carry their usage name (``INPUTS...``), so errors say what the usage shows."""
    for param in getattr(command, "params", ()):
        if param.param_type_name == "argument" and param.metavar is None:
            param.metavar = metavar(param)
    for child in getattr(command, "commands", {}).values():
        _name_arguments(child)
