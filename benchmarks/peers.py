"""Adapters that run peer detectors on a gazelearn Recording and return gazelearn label codes.

Peers (pinned in ``benchmarks/requirements.txt``):

* REMoDNaV 1.1.2 (Dar, Wagner & Hanke 2021), through its Python API
  (``remodnav.EyegazeClassifier``; its command line breaks on numpy 2). Event labels map to
  gazelearn codes: FIXA fixation, PURS pursuit, SACC/ISAC saccade, HPSO/IHPS/ILPS/LPSO PSO;
  samples REMoDNaV leaves unlabelled become undefined.
* pymovements 0.28 I-VT and I-DT (``pymovements.events.ivt`` / ``idt``), fed the *same* input as
  gazelearn's detectors: positions in degrees (exact atan form) and gazelearn's Savitzky-Golay
  velocity in deg/s, with gazelearn's parameters (30 deg/s and 40 ms; 1.0 deg and 100 ms).
  pymovements returns fixations only: every other valid sample becomes saccade (the two-class
  I-VT / I-DT of Salvucci & Goldberg 2000, as gazelearn's IDT does).

For every peer, lost samples are then labelled as gazelearn labels them for its own detectors
(:func:`gazelearn.detection.postprocess.label_lost_samples`: blink for 50-500 ms of lost data,
undefined otherwise), so blink scores compare the same rule everywhere.

The peers are not project dependencies. They live in ``benchmarks/.venv-peers`` (installed with
``pip install --target``, see ``benchmarks/README.md``), which :func:`enable_peer_path` appends
to ``sys.path`` only when a benchmark asks for a peer, so the project's own numpy (1.26) and
polars always win. A missing peer gives a one-line reason (:func:`peer_status`) and the benchmark
runs without it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gazelearn.detection.postprocess import label_lost_samples
from gazelearn.labels import Label
from gazelearn.preprocess import velocity
from gazelearn.recording import Recording

PEER_DIR = Path(__file__).resolve().parent / ".venv-peers"

#: REMoDNaV event labels -> gazelearn codes.
REMODNAV_LABELS = {
    "FIXA": Label.FIXATION,
    "PURS": Label.PURSUIT,
    "SACC": Label.SACCADE,
    "ISAC": Label.SACCADE,
    "HPSO": Label.PSO,
    "IHPS": Label.PSO,
    "LPSO": Label.PSO,
    "ILPS": Label.PSO,
}

#: The peer methods this module offers, and the module each needs.
PEER_METHODS = {"remodnav": "remodnav", "pm-ivt": "pymovements", "pm-idt": "pymovements"}


def enable_peer_path() -> None:
    """Append ``benchmarks/.venv-peers`` to ``sys.path`` (after the project's packages)."""
    if PEER_DIR.is_dir() and str(PEER_DIR) not in sys.path:
        sys.path.append(str(PEER_DIR))


def peer_status(module: str) -> tuple[str | None, str | None]:
    """``(version, None)`` when ``module`` imports, else ``(None, reason)``."""
    enable_peer_path()
    try:
        imported = importlib.import_module(module)
    except Exception as error:  # ImportError, or a broken dependency inside the peer
        return None, (f"{module} is not installed ({type(error).__name__}: {error}); "
                      "see benchmarks/README.md to install the peers")
    return str(getattr(imported, "__version__", "unknown")), None


def _finish(labels: np.ndarray, recording: Recording) -> np.ndarray:
    return label_lost_samples(labels.astype(np.int8), recording.valid, recording.sampling_rate)


# ---------------------------------------------------------------------------- REMoDNaV
def _remodnav_savgol_length(rate: float, target_s: float = 0.019) -> float:
    """A Savitzky-Golay length (s) that REMoDNaV accepts: ``int(length * rate)`` odd and >= 3.

    REMoDNaV's default 19 ms gives 9 samples at 500 Hz but 4 (rejected) at 250 Hz.
    """
    samples = max(int(round(target_s * rate)), 3)
    if samples % 2 == 0:
        samples += 1
    return (samples + 0.5) / rate


def _savgol_nan_tolerant(values, window_length, polyorder, **kwargs):
    """scipy's ``savgol_filter`` as REMoDNaV expects it to behave with lost data at the ends.

    REMoDNaV filters x/y containing NaN. Since scipy 1.1x the edge fit of the default
    ``mode="interp"`` raises on NaN, so a recording that starts or ends with lost samples crashes
    REMoDNaV; for those we filter with ``mode="nearest"`` (NaN then propagates as it does in
    the interior). Recordings with valid samples at both ends are filtered unchanged.
    """
    from scipy.signal import savgol_filter

    values = np.asarray(values)
    ends = np.concatenate([values[:window_length], values[-window_length:]])
    if kwargs.get("mode", "interp") == "interp" and not np.isfinite(ends).all():
        kwargs["mode"] = "nearest"
    return savgol_filter(values, window_length, polyorder, **kwargs)


def remodnav_predict(recording: Recording, **options) -> np.ndarray:
    """REMoDNaV's per-sample labels for ``recording`` (needs its screen), as gazelearn codes.

    ``px2deg`` is the mean of the horizontal and vertical degrees per pixel of the recording's
    screen (REMoDNaV's ``deg_per_pixel``); all other parameters are REMoDNaV's defaults unless
    given in ``options`` (``EyegazeClassifier`` and ``preproc`` keywords).
    """
    enable_peer_path()
    import remodnav
    import remodnav.clf
    from remodnav.clf import deg_per_pixel

    remodnav.clf.savgol_filter = _savgol_nan_tolerant  # see _savgol_nan_tolerant

    screen = recording.require_screen("REMoDNaV")
    rate = recording.sampling_rate
    px2deg = 0.5 * (deg_per_pixel(screen.width_mm, screen.distance_mm, screen.width_px)
                    + deg_per_pixel(screen.height_mm, screen.distance_mm, screen.height_px))
    preproc_keys = {"min_blink_duration", "dilate_nan", "median_filter_length", "savgol_length",
                    "savgol_polyord", "max_vel"}
    preproc_options = {k: v for k, v in options.items() if k in preproc_keys}
    preproc_options.setdefault("savgol_length", _remodnav_savgol_length(rate))
    clf_options = {k: v for k, v in options.items() if k not in preproc_keys}
    classifier = remodnav.EyegazeClassifier(px2deg=px2deg, sampling_rate=rate, **clf_options)
    data = np.rec.fromarrays([recording.x.copy(), recording.y.copy()], names=["x", "y"])
    import logging

    logging.getLogger("remodnav").setLevel(logging.ERROR)  # it warns per fast sample
    events = classifier(classifier.preproc(data, **preproc_options), classify_isp=True,
                        sort_events=True)
    n = len(recording)
    labels = np.full(n, Label.UNDEFINED, dtype=np.int8)
    for event in events:
        code = REMODNAV_LABELS.get(event["label"])
        if code is None:
            continue
        start = int(round(event["start_time"] * rate))
        stop = int(round(event["end_time"] * rate))
        labels[max(start, 0):min(stop, n)] = code
    return _finish(labels, recording)


# ---------------------------------------------------------------------------- pymovements
def _fixation_events_to_labels(events, n: int) -> np.ndarray:
    """pymovements fixation events (inclusive sample onsets/offsets) -> fixation/saccade codes."""
    labels = np.full(n, Label.SACCADE, dtype=np.int8)
    frame = events.frame if hasattr(events, "frame") else events
    for onset, offset in zip(frame["onset"].to_list(), frame["offset"].to_list(), strict=True):
        labels[int(onset):int(offset) + 1] = Label.FIXATION
    return labels


def pm_ivt_predict(recording: Recording, threshold: float = 30.0, window_s: float = 0.02,
                   min_fixation_s: float = 0.04) -> np.ndarray:
    """pymovements' I-VT on gazelearn's deg/s velocity, with gazelearn IVT's parameters."""
    enable_peer_path()
    from pymovements.events import ivt

    x_deg, y_deg = recording.position_deg()
    rate = recording.sampling_rate
    vx, vy = velocity(x_deg, y_deg, rate, window_s)
    min_samples = max(int(round(min_fixation_s * rate)), 1)
    # timesteps default to sample indices: minimum_duration is in samples (last - first index)
    events = ivt(np.column_stack([vx, vy]), minimum_duration=min_samples - 1,
                 velocity_threshold=threshold)
    labels = _fixation_events_to_labels(events, len(recording))
    labels[np.isnan(vx) | np.isnan(vy)] = Label.UNDEFINED
    return _finish(labels, recording)


def pm_idt_predict(recording: Recording, max_dispersion: float = 1.0,
                   min_duration_s: float = 0.1) -> np.ndarray:
    """pymovements' I-DT on positions in degrees, with gazelearn IDT's parameters."""
    enable_peer_path()
    from pymovements.events import idt

    x_deg, y_deg = recording.position_deg()
    rate = recording.sampling_rate
    min_samples = max(int(round(min_duration_s * rate)), 2)
    events = idt(np.column_stack([x_deg, y_deg]), minimum_duration=min_samples,
                 dispersion_threshold=max_dispersion)
    return _finish(_fixation_events_to_labels(events, len(recording)), recording)


PEER_PREDICT: dict[str, Callable[[Recording], np.ndarray]] = {
    "remodnav": remodnav_predict,
    "pm-ivt": pm_ivt_predict,
    "pm-idt": pm_idt_predict,
}


def peer_predictor(name: str) -> tuple[Callable[[Recording], np.ndarray] | None, str | None]:
    """The predict function of peer ``name``, or ``(None, reason)`` when it is not installed."""
    version, reason = peer_status(PEER_METHODS[name])
    if version is None:
        return None, reason
    return PEER_PREDICT[name], None
