"""benchmarks/scanpath_classify.py runs end to end on the real paths data (one quick model)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PATHS = REPO.parent / "shared" / "data" / "etra2021" / "paths"


@pytest.mark.skipif(not PATHS.is_dir(), reason="../shared/data/etra2021/paths not present")
def test_benchmark_runs_on_paths(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import scanpath_classify
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    out = tmp_path / "result.json"
    assert scanpath_classify.main(["--tasks", "paths", "--models", "tree", "--n-boot", "50",
                                   "--output", str(out)]) == 0
    result = json.loads(out.read_text())
    task = result["tasks"]["paths"]
    assert task["recordings"] == 72 and task["participants"] == 18 and not task["leaky"]
    assert set(task["models"]) == {"tree"} and task["best"]["model"] == "tree"
    assert "stratified group 6-fold by group (18 groups)" == task["split"]
    low, high = task["best"]["kappa_ci95_by_participant"]
    assert low <= task["models"][task["best"]["model"]]["recording"]["kappa"] <= high
