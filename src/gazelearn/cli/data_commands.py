"""``gazelearn info`` and ``gazelearn convert``: describe and convert recordings.

Both take the shared reader options of :mod:`gazelearn.cli.reader_options`;
:mod:`gazelearn.cli.main` registers them as top-level commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from gazelearn.cli.common import console, run_safely
from gazelearn.cli.reader_options import ReaderOptions, reader_options
from gazelearn.errors import InputError
from gazelearn.io import IMAGE_FORMATS, detect_format, expand_paths, read, write_recording
from gazelearn.io.images import read_images
from gazelearn.io.writers import jsonable
from gazelearn.recording import Recording
from gazelearn.screen import Screen


def recording_info(rec: Recording) -> dict:
    """What ``gazelearn info`` reports about a recording (JSON-ready)."""
    from gazelearn.metrics.quality import data_quality  # metrics load only when info runs

    summary = rec.summary()
    timing = rec.timing()
    summary["timing_detail"] = {"regular": timing.regular, "duplicates": timing.n_duplicates,
                                "irregular_intervals": timing.n_irregular,
                                "gaps": timing.n_gaps, "longest_gap_s": timing.longest_gap_s}
    standard = ("source", "format", "samples", "duration_s", "sampling_rate_hz", "timing",
                "lost_percent", "screen", "labels", "timing_detail")
    summary["metadata"] = {k: v for k, v in summary.items() if k not in standard}
    summary["quality"] = data_quality(rec)
    return jsonable({k: summary[k] for k in (*standard, "metadata", "quality")}, finite=True)


def _print_recording(info: dict) -> None:
    console.print(f"[bold]{info['source']}[/]  ({info['format']})", highlight=False)
    rows = [("samples", f"{info['samples']}  ({info['duration_s']} s)"),
            ("sampling", info["timing"]),
            ("lost", f"{info['lost_percent']} %")]
    screen = info["screen"]
    rows.append(("screen", "unknown" if screen is None else Screen.from_dict(screen).describe()))
    labels = info["labels"]
    rows.append(("labels", ", ".join(f"{k} {100 * v:.1f} %" for k, v in labels.items())
                 if labels else "none"))
    meta = ", ".join(f"{k} {v}" for k, v in info["metadata"].items() if v is not None)
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


def _print_images(info: dict) -> None:
    console.print(f"[bold]{info['source']}[/]  ({info['format']})", highlight=False)
    console.print(f"  {'images':<10} {info['images']}", highlight=False)
    for column, sizes in info["image_sizes"].items():
        text = ", ".join(f"{size} px ({count})" for size, count in sizes.items())
        console.print(f"  {'size':<10} {column}: {text}", highlight=False, soft_wrap=True)
    ranges = info["target_range_px"]
    if ranges:
        console.print(f"  {'targets':<10} x {ranges['x'][0]:g}..{ranges['x'][1]:g} px, "
                      f"y {ranges['y'][0]:g}..{ranges['y'][1]:g} px", highlight=False)


def collect_info(paths: list[Path], reader: ReaderOptions) -> list[dict]:
    """``gazelearn info`` results for files, folders of recordings and image sets."""
    kwargs = reader.kwargs()
    results = []
    fmt = kwargs.get("format", "auto")
    for path in paths:
        if fmt in ("auto", *IMAGE_FORMATS) and path.exists():
            try:
                kind = detect_format(path) if fmt == "auto" else fmt
            except InputError:
                if not path.is_dir():
                    raise
                kind = None  # a folder of recordings: expanded below
            if kind in IMAGE_FORMATS:
                results.append(jsonable(read_images(path).summary(), finite=True))
                continue
        options = {k: v for k, v in kwargs.items() if k != "format"}
        for file in expand_paths([path], fmt, **options):
            results.append(recording_info(read(file, **kwargs)))
    return results


@run_safely
@reader_options
def info(
    files: list[Path] = typer.Argument(..., help="Recordings, folders of recordings, image "
                                       "folders or image manifests."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON (a list)."),
    reader: ReaderOptions = None,
) -> None:
    """Describe recordings: format, duration, sampling rate, lost data, screen, labels, metadata.

    Example: gazelearn info ../shared/data/lund2013-dev/img/TH38_img_Europe_labelled_RA.mat

    Example: gazelearn info gaze.tsv --time-col t --x-col gx --y-col gy --time-unit us --json
    """
    results = collect_info(files, reader)
    if as_json:
        typer.echo(json.dumps(results, indent=2))
        return
    for result in results:
        if "images" in result:
            _print_images(result)
        else:
            _print_recording(result)


@run_safely
@reader_options
def convert(
    source: Path = typer.Argument(..., help="The recording to read (any supported format)."),
    target: Path = typer.Argument(..., help="The file to write: .csv, .tsv or .parquet."),
    sidecar: bool = typer.Option(True, "--sidecar/--no-sidecar",
                                 help="Beside a CSV, write <file>.json with screen and metadata."),
    reader: ReaderOptions = None,
) -> None:
    """Convert a recording to gazelearn's CSV or Parquet (time s, x y px, pupil, label).

    Example: gazelearn convert TH38_img_Europe_labelled_RA.mat th38.parquet

    Example: gazelearn convert raw.txt raw.csv --time-col 0 --x-col 1 --y-col 2 --time-unit us
    """
    recording = read(source, **reader.kwargs())
    write_recording(recording, target, sidecar=sidecar)
    console.print(f"wrote {target} ({len(recording)} samples, {recording.meta.format} -> "
                  f"{target.suffix.lstrip('.')})", highlight=False)
