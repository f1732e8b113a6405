"""``gazelearn gaze``: train CNN gaze models on eye images and predict gaze points.

``gazelearn gaze train DATA [--model NAME] --output MODEL [--epochs N] [--calibration bn|none]``
``gazelearn gaze predict MODEL DATA --output PRED.csv [--calibrate CALIB_DATA]``

DATA is a folder of ``X_Y.ext`` images (targets in px), a manifest CSV (image-path columns,
targets ``x``, ``y``; paths relative to the CSV) or a folder from ``gazelearn simulate eyes``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gazelearn._terminal import progress_wanted
from gazelearn.cli.common import console, run_safely
from gazelearn.errors import InputError

gaze_app = typer.Typer(
    help="Gaze from eye images: train a CNN, predict gaze points, calibrate per user.\n\n"
    "Example: gazelearn gaze train eyes --model resnet --output gaze.safetensors",
    no_args_is_help=True,
)


@gaze_app.command("train")
@run_safely
def train(
    data: Path = typer.Argument(..., help="Image folder (X_Y.ext), manifest CSV, or a folder "
                                "from 'gazelearn simulate eyes'."),
    output: Path = typer.Option(..., "--output", "-o", help="Model file to write "
                                "(.safetensors)."),
    model: str = typer.Option("resnet", "--model", "-m", help="Network: resnet, tutorial, or "
                              "multi (separate eye and face branches; needs a manifest with "
                              "face, left and right eye columns, resized to 64x64)."),
    epochs: int = typer.Option(20, "--epochs", "-e", help="Training epochs."),
    calibration: str = typer.Option("none", "--calibration", help="bn: every batch from one "
                                    "measurement (needs measurements in DATA); none: random "
                                    "batches."),
    batch_size: int = typer.Option(32, "--batch-size", help="Frames per batch."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """Train a gaze CNN on eye images and save it.

    Example: gazelearn gaze train eyes --model resnet --output gaze.safetensors --epochs 20
    """
    from gazelearn.appearance import GazeRegressor, load_gaze_data
    from gazelearn.appearance.data import MULTI_SIZE, crop_names
    from gazelearn.appearance.estimator import model_architecture
    from gazelearn.io.atomic import atomic_write
    from gazelearn.learn.modelfile import save_model

    if epochs < 1:
        raise InputError(f"--epochs must be at least 1, got {epochs}")
    if calibration not in ("bn", "none"):
        raise InputError(f"--calibration must be 'bn' or 'none', got {calibration!r}")
    model_architecture(model)
    if not output.suffix:
        raise InputError("--output needs a file name with a suffix, e.g. gaze.safetensors",
                         source=output)
    if not output.parent.exists() and str(output.parent):
        raise InputError("cannot write: the folder does not exist", source=output)
    multi = model_architecture(model) == "gaze_multi"
    dataset = load_gaze_data(data, size=MULTI_SIZE if multi else None)
    options = {"inputs": list(crop_names(dataset.columns or []))} if multi else None
    if calibration == "bn" and dataset.groups is None:
        raise InputError("--calibration bn needs the measurement of every frame (a synthetic "
                         "folder or a manifest with a 'measurement' or 'session' column)",
                         source=data)
    estimator = GazeRegressor(architecture=model, architecture_options=options,
                              epochs=epochs, batch_size=batch_size,
                              calibration=calibration, screen_size=dataset.screen_size,
                              seed=seed, progress=progress_wanted())
    estimator.fit(dataset.images, dataset.targets_px, groups=dataset.groups)
    with atomic_write(output) as temp:
        save_model(estimator, temp,
                   preprocessing={"channels": int(dataset.images.shape[1]),
                                  "image_size": list(dataset.images.shape[:1:-1]),
                                  "screen_size": list(estimator.screen_size_)},
                   training_data={"source": str(data)})
    loss = estimator.history_[-1]["loss"]
    console.print(f"trained {model} on {len(dataset)} images ({epochs} epochs, final loss "
                  f"{loss:.4f}); saved to {output}", soft_wrap=True, highlight=False)


@gaze_app.command("predict")
@run_safely
def predict(
    model: Path = typer.Argument(..., help="Model file from 'gazelearn gaze train'."),
    data: Path = typer.Argument(..., help="Images to predict (same layouts as for training)."),
    output: Path = typer.Option(..., "--output", "-o", help="CSV to write: file,x,y."),
    calibrate: Path | None = typer.Option(None, "--calibrate", help="Calibration images of "
                                          "the user (with targets): BN profile and/or affine "
                                          "correction are fitted on them first."),
) -> None:
    """Predict gaze points (same units as the training targets) and write file,x,y.

    Example: gazelearn gaze predict gaze.safetensors eyes --output pred.csv --calibrate calib
    """
    import polars as pl

    from gazelearn.appearance import GazeRegressor, load_gaze_data
    from gazelearn.io.atomic import atomic_write
    from gazelearn.learn.modelfile import load_model

    estimator = load_model(model)
    if not isinstance(estimator, GazeRegressor):
        raise InputError("not a gaze model (train one with 'gazelearn gaze train')",
                         source=model)
    channels, height, width = estimator.input_shape_
    mode = "L" if channels == 1 else "RGB"
    size = (int(width), int(height))

    def read(path: Path):
        dataset = load_gaze_data(path, mode=mode, size=size)
        if dataset.images.shape[1:] != tuple(estimator.input_shape_):
            raise InputError(f"the model expects {channels} channel(s) of {width}x{height}, "
                             f"got {dataset.images.shape[1]}", source=path)
        return dataset

    if calibrate is not None:
        calib = read(calibrate)
        if len(calib) < 2:
            raise InputError("calibration needs at least 2 images", source=calibrate)
        estimator.calibrate(calib.images, calib.targets_px)
    dataset = read(data)
    pred = estimator.predict(dataset.images)
    table = pl.DataFrame({"file": dataset.files, "x": pred[:, 0], "y": pred[:, 1]})
    with atomic_write(output) as temp:
        table.write_csv(temp)
    console.print(f"{len(table)} gaze points written to {output}", soft_wrap=True,
                  highlight=False)
