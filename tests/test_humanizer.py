"""The learned humanizer: deterministic, bounded, identity at 0, stored with lineage, exported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.errors import ModelLoadError, PatternNotFoundError
from audiomancer.generators.evolution import EvolutionEngine
from audiomancer.generators.patterns import PatternGenerator
from audiomancer.models.humanizer import (
    FORMAT,
    STYLES,
    WEIGHTS_FILE,
    humanize,
    load_humanizer,
    validate_style,
)
from audiomancer.patterns.groove import MAX_OFFSET, apply_swing, estimate_swing, offset_of
from audiomancer.patterns.model import TICKS_PER_STEP, Note, Pattern, step_of
from audiomancer.patterns.steps import parse_steps
from audiomancer.patterns.store import PatternStore
from audiomancer.patterns.tidal import tidal_code
from audiomancer.tidal.ghci import Ghci
from audiomancer.tidal.importer import import_tidal
from conftest import need_engine
from strategies import patterns
from test_pbind import check_plays_exactly
from test_tidal import check_code, tidal

__all__ = ["tidal"]  # the real-Tidal fixture

ROCK = "kick: x.......x.x..... snare: ....x.......x... closed_hat: x.x.x.x.x.x.x.x."


def rock(bars: int = 4, bpm: float = 110.0) -> Pattern:
    one = parse_steps(ROCK, "drums", bpm=bpm)
    notes = [Note(n.start + b * one.length, n.pitch, n.velocity, n.duration)
             for b in range(bars) for n in one.notes]  # fmt: skip
    return Pattern(tuple(notes), "drums", bars, bpm)


def test_amount_zero_is_the_identity() -> None:
    pattern = apply_swing(rock(), 60)
    assert humanize(pattern, 0.0, seed=3) == pattern
    assert humanize(pattern, 0, seed=3, style="jazz") == pattern


def test_same_seed_same_result_other_seed_other_result() -> None:
    pattern = rock()
    a, b, c = humanize(pattern, 1.0, 5), humanize(pattern, 1.0, 5), humanize(pattern, 1.0, 6)
    assert a == b != c
    assert a != pattern
    assert {(n.pitch, step_of(n.start)) for n in a.notes} == {
        (n.pitch, step_of(n.start)) for n in pattern.notes
    }


def test_same_seed_same_bytes_in_another_process() -> None:
    code = (
        "from audiomancer.models.humanizer import humanize\n"
        "from audiomancer.patterns.midi import to_midi_data\n"
        "from audiomancer.patterns.steps import parse_steps\n"
        f"p = parse_steps({ROCK!r}, 'drums', bpm=97)\n"
        "print(to_midi_data(humanize(p, 0.8, 123, 'funk')))\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    from audiomancer.patterns.midi import to_midi_data

    here = to_midi_data(humanize(parse_steps(ROCK, "drums", bpm=97), 0.8, 123, "funk"))
    assert runs[0].stdout == runs[1].stdout == here + "\n"


@settings(max_examples=80, deadline=None)
@given(
    patterns("drums"),
    st.floats(0, 1),
    st.integers(0, 2**32),
    st.sampled_from([None, *STYLES, "house", "dnb"]),
)
def test_offsets_stay_within_half_a_sixteenth(
    pattern: Pattern, amount: float, seed: int, style: str | None
) -> None:
    result = humanize(pattern, amount, seed, style)
    assert len(result.notes) <= len(pattern.notes)
    for note in result.notes:
        assert -TICKS_PER_STEP // 2 <= offset_of(note) <= MAX_OFFSET
        assert 1 <= note.velocity <= 127


def test_half_amount_lies_between() -> None:
    pattern = rock()
    full, half = humanize(pattern, 1.0, 9), humanize(pattern, 0.5, 9)

    def by_place(p: Pattern) -> list[Note]:  # notes in the order of their grid places
        return sorted(p.notes, key=lambda n: (step_of(n.start), n.pitch))

    for original, f, h in zip(*map(by_place, (pattern, full, half)), strict=True):
        assert abs(offset_of(h) - offset_of(f) / 2) <= 1
        assert abs(h.velocity - (original.velocity + f.velocity) / 2) <= 1


def test_it_learned_a_drummer_not_noise() -> None:
    # Averaged over many draws: hats on the beat are played louder than on the off-beat 8ths,
    # the snare's backbeat is loud, and the hats are pushed ahead of the grid (Groove MIDI's
    # drummers play ahead of the click).
    pattern = rock(8)
    on: list[int] = []
    off: list[int] = []
    snare: list[int] = []
    hat_offsets: list[int] = []
    for seed in range(40):
        for note in humanize(pattern, 1.0, seed).notes:
            if note.pitch == 42:
                (on if step_of(note.start) % 4 == 0 else off).append(note.velocity)
                hat_offsets.append(offset_of(note))
            elif note.pitch == 38:
                snare.append(note.velocity)
    assert np.mean(on) > np.mean(off) + 3
    assert np.mean(snare) > np.mean(on) + 20
    assert np.mean(hat_offsets) < -5


def test_swing_survives_humanizing() -> None:
    swung = apply_swing(rock(8), 66)
    sixteenths = swung.with_notes(
        [*swung.notes, *(Note(s * 120 + 38, 42, 80, 60) for s in range(1, swung.total_steps, 2))]
    )
    played = humanize(sixteenths, 0.5, 1)
    assert estimate_swing(played) > 60


def test_bad_input_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match=r"invalid amount 1\.5"):
        humanize(rock(), 1.5)
    with pytest.raises(ValueError, match="invalid seed -1"):
        humanize(rock(), 1.0, -1)
    with pytest.raises(ValueError, match="invalid humanizer style 'polka'"):
        humanize(rock(), 1.0, 1, "polka")
    melody = parse_steps("C4 D4 E4", "melody")
    with pytest.raises(ValueError, match="'melody'"):
        humanize(melody)
    assert validate_style("House") == "dance" and validate_style(None) is None


def test_broken_weights_are_a_model_load_error(tmp_path: Path) -> None:
    broken = tmp_path / "humanizer.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError, match=r"humanizer\.npz"):
        load_humanizer(broken)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, format=np.array(FORMAT), velocity_weights=np.zeros(3))
    with pytest.raises(ModelLoadError, match="velocity_weights"):
        load_humanizer(wrong)
    old = tmp_path / "old.npz"
    np.savez(old, format=np.array("audiomancer.humanizer/0"))
    with pytest.raises(ModelLoadError, match="format"):
        load_humanizer(old)
    assert WEIGHTS_FILE.stat().st_size < 100_000  # small enough to ship


# --- stored with lineage -------------------------------------------------------------------


def test_engine_stores_a_humanized_child() -> None:
    store = PatternStore()
    parent = store.put(rock())
    sixteenths = store.put(parse_steps("closed_hat: xxxxxxxxxxxxxxxx", "drums"))
    engine = EvolutionEngine(store)
    child = engine.humanize_pattern(parent.id, 0.7, seed=2)
    again = engine.humanize_pattern(parent.id, 0.7, seed=2)
    other = engine.humanize_pattern(parent.id, 0.7, seed=3)
    assert child.id == again.id != other.id
    assert child.parent_ids == [parent.id]
    assert child["generation_method"] == "humanized"
    assert child["mutation_amount"] == 0.7
    assert child["mutation_log"] and "Humanized" in child["mutation_log"][0]
    assert engine.get_lineage(child.id) == [parent.id, child.id]
    assert child.to_pattern() == humanize(rock(), 0.7, 2)
    swung = engine.humanize_pattern(sixteenths.id, 0.0, seed=2, swing=62)
    assert estimate_swing(swung.to_pattern()) > 58


def test_engine_errors() -> None:
    store = PatternStore()
    engine = EvolutionEngine(store)
    with pytest.raises(PatternNotFoundError):
        engine.humanize_pattern("ptrn_00000000", 1.0, 1)
    melody = store.put(parse_steps("C4 D4", "melody"))
    with pytest.raises(ValueError, match="drum patterns"):
        engine.humanize_pattern(melody.id, 1.0, 1)
    drums = store.put(rock())
    with pytest.raises(ValueError, match=r"invalid amount -0\.1"):
        engine.humanize_pattern(drums.id, -0.1, 1)
    with pytest.raises(ValueError, match="invalid swing 90"):
        engine.humanize_pattern(drums.id, 1.0, 1, swing=90)


def test_generate_drums_humanize_option() -> None:
    generator = PatternGenerator(PatternStore())
    plain = generator.generate_drums("techno", 2, seed=8)
    played = generator.generate_drums("techno", 2, seed=8, humanize=1.0)
    again = generator.generate_drums("techno", 2, seed=8, humanize=1.0)
    assert played.id == again.id != plain.id
    assert played["midi_data"] == again["midi_data"]
    a, b = plain.to_pattern(), played.to_pattern()
    assert {(n.pitch, step_of(n.start)) for n in a.notes} == {
        (n.pitch, step_of(n.start)) for n in b.notes
    }
    assert any(offset_of(n) for n in b.notes)
    with pytest.raises(ValueError, match="invalid amount 2"):
        generator.generate_drums("techno", 2, seed=8, humanize=2)
    batch = generator.generate_drums("house", 2, seed=8, humanize=0.5, n=2)
    single = generator.generate_drums("house", 2, seed=9, humanize=0.5)
    assert batch[1].id == single.id and batch[1]["midi_data"] == single["midi_data"]


def test_cli_humanize_and_generate_option() -> None:
    runner = CliRunner()
    parent = PatternStore().put(rock())
    args = ["humanize", parent.id, "--amount", "0.6", "--seed", "4", "--style", "funk"]
    result = runner.invoke(app, [*args, "-f", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["generation_method"] == "humanized" and record["parent_ids"] == [parent.id]
    assert "Humanized" in result.stderr
    made = runner.invoke(
        app, ["generate", "drums", "--bars", "1", "--seed", "2", "--humanize", "1", "-f", "json"]
    )
    assert made.exit_code == 0, made.output
    bad = runner.invoke(app, ["humanize", parent.id, "--amount", "3"])
    assert bad.exit_code == 1 and "invalid amount 3.0" in bad.stderr


# --- every export carries the groove -------------------------------------------------------


def humanized_house() -> Pattern:
    generator = PatternGenerator(PatternStore())
    return generator.generate_drums("house", 2, bpm=124, seed=4, humanize=1.0).to_pattern()


@pytest.mark.engines
def test_tidal_plays_the_humanized_groove_and_imports_it_back(tidal: Ghci) -> None:
    pattern = humanized_house()
    assert sum(1 for n in pattern.notes if offset_of(n)) > len(pattern.notes) // 2
    check_code(tidal, pattern)
    back = import_tidal(tidal_code(pattern), ghci=tidal)
    assert [(n.start, n.pitch, n.velocity) for n in back.notes] == [
        (n.start, n.pitch, n.velocity) for n in pattern.notes
    ]


@pytest.mark.engines
def test_sclang_plays_the_humanized_groove() -> None:
    need_engine("sclang")
    check_plays_exactly(humanized_house())
