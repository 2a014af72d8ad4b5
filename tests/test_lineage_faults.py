"""The lineage file under odd contents: deep nesting, unknown fields, cycles, deep lineages."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.errors import StoreCorruptError, SynthNotFoundError
from audiomancer.generators import EvolutionEngine, LineageTracker


@pytest.fixture
def tracker(tmp_path: Path) -> LineageTracker:
    return LineageTracker(tmp_path / "db" / "lineage.json")


def write_db(tracker: LineageTracker, synths: dict[str, Any], **top: Any) -> None:
    tracker.db_path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": "audiomancer.lineage", "version": 1, **top, "synths": synths}
    tracker.db_path.write_text(json.dumps(data))


def entry(*parents: str, **more: Any) -> dict[str, Any]:
    return {
        "name": "x", "parent_ids": list(parents), "generation_method": "mutation",
        "mutation_log": [], "user_rating": None, "user_notes": None,
        "created_at": "2025-01-31T12:00:00+00:00", **more,
    }  # fmt: skip


def test_deeply_nested_json_is_reported_as_corrupt(tracker: LineageTracker) -> None:
    tracker.db_path.parent.mkdir(parents=True)
    content = b"[" * 200_000 + b"]" * 200_000
    tracker.db_path.write_bytes(content)
    for action in (tracker.records, lambda: tracker.rate_synth("tb303", 3)):
        with pytest.raises(StoreCorruptError, match=r"nested too deeply.*left untouched"):
            action()
    assert tracker.db_path.read_bytes() == content


def test_unknown_fields_are_kept_on_writing(tracker: LineageTracker) -> None:
    write_db(
        tracker,
        {"a": {**entry("tb303"), "name": "a", "colour": "red"}},
        written_by="a newer audiomancer",
    )
    tracker.rate_synth("a", 4)
    tracker.record_synth("b", "b", ["a"], "mutation", [])
    data = json.loads(tracker.db_path.read_text())
    assert data["written_by"] == "a newer audiomancer"
    assert data["synths"]["a"]["colour"] == "red"
    assert data["synths"]["a"]["user_rating"] == 4


def test_writing_keeps_the_file_mode_and_new_files_follow_the_umask(
    tracker: LineageTracker,
) -> None:
    old = os.umask(0o027)
    try:
        tracker.record_synth("a", "a", ["tb303"], "mutation", [])
        assert stat.S_IMODE(tracker.db_path.stat().st_mode) == 0o640
        tracker.db_path.chmod(0o604)
        tracker.rate_synth("a", 2)
        assert stat.S_IMODE(tracker.db_path.stat().st_mode) == 0o604
    finally:
        os.umask(old)


def test_the_last_good_file_is_kept_as_bak(tracker: LineageTracker) -> None:
    tracker.record_synth("a", "a", ["tb303"], "mutation", [])
    first = tracker.db_path.read_bytes()
    tracker.rate_synth("a", 5)
    assert tracker.backup_path.read_bytes() == first
    assert tracker.backup_path.name == "lineage.json.bak"
    second = tracker.db_path.read_bytes()
    tracker.rate_synth("a", 5)  # no change: nothing is written
    assert tracker.backup_path.read_bytes() == first and tracker.db_path.read_bytes() == second


def test_a_parent_cycle_is_reported(tracker: LineageTracker, audiomancer_home: Path) -> None:
    write_db(tracker, {"a": {**entry("tb303", "b"), "name": "a"}, "b": {**entry("a"), "name": "b"}})
    for call in (lambda: tracker.get_lineage("a"), lambda: tracker.descendant_tree("tb303")):
        with pytest.raises(StoreCorruptError, match=r"a parent cycle: (a → b → a|b → a → b)"):
            call()
    home_db = LineageTracker()
    home_db.db_path.write_bytes(tracker.db_path.read_bytes())
    result = CliRunner().invoke(app, ["synth", "tree", "a"])
    assert result.exit_code == 1
    assert "a parent cycle" in result.stderr
    assert tracker.get_generation_stats()["total_synths"] == 2  # stats still work


def test_record_synth_refuses_unknown_and_self_parents(tracker: LineageTracker) -> None:
    with pytest.raises(SynthNotFoundError, match="unknown parent 'nope' of synth 'a'"):
        tracker.record_synth("a", "a", ["nope"], "mutation", [])
    with pytest.raises(ValueError, match="'a' cannot be its own parent"):
        tracker.record_synth("a", "a", ["a"], "mutation", [])
    assert not tracker.db_path.exists()


def test_re_recording_is_refused_unless_identical(tracker: LineageTracker) -> None:
    tracker.record_synth("a", "a", ["tb303"], "mutation", ["Saw → Pulse"])
    tracker.rate_synth("a", 5)
    tracker.record_synth("a", "a", ["tb303"], "mutation", ["Saw → Pulse"])  # the same: fine
    with pytest.raises(ValueError, match="already recorded with a different lineage"):
        tracker.record_synth("a", "a", ["tb303"], "mutation", ["something else"])
    record = tracker.get_record("a")
    assert (record.mutation_log, record.user_rating) == (["Saw → Pulse"], 5)


def test_ten_thousand_generations(tracker: LineageTracker, audiomancer_home: Path) -> None:
    depth = 10_000
    synths = {f"g{n}": {**entry(f"g{n - 1}" if n > 1 else "tb303"), "name": f"g{n}"}
    for n in range(1, depth + 1)}  # fmt: skip
    synths["tb303"] = {**entry(), "name": "tb303", "generation_method": "original"}
    write_db(tracker, synths)
    lineage = tracker.get_lineage(f"g{depth}")
    assert lineage["generation"] == depth
    assert lineage["ancestors"][:2] == ["tb303", "g1"] and len(lineage["ancestors"]) == depth
    levels, node = 0, tracker.descendant_tree("tb303")
    while node:
        ((_, node),) = node.items()
        levels += 1
    assert levels == depth
    assert tracker.get_generation_stats()["max_generation"] == depth
    tracker.record_synth("next", "next", [f"g{depth}"], "mutation", [])
    assert tracker.get_lineage("next")["generation"] == depth + 1

    LineageTracker().db_path.write_bytes(tracker.db_path.read_bytes())
    assert EvolutionEngine().get_lineage(f"g{depth}")[-2:] == [f"g{depth - 1}", f"g{depth}"]
    result = CliRunner().invoke(app, ["synth", "tree", "g5000"])
    assert result.exit_code == 0, result.output
    # above g5000: tb303, g1 … g5000; below: g5001 … g10000, next (5001 each, 6 shown)
    assert result.stdout.count("… 4995 more generations …") == 2
    assert "g4999" in result.stdout and "g5000" in result.stdout and "next" in result.stdout


def test_stale_temporary_files_are_swept_young_ones_kept(tracker: LineageTracker) -> None:
    tracker.record_synth("a", "a", ["tb303"], "mutation", [])
    old = tracker.db_path.parent / ".lineage.json.dead1234.tmp"
    young = tracker.db_path.parent / ".lineage.json.busy5678.tmp"
    old_scd = tracker.library_dir / ".a.scd.dead1234.tmp"
    other = tracker.db_path.parent / ".notes.txt.dead1234.tmp"
    tracker.library_dir.mkdir(parents=True, exist_ok=True)
    for path in (old, young, old_scd, other):
        path.write_text("half")
    for path in (old, old_scd, other):
        os.utime(path, (time.time() - 120, time.time() - 120))
    tracker.rate_synth("a", 3)
    assert (old.exists(), young.exists(), old_scd.exists(), other.exists()) == (
        False, True, False, True,
    )  # fmt: skip


def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "lineage.json"
    script = textwrap.dedent(
        f"""
        import os, time
        from pathlib import Path
        from audiomancer import atomic
        from audiomancer.cli.app import exit_on_signals
        exit_on_signals()
        def slow(fd):
            print("writing", flush=True)
            time.sleep(60)
        atomic.os.fsync = slow
        atomic.atomic_write_text(Path({str(target)!r}), "new")
        """
    )
    src = Path(__file__).resolve().parents[1] / "src"
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(src)},
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "writing\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    process.terminate()
    assert process.wait(30) == 128 + 15
    assert list(tmp_path.iterdir()) == []
