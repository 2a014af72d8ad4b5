"""PatternStore: patterns, their lineage and ratings in one SQLite file (DESIGN §7).

SQLite in WAL mode gives atomic writes and lets several processes read and write at once
(writers wait on each other up to ``busy_timeout``). A file that is not a readable database is
reported with StoreCorruptError and never overwritten.
"""

from __future__ import annotations

import builtins
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from audiomancer.errors import PatternNotFoundError, StoreCorruptError
from audiomancer.paths import pattern_db_path
from audiomancer.patterns.kits import DEFAULT_KIT
from audiomancer.patterns.metadata import (
    GENERATION_METHODS,
    PATTERN_ID_PREFIX,
    PatternMetadata,
    is_pattern_id,
)
from audiomancer.patterns.midi import to_midi_data
from audiomancer.patterns.model import Pattern, allowed, validate_pattern_type
from audiomancer.patterns.pbind import pbind_code
from audiomancer.patterns.tidal import pattern_sound, tidal_code

SCHEMA_VERSION: Final = 2
BUSY_TIMEOUT_MS: Final = 30_000

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS patterns (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    midi_data TEXT NOT NULL,
    tidal_code TEXT NOT NULL,
    sc_code TEXT NOT NULL,
    style TEXT,
    key TEXT,
    scale TEXT,
    kit TEXT,
    sound TEXT,
    bpm REAL NOT NULL,
    bars INTEGER NOT NULL,
    time_signature TEXT NOT NULL,
    parent_ids TEXT NOT NULL,
    generation_method TEXT NOT NULL,
    mutation_amount REAL,
    mutation_log TEXT NOT NULL,
    user_rating INTEGER,
    user_notes TEXT,
    created_at TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS patterns_by_type ON patterns (type);
CREATE INDEX IF NOT EXISTS patterns_by_rating ON patterns (user_rating);
"""

_JSON_COLUMNS: Final = ("parent_ids", "mutation_log", "time_signature")


def validate_rating(score: object) -> int:
    """Return the score if it is a whole number 1-5; ValueError naming it otherwise."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"invalid rating {score!r}: expected an integer from 1 to 5")
    return score


class PatternStore:
    """Patterns stored by id, with lineage and ratings. Safe across threads and processes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else pattern_db_path()
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    # --- connection ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            connection.row_factory = sqlite3.Row
            try:
                connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                connection.execute("PRAGMA journal_mode = WAL")
                self._create_schema(connection)
            except sqlite3.DatabaseError as error:
                connection.close()
                raise StoreCorruptError(
                    f"pattern store {self.path} is not a readable database ({error}); "
                    "it was left untouched: move it away to start a new store"
                ) from None
            self._connection = connection
        return self._connection

    @staticmethod
    def _create_schema(connection: sqlite3.Connection) -> None:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version} is newer than this audiomancer")
        with connection:
            connection.executescript(_SCHEMA)
            if version == 1:  # version 2 records the kit (drums) and sound (melody, bass)
                connection.execute("ALTER TABLE patterns ADD COLUMN kit TEXT")
                connection.execute("ALTER TABLE patterns ADD COLUMN sound TEXT")
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            connection = self._connect()
            try:
                connection.execute("BEGIN IMMEDIATE")
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._connect().execute(sql, parameters).fetchall()
            except sqlite3.DatabaseError as error:
                raise StoreCorruptError(f"pattern store {self.path}: {error}") from None

    def close(self) -> None:
        """Close the database connection (reopened on next use)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # --- writing ------------------------------------------------------------------------

    def put(
        self,
        pattern: Pattern,
        *,
        parent_ids: Sequence[str] = (),
        generation_method: str = "generated",
        mutation_amount: float | None = None,
        mutation_log: Sequence[str] = (),
        pattern_id: str | None = None,
        created_at: datetime | None = None,
    ) -> PatternMetadata:
        """Store a pattern with its three exports and lineage; return its record.

        Without ``pattern_id`` a fresh random id is drawn. With one (seeded operations derive
        theirs), storing the same id again returns the existing record unchanged.
        """
        if generation_method not in GENERATION_METHODS:
            raise ValueError(
                f"invalid generation_method {generation_method!r}: expected one of "
                f"{allowed(GENERATION_METHODS)}"
            )
        if pattern_id is not None and not is_pattern_id(pattern_id):
            raise ValueError(f"invalid pattern id {pattern_id!r}: expected 'ptrn_' + 8 hex digits")
        record = PatternMetadata(
            id=pattern_id or "",
            type=pattern.type,
            midi_data=to_midi_data(pattern),
            tidal_code=tidal_code(pattern),
            sc_code=pbind_code(pattern),
            style=pattern.style,
            key=pattern.key,
            scale=pattern.scale,
            kit=(pattern.kit or DEFAULT_KIT) if pattern.type == "drums" else None,
            sound=pattern_sound(pattern),
            bpm=pattern.bpm,
            bars=pattern.bars,
            time_signature=list(pattern.time_signature),
            parent_ids=list(parent_ids),
            generation_method=generation_method,
            mutation_amount=mutation_amount,
            mutation_log=list(mutation_log),
            user_rating=None,
            user_notes=None,
            created_at=created_at or datetime.now(UTC),
        )
        with self._transaction() as connection:
            if pattern_id is not None:
                existing = connection.execute(
                    "SELECT * FROM patterns WHERE id = ?", (pattern_id,)
                ).fetchone()
                if existing is not None:
                    return _record(existing)
            else:
                record["id"] = _fresh_id(connection)
            _insert(connection, record)
        return record

    def rate(self, pattern_id: str, score: int, notes: str | None = None) -> PatternMetadata:
        """Set the user's 1-5 rating (and notes, if given); ValueError outside 1-5."""
        validate_rating(score)
        with self._transaction() as connection:
            cursor = connection.execute(
                "UPDATE patterns SET user_rating = ?, user_notes = COALESCE(?, user_notes) "
                "WHERE id = ?",
                (score, notes, pattern_id),
            )
            if cursor.rowcount == 0:
                raise _not_found(pattern_id)
        return self.get(pattern_id)

    def delete(self, pattern_id: str) -> None:
        """Remove a pattern; PatternNotFoundError if it is not there."""
        with self._transaction() as connection:
            cursor = connection.execute("DELETE FROM patterns WHERE id = ?", (pattern_id,))
            if cursor.rowcount == 0:
                raise _not_found(pattern_id)

    # --- reading ------------------------------------------------------------------------

    def get(self, pattern_id: str) -> PatternMetadata:
        """The record of a pattern; PatternNotFoundError if there is none."""
        rows = self._query("SELECT * FROM patterns WHERE id = ?", (pattern_id,))
        if not rows:
            raise _not_found(pattern_id)
        return _record(rows[0])

    def get_pattern(self, pattern_id: str) -> Pattern:
        """The pattern itself (notes and settings) of a stored record."""
        return self.get(pattern_id).to_pattern()

    def list(
        self,
        pattern_type: str | None = None,
        limit: int | None = None,
        rated_only: bool = False,
    ) -> list[PatternMetadata]:
        """Records in the order they were stored, optionally of one type and/or rated only."""
        return self._select(pattern_type, limit, rated_only, order="seq")

    def top_rated(
        self, pattern_type: str | None = None, limit: int = 10
    ) -> builtins.list[PatternMetadata]:
        """Rated records, best first (ties: newest first)."""
        return self._select(pattern_type, limit, True, order="user_rating DESC, seq DESC")

    def _select(
        self, pattern_type: str | None, limit: int | None, rated_only: bool, order: str
    ) -> builtins.list[PatternMetadata]:
        clauses, parameters = [], []
        if pattern_type is not None:
            clauses.append("type = ?")
            parameters.append(validate_pattern_type(pattern_type))
        if rated_only:
            clauses.append("user_rating IS NOT NULL")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT * FROM patterns {where} ORDER BY {order}"
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ValueError(f"invalid limit {limit!r}: expected a whole number >= 0")
            sql += f" LIMIT {limit}"
        return [_record(row) for row in self._query(sql, parameters)]

    def __contains__(self, pattern_id: object) -> bool:
        return bool(self._query("SELECT 1 FROM patterns WHERE id = ?", (pattern_id,)))

    def __len__(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM patterns")[0][0])


def _not_found(pattern_id: str) -> PatternNotFoundError:
    return PatternNotFoundError(f"pattern {pattern_id!r} not found")


def _fresh_id(connection: sqlite3.Connection) -> str:
    while True:
        candidate = PATTERN_ID_PREFIX + secrets.token_hex(4)
        if connection.execute("SELECT 1 FROM patterns WHERE id = ?", (candidate,)).fetchone():
            continue
        return candidate


def _insert(connection: sqlite3.Connection, record: PatternMetadata) -> None:
    row = dict(record)
    for column in _JSON_COLUMNS:
        row[column] = json.dumps(row[column])
    row["created_at"] = record["created_at"].isoformat()
    columns = list(row)
    connection.execute(
        f"INSERT INTO patterns ({', '.join(columns)}, seq) VALUES "
        f"({', '.join('?' for _ in columns)}, "
        "(SELECT COALESCE(MAX(seq), 0) + 1 FROM patterns))",
        [row[c] for c in columns],
    )


def _record(row: sqlite3.Row) -> PatternMetadata:
    data = {key: row[key] for key in row.keys() if key != "seq"}  # noqa: SIM118
    for column in _JSON_COLUMNS:
        data[column] = json.loads(data[column])
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    return PatternMetadata(data)
