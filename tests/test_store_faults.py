"""PatternStore under faults: readers never wait on writers; corrupt files are reported, unused."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.errors import StoreBusyError, StoreCorruptError
from audiomancer.patterns.model import Note, Pattern
from audiomancer.patterns.store import SCHEMA_VERSION, PatternStore


def beat(i: int = 0) -> Pattern:
    notes = tuple(Note(n * 120, (36, 38, 42)[(n + i) % 3]) for n in range(16))
    return Pattern(notes, "drums", bpm=120, style=f"s{i}")


def filled(path: Path, count: int = 40) -> list[str]:
    store = PatternStore(path)
    ids = [store.put(beat(i)).id for i in range(count)]
    store.close()
    return ids


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def finishes(work: Callable[[], object], within: float = 10.0) -> object:
    """work's result, run in a thread; fails if it has not finished within the bound."""
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work())
        except BaseException as error:  # re-raised below
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(within)
    assert not thread.is_alive(), "the call waited on the writer"
    if errors:
        raise errors[0]
    return results[0]


@pytest.fixture
def writer_holding_the_lock(tmp_path: Path) -> tuple[Path, list[str], sqlite3.Connection]:
    path = tmp_path / "patterns.sqlite3"
    ids = filled(path, 3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE patterns SET user_rating = 5")  # uncommitted
    return path, ids, holder


# --- readers and writers ----------------------------------------------------------------


def test_reads_complete_while_a_writer_holds_the_lock(
    writer_holding_the_lock: tuple[Path, list[str], sqlite3.Connection],
) -> None:
    path, ids, holder = writer_holding_the_lock
    store = PatternStore(path)  # a fresh store: opening it must not write either
    assert finishes(lambda: [r.id for r in store.list()]) == ids
    assert finishes(lambda: len(store)) == 3
    assert finishes(lambda: store.get(ids[0]).user_rating) is None  # the last committed state
    assert finishes(lambda: store.top_rated()) == []
    assert holder.in_transaction
    holder.execute("COMMIT")
    assert [r.user_rating for r in store.list()] == [5, 5, 5]


def test_a_writer_kept_waiting_is_told_the_store_is_busy_not_corrupt(
    writer_holding_the_lock: tuple[Path, list[str], sqlite3.Connection],
) -> None:
    path, ids, holder = writer_holding_the_lock
    store = PatternStore(path, busy_timeout=0.2)
    for write in (lambda: store.put(beat()), lambda: store.rate(ids[0], 3)):
        with pytest.raises(StoreBusyError, match="is busy") as caught:
            write()
        message = str(caught.value)
        assert str(path) in message and "locked" in message
        assert "rollback" not in message and "damaged" not in message
    holder.execute("ROLLBACK")
    assert store.rate(ids[0], 3).user_rating == 3


def test_reading_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "patterns.sqlite3"
    ids = filled(path, 3)
    before = digest(path), path.stat().st_mtime_ns
    store = PatternStore(path)
    store.list(), store.get(ids[1]), len(store), store.top_rated(), ids[0] in store
    store.close()
    assert (digest(path), path.stat().st_mtime_ns) == before


def test_reading_a_store_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new" / "patterns.sqlite3"
    store = PatternStore(path)
    assert (store.list(), len(store), "ptrn_00000000" in store) == ([], 0, False)
    assert not path.parent.exists()
    store.put(beat())
    assert len(PatternStore(path)) == 1
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_an_older_store_is_migrated_by_the_first_write_only(tmp_path: Path) -> None:
    path = tmp_path / "patterns.sqlite3"
    ids = filled(path, 2)
    with sqlite3.connect(path) as connection:  # the version 1 layout: no kit, no sound
        connection.execute("ALTER TABLE patterns DROP COLUMN kit")
        connection.execute("ALTER TABLE patterns DROP COLUMN sound")
        connection.execute("PRAGMA user_version = 1")
    connection.close()
    before = digest(path)
    store = PatternStore(path)
    assert [(r.id, r.kit) for r in store.list()] == [(i, None) for i in ids]
    store.close()
    assert digest(path) == before
    store = PatternStore(path)
    store.put(beat(9))
    store.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = {row[1] for row in connection.execute("PRAGMA table_info(patterns)")}
        indexes = {row[1] for row in connection.execute("PRAGMA index_list(patterns)")}
    connection.close()
    assert {"kit", "sound"} <= columns
    assert "patterns_by_seq" in indexes  # each insert numbers itself by MAX(seq)
    assert len(PatternStore(path).list()) == 3


_READ_ONLY_CHECK = """
import sys
from pathlib import Path
from audiomancer.errors import StoreAccessError
from audiomancer.patterns.model import Note, Pattern
from audiomancer.patterns.store import PatternStore
store = PatternStore(Path(sys.argv[1]))
print(",".join(r.id for r in store.list()))
try:
    store.put(Pattern(tuple(Note(n * 120, 36) for n in range(16)), "drums", bpm=120))
except StoreAccessError as error:
    print(error)
"""


def test_a_store_in_a_read_only_folder_is_readable_and_writes_say_why(tmp_path: Path) -> None:
    """Run where the folder really is read-only: chmod for a normal user; for root (whom modes
    do not stop) a read-only bind mount in a private mount namespace."""
    path = tmp_path / "ro" / "patterns.sqlite3"
    path.parent.mkdir()
    ids = filled(path, 2)
    before = sorted(p.name for p in path.parent.iterdir())
    command = [sys.executable, "-c", _READ_ONLY_CHECK, str(path)]
    folder = str(path.parent)
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("root needs unshare (util-linux) to make a read-only folder")
        script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", script, folder, *command]
    else:
        path.parent.chmod(0o555)
        path.chmod(0o444)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    assert result.returncode == 0, result.stderr
    listed, message = result.stdout.splitlines()
    assert listed.split(",") == ids
    assert message.startswith(f"cannot write the pattern store {path}: ")
    assert "read-only file system" in message or "not writable" in message
    assert sorted(p.name for p in path.parent.iterdir()) == before


# --- the corrupted-file matrix ----------------------------------------------------------


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:60])


def _truncated_pages(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: 4096 + 1000])


def _garbled_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096 : 2 * 4096] = b"\x5a" * 4096  # page 2: the patterns table
    path.write_bytes(bytes(data))


def _zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"this is not sqlite\n" * 100)


def _foreign(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        connection.execute("INSERT INTO notes (text) VALUES ('shopping list')")
    connection.close()


def _missing_column(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE patterns DROP COLUMN bpm")
    connection.close()


def _newer(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()


DAMAGE = {
    "truncated": (_truncated, "truncated"),
    "truncated pages": (_truncated_pages, "damaged"),
    "garbled page": (_garbled_page, "damaged"),
    "0 bytes": (_zero_bytes, r"is empty \(0 bytes\)"),
    "not sqlite": (_not_sqlite, "is not an SQLite database"),
    "foreign database": (
        _foreign,
        r"another application's SQLite database, not an audiomancer pattern store "
        r"\(tables: notes\)",
    ),
    "missing column": (_missing_column, "lacks the column bpm"),
    "newer schema": (_newer, "schema version 99, newer"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_store_is_reported_by_every_operation_and_left_as_it_was(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "patterns.sqlite3"
    ids = filled(path)
    spoil, message = DAMAGE[damage]
    spoil(path)
    before = digest(path)
    operations: dict[str, Callable[[PatternStore], object]] = {
        "list": lambda s: s.list(),
        "get": lambda s: s.get(ids[5]),
        "put": lambda s: s.put(beat(99)),
        "rate": lambda s: s.rate(ids[5], 4),
        "delete": lambda s: s.delete(ids[6]),
    }
    for name, operation in operations.items():
        store = PatternStore(path)
        with pytest.raises(StoreCorruptError, match=message) as caught:
            operation(store)
        store.close()
        assert str(path) in str(caught.value), name
        assert "left untouched" in str(caught.value)
        assert digest(path) == before, name
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "patterns.sqlite3"
    ]


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("parent_ids", "[not json", "parent_ids is '[not json', expected a JSON list"),
        ("created_at", "yesterday", "created_at is 'yesterday', expected an ISO 8601 time"),
        ("bpm", "fast", "bpm is 'fast', expected a number"),
        ("time_signature", "[4]", "time_signature is [4], expected two positive whole numbers"),
        ("mutation_log", json.dumps([1, 2]), "mutation_log is [1, 2], expected a JSON list"),
        ("bars", "two", "bars is 'two', expected a whole number"),
    ],
)
def test_a_bad_row_is_named_by_id_and_file(
    tmp_path: Path, column: str, value: object, words: str
) -> None:
    path = tmp_path / "patterns.sqlite3"
    ids = filled(path, 3)
    with sqlite3.connect(path) as connection:
        connection.execute(f"UPDATE patterns SET {column} = ? WHERE id = ?", (value, ids[1]))
    connection.close()
    store = PatternStore(path)
    with pytest.raises(StoreCorruptError) as caught:
        store.list()
    message = str(caught.value)
    assert str(path) in message and repr(ids[1]) in message and words in message
    assert store.get(ids[0]).id == ids[0]  # the good records stay readable


# --- the command line -------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbled page", "0 bytes", "foreign database"])
@pytest.mark.parametrize("command", ["list", "show", "rate", "generate", "mutate"])
def test_the_cli_reports_a_damaged_store_in_one_line(
    audiomancer_home: Path, damage: str, command: str
) -> None:
    path = audiomancer_home / "patterns.sqlite3"
    ids = filled(path)
    DAMAGE[damage][0](path)
    before = digest(path)
    args = {
        "list": ["list"],
        "show": ["show", ids[5]],
        "rate": ["rate", ids[5], "4"],
        "generate": ["generate", "drums", "--seed", "1"],
        "mutate": ["mutate", ids[5], "--seed", "1"],
    }[command]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0]
    assert digest(path) == before


def test_the_cli_top_reports_an_empty_store_file(audiomancer_home: Path) -> None:
    path = audiomancer_home / "patterns.sqlite3"
    path.write_bytes(b"")
    result = CliRunner().invoke(app, ["top"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: pattern store {path} is empty (0 bytes)")
    assert path.read_bytes() == b""
