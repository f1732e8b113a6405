"""Reports: one self-contained HTML file per result, and the plots every domain shares.

:class:`Report` collects headings, text, tables, facts and figures and writes a single HTML
file (inline CSS, figures as base64 PNG, provenance in the footer). The plot helpers in
:mod:`gazelearn.report.plots` return matplotlib figures drawn with Agg, never opening a window.
Domain results become reports here, not in the domains (which return data):
:mod:`gazelearn.report.scanpath_results` (cross-validation reports, heat maps on a stimulus) and
:mod:`gazelearn.report.biometric_results` (CMC, ROC, DET), imported on demand. The figures of
one recording (``gazelearn plot``: trace, scanpath, fixation heat map, main sequence, quality
per trial) are in :mod:`gazelearn.report.recording_plots`.

Examples
--------
>>> import numpy as np
>>> from gazelearn.report import Report, confusion_matrix
>>> r = Report("Demo", seed=42).section("Results")
>>> _ = r.figure(confusion_matrix(np.array([[3, 1], [0, 4]]), ["fixation", "saccade"]))
>>> r.to_html().count("data:image/png;base64,")
1
"""

from gazelearn.report.html import (
    PNG_SIGNATURE,
    Report,
    figure_to_png_bytes,
    format_value,
    save_figure,
)
from gazelearn.report.plots import (
    LABEL_COLOURS,
    cmc_curve,
    confusion_matrix,
    det_curve,
    error_vector_panels,
    error_vectors,
    gaze_on_stimulus,
    heatmap,
    heatmap_panels,
    label_colour,
    learning_curves,
    roc_curve,
    scanpath,
    signal_with_events,
)
from gazelearn.report.recording_plots import (
    fixation_heatmap,
    fixation_scanpath,
    main_sequence,
    main_sequence_band,
    quality_bars,
    saccade_measures,
    trace,
)

__all__ = [
    "LABEL_COLOURS",
    "PNG_SIGNATURE",
    "Report",
    "cmc_curve",
    "confusion_matrix",
    "det_curve",
    "error_vector_panels",
    "error_vectors",
    "figure_to_png_bytes",
    "fixation_heatmap",
    "fixation_scanpath",
    "format_value",
    "gaze_on_stimulus",
    "heatmap",
    "heatmap_panels",
    "label_colour",
    "learning_curves",
    "main_sequence",
    "main_sequence_band",
    "quality_bars",
    "roc_curve",
    "saccade_measures",
    "save_figure",
    "scanpath",
    "signal_with_events",
    "trace",
]
