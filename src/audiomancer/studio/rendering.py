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
    from audiomancer.supercollider import nrt

    nrt.render(synth_code, pattern, path, sample_format="int16")


_TAIL_S: Final = 1.0


def render_drums(pattern: Pattern, kit: str, path: Path) -> None:
    """Render a drum pattern to ``path`` (16-bit WAV) with a shipped drum kit
    (:mod:`audiomancer.supercollider.kit`): scsynth renders each drum class with its voice, each
    hit at the voice's ``amp`` times the kit's velocity curve, and the stems are mixed."""
    import tempfile

    import numpy as np

    from audiomancer.patterns.model import DRUM_CLASS_BY_PITCH
    from audiomancer.supercollider import lang, nrt
    from audiomancer.supercollider.kit import load_kit, velocity_amp

    voices = load_kit(check_kit(kit))
    tick = pattern.seconds_per_tick()
    by_class: dict[str, list[tuple[float, float, int]]] = {}
    for note in pattern.notes:
        hit = (note.start * tick, note.duration * tick, note.velocity)
        by_class.setdefault(DRUM_CLASS_BY_PITCH[note.pitch].name, []).append(hit)
    rate = nrt.DEFAULT_RATE
    frames = int((pattern.length * tick + _TAIL_S) * rate)
    mix = np.zeros((frames, 2))
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, hits) in enumerate(sorted(by_class.items())):
            scgf = lang.compile_synthdef(voices[name].source())
            amp = nrt.read_synthdef_header(scgf).controls.get("amp", 1.0)
            notes = [
                nrt.RenderNote(start, duration, nrt.midi_to_hz(60), amp * velocity_amp(velocity))
                for start, duration, velocity in hits
            ]
            stem = Path(folder) / f"{index}.wav"
            nrt.render(scgf, notes, stem, tail=_TAIL_S)
            samples, _ = nrt.read_wav(stem)
            samples = np.nan_to_num(samples.reshape(len(samples), -1)[:frames])
            mix[: len(samples), : samples.shape[1]] += samples
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    if peak > 0.99:
        mix *= 0.99 / peak
    _write_wav16(path, mix, rate)


def _write_wav16(path: Path, samples: object, rate: int) -> None:
    import io
    import wave

    import numpy as np

    from audiomancer.atomic import atomic_write_bytes

    data = np.asarray(samples)
    pcm = np.round(np.clip(data, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(data.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    atomic_write_bytes(path, buffer.getvalue())


def render_audition(synth_code: str, path: Path) -> None:
    """Render a synth's audition phrase to ``path``."""
    from audiomancer.supercollider import nrt

    nrt.render_phrase(synth_code, AUDITION_SECONDS, path)
