"""The Pbind codec, checked by running its code in real sclang and comparing every event."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings

from audiomancer.patterns.model import (
    DRUM_CLASS_BY_NAME,
    DRUM_CLASS_BY_PITCH,
    DRUM_CLASSES,
    TICKS_PER_BEAT,
    TICKS_PER_STEP,
    Note,
    Pattern,
)
from audiomancer.patterns.pbind import (
    amp_to_velocity,
    drum_instrument,
    drum_level,
    pbind_code,
    sc_number,
    sc_symbol,
    velocity_to_amp,
)
from audiomancer.supercollider import lang
from audiomancer.supercollider.lang import PbindEvent
from conftest import need_engine
from strategies import patterns

pytestmark = pytest.mark.engines

ONSET_TOLERANCE = 1e-9  # beats: Ppar computes deltas as differences of float times


@pytest.fixture(autouse=True)
def sclang() -> None:
    need_engine("sclang")


def play(pattern: Pattern, instrument: str | None = None) -> list[PbindEvent]:
    """Every event the pattern's Pbind code yields in sclang."""
    code = pbind_code(pattern, instrument)
    assert lang.validate(code), code
    return lang.pbind_events(code, limit=10 * len(pattern.notes) + 100)


def expected_instrument(pattern: Pattern, note_pitch: int, instrument: str) -> str:
    if pattern.type == "drums" and instrument == "default":
        return drum_instrument(DRUM_CLASS_BY_PITCH[note_pitch].name)
    return instrument


def event_level(pattern: Pattern, note_pitch: int, instrument: str) -> float:
    """The amp of velocity 127 for an event: a kit drum's level, else 1."""
    if pattern.type == "drums" and instrument == "default":
        return drum_level(DRUM_CLASS_BY_PITCH[note_pitch].name)
    return 1.0


def check_plays_exactly(pattern: Pattern, instrument: str = "default") -> None:
    """Each note is exactly one sounding event, at its time, pitch, length and loudness, on its
    instrument (drums: the drum SynthDef of its class, which the code itself defines)."""
    events = play(pattern, None if instrument == "default" else instrument)
    if pattern.type == "drums" and instrument == "default" and pattern.notes:
        defined = set(lang.compile_synthdefs(pbind_code(pattern)))
        assert {e.instrument for e in events if not e.is_rest} <= defined
    sounding = [e for e in events if not e.is_rest]
    played = []
    for event in sounding:
        ticks = event.onset * TICKS_PER_BEAT
        assert abs(event.onset - round(ticks) / TICKS_PER_BEAT) < ONSET_TOLERANCE, event
        assert event.midinote is not None and event.midinote.is_integer(), event
        assert event.instrument == expected_instrument(pattern, int(event.midinote), instrument)
        level = event_level(pattern, int(event.midinote), instrument)
        velocity = amp_to_velocity(event.amp, level)
        played.append((round(ticks), int(event.midinote), event.sustain, velocity))
        # amp follows the velocity exactly on the Tidal export's curve (as sclang computes it)
        assert event.amp == velocity_to_amp(velocity, level)
    expected = [
        (note.start, note.pitch, note.duration / TICKS_PER_BEAT, note.velocity)
        for note in pattern.notes
    ]
    assert sorted(played) == sorted(expected)  # sustain compared exactly, as floats
    total = math.fsum(event.delta for event in events)
    assert total == pytest.approx(pattern.length / TICKS_PER_BEAT, abs=ONSET_TOLERANCE)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns())
def test_every_note_plays_exactly_once(pattern: Pattern) -> None:
    check_plays_exactly(pattern)


# --- examples ----------------------------------------------------------------------------


def beat(n: float) -> int:
    return round(n * TICKS_PER_BEAT)


def test_four_on_the_floor() -> None:
    kick = DRUM_CLASS_BY_NAME["kick"].pitch
    hat = DRUM_CLASS_BY_NAME["closed_hat"].pitch
    notes = [Note(beat(i), kick, 110) for i in range(4)]
    notes += [Note(beat(i + 0.5), hat, 70) for i in range(4)]
    pattern = Pattern(notes=tuple(notes), type="drums", bpm=128)
    code = pbind_code(pattern)
    assert code.count("Pbind(") == 2 and "Ppar([" in code
    assert "// kick (GM 36)" in code and "// closed_hat (GM 42)" in code
    assert "Rest(0.5)" in code  # the hats start half a beat late
    sounding = [e for e in play(pattern) if not e.is_rest]
    kicks = [e.onset for e in sounding if e.midinote == kick]
    hats = [e.onset for e in sounding if e.midinote == hat]
    assert kicks == [0.0, 1.0, 2.0, 3.0]
    assert hats == [0.5, 1.5, 2.5, 3.5]
    check_plays_exactly(pattern)


def test_a_monophonic_line_is_one_pbind() -> None:
    notes = (Note(0, 48, 100, 360), Note(beat(1), 51, 80, 120), Note(beat(2.75), 55, 127, 600))
    pattern = Pattern(notes=notes, type="bass", bars=1, key="C", scale="minor")
    code = pbind_code(pattern)
    assert code.count("Pbind(") == 1 and "Ppar" not in code
    events = play(pattern)
    assert [(e.onset, e.midinote, e.sustain) for e in events] == [
        (0.0, 48.0, 0.75),
        (1.0, 51.0, 0.25),
        (2.75, 55.0, 1.25),
    ]
    assert [e.dur for e in events] == [1.0, 1.75, 1.25]  # the last runs to the pattern's end
    assert [amp_to_velocity(e.amp) for e in events] == [100, 80, 127]


def test_a_chord_needs_lanes() -> None:
    chord = (Note(0, 60, 90, 960), Note(0, 64, 90, 960), Note(0, 67, 90, 480))
    pattern = Pattern(notes=(*chord, Note(beat(1), 72, 60, 120)), type="melody")
    code = pbind_code(pattern)
    assert code.count("Pbind(") == 3
    check_plays_exactly(pattern)


def test_micro_timing_is_exact() -> None:
    notes = (Note(7, 60, 100, 113), Note(TICKS_PER_STEP * 5 - 31, 62, 100, 1))
    pattern = Pattern(notes=notes, type="melody", time_signature=(7, 8), bars=2)
    code = pbind_code(pattern)
    assert "(7/480)" in code and "(113/480)" in code
    events = [e for e in play(pattern) if not e.is_rest]
    assert events[0].onset == 7 / 480
    assert events[0].sustain == 113 / 480
    assert events[1].sustain == 1 / 480
    check_plays_exactly(pattern)


def test_an_empty_pattern_is_silent_but_lasts() -> None:
    pattern = Pattern(notes=(), type="drums", bars=2, time_signature=(3, 4))
    events = play(pattern)
    assert all(e.is_rest for e in events)
    assert math.fsum(e.delta for e in events) == 6.0


def test_instrument() -> None:
    pattern = Pattern(notes=(Note(0, 60), Note(beat(2), 62)), type="melody")
    assert "\\instrument, \\default" in pbind_code(pattern)
    assert "\\instrument, \\tb303" in pbind_code(pattern, "tb303")
    check_plays_exactly(pattern, "tb303")
    check_plays_exactly(pattern, "odd 'name' \\ here")
    with pytest.raises(ValueError, match="control character"):
        pbind_code(pattern, "bad\nname")


def test_the_header_says_what_it_is() -> None:
    pattern = Pattern(
        notes=(Note(0, 40),),
        type="bass",
        bars=3,
        bpm=97.5,
        time_signature=(6, 8),
        key="F#",
        scale="minor",
        style="dub\n).play; // injected",
    )
    code = pbind_code(pattern)
    header = [line for line in code.splitlines() if line.startswith("//")]
    assert "bass, 3 bars of 6/8 at 97.5 bpm, F# minor" in header[0]
    assert "velocity / 127" in code
    assert "TempoClock(97.5 / 60)" in code
    assert "\\tempo" not in code  # tempo is the clock's business, see the module docs
    assert all(line.startswith("//") or "injected" not in line for line in code.splitlines())
    check_plays_exactly(pattern)


def test_a_long_busy_pattern() -> None:
    hat = DRUM_CLASS_BY_NAME["closed_hat"].pitch
    steps = 64 * 16
    notes = tuple(Note(i * TICKS_PER_STEP, hat, 1 + i % 127, 60) for i in range(steps))
    notes += tuple(
        Note(i * 4 * TICKS_PER_STEP, c.pitch, 100) for i in range(8) for c in DRUM_CLASSES[:2]
    )
    check_plays_exactly(Pattern(notes=notes, type="drums", bars=64))


def test_printed_drum_code_plays_drum_synthdefs_it_defines() -> None:
    """The stored sc_code, exactly as printed: every drum class's events play a drum SynthDef
    that the code itself adds, never the default synth, and the code names its variable."""
    from audiomancer.patterns.store import PatternStore

    notes = tuple(Note(i * TICKS_PER_STEP, c.pitch, 90) for i, c in enumerate(DRUM_CLASSES))
    code = PatternStore().put(Pattern(notes, "drums", bpm=125))["sc_code"]
    defined = lang.compile_synthdefs(code)
    events = [e for e in lang.pbind_events(code) if not e.is_rest]
    assert len(events) == len(DRUM_CLASSES)
    for event in events:
        assert event.midinote is not None
        drum = DRUM_CLASS_BY_PITCH[int(event.midinote)]
        assert event.instrument == drum_instrument(drum.name) == f"am_{drum.name}"
        assert event.instrument in defined, (event.instrument, sorted(defined))
    assert "~pattern = Ppar([" in code
    assert "//   s.waitForBoot { ~pattern.play(TempoClock(125 / 60)) };" in code
    # the play line is code that runs in sclang once the block has been evaluated
    play_line = next(line for line in code.splitlines() if "waitForBoot" in line)
    assert lang.validate(play_line.removeprefix("//").strip())


# --- mappings ----------------------------------------------------------------------------


def test_drum_pbinds_play_the_render_and_tidal_velocity_curve() -> None:
    from audiomancer.patterns.tidal import velocity_to_gain
    from audiomancer.supercollider import kit, nrt
    from audiomancer.supercollider.pattern_render import compile_cached

    velocities = [1, 40, 64, 100, 127]
    hats = DRUM_CLASS_BY_NAME["closed_hat"].pitch
    snare = DRUM_CLASS_BY_NAME["snare"].pitch
    notes = [Note(beat(i), snare if i % 2 else hats, v) for i, v in enumerate(velocities)]
    pattern = Pattern(notes=tuple(notes), type="drums", bars=2)
    voices = kit.default_kit()
    levels = {}
    for drum in ("closed_hat", "snare"):
        # the level is the kit SynthDef's own default amp, as sclang compiles it
        header = nrt.read_synthdef_header(compile_cached(voices[drum].source(), 30.0))
        assert header.controls["amp"] == pytest.approx(drum_level(drum), rel=1e-7)
        levels[DRUM_CLASS_BY_NAME[drum].pitch] = header.controls["amp"]
    sounding = sorted((e for e in play(pattern) if not e.is_rest), key=lambda e: e.onset)
    assert len(sounding) == len(velocities)
    for event, velocity in zip(sounding, velocities, strict=True):
        assert event.midinote is not None
        # what the render sends for this hit: the voice's level * (v / 127) ** 2 ...
        rendered = levels[int(event.midinote)] * kit.velocity_amp(velocity)
        assert event.amp == pytest.approx(rendered, rel=1e-6)
        # ... which is Tidal's: SuperDirt plays gain ** 4 (gain rounded to 3 places)
        tidal = levels[int(event.midinote)] * velocity_to_gain(velocity) ** 4
        assert event.amp == pytest.approx(tidal, rel=0.02)
    relative = [e.amp / levels[int(e.midinote or 0)] for e in sounding]
    assert relative[2] == pytest.approx((64 / 127) ** 2)  # squared: half velocity, quarter amp


def test_velocity_and_amp_round_trip() -> None:
    for velocity in range(1, 128):
        assert amp_to_velocity(velocity_to_amp(velocity)) == velocity
        assert amp_to_velocity(velocity_to_amp(velocity, 0.7), 0.7) == velocity
    assert velocity_to_amp(127) == 1.0
    assert velocity_to_amp(64) == pytest.approx((64 / 127) ** 2)
    assert amp_to_velocity(0.0) == 1 and amp_to_velocity(3.0) == 127
    with pytest.raises(ValueError):
        velocity_to_amp(128)
    with pytest.raises(ValueError):
        amp_to_velocity(math.nan)


def test_numbers_are_exact_in_sclang() -> None:
    values = [Fraction(n, TICKS_PER_BEAT) for n in range(0, 4000, 7)] + [Fraction(1, 3)]
    literals = [sc_number(v) for v in values]
    assert sc_number(Fraction(1, 4)) == "0.25"
    assert sc_number(Fraction(7, 480)) == "(7/480)"
    assert sc_number(Fraction(3)) == "3"
    printed = lang.evaluate(f"[{', '.join(literals)}].collect {{ |x| x.asFloat.asStringPrec(17) }}")
    parsed = [float(x) for x in re.findall(r'"([^"]*)"', printed)]
    assert parsed == [float(v) for v in values]


def test_symbols() -> None:
    assert sc_symbol("tb303") == "\\tb303"
    for name in ["a 'b' \\c", "Ünïcode", "x\\'"]:
        codes = lang.evaluate(
            f"{sc_symbol(name)}.asString.ascii % 256"
        )  # sclang's chars are signed
        assert codes == "[ " + ", ".join(str(b) for b in name.encode()) + " ]"
