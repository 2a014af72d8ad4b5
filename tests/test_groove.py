"""Swing and groove: swing as micro-timing, kept by mutation and crossover, carried by exports."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.evolution.pattern_ops import add_notes, crossover, shift_timing
from audiomancer.generators.patterns import PatternGenerator
from audiomancer.patterns.groove import (
    HOUSE_SWING,
    MAX_OFFSET,
    apply_swing,
    estimate_swing,
    offset_of,
    position_offsets,
    swing_offset,
)
from audiomancer.patterns.midi import midi_bytes, read_midi
from audiomancer.patterns.model import TICKS_PER_STEP, Note, Pattern, merge_overlaps, step_of
from audiomancer.patterns.steps import parse_steps
from audiomancer.patterns.store import PatternStore
from audiomancer.patterns.tidal import tidal_code
from audiomancer.supercollider import library, nrt
from audiomancer.tidal.ghci import Ghci
from audiomancer.tidal.importer import import_tidal
from conftest import need_engine
from strategies import patterns
from test_pbind import check_plays_exactly
from test_tidal import check_code, tidal

__all__ = ["tidal"]  # the real-Tidal fixture

HATS = "kick: x...x...x...x... closed_hat: xxxxxxxxxxxxxxxx snare: ....x.......x..."


def test_sixteenth_swing_delays_every_second_sixteenth() -> None:
    pattern = parse_steps(HATS, "drums")
    swung = apply_swing(pattern, 66)
    hats = [n for n in swung.notes if n.pitch == 42]
    assert [n.start - i * TICKS_PER_STEP for i, n in enumerate(hats)] == [0, 38] * 8
    kicks = [n.start for n in swung.notes if n.pitch == 36]
    assert kicks == [0, 480, 960, 1440]  # on-beat hits stay on the grid
    assert swing_offset(1, 58) == 19 and swing_offset(1, 54) == 10
    assert estimate_swing(swung) == pytest.approx(50 + 50 * 38 / 120)


def test_swing_is_a_share_of_the_grid_at_any_tempo() -> None:
    slow, fast = parse_steps(HATS, "drums", bpm=90), parse_steps(HATS, "drums", bpm=174)
    assert [n.start for n in apply_swing(slow, 60).notes] == [
        n.start for n in apply_swing(fast, 60).notes
    ]


def test_straight_is_the_identity_and_75_stays_on_its_step() -> None:
    pattern = parse_steps(HATS, "drums")
    assert apply_swing(pattern, 50) == pattern
    hardest = apply_swing(pattern, 75)
    assert max(offset_of(n) for n in hardest.notes) == MAX_OFFSET
    assert [step_of(n.start) for n in hardest.notes] == [step_of(n.start) for n in pattern.notes]


def test_eighth_swing_moves_the_offbeat_eighth() -> None:
    pattern = parse_steps("closed_hat: x.x.x.x.x.x.x.x.", "drums")
    swung = apply_swing(pattern, 62.5, grid=8)
    assert [n.start % 480 for n in swung.notes] == [0, 300] * 4
    assert swing_offset(1, 62.5, 8) == 30  # the 16th between follows the stretched half


@pytest.mark.parametrize("bad", [49.9, 76, -1, float("nan"), True, "60"])
def test_bad_swing_is_a_value_error_naming_it(bad: object) -> None:
    with pytest.raises(ValueError, match="invalid swing"):
        apply_swing(parse_steps(HATS, "drums"), bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=repr(bad) if isinstance(bad, str) else "swing"):
        PatternGenerator(PatternStore()).generate_drums("basic", 1, swing=bad)  # type: ignore[arg-type]


def test_bad_swing_grid() -> None:
    with pytest.raises(ValueError, match="invalid swing grid 4"):
        apply_swing(parse_steps(HATS, "drums"), 60, grid=4)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(patterns(), st.floats(50, 75), st.sampled_from([8, 16]))
def test_swing_always_gives_a_valid_pattern_with_every_note(
    pattern: Pattern, percent: float, grid: int
) -> None:
    swung = apply_swing(pattern, percent, grid)  # type: ignore[arg-type]
    assert len(swung.notes) <= len(pattern.notes)
    # Only notes of one pitch that land on one tick merge.
    assert len({(n.pitch, n.start) for n in swung.notes}) == len(swung.notes)
    if grid == 16:  # every hit stays on its step
        assert {(n.pitch, step_of(n.start)) for n in swung.notes} == {
            (n.pitch, step_of(n.start)) for n in pattern.notes
        }


def test_house_shuffles_by_default_and_swing_50_straightens_it() -> None:
    generator = PatternGenerator(PatternStore())
    # (swing is heard on the 16ths: seed 4 gives a house beat with many)
    house = generator.generate_drums("house", 2, seed=4).to_pattern()
    straight = generator.generate_drums("house", 2, seed=4, swing=50).to_pattern()
    techno = generator.generate_drums("techno", 2, seed=3).to_pattern()
    assert all(offset_of(n) == 0 for n in straight.notes)
    assert all(offset_of(n) == 0 for n in techno.notes)
    assert estimate_swing(house) == pytest.approx(HOUSE_SWING, abs=0.5)
    assert {(n.pitch, step_of(n.start)) for n in house.notes} == {
        (n.pitch, step_of(n.start)) for n in straight.notes
    }


def test_swing_changes_the_id_and_is_deterministic() -> None:
    generator = PatternGenerator(PatternStore())
    a = generator.generate_drums("basic", 2, seed=4, swing=62)
    b = generator.generate_drums("basic", 2, seed=4, swing=62)
    c = generator.generate_drums("basic", 2, seed=4)
    assert a.id == b.id != c.id
    assert a["midi_data"] == b["midi_data"]


def test_swing_round_trips_through_midi() -> None:
    swung = apply_swing(parse_steps(HATS, "drums", bpm=123), 61)
    back = read_midi(midi_bytes(swung))
    assert [(n.start, n.pitch, n.velocity) for n in back.notes] == [
        (n.start, n.pitch, n.velocity) for n in swung.notes
    ]


# --- mutation keeps the groove ------------------------------------------------------------


def long_swung(percent: float = 64, bars: int = 4) -> Pattern:
    one = parse_steps(HATS, "drums", bpm=124)
    notes = [Note(n.start + b * 1920, n.pitch, n.velocity, n.duration)
             for b in range(bars) for n in one.notes]  # fmt: skip
    return apply_swing(Pattern(tuple(notes), "drums", bars, 124.0), percent)


def test_shift_timing_keeps_the_swing_and_every_step() -> None:
    swung = long_swung()
    for seed in range(5):
        shifted, log = shift_timing(swung, random.Random(seed), 0.3)
        assert log
        assert estimate_swing(shifted) == pytest.approx(estimate_swing(swung), abs=3)
        assert sorted(step_of(n.start) for n in shifted.notes) == sorted(
            step_of(n.start) for n in swung.notes
        )


def test_added_notes_take_the_groove_of_their_place() -> None:
    swung = long_swung()
    sparse = swung.with_notes(n for n in swung.notes if n.pitch != 36)
    grown, log = add_notes(sparse.with_notes(n for n in sparse.notes if step_of(n.start) % 4 != 3),
                           random.Random(1), 1.0)  # fmt: skip
    assert log
    added = [n for n in grown.notes if step_of(n.start) % 4 == 3]
    assert added and all(offset_of(n) == position_offsets(swung)[1] for n in added)


def test_crossover_takes_each_halfs_offsets_with_its_notes() -> None:
    first, second = long_swung(60), long_swung(70)
    # A pushed downbeat in the second parent (just before the cut) comes with the second half.
    pushed = second.with_notes(merge_overlaps(
        [Note(n.start - 10, n.pitch, n.velocity, n.duration) if n.start % 1920 == 0 and n.start
         else n for n in second.notes]
    ))  # fmt: skip
    child, _ = crossover(first, pushed, random.Random(0))
    cut = next(t for t in (1920, 3840, 5760) if any(n.start == t - 10 for n in child.notes))
    for note in child.notes:
        source = first if step_of(note.start) * TICKS_PER_STEP < cut else pushed
        assert any(n.start == note.start and n.pitch == note.pitch for n in source.notes), note
    head = child.with_notes(n for n in child.notes if n.start < cut - 60)
    assert estimate_swing(head) == pytest.approx(estimate_swing(first), abs=0.5)
    assert {step_of(n.start) for n in child.notes} == {step_of(n.start) for n in first.notes}


# --- every export carries the groove ------------------------------------------------------


def swung_house() -> Pattern:
    generator = PatternGenerator(PatternStore())
    return generator.generate_drums("house", 2, bpm=122, seed=4, swing=66).to_pattern()


@pytest.mark.engines
def test_tidal_plays_the_swing_and_imports_it_back(tidal: Ghci) -> None:
    pattern = swung_house()
    assert estimate_swing(pattern) > 60
    events = check_code(tidal, pattern)  # every event at its tick, nudge included
    assert any("nudge" in e.controls for e in events)
    back = import_tidal(tidal_code(pattern), ghci=tidal)
    assert [(n.start, n.pitch, n.velocity) for n in back.notes] == [
        (n.start, n.pitch, n.velocity) for n in pattern.notes
    ]


@pytest.mark.engines
def test_sclang_plays_the_swing() -> None:
    need_engine("sclang")
    check_plays_exactly(swung_house())


def test_cli_swing_option() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["generate", "drums", "--bars", "1", "--seed", "4", "--swing", "64", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    pattern = PatternStore().get(record["id"]).to_pattern()
    assert estimate_swing(pattern) == pytest.approx(50 + 50 * 34 / 120)
    bad = runner.invoke(app, ["generate", "drums", "--swing", "80"])
    assert bad.exit_code == 1 and "invalid swing 80.0" in bad.stderr


@pytest.mark.engines
def test_rendered_audio_carries_the_swing(tmp_path: Path) -> None:
    # A swung 8-hit hat line rendered by scsynth: every hit starts where its tick says.
    need_engine("scsynth")
    pattern = apply_swing(parse_steps("closed_hat: xxxxxxxx........", "drums", bpm=100), 66)
    path = tmp_path / "hats.wav"
    nrt.render(library.template_source("hihat"), pattern, path, tail=0.3)
    samples, rate = nrt.read_wav(path)
    loud = np.abs(samples).max(axis=1) > 1e-3
    quiet = rate // 100  # an onset is the first loud sample after 10 ms of silence
    onsets = [i for i in range(len(loud)) if loud[i] and not loud[max(0, i - quiet) : i].any()]
    expected = [n.start * pattern.seconds_per_tick() for n in pattern.notes]
    assert len(onsets) == len(expected)
    for found, wanted in zip(onsets, expected, strict=True):
        assert abs(found / rate - wanted) < 0.002, (found / rate, wanted)
    gaps = np.diff(expected)
    assert gaps[0] > gaps[1] * 1.5  # long-short: the shuffle is audible
