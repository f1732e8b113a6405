"""Helpers shared by the plot modules: new Agg figures, axes, input checks."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gazelearn.errors import InputError


def new_figure(figsize: tuple[float, float] = (6.4, 4.8)) -> Figure:
    """A new figure on the Agg canvas (no pyplot, no window)."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def axes_or_new(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.8)) -> tuple[Figure, Axes]:
    """The given axes and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig = new_figure(figsize)
    return fig, fig.add_subplot()


def vector(values: Any, name: str) -> np.ndarray:
    """A flat float array, or InputError naming the argument."""
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers") from None
    return array


def same_length(**arrays: np.ndarray) -> None:
    """InputError unless all arrays have the same length."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise InputError(f"arrays must have the same length: {detail}")
