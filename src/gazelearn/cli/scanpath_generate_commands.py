"""``gazelearn scanpath train-generator`` and ``gazelearn scanpath generate``: new scanpaths.

``gazelearn scanpath train-generator RECORDING... --output MODEL [--stimulus IMAGE] [--epochs N]``
trains, on recordings of one stimulus split by recording, the tutorial's next-point LSTM (prints
its held-out MAE in px next to the "next = last point" baseline) and the fixation-level
mixture-density generator (saved to MODEL).

``gazelearn scanpath generate MODEL --n 10 --output DIR [--length N] [--seed S]`` writes N
generated recordings (CSV) and ``scanpaths.png``, the scanpaths drawn on the stimulus image.

The two functions are commands of the ``scanpath`` group, which
:mod:`gazelearn.cli.scanpath_commands` owns; it adds them.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gazelearn._terminal import progress_wanted
from gazelearn.cli.common import console, run_safely
from gazelearn.cli.reader_options import ReaderOptions, reader_options
from gazelearn.errors import InputError

PLOT_NAME = "scanpaths.png"


def _split(n: int, test_fraction: float, seed: int):
    import numpy as np

    from gazelearn.splits import train_test_by_group

    if not 0.0 <= test_fraction < 1.0:
        raise InputError(f"--test-fraction must be in [0, 1), got {test_fraction}")
    if test_fraction == 0.0:
        return np.arange(n), np.array([], dtype=np.int64)
    if n < 3:
        raise InputError(f"a held-out test needs at least 3 recordings, got {n} (or give "
                         "--test-fraction 0)")
    train, test = train_test_by_group(np.arange(n), test_size=test_fraction, seed=seed)
    return np.sort(np.asarray(train)), np.sort(np.asarray(test))


def find_stimulus(stimulus: Path, near: list[Path]) -> Path:
    """The stimulus image as given, else beside the recordings (or in a folder given).

    ``--stimulus animal-11.jpg`` with ``animals/*.csv`` finds ``animals/animal-11.jpg``; the
    error lists every place tried.
    """
    tried = [stimulus]
    if not stimulus.is_absolute():
        for path in near:
            folder = path if path.is_dir() else path.parent
            candidate = folder / stimulus
            if candidate not in tried:
                tried.append(candidate)
    for candidate in tried:
        if candidate.is_file():
            return candidate
    raise InputError("the stimulus image does not exist; tried "
                     + ", ".join(str(p) for p in tried), source=stimulus)


@run_safely
@reader_options
def train_generator(
    recordings: list[Path] = typer.Argument(..., help="Recordings of ONE stimulus (any format "
                                            "--format reads; folders are searched)."),
    output: Path = typer.Option(..., "--output", "-o", help="Generator model file to write "
                                "(.safetensors)."),
    stimulus: Path | None = typer.Option(None, "--stimulus", help="The stimulus image: its size "
                                         "is the area of the scanpaths; its path is stored for "
                                         "plots. A path, or a name found beside the "
                                         "recordings."),
    extent: tuple[float, float] | None = typer.Option(None, "--extent", help="Stimulus size "
                                                      "W H in px (instead of --stimulus)."),
    epochs: int = typer.Option(30, "--epochs", "-e", help="Epochs of the next-point LSTM "
                               "(the tutorial's 30)."),
    generator_epochs: int = typer.Option(200, "--generator-epochs", help="Largest number of "
                                         "epochs of the generator (stops early on held-out "
                                         "training recordings)."),
    test_fraction: float = typer.Option(0.2, "--test-fraction", help="Share of recordings held "
                                        "out for the test MAE (0: train on all, no test)."),
    next_point_model: Path | None = typer.Option(None, "--next-point-model", help="Also save "
                                                 "the next-point LSTM here (.safetensors)."),
    threads: int = typer.Option(1, "--threads", help="CPU threads for training."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and the training."),
    reader: ReaderOptions = None,
) -> None:
    """Train a scanpath generator (and the tutorial's next-point LSTM) on one stimulus.

    Example: gazelearn scanpath train-generator animals/*.csv --stimulus animal-11.jpg
    --output animals.safetensors
    """
    from gazelearn.io import expand_paths, read
    from gazelearn.learn.modelfile import save_model
    from gazelearn.scanpath.generate import ScanpathGenerator
    from gazelearn.scanpath.nextpoint import NextPointPredictor

    for name, path in (("--output", output), ("--next-point-model", next_point_model)):
        if path is not None and not path.suffix:
            raise InputError(f"{name} needs a file name with a suffix, e.g. model.safetensors",
                             source=path)
        if path is not None and str(path.parent) and not path.parent.exists():
            raise InputError("cannot write: the folder does not exist", source=path)
    if epochs < 1 or generator_epochs < 1:
        raise InputError("--epochs and --generator-epochs must be at least 1")
    if stimulus is not None:
        stimulus = find_stimulus(stimulus, recordings)
    paths = [p for p in expand_paths(recordings) if p.suffix.lower() != ".json"]
    if not paths:
        raise InputError("no input recordings found")
    recs = [read(p, **reader.kwargs()) for p in paths]
    train, test = _split(len(recs), test_fraction, seed)
    train_recs, test_recs = [recs[i] for i in train], [recs[i] for i in test]
    console.print(f"{len(recs)} recordings: {len(train)} for training, {len(test)} held out "
                  f"(split by recording, seed {seed})")
    predictor = NextPointPredictor(epochs=epochs, seed=seed, num_threads=threads,
                                   progress=progress_wanted()).fit(train_recs)
    scores = predictor.evaluate(test_recs) if len(test) else {}
    if scores:
        console.print(f"next-point LSTM ({predictor.length} points -> next), held-out "
                      f"recordings: MAE {scores['mae_px']:.1f} px; 'next = last point' "
                      f"baseline: MAE {scores['baseline_mae_px']:.1f} px "
                      f"({scores['windows']} windows)")
    generator = ScanpathGenerator(
        extent=None if extent is None else tuple(extent),
        stimulus=None if stimulus is None else str(stimulus.resolve()),
        epochs=generator_epochs, seed=seed, num_threads=threads,
        progress=progress_wanted()).fit(train_recs)
    nll = generator.nll(test_recs) if len(test) else None
    split = {"train": [p.name for p in (paths[i] for i in train)],
             "test": [p.name for p in (paths[i] for i in test)], "seed": seed}
    save_model(generator, output, preprocessing={"extent": list(generator.extent_),
                                                 "stimulus": generator.stimulus_,
                                                 "sampling_rate": generator.sampling_rate_},
               training_data={"split": split, "next_point": scores, "test_nll": nll})
    if next_point_model is not None:
        save_model(predictor, next_point_model, preprocessing={"length": predictor.length},
                   training_data={"split": split, "scores": scores})
    tail = f", held-out NLL {nll:.3f} per fixation" if nll is not None else ""
    console.print(f"generator: {generator.training_summary_['fixations']} training fixations"
                  f"{tail} -> {output}")


def _plot(recordings, image, extent, path: Path) -> None:
    import numpy as np

    from gazelearn.report.html import save_figure
    from gazelearn.report.spatial import gaze_on_stimulus

    x = np.concatenate([r.x for r in recordings])
    y = np.concatenate([r.y for r in recordings])
    fig = gaze_on_stimulus(x, y, image=image, screen_size=extent,
                           title=f"{len(recordings)} generated scanpaths")
    ax = fig.axes[0]
    for rec in recordings:
        ax.plot(rec.x, rec.y, "-", linewidth=1.2, alpha=0.8, zorder=3)
    save_figure(fig, path)


@run_safely
def generate(
    model: Path = typer.Argument(..., help="Generator model from 'scanpath train-generator'."),
    n: int = typer.Option(10, "--n", "-n", help="Number of scanpaths to generate."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the recordings (CSV) "
                                "and scanpaths.png."),
    length: int | None = typer.Option(None, "--length", help="Samples per scanpath (default: "
                                      "lengths drawn from the training recordings)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same scanpaths."),
    stimulus: Path | None = typer.Option(None, "--stimulus", help="Stimulus image for the plot "
                                         "(default: the one stored in the model); a path, or a "
                                         "name found beside the model file."),
) -> None:
    """Generate new scanpaths with a trained generator: CSV recordings + a plot on the stimulus.

    Example: gazelearn scanpath generate animals.safetensors --n 10 --output generated
    """
    from gazelearn.io import write_recording
    from gazelearn.learn.modelfile import load_model
    from gazelearn.scanpath.generate import ScanpathGenerator

    if n < 1:
        raise InputError(f"--n must be at least 1, got {n}")
    if length is not None and length < 1:
        raise InputError(f"--length must be at least 1 sample, got {length}")
    if output.exists() and not output.is_dir():
        raise InputError("--output must be a folder, not a file", source=output)
    if stimulus is not None:
        stimulus = find_stimulus(stimulus, [model])
    generator = load_model(model)
    if not isinstance(generator, ScanpathGenerator):
        raise InputError(f"not a scanpath generator model (it holds a "
                         f"{type(generator).__name__}): train one with 'gazelearn scanpath "
                         "train-generator'", source=model)
    recordings = generator.sample(n, length=length, seed=seed)
    image = stimulus
    if image is None and generator.stimulus_:
        image = Path(generator.stimulus_)
        if not image.is_file():
            console.print(f"note: the stimulus image stored in the model ({image}) is not "
                          "there; plotting without it (give --stimulus IMAGE)")
            image = None
    output.mkdir(parents=True, exist_ok=True)
    for rec in recordings:
        write_recording(rec, output / f"{rec.meta.trial}.csv")
    _plot(recordings, image, generator.extent_, output / PLOT_NAME)
    lengths = ", ".join(str(v) for v in sorted({len(r) for r in recordings}))
    console.print(f"{n} scanpaths of {lengths} samples ({generator.sampling_rate_:g} Hz) -> "
                  f"{output} (+ {PLOT_NAME})")
