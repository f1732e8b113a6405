"""The header every benchmark's JSON report starts with, and writing the report.

Every script in ``benchmarks/`` writes ``benchmarks/results/*.json`` that docs/results.md quotes;
each report says which benchmark made it, when, with which command (so that the number can be
reproduced by pasting it) and on which machine. One function builds that header for all of
them::

    from _report import report_header, write_report
    report = report_header(__file__, argv, task="...", data={...})
    report["results"] = rows
    write_report(path, report)
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gazelearn.io.atomic import atomic_write_bytes
from gazelearn.report.provenance import provenance


def machine() -> dict[str, Any]:
    """Platform, cores and the load average now (the 2-core machine is shared, and a loaded
    one is slower), plus torch's threads when torch is loaded.

    Examples
    --------
    >>> sorted(machine())
    ['cpus', 'load_average', 'platform']
    """
    info: dict[str, Any] = {"cpus": os.cpu_count(), "load_average":
                            [round(v, 2) for v in os.getloadavg()],
                            "platform": platform.platform()}
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
    return info


def command_line(script: str, argv: list[str] | None = None) -> str:
    """The command that reruns the benchmark from the repository's root, as the docs quote it.

    Examples
    --------
    >>> command_line("/repo/benchmarks/io_speed.py", ["--cases", "1h-500hz"])
    '.venv/bin/python benchmarks/io_speed.py --cases 1h-500hz'
    >>> command_line("benchmarks/io_speed.py", [])
    '.venv/bin/python benchmarks/io_speed.py'
    """
    arguments = sys.argv[1:] if argv is None else argv
    return f".venv/bin/python benchmarks/{Path(script).name} {shlex.join(arguments)}".strip()


def report_header(script: str, argv: list[str] | None = None, *, benchmark: str | None = None,
                  **fields: Any) -> dict[str, Any]:
    """``benchmark`` (default: the script's name), ``date`` (UTC), ``command``, ``machine``,
    ``code`` (gazelearn's version and git commit, Python's, numpy's and torch's), then
    ``fields`` in their order.

    Examples
    --------
    >>> header = report_header("benchmarks/io_speed.py", ["--repeat", "5"], task="read speed")
    >>> list(header), header["benchmark"], header["command"]
    (['benchmark', 'date', 'command', 'machine', 'code', 'task'], 'io_speed', \
'.venv/bin/python benchmarks/io_speed.py --repeat 5')
    """
    return {"benchmark": benchmark or Path(script).stem,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command_line(script, argv), "machine": machine(),
            "code": provenance(), **fields}


def write_report(path: Path, report: dict[str, Any], indent: int = 2) -> None:
    """Write ``report`` as indented JSON (its folder made if missing; numpy numbers as floats)
    and say where: the whole file or none (a run stopped while writing keeps the old report)."""
    text = json.dumps(report, indent=indent, default=float) + "\n"
    atomic_write_bytes(path, text.encode())
    print(f"wrote {path}")
