"""The MIDI codec: files DAWs, mido and pretty_midi read back identically; robust import."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import mido
import pretty_midi
import pytest
from hypothesis import assume, given, settings

from audiomancer.errors import PatternFileError
from audiomancer.patterns.midi import (
    from_midi_data,
    midi_bytes,
    read_midi,
    to_midi_data,
    write_midi,
)
from audiomancer.patterns.model import (
    DRUM_CLASS_BY_PITCH,
    MAX_BARS,
    TICKS_PER_BEAT,
    Note,
    Pattern,
)
from strategies import patterns

GROOVE_SAMPLES = 12


def four_on_the_floor(bars: int = 1) -> Pattern:
    notes = [Note(step * 120, 36, 110) for step in range(0, 16 * bars, 4)]
    notes += [Note(step * 120, 38, 100) for step in range(4, 16 * bars, 8)]
    return Pattern(tuple(notes), "drums", bars=bars, bpm=125)


@settings(max_examples=150, deadline=None)
@given(patterns())
def test_midi_file_round_trips_every_note(pattern: Pattern) -> None:
    assume(pattern.notes)  # a file without notes is refused on import (tested below)
    back = read_midi(midi_bytes(pattern), pattern_type=pattern.type)
    assert back.notes == pattern.notes
    assert (back.bars, back.bpm, back.time_signature) == (
        pattern.bars,
        pattern.bpm,
        pattern.time_signature,
    )


@settings(max_examples=60, deadline=None)
@given(patterns())
def test_pretty_midi_reads_the_same_notes_in_seconds(
    tmp_path_factory: pytest.TempPathFactory, pattern: Pattern
) -> None:
    path = write_midi(pattern, tmp_path_factory.mktemp("pm") / "p.mid")
    midi = pretty_midi.PrettyMIDI(str(path))
    read = sorted((n.start, n.pitch, n.velocity, n.end) for i in midi.instruments for n in i.notes)
    spt = pattern.seconds_per_tick()
    expected = sorted((n.start * spt, n.pitch, n.velocity, n.end * spt) for n in pattern.notes)
    # MIDI stores tempo in whole microseconds per beat: allow that rounding, nothing more.
    assert [r[1:3] for r in read] == [e[1:3] for e in expected]
    for got, want in zip(read, expected, strict=True):
        assert got[0] == pytest.approx(want[0], abs=1e-4)
        assert got[3] == pytest.approx(want[3], abs=1e-4)
    assert all(i.is_drum == (pattern.type == "drums") for i in midi.instruments)
    signature = midi.time_signature_changes[0]
    assert (signature.numerator, signature.denominator) == pattern.time_signature
    assert midi.get_tempo_changes()[1][0] == pytest.approx(pattern.bpm, rel=1e-5)


def test_written_file_has_tempo_signature_and_drums_on_channel_10(tmp_path: Path) -> None:
    path = write_midi(four_on_the_floor(), tmp_path / "beat.mid")
    midi = mido.MidiFile(path)
    messages = [m for track in midi.tracks for m in track]
    assert midi.ticks_per_beat == TICKS_PER_BEAT
    assert any(m.type == "set_tempo" and m.tempo == mido.bpm2tempo(125) for m in messages)
    assert any(m.type == "time_signature" and (m.numerator, m.denominator) == (4, 4)
               for m in messages)  # fmt: skip
    note_ons = [m for m in messages if m.type == "note_on"]
    assert {m.channel for m in note_ons} == {9}
    assert len(note_ons) == 6


def test_midi_data_json_round_trips_and_matches_documented_form() -> None:
    pattern = Pattern((Note(0, 60, 90, 240), Note(240, 63, 80)), "melody", 1, 97.5, (3, 4))
    text = to_midi_data(pattern)
    data = json.loads(text)
    assert data["tempo"] == 97.5
    assert data["time_signature"] == [3, 4]
    assert data["tracks"][0]["notes"][0] == {"start": 0, "pitch": 60, "velocity": 90,
                                             "duration": 240}  # fmt: skip
    assert from_midi_data(text, key="C", scale="minor") == Pattern(
        pattern.notes, "melody", 1, 97.5, (3, 4), key="C", scale="minor"
    )


@pytest.mark.parametrize(
    "notes", [(), (Note(0, 36, 127, 1),), (Note(0, 60), Note(480, 62, 1, 960))]
)
def test_midi_data_is_compact_json_of_its_fields(notes: tuple[Note, ...]) -> None:
    # The exact text, since the store keeps it and seeded ids depend on it: compact separators,
    # keys in the documented order, also with no notes at all.
    pattern = Pattern(notes, "drums" if len(notes) == 1 else "melody", 2, 120.0)
    text = to_midi_data(pattern)
    data = json.loads(text)
    assert text == json.dumps(data, separators=(",", ":"))
    assert list(data) == ["format", "type", "tempo", "time_signature", "ticks_per_beat", "bars",
                          "tracks"]  # fmt: skip
    assert [list(n.values()) for n in data["tracks"][0]["notes"]] == [
        [n.start, n.pitch, n.velocity, n.duration] for n in notes
    ]
    assert list(data["tracks"][0]) == ["name", "channel", "notes"]


@pytest.mark.parametrize("bad", ["", "{}", "[1]", '{"format": "other"}', "not json"])
def test_malformed_midi_data_is_a_pattern_file_error(bad: str) -> None:
    with pytest.raises(PatternFileError, match="malformed midi_data"):
        from_midi_data(bad)


GROOVE = Path(__file__).parent / "data" / "groove-midi"
"""Thirteen files of the Groove MIDI Dataset (CC BY 4.0; see data/groove-midi/README.md)."""


def groove_file(index: int) -> tuple[Path, dict[str, str]]:
    """The index-th Groove MIDI file shipped with the tests, with its info.csv row."""
    with open(GROOVE / "info.csv", newline="") as handle:
        row = list(csv.DictReader(handle))[index]
    return GROOVE / row["midi_filename"], row


@pytest.mark.parametrize("index", range(GROOVE_SAMPLES))
def test_groove_midi_files_import_as_drums(index: int) -> None:
    path, info = groove_file(index)
    pattern = read_midi(path, bars=8)
    assert pattern.type == "drums"
    assert pattern.bpm == pytest.approx(float(info["bpm"]), abs=0.01)
    assert pattern.notes, "a groove has notes"
    assert {n.pitch for n in pattern.notes} <= set(DRUM_CLASS_BY_PITCH)


def test_whole_groove_file_too_long_for_a_pattern_imports_its_first_bars() -> None:
    # The longest file of drummer1/session1 (a 3-minute samba), shipped whole for this test.
    longest = GROOVE / "drummer1" / "session1" / "28_latin-samba_116_beat_4-4.mid"
    with pytest.warns(UserWarning, match=r"first 64 bars are imported.*--bars"):
        pattern = read_midi(longest)
    assert pattern.bars == MAX_BARS
    assert pattern.notes == read_midi(longest, bars=MAX_BARS).notes


def test_multi_track_pitched_file_takes_one_part_says_which_and_converts_resolution() -> None:
    midi = mido.MidiFile(type=1, ticks_per_beat=96)
    for pitches in ([60, 62], [67, 69]):
        track = mido.MidiTrack()
        for pitch in pitches:
            track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, time=48))
        midi.tracks.append(track)
    with pytest.warns(UserWarning, match=r"2 pitched parts: imported track 2 \(channel 1\)"):
        pattern = read_midi(_bytes(midi))
    assert pattern.type == "melody"
    assert [(n.start, n.pitch, n.duration) for n in pattern.notes] == [(0, 67, 240), (240, 69, 240)]
    assert (pattern.bars, pattern.bpm, pattern.time_signature) == (1, 120.0, (4, 4))
    assert read_midi(_bytes(midi), track=1).notes == (Note(0, 60, 80, 240), Note(240, 62, 80, 240))


def test_low_register_file_imports_as_bass_and_note_on_velocity_zero_ends_notes() -> None:
    midi = mido.MidiFile(type=0, ticks_per_beat=480)
    track = mido.MidiTrack()
    for pitch in (36, 39, 43):
        track.append(mido.Message("note_on", note=pitch, velocity=100, time=0))
        track.append(mido.Message("note_on", note=pitch, velocity=0, time=480))
    midi.tracks.append(track)
    pattern = read_midi(_bytes(midi))
    assert pattern.type == "bass"
    assert [n.duration for n in pattern.notes] == [480, 480, 480]


def test_file_with_drums_and_pitched_notes_imports_the_drums_and_says_so() -> None:
    midi = mido.MidiFile()
    track = mido.MidiTrack()
    track.append(mido.Message("note_on", channel=9, note=36, velocity=100, time=0))
    track.append(mido.Message("note_on", channel=0, note=60, velocity=100, time=0))
    track.append(mido.Message("note_off", channel=9, note=36, time=120))
    track.append(mido.Message("note_off", channel=0, note=60, time=0))
    midi.tracks.append(track)
    with pytest.warns(UserWarning, match=r"imported the drums.*--type melody"):
        pattern = read_midi(_bytes(midi))
    assert (pattern.type, pattern.notes) == ("drums", (Note(0, 36, 100, 120),))
    assert read_midi(_bytes(midi), pattern_type="drums").notes == (Note(0, 36, 100, 120),)
    assert read_midi(_bytes(midi), pattern_type="melody").notes == (Note(0, 60, 100, 120),)


def test_unmapped_drum_pitches_are_dropped_with_a_warning() -> None:
    midi = mido.MidiFile()
    track = mido.MidiTrack()
    for pitch in (35, 20):
        track.append(mido.Message("note_on", channel=9, note=pitch, velocity=90, time=0))
        track.append(mido.Message("note_off", channel=9, note=pitch, time=60))
    midi.tracks.append(track)
    with pytest.warns(UserWarning, match=r"\[20\]"):
        pattern = read_midi(_bytes(midi))
    assert pattern.notes == (Note(0, 36, 90, 60),)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable MIDI file"),
        (b"MThd\x00\x00\x00\x06garbage", "not a readable MIDI file"),
        (b"hello, I am a text file", "not a readable MIDI file"),
    ],
)
def test_corrupt_files_give_a_clear_error_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "broken.mid"
    path.write_bytes(content)
    with pytest.raises(PatternFileError, match=message) as error:
        read_midi(path)
    assert "broken.mid" in str(error.value)


def test_missing_file_folder_and_file_without_notes(tmp_path: Path) -> None:
    with pytest.raises(PatternFileError, match="does not exist"):
        read_midi(tmp_path / "nope.mid")
    with pytest.raises(PatternFileError, match="folder"):
        read_midi(tmp_path)
    empty = mido.MidiFile()
    empty.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    with pytest.raises(PatternFileError, match="no notes"):
        read_midi(_bytes(empty))


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "out" / "beat.mid"
    write_midi(four_on_the_floor(2), target)
    write_midi(four_on_the_floor(1), target)
    assert read_midi(target).bars == 1
    assert [p.name for p in target.parent.iterdir()] == ["beat.mid"]


def _bytes(midi: mido.MidiFile) -> bytes:
    import io

    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _tempo_map_file(tempi: list[tuple[float, int]], beats: int) -> bytes:
    """A type 0 file of ``beats`` quarter-note kicks under the tempo map ``tempi`` ((bpm, beats
    it lasts), in order)."""
    import io

    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    beat = 0
    for bpm, lasting in tempi:
        track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
        for _ in range(lasting):
            track.append(mido.Message("note_on", note=36, velocity=100, channel=9, time=0))
            track.append(mido.Message("note_off", note=36, velocity=0, channel=9, time=480))
            beat += 1
    assert beat == beats
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("tempi", "bpm"),
    [
        # a slow pickup beat (a real file: 13.3 bpm for one beat, then about 120)
        ([(13.3, 1), (120.0, 15)], 120.0),
        # a closing ritardando
        ([(96.0, 12), (60.0, 2), (40.0, 2)], 96.0),
        # back and forth: 100 plays 10 beats in all, 140 plays 6
        ([(140.0, 3), (100.0, 5), (140.0, 3), (100.0, 5)], 100.0),
        # a tie keeps the first
        ([(100.0, 8), (140.0, 8)], 100.0),
    ],
)
def test_a_tempo_map_imports_at_the_tempo_most_beats_play_at(
    tempi: list[tuple[float, int]], bpm: float
) -> None:
    with pytest.warns(UserWarning, match="the pattern keeps one tempo"):
        pattern = read_midi(_tempo_map_file(tempi, 16))
    assert pattern.bpm == pytest.approx(bpm, abs=1e-3)
    assert len(pattern.notes) == 16


def test_the_tempo_warning_counts_every_change_and_names_the_first() -> None:
    # 140 -> 100 -> 140 -> 100: three changes (back to the first tempo is one too)
    with pytest.warns(UserWarning) as caught:
        read_midi(_tempo_map_file([(140.0, 3), (100.0, 5), (140.0, 3), (100.0, 5)], 16))
    (message,) = [str(w.message) for w in caught if "changes tempo" in str(w.message)]
    assert "changes tempo 3 times (first to 100 bpm at beat 4)" in message, message
    assert "keeps one tempo, the one most of its beats play at: 100 bpm" in message


def _smpte_file(tempi: list[tuple[float, int]], beats: int) -> bytes:
    """``_tempo_map_file``'s kicks with the time division SMPTE 25 fps x 40 (1000 ticks a
    second): each kick lasts its beat's seconds at the tempo it plays under."""
    import io

    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    for bpm, lasting in tempi:
        track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
        ticks = round(1000 * 60 / bpm)
        for _ in range(lasting):
            track.append(mido.Message("note_on", note=36, velocity=100, channel=9, time=0))
            track.append(mido.Message("note_off", note=36, velocity=0, channel=9, time=ticks))
    assert sum(lasting for _, lasting in tempi) == beats
    buffer = io.BytesIO()
    midi.save(file=buffer)
    data = bytearray(buffer.getvalue())
    data[12:14] = ((256 - 25) << 8 | 40).to_bytes(2, "big")  # the header's division
    return bytes(data)


def test_smpte_time_is_read_at_the_tempo_the_pattern_keeps() -> None:
    # one beat at 60 bpm (1 s), then 15 at 120 (0.5 s each): the pattern keeps 120 bpm, and
    # its kicks are a beat apart, as they play
    with pytest.warns(UserWarning, match="the one most of its beats play at: 120 bpm"):
        pattern = read_midi(_smpte_file([(60.0, 1), (120.0, 15)], 16))
    assert pattern.bpm == 120.0
    assert [n.start for n in pattern.notes] == [0, *range(960, 960 + 15 * 480, 480)]


def test_a_metre_change_is_warned_about_and_the_first_metre_kept() -> None:
    import io

    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    # two bars of 3/4, then (at beat 7) 4/4, then 7/8; a repeated 4/4 is no change
    track.append(mido.MetaMessage("time_signature", numerator=3, denominator=4, time=0))
    for beat in range(12):
        if beat == 6:
            track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4))
            track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4))
        if beat == 10:
            track.append(mido.MetaMessage("time_signature", numerator=7, denominator=8))
        track.append(mido.Message("note_on", note=60, velocity=90, time=0))
        track.append(mido.Message("note_off", note=60, velocity=0, time=480))
    buffer = io.BytesIO()
    midi.save(file=buffer)
    with pytest.warns(UserWarning) as caught:
        pattern = read_midi(buffer.getvalue())
    (message,) = [str(w.message) for w in caught if "time signature" in str(w.message)]
    assert "changes time signature 2 times (first to 4/4 at beat 7)" in message, message
    assert "the pattern keeps one time signature, the first: 3/4" in message
    assert pattern.time_signature == (3, 4) and pattern.bars == 4


def test_a_key_signature_that_names_no_key_is_skipped() -> None:
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("key_signature", key="D", time=0))
    for pitch in (60, 62, 64):
        track.append(mido.Message("note_on", note=pitch, velocity=90, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    data = bytearray(_bytes(midi))
    at = data.index(b"\xff\x59\x02") + 3
    data[at : at + 2] = bytes([92, 0])  # 92 sharps: mido cannot decode it
    with pytest.warns(UserWarning, match=r"1 key signature that names no key \(the first: 92 "):
        pattern = read_midi(bytes(data))
    assert [n.pitch for n in pattern.notes] == [60, 62, 64]


def test_a_note_released_past_any_pattern_is_cut_not_an_error() -> None:
    # one tick per quarter note and a note-off 2**28 - 1 ticks later (the longest delta time):
    # 2**28 quarter notes, far past the 64 bars a pattern holds
    midi = mido.MidiFile(ticks_per_beat=1)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.Message("note_on", note=60, velocity=90, time=0))
    track.append(mido.Message("note_on", note=64, velocity=90, time=1))
    track.append(mido.Message("note_off", note=64, velocity=0, time=1))
    track.append(mido.Message("note_off", note=60, velocity=0, time=2**28 - 3))
    track.append(mido.Message("note_on", note=67, velocity=90, time=0))  # starts past them
    track.append(mido.Message("note_off", note=67, velocity=0, time=1))
    with pytest.warns(UserWarning, match="its first 64 bars are imported"):
        pattern = read_midi(_bytes(midi))
    assert pattern.bars == 64
    assert [(n.start, n.pitch, n.duration) for n in pattern.notes] == [
        (0, 60, 64 * 1920),
        (480, 64, 480),
    ]
