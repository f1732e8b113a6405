"""``gazelearn events detect | evaluate | plot``: events from samples, scores, plots.

CLI contract (scripts depend on it exactly):

* ``gazelearn events detect INPUT... --method NAME [reader options] --output OUT`` writes an
  events table (CSV or Parquet by OUT's extension); with ``--samples`` one row per input sample,
  columns ``time,x,y,label``. With several inputs OUT is a directory and each output keeps its
  input's file stem.
  ``--stimulus`` and the post-processing options (``--min-fixation-ms`` ...) extend it; their
  defaults are the shared rules every detector applies.
* ``gazelearn events evaluate --truth ... --pred ...``: per-class one-vs-rest Cohen's kappa
  (samples), event-level F1 (Hooge et al. 2018 matching), confusion matrix.
* ``gazelearn events plot RECORDING [--events EVENTS] --output FIG.png|.svg``: x and y over
  time with the events as colour bands.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from gazelearn.cli.batch import KeepGoingOption, SchedulerOption, WorkersOption
from gazelearn.cli.common import console, parse_key_values, run_safely
from gazelearn.cli.reader_options import ReaderOptions, reader_options
from gazelearn.errors import InputError

events_app = typer.Typer(help="Detect eye-movement events and score detectors.",
                         no_args_is_help=True)

_TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")


_detectors: dict = {}  # per process: a batch creates (and loads weights of) each detector once


class Stimulus(StrEnum):
    """What the recording's stimulus is: pursuit is possible only on a dynamic one."""

    auto = "auto"
    static = "static"
    dynamic = "dynamic"


_POST = "Post-processing (every method)"
#: The defaults of gazelearn.detection.postprocess.PostProcessing in ms, for the help text
#: (importing it here would load polars at the start of every command; a test checks them).
POSTPROCESS_DEFAULTS_MS = {"min_fixation": 40, "min_saccade": 8, "min_pso": 4,
                           "min_pursuit": 40, "merge_gap": 4, "edge": 20}
#: gazelearn.detection.deep.FINE_TUNING's epochs, learning rate and frozen layers, for the
#: options of `events train` (importing it would load torch; a test checks they agree).
FINE_TUNE_DEFAULTS = {"epochs": 3, "lr": 1e-3, "freeze": 0}
StimulusOption = Annotated[Stimulus, typer.Option(
    "--stimulus", help="static (images, text: no pursuit), dynamic (video, moving targets: "
    "every class) or auto: the recording's metadata (stimulus_kind), else dynamic.",
    rich_help_panel=_POST)]


def _ms_option(name: str, what: str) -> Any:
    flag = "--" + name.replace("_", "-") + "-ms"
    return Annotated[float | None, typer.Option(
        flag, help=f"{what} (default {POSTPROCESS_DEFAULTS_MS[name]} ms; 0: off).",
        rich_help_panel=_POST, min=0.0)]


MinFixationOption = _ms_option("min_fixation", "Shorter fixations merge into a neighbour")
MinSaccadeOption = _ms_option("min_saccade", "Shorter saccades merge into a neighbour")
MinPsoOption = _ms_option("min_pso", "Shorter PSOs merge into a neighbour")
MinPursuitOption = _ms_option("min_pursuit", "Shorter pursuits merge into a neighbour")
MergeGapOption = _ms_option("merge_gap", "Two events of one class this close join")
EdgeOption = _ms_option("edge", "Saccades/PSOs wholly this near the start, end or lost data "
                        "are filter edge effects and merge into a neighbour")
PostprocessOption = Annotated[bool, typer.Option(
    "--postprocess/--no-postprocess", help="Apply the shared post-processing (--no-postprocess:"
    " the algorithm's labels, lost samples as blink/undefined).", rich_help_panel=_POST)]


def postprocessing(enabled: bool = True, **milliseconds: float | None):
    """The :class:`~gazelearn.detection.postprocess.PostProcessing` of the CLI's options
    (``min_fixation=50`` in ms, None: the default), or False for ``--no-postprocess``."""
    from gazelearn.detection.postprocess import DEFAULT_POSTPROCESSING

    if not enabled:
        given = [f"--{k.replace('_', '-')}-ms" for k, v in milliseconds.items() if v is not None]
        if given:
            raise InputError(f"{given[0]} goes with post-processing; drop --no-postprocess")
        return False
    changes = {f"{name}_s": value / 1000.0 for name, value in milliseconds.items()
               if value is not None}
    return replace(DEFAULT_POSTPROCESSING, **changes)


@dataclass(frozen=True)
class _Classic:
    """A classic method's function with its options, used like a detector (``predict``,
    ``detect``) without the estimator class, whose scikit-learn base costs about 1 s of CPU
    to import: exactly what ``create_detector(method, **options)`` would run."""

    function: Callable
    options: dict

    def predict(self, recording, **post):
        from gazelearn.detection.kernels import run

        return run(self.function, recording, self.options, **post).labels

    def detect(self, recording, **post):
        from gazelearn.detection.kernels import run

        return run(self.function, recording, self.options, **post).events(recording)


def _detector(method: str, options: dict):
    key = (method, tuple(sorted(options.items())))
    if key not in _detectors:
        from gazelearn.detection.kernels import KERNELS, kernel

        if method in KERNELS:  # a bad option fails here, in create_detector's words
            _detectors[key] = _Classic(kernel(method, options), options)
        elif method == "deep" and set(options) <= {"path", "num_threads"}:
            # ONNX Runtime on the model's graph (beside the file or cached): no torch and no
            # scikit-learn to import (2.4 s of CPU), the same labels as DeepDetector.predict
            from gazelearn.detection.deep_inference import load_runner

            _detectors[key] = load_runner(options.get("path"), options.get("num_threads"))
        else:
            from gazelearn.detection import create_detector

            _detectors[key] = create_detector(method, **options)
    return _detectors[key]


@dataclass(frozen=True)
class _DetectJob:
    """What ``events detect`` does to one input file (picklable: it runs on workers too)."""

    method: str
    options: dict
    reader: dict
    samples: bool
    protected: dict  # inputs inside the output folder(s): no output may be one of them
    postprocess: Any = True  # PostProcessing, True (defaults) or False (none)
    stimulus: str = "auto"

    def __call__(self, item: tuple[Path, Path]) -> tuple[int, int]:
        from gazelearn.cli.batch import per_recording_targets, refuse_overwrite
        from gazelearn.io import read_all, write_events, write_recording

        path, target = item
        recordings = read_all(path, **self.reader)
        detector = _detector(self.method, self.options)
        # every trial read and detected before the first is written: a bad file leaves nothing.
        # detect() gives the events table directly (a velocity detector computes the velocity
        # once for its labels and the events' peak velocities)
        post = {"postprocess": self.postprocess, "stimulus": self.stimulus}
        found = [detector.predict(recording, **post) if self.samples
                 else detector.detect(recording, **post) for recording in recordings]
        targets = per_recording_targets(target, recordings)
        refuse_overwrite(targets, self.protected, what="--output")
        target.parent.mkdir(parents=True, exist_ok=True)
        for recording, result, out in zip(recordings, found, targets, strict=True):
            if self.samples:
                write_recording(replace(recording, labels=result, pupil=None), out,
                                sidecar=False)
            else:
                write_events(result, out)
        return len(recordings), sum(len(recording) for recording in recordings)


@events_app.command("detect")
@run_safely
@reader_options
def detect(
    inputs: list[Path] = typer.Argument(..., help="Recordings (any format --format reads)."),
    method: str = typer.Option("nh", "--method", "-m",
                               help="Detector: ivt, idt, nh, ivdt or deep (the shipped "
                               "network; see --model)."),
    output: Path = typer.Option(..., "--output", "-o",
                                help="Events table .csv/.parquet; a folder for several inputs."),
    samples: bool = typer.Option(False, "--samples",
                                 help="Write one row per sample: time,x,y,label."),
    option: list[str] | None = typer.Option(None, "--option",
                                            help="Detector option KEY=VALUE (repeatable)."),
    model: Path | None = typer.Option(None, "--model", help="With --method deep: a model file "
                                      "from 'events train' (default: the bundled model)."),
    out_format: str = typer.Option("csv", "--out-format",
                                   help="With several inputs: csv or parquet files in OUT."),
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    keep_going: KeepGoingOption = True,
    stimulus: StimulusOption = Stimulus.auto,
    min_fixation_ms: MinFixationOption = None,
    min_saccade_ms: MinSaccadeOption = None,
    min_pso_ms: MinPsoOption = None,
    min_pursuit_ms: MinPursuitOption = None,
    merge_gap_ms: MergeGapOption = None,
    edge_ms: EdgeOption = None,
    postprocess: PostprocessOption = True,
    reader: ReaderOptions = None,
) -> None:
    """Detect fixations, saccades, PSOs, pursuit and blinks.

    Every method's labels go through the shared post-processing (minimum durations, merging,
    lost data, edges; see docs/events.md); --stimulus static rules out pursuit.

    Several inputs (or folders) go to the folder OUT, each output keeping its input's stem.

    A file of several trials gives one output per trial (OUT_TRIAL.csv).

    Files run on every core (--workers) or a Dask cluster (--scheduler); a bad one is skipped.

    Example: gazelearn events detect TH38_img_Europe_labelled_RA.mat --method nh --output ev.csv

    Example: gazelearn events detect data/ --method ivt --output detected/ --workers 8
    """
    from gazelearn.cli.batch import Failures, input_identities, refuse_overwrite, run_each
    from gazelearn.io import expand_paths

    if out_format not in ("csv", "parquet"):
        raise InputError(f"--out-format {out_format!r}: expected csv or parquet")
    options = parse_key_values(option, "--option")
    rules = postprocessing(postprocess, min_fixation=min_fixation_ms,
                           min_saccade=min_saccade_ms, min_pso=min_pso_ms,
                           min_pursuit=min_pursuit_ms, merge_gap=merge_gap_ms, edge=edge_ms)
    if model is not None:
        if method != "deep":
            raise InputError("--model goes with --method deep")
        options["path"] = model  # DeepDetector.pretrained(path): this file, not the bundled one
    _detector(method, options)  # a bad --method or --option fails before any file is read
    kwargs = reader.kwargs()
    fmt = kwargs.get("format", "auto")
    files = expand_paths(inputs, fmt, **{k: v for k, v in kwargs.items() if k != "format"})
    several = len(files) > 1 or any(p.is_dir() for p in inputs)
    if several:
        if output.suffix.lower() in _TABLE_SUFFIXES:
            raise InputError(f"--output {output}: several inputs need a folder, not a file")
        targets = [output / f"{path.stem}.{out_format}" for path in files]
        if len(set(targets)) != len(targets):
            raise InputError("two inputs have the same file stem; their outputs would collide")
    else:
        if output.suffix.lower() not in _TABLE_SUFFIXES:
            raise InputError(f"--output {output}: expected a .csv, .tsv or .parquet file")
        targets = [output]
    refuse_overwrite(targets, input_identities(files), what="--output")
    if scheduler:  # the workers of a cluster have their own working directory
        files, targets = [p.absolute() for p in files], [p.absolute() for p in targets]
    job = _DetectJob(method, options, kwargs, samples,
                     input_identities(files, within={t.parent for t in targets}),
                     postprocess=rules, stimulus=stimulus.value)
    failures = Failures(total=len(files))
    recordings = total = 0
    for outcome in run_each(job, list(zip(files, targets, strict=True)), failures,
                            workers=workers, scheduler=scheduler, keep_going=keep_going,
                            name=lambda item: str(item[0])):
        recordings += outcome.result[0]
        total += outcome.result[1]
    if recordings or not failures.names:
        console.print(f"{method}: {recordings} recording(s), {total} samples -> "
                      f"{output if several else targets[0]}")
    failures.finish()


def _read_labels(path: Path, reader: ReaderOptions, time=None):
    """Per-sample labels and timestamps from a labelled recording or an events table."""
    from gazelearn.io import read, read_events

    if path.suffix.lower() in _TABLE_SUFFIXES and _is_events_table(path):
        if time is None:
            raise InputError("an events table cannot be the reference: it has no samples; "
                             "give a labelled recording", source=path)
        return read_events(path).to_labels(time), time
    recording = read(path, **reader.kwargs())
    if recording.labels is None:
        raise InputError("has no per-sample labels (expected a labelled recording, a "
                         "--samples output of 'events detect', or an events table)", source=path)
    return recording.labels, recording.time


def _is_events_table(path: Path) -> bool:
    import polars as pl

    from gazelearn.io.writers import check_parquet

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            check_parquet(path)  # a broken footer can abort polars: never let it see one
            columns = pl.read_parquet_schema(path).keys()
        else:
            columns = pl.read_csv(path, n_rows=0,
                                  separator="\t" if path.suffix == ".tsv" else ",").columns
    except (Exception, pl.exceptions.PanicException):  # the reader gives the precise error
        return False
    return {"type", "onset", "offset"} <= set(columns)


def _pair_files(truth: list[Path], pred: list[Path]) -> list[tuple[Path, Path]]:
    from gazelearn.io import expand_paths

    truth_files = expand_paths(truth)
    pred_files = [p for p in (expand_paths(pred) if pred else []) if not p.name.endswith(".json")]
    if len(truth_files) == 1 and len(pred_files) == 1:
        return [(truth_files[0], pred_files[0])]
    by_stem = {p.stem: p for p in pred_files}
    pairs = []
    for t in truth_files:
        if t.stem not in by_stem:
            raise InputError(f"no prediction with the stem {t.stem!r} among --pred files",
                             source=t)
        pairs.append((t, by_stem[t.stem]))
    return pairs


@events_app.command("evaluate")
@run_safely
@reader_options
def evaluate(
    truth: list[Path] = typer.Option(..., "--truth", help="Reference: labelled recordings "
                                     "(files or folders; repeatable)."),
    pred: list[Path] = typer.Option(..., "--pred", help="Predictions: 'events detect' outputs "
                                    "(samples or events tables), paired by file stem."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the scores as JSON."),
    reader: ReaderOptions = None,
) -> None:
    """Score predicted events against reference labels: kappa per class, event F1, confusion.

    Example: gazelearn events evaluate --truth lund2013-dev/img --pred detected/
    """
    import numpy as np
    from rich.table import Table

    from gazelearn.detection.evaluate import evaluate_labels
    from gazelearn.io.atomic import atomic_write

    pairs = []
    rates = []
    for truth_path, pred_path in _pair_files(truth, pred):
        truth_labels, time = _read_labels(truth_path, reader)
        pred_labels, _ = _read_labels(pred_path, ReaderOptions(), time=time)
        if len(pred_labels) != len(truth_labels):
            raise InputError(f"has {len(pred_labels)} samples, the reference {truth_path.name} "
                             f"{len(truth_labels)}; expected the same recording", source=pred_path)
        pairs.append((truth_labels, pred_labels))
        steps = np.diff(time)
        rates.append(1.0 / np.median(steps[steps > 0]) if (steps > 0).any() else np.nan)
    scores = evaluate_labels(pairs, sampling_rate=float(np.nanmedian(rates)))

    table = Table(title=f"{len(pairs)} recording(s), {scores.n_samples} samples: accuracy "
                  f"{scores.accuracy:.3f}, kappa {scores.kappa:.3f}")
    frame = scores.table()
    for column in frame.columns:
        table.add_column(column)
    for row in frame.iter_rows():
        table.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
    console.print(table)
    confusion = Table(title="Confusion matrix (rows: reference, columns: prediction)")
    confusion.add_column("")
    for name in scores.confusion_labels:
        confusion.add_column(name)
    for name, row in zip(scores.confusion_labels, scores.confusion, strict=True):
        confusion.add_row(name, *[str(int(v)) for v in row])
    console.print(confusion)
    if json_out is not None:
        with atomic_write(json_out) as temp:
            Path(temp).write_text(json.dumps(scores.as_dict(), indent=2))


@events_app.command("train")
@run_safely
@reader_options
def train(
    data: list[Path] = typer.Argument(..., help="Labelled recordings (files or folders)."),
    output: Path = typer.Option(..., "--output", "-o", help="Model file (.safetensors)."),
    epochs: int | None = typer.Option(None, "--epochs", help="Largest number of epochs "
                                      f"(default {FINE_TUNE_DEFAULTS['epochs']} fine-tuning, "
                                      "30 with --base none)."),
    synthetic: int = typer.Option(0, "--synthetic", help="Add this many simulated 20-s "
                                  "recordings (exact labels) to the training data."),
    group_col: str = typer.Option("subject", "--group-col", help="Metadata column whose groups "
                                  "the validation split keeps apart."),
    seed: int = typer.Option(0, "--seed", help="Random seed (recorded in the model file)."),
    base: str = typer.Option("default", "--base", help="Model to fine-tune: default (the "
                             "bundled one), a model file, or none (train a new network)."),
    lr: float | None = typer.Option(None, "--lr", help="Learning rate (default "
                                    f"{FINE_TUNE_DEFAULTS['lr']:g} fine-tuning, 0.003 with "
                                    "--base none)."),
    freeze: int = typer.Option(FINE_TUNE_DEFAULTS["freeze"], "--freeze",
                               help="Fine-tuning: first layers kept fixed (1 the input "
                               "layer, 1 + k also k dilated layers)."),
    reader: ReaderOptions = None,
) -> None:
    """Fine-tune the deep event detector on your labelled recordings (or train a new one).

    By default the bundled model is trained further on the recordings (a few are enough: the
    defaults are the best measured on held-out subjects, docs/results.md); use the model with
    --method deep --model. --base none trains a new network from scratch.

    Example: gazelearn events train my_labelled/ --output my_detector.safetensors

    Example: gazelearn events train lund2013-dev/ --base none --output new.safetensors --epochs 20
    """
    from gazelearn.detection.deep import DeepDetector
    from gazelearn.io import read_dataset
    from gazelearn.simulate import simulate_population

    if output.suffix != ".safetensors":
        raise InputError(f"--output {output}: expected a .safetensors file")
    start = None
    if base != "none":  # a bad --base fails before any recording is read
        start = DeepDetector.pretrained(None if base == "default" else Path(base))
    dataset = read_dataset(data, **reader.kwargs())
    recordings = list(dataset)
    if not recordings:
        raise InputError("no recordings found in the given paths")
    unlabelled = [r.meta.source for r in recordings if r.labels is None]
    if unlabelled:
        raise InputError("has no per-sample labels; training needs labelled recordings",
                         source=unlabelled[0])
    groups = [str(g) for g in dataset.column(group_col)]
    if synthetic:
        simulated = simulate_population(n_subjects=synthetic, recordings_per_subject=1,
                                        duration_s=20.0, seed=seed)
        recordings += list(simulated)
        groups += [f"sim-{g}" for g in simulated.column("subject")]
    if start is None:
        detector = DeepDetector(epochs=30 if epochs is None else epochs, seed=seed,
                                **({} if lr is None else {"lr": lr})
                                ).fit(recordings, groups=groups)
    else:
        # the epoch is chosen on held-out recordings (whole groups); recordings of one
        # person are held out one by one instead, as the defaults were measured
        detector = start.fine_tune(
            recordings, groups=groups if len(set(groups)) > 1 else None, freeze=freeze,
            seed=seed,
            epochs=FINE_TUNE_DEFAULTS["epochs"] if epochs is None else epochs,
            lr=FINE_TUNE_DEFAULTS["lr"] if lr is None else lr)
    output.parent.mkdir(parents=True, exist_ok=True)
    detector.save(output, training_data={"files": [str(p) for p in data],
                                         "synthetic_recordings": synthetic, "seed": seed,
                                         "base": base})
    summary = detector.training_summary_
    how = "trained" if start is None else f"fine-tuned the {base} model"
    console.print(f"{how} on {summary['recordings']} recordings ({summary['samples']} labelled "
                  f"samples) in {summary['seconds']} s; best epoch {summary['best_epoch']} -> "
                  f"{output}")


_FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


@events_app.command("plot")
@run_safely
@reader_options
def plot(
    recording_path: Path = typer.Argument(..., metavar="RECORDING",
                                          help="A recording (any format --format reads)."),
    events: Path | None = typer.Option(None, "--events", help="Events table from 'events "
                                       "detect' (default: the recording's own labels, else "
                                       "detected with --method)."),
    output: Path = typer.Option(..., "--output", "-o", help="Figure: .png, .svg or .pdf."),
    method: str = typer.Option("nh", "--method", "-m", help="Detector when the recording has "
                               "no labels and no --events is given."),
    stimulus: StimulusOption = Stimulus.auto,
    reader: ReaderOptions = None,
) -> None:
    """Plot x and y over time with a colour band per event (a classification plot).

    Positions are in degrees when the screen geometry is known, else in pixels.

    Example: gazelearn events detect rec.csv --method nh --output ev.csv

    Example: gazelearn events plot rec.csv --events ev.csv --output rec.png
    """
    from gazelearn.io import read, read_events

    if output.suffix.lower() not in _FIGURE_SUFFIXES:
        raise InputError(f"--output {output}: expected a .png, .svg or .pdf file")
    recording = read(recording_path, **reader.kwargs())
    if events is not None:
        labels = read_events(events).to_labels(recording.time)
        origin = events.name
    elif recording.labels is not None:
        labels, origin = recording.labels, "labels of the recording"
    else:
        labels = _detector(method, {}).predict(recording, stimulus=stimulus.value)
        origin = method
    from gazelearn.report.html import save_figure  # matplotlib: only this command needs it
    from gazelearn.report.recording_plots import trace  # the trace of 'gazelearn plot' too

    figure = trace(recording, labels, title=f"{recording_path.name}: {origin}")
    output.parent.mkdir(parents=True, exist_ok=True)
    save_figure(figure, output)
    console.print(f"{recording_path.name}: {len(recording)} samples -> {output}")
