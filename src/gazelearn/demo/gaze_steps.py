"""Demo steps on images: synthetic eyes, the gaze CNN with BN calibration, the webcam pipeline."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

import numpy as np

from gazelearn.demo.tour import DemoContext


def bundled_face_path() -> Path:
    """A face photo shipped in the package (NASA's public-domain astronaut portrait)."""
    return Path(str(resources.files("gazelearn") / "data" / "face.jpg"))


def face_video(n_frames: int, size=(320, 240), seed: int = 0) -> np.ndarray:
    """A webcam-like clip: the bundled face drifting and turning a little on a plain background.

    Examples
    --------
    >>> face_video(3).shape
    (3, 240, 320, 3)
    """
    from PIL import Image

    face = Image.open(bundled_face_path()).convert("RGB")
    rng = np.random.default_rng(seed)
    width, height = size
    frames = np.empty((n_frames, height, width, 3), dtype=np.uint8)
    for i in range(n_frames):
        phase = 2 * np.pi * i / max(n_frames, 1)
        turned = face.rotate(6 * np.sin(phase), resample=Image.BILINEAR, fillcolor=(90, 90, 90))
        canvas = Image.new("RGB", size, (90, 90, 90))
        dx = int((width - face.width) / 2 + 20 * np.sin(phase))
        dy = int((height - face.height) / 2 + 8 * np.cos(phase))
        canvas.paste(turned, (dx, dy))
        noisy = np.asarray(canvas, dtype=np.int16) + rng.integers(-4, 5, (height, width, 3))
        frames[i] = np.clip(noisy, 0, 255)
    return frames


def _image_grid(images: np.ndarray, columns: int):
    from gazelearn.report._common import new_figure

    rows = int(np.ceil(len(images) / columns))
    fig = new_figure((1.6 * columns, 1.1 * rows))
    for i, image in enumerate(images):
        ax = fig.add_subplot(rows, columns, i + 1)
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        ax.set_axis_off()
    return fig


def eyes(ctx: DemoContext) -> dict:
    """Render synthetic eye images: persons x measurements x frames at random dots."""
    from gazelearn.simulate import simulate_eye_dataset

    persons, frames = ctx.size(4, 16), ctx.size(40, 100)
    t0 = time.perf_counter()
    data = simulate_eye_dataset(persons, 2, frames, seed=0)
    seconds = time.perf_counter() - t0
    ctx.data["eyes"] = data
    ctx.report.text(f"{persons} synthetic persons x 2 measurements (sittings: head position, "
                    f"light, camera gain) x {frames} frames, each looking at a random dot on a "
                    f"{data.screen.width_px} x {data.screen.height_px} screen; 64 x 36 "
                    f"grayscale, rendered in {seconds:.1f} s. Each person has an angular "
                    "offset between optical and visual axis, which calibration must learn.")
    people = np.unique(data.person)
    picks = [int(np.flatnonzero(data.person == p)[0]) for p in people[:8]]
    shown = (f"each of the {len(people)} persons" if len(picks) == len(people)
             else f"each of the first {len(picks)} of the {len(people)} persons")
    ctx.figure(_image_grid(data.images[picks], columns=4),
               caption=f"The first frame of {shown} (their first measurement)")
    return {"persons": persons, "measurements": 2, "frames": frames, "seconds": seconds}


def gaze(ctx: DemoContext) -> dict:
    """Train the residual gaze CNN with random batches and with one-measurement batches (BN)."""
    from gazelearn.appearance import GazeRegressor
    from gazelearn.metrics import error_pct_normalized, error_px
    from gazelearn.report.spatial import error_vector_panels

    data = ctx.data["eyes"]
    screen = data.screen
    test_persons = np.unique(data.person)[-ctx.size(1, 3):]
    test = np.isin(data.person, test_persons)
    groups = data.measurement.astype(str)
    epochs = ctx.size(2, 10)
    models = {}
    for calibration in ("none", "bn"):
        models[calibration] = GazeRegressor(
            "resnet", epochs=epochs, calibration=calibration,
            screen_size=(screen.width_px, screen.height_px), num_threads=1, progress=False,
            seed=0).fit(data.images[~test], data.targets_px[~test], groups=groups[~test])
    k = 9
    # table name -> (panel title of the error figure, [(targets, estimates) per measurement])
    names = {"base": ("baseline (random batches)", "baseline"),
             "bn": ("per-measurement BN (test-time batch statistics)", "per-measurement BN"),
             "profile": (f"stored BN profile + affine from {k} calibration frames",
                         "stored BN profile + affine")}
    rows: dict[str, list] = {key: [] for key in names}
    for group in np.unique(groups[test]):
        members = np.flatnonzero(groups == group)
        calib, scored = members[:k], members[k:]
        truth = data.targets_px[scored]
        base, bn = models["none"], models["bn"]
        base.reset_calibration()
        bn.reset_calibration()
        rows["base"].append((truth, base.predict(data.images[scored])))
        rows["bn"].append((truth, bn.predict(data.images[scored], groups=groups[scored])))
        bn.calibrate(data.images[calib], data.targets_px[calib], bn=True, affine=True)
        rows["profile"].append((truth, bn.predict(data.images[scored])))
        bn.reset_calibration()
    table, vectors = [], {}
    for key, parts in rows.items():
        truth = np.concatenate([p[0] for p in parts])
        pred = np.concatenate([p[1] for p in parts])
        vectors[names[key][1]] = (truth, pred)
        table.append({"method": names[key][0],
                      "% of screen": float(np.mean(error_pct_normalized(truth, pred, screen))),
                      "px": float(np.mean(error_px(truth, pred)))})
    ctx.report.text(f"A depthwise-separable residual CNN trained {epochs} epochs on "
                    f"{int((~test).sum())} frames, tested on {len(test_persons)} unfamiliar "
                    "person(s). 'Per-measurement BN' trains every batch from one measurement "
                    "and normalises a test measurement with its own batch statistics; the "
                    "stored profile is the real-time form (statistics and an affine correction "
                    f"from {k} calibration frames, then frame by frame). Error = Euclidean "
                    "distance in screen fractions, as % of the screen.")
    if ctx.quick:
        ctx.report.note("Quick tour: a network trained 2 epochs on a few hundred frames has "
                        "learned next to nothing, so these errors show that the steps run, "
                        "not what calibration does; run the demo without --quick for that.")
    ctx.report.table(table, decimals={"% of screen": 1, "px": 0},
                     caption="Mean gaze error on unfamiliar people (% of screen to 1 decimal, "
                             "px to whole pixels)")
    n_points = len(next(iter(vectors.values()))[0])
    ctx.figure(error_vector_panels(vectors, screen_size=screen),
               caption=f"Gaze error on the screen: an arrow from each of the {n_points} "
                       "targets to its estimate, one panel per method, on one colour scale")
    return {"epochs": epochs, "train_frames": int((~test).sum()), "errors": table}


def tracking(ctx: DemoContext) -> dict:
    """Landmarks, normalised eye crops and head pose on a bundled face clip."""
    from gazelearn.webcam.crops import eye_crops
    from gazelearn.webcam.headpose import head_pose
    from gazelearn.webcam.landmarks import FaceLandmarker

    frames = face_video(ctx.size(10, 60))
    found, times, poses, crops = 0, [], [], []
    with FaceLandmarker() as landmarker:
        for frame in frames:
            t0 = time.perf_counter()
            face = landmarker.detect(frame)
            if face is not None:
                pair = eye_crops(frame, face)
                poses.append(head_pose(face.points))
                if len(crops) < 4:
                    crops.extend([pair["left"], pair["right"]])
            times.append(time.perf_counter() - t0)
            found += face is not None
    ms = 1000 * np.asarray(times[1:] or times)
    ctx.report.text(f"A {len(frames)}-frame clip made from the bundled face photo (drifting and "
                    f"turning). MediaPipe Face Mesh with iris refinement found the face in "
                    f"{found}/{len(frames)} frames; landmarks + eye crops took "
                    f"{np.median(ms):.1f} ms per frame (median, p95 {np.percentile(ms, 95):.1f}"
                    " ms). Gaze needs a person's calibration: run `gazelearn server` and open "
                    "the calibration page, or `gazelearn track --video FILE --profile P.json`.")
    if crops:
        ctx.figure(_image_grid(np.asarray(crops), columns=4),
                   caption=f"Both normalised eye crops of the first {len(crops) // 2} frames "
                           "with a face (corners level, scaled by their distance)")
    yaw = np.array([p[0] for p in poses]) if poses else np.array([np.nan])
    return {"frames": len(frames), "faces_found": found, "median_ms": float(np.median(ms)),
            "p95_ms": float(np.percentile(ms, 95)), "yaw_range_deg": float(np.ptp(yaw))}
