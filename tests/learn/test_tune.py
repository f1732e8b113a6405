from __future__ import annotations

import json

import numpy as np
import pytest

from gazelearn import InputError
from gazelearn.learn.tune import default_space, suggest, tune

from .helpers import windows


def test_tune_saves_and_resumes_a_study(tmp_path, capsys):
    X, y, groups = windows()
    space = {"max_depth": {"low": 1, "high": 6}, "criterion": ["gini", "entropy"]}
    study = tune("tree", X, y, groups, space, n_trials=3, folds=3, seed=0, output=tmp_path)
    assert len(study.trials) == 3 and set(study.best_params) == {"max_depth", "criterion"}
    assert "best trial" in capsys.readouterr().out
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["best_params"] == study.best_params and len(best["fold_scores"]) == 3
    assert (tmp_path / "study.journal").is_file() and (tmp_path / "trials.csv").is_file()
    again = tune("tree", X, y, groups, space, n_trials=1, folds=3, seed=0, output=tmp_path,
                 verbose=False)
    assert len(again.trials) == 4  # resumed from the journal


def test_tune_is_seeded_and_works_for_networks(tmp_path):
    X, y, groups = windows()
    space = {"lr": {"low": 1e-3, "high": 1e-1, "log": True}}
    runs = [tune("mlp", X, y, groups, space, n_trials=2, folds=2, seed=1,
                 fixed_params={"epochs": 1, "device": "cpu"}, verbose=False) for _ in range(2)]
    assert [t.params for t in runs[0].trials] == [t.params for t in runs[1].trials]
    assert [t.value for t in runs[0].trials] == [t.value for t in runs[1].trials]
    sqlite = tune("nb", X, y, groups, default_space("nb"), n_trials=1, folds=2,
                  output=tmp_path / "s.db", verbose=False)
    assert len(sqlite.trials) == 1 and (tmp_path / "s.db").is_file()


def test_space_forms_and_errors():
    import optuna

    trial = optuna.trial.FixedTrial({"a": 3, "b": 0.5, "c": "x"})
    assert suggest(trial, {"a": (1, 5), "b": {"low": 0.1, "high": 1.0}, "c": ["x", "y"]}) == {
        "a": 3, "b": 0.5, "c": "x"}
    with pytest.raises(InputError, match="search space entry 'a'"):
        suggest(trial, {"a": 3})
    X, y, groups = windows()
    with pytest.raises(InputError, match="needs groups"):
        tune("tree", X, y, None, {"max_depth": [2]}, n_trials=1)


def test_tune_command_over_recordings(tmp_path):
    from typer.testing import CliRunner

    from gazelearn import Recording
    from gazelearn.cli.main import app
    from gazelearn.io import write_recording

    rng = np.random.default_rng(0)
    rows = ["recording,label,group"]
    for i in range(8):
        label = i % 2
        steps = rng.normal(scale=1.0 + 4.0 * label, size=(400, 2))
        xy = 500 + np.cumsum(steps, axis=0)
        rec = Recording(np.arange(400) / 250.0, xy[:, 0], xy[:, 1])
        write_recording(rec, tmp_path / f"rec{i}.csv")
        rows.append(f"rec{i},{'calm' if label == 0 else 'busy'},p{i // 2}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "study"
    args = ["tune", *[str(tmp_path / f"rec{i}.csv") for i in range(8)], "--labels",
            str(tmp_path / "labels.csv"), "--model", "tree", "--trials", "2", "--folds", "2",
            "--group-col", "group", "--output", str(out), "--window", "50", "--save-best"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "best.json").is_file() and (out / "best_model.safetensors").is_file()
    from gazelearn.learn import read_model_info

    info = read_model_info(out / "best_model.safetensors")
    assert info["preprocessing"]["window_length"] == 50
    assert info["preprocessing"]["sampling_rate"] == pytest.approx(250.0)
    (tmp_path / "bad.csv").write_text("recording,label\nother,1\n")
    bad = CliRunner().invoke(app, [*args[:10], str(tmp_path / "bad.csv"), *args[11:]])
    assert bad.exit_code == 1 and "no label for recording" in bad.output
