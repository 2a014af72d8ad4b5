"""Tidal in: a live coder's code, evaluated by real Tidal in ghci, becomes a pattern."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.errors import EngineError, PatternFileError, TidalCodeError
from audiomancer.patterns.kits import KITS
from audiomancer.patterns.model import (
    DRUM_CLASS_BY_NAME,
    DRUM_CLASSES,
    TICKS_PER_STEP,
    Note,
    Pattern,
)
from audiomancer.patterns.store import PatternStore
from audiomancer.patterns.tidal import tidal_code
from audiomancer.tidal.ghci import Ghci, get_ghci
from audiomancer.tidal.importer import import_tidal, read_tidal_file
from conftest import need_engine
from strategies import patterns

pytestmark = pytest.mark.engines
STEP = TICKS_PER_STEP
KICK, SNARE, HAT = (DRUM_CLASS_BY_NAME[n].pitch for n in ("kick", "snare", "closed_hat"))


@pytest.fixture(scope="module")
def tidal() -> Iterator[Ghci]:
    need_engine("tidal")
    yield get_ghci()


def hits(pattern: Pattern) -> list[tuple[int, int, int]]:
    return [(n.start, n.pitch, n.velocity) for n in pattern.notes]


# --- hand-written Tidal -------------------------------------------------------------------


def test_a_stack_of_drum_lanes(tidal: Ghci) -> None:
    code = """
-- my beat
setcps (130/60/4)

d1 $ stack [ s "bd*4"
           , s "~ sn" # gain 0.8
           , s "[hh hh] [~ hh]" ]
"""
    pattern = import_tidal(code, ghci=tidal)
    assert (pattern.type, pattern.bars, pattern.bpm, pattern.kit) == ("drums", 1, 130.0, "dirt")
    v = round(127 * 0.8**2)
    assert hits(pattern) == sorted(
        [(k * 4 * STEP, KICK, 127) for k in range(4)]
        + [(8 * STEP, SNARE, v)]
        + [(0, HAT, 127), (4 * STEP, HAT, 127), (12 * STEP, HAT, 127)]
    )


def test_alternation_over_several_bars_and_sample_numbers(tidal: Ghci) -> None:
    pattern = import_tidal('d1 $ s "<bd sn> 808cy:3 [~ cp]"', bars=2, bpm=100, ghci=tidal)
    assert pattern.bars == 2 and pattern.bpm == 100.0
    ride, third = DRUM_CLASS_BY_NAME["ride"].pitch, 1920 // 3
    bar = [(0, KICK, 127), (third, ride, 127), (2 * third + third // 2, SNARE, 127)]
    second = [(1920 + start, SNARE if pitch == KICK else pitch, v) for start, pitch, v in bar]
    assert hits(pattern) == sorted(bar + second)


def test_n_and_note_give_pitches_with_gain_and_legato(tidal: Ghci) -> None:
    code = 'd1 $ n "0 [3 7] ~ 12" # s "superpiano" # gain "1 0.5" # legato 2'
    pattern = import_tidal(code, ghci=tidal)
    assert (pattern.type, pattern.sound) == ("melody", "superpiano")
    notes = [(n.start, n.pitch, n.duration) for n in pattern.notes]
    assert notes == [
        (0, 60, 960),
        (480, 63, 480),
        (720, 67, 480),
        (1440, 72, 480),
    ]  # cut at the end
    assert [n.velocity for n in pattern.notes] == [127, 127, 127, 32]
    low = import_tidal('d2 $ note "c3 e3 g3" # s "supersaw" # sustain 0.25', ghci=tidal)
    assert low.type == "bass" and [n.pitch for n in low.notes] == [36, 40, 43]
    assert {n.duration for n in low.notes} == {240}  # 0.25 s at 120 bpm
    forced = import_tidal('d1 $ note "c3 e3"  # s "arpy"', pattern_type="melody", ghci=tidal)
    assert forced.type == "melody" and forced.sound == "arpy"


def test_nudge_is_micro_timing_and_every_kit_maps(tidal: Ghci) -> None:
    pattern = import_tidal('setcps 0.5\n\nd1 $ s "bd sn" # nudge "0 0.01"', ghci=tidal)
    assert [n.start for n in pattern.notes] == [0, 960 + 10]  # 0.01 s = 10 ticks at 120 bpm
    for kit in KITS.values():
        lanes = ", ".join(f's "{v.sound}"' + v.tidal_controls() for v in kit.voices.values())
        code = f"d1 $ fastcat [{lanes}]"
        pattern = import_tidal(code, ghci=tidal, kit=kit.name)
        assert [n.pitch for n in pattern.notes] == [c.pitch for c in DRUM_CLASSES], kit.name
        assert pattern.kit == kit.name


# --- round trips of our own code ----------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pattern=patterns())
def test_our_tidal_code_round_trips(tidal: Ghci, pattern: Pattern) -> None:
    if not pattern.notes:
        return
    back = import_tidal(tidal_code(pattern), ghci=tidal)
    assert (back.type, back.bars, back.time_signature) == (
        pattern.type,
        pattern.bars,
        pattern.time_signature,
    )
    assert math.isclose(back.bpm, pattern.bpm, rel_tol=1e-12)
    assert (back.key, back.scale) == (pattern.key, pattern.scale)
    assert hits(back) == hits(pattern)
    if pattern.type != "drums":
        assert [n.duration for n in back.notes] == [n.duration for n in pattern.notes]


def test_round_trip_keeps_the_kit_and_sound(tidal: Ghci) -> None:
    notes = tuple(Note(i * STEP, c.pitch, 90) for i, c in enumerate(DRUM_CLASSES))
    for kit in KITS:
        pattern = Pattern(notes, "drums", kit=kit)
        back = import_tidal(tidal_code(pattern), ghci=tidal)
        assert hits(back) == hits(pattern) and back.kit == kit
    line = Pattern((Note(0, 40, 100, 480),), "bass", sound="superreese")
    assert import_tidal(tidal_code(line), ghci=tidal).sound == "superreese"


# --- bad input ----------------------------------------------------------------------------


def test_rejected_code_quotes_ghci_and_the_line(tidal: Ghci) -> None:
    with pytest.raises(
        TidalCodeError, match=r"line 4: Variable not in scope: nosuch :: .*'# gain \(nosuch 2\)'"
    ):
        import_tidal('setcps 0.5\n\nd1 $ s "bd"\n  # gain (nosuch 2)', ghci=tidal)
    with pytest.raises(TidalCodeError, match=r"Syntax error in sequence"):
        import_tidal('d1 $ s "bd [sn"', ghci=tidal)


def test_no_events_and_unmappable_sounds_are_named(tidal: Ghci) -> None:
    with pytest.raises(TidalCodeError, match="no events in its first 1 cycle"):
        import_tidal("d1 $ silence", ghci=tidal)
    with pytest.raises(TidalCodeError, match="no events"):
        import_tidal('let x = s "bd"', ghci=tidal)
    with pytest.raises(TidalCodeError, match=r"continuous .*\(segment 8"):
        import_tidal('d1 $ n (irand 8) # s "superpiano"', ghci=tidal)
    with pytest.raises(TidalCodeError, match=r"sounds arpy, jvbass are no drum of any kit"):
        import_tidal('d1 $ s "bd arpy jvbass"', pattern_type="drums", ghci=tidal)
    with pytest.raises(TidalCodeError, match="more than 20000 events"):
        import_tidal('d1 $ s "bd*30000"', ghci=tidal)
    with pytest.raises(TidalCodeError, match="no sound"):
        import_tidal('d1 $ n "0 1"', ghci=tidal)


def test_a_hang_times_out_and_the_next_import_works() -> None:
    need_engine("tidal")
    ghci = Ghci()
    try:
        with pytest.raises(EngineError, match=r"within 2 s \(timeout\)"):
            import_tidal('d1 $ fastcat (repeat (s "bd"))', timeout=2, ghci=ghci)
        assert hits(import_tidal('d1 $ s "bd"', ghci=ghci)) == [(0, KICK, 127)]
    finally:
        ghci.close()


def test_ghci_block_delimiters_in_the_file_are_harmless(tidal: Ghci) -> None:
    code = ':{\nd1 $ s "bd sn"\n  # gain 0.5\n:}\n'
    assert [n.start for n in import_tidal(code, ghci=tidal).notes] == [0, 960]
    with pytest.raises(TidalCodeError, match="line 3: Variable not in scope: nosuch"):
        import_tidal(':{\nd1 $ s "bd"\n  # gain (nosuch 1)\n:}', ghci=tidal)


def test_each_import_starts_from_a_clean_session(tidal: Ghci) -> None:
    import_tidal('let d1 = \\_ -> return ()\n\nd2 $ s "sn"', ghci=tidal)
    assert hits(import_tidal('d1 $ s "bd"', ghci=tidal)) == [(0, KICK, 127)]
    import_tidal('let beat = s "bd"\n\nd1 $ beat', ghci=tidal)
    with pytest.raises(TidalCodeError, match="Variable not in scope: beat"):
        import_tidal("d1 $ beat", ghci=tidal)
    import_tidal('setcps 0.7\n\nd2 $ s "sn"', ghci=tidal)  # calls only: captures are cleared
    again = import_tidal('d1 $ s "bd"', ghci=tidal)
    assert hits(again) == [(0, KICK, 127)] and again.bpm == 120.0


def test_files_that_are_not_utf8_text(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.tidal"
    bad.write_bytes('d1 $ s "bd" -- caf\xe9'.encode("latin-1"))
    with pytest.raises(PatternFileError, match=r"not UTF-8 text \(byte 0xe9 at offset 18\)"):
        read_tidal_file(bad)
    empty = tmp_path / "empty.tidal"
    empty.write_text("\n\n")
    with pytest.raises(PatternFileError, match="empty"):
        read_tidal_file(empty)


# --- the command --------------------------------------------------------------------------


def test_import_command_from_a_file_and_stdin(tidal: Ghci, tmp_path: Path) -> None:
    runner = CliRunner()
    source = tmp_path / "beat.tidal"
    source.write_text('setcps (125/60/4)\n\nd1 $ s "bd*2 hh"\n')
    result = runner.invoke(app, ["import", str(source), "-f", "tidal"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("-- audiomancer drums: 1 bar of 4/4 at 125 bpm, kit dirt")
    (record,) = PatternStore().list()
    assert record["generation_method"] == "imported" and record.bpm == 125.0
    result = runner.invoke(
        app, ["import", "-", "--type", "melody", "--bars", "2"], input='d1 $ n "0 7" # s "arpy"'
    )
    assert result.exit_code == 0, result.stderr
    assert PatternStore().list()[-1]["bars"] == 2
    result = runner.invoke(app, ["import", "-"], input='d1 $ s "[bd sn] hh" # gain (nosuch 1)')
    assert result.exit_code == 1 and "line 1: Variable not in scope: nosuch" in result.stderr
    assert "'d1 $ s \"[bd sn] hh\" # gain (nosuch 1)'" in result.stderr  # quoted whole, no markup
    assert "Traceback" not in result.stderr
    bad = tmp_path / "bad.tidal"
    bad.write_bytes(b'd1 $ s "bd" \xff')
    result = runner.invoke(app, ["import", str(bad)])
    assert result.exit_code == 1 and "not UTF-8" in result.stderr


def test_a_missing_tidal_names_the_packages(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    source = tmp_path / "beat.tidal"
    source.write_text('d1 $ s "bd"\n')
    result = subprocess.run(
        [sys.executable, "-m", "audiomancer", "import", str(source)],
        capture_output=True,
        text=True,
        env={**os.environ, "AUDIOMANCER_GHCI": "no-such-ghci"},
        timeout=120,
    )
    assert result.returncode == 1
    assert "sudo apt-get install ghc libghc-tidal-dev" in result.stderr
    assert "Traceback" not in result.stderr


def test_error_lines_stay_right_after_a_parse_error(tidal: Ghci) -> None:
    # ghci counts a block with a parse error short; the service resynchronises its count
    for _ in range(2):
        with pytest.raises(TidalCodeError, match="line 1: parse error"):
            import_tidal('// not Haskell\nnote("c e g")', ghci=tidal)
    with pytest.raises(TidalCodeError, match=r"line 4: Variable not in scope: nosuch"):
        import_tidal('setcps 0.5\n\nd1 $ s "hh"\n  # gain (nosuch 1)', ghci=tidal)


def test_a_live_coders_buffer(tidal: Ghci) -> None:
    code = """{- a set

   with blank lines in its comment -}
setcps (120/60/4)

d1 $ s "bd*2"
d2 $ s "~ sn"

d3 $ s "hh*4" # gain (cF 1 "g")

setF "g" 0.5

d4 $ nosuch $ s "cp"

hush
"""
    with pytest.warns(UserWarning) as caught:
        pattern = import_tidal(code, ghci=tidal)
    messages = [str(w.message) for w in caught]
    assert any("line 13: Variable not in scope: nosuch" in m for m in messages), messages
    assert any("ends in silence" in m for m in messages), messages
    half = round(127 * 0.5**2)
    assert hits(pattern) == sorted(
        [(0, KICK, 127), (960, KICK, 127), (960, SNARE, 127)]
        + [(i * 480, HAT, half) for i in range(4)]
    )


def test_tidal_0_names_mean_what_they_meant(tidal: Ghci) -> None:
    pattern = import_tidal('bps 0.5\n\nd1 $ e 3 8 $ s "bd" # pan sinewave1', ghci=tidal)
    assert pattern.bpm == 120.0  # bps was the old name of cycles per second
    assert [n.start for n in pattern.notes] == [0, 720, 1440]


def test_code_without_a_stated_length_imports_at_its_period(tidal: Ghci) -> None:
    assert import_tidal('d1 $ s "bd <sn cp>"', ghci=tidal).bars == 2
    assert import_tidal('d1 $ every 4 (fast 2) $ s "bd sn"', ghci=tidal).bars == 4
    assert import_tidal('d1 $ sometimes (# speed 2) $ s "bd*8"', ghci=tidal).bars == 1
    assert import_tidal('d1 $ s "bd <sn cp>"', bars=1, ghci=tidal).bars == 1
    # periods that are no power of two, and 8, which only a window of 16 cycles shows
    assert import_tidal('d1 $ s "bd <sn cp hh>"', ghci=tidal).bars == 3
    assert import_tidal('d1 $ every 3 (fast 2) $ s "bd sn"', ghci=tidal).bars == 3
    assert import_tidal('d1 $ whenmod 8 6 rev $ s "bd*2 [sn cp]"', ghci=tidal).bars == 8
    ur = 'd1 $ ur 8 "a b" [("a", s "bd*2"), ("b", s "sn*3")] []'
    assert import_tidal(ur, ghci=tidal).bars == 8
    dense = import_tidal('d1 $ s "bd*4000"', ghci=tidal)  # 8 cycles would be too many
    assert dense.bars == 1 and len(dense.notes) > 0


def test_custom_parameters_a_boottidal_would_define_are_defined(tidal: Ghci) -> None:
    code = 'd1 $ s "bd*2" # sizeMin 12 # figure "rect" # color "0519f5"\n  # gain "0.5 1"'
    with pytest.warns(UserWarning, match=r"color \(pS\), figure \(pS\), sizeMin \(pF\)"):
        pattern = import_tidal(code, ghci=tidal)
    assert hits(pattern) == [(0, KICK, round(127 * 0.5**2)), (960, KICK, 127)]


def test_drums_and_pitched_sounds_import_the_side_most_events_play(tidal: Ghci) -> None:
    code = 'd1 $ stack [s "bd*4", s "hh27*2"]\n\nd2 $ n "0 7" # s "superpiano"'
    with pytest.warns(
        UserWarning, match=r"imported the drums; left out 2 event\(s\) of superpiano"
    ):
        drums = import_tidal(code, ghci=tidal)
    assert (drums.type, len(drums.notes)) == ("drums", 6)
    assert {n.pitch for n in drums.notes} == {KICK, HAT}  # hh27: Dirt-Samples' 808 hats
    code = 'd1 $ n "0 2 4 5 7" # s "superpiano"\n\nd2 $ s "~ cp"'
    with pytest.warns(UserWarning, match=r"imported the pitched sounds; left out 1 drum event"):
        tune = import_tidal(code, ghci=tidal)
    assert [n.pitch for n in tune.notes] == [60, 62, 64, 65, 67]
    assert len(import_tidal(code, pattern_type="melody", ghci=tidal).notes) == 6


def test_freq_is_a_pitch_and_events_without_a_sound_are_left_out(tidal: Ghci) -> None:
    code = 'd1 $ freq "440 220 261.63" # s "superhex"\n\nd12 $ grid "1 0"'
    with pytest.warns(UserWarning) as caught:
        pattern = import_tidal(code, ghci=tidal)
    assert [n.pitch for n in pattern.notes] == [69, 57, 60]
    assert any("left out 2 event(s) with no sound" in str(w.message) for w in caught)


def test_tidal_1_9_names_this_tidal_lacks(tidal: Ghci) -> None:
    rolled = import_tidal('d1 $ rolled $ n "[0,4,7]" # s "superpiano"', ghci=tidal)
    assert [(n.start, n.pitch) for n in rolled.notes] == [(0, 60), (160, 64), (320, 67)]
    for trigger in ("qtrigger", "qtrigger 1", 'qtrigger "d1"', "trigger", "mtrigger 4"):
        pattern = import_tidal(f'd1 $ {trigger} $ s "bd sn"', ghci=tidal)
        assert hits(pattern) == [(0, KICK, 127), (960, SNARE, 127)], trigger
    # Tidal's documentation uses Data.Map qualified as Map
    fixed = import_tidal(
        'd1 $ fixRange (# gain 0.5) (pure $ Map.singleton "note" (VN 0, VN 7))'
        ' $ s "superpiano" <| note "1 12"',
        ghci=tidal,
    )
    assert [n.velocity for n in fixed.notes] == [round(127 * 0.5**2), 127]
    swung = import_tidal(
        'd1 $ whenT ((< 0.5) . (flip mod\' 2)) (# gain 0.5) $ sound "bd sn"', ghci=tidal
    )
    assert [n.velocity for n in swung.notes][:2] == [round(127 * 0.5**2)] * 2


def test_the_period_holds_through_the_rounding_of_continuous_values(tidal: Ghci) -> None:
    # slow 4 saw sampled at 1/24 of a cycle reads 1e-16 apart in cycles 0 and 4 (Doubles):
    # the gains still repeat every 4 cycles, and so does the pattern
    code = 'd1 $ n "[0 4 2] [4 1]" # s "superpiano" # gain (range 0.5 1 $ slow 4 saw)'
    pattern = import_tidal(code, ghci=tidal)
    assert pattern.bars == 4
    assert len({n.velocity for n in pattern.notes}) > 5


def test_a_nudge_past_the_end_of_the_loop_sounds_at_its_start(tidal: Ghci) -> None:
    # at 120 bpm a bar is 2 s: bd*4 nudged 0.9 s plays at 0.9, 1.4, 1.9 and 2.4 s, which a
    # loop plays at 0.4 s of every bar (as Tidal does from the second cycle on)
    pattern = import_tidal('d1 $ s "bd*4" # nudge 0.9', ghci=tidal)
    assert [n.start for n in pattern.notes] == [384, 864, 1344, 1824]
    early = import_tidal('d1 $ s "bd sn" # nudge "-0.5"', ghci=tidal)
    assert [(n.start, n.pitch) for n in early.notes] == [(480, SNARE), (1440, KICK)]


def test_sample_folders_named_for_their_drum_are_that_drum(tidal: Ghci) -> None:
    # the kick, snare and clap folders of the Tidal Club's sample pack (tidal-doc's course)
    pattern = import_tidal('d1 $ s "kick snare*2 clap:4"', ghci=tidal)
    assert pattern.type == "drums"
    assert [(n.start, n.pitch) for n in pattern.notes] == [
        (0, KICK),
        (640, SNARE),
        (960, SNARE),
        (1280, SNARE),  # a clap is the snare class, as the kits' cp is
    ]


def test_values_that_are_no_number_or_no_loudness_are_named(tidal: Ghci) -> None:
    with pytest.raises(TidalCodeError, match=r"n nan at cycle 0 is not a finite number"):
        import_tidal('d1 $ n (0/0) # s "superpiano"', ghci=tidal)
    with pytest.raises(TidalCodeError, match=r"gain inf at cycle 0 is not a finite number"):
        import_tidal('d1 $ s "bd*2" # gain (1/0)', ghci=tidal)
    # sine - 0.5 dips below 0: no velocity is that quiet
    with pytest.raises(TidalCodeError, match=r"gain -0.5 at cycle 0.5 is below 0, which no"):
        import_tidal('d1 $ s "bd*2" # gain (sine - 0.5)', ghci=tidal)


def test_a_cps_control_sets_the_tempo_as_it_plays(tidal: Ghci) -> None:
    # # cps sets the global tempo when its event plays, after any setcps
    pattern = import_tidal('setcps 0.5\n\nd1 $ s "bd*2" # cps 0.75', ghci=tidal)
    assert pattern.bpm == 180.0
    with pytest.warns(UserWarning, match=r"set cps to 2 values \(0.5, 1\); the pattern keeps"):
        varying = import_tidal('d1 $ s "bd*4" # cps "0.5 1"', ghci=tidal)
    assert varying.bpm == 120.0
