"""``gazelearn gaze``: train CNN gaze models on eye images and predict gaze points.

``gazelearn gaze train DATA [--model NAME] --output MODEL [--epochs N] [--calibration bn|none]
[--frame-lag auto|N] [--crops left|all|...] [--validation F] [--patience N] [--refit/--no-refit]``
``gazelearn gaze predict MODEL DATA --output PRED.csv [--calibrate CALIB_DATA] [--frame-lag N]``

DATA is a folder of ``X_Y.ext`` images (targets in px), a manifest CSV (image-path columns,
targets ``x``, ``y``; paths relative to the CSV) or a folder from ``gazelearn simulate eyes``.

The defaults of ``gaze train`` (:data:`TRAIN_DEFAULTS`) are the best configuration measured by
``benchmarks/gaze_models.py --part f`` on ``webcam-crops-dev`` (train on early rows, test on later
ones) and ETRA 2021's ``eye_left`` (random 85/15 split); see docs/results.md, "Gaze from eye
images". Both commands print the error on frames with known targets: ``train`` on its held-out
part while training, ``predict`` on DATA itself (its targets are in the file).
"""

from __future__ import annotations

from pathlib import Path

import typer

from gazelearn._terminal import progress_wanted
from gazelearn.cli.common import console, frame_lag_option, run_safely
from gazelearn.errors import InputError

#: ``gaze train``'s defaults: the best measured configuration (docs/results.md, issue 16).
#: Kept here, torch-free, so ``gazelearn --help`` imports nothing heavy; the benchmark reads it.
#: (resnet, 60 epochs on the left-eye crop, 15 % held out for the report and the best epoch,
#: no early stopping: it fought the cosine schedule, then a refit on every frame.)
TRAIN_DEFAULTS: dict = {"model": "resnet", "epochs": 60, "crops": "left", "validation": 0.15,
                        "patience": 0, "refit": True, "augment": True}

_CROPS = ("face", "left", "right")

gaze_app = typer.Typer(
    help="Gaze from eye images: train a CNN, predict gaze points, calibrate per user.\n\n"
    "Example: gazelearn gaze train eyes --model resnet --output gaze.safetensors",
    no_args_is_help=True,
)


def _crop_channels(dataset, crops: str) -> tuple[list[str], list[int]]:
    """The image columns ``crops`` names (``all``, or face/left/right, comma-separated) and
    their channels in the stacked images; a source with one image column is used as it is."""
    from gazelearn.appearance.data import crop_names

    columns = list(dataset.columns or ["image"])
    per_column = dataset.images.shape[1] // len(columns)
    wanted = [c.strip().lower() for c in crops.split(",") if c.strip()]
    if len(columns) == 1 or wanted == ["all"]:
        return columns, list(range(dataset.images.shape[1]))
    unknown = [c for c in wanted if c not in _CROPS]
    if unknown or not wanted:
        raise InputError(f"--crops must be 'all' or names among face, left, right "
                         f"(comma-separated), got {crops!r}")
    names = crop_names(columns)
    missing = [c for c in wanted if c not in names]
    if missing:
        raise InputError(f"--crops names {missing[0]!r}, but the image columns are "
                         f"{', '.join(columns)} ({', '.join(names)})")
    chosen = [names.index(c) for c in wanted]
    channels = [per_column * i + k for i in chosen for k in range(per_column)]
    return [columns[i] for i in chosen], channels


def _print(text: str) -> None:
    console.print(text, soft_wrap=True, highlight=False)


def _error_line(true_px, pred_px, screen_px, screen=None) -> str:
    """``123.4 px, 8.51 % of screen[, 3.12 deg]``: mean Euclidean error of known targets."""
    import numpy as np

    from gazelearn.metrics import error_deg, error_pct_normalized, error_px

    text = (f"{np.mean(error_px(true_px, pred_px)):.1f} px, "
            f"{np.mean(error_pct_normalized(true_px, pred_px, screen_px)):.2f} % of screen")
    if screen is not None and screen.has_geometry:
        text += f", {np.mean(error_deg(true_px, pred_px, screen)):.2f} deg"
    return text


@gaze_app.command("train")
@run_safely
def train(
    data: Path = typer.Argument(..., help="Image folder (X_Y.ext), manifest CSV, or a folder "
                                "from 'gazelearn simulate eyes'."),
    output: Path = typer.Option(..., "--output", "-o", help="Model file to write "
                                "(.safetensors)."),
    model: str = typer.Option(TRAIN_DEFAULTS["model"], "--model", "-m", help="Network: "
                              "resnet, tutorial, or multi (separate eye and face branches; "
                              "needs a manifest with face, left and right eye columns, resized "
                              "to 64x64)."),
    epochs: int = typer.Option(TRAIN_DEFAULTS["epochs"], "--epochs", "-e",
                               help="Training epochs (at most: --patience may stop earlier)."),
    calibration: str = typer.Option("none", "--calibration", help="bn: every batch from one "
                                    "measurement (needs measurements in DATA); none: random "
                                    "batches."),
    batch_size: int = typer.Option(32, "--batch-size", help="Frames per batch."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    frame_lag: str = typer.Option("auto", "--frame-lag", help="Rows from a target to its "
                                  "frame (frame i+N shows target i), or auto: lags 0-3 fitted "
                                  "on contiguous folds (ridge on downsampled crops), the best "
                                  "one used. An image folder has no row order: lag 0."),
    crops: str | None = typer.Option(None, "--crops", help="Image columns of a manifest to "
                                     "train on: 'all' (stacked as channels) or face, left, "
                                     "right, comma-separated. Default: "
                                     f"{TRAIN_DEFAULTS['crops']} (all for --model multi)."),
    validation: float = typer.Option(TRAIN_DEFAULTS["validation"], "--validation",
                                     help="Share of the frames held out to report the error "
                                     "while training and pick the best epoch (0: none): the "
                                     "last rows of a manifest (later frames), whole "
                                     "measurements when DATA has them, random images of a "
                                     "folder."),
    patience: int = typer.Option(TRAIN_DEFAULTS["patience"], "--patience", help="Stop when "
                                 "the held-out error has not improved for N epochs (0: never)."),
    refit: bool = typer.Option(TRAIN_DEFAULTS["refit"], "--refit/--no-refit", help="After the "
                               "held-out run, train again on every frame for its best number "
                               "of epochs."),
    augment: bool = typer.Option(TRAIN_DEFAULTS["augment"], "--augment/--no-augment",
                                 help="Brightness, contrast, shift, blur and noise "
                                 "augmentation."),
    screen_px: tuple[float, float] | None = typer.Option(None, "--screen-px", help="Screen "
                                                         "width and height in px (default: "
                                                         "the data's, else the largest "
                                                         "target)."),
) -> None:
    """Train a gaze CNN on eye images and save it; print the frame lag and the held-out error.

    Example: gazelearn gaze train eye_data.csv --output gaze.safetensors
    """
    from gazelearn.appearance import GazeRegressor, load_gaze_data
    from gazelearn.appearance.data import MULTI_SIZE, crop_names
    from gazelearn.appearance.estimator import model_architecture
    from gazelearn.appearance.lag import MIN_FRAMES, apply_frame_lag, detect_frame_lag
    from gazelearn.io.atomic import atomic_write
    from gazelearn.learn.modelfile import save_model

    if epochs < 1:
        raise InputError(f"--epochs must be at least 1, got {epochs}")
    if calibration not in ("bn", "none"):
        raise InputError(f"--calibration must be 'bn' or 'none', got {calibration!r}")
    if not 0.0 <= validation < 1.0:
        raise InputError(f"--validation must be at least 0 and below 1, got {validation}")
    if patience < 0:
        raise InputError(f"--patience must be 0 or more, got {patience}")
    lag = frame_lag_option(frame_lag)
    model_architecture(model)
    if not output.suffix:
        raise InputError("--output needs a file name with a suffix, e.g. gaze.safetensors",
                         source=output)
    if not output.parent.exists() and str(output.parent):
        raise InputError("cannot write: the folder does not exist", source=output)
    multi = model_architecture(model) == "gaze_multi"
    dataset = load_gaze_data(data, size=MULTI_SIZE if multi else None)
    columns, channels = _crop_channels(dataset, crops or ("all" if multi else
                                                          TRAIN_DEFAULTS["crops"]))
    images = dataset.images[:, channels]
    options = {"inputs": list(crop_names(columns))} if multi else None
    if calibration == "bn" and dataset.groups is None:
        raise InputError("--calibration bn needs the measurement of every frame (a synthetic "
                         "folder or a manifest with a 'measurement' or 'session' column)",
                         source=data)
    folder = Path(data).is_dir() and dataset.groups is None  # X_Y images: no row order
    screen = tuple(screen_px) if screen_px else dataset.screen_size
    search = None
    if folder:
        if lag:
            raise InputError("--frame-lag needs rows in recording order (a manifest CSV); an "
                             "image folder's targets are in its file names", source=data)
        lag = 0
    elif lag is None and len(images) < MIN_FRAMES:
        lag = 0
        _print(f"frame lag: 0 (too few frames, {len(images)}, to find one; at least "
               f"{MIN_FRAMES} needed)")
    elif lag is None:
        search = detect_frame_lag(images, dataset.targets_px, groups=dataset.groups,
                                  screen_size=screen)
        lag = search.lag
        per_lag = ", ".join(f"{k}: {v:.0f} px" for k, v in search.errors_px.items())
        _print(f"frame lag: {lag} (frame i+{lag} shows target i; ridge on 8x8 crops, 5 "
               f"contiguous folds; mean error per lag {per_lag})")
    x, y, groups = apply_frame_lag(images, dataset.targets_px, lag, dataset.groups)
    split = "random" if folder else ("groups" if groups is not None else "last")
    estimator = GazeRegressor(architecture=model, architecture_options=options,
                              epochs=epochs, batch_size=batch_size, augment=augment,
                              calibration=calibration, screen_size=screen,
                              seed=seed, progress=progress_wanted(),
                              validation_fraction=validation, validation_split=split,
                              patience=patience or None, refit=refit)
    estimator.fit(x, y, groups=groups)
    held = estimator.validation_
    if held:
        where = {"last": "the last rows", "groups": "whole measurements",
                 "random": "random images"}[held["split"]]
        _print(f"held-out error ({held['n']} frames, {where}; best epoch {held['epoch'] + 1} "
               f"of {held['epochs_run']}): {held['px']:.1f} px, {held['pct']:.2f} % of screen"
               + (f"; refitted on all {len(y)} frames for {held['refit_epochs']} epochs"
                  if "refit_epochs" in held else ""))
    with atomic_write(output) as temp:
        save_model(estimator, temp,
                   preprocessing={"channels": int(x.shape[1]),
                                  "image_size": list(x.shape[:1:-1]),
                                  "screen_size": list(estimator.screen_size_),
                                  "image_columns": columns, "frame_lag": int(lag),
                                  "frame_lag_search": search.to_dict() if search else None,
                                  "validation": held},
                   training_data={"source": str(data)})
    loss = estimator.history_[-1]["loss"]
    _print(f"trained {model} on {len(y)} images ({len(estimator.history_)} epochs, final loss "
           f"{loss:.4f}); saved to {output}")


@gaze_app.command("predict")
@run_safely
def predict(
    model: Path = typer.Argument(..., help="Model file from 'gazelearn gaze train'."),
    data: Path = typer.Argument(..., help="Images to predict (same layouts as for training)."),
    output: Path = typer.Option(..., "--output", "-o", help="CSV to write: file,x,y."),
    calibrate: Path | None = typer.Option(None, "--calibrate", help="Calibration images of "
                                          "the user (with targets): BN profile and/or affine "
                                          "correction are fitted on them first."),
    frame_lag: int | None = typer.Option(None, "--frame-lag", help="Rows from a target to "
                                         "its frame in DATA and the calibration data "
                                         "(default: the lag the model was trained with). "
                                         "Only pairs frames with targets for the error and "
                                         "the calibration; every frame is predicted."),
    screen_mm: tuple[float, float] | None = typer.Option(None, "--screen-mm", help="Screen "
                                                         "width and height in mm (with "
                                                         "--distance-mm: error in degrees)."),
    distance_mm: float | None = typer.Option(None, "--distance-mm", help="Eye-screen "
                                             "distance in mm."),
) -> None:
    """Predict gaze points (same units as the training targets) and write file,x,y; print the
    error against the targets in DATA (px, % of screen, degrees when the geometry is known).

    Example: gazelearn gaze predict gaze.safetensors eyes --output pred.csv --calibrate calib
    """
    import polars as pl

    from gazelearn.appearance import GazeRegressor, load_gaze_data
    from gazelearn.appearance.lag import apply_frame_lag, lag_pairs
    from gazelearn.io.atomic import atomic_write
    from gazelearn.learn.modelfile import load_model
    from gazelearn.screen import Screen

    estimator = load_model(model)
    if not isinstance(estimator, GazeRegressor):
        raise InputError("not a gaze model (train one with 'gazelearn gaze train')",
                         source=model)
    if frame_lag is not None and frame_lag < 0:
        raise InputError(f"--frame-lag must be 0 or more, got {frame_lag}")
    if (screen_mm is None) != (distance_mm is None):
        raise InputError("degrees need both --screen-mm W H and --distance-mm D")
    pre = getattr(estimator, "preprocessing_", {}) or {}
    channels, height, width = estimator.input_shape_
    size = (int(width), int(height))
    trained_columns = pre.get("image_columns")
    # colour mode of the training images: 1 channel per image column is grayscale
    mode = "L" if channels == len(trained_columns or [None]) else "RGB"

    def read(path: Path):
        dataset = load_gaze_data(path, mode=mode, size=size)
        columns = list(dataset.columns or ["image"])
        if trained_columns and len(columns) > 1 and set(trained_columns) <= set(columns):
            per_column = dataset.images.shape[1] // len(columns)
            picked = [per_column * columns.index(c) + k for c in trained_columns
                      for k in range(per_column)]
            dataset.images = dataset.images[:, picked]
        if dataset.images.shape[1:] != tuple(estimator.input_shape_):
            raise InputError(f"the model expects {channels} channel(s) of {width}x{height}"
                             + (f" from the columns {', '.join(trained_columns)}"
                                if trained_columns else "")
                             + f", got {dataset.images.shape[1]}", source=path)
        return dataset

    def lag_of(path: Path, dataset) -> int:
        # an image folder's targets are in its file names: no lag
        if Path(path).is_dir() and dataset.groups is None:
            return 0
        return frame_lag if frame_lag is not None else int(pre.get("frame_lag") or 0)

    if calibrate is not None:
        calib = read(calibrate)
        x, y, _ = apply_frame_lag(calib.images, calib.targets_px, lag_of(calibrate, calib),
                                  calib.groups)
        if len(x) < 2:
            raise InputError("calibration needs at least 2 images", source=calibrate)
        estimator.calibrate(x, y)
    dataset = read(data)
    pred = estimator.predict(dataset.images)
    table = pl.DataFrame({"file": dataset.files, "x": pred[:, 0], "y": pred[:, 1]})
    with atomic_write(output) as temp:
        table.write_csv(temp)
    _print(f"{len(table)} gaze points written to {output}")
    lag = lag_of(data, dataset)
    image_rows, target_rows = lag_pairs(len(dataset) if dataset.groups is None
                                        else dataset.groups, lag)
    if len(target_rows):
        screen = dataset.screen
        if screen_mm is not None:
            screen = Screen(*estimator.screen_size_, *screen_mm, distance_mm)
        _print(f"error against the targets of {len(target_rows)} frames (frame lag {lag}): "
               + _error_line(dataset.targets_px[target_rows], pred[image_rows],
                             estimator.screen_size_, screen))
