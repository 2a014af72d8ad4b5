"""Atomic file writes and inter-process file locks (DESIGN §7).

A write goes to a temporary file in the same folder (``.<name>.<random>.tmp``), is flushed and
fsynced, then renamed over the target, so readers see the old file or the new one, never half of
one. The new file keeps the mode of the file it replaces; a new file gets the mode the umask
allows (``0666 & ~umask``), as other tools' files do. Temporary files are removed when the write
fails or is interrupted (KeyboardInterrupt, SystemExit on SIGTERM); those a SIGKILL leaves
behind are removed by :func:`sweep_stale` (writers of the lineage call it under their lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

STALE_AFTER: Final = 60.0
"""Seconds after which a leftover temporary file is taken as abandoned."""


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(path: Path) -> int:
    """The mode a write to path gives the file: its current mode, else ``0666 & ~umask``."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def atomic_write_bytes(path: Path, data: bytes, *, backup: Path | None = None) -> None:
    """Replace ``path`` with ``data`` atomically, creating parent folders as needed.

    With ``backup``, the file being replaced (if any) is kept there, also atomically: the backup
    is always the last complete version before this write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = new_file_mode(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    kept: str | None = None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        if backup is not None and path.exists():
            kept = str(backup.parent / f".{backup.name}.{secrets.token_hex(4)}.tmp")
            os.link(path, kept)  # the old version, under a second name
            os.replace(kept, backup)
            kept = None
        os.replace(temporary, path)
    except BaseException:
        for leftover in (temporary, kept):
            if leftover is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)
        raise
    _fsync_folder(path.parent)


def atomic_write_text(path: Path, text: str, *, backup: Path | None = None) -> None:
    """Replace ``path`` with UTF-8 ``text`` atomically (see :func:`atomic_write_bytes`); lone
    surrogates are written back as the bytes they stand for (audiomancer.supercollider.source)."""
    atomic_write_bytes(path, text.encode("utf-8", "surrogateescape"), backup=backup)


def sweep_stale(folder: Path, name: str, older_than: float = STALE_AFTER) -> list[Path]:
    """Remove the temporary files writes of ``folder/name`` left behind; the ones removed.

    Only files named as :func:`atomic_write_bytes` names them and untouched for ``older_than``
    seconds are removed: a write in progress keeps writing to its file, so a young one may still
    be in use. Call it while holding the lock that writers of that file hold.
    """
    removed: list[Path] = []
    now = time.time()
    with contextlib.suppress(OSError):
        for candidate in folder.glob(f".{name}.*.tmp"):
            with contextlib.suppress(OSError):
                if now - candidate.lstat().st_mtime > older_than:
                    candidate.unlink()
                    removed.append(candidate)
    return removed


def _fsync_folder(folder: Path) -> None:
    # The rename itself is durable only once the folder entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (a ``.lock`` file) across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
