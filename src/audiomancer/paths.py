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
    """Writable folder for engine homes and temporary render files."""
    return data_dir() / "tmp"
