"""A fake webcam for tests, demos and the load benchmark: a face photo moved around.

:func:`face_frames` pastes a face image (scikit-image's astronaut photo by default, a real face
MediaPipe finds) onto a grey canvas at positions that drift smoothly, so the landmarks, and the
gaze the app computes from them, change from frame to frame like a person moving a little.
:func:`write_y4m` writes frames as a YUV4MPEG2 file, which Chromium plays as its camera with
``--use-fake-device-for-media-stream --use-file-for-fake-video-capture=FILE.y4m``.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> frames = face_frames(3, size=(64, 48), face=np.full((16, 16, 3), 200, np.uint8))
>>> len(frames), frames[0].shape
(3, (48, 64, 3))
>>> path = write_y4m(pathlib.Path(tempfile.mkdtemp()) / "cam.y4m", frames, fps=30)
>>> path.read_bytes()[:31]
b'YUV4MPEG2 W64 H48 F30:1 Ip A1:1'
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gazelearn.errors import InputError


def astronaut_face(head: bool = False) -> np.ndarray:
    """scikit-image's astronaut photo (512 x 512 RGB, one face), or with ``head=True`` the
    300 x 300 square around her head (the face fills a third of it, as a webcam user's
    does); needs scikit-image."""
    try:
        from skimage import data
    except ImportError:  # pragma: no cover - a dev dependency
        raise InputError("the fake webcam's default face needs scikit-image (pip install "
                         "scikit-image)") from None
    photo = data.astronaut()
    return np.ascontiguousarray(photo[0:300, 90:390] if head else photo)


def place_face(face: np.ndarray, size=(640, 480), offset=(0.5, 0.5),
               background: int = 110) -> np.ndarray:
    """The face on a ``size`` canvas, its centre at ``offset`` (fractions of the free room)."""
    width, height = int(size[0]), int(size[1])
    canvas = np.full((height, width, 3), background, np.uint8)
    fh, fw = face.shape[:2]
    if fw > width or fh > height:
        import cv2

        scale = min(width / fw, height / fh)
        face = cv2.resize(face, (int(fw * scale), int(fh * scale)), interpolation=cv2.INTER_AREA)
        fh, fw = face.shape[:2]
    x = int(round(float(np.clip(offset[0], 0, 1)) * (width - fw)))
    y = int(round(float(np.clip(offset[1], 0, 1)) * (height - fh)))
    canvas[y:y + fh, x:x + fw] = face[:, :, :3]
    return canvas


def face_frames(n: int, size=(640, 480), face: np.ndarray | None = None,
                face_height: float = 0.5, period: int = 90) -> list[np.ndarray]:
    """``n`` RGB frames with the face drifting along a figure eight (``period`` frames); the
    default face is the astronaut's head, ``face_height`` of the frame height tall."""
    if face is None:
        import cv2

        face = astronaut_face(head=True)
        side = int(face_height * size[1])
        face = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
    phase = 2 * np.pi * np.arange(n) / period
    return [place_face(face, size, (0.5 + 0.35 * np.cos(p), 0.5 + 0.35 * np.sin(2 * p)))
            for p in phase]


def rgb_to_i420(frame: np.ndarray) -> bytes:
    """One RGB frame as I420 (BT.601 YUV 4:2:0) planes."""
    import cv2

    height, width = frame.shape[:2]
    if width % 2 or height % 2:
        raise InputError(f"I420 needs an even frame size, got {width} x {height}")
    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2YUV_I420).tobytes()


def write_y4m(path: str | Path, frames, fps: int = 30) -> Path:
    """Write RGB frames as an uncompressed YUV4MPEG2 (``.y4m``, 4:2:0) video."""
    frames = list(frames)
    if not frames:
        raise InputError("write_y4m needs at least one frame")
    height, width = frames[0].shape[:2]
    path = Path(path)
    with open(path, "wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F{int(fps)}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            if frame.shape[:2] != (height, width):
                raise InputError("all frames of a y4m video must have one size")
            handle.write(b"FRAME\n")
            handle.write(rgb_to_i420(frame))
    return path


def jpeg_bytes(frame: np.ndarray, quality: int = 85) -> bytes:
    """An RGB frame as JPEG bytes, as the browser's canvas sends them."""
    import cv2

    ok, data = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover
        raise InputError("JPEG encoding failed")
    return data.tobytes()
