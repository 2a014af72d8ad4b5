"""Step notation: write a pattern by hand, one token per 16th step.

Drums, one lane per drum class (names from the drum map, or their Tidal names)::

    "kick: x...x...x...x... snare: ....x.......x... closed_hat: x.x.x.x.x.x.x.x."

``x`` is a hit at velocity 100, ``X`` an accent (velocity 127), ``.``/``-``/``~`` a rest.

Melody and bass, space-separated tokens::

    "C4 - Eb4 . G4 - - . Bb3:70 . . . C4 . . ."

A note name with octave (``C4`` is MIDI 60, sharps ``#`` and flats ``b``) or a MIDI number
starts a note, optionally with ``:velocity``; ``-`` holds the previous note one more step;
``.`` or ``~`` is a rest. The pattern is as many bars as the steps fill (rounded up).
"""

from __future__ import annotations

import math
import re
from typing import Final

from audiomancer.patterns.model import (
    DRUM_CLASS_BY_NAME,
    DRUM_CLASSES,
    TICKS_PER_STEP,
    Note,
    Pattern,
    bar_ticks,
    key_pitch_class,
    validate_pattern_type,
)

HIT_VELOCITY: Final = 100
ACCENT_VELOCITY: Final = 127
_RESTS: Final = frozenset(".-~")
_DRUM_ALIASES: Final = {c.tidal_sound: c for c in DRUM_CLASSES} | DRUM_CLASS_BY_NAME
_NOTE_TOKEN: Final = r"^(?:([A-Ga-g][#b]?)(-?\d)|(\d{1,3}))(?::(\d{1,3}))?$"


def note_number(name: str) -> int:
    """MIDI number of a note name with octave: 'C4' -> 60, 'F#2' -> 42, 'Bb-1' -> 10."""
    match = re.match(_NOTE_TOKEN, name)
    try:
        if match is None or match.group(1) is None:
            raise ValueError(name)
        pitch = key_pitch_class(match.group(1)) + 12 * (int(match.group(2)) + 1)
    except ValueError:
        raise ValueError(f"invalid note name {name!r}: expected e.g. 'C4', 'F#2', 'Bb3'") from None
    if not 0 <= pitch <= 127:
        raise ValueError(f"note {name!r} is outside MIDI range 0-127")
    return pitch


def parse_steps(
    text: str,
    pattern_type: str,
    bpm: float = 120.0,
    time_signature: tuple[int, int] = (4, 4),
    key: str | None = None,
    scale: str | None = None,
    style: str | None = None,
) -> Pattern:
    """Build a pattern from step notation (see the module docstring); ValueError if malformed."""
    kind = validate_pattern_type(pattern_type)
    notes, steps = _drum_steps(text) if kind == "drums" else _melodic_steps(text)
    if steps == 0:
        raise ValueError(f"no steps in {text!r}")
    bars = max(1, math.ceil(steps * TICKS_PER_STEP / bar_ticks(time_signature)))
    return Pattern(tuple(notes), kind, bars, bpm, time_signature, key, scale, style)


def _drum_steps(text: str) -> tuple[list[Note], int]:
    lanes = re.findall(r"([A-Za-z_]+)\s*:\s*([^\s:]+)", text)
    leftover = re.sub(r"([A-Za-z_]+)\s*:\s*([^\s:]+)", "", text).strip()
    if not lanes or leftover:
        raise ValueError(
            f"invalid drum steps {text!r}: expected lanes like 'kick: x...x... snare: ....x...'"
        )
    notes: list[Note] = []
    for name, cells in lanes:
        drum = _DRUM_ALIASES.get(name.lower())
        if drum is None:
            raise ValueError(
                f"unknown drum {name!r}: expected one of {', '.join(sorted(_DRUM_ALIASES))}"
            )
        for step, cell in enumerate(cells):
            if cell in "xX":
                velocity = ACCENT_VELOCITY if cell == "X" else HIT_VELOCITY
                notes.append(Note(step * TICKS_PER_STEP, drum.pitch, velocity))
            elif cell not in _RESTS:
                raise ValueError(f"invalid drum step {cell!r} in lane {name!r}: use x, X or .")
    return notes, max(len(cells) for _, cells in lanes)


def _melodic_steps(text: str) -> tuple[list[Note], int]:
    notes: list[Note] = []
    tokens = text.split()
    holding = False
    for step, token in enumerate(tokens):
        if token == "-":
            if not holding:
                raise ValueError(f"'-' at step {step + 1} holds nothing: no note sounds there")
            last = notes[-1]
            notes[-1] = Note(last.start, last.pitch, last.velocity, last.duration + TICKS_PER_STEP)
            continue
        holding = token not in _RESTS
        if holding:
            pitch, velocity = _note_token(token)
            notes.append(Note(step * TICKS_PER_STEP, pitch, velocity))
    return notes, len(tokens)


def _note_token(token: str) -> tuple[int, int]:
    match = re.match(_NOTE_TOKEN, token)
    if match is None:
        raise ValueError(
            f"invalid step {token!r}: expected a note like 'C4', 'Eb3:90' or '60', "
            "'-' to hold or '.' for a rest"
        )
    velocity = int(match.group(4)) if match.group(4) else HIT_VELOCITY
    if not 1 <= velocity <= 127:
        raise ValueError(f"invalid velocity {velocity} in step {token!r}: expected 1-127")
    if match.group(3) is not None:
        pitch = int(match.group(3))
        if pitch > 127:
            raise ValueError(f"invalid MIDI note {pitch} in step {token!r}: expected 0-127")
        return pitch, velocity
    return note_number(token.split(":")[0]), velocity
