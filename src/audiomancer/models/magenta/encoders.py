"""Magenta's input encoders and labels, reproduced: the vectors its models were trained on.

Events are in Magenta's own representation: a drum event is a set of General MIDI pitches
(those starting on that 16th step); a melody event an int, 0-127 note-on (the previous note
ends), -1 NOTE_OFF, -2 NO_EVENT.

- ``DrumEncoding``: ``MultiDrumOneHotEncoding``: each pitch maps to one of nine drum types
  (``DRUM_TYPE_PITCHES``, Magenta's table), the class is the sum of ``2**type`` over the types
  present.
- ``MelodyEncoding``: ``MelodyOneHotEncoding(min_note, max_note)``: 0 NO_EVENT, 1 NOTE_OFF,
  ``2 + pitch - min_note`` a note-on.
- ``LookbackEncoder``: ``LookbackEventSequenceEncoderDecoder``, and with no lookback distances
  and no counters ``OneHotEventSequenceEncoderDecoder``. Input at step t: the one-hot of event
  t; for each lookback distance d the one-hot of event ``t - d + 1`` (the default event before
  the start); binary counters of ``t + 1`` (+1 / -1 per bit); for each d a flag "event t equals
  event t - d". Labels: "repeat d steps back" classes after the encoding's own, and (Magenta's
  rule) the default event in the first ``max(d)`` steps is labelled as the longest repeat.
- ``KeyMelodyEncoder`` (``keymelody.py``): ``KeyMelodyEncoderDecoder`` (attention_rnn).

``inputs(events)`` gives the ``[T, input_size]`` float32 matrix, ``labels(events)`` the ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

NO_EVENT: Final = -2
NOTE_OFF: Final = -1

DRUM_TYPE_PITCHES: Final[tuple[tuple[int, ...], ...]] = (
    (36, 35),
    (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85),
    (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22),
    (46, 67, 72, 74, 79, 81, 26),
    (45, 29, 41, 43, 61, 64, 84),
    (48, 47, 60, 63, 77, 86, 87),
    (50, 30, 62, 76, 83),
    (49, 52, 55, 57, 58),
    (51, 53, 59, 82),
)
"""Magenta's nine drum types (kick, snare, closed hat, open hat, low, mid, high tom, crash,
ride) and the General MIDI pitches of each; the first pitch is the one decoding plays."""

Event = int | frozenset[int]


class EventEncoding(Protocol):
    """A one-hot encoding of single events (Magenta's ``OneHotEncoding``)."""

    num_classes: int
    default_event: Event

    def encode(self, event: Event) -> int: ...

    def decode(self, index: int) -> Event: ...


class SequenceEncoder(Protocol):
    """What a bundle's encoder does: inputs, labels, and what a class means."""

    input_size: int
    num_classes: int

    @property
    def encoding(self) -> EventEncoding: ...

    def inputs(self, events: Sequence[Event]) -> npt.NDArray[np.float32]: ...

    def input_at(
        self, events: Sequence[Event], codes: Sequence[int], t: int
    ) -> npt.NDArray[np.float32]: ...

    def labels(self, events: Sequence[Event]) -> list[int]: ...

    def class_event(self, events: Sequence[Event], index: int) -> Event: ...


class DrumEncoding:
    """MultiDrumOneHotEncoding with Magenta's default drum types."""

    default_event: Event = frozenset()

    def __init__(self) -> None:
        self.num_classes = 2 ** len(DRUM_TYPE_PITCHES)
        self._type = {p: k for k, pitches in enumerate(DRUM_TYPE_PITCHES) for p in pitches}

    def encode(self, event: Event) -> int:
        if isinstance(event, int):
            raise ValueError(f"invalid drum event {event!r}: expected a set of MIDI pitches")
        index = 0
        for pitch in event:
            kind = self._type.get(pitch)
            if kind is None:
                raise ValueError(f"invalid drum pitch {pitch!r}: not in Magenta's drum types")
            index |= 1 << kind
        return index

    def decode(self, index: int) -> Event:
        return frozenset(
            DRUM_TYPE_PITCHES[k][0] for k in range(len(DRUM_TYPE_PITCHES)) if index >> k & 1
        )


class MelodyEncoding:
    """MelodyOneHotEncoding(min_note, max_note): pitches min_note..max_note-1."""

    default_event: Event = NO_EVENT

    def __init__(self, min_note: int = 48, max_note: int = 84) -> None:
        self.min_note, self.max_note = min_note, max_note
        self.num_classes = max_note - min_note + 2

    def encode(self, event: Event) -> int:
        if event == NO_EVENT:
            return 0
        if event == NOTE_OFF:
            return 1
        if not isinstance(event, int) or not self.min_note <= event < self.max_note:
            raise ValueError(
                f"invalid melody event {event!r}: expected -2, -1 or a pitch from "
                f"{self.min_note} to {self.max_note - 1}"
            )
        return event - self.min_note + 2

    def decode(self, index: int) -> Event:
        return NO_EVENT if index == 0 else NOTE_OFF if index == 1 else index - 2 + self.min_note


class LookbackEncoder:
    """LookbackEventSequenceEncoderDecoder over an event encoding."""

    def __init__(
        self,
        encoding: EventEncoding,
        lookback_distances: Sequence[int] = (),
        binary_counter_bits: int = 0,
    ) -> None:
        self.encoding = encoding
        self.lookback = tuple(lookback_distances)
        self.bits = binary_counter_bits
        n = encoding.num_classes
        self.input_size = n * (1 + len(self.lookback)) + self.bits + len(self.lookback)
        self.num_classes = n + len(self.lookback)

    def inputs(self, events: Sequence[Event]) -> npt.NDArray[np.float32]:
        """The ``[T, input_size]`` inputs of a whole sequence."""
        out = np.zeros((len(events), self.input_size), dtype=np.float32)
        codes = [self.encoding.encode(e) for e in events]
        for t in range(len(events)):
            self._fill(out[t], events, codes, t)
        return out

    def input_at(
        self, events: Sequence[Event], codes: Sequence[int], t: int
    ) -> npt.NDArray[np.float32]:
        """The input at step t (``codes``: the encoded events, as ``encoding.encode`` gives)."""
        row = np.zeros(self.input_size, dtype=np.float32)
        self._fill(row, events, codes, t)
        return row

    def _fill(
        self, row: npt.NDArray[np.float32], events: Sequence[Event], codes: Sequence[int], t: int
    ) -> None:
        n = self.encoding.num_classes
        default = self.encoding.encode(self.encoding.default_event)
        row[codes[t]] = 1.0
        offset = n
        for d in self.lookback:
            back = t - d + 1
            row[offset + (codes[back] if back >= 0 else default)] = 1.0
            offset += n
        for i in range(self.bits):
            row[offset] = 1.0 if (t + 1) >> i & 1 else -1.0
            offset += 1
        for d in self.lookback:
            if t - d >= 0 and events[t] == events[t - d]:
                row[offset] = 1.0
            offset += 1

    def label(self, events: Sequence[Event], t: int) -> int:
        n = self.encoding.num_classes
        if self.lookback and t < self.lookback[-1] and events[t] == self.encoding.default_event:
            return n + len(self.lookback) - 1
        for i in reversed(range(len(self.lookback))):
            back = t - self.lookback[i]
            if back >= 0 and events[t] == events[back]:
                return n + i
        return self.encoding.encode(events[t])

    def labels(self, events: Sequence[Event]) -> list[int]:
        return [self.label(events, t) for t in range(len(events))]

    def class_event(self, events: Sequence[Event], index: int) -> Event:
        """The event a class means after ``events`` (repeat classes look back)."""
        n = self.encoding.num_classes
        if index < n:
            return self.encoding.decode(index)
        back = len(events) - self.lookback[index - n]
        return events[back] if back >= 0 else self.encoding.default_event
