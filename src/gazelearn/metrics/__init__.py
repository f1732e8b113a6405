"""Metrics for all of gazelearn: classification, regression, gaze error, identification,
verification, and bootstrap confidence intervals.

Conventions: labels may be integers or strings; a ratio whose denominator is zero is 0 (as
scikit-learn's ``zero_division=0``), except Cohen's kappa, which is NaN when chance agreement is
already perfect. Scores for verification are "higher means more likely the same person"; pass
distances negated (or ``kind="distance"`` where offered).

Modules: :mod:`~gazelearn.metrics.classification`, :mod:`~gazelearn.metrics.regression` (with
gaze errors), :mod:`~gazelearn.metrics.biometrics`, :mod:`~gazelearn.metrics.bootstrap`,
:mod:`~gazelearn.metrics.quality` (data quality of recordings); import everything from
``gazelearn.metrics``.

Examples
--------
>>> y_true, y_pred = [0, 0, 1, 1], [0, 1, 1, 1]
>>> accuracy(y_true, y_pred), round(cohen_kappa(y_true, y_pred), 3)
(0.75, 0.5)
>>> eer([0.9, 0.8, 0.7], [0.1, 0.2, 0.75])
0.3333333333333333
"""

from gazelearn.metrics.biometrics import (
    RocCurve,
    cmc_curve,
    eer,
    eer_from_rates,
    far_frr,
    frr_at_far,
    rank_k_accuracy,
    roc_curve,
)
from gazelearn.metrics.bootstrap import BootstrapResult, bootstrap_ci
from gazelearn.metrics.classification import (
    accuracy,
    classification_report,
    cohen_kappa,
    confusion_matrix,
    format_report,
    kappa_per_class,
    precision_recall_f1,
)
from gazelearn.metrics.quality import QUALITY_KEYS, data_quality, pooled_std, quality_per_trial
from gazelearn.metrics.regression import (
    ErrorSummary,
    error_deg,
    error_pct_diagonal,
    error_pct_normalized,
    error_px,
    gaze_error,
    mae,
    mse,
    r2,
    rms_s2s,
    rmse,
    summarize_errors,
)

__all__ = [
    "QUALITY_KEYS", "BootstrapResult", "ErrorSummary", "RocCurve", "accuracy", "bootstrap_ci",
    "classification_report", "cmc_curve", "cohen_kappa", "confusion_matrix", "data_quality",
    "eer",
    "eer_from_rates", "error_deg", "error_pct_diagonal", "error_pct_normalized", "error_px",
    "far_frr", "format_report", "frr_at_far", "gaze_error", "kappa_per_class", "mae", "mse",
    "pooled_std", "precision_recall_f1", "quality_per_trial", "r2", "rank_k_accuracy", "rms_s2s",
    "rmse", "roc_curve", "summarize_errors",
]
