"""The synthetic eye dataset in memory and on disk.

On disk a dataset is a folder::

    manifest.csv   image,x,y,person,measurement   (paths relative to the CSV, x and y in px)
    truth.csv      image + per-frame ground truth (gaze angles, head position, pupil, iris)
    meta.json      screen, image size, colour, seed, generator parameters, persons, sessions
    images/        one PNG per frame, p00_m0_f000.png ...

The manifest is also readable by :func:`gazelearn.io.images.read_images` (format ``manifest``),
like any set of eye crops with their targets. Writing is atomic: the folder is built under a
temporary name beside the destination and renamed at the end, so a failure leaves no
half-written dataset.

Examples
--------
>>> import tempfile, pathlib
>>> from gazelearn.simulate.eyes import simulate_eye_dataset
>>> data = simulate_eye_dataset(1, 2, 3, seed=4)
>>> folder = write_eye_dataset(data, pathlib.Path(tempfile.mkdtemp()) / "eyes")
>>> back = read_eye_dataset(folder)
>>> bool((back.images == data.images).all()), back.measurement.tolist()[:4]
(True, ['p00_m0', 'p00_m0', 'p00_m0', 'p00_m1'])
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from gazelearn.errors import InputError
from gazelearn.io.atomic import atomic_write
from gazelearn.screen import Screen
from gazelearn.simulate.eyes_factors import PersonParameters, SessionParameters

FORMAT_NAME = "gazelearn-synthetic-eyes"
FORMAT_VERSION = 1
MANIFEST_COLUMNS = ("image", "x", "y", "person", "measurement")


@dataclass
class EyeDataset:
    """Eye images with their targets, organised as persons x measurements x frames.

    Attributes
    ----------
    images : numpy.ndarray
        ``(n, h, w)`` or ``(n, h, w, 3)`` uint8.
    targets_px : numpy.ndarray
        ``(n, 2)`` gaze targets (x, y) in screen pixels.
    person : numpy.ndarray
        ``(n,)`` person index (0-based int).
    measurement : numpy.ndarray
        ``(n,)`` globally unique measurement id, ``"p03_m1"``.
    screen : Screen
        The screen the targets are on.
    persons : list of PersonParameters
        One per person; ``persons[i]`` belongs to ``person == i``.
    sessions : dict of str to SessionParameters
        Keyed by measurement id.
    truth : polars.DataFrame
        Per-frame ground truth: visual and optical axis angles (deg), eye-in-head angles, head
        position (mm), pupil radius (mm), iris centre in the image (pixel index coordinates).
    parameters : dict
        Generator parameters (image size, colour, seed, ...).
    """

    images: np.ndarray
    targets_px: np.ndarray
    person: np.ndarray
    measurement: np.ndarray
    screen: Screen
    persons: list[PersonParameters] = field(default_factory=list)
    sessions: dict[str, SessionParameters] = field(default_factory=dict)
    truth: pl.DataFrame = field(default_factory=pl.DataFrame)
    parameters: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.targets_px)

    @property
    def targets_norm(self) -> np.ndarray:
        """Targets as fractions of the screen size, ``(n, 2)``."""
        return self.targets_px / np.array([self.screen.width_px, self.screen.height_px], float)

    @property
    def kappa_deg(self) -> np.ndarray:
        """Per-person kappa (optical minus visual axis offset), ``(n_persons, 2)`` (h, v)."""
        return np.array([[p.kappa_h_deg, p.kappa_v_deg] for p in self.persons]).reshape(-1, 2)

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) of the images."""
        return int(self.images.shape[2]), int(self.images.shape[1])

    @property
    def color(self) -> bool:
        """True for RGB images."""
        return self.images.ndim == 4

    def table(self) -> pl.DataFrame:
        """One row per frame: index, x, y, person, measurement."""
        return pl.DataFrame({
            "index": np.arange(len(self)), "x": self.targets_px[:, 0],
            "y": self.targets_px[:, 1], "person": self.person,
            "measurement": self.measurement.astype(str)})



# ---------------------------------------------------------------------------- writing
def _image_names(measurement: np.ndarray) -> list[str]:
    counts: dict[str, int] = {}
    names = []
    for key in measurement.astype(str):
        k = counts.get(key, 0)
        counts[key] = k + 1
        names.append(f"images/{key}_f{k:03d}.png")
    return names


def _prepare_destination(folder: Path, overwrite: bool) -> None:
    if folder.exists():
        if not folder.is_dir():
            raise InputError("output exists and is not a folder", source=folder)
        if any(folder.iterdir()) and not overwrite:
            raise InputError("output folder is not empty (choose another or allow overwrite)",
                             source=folder)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder: {error.strerror}",
                         source=folder.parent) from None


def write_eye_dataset(dataset: EyeDataset, folder: str | Path, overwrite: bool = False) -> Path:
    """Write PNG images, ``manifest.csv``, ``truth.csv`` and ``meta.json`` into ``folder``.

    Parameters
    ----------
    dataset : EyeDataset
        What to write.
    folder : str or Path
        Destination; it must not exist or be empty, unless ``overwrite``.
    overwrite : bool
        Replace a non-empty folder (its old content is removed only after the new one is
        complete).

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    InputError
        When the destination is a file, is not empty, or cannot be written.
    """
    from PIL import Image

    folder = Path(folder)
    _prepare_destination(folder, overwrite)
    try:
        temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp",
                                     dir=folder.parent))
    except OSError as error:
        raise InputError(f"cannot write: {error.strerror}", source=folder) from None
    try:
        os.chmod(temp, 0o755)
        (temp / "images").mkdir()
        names = _image_names(dataset.measurement)
        for name, pixels in zip(names, dataset.images, strict=True):
            Image.fromarray(pixels, mode="RGB" if pixels.ndim == 3 else "L").save(temp / name)
        manifest = pl.DataFrame({"image": names}).hstack(
            dataset.table().select("x", "y", "person", "measurement"))
        with atomic_write(temp / "manifest.csv") as path:
            manifest.write_csv(path)
        if dataset.truth.height:
            with atomic_write(temp / "truth.csv") as path:
                pl.DataFrame({"image": names}).hstack(dataset.truth).write_csv(path)
        meta = {
            "format": FORMAT_NAME, "version": FORMAT_VERSION, "n_images": len(dataset),
            "image_size": list(dataset.image_size), "color": dataset.color,
            "seed": dataset.parameters.get("seed"), "screen": dataset.screen.to_dict(),
            "parameters": dataset.parameters,
            "persons": [p.to_dict() for p in dataset.persons],
            "sessions": {k: s.to_dict() for k, s in dataset.sessions.items()},
        }
        with atomic_write(temp / "meta.json", "w") as handle:
            json.dump(meta, handle, indent=2)
        _move_into_place(temp, folder)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return folder


def _move_into_place(temp: Path, folder: Path) -> None:
    if not folder.exists():
        os.replace(temp, folder)
        return
    if not any(folder.iterdir()):
        folder.rmdir()
        os.replace(temp, folder)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
    old.rmdir()
    os.replace(folder, old)
    try:
        os.replace(temp, folder)
    except BaseException:
        os.replace(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------- reading
def read_eye_dataset(folder: str | Path) -> EyeDataset:
    """Read a folder written by :func:`write_eye_dataset`.

    Raises
    ------
    InputError
        When the manifest or meta file is missing or malformed, or an image is missing or has
        another size.
    """
    from PIL import Image

    folder = Path(folder)
    manifest_path = folder / "manifest.csv"
    meta_path = folder / "meta.json"
    for path in (manifest_path, meta_path):
        if not path.is_file():
            raise InputError("not a synthetic eye dataset: file missing", source=path)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        screen = Screen.from_dict(meta["screen"])
        persons = [PersonParameters.from_dict(p) for p in meta.get("persons", [])]
        sessions = {k: SessionParameters.from_dict(s)
                    for k, s in meta.get("sessions", {}).items()}
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise InputError(f"malformed meta file ({error})", source=meta_path) from None
    try:
        manifest = pl.read_csv(manifest_path, schema_overrides={
            "image": pl.String, "x": pl.Float64, "y": pl.Float64, "person": pl.Int64,
            "measurement": pl.String})
    except (pl.exceptions.PolarsError, OSError) as error:
        raise InputError(f"unreadable manifest ({str(error).splitlines()[0]})",
                         source=manifest_path) from None
    missing = [c for c in MANIFEST_COLUMNS if c not in manifest.columns]
    if missing:
        raise InputError(f"manifest lacks columns {', '.join(missing)}", source=manifest_path)
    mode = "RGB" if meta.get("color") else "L"
    images = []
    for line, name in enumerate(manifest["image"].to_list(), start=2):
        path = folder / name
        if not path.is_file():
            raise InputError(f"image {name!r} not found", source=manifest_path, line=line)
        with Image.open(path) as image:
            images.append(np.asarray(image.convert(mode)))
        if images[-1].shape != images[0].shape:
            raise InputError(f"image {name!r} is {images[-1].shape}, expected "
                             f"{images[0].shape}", source=manifest_path, line=line)
    truth_path = folder / "truth.csv"
    truth = pl.read_csv(truth_path).drop("image") if truth_path.is_file() else pl.DataFrame()
    width, height = meta.get("image_size", [0, 0])
    shape = (0, height, width, 3) if mode == "RGB" else (0, height, width)
    return EyeDataset(
        images=np.stack(images) if images else np.zeros(shape, dtype=np.uint8),
        targets_px=manifest.select("x", "y").to_numpy().astype(np.float64).reshape(-1, 2),
        person=manifest["person"].to_numpy().astype(np.int64),
        measurement=manifest["measurement"].to_numpy().astype(str),
        screen=screen, persons=persons, sessions=sessions, truth=truth,
        parameters=meta.get("parameters", {}),
    )
