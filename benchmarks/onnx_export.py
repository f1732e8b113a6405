#!/usr/bin/env python
"""``gazelearn export`` on every kind of network the CLI trains, on real data (issue 18).

Trains each kind the way the README shows, with the smallest settings (1 epoch, few files),
in a scratch folder: ``events train`` (2 Lund 2013 image-viewing recordings), ``scanpath
train --model conv1d`` (16 ETRA 2021 paths, label = picture), ``scanpath train-generator``
(10 ETRA animals recordings, with ``--next-point-model``), ``biometrics train`` (16 GazeCom
recordings, label = subject), ``gaze train --model resnet`` (ETRA 2021 ``eye_left``) and
``scanpath train --model tree`` (refused: not a network). Then ``gazelearn export`` each, and
runs the ONNX graph in ONNX Runtime on *real* inputs against the loaded model's own outputs
(the deep detector's network on a recording's features, the classifier's recording
probabilities as the mean of its windows', the embedder's ``transform``, the generator's first
step, the next-point ``predict``, the gaze CNN's ``predict``): the largest absolute and the
largest relative-above-1 difference, beside the one the command printed on its random probe.

Usage::

    .venv/bin/python benchmarks/onnx_export.py

Writes ``benchmarks/results/onnx_export.json``. About 2 minutes of CPU.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
OUTPUT = REPO / "benchmarks" / "results" / "onnx_export.json"
PRINTED = re.compile(r"max \|diff\| = ([0-9.e+-]+)")


def _files(folder: Path, pattern: str, n: int) -> list[str]:
    return [str(p) for p in sorted(folder.glob(pattern))[:n]]


def training_commands(work: Path) -> dict[str, list[str]]:
    """Each kind's training command (argv after ``gazelearn``), with its label tables."""
    etra, gazecom = DATA / "etra2021", DATA / "gazecom-dev"
    paths = _files(etra / "paths", "*_1[0-3].csv", 16)
    (work / "labels.csv").write_text("recording,label,group\n" + "".join(
        f"{Path(p).stem},{Path(p).stem.split('_')[0]},{Path(p).stem.split('_')[1]}\n"
        for p in paths))
    people = _files(gazecom / "beach", "*.csv", 8) + _files(gazecom / "doves", "*.csv", 8)
    (work / "people.csv").write_text("recording,label\n" + "".join(
        f"{Path(p).stem},{Path(p).stem.split('_')[0]}\n" for p in people))
    lund = _files(DATA / "lund2013-dev" / "img", "*.mat", 2)
    return {
        "deep detector": ["events", "train", *lund, "--epochs", "1", "--output",
                          "det.safetensors"],
        "scanpath conv1d": ["scanpath", "train", *paths, "--labels", "labels.csv", "--model",
                            "conv1d", "--epochs", "1", "--output", "sp.safetensors"],
        "scanpath generator": ["scanpath", "train-generator",
                               *_files(etra / "animals", "A1*.csv", 10), "--stimulus",
                               str(etra / "animals" / "animal-11.jpg"), "--epochs", "1",
                               "--generator-epochs", "1", "--output", "gen.safetensors",
                               "--next-point-model", "np.safetensors"],
        "biometric embedder": ["biometrics", "train", *people, "--labels", "people.csv",
                               "--epochs", "1", "--threads", "1", "--output",
                               "bio.safetensors"],
        "gaze resnet": ["gaze", "train", str(etra / "eye_left"), "--model", "resnet",
                        "--epochs", "1", "--validation", "0", "--output", "gaze.safetensors"],
        "scanpath tree": ["scanpath", "train", *paths, "--labels", "labels.csv", "--model",
                          "tree", "--output", "tree.safetensors"],
    }


MODEL_FILES = {"deep detector": "det", "scanpath conv1d": "sp", "scanpath generator": "gen",
               "next-point predictor": "np", "biometric embedder": "bio",
               "gaze resnet": "gaze", "scanpath tree": "tree"}


def gazelearn(args: list[str], work: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``gazelearn ARGS`` in ``work``; the process and its CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([str(Path(sys.executable).parent / "gazelearn"), *args], cwd=work,
                          capture_output=True, text=True,
                          env={**os.environ, "CI": "1", "OMP_NUM_THREADS": "1"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return done, round(cpu, 1)


def differences(got: np.ndarray, expected: np.ndarray) -> dict[str, float]:
    """Largest absolute and relative-above-1 difference (the export's tolerance measure)."""
    diff = np.abs(np.asarray(got, np.float64) - np.asarray(expected, np.float64))
    return {"max_abs_diff": float(diff.max()),
            "max_diff": float((diff / np.maximum(np.abs(expected), 1.0)).max()),
            "values": int(diff.size)}


def real_input_check(kind: str, model: Path, graph: Path) -> dict[str, float]:
    """ONNX Runtime on real inputs against the loaded model's own outputs."""
    import onnxruntime as ort
    import torch

    from gazelearn.io import read
    from gazelearn.learn import load_model

    session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def onnx(*arrays):
        return session.run(None, {n: np.ascontiguousarray(a, np.float32)
                                  for n, a in zip(names, arrays, strict=True)})

    estimator = load_model(model)
    etra = DATA / "etra2021"
    if kind == "deep detector":
        from gazelearn.detection.deep_inference import detector_features

        recording = read(sorted((DATA / "lund2013-dev" / "img").glob("*.mat"))[3])
        features, _ = detector_features(recording, 500.0, estimator.features)
        with torch.no_grad():
            expected = estimator.network_.eval()(torch.as_tensor(features[None])).numpy()
        return differences(onnx(features[None])[0], expected)
    if kind == "scanpath conv1d":
        recordings = [read(p) for p in sorted((etra / "paths").glob("*_2[0-3].csv"))]
        windows = estimator._windows(recordings, fitting=False)
        per_window = onnx(windows.X)[0]
        proba = np.stack([per_window[windows.recording == i].mean(axis=0)
                          for i in range(len(recordings))])
        return differences(proba, estimator.predict_proba(recordings))
    if kind == "biometric embedder":
        recordings = [read(p) for p in sorted((DATA / "gazecom-dev" / "bridge_1").glob("*"))[:4]]
        windows = estimator.windows(recordings)
        return differences(onnx(windows.X)[0], estimator.transform(windows))
    if kind == "next-point predictor":
        from gazelearn.scanpath.nextpoint import point_sequences

        recordings = [read(p) for p in sorted((etra / "animals").glob("A2*.csv"))[:3]]
        X, _, _ = point_sequences(recordings, estimator.length)
        return differences(onnx(X)[0], estimator.predict(X))
    if kind == "scanpath generator":
        # ten steps of the sampler from the start token, the state carried between calls
        net, n = estimator.network_.eval(), 4
        token = np.zeros((n, 4), np.float32)
        token[:, 3] = 1.0
        h = np.zeros((estimator.layers, n, estimator.hidden), np.float32)
        c, state, worst = h.copy(), None, []
        rng = np.random.default_rng(0)
        for _ in range(10):
            weights, means, sigmas, h, c = onnx(token[:, None], h, c)
            with torch.no_grad():
                params, state = net.step(torch.as_tensor(token), state)
                logits, mu, log_sigma = net.split(params)
            worst.append(differences(np.concatenate([weights[:, 0].ravel(), means.ravel(),
                                                     sigmas.ravel(), h.ravel(), c.ravel()]),
                                     np.concatenate([torch.softmax(logits, -1).numpy().ravel(),
                                                     mu.numpy().ravel(),
                                                     torch.exp(log_sigma).numpy().ravel(),
                                                     state[0].numpy().ravel(),
                                                     state[1].numpy().ravel()])))
            token = np.concatenate([rng.uniform(0, 1, (n, 2)), rng.normal(0, 1, (n, 1)),
                                    np.zeros((n, 1))], axis=1).astype(np.float32)
        return {key: max(w[key] for w in worst) for key in ("max_abs_diff", "max_diff")} | {
            "values": sum(w["values"] for w in worst)}
    if kind == "gaze resnet":
        from gazelearn.appearance.data import load_gaze_data
        from gazelearn.appearance.estimator import as_images

        channels, height, width = estimator.input_shape_
        data = load_gaze_data(etra / "eye_left", mode="L", size=(int(width), int(height)))
        return differences(onnx(as_images(data.images))[0], estimator.predict(data.images))
    raise ValueError(kind)


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from io_speed import write_report

    if not DATA.is_dir():
        raise SystemExit(f"needs the shared data at {DATA}")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        commands = training_commands(work)
        for kind, args in commands.items():
            done, cpu = gazelearn(args, work)
            if done.returncode != 0:
                raise SystemExit(f"{kind}: training failed:\n{done.stdout}{done.stderr}")
            print(f"{kind}: trained ({cpu} s CPU)")
        for kind, stem in MODEL_FILES.items():
            model, graph = work / f"{stem}.safetensors", work / f"{stem}_export.onnx"
            done, cpu = gazelearn(["export", model.name, graph.name], work)
            row = {"kind": kind, "command": f"gazelearn export {model.name} {graph.name}",
                   "exit_code": done.returncode, "export_cpu_seconds": cpu,
                   "output": (done.stdout + done.stderr).strip()}
            if done.returncode == 0:
                printed = PRINTED.search(done.stdout)
                row.update(probe_max_diff=float(printed[1]), onnx_bytes=graph.stat().st_size,
                           real_inputs=real_input_check(kind, model, graph))
            rows.append(row)
            print(f"{kind}: exit {done.returncode}; "
                  + (f"probe {row['probe_max_diff']:.2g}, real inputs max abs "
                     f"{row['real_inputs']['max_abs_diff']:.2g} / max "
                     f"{row['real_inputs']['max_diff']:.2g}" if done.returncode == 0
                     else row["output"][:120]))
    write_report(OUTPUT, "onnx_export", rows, trained_with=" / ".join(
        f"gazelearn {' '.join(a[:2])} ..." for a in commands.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
