"""The studio's calls into the renderer: a pattern or a synth phrase to a WAV file.

Kept apart from the cache (``media``) so the engines are imported only when a sound is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from audiomancer.errors import AudiomancerError
from audiomancer.patterns.model import Pattern

AUDITION_SECONDS: Final = 2.0
KITS: Final = ("default",)


def check_kit(kit: str) -> str:
    """The kit name if it is known; ValueError naming it otherwise."""
    if kit not in KITS:
        raise ValueError(f"invalid kit {kit!r}: expected one of {', '.join(map(repr, KITS))}")
    return kit


def kit_version(kit: str) -> str:
    """Something that changes when the kit's sound changes (part of the cache key)."""
    return kit


def render_line(pattern: Pattern, synth_code: str, path: Path) -> None:
    """Render a melody or bass line played by a SynthDef to ``path`` (16-bit WAV)."""
    from audiomancer.supercollider import nrt

    nrt.render(synth_code, pattern, path, sample_format="int16")


def render_drums(pattern: Pattern, kit: str, path: Path) -> None:
    """Render a drum pattern with a drum kit to ``path``."""
    raise AudiomancerError("drum patterns cannot be played yet: the drum kit is not built")


def render_audition(synth_code: str, path: Path) -> None:
    """Render a synth's audition phrase to ``path``."""
    from audiomancer.supercollider import nrt

    nrt.render_phrase(synth_code, AUDITION_SECONDS, path)
