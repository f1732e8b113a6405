"""``gazelearn formats``: the file formats gazelearn reads, and how ``--format auto`` finds them.

:mod:`gazelearn.cli.main` registers it as a top-level command.
"""

from __future__ import annotations

import json

import typer

from gazelearn.cli.common import console, run_safely


@run_safely
def formats(
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON (a list)."),
) -> None:
    """List the formats --format takes: name, description, what auto-detection looks for,
    and the format's options (give them with --read-option KEY=VALUE).

    Example: gazelearn formats

    Example: gazelearn formats --json
    """
    from gazelearn.io.detect import format_table

    rows = format_table()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table("format", "description", "--format auto looks for", "options")
    for row in rows:
        table.add_row(row["name"], row["description"], row["detection"],
                      ", ".join(row["options"]) or "-")
    console.print(table)
