"""Whether to draw progress bars: the one "interactive terminal?" check of gazelearn.

It sits at the bottom layer (standard library only) so that the training loop, the CLI and the
demo all ask the same question.
"""

from __future__ import annotations

import os
import sys


def progress_wanted() -> bool:
    """True on an interactive terminal (stderr is a TTY) unless a CI runner set ``CI``.

    Captured output (pipes, files, test runners) is no terminal, so it gets no bars; set
    ``CI=1`` to turn them off on a terminal too.

    Examples
    --------
    >>> progress_wanted()  # doctests run with captured output: no terminal
    False
    """
    return sys.stderr.isatty() and not os.environ.get("CI")
