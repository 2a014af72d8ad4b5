"""The pattern model: notes, drum map, keys and scales, validation messages."""

from __future__ import annotations

import pytest

from audiomancer.patterns.model import (
    DRUM_CLASSES,
    KEYS,
    SCALES,
    Note,
    Pattern,
    canonical_drum_pitch,
    drum_class,
    in_scale,
    key_pitch_class,
    merge_overlaps,
    normalize_key,
    scale_pitch_classes,
)


def test_every_general_midi_drum_pitch_maps_to_a_class_and_back() -> None:
    for pitch in range(35, 82):  # General MIDI percussion key map
        assert canonical_drum_pitch(pitch) in {c.pitch for c in DRUM_CLASSES}
    for drum in DRUM_CLASSES:
        assert drum_class(drum.pitch) is drum
        assert drum.pitch in drum.gm_pitches
    assert [c.name for c in DRUM_CLASSES] == [
        "kick", "snare", "closed_hat", "open_hat", "low_tom", "mid_tom", "high_tom", "crash",
        "ride",
    ]  # fmt: skip
    assert canonical_drum_pitch(35) == 36
    assert canonical_drum_pitch(40) == 38
    assert canonical_drum_pitch(44) == 42


def test_unknown_drum_pitch_names_the_value() -> None:
    with pytest.raises(ValueError, match="MIDI pitch 12 is not a drum sound"):
        drum_class(12)


def test_all_twelve_roots_with_sharps_and_flats() -> None:
    assert {key_pitch_class(k) for k in KEYS} == set(range(12))
    assert key_pitch_class("F#") == key_pitch_class("Gb") == 6
    assert key_pitch_class("Bb") == key_pitch_class("A#") == 10
    assert normalize_key("f#") == "F#"
    assert normalize_key("B♭") == "Bb"


def test_scales_follow_their_names() -> None:
    assert scale_pitch_classes("C", "major") == {0, 2, 4, 5, 7, 9, 11}
    assert scale_pitch_classes("C", "minor") == {0, 2, 3, 5, 7, 8, 10}
    assert scale_pitch_classes("C", "pentatonic") == {0, 3, 5, 7, 10}  # minor pentatonic
    assert scale_pitch_classes("A", "pentatonic") == {9, 0, 2, 4, 7}  # A C D E G
    assert len(scale_pitch_classes("Eb", "chromatic")) == 12
    assert in_scale(66, "F#", "minor") and not in_scale(67, "F#", "minor")
    assert set(SCALES) == {"major", "minor", "pentatonic", "chromatic"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "H"}, r"invalid key 'H': expected one of 'C', 'C#'"),
        ({"scale": "dorian"}, r"invalid scale 'dorian': expected one of 'major'"),
        ({"bpm": 0}, r"invalid bpm 0: expected a number from 20.0 to 400.0"),
        ({"bpm": float("nan")}, r"invalid bpm nan"),
        ({"bars": 0}, r"invalid bars 0: expected an integer from 1 to 64"),
        ({"bars": 2.5}, r"invalid bars 2.5"),
        ({"time_signature": (4, 3)}, r"invalid time signature \(4, 3\)"),
        ({"type": "chords"}, r"invalid pattern type 'chords': expected one of 'drums'"),
    ],
)
def test_invalid_settings_name_the_bad_value_and_the_allowed_ones(
    kwargs: dict[str, object], message: str
) -> None:
    settings: dict[str, object] = {"notes": (), "type": "melody", **kwargs}
    with pytest.raises(ValueError, match=message):
        Pattern(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pitch": 128}, "invalid pitch 128: expected an integer from 0 to 127"),
        ({"velocity": 0}, "invalid velocity 0: expected an integer from 1 to 127"),
        ({"velocity": 200}, "invalid velocity 200"),
        ({"duration": 0}, "invalid duration 0"),
        ({"start": -5}, "invalid start -5"),
    ],
)
def test_invalid_notes_name_the_bad_value(kwargs: dict[str, int], message: str) -> None:
    values = {"start": 0, "pitch": 60, "velocity": 100, "duration": 120, **kwargs}
    with pytest.raises(ValueError, match=message):
        Note(**values)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pitch": True}, "invalid pitch True"),
        ({"velocity": 100.0}, "invalid velocity 100.0"),
        ({"start": "0"}, "invalid start '0'"),
        ({"duration": 2**31 + 1}, f"invalid duration {2**31 + 1}"),
    ],
)
def test_notes_reject_what_is_not_a_plain_integer_in_range(
    kwargs: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {"start": 0, "pitch": 60, "velocity": 100, "duration": 120}
    with pytest.raises(ValueError, match=message):
        Note(**{**values, **kwargs})  # type: ignore[arg-type]


def test_notes_accept_int_subclasses_and_sort_in_field_order() -> None:
    class Tick(int):
        pass

    note = Note(Tick(240), Tick(60), Tick(90), Tick(120))
    assert (note.start, note.pitch, note.velocity, note.duration) == (240, 60, 90, 120)
    notes = [Note(240, 40), Note(0, 62, 80, 60), Note(120, 41), Note(0, 60, 90, 30)]
    pattern = Pattern(tuple(notes), "melody")
    assert list(pattern.notes) == sorted(notes)  # Note's own order: start, then pitch
    assert [(n.start, n.pitch) for n in pattern.notes] == [(0, 60), (0, 62), (120, 41), (240, 40)]


def test_pattern_notes_must_be_notes() -> None:
    with pytest.raises(TypeError, match=r"pattern notes must be Note objects, not \(0, 60\)"):
        Pattern((Note(0, 60), (0, 60)), "melody")  # type: ignore[arg-type]


def test_notes_stay_inside_the_pattern_and_drums_use_class_pitches() -> None:
    with pytest.raises(ValueError, match="after the pattern's end at tick 1920"):
        Pattern((Note(1900, 60, 100, 120),), "melody")
    with pytest.raises(ValueError, match="drum note pitch 35 is not a canonical"):
        Pattern((Note(0, 35),), "drums")
    pattern = Pattern((Note(480, 38), Note(0, 36)), "drums", bars=2)
    assert [n.start for n in pattern.notes] == [0, 480]
    assert pattern.length == 3840 and pattern.total_steps == 32


def test_metre_sets_bar_length() -> None:
    assert Pattern((), "melody", time_signature=(3, 4)).bar_length == 1440
    assert Pattern((), "melody", time_signature=(6, 8)).steps_per_bar == 12
    assert Pattern((), "melody", time_signature=(7, 8)).steps_per_bar == 14


def test_overlapping_notes_of_one_pitch_are_refused_or_merged() -> None:
    with pytest.raises(ValueError, match="overlap on pitch 60"):
        Pattern((Note(0, 60, 100, 240), Note(120, 60, 100, 120)), "melody")
    merged = merge_overlaps([Note(0, 60, 80, 240), Note(120, 60, 90, 120), Note(120, 60, 100, 60)])
    assert merged == [Note(0, 60, 80, 120), Note(120, 60, 100, 120)]
