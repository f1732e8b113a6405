"""``gazelearn track``: webcam gaze from a video or a camera, without a browser.

Binding contract::

    gazelearn track --video FILE | --camera N --profile PROFILE.json --output REC.csv
    gazelearn track --calibrate MANIFEST.csv --profile OUT.json

The first runs :class:`gazelearn.webcam.Tracker` and writes a recording every gazelearn command
reads; the second fits a :class:`gazelearn.webcam.CalibrationProfile` from a manifest of face
frames with their x, y targets (``gazelearn.io.images`` manifest format) and prints the
validation on the manifest's last targets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gazelearn.cli.common import (
    VerboseOption,
    console,
    frame_lag_option,
    run_safely,
    show_native_logs,
)
from gazelearn.cli.reader_options import (
    DistanceMmOption,
    ReaderOptions,
    ScreenMmOption,
    ScreenPxOption,
)
from gazelearn.errors import InputError

_TRACK = "Tracking"
_CAL = "Calibration (--calibrate)"


def _image_column(columns: list[str], wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise InputError(f"no image column {wanted!r}; the manifest has {', '.join(columns)}",
                             field=wanted)
        return wanted
    faces = [c for c in columns if "face" in c.lower()]
    return faces[0] if faces else columns[0]


def _regressor(gaze_model: str, alpha: float | None, kernel: str, epochs: int | None, screen,
               calibration_fit: str = "auto", camera_mm=None, eyelid: bool = True,
               appearance_frames: int = 0):
    """The model a calibration fits: eyeball geometry (blended with eye-crop CNNs from
    ``appearance_frames`` usable frames, 0: never), landmark regressor, new CNN, or a
    pre-trained CNN."""
    from gazelearn.screen import Screen
    from gazelearn.webcam import EyeballGazeMapper, HybridGazeMapper, LandmarkGazeRegressor
    from gazelearn.webcam.crop_model import CropGazeModel

    if gaze_model == "geometry":
        from gazelearn.webcam.eyeball import DEFAULT_CAMERA_MM
        from gazelearn.webcam.geometry_mapper import CALIBRATIONS

        if calibration_fit not in CALIBRATIONS:
            raise InputError(f"--calibration-fit must be one of {', '.join(CALIBRATIONS)}, "
                             f"got {calibration_fit!r}")
        params = {"calibration": calibration_fit, "eyelid": eyelid,
                  "camera_mm": DEFAULT_CAMERA_MM if camera_mm is None
                  else tuple(float(v) for v in camera_mm)}
        if alpha is not None:  # else each mapper's own: 1 alone, 100 in the blend
            params["alpha"] = alpha
        if appearance_frames > 0:
            blend = HybridGazeMapper(screen=Screen.coerce(screen).to_dict(),
                                     geometry_params=params, min_frames=appearance_frames)
            return blend if epochs is None else blend.set_params(epochs=epochs)
        return EyeballGazeMapper(screen=Screen.coerce(screen).to_dict(), **params)
    if gaze_model == "landmarks":
        return LandmarkGazeRegressor(alpha=1.0 if alpha is None else alpha, kernel=kernel)
    if gaze_model == "cnn":
        return CropGazeModel(epochs=40 if epochs is None else epochs,
                             screen_size=Screen.coerce(screen).size_px)
    path = Path(gaze_model)
    if not path.is_file():
        raise InputError(f"--gaze-model must be geometry, landmarks, cnn or a gaze model file; "
                         f"{gaze_model!r} is none of these")
    from gazelearn.appearance import GazeRegressor
    from gazelearn.learn.modelfile import load_model

    pretrained = load_model(path)
    if not isinstance(pretrained, GazeRegressor):
        raise InputError(f"is a {type(pretrained).__name__}, not a gaze model (gazelearn gaze "
                         "train)", source=path)
    return CropGazeModel(pretrained)


#: A lag other than 0 is taken only when its error is below this share of lag 0's: frames
#: that show their own target keep lag 0 unless another lag is clearly better.
LAG_MARGIN = 0.8
#: Calibration frames with a face needed to look for a frame-target lag.
MIN_LAG_ROWS = 20


def _calibration_rows(targets, validation_fraction: float):
    """Whether each manifest row belongs to the calibration: its target is not among the last
    ``validation_fraction`` of the distinct targets in recording order."""
    from gazelearn.webcam import target_groups

    groups = target_groups(targets)
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    return groups < n_groups - int(round(validation_fraction * n_groups))


def _find_frame_lag(features, targets, validation_fraction: float, screen
                    ) -> tuple[int, dict]:
    """The frame-target lag (0-3) of a calibration manifest, from its calibration rows only
    (the validation targets stay unseen): a ridge on the frames' rows per lag, contiguous
    folds (:func:`gazelearn.appearance.lag.detect_feature_lag`)."""
    import numpy as np

    from gazelearn.appearance.lag import detect_feature_lag

    # the first targets in recording order
    rows = np.flatnonzero(_calibration_rows(targets, validation_fraction))
    usable = int(np.isfinite(features[rows]).all(axis=1).sum())
    if usable < MIN_LAG_ROWS:
        return 0, {"lag": 0, "reason": f"too few calibration frames with a face ({usable}; "
                   f"{MIN_LAG_ROWS} needed to find a lag)"}
    search = detect_feature_lag(features[rows], targets[rows],
                                screen_size=(screen.width_px, screen.height_px))
    lag = search.lag if search.errors_px[search.lag] < LAG_MARGIN * search.errors_px[0] else 0
    return lag, {**search.to_dict(), "lag": lag}


def calibrate_from_manifest(manifest: Path, output: Path, *, image_col: str | None = None,
                            validation_fraction: float = 0.2, screen=None,
                            alpha: float | None = None, kernel: str = "linear",
                            min_side: int = 0,
                            outlier_threshold: float | None = 3.5,
                            frame_lag: int | None = 0,
                            gaze_model: str = "geometry", epochs: int | None = None,
                            calibration_fit: str = "auto", camera_mm=None,
                            eyelid: bool = True, max_validation_error_pct: float | None = 10.0,
                            refuse_poor: bool = False, mirror: bool = False,
                            appearance_frames: int = 0) -> dict:
    """Fit and save a profile from a manifest of face frames; returns a summary dictionary.

    The manifest's distinct targets are split in recording order: the last
    ``validation_fraction`` of them are new targets for the validation report. With
    ``frame_lag = k`` the frame of row ``i + k`` is paired with the target of row ``i`` (for
    recordings whose frames were saved before the eyes reached the new target); with
    ``frame_lag=None`` (the command's ``--frame-lag auto``) the lag is found on the calibration
    rows (:func:`_find_frame_lag`) and reported in ``frame_lag_search``.

    ``gaze_model`` is ``geometry`` (the eyeball model with a few-parameter calibration,
    ``calibration_fit``, the camera ``camera_mm`` from the screen's top centre and the
    upper eyelids' vertical cue unless ``eyelid`` is False; the default), ``landmarks`` (the
    landmark regressor), ``cnn`` (a gaze CNN trained on the calibration frames' eye crops,
    ``epochs`` long, 40 by default) or a gaze-model file (``gazelearn gaze train``) to
    calibrate to this person with a BN profile and an affine correction.

    A validation whose mean error is above ``max_validation_error_pct`` % of the screen marks
    the profile not accepted (``meta["accepted"]``, as the browser app does); with
    ``refuse_poor`` it is refused: an :class:`InputError` and no profile written.

    ``mirror``: landmarks of each frame averaged with those of its mirror image
    (``FaceLandmarker(mirror=True)``); the profile records it (``meta["mirror"]``) and
    :class:`~gazelearn.webcam.Tracker` then tracks the same way.

    ``appearance_frames``: with ``gaze_model="geometry"`` and at least this many calibration
    rows, the geometry is blended with eye-crop CNNs trained on them
    (:class:`~gazelearn.webcam.HybridGazeMapper`, ``epochs`` long, by default its own; the
    command's default 100);
    0 never (the geometry alone).
    """
    import numpy as np

    from gazelearn.io.images import load_image, read_manifest
    from gazelearn.screen import Screen
    from gazelearn.webcam import FaceLandmarker, fit_profile, frame_input, target_groups
    from gazelearn.webcam.calibration import require_face_coverage

    if not 0 <= validation_fraction < 1:
        raise InputError(f"--validation-fraction must be in [0, 1), got {validation_fraction}")
    images = read_manifest(manifest)
    column = _image_column(images.columns, image_col)
    if screen is None:
        screen = Screen(1920, 1080)
    if appearance_frames < 0:
        raise InputError(f"--appearance-frames must be >= 0, got {appearance_frames}")
    # the CNNs need the crops of every frame: decided from the calibration's size up front
    calibration_rows = int(_calibration_rows(images.targets, validation_fraction).sum())
    mapper = _regressor(gaze_model, alpha, kernel, epochs, screen, calibration_fit, camera_mm,
                        eyelid, appearance_frames if calibration_rows >= appearance_frames > 0
                        else 0)
    hybrid = mapper.inputs == "landmarks+crops"
    rows, found = [], []
    with FaceLandmarker(static_image_mode=True, max_num_faces=3, min_side=min_side,
                        mirror=mirror) as marker:
        for path in images.images[column]:
            frame = load_image(path, "RGB")
            face = marker.detect(frame)
            found.append(face is not None)
            # what the mapper reads: landmark features, or eye crops for the CNN
            rows.append(frame_input(mapper, face, frame))
    features = np.array(rows).reshape(len(rows), mapper.input_size)
    targets = images.targets
    search = None
    if frame_lag is None:  # on the landmark rows (a blend's crop pixels are not searched)
        frame_lag, search = _find_frame_lag(
            features[:, :mapper.landmark_columns] if hybrid else features, targets,
            validation_fraction, screen)
    if frame_lag < 0 or frame_lag >= len(targets) - 2:
        raise InputError(f"--frame-lag must be in 0..{len(targets) - 3}, got {frame_lag}")
    found_dropped = int(np.sum(found[:frame_lag]))
    if frame_lag:
        features, targets = features[frame_lag:], targets[:len(targets) - frame_lag]
        found = found[frame_lag:]
    groups = target_groups(targets)
    n_groups = int(groups.max()) + 1
    n_validation = int(round(validation_fraction * n_groups))
    if n_groups - n_validation < 2:
        raise InputError(f"too few targets ({n_groups}) to calibrate and validate",
                         source=manifest)
    is_validation = groups >= n_groups - n_validation
    require_face_coverage(features[~is_validation], targets[~is_validation], source=manifest)
    profile = fit_profile(
        features[~is_validation], targets[~is_validation], screen,
        validation_features=features[is_validation] if n_validation else None,
        validation_targets=targets[is_validation] if n_validation else None,
        mapper=mapper, outlier_threshold=outlier_threshold,
        meta={"source": str(manifest), "image_column": column,
              "face_found_fraction": float(np.mean(found)),
              "validation_targets": n_validation, "frame_lag": frame_lag,
              "frame_lag_search": search,
              "gaze_model": "geometry+cnn" if hybrid else gaze_model,
              "max_validation_error_pct": max_validation_error_pct,
              "mirror": bool(mirror)})
    accepted = None
    if profile.validation is not None and max_validation_error_pct is not None:
        # 100 % accepts every calibration, even one whose points fall off the screen
        accepted = bool(max_validation_error_pct >= 100
                        or profile.validation.accuracy_pct <= max_validation_error_pct)
    profile.meta["accepted"] = accepted
    if refuse_poor and accepted is False:
        raise InputError(f"calibration refused: validation error "
                         f"{profile.validation.accuracy_pct:.2f} % of the screen is above the "
                         f"{max_validation_error_pct:g} % limit; no profile written (recalibrate, "
                         "or raise the limit)", params=("max_validation_error_pct",),
                         source=manifest)
    profile.save(output)
    return {"accepted": accepted, "frames": len(images),
            "faces_found": int(np.sum(found)) + found_dropped,
            "calibration_targets": n_groups - n_validation, "validation_targets": n_validation,
            "frame_lag": frame_lag, "frame_lag_search": search, "profile": profile}


@run_safely
def track(
    video: Annotated[Path | None, typer.Option(
        "--video", help="Video file to track (read with OpenCV).", rich_help_panel=_TRACK)] = None,
    camera: Annotated[int | None, typer.Option(
        "--camera", help="Camera index to track live (Ctrl-C stops).",
        rich_help_panel=_TRACK)] = None,
    profile: Annotated[Path | None, typer.Option(
        "--profile", help="Calibration profile JSON: read when tracking, written with "
        "--calibrate.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Recording to write (.csv, .tsv or .parquet).",
        rich_help_panel=_TRACK)] = None,
    calibrate: Annotated[Path | None, typer.Option(
        "--calibrate", help="Manifest CSV of face frames with x, y targets: fit a profile and "
        "save it to --profile.", rich_help_panel=_CAL)] = None,
    filter_name: Annotated[str, typer.Option(
        "--filter", help="Smoothing: one_euro, kalman or none.", rich_help_panel=_TRACK)
    ] = "one_euro",
    fixation_aware: Annotated[bool, typer.Option(
        "--fixation-aware/--no-fixation-aware", help="Reset smoothing across saccades.",
        rich_help_panel=_TRACK)] = True,
    jump_px: Annotated[float, typer.Option(
        "--jump-px", help="Jump (px) that counts as a saccade for --fixation-aware.",
        rich_help_panel=_TRACK)] = 150.0,
    max_frames: Annotated[int | None, typer.Option(
        "--max-frames", help="Stop after this many frames.", rich_help_panel=_TRACK)] = None,
    image_col: Annotated[str | None, typer.Option(
        "--image-col", help="Manifest column of the face images (default: the first with "
        "'face' in its name).", rich_help_panel=_CAL)] = None,
    validation_fraction: Annotated[float, typer.Option(
        "--validation-fraction", help="Share of the manifest's targets, the last ones, kept "
        "for validation.", rich_help_panel=_CAL)] = 0.2,
    alpha: Annotated[float | None, typer.Option(
        "--alpha", help="Ridge penalty of the regressor (of the geometry's ridge stage) "
        "(default 1.0; 100 for the geometry's stage beside the eye-image networks).",
        rich_help_panel=_CAL)] = None,
    kernel: Annotated[str | None, typer.Option(
        "--kernel", help="Regressor: linear (ridge, the default) or rbf (kernel ridge); "
        "given without --gaze-model it selects the landmark regressor.",
        rich_help_panel=_CAL)] = None,
    gaze_model: Annotated[str | None, typer.Option(
        "--gaze-model", help="geometry (eyeball model + few-parameter calibration; the "
        "default), landmarks (landmark regressor; the default when --kernel or --alpha is "
        "given), cnn (a gaze CNN trained on the calibration frames' eye crops) or a model file "
        "of 'gazelearn gaze train' to calibrate (BN profile + affine).",
        rich_help_panel=_CAL)] = None,
    calibration_fit: Annotated[str, typer.Option(
        "--calibration-fit", help="What the geometry's calibration fits: auto (offset from 1-2 "
        "targets, + eye gain from 3-4, + head gain and eyelid gains from 5), none, offset, "
        "scale, eye_head or affine.", rich_help_panel=_CAL)] = "auto",
    eyelid: Annotated[bool, typer.Option(
        "--eyelid/--no-eyelid", help="The geometry's vertical eyelid cue (upper-lid heights, "
        "one gain per eye, fitted from 5 targets).", rich_help_panel=_CAL)] = True,
    camera_mm: Annotated[tuple[float, float] | None, typer.Option(
        "--camera-mm", help="The camera's position from the centre of the screen's top edge, "
        "mm (x right, y down; default 0 -10).", rich_help_panel=_CAL)] = None,
    epochs: Annotated[int | None, typer.Option(
        "--epochs", help="Training epochs of --gaze-model cnn (default 40) and of the "
        "geometry's CNNs (--appearance-frames; default 160).", rich_help_panel=_CAL)] = None,
    appearance_frames: Annotated[int, typer.Option(
        "--appearance-frames", help="From this many calibration frames (a pursuit sweep, a "
        "100-dot collection) the geometry is blended with 3 eye-crop CNNs trained on them "
        "(about a minute of CPU each for 480 frames); 0: never.", rich_help_panel=_CAL)] = 100,
    frame_lag: Annotated[str, typer.Option(
        "--frame-lag", help="Pair the frame of row i+K with the target of row i (1 for "
        "webcam-crops-dev, whose frames lag their targets by one row); auto: the lag 0-3 "
        "whose ridge fit of the calibration frames has the lowest error on contiguous folds "
        "(a lag other than 0 only when 20 % better than 0; printed).",
        rich_help_panel=_CAL)] = "auto",
    min_side: Annotated[int, typer.Option(
        "--min-side", help="Upscale frames whose shorter side is below this (small face "
        "crops); 0: never.", rich_help_panel=_CAL)] = 0,
    max_validation_error_pct: Annotated[float, typer.Option(
        "--max-validation-error-pct", help="A validation error above this % of the screen "
        "is a poor calibration: warned about and marked not accepted in the profile (refused "
        "with --refuse-poor).", rich_help_panel=_CAL)] = 10.0,
    refuse_poor: Annotated[bool, typer.Option(
        "--refuse-poor/--keep-poor", help="Refuse a poor calibration (exit 1, no profile "
        "written) instead of writing it with a warning.", rich_help_panel=_CAL)] = False,
    tta: Annotated[bool | None, typer.Option(
        "--tta/--no-tta", help="Test-time mirroring: landmarks of each frame averaged with "
        "those of its mirror image (about twice the landmark time per frame: Tracker.step p95 "
        "13.7 ms on an idle 2-core machine; 9 x 3 points 12.7 -> 10.3 % of the screen). On "
        "when calibrating unless --no-tta; when tracking, as the profile was calibrated.")
        ] = None,
    screen_px: ScreenPxOption = None,
    screen_mm: ScreenMmOption = None,
    distance_mm: DistanceMmOption = None,
    verbose: bool = VerboseOption,
) -> None:
    """Track gaze from a video or a camera with a calibration profile, or fit a profile.

    Example: gazelearn track --video face.mp4 --profile me.json --output gaze.csv

    Example: gazelearn track --calibrate frames.csv --profile me.json --screen-px 1920 1080

    --calibrate fits the eyeball-geometry model; --gaze-model landmarks --kernel rbf the
    landmark regressor.
    """
    show_native_logs(verbose)
    sources = [name for name, value in (("--video", video), ("--camera", camera),
                                        ("--calibrate", calibrate)) if value is not None]
    if len(sources) != 1:
        raise InputError("give exactly one of --video FILE, --camera N or --calibrate MANIFEST"
                         + (f" (got {', '.join(sources)})" if sources else ""))
    if profile is None:
        raise InputError("--profile is required (the profile to use, or to write with "
                         "--calibrate)")
    # --screen-px alone gives px and % of screen; with --screen-mm and --distance-mm, degrees too
    if screen_px is not None and screen_mm is None and distance_mm is None:
        from gazelearn.screen import Screen

        screen = Screen(*screen_px)
    else:
        screen = ReaderOptions(screen_px=screen_px, screen_mm=screen_mm,
                               distance_mm=distance_mm).screen()
    if calibrate is not None:
        if not calibrate.is_file():
            raise InputError("manifest not found", source=calibrate)
        if gaze_model is None:  # --kernel / --alpha alone keep meaning the landmark regressor
            gaze_model = "landmarks" if kernel is not None or alpha is not None else "geometry"
        result = calibrate_from_manifest(
            calibrate, profile, image_col=image_col, validation_fraction=validation_fraction,
            screen=screen, alpha=alpha,
            kernel="linear" if kernel is None else kernel, min_side=min_side,
            frame_lag=frame_lag_option(frame_lag), gaze_model=gaze_model, epochs=epochs,
            calibration_fit=calibration_fit, camera_mm=camera_mm, eyelid=eyelid,
            max_validation_error_pct=max_validation_error_pct, refuse_poor=refuse_poor,
            mirror=True if tta is None else tta,  # the measured best (docs/results.md)
            appearance_frames=appearance_frames)
        fitted = result["profile"]
        search = result.get("frame_lag_search")
        if search is not None:
            errors = search.get("errors_px")
            console.print(f"frame lag: {result['frame_lag']} (frame i+{result['frame_lag']} "
                          "shows target i; " + (
                              "mean error per lag " + ", ".join(
                                  f"{k}: {v:.0f} px" for k, v in errors.items())
                              if errors else search["reason"]) + ")", highlight=False)
        console.print(f"faces found in {result['faces_found']} of {result['frames']} frames "
                      f"({100 * result['faces_found'] / result['frames']:.1f} %); calibrated on "
                      f"{result['calibration_targets']} targets", highlight=False)
        if fitted.validation is not None:
            console.print(f"validation on {result['validation_targets']} new targets: "
                          f"{fitted.validation.describe()}", highlight=False)
        if result["accepted"] is False:
            console.print(f"warning: the validation error is above the "
                          f"{max_validation_error_pct:g} % limit (--max-validation-error-pct): "
                          "a poor calibration, marked not accepted in the profile; recalibrate "
                          "(--refuse-poor refuses it)", highlight=False)
        console.print(f"wrote {profile}", highlight=False)
        return

    from gazelearn.io import write_recording
    from gazelearn.webcam import CalibrationProfile, Tracker, camera_frames, read_video

    if output is None:
        raise InputError("--output REC.csv is required when tracking")
    loaded = CalibrationProfile.load(profile)
    if video is not None:
        frames = read_video(video, max_frames)
        source = str(video)
    else:
        try:
            frames = camera_frames(camera, max_frames)
        except InputError as error:  # the library names the camera, the CLI its option
            raise InputError(error.reason, source=f"--camera {camera}") from None
        source = f"camera {camera}"
    tracker = Tracker(loaded, filter=filter_name, fixation_aware=fixation_aware,
                      jump_px=jump_px, mirror=tta)
    recording = tracker.process_timed(frames, source=source)
    write_recording(recording, output)
    extra = recording.meta.extra
    console.print(f"{len(recording)} frames, face found in "
                  f"{100 * extra['face_found_fraction']:.1f} %, blinks "
                  f"{100 * extra['blink_fraction']:.1f} %; wrote {output}", highlight=False)
