"""Scanpath representations: heat maps, scanpath images and per-recording feature vectors.

* :mod:`~gazelearn.scanpath.heatmaps` — fixation-density / saliency maps with a blur in degrees,
  and the measures comparing them (CC, KL, SIM, NSS, AUC-Judd);
* :mod:`~gazelearn.scanpath.images` — the gaze path drawn as an image (the input of image CNNs);
* :mod:`~gazelearn.scanpath.features` — one row of hand-made features per recording (fixations,
  saccades, coverage, recurrence quantification), for classic classifiers.

Examples
--------
>>> from gazelearn.scanpath import heatmap, recording_features, scanpath_image
>>> from gazelearn.simulate import simulate_recording
>>> rec = simulate_recording(duration_s=3.0, seed=2)
>>> heatmap(rec, grid=(32, 18)).shape, scanpath_image(rec, size=(32, 18)).shape
((18, 32), (18, 32))
>>> recording_features(rec)["fixation_count"] > 3
True
"""

from gazelearn.scanpath.features import (
    FEATURE_NAMES,
    coverage,
    feature_table,
    recording_features,
    recurrence_measures,
)
from gazelearn.scanpath.heatmaps import (
    auc_judd,
    blur_sigma_cells,
    cc,
    fixation_map,
    heatmap,
    kl_divergence,
    normalize_map,
    nss,
    similarity,
)
from gazelearn.scanpath.images import scanpath_image, scanpath_images

__all__ = [
    "FEATURE_NAMES",
    "auc_judd",
    "blur_sigma_cells",
    "cc",
    "coverage",
    "feature_table",
    "fixation_map",
    "heatmap",
    "kl_divergence",
    "normalize_map",
    "nss",
    "recording_features",
    "recurrence_measures",
    "scanpath_image",
    "scanpath_images",
    "similarity",
]
