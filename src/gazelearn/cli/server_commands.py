"""``gazelearn server`` (the browser app) and ``gazelearn collection`` (its data).

Binding contract::

    gazelearn server [--host 127.0.0.1] [--port 8000] [--data DIR] [--token T]

Beside it, for the collected data (frames, profiles, sessions under ``--data``)::

    gazelearn collection list   [--data DIR]
    gazelearn collection export [--data DIR] --person P [--measurement M] --output MANIFEST.csv
                                [--crops]
    gazelearn collection delete [--data DIR] --person P --yes

See ``docs/server.md``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gazelearn.cli.common import VerboseOption, console, run_safely, show_native_logs
from gazelearn.errors import InputError

#: Where the app keeps its data unless --data says otherwise.
DEFAULT_DATA = Path(os.environ.get("GAZELEARN_DATA", "gazelearn-data"))

DataOption = Annotated[Path, typer.Option(
    "--data", help="Data directory: images, SQLite index, profiles, sessions "
    "(default ./gazelearn-data or $GAZELEARN_DATA).")]


@run_safely
def server(
    host: Annotated[str, typer.Option(
        "--host", help="Address to bind. Anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    data: DataOption = DEFAULT_DATA,
    token: Annotated[str | None, typer.Option(
        "--token", help="Secret every API/WebSocket request must carry (open the app as "
        "http://HOST:PORT/?token=T). Required when --host is not loopback.",
        envvar="GAZELEARN_TOKEN")] = None,
    max_upload_kb: Annotated[int, typer.Option(
        "--max-upload-kb", help="Largest frame accepted, in kB.")] = 2000,
    frame_rate: Annotated[float, typer.Option(
        "--frame-rate", help="Most frames per second per WebSocket connection.")] = 60.0,
    dots: Annotated[int, typer.Option(
        "--dots", help="Dots per collection measurement.")] = 100,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Frames processed at the same time over all connections "
        "(default: the CPU cores).")] = None,
    max_validation_error_pct: Annotated[float, typer.Option(
        "--max-validation-error-pct", help="Refuse a calibration (not saved, flagged with a "
        "recalibrate button) whose mean validation error is above this % of the screen; "
        "100 accepts every calibration.")] = 10.0,
    gaze_model: Annotated[str, typer.Option(
        "--gaze-model", help="What a calibration fits: geometry (the eyeball model, as "
        "gazelearn track --calibrate) or landmarks (the landmark regressor).")] = "geometry",
    appearance_frames: Annotated[int, typer.Option(
        "--appearance-frames", help="With --gaze-model geometry: from this many usable "
        "calibration frames (a pursuit gives them) the geometry is blended with eye-crop "
        "CNNs trained on the session's frames, as gazelearn track --calibrate; the fit then "
        "takes a few minutes. 0: never.")] = 100,
    verbose: bool = VerboseOption,
) -> None:
    """Run the browser app: collection, calibration, live gaze, recording.

    Example: gazelearn server --data ~/gaze-data  (then open http://127.0.0.1:8000/)
    """
    from gazelearn.server import check_binding, serve

    show_native_logs(verbose)
    check_binding(host, token)
    if not 1 <= port <= 65535:
        raise InputError(f"--port must be 1..65535, got {port}")
    if max_upload_kb < 1 or frame_rate <= 0 or dots < 1 or (workers is not None and workers < 1):
        raise InputError("--max-upload-kb, --frame-rate, --dots and --workers must be positive")
    if appearance_frames < 0:
        raise InputError(f"--appearance-frames must be 0 (never) or more, got {appearance_frames}")
    if not 0 <= max_validation_error_pct <= 100:
        raise InputError(f"--max-validation-error-pct must be 0..100, got "
                         f"{max_validation_error_pct}")
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    query = f"?token={token}" if token else ""

    def announce() -> None:  # once the port is bound: a busy port fails first, in one line
        console.print(f"gazelearn app on http://{shown}:{port}/{query}  (data in {data}; "
                      "Ctrl-C stops)", highlight=False)

    serve(data, host=host, port=port, token=token, max_upload_bytes=1000 * max_upload_kb,
          frame_rate=frame_rate, dots_per_measurement=dots, pipeline_workers=workers,
          max_error_pct=max_validation_error_pct, gaze_model=gaze_model,
          appearance_frames=appearance_frames, announce=announce)


collection_app = typer.Typer(
    help="The browser app's collected data: list, export as a manifest, delete a person.",
    no_args_is_help=True)


@collection_app.command("list")
@run_safely
def collection_list(data: DataOption = DEFAULT_DATA) -> None:
    """Persons, measurements and frame counts.

    Example: gazelearn collection list --data ~/gaze-data
    """
    store = _existing(data)
    rows = store.measurements()
    if not rows and not store.persons():
        console.print(f"no data in {data}", highlight=False)
        return
    for person in store.persons():
        mine = [r for r in rows if r["person"] == person]
        text = ", ".join(f"m{r['id']}: {r['frames']} frames" for r in mine) or "no measurement"
        profile = " (calibration profile)" if store.profile_path(person).is_file() else ""
        console.print(f"{person}: {text}{profile}", highlight=False)


@collection_app.command("export")
@run_safely
def collection_export(
    person: Annotated[str | None, typer.Option(
        "--person", help="Export this person's frames (default: everybody's).")] = None,
    measurement: Annotated[int | None, typer.Option(
        "--measurement", help="Only this measurement.")] = None,
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Manifest CSV to write (image paths relative to it).")] = Path(
        "manifest.csv"),
    crops: Annotated[bool, typer.Option(
        "--crops/--frames", help="Cut face and eye crops (columns face, left_eye, right_eye: "
        "the multi-input gaze model's input) instead of listing the whole frames.")] = False,
    data: DataOption = DEFAULT_DATA,
) -> None:
    """Write collected frames as the manifest CSV the gaze models train on.

    Example: gazelearn collection export --person p01 --output p01.csv --crops
    """
    result = _existing(data).export_manifest(output, person, measurement, crops=crops)
    skipped = f", {result['no_face']} without a face left out" if crops else ""
    console.print(f"wrote {output}: {result['rows']} of {result['frames']} frames{skipped}",
                  highlight=False)


@collection_app.command("delete")
@run_safely
def collection_delete(
    person: Annotated[str, typer.Option("--person", help="The person to delete.")],
    yes: Annotated[bool, typer.Option("--yes", help="Really delete (no undo).")] = False,
    data: DataOption = DEFAULT_DATA,
) -> None:
    """Delete every frame, index row, profile and session of a person.

    Example: gazelearn collection delete --person p01 --yes
    """
    store = _existing(data)
    if not yes:
        raise InputError(f"this deletes all data of {person!r} in {data}; add --yes to confirm")
    removed = store.delete_person(person)
    if not any(removed.values()):
        raise InputError(f"nothing matched person {person!r}: no frames, measurements, "
                         "sessions or files", source=data)
    console.print(f"deleted {person}: {removed['frames']} frame rows, "
                  f"{removed['measurements']} measurements, {removed['sessions']} sessions, "
                  f"{removed['files']} files", highlight=False)


def _existing(data: Path):
    from gazelearn.server import Storage

    if not (data / "index.sqlite").is_file():
        raise InputError("no gazelearn data directory here (no index.sqlite)", source=data)
    return Storage(data)
