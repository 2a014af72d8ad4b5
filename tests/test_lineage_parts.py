"""The lineage's parts on their own: the record model, the JSON file, the family graph.

tests/test_lineage.py and tests/test_lineage_faults.py test the tracker as users call it; these
pin what each part promises to the others, so a part can be read and changed alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audiomancer.errors import StoreCorruptError
from audiomancer.generators import lineage, lineage_file, lineage_records, lineage_tree
from audiomancer.generators.lineage_file import LineageFile, Records
from audiomancer.generators.lineage_records import SynthRecord, new_record


def records_of(parents: dict[str, list[str]]) -> Records:
    """Records named by their ids, recorded in the order given."""
    return {
        i: SynthRecord(i, i, list(p), "mutation" if p else "generated") for i, p in parents.items()
    }


def test_the_face_still_holds_every_public_name() -> None:
    assert lineage.__all__ == [
        "GENERATION_METHODS", "ID_PREFIX", "LineageTracker", "SynthLineage", "SynthRecord",
        "default_tracker", "get_generation_stats", "get_synth_lineage", "get_top_rated",
        "normalize_method", "rate_synth", "record_synth",
    ]  # fmt: skip
    assert lineage.SynthRecord is lineage_records.SynthRecord
    assert lineage.SynthLineage is lineage_records.SynthLineage
    for name in lineage.__all__:
        assert getattr(lineage, name) is not None


def test_a_record_round_trips_through_json_with_fields_it_does_not_know() -> None:
    record = new_record("a_m1", "a_m1", ["a"], "mutated", ["Saw → Pulse"])
    stored = {**record.to_json(), "colour": "teal"}
    back = SynthRecord.from_json("a_m1", json.loads(json.dumps(stored)))
    assert back == record and back.generation_method == "mutation"
    assert back.to_json() == stored


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (("", "n", [], None, []), "invalid synth id ''"),
        (("i", "n", "tb303", None, []), "invalid parent_ids 'tb303'"),
        (("i", "n", [], None, "a line"), "invalid mutation_log 'a line'"),
        (("i", "n", [], "grown", []), "invalid generation_method 'grown'"),
    ],
)
def test_new_record_names_the_bad_argument(arguments: tuple[object, ...], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        new_record(*arguments)


def test_the_file_writes_only_what_changed(tmp_path: Path) -> None:
    file = LineageFile(tmp_path / "lineage.json")
    with file.transaction():
        pass
    assert not file.path.exists(), "a transaction that changed nothing wrote the file"
    with file.transaction() as records:
        records["a"] = SynthRecord("a", "a")
    text = file.path.read_text()
    assert json.loads(text)["format"] == lineage_file.FORMAT
    with file.transaction() as records:
        assert list(records) == ["a"]
    assert file.path.read_text() == text and not file.backup_path.exists()


def test_the_file_keeps_top_level_fields_and_reports_a_newer_version(tmp_path: Path) -> None:
    file = LineageFile(tmp_path / "lineage.json")
    file.path.write_text(json.dumps({"synths": {}, "owner": "me"}))
    with file.transaction() as records:
        records["a"] = SynthRecord("a", "a")
    assert json.loads(file.path.read_text())["owner"] == "me"
    file.path.write_text(json.dumps({"version": 2, "synths": {}}))
    with pytest.raises(StoreCorruptError, match="format version 2, this audiomancer reads 1"):
        file.load()


def test_the_tree_of_a_crossover_family() -> None:
    # a → b, a → c, (b, c) → d, d → e
    records = records_of({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": ["d"]})
    assert lineage_tree.generations(records) == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 3}
    assert lineage_tree.ancestors("d", records) == {"a", "b", "c"}
    assert lineage_tree.descendants("b", records) == {"d", "e"}
    key = lineage_tree.sort_key(records)
    assert lineage_tree.family_tree("d", {"a", "b", "c"}, records, key) == {
        "a": {"b": {"d": {}}, "c": {"d": {}}}
    }
    assert lineage_tree.expand("a", lineage_tree.children(records), key) == {
        "b": {"d": {"e": {}}},
        "c": {"d": {"e": {}}},
    }
    assert lineage_tree.find_cycle("e", lineage_tree.parent_edges(records)) is None


def test_a_cycle_is_found_as_a_path_back_to_where_it_closes() -> None:
    records = records_of({"a": ["c"], "b": ["a"], "c": ["b"], "d": ["c"]})
    assert lineage_tree.find_cycle("d", lineage_tree.parent_edges(records)) == ["c", "b", "a", "c"]


def test_top_rated_and_stats_over_records() -> None:
    records = records_of({"a": [], "b": ["a"], "c": ["a", "b"]})
    records["a"].user_rating, records["b"].user_rating, records["c"].user_rating = 4, 5, 4
    records["c"].generation_method = "crossover"
    assert [r["id"] for r in lineage_tree.top_rated(records, 10, 4)] == ["b", "c", "a"]
    assert lineage_tree.top_rated(records, 1, None)[0]["generation"] == 1
    with pytest.raises(ValueError, match="invalid limit -1"):
        lineage_tree.top_rated(records, -1, None)
    stats = lineage_tree.generation_stats(records)
    assert stats["max_generation"] == 2 and stats["avg_rating"] == 4.33
    assert (stats["mutated_synths"], stats["crossover_synths"]) == (1, 1)
