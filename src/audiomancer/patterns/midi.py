"""MIDI codec: Standard MIDI Files (through mido) and the ``midi_data`` JSON form.

Written files are type 1 at 480 ticks per quarter note: a conductor track (name, tempo, time
signature) and one note track (drums on channel 10). The note track's end-of-track event sits
at the pattern's end, so a re-imported file keeps its length in bars.

The ``midi_data`` JSON form stored with every pattern (the spec's ``{"tracks": [...],
"tempo": 120}``)::

    {
      "format": "audiomancer.midi_data/1",
      "type": "drums",                 # drums | melody | bass
      "tempo": 125.0,                  # quarter notes per minute
      "time_signature": [4, 4],
      "ticks_per_beat": 480,
      "bars": 4,
      "tracks": [
        {"name": "drums", "channel": 9,   # zero-based MIDI channel (9 = drums)
         "notes": [{"start": 0, "pitch": 36, "velocity": 100, "duration": 120}, ...]}
      ]
    }

Notes are in ticks, sorted by start then pitch. ``key``, ``scale`` and ``style`` are stored beside
it in the pattern record, not inside.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import warnings
from collections.abc import Iterable
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from audiomancer.atomic import atomic_write_bytes
from audiomancer.errors import PatternFileError
from audiomancer.patterns.model import (
    MAX_BARS,
    MIDI_DRUM_CHANNEL,
    TICKS_PER_BEAT,
    Note,
    Pattern,
    bar_ticks,
    drum_class,
    merge_overlaps,
    validate_bpm,
    validate_pattern_type,
    validate_time_signature,
)

if TYPE_CHECKING:  # mido loads only to write or read a .mid file, not for midi_data
    import mido

    from audiomancer.patterns.smf import Smf

MIDI_DATA_FORMAT: Final = "audiomancer.midi_data/1"
MELODIC_CHANNEL: Final = 0
# General MIDI programs (zero-based) so a DAW or GM synth picks a sensible sound.
GM_PROGRAMS: Final[dict[str, int]] = {"melody": 0, "bass": 33}  # Acoustic Grand, Finger Bass


def channel_for(pattern_type: str) -> int:
    """Zero-based MIDI channel a pattern type is written on."""
    return MIDI_DRUM_CHANNEL if pattern_type == "drums" else MELODIC_CHANNEL


# --- writing ------------------------------------------------------------------------------


def to_midi_file(pattern: Pattern) -> mido.MidiFile:
    """Build a type 1 MIDI file of the pattern."""
    import mido

    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(_conductor_track(pattern))
    midi.tracks.append(_note_track(pattern))
    return midi


def _conductor_track(pattern: Pattern) -> mido.MidiTrack:
    import mido

    numerator, denominator = pattern.time_signature
    return mido.MidiTrack(
        [
            mido.MetaMessage("track_name", name="audiomancer", time=0),
            mido.MetaMessage(
                "time_signature", numerator=numerator, denominator=denominator, time=0
            ),
            mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(pattern.bpm), time=0),
            mido.MetaMessage("end_of_track", time=pattern.length),
        ]
    )


def _note_track(pattern: Pattern) -> mido.MidiTrack:
    import mido

    channel = channel_for(pattern.type)
    events: list[tuple[int, int, mido.Message]] = []
    for note in pattern.notes:
        # Note-offs sort before note-ons at the same tick so repeated pitches retrigger.
        on = mido.Message("note_on", channel=channel, note=note.pitch, velocity=note.velocity)
        off = mido.Message("note_off", channel=channel, note=note.pitch, velocity=0)
        events.append((note.start, 1, on))
        events.append((note.end, 0, off))
    events.sort(key=lambda event: (event[0], event[1], event[2].note))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=pattern.type, time=0)])
    if pattern.type in GM_PROGRAMS:
        track.append(
            mido.Message("program_change", channel=channel, program=GM_PROGRAMS[pattern.type])
        )
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=pattern.length - now))
    return track


def midi_bytes(pattern: Pattern) -> bytes:
    """The pattern as the bytes of a Standard MIDI File."""
    buffer = io.BytesIO()
    to_midi_file(pattern).save(file=buffer)
    return buffer.getvalue()


def write_midi(pattern: Pattern, path: str | Path) -> Path:
    """Write the pattern as a Standard MIDI File, atomically (no half-written file)."""
    target = Path(path)
    atomic_write_bytes(target, midi_bytes(pattern))
    return target


# --- reading ------------------------------------------------------------------------------


def read_midi(
    source: str | Path | bytes,
    pattern_type: str | None = None,
    bars: int | None = None,
    track: int | None = None,
    channel: int | None = None,
) -> Pattern:
    """Read a Standard MIDI File (any type, any resolution, many tracks) into a pattern.

    The file is split into parts, one per track and channel, and the pattern takes the part or
    parts of one type (:mod:`audiomancer.patterns.midi_parts` has the rules): ``pattern_type``
    "drums" takes every drum part (channel 10, a track named as drums, or notes that play like a
    kit), "melody" the part that reads most as a tune, "bass" the bass line. Left as None, a file
    with drums is drums, else its melody part, as bass when it lies low. ``track`` (1-based, as
    the file stores them) and ``channel`` (1-16) narrow the parts to choose from. What was
    chosen among several parts is said in a warning.
    ``bars`` keeps only the first bars; otherwise the file's whole length (up to MAX_BARS).
    Drum pitches map to Magenta's nine classes; sounds outside them are dropped with a warning.
    Raises PatternFileError for unreadable, empty or unsuitable files.
    """
    from audiomancer.patterns.midi_parts import choose, select_parts, split_parts

    name = "<bytes>" if isinstance(source, bytes) else str(source)
    requested = validate_pattern_type(pattern_type) if pattern_type is not None else None
    smf = _open_midi(source, name)
    scale, bpm, time_signature, end_tick = _read_meta(smf, name)
    parts = split_parts(smf.midi, scale)
    if smf.truncated is not None:
        if not parts:
            raise PatternFileError(
                f"{name} is not a readable MIDI file: it ends in the middle of its data, after "
                f"{smf.truncated} bytes (truncated?)"
            )
        warnings.warn(
            f"MIDI file {name} ends in the middle of its data, after {smf.truncated} bytes "
            "(truncated?): the notes up to there are read",
            stacklevel=2,
        )
    if not parts:
        raise PatternFileError(f"MIDI file {name} holds no notes")
    bar_length = bar_ticks(time_signature)
    if bars is None:
        last = max([end_tick, *(n.end for p in parts for n in p.notes)])
        bars = max(1, math.ceil(last / bar_length))
        if bars > MAX_BARS:
            warnings.warn(
                f"MIDI file {name} is {bars} bars long, more than the {MAX_BARS} a pattern "
                f"holds: its first {MAX_BARS} bars are imported (choose with bars=N, CLI: "
                "--bars N)",
                stacklevel=2,
            )
            bars = MAX_BARS
    if track is not None or channel is not None:
        parts = select_parts(parts, track, channel, name)
    # A part is chosen by what it plays in the bars imported (a flute that enters at bar 100 of
    # a long song is no melody of its first 64 bars).
    window = [part.within(bars * bar_length) for part in parts]
    choice = choose([part for part in window if part.notes] or parts, requested, name)
    for message in choice.messages:
        warnings.warn(message, stacklevel=2)
    notes = _fit_notes(choice.notes, bars * bar_length)
    return Pattern(
        notes=tuple(notes), type=choice.type, bars=bars, bpm=bpm, time_signature=time_signature
    )


def _open_midi(source: str | Path | bytes, name: str) -> Smf:
    from audiomancer.patterns.smf import load_smf

    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except FileNotFoundError:
        raise PatternFileError(f"MIDI file {name} does not exist") from None
    except IsADirectoryError:
        raise PatternFileError(f"{name} is a folder, not a MIDI file") from None
    except OSError as error:
        raise PatternFileError(f"cannot read MIDI file {name}: {error.strerror}") from None
    return load_smf(data, name)


def _read_meta(smf: Smf, name: str) -> tuple[Fraction, float, tuple[int, int], int]:
    """How many of our ticks one of the file's is, the file's tempo and first time signature
    (defaults 120 bpm, 4/4), and its last tick in our ticks.

    A pattern has one tempo: the one most of the file's beats play at (the earliest on a tie,
    so a slow pickup beat or a closing ritardando does not set the tempo of the whole), and one
    time signature, the one its first bars play in; a warning names the changes dropped. An
    SMPTE file's ticks are seconds: its quarter note is the kept tempo's.
    """
    from audiomancer.patterns.smf import DEFAULT_TEMPO

    tempi, signatures, end_tick = _meta_events(smf.midi)
    kept = _main_tempo(tempi, end_tick) if tempi else DEFAULT_TEMPO
    resolution = smf.ticks_per_beat(kept)
    bpm = _bpm(kept)
    # each tempo event that differs from the one before it (a tick of several is one change)
    changes = [later for earlier, later in pairwise(tempi) if later[1] != earlier[1]]
    if changes:
        tick, tempo = changes[0]
        which = "the first" if kept == tempi[0][1] else "the one most of its beats play at"
        _warn_of_changes(
            name, "tempo", len(changes), f"{_bpm(tempo):g} bpm", tick / resolution,
            f"{which}: {bpm:g} bpm",
        )  # fmt: skip
    signature = signatures[0][1] if signatures else (4, 4)
    metres = [later for earlier, later in pairwise(signatures) if later[1] != earlier[1]]
    if metres:
        tick, (numerator, denominator) = metres[0]
        _warn_of_changes(
            name, "time signature", len(metres), f"{numerator}/{denominator}",
            tick / resolution, f"the first: {signature[0]}/{signature[1]}",
        )  # fmt: skip
    try:
        validate_bpm(bpm)
        time_signature = validate_time_signature(signature)
    except ValueError as error:
        raise PatternFileError(f"MIDI file {name}: {error}") from None
    scale = TICKS_PER_BEAT / resolution
    return scale, bpm, time_signature, round(end_tick * scale)


def _meta_events(
    midi: mido.MidiFile,
) -> tuple[list[tuple[int, int]], list[tuple[int, tuple[int, int]]], int]:
    """The file's tempo events (tick, microseconds per beat) and time signatures (tick,
    (numerator, denominator)) in order of tick, each tick's own in the file's order, and the
    tick where its last track ends."""
    tempi: list[tuple[int, int]] = []
    signatures: list[tuple[int, tuple[int, int]]] = []
    end_tick = 0
    for track in midi.tracks:
        now = 0
        for message in track:
            now += message.time
            if message.type == "set_tempo":
                tempi.append((now, message.tempo))
            elif message.type == "time_signature":
                signatures.append((now, (message.numerator, message.denominator)))
        end_tick = max(end_tick, now)
    tempi.sort(key=lambda event: event[0])  # stable sorts
    signatures.sort(key=lambda event: event[0])
    return tempi, signatures, end_tick


def _warn_of_changes(
    name: str, what: str, count: int, first: str, beat: Fraction, kept: str
) -> None:
    """Say that the file changes ``what`` ``count`` times, the first time to ``first`` at
    ``beat`` (counted from 0), and which one the pattern keeps."""
    warnings.warn(
        f"MIDI file {name} changes {what} {count} time{'s' if count > 1 else ''} (first to "
        f"{first} at beat {float(beat) + 1:g}); the pattern keeps one {what}, {kept}",
        stacklevel=4,
    )


def _bpm(tempo: int) -> float:
    """Quarter notes per minute of a tempo in microseconds per quarter note, to 3 decimals."""
    import mido  # already loaded by _open_midi

    return round(float(mido.tempo2bpm(tempo)), 3)


def _main_tempo(tempi: list[tuple[int, int]], end_tick: int) -> int:
    """The tempo (microseconds per beat) that lasts the most ticks up to ``end_tick``, of the
    file's tempo events ((tick, tempo) in order of tick; the first holds from the start, each
    until the next). The earliest wins a tie."""
    starts = [0, *(tick for tick, _ in tempi[1:])]
    ends = [*starts[1:], max(end_tick, tempi[-1][0])]
    lasting: dict[int, int] = {}  # tempo -> ticks it lasts; a dict keeps the order first heard
    for (_, tempo), start, until in zip(tempi, starts, ends, strict=True):
        lasting[tempo] = lasting.get(tempo, 0) + until - start
    return max(lasting, key=lasting.__getitem__)  # max keeps the first of equal values


def _fit_notes(notes: Iterable[Note], length: int) -> list[Note]:
    """Drop notes starting after the end, cut the ones that run past it, resolve overlaps."""
    fitted = [
        dataclasses.replace(n, duration=min(n.duration, length - n.start))
        for n in notes
        if n.start < length
    ]
    return merge_overlaps(fitted)


# --- midi_data JSON -----------------------------------------------------------------------


def to_midi_data(pattern: Pattern) -> str:
    """The pattern's ``midi_data`` JSON (documented at the top of this module)."""
    data: dict[str, object] = {
        "format": MIDI_DATA_FORMAT,
        "type": pattern.type,
        "tempo": pattern.bpm,
        "time_signature": list(pattern.time_signature),
        "ticks_per_beat": TICKS_PER_BEAT,
        "bars": pattern.bars,
        "tracks": [{"name": pattern.type, "channel": channel_for(pattern.type), "notes": []}],
    }
    # The notes are written by hand into the empty list: the fields are ints, whose JSON is
    # their digits, so this is json.dumps's text without building a dict per note.
    text = json.dumps(data, separators=(",", ":"))
    tail = "]}]}"
    assert text.endswith("[" + tail)
    notes = ",".join(
        f'{{"start":{note.start:d},"pitch":{note.pitch:d},'
        f'"velocity":{note.velocity:d},"duration":{note.duration:d}}}'
        for note in pattern.notes
    )
    return text[: -len(tail)] + notes + tail


def from_midi_data(
    text: str,
    key: str | None = None,
    scale: str | None = None,
    style: str | None = None,
) -> Pattern:
    """Rebuild a pattern from its ``midi_data`` JSON; PatternFileError if it is malformed."""
    try:
        data: dict[str, Any] = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        if data.get("format") != MIDI_DATA_FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        resolution = int(data.get("ticks_per_beat", TICKS_PER_BEAT))
        factor = Fraction(TICKS_PER_BEAT, resolution)
        notes = [
            Note(
                start=round(int(n["start"]) * factor),
                pitch=int(n["pitch"]),
                velocity=int(n["velocity"]),
                duration=max(1, round(int(n["duration"]) * factor)),
            )
            for track in data["tracks"]
            for n in track["notes"]
        ]
        if data["type"] == "drums":
            notes = [dataclasses.replace(n, pitch=drum_class(n.pitch).pitch) for n in notes]
        return Pattern(
            notes=tuple(notes),
            type=data["type"],
            bars=int(data["bars"]),
            bpm=float(data["tempo"]),
            time_signature=tuple(data["time_signature"]),
            key=key,
            scale=scale,
            style=style,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise PatternFileError(f"malformed midi_data: {error}") from None
