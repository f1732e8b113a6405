"""``gazelearn scanpath``: learn from scanpaths (classify viewers and stimuli, generate scanpaths).

``gazelearn scanpath train RECORDING... --labels LABELS.csv --model NAME --output MODEL``
``gazelearn scanpath predict MODEL RECORDING... --output PRED.csv``
``gazelearn scanpath cv RECORDING... --labels LABELS.csv --model NAME --group-col group --folds K``
``gazelearn scanpath generate MODEL --n 10 --output DIR``
"""

from __future__ import annotations

import typer

from gazelearn.cli.main import app

scanpath_app = typer.Typer(
    help="Learn from scanpaths: classify recordings (stimulus, expertise), generate scanpaths."
    "\n\nExample: gazelearn scanpath cv paths/*.csv --labels labels.csv --model forest",
    no_args_is_help=True,
)
app.add_typer(scanpath_app, name="scanpath")
