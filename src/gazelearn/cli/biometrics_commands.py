"""``gazelearn biometrics``: identify and verify people from their eye movements.

``gazelearn biometrics train RECORDING... --labels LABELS.csv --output MODEL``
``gazelearn biometrics embed MODEL RECORDING... --output EMB.csv``
``gazelearn biometrics evaluate MODEL --enroll PATH [--enroll PATH ...] --probe PATH [...]
[--labels LABELS.csv] [--report out.html]``

``LABELS.csv`` has the columns ``recording`` (file name or stem) and ``label`` (the person).
``--enroll`` and ``--probe`` are repeatable; each takes a file, a folder (all recordings inside)
or a quoted glob pattern (``'data/*_bus.csv'``), so long lists need no repetition.
"""

from __future__ import annotations

import glob
from pathlib import Path

import typer

from gazelearn._terminal import progress_wanted
from gazelearn.cli.common import console, error_console, run_safely
from gazelearn.cli.reader_options import ReaderOptions, reader_options
from gazelearn.errors import InputError

biometrics_app = typer.Typer(
    help="Identify and verify people from their eye movements: train an embedding, embed "
    "recordings, evaluate enrollment/probe protocols.\n\nExample: gazelearn biometrics train "
    "data/*.csv --labels persons.csv --output persons.safetensors",
    no_args_is_help=True,
)


def _expand(paths: list[Path], option: str) -> list[Path]:
    """Files and folders as given; a path that does not exist but has * ? [ is a glob."""
    result: list[Path] = []
    for path in paths:
        text = str(path)
        if not path.exists() and any(c in text for c in "*?["):
            found = sorted(Path(p) for p in glob.glob(text, recursive=True))
            if not found:
                raise InputError(f"{option}: no file matches the pattern", source=text)
            result.extend(found)
        else:
            result.append(path)
    return result


def _read(paths: list[Path], reader: ReaderOptions, option: str = "RECORDING"):
    from gazelearn.io import read_dataset

    dataset = read_dataset(_expand(paths, option), **reader.kwargs())
    if len(dataset) == 0:
        raise InputError(f"{option}: no recordings found in the given paths")
    return dataset


def _persons(dataset, labels: Path | None) -> list:
    """Persons from the labels table (``label`` column), else the recordings' subject."""
    from gazelearn.biometrics import persons_of
    from gazelearn.io.label_table import labels_for, read_label_table

    if labels is None:
        return list(persons_of(dataset))
    targets, _ = labels_for(dataset, read_label_table(labels))
    return [str(t) for t in targets]


def _sources(dataset) -> list[Path]:
    """The files the recordings were read from (recordings without a file are left out)."""
    return [Path(rec.meta.source) for rec in dataset if rec.meta.source]


def _check_unseen(model: Path, enroll_data, probe_data, allow_seen: bool) -> None:
    """Refuse probes the model was trained on (``--allow-seen``: warn); say which enrollment
    recordings it saw (the closed-set protocol trains on them)."""
    from gazelearn.learn.modelfile import read_model_info
    from gazelearn.learn.provenance import seen_in_training, training_fingerprints

    stored = training_fingerprints(read_model_info(model))
    if stored is None:
        error_console.print(f"warning: {model.name} does not list its training files (written "
                            "before gazelearn stored them): whether the probes are new to it "
                            "cannot be checked", highlight=False, soft_wrap=True)
        return
    probes = _sources(probe_data)
    seen = seen_in_training(stored, probes)
    if seen:
        names = ", ".join(p.name for p in seen[:3]) + (" ..." if len(seen) > 3 else "")
        message = (f"{len(seen)} of {len(set(probes))} probe recordings were in the model's "
                   f"training data ({names}), so the scores would not test recognition of "
                   "new recordings")
        if not allow_seen:
            raise InputError(message + "; train without them, or pass --allow-seen to "
                             "evaluate anyway")
        error_console.print(f"WARNING: {message}. Evaluating anyway (--allow-seen): these "
                            "numbers are optimistic and must not be reported as a test.",
                            style="bold red", highlight=False, soft_wrap=True)
    enrolled = _sources(enroll_data)
    seen = seen_in_training(stored, enrolled)
    if seen:
        console.print(f"note: {len(seen)} of {len(set(enrolled))} enrollment recordings were "
                      "in the training data (the closed-set protocol)", highlight=False,
                      soft_wrap=True)


def _load(model: Path):
    from gazelearn.biometrics import EyeMovementEmbedder
    from gazelearn.learn.modelfile import load_model

    estimator = load_model(model)
    if not isinstance(estimator, EyeMovementEmbedder):
        raise InputError("not a biometrics model (train one with 'gazelearn biometrics "
                         "train')", source=model)
    return estimator


@biometrics_app.command("train")
@run_safely
@reader_options
def train(
    recordings: list[Path] = typer.Argument(..., help="Recording files or folders."),
    labels: Path = typer.Option(..., "--labels", help="CSV: recording (file name or stem), "
                                "label (the person)."),
    output: Path = typer.Option(..., "--output", "-o", help="Model file to write "
                                "(.safetensors) or directory."),
    loss: str = typer.Option("triplet", "--loss", help="triplet (metric learning with "
                             "semi-hard mining) or softmax (classifier baseline)."),
    architecture: str = typer.Option("conv1d", "--architecture", help="Window encoder: conv1d "
                                     "or gru."),
    embedding_dim: int = typer.Option(64, "--embedding-dim", min=2, help="Embedding length."),
    epochs: int = typer.Option(30, "--epochs", min=1, help="Training epochs."),
    window_s: float = typer.Option(1.0, "--window-s", help="Window length in seconds."),
    step_s: float = typer.Option(0.5, "--step-s", help="Window step in seconds."),
    lr: float = typer.Option(1e-3, "--lr", help="Learning rate."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    threads: int = typer.Option(None, "--threads", help="CPU threads (default: all cores)."),
    reader: ReaderOptions = None,
) -> None:
    """Train an embedding of eye-movement velocity windows that separates the labelled persons.

    Each recording's person comes from the labels table. The recordings are cut into windows of
    velocity (deg/s when the screen is known, else px/s); the model stores the window length,
    sampling rate and standardisation, and refuses recordings sampled at another rate.

    Example: gazelearn biometrics train data/*.csv --labels persons.csv --output
    persons.safetensors --epochs 30
    """
    from gazelearn.biometrics import EyeMovementEmbedder
    from gazelearn.learn.modelfile import save_model
    from gazelearn.learn.provenance import file_fingerprints

    if window_s <= 0 or step_s <= 0:
        raise InputError("--window-s and --step-s must be positive")
    dataset = _read(recordings, reader)
    persons = _persons(dataset, labels)
    if len(set(persons)) < 2:
        raise InputError("training needs recordings of at least two persons", source=labels)
    if output.parent != Path() and not output.parent.exists():
        raise InputError("cannot write: the folder does not exist", source=output)
    model = EyeMovementEmbedder(architecture=architecture, embedding_dim=embedding_dim,
                                loss=loss, epochs=epochs, window_s=window_s, step_s=step_s,
                                lr=lr, seed=seed, num_threads=threads,
                                progress=progress_wanted())
    model.fit(dataset, persons)
    # the files' names and content hashes: `biometrics evaluate` refuses probes seen here
    save_model(model, output, training_data={"recordings": len(dataset),
                                             "persons": len(set(persons)),
                                             "files": file_fingerprints(_sources(dataset))})
    console.print(f"trained a {loss} {architecture} embedding on {len(dataset)} recordings of "
                  f"{len(set(persons))} persons ({model.training_summary_['n_samples']} windows,"
                  f" {epochs} epochs, final loss {model.history_[-1]['loss']:.4f}); saved to "
                  f"{output}", soft_wrap=True, highlight=False)


@biometrics_app.command("embed")
@run_safely
@reader_options
def embed(
    model: Path = typer.Argument(..., help="Model from 'gazelearn biometrics train'."),
    recordings: list[Path] = typer.Argument(..., help="Recording files or folders."),
    output: Path = typer.Option(..., "--output", "-o", help="CSV to write: recording,e0,e1,..."),
    reader: ReaderOptions = None,
) -> None:
    """Write one embedding per recording (unit length; compare with cosine similarity).

    Columns: recording (the file name), e0, e1, ... One row per recording, in input order.

    Example: gazelearn biometrics embed persons.safetensors data/*.csv --output emb.csv
    """
    import polars as pl

    from gazelearn.io.atomic import atomic_write

    estimator = _load(model)
    dataset = _read(recordings, reader)
    vectors = estimator.embed_recordings(dataset)
    names = [Path(rec.meta.source or f"recording_{i}").name for i, rec in enumerate(dataset)]
    table = pl.DataFrame({"recording": names,
                          **{f"e{j}": vectors[:, j] for j in range(vectors.shape[1])}})
    with atomic_write(output) as temp:
        table.write_csv(temp)
    console.print(f"{len(table)} embeddings of length {vectors.shape[1]} written to {output}",
                  soft_wrap=True, highlight=False)


@biometrics_app.command("evaluate")
@run_safely
@reader_options
def evaluate(
    model: Path = typer.Argument(..., help="Model from 'gazelearn biometrics train'."),
    enroll: list[Path] = typer.Option(..., "--enroll", help="Enrollment recordings: a file, "
                                      "folder or quoted glob; repeatable."),
    probe: list[Path] = typer.Option(..., "--probe", help="Probe recordings: a file, folder or "
                                     "quoted glob; repeatable."),
    labels: Path | None = typer.Option(None, "--labels", help="CSV: recording, label (the "
                                       "person); default: the recordings' subject metadata."),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report (CMC, ROC, "
                                       "DET)."),
    as_json: Path | None = typer.Option(None, "--json", help="Write the numbers as JSON."),
    allow_seen: bool = typer.Option(False, "--allow-seen", help="Evaluate even when probe "
                                    "recordings were in the model's training data (refused "
                                    "by default); prints a warning."),
    skip_unenrolled: bool = typer.Option(False, "--skip-unenrolled", help="Leave out probes "
                                         "of persons without enrollment recordings (their "
                                         "count is printed); refused by default."),
    reader: ReaderOptions = None,
) -> None:
    """Enroll persons, probe with other recordings: rank-1, rank-5, EER, FRR at FAR 1e-2/1e-3.

    Each person's template is the mean embedding of their enrollment recordings; every probe is
    scored against every template by cosine similarity. Every probe person must be enrolled
    (or --skip-unenrolled). Probes the model was trained on are refused (the model file lists
    its training files by content hash). Use enrollment and probe recordings of different
    stimuli (and, for an open-set test, a model trained on other persons).

    Example: gazelearn biometrics evaluate persons.safetensors --enroll 'data/bus_*.csv'
    --enroll 'data/kot_*.csv' --probe 'data/nap_*.csv' --labels persons.csv --report bio.html
    """
    import json
    import shlex
    import sys

    from gazelearn.biometrics.protocol import evaluate_embedder
    from gazelearn.io.atomic import atomic_write
    from gazelearn.report.biometric_results import biometric_report

    estimator = _load(model)
    enroll_data = _read(enroll, reader, "--enroll")
    probe_data = _read(probe, reader, "--probe")
    enroll_files = {Path(r.meta.source).resolve() for r in enroll_data if r.meta.source}
    shared = [Path(r.meta.source).name for r in probe_data
              if r.meta.source and Path(r.meta.source).resolve() in enroll_files]
    if shared:
        raise InputError(f"recordings both enrolled and probed: {', '.join(shared[:3])} "
                         "(a probe must be new to the system)")
    _check_unseen(model, enroll_data, probe_data, allow_seen)
    enroll_persons, probe_persons = _persons(enroll_data, labels), _persons(probe_data, labels)
    if skip_unenrolled:
        keep = [i for i, person in enumerate(probe_persons) if person in set(enroll_persons)]
        skipped = sorted(set(probe_persons) - set(enroll_persons))
        if not keep:
            raise InputError("no probe person is enrolled (--skip-unenrolled left no probes)")
        if skipped:
            console.print(f"skipped {len(probe_persons) - len(keep)} probe recordings of "
                          f"{len(skipped)} persons not enrolled: {', '.join(skipped[:10])}"
                          f"{' ...' if len(skipped) > 10 else ''}", highlight=False,
                          soft_wrap=True)
        probe_data = probe_data.subset(keep)
        probe_persons = [probe_persons[i] for i in keep]
    result = evaluate_embedder(estimator, enroll_data, enroll_persons, probe_data, probe_persons)
    console.print(result.summary(), highlight=False, soft_wrap=True)
    if as_json is not None:
        with atomic_write(as_json, "w") as handle:
            handle.write(json.dumps(result.to_dict(), indent=1) + "\n")
    if report is not None:
        command = "gazelearn " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        biometric_report(result, "Biometrics: enrollment and probe", command=command,
                         data=f"{len(enroll_data)} enrollment, {len(probe_data)} probe "
                         f"recordings; model {model.name}").save(report)
        console.print(f"report written to {report}", highlight=False, soft_wrap=True)
