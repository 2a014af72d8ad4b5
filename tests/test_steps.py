"""Step notation for hand-written patterns."""

from __future__ import annotations

import pytest

from audiomancer.patterns.steps import note_number, parse_steps


def test_note_names() -> None:
    assert note_number("C4") == 60
    assert note_number("A4") == 69
    assert note_number("F#2") == note_number("Gb2") == 42
    assert note_number("C-1") == 0
    with pytest.raises(ValueError, match="invalid note name 'H2'"):
        note_number("H2")


def test_drum_lanes_by_class_or_tidal_name_with_accents() -> None:
    pattern = parse_steps("kick: X...x...x...x... sn: ....x.......x...", "drums", bpm=125)
    assert pattern.bars == 1 and pattern.bpm == 125.0
    kicks = [(n.start, n.velocity) for n in pattern.notes if n.pitch == 36]
    assert kicks == [(0, 127), (480, 100), (960, 100), (1440, 100)]
    assert [n.start for n in pattern.notes if n.pitch == 38] == [480, 1440]


def test_melody_holds_rests_velocity_and_bars() -> None:
    pattern = parse_steps("C4 - Eb4:70 . 67 " + ". " * 12, "melody", key="C", scale="minor")
    assert [(n.start, n.pitch, n.velocity, n.duration) for n in pattern.notes] == [
        (0, 60, 100, 240),
        (240, 63, 70, 120),
        (480, 67, 100, 120),
    ]
    assert pattern.bars == 2  # 17 steps need a second bar
    assert (pattern.key, pattern.scale) == ("C", "minor")


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("kick: x.o.", "drums", "invalid drum step 'o'"),
        ("cowbell: x...", "drums", "unknown drum 'cowbell'"),
        ("x...x...", "drums", "expected lanes like"),
        ("- C4", "melody", "holds nothing"),
        ("C4 Q4", "melody", "invalid step 'Q4'"),
        ("C4:0", "melody", "invalid velocity 0"),
        ("200", "bass", "invalid MIDI note 200"),
        ("", "melody", "no steps"),
    ],
)
def test_malformed_steps_name_the_bad_token(text: str, kind: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_steps(text, kind)
