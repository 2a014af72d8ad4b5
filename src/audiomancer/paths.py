"""Where audiomancer keeps what it writes (DESIGN §8).

``AUDIOMANCER_HOME`` overrides the root of everything; otherwise the spec's defaults apply:
the lineage database under ``~/.audiomancer`` and models under ``~/.local/share/audiomancer``.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "AUDIOMANCER_HOME"


def _override() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Root of the pattern store and synth library (``~/.audiomancer``)."""
    root = _override()
    return root if root is not None else Path.home() / ".audiomancer"


def pattern_db_path() -> Path:
    """The SQLite file holding patterns and their ratings."""
    return data_dir() / "patterns.sqlite3"


def lineage_path() -> Path:
    """The synth lineage JSON database (spec default ``~/.audiomancer/lineage.json``)."""
    return data_dir() / "lineage.json"


def synth_library_dir() -> Path:
    """Folder of ``.scd`` files, one per synth in the lineage database."""
    return data_dir() / "synths"


def models_dir() -> Path:
    """Where downloaded model bundles go (spec default ``~/.local/share/audiomancer/models``)."""
    root = _override()
    if root is not None:
        return root / "models"
    return Path.home() / ".local" / "share" / "audiomancer" / "models"


def scratch_dir() -> Path:
    """Writable folder for engine homes and temporary render files: ``tmp`` in the data folder,
    or, when that cannot be written (a read-only ``AUDIOMANCER_HOME``), a private folder in the
    system's temporary folder, so engines still run for commands that store nothing."""
    preferred = data_dir() / "tmp"
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK | os.X_OK):
            return preferred
    except OSError:
        pass
    import tempfile

    fallback = Path(tempfile.gettempdir()) / f"audiomancer-{os.getuid()}"
    fallback.mkdir(mode=0o700, exist_ok=True)
    if fallback.is_symlink() or fallback.stat().st_uid != os.getuid():  # not ours: never use it
        return Path(tempfile.mkdtemp(prefix="audiomancer-"))
    return fallback


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` (which need not exist yet), None if they can.

    The answer names the folder that is in the way: the folder itself, or the nearest existing
    folder above it when it would have to be created.
    """
    probe = folder
    while not probe.exists() and not probe.is_symlink() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    if os.access(probe, os.W_OK | os.X_OK):
        return None
    try:
        read_only = bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        return f"{probe} is on a read-only file system"
    return f"{probe} is not writable (no permission)"


def home_hint() -> str:
    """How to point audiomancer at another data folder."""
    if _override() is not None:
        return f"set {HOME_ENV} to a writable folder"
    return f"set {HOME_ENV} to a writable folder to keep the data elsewhere"
