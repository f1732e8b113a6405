"""Biometric results as a report: the numbers, CMC, ROC and DET curves.

The biometrics domain returns a :class:`~gazelearn.biometrics.protocol.BiometricResult`; the
apps render it with :func:`biometric_report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gazelearn.report.html import Report
from gazelearn.report.plots import cmc_curve, det_curve, roc_curve

if TYPE_CHECKING:  # the domain is only read, never imported at start-up
    from gazelearn.biometrics.protocol import BiometricResult


def biometric_report(result: BiometricResult, title: str = "Biometrics",
                     **report_options: Any) -> Report:
    """An HTML :class:`~gazelearn.report.Report` with the numbers, CMC, ROC and DET plots.

    Examples
    --------
    >>> from gazelearn.biometrics.protocol import evaluate_embeddings
    >>> result = evaluate_embeddings(np.eye(2), ["ann", "bob"], np.eye(2), ["ann", "bob"])
    >>> biometric_report(result).to_html().count("data:image/png;base64,")
    3
    """
    numbers = result.to_dict()
    numbers.pop("cmc")
    report = Report(title, **report_options).section("Results")
    report.facts(numbers)
    report.note("Templates: normalised mean embedding of each person's enrollment recordings; "
                "scores: cosine similarity. Chance: rank-k = k / persons, EER = 0.5.")
    report.section("Identification")
    ranks = np.arange(1, len(result.cmc) + 1)
    report.figure(cmc_curve(ranks, result.cmc, title="CMC"))
    report.section("Verification")
    report.figure(roc_curve(result.roc.far, result.roc.tar, title="ROC"))
    report.figure(det_curve(result.roc.far, result.roc.frr, title="DET"))
    return report
