#!/usr/bin/env python
"""Variants of the blend's CNN training and of the geometry, tried against the pool (issue 16).

Three explorations of session 11 (docs/results.md, "Training variants, the blend's geometry,
fewer and longer networks"), each on the pool protocol of ``benchmarks/webcam_hybrid.py``
(4 contiguous quarters of the 479 pool pairs of ``webcam-crops-dev``, frame i+1 with dot i,
held-out blink frames left out; the test, the last 120 pairs, reported but never chosen on):

``train``
    ``webcam_hybrid.py`` itself with other defaults of :class:`gazelearn.appearance.
    GazeRegressor` (``--regressor '{"batch_size": 16}'``) or of :class:`gazelearn.appearance.
    augment.Augment` (``--augment '{"shift": 1}'``); every other argument goes to
    ``webcam_hybrid.py``. These are not shipped options, so they are set here by subclassing
    for the run.
``crop-tta``
    The default's networks (per quarter, then on the whole pool) predicting from their crops
    and from copies shifted by one pixel (5 or 9 positions, averaged): pool and test errors of
    each, blended with the geometry at the pool's best weights.
``geometry-sweep``
    The geometry alone on the mirrored landmarks (``track``'s default): ``prior_weight`` x
    ``eyelid_prior_weight`` x ``iris_reach_mm``, the 8-cell pool mean and the 9 x 3 cell
    (``webcam_error._cv``), the measure the geometry's defaults were chosen by.

Usage::

    .venv/bin/python benchmarks/webcam_hybrid_variants.py train --augment '{"shift": 1}' -- \
        --networks 3 --epochs 160 --output /tmp/s1.json --predictions /tmp/s1   # ~10 min CPU
    .venv/bin/python benchmarks/webcam_hybrid_variants.py crop-tta --epochs 160 \
        --output /tmp/tta.json   # ~9 min CPU
    .venv/bin/python benchmarks/webcam_hybrid_variants.py geometry-sweep \
        --output /tmp/sweep.json   # seconds (landmarks cached in /tmp)
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import sys
from pathlib import Path

import numpy as np

from _report import report_header, write_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
import webcam_calibration as wc  # noqa: E402
import webcam_error as we  # noqa: E402
import webcam_hybrid as wh  # noqa: E402

SHIFTS = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)]
SWEEP = {"prior_weight": [100.0, 300.0, 1000.0], "eyelid_prior_weight": [10.0, 30.0, 100.0, 300.0],
         "iris_reach_mm": [5.0, 6.0, 8.0]}


def _with_defaults(cls, overrides: dict):
    """``cls`` whose constructor takes ``overrides`` as its defaults (same signature)."""
    known = set(inspect.signature(cls.__init__).parameters) - {"self"}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise SystemExit(f"error: {cls.__name__} has no parameter {', '.join(unknown)} "
                         f"(it has {', '.join(sorted(known))})")
    class Patched(cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, **overrides})

    Patched.__init__.__signature__ = inspect.signature(cls.__init__)  # for get_params
    Patched.__name__ = Patched.__qualname__ = cls.__name__
    return Patched


def train(regressor: dict, augment: dict, rest: list[str], seed_offset: int = 0) -> int:
    import gazelearn.appearance as appearance
    import gazelearn.appearance.estimator as estimator
    from gazelearn.webcam import crop_model

    if seed_offset:  # network s trains with seed s + offset: other seeds, same code path
        base_set_params = crop_model.CropGazeModel.set_params

        def set_params(self, **params):
            if "seed" in params:
                params["seed"] = params["seed"] + seed_offset
            return base_set_params(self, **params)

        crop_model.CropGazeModel.set_params = set_params
    if regressor:
        appearance.GazeRegressor = _with_defaults(appearance.GazeRegressor, regressor)
    if augment:
        estimator.Augment = _with_defaults(estimator.Augment, augment)
    return wh.main(rest)


def _shifted(images: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Images ``(n, h, w, c)`` moved by ``dx``, ``dy`` pixels, edges replicated (as the
    training augmentation pads)."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = images.shape[1:3]
    return padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]


def _shift_predictions(fitted, rows, index) -> dict[str, np.ndarray]:
    g = fitted.landmark_columns
    out: dict[str, list] = {}
    for network in fitted.networks_:
        images = network.images(rows[index, g:])
        for shift in SHIFTS:
            moved = _shifted(images, *shift).reshape(len(index), -1).astype(np.float64)
            out.setdefault(str(shift), []).append(network.predict(moved))
    return {k: np.mean(v, axis=0) for k, v in out.items()}


def crop_tta(epochs: int, networks: int) -> dict:
    import torch

    torch.set_num_threads(1)
    data = wc.load_webcam(wc.DEFAULT_DATA, mirror=True)
    pool, test = wc.pool_and_test(data)
    targets, blink = data["targets"], wc.blink_flags(data)
    rows = wh.rows_with_crops(data, "both")
    held = {str(s): np.full((len(targets), 2), np.nan) for s in SHIFTS}
    geometry = np.full((len(targets), 2), np.nan)
    fold = np.full(len(targets), -1)
    for k, part in enumerate(np.array_split(pool, 4)):
        rest = np.setdiff1d(pool, part)
        fitted = wh.mapper("both", networks, epochs).set_params(min_frames=1).fit(
            rows[rest], targets[rest])
        geometry[part] = fitted.geometry_.predict(rows[part, :fitted.landmark_columns])
        fold[part] = k
        for shift, pred in _shift_predictions(fitted, rows, part).items():
            held[shift][part] = pred
    fitted = wh.mapper("both", networks, epochs).fit(rows[pool], targets[pool])
    test_geometry = fitted.geometry_.predict(rows[test, :fitted.landmark_columns])
    test_pred = _shift_predictions(fitted, rows, test)
    five = [str(s) for s in SHIFTS[:5]]
    out = {}
    for name, keys in (("plain", [str(SHIFTS[0])]), ("5 shifts", five),
                       ("9 shifts", [str(s) for s in SHIFTS])):
        cnn = np.mean([held[k] for k in keys], axis=0)
        chosen = wh.choose_weights({"geometry": geometry, "cnn": cnn, "fold": fold}, targets,
                                   pool, blink)
        w = np.asarray(chosen["best"])
        test_cnn = np.mean([test_pred[k] for k in keys], axis=0)
        out[name] = {"pool": {k: v for k, v in chosen.items() if k != "pool_px"},
                     "test": {"blend": wh.wg.errors((1 - w) * test_geometry + w * test_cnn,
                                                    targets[test]),
                              "cnn_mean": wh.wg.errors(test_cnn, targets[test])}}
        print(f"{name}: pool CNNs {chosen['cnn_pool_px']:.1f} px, blend {chosen['best']} "
              f"{chosen['best_pool_px']:.1f} px; test blend "
              f"{out[name]['test']['blend']['pct']:.2f} %", flush=True)
    return out


def geometry_sweep() -> dict:
    data = wc.load_webcam(wc.DEFAULT_DATA, mirror=True)
    rows, targets = data["rows"], data["targets"]
    pool, _ = wc.pool_and_test(data)
    blink = wc.blink_flags(data)
    out = {"default": we._cv(rows, targets, pool, blink)}
    for values in itertools.product(*SWEEP.values()):
        params = dict(zip(SWEEP, values, strict=True))
        out[json.dumps(params)] = we._cv(rows, targets, pool, blink, **params)
    ranked = sorted(out.items(), key=lambda kv: kv[1]["mean_of_choice_cells"])
    for name, cells in ranked[:8]:
        print(f"{name}: mean of 8 {cells['mean_of_choice_cells']:.1f} px, 9 x 3 "
              f"{cells['k9x3']:.1f} px, all {cells['kallx1']:.1f} px")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("train", help="webcam_hybrid.py with other training defaults")
    t.add_argument("--regressor", type=json.loads, default={}, help="GazeRegressor defaults")
    t.add_argument("--augment", type=json.loads, default={}, help="Augment defaults")
    t.add_argument("--seed-offset", type=int, default=0,
                   help="the networks' seeds start here instead of 0")
    t.add_argument("rest", nargs=argparse.REMAINDER, help="-- then webcam_hybrid.py's arguments")
    c = sub.add_parser("crop-tta", help="test-time shifted crops")
    c.add_argument("--epochs", type=int, default=160)
    c.add_argument("--networks", type=int, default=3)
    c.add_argument("--output", type=Path, required=True)
    s = sub.add_parser("geometry-sweep", help="the geometry's penalties, mirrored landmarks")
    s.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.what == "train":
        rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
        return train(args.regressor, args.augment, rest, args.seed_offset)
    result = (crop_tta(args.epochs, args.networks) if args.what == "crop-tta"
              else geometry_sweep())
    write_report(args.output, {**report_header(__file__, argv), "result": result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
