"""``gazelearn info`` and ``gazelearn convert``: describe and convert recordings.

Both take the shared reader options of :mod:`gazelearn.cli.reader_options`;
:mod:`gazelearn.cli.main` registers them as top-level commands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from gazelearn.cli.batch import KeepGoingOption, SchedulerOption, WorkersOption
from gazelearn.cli.common import console, run_safely
from gazelearn.cli.reader_options import ReaderOptions, reader_options
from gazelearn.errors import InputError

if TYPE_CHECKING:  # numpy, polars and the readers load when a command runs, not at start-up
    from gazelearn.recording import Recording


def recording_info(rec: Recording) -> dict:
    """What ``gazelearn info`` reports about a recording (JSON-ready)."""
    import numpy as np

    from gazelearn.io.writers import jsonable
    from gazelearn.metrics.quality import data_quality  # metrics load only when info runs

    summary = rec.summary()
    timing = rec.timing()
    summary["timing_detail"] = {"regular": timing.regular, "duplicates": timing.n_duplicates,
                                "irregular_intervals": timing.n_irregular,
                                "gaps": timing.n_gaps, "longest_gap_s": timing.longest_gap_s}
    standard = ("source", "format", "samples", "duration_s", "sampling_rate_hz", "timing",
                "lost_percent", "screen", "labels", "timing_detail")
    summary["metadata"] = {k: _brief(v) for k, v in summary.items() if k not in standard
                           and not isinstance(v, np.ndarray)}  # per-sample arrays: not facts
    summary["quality"] = data_quality(rec)
    return jsonable({k: summary[k] for k in (*standard, "metadata", "quality")}, finite=True)


def _brief(value):
    """A metadata value for ``info``: tables (messages, tracker events) as their row count."""
    height = getattr(value, "height", None)  # polars DataFrame
    if height is None and hasattr(value, "frame"):  # gazelearn Events
        height = value.frame.height
    return value if height is None else height


def _print_recording(info: dict) -> None:
    from gazelearn.screen import Screen

    console.print(f"[bold]{escape(info['source'])}[/]  ({info['format']})", markup=True,
                  highlight=False)
    rows = [("samples", f"{info['samples']}  ({info['duration_s']} s)"),
            ("sampling", info["timing"]),
            ("lost", f"{info['lost_percent']} %")]
    screen = info["screen"]
    rows.append(("screen", "unknown" if screen is None else Screen.from_dict(screen).describe()))
    labels = info["labels"]
    rows.append(("labels", ", ".join(f"{k} {100 * v:.1f} %" for k, v in labels.items())
                 if labels else "none"))
    meta = ", ".join(f"{k} {_count(v)}" for k, v in info["metadata"].items() if v is not None)
    rows.append(("metadata", meta or "none"))
    if "quality" in info:
        rows.extend(_quality_rows(info["quality"]))
    for name, value in rows:
        console.print(f"  {name:<10} {value}", highlight=False, soft_wrap=True)


def _number(value, unit: str, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}g} {unit}"


def _quality_rows(quality: dict) -> list[tuple[str, str]]:
    """The data-quality lines of ``info`` (see docs/quality.md for each number)."""
    on = "fixations" if quality["precision_on"] == "fixation" else "all samples"
    precision = (f"RMS-S2S {_number(quality['rms_s2s_px'], 'px')}, "
                 f"STD {_number(quality['std_px'], 'px')}")
    if quality["rms_s2s_deg"] is not None:
        precision += (f"; RMS-S2S {_number(quality['rms_s2s_deg'], 'deg')}, "
                      f"STD {_number(quality['std_deg'], 'deg')}")
    rows = [("precision", f"{precision}  (on {on})"),
            ("jitter", f"interval {_number(quality['interval_ms'], 'ms', 4)}, SD "
                       f"{_number(quality['jitter_std_ms'], 'ms')}, max deviation "
                       f"{_number(quality['jitter_max_ms'], 'ms')}")]
    off = quality["out_of_screen"]
    rows.append(("off-screen", "screen unknown" if off is None else f"{100 * off:.2f} % of "
                 "samples with a position"))
    rows.append(("non-finite", f"{quality['nonfinite_values']} values (lost samples)"))
    return rows


def _count(value):
    """Lists (calibrations, validations) as their length in the text output."""
    return len(value) if isinstance(value, list) and value and isinstance(value[0], dict) \
        else value


def _print_images(info: dict) -> None:
    console.print(f"[bold]{escape(info['source'])}[/]  ({info['format']})", markup=True,
                  highlight=False)
    console.print(f"  {'images':<10} {info['images']}", highlight=False)
    for column, sizes in info["image_sizes"].items():
        text = ", ".join(f"{size} px ({count})" for size, count in sizes.items())
        console.print(f"  {'size':<10} {column}: {text}", highlight=False, soft_wrap=True)
    ranges = info["target_range_px"]
    if ranges:
        console.print(f"  {'targets':<10} x {ranges['x'][0]:g}..{ranges['x'][1]:g} px, "
                      f"y {ranges['y'][0]:g}..{ranges['y'][1]:g} px", highlight=False)


def _info_items(paths: list[Path], reader: ReaderOptions) -> list[tuple[str, Path]]:
    """What ``info`` describes: ``("images", path)``, ``("recording", file)`` (folders expanded)."""
    from gazelearn.io import IMAGE_FORMATS, detect_format, expand_paths

    kwargs = reader.kwargs()
    fmt = kwargs.get("format", "auto")
    options = {k: v for k, v in kwargs.items() if k != "format"}
    items = []
    for path in paths:
        if fmt in ("auto", *IMAGE_FORMATS) and path.exists():
            try:
                kind = detect_format(path) if fmt == "auto" else fmt
            except InputError:
                if not path.is_dir():
                    raise
                kind = None  # a folder of recordings: expanded below
            if kind in IMAGE_FORMATS:
                items.append(("images", path))
                continue
        items.extend(("recording", file) for file in expand_paths([path], fmt, **options))
    return items


@dataclass(frozen=True)
class _InfoJob:
    """``info`` of one file or image set (picklable: it runs on pool and cluster workers)."""

    reader: dict

    def __call__(self, item: tuple[str, Path]) -> list[dict]:
        from gazelearn.io import read_all
        from gazelearn.io.images import read_images
        from gazelearn.io.writers import jsonable

        kind, path = item
        if kind == "images":
            return [jsonable(read_images(path).summary(), finite=True)]
        # every recording of the file: an EyeLink file gives one per trial
        return [recording_info(rec) for rec in read_all(path, **self.reader)]


def collect_info(paths: list[Path], reader: ReaderOptions) -> list[dict]:
    """``gazelearn info`` results for files, folders of recordings and image sets (in order)."""
    job = _InfoJob(reader.kwargs())
    return [info for item in _info_items(paths, reader) for info in job(item)]


@run_safely
@reader_options
def info(
    files: list[Path] = typer.Argument(..., help="Recordings, folders of recordings, image "
                                       "folders or image manifests."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON (a list)."),
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    keep_going: KeepGoingOption = True,
    reader: ReaderOptions = None,
) -> None:
    """Describe recordings: format, duration, sampling rate, lost data, screen, labels, metadata.

    Files are read on every core (--workers) or a Dask cluster (--scheduler), in input order.

    A bad file is reported and skipped (exit 1 at the end; --no-keep-going stops there).

    Example: gazelearn info ../shared/data/lund2013-dev/img/TH38_img_Europe_labelled_RA.mat

    Example: gazelearn info gaze.tsv --time-col t --x-col gx --y-col gy --time-unit us --json
    """
    from gazelearn.cli.batch import Failures, run_each

    items = _info_items(files, reader)
    if scheduler:
        items = [(kind, path.absolute()) for kind, path in items]
    failures = Failures(total=len(items))
    results = []
    for outcome in run_each(_InfoJob(reader.kwargs()), items, failures, workers=workers,
                            scheduler=scheduler, keep_going=keep_going,
                            name=lambda item: str(item[1])):
        if as_json:
            results.extend(outcome.result)
            continue
        for result in outcome.result:  # printed as they come, in input order
            if "images" in result:
                _print_images(result)
            else:
                _print_recording(result)
    if as_json:
        typer.echo(json.dumps(results, indent=2))
    failures.finish()


@dataclass(frozen=True)
class _ConvertJob:
    """``convert`` of one file (picklable: it runs on pool and cluster workers)."""

    reader: dict
    sidecar: bool
    protected: dict  # inputs inside the target folder(s): no output may be one of them

    def __call__(self, item: tuple[Path, Path]) -> list[tuple[Path, int, str]]:
        from gazelearn.cli.batch import per_recording_targets, refuse_overwrite
        from gazelearn.io import read_all, write_recording

        source, target = item
        recordings = read_all(source, **self.reader)
        targets = per_recording_targets(target, recordings)
        refuse_overwrite([*targets, *_sidecars(targets, self.sidecar)], self.protected,
                         what="target")
        target.parent.mkdir(parents=True, exist_ok=True)
        for recording, out in zip(recordings, targets, strict=True):
            write_recording(recording, out, sidecar=self.sidecar)
        return [(out, len(rec), rec.meta.format) for rec, out in zip(recordings, targets,
                                                                     strict=True)]


def _sidecars(targets: list[Path], sidecar: bool) -> list[Path]:
    from gazelearn.io.delimited import sidecar_path

    return [sidecar_path(t) for t in targets if sidecar and t.suffix.lower() in (".csv", ".tsv")]


@run_safely
@reader_options
def convert(
    sources: list[Path] = typer.Argument(..., help="The recordings to read (any supported "
                                         "format; files or folders)."),
    target: Path = typer.Argument(..., help="The file to write: .csv, .tsv or .parquet; a "
                                  "folder for several sources."),
    sidecar: bool = typer.Option(True, "--sidecar/--no-sidecar",
                                 help="Beside a CSV, write FILE.json with screen and metadata."),
    out_format: str = typer.Option("csv", "--out-format",
                                   help="With several sources: csv or parquet files in TARGET."),
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    keep_going: KeepGoingOption = True,
    reader: ReaderOptions = None,
) -> None:
    """Convert recordings to gazelearn's CSV or Parquet (time s, x y px, pupil, label).

    Several sources (or folders) go to the folder TARGET, each keeping its file stem.

    A file of several trials gives one file per trial (TARGET_TRIAL.csv).

    Files run on every core (--workers) or a Dask cluster (--scheduler); a bad one is skipped.

    An output never overwrites an input.

    Example: gazelearn convert TH38_img_Europe_labelled_RA.mat th38.parquet

    Example: gazelearn convert raw.txt raw.csv --time-col 0 --x-col 1 --y-col 2 --time-unit us

    Example: gazelearn convert recordings/ converted/ --out-format parquet --workers 8
    """
    from gazelearn.cli.batch import Failures, input_identities, refuse_overwrite, run_each
    from gazelearn.io import expand_paths
    from gazelearn.io.writers import CSV_SUFFIXES, PARQUET_SUFFIXES

    if out_format not in ("csv", "parquet"):
        raise InputError(f"--out-format {out_format!r}: expected csv or parquet")
    kwargs = reader.kwargs()
    fmt = kwargs.get("format", "auto")
    files = expand_paths(sources, fmt, **{k: v for k, v in kwargs.items() if k != "format"})
    several = len(files) > 1 or any(p.is_dir() for p in sources)
    if several:
        if target.suffix.lower() in (*CSV_SUFFIXES, *PARQUET_SUFFIXES):
            raise InputError(f"{target}: several sources need a folder as the target, not a file")
        targets = [target / f"{path.stem}.{out_format}" for path in files]
        if len(set(targets)) != len(targets):
            raise InputError("two sources have the same file stem; their outputs would collide")
    else:
        targets = [target]
    refuse_overwrite([*targets, *_sidecars(targets, sidecar)], input_identities(files),
                     what="target")
    if scheduler:  # the workers of a cluster have their own working directory
        files, targets = [p.absolute() for p in files], [p.absolute() for p in targets]
    job = _ConvertJob(kwargs, sidecar, input_identities(files, within={t.parent for t in targets}))
    failures = Failures(total=len(files))
    for outcome in run_each(job, list(zip(files, targets, strict=True)), failures,
                            workers=workers, scheduler=scheduler, keep_going=keep_going,
                            name=lambda item: str(item[0])):
        for written, samples, fmt_read in outcome.result:
            shown = written if not scheduler else _relative(written)
            console.print(f"wrote {shown} ({samples} samples, {fmt_read} -> "
                          f"{written.suffix.lstrip('.')})", highlight=False)
    failures.finish()


def _relative(path: Path) -> Path:
    """``path`` as given on the command line when it lies below the working directory."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
