"""Train the deep event detector shipped in the package (src/gazelearn/models/).

Training data: all of ../shared/data/lund2013-dev (29 recordings, 500 Hz, hand labels) and every
4th file of ../shared/data/gazecom-dev (250 Hz, hand labels), as in benchmarks/events_deep.py's
folds; validation split by subject. The configuration options are DeepDetector's (and
events_deep.py's) of the same names; their defaults are the configuration the subject-held-out
cross-validation chose (docs/results.md). Writes the model file and its ONNX graph beside it
(``deep_detector.onnx``, what ``events detect --method deep`` runs). After training the PSO
logit is shifted by ``--pso-bias`` (default ``PSO_LOGIT_SHIFT``, the measured best of
benchmarks/events_deep.py --pso-bias; ``DeepDetector.with_logit_shift``). ``--start MODEL``
skips training and gives MODEL that total shift (what made the shipped model of issue 15 from
the one trained before: the shift is set, not added, so running it twice changes nothing). Run:

    .venv/bin/python tools/train_default_detector.py --threads 1
"""

import argparse
import sys
from pathlib import Path

from gazelearn.detection.deep import DEFAULT_MODEL, PSO_LOGIT_SHIFT, DeepDetector
from gazelearn.io import expand_paths, read, read_dataset

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--features", default="context", choices=["velocity", "context"])
    parser.add_argument("--depth", type=int, default=9)
    parser.add_argument("--window-s", type=float, default=4.0)
    parser.add_argument("--augment", type=int, default=1)
    parser.add_argument("--simulated", type=int, default=10)
    parser.add_argument("--architecture", default="tcn", choices=["tcn", "tcn-gru", "gru"])
    parser.add_argument("--pso-weight", type=float, default=1.0)
    parser.add_argument("--recombined", type=int, default=0)
    parser.add_argument("--pso-bias", type=float, default=PSO_LOGIT_SHIFT,
                        help="total shift of the trained network's PSO logit")
    parser.add_argument("--start", type=Path, default=None,
                        help="no training: give this model file the PSO logit shift")
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    if args.start is not None:
        from gazelearn.learn.modelfile import read_model_info

        detector = DeepDetector.pretrained(args.start)
        done = detector.training_summary_.get("logit_shift", {}).get("pso", 0.0)
        detector = detector.with_logit_shift("pso", args.pso_bias - done)
        info = read_model_info(args.start)["training_data"]
        detector.save(args.output, training_data={
            **{k: v for k, v in info.items() if k in ("lund2013-dev", "gazecom-dev", "seed")},
            "command": info.get("command"),
            "logit_shift_command": " ".join(["python", *sys.argv])})
        print(f"wrote {args.output}: PSO logit shifted by {args.pso_bias} in all")
        raise SystemExit(0)
    lund = list(read_dataset([DATA / "lund2013-dev"], format="lund2013"))
    gazecom_files = expand_paths(DATA / "gazecom-dev", format="gazecom")[::4]
    gazecom = [read(f, format="gazecom") for f in gazecom_files]
    recordings = lund + gazecom
    groups = [f"lund:{r.meta.subject}" for r in lund] + [f"gc:{r.meta.subject}" for r in gazecom]
    detector = DeepDetector(epochs=args.epochs, seed=0, num_threads=args.threads, progress=False,
                            features=args.features, depth=args.depth, window_s=args.window_s,
                            augment=args.augment, simulated=args.simulated,
                            architecture=args.architecture, pso_weight=args.pso_weight,
                            recombined=args.recombined)
    detector.fit(recordings, groups=groups)
    detector = detector.with_logit_shift("pso", args.pso_bias)
    detector.save(args.output, training_data={
        "lund2013-dev": f"all {len(lund)} recordings (GPL-3.0 data, Andersson et al. 2017)",
        "gazecom-dev": f"{len(gazecom)} of 290 recordings, every 4th file (GazeCom, Dorr et al. "
                       "2010; labels Startsev et al. 2019; redistributed by OEMC, MIT)",
        "command": " ".join(["python", *sys.argv]), "seed": 0})
    print(detector.training_summary_)
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e3:.0f} kB)")
