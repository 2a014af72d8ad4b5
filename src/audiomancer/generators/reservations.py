"""Synth names handed out but not saved yet: one small file per name (issue 14 §9).

``<library>/.reserved/<name>`` holds the SHA-256 of the code the name was handed out for. It
is made complete beside its place and linked in (``link`` fails if the name exists), so the
first process to hand out a name wins without any lock, and a reader never sees half a file.
Reservations are kept after saving: a name once handed out stays bound to its code, so the
same synth made again gets the same name and a different one never does.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path
from typing import Final

__all__ = ["FOLDER", "code_digest", "held", "reserve"]

FOLDER: Final = ".reserved"


def code_digest(code: str) -> str:
    """The SHA-256 (hex) a reservation records for ``code``."""
    return hashlib.sha256(code.encode("utf-8", "surrogateescape")).hexdigest()


def held(library_dir: Path, name: str) -> str | None:
    """The digest ``name`` is reserved for, None when it is not reserved."""
    try:
        return (library_dir / FOLDER / name).read_text(encoding="ascii").strip() or None
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None


def reserve(library_dir: Path, name: str, digest: str) -> str:
    """Reserve ``name`` for ``digest`` unless it is reserved already; the digest it is held for
    (``digest`` itself when this call took it or an earlier one did for the same code)."""
    folder = library_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    temporary = folder / f".{name}.{secrets.token_hex(4)}.tmp"
    try:
        temporary.write_text(digest + "\n", encoding="ascii")
        try:
            os.link(temporary, target)
        except FileExistsError:
            return held(library_dir, name) or digest
        return digest
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
