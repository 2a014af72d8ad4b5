"""The pattern data model: notes on an exact tick grid, drum classes, keys and scales.

Time is kept in integer ticks (480 per quarter note) so that nothing drifts through codecs;
a 16th step is 120 ticks. A note may sit off the grid (micro-timing) but never outside the
pattern: ``0 <= start`` and ``start + duration <= length``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Final, Literal, get_args

TICKS_PER_BEAT: Final = 480
"""Ticks per quarter note (MIDI resolution of every file we write)."""
STEPS_PER_BEAT: Final = 4
TICKS_PER_STEP: Final = TICKS_PER_BEAT // STEPS_PER_BEAT
"""Ticks per 16th step."""

PatternType = Literal["drums", "melody", "bass"]
PATTERN_TYPES: Final[tuple[str, ...]] = get_args(PatternType)

ScaleName = Literal["major", "minor", "pentatonic", "chromatic"]

SCALES: Final[dict[str, tuple[int, ...]]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),  # Ionian
    "minor": (0, 2, 3, 5, 7, 8, 10),  # natural minor, Aeolian
    # Minor pentatonic 1 b3 4 5 b7. The spec's note list for it (C D F G A) is neither the
    # major nor the minor pentatonic; we follow its name (see issue 2).
    "pentatonic": (0, 3, 5, 7, 10),
    "chromatic": tuple(range(12)),
}

_NATURALS: Final = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
KEYS: Final[tuple[str, ...]] = (
    "C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#", "Gb", "G", "G#", "Ab", "A", "A#", "Bb", "B",
)  # fmt: skip
"""Key names accepted everywhere: the 12 roots, with sharps and flats."""

TIME_SIGNATURE_DENOMINATORS: Final = (1, 2, 4, 8, 16)
MIN_BPM: Final = 20.0
MAX_BPM: Final = 400.0
MAX_BARS: Final = 64


def allowed(values: Iterable[object]) -> str:
    """Format the allowed values for an error message."""
    return ", ".join(repr(v) for v in values)


def normalize_key(key: str) -> str:
    """Return the canonical spelling of a key ('f#' -> 'F#', 'B♭' -> 'Bb').

    Raises ValueError naming the bad key and the allowed ones.
    """
    if isinstance(key, str):
        text = key.strip().replace("♯", "#").replace("♭", "b")
        if text:
            candidate = text[0].upper() + text[1:].lower()
            if candidate in KEYS:
                return candidate
    raise ValueError(f"invalid key {key!r}: expected one of {allowed(KEYS)}")


def key_pitch_class(key: str) -> int:
    """Pitch class 0-11 of a key name ('C' -> 0, 'F#' -> 6, 'Bb' -> 10)."""
    name = normalize_key(key)
    offset = {"#": 1, "b": -1}.get(name[1:], 0)
    return (_NATURALS[name[0]] + offset) % 12


def validate_scale(scale: str) -> str:
    """Return the scale name if known; ValueError naming it and the allowed ones otherwise."""
    if isinstance(scale, str) and scale.strip().lower() in SCALES:
        return scale.strip().lower()
    raise ValueError(f"invalid scale {scale!r}: expected one of {allowed(SCALES)}")


def scale_pitch_classes(key: str, scale: str) -> frozenset[int]:
    """The pitch classes of a key and scale: ('C', 'minor') -> {0, 2, 3, 5, 7, 8, 10}."""
    root = key_pitch_class(key)
    return frozenset((root + step) % 12 for step in SCALES[validate_scale(scale)])


def in_scale(pitch: int, key: str, scale: str) -> bool:
    """True when a MIDI pitch belongs to the key and scale."""
    return pitch % 12 in scale_pitch_classes(key, scale)


# --- drums --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrumClass:
    """One of Magenta's nine drum classes."""

    index: int
    name: str
    pitch: int
    """Canonical General MIDI pitch, used on export."""
    gm_pitches: tuple[int, ...]
    """Every MIDI pitch that maps to this class."""
    tidal_sound: str
    """A short name of the class (step notation accepts it); the sounds that play it in Tidal
    are the kits' (``patterns/kits.py``)."""


# Magenta's drum classes (DrumsRNN's default drum type pitches); together they cover every
# General MIDI percussion key 35-81 plus the extra keys of Roland e-kits (Groove MIDI).
DRUM_CLASSES: Final[tuple[DrumClass, ...]] = (
    DrumClass(0, "kick", 36, (36, 35), "bd"),
    DrumClass(1, "snare", 38, (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85), "sn"),
    DrumClass(2, "closed_hat", 42, (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22), "hh"),
    DrumClass(3, "open_hat", 46, (46, 67, 72, 74, 79, 81, 26), "oh"),
    DrumClass(4, "low_tom", 45, (45, 29, 41, 43, 61, 64, 84), "lt"),
    DrumClass(5, "mid_tom", 48, (48, 47, 60, 63, 77, 86, 87), "mt"),
    DrumClass(6, "high_tom", 50, (50, 30, 62, 76, 83), "ht"),
    DrumClass(7, "crash", 49, (49, 52, 55, 57, 58), "cr"),
    DrumClass(8, "ride", 51, (51, 53, 59, 82), "ride"),
)
DRUM_CLASS_BY_NAME: Final = {c.name: c for c in DRUM_CLASSES}
DRUM_CLASS_BY_PITCH: Final = {c.pitch: c for c in DRUM_CLASSES}
_GM_TO_CLASS: Final = {p: c for c in DRUM_CLASSES for p in c.gm_pitches}
GM_DRUM_PITCHES: Final = frozenset(_GM_TO_CLASS)
MIDI_DRUM_CHANNEL: Final = 9
"""Zero-based MIDI channel of drums (channel 10 as musicians count)."""


def drum_class(pitch: int) -> DrumClass:
    """The drum class a General MIDI percussion pitch belongs to; ValueError if none."""
    try:
        return _GM_TO_CLASS[pitch]
    except KeyError:
        raise ValueError(
            f"MIDI pitch {pitch!r} is not a drum sound: expected one of "
            f"{', '.join(map(str, sorted(GM_DRUM_PITCHES)))}"
        ) from None


def canonical_drum_pitch(pitch: int) -> int:
    """Map any GM drum pitch to its class's canonical pitch (35 -> 36, 40 -> 38, ...)."""
    return drum_class(pitch).pitch


# --- notes and patterns -------------------------------------------------------------------


_MAX_TICK: Final = 2**31


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"invalid {name} {value!r}: expected an integer from {low} to {high}")


@dataclass(frozen=True, order=True)
class Note:
    """A note or drum hit. Times are integer ticks from the start of the pattern."""

    start: int
    pitch: int
    velocity: int = 100
    duration: int = TICKS_PER_STEP

    def __post_init__(self) -> None:
        # One test for the usual case (plain ints in range): a batch builds over 1000 notes.
        # Anything else, int subclasses included, takes the checks that name what is wrong.
        pitch, velocity, start, duration = self.pitch, self.velocity, self.start, self.duration
        if (
            type(pitch) is int
            and type(velocity) is int
            and type(start) is int
            and type(duration) is int
            and 0 <= pitch <= 127
            and 1 <= velocity <= 127
            and 0 <= start <= _MAX_TICK
            and 1 <= duration <= _MAX_TICK
        ):
            return
        _check_int("pitch", pitch, 0, 127)
        _check_int("velocity", velocity, 1, 127)
        _check_int("start", start, 0, _MAX_TICK)
        _check_int("duration", duration, 1, _MAX_TICK)

    @property
    def end(self) -> int:
        """Tick at which the note ends."""
        return self.start + self.duration


def bar_ticks(time_signature: tuple[int, int]) -> int:
    """Length of one bar in ticks: 4/4 -> 1920, 6/8 -> 1440."""
    numerator, denominator = time_signature
    return numerator * TICKS_PER_BEAT * 4 // denominator


def validate_bpm(bpm: float) -> float:
    """Return bpm as float if within range; ValueError naming it otherwise."""
    if (
        isinstance(bpm, bool)
        or not isinstance(bpm, int | float)
        or not math.isfinite(bpm)
        or not MIN_BPM <= bpm <= MAX_BPM
    ):
        raise ValueError(f"invalid bpm {bpm!r}: expected a number from {MIN_BPM} to {MAX_BPM}")
    return float(bpm)


def validate_bars(bars: int) -> int:
    """Return bars if a whole number from 1 to MAX_BARS; ValueError naming it otherwise."""
    _check_int("bars", bars, 1, MAX_BARS)
    return bars


def validate_pattern_type(kind: str) -> PatternType:
    """Return the pattern type if known; ValueError naming it and the allowed ones otherwise."""
    if kind == "drums":
        return "drums"
    if kind == "melody":
        return "melody"
    if kind == "bass":
        return "bass"
    raise ValueError(f"invalid pattern type {kind!r}: expected one of {allowed(PATTERN_TYPES)}")


def validate_time_signature(time_signature: Sequence[int]) -> tuple[int, int]:
    """Return (numerator, denominator) if musical and on the 16th grid; ValueError otherwise."""
    ts = tuple(time_signature)
    if (
        len(ts) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in ts)
        or not 1 <= ts[0] <= 32
        or ts[1] not in TIME_SIGNATURE_DENOMINATORS
    ):
        raise ValueError(
            f"invalid time signature {time_signature!r}: expected (numerator 1-32, "
            f"denominator one of {allowed(TIME_SIGNATURE_DENOMINATORS)})"
        )
    return (ts[0], ts[1])


@dataclass(frozen=True)
class Pattern:
    """A pattern: notes plus everything needed to play them back (tempo, metre, key).

    Notes are kept sorted by (start, pitch, velocity, duration). Drum patterns hold only the
    canonical pitches of the nine drum classes; melodic patterns may carry a key and scale,
    which is informative here (the generators and operators enforce it).
    """

    notes: tuple[Note, ...]
    type: PatternType
    bars: int = 1
    bpm: float = 120.0
    time_signature: tuple[int, int] = (4, 4)
    key: str | None = None
    scale: str | None = None
    style: str | None = None
    kit: str | None = None
    """Drums: the kit that plays it in Tidal (``patterns/kits.py``; None = the default kit)."""
    sound: str | None = None
    """Melody/bass: the SuperDirt sound that plays it (None = superpiano / supersaw)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", validate_pattern_type(self.type))
        object.__setattr__(self, "bars", validate_bars(self.bars))
        object.__setattr__(self, "bpm", validate_bpm(self.bpm))
        object.__setattr__(self, "time_signature", validate_time_signature(self.time_signature))
        if self.key is not None:
            object.__setattr__(self, "key", normalize_key(self.key))
        if self.scale is not None:
            object.__setattr__(self, "scale", validate_scale(self.scale))
        for name in ("kit", "sound"):
            value = getattr(self, name)
            if value is not None and not (
                isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_]*", value)
            ):
                raise ValueError(
                    f"invalid {name} {value!r}: expected a name of letters, digits and _"
                )
        for note in self.notes:
            if not isinstance(note, Note):
                raise TypeError(f"pattern notes must be Note objects, not {note!r}")
        # Sorting by a key tuple gives Note's own order (its fields in turn) for a fraction of
        # the cost of Note.__lt__ per comparison.
        notes = tuple(sorted(self.notes, key=_note_order))
        length = self.length
        drums = self.type == "drums"
        for note in notes:
            if note.start + note.duration > length:
                raise ValueError(
                    f"note {note} ends at tick {note.end}, after the pattern's end at tick "
                    f"{length} ({self.bars} bars of {self.time_signature[0]}/"
                    f"{self.time_signature[1]})"
                )
            if drums and note.pitch not in DRUM_CLASS_BY_PITCH:
                raise ValueError(
                    f"drum note pitch {note.pitch} is not a canonical drum class pitch: "
                    f"expected one of {allowed(sorted(DRUM_CLASS_BY_PITCH))} "
                    "(use canonical_drum_pitch to map GM pitches)"
                )
        _check_no_overlaps(notes)
        object.__setattr__(self, "notes", notes)

    @property
    def bar_length(self) -> int:
        """Ticks per bar."""
        return bar_ticks(self.time_signature)

    @property
    def length(self) -> int:
        """Length of the whole pattern in ticks."""
        return self.bars * self.bar_length

    @property
    def steps_per_bar(self) -> int:
        """16th steps per bar."""
        return self.bar_length // TICKS_PER_STEP

    @property
    def total_steps(self) -> int:
        """16th steps in the whole pattern."""
        return self.bars * self.steps_per_bar

    @property
    def beats_per_bar(self) -> Fraction:
        """Quarter notes per bar (6/8 -> 3)."""
        return Fraction(self.bar_length, TICKS_PER_BEAT)

    def seconds_per_tick(self) -> float:
        """Duration of one tick at this pattern's tempo (bpm counts quarter notes)."""
        return 60.0 / (self.bpm * TICKS_PER_BEAT)

    def with_notes(self, notes: Iterable[Note]) -> Pattern:
        """A copy of this pattern with other notes."""
        return replace(self, notes=tuple(notes))


def _note_order(note: Note) -> tuple[int, int, int, int]:
    """The key of Note's order (``order=True`` compares the fields as this tuple)."""
    return (note.start, note.pitch, note.velocity, note.duration)


def _check_no_overlaps(notes: Sequence[Note]) -> None:
    sounding: dict[int, Note] = {}
    for note in notes:  # sorted by start
        previous = sounding.get(note.pitch)
        if previous is not None and note.start < previous.end:
            raise ValueError(
                f"notes {previous} and {note} overlap on pitch {note.pitch}: a pitch sounds "
                "once at a time (use merge_overlaps)"
            )
        sounding[note.pitch] = note


def merge_overlaps(notes: Iterable[Note]) -> list[Note]:
    """Resolve notes of the same pitch that overlap, as MIDI would play them.

    Two hits at the same tick become one with the louder velocity and the longer duration;
    otherwise the earlier note is cut where the later one starts.
    """
    result: list[Note] = []
    last_index: dict[int, int] = {}
    for note in sorted(notes):
        index = last_index.get(note.pitch)
        if index is not None and note.start < result[index].end:
            previous = result[index]
            if note.start == previous.start:
                result[index] = replace(
                    previous,
                    velocity=max(previous.velocity, note.velocity),
                    duration=max(previous.duration, note.duration),
                )
                continue
            result[index] = replace(previous, duration=note.start - previous.start)
        last_index[note.pitch] = len(result)
        result.append(note)
    return result


def step_of(tick: int) -> int:
    """The 16th step a tick falls in, rounding to the nearest step."""
    return (tick + TICKS_PER_STEP // 2) // TICKS_PER_STEP


def quantize(tick: int) -> int:
    """Snap a tick to the nearest 16th step."""
    return step_of(tick) * TICKS_PER_STEP
