"""What the studio lets you hear and see: rendered audio, cached, and SVG pictures.

Audio is rendered by scsynth on first use and cached under ``data_dir()/studio/audio``, one WAV
per pattern, synth and kit (and per synth audition). A cache file's name also carries a digest
of everything the sound depends on (the pattern's notes and tempo, the synth's code), so a
changed synth or kit never plays stale audio. Files are written atomically; two requests for
the same sound render it once.
"""

from __future__ import annotations

import hashlib
import re
import threading
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

_SAFE: Final = r"[^A-Za-z0-9_-]"


def audio_dir() -> Path:
    """The audio cache of the studio."""
    return data_dir() / "studio" / "audio"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def _safe(text: str) -> str:
    return re.sub(_SAFE, "_", text)[:64]


class AudioCache:
    """Renders patterns and synth auditions to WAV files once, then serves the files."""

    def __init__(self, lineage: LineageTracker, folder: Path | None = None) -> None:
        self.lineage = lineage
        self.folder = folder if folder is not None else audio_dir()
        self._locks: dict[Path, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _lock(self, path: Path) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(path, threading.Lock())

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
            path = self.folder / name
            with self._lock(path):
                if not path.exists():
                    rendering.render_drums(pattern, kit_name, path)
            return path
        synth_id = self.synth_for(record, synth)
        code = self.lineage.source_code(synth_id)
        key = _digest(record["midi_data"], str(record["bpm"]), code)
        path = self.folder / f"{record.id}__synth-{_safe(synth_id)}__{key}.wav"
        with self._lock(path):
            if not path.exists():
                rendering.render_line(pattern, code, path)
        return path

    def synth_audio(self, synth_id: str) -> Path:
        """The WAV of a synth's audition phrase (library synth or template)."""
        from audiomancer.studio import rendering

        resolved = self.lineage.resolve(synth_id)
        code = self.lineage.source_code(resolved)
        path = self.folder / f"audition__{_safe(resolved)}__{_digest(code)}.wav"
        with self._lock(path):
            if not path.exists():
                rendering.render_audition(code, path)
        return path
