"""The Pbind codec: a Pattern as SuperCollider code that plays exactly its notes (DESIGN §3).

:func:`pbind_code` writes a ``Pbind``, or a ``Ppar`` of Pbinds when the pattern needs several
lanes. The mappings:

- **Time** is in beats (quarter notes), ``ticks / 480``, written exactly: a terminating decimal
  where there is one (``0.25``, ``0.0625``), otherwise a ratio (``(7/480)``), which sclang
  evaluates to the same double Python gets for the fraction. Micro-timing off the 16th grid is
  therefore exact too. ``\\dur`` is the time to the lane's next onset (the last note's ``dur``
  runs to the end of the pattern, so every lane, and the Ppar, lasts exactly the pattern's length
  and loops cleanly under ``Pn``). ``\\sustain`` is the note's length in beats.
- **Lanes**: drums get one Pbind per drum class (``\\midinote`` is the class's General MIDI pitch,
  a comment names the class). Melodies and bass lines are split into as few lanes as keep every
  lane's notes from overlapping (a monophonic line is one Pbind; each extra voice of a chord
  adds a lane). A lane whose first note is not at the start begins with a ``Rest``; gaps between
  notes within a lane are the difference between ``dur`` and ``sustain``.
- **Loudness**: the rows carry the MIDI velocity (``\\velocity``, readable as it is) and
  ``\\amp`` follows it on the curve of the Tidal export and the renders:
  ``amp = level * (velocity / 127) ** 2`` (:func:`velocity_to_amp`), where ``level`` is a kit
  drum's own default ``amp`` (its loudness at velocity 127, :meth:`KitVoice.amp_level`) and 1
  otherwise. :func:`amp_to_velocity` inverts it exactly.
- **Tempo** is *not* an event key: an event carrying ``\\tempo`` sets the tempo of the clock that
  plays it, for everything else on that clock as well. The header comment gives the bpm and the
  line that plays the pattern at it.
- **Instrument**: drums play the shipped drum kit, one SynthDef per drum class
  (:func:`drum_instrument`: ``am_kick``, ``am_snare``, ... ``am_ride``, see
  :mod:`audiomancer.supercollider.kit`); the definitions of the classes a pattern uses are part
  of the code. ``\\midinote`` stays the class's General MIDI pitch (it names the class; the kit
  ignores it). Melodic patterns play ``\\default`` (SuperCollider's built-in synth) unless an
  instrument is given (escaped as a Symbol literal); a given instrument must be defined first.
- **Evaluation.** The code is one parenthesised block (evaluate it with the cursor inside:
  Ctrl/Cmd-Enter) that runs as it is in a fresh sclang: it adds the SynthDefs it plays and
  stores the pattern in ``~pattern`` (its value is the pattern too). The header's play line,
  ``s.waitForBoot { ~pattern.play(TempoClock(bpm / 60)) };``, boots the server if needed and
  plays it.

An empty pattern gives a Pbind of one rest as long as the pattern.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from audiomancer.patterns.model import (
    DRUM_CLASS_BY_PITCH,
    TICKS_PER_BEAT,
    Note,
    Pattern,
)

MAX_VELOCITY: Final = 127
INDENT: Final = "    "
PATTERN_VARIABLE: Final = "~pattern"
"""The environment variable the code stores its pattern in (the play line names it)."""


def drum_instrument(drum: str) -> str:
    """The SynthDef that plays a drum class in Pbinds: the shipped kit's (``am_kick`` ...)."""
    return _drum_kit()[drum][0]


@functools.lru_cache(maxsize=1)
def _drum_kit() -> dict[str, tuple[str, str]]:
    """Drum class -> (SynthDef name, its code) of the shipped drum kit."""
    from audiomancer.supercollider.kit import default_kit

    return {d: (v.synthdef, v.source().rstrip("\n")) for d, v in default_kit().items()}


def drum_level(drum: str) -> float:
    """The ``amp`` of a drum class's kit SynthDef at velocity 127 (its default ``amp``)."""
    return _drum_levels()[drum]


@functools.lru_cache(maxsize=1)
def _drum_levels() -> dict[str, float]:
    from audiomancer.supercollider.kit import default_kit

    return {drum: voice.amp_level() for drum, voice in default_kit().items()}


def velocity_to_amp(velocity: int, level: float = 1.0) -> float:
    """SuperCollider ``\\amp`` for a MIDI velocity: ``level * (velocity / 127) ** 2``.

    The Tidal export's curve (SuperDirt plays ``gain ** 4`` of ``gain = sqrt(velocity / 127)``)
    and the renders'. Computed as sclang computes the Pbind's
    ``(Pkey(\\velocity) / 127).squared * level``, to the same double.
    """
    if isinstance(velocity, bool) or not isinstance(velocity, int) or not 0 <= velocity <= 127:
        raise ValueError(f"invalid velocity {velocity!r}: expected an integer from 0 to 127")
    ratio = velocity / MAX_VELOCITY
    return ratio * ratio * level


def amp_to_velocity(amp: float, level: float = 1.0) -> int:
    """The MIDI velocity of an ``\\amp`` played at ``level``: ``127 * sqrt(amp / level)``,
    rounded and clamped to 1-127. Exact inverse of :func:`velocity_to_amp` for 1-127.
    """
    if isinstance(amp, bool) or not isinstance(amp, int | float) or not math.isfinite(amp):
        raise ValueError(f"invalid amp {amp!r}: expected a finite number")
    if not math.isfinite(level) or level <= 0:
        raise ValueError(f"invalid level {level!r}: expected a positive number")
    return min(MAX_VELOCITY, max(1, round(math.sqrt(max(amp, 0.0) / level) * MAX_VELOCITY)))


def beats(ticks: int) -> Fraction:
    """Ticks as an exact number of beats (quarter notes)."""
    return Fraction(ticks, TICKS_PER_BEAT)


@functools.lru_cache(maxsize=4096)
def _beats_literal(ticks: int) -> str:
    """``sc_number(beats(ticks))``, remembered: a pattern writes the same few lengths often."""
    return sc_number(beats(ticks))


def sc_number(value: Fraction) -> str:
    """An exact SuperCollider literal: ``2``, ``0.25``, ``0.0625`` or ``(7/480)``."""
    if value.denominator == 1:
        return str(value.numerator)
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return f"({value.numerator}/{value.denominator})"
    places = max(twos, fives)
    scaled = value.numerator * 10**places // value.denominator  # exact: 10**places / den whole
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def sc_symbol(name: str) -> str:
    """A SuperCollider Symbol literal for name: ``\\tb303``, or ``'odd name'`` quoted."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"invalid instrument name {name!r}: expected a non-empty string")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError(f"invalid instrument name {name!r}: it holds a control character")
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        return "\\" + name
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _comment(text: str) -> str:
    """Text safe inside a ``//`` comment (no line breaks that would end it)."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()


@dataclass(frozen=True)
class _Lane:
    label: str
    notes: tuple[Note, ...]
    pitch: int | None
    """The lane's one pitch (drums), else None: pitch is then a column."""


def _lanes(pattern: Pattern) -> list[_Lane]:
    if pattern.type == "drums":
        by_pitch: dict[int, list[Note]] = {}
        for note in pattern.notes:
            by_pitch.setdefault(note.pitch, []).append(note)
        classes = sorted(by_pitch, key=lambda pitch: DRUM_CLASS_BY_PITCH[pitch].index)
        return [
            _Lane(f"{DRUM_CLASS_BY_PITCH[pitch].name} (GM {pitch})", tuple(by_pitch[pitch]), pitch)
            for pitch in classes
        ]
    lanes: list[list[Note]] = []
    for note in sorted(pattern.notes, key=lambda n: (n.start, n.pitch)):
        for lane in lanes:
            if lane[-1].end <= note.start:
                lane.append(note)
                break
        else:
            lanes.append([note])
    if len(lanes) == 1:
        return [_Lane("", tuple(lanes[0]), None)]
    return [_Lane(f"voice {i}", tuple(lane), None) for i, lane in enumerate(lanes, 1)]


def _lane_code(pattern: Pattern, lane: _Lane, instrument: str, indent: str) -> list[str]:
    inner = indent + INDENT
    rows_indent = inner + INDENT
    columns = ["dur", "sustain", "velocity"]  # one row per event
    if lane.pitch is None:
        columns.insert(1, "midinote")
    level = ""
    if lane.pitch is not None and instrument == "":
        drum = DRUM_CLASS_BY_PITCH[lane.pitch].name
        instrument = sc_symbol(drum_instrument(drum))
        level = f" * {drum_level(drum)!r}"
    lines = [f"{indent}Pbind("]
    lines.append(f"{inner}\\instrument, {instrument},")
    if lane.pitch is not None:
        lines.append(f"{inner}\\midinote, {lane.pitch},")
    keys = ", ".join("\\" + column for column in columns)
    lines.append(f"{inner}[{keys}], Pseq([")
    first = lane.notes[0].start
    if first > 0:
        placeholders = "0, 0" if lane.pitch is not None else "\\rest, 0, 0"
        lines.append(
            f"{rows_indent}[Rest({_beats_literal(first)}), {placeholders}],"
            "  // silent until the first note"
        )
    # One row per note: the pattern's lengths are read once, not per note (its properties
    # compute them), since every stored pattern passes through here.
    bar, bar_length = -1, pattern.bar_length
    notes = lane.notes
    followings = [note.start for note in notes[1:]] + [pattern.length]
    melodic = lane.pitch is None
    literal = _beats_literal
    for note, following in zip(notes, followings, strict=True):
        start = note.start
        note_bar = start // bar_length
        if note_bar != bar:
            bar = note_bar
            lines.append(f"{rows_indent}// bar {bar + 1}")
        if melodic:
            row = f"{literal(following - start)}, {note.pitch}, {literal(note.duration)}"
        else:
            row = f"{literal(following - start)}, {literal(note.duration)}"
        lines.append(f"{rows_indent}[{row}, {note.velocity}],")
    lines.append(f"{inner}]),")
    lines.append(f"{inner}\\amp, (Pkey(\\velocity) / {MAX_VELOCITY}).squared{level}")
    lines.append(f"{indent})")
    return lines


def _header(pattern: Pattern, lanes: int, carried: list[str], instrument: str) -> list[str]:
    numerator, denominator = pattern.time_signature
    bars = f"{pattern.bars} bar{'s' if pattern.bars != 1 else ''}"
    about = f"{pattern.type}, {bars} of {numerator}/{denominator} at {pattern.bpm:g} bpm"
    if pattern.key is not None or pattern.scale is not None:
        about += f", {' '.join(x for x in (pattern.key, pattern.scale) if x)}"
    if pattern.style:
        about += f", style {pattern.style}"
    shape = "one Pbind" if lanes <= 1 else f"a Ppar of {lanes} Pbinds, one per lane"
    level = "the drum's level * " if carried else ""
    return [
        f"// audiomancer pattern: {_comment(about)}",
        f"// {len(pattern.notes)} notes, {sc_number(beats(pattern.length))} beats; {shape}.",
        "// Times in beats (quarter notes): dur = time to the lane's next note, sustain = length;",
        f"// amp = {level}(velocity / 127) squared, the Tidal export's curve. Tempo is left to "
        "the clock.",
        *_sounds(carried, instrument),
        "// Evaluate the block (cursor inside the parentheses, Ctrl/Cmd-Enter); it stores the",
        f"// pattern in {PATTERN_VARIABLE}. Then, to play it at {pattern.bpm:g} bpm:",
        f"//   s.waitForBoot {{ {PATTERN_VARIABLE}.play(TempoClock({pattern.bpm:g} / 60)) }};",
    ]


def _sounds(carried: list[str], instrument: str) -> list[str]:
    if carried:
        return [
            "// Drums play audiomancer's drum kit, one SynthDef per drum class: "
            + ", ".join(drum_instrument(d) for d in carried)
            + ",",
            "// defined in this block, so it runs as it is in a fresh sclang.",
        ]
    if instrument == "\\default":
        return ["// Plays \\default, SuperCollider's built-in synth."]
    return [f"// Plays the SynthDef {instrument}: define (.add) it before evaluating this."]


def pbind_code(pattern: Pattern, instrument: str | None = None) -> str:
    """SuperCollider code that evaluates to a Pbind (or Ppar of Pbinds) playing the pattern.

    ``instrument`` names the SynthDef of every lane; None means the drum SynthDefs for drums
    (carried in the code) and ``\\default`` for melody and bass. See the module documentation
    for the mappings of time, lanes, velocity, tempo and how the code is evaluated.
    """
    lanes = _lanes(pattern)
    drums = pattern.type == "drums" and instrument is None
    symbol = sc_symbol(instrument) if instrument is not None else "" if drums else "\\default"
    carried: list[str] = []
    if drums:
        for lane in lanes:
            assert lane.pitch is not None
            drum = DRUM_CLASS_BY_PITCH[lane.pitch].name
            if drum not in carried:
                carried.append(drum)
    lines = _header(pattern, len(lanes), carried, symbol)
    lines.append("(")
    lines += [_drum_kit()[drum][1] for drum in carried]
    if not lanes:
        lines.append("// no notes: one rest as long as the pattern")
        whole = sc_number(beats(pattern.length))
        rest_instrument = symbol or "\\default"
        rest = f"\\instrument, {rest_instrument}, \\dur, Pseq([Rest({whole})])"
        lines.append(f"{PATTERN_VARIABLE} = Pbind({rest});")
    elif len(lanes) == 1:
        if lanes[0].label:
            lines.append(f"// {lanes[0].label}")
        body = _lane_code(pattern, lanes[0], symbol, "")
        body[0] = f"{PATTERN_VARIABLE} = {body[0]}"
        body[-1] += ";"
        lines += body
    else:
        lines.append(f"{PATTERN_VARIABLE} = Ppar([")
        for index, lane in enumerate(lanes):
            lines.append(f"{INDENT}// {lane.label}")
            body = _lane_code(pattern, lane, symbol, INDENT)
            if index + 1 < len(lanes):
                body[-1] += ","
            lines += body
        lines.append("]);")
    lines.append(")")
    return "\n".join(lines) + "\n"
