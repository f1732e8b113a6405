"""Plot helpers shared by every domain: training curves, classification and biometric curves,
gaze over stimuli, scanpaths, heat maps, gaze errors and labelled signals.

Every function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas. Figures are
made without :mod:`matplotlib.pyplot`, so no window ever opens, nothing is registered globally
and nothing needs closing: a figure is freed when the last reference to it goes. Functions that
draw on one axes accept ``ax=`` to draw into an existing figure (and then return that figure).

Event labels always get the same colour, from :data:`LABEL_COLOURS` (Okabe-Ito palette, safe
for colour-blind readers), so a saccade is vermillion in every figure of every report.

Screen coordinates are pixels with the origin at the top-left corner, y pointing down, as in
every gazelearn recording; spatial plots invert the y axis accordingly.

Examples
--------
>>> import numpy as np
>>> fig = confusion_matrix(np.array([[8, 2], [1, 9]]), ["fixation", "saccade"])
>>> sorted(t.get_text().split()[0] for t in fig.axes[0].texts)
['1', '2', '8', '9']
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from gazelearn.errors import InputError
from gazelearn.labels import LABELS
from gazelearn.metrics import eer_from_rates
from gazelearn.report._common import axes_or_new as _axes
from gazelearn.report._common import new_figure as _new_figure
from gazelearn.report._common import same_length as _same_length
from gazelearn.report._common import vector as _vector
from gazelearn.report.spatial import (
    error_vector_panels,
    error_vectors,
    gaze_on_stimulus,
    heatmap,
    heatmap_panels,
    scanpath,
)

__all__ = [
    "LABEL_COLOURS",
    "cmc_curve",
    "confusion_matrix",
    "det_curve",
    "error_vector_panels",
    "error_vectors",
    "gaze_on_stimulus",
    "heatmap",
    "heatmap_panels",
    "label_colour",
    "learning_curves",
    "roc_curve",
    "scanpath",
    "signal_with_events",
]

#: One fixed colour per event label name, shared by all plots (Okabe-Ito palette).
LABEL_COLOURS: dict[str, str] = {
    "undefined": "#BBBBBB",
    "fixation": "#0072B2",
    "saccade": "#D55E00",
    "pso": "#CC79A7",
    "pursuit": "#009E73",
    "blink": "#000000",
}


def label_colour(label: int | str) -> str:
    """Colour of an event label given by code or name.

    Examples
    --------
    >>> label_colour(2), label_colour("Fixation")
    ('#D55E00', '#0072B2')
    """
    if isinstance(label, int | np.integer):
        if not 0 <= int(label) < len(LABELS):
            raise InputError(f"label code must be in 0..{len(LABELS) - 1}, got {label}")
        return LABEL_COLOURS[LABELS[int(label)]]
    try:
        return LABEL_COLOURS[str(label).strip().lower()]
    except KeyError:
        raise InputError(f"unknown event label {label!r}; expected one of {LABELS}") from None


# --------------------------------------------------------------------------------------------
# training


def _history_columns(history: Any) -> dict[str, np.ndarray]:
    if isinstance(history, str | os.PathLike):
        import polars as pl

        try:
            history = pl.read_csv(history)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise InputError(f"cannot read training log: {exc}", source=history) from None
    if hasattr(history, "to_dict") and hasattr(history, "columns"):  # polars DataFrame
        history = {c: history[c].to_list() for c in history.columns}
    if isinstance(history, Mapping):
        columns = {str(k): list(v) for k, v in history.items()}
    elif isinstance(history, Sequence):
        columns = {}
        for row in history:
            if not isinstance(row, Mapping):
                raise InputError("history must be a list of dicts, a dict of lists or a CSV log")
            for key in row:
                columns.setdefault(str(key), [])
        columns = {k: [row.get(k) for row in history] for k in columns}
    else:
        raise InputError("history must be a list of dicts, a dict of lists or a CSV log")
    out = {}
    for key, values in columns.items():
        try:
            out[key] = np.array([np.nan if v is None else v for v in values], dtype=float)
        except (TypeError, ValueError):
            continue  # a text column (e.g. a phase name): not plotted
    return out


def learning_curves(history: Any, title: str | None = None) -> Figure:
    """Plot training curves: losses, other metrics and the learning rate, one panel each.

    Parameters
    ----------
    history : list of dict, dict of lists, polars.DataFrame or path
        One entry per epoch, e.g. ``{"epoch": 1, "train_loss": .., "val_loss": .., "lr": ..}``,
        or the CSV log written by the training loop (columns ``epoch, train_loss, val_loss,
        val_<metric>, lr``). Columns with ``loss`` in the name share the first panel; ``lr``
        gets a log-scale panel; every other numeric column is a metric in the middle panel.
        The epoch with the lowest ``val_loss`` is marked.
    title : str, optional
        Figure title.

    Returns
    -------
    Figure
        One to three axes.

    Examples
    --------
    >>> log = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e + 0.01 * e,
    ...         "val_accuracy": 1 - 0.5 / e, "lr": 1e-3} for e in range(1, 6)]
    >>> len(learning_curves(log).axes)
    3
    """
    columns = _history_columns(history)
    n = len(next(iter(columns.values()), []))
    if n == 0:
        raise InputError("history is empty: nothing to plot")
    epoch = columns.pop("epoch", np.arange(1, n + 1, dtype=float))
    lr = columns.pop("lr", None)
    losses = {k: v for k, v in columns.items() if "loss" in k}
    metrics = {k: v for k, v in columns.items() if "loss" not in k}
    panels = [p for p in (losses, metrics) if p]
    n_axes = len(panels) + (lr is not None)
    if n_axes == 0:
        raise InputError("history has no numeric columns to plot")
    fig = _new_figure((6.4, 2.6 * n_axes))
    axes = fig.subplots(n_axes, 1, sharex=True, squeeze=False)[:, 0]
    marker = "o" if n <= 30 else None
    for ax, panel in zip(axes, panels, strict=False):
        for name, values in panel.items():
            ax.plot(epoch, values, marker=marker, markersize=3, label=name)
        ax.set_ylabel("loss" if panel is losses else "metric")
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    if "val_loss" in losses and np.isfinite(losses["val_loss"]).any():
        best = int(np.nanargmin(losses["val_loss"]))
        axes[0].axvline(epoch[best], color="0.5", linestyle=":", linewidth=1)
        axes[0].plot(
            epoch[best],
            losses["val_loss"][best],
            "k*",
            markersize=10,
            label=f"best val_loss (epoch {epoch[best]:g})",
        )
        axes[0].legend(fontsize="small")
    if lr is not None:
        ax = axes[-1]
        ax.plot(epoch, lr, color="0.3", marker=marker, markersize=3)
        if np.all(lr[np.isfinite(lr)] > 0):
            ax.set_yscale("log")
        ax.set_ylabel("learning rate")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("epoch")
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------------------------
# classification and biometrics


def confusion_matrix(
    matrix: Any,
    labels: Sequence[str] | None = None,
    normalize: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot a confusion matrix with counts and row shares written in every cell.

    Parameters
    ----------
    matrix : array of shape (n, n)
        Counts; rows are true classes, columns predicted classes.
    labels : sequence of str, optional
        Class names; ``0..n-1`` by default.
    normalize : bool, default True
        Colour by the share of each row (recall per class) instead of raw counts.
    title : str, optional
        Axes title.
    ax : Axes, optional
        Draw here instead of a new figure.

    Returns
    -------
    Figure
        The figure; the axes hold one text per cell, ``"<count>\\n<share>%"``.

    Examples
    --------
    >>> fig = confusion_matrix([[5, 0], [2, 3]], ["a", "b"])
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['5\\n100%', '0\\n0%', '2\\n40%', '3\\n60%']
    """
    counts = np.asarray(matrix, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise InputError(f"confusion matrix must be square, got shape {counts.shape}")
    k = counts.shape[0]
    names = [str(i) for i in range(k)] if labels is None else [str(lbl) for lbl in labels]
    if len(names) != k:
        raise InputError(f"{len(names)} labels for a {k}x{k} confusion matrix")
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    values = shares if normalize else counts
    fig, ax = _axes(ax, (1.2 + 0.9 * k, 1.0 + 0.9 * k))
    vmax = 1.0 if normalize else max(float(counts.max()), 1.0)
    ax.imshow(values, cmap="Blues", vmin=0.0, vmax=vmax)
    for i in range(k):
        for j in range(k):
            count = counts[i, j]
            text = f"{count:.0f}" if float(count).is_integer() else f"{count:.3g}"
            colour = "white" if values[i, j] > 0.6 * vmax else "black"
            ax.text(
                j,
                i,
                f"{text}\n{100 * shares[i, j]:.0f}%",
                ha="center",
                va="center",
                color=colour,
                fontsize="small",
            )
    ax.set_xticks(
        range(k),
        names,
        rotation=45 if max(map(len, names)) > 4 else 0,
        ha="right" if max(map(len, names)) > 4 else "center",
    )
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or ("confusion matrix (row shares)" if normalize else "confusion matrix"))
    return fig


def _finish_curve(ax: Axes, xlabel: str, ylabel: str, title: str, legend_loc: str) -> None:
    """Axis labels, title, legend and grid: the same finish for the ROC, DET and CMC curves."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc=legend_loc)
    ax.grid(alpha=0.3)


def roc_curve(
    far: Any, tar: Any, title: str | None = None, log_far: bool = False, ax: Axes | None = None
) -> Figure:
    """Plot a verification ROC curve (true accept rate against false accept rate).

    The equal error rate point (FAR = 1 - TAR) is marked and given in the legend.

    Parameters
    ----------
    far, tar : arrays
        False and true accept rates at the same thresholds.
    title : str, optional
        Axes title.
    log_far : bool, default False
        Logarithmic FAR axis (for low-FAR operating points).
    ax : Axes, optional
        Draw here instead of a new figure.

    Examples
    --------
    >>> far = np.linspace(0, 1, 11); tar = np.sqrt(far)
    >>> fig = roc_curve(far, tar)
    >>> len(fig.axes[0].lines)  # curve, chance line, EER point
    3
    """
    far_a, tar_a = _vector(far, "far"), _vector(tar, "tar")
    _same_length(far=far_a, tar=tar_a)
    eer = eer_from_rates(far_a, 1.0 - tar_a)
    order = np.argsort(far_a, kind="stable")
    fig, ax = _axes(ax, (5.0, 5.0))
    ax.plot(far_a[order], tar_a[order], color="#0072B2", label="ROC")
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="chance")
    ax.plot([eer], [1 - eer], "o", color="#D55E00", label=f"EER = {100 * eer:.2f}%")
    if log_far:
        ax.set_xscale("log")
    else:
        ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    _finish_curve(ax, "false accept rate", "true accept rate", title or "ROC", "lower right")
    return fig


_DET_TICKS = np.array([0.0001, 0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99])


def det_curve(far: Any, frr: Any, title: str | None = None, ax: Axes | None = None) -> Figure:
    """Plot a DET curve (false reject against false accept rate) on normal-deviate axes.

    Both axes are warped by the inverse normal CDF, so a pair of Gaussian score distributions
    gives a straight line (Martin et al. 1997, "The DET curve in assessment of detection task
    performance"). Ticks are labelled in percent. The equal error rate is marked.

    Parameters
    ----------
    far, frr : arrays
        False accept and false reject rates at the same thresholds.
    title : str, optional
        Axes title.
    ax : Axes, optional
        Draw here instead of a new figure.

    Examples
    --------
    >>> far = np.linspace(0.001, 0.5, 20); frr = far[::-1]
    >>> fig = det_curve(far, frr)
    >>> len(fig.axes[0].lines)  # curve, EER line, EER point
    3
    """
    from scipy.special import ndtri

    far_a, frr_a = _vector(far, "far"), _vector(frr, "frr")
    _same_length(far=far_a, frr=frr_a)
    eer = eer_from_rates(far_a, frr_a)
    finite = np.concatenate([far_a, frr_a])
    finite = finite[np.isfinite(finite) & (finite > 0) & (finite < 1)]
    eps = max(float(finite.min()) / 2 if finite.size else 1e-3, 5e-5)
    eps = min(eps, 0.005)  # show the 1 % tick at least

    def warp(p: np.ndarray) -> np.ndarray:
        return ndtri(np.clip(p, eps, 1 - eps))

    order = np.argsort(far_a, kind="stable")
    fig, ax = _axes(ax, (5.0, 5.0))
    ax.plot(warp(far_a[order]), warp(frr_a[order]), color="#0072B2", label="DET")
    lim = warp(np.array([eps, 0.995]))  # rates near 100 % say little; keep the room
    ax.plot(lim, lim, color="0.6", linestyle="--", linewidth=1, label="FAR = FRR")
    ax.plot(
        warp(np.array([eer])),
        warp(np.array([eer])),
        "o",
        color="#D55E00",
        label=f"EER = {100 * eer:.2f}%",
    )
    ticks = _DET_TICKS[_DET_TICKS >= eps]
    labels = [f"{100 * t:g}" for t in ticks]
    ax.set_xticks(warp(ticks), labels)
    ax.set_yticks(warp(ticks), labels)
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)
    _finish_curve(ax, "false accept rate (%)", "false reject rate (%)", title or "DET",
                  "upper right")
    return fig


def cmc_curve(ranks: Any, rates: Any, title: str | None = None, ax: Axes | None = None) -> Figure:
    """Plot a cumulative match characteristic (identification rate by rank).

    Parameters
    ----------
    ranks : array of int
        Ranks (1-based).
    rates : array
        Identification rate at each rank, 0..1.
    title : str, optional
        Axes title.
    ax : Axes, optional
        Draw here instead of a new figure.

    Examples
    --------
    >>> fig = cmc_curve([1, 2, 3, 4], [0.6, 0.8, 0.9, 1.0])
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'rank-1 = 60.0%'
    """
    ranks_a, rates_a = _vector(ranks, "ranks"), _vector(rates, "rates")
    _same_length(ranks=ranks_a, rates=rates_a)
    if ranks_a.size == 0:
        raise InputError("no ranks to plot")
    order = np.argsort(ranks_a)
    ranks_a, rates_a = ranks_a[order], rates_a[order]
    fig, ax = _axes(ax, (5.5, 4.0))
    ax.step(
        ranks_a, rates_a, where="post", color="#0072B2", label=f"rank-1 = {100 * rates_a[0]:.1f}%"
    )
    ax.plot(ranks_a, rates_a, "o", color="#0072B2", markersize=3)
    ax.set_ylim(0, 1.01)
    ax.set_xlim(ranks_a[0] - 0.5, ranks_a[-1] + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _finish_curve(ax, "rank", "identification rate", title or "CMC", "lower right")
    return fig


# --------------------------------------------------------------------------------------------
# signals


def _label_spans(time: np.ndarray, labels: np.ndarray) -> dict[int, list[tuple[float, float]]]:
    """(start, width) of each run of equal labels; edges halfway between samples."""
    n = len(time)
    if n == 0:
        return {}
    if n == 1:
        edges = np.array([time[0] - 0.5, time[0] + 0.5])
    else:
        mid = (time[:-1] + time[1:]) / 2
        edges = np.concatenate(
            [[time[0] - (mid[0] - time[0])], mid, [time[-1] + (time[-1] - mid[-1])]]
        )
    change = np.flatnonzero(np.diff(labels) != 0) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [n]])
    spans: dict[int, list[tuple[float, float]]] = {}
    for a, b in zip(starts, stops, strict=True):
        spans.setdefault(int(labels[a]), []).append((edges[a], edges[b] - edges[a]))
    return spans


def _label_codes(labels: Any, n: int, name: str) -> np.ndarray:
    """Per-sample label codes as ints, or InputError naming the argument."""
    codes = np.asarray(labels)
    if codes.shape != (n,):
        raise InputError(f"{name} has {codes.size} values for {n} samples")
    if codes.size and (codes.min() < 0 or codes.max() >= len(LABELS)):
        raise InputError(f"{name}: label codes must be in 0..{len(LABELS) - 1}")
    return codes.astype(int)


def _draw_spans(ax: Axes, spans: dict[int, list[tuple[float, float]]], alpha: float) -> None:
    """One band collection per label present (undefined gets none), full axes height."""
    for code in sorted(spans):
        if code == 0:
            continue
        ax.broken_barh(
            spans[code],
            (0, 1),
            transform=ax.get_xaxis_transform(),
            facecolors=LABEL_COLOURS[LABELS[code]],
            alpha=alpha,
            linewidth=0,
            label=LABELS[code],
            zorder=0,
        )


def signal_with_events(
    time: Any,
    x: Any,
    y: Any,
    labels: Any = None,
    unit: str = "px",
    title: str | None = None,
    bands: Mapping[str, Any] | None = None,
) -> Figure:
    """Plot horizontal and vertical position over time with a colour band per event label.

    Parameters
    ----------
    time : array
        Sample times in seconds.
    x, y : arrays
        Positions (pixels or degrees, see ``unit``).
    labels : array of int, optional
        Per-sample codes of :class:`gazelearn.labels.Label`; bands behind the traces use
        :data:`LABEL_COLOURS` (undefined samples get no band).
    unit : str, default "px"
        Unit of the positions, for the axis labels.
    title : str, optional
        Figure title.
    bands : dict of str to array of int, optional
        Label sequences to compare, e.g. ``{"true": truth, "I-VT": detected}``: each is a
        strip of coloured event runs under the traces, named on its left, on the same time
        axis, so where a detector disagrees with the truth shows at a glance.

    Returns
    -------
    Figure
        Two axes (x and y) sharing the time axis, then one axes per entry of ``bands``; one
        band collection per label present.

    Examples
    --------
    >>> t = np.arange(6) / 100
    >>> fig = signal_with_events(t, np.arange(6.0), np.zeros(6), [1, 1, 2, 2, 1, 1])
    >>> len(fig.axes), [c.get_label() for c in fig.axes[0].collections]
    (2, ['fixation', 'saccade'])
    >>> fig = signal_with_events(t, np.arange(6.0), np.zeros(6),
    ...                          bands={"true": [1, 1, 2, 2, 1, 1], "found": [1, 1, 1, 2, 2, 1]})
    >>> [ax.get_yticklabels()[0].get_text() for ax in fig.axes[2:]]
    ['true', 'found']
    """
    ta, xa, ya = _vector(time, "time"), _vector(x, "x"), _vector(y, "y")
    _same_length(time=ta, x=xa, y=ya)
    spans: dict[int, list[tuple[float, float]]] = {}
    if labels is not None:
        spans = _label_spans(ta, _label_codes(labels, ta.size, "labels"))
    strips = {str(name): _label_spans(ta, _label_codes(codes, ta.size, f"bands[{name!r}]"))
              for name, codes in (bands or {}).items()}
    fig = _new_figure((9.0, 4.5 + 0.35 * len(strips)))
    axes = fig.subplots(2 + len(strips), 1, sharex=True,
                        gridspec_kw={"height_ratios": [1, 1] + [0.22] * len(strips)})
    for ax, values, name in zip(axes, (xa, ya), ("x", "y"), strict=False):
        _draw_spans(ax, spans, alpha=0.25)
        ax.plot(ta, values, color="0.15", linewidth=1, zorder=2)
        ax.set_ylabel(f"{name} ({unit})")
        ax.grid(alpha=0.3)
    for ax, (name, runs) in zip(axes[2:], strips.items(), strict=True):
        _draw_spans(ax, runs, alpha=0.9)
        ax.set_ylim(0, 1)
        ax.set_yticks([0.5], [name])
        ax.tick_params(axis="y", length=0)
    axes[-1].set_xlabel("time (s)")
    present = sorted({c for runs in [spans, *strips.values()] for c in runs if c != 0})
    if present:
        handles = [
            Patch(facecolor=LABEL_COLOURS[LABELS[c]], alpha=0.9 if strips else 0.4,
                  label=LABELS[c])
            for c in present
        ]
        axes[0].legend(
            handles=handles,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=len(handles),
            fontsize="small",
            frameon=False,
        )
    if title:
        fig.suptitle(title)
    return fig
