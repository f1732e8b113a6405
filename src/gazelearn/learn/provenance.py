"""Which files a model was trained on: names and content hashes, stored in the model file.

A model file's ``training_data`` can carry ``files``: one ``{"name", "sha256"}`` entry per
training file (:func:`file_fingerprints`). An evaluation then asks :func:`seen_in_training`
whether its recordings were among them -- by content, so a renamed or copied file is still
recognised -- and refuses a leaky test (``gazelearn biometrics evaluate`` does).

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.csv").write_text("t,x,y\\n0,1,2\\n")
>>> _ = (folder / "copy_of_a.csv").write_text("t,x,y\\n0,1,2\\n")
>>> _ = (folder / "b.csv").write_text("t,x,y\\n0,5,5\\n")
>>> stored = file_fingerprints([folder / "a.csv"])
>>> stored[0]["name"], len(stored[0]["sha256"])
('a.csv', 64)
>>> [p.name for p in seen_in_training(stored, [folder / "b.csv", folder / "copy_of_a.csv"])]
['copy_of_a.csv']
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from gazelearn.errors import InputError

#: Bytes read at a time while hashing (recordings can be gigabytes).
_CHUNK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes (hex).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "empty.csv"
    >>> _ = p.write_bytes(b"")
    >>> file_sha256(p)[:16]
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise InputError(f"cannot read the file to hash it: {error.strerror}",
                         source=path) from None
    return digest.hexdigest()


def file_fingerprints(paths: Iterable[str | Path]) -> list[dict[str, str]]:
    """One ``{"name": file name, "sha256": content hash}`` per distinct file, in input order.

    A file that holds several recordings (EyeLink trials) is listed once.
    """
    seen: set[Path] = set()
    rows = []
    for path in paths:
        path = Path(path)
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        rows.append({"name": path.name, "sha256": file_sha256(path)})
    return rows


def training_fingerprints(info: dict) -> list[dict[str, str]] | None:
    """The ``files`` list of a model file's config (:func:`~gazelearn.learn.read_model_info`),
    or None when the model does not record its training files (older files)."""
    files = (info.get("training_data") or {}).get("files")
    if not isinstance(files, list) or not all(isinstance(f, dict) and "sha256" in f
                                              for f in files):
        return None
    return files


def seen_in_training(fingerprints: Sequence[dict[str, str]],
                     paths: Iterable[str | Path]) -> list[Path]:
    """The ``paths`` whose content equals a training file's (each file once, in input order)."""
    known = {f["sha256"] for f in fingerprints}
    done: set[Path] = set()
    hits: list[Path] = []
    for path in map(Path, paths):
        key = path.resolve()
        if key not in done:
            done.add(key)
            if file_sha256(path) in known:
                hits.append(path)
    return hits
