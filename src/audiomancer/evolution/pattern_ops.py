"""Variation operators on patterns: pure functions of a pattern and a seeded random generator.

As in DEAP, the operators here know nothing of stores, ids or selection; the algorithm in
``audiomancer.generators.evolution`` decides when to call them. Each returns the new pattern and
a log of what it did, in words a musician reads. Every result is a valid Pattern: velocities
stay 1-127, notes stay inside the pattern, one pitch never overlaps itself, and melodic notes
that are added or moved keep to the pattern's key and scale.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Final

from audiomancer.arguments import validate_amount
from audiomancer.errors import IncompatiblePatternsError
from audiomancer.patterns.groove import MAX_OFFSET, groove_offset
from audiomancer.patterns.model import (
    DRUM_CLASS_BY_PITCH,
    TICKS_PER_BEAT,
    TICKS_PER_STEP,
    Note,
    Pattern,
    merge_overlaps,
    quantize,
    scale_pitch_classes,
    step_of,
)

MAX_SHIFT_SECONDS: Final = 0.050
"""Timing shifts move a note up to ±50 ms (the spec's figure)."""
MAX_VELOCITY_CHANGE: Final = 0.20
"""Velocity changes scale a note's velocity by up to ±20%."""

# The spec's probabilities, each scaled by `amount`.
SHIFT_PROBABILITY: Final = 0.3
SWAP_PROBABILITY: Final = 0.2
VELOCITY_PROBABILITY: Final = 0.3
ADD_PROBABILITY: Final = 0.1
REMOVE_PROBABILITY: Final = 0.1

DEFAULT_DRUM = DRUM_CLASS_BY_PITCH[42]  # closed hat: the least disruptive hit to add


def _fits(pattern: Pattern, notes: Sequence[Note]) -> bool:
    """True when the notes make a valid pattern (inside it, no pitch overlapping itself)."""
    try:
        pattern.with_notes(notes)
    except ValueError:
        return False
    return True


def _describe(pattern: Pattern, note: Note) -> str:
    """A note as a musician reads it: 'kick at 2.3' or 'D#4 at 1.1.3' (bar.beat.16th)."""
    bar, within = divmod(quantize(note.start), pattern.bar_length)
    beat, sixteenth = divmod(within, TICKS_PER_BEAT)
    where = f"{bar + 1}.{beat + 1}.{sixteenth // TICKS_PER_STEP + 1}"
    if pattern.type == "drums":
        return f"{DRUM_CLASS_BY_PITCH[note.pitch].name} at {where}"
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    return f"{names[note.pitch % 12]}{note.pitch // 12 - 1} at {where}"


# --- the five mutations -------------------------------------------------------------------
# Each mutation is written once, for one target (a note index, or an empty step for "add"):
# ``(pattern, notes, target, rng) -> log line or None`` editing ``notes`` in place only when the
# change leaves a valid pattern. The operators below apply it to every target with a probability.

Edit = Callable[[Pattern, list[Note], int, random.Random], str | None]


def _try(pattern: Pattern, notes: list[Note], candidate: list[Note]) -> bool:
    """Replace ``notes`` with ``candidate`` if that is a valid pattern."""
    if not _fits(pattern, candidate):
        return False
    notes[:] = sorted(candidate)
    return True


def _shift_one(pattern: Pattern, notes: list[Note], index: int, rng: random.Random) -> str | None:
    # A shift moves a note around its own place and never off its 16th step, so the pattern's
    # groove (swing, a laid-back snare) survives: the step keeps its note, only the feel moves.
    note = notes[index]
    max_ticks = round(MAX_SHIFT_SECONDS / pattern.seconds_per_tick())
    step = step_of(note.start) * TICKS_PER_STEP
    start = note.start + rng.randint(-max_ticks, max_ticks)
    start = min(max(0, step - TICKS_PER_STEP // 2, start), step + MAX_OFFSET)
    start = min(start, pattern.length - note.duration)
    moved = dataclasses.replace(note, start=start)
    if start == note.start or not _try(
        pattern, notes, [*notes[:index], moved, *notes[index + 1 :]]
    ):
        return None
    milliseconds = (start - note.start) * pattern.seconds_per_tick() * 1000
    return f"Shifted {_describe(pattern, note)} by {milliseconds:+.0f} ms"


def _swap_one(pattern: Pattern, notes: list[Note], index: int, rng: random.Random) -> str | None:
    # The two notes trade pitch and velocity and keep their places: the rhythm stays, the line
    # (or which drum plays where) changes.
    others = [i for i in range(len(notes)) if notes[i].pitch != notes[index].pitch]
    if not others:
        return None
    other = rng.choice(others)
    a, b = notes[index], notes[other]
    candidate = list(notes)
    candidate[index] = dataclasses.replace(a, pitch=b.pitch, velocity=b.velocity)
    candidate[other] = dataclasses.replace(b, pitch=a.pitch, velocity=a.velocity)
    if not _try(pattern, notes, candidate):
        return None
    return f"Swapped {_describe(pattern, a)} ↔ {_describe(pattern, b)}"


def _velocity_one(
    pattern: Pattern, notes: list[Note], index: int, rng: random.Random
) -> str | None:
    note = notes[index]
    factor = 1 + rng.uniform(-MAX_VELOCITY_CHANGE, MAX_VELOCITY_CHANGE)
    velocity = min(127, max(1, round(note.velocity * factor)))
    if velocity == note.velocity:
        return None
    notes[index] = dataclasses.replace(note, velocity=velocity)
    return f"Velocity of {_describe(pattern, note)}: {note.velocity} → {velocity}"


def _add_one(pattern: Pattern, notes: list[Note], step: int, rng: random.Random) -> str | None:
    if any(step_of(n.start) == step for n in notes):
        return None
    note = _new_note(pattern, notes, step, rng)
    # The new note takes the groove of its place in the beat (swing, a push or a drag).
    offset = groove_offset(pattern.with_notes(notes), step)
    if note.start + offset >= 0 and note.end + offset <= pattern.length:
        note = dataclasses.replace(note, start=note.start + offset)
    if not _try(pattern, notes, [*notes, note]):
        return None
    return f"Added {_describe(pattern, note)}"


def _remove_one(pattern: Pattern, notes: list[Note], index: int, rng: random.Random) -> str | None:
    if len(notes) < 2:  # a pattern keeps at least one note
        return None
    removed = notes.pop(index)
    return f"Removed {_describe(pattern, removed)}"


def _new_note(pattern: Pattern, notes: Sequence[Note], step: int, rng: random.Random) -> Note:
    """A note for an empty step: drums pick a class the pattern uses (weighted by how often,
    else a closed hat); melodies and bass lines a pitch of the key and scale near their
    neighbours."""
    start = step * TICKS_PER_STEP
    velocities = [n.velocity for n in notes] or [100]
    velocity = min(127, max(1, round(sum(velocities) / len(velocities))))
    if pattern.type == "drums":
        counts = Counter(n.pitch for n in notes)
        pitches = sorted(counts) or [DEFAULT_DRUM.pitch]
        weights = [counts.get(p, 1) for p in pitches]
        return Note(start, rng.choices(pitches, weights)[0], velocity, TICKS_PER_STEP)
    return Note(start, _pitch_near(pattern, notes, start, rng), velocity, TICKS_PER_STEP)


def _pitch_near(pattern: Pattern, notes: Sequence[Note], start: int, rng: random.Random) -> int:
    """A pitch in key within a fifth of the note nearest ``start``."""
    if notes:
        starts = [n.start for n in notes]
        centre = notes[min(bisect.bisect_left(starts, start), len(notes) - 1)].pitch
    else:
        centre = 48 if pattern.type == "bass" else 67
    allowed = allowed_pitches(pattern)
    return rng.choice([p for p in allowed if abs(p - centre) <= 7] or allowed)


def allowed_pitches(pattern: Pattern) -> list[int]:
    """MIDI pitches a melodic pattern may use: its key and scale, in a register for its type."""
    low, high = (24, 64) if pattern.type == "bass" else (36, 96)
    if pattern.key is None or pattern.scale is None:
        return list(range(low, high + 1))
    classes = scale_pitch_classes(pattern.key, pattern.scale)
    return [p for p in range(low, high + 1) if p % 12 in classes]


def _targets(edit: Edit, pattern: Pattern, notes: Sequence[Note]) -> int:
    """How many targets an edit has: empty steps for adding, notes otherwise."""
    return pattern.total_steps if edit is _add_one else len(notes)


def apply_each(
    edit: Edit, pattern: Pattern, rng: random.Random, probability: float
) -> tuple[Pattern, list[str]]:
    """Apply one mutation to each of its targets with the given probability."""
    notes, log = list(pattern.notes), []
    targets = [t for t in range(_targets(edit, pattern, notes)) if rng.random() < probability]
    # Edits re-sort the notes, so notes are found again by value rather than by index.
    chosen: list[int | Note] = list(targets) if edit is _add_one else [notes[t] for t in targets]
    for target in chosen:
        index = target if isinstance(target, int) else _index_of(notes, target)
        if index is not None and (line := edit(pattern, notes, index, rng)):
            log.append(line)
    return pattern.with_notes(notes), log


def _index_of(notes: list[Note], note: Note) -> int | None:
    try:
        return notes.index(note)
    except ValueError:
        return None


shift_timing = functools.partial(apply_each, _shift_one)
"""Move each note, with the given probability, by up to ±50 ms at the pattern's tempo, never off
its 16th step (so swing and a humanized feel are kept)."""
swap_notes = functools.partial(apply_each, _swap_one)
"""Exchange two notes' pitch and velocity, each note taking part with the given probability."""
change_velocity = functools.partial(apply_each, _velocity_one)
"""Scale each note's velocity, with the given probability, by up to ±20% (kept 1-127)."""
add_notes = functools.partial(apply_each, _add_one)
"""Put a note, with the given probability, on each empty 16th step."""
remove_notes = functools.partial(apply_each, _remove_one)
"""Delete each note with the given probability, always keeping at least one."""

MUTATIONS: Final[tuple[tuple[Edit, float], ...]] = (
    (_shift_one, SHIFT_PROBABILITY),
    (_swap_one, SWAP_PROBABILITY),
    (_velocity_one, VELOCITY_PROBABILITY),
    (_add_one, ADD_PROBABILITY),
    (_remove_one, REMOVE_PROBABILITY),
)
"""The spec's five mutation types with their base probabilities (scaled by ``amount``)."""


def mutate(pattern: Pattern, rng: random.Random, amount: float) -> tuple[Pattern, list[str]]:
    """Apply the five mutations in turn, each with its probability times ``amount``.

    With ``amount`` above 0 the result always differs from the input: if chance changed
    nothing (or its edits cancelled out), one mutation is applied to one random note or step
    of the input instead (a variation was asked for).
    """
    amount = validate_amount(amount)
    original = pattern
    log: list[str] = []
    for edit, probability in MUTATIONS:
        pattern, entries = apply_each(edit, pattern, rng, probability * amount)
        log += entries
    if pattern == original and amount > 0:
        # Nothing happened, or the edits undid each other (a note added, then removed).
        pattern, log = _one_forced_edit(original, rng)
    return pattern, log


def _one_forced_edit(pattern: Pattern, rng: random.Random) -> tuple[Pattern, list[str]]:
    edits = [edit for edit, _ in MUTATIONS]
    for _ in range(32):  # a drawn edit may not apply (e.g. a shift clamped at the end)
        edit = rng.choice(edits)
        notes = list(pattern.notes)
        count = _targets(edit, pattern, notes)
        if count and (line := edit(pattern, notes, rng.randrange(count), rng)):
            return pattern.with_notes(notes), [line]
    # Few edits apply to this pattern (one short, quiet note at its very end, say): try every
    # edit on every target, in a seeded order, rather than give back an unchanged copy.
    targets = [(e, i) for e in edits for i in range(_targets(e, pattern, list(pattern.notes)))]
    rng.shuffle(targets)
    for edit, index in targets:
        for _ in range(8):  # an edit draws its own values; some draws do nothing
            notes = list(pattern.notes)
            line = edit(pattern, notes, index, rng)
            if line and (child := pattern.with_notes(notes)) != pattern:
                return child, [line]
    return pattern, []


# --- crossover ----------------------------------------------------------------------------


def cut_points(first: Pattern, second: Pattern) -> list[int]:
    """Ticks where two patterns may be cut: inner bar lines, or beats for one-bar patterns."""
    shortest = min(first.length, second.length)
    bars = list(range(first.bar_length, shortest, first.bar_length))
    if bars:
        return bars
    beat = TICKS_PER_BEAT if first.time_signature[1] <= 4 else TICKS_PER_BEAT // 2
    return list(range(beat, shortest, beat))


def check_compatible(first: Pattern, second: Pattern) -> None:
    """IncompatiblePatternsError unless both have the same type and time signature."""
    if first.time_signature != second.time_signature:
        raise IncompatiblePatternsError(
            f"patterns have different time signatures: {first.time_signature[0]}/"
            f"{first.time_signature[1]} and {second.time_signature[0]}/{second.time_signature[1]}"
        )
    if first.type != second.type:
        raise IncompatiblePatternsError(
            f"patterns have different types: {first.type!r} and {second.type!r}"
        )


def crossover(first: Pattern, second: Pattern, rng: random.Random) -> tuple[Pattern, list[str]]:
    """One-point crossover at a random bar line: ``first`` before the cut, ``second`` after.

    The child is as long as ``second`` and takes ``first``'s tempo, key, scale and style. A note
    of ``first`` that rings across the cut is shortened to end there. Notes belong to the side
    of the cut their 16th step is on, so each half keeps its groove: a note pushed just ahead
    of the cut's downbeat comes with the second parent, and every note keeps its ticks
    (swing and micro-timing too).
    In a melodic child with a key and scale, notes of ``second`` outside them move to the
    nearest pitch inside. One-bar parents are cut at a beat instead of a bar line.
    """
    check_compatible(first, second)
    points = cut_points(first, second)
    if not points:
        raise IncompatiblePatternsError("patterns are too short to cut (less than two beats)")
    cut = rng.choice(points)
    head = [dataclasses.replace(n, duration=min(n.duration, cut - n.start))
            for n in first.notes if quantize(n.start) < cut]  # fmt: skip
    tail = [n for n in second.notes if quantize(n.start) >= cut]
    child = dataclasses.replace(first, bars=second.bars, notes=())
    tail, moved = _keep_in_scale(child, tail)
    notes = merge_overlaps([*head, *tail])
    log = [f"Cut at {_position(first, cut)}: {len(head)} notes from the first parent, "
           f"{len(tail)} from the second"]  # fmt: skip
    if moved:
        noun = "note" if moved == 1 else "notes"
        log.append(f"Moved {moved} {noun} of the second parent into {first.key} {first.scale}")
    return child.with_notes(notes), log


def _position(pattern: Pattern, tick: int) -> str:
    bar, within = divmod(tick, pattern.bar_length)
    return f"bar {bar + 1}" if within == 0 else f"bar {bar + 1} beat {within // TICKS_PER_BEAT + 1}"


def _keep_in_scale(pattern: Pattern, notes: list[Note]) -> tuple[list[Note], int]:
    if pattern.type == "drums" or pattern.key is None or pattern.scale is None:
        return notes, 0
    classes = scale_pitch_classes(pattern.key, pattern.scale)
    result, moved = [], 0
    for note in notes:
        if note.pitch % 12 not in classes:
            note = dataclasses.replace(note, pitch=_nearest_in(classes, note.pitch))
            moved += 1
        result.append(note)
    return result, moved


def _nearest_in(classes: frozenset[int], pitch: int) -> int:
    for distance in range(1, 12):
        for candidate in (pitch - distance, pitch + distance):
            if 0 <= candidate <= 127 and candidate % 12 in classes:
                return candidate
    return pitch
