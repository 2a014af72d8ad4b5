"""Magenta's ``KeyMelodyEncoderDecoder`` (MelodyRNN ``attention_rnn``), reproduced.

Input at step t, for pitches ``min_note <= p < max_note`` (R = max_note - min_note):
- ``[0, R)``: the sounding note's pitch; ``R``: a note sounds; ``R + 1``: silence;
- ``R + 2``: event t is the onset of the sounding note; ``R + 3``: +1 if the melody last rose,
  -1 if it last fell (0 before two distinct notes);
- one flag per lookback distance d: event t equals event t - d;
- binary counters of ``t + 1``; a flag: step t + 1 starts a bar (16 steps);
- 12 flags: the major keys holding most of the melody's note-ons so far; 12 more: the same for
  its last three distinct notes.

Classes: ``[0, R)`` a note-on, ``R`` no event, ``R + 1`` note-off, then "repeat the event d steps
back" per lookback distance; a no-event in the first ``max(d)`` steps is the last repeat class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from audiomancer.models.magenta.encoders import NO_EVENT, NOTE_OFF, Event, MelodyEncoding

MAJOR: Final = (0, 2, 4, 5, 7, 9, 11)
STEPS_PER_BAR: Final = 16


def _key_flags(notes: Sequence[int]) -> npt.NDArray[np.float32]:
    """1 for each major key (by tonic pitch class) holding the most of ``notes``."""
    counts = np.zeros(12)
    for note in notes:
        for key in range(12):
            if (note - key) % 12 in MAJOR:
                counts[key] += 1
    flags: npt.NDArray[np.float32] = (counts == counts.max()).astype(np.float32)
    return flags


class KeyMelodyEncoder:
    """KeyMelodyEncoderDecoder(min_note, max_note, lookback_distances, binary_counter_bits)."""

    def __init__(
        self,
        min_note: int = 48,
        max_note: int = 84,
        lookback_distances: Sequence[int] = (16, 32),
        binary_counter_bits: int = 7,
    ) -> None:
        self.encoding = MelodyEncoding(min_note, max_note)  # event validation and range
        self.min_note, self.range = min_note, max_note - min_note
        self.lookback = tuple(lookback_distances)
        self.bits = binary_counter_bits
        self.input_size = self.range + 5 + len(self.lookback) + self.bits + 24
        self.num_classes = self.range + 2 + len(self.lookback)

    def inputs(self, events: Sequence[Event]) -> npt.NDArray[np.float32]:
        """The ``[T, input_size]`` inputs of a whole sequence."""
        codes = [self.encoding.encode(e) for e in events]
        return np.stack([self.input_at(events, codes, t) for t in range(len(events))])

    def input_at(
        self, events: Sequence[Event], codes: Sequence[int], t: int
    ) -> npt.NDArray[np.float32]:
        """The input at step t (``codes`` is unused: the inputs read the events)."""
        current: int | None = None
        attack = False
        rising: bool | None = None
        last3: list[int] = []
        onsets: list[int] = []
        for event in events[: t + 1]:
            if event == NO_EVENT:
                attack = False
            elif event == NOTE_OFF:
                current = None
            else:
                assert isinstance(event, int)
                attack, current = True, event
                onsets.append(event)
                if last3:
                    if event > last3[-1]:
                        rising = True
                    elif event < last3[-1]:
                        rising = False
                if event in last3:
                    last3.remove(event)
                last3 = [*last3, event][-3:]
        row = np.zeros(self.input_size, dtype=np.float32)
        r = self.range
        if current:
            row[current - self.min_note] = 1.0
            row[r] = 1.0
        else:
            row[r + 1] = 1.0
        offset = r + 2
        row[offset] = 1.0 if attack else 0.0
        row[offset + 1] = 0.0 if rising is None else (1.0 if rising else -1.0)
        offset += 2
        for d in self.lookback:
            if t - d >= 0 and events[t] == events[t - d]:
                row[offset] = 1.0
            offset += 1
        n = t + 1
        for i in range(self.bits):
            row[offset] = 1.0 if n >> i & 1 else -1.0
            offset += 1
        row[offset] = 1.0 if n % STEPS_PER_BAR == 0 else 0.0
        offset += 1
        row[offset : offset + 12] = _key_flags(onsets)
        row[offset + 12 : offset + 24] = _key_flags(last3)
        return row

    def label(self, events: Sequence[Event], t: int) -> int:
        r = self.range
        if t < self.lookback[-1] and events[t] == NO_EVENT:
            return r + len(self.lookback) + 1
        for i in reversed(range(len(self.lookback))):
            back = t - self.lookback[i]
            if back >= 0 and events[t] == events[back]:
                return r + 2 + i
        if events[t] == NOTE_OFF:
            return r + 1
        if events[t] == NO_EVENT:
            return r
        event = events[t]
        self.encoding.encode(event)  # validates the pitch
        assert isinstance(event, int)
        return event - self.min_note

    def labels(self, events: Sequence[Event]) -> list[int]:
        return [self.label(events, t) for t in range(len(events))]

    def class_event(self, events: Sequence[Event], index: int) -> Event:
        """The event a class means after ``events``."""
        r = self.range
        if index >= r + 2:
            d = self.lookback[index - r - 2]
            return events[-d] if len(events) >= d else NO_EVENT
        if index == r + 1:
            return NOTE_OFF
        if index == r:
            return NO_EVENT
        return self.min_note + index
