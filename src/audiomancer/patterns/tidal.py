"""TidalCycles code for a pattern: a Tidal expression that plays exactly the pattern's notes.

The mapping (DESIGN §3), every part of it checked against real Tidal in ``tests/test_tidal.py``:

- **Time.** One bar is one Tidal cycle; a pattern of ``bars`` bars is ``slow <bars>`` over a
  sequence of ``bars`` groups separated by `` . `` (mini-notation's bar-like grouping). Each group
  has one token per 16th step (16 in 4/4, 12 in 3/4 and 6/8, 14 in 7/8), so every token is one
  step and the grid can be read straight off the code. Each note is one token on the step
  nearest its start; every other step is a rest ``~``.
- **Micro-timing.** A note off the 16th grid keeps its nearest step and carries the offset in
  ``nudge``, in seconds at the pattern's tempo (Tidal adds nudge to the event's time when it
  sends it). With ``setcps`` as :func:`tidal_code` writes it, ``nudge * cps`` is the offset in
  cycles, so ``step / steps_per_bar + nudge * cps`` is exactly ``start / bar_length``.
- **Lanes.** Drums: one lane per drum voice (``s`` = the kit's sound for the class, see
  :mod:`audiomancer.patterns.kits`, with the voice's constant controls such as ``# n 10``), in
  the order of the drum classes, in a ``stack``. Melodic patterns: notes are split greedily into
  lanes so that no lane holds two notes on one step or two notes sounding at once (a lane reads
  as one monophonic voice). A voice whose hits crowd one step (micro-timing) gets a second lane.
- **Pitch.** ``note`` with Tidal's note names: Tidal's note 0 is ``c5``, MIDI 60, so MIDI pitch
  ``p`` is written ``<name><p // 12>`` (MIDI 60 = ``c5``, 69 = ``a5``, 36 = ``c3``) and plays
  note ``p - 60``. Sharps are spelled with ``s`` (``cs5``), as Tidal spells them.
- **Sound.** Melody: ``superpiano``; bass: ``supersaw`` (unless the pattern names another
  ``sound``) (a detuned, low-pass filtered saw that
  works as a bass); both are SuperDirt's stock synths (``library/default-synths-extra.scd``,
  loaded when sc3-plugins are installed, as in every usual Tidal setup) and both honour
  ``sustain``, which SuperDirt derives from ``legato``.
- **Velocity.** SuperDirt plays ``amp = gain ** 4``. We want amplitude to follow the usual
  MIDI velocity curve ``amp = (velocity / 127) ** 2`` (-6 dB per halving of velocity, the
  curve of the DLS / General MIDI 2 default), so ``gain = sqrt(velocity / 127)``, written with
  3 decimals; :func:`gain_to_velocity` inverts it exactly (velocity 127 is gain 1).
- **Duration.** Melodic notes carry ``legato = duration / step`` (SuperDirt's
  ``sustain = legato * event length``, and each event is one step long), so ``legato 4`` is a
  quarter note and ``legato 0.5`` a 32nd. Drum lanes carry no legato: drum hits ring for their
  sample's natural length, as General MIDI drum channels ignore note-off (a legato would cut
  the sample).
- **Rests.** A control pattern never has a rest where the lane's structure has an onset: every
  control string of a lane has its values on exactly the same steps as the structure string and
  rests everywhere else; a control with one value for the whole lane is written as a constant
  (``# gain 0.8``). Elongation ``_`` is avoided: Tidal 1.7's parser misreads numbers after it.
- **Blocks.** Editors send the paragraph under the cursor (lines between blank lines) to Tidal
  as one ``:{ ... :}`` block, so :func:`tidal_code` writes the tempo and the pattern as two
  paragraphs, each of which evaluates on its own. The header comment states type, length in
  bars, metre, tempo and kit or sound, and importing the code reads them back.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from audiomancer.patterns.kits import (
    BASS_SOUND,
    DEFAULT_KIT,
    MELODY_SOUND,
    default_sound,
    get_kit,
    validate_sound,
)
from audiomancer.patterns.model import (
    DRUM_CLASSES,
    TICKS_PER_STEP,
    Note,
    Pattern,
)

__all__ = [
    "BASS_SOUND",
    "MELODY_SOUND",
    "cycles_per_second",
    "gain_to_velocity",
    "note_name",
    "pattern_sound",
    "tidal_code",
    "tidal_expression",
    "velocity_to_gain",
]

TIDAL_NOTE_ZERO: Final = 60
"""MIDI pitch of Tidal's note 0 (``c5``)."""
GAIN_PLACES: Final = 3
"""Decimals of the gain values written in the code (enough to recover every velocity)."""
MAX_ORBIT: Final = 16

_NOTE_NAMES: Final = ("c", "cs", "d", "ds", "e", "f", "fs", "g", "gs", "a", "as", "b")
_LEGATO_TOLERANCE_TICKS: Final = 0.01
_NUDGE_TOLERANCE_SECONDS: Final = 1e-12


def velocity_to_gain(velocity: int) -> float:
    """Tidal ``gain`` for a MIDI velocity 1-127: ``sqrt(velocity / 127)``, to 3 decimals.

    SuperDirt plays ``amp = gain ** 4``, so the amplitude is ``(velocity / 127) ** 2``, the
    common MIDI velocity curve. :func:`gain_to_velocity` recovers the velocity exactly.
    """
    if isinstance(velocity, bool) or not isinstance(velocity, int) or not 1 <= velocity <= 127:
        raise ValueError(f"invalid velocity {velocity!r}: expected an integer from 1 to 127")
    return _gain(velocity)


@functools.lru_cache(maxsize=128)
def _gain(velocity: int) -> float:
    return round(math.sqrt(velocity / 127), GAIN_PLACES)


def gain_to_velocity(gain: float) -> int:
    """MIDI velocity 1-127 for a Tidal ``gain`` (the inverse of :func:`velocity_to_gain`).

    Gains above 1 clamp to 127 and tiny gains to 1; ValueError for a negative or non-finite
    gain.
    """
    if isinstance(gain, bool) or not isinstance(gain, int | float) or not math.isfinite(gain):
        raise ValueError(f"invalid gain {gain!r}: expected a finite number")
    if gain < 0:
        raise ValueError(f"invalid gain {gain!r}: expected a number of at least 0")
    return max(1, min(127, round(127 * gain * gain)))


def note_name(pitch: int) -> str:
    """Tidal's name of a MIDI pitch: 60 -> ``c5`` (Tidal's note 0), 61 -> ``cs5``, 36 -> ``c3``."""
    if isinstance(pitch, bool) or not isinstance(pitch, int) or not 0 <= pitch <= 127:
        raise ValueError(f"invalid pitch {pitch!r}: expected an integer from 0 to 127")
    return f"{_NOTE_NAMES[pitch % 12]}{pitch // 12}"


def pattern_sound(pattern: Pattern) -> str | None:
    """The SuperDirt sound a melodic pattern plays on; None for drums (each voice has its own)."""
    if pattern.type == "drums":
        return None
    if pattern.sound is not None:
        return validate_sound(pattern.sound)
    return default_sound(pattern.type)


def cycles_per_second(pattern: Pattern) -> float:
    """Tidal tempo of a pattern: one bar per cycle, ``bpm / 60 / beats_per_bar``."""
    return pattern.bpm / 60 / float(pattern.beats_per_bar)


def tidal_expression(pattern: Pattern) -> str:
    """A Tidal ControlPattern expression that plays exactly the pattern's notes.

    One bar is one cycle (``slow <bars>`` for longer patterns); see the module documentation
    for the mapping of time, pitch, velocity, duration and micro-timing. An empty pattern is
    ``silence``. The expression may span several lines (one lane per line); continuation
    lines are indented, so it can follow ``d1 $`` as it is.
    """
    lanes = [_render_lane(pattern, lane) for lane in _lanes(pattern)]
    if not lanes:
        return "silence"
    body = "stack\n  [ " + "\n  , ".join(lanes) + "\n  ]"
    sound = pattern_sound(pattern)
    if sound is not None:
        body += f' # s "{sound}"'
    if pattern.bars > 1:
        body = f"slow {pattern.bars} $ {body}"
    return body


def tidal_code(pattern: Pattern, orbit: int = 1) -> str:
    """What a live coder pastes into Tidal: two paragraphs, the tempo and ``d<orbit> $ ...``.

    The first paragraph is a comment (type, bars, metre, tempo, key, kit or sound) and the tempo
    ``setcps (bpm/60/beats_per_bar)``: one bar per cycle, beats counted in quarter notes. After
    a blank line comes the pattern, so that an editor sending the paragraph under the cursor
    sends each one whole. ``orbit`` is the Tidal pattern slot, 1 to 16 (``d1`` ... ``d16``).
    """
    if isinstance(orbit, bool) or not isinstance(orbit, int) or not 1 <= orbit <= MAX_ORBIT:
        raise ValueError(f"invalid orbit {orbit!r}: expected an integer from 1 to {MAX_ORBIT}")
    numerator, denominator = pattern.time_signature
    bars = f"{pattern.bars} bar" + ("s" if pattern.bars != 1 else "")
    details = ""
    if pattern.key is not None and pattern.scale is not None:
        details = f", {pattern.key} {pattern.scale}"
    if pattern.type == "drums":
        details += f", kit {get_kit(pattern.kit or DEFAULT_KIT).name}"
    else:
        details += f", sound {pattern_sound(pattern)}"
    comment = (
        f"-- audiomancer {pattern.type}: {bars} of {numerator}/{denominator} at "
        f"{_exact(pattern.bpm)} bpm{details} (one bar per cycle)"
    )
    tempo = f"setcps ({_exact(pattern.bpm)}/60/{_exact(pattern.beats_per_bar)})"
    return f"{comment}\n{tempo}\n\nd{orbit} $ {tidal_expression(pattern)}\n"


# --- lanes --------------------------------------------------------------------------------
# Every note passes through here once per stored pattern, so the per-note work is kept to
# integer arithmetic and table look-ups: a batch of 16 drum patterns holds over 1000 notes.


@dataclass(frozen=True)
class _LaneText:
    """One lane as text on its steps: structure tokens and the values of each control."""

    tokens: dict[int, str]
    extra: str
    """Constant controls of the lane's voice (`` # n 10``), empty for most voices."""
    gains: dict[int, str]
    legatos: dict[int, str]
    """Empty for drum lanes (no legato)."""
    nudges: dict[int, str]
    """Empty when every note of the lane is on the grid."""


@dataclass
class _Lane:
    notes: list[Note]
    steps: list[int]
    last_step: int
    last_end: int


def _allocate(notes: list[Note], total_steps: int, melodic: bool) -> list[_Lane]:
    """Split notes (sorted by start) into lanes: first fit, one note per step per lane.

    Each note is written on the 16th step nearest its start, never past the pattern's end.
    Melodic lanes also never hold two sounding notes at once.
    """
    last = total_steps - 1
    half = TICKS_PER_STEP // 2
    lanes: list[_Lane] = []
    for note in notes:
        start = note.start
        step = min((start + half) // TICKS_PER_STEP, last)  # step_of, clamped
        for lane in lanes:
            if lane.last_step < step and (not melodic or lane.last_end <= start):
                break
        else:
            lane = _Lane([], [], -1, 0)
            lanes.append(lane)
        lane.notes.append(note)
        lane.steps.append(step)
        lane.last_step = step
        lane.last_end = start + note.duration
    return lanes


@functools.cache
def _gain_texts() -> tuple[str, ...]:
    """The written gain of each velocity 0-127 (0 is never used: Note checks 1-127)."""
    return ("0", *(_decimal(_gain(v), GAIN_PLACES) for v in range(1, 128)))


def _lane_text(
    lane: _Lane, tokens: list[str] | str, extra: str, melodic: bool, seconds_per_tick: float
) -> _LaneText:
    """The lane's values by step; ``tokens`` is one token per note, or the drum voice's sound."""
    gain = _gain_texts()
    steps = lane.steps
    notes = lane.notes
    structure = (
        dict.fromkeys(steps, tokens)
        if isinstance(tokens, str)
        else dict(zip(steps, tokens, strict=True))
    )
    gains = {step: gain[note.velocity] for step, note in zip(steps, notes, strict=True)}
    legatos: dict[int, str] = {}
    if melodic:
        written: dict[int, str] = {}  # durations repeat within a lane
        for step, note in zip(steps, notes, strict=True):
            text = written.get(note.duration)
            if text is None:
                text = _shortest(
                    note.duration / TICKS_PER_STEP, _LEGATO_TOLERANCE_TICKS / TICKS_PER_STEP
                )
                written[note.duration] = text
            legatos[step] = text
    offsets = [note.start - step * TICKS_PER_STEP for step, note in zip(steps, notes, strict=True)]
    nudges: dict[int, str] = {}
    if any(offsets):  # an offset of whole ticks is 0 seconds only when it is 0
        for step, offset in zip(steps, offsets, strict=True):
            nudges[step] = _shortest(offset * seconds_per_tick, _NUDGE_TOLERANCE_SECONDS)
    return _LaneText(structure, extra, gains, legatos, nudges)


def _lanes(pattern: Pattern) -> list[_LaneText]:
    total = pattern.total_steps
    seconds_per_tick = pattern.seconds_per_tick()
    if pattern.type == "drums":
        kit = get_kit(pattern.kit or DEFAULT_KIT)
        lanes: list[_LaneText] = []
        by_pitch: dict[int, list[Note]] = {}  # each class's hits, in the pattern's order
        for n in pattern.notes:
            by_pitch.setdefault(n.pitch, []).append(n)
        for drum in DRUM_CLASSES:
            hits = by_pitch.get(drum.pitch)
            if not hits:
                continue
            voice = kit.voice(drum)
            extra = voice.tidal_controls()
            for lane in _allocate(hits, total, melodic=False):
                lanes.append(_lane_text(lane, voice.sound, extra, False, seconds_per_tick))
        return lanes
    return [
        _lane_text(lane, [note_name(n.pitch) for n in lane.notes], "", True, seconds_per_tick)
        for lane in _allocate(list(pattern.notes), total, melodic=True)
    ]


def _sequence(steps_per_bar: int, total_steps: int, values: dict[int, str]) -> str:
    """Mini-notation with ``values`` on their steps, rests elsewhere, `` . `` between bars."""
    cells = ["~"] * total_steps
    for step, value in values.items():
        cells[step] = value
    bars = [" ".join(cells[at : at + steps_per_bar]) for at in range(0, total_steps, steps_per_bar)]
    return f'"{" . ".join(bars)}"'


def _control(steps_per_bar: int, total_steps: int, name: str, values: dict[int, str]) -> str:
    """``# name ...``: a constant when all values agree, else a string on the lane's steps."""
    distinct = set(values.values())
    if len(distinct) == 1:
        (value,) = distinct
        return f"# {name} " + (f"({value})" if value.startswith("-") else value)
    return f"# {name} {_sequence(steps_per_bar, total_steps, values)}"


def _render_lane(pattern: Pattern, lane: _LaneText) -> str:
    per_bar, total = pattern.steps_per_bar, pattern.total_steps
    structure = "s" if pattern.type == "drums" else "note"
    parts = [f"{structure} {_sequence(per_bar, total, lane.tokens)}{lane.extra}"]
    parts.append(_control(per_bar, total, "gain", lane.gains))
    if lane.legatos:
        parts.append(_control(per_bar, total, "legato", lane.legatos))
    if lane.nudges:
        parts.append(_control(per_bar, total, "nudge", lane.nudges))
    return " ".join(parts)


# --- numbers ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # gains, legatos and nudges repeat within a pattern
def _decimal(value: float, places: int) -> str:
    """``value`` with at most ``places`` decimals, trailing zeros dropped, never an exponent."""
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _shortest(value: float, tolerance: float) -> str:
    """The shortest plain decimal within ``tolerance`` of ``value``."""
    for places in range(18):
        text = _decimal(value, places)
        if abs(float(text) - value) <= tolerance:
            return text
    return _decimal(value, 20)


def _exact(value: float | Fraction) -> str:
    """A number written exactly (bpm, beats per bar with a power-of-two denominator)."""
    if isinstance(value, Fraction):
        if value.denominator & (value.denominator - 1):
            raise ValueError(f"{value} has no finite decimal form")
        value = float(value)
    return _shortest(value, 0.0)
