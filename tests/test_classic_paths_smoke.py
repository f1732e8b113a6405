"""Smoke test of benchmarks/classic_paths.py on simulated recordings, so the script cannot rot.

Writes a few simulated recordings in the ETRA 2021 ``paths`` format (``IMG_P.csv``), runs the
script's ``main`` with tiny settings and checks the JSON and the table; then runs ``run`` with
the tutorial-step variant on the same data. Well under 15 s.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from gazelearn.io import read_dataset
from gazelearn.simulate.oculomotor import simulate_recording

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "classic_paths.py"
STIMULI = ("bus", "kot", "nap", "rab")


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("classic_paths", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    sys.path.insert(0, str(SCRIPT.parent))  # as when run: its folder's modules (_report)
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)
        sys.path.remove(str(SCRIPT.parent))


@pytest.fixture(scope="module")
def paths_folder(tmp_path_factory) -> Path:
    """6 participants x 4 pictures, 4 s at 60 Hz each, written as etra-paths files."""
    folder = tmp_path_factory.mktemp("paths")
    seed = 0
    for person in range(10, 16):
        for picture in STIMULI:
            rec = simulate_recording(duration_s=4.0, sampling_rate=60.0, seed=seed)
            seed += 1
            x, y = np.nan_to_num(rec.x), np.nan_to_num(rec.y)  # (0, 0) marks a lost sample
            ms = np.round(rec.time * 1000).astype(int) + 1000
            lines = [f"{t + 5}\tG\t{a:.3f}\t{b:.3f}\tGazeData TS:{t}"
                     for t, a, b in zip(ms, x, y, strict=True)]
            (folder / f"{picture}_{person}.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_main_writes_json_and_table(script, paths_folder, tmp_path, capsys):
    output = tmp_path / "result.json"
    code = script.main(["--data", str(paths_folder), "--output", str(output), "--folds", "3",
                        "--repeats", "1", "--epochs", "2", "--tutorial-step", "0"])
    assert code == 0
    result = json.loads(output.read_text())
    assert result["seed"] == 0 and result["data"]["recordings"] == 24
    assert result["window"]["length"] == 100 and result["window"]["step"] == 100
    assert result["windows"]["velocity_unit"] == "px/s"
    leaky, grouped = (result["protocols"][k] for k in ("a_leaky_random", "b_by_participant"))
    assert leaky["leaky"] is True and grouped["leaky"] is False
    assert leaky["leakage"][0]["test_windows_from_recordings_in_training"] > 0
    for name in ("tree", "forest", "mlp", "conv1d"):
        assert 0 <= grouped["models"][name]["window"]["accuracy"] <= 1
        assert 0 <= grouped["models"][name]["recording"]["accuracy"] <= 1
        assert grouped["models"][name]["train_seconds"] >= 0
        assert len(grouped["models"][name]["folds"]) == 3
    for fold in grouped["models"]["tree"]["folds"]:
        assert len(fold["test_participants"]) == 2
    printed = capsys.readouterr().out
    assert "(b) participants held out, step 100 | conv1d |" in printed
    assert result["command"].startswith(".venv/bin/python benchmarks/classic_paths.py --data")


def test_run_with_tutorial_step(script, paths_folder):
    dataset = read_dataset(paths_folder, format="etra-paths")
    settings = script.Settings(length=40, step=40, folds=2, repeats=2, epochs=1, patience=1,
                               n_estimators=3, tutorial_step=20, tutorial_epochs=1, n_boot=10,
                               models=("tree", "conv1d"), tutorial_fixed_epochs=("conv1d",))
    result = script.run(dataset, settings, log=lambda *_: None)
    assert result["tutorial_windows"]["n_windows"] > result["windows"]["n_windows"]
    extra = result["protocols"]["a_leaky_random_tutorial_step"]
    assert extra["repeats"] == 1
    assert set(extra["models"]) == {"majority", "tree", "conv1d", "conv1d_fixed_epochs"}
    fixed = extra["models"]["conv1d_fixed_epochs"]["runs"][0]
    assert fixed["n_validation_windows"] == 0 and fixed["epochs_run"] == 1
    grouped = result["protocols"]["b_by_participant_tutorial_step"]
    assert grouped["leaky"] is False and set(grouped["models"]) == {"majority", "tree", "conv1d"}
    assert len(result["protocols"]["a_leaky_random"]["models"]["tree"]["window"]["accuracy"]
               ["runs"]) == 2
    assert "(a') leaky random split, step 20" in script.table(result)
