"""EvolutionEngine on the PatternStore: lineage, determinism across processes, selection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from audiomancer.errors import IncompatiblePatternsError, PatternNotFoundError
from audiomancer.generators.evolution import EvolutionEngine
from audiomancer.patterns.model import Note, Pattern
from audiomancer.patterns.steps import parse_steps
from audiomancer.patterns.store import PatternStore

BEAT = "kick: x...x...x...x...x...x...x...x... snare: ....x.......x.......x.......x..."


def stored_beat(store: PatternStore, extra: str = "") -> str:
    return store.put(parse_steps(BEAT + extra, "drums", bpm=125, style="techno")).id


def test_mutate_pattern_stores_a_child_with_lineage_and_fresh_exports() -> None:
    engine = EvolutionEngine()
    parent = stored_beat(engine.store)
    child = engine.mutate_pattern(parent, amount=0.5, seed=42)
    assert child["parent_ids"] == [parent]
    assert child["mutation_amount"] == 0.5
    assert child["generation_method"] == "mutated"
    assert child["mutation_log"]
    assert engine.store.get(child.id) == child
    assert child.midi_data != engine.store.get(parent).midi_data
    assert child.tidal_code and child.sc_code
    assert child.to_pattern().style == "techno"


def test_same_seed_same_child_even_in_another_process(tmp_path: Path) -> None:
    engine = EvolutionEngine()
    parent = stored_beat(engine.store)
    here = engine.mutate_pattern(parent, 0.4, seed=7)
    assert engine.mutate_pattern(parent, 0.4, seed=7) == here  # idempotent: same record
    assert engine.mutate_pattern(parent, 0.4, seed=8).id != here.id

    # A second store in another folder, built from the same input, in a new process.
    other = tmp_path / "other.sqlite3"
    script = (
        "import json, sys\n"
        "from audiomancer.generators.evolution import EvolutionEngine\n"
        "from audiomancer.patterns.store import PatternStore\n"
        "from audiomancer.patterns.midi import from_midi_data\n"
        f"store = PatternStore({str(other)!r})\n"
        f"p = from_midi_data({engine.store.get(parent).midi_data!r}, style='techno')\n"
        f"store.put(p, pattern_id={parent!r})\n"
        f"c = EvolutionEngine(store).mutate_pattern({parent!r}, 0.4, seed=7)\n"
        "print(json.dumps([c.id, c.midi_data, c.tidal_code, c.sc_code, c.mutation_log]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        here.id, here.midi_data, here.tidal_code, here.sc_code, here.mutation_log,
    ]  # fmt: skip


def test_crossover_patterns_records_both_parents() -> None:
    engine = EvolutionEngine()
    a = stored_beat(engine.store)
    b = stored_beat(engine.store, " hh: x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.")
    hybrid = engine.crossover_patterns(a, b, seed=42)
    assert hybrid["parent_ids"] == [a, b]
    assert hybrid["generation_method"] == "crossover"
    hats = [n for n in hybrid.to_pattern().notes if n.pitch == 42]
    assert hats and min(n.start for n in hats) == 1920  # the bars after the cut come from b


def test_unknown_ids_and_incompatible_patterns() -> None:
    engine = EvolutionEngine()
    a = stored_beat(engine.store)
    waltz = engine.store.put(Pattern((Note(0, 36),), "drums", 2, time_signature=(3, 4))).id
    tune = engine.store.put(Pattern((Note(0, 60),), "melody", 2)).id
    with pytest.raises(PatternNotFoundError, match="ptrn_00000000"):
        engine.mutate_pattern("ptrn_00000000")
    with pytest.raises(PatternNotFoundError):
        engine.crossover_patterns(a, "ptrn_00000000")
    with pytest.raises(IncompatiblePatternsError, match="time signatures"):
        engine.crossover_patterns(a, waltz)
    with pytest.raises(IncompatiblePatternsError, match="types"):
        engine.crossover_patterns(a, tune)
    with pytest.raises(ValueError, match="invalid amount 2"):
        engine.mutate_pattern(a, amount=2)


def test_get_lineage_runs_from_root_to_item_and_stops_at_missing_ancestors() -> None:
    engine = EvolutionEngine()
    root = stored_beat(engine.store)
    gen1 = engine.mutate_pattern(root, seed=1).id
    gen2 = engine.mutate_pattern(gen1, seed=2).id
    gen3 = engine.mutate_pattern(gen2, seed=3).id
    assert engine.get_lineage(gen3) == [root, gen1, gen2, gen3]
    assert engine.get_lineage(root) == [root]
    engine.store.delete(gen1)
    assert engine.get_lineage(gen3) == [gen2, gen3]


def test_rank_by_rating_filters_by_type() -> None:
    engine = EvolutionEngine()
    beats = [stored_beat(engine.store) for _ in range(3)]
    tune = engine.store.put(Pattern((Note(0, 60),), "melody")).id
    for pattern_id, score in zip([*beats, tune], [3, 5, 1, 4], strict=True):
        engine.store.rate(pattern_id, score)
    top = engine.rank_by_rating(pattern_type="drums", limit=2)
    assert [p.id for p in top] == [beats[1], beats[0]]
    assert top[0]["user_rating"] == 5
    assert [p.id for p in engine.rank_by_rating()][:2] == [beats[1], tune]


def test_fitness_is_rating_else_parents_mean_else_neutral() -> None:
    engine = EvolutionEngine()
    a, b = stored_beat(engine.store), stored_beat(engine.store)
    engine.store.rate(a, 5)
    engine.store.rate(b, 2)
    child = engine.crossover_patterns(a, b, seed=1)
    grandchild = engine.mutate_pattern(child.id, seed=1)
    assert engine.fitness(child) == 3.5
    assert engine.fitness(grandchild) == 3.5
    assert engine.fitness(engine.store.get(stored_beat(engine.store))) == 3.0


def test_evolve_population_grows_keeps_lineage_and_is_reproducible() -> None:
    engine = EvolutionEngine()
    initial = [stored_beat(engine.store, f" hh: {'x.' * i}") for i in range(1, 5)]
    for pattern_id, score in zip(initial, [5, 4, 2, 1], strict=True):
        engine.store.rate(pattern_id, score)
    final = engine.evolve_population(initial, 5, 0.3, 0.2, seed=42)
    assert len(final) > len(initial)
    assert [p.id for p in final[:4]] == initial
    children = final[4:]
    assert all(p.generation_method in ("mutated", "crossover") for p in children)
    assert all(set(p.parent_ids) <= {q.id for q in final} for p in children)
    assert len({p.id for p in final}) == len(final)
    # Only the top half breeds: the two worst-rated patterns are never anyone's parent.
    assert not {initial[2], initial[3]} & {i for p in children for i in p.parent_ids}
    again = engine.evolve_population(initial, 5, 0.3, 0.2, seed=42)
    assert [p.id for p in again] == [p.id for p in final]


def test_evolve_population_arguments_are_checked() -> None:
    engine = EvolutionEngine()
    a = stored_beat(engine.store)
    assert engine.evolve_population([a], generations=0) == [engine.store.get(a)]
    with pytest.raises(ValueError, match=r"invalid mutation_rate 1\.5"):
        engine.evolve_population([a], mutation_rate=1.5)
    with pytest.raises(ValueError, match="invalid generations -1"):
        engine.evolve_population([a], generations=-1)
    with pytest.raises(ValueError, match="invalid population"):
        engine.evolve_population([])
    with pytest.raises(PatternNotFoundError):
        engine.evolve_population([a, "ptrn_00000000"])
    lone = engine.evolve_population([a], 3, mutation_rate=1.0, seed=1)
    assert len(lone) == 4  # a single pattern evolves too: one new mutant per generation
    assert engine.get_lineage(lone[-1].id)[0] == a


def test_validate_mutated_synth_compiles_with_real_sclang(monkeypatch: pytest.MonkeyPatch) -> None:
    from audiomancer.errors import EngineNotFoundError
    from conftest import need_engine

    need_engine("sclang")
    engine = EvolutionEngine()
    # The spec's two examples (as SuperCollider code: `\test` is a symbol, hence raw strings).
    assert engine.validate_mutated_synth(r"SynthDef(\test, { Out.ar(0, SinOsc.ar(440)); })")
    assert not engine.validate_mutated_synth(r"SynthDef(\test, { invalid syntax )")
    assert not engine.validate_mutated_synth(r"SynthDef(\test, { Out.ar(0, NoSuchUGen.ar) })")
    assert not engine.validate_mutated_synth("1 + 2")  # compiles, but is no SynthDef
    monkeypatch.setenv("AUDIOMANCER_SCLANG", "no-such-sclang")
    with pytest.raises(EngineNotFoundError, match="supercollider-language"):
        engine.validate_mutated_synth(r"SynthDef(\test, { Out.ar(0, SinOsc.ar(440)); })")
