"""``gazelearn models``, ``gazelearn export`` and ``gazelearn tune``: the learning commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from gazelearn.cli.common import console, run_safely
from gazelearn.cli.reader_options import ReaderOptions, reader_options
from gazelearn.errors import InputError

#: Models of ``scanpath train/cv`` that are not estimators of the registry (they combine one).
_SCANPATH_ONLY = {"heatmap-cnn": "2-D CNN (conv2d) on one heat map per recording",
                  "multi": "one network on velocity windows and the recording's heat map"}


def model_commands() -> dict[str, list[str]]:
    """Every model name the CLI takes -> the commands that take it (one registry listing).

    ``tune --model`` takes every classifier of :mod:`gazelearn.learn.registry` that learns from
    windows (``conv2d`` needs images: Python only); ``scanpath train`` and ``scanpath cv``
    take :data:`gazelearn.scanpath.classify.MODELS`.
    """
    from gazelearn.learn.registry import available
    from gazelearn.scanpath.classify import MODELS

    listing: dict[str, list[str]] = {}
    for name in available("classification"):
        if name != "conv2d":  # a CNN on images; heatmap-cnn is the scanpath model built on it
            listing.setdefault(name, []).append("tune")
    for name in MODELS:
        listing.setdefault(name, []).extend(["scanpath train", "scanpath cv"])
    for name in available():
        listing.setdefault(name, [])
    return listing


@run_safely
def models() -> None:
    """List the models --model takes, with the commands that take each.

    One row per name: its tasks (regression variants are for the Python API), what it is and
    the commands whose --model takes it (names without one are for the Python API).

    Example: gazelearn models
    """
    from rich.table import Table

    from gazelearn.learn.registry import entries

    described: dict[str, dict[str, str]] = {}
    for entry in entries():
        described.setdefault(entry.name, {})[entry.task] = entry.description
    table = Table("name", "tasks", "description", "--model of")
    for name, commands in model_commands().items():
        tasks = described.get(name, {"classification": _SCANPATH_ONLY.get(name, "")})
        text = tasks.get("classification") or next(iter(tasks.values()))
        table.add_row(name, ", ".join(tasks), text,
                      ", ".join(commands) or "none (Python API only)")
    console.print(table)


@run_safely
def export(
    model: Path = typer.Argument(..., help="A saved model (file or directory)."),
    output: Path = typer.Argument(..., help="The ONNX file to write."),
    tolerance: float = typer.Option(1e-4, help="Largest accepted onnxruntime-vs-torch "
                                               "difference (absolute; relative for values "
                                               "above 1)."),
) -> None:
    """Export a saved network to ONNX, checked with onnxruntime before it is written.

    Every network gazelearn trains exports (events train, scanpath train with a network,
    scanpath train-generator, biometrics train, gaze train, the neural models): the graph takes
    what the network takes (standardisation, calibration and softmax inside) and carries in its
    metadata what a user needs (sampling rate, classes, window length, screen size...). Prints
    its inputs and outputs (name, dtype, shape with dynamic axes by name, units) and the
    largest difference between onnxruntime and torch on a probe batch; nothing is written when
    it exceeds the tolerance. Models that are not networks (tree, forest...) are refused.
    See docs/learning.md.

    Example: gazelearn export model.safetensors model.onnx
    """
    from gazelearn.learn.modelfile import load_model
    from gazelearn.nn.onnx_export import export_onnx

    if output.resolve() == model.resolve():
        raise InputError(f"the ONNX file {output} would overwrite the model file")
    estimator = load_model(model)
    report = export_onnx(estimator, output, tolerance=tolerance, source=model)
    shapes = ", ".join(f"({', '.join(map(str, t.shape))})" for t in report.inputs)

    def print_plain(text: str) -> None:
        # one line each, never wrapped (programs read them), no highlighting
        console.print(text, soft_wrap=True, highlight=False)

    print_plain(f"wrote {report.path} (input {shapes}); onnxruntime vs torch max |diff| = "
                f"{report.max_diff:.3g} (tolerance {tolerance:g})")
    for kind, tensors in (("input", report.inputs), ("output", report.outputs)):
        for tensor in tensors:
            print_plain(f"  {kind} {tensor.text()}")
    print_plain(f"  metadata_props: {', '.join(sorted(report.metadata))}")


def _parse_space(space: str | None, model: str) -> dict:
    from gazelearn.learn.tune import default_space

    if not space:
        return default_space(model)
    text = Path(space[1:]).read_text() if space.startswith("@") else space
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"--space is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise InputError("--space must be a JSON object of parameter: range or choices")
    return parsed


@run_safely
@reader_options
def tune_command(
    recordings: list[Path] = typer.Argument(..., help="Recording files or folders."),
    labels: Path = typer.Option(..., "--labels", help="CSV: recording (file name or stem), "
                                "label, optional group column."),
    model: str = typer.Option("tree", "--model", help="Registered model (gazelearn models)."),
    trials: int = typer.Option(20, "--trials", min=1, help="Optuna trials."),
    folds: int = typer.Option(5, "--folds", min=2, help="Group k-fold folds."),
    group_col: str = typer.Option("group", "--group-col", help="Group column of the labels "
                                  "table (or a metadata column such as subject); default each "
                                  "recording is its own group."),
    output: Path = typer.Option(..., "--output", help="Study directory (journal, best.json, "
                                "trials.csv)."),
    window: int = typer.Option(100, "--window", min=2, help="Window length in samples."),
    step: int = typer.Option(None, "--step", help="Window step in samples (default: window)."),
    features: str = typer.Option("vx,vy", "--features", help="Comma-separated channels."),
    space: str = typer.Option(None, "--space", help="Search space as JSON, or @file.json; "
                              "default depends on the model."),
    epochs: int = typer.Option(20, "--epochs", help="Epochs of neural models."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the folds, the sampler and "
                             "the models."),
    save_best: bool = typer.Option(False, "--save-best/--no-save-best",
                                   help="Refit the best parameters on all windows and save "
                                   "OUTPUT/best_model.safetensors."),
    reader: ReaderOptions = None,
) -> None:
    """Tune a model's hyper-parameters on windows cut from labelled recordings.

    Every recording gets the label (and group) of its row in the labels table; it is cut into
    windows, and each Optuna trial is scored by group k-fold cross-validation (no group on both
    sides). The study is saved to OUTPUT (Optuna journal) with best.json and trials.csv.

    Example: gazelearn tune data/*.csv --labels labels.csv --model forest --trials 30 --folds 5
    --output studies/forest
    """
    import numpy as np

    from gazelearn.io import read_dataset
    from gazelearn.io.label_table import labels_for, read_label_table
    from gazelearn.learn.modelfile import save_model
    from gazelearn.learn.registry import create
    from gazelearn.learn.tune import tune
    from gazelearn.windows import make_windows

    table = read_label_table(labels, group_col)
    dataset = read_dataset(recordings, **reader.kwargs())
    if len(dataset) == 0:
        raise InputError("no recordings found in the given paths")
    targets, groups = labels_for(dataset, table)
    channels = tuple(c.strip() for c in features.split(",") if c.strip())
    windows = make_windows(dataset, window, step, features=channels, targets=targets,
                           groups=np.asarray(groups, dtype=object).astype(str))
    if len(windows) == 0:
        raise InputError(f"no windows of {window} samples: the recordings are shorter")
    n_groups = len(np.unique(windows.groups))
    if n_groups < folds:
        raise InputError(f"{folds} folds need at least {folds} groups; the windows come from "
                         f"{n_groups}")
    fixed = {"epochs": epochs} if "epochs" in create(model).get_params() else {}
    console.print(f"{len(windows)} windows of {window} samples x {len(windows.channels)} "
                  f"channels from {len(dataset)} recordings, {n_groups} groups")
    study = tune(model, windows.X, windows.y, windows.groups, _parse_space(space, model),
                 n_trials=trials, folds=folds, seed=seed, fixed_params=fixed, output=output)
    if save_best:
        best = create(model, **fixed, **study.best_params).fit(windows.X, windows.y,
                                                                groups=windows.groups)
        rates = sorted({float(r.sampling_rate) for r in dataset if r.sampling_rate})
        path = save_model(best, output / "best_model.safetensors", preprocessing={
            "window_length": window, "step": step or window, "features": list(channels),
            "channels": list(windows.channels), "velocity_unit": windows.velocity_unit,
            "sampling_rate": rates[0] if len(rates) == 1 else rates})
        console.print(f"saved the refitted best model to {path}")
    console.print(f"study saved in {output}")
