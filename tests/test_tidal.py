"""The Tidal codec, checked by evaluating its code in real Tidal (ghci + libghc-tidal-dev)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from audiomancer.errors import EngineError, TidalCodeError
from audiomancer.patterns.kits import KITS, default_sound, get_kit
from audiomancer.patterns.model import (
    DRUM_CLASS_BY_NAME,
    DRUM_CLASS_BY_PITCH,
    DRUM_CLASSES,
    TICKS_PER_BEAT,
    TICKS_PER_STEP,
    Note,
    Pattern,
)
from audiomancer.patterns.tidal import (
    gain_to_velocity,
    note_name,
    tidal_code,
    tidal_expression,
    velocity_to_gain,
)
from audiomancer.tidal.ghci import Ghci, TidalEvent, get_ghci, paragraphs
from conftest import need_engine
from strategies import TIME_SIGNATURES, patterns

pytestmark = pytest.mark.engines

ONSET_TOLERANCE = 1e-9  # cycles


@pytest.fixture(scope="module")
def tidal() -> Iterator[Ghci]:
    """The process's ghci with Tidal (fails in CI, skips elsewhere, when Tidal is missing)."""
    need_engine("tidal")
    yield get_ghci()


# --- reading the code back ----------------------------------------------------------------


@dataclass(frozen=True)
class Played:
    """What Tidal will play for one event, in the pattern's own terms."""

    start: float  # cycles, nudge included
    sound: str
    pitch: int | None
    velocity: int
    duration: float | None  # ticks


def played(event: TidalEvent, pattern: Pattern, cps: float) -> Played:
    """An event as the pattern's note it should be: nudge moves it, legato sets its length."""
    controls = event.controls
    assert event.whole is not None
    nudge = float(controls.get("nudge", 0.0))
    start = float(event.onset) + nudge * cps
    gain = controls["gain"]
    assert isinstance(gain, float) and 0 < gain <= 1
    pitch = None
    if "note" in controls:
        note = controls["note"]
        assert isinstance(note, float) and note == int(note)
        pitch = int(note) + 60
    duration = None
    if "legato" in controls:
        length_ticks = (event.whole[1] - event.whole[0]) * pattern.bar_length
        duration = float(controls["legato"]) * float(length_ticks)
    sound = controls["s"]
    assert isinstance(sound, str)
    for name, value in controls.items():  # a kit voice's constant controls (# n 10)
        if name not in ("s", "note", "gain", "legato", "nudge", "orbit"):
            sound += f" # {name} {value:g}"  # type: ignore[str-format]
    return Played(start, sound, pitch, gain_to_velocity(gain), duration)


def expected_sound(pattern: Pattern, note: Note) -> str:
    if pattern.type == "drums":
        voice = get_kit(pattern.kit or "dirt").voice(DRUM_CLASS_BY_PITCH[note.pitch])
        return voice.sound + "".join(f" # {name} {value:g}" for name, value in voice.controls)
    sound = pattern.sound or default_sound(pattern.type)
    assert sound is not None
    return sound


def assert_plays(pattern: Pattern, events: list[TidalEvent], cps: float) -> None:
    """Every note is exactly one event with its onset, sound, pitch, velocity and length."""
    assert all(e.whole == e.part for e in events), "events must not be fragments"
    got = [played(e, pattern, cps) for e in events]
    assert len(got) == len(pattern.notes)
    expected = sorted(
        pattern.notes,
        key=lambda n: (
            expected_sound(pattern, n),
            n.pitch if pattern.type != "drums" else -1,
            n.start,
        ),
    )
    got.sort(key=lambda p: (p.sound, p.pitch if p.pitch is not None else -1, p.start))
    for note, play in zip(expected, got, strict=True):
        assert play.sound == expected_sound(pattern, note), (note, play)
        assert math.isclose(
            play.start, note.start / pattern.bar_length, rel_tol=0, abs_tol=ONSET_TOLERANCE
        ), (note, play)
        assert play.velocity == note.velocity, (note, play)
        if pattern.type == "drums":
            assert play.pitch is None and play.duration is None, play
        else:
            assert play.pitch == note.pitch, (note, play)
            assert play.duration is not None and abs(play.duration - note.duration) < 1, (
                note,
                play,
            )
            assert round(play.duration) == note.duration


def check_printed(tidal: Ghci, code: str, pattern: Pattern) -> list[TidalEvent]:
    """Play printed Tidal code exactly as an editor sends it, paragraph by paragraph, and check
    that its tempo and every event are the pattern's; return the events."""
    result = tidal.play(code, pattern.bars)
    assert result.cps is not None, code
    bpm_from_tidal = result.cps * 60 * pattern.time_signature[0] * 4 / pattern.time_signature[1]
    assert math.isclose(bpm_from_tidal, pattern.bpm, rel_tol=1e-12), (code, pattern.bpm)
    assert_plays(pattern, result.events, result.cps)
    return result.events


def check_code(tidal: Ghci, pattern: Pattern, orbit: int = 1) -> list[TidalEvent]:
    """Evaluate tidal_code as printed; check it; return the events."""
    code = tidal_code(pattern, orbit)
    blocks = paragraphs(code)
    assert len(blocks) == 2 and blocks[1].text.startswith(f"d{orbit} $ "), code
    return check_printed(tidal, code, pattern)


# --- properties ---------------------------------------------------------------------------


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pattern=patterns())
def test_every_note_is_exactly_one_tidal_event(tidal: Ghci, pattern: Pattern) -> None:
    check_code(tidal, pattern)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pattern=patterns(pattern_type="melody", max_bars=2, max_notes=40))
def test_dense_polyphony_splits_into_lanes(tidal: Ghci, pattern: Pattern) -> None:
    check_code(tidal, pattern)


def test_velocity_gain_round_trip() -> None:
    for velocity in range(1, 128):
        gain = velocity_to_gain(velocity)
        assert 0 < gain <= 1
        assert gain_to_velocity(gain) == velocity
        # SuperDirt plays amp = gain ** 4: the amplitude is (velocity / 127) ** 2, within rounding
        assert math.isclose(gain**4, (velocity / 127) ** 2, rel_tol=0.05)
    assert velocity_to_gain(127) == 1.0
    assert gain_to_velocity(2.0) == 127
    assert gain_to_velocity(0.0) == 1
    for bad in (0, 128, 64.0, True):
        with pytest.raises(ValueError, match="velocity"):
            velocity_to_gain(bad)  # type: ignore[arg-type]
    for bad_gain in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="gain"):
            gain_to_velocity(bad_gain)


# --- examples -----------------------------------------------------------------------------


def drum_notes(name: str, steps: list[int], velocity: int = 100) -> list[Note]:
    pitch = DRUM_CLASS_BY_NAME[name].pitch
    return [Note(step * TICKS_PER_STEP, pitch, velocity) for step in steps]


def by_sound(events: list[TidalEvent]) -> dict[str, list[Fraction]]:
    result: dict[str, list[Fraction]] = {}
    for event in events:
        result.setdefault(str(event.controls["s"]), []).append(event.onset)
    return {sound: sorted(onsets) for sound, onsets in result.items()}


def test_four_on_the_floor(tidal: Ghci) -> None:
    notes = (
        drum_notes("kick", [0, 4, 8, 12], 120)
        + drum_notes("snare", [4, 12], 100)
        + drum_notes("closed_hat", list(range(0, 16, 2)), 70)
    )
    pattern = Pattern(notes=tuple(notes), type="drums", bpm=125.0)
    code = tidal_code(pattern)
    assert "stack" in code
    assert code.count('s "') == 3, code  # one lane per drum voice
    events = check_code(tidal, pattern)
    assert by_sound(events) == {
        "bd": [Fraction(k, 4) for k in range(4)],
        "sn": [Fraction(1, 4), Fraction(3, 4)],
        "hh": [Fraction(k, 8) for k in range(8)],
    }
    assert all("nudge" not in e.controls and "legato" not in e.controls for e in events)


def test_melody_in_three_four_over_two_bars(tidal: Ghci) -> None:
    bar = 3 * TICKS_PER_BEAT
    notes = (
        Note(0, 60, 100, TICKS_PER_BEAT),
        Note(TICKS_PER_BEAT, 64, 90, TICKS_PER_BEAT // 2),
        Note(2 * TICKS_PER_BEAT, 67, 80, TICKS_PER_BEAT),
        Note(bar, 72, 127, bar),
    )
    pattern = Pattern(notes, "melody", bars=2, time_signature=(3, 4), bpm=90.0)
    expression = tidal_expression(pattern)
    assert expression.startswith("slow 2 $ ")
    events = check_code(tidal, pattern)
    onsets = sorted((e.onset, e.controls["note"]) for e in events)
    assert onsets == [
        (Fraction(0), 0.0),
        (Fraction(1, 3), 4.0),
        (Fraction(2, 3), 7.0),
        (Fraction(1), 12.0),
    ]
    assert {e.controls["s"] for e in events} == {"superpiano"}
    # one event per 16th step: 12 steps per bar of 3/4
    assert all(e.whole is not None and e.whole[1] - e.whole[0] == Fraction(1, 12) for e in events)


def test_odd_metre_drums(tidal: Ghci) -> None:
    notes = drum_notes("kick", [0, 6, 10]) + drum_notes("snare", [4, 13])
    pattern = Pattern(tuple(notes), "drums", time_signature=(7, 8), bpm=140.0)
    events = check_code(tidal, pattern)
    assert by_sound(events) == {
        "bd": [Fraction(0), Fraction(6, 14), Fraction(10, 14)],
        "sn": [Fraction(4, 14), Fraction(13, 14)],
    }


def test_empty_pattern_is_silence(tidal: Ghci) -> None:
    for kind in ("drums", "melody", "bass"):
        pattern = Pattern((), kind, bars=2)
        assert tidal_expression(pattern) == "silence"
        assert check_code(tidal, pattern) == []


def test_micro_timed_notes_use_nudge(tidal: Ghci) -> None:
    late = Note(TICKS_PER_STEP + 10, 38, 100)  # 10 ticks after step 1
    early = Note(4 * TICKS_PER_STEP - 10, 38, 100)  # 10 ticks before step 4
    last = Note(1900, 36, 100, 20)  # in the last half step: stays on step 15
    pattern = Pattern((late, early, last), "drums", bpm=120.0)
    events = check_code(tidal, pattern)
    nudges = sorted((e.onset, e.controls.get("nudge")) for e in events)
    seconds_per_tick = 60 / (120 * TICKS_PER_BEAT)
    assert [onset for onset, _ in nudges] == [Fraction(1, 16), Fraction(4, 16), Fraction(15, 16)]
    assert nudges[0][1] == pytest.approx(10 * seconds_per_tick, abs=1e-12)
    assert nudges[1][1] == pytest.approx(-10 * seconds_per_tick, abs=1e-12)
    assert nudges[2][1] == pytest.approx(100 * seconds_per_tick, abs=1e-12)


def test_chord_and_overlaps_take_separate_lanes(tidal: Ghci) -> None:
    chord = (Note(0, 60, 90, 960), Note(0, 64, 90, 960), Note(0, 67, 90, 960))
    tail = (Note(480, 72, 100, 240), Note(1440, 60, 100, 480))  # over the chord; after it
    pattern = Pattern(chord + tail, "bass", bpm=174.0)
    expression = tidal_expression(pattern)
    assert expression.count('note "') == 4, expression
    events = check_code(tidal, pattern)
    assert {e.controls["s"] for e in events} == {"supersaw"}


def test_every_midi_pitch_and_velocity(tidal: Ghci) -> None:
    notes = tuple(
        Note(pitch * TICKS_PER_STEP, pitch, pitch % 127 + 1, TICKS_PER_STEP) for pitch in range(128)
    )
    pattern = Pattern(notes, "melody", bars=8)
    events = check_code(tidal, pattern)
    assert len(events) == 128
    assert note_name(60) == "c5" and note_name(61) == "cs5" and note_name(127) == "g10"


def test_code_tempo_and_orbit(tidal: Ghci) -> None:
    for time_signature in TIME_SIGNATURES:
        for bpm in (60.0, 97.5, 174.0):
            notes = drum_notes("kick", [0, 3])
            pattern = Pattern(tuple(notes), "drums", bars=3, bpm=bpm, time_signature=time_signature)
            check_code(tidal, pattern, orbit=3)
    code = tidal_code(Pattern((), "drums"), orbit=12)
    assert code.splitlines()[0].startswith("-- ")
    assert "\n\nd12 $ silence" in code
    for bad in (0, 17, 1.0):
        with pytest.raises(ValueError, match="orbit"):
            tidal_code(Pattern((), "drums"), orbit=bad)  # type: ignore[arg-type]


def test_the_service_reports_errors_and_recovers_from_a_hang() -> None:
    need_engine("tidal")
    session = Ghci()
    try:
        with pytest.raises(TidalCodeError, match=r"line 2: Variable not in scope: nosuchcontrol"):
            session.play('d1 $ s "bd"\n  # nosuchcontrol 1')
        with pytest.raises(EngineError, match="timeout"):
            session.play('d1 $ fastcat (repeat (s "bd"))', timeout=3)
        assert [e.onset for e in session.play('d1 $ s "bd sn"').events] == [0, Fraction(1, 2)]
    finally:
        session.close()


def test_code_that_sets_the_tempo_in_the_same_paragraph_is_rejected(tidal: Ghci) -> None:
    """What audiomancer 0.1 printed: an editor sends both lines as one block, a type error."""
    with pytest.raises(TidalCodeError, match=r"line 2: .*in: 'setcps \(125/60/4\)'"):
        tidal.play('-- a comment\nsetcps (125/60/4)\nd1 $ s "bd*4"')


def test_every_kit_plays_every_drum_class(tidal: Ghci) -> None:
    notes = [Note(step * TICKS_PER_STEP, c.pitch, 100) for step, c in enumerate(DRUM_CLASSES)]
    for kit in KITS:
        pattern = Pattern(tuple(notes), "drums", bpm=100.0, kit=kit)
        code = tidal_code(pattern)
        assert f"kit {kit}" in code.splitlines()[0]
        check_code(tidal, pattern)


def test_melodic_sound_override(tidal: Ghci) -> None:
    pattern = Pattern((Note(0, 48, 90, 480),), "bass", sound="superreese")
    events = check_code(tidal, pattern)
    assert {e.controls["s"] for e in events} == {"superreese"}


# --- what the commands print --------------------------------------------------------------


def test_printed_code_of_every_kind_of_pattern_plays_its_notes(tidal: Ghci, tmp_path: Path) -> None:
    """Generated, imported (MIDI and Tidal), mutated, crossed and evolved patterns: the code
    `show -f tidal` prints, and the record's tidal_code, evaluated exactly as printed."""
    from typer.testing import CliRunner

    from audiomancer.cli import app
    from audiomancer.patterns.midi import write_midi
    from audiomancer.patterns.store import PatternStore

    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.stderr
        return result.stdout

    def new_id(*args: str) -> str:
        return str(json.loads(run(*args, "-f", "json"))["id"])

    ids = [
        new_id("generate", "drums", "--style", "house", "--bars", "2", "--seed", "5"),
        new_id("generate", "drums", "--style", "dnb", "--seed", "2", "--kit", "808"),
        new_id("generate", "melody", "--key", "D", "--seed", "3", "--bpm", "97.5"),
        new_id("generate", "bass", "--key", "E", "--seed", "8", "--sound", "superreese"),
    ]
    source = tmp_path / "in.mid"
    write_midi(
        Pattern((Note(0, 36, 90), Note(250, 42, 60), Note(480, 38, 120)), "drums", bpm=93),
        source,
    )
    ids.append(new_id("import", str(source)))
    code = tmp_path / "mine.tidal"
    code.write_text('setcps (0.5)\n\nd1 $ s "bd*2 [~ cp]" # gain "0.9 0.7"\n')
    ids.append(new_id("import", str(code)))
    ids.append(new_id("mutate", ids[0], "--amount", "0.6", "--seed", "1"))
    ids.append(new_id("crossover", ids[0], ids[1], "--seed", "4"))
    for pattern_id in ids[:4]:
        runner.invoke(app, ["rate", pattern_id, "4"])
    evolved = json.loads(
        run("evolve", ids[0], ids[1], "--generations", "2", "--seed", "3", "-f", "json")
    )
    ids += [r["id"] for r in evolved if r["generation_method"] != "generated"][:4]
    methods = set()
    store = PatternStore()
    for pattern_id in ids:
        record = store.get(pattern_id)
        methods.add(record["generation_method"])
        printed = run("show", pattern_id, "-f", "tidal")
        assert printed == record["tidal_code"]
        check_printed(tidal, printed, record.to_pattern())
    assert methods == {"generated", "imported", "mutated", "crossover"}
