from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from gazelearn import InputError
from gazelearn.learn import create, save_model
from gazelearn.nn.onnx_export import export_onnx

from .helpers import windows


@pytest.mark.parametrize("name", ["conv1d", "lstm"])
def test_onnx_matches_torch(tmp_path, name):
    X, y, groups = windows()
    X[0, 3, 1] = np.nan  # lost samples are handled inside the graph too
    clf = create(name, epochs=2, device="cpu").fit(X, y, groups=groups)
    report = export_onnx(clf, tmp_path / "m.onnx")
    assert report.ok and report.max_abs_diff < 1e-4
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    proba = session.run(None, {"input": X[:20]})[0]
    np.testing.assert_allclose(proba, clf.predict_proba(X[:20]), atol=1e-4)


def test_onnx_regressor_and_plain_module(tmp_path):
    X, _, _ = windows()
    reg = create("mlp", task="regression", epochs=2, device="cpu").fit(X, X[:, :, 0].mean(1) * 50)
    export_onnx(reg, tmp_path / "r.onnx")
    session = ort.InferenceSession(str(tmp_path / "r.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": X[:5]})[0][:, 0], reg.predict(X[:5]),
                               atol=1e-3)
    module = torch.nn.Linear(3, 2)
    assert export_onnx(module, tmp_path / "p.onnx", example=np.zeros((1, 3))).ok
    with pytest.raises(InputError, match="example"):
        export_onnx(module, tmp_path / "q.onnx")
    with pytest.raises(InputError, match="cannot export"):
        export_onnx(create("tree").fit(X, X[:, 0, 0] > 0), tmp_path / "t.onnx")


def test_export_command(tmp_path):
    from typer.testing import CliRunner

    from gazelearn.cli.main import app

    X, y, groups = windows()
    model = save_model(create("gru", epochs=1, device="cpu").fit(X, y, groups=groups),
                       tmp_path / "gru.safetensors")
    result = CliRunner().invoke(app, ["export", str(model), str(tmp_path / "gru.onnx")])
    assert result.exit_code == 0, result.output
    assert "max |diff|" in result.output and (tmp_path / "gru.onnx").is_file()
    bad = CliRunner().invoke(app, ["export", str(tmp_path / "none.safetensors"),
                                   str(tmp_path / "x.onnx")])
    assert bad.exit_code == 1
