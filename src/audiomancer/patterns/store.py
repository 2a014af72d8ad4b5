"""PatternStore: patterns, their lineage and ratings in one SQLite file (DESIGN §7).

SQLite in WAL mode gives atomic writes and lets several processes read and write at once
(writers wait on each other up to ``busy_timeout``). A file that is not a readable database is
reported with StoreCorruptError and never overwritten.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from audiomancer.errors import (
    PatternNotFoundError,
    StoreAccessError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
)
from audiomancer.paths import folder_problem, home_hint, pattern_db_path
from audiomancer.patterns.kits import DEFAULT_KIT
from audiomancer.patterns.metadata import (
    GENERATION_METHODS,
    PATTERN_ID_PREFIX,
    PatternMetadata,
    is_pattern_id,
)
from audiomancer.patterns.model import Pattern, allowed, validate_pattern_type

SCHEMA_VERSION: Final = 3
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
CREATE INDEX IF NOT EXISTS patterns_by_seq ON patterns (seq);
"""

_JSON_COLUMNS: Final = ("parent_ids", "mutation_log", "time_signature")
_COLUMNS: Final = (
    "id", "type", "midi_data", "tidal_code", "sc_code", "style", "key", "scale", "kit", "sound",
    "bpm", "bars",
    "time_signature", "parent_ids", "generation_method", "mutation_amount", "mutation_log",
    "user_rating", "user_notes", "created_at", "seq",
)  # fmt: skip
"""The patterns table's columns, in schema order."""
_ADDED_IN_2: Final = ("kit", "sound")
_UNTOUCHED: Final = "it was left untouched: move it away to start a new store"


def _statements(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def validate_rating(score: object) -> int:
    """Return the score if it is a whole number 1-5; ValueError naming it otherwise."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"invalid rating {score!r}: expected an integer from 1 to 5")
    return score


class PatternStore:
    """Patterns stored by id, with lineage and ratings. Safe across threads and processes.

    Reading never writes and never waits for a writer (WAL readers see the last committed state);
    a store that does not exist yet reads as empty and is created, atomically, by the first write.
    Only a write to a store of an older schema migrates it. A file that is not an audiomancer
    store (empty, not SQLite, another application's database, damaged pages or records, missing
    columns) gives StoreCorruptError naming the file and is never changed; a writer holding the
    lock past ``busy_timeout`` seconds gives StoreBusyError; a folder or file that cannot be
    created, read or written gives StoreAccessError.
    """

    def __init__(self, path: Path | None = None, *, busy_timeout: float | None = None) -> None:
        self.path = Path(path) if path is not None else pattern_db_path()
        self.busy_timeout = BUSY_TIMEOUT_MS / 1000 if busy_timeout is None else busy_timeout
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._current = False  # the schema is known to be SCHEMA_VERSION's

    # --- connection ---------------------------------------------------------------------

    def _connect(self, write: bool) -> sqlite3.Connection | None:
        """The open connection; None when reading a store that does not exist yet."""
        if self._connection is None:
            if not self.path.exists() and not self.path.is_symlink():
                if not write:
                    return None
                self._create()
            self._check_header()
            self._connection = self._open()
            try:
                self._current = self._check_schema(self._connection)
            except BaseException:
                self._close_connection()
                raise
        if write and not self._current:
            self._migrate(self._connection)
        return self._connection

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._current = False

    def check_writable(self) -> None:
        """StoreAccessError naming the folder when the store cannot be created or written;
        called before work whose result is to be stored."""
        problem = folder_problem(self.path.parent)
        if problem is None and self.path.exists() and not os.access(self.path, os.W_OK):
            problem = f"the file {self.path} is not writable"
        if problem is not None:
            raise StoreAccessError(
                f"cannot write the pattern store {self.path}: {problem}; {home_hint()}"
            )

    def _create(self) -> None:
        """Create a new, empty store: built beside it, then linked into place (never half-made)."""
        folder = self.path.parent
        problem = folder_problem(folder)
        if problem is not None:
            raise StoreAccessError(
                f"cannot create the pattern store {self.path}: {problem}; {home_hint()}"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreAccessError(
                f"cannot create the folder {folder} for the pattern store: "
                f"{error.strerror or error}"
            ) from None
        import secrets

        temporary = folder / f".{self.path.name}.{secrets.token_hex(4)}.tmp"
        try:
            connection = sqlite3.connect(temporary, isolation_level=None)
            try:
                connection.execute("PRAGMA journal_mode = WAL")
                for statement in _statements(_SCHEMA):
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            finally:
                connection.close()
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(temporary, self.path)
        except (OSError, sqlite3.Error) as error:
            raise StoreAccessError(
                f"cannot create the pattern store {self.path}: {_reason(error)}; check that "
                f"the folder {folder} is writable"
            ) from None
        finally:
            for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def _check_header(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                header = handle.read(100)
        except IsADirectoryError:
            raise StoreCorruptError(
                f"pattern store {self.path} is a folder, not a database file; move it away "
                "to start a new store"
            ) from None
        except OSError as error:
            raise StoreAccessError(
                f"cannot read the pattern store {self.path}: {error.strerror or error}"
            ) from None
        if not header:
            problem = "is empty (0 bytes)"
        elif not header.startswith(b"SQLite format 3\0"):
            problem = "is not an SQLite database"
        elif len(header) < 100:
            problem = f"is truncated ({len(header)} bytes)"
        else:
            return
        raise StoreCorruptError(f"pattern store {self.path} {problem}; {_UNTOUCHED}")

    def _open(self) -> sqlite3.Connection:
        folder_writable = os.access(self.path.parent, os.W_OK)
        writable = folder_writable and os.access(self.path, os.W_OK)
        uri = f"file:{quote(str(self.path.resolve()))}?mode={'rw' if writable else 'ro'}"
        if not folder_writable and not Path(f"{self.path}-shm").exists():
            # WAL readers need a -shm file beside the store; none can be made in a read-only
            # folder, and no one can be writing there without one: read the file as it is.
            uri += "&immutable=1"
        try:
            connection = sqlite3.connect(
                uri,
                uri=True,
                timeout=self.busy_timeout,
                check_same_thread=False,
                isolation_level=None,
            )
            connection.row_factory = sqlite3.Row
        except sqlite3.Error as error:
            raise self._error(error) from None
        return connection

    def _check_schema(self, connection: sqlite3.Connection) -> bool:
        """Refuse files that are not our store; True when no migration is due."""
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
            columns = {row[1] for row in connection.execute("PRAGMA table_info(patterns)")}
        except sqlite3.Error as error:
            raise self._error(error) from None
        if version > SCHEMA_VERSION:
            raise StoreCorruptError(
                f"pattern store {self.path} has schema version {version}, newer than this "
                f"audiomancer's ({SCHEMA_VERSION}); upgrade audiomancer to use it. {_UNTOUCHED}"
            )
        if "patterns" not in tables:
            if tables or version != 0:
                raise StoreCorruptError(
                    f"{self.path} is another application's SQLite database, not an audiomancer "
                    f"pattern store (tables: {', '.join(tables) or 'none'}); {_UNTOUCHED}"
                )
            return False  # an empty SQLite file: the first write makes it a store
        expected = _COLUMNS if version >= 2 else tuple(c for c in _COLUMNS if c not in _ADDED_IN_2)
        missing = [column for column in expected if column not in columns]
        if missing:
            raise StoreCorruptError(
                f"pattern store {self.path} is damaged: its patterns table lacks the column"
                f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}; {_UNTOUCHED}"
            )
        return bool(version == SCHEMA_VERSION)

    def _migrate(self, connection: sqlite3.Connection) -> None:
        """Bring an older (or empty) store to SCHEMA_VERSION; only ever done by a writer."""
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self._error(error) from None
        try:
            if connection.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                # (version 3 adds the index on seq: without it each insert read every record)
                for statement in _statements(_SCHEMA):
                    connection.execute(statement)
                present = {row[1] for row in connection.execute("PRAGMA table_info(patterns)")}
                for column in _ADDED_IN_2:  # version 2 records the kit (drums) and sound
                    if column not in present:
                        connection.execute(f"ALTER TABLE patterns ADD COLUMN {column} TEXT")
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise self._error(error) from None
            raise
        self._current = True

    def _error(self, error: sqlite3.Error) -> StoreError:
        """Our error for an SQLite one: busy, no access, or damaged."""
        text = _reason(error)
        if isinstance(error, sqlite3.OperationalError):
            if "locked" in text or "busy" in text:
                return StoreBusyError(
                    f"pattern store {self.path} is busy: another process has held its write "
                    f"lock for over {self.busy_timeout:g} s ({text}); try again when it has "
                    "finished"
                )
            if "readonly" in text or "read-only" in text or "unable to open" in text:
                problem = folder_problem(self.path.parent)
                if problem is None and not os.access(self.path, os.W_OK):
                    problem = f"the file {self.path} is not writable"
                if problem is not None:
                    return StoreAccessError(
                        f"cannot write the pattern store {self.path}: {problem}; reading it "
                        f"works, storing needs a writable folder: {home_hint()}"
                    )
                return StoreAccessError(
                    f"cannot write the pattern store {self.path} ({text}): check the "
                    f"permissions of the file and of its folder {self.path.parent}"
                )
            if "disk I/O" in text or "full" in text:
                return StoreAccessError(f"cannot use the pattern store {self.path} ({text})")
        return StoreCorruptError(f"pattern store {self.path} is damaged ({text}); {_UNTOUCHED}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            connection = self._connect(write=True)
            assert connection is not None
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:  # nothing to roll back: report the real problem
                raise self._error(error) from None
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise self._error(error) from None
                raise

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            connection = self._connect(write=False)
            if connection is None:
                return []
            try:
                return connection.execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                raise self._error(error) from None

    def _record(self, row: sqlite3.Row) -> PatternMetadata:
        try:
            return _decode(row)
        except _BadField as problem:
            try:
                name = repr(row["id"])
            except (IndexError, KeyError):
                name = "?"
            raise StoreCorruptError(
                f"pattern store {self.path}: record {name} is damaged ({problem}); the rest of "
                "the store is readable by id. Delete or repair that record"
            ) from None

    def close(self) -> None:
        """Close the database connection (reopened on next use)."""
        with self._lock:
            self._close_connection()

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
        return self.put_many(
            [pattern],
            parent_ids=parent_ids,
            generation_method=generation_method,
            mutation_amount=mutation_amount,
            mutation_log=mutation_log,
            pattern_ids=[pattern_id],
            created_at=created_at,
        )[0]

    def put_many(
        self,
        patterns: Sequence[Pattern],
        *,
        parent_ids: Sequence[str] = (),
        generation_method: str = "generated",
        mutation_amount: float | None = None,
        mutation_log: Sequence[str] = (),
        pattern_ids: Sequence[str | None] | None = None,
        created_at: datetime | None = None,
    ) -> list[PatternMetadata]:
        """``put`` for several patterns in one transaction (a batch of generated patterns).

        ``pattern_ids[i]`` is the id of pattern i, or None for a fresh one.
        """
        ids = list(pattern_ids) if pattern_ids is not None else [None] * len(patterns)
        if len(ids) != len(patterns):
            raise ValueError(f"{len(ids)} pattern ids for {len(patterns)} patterns")
        if generation_method not in GENERATION_METHODS:
            raise ValueError(
                f"invalid generation_method {generation_method!r}: expected one of "
                f"{allowed(GENERATION_METHODS)}"
            )
        for pattern_id in ids:
            if pattern_id is not None and not is_pattern_id(pattern_id):
                raise ValueError(
                    f"invalid pattern id {pattern_id!r}: expected 'ptrn_' + 8 hex digits"
                )
        # The exports load with the first write: reading the store (render, show) needs none.
        from audiomancer.patterns.midi import to_midi_data
        from audiomancer.patterns.pbind import pbind_code
        from audiomancer.patterns.tidal import pattern_sound, tidal_code

        records = [
            PatternMetadata(
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
            for pattern, pattern_id in zip(patterns, ids, strict=True)
        ]
        # One transaction for the batch, and a fixed number of statements whatever its size:
        # one look-up of the given ids, one of the fresh candidates, one MAX(seq), one insert
        # of every new row.
        with self._transaction() as connection:
            existing = {
                row["id"]: self._record(row)
                for row in _rows_with_ids(connection, "*", [i for i in ids if i is not None])
            }
            fresh = _fresh_ids(connection, sum(1 for i in ids if i is None))
            stored: list[PatternMetadata] = []
            new: list[PatternMetadata] = []
            for pattern_id, record in zip(ids, records, strict=True):
                if pattern_id is None:
                    record["id"] = fresh.pop()
                elif pattern_id in existing:
                    stored.append(_copy(existing[pattern_id]))
                    continue
                else:  # the same id twice in one batch: the first is stored, then found
                    existing[pattern_id] = record
                stored.append(record)
                new.append(record)
            if new:
                _insert_many(connection, new, parent_ids, mutation_log)
        return stored

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
        return self._record(rows[0])

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
        return [self._record(row) for row in self._query(sql, parameters)]

    def __contains__(self, pattern_id: object) -> bool:
        return bool(self._query("SELECT 1 FROM patterns WHERE id = ?", (pattern_id,)))

    def __len__(self) -> int:
        rows = self._query("SELECT COUNT(*) FROM patterns")
        return int(rows[0][0]) if rows else 0


def _not_found(pattern_id: str) -> PatternNotFoundError:
    return PatternNotFoundError(f"pattern {pattern_id!r} not found")


def _copy(record: PatternMetadata) -> PatternMetadata:
    """A record of its own (an id found twice in one batch is returned twice)."""
    lists = {c: list(record[c]) for c in _JSON_COLUMNS}
    return PatternMetadata({**record, **lists})


_MAX_VARIABLES: Final = 500
"""Ids per ``IN (...)`` look-up (SQLite allows 32766 variables; old builds 999)."""


def _rows_with_ids(
    connection: sqlite3.Connection, columns: str, ids: Sequence[str]
) -> list[sqlite3.Row]:
    rows: list[sqlite3.Row] = []
    for start in range(0, len(ids), _MAX_VARIABLES):
        chunk = ids[start : start + _MAX_VARIABLES]
        rows += connection.execute(
            f"SELECT {columns} FROM patterns WHERE id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
    return rows


def _fresh_ids(connection: sqlite3.Connection, count: int) -> list[str]:
    """``count`` random ids, distinct and not in the store."""
    import secrets  # (on first use: the CLI's start-up imports this module)

    chosen: set[str] = set()
    while len(chosen) < count:
        candidates = {
            PATTERN_ID_PREFIX + secrets.token_hex(4) for _ in range(count - len(chosen))
        } - chosen
        taken = {row[0] for row in _rows_with_ids(connection, "id", sorted(candidates))}
        chosen |= candidates - taken
    return sorted(chosen)


_INSERTED: Final = tuple(c for c in _COLUMNS if c != "seq")
_INSERT: Final = (
    f"INSERT INTO patterns ({', '.join(_INSERTED)}, seq) "
    f"VALUES ({', '.join('?' for _ in _INSERTED)}, ?)"
)


def _insert_many(
    connection: sqlite3.Connection,
    records: Sequence[PatternMetadata],
    parent_ids: Sequence[str],
    mutation_log: Sequence[str],
) -> None:
    """Insert new records (one put_many: the same lineage and log for all), numbered in order
    after the store's last ``seq`` (indexed, so reading it does not scan the records)."""
    last = connection.execute("SELECT COALESCE(MAX(seq), 0) FROM patterns").fetchone()[0]
    lineage, log = json.dumps(list(parent_ids)), json.dumps(list(mutation_log))
    rows = []
    for seq, record in enumerate(records, start=last + 1):
        row = dict(record)
        row["parent_ids"], row["mutation_log"] = lineage, log
        row["time_signature"] = json.dumps(row["time_signature"])
        row["created_at"] = record["created_at"].isoformat()
        rows.append([*(row[c] for c in _INSERTED), seq])
    connection.executemany(_INSERT, rows)


class _BadField(ValueError):
    def __init__(self, column: str, value: object, expected: str) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        super().__init__(f"{column} is {shown}, expected {expected}")


def _decode(row: sqlite3.Row) -> PatternMetadata:
    """A record from its row; _BadField naming the first column that does not hold its kind."""
    present = row.keys()
    data: dict[str, Any] = {
        key: row[key] if key in present else None for key in _COLUMNS if key != "seq"
    }

    def need(column: str, kinds: tuple[type, ...], expected: str, optional: bool = False) -> None:
        value = data[column]
        if (value is None and optional) or (
            isinstance(value, kinds) and not isinstance(value, bool)
        ):
            return
        raise _BadField(column, value, expected)

    for column in ("id", "type", "midi_data", "tidal_code", "sc_code", "generation_method"):
        need(column, (str,), "text")
    for column in ("style", "key", "scale", "kit", "sound", "user_notes"):
        need(column, (str,), "text or null", optional=True)
    need("bpm", (int, float), "a number")
    need("bars", (int,), "a whole number")
    need("mutation_amount", (int, float), "a number or null", optional=True)
    need("user_rating", (int,), "a whole number or null", optional=True)
    for column in _JSON_COLUMNS:
        try:
            data[column] = json.loads(data[column])
        except (TypeError, ValueError, RecursionError):
            raise _BadField(column, data[column], "a JSON list") from None
        value = data[column]
        if not isinstance(value, list):
            raise _BadField(column, value, "a JSON list")
    for column in ("parent_ids", "mutation_log"):
        if not all(isinstance(item, str) for item in data[column]):
            raise _BadField(column, data[column], "a JSON list of strings")
    signature = data["time_signature"]
    if len(signature) != 2 or not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in signature
    ):
        raise _BadField("time_signature", signature, "two positive whole numbers")
    try:
        created = datetime.fromisoformat(data["created_at"])
    except (TypeError, ValueError):
        raise _BadField("created_at", data["created_at"], "an ISO 8601 time") from None
    data["created_at"] = created if created.tzinfo is not None else created.replace(tzinfo=UTC)
    return PatternMetadata(data)
