"""Text files read piece by piece: the readers that keep only what they parse from each piece
(EyeLink ASC, SMI) never hold a whole file's text.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> _ = path.write_bytes(b"one\\ntwo\\nthree\\n")
>>> list(text_pieces(path, piece_bytes=8))
[(1, 'one\\ntwo\\n'), (3, 'three\\n')]
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from gazelearn.errors import InputError

from .table import _HEAD_BYTES, _check_file

#: Bytes of text per piece for the readers that read a file piece by piece.
PIECE_BYTES = 1 << 21
_BOM = b"\xef\xbb\xbf"
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # what bytes.strip() keeps


def text_pieces(path: str | Path, piece_bytes: int | None = None
                ) -> Iterator[tuple[int, str]]:
    """The text of a file in pieces of about ``piece_bytes``, each ending at a line end:
    ``(line number of the piece's first line, text)``.

    The same text as :func:`~gazelearn.io.table.read_text` (UTF-8, else latin-1 for the whole
    file; the byte-order mark dropped) and the same errors (missing, unreadable, empty, binary,
    only blanks), but never the whole file at once: a reader keeps what it parsed from a piece
    and drops its text.
    ``piece_bytes`` defaults to :data:`PIECE_BYTES`. The "only blanks" error comes after the
    last piece (no piece of such a file holds anything a reader would take).
    """
    # PIECE_BYTES looked up at each call: tests read small files in many pieces
    piece_bytes = piece_bytes or PIECE_BYTES
    head = _check_file(path, _HEAD_BYTES)
    encoding, blank = _encoding(path)
    if blank:
        raise InputError("file is empty", source=path)
    if b"\x00" in head:
        raise InputError("binary content, expected a text file", source=path)
    line, only_blanks = 1, True
    for number, piece in enumerate(_byte_pieces(path, piece_bytes)):
        text = (piece.removeprefix(_BOM) if number == 0 else piece).decode(encoding)
        only_blanks = only_blanks and not text.strip()
        yield line, text
        line += piece.count(b"\n")
    if only_blanks:
        raise InputError("file is empty (only blanks)", source=path)


def _encoding(path: str | Path) -> tuple[str, bool]:
    """``utf-8`` when the whole file decodes as UTF-8 (after a byte-order mark), else
    ``latin-1``; and whether every byte is blank (one pass in blocks, as :func:`_decode`)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding, blank, first = "utf-8", True, True
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 24):
                blank = blank and _NOT_BLANK.search(block) is None
                if encoding == "utf-8":
                    try:
                        decoder.decode(block.removeprefix(_BOM) if first else block)
                    except UnicodeDecodeError:
                        encoding = "latin-1"
                first = False
            if encoding == "utf-8":
                decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = "latin-1"  # the file ends inside a character
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", source=path) from None
    return encoding, blank


def _byte_pieces(path: str | Path, size: int) -> Iterator[bytes]:
    """The file's bytes in pieces of about ``size``, each cut just after a line end."""
    with open(path, "rb") as handle:
        rest = b""
        while block := handle.read(size):
            cut = block.rfind(b"\n") + 1
            if cut == 0:  # no line end in the block: one long line goes on
                rest += block
                continue
            yield rest + memoryview(block)[:cut]
            rest = block[cut:]
        if rest:
            yield rest
