"""Train a tiny MLP classifier; run alone or under ``torchrun --nproc_per_node N``.

Usage: python ddp_train.py OUT.json BATCH_SIZE [CHECKPOINT_DIR]

Rank 0 writes the history and the final predictions to OUT.json. Used by test_ddp.py.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from gazelearn.learn import NeuralClassifier
from gazelearn.nn import distributed


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(256, 6)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y, np.arange(256) // 16


def main() -> None:
    out, batch_size = sys.argv[1], int(sys.argv[2])
    checkpoint_dir = sys.argv[3] if len(sys.argv) > 3 else None
    X, y, groups = data()
    clf = NeuralClassifier("mlp", architecture_options={"hidden": (16,), "dropout": 0.0},
                           epochs=6, batch_size=batch_size, lr=0.01, seed=0, device="cpu",
                           checkpoint_dir=checkpoint_dir)
    clf.fit(X, y, groups=groups)
    info = distributed.world()
    if info.is_main:
        with open(out, "w") as handle:
            json.dump({"world_size": info.world_size, "history": clf.history_,
                       "proba": clf.predict_proba(X).tolist(),
                       "accuracy": clf.score(X, y)}, handle)
    distributed.cleanup()


if __name__ == "__main__":
    main()
