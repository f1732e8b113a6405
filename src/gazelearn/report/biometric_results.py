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


#: Display names of :meth:`BiometricResult.to_dict`'s keys (the keys stay: JSON is a contract).
BIOMETRIC_LABELS: dict[str, str] = {
    "rank1": "rank-1 identification",
    "rank5": "rank-5 identification",
    "eer": "equal error rate (EER)",
    "frr_at_far_1e-2": "FRR at FAR 1 %",
    "frr_at_far_1e-3": "FRR at FAR 0.1 %",
    "eer_threshold": "EER threshold (cosine similarity)",
    "n_probes": "probes",
    "n_persons": "persons",
    "n_genuine": "genuine pairs",
    "n_impostor": "impostor pairs",
}


def biometric_rows(result: BiometricResult) -> list[dict[str, Any]]:
    """The rates in percent with readable names and what chance would give, one row each.

    Chance: a random ranking (rank-k = k / persons) and random scores (EER 50 %, FRR at a
    FAR of f = 1 - f).

    Examples
    --------
    >>> from gazelearn.biometrics.protocol import evaluate_embeddings
    >>> result = evaluate_embeddings(np.eye(2), ["ann", "bob"], np.eye(2), ["ann", "bob"])
    >>> [(row["measure"], row["value (%)"], row["chance (%)"]) for row in biometric_rows(result)][3]
    ('FRR at FAR 1 %', 0.0, 99.0)
    """
    numbers = result.to_dict()
    chance = {"rank1": result.chance_rank1, "rank5": result.chance_rank5, "eer": 0.5,
              "frr_at_far_1e-2": 1 - 1e-2, "frr_at_far_1e-3": 1 - 1e-3}
    return [{"measure": BIOMETRIC_LABELS[key], "value (%)": 100 * float(numbers[key]),
             "chance (%)": 100 * rate} for key, rate in chance.items()]


def add_biometric_numbers(report: Report, result: BiometricResult) -> Report:
    """The rates table (percent, 1 decimal) and the counts, with readable names."""
    report.table(biometric_rows(result), decimals={"value (%)": 1, "chance (%)": 1},
                 caption="Identification and verification, in % (1 decimal)")
    numbers = result.to_dict()
    report.facts({BIOMETRIC_LABELS[key]: numbers[key]
                  for key in ("n_probes", "n_persons", "n_genuine", "n_impostor",
                              "eer_threshold")})
    return report


def biometric_report(result: BiometricResult, title: str = "Biometrics",
                     **report_options: Any) -> Report:
    """An HTML :class:`~gazelearn.report.Report` with the numbers, CMC, ROC and DET plots.

    Examples
    --------
    >>> from gazelearn.biometrics.protocol import evaluate_embeddings
    >>> result = evaluate_embeddings(np.eye(2), ["ann", "bob"], np.eye(2), ["ann", "bob"])
    >>> html = biometric_report(result).to_html()
    >>> html.count("data:image/png;base64,"), "FRR at FAR 1 %" in html, "frr_at" in html
    (3, True, False)
    """
    report = Report(title, **report_options).section("Results")
    add_biometric_numbers(report, result)
    report.note("Templates: normalised mean embedding of each person's enrollment recordings; "
                "scores: cosine similarity. Chance: rank-k = k / persons, EER = 50 %, FRR at "
                "FAR f = 1 - f.")
    report.section("Identification")
    ranks = np.arange(1, len(result.cmc) + 1)
    report.figure(cmc_curve(ranks, result.cmc, title="CMC"))
    report.section("Verification")
    report.figure(roc_curve(result.roc.far, result.roc.tar, title="ROC"))
    report.figure(det_curve(result.roc.far, result.roc.frr, title="DET"))
    return report
