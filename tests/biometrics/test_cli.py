"""gazelearn biometrics train -> embed -> evaluate on synthetic recordings, and bad input."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from gazelearn.cli.main import app
from gazelearn.io import write_recording
from gazelearn.simulate import simulate_population

runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """6 persons x 2 sessions: session 0 in enroll/, session 1 in probe/, plus labels.csv."""
    root = tmp_path_factory.mktemp("bio")
    data = simulate_population(n_subjects=6, recordings_per_subject=2, duration_s=8.0,
                               sampling_rate=100.0, seed=2)
    rows = []
    for rec in data:
        part = "enroll" if rec.meta.session == "0" else "probe"
        name = f"{rec.meta.subject}_{part}.csv"
        (root / part).mkdir(exist_ok=True)
        write_recording(rec, root / part / name)
        rows.append({"recording": name, "label": f"person-{rec.meta.subject}"})
    pl.DataFrame(rows).write_csv(root / "labels.csv")
    return root


@pytest.fixture(scope="module")
def model(folder):
    path = folder / "bio.safetensors"
    result = runner.invoke(app, ["biometrics", "train", str(folder / "enroll"),
                                 "--labels", str(folder / "labels.csv"), "--output", str(path),
                                 "--epochs", "2", "--embedding-dim", "8", "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "6 persons" in result.output
    return path


def test_embed_writes_one_row_per_recording(folder, model):
    out = folder / "emb.csv"
    result = runner.invoke(app, ["biometrics", "embed", str(model), str(folder / "probe"),
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert table.columns == ["recording"] + [f"e{j}" for j in range(8)]
    assert sorted(table["recording"]) == sorted(p.name for p in (folder / "probe").glob("*.csv"))
    norms = (table.drop("recording").to_numpy() ** 2).sum(axis=1)
    assert norms == pytest.approx(1.0, abs=1e-6)


def test_evaluate_prints_rates_and_writes_report(folder, model):
    report, numbers = folder / "bio.html", folder / "bio.json"
    result = runner.invoke(app, [
        "biometrics", "evaluate", str(model),
        "--enroll", str(folder / "enroll" / "s0[0-2]_enroll.csv"),
        "--enroll", str(folder / "enroll" / "s0[3-5]_enroll.csv"),
        "--probe", str(folder / "probe"), "--labels", str(folder / "labels.csv"),
        "--report", str(report), "--json", str(numbers)])
    assert result.exit_code == 0, result.output
    for text in ("rank-1", "rank-5", "EER", "FAR 1e-2", "FAR 1e-3", "6 persons"):
        assert text in result.output
    values = json.loads(numbers.read_text())
    assert values["n_persons"] == 6 and values["n_probes"] == 6
    assert values["chance_rank1"] == pytest.approx(1 / 6)
    html = report.read_text()
    assert html.count("data:image/png;base64,") == 3  # CMC, ROC, DET


def test_missing_label_is_one_line_error(folder, model, tmp_path):
    partial = tmp_path / "partial.csv"
    pl.read_csv(folder / "labels.csv").filter(pl.col("recording") != "s00_probe.csv") \
        .write_csv(partial)
    result = runner.invoke(app, ["biometrics", "evaluate", str(model), "--enroll",
                                 str(folder / "enroll"), "--probe", str(folder / "probe"),
                                 "--labels", str(partial)])
    assert result.exit_code == 1
    assert "no label for recording 's00_probe.csv'" in result.output


def test_unknown_file_and_unenrolled_person_are_errors(folder, model, tmp_path):
    result = runner.invoke(app, ["biometrics", "embed", str(model), str(tmp_path / "nope.csv"),
                                 "--output", str(tmp_path / "e.csv")])
    assert result.exit_code == 1 and "file not found" in result.output
    result = runner.invoke(app, ["biometrics", "evaluate", str(model), "--enroll",
                                 str(folder / "enroll" / "s00_enroll.csv"), "--enroll",
                                 str(folder / "enroll" / "s01_enroll.csv"), "--probe",
                                 str(folder / "probe"), "--labels", str(folder / "labels.csv")])
    assert result.exit_code == 1 and "not enrolled" in result.output
    result = runner.invoke(app, ["biometrics", "embed", str(folder / "labels.csv"),
                                 str(folder / "probe"), "--output", str(tmp_path / "e.csv")])
    assert result.exit_code == 1 and "not a gazelearn model file" in result.output


def test_model_file_lists_its_training_files_by_content_hash(folder, model):
    import hashlib

    from gazelearn.learn import read_model_info

    files = read_model_info(model)["training_data"]["files"]
    enrolled = sorted((folder / "enroll").glob("*.csv"))
    assert sorted(f["name"] for f in files) == [p.name for p in enrolled]
    by_name = {f["name"]: f["sha256"] for f in files}
    for path in enrolled:
        assert by_name[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_probes_seen_in_training_are_refused_unless_allowed(folder, model, tmp_path):
    # a training recording under a new name in the probe folder: caught by its content
    probe = tmp_path / "probe"
    probe.mkdir()
    for path in (folder / "probe").glob("*.csv*"):  # recordings and their .json sidecars
        (probe / path.name).write_bytes(path.read_bytes())
    for suffix in ("", ".json"):
        (probe / f"renamed.csv{suffix}").write_bytes(
            (folder / "enroll" / f"s00_enroll.csv{suffix}").read_bytes())
    labels = pl.concat([pl.read_csv(folder / "labels.csv"),
                        pl.DataFrame({"recording": ["renamed.csv"], "label": ["person-s00"]})])
    labels.write_csv(tmp_path / "labels.csv")
    args = ["biometrics", "evaluate", str(model), "--enroll", str(folder / "enroll"),
            "--probe", str(probe), "--labels", str(tmp_path / "labels.csv")]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1
    assert "1 of 7 probe recordings were in the model's training data (renamed.csv)" \
        in refused.output
    assert "--allow-seen" in refused.output
    allowed = runner.invoke(app, [*args, "--allow-seen", "--json", str(tmp_path / "r.json")])
    assert allowed.exit_code == 0, allowed.output
    assert "WARNING: 1 of 7 probe recordings" in allowed.output
    assert json.loads((tmp_path / "r.json").read_text())["n_probes"] == 7
    # the closed-set protocol: enrollment recordings from training are named, not refused
    plain = runner.invoke(app, args[:5] + ["--probe", str(folder / "probe"),
                                           "--labels", str(folder / "labels.csv")])
    assert plain.exit_code == 0, plain.output
    assert "note: 6 of 6 enrollment recordings were in the training data" in plain.output


def test_skip_unenrolled_leaves_out_and_counts_the_probes(folder, model, tmp_path):
    numbers = tmp_path / "bio.json"
    result = runner.invoke(app, ["biometrics", "evaluate", str(model), "--enroll",
                                 str(folder / "enroll" / "s0[0-2]_enroll.csv"), "--probe",
                                 str(folder / "probe"), "--labels", str(folder / "labels.csv"),
                                 "--skip-unenrolled", "--json", str(numbers)])
    assert result.exit_code == 0, result.output
    assert ("skipped 3 probe recordings of 3 persons not enrolled: person-s03, person-s04, "
            "person-s05") in result.output
    values = json.loads(numbers.read_text())
    assert values["n_probes"] == 3 and values["n_persons"] == 3
