"""SuperCollider source text as sclang sees it: bytes.

sclang reads a file's bytes and never decodes them; a file written in Latin-1 or Mac Roman (a
no-break space 0xA0 or 0xCA in a comment, an accented letter in a string) compiles as well as
UTF-8. Here such text is decoded as UTF-8 where it is UTF-8 and every other byte is kept as a
lone surrogate (Python's ``surrogateescape``), so ``source_bytes(read_source(path))`` is the
file byte for byte, whatever its encoding, and the parser, the printer and sclang all see the
same characters the file holds.
"""

from __future__ import annotations

from pathlib import Path

from audiomancer.errors import SynthDefError


def decode_source(data: bytes) -> str:
    """Text of source bytes: UTF-8, with any other byte kept as it is (see the module)."""
    return data.decode("utf-8", "surrogateescape")


def source_bytes(text: str) -> bytes:
    """The bytes of source text, the inverse of decode_source (never a UnicodeEncodeError)."""
    return text.encode("utf-8", "surrogateescape")


def read_source(path: Path) -> str:
    """A ``.scd`` file's text, read as sclang reads it; SynthDefError if it cannot be read."""
    try:
        return decode_source(path.read_bytes())
    except OSError as error:
        reason = error.strerror or error
        raise SynthDefError(f"cannot read SynthDef file {path}: {reason}") from None
