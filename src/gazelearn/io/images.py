"""Sets of eye or face images with the gaze target each was taken at.

Two layouts:

* an image folder (format ``images``) whose file names are the target, ``X_Y.bmp`` / ``.png`` /
  ``.jpg`` (x and y in px), as in the ETRA 2021 ``eye_left`` data;
* a manifest CSV (format ``manifest``) with one or more image-path columns (found by their file
  extensions) and target columns ``x`` and ``y``; paths are relative to the CSV, as in
  ``webcam-crops-dev/eye_data.csv``.

Examples
--------
>>> import tempfile, pathlib
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for name in ["10_20.png", "30_5.png"]:
...     Image.new("L", (41, 41)).save(folder / name)
>>> images = read_image_folder(folder)
>>> len(images), images.targets.tolist(), images.image_sizes()
(2, [[10.0, 20.0], [30.0, 5.0]], {'image': {(41, 41): 2}})
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from gazelearn.errors import InputError

from .table import read_table

IMAGE_EXTENSIONS = (".bmp", ".png", ".jpg", ".jpeg")
_TARGET_NAME = re.compile(r"^(-?[0-9]{1,9}(?:\.[0-9]{1,9})?)_(-?[0-9]{1,9}(?:\.[0-9]{1,9})?)$")


#: Largest image gazelearn decodes (pixels): eye and face crops and webcam frames are far
#: smaller; a header claiming more is a decompression bomb or a broken file.
MAX_IMAGE_PIXELS = 50_000_000
#: Longest image path accepted from a manifest (characters; Linux's PATH_MAX).
MAX_PATH_CHARS = 4096


def open_image(path: str | Path, field: str | None = None):
    """``PIL.Image.open`` with the size read from the header checked before any decoding.

    A use as a context manager closes the file. Unreadable files, and images over
    :data:`MAX_IMAGE_PIXELS`, are one :class:`InputError` naming the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "1_2.png"
    >>> Image.new("L", (3, 2)).save(path)
    >>> with open_image(path) as image:
    ...     image.size
    (3, 2)
    """
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow only warns between its limit and twice it
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InputError(f"cannot read the image: {error}", source=path, field=field) from None
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise InputError(f"cannot read the image: {error}", source=path, field=field) from None
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise InputError(f"the image header claims {width} x {height} px; expected at most "
                         f"{MAX_IMAGE_PIXELS} pixels (a broken file or a decompression bomb)",
                         source=path, field=field)
    return image


def load_image(path: str | Path, mode: str | None = None, field: str | None = None
               ) -> np.ndarray:
    """The pixels of one image (converted to ``mode``, e.g. ``"RGB"``), size checked first."""
    with open_image(path, field) as image:
        try:
            return np.asarray(image.convert(mode) if mode else image)
        except (OSError, ValueError, SyntaxError) as error:  # truncated or corrupt data
            raise InputError(f"cannot decode the image: {error}", source=path,
                             field=field) from None


def is_target_image_name(path: str | Path) -> bool:
    """True for file names ``X_Y.ext`` with an image extension."""
    path = Path(path)
    return path.suffix.lower() in IMAGE_EXTENSIONS and bool(_TARGET_NAME.match(path.stem))


@dataclass
class ImageSet:
    """Image paths (one list per image column) with the gaze target of each row.

    Attributes
    ----------
    images : dict of str to list of Path
        Image column name -> one path per row (``"image"`` for a folder).
    targets : numpy.ndarray
        ``(n, 2)`` gaze targets x, y in px.
    metadata : polars.DataFrame
        One row per sample (``index`` and any other manifest columns).
    source : str
        The folder or manifest file.
    format : str
        ``images`` or ``manifest``.
    """

    images: dict[str, list[Path]]
    targets: np.ndarray
    metadata: pl.DataFrame = field(default_factory=pl.DataFrame)
    source: str = ""
    format: str = "images"

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def columns(self) -> list[str]:
        """Names of the image columns."""
        return list(self.images)

    def load(self, index: int, column: str | None = None) -> np.ndarray:
        """Pixels of one image as a numpy array (grayscale stays 2-D)."""
        column = column or self.columns[0]
        return load_image(self.images[column][index])

    def image_sizes(self) -> dict[str, dict[tuple[int, int], int]]:
        """For each column, how many images have each (width, height)."""
        sizes: dict[str, dict[tuple[int, int], int]] = {}
        for column, paths in self.images.items():
            counts: Counter = Counter()
            for path in paths:
                with open_image(path, column) as image:
                    counts[tuple(image.size)] += 1
            sizes[column] = dict(counts)
        return sizes

    def summary(self) -> dict:
        """The facts ``gazelearn info`` prints for an image set."""
        finite = self.targets[np.all(np.isfinite(self.targets), axis=1)]
        ranges = ({"x": [float(finite[:, 0].min()), float(finite[:, 0].max())],
                   "y": [float(finite[:, 1].min()), float(finite[:, 1].max())]}
                  if len(finite) else {})
        return {
            "source": self.source,
            "format": self.format,
            "images": len(self),
            "columns": self.columns,
            "image_sizes": {column: {f"{w}x{h}": n for (w, h), n in sizes.items()}
                            for column, sizes in self.image_sizes().items()},
            "target_range_px": ranges,
        }


def read_image_folder(folder: str | Path) -> ImageSet:
    """Read a folder of ``X_Y.ext`` images (sorted by name).

    Raises
    ------
    InputError
        When the folder does not exist or holds no such images.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("folder not found", source=folder)
    paths = sorted(p for p in folder.iterdir() if p.is_file() and is_target_image_name(p))
    if not paths:
        raise InputError("no images named X_Y.bmp/.png/.jpg (gaze target in the name) here",
                         source=folder)
    targets = np.array([[float(v) for v in _TARGET_NAME.match(p.stem).groups()] for p in paths])
    metadata = pl.DataFrame({"index": np.arange(len(paths)), "file": [p.name for p in paths]})
    return ImageSet({"image": paths}, targets, metadata, str(folder), "images")


def image_columns(header: list[str], first_row: list[str]) -> list[int]:
    """Indices of columns whose first value ends with an image extension."""
    return [i for i, value in enumerate(first_row[:len(header)])
            if value.strip().lower().endswith(IMAGE_EXTENSIONS)]


def read_manifest(path: str | Path, *, x_col: str = "x", y_col: str = "y",
                  check_files: bool = True) -> ImageSet:
    """Read an image manifest CSV.

    Parameters
    ----------
    path : str or Path
        CSV with a header; image-path columns are recognised by their extensions.
    x_col, y_col : str
        Target columns (px).
    check_files : bool
        Fail when an image file is missing.
    """
    source = str(path)
    table = read_table(path, header=True)
    if table.header is None:
        raise InputError("a manifest needs a header line (image columns, x, y)", source=source,
                         line=1)
    if not table.rows:
        raise InputError("no rows in the manifest (only a header)", source=source)
    columns = image_columns(table.header, table.rows[0])
    if not columns:
        raise InputError(f"no image-path column (values ending in "
                         f"{'/'.join(IMAGE_EXTENSIONS)}) in the first row", source=source, line=2)
    targets = np.column_stack([table.floats(x_col, "x column"), table.floats(y_col, "y column")])
    base = Path(path).parent
    images: dict[str, list[Path]] = {}
    for index in columns:
        name = table.header[index]
        paths = []
        for row, value in enumerate(table.strings(index)):
            if not value.lower().endswith(IMAGE_EXTENSIONS):
                raise InputError(f"expected an image path, got {value[:60]!r}", source=source,
                                 line=int(table.lines[row]), field=name)
            if len(value) > MAX_PATH_CHARS:
                raise InputError(f"an image path of {len(value)} characters; expected at most "
                                 f"{MAX_PATH_CHARS}", source=source, line=int(table.lines[row]),
                                 field=name)
            full = (base / value) if not Path(value).is_absolute() else Path(value)
            if check_files and not _is_file(full):
                raise InputError(f"image not found: {full}", source=source,
                                 line=int(table.lines[row]), field=name)
            paths.append(full)
        images[name] = paths
    metadata = pl.DataFrame({"index": np.arange(len(table))})
    return ImageSet(images, targets, metadata, source, "manifest")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system, say: no such image
        return False


def read_images(path: str | Path) -> ImageSet:
    """An :class:`ImageSet` from an image folder or a manifest CSV."""
    path = Path(path)
    if path.is_dir():
        return read_image_folder(path)
    return read_manifest(path)
