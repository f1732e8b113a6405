"""Train the deep event detector shipped in the package (src/gazelearn/models/).

Training data: all of ../shared/data/lund2013-dev (29 recordings, 500 Hz, hand labels) and every
4th file of ../shared/data/gazecom-dev (250 Hz, hand labels), as in benchmarks/events_deep.py's
folds; validation split by subject. Run:

    .venv/bin/python tools/train_default_detector.py [--threads 1]
"""

import argparse
import sys
from pathlib import Path

from gazelearn.detection.deep import DEFAULT_MODEL, DeepDetector
from gazelearn.io import expand_paths, read, read_dataset

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    lund = list(read_dataset([DATA / "lund2013-dev"], format="lund2013"))
    gazecom_files = expand_paths(DATA / "gazecom-dev", format="gazecom")[::4]
    gazecom = [read(f, format="gazecom") for f in gazecom_files]
    recordings = lund + gazecom
    groups = [f"lund:{r.meta.subject}" for r in lund] + [f"gc:{r.meta.subject}" for r in gazecom]
    detector = DeepDetector(epochs=args.epochs, seed=0, num_threads=args.threads, progress=False)
    detector.fit(recordings, groups=groups)
    detector.save(DEFAULT_MODEL, training_data={
        "lund2013-dev": f"all {len(lund)} recordings (GPL-3.0 data, Andersson et al. 2017)",
        "gazecom-dev": f"{len(gazecom)} of 290 recordings, every 4th file (GazeCom, Dorr et al. "
                       "2010; labels Startsev et al. 2019; redistributed by OEMC, MIT)",
        "command": " ".join(["python", *sys.argv]), "seed": 0})
    print(detector.training_summary_)
    print(f"wrote {DEFAULT_MODEL} ({DEFAULT_MODEL.stat().st_size / 1e3:.0f} kB)")
