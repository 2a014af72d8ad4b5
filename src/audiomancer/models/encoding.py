"""Magenta's event encodings for the pattern models, on a grid of 16th steps.

Drums (DrumsRNN's ``MultiDrumOneHotEncoding``): each 16th step is one of ``2**9`` states, the
set of the nine drum classes (``patterns.model.DRUM_CLASSES``) struck on that step, as a bit
mask (bit ``i`` = class ``i``). State 0 is a silent step.

Melodies and bass lines (MelodyRNN's ``MelodyOneHotEncoding``): each 16th step is one event,
``NO_EVENT`` (the previous note goes on sounding, or the silence goes on), ``NOTE_OFF`` (silence
starts) or a note-on of one pitch in ``MIN_PITCH..MAX_PITCH`` (the previous note ends there).
Lines are monophonic. Event ids: 0 = no event, 1 = note-off, ``2 + pitch - MIN_PITCH`` = note-on.

Both models also read the position of the step in its bar (``step % STEPS_PER_BAR``, bars of
4/4), the drum model also a style id (``STYLE_IDS``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, MutableSequence, Sequence
from typing import Final

from audiomancer.patterns.model import (
    DRUM_CLASSES,
    TICKS_PER_STEP,
    Note,
    Pattern,
    drum_class,
    step_of,
)

STEPS_PER_BAR: Final = 16
"""16th steps in a bar of 4/4: the period of the position input."""

# --- drums --------------------------------------------------------------------------------

NUM_DRUM_CLASSES: Final = len(DRUM_CLASSES)
NUM_DRUM_STATES: Final = 2**NUM_DRUM_CLASSES
SILENT_STATE: Final = 0

STYLE_NAMES: Final[tuple[str, ...]] = ("basic", "techno", "house", "dnb")
"""The drum styles of the spec, in the order of the model's style input (after 'none')."""
STYLE_IDS: Final[dict[str | None, int]] = {
    None: 0,
    **{name: i + 1 for i, name in enumerate(STYLE_NAMES)},
}
"""Style input of the drum model: 0 = no style (most training data), then one per style."""
NUM_STYLES: Final = len(STYLE_IDS)


def drum_state(classes: Iterable[int]) -> int:
    """The step state of a set of drum class indices: {0, 1} (kick + snare) -> 3."""
    state = 0
    for index in classes:
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValueError(f"invalid drum class {index!r}: expected an integer from 0 to 8")
        if not 0 <= index < NUM_DRUM_CLASSES:
            raise ValueError(f"invalid drum class {index!r}: expected an integer from 0 to 8")
        state |= 1 << index
    return state


def drum_classes(state: int) -> tuple[int, ...]:
    """The drum class indices of a step state, ascending: 3 -> (0, 1)."""
    if isinstance(state, bool) or not isinstance(state, int) or not 0 <= state < NUM_DRUM_STATES:
        raise ValueError(
            f"invalid drum state {state!r}: expected an integer from 0 to {NUM_DRUM_STATES - 1}"
        )
    return tuple(i for i in range(NUM_DRUM_CLASSES) if state >> i & 1)


def encode_drums(pattern: Pattern) -> list[int]:
    """A drum pattern as one state per 16th step (notes snap to the nearest step)."""
    states = [SILENT_STATE] * pattern.total_steps
    for note in pattern.notes:
        step = step_of(note.start)
        if step < len(states):
            states[step] |= 1 << drum_class(note.pitch).index
    return states


def decode_drums(
    states: Sequence[int], velocities: Sequence[Sequence[int]] | None = None
) -> list[Note]:
    """Notes of a state sequence: one 16th-long hit per class and step.

    ``velocities[step][class]`` gives each hit's velocity (default 100).
    """
    notes = []
    hits = _drum_hits()
    for step, state in enumerate(states):
        if type(state) is int and 0 <= state < NUM_DRUM_STATES:
            classes = hits[state]
        else:  # drum_classes names what is wrong with it
            classes = tuple((i, DRUM_CLASSES[i].pitch) for i in drum_classes(state))
        for index, pitch in classes:
            velocity = 100 if velocities is None else int(velocities[step][index])
            notes.append(Note(step * TICKS_PER_STEP, pitch, velocity))
    return notes


@functools.cache
def _drum_hits() -> tuple[tuple[tuple[int, int], ...], ...]:
    """(class, pitch) of each hit of every step state, built on first use."""
    return tuple(
        tuple((i, DRUM_CLASSES[i].pitch) for i in drum_classes(state))
        for state in range(NUM_DRUM_STATES)
    )


# --- melodies -----------------------------------------------------------------------------

NO_EVENT: Final = 0
NOTE_OFF: Final = 1
FIRST_NOTE_EVENT: Final = 2
MIN_PITCH: Final = 24
"""Lowest pitch the melody encoding holds (C1), so one vocabulary serves melody and bass."""
MAX_PITCH: Final = 96
"""Highest pitch the melody encoding holds (C7)."""
NUM_MELODY_EVENTS: Final = FIRST_NOTE_EVENT + MAX_PITCH - MIN_PITCH + 1


def note_on_event(pitch: int) -> int:
    """The event id of a note-on; ValueError outside MIN_PITCH..MAX_PITCH."""
    if isinstance(pitch, bool) or not isinstance(pitch, int) or not MIN_PITCH <= pitch <= MAX_PITCH:
        raise ValueError(
            f"invalid pitch {pitch!r} for the melody encoding: expected {MIN_PITCH}-{MAX_PITCH}"
        )
    return FIRST_NOTE_EVENT + pitch - MIN_PITCH


def event_pitch(event: int) -> int | None:
    """The pitch of a note-on event, None for no-event and note-off."""
    check_event(event)
    return None if event < FIRST_NOTE_EVENT else event - FIRST_NOTE_EVENT + MIN_PITCH


def check_event(event: int) -> int:
    """Return a melody event id if valid; ValueError naming it otherwise."""
    if isinstance(event, bool) or not isinstance(event, int) or not 0 <= event < NUM_MELODY_EVENTS:
        raise ValueError(
            f"invalid melody event {event!r}: expected an integer from 0 to {NUM_MELODY_EVENTS - 1}"
        )
    return event


def encode_melody(notes: Iterable[Note], total_steps: int) -> list[int]:
    """A monophonic line as one event per 16th step.

    Notes snap to the nearest step; a note that starts where another still sounds cuts it
    (the later start wins on a shared step; at one start the highest pitch wins). A note at
    least half a step long lasts at least one step.
    """
    events = [NO_EVENT] * total_steps
    for note in sorted(notes, key=lambda n: (n.start, n.pitch)):
        start = step_of(note.start)
        if start >= total_steps:
            continue
        end = min(total_steps, max(start + 1, step_of(note.end)))
        events[start] = note_on_event(note.pitch)
        for step in range(start + 1, end):
            events[step] = NO_EVENT
        if end < total_steps and events[end] == NO_EVENT:
            events[end] = NOTE_OFF
    drop_stray_note_offs(events)
    return events


def drop_stray_note_offs(events: MutableSequence[int]) -> None:
    """Note-offs inside a note (cut by a later start) and after silence mean nothing: drop."""
    sounding = False
    for step, event in enumerate(events):
        if event == NOTE_OFF:
            if not sounding:
                events[step] = NO_EVENT
            sounding = False
        elif event >= FIRST_NOTE_EVENT:
            sounding = True


def decode_melody(events: Sequence[int], velocities: Sequence[int] | None = None) -> list[Note]:
    """Notes of an event sequence; ``velocities[step]`` gives each note's velocity (def. 100)."""
    notes: list[Note] = []
    start: int | None = None
    pitch = 0

    def close(end: int) -> None:
        if start is not None:
            velocity = 100 if velocities is None else int(velocities[start])
            notes.append(
                Note(start * TICKS_PER_STEP, pitch, velocity, (end - start) * TICKS_PER_STEP)
            )

    for step, event in enumerate(events):
        note_pitch = event_pitch(event)
        if event == NOTE_OFF:
            close(step)
            start = None
        elif note_pitch is not None:
            close(step)
            start, pitch = step, note_pitch
    close(len(events))
    return notes
