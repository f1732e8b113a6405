"""Where the browser app keeps what it collects: image files plus an SQLite index.

Layout under the data directory::

    index.sqlite                                   measurements, frames, sessions (WAL mode)
    persons/<person>/measurements/<m>/000001.jpg   one webcam frame per dot, as uploaded
    persons/<person>/profiles/profile.json         the latest calibration (CalibrationProfile)
    persons/<person>/profiles/profile.*.safetensors  its gaze mapper's model file
    persons/<person>/sessions/<name>.csv|.png      recorded live sessions and their heat maps

Every frame is written (atomically) to its file and then committed to the index, one frame at a
time, so a crash or a closed tab loses at most the frame in flight. :meth:`Storage.export_manifest`
writes the manifest CSV the gaze models train on (:func:`gazelearn.io.read_manifest` format:
image-path columns relative to the CSV, targets ``x``, ``y``, plus ``measurement`` for the
per-measurement calibration); :meth:`Storage.delete_person` removes a person's files and rows.

Examples
--------
>>> import tempfile
>>> from gazelearn.server.storage import Storage, tiny_jpeg
>>> store = Storage(tempfile.mkdtemp())
>>> m = store.new_measurement("ada", screen=(1280, 720), browser="doctest")
>>> row = store.add_frame("ada", m, tiny_jpeg(), target=(640, 360), screen=(1280, 720))
>>> row["path"], len(store.frames(person="ada"))
('persons/ada/measurements/m0001/000001.jpg', 1)
>>> store.delete_person("ada")["frames"]
1
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import shutil
import sqlite3
import struct
import threading
from contextlib import closing, contextmanager
from pathlib import Path

from gazelearn.errors import InputError
from gazelearn.io.atomic import atomic_write

#: Person names become folder names: letters, digits, ``_`` and ``-`` only (matched whole with
#: ``fullmatch``: ``$`` would let a trailing newline through and make a second folder).
PERSON_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

#: Largest frame accepted, in pixels, checked from the image header before anything decodes it
#: (a 100-byte PNG may claim 10^5 x 10^5 px: a decompression bomb). 4096 x 4096 is far above
#: any webcam.
MAX_IMAGE_PIXELS = 4096 * 4096

_SCHEMA = """
CREATE TABLE IF NOT EXISTS measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person TEXT NOT NULL,
    started TEXT NOT NULL,
    screen_w INTEGER, screen_h INTEGER,
    browser TEXT,
    n_dots INTEGER
);
CREATE TABLE IF NOT EXISTS frames (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person TEXT NOT NULL,
    measurement INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    time TEXT NOT NULL,
    client_time REAL,
    target_x REAL NOT NULL, target_y REAL NOT NULL,
    screen_w INTEGER NOT NULL, screen_h INTEGER NOT NULL,
    dot_radius REAL, dot_color TEXT,
    browser TEXT,
    path TEXT NOT NULL,
    width INTEGER, height INTEGER, bytes INTEGER,
    face INTEGER
);
CREATE INDEX IF NOT EXISTS frames_person ON frames(person, measurement);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person TEXT NOT NULL,
    time TEXT NOT NULL,
    samples INTEGER,
    recording TEXT, heatmap TEXT
);
-- one row per open live connection of a person: what that connection writes later (its
-- profile, its recorded session) is refused once delete_person has removed the row
CREATE TABLE IF NOT EXISTS leases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person TEXT NOT NULL,
    started TEXT NOT NULL
);
"""

_IMAGE_MAGIC = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}


def check_person(person: str) -> str:
    """The person name if it is a safe folder name, else :class:`InputError`.

    Examples
    --------
    >>> check_person("p01")
    'p01'
    >>> check_person("p01\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gazelearn.errors.InputError: column 'person': person must be 1-64 letters, ... got 'p01\\n'
    """
    if not isinstance(person, str) or not PERSON_PATTERN.fullmatch(person):
        raise InputError(f"person must be 1-64 letters, digits, '_' or '-' (starting with a "
                         f"letter or digit), got {str(person)[:70]!r}", field="person")
    return person


def image_size(data: bytes, field: str = "body") -> tuple[str, tuple[int, int]]:
    """Extension and ``(width, height)`` of JPEG or PNG bytes, read from the header only;
    :class:`InputError` for anything else and for images over :data:`MAX_IMAGE_PIXELS`.

    Examples
    --------
    >>> image_size(tiny_jpeg((8, 6)))
    ('.jpg', (8, 6))
    >>> import struct, zlib
    >>> head = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    >>> bomb = b"\\x89PNG\\r\\n\\x1a\\n" + struct.pack(">I", 13) + b"IHDR" + head + struct.pack(
    ...     ">I", zlib.crc32(b"IHDR" + head))
    >>> image_size(bomb)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gazelearn.errors.InputError: column 'body': image of 100000 x 100000 px is larger than ... px
    """
    from PIL import Image, UnidentifiedImageError

    suffix = next((ext for magic, ext in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if suffix is None:
        raise InputError("the upload is not a JPEG or PNG image", field=field)
    if suffix == ".png" and data[12:16] == b"IHDR":  # the size, before Pillow reads on
        _check_pixels(*struct.unpack(">II", data[16:24]), field)
    try:
        # Image.open reads the header only; its own bomb check raises above 2 x Pillow's
        # MAX_IMAGE_PIXELS (and only warns below), so the size is checked here too
        with Image.open(io.BytesIO(data)) as image:
            width, height = int(image.size[0]), int(image.size[1])
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError,
            struct.error) as error:
        raise InputError(f"unreadable image: {str(error)[:200]}", field=field) from None
    _check_pixels(width, height, field)
    return suffix, (width, height)


def _check_pixels(width: int, height: int, field: str) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(f"image of {width} x {height} px is larger than {MAX_IMAGE_PIXELS} px",
                         field=field)
    if width < 1 or height < 1:
        raise InputError(f"image of {width} x {height} px is empty", field=field)


def tiny_jpeg(size: tuple[int, int] = (8, 6), colour=(128, 64, 32)) -> bytes:
    """A small solid JPEG (for examples and tests)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


# how long a writer waits for SQLite's write lock: uploads hold it for one frame each, so a
# delete beside a busy server gets it well within this, even on a loaded machine
_BUSY_TIMEOUT_S = 60.0

class Storage:
    """The data directory of the app.

    Parameters
    ----------
    root : str or Path
        Created when missing.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"cannot create the data directory: {error.strerror}",
                             source=self.root) from None
        self.db_path = self.root / "index.sqlite"
        # sqlite connections are per call (the server's threads share none); the lock orders
        # the writers so two uploads never race for the same frame number.
        self._lock = threading.Lock()
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            # indexes made before frames had a face flag (1 face, 0 none, NULL not checked)
            if "face" not in {r[1] for r in db.execute("PRAGMA table_info(frames)")}:
                db.execute("ALTER TABLE frames ADD COLUMN face INTEGER")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=_BUSY_TIMEOUT_S)
        db.row_factory = sqlite3.Row
        return db

    # ------------------------------------------------------------------ paths
    def person_dir(self, person: str) -> Path:
        """``persons/<person>`` (not created)."""
        return self.root / "persons" / check_person(person)

    def profile_path(self, person: str) -> Path:
        """Where the person's calibration profile is saved."""
        return self.person_dir(person) / "profiles" / "profile.json"

    def new_session_paths(self, person: str) -> tuple[Path, Path]:
        """A fresh ``(recording.csv, heatmap.png)`` pair under the person's sessions folder."""
        folder = self.person_dir(person) / "sessions"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
        for n in range(1, 1000):
            name = f"session-{stamp}" + (f"-{n}" if n > 1 else "")
            if not (folder / f"{name}.csv").exists():
                return folder / f"{name}.csv", folder / f"{name}.png"
        raise InputError("too many sessions in one second", source=folder)  # pragma: no cover

    # ------------------------------------------------------------------ writing
    def new_measurement(self, person: str, screen=(0, 0), browser: str = "",
                        n_dots: int | None = None) -> int:
        """Start a measurement of ``person``; returns its id."""
        check_person(person)
        with self._lock, closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO measurements (person, started, screen_w, screen_h, browser, n_dots) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (person, _now(), int(screen[0]), int(screen[1]), browser[:300], n_dots))
            return int(cursor.lastrowid)

    def measurement(self, measurement: int) -> dict | None:
        """The measurement's row as a dict, or None."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM measurements WHERE id = ?",
                             (int(measurement),)).fetchone()
        return None if row is None else dict(row)

    @contextmanager
    def _writing(self):
        """One write transaction that holds SQLite's write lock from its first statement
        (``BEGIN IMMEDIATE``): it orders the writers of this process and of others alike (the
        CLI's ``collection delete`` runs beside the server), so the files written or removed
        inside it and the rows agree."""
        with self._lock, closing(self._connect()) as db:
            db.isolation_level = None  # transactions by hand
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:  # another process kept the lock too long
                raise InputError(f"the collection index is busy ({error}) for over "
                                 f"{_BUSY_TIMEOUT_S:.0f} s; try again", source=self.db_path
                                 ) from None
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def add_frame(self, person: str, measurement: int, image: bytes, target, screen, *,
                  client_time: float | None = None, dot_radius: float | None = None,
                  dot_color: str | None = None, browser: str = "",
                  face: bool | None = None) -> dict:
        """Save one captured frame: the image file first (atomically), then its index row
        (``face``: whether a face was found in it, None when not checked).

        The measurement is looked up, the file written and the row inserted in one write
        transaction, so a :meth:`delete_person` running at the same time (in this process or
        another) either comes after (and removes the frame) or before (and the upload is
        refused: the measurement is gone). Returns the row (``path`` relative to the data
        directory).
        """
        check_person(person)
        suffix, (width, height) = image_size(image)
        with self._writing() as db:
            row = db.execute("SELECT person FROM measurements WHERE id = ?",
                             (int(measurement),)).fetchone()
            if row is None or row["person"] != person:
                raise InputError(f"no measurement {measurement} of person {person!r}",
                                 field="measurement")
            folder = self.person_dir(person) / "measurements" / f"m{int(measurement):04d}"
            folder.mkdir(parents=True, exist_ok=True)
            index = 1 + db.execute("SELECT COUNT(*) FROM frames WHERE measurement = ?",
                                   (int(measurement),)).fetchone()[0]
            path = folder / f"{index:06d}{suffix}"
            with atomic_write(path, "wb") as handle:
                handle.write(image)
            values = {
                "person": person, "measurement": int(measurement), "idx": index,
                "time": _now(), "client_time": client_time,
                "target_x": float(target[0]), "target_y": float(target[1]),
                "screen_w": int(screen[0]), "screen_h": int(screen[1]),
                "dot_radius": dot_radius, "dot_color": (dot_color or "")[:40] or None,
                "browser": browser[:300], "path": path.relative_to(self.root).as_posix(),
                "width": width, "height": height, "bytes": len(image),
                "face": None if face is None else int(bool(face))}
            try:
                cursor = db.execute(
                    f"INSERT INTO frames ({', '.join(values)}) VALUES "
                    f"({', '.join('?' * len(values))})", tuple(values.values()))
            except BaseException:
                path.unlink(missing_ok=True)  # no file without its row
                raise
            values["id"] = int(cursor.lastrowid)
        return values

    def set_face(self, frame_id: int, face: bool) -> None:
        """Flag a stored frame as with or without a face (checked after its upload)."""
        with self._lock, closing(self._connect()) as db, db:
            db.execute("UPDATE frames SET face = ? WHERE id = ?", (int(bool(face)), int(frame_id)))

    def open_lease(self, person: str) -> int:
        """Note that a live connection works for ``person``; its id, for :meth:`person_writes`
        and :meth:`close_lease`. :meth:`delete_person` removes the person's leases, so the
        connection cannot write the person back afterwards."""
        with self._writing() as db:
            return int(db.execute("INSERT INTO leases (person, started) VALUES (?, ?)",
                                  (check_person(person), _now())).lastrowid)

    def close_lease(self, lease: int) -> None:
        """The live connection of ``lease`` ended."""
        with self._writing() as db:
            db.execute("DELETE FROM leases WHERE id = ?", (int(lease),))

    @contextmanager
    def person_writes(self, person: str, lease: int):
        """One write transaction for files of ``person`` that a live connection writes (its
        profile, a recorded session; yields the connection): refused with an InputError when
        the person was deleted since the connection's :meth:`open_lease`. A
        :meth:`delete_person` beside it waits for it (SQLite's write lock), then removes
        what it wrote, so rows and files of the deleted person are never left behind."""
        with self._writing() as db:
            if db.execute("SELECT 1 FROM leases WHERE id = ? AND person = ?",
                          (int(lease), check_person(person))).fetchone() is None:
                raise InputError(f"person {person!r} was deleted from the collection during "
                                 "this connection: nothing saved; say hello again to start "
                                 "anew", field="person")
            yield db

    def add_session(self, person: str, samples: int, recording: Path | None,
                    heatmap: Path | None, *, db: sqlite3.Connection | None = None) -> int:
        """Index a recorded live session (inside ``db``'s transaction when given: the one
        of :meth:`person_writes` that wrote its files)."""
        rel = [None if p is None else Path(p).relative_to(self.root).as_posix()
               for p in (recording, heatmap)]
        if db is None:
            with self._writing() as db:
                return self.add_session(person, samples, recording, heatmap, db=db)
        cursor = db.execute("INSERT INTO sessions (person, time, samples, recording, heatmap)"
                            " VALUES (?, ?, ?, ?, ?)",
                            (check_person(person), _now(), int(samples), *rel))
        return int(cursor.lastrowid)

    # ------------------------------------------------------------------ reading
    def frames(self, person: str | None = None, measurement: int | None = None) -> list[dict]:
        """Index rows of the frames (of a person, of a measurement), in capture order."""
        query, args = "SELECT * FROM frames WHERE 1", []
        if person is not None:
            query, args = query + " AND person = ?", [*args, check_person(person)]
        if measurement is not None:
            query, args = query + " AND measurement = ?", [*args, int(measurement)]
        with closing(self._connect()) as db:
            return [dict(r) for r in db.execute(query + " ORDER BY measurement, idx", args)]

    def measurements(self, person: str | None = None) -> list[dict]:
        """Measurement rows with their frame counts (``no_face``: frames flagged without a
        face)."""
        query = ("SELECT m.*, (SELECT COUNT(*) FROM frames f WHERE f.measurement = m.id) "
                 "AS frames, (SELECT COUNT(*) FROM frames f WHERE f.measurement = m.id AND "
                 "f.face = 0) AS no_face FROM measurements m")
        args: list = []
        if person is not None:
            query, args = query + " WHERE m.person = ?", [check_person(person)]
        with closing(self._connect()) as db:
            return [dict(r) for r in db.execute(query + " ORDER BY m.id", args)]

    def persons(self) -> list[str]:
        """Everybody with a measurement, a session or a profile."""
        with closing(self._connect()) as db:
            names = {r[0] for r in db.execute("SELECT person FROM measurements UNION "
                                              "SELECT person FROM sessions")}
        folder = self.root / "persons"
        if folder.is_dir():
            names |= {p.name for p in folder.iterdir() if p.is_dir()}
        return sorted(names)

    # ------------------------------------------------------------------ export, delete
    def export_manifest(self, output: str | Path, person: str | None = None,
                        measurement: int | None = None, crops: bool = False) -> dict:
        """Write a manifest CSV of the frames (all, a person's, or one measurement's).

        Parameters
        ----------
        output : str or Path
            The CSV; image paths in it are relative to its folder.
        crops : bool
            Also cut normalised face and eye crops (:func:`gazelearn.webcam.face_crop`,
            :func:`gazelearn.webcam.eye_crops`) into ``<output stem>_crops/`` and write the
            columns ``face``, ``left_eye``, ``right_eye`` (the layout of webcam-crops-dev, the
            input of the multi-input gaze model) instead of ``frame``; frames without a face
            are left out.

        Returns
        -------
        dict
            ``{"manifest": Path, "rows": n, "frames": n_frames, "no_face": n}``.
        """
        output = Path(output).expanduser().resolve()
        rows = self.frames(person, measurement)
        if not rows:
            raise InputError("no frames to export" + (f" for person {person!r}" if person else "")
                             + (f", measurement {measurement}" if measurement else ""))
        output.parent.mkdir(parents=True, exist_ok=True)
        extra = ["measurement", "person", "screen_w", "screen_h", "time"]
        no_face = 0
        if crops:
            table, no_face = self._crop_rows(rows, output)
            header = ["face", "left_eye", "right_eye", "x", "y", *extra]
        else:
            table = [[os.path.relpath(self.root / r["path"], output.parent), r] for r in rows]
            header = ["frame", "x", "y", *extra]
        if not table:
            raise InputError(f"no face found in any of the {len(rows)} frames; nothing to export")
        with atomic_write(output, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for *paths, r in table:
                writer.writerow([*paths, f"{r['target_x']:g}", f"{r['target_y']:g}",
                                 f"{r['person']}-m{r['measurement']}", r["person"],
                                 r["screen_w"], r["screen_h"], r["time"]])
        return {"manifest": output, "rows": len(table), "frames": len(rows), "no_face": no_face}

    def _crop_rows(self, rows: list[dict], output: Path) -> tuple[list, int]:
        import numpy as np
        from PIL import Image

        from gazelearn.webcam import FaceLandmarker, eye_crops, face_crop

        folder = output.parent / f"{output.stem}_crops"
        folder.mkdir(exist_ok=True)
        table, missing = [], 0
        with FaceLandmarker(static_image_mode=True) as marker:
            for r in rows:
                with Image.open(self.root / r["path"]) as image:
                    frame = np.asarray(image.convert("RGB"))
                face = marker.detect(frame)
                if face is None:
                    missing += 1
                    continue
                eyes = eye_crops(frame, face)
                stem = f"{r['person']}_m{r['measurement']:04d}_{r['idx']:06d}"
                paths = []
                for name, pixels in (("face", face_crop(frame, face)),
                                     ("left", eyes["left"]), ("right", eyes["right"])):
                    path = folder / f"{stem}_{name}.png"
                    with atomic_write(path) as temp:
                        Image.fromarray(pixels).save(temp, format="PNG")
                    paths.append(os.path.relpath(path, output.parent))
                table.append([*paths, r])
        return table, missing

    def delete_person(self, person: str) -> dict:
        """Remove every file and index row of ``person``; returns what was removed.

        Rows and files go in one write transaction (see :meth:`add_frame`): uploads running at
        the same time leave neither a row nor a file of the person behind.
        """
        check_person(person)
        folder = self.person_dir(person)
        with self._writing() as db:
            counts = {table: db.execute(f"DELETE FROM {table} WHERE person = ?",
                                        (person,)).rowcount
                      for table in ("frames", "measurements", "sessions")}
            # live connections of the person write nothing more (not counted: no data)
            db.execute("DELETE FROM leases WHERE person = ?", (person,))
            counts["files"] = sum(1 for p in folder.rglob("*") if p.is_file()) \
                if folder.is_dir() else 0
            shutil.rmtree(folder, ignore_errors=True)
        return counts
