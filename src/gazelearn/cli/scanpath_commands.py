"""``gazelearn scanpath``: learn from scanpaths (classify viewers and stimuli, generate scanpaths).

``gazelearn scanpath train RECORDING... --labels LABELS.csv --model NAME --output MODEL``
``gazelearn scanpath predict MODEL RECORDING... --output PRED.csv``
``gazelearn scanpath cv RECORDING... --labels LABELS.csv --model NAME --group-col group --folds K``
``gazelearn scanpath generate MODEL --n 10 --output DIR``
"""

from __future__ import annotations

from pathlib import Path

import typer

from gazelearn.cli import scanpath_generate_commands as generation
from gazelearn.cli.common import console, run_safely
from gazelearn.cli.reader_options import ReaderOptions, reader_options
from gazelearn.errors import InputError

scanpath_app = typer.Typer(
    help="Learn from scanpaths: classify recordings (stimulus, expertise), generate scanpaths."
    "\n\nExample: gazelearn scanpath cv paths/*.csv --labels labels.csv --model forest",
    no_args_is_help=True,
)


# ---------------------------------------------------------------------------- classification
_MODEL_HELP = ("tree, forest, knn, svm, lda, nb, mlp, conv1d, lstm, gru (velocity windows), "
               "heatmap-cnn (2-D CNN on heat maps) or multi (windows + heat map); 'gazelearn "
               "models' describes each.")
_PANEL = "Model"


def _classifier_options(window: int, step: int | None, features: str, grid: tuple[int, int],
                        sigma_deg: float, sigma_px: float | None,
                        extent: tuple[float, float] | None, epochs: int, batch_size: int,
                        lr: float, patience: int, threads: int | None,
                        options: list[str] | None) -> dict:
    from gazelearn._terminal import progress_wanted
    from gazelearn.cli.common import parse_key_values

    channels = tuple(c.strip() for c in features.split(",") if c.strip())
    return {"window": window, "step": step, "features": channels, "grid": tuple(grid),
            "sigma_deg": sigma_deg, "sigma_px": sigma_px,
            "extent": None if extent is None or None in extent else tuple(extent),
            "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "patience": patience or None, "num_threads": threads,
            "progress": progress_wanted(),
            "model_options": parse_key_values(options, "--option") or None}


def _labelled(recordings: list[Path], labels: Path, group_col: str, reader):
    from gazelearn.io import read_dataset
    from gazelearn.io.label_table import labels_for, read_label_table

    table = read_label_table(labels, group_col)
    dataset = read_dataset(recordings, **reader.kwargs())
    if len(dataset) == 0:
        raise InputError("no recordings found in the given paths")
    targets, groups = labels_for(dataset, table)
    return dataset, targets, [str(g) for g in groups]


WindowOption = typer.Option(100, "--window", min=2, help="Window length in samples.",
                            rich_help_panel=_PANEL)
StepOption = typer.Option(None, "--step", min=1, help="Window step in samples (default: half a "
                          "window).", rich_help_panel=_PANEL)
FeaturesOption = typer.Option("vx,vy", "--features", help="Window channels, comma-separated "
                              "(velocities in deg/s with a screen, else px/s).",
                              rich_help_panel=_PANEL)
GridOption = typer.Option((32, 24), "--grid", help="Heat-map size W H in cells.",
                          rich_help_panel=_PANEL)
SigmaDegOption = typer.Option(1.0, "--sigma-deg", help="Heat-map blur in degrees (recordings "
                              "with a screen).", rich_help_panel=_PANEL)
SigmaPxOption = typer.Option(None, "--sigma-px", help="Heat-map blur in px for recordings "
                             "without a screen (default: 1/40 of the screen area's width).",
                             rich_help_panel=_PANEL)
ExtentOption = typer.Option(None, "--extent", help="Screen area W H in px for "
                            "recordings without a screen (default: learned from the training "
                            "gaze, 99th percentile).", rich_help_panel=_PANEL)
EpochsOption = typer.Option(30, "--epochs", min=1, help="Largest number of epochs (networks).",
                            rich_help_panel=_PANEL)
BatchOption = typer.Option(32, "--batch-size", min=1, help="Batch size (networks).",
                           rich_help_panel=_PANEL)
LrOption = typer.Option(1e-3, "--lr", help="Learning rate (networks).", rich_help_panel=_PANEL)
PatienceOption = typer.Option(10, "--patience", min=0, help="Early-stopping patience on held-out "
                              "groups (0: train all epochs).", rich_help_panel=_PANEL)
ThreadsOption = typer.Option(None, "--threads", min=1, help="CPU threads for torch.",
                             rich_help_panel=_PANEL)
OptionOption = typer.Option(None, "--option", help="Model option KEY=VALUE, e.g. "
                            "n_estimators=300 (forest). Repeatable.", rich_help_panel=_PANEL)


@scanpath_app.command("train")
@run_safely
@reader_options
def train(
    recordings: list[Path] = typer.Argument(..., help="Recording files or folders."),
    labels: Path = typer.Option(..., "--labels", help="CSV: recording (file name or stem), "
                                "label, optional group column."),
    model: str = typer.Option(..., "--model", "-m", help=_MODEL_HELP),
    output: Path = typer.Option(..., "--output", help="Model file to write (.safetensors)."),
    group_col: str = typer.Option("group", "--group-col", help="Group column of the labels table "
                                  "(or a metadata column such as subject): networks validate on "
                                  "whole groups."),
    seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same model."),
    window: int = WindowOption, step: int = StepOption, features: str = FeaturesOption,
    grid: tuple[int, int] = GridOption, sigma_deg: float = SigmaDegOption,
    sigma_px: float = SigmaPxOption, extent: tuple[float, float] | None = ExtentOption,
    epochs: int = EpochsOption, batch_size: int = BatchOption, lr: float = LrOption,
    patience: int = PatienceOption, threads: int = ThreadsOption,
    option: list[str] = OptionOption,
    reader: ReaderOptions = None,
) -> None:
    """Train a recording-level classifier (picture viewed, expertise, ...) and save it.

    Window models classify velocity windows and average their probabilities per recording;
    heatmap-cnn classifies one heat map per recording; multi combines both.

    Example: gazelearn scanpath train paths/*.csv --labels labels.csv --model forest
    --output forest.safetensors
    """
    from gazelearn.learn.modelfile import save_model
    from gazelearn.scanpath.classify import ScanpathClassifier

    dataset, targets, groups = _labelled(recordings, labels, group_col, reader)
    clf = ScanpathClassifier(model, seed=seed, **_classifier_options(
        window, step, features, grid, sigma_deg, sigma_px, extent, epochs, batch_size, lr,
        patience, threads, option))
    clf.fit(list(dataset), targets, groups=groups)
    path = save_model(clf, output, training_data={
        "recordings": len(dataset), "groups": len(set(groups)), "labels_file": str(labels)})
    console.print(f"trained {model} on {len(dataset)} recordings ({clf.n_windows_} "
                  f"{'maps' if clf.kind_ == 'map' else 'windows'}, classes "
                  f"{', '.join(map(str, clf.classes_))}); wrote {path}")


@scanpath_app.command("predict")
@run_safely
@reader_options
def predict(
    model: Path = typer.Argument(..., help="A model from gazelearn scanpath train."),
    recordings: list[Path] = typer.Argument(..., help="Recording files or folders."),
    output: Path = typer.Option(..., "--output", help="CSV to write: recording, label, "
                                "p_CLASS..."),
    reader: ReaderOptions = None,
) -> None:
    """Predict one label per recording, with the probability of every class.

    Example: gazelearn scanpath predict forest.safetensors new/*.csv --output pred.csv
    """
    import polars as pl

    from gazelearn.io import read_dataset
    from gazelearn.io.atomic import atomic_write
    from gazelearn.scanpath.classify import load_classifier

    clf = load_classifier(model)
    dataset = read_dataset(recordings, **reader.kwargs())
    if len(dataset) == 0:
        raise InputError("no recordings found in the given paths")
    proba = clf.predict_proba(list(dataset))
    names = [Path(rec.meta.source).name if rec.meta.source else f"recording {i}"
             for i, rec in enumerate(dataset)]
    table = pl.DataFrame({"recording": names,
                          "label": [str(v) for v in clf.classes_[proba.argmax(axis=1)]],
                          **{f"p_{c}": proba[:, j] for j, c in enumerate(clf.classes_)}})
    with atomic_write(output) as temp:
        table.write_csv(temp)
    console.print(f"predicted {len(names)} recordings; wrote {output}")


@scanpath_app.command("cv")
@run_safely
@reader_options
def cv(
    recordings: list[Path] = typer.Argument(..., help="Recording files or folders."),
    labels: Path = typer.Option(..., "--labels", help="CSV: recording (file name or stem), "
                                "label, optional group column."),
    model: str = typer.Option(..., "--model", "-m", help=_MODEL_HELP),
    group_col: str = typer.Option("group", "--group-col", help="Group column of the labels table "
                                  "(or a metadata column such as subject): leave these groups "
                                  "out; without one, leave recordings out."),
    folds: int = typer.Option(5, "--folds", min=2, help="Number of folds."),
    report: Path = typer.Option(None, "--report", help="Also write an HTML report with plots."),
    seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same model."),
    window: int = WindowOption, step: int = StepOption, features: str = FeaturesOption,
    grid: tuple[int, int] = GridOption, sigma_deg: float = SigmaDegOption,
    sigma_px: float = SigmaPxOption, extent: tuple[float, float] | None = ExtentOption,
    epochs: int = EpochsOption, batch_size: int = BatchOption, lr: float = LrOption,
    patience: int = PatienceOption, threads: int = ThreadsOption,
    option: list[str] = OptionOption,
    reader: ReaderOptions = None,
) -> None:
    """Cross-validate a classifier on group folds; print accuracy, kappa, per-class report and
    confusion matrix at recording and window level.

    Example: gazelearn scanpath cv paths/*.csv --labels labels.csv --model forest
    --group-col group --folds 6 --report cv.html
    """
    import shlex
    import sys

    from gazelearn.report.scanpath_results import cross_validation_report
    from gazelearn.scanpath.evaluate import cross_validate

    dataset, targets, groups = _labelled(recordings, labels, group_col, reader)
    options = _classifier_options(window, step, features, grid, sigma_deg, sigma_px, extent,
                                  epochs, batch_size, lr, patience, threads, option)
    result = cross_validate(list(dataset), targets, groups, model=model, folds=folds, seed=seed,
                            log=console.print if options["progress"] else None, **options)
    console.print(result.summary(), highlight=False, markup=False, soft_wrap=True)
    if report is not None:
        path = cross_validation_report(
            result, command="gazelearn " + shlex.join(sys.argv[1:])).save(report)
        console.print(f"wrote {path}")


# Generation has its own module (scanpath_generate_commands); its commands join this group after
# the classification ones.
scanpath_app.command("train-generator")(generation.train_generator)
scanpath_app.command("generate")(generation.generate)
