"""Which notes of a MIDI file a pattern takes: the file split into parts, drums told from pitched
parts, and one part chosen for a melody or a bass line.

A real-world file is a song: drums, a bass line, chords and a tune, on several tracks and
channels (type 1), or all in one track on several channels (type 0). A pattern is one of them.

- A **part** is the notes of one track on one channel.
- A part is **drums** when it is on channel 10 (General MIDI), when its track is named as a
  drum part ("Drums", "Percussion", "Kick", "HH", "Slagverk", ...), or, on another channel
  with no program chosen for a pitched instrument (strings, a pad, a bass: anything but the
  default piano and the percussive programs), when its notes read as a drum kit: every pitch
  a General MIDI drum sound, at least two of kick, snare and hi-hat each on a tenth of the
  notes or more, and at least a fifth of the notes struck together with another (a drummer's
  kick and hat; a bass line in the same register plays one note at a time).
- **Drums** take every drum part, as one kit. A drum part named for one sound ("Kick",
  "RD_Snare_2", "Hat") that plays at most three pitches plays that sound whatever its pitches
  (a sampler track exported by a DAW plays its sample on any key).
- A **melody** is one pitched part: a track named as a tune ("Melody", "Lead", "Vocal",
  "Solo", "Right Hand", ...) first, else a single-voiced part (at most a quarter of its notes
  struck together with another), the highest first; parts named or programmed as bass, chords
  or pads come last. A **bass** line is the part named or programmed (General MIDI 33-40) as
  bass, else the lowest. Parts with under a tenth of the notes of the busiest are chosen last.

Left to choose, a file with drums imports its drums; a file of pitched parts only imports its
melody part, as melody or, when it lies low (median below C3), as bass. Whatever was chosen from
several parts is said in a warning that names the part and how to choose another.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Final

from audiomancer.errors import PatternFileError
from audiomancer.patterns.model import (
    DRUM_CLASS_BY_NAME,
    GM_DRUM_PITCHES,
    MAX_BARS,
    MIDI_DRUM_CHANNEL,
    DrumClass,
    Note,
    PatternType,
    bar_ticks,
    drum_class,
)

if TYPE_CHECKING:
    import mido

LAST_TICK: Final = MAX_BARS * bar_ticks((32, 1))
"""No pattern reaches past this tick (64 bars of 32/1): a note that starts later is never
imported, and one that ends later is cut here (a corrupt delta time can put a note-off
billions of ticks away)."""
BASS_MEDIAN_BELOW: Final = 48
"""A pitched part whose median pitch is below C3 is a bass line."""

_DRUM_WORDS: Final = re.compile(
    r"drums?|drumkit|drumset|kit|perc|percussion|percussions|slagverk|batterie|bateria|"
    r"schlagzeug|rhythm ?kit|kick|bd|snare|sd|clap|claps|rim|rimshot|hh|hat|hats|hihat|"
    r"cymbal|cymbals|crash|ride|toms?|shaker|cowbell|conga|congas|bongo|bongos|tambourine"
)
_ONE_SOUND: Final[dict[str, str]] = {
    "kick": "kick", "bd": "kick", "bassdrum": "kick",
    "snare": "snare", "sd": "snare", "clap": "snare", "claps": "snare", "rim": "snare",
    "rimshot": "snare",
    "hh": "closed_hat", "hat": "closed_hat", "hats": "closed_hat", "hihat": "closed_hat",
    "shaker": "closed_hat", "tambourine": "closed_hat",
    "crash": "crash", "cymbal": "crash", "ride": "ride",
}  # fmt: skip
"""A drum track's name word -> the one class its notes are (for one-sound sampler tracks)."""
_MELODY_WORDS: Final = re.compile(
    r"melody|melodie|lead|vocals?|voice|vox|solo|tune|theme|right ?hand|rh|sing|singer|"
    r"flute|trumpet|sax|violin|violine|whistle|whistles"
)
_ACCOMPANIMENT_WORDS: Final = re.compile(
    r"bass|pad|pads|chords?|acc|accomp|accompaniment|comp|strings|string ensemble|"
    r"left ?hand|lh|rhythm|harmony|organ|arp|arpeggio|ensemble|choir|foot"
)
_BASS_WORDS: Final = re.compile(r"bass|bas|basso|contrabass|tuba|bass ?line|foot")
SINGLE_VOICED: Final = 0.25
"""A part is single-voiced (a tune, not chords) when at most this share of its notes start
together with another (a violin's occasional double stop stays a tune)."""
_GM_BASS_PROGRAMS: Final = range(32, 40)
"""Zero-based General MIDI programs 33-40: acoustic, electric, fretless, slap, synth basses."""
_GM_ACCOMPANIMENT_PROGRAMS: Final = (*range(48, 56), *range(88, 96))
"""Ensembles (strings, choir, orchestra hit) and pads."""
_KICK, _SNARE, _HAT = (35, 36), (37, 38, 39, 40), (42, 44, 46)
_KIT_PROGRAMS: Final = (None, 0, *range(112, 120))
"""Programs of a channel other than 10 whose notes may still be a kit: none, the piano that
writers set when nothing was chosen, and General MIDI's percussive 113-120 (agogo, woodblock,
taiko, melodic tom, synth drum ...)."""


@dataclass(frozen=True)
class Part:
    """The notes of one track on one channel, with what the file says of that track."""

    track: int
    """Index of the track in the file (0 = the first MTrk chunk)."""
    channel: int
    """Zero-based MIDI channel (9 = channel 10)."""
    name: str
    program: int | None
    notes: tuple[Note, ...]
    drums: bool = False

    def describe(self) -> str:
        """How a message names the part: ``track 3 'Flute' (channel 2)``."""
        name = f" {self.name.strip()!r}" if self.name.strip() else ""
        return f"track {self.track + 1}{name} (channel {self.channel + 1})"

    def within(self, length: int) -> Part:
        """The part with only its notes that start before tick ``length``."""
        return dataclasses.replace(self, notes=tuple(n for n in self.notes if n.start < length))

    @property
    def median(self) -> float:
        return float(statistics.median(n.pitch for n in self.notes))


def _words(text: str) -> list[str]:
    """Lower-case words of a track name, splitting on anything but letters
    (``HIP_Kick_8`` -> hip, kick)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z]+", spaced.lower())


def _named(pattern: re.Pattern[str], text: str) -> bool:
    words = _words(text)
    joined = " ".join(words)
    return (
        any(pattern.fullmatch(w) for w in words)
        or any(pattern.fullmatch(" ".join(words[i : i + 2])) for i in range(len(words) - 1))
        or pattern.fullmatch(joined) is not None
    )


def _played_together(notes: Sequence[Note]) -> float:
    """Share of the notes that start at the same tick as another note of the part."""
    onsets = Counter(n.start for n in notes)
    return sum(1 for n in notes if onsets[n.start] > 1) / len(notes)


def _plays_like_a_kit(notes: Sequence[Note]) -> bool:
    pitches = Counter(n.pitch for n in notes)
    if not set(pitches) <= GM_DRUM_PITCHES:
        return False
    share = [sum(pitches[p] for p in group) / len(notes) for group in (_KICK, _SNARE, _HAT)]
    return sum(s >= 0.1 for s in share) >= 2 and _played_together(notes) >= 0.2


def is_drum_part(
    channel: int, name: str, notes: Sequence[Note], program: int | None = None
) -> bool:
    """Whether a track's notes on a channel are drums (see the module's rules)."""
    if channel == MIDI_DRUM_CHANNEL:
        return True
    if _named(_DRUM_WORDS, name):
        return True
    # A program chosen for the channel (strings, a pad, a bass) says its notes are pitched,
    # however much its low chords look like kick, snare and hats struck together.
    if program not in _KIT_PROGRAMS:
        return False
    return _plays_like_a_kit(notes)


def split_parts(midi: mido.MidiFile, scale: Fraction) -> list[Part]:
    """Every note of every track as parts (one per track and channel), in our resolution.

    A note is on from its note-on (velocity > 0) to the next note-off or velocity-0 note-on of
    that pitch and channel in the track (first on, first off); a note never released ends at
    the end of its track.
    """
    parts: list[Part] = []
    for index, track in enumerate(midi.tracks):
        now = 0
        name = ""
        programs: dict[int, int] = {}
        sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}
        notes: dict[int, list[Note]] = {}
        for message in track:
            now += message.time
            if message.type == "track_name" and not name:
                name = str(message.name)
            elif message.type == "program_change":
                programs.setdefault(message.channel, message.program)
            elif message.type == "note_on" and message.velocity > 0:
                sounding.setdefault((message.channel, message.note), []).append(
                    (now, message.velocity)
                )
            elif message.type in ("note_off", "note_on"):
                started = sounding.get((message.channel, message.note))
                if started:
                    begin, velocity = started.pop(0)
                    note = _scaled_note(begin, now, message.note, velocity, scale)
                    if note is not None:
                        notes.setdefault(message.channel, []).append(note)
        for (channel, pitch), pending in sounding.items():  # never released: end at track end
            for begin, velocity in pending:
                note = _scaled_note(begin, now, pitch, velocity, scale)
                if note is not None:
                    notes.setdefault(channel, []).append(note)
        for channel in sorted(notes):
            chosen = tuple(sorted(notes[channel]))
            parts.append(
                Part(
                    track=index,
                    channel=channel,
                    name=name,
                    program=programs.get(channel),
                    notes=chosen,
                    drums=is_drum_part(channel, name, chosen, programs.get(channel)),
                )
            )
    return parts


def _scaled_note(begin: int, end: int, pitch: int, velocity: int, scale: Fraction) -> Note | None:
    """The note in our ticks, ending by LAST_TICK at the latest; None when it starts later."""
    start = round(begin * scale)
    if start >= LAST_TICK:
        return None
    until = min(round(end * scale), LAST_TICK)
    return Note(start=start, pitch=pitch, velocity=velocity, duration=max(1, until - start))


def select_parts(
    parts: list[Part], track: int | None, channel: int | None, name: str
) -> list[Part]:
    """The parts on ``track`` (1-based, as messages count) and/or ``channel`` (1-16)."""
    chosen = [
        p
        for p in parts
        if (track is None or p.track + 1 == track) and (channel is None or p.channel + 1 == channel)
    ]
    if not chosen:
        wanted = " and ".join(
            f"{what} {value}" for what, value in (("track", track), ("channel", channel)) if value
        )
        listing = "; ".join(p.describe() for p in parts)
        raise PatternFileError(f"MIDI file {name} has no notes on {wanted}; its parts: {listing}")
    return chosen


def _melody_key(part: Part) -> tuple[int, int, int, float, int]:
    accompaniment = (
        _named(_ACCOMPANIMENT_WORDS, part.name)
        or part.program in _GM_BASS_PROGRAMS
        or part.program in _GM_ACCOMPANIMENT_PROGRAMS
        or part.median < BASS_MEDIAN_BELOW
    )
    return (
        int(_named(_MELODY_WORDS, part.name)),
        int(not accompaniment),
        int(_played_together(part.notes) <= SINGLE_VOICED),
        part.median,
        len(part.notes),
    )


def _bass_key(part: Part) -> tuple[int, float, int]:
    named = _named(_BASS_WORDS, part.name) or part.program in _GM_BASS_PROGRAMS
    return (int(named), -part.median, len(part.notes))


def _role_order(pitched: list[Part], role: str) -> list[Part]:
    # Sparse parts (a few fills, a final chord) are no tune or bass line: parts with less than
    # a tenth of the notes of the busiest pitched part are chosen only when nothing else is.
    busiest = max(len(p.notes) for p in pitched)
    enough = [p for p in pitched if len(p.notes) * 10 >= busiest] or pitched
    if role == "bass":
        return sorted(enough, key=_bass_key, reverse=True)
    return sorted(enough, key=_melody_key, reverse=True)


def _drum_notes(part: Part) -> tuple[list[Note], set[int]]:
    """The part's notes on canonical drum pitches, and the pitches that are no drum sound."""
    sound: DrumClass | None = None
    if part.channel != MIDI_DRUM_CHANNEL and len({n.pitch for n in part.notes}) <= 3:
        names = {_ONE_SOUND[w] for w in _words(part.name) if w in _ONE_SOUND}
        if len(names) == 1:
            sound = DRUM_CLASS_BY_NAME[names.pop()]
    mapped: list[Note] = []
    dropped: set[int] = set()
    for note in part.notes:
        if sound is not None:
            mapped.append(dataclasses.replace(note, pitch=sound.pitch))
            continue
        try:
            mapped.append(dataclasses.replace(note, pitch=drum_class(note.pitch).pitch))
        except ValueError:
            dropped.add(note.pitch)
    return mapped, dropped


@dataclass(frozen=True)
class Choice:
    """What a file's import takes: the type, its notes, and what to tell the user."""

    type: PatternType
    notes: list[Note]
    messages: list[str]


def choose(parts: list[Part], requested: PatternType | None, name: str) -> Choice:
    """The notes of the requested type (or of the type the file's parts suggest)."""
    drums = [p for p in parts if p.drums]
    pitched = [p for p in parts if not p.drums]
    messages: list[str] = []
    if requested == "drums":
        return _drums(drums or [dataclasses.replace(p, drums=True) for p in parts], name, messages)
    if requested is None and drums and not pitched:
        return _drums(drums, name, messages)
    if requested is None and drums:
        try:
            choice = _drums(drums, name, messages)
        except PatternFileError:  # a "Percussion" track of no drum sound: take the tunes
            messages.append(
                f"MIDI file {name}: its drum parts ({_listing(drums)}) play no General MIDI "
                "drum sound, so a pitched part is imported"
            )
        else:
            choice.messages.append(
                f"MIDI file {name} has drums ({_listing(drums)}) and pitched parts "
                f"({_listing(pitched)}): imported the drums; import a pitched part with "
                "--type melody or --type bass, or choose one with --track N, --channel C"
            )
            return choice
    if not pitched:  # asked for: parts that only play like a kit may still be a tune
        pitched = [
            dataclasses.replace(p, drums=False) for p in drums if p.channel != MIDI_DRUM_CHANNEL
        ]
    if not pitched:
        raise PatternFileError(f"MIDI file {name} has no pitched notes, only drums")
    role = requested or "melody"
    ordered = _role_order(pitched, role)
    best = ordered[0]
    kind: PatternType = requested or ("bass" if best.median < BASS_MEDIAN_BELOW else "melody")
    if len(pitched) > 1:
        others = [p for p in pitched if p is not best]
        how = {"melody": "the melody", "bass": "the bass line"}[kind]
        if kind != role:
            how = "the melody, as a bass line (it lies low)"
        messages.append(
            f"MIDI file {name} has {len(pitched)} pitched parts: imported {best.describe()} as "
            f"{how}; the others: {_listing(others)}; choose with --type, --track N, --channel C"
        )
    return Choice(kind, list(best.notes), messages)


def _drums(parts: list[Part], name: str, messages: list[str]) -> Choice:
    notes: list[Note] = []
    dropped: set[int] = set()
    for part in parts:
        mapped, lost = _drum_notes(part)
        notes.extend(mapped)
        dropped |= lost
    if dropped:
        messages.append(
            f"MIDI file {name}: dropped notes of pitches {sorted(dropped)}, which are not "
            "General MIDI drum sounds"
        )
    if not notes:
        raise PatternFileError(f"MIDI file {name} has no General MIDI drum notes")
    return Choice("drums", notes, messages)


def _listing(parts: list[Part], most: int = 6) -> str:
    shown = ", ".join(p.describe() for p in parts[:most])
    return shown + (f" and {len(parts) - most} more" if len(parts) > most else "")
