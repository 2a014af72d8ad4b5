"""The synth lineage database and library: spec examples, errors, concurrency, corruption."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from audiomancer import generators
from audiomancer.errors import PatternNotFoundError, StoreCorruptError, SynthNotFoundError
from audiomancer.generators import (
    EvolutionEngine,
    GeneratedSynth,
    LineageTracker,
    get_generation_stats,
    get_synth_lineage,
    get_top_rated,
    rate_synth,
    record_synth,
)
from audiomancer.generators.lineage import SynthRecord

STATS_KEYS = {"total_synths", "original_synths", "mutated_synths", "crossover_synths",
              "max_generation", "avg_generation", "avg_rating"}  # fmt: skip
CODE = "SynthDef(\\{name}, {{ |out = 0, freq = 440, amp = 0.1| Out.ar(out, SinOsc.ar(freq, 0, amp)) }}).add;\n"  # noqa: E501


@pytest.fixture
def tracker(tmp_path: Path) -> LineageTracker:
    return LineageTracker(tmp_path / "db" / "lineage.json")


def family(tracker: LineageTracker) -> None:
    """tb303 → tb303_m1 → tb303_m2 → (tb303_m3, tb303_m4), as in the spec's example."""
    tracker.record_synth("tb303_m1", ["tb303"], ["Saw → Pulse"])  # the class example's form
    tracker.record_synth("tb303_m2", "tb303_m2", ["tb303_m1"], "mutation", ["cutoff: 1.0 → 2.0"])
    tracker.record_synth("tb303_m3", "tb303_m3", ["tb303_m2"], "mutated", [])
    tracker.record_synth("tb303_m4", "tb303_m4", ["tb303_m2"], "mutation", [])


def test_spec_example_lineage(tracker: LineageTracker) -> None:
    family(tracker)
    assert tracker.get_lineage("tb303_m1")["ancestors"] == ["tb303"]
    assert tracker.get_lineage("tb303_m2") == {
        "synth_id": "tb303_m2",
        "ancestors": ["tb303", "tb303_m1"],
        "descendants": ["tb303_m3", "tb303_m4"],
        "generation": 2,
        "family_tree": {"tb303": {"tb303_m1": {"tb303_m2": {}}}},
    }
    root = tracker.get_lineage("tb303")
    assert root["generation"] == 0 and root["ancestors"] == []
    assert root["descendants"] == ["tb303_m1", "tb303_m2", "tb303_m3", "tb303_m4"]
    assert tracker.descendant_tree("tb303_m1") == {"tb303_m2": {"tb303_m3": {}, "tb303_m4": {}}}
    assert tracker.ancestry("tb303_m4") == ["tb303", "tb303_m1", "tb303_m2", "tb303_m4"]


def test_records_keep_what_was_recorded(tracker: LineageTracker) -> None:
    family(tracker)
    m1 = tracker.get_record("tb303_m1")
    assert (m1.name, m1.parent_ids, m1.generation_method) == ("tb303_m1", ["tb303"], "mutation")
    assert m1.mutation_log == ["Saw → Pulse"] and isinstance(m1.created_at, datetime)
    assert tracker.get_record("tb303_m3").generation_method == "mutation"  # "mutated" is an alias
    template = tracker.get_record("tb303")  # recorded lazily when first used as a parent
    assert (template.generation_method, template.parent_ids) == ("original", [])
    stored = json.loads(tracker.db_path.read_text())
    assert stored["version"] == 1 and list(stored["synths"]) == [
        "tb303", "tb303_m1", "tb303_m2", "tb303_m3", "tb303_m4",
    ]  # fmt: skip
    assert "Saw → Pulse" in tracker.db_path.read_text(encoding="utf-8")


def test_crossover_family_tree_has_both_roots(tracker: LineageTracker) -> None:
    tracker.record_synth("tb303_x_juno_pad", "tb303_x_juno_pad", ["tb303", "juno_pad"],
                         "crossover", ["Filter from juno_pad: RLPF → LPF"])  # fmt: skip
    tracker.record_synth("child_m100", "child_m100", ["tb303_x_juno_pad"], "mutation", [])
    lineage = tracker.get_lineage("child_m100")
    assert lineage["generation"] == 2
    assert lineage["ancestors"] == ["tb303", "juno_pad", "tb303_x_juno_pad"]  # oldest first
    assert lineage["family_tree"] == {
        "juno_pad": {"tb303_x_juno_pad": {"child_m100": {}}},
        "tb303": {"tb303_x_juno_pad": {"child_m100": {}}},
    }


def test_ids_accept_the_spec_prefix_and_names(tracker: LineageTracker) -> None:
    tracker.record_synth("synt_m1", "tb303_evolved_1", ["synt_tb303"], "mutation", ["Saw → Pulse"])
    assert tracker.get_record("synt_m1").parent_ids == ["tb303"]  # synt_tb303 is tb303
    assert tracker.resolve("tb303_evolved_1") == "synt_m1"
    assert tracker.resolve("synt_tb303") == "tb303"
    assert tracker.get_lineage("tb303_evolved_1")["synth_id"] == "synt_m1"


def test_rate_and_top_rated(tracker: LineageTracker) -> None:
    family(tracker)
    tracker.rate_synth("tb303_m1", 5, "Perfect acid sound!")
    tracker.rate_synth("tb303_m2", 3)
    tracker.rate_synth("tb303_m4", 4, "good")
    tracker.rate_synth("tb303_m4", 5)  # notes left out keep the old ones
    top = tracker.get_top_rated(limit=5, min_rating=4)
    assert [r["id"] for r in top] == ["tb303_m4", "tb303_m1"]  # ties: newest first
    assert top[0]["user_rating"] == 5 and top[0]["user_notes"] == "good"
    assert top[1]["generation"] == 1 and isinstance(top[1]["created_at"], datetime)
    assert [r["id"] for r in tracker.get_top_rated(limit=1)] == ["tb303_m4"]
    assert len(tracker.get_top_rated()) == 3
    tracker.rate_synth("juno_pad", 2)  # a template not recorded yet is recorded when rated
    assert tracker.get_record("juno_pad").user_rating == 2


@pytest.mark.parametrize("score", [0, 6, -1, 3.5, True, "5"])
def test_rating_outside_1_to_5_is_a_value_error(tracker: LineageTracker, score: object) -> None:
    family(tracker)
    with pytest.raises(ValueError, match="1 to 5"):
        tracker.rate_synth("tb303_m1", score)  # type: ignore[arg-type]


def test_unknown_synths_are_key_errors(tracker: LineageTracker) -> None:
    with pytest.raises(KeyError, match="nope"):
        tracker.rate_synth("nope", 3)
    with pytest.raises(SynthNotFoundError):
        tracker.get_lineage("nope")
    with pytest.raises(ValueError, match="generation_method"):
        tracker.record_synth("x", "x", [], "spliced", [])
    with pytest.raises(ValueError, match="limit"):
        tracker.get_top_rated(limit=-1)
    with pytest.raises(ValueError, match="min_rating"):
        tracker.get_top_rated(min_rating=9)
    assert not tracker.db_path.exists()  # nothing was written


def test_generation_stats(tracker: LineageTracker) -> None:
    empty = tracker.get_generation_stats()
    assert set(empty) >= STATS_KEYS
    assert (empty["total_synths"], empty["max_generation"], empty["avg_rating"]) == (0, 0, None)
    family(tracker)
    tracker.record_synth("tb303_x_juno_pad", "tb303_x_juno_pad", ["tb303", "juno_pad"],
                         "crossover", [])  # fmt: skip
    tracker.record_synth("warm_acid_bass_001", "warm_acid_bass_001", ["tb303"], "generated", [])
    tracker.rate_synth("tb303_m1", 5)
    tracker.rate_synth("tb303_m2", 4)
    stats = tracker.get_generation_stats()
    assert stats == {
        "total_synths": 8,  # the two templates, four mutants, a child, a generated synth
        "original_synths": 2,
        "mutated_synths": 4,
        "crossover_synths": 1,
        "generated_synths": 1,
        "max_generation": 3,
        "avg_generation": round((0 + 1 + 2 + 3 + 3 + 0 + 1 + 1) / 8, 2),
        "avg_rating": 4.5,
    }


def test_module_functions_use_the_default_database(audiomancer_home: Path) -> None:
    record_synth(
        "synt_m1", "tb303_m1", ["tb303"], "mutation", ["Saw → Pulse", "cutoff: 1200 → 1440"]
    )
    rate_synth("tb303_m1", 5, "Amazing acid sound")
    assert (audiomancer_home / "lineage.json").is_file()
    assert get_synth_lineage("synt_m1")["ancestors"] == ["tb303"]
    assert get_top_rated(limit=5, min_rating=4)[0]["user_rating"] == 5
    assert set(get_generation_stats()) >= STATS_KEYS
    assert {"SynthRecord", "SynthLineage", "LineageTracker"} <= set(generators.__all__)
    assert generators.__all__ == sorted(generators.__all__, key=lambda n: (n[0].islower(), n))


def test_library_save_is_idempotent_and_refuses_clashes(tracker: LineageTracker) -> None:
    synth = GeneratedSynth("tb303_m427", CODE.format(name="tb303_m427"), parent_ids=["tb303"],
                           generation_method="mutated", mutation_log=["Saw → Pulse"])  # fmt: skip
    lineage = tracker.save(synth)
    assert set(lineage) == {"id", "name", "source_code", "parent_ids", "generation_method",
                            "mutation_log", "user_rating", "user_notes", "created_at"}  # fmt: skip
    assert lineage["generation_method"] == "mutation" and lineage["parent_ids"] == ["tb303"]
    path = tracker.db_path.parent / "synths" / "tb303_m427.scd"
    assert path.read_text() == synth.source_code == tracker.source_code("synt_tb303_m427")
    assert tracker.save(synth) == lineage
    assert tracker.is_taken("tb303_m427") and tracker.is_taken("kick")
    assert not tracker.is_taken("tb303_m428")
    with pytest.raises(ValueError, match="different synth"):
        tracker.save(GeneratedSynth("tb303_m427", CODE.format(name="tb303_m427") + "// x\n"))
    with pytest.raises(ValueError, match="template"):
        tracker.save(GeneratedSynth("kick", CODE.format(name="kick")))
    assert "SinOsc" in tracker.source_code("kick") or "Env" in tracker.source_code("kick")
    assert tracker.load_synth("tb303_m427").name == "tb303_m427"


def test_corrupt_file_is_reported_and_left_untouched(tracker: LineageTracker) -> None:
    for content in (b"{not json", b"", b"[1, 2]", b'{"synths": {"x": {"name": 3}}}',
                    b'{"version": 99, "synths": {}}', b"\xff\xfe"):  # fmt: skip
        tracker.db_path.parent.mkdir(parents=True, exist_ok=True)
        tracker.db_path.write_bytes(content)
        for action in (
            lambda: tracker.record_synth("a", "a", [], "generated", []),
            lambda: tracker.rate_synth("tb303", 4),
            lambda: tracker.get_lineage("tb303"),
            tracker.get_generation_stats,
            tracker.get_top_rated,
        ):
            with pytest.raises(StoreCorruptError, match="left untouched"):
                action()
        assert tracker.db_path.read_bytes() == content


def test_writes_are_atomic(tracker: LineageTracker, monkeypatch: pytest.MonkeyPatch) -> None:
    family(tracker)
    before = tracker.db_path.read_bytes()
    backup = tracker.backup_path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk pulled out mid-write")

    monkeypatch.setattr("audiomancer.atomic.os.replace", crash)
    with pytest.raises(OSError, match="mid-write"):
        tracker.rate_synth("tb303_m1", 5)
    assert tracker.db_path.read_bytes() == before
    assert tracker.backup_path.read_bytes() == backup
    assert sorted(p.name for p in tracker.db_path.parent.iterdir()) == [
        "lineage.json", "lineage.json.bak", "lineage.json.lock",
    ]  # fmt: skip


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from audiomancer.generators.lineage import LineageTracker
    tracker = LineageTracker(Path(sys.argv[1]))
    worker = sys.argv[2]
    for index in range(25):
        tracker.record_synth(f"w{worker}_{index}", f"w{worker}_{index}", ["tb303"], "mutation",
                             [f"step {index}"])
        if index % 5 == 0:
            tracker.rate_synth(f"w{worker}_{index}", 1 + index % 5)
    """
)


def test_concurrent_processes_lose_nothing(tracker: LineageTracker) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tracker.db_path), str(n)], env=env)
        for n in range(4)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]
    records = {r.id: r for r in tracker.records()}
    assert len(records) == 4 * 25 + 1  # and tb303, recorded once as the original
    assert sum(r.user_rating is not None for r in records.values()) == 4 * 5
    assert records["w3_24"].mutation_log == ["step 24"]


def test_engine_get_lineage_falls_back_to_synths(audiomancer_home: Path) -> None:
    family(LineageTracker())
    engine = EvolutionEngine()
    assert engine.get_lineage("tb303_m2") == ["tb303", "tb303_m1", "tb303_m2"]
    assert engine.get_lineage("tb303") == ["tb303"]
    with pytest.raises(PatternNotFoundError):
        engine.get_lineage("ptrn_00000000")


def test_synth_record_dataclass_matches_the_spec() -> None:
    record = SynthRecord(id="synt_abc123", name="tb303_evolved_1", parent_ids=["tb303"],
                         generation_method="mutation", mutation_log=["Saw → Pulse"],
                         user_rating=5, user_notes="Amazing acid sound",
                         created_at=datetime.now())  # fmt: skip
    assert record.to_dict()["id"] == "synt_abc123"
    assert SynthRecord.from_json("synt_abc123", record.to_json()) == record
