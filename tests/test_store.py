"""PatternStore: records with every spec key, ratings, filters, real concurrent processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from audiomancer.errors import PatternNotFoundError, StoreCorruptError
from audiomancer.patterns.metadata import is_pattern_id
from audiomancer.patterns.model import Note, Pattern
from audiomancer.patterns.store import PatternStore

SPEC_KEYS = {
    "id", "type", "midi_data", "tidal_code", "sc_code", "style", "key", "scale", "bpm", "bars",
    "parent_ids", "generation_method", "mutation_amount", "user_rating", "user_notes",
    "created_at",
}  # fmt: skip


def melody(first_pitch: int = 60) -> Pattern:
    notes = tuple(Note(i * 240, first_pitch + i, 90, 240) for i in range(8))
    return Pattern(notes, "melody", bars=1, bpm=100, key="C", scale="chromatic", style="test")


def beat() -> Pattern:
    return Pattern((Note(0, 36), Note(480, 38)), "drums", bpm=125, style="techno")


def test_put_and_get_give_every_spec_key_by_item_and_attribute() -> None:
    store = PatternStore()
    record = store.put(beat())
    assert is_pattern_id(record.id)
    fetched = store.get(record.id)
    assert fetched == record
    assert set(fetched) >= SPEC_KEYS
    assert fetched["type"] == fetched.type == "drums"
    assert fetched.bpm == 125.0 and fetched["bars"] == 1
    assert fetched.parent_ids == [] and fetched.generation_method == "generated"
    assert isinstance(fetched.created_at, datetime)
    assert fetched.to_pattern() == beat()
    assert "d1" in fetched.tidal_code and "Pbind" in fetched.sc_code


def test_lineage_fields_and_deterministic_ids_are_kept() -> None:
    store = PatternStore()
    parent = store.put(melody())
    child = store.put(
        melody(62),
        parent_ids=[parent.id],
        generation_method="mutated",
        mutation_amount=0.3,
        mutation_log=["swap notes 1 and 2"],
        pattern_id="ptrn_0000abcd",
    )
    again = store.put(melody(64), pattern_id="ptrn_0000abcd")
    assert again == child  # the same seeded id returns the stored record unchanged
    got = store.get("ptrn_0000abcd")
    assert got.parent_ids == [parent.id]
    assert (got.mutation_amount, got.mutation_log) == (0.3, ["swap notes 1 and 2"])
    with pytest.raises(ValueError, match="invalid pattern id 'x'"):
        store.put(melody(), pattern_id="x")
    with pytest.raises(ValueError, match="invalid generation_method 'bred'"):
        store.put(melody(), generation_method="bred")


def test_a_batch_stores_new_ids_in_order_and_returns_known_ones_unchanged() -> None:
    store = PatternStore()
    known = store.put(melody(70), pattern_id="ptrn_00000001")
    patterns = [melody(60 + i) for i in range(6)]
    ids = [None, "ptrn_00000002", "ptrn_00000001", None, "ptrn_00000002", "ptrn_00000003"]
    batch = store.put_many(patterns, pattern_ids=ids, mutation_log=["batch"])
    assert batch[2] == known and batch[2] is not known  # already stored: unchanged
    assert batch[4] == batch[1] and batch[4] is not batch[1]  # the first of a repeated id
    assert batch[1].to_pattern() == patterns[1]
    fresh = [batch[0].id, batch[3].id]
    assert all(is_pattern_id(i) for i in fresh) and len(set(fresh)) == 2
    listed = [r.id for r in store.list()]
    assert listed == ["ptrn_00000001", fresh[0], "ptrn_00000002", fresh[1], "ptrn_00000003"]
    for record in batch:
        assert store.get(record.id) == record
    assert store.get(fresh[1]).mutation_log == ["batch"]
    assert store.get("ptrn_00000001").mutation_log == []


def test_a_batch_larger_than_one_lookup_is_stored_whole() -> None:
    store = PatternStore()
    ids = [f"ptrn_{i:08x}" for i in range(1200)]
    first = store.put_many([beat()] * 700, pattern_ids=ids[:700])
    again = store.put_many([melody()] * 1200, pattern_ids=ids)  # 700 known, 500 new
    assert again[:700] == first and [r.type for r in again[700:]] == ["melody"] * 500
    assert len(store) == 1200 and [r.id for r in store.list()] == ids
    assert len({r.id for r in store.put_many([beat()] * 600)}) == 600


def test_missing_ids_raise_pattern_not_found() -> None:
    store = PatternStore()
    for action in (store.get, store.delete, lambda i: store.rate(i, 3)):
        with pytest.raises(PatternNotFoundError, match="ptrn_deadbeef"):
            action("ptrn_deadbeef")


def test_rate_with_notes_and_range_check() -> None:
    store = PatternStore()
    record = store.put(beat())
    rated = store.rate(record.id, 4, "good groove")
    assert (rated.user_rating, rated.user_notes) == (4, "good groove")
    assert store.rate(record.id, 5).user_notes == "good groove"  # notes kept unless replaced
    for bad in (0, 6, 3.5, True):
        with pytest.raises(ValueError, match="invalid rating"):
            store.rate(record.id, bad)  # type: ignore[arg-type]


def test_list_filter_top_rated_and_delete() -> None:
    store = PatternStore()
    drums = [store.put(beat()) for _ in range(3)]
    tune = store.put(melody())
    assert [r.id for r in store.list()] == [*(d.id for d in drums), tune.id]
    assert [r.id for r in store.list(pattern_type="melody")] == [tune.id]
    assert len(store.list(limit=2)) == 2
    store.rate(drums[1].id, 5)
    store.rate(drums[0].id, 2)
    store.rate(tune.id, 4)
    assert [r.id for r in store.top_rated()] == [drums[1].id, tune.id, drums[0].id]
    assert [r.id for r in store.top_rated("drums", limit=1)] == [drums[1].id]
    store.delete(drums[2].id)
    assert drums[2].id not in store and len(store) == 3
    with pytest.raises(ValueError, match="invalid pattern type 'jazz'"):
        store.list(pattern_type="jazz")


def test_a_corrupt_database_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "patterns.sqlite3"
    garbage = b"this is not sqlite" * 100
    path.write_bytes(garbage)
    with pytest.raises(StoreCorruptError, match="is not an SQLite database"):
        PatternStore(path).list()
    assert path.read_bytes() == garbage


def test_records_survive_a_new_process(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite3"
    record = PatternStore(path).put(beat())
    script = f"from audiomancer.patterns.store import PatternStore; " \
             f"print(PatternStore({str(path)!r}).get({record.id!r})['bpm'])"  # fmt: skip
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.strip() == "125.0", result.stderr


def test_concurrent_processes_lose_no_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    worker = textwrap.dedent(
        f"""
        import sys
        from audiomancer.patterns.model import Note, Pattern
        from audiomancer.patterns.store import PatternStore
        store = PatternStore({str(path)!r})
        worker = int(sys.argv[1])
        for i in range(15):
            record = store.put(Pattern((Note(i * 120, 36),), "drums", style=f"w{{worker}}"))
            store.rate(record.id, 1 + (i % 5), f"worker {{worker}}")
        """
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", worker, str(n)], stderr=subprocess.PIPE)
        for n in range(4)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()
    records = PatternStore(path).list()
    assert len(records) == 60
    assert len({r.id for r in records}) == 60
    assert all(r.user_rating is not None for r in records)
    assert sorted({r.style for r in records}) == ["w0", "w1", "w2", "w3"]
