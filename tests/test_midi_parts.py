"""Which part of a many-part MIDI file an import takes (audiomancer.patterns.midi_parts)."""

from __future__ import annotations

import io
import warnings

import mido
import pytest

from audiomancer.errors import PatternFileError
from audiomancer.patterns.midi import read_midi
from audiomancer.patterns.model import Note, Pattern

Hit = tuple[int, int]  # (start in 16th steps, pitch)


def _track(name: str, channel: int, hits: list[Hit], program: int | None = None) -> mido.MidiTrack:
    """A track of 16th-note hits at 480 ticks per beat (each 120 ticks long)."""
    track = mido.MidiTrack()
    if name:
        track.append(mido.MetaMessage("track_name", name=name, time=0))
    if program is not None:
        track.append(mido.Message("program_change", channel=channel, program=program, time=0))
    events = []
    for step, pitch in hits:
        events.append((step * 120, 1, pitch))
        events.append((step * 120 + 120, 0, pitch))
    now = 0
    for tick, on, pitch in sorted(events):
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, channel=channel, note=pitch, velocity=90, time=tick - now))
        now = tick
    return track


def _file(*tracks: mido.MidiTrack) -> bytes:
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    midi.tracks.extend(tracks)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


BEAT: list[Hit] = [(s, 36) for s in (0, 4, 8, 12)] + [(s, 38) for s in (4, 12)]
BEAT += [(s, 42) for s in range(0, 16, 2)]
BASS_LINE: list[Hit] = list(zip(range(0, 16, 2), (36, 36, 43, 38, 36, 41, 42, 38), strict=True))
TUNE: list[Hit] = list(zip(range(0, 16, 2), (72, 74, 76, 77, 79, 77, 76, 74), strict=True))
CHORDS: list[Hit] = [(s, p) for s in (0, 8) for p in (60, 64, 67)]


def _quiet_read(data: bytes, **options: object) -> tuple[Pattern, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pattern = read_midi(data, **options)  # type: ignore[arg-type]
    return pattern, [str(w.message) for w in caught]


def test_gm_drums_on_channel_1_import_as_drums_by_how_they_play() -> None:
    pattern, said = _quiet_read(_file(_track("", 0, BEAT)))
    assert pattern.type == "drums"
    assert said == []


def test_a_bass_line_in_the_drum_register_on_channel_1_stays_a_bass_line() -> None:
    # Every pitch of this bass line is also a General MIDI drum sound; it plays one at a time.
    pattern, said = _quiet_read(_file(_track("", 0, BASS_LINE)))
    assert pattern.type == "bass"
    assert said == []


@pytest.mark.parametrize("name", ["Percussion", "Drum Kit", "Slagverk", "DRUMS", "perc_loop"])
def test_a_track_named_as_drums_is_drums_on_any_channel(name: str) -> None:
    # A chiptune noise channel: two pitches (55, 57 = splash and crash) on channel 4.
    hits = [(s, 57 if s % 4 else 55) for s in range(16)]
    pattern, said = _quiet_read(_file(_track("Lead", 0, TUNE), _track(name, 3, hits)))
    assert pattern.type == "drums"
    assert any("imported the drums" in line and repr(name) in line for line in said), said


def test_one_sound_sampler_tracks_play_their_named_sound_whatever_the_key() -> None:
    # A DAW export: one track per sample, each played on middle C.
    data = _file(
        _track("HIP_Kick_8 (MIDI)", 5, [(s, 60) for s in (0, 8)]),
        _track("RD_Snare_2 (MIDI)", 6, [(4, 60), (12, 60)]),
        _track("RD_Hat_8 (MIDI)", 7, [(s, 60) for s in range(0, 16, 2)]),
    )
    pattern, _ = _quiet_read(data)
    assert pattern.type == "drums"
    by_pitch = {p: sum(1 for n in pattern.notes if n.pitch == p) for p in (36, 38, 42)}
    assert by_pitch == {36: 2, 38: 2, 42: 8}


def test_a_song_imports_its_drums_and_names_the_other_parts() -> None:
    data = _file(
        _track("Piano", 0, CHORDS, program=0),
        _track("Bass Guitar", 1, BASS_LINE, program=33),
        _track("Drum Kit", 9, BEAT),
    )
    pattern, said = _quiet_read(data)
    assert pattern.type == "drums"
    (line,) = said
    assert "'Piano'" in line and "'Bass Guitar'" in line and "--type melody" in line


def test_melody_is_the_tune_not_the_chords_nor_the_bass() -> None:
    data = _file(
        _track("Piano", 0, CHORDS, program=0),
        _track("Bass Guitar", 1, BASS_LINE, program=33),
        _track("Flute", 2, TUNE, program=73),
        _track("Drum Kit", 9, BEAT),
    )
    pattern, said = _quiet_read(data, pattern_type="melody")
    assert {n.pitch for n in pattern.notes} == {p for _, p in TUNE}
    assert any("imported track 3 'Flute' (channel 3) as the melody" in line for line in said)


def test_bass_is_the_part_named_or_programmed_as_bass() -> None:
    data = _file(
        _track("Piano", 0, CHORDS, program=0),
        _track("Track 2", 1, BASS_LINE, program=38),  # GM 39, Synth Bass 1
        _track("Flute", 2, TUNE, program=73),
    )
    pattern, said = _quiet_read(data, pattern_type="bass")
    assert pattern.type == "bass"
    assert {n.pitch for n in pattern.notes} == {p for _, p in BASS_LINE}
    assert any("as the bass line" in line for line in said)


def test_an_unnamed_tune_is_the_single_voiced_part_over_a_chord_part() -> None:
    data = _file(_track("", 0, CHORDS), _track("", 1, TUNE))
    pattern, said = _quiet_read(data)
    assert pattern.type == "melody"
    assert {n.pitch for n in pattern.notes} == {p for _, p in TUNE}
    assert any("imported track 2 (channel 2) as the melody" in line for line in said)


def test_track_and_channel_choose_a_part_and_a_missing_one_lists_the_parts() -> None:
    midi = mido.MidiFile(type=0, ticks_per_beat=480)
    track = mido.MidiTrack()
    for channel, pitch in ((0, 72), (1, 40), (9, 36)):
        track.append(mido.Message("note_on", channel=channel, note=pitch, velocity=90, time=0))
    for index, (channel, pitch) in enumerate(((0, 72), (1, 40), (9, 36))):
        track.append(
            mido.Message("note_off", channel=channel, note=pitch, time=480 if index == 0 else 0)
        )
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    data = buffer.getvalue()
    pattern, said = _quiet_read(data, channel=2)
    assert (pattern.type, pattern.notes) == ("bass", (Note(0, 40, 90, 480),))
    assert said == []
    with pytest.raises(PatternFileError, match=r"no notes on channel 5; its parts: track 1"):
        read_midi(data, channel=5)
    with pytest.raises(PatternFileError, match="no notes on track 2 and channel 1"):
        read_midi(data, track=2, channel=1)


def test_asking_for_a_melody_of_a_file_of_drums_only_is_a_clear_error() -> None:
    with pytest.raises(PatternFileError, match="no pitched notes, only drums"):
        read_midi(_file(_track("Drums", 9, BEAT)), pattern_type="melody")
    # Off channel 10, notes that only play like a kit are still a tune when asked for one.
    pattern = read_midi(_file(_track("", 0, BEAT)), pattern_type="melody")
    assert pattern.type == "melody" and len(pattern.notes) == len(BEAT)


def test_a_percussion_track_of_no_drum_sound_leaves_the_tune() -> None:
    # A chiptune export whose 'Percussion' track plays MIDI note 0 (a noise channel's trigger).
    data = _file(_track("Lead_Pulse", 0, TUNE), _track("Percussion", 3, [(0, 0), (8, 0)]))
    pattern, said = _quiet_read(data)
    assert pattern.type == "melody" and len(pattern.notes) == len(TUNE)
    assert any("play no General MIDI drum sound, so a pitched part is imported" in s for s in said)
    with pytest.raises(PatternFileError, match="no General MIDI drum notes"):
        read_midi(data, pattern_type="drums")
