"""Drums, melodies and bass lines from a Magenta ``.mag`` bundle, with our controls.

- Drums: the bundle is primed with the style's real pattern (``models/primers.json``, as for the
  shipped model; Magenta's models have no style input), then samples on its own. Its classes are
  our drum states (the same nine drum types, the same bit order).
- Melody and bass: the first note is drawn from the tonic-chord tones in the register (Magenta's
  generators need a primer event); every later step is sampled from the bundle under our scale
  and register mask. Magenta's melody models cover pitches 48-83, so bass lines are sampled two
  octaves up (E3-E5) and moved down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import numpy as np

from audiomancer.models.encoding import (
    NO_EVENT,
    NOTE_OFF,
    NUM_MELODY_EVENTS,
    drum_classes,
    drum_state,
    event_pitch,
    note_on_event,
)
from audiomancer.models.lstm import sample
from audiomancer.models.magenta.bundle import MagentaBundle
from audiomancer.models.magenta.encoders import NO_EVENT as MAGENTA_NO_EVENT
from audiomancer.models.magenta.encoders import NOTE_OFF as MAGENTA_NOTE_OFF
from audiomancer.models.magenta.encoders import Event, MelodyEncoding
from audiomancer.models.magenta.sampling import sample_events
from audiomancer.patterns.model import DRUM_CLASSES

BASS_SHIFT: Final = 24
"""Semitones bass lines are sampled above where they sound."""


def bundle_drums(
    bundle: MagentaBundle,
    primer: Sequence[int],
    *,
    steps: int,
    rng: np.random.Generator,
    temperature: float,
    check: Callable[[], None],
) -> list[int]:
    """``steps`` drum states sampled after a primer of drum states."""
    events: list[Event] = [
        frozenset(DRUM_CLASSES[k].pitch for k in drum_classes(int(state))) for state in primer
    ]
    if not events:
        events = [frozenset()]
    sampled = sample_events(
        bundle, steps=steps, rng=rng, temperature=temperature, primer=events, check=check
    )
    return [
        drum_state(k for k, c in enumerate(DRUM_CLASSES) if c.pitch in e) for e in _sets(sampled)
    ]


def _sets(events: list[Event]) -> list[frozenset[int]]:
    return [e if isinstance(e, frozenset) else frozenset() for e in events]


def bundle_line(
    bundle: MagentaBundle,
    *,
    allowed: np.ndarray,
    first: np.ndarray,
    bass: bool,
    steps: int,
    rng: np.random.Generator,
    temperature: float,
    check: Callable[[], None],
) -> list[int]:
    """``steps`` events (our melody event ids) under the masks ``allowed`` and ``first``."""
    shift = BASS_SHIFT if bass else 0
    encoding = bundle.encoder.encoding
    assert isinstance(encoding, MelodyEncoding)
    low, high = encoding.min_note - shift, encoding.max_note - 1 - shift
    first = first.copy()
    allowed = allowed.copy()
    for event in range(NUM_MELODY_EVENTS):
        pitch = event_pitch(event)
        if pitch is not None and not low <= pitch <= high:
            first[event] = allowed[event] = False
    if not first.any():
        raise ValueError(
            f"the register has no tonic-chord note that Magenta bundle {bundle.path.name} can "
            f"play (it covers MIDI {encoding.min_note}-{encoding.max_note - 1})"
        )
    start = sample(np.zeros(NUM_MELODY_EVENTS, dtype=np.float32), rng, 1.0, first)
    start_pitch = event_pitch(start)
    assert start_pitch is not None

    def permitted(step: int, event: Event) -> bool:
        if event in (MAGENTA_NO_EVENT, MAGENTA_NOTE_OFF):
            return True
        assert isinstance(event, int)
        pitch = event - shift
        return low <= pitch <= high and bool(allowed[note_on_event(pitch)])

    sampled = sample_events(
        bundle,
        steps=steps - 1,
        rng=rng,
        temperature=temperature,
        primer=[start_pitch + shift],
        allowed=permitted,
        check=check,
    )
    ours: list[int] = [start]
    for drawn in sampled:
        if drawn == MAGENTA_NO_EVENT:
            ours.append(NO_EVENT)
        elif drawn == MAGENTA_NOTE_OFF:
            ours.append(NOTE_OFF)
        else:
            assert isinstance(drawn, int)
            ours.append(note_on_event(drawn - shift))
    return ours
