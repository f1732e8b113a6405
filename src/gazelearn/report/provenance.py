"""Where a number came from: the code version and the software around it.

Benchmarks store :func:`provenance` beside their results so a number can be traced to a commit.

Examples
--------
>>> facts = provenance()
>>> sorted(facts)[:3]
['gazelearn', 'git_commit', 'numpy']
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

_REPOSITORY = Path(__file__).resolve().parents[3]


def git_commit(folder: str | Path | None = None) -> str | None:
    """The checked-out commit of the repository holding ``folder`` (gazelearn's), or None.

    None when git is missing or the package is installed outside a repository.
    """
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder or _REPOSITORY,
                             capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def provenance() -> dict[str, str | None]:
    """Versions of gazelearn, Python, numpy and torch (when imported) and the git commit."""
    import sys

    import numpy as np

    from gazelearn import __version__

    facts = {"gazelearn": __version__, "git_commit": git_commit(),
             "python": platform.python_version(), "numpy": np.__version__}
    if "torch" in sys.modules:
        facts["torch"] = sys.modules["torch"].__version__
    return facts
