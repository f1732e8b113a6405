"""Scanpath results as reports and figures: cross-validation reports, heat maps on a stimulus.

The scanpath domain returns data (:class:`~gazelearn.scanpath.evaluate.CVResult`, density
maps); the apps turn them into HTML and plots with these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gazelearn.report.html import Report
from gazelearn.report.plots import confusion_matrix, heatmap

if TYPE_CHECKING:  # the domain is only read, never imported at start-up
    from gazelearn.scanpath.evaluate import CVResult
    from gazelearn.screen import Screen


def cross_validation_report(result: CVResult, **report_options: Any) -> Report:
    """An HTML report of a cross-validation: scores, per-class tables, confusion matrices, folds.

    Parameters
    ----------
    result : CVResult
        What :func:`gazelearn.scanpath.evaluate.cross_validate` returned.
    **report_options
        Passed to :class:`~gazelearn.report.Report` (``command=``, ``seed=``, ...).

    Examples
    --------
    >>> from gazelearn.scanpath.evaluate import CVResult
    >>> scores = {"accuracy": 1.0, "kappa": 1.0, "labels": ["a", "b"],
    ...           "confusion": [[1, 0], [0, 1]], "per_class": {"a": {"f1": 1.0}, "b": {"f1": 1.0}}}
    >>> labels = np.array(["a", "b"])
    >>> result = CVResult("tree", labels, "2 folds", labels, labels, np.eye(2), labels, labels,
    ...                   labels, np.array([0, 1]), scores, scores, [{"fold": 0}, {"fold": 1}])
    >>> cross_validation_report(result).to_html().count("data:image/png;base64,")
    2
    """
    report = Report(f"Scanpath classification: {result.model}", data=result.split,
                    **report_options)
    report.facts({"recordings": len(result.recording_true),
                  "windows": len(result.window_true),
                  "recording accuracy": result.recording["accuracy"],
                  "recording kappa": result.recording["kappa"],
                  "window accuracy": result.window["accuracy"],
                  "window kappa": result.window["kappa"]})
    for level, scores in (("Recording level (mean window probability)", result.recording),
                          ("Window level", result.window)):
        report.section(level)
        report.table({name: values for name, values in scores["per_class"].items()},
                     caption="per class")
        report.figure(confusion_matrix(np.asarray(scores["confusion"]), scores["labels"],
                                       title=level))
    report.section("Folds").table(result.folds)
    return report


def overlay(density: np.ndarray, stimulus_image=None, screen: Screen | None = None,
            alpha: float = 0.6, title: str | None = None, ax=None):
    """Draw a heat map over a stimulus image (a matplotlib Figure).

    :func:`gazelearn.report.plots.heatmap` with the scanpath domain's argument names: the map
    (from :func:`gazelearn.scanpath.heatmap`) is stretched over the screen area (or the image),
    its opacity growing with the density up to ``alpha``.

    Examples
    --------
    >>> fig = overlay(np.ones((3, 4)), np.zeros((30, 40, 3), dtype=np.uint8))
    >>> fig.axes[0].get_xlim()
    (0.0, 40.0)
    """
    return heatmap(np.asarray(density, dtype=float), image=stimulus_image, alpha=alpha,
                   screen_size=screen, title=title, ax=ax)
