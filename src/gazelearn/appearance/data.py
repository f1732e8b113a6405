"""Load eye-image data for gaze models: image folders, manifest CSVs, synthetic eye folders.

:func:`load_gaze_data` reads

* a folder of ``X_Y.ext`` images (targets in px in the names, as ETRA 2021's ``eye_left``),
* a manifest CSV (image-path columns found by their extension, targets ``x``, ``y``; paths
  relative to the CSV, as ``webcam-crops-dev/eye_data.csv``); several image columns (face,
  left eye, right eye) are resized to the smallest of their sizes (or to ``size``) and stacked
  as channels in column order -- the input of the multi-input model ``gaze_multi``, which
  splits them again (``MULTI_SIZE``, 64 x 64, keeps more of the face than the 45 x 45 eyes),
* a folder written by ``gazelearn simulate eyes`` (``manifest.csv`` + ``meta.json``), which also
  gives the screen size and the measurement of every frame (the calibration groups),

into :class:`GazeData`: float32 images ``(n, channels, height, width)`` in [0, 1], targets in
px, optional groups, the file name of each row and the screen size when known.

Examples
--------
>>> import tempfile, pathlib
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for name in ["10_20.png", "30_5.png"]:
...     Image.new("L", (41, 41)).save(folder / name)
>>> data = load_gaze_data(folder)
>>> data.images.shape, data.targets_px.tolist(), data.files
((2, 1, 41, 41), [[10.0, 20.0], [30.0, 5.0]], ['10_20.png', '30_5.png'])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gazelearn.errors import InputError

__all__ = ["MULTI_SIZE", "GazeData", "crop_names", "images_to_array", "load_gaze_data"]

#: (width, height) the crops of a manifest are resized to for the multi-input model.
MULTI_SIZE = (64, 64)

_GROUP_COLUMNS = ("measurement", "session", "recording", "person", "subject")


@dataclass
class GazeData:
    """Images and gaze targets of one data source.

    Attributes
    ----------
    images : numpy.ndarray
        ``(n, channels, height, width)`` float32 in [0, 1].
    targets_px : numpy.ndarray
        ``(n, 2)`` targets x, y in px.
    files : list of str
        The first image column's value (file name for a folder) of every row.
    groups : numpy.ndarray or None
        Measurement (session) of every row when the source says so.
    screen_size : (float, float) or None
        Screen width and height in px when known (synthetic data).
    screen : Screen or None
        The full screen geometry when known.
    columns : list of str
        The image column(s) whose crops are stacked as channels, in channel order.
    """

    images: np.ndarray
    targets_px: np.ndarray
    files: list[str]
    groups: np.ndarray | None = None
    screen_size: tuple[float, float] | None = None
    screen: object | None = None
    columns: list[str] | None = None

    def __len__(self) -> int:
        return len(self.targets_px)


def crop_names(columns: list[str]) -> tuple[str, ...]:
    """``face``/``left``/``right`` for the image columns of a manifest (the ``inputs`` of
    ``gaze_multi``): from the column names when each names exactly one, else by position
    (face, left, right; or left, right for two columns).

    Examples
    --------
    >>> crop_names(["File Path Face Image", "File Path Left Eye Image", "Right Eye"])
    ('face', 'left', 'right')
    >>> crop_names(["a", "b"])
    ('left', 'right')
    """
    if len(columns) not in (2, 3):
        raise InputError(f"the multi-input model needs 2 (left, right eye) or 3 (face, left, "
                         f"right eye) image columns; got {len(columns)}: {list(columns)}")
    found = []
    for column in columns:
        hits = [n for n in ("face", "left", "right") if n in column.lower()]
        found.append(hits[0] if len(hits) == 1 else None)
    if None not in found and len(set(found)) == len(found) and {"left", "right"} <= set(found):
        return tuple(found)
    return ("face", "left", "right") if len(columns) == 3 else ("left", "right")


def images_to_array(images: np.ndarray, mode: str | None = None) -> np.ndarray:
    """uint8 ``(n, h, w)`` or ``(n, h, w, c)`` to float32 ``(n, c, h, w)`` in [0, 1].

    ``mode`` ``"L"`` averages colour channels to one; ``"RGB"`` repeats gray to three.

    Examples
    --------
    >>> images_to_array(np.zeros((2, 4, 5), np.uint8), mode="RGB").shape
    (2, 3, 4, 5)
    """
    x = np.asarray(images)
    x = x[..., None] if x.ndim == 3 else x
    if x.ndim != 4:
        raise InputError(f"images must be (n, h, w) or (n, h, w, c); got {x.shape}")
    x = x.astype(np.float32) / (255.0 if x.dtype == np.uint8 else 1.0)
    if mode == "L" and x.shape[-1] != 1:
        x = x[..., :3].mean(axis=-1, keepdims=True)
    elif mode == "RGB" and x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def _load_pixels(paths: list[Path], mode: str, size: tuple[int, int] | None,
                 column: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    out = []
    for path in paths:
        try:
            with Image.open(path) as image:
                image = image.convert(mode)
                if size is not None and image.size != size:
                    image = image.resize(size, Image.BILINEAR)
                out.append(np.asarray(image))
        except (OSError, UnidentifiedImageError, ValueError) as error:
            raise InputError(f"cannot read the image: {error}", source=path,
                             field=column) from None
        if out[-1].shape != out[0].shape:
            raise InputError(f"image is {out[-1].shape[1::-1]} px, the first was "
                             f"{out[0].shape[1::-1]}", source=path, field=column)
    return np.stack(out)


def _color_mode(path: Path) -> str:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return "L" if image.mode in ("L", "1", "I", "I;16", "F", "LA") else "RGB"
    except OSError as error:
        raise InputError(f"cannot read the image: {error}", source=path) from None


def _common_size(paths: list[Path]) -> tuple[int, int]:
    """The most frequent (width, height) of the images (crops of varying size get resized)."""
    from collections import Counter

    from PIL import Image, UnidentifiedImageError

    counts: Counter = Counter()
    for path in paths:
        try:
            with Image.open(path) as image:
                counts[image.size] += 1
        except (OSError, UnidentifiedImageError) as error:
            raise InputError(f"cannot read the image: {error}", source=path) from None
    return counts.most_common(1)[0][0]


def _is_synthetic(path: Path) -> bool:
    return path.is_dir() and (path / "manifest.csv").is_file() and (path / "meta.json").is_file()


def load_gaze_data(path: str | Path, mode: str | None = None,
                   size: tuple[int, int] | None = None) -> GazeData:
    """Read a gaze image data source (see the module docstring).

    Parameters
    ----------
    path : str or Path
        Image folder, manifest CSV, or synthetic eye folder.
    mode : {"L", "RGB"}, optional
        Colour mode to convert to (default: that of the first image).
    size : (width, height), optional
        Resize every image to this size (default: the most frequent size of the images; with
        several image columns, the smallest of the columns' sizes).

    Raises
    ------
    InputError
        Missing path, no images, unreadable or inconsistent images, bad manifest.
    """
    from gazelearn.io.images import read_images

    path = Path(path)
    if not path.exists():
        raise InputError("data not found", source=path)
    if _is_synthetic(path):
        import json

        from gazelearn.screen import Screen

        manifest = path / "manifest.csv"
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        screen = Screen.from_dict(meta["screen"]) if "screen" in meta else None
        data = _from_manifest(manifest, mode, size)
        if screen is not None:
            data.screen = screen
            data.screen_size = (float(screen.width_px), float(screen.height_px))
        return data
    if path.is_dir():
        images = read_images(path)
        paths = images.images["image"]
        mode = mode or _color_mode(paths[0])
        pixels = _load_pixels(paths, mode, size or _common_size(paths), "image")
        return GazeData(images_to_array(pixels, mode), images.targets.astype(np.float64),
                        [p.name for p in paths], columns=["image"])
    return _from_manifest(path, mode, size)


def _from_manifest(path: Path, mode: str | None, size: tuple[int, int] | None) -> GazeData:
    import polars as pl
    from PIL import Image

    from gazelearn.io.images import read_manifest

    images = read_manifest(path)
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise InputError(f"unreadable manifest ({str(error).splitlines()[0]})",
                         source=path) from None
    columns = images.columns
    files = raw[columns[0]].to_list()
    groups = None
    for name in _GROUP_COLUMNS:
        if name in raw.columns:
            groups = raw[name].to_numpy().astype(str)
            break
    mode = mode or _color_mode(images.images[columns[0]][0])
    if size is None and len(columns) > 1:
        sizes = []
        for column in columns:
            with Image.open(images.images[column][0]) as image:
                sizes.append(image.size)
        size = min(sizes, key=lambda s: s[0] * s[1])
    elif size is None:
        size = _common_size(images.images[columns[0]])
    arrays = [images_to_array(_load_pixels(images.images[c], mode, size, c), mode)
              for c in columns]
    targets = images.targets.astype(np.float64)
    if not np.isfinite(targets).all():
        raise InputError("some targets x, y are missing or not finite", source=path)
    return GazeData(np.concatenate(arrays, axis=1), targets, [str(f) for f in files], groups,
                    columns=list(columns))
