"""What the studio lets you hear and see: rendered audio, cached, and SVG pictures.

Audio is rendered by scsynth on first use and cached under ``data_dir()/studio/audio``, one WAV
per pattern, synth and kit (and per synth audition). A cache file's name also carries a digest
of everything the sound depends on (the pattern's notes and tempo, the synth's code), so a
changed synth or kit never plays stale audio. Files are written atomically; two requests for
the same sound render it once.

The cache is bounded: after each render, older versions of the same sound (whose digest no
longer matches) are removed, and then the least recently played files until the folder holds at
most ``CACHE_LIMIT_BYTES``. A hit marks its file as played (its access time), never re-renders.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Final

from audiomancer.generators.lineage import LineageTracker
from audiomancer.paths import data_dir
from audiomancer.patterns.metadata import PatternMetadata

DEFAULT_SYNTHS: Final = {"melody": "saw_lead", "bass": "tb303"}
"""The synth that plays a melody or a bass line when the page has not chosen one."""
DEFAULT_KIT: Final = "default"
SAMPLE_FORMAT: Final = "int16"
"""Browsers play 16-bit PCM everywhere, at half the size of float."""

CACHE_LIMIT_BYTES: Final = 512 * 2**20
"""The most the audio cache keeps (about 45 minutes of 16-bit stereo at 44.1 kHz)."""

_SAFE: Final = r"[^A-Za-z0-9_-]"


def audio_dir() -> Path:
    """The audio cache of the studio."""
    return data_dir() / "studio" / "audio"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def _safe(text: str) -> str:
    return re.sub(_SAFE, "_", text)[:64]


def _sound_of(path: Path) -> str:
    """The part of a cache file's name that names the sound, without its content digest."""
    return path.name.rpartition("__")[0]


class AudioCache:
    """Renders patterns and synth auditions to WAV files once, then serves the files."""

    def __init__(
        self,
        lineage: LineageTracker,
        folder: Path | None = None,
        limit_bytes: int = CACHE_LIMIT_BYTES,
    ) -> None:
        self.lineage = lineage
        self.folder = folder if folder is not None else audio_dir()
        self.limit_bytes = limit_bytes
        self._locks: dict[Path, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _lock(self, path: Path) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(path, threading.Lock())

    def _cached(self, path: Path, render: Callable[[Path], object]) -> Path:
        """The cached file at ``path``, rendered first if it is missing (then the cache is
        pruned); a hit only marks the file as just played."""
        with self._lock(path):
            if path.exists():
                stat = path.stat()
                with suppress(OSError):
                    os.utime(path, ns=(time.time_ns(), stat.st_mtime_ns))
                return path
            render(path)
            self._prune(keep=path)
        return path

    def _prune(self, keep: Path) -> None:
        """Drop stale versions of ``keep``'s sound, then the least recently played files until
        the cache fits its limit; ``keep`` itself always stays."""
        entries = []
        for path in self.folder.glob("*.wav"):
            with suppress(OSError):
                entries.append((path, path.stat()))
        entries.sort(key=lambda entry: entry[1].st_atime_ns)
        total = sum(stat.st_size for _, stat in entries)
        for path, stat in entries:
            stale = path != keep and _sound_of(path) == _sound_of(keep)
            if path == keep or not (stale or total > self.limit_bytes):
                continue
            with suppress(FileNotFoundError):
                path.unlink()
            total -= stat.st_size

    def synth_for(self, record: PatternMetadata, synth: str | None) -> str:
        """The synth id that plays a melodic pattern (the page's choice, else the default)."""
        chosen = synth or DEFAULT_SYNTHS[record.type]
        return self.lineage.resolve(chosen)

    def pattern_audio(
        self, record: PatternMetadata, synth: str | None = None, kit: str | None = None
    ) -> Path:
        """The WAV of a stored pattern (drums with ``kit``, melody and bass with ``synth``)."""
        from audiomancer.studio import rendering

        pattern = record.to_pattern()
        if record.type == "drums":
            kit_name = rendering.check_kit(kit or DEFAULT_KIT)
            key = _digest(record["midi_data"], str(record["bpm"]), rendering.kit_version(kit_name))
            name = f"{record.id}__kit-{_safe(kit_name)}__{key}.wav"
            return self._cached(
                self.folder / name, lambda path: rendering.render_drums(pattern, kit_name, path)
            )
        synth_id = self.synth_for(record, synth)
        code = self.lineage.source_code(synth_id)
        key = _digest(record["midi_data"], str(record["bpm"]), code)
        return self._cached(
            self.folder / f"{record.id}__synth-{_safe(synth_id)}__{key}.wav",
            lambda path: rendering.render_line(pattern, code, path),
        )

    def synth_audio(self, synth_id: str) -> Path:
        """The WAV of a synth's audition phrase (library synth or template)."""
        from audiomancer.studio import rendering

        resolved = self.lineage.resolve(synth_id)
        code = self.lineage.source_code(resolved)
        return self._cached(
            self.folder / f"audition__{_safe(resolved)}__{_digest(code)}.wav",
            lambda path: rendering.render_audition(code, path),
        )
