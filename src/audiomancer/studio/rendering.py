"""The studio's calls into the renderer: a pattern or a synth phrase to a WAV file.

Kept apart from the cache (``media``) so the engines are imported only when a sound is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from audiomancer.patterns.model import Pattern
from audiomancer.supercollider.kit import KIT_NAMES

AUDITION_SECONDS: Final = 2.0
KITS: Final = KIT_NAMES
"""Kits the page may choose, by name only: a kit folder holds code, and the browser never names
code to run."""


def check_kit(kit: str) -> str:
    """The kit name if it is known; ValueError naming it otherwise."""
    if kit not in KITS:
        raise ValueError(f"invalid kit {kit!r}: expected one of {', '.join(map(repr, KITS))}")
    return kit


def kit_version(kit: str) -> str:
    """Something that changes when the kit's sound changes (part of the cache key): the code of
    its voices."""
    import hashlib

    from audiomancer.supercollider.kit import load_kit

    voices = load_kit(check_kit(kit))
    code = "\x1f".join(f"{drum}={voice.source()}" for drum, voice in voices.items())
    return hashlib.sha256(code.encode()).hexdigest()[:12]


def render_line(pattern: Pattern, synth_code: str, path: Path) -> None:
    """Render a melody or bass line played by a SynthDef to ``path`` (16-bit WAV)."""
    from audiomancer.supercollider.pattern_render import render_pattern

    render_pattern(pattern, path, synth_code=synth_code, sample_format="int16")


def render_drums(pattern: Pattern, kit: str, path: Path) -> None:
    """Render a drum pattern with a shipped drum kit (by name) to ``path`` (16-bit WAV)."""
    from audiomancer.supercollider.pattern_render import render_pattern

    render_pattern(pattern, path, kit=check_kit(kit), sample_format="int16")


def render_audition(synth_code: str, path: Path) -> None:
    """Render a synth's audition phrase to ``path`` (seeded: the same sound every time, as
    the CLI's ``synth audition`` gives by default)."""
    from audiomancer.supercollider import nrt

    nrt.render_phrase(synth_code, AUDITION_SECONDS, path, seed=0)
