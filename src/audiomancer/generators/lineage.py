"""Synth lineage: who descends from whom, what changed, and how the user rated it (DESIGN §7).

The database is the JSON file the spec names (``~/.audiomancer/lineage.json``; under
``AUDIOMANCER_HOME`` when that is set). Every change reads it, edits it and writes it back
atomically (temporary file, fsync, rename) while holding an exclusive lock on
``lineage.json.lock``, so processes recording at the same time never lose each other's records.
A file that exists but cannot be read (not JSON, wrong shape, a newer format) raises
:class:`~audiomancer.errors.StoreCorruptError` and is never overwritten.

Schema (``version`` 1)::

    {
      "format": "audiomancer.lineage",
      "version": 1,
      "synths": {
        "<id>": {
          "name": "tb303_m427",                # the SynthDef name
          "parent_ids": ["tb303"],             # [] for originals
          "generation_method": "mutation",     # original | generated | mutation | crossover
          "mutation_log": ["Saw → Pulse"],
          "user_rating": 5,                    # 1-5 or null
          "user_notes": "Perfect acid sound",  # or null
          "created_at": "2025-01-31T12:00:00.000000+00:00"
        }
      }
    }

Records keep the order they were created in. **Ids**: a synth's id is its SynthDef name
(``tb303``, ``tb303_m427``); lookups also accept the spec examples' ``synt_`` prefix
(``synt_tb303``) and a record's name. The shipped templates are the original synths
(generation 0): they are recorded lazily, the first time one is a parent or is rated, and are
known to every lookup before that. ``generation_method`` ``mutated`` is accepted on input as
an alias of ``mutation``.

The synth library: each synth's code is a ``<name>.scd`` file in the ``synths`` folder beside
the database (:func:`audiomancer.paths.synth_library_dir` for the default database), so
``EvolutionEngine.mutate_synth`` and the CLI can find a synth by its id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypedDict

from audiomancer import paths
from audiomancer.analyzers.synthdef import SynthDefInfo, parse_synthdef
from audiomancer.atomic import atomic_write_text, file_lock, sweep_stale
from audiomancer.errors import StoreAccessError, StoreCorruptError, SynthNotFoundError
from audiomancer.family import generation_numbers
from audiomancer.generators import reservations
from audiomancer.generators.synth_model import (
    GENERATION_METHODS,
    METHOD_ALIASES,
    GeneratedSynth,
    normalize_method,
)
from audiomancer.supercollider import library

__all__ = [
    "GENERATION_METHODS",
    "ID_PREFIX",
    "LineageTracker",
    "SynthLineage",
    "SynthRecord",
    "default_tracker",
    "get_generation_stats",
    "get_synth_lineage",
    "get_top_rated",
    "normalize_method",
    "rate_synth",
    "record_synth",
]

FORMAT: Final = "audiomancer.lineage"
VERSION: Final = 1
ID_PREFIX: Final = "synt_"
"""The spec examples write synth ids as ``synt_<name>``; lookups accept that form."""
_SAFE_NAME: Final = r"[A-Za-z][A-Za-z0-9_]*"


@dataclass
class SynthRecord:
    """Record of a synth in the lineage database."""

    id: str
    name: str
    parent_ids: list[str] = field(default_factory=list)
    generation_method: str = "generated"
    mutation_log: list[str] = field(default_factory=list)
    user_rating: int | None = None
    user_notes: str | None = None
    created_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Fields of the stored record this version does not know (kept as they were)."""

    def to_json(self) -> dict[str, Any]:
        """The record as stored (without its id, which is its key)."""
        return {
            **self.extra,
            "name": self.name,
            "parent_ids": list(self.parent_ids),
            "generation_method": self.generation_method,
            "mutation_log": list(self.mutation_log),
            "user_rating": self.user_rating,
            "user_notes": self.user_notes,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict with its id (``created_at`` a datetime)."""
        return {"id": self.id, **self.to_json(), "created_at": self.created_at}

    @classmethod
    def from_json(cls, synth_id: str, data: object) -> SynthRecord:
        """A record read from the file; ValueError describing what is wrong with it."""
        if not isinstance(data, dict):
            raise ValueError(f"record {synth_id!r} is not an object")
        name = data.get("name")
        parents = data.get("parent_ids")
        method = data.get("generation_method")
        log = data.get("mutation_log")
        rating = data.get("user_rating")
        notes = data.get("user_notes")
        created = data.get("created_at")
        if not isinstance(name, str):
            raise ValueError(f"record {synth_id!r} has no name")
        if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
            raise ValueError(f"record {synth_id!r}: parent_ids is not a list of ids")
        if (
            not isinstance(method, str)
            or METHOD_ALIASES.get(method, method) not in GENERATION_METHODS
        ):
            raise ValueError(f"record {synth_id!r}: unknown generation_method {method!r}")
        if not isinstance(log, list) or not all(isinstance(line, str) for line in log):
            raise ValueError(f"record {synth_id!r}: mutation_log is not a list of strings")
        if rating is not None and (
            isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
        ):
            raise ValueError(f"record {synth_id!r}: invalid user_rating {rating!r}")
        if notes is not None and not isinstance(notes, str):
            raise ValueError(f"record {synth_id!r}: user_notes is not a string")
        if created is not None and not isinstance(created, str):
            raise ValueError(f"record {synth_id!r}: created_at is not a string")
        return cls(
            id=synth_id,
            name=name,
            parent_ids=list(parents),
            generation_method=METHOD_ALIASES.get(method, method),
            mutation_log=list(log),
            user_rating=rating,
            user_notes=notes,
            created_at=_parse_time(synth_id, created),
            extra={key: value for key, value in data.items() if key not in _RECORD_KEYS},
        )


_RECORD_KEYS: Final = frozenset(
    ("name", "parent_ids", "generation_method", "mutation_log", "user_rating", "user_notes",
     "created_at")
)  # fmt: skip
_FILE_KEYS: Final = frozenset(("format", "version", "synths"))


def _parse_time(synth_id: str, text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"record {synth_id!r}: created_at {text!r} is not a time") from None


class SynthLineage(TypedDict):
    """Lineage tracking for evolved SynthDefs: the record with the synth's code."""

    id: str
    name: str
    source_code: str
    parent_ids: list[str]
    generation_method: str
    mutation_log: list[str]
    user_rating: int | None
    user_notes: str | None
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _template_record(name: str) -> SynthRecord:
    created = datetime.fromtimestamp(library.template_path(name).stat().st_mtime, UTC)
    return SynthRecord(name, name, [], "original", [], None, None, created)


def _sort_key(order: dict[str, int], generations: dict[str, int]) -> Any:
    return lambda synth_id: (generations.get(synth_id, 0), order.get(synth_id, -1), synth_id)


class LineageTracker:
    """Tracks synth evolution lineage and fitness scores in a JSON file (see the module doc)."""

    def __init__(self, db_path: Path | None = None) -> None:
        self.db_path = Path(db_path) if db_path is not None else paths.lineage_path()

    @property
    def library_dir(self) -> Path:
        """The folder of ``<name>.scd`` files beside the database."""
        return self.db_path.parent / "synths"

    @property
    def lock_path(self) -> Path:
        """The lock file every writer holds while it reads, edits and writes the database."""
        return self.db_path.with_name(self.db_path.name + ".lock")

    # --- the file -------------------------------------------------------------------------

    def _corrupt(self, reason: str) -> StoreCorruptError:
        return StoreCorruptError(
            f"the synth lineage database {self.db_path} is corrupt ({reason}); it was left "
            "untouched: repair it or move it away to start a new one"
        )

    @property
    def backup_path(self) -> Path:
        """The last good version of the database before the latest write."""
        return self.db_path.with_name(self.db_path.name + ".bak")

    def _load(self) -> dict[str, SynthRecord]:
        return self._read()[0]

    def _read(self) -> tuple[dict[str, SynthRecord], dict[str, Any]]:
        """The records and the file's other top-level fields (kept on writing)."""
        try:
            raw = self.db_path.read_bytes()
        except FileNotFoundError:
            return {}, {}
        except IsADirectoryError:
            raise self._corrupt("it is a folder, not a file") from None
        except OSError as error:
            raise StoreAccessError(
                f"cannot read the synth lineage database {self.db_path}: {error.strerror or error}"
            ) from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise self._corrupt(f"not valid JSON: {error}") from None
        except RecursionError:
            raise self._corrupt("not valid JSON: nested too deeply") from None
        if not isinstance(data, dict) or not isinstance(data.get("synths"), dict):
            raise self._corrupt("no 'synths' object at the top")
        if data.get("format", FORMAT) != FORMAT:
            raise self._corrupt(f"unknown format {data.get('format')!r}")
        version = data.get("version", VERSION)
        if version != VERSION:
            raise self._corrupt(f"format version {version!r}, this audiomancer reads {VERSION}")
        records: dict[str, SynthRecord] = {}
        for synth_id, entry in data["synths"].items():
            try:
                records[synth_id] = SynthRecord.from_json(synth_id, entry)
            except ValueError as error:
                raise self._corrupt(str(error)) from None
        return records, {key: value for key, value in data.items() if key not in _FILE_KEYS}

    def _dump(self, records: dict[str, SynthRecord], extra: dict[str, Any]) -> str:
        data = {
            **extra,
            "format": FORMAT,
            "version": VERSION,
            "synths": {synth_id: record.to_json() for synth_id, record in records.items()},
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def check_writable(self) -> None:
        """StoreAccessError naming the folder when the database or library cannot be written
        (read-only, not a folder): called before any work whose result would be recorded."""
        for folder, what in ((self.db_path.parent, "database"), (self.library_dir, "library")):
            problem = paths.folder_problem(folder)
            if problem is not None:
                where = f"library {folder}" if what == "library" else f"database {self.db_path}"
                raise StoreAccessError(
                    f"cannot write the synth lineage {where}: {problem}; {paths.home_hint()}"
                )

    @contextmanager
    def _transaction(self) -> Iterator[dict[str, SynthRecord]]:
        """Records to edit in place, written back atomically under the lock if they changed."""
        self.check_writable()
        with file_lock(self.lock_path):
            sweep_stale(self.db_path.parent, self.db_path.name)
            sweep_stale(self.db_path.parent, self.backup_path.name)
            sweep_stale(self.library_dir, "*.scd")
            records, extra = self._read()
            before = self._dump(records, extra)
            yield records
            after = self._dump(records, extra)
            if after != before:
                try:
                    atomic_write_text(self.db_path, after, backup=self.backup_path)
                except OSError as error:
                    raise StoreAccessError(
                        f"cannot write the synth lineage database {self.db_path}: "
                        f"{error.strerror or error}"
                    ) from None

    # --- lookups --------------------------------------------------------------------------

    def _resolve(self, synth_id: str, records: dict[str, SynthRecord]) -> str:
        if not isinstance(synth_id, str) or not synth_id:
            raise SynthNotFoundError(f"invalid synth id {synth_id!r}")
        candidates = [synth_id]
        if synth_id.startswith(ID_PREFIX):
            candidates.append(synth_id[len(ID_PREFIX) :])
        templates = set(library.template_names())
        for candidate in candidates:
            if candidate in records or candidate in templates:
                return candidate
        for candidate in candidates:
            for record in records.values():
                if record.name == candidate:
                    return record.id
        raise SynthNotFoundError(f"synth {synth_id!r} not found in the lineage database")

    def _get(self, synth_id: str, records: dict[str, SynthRecord]) -> SynthRecord:
        if synth_id in records:
            return records[synth_id]
        return _template_record(synth_id)

    def resolve(self, synth_id: str) -> str:
        """The stored id of a synth given its id, ``synt_`` id or name; SynthNotFoundError."""
        return self._resolve(synth_id, self._load())

    def has(self, synth_id: str) -> bool:
        """True when the synth is recorded or is a template."""
        try:
            self.resolve(synth_id)
        except SynthNotFoundError:
            return False
        return True

    def get_record(self, synth_id: str) -> SynthRecord:
        """The record of a synth (a template's original record if not yet stored)."""
        records = self._load()
        return self._get(self._resolve(synth_id, records), records)

    def records(self) -> list[SynthRecord]:
        """Every stored record, oldest first."""
        return list(self._load().values())

    def is_taken(self, name: str) -> bool:
        """True when a synth, template or library file already uses ``name``."""
        if name in library.template_names() or (self.library_dir / f"{name}.scd").exists():
            return True
        records = self._load()
        return name in records or any(r.name == name for r in records.values())

    def reserve_name(self, name: str, code: str) -> bool:
        """Hand out ``name`` for the synth whose code is ``code``: True when it is free, or
        already belongs (library file) or is reserved (an earlier hand-out) to this very code.

        The reservation (:mod:`audiomancer.generators.reservations`, a file per name) is made
        before the name is handed out, so two processes making different synths never get the
        same name, saved or not; making the same synth again gets the same name. Where nothing
        can be written (a read-only home), names are checked, not reserved.
        """
        existing = self.library_source(name)
        if existing is not None:
            return existing == code
        if name in library.template_names() or self._names_in(self._load(), name):
            return False
        self.library_path(name)  # ValueError for a name that is no SuperCollider symbol
        digest = reservations.code_digest(code)
        try:
            self.check_writable()
        except StoreAccessError:
            return reservations.held(self.library_dir, name) in (None, digest)
        if reservations.reserve(self.library_dir, name, digest) != digest:
            return False
        later = self.library_source(name)  # saved meanwhile by a save() that reserved nothing
        return later is None or later == code

    @staticmethod
    def _names_in(records: dict[str, SynthRecord], name: str) -> bool:
        return name in records or any(r.name == name for r in records.values())

    def library_path(self, name: str) -> Path:
        """Where the library keeps the code of the synth called ``name``."""
        if not re.fullmatch(_SAFE_NAME, name):
            raise ValueError(f"invalid synth name {name!r}: expected letters, digits and _")
        return self.library_dir / f"{name}.scd"

    def library_source(self, name: str) -> str | None:
        """The code the library holds for ``name``, None if it holds none."""
        try:
            return self.library_path(name).read_bytes().decode("utf-8", "surrogateescape")
        except (FileNotFoundError, ValueError):
            return None

    def source_code(self, synth_id: str) -> str:
        """A synth's SuperCollider code: its library file, else its template."""
        records = self._load()
        resolved = self._resolve(synth_id, records)
        names = [resolved]
        if resolved in records:
            names.append(records[resolved].name)
        for name in names:
            source = self.library_source(name)
            if source is not None:
                return source
        if resolved in library.template_names():
            return library.template_source(resolved)
        raise SynthNotFoundError(
            f"synth {synth_id!r} is recorded but its code is not in "
            f"the library ({self.library_dir})"
        )

    def load_synth(self, synth_id: str) -> SynthDefInfo:
        """The parsed SynthDef of a synth in the library or a template."""
        source = self.source_code(synth_id)
        return parse_synthdef(source)

    # --- the spec's methods ---------------------------------------------------------------

    def record_synth(
        self,
        synth_id: str,
        name: str | Sequence[str],
        parent_ids: Sequence[str] | None = None,
        generation_method: str | None = None,
        mutation_log: Sequence[str] | None = None,
    ) -> None:
        """Record a new synth.

        Parents must be recorded synths or templates (SynthNotFoundError otherwise); templates
        not yet recorded are recorded as originals; a synth cannot be its own parent
        (ValueError). Recording an id again with the same lineage changes nothing; with a
        different one it is a ValueError (a record's history is never rewritten). The short
        form of the spec's class example, ``record_synth(id, parent_ids, mutation_log)``, is
        accepted: the name is then the id and the method follows from the number of parents.
        ValueError for an unknown method or badly typed arguments.
        """
        if not isinstance(name, str):  # record_synth(id, parent_ids, mutation_log)
            name, parent_ids, mutation_log = synth_id, name, parent_ids
            if generation_method is None:
                count = len(parent_ids or [])
                generation_method = ("generated", "mutation")[count] if count < 2 else "crossover"
        record = self._new_record(synth_id, name, parent_ids, generation_method, mutation_log)
        with self._transaction() as records:
            self._store(records, record)

    def _new_record(
        self,
        synth_id: object,
        name: object,
        parent_ids: object,
        generation_method: object,
        mutation_log: object,
    ) -> SynthRecord:
        if not isinstance(synth_id, str) or not synth_id.strip():
            raise ValueError(f"invalid synth id {synth_id!r}")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"invalid synth name {name!r}")
        parents = [] if parent_ids is None else parent_ids
        if isinstance(parents, str) or not isinstance(parents, Sequence):
            raise ValueError(f"invalid parent_ids {parent_ids!r}: expected a list of ids")
        if not all(isinstance(p, str) and p for p in parents):
            raise ValueError(f"invalid parent_ids {parent_ids!r}: expected a list of ids")
        log = [] if mutation_log is None else mutation_log
        if isinstance(log, str) or not isinstance(log, Sequence):
            raise ValueError(f"invalid mutation_log {mutation_log!r}: expected a list of lines")
        if not all(isinstance(line, str) for line in log):
            raise ValueError(f"invalid mutation_log {mutation_log!r}: expected a list of lines")
        if generation_method is None:
            method = "generated"
        elif isinstance(generation_method, str):
            method = normalize_method(generation_method)
        else:
            raise ValueError(f"invalid generation_method {generation_method!r}")
        return SynthRecord(synth_id, name, list(parents), method, list(log), None, None, _now())

    def _store(self, records: dict[str, SynthRecord], record: SynthRecord) -> None:
        """Add a record: its parents must be known and must not be itself or its descendants.

        Recording an id again is a no-op when the lineage is the same, ValueError otherwise.
        """
        templates = set(library.template_names())
        parents = []
        for given in record.parent_ids:
            parent = given
            if parent == record.id:
                raise ValueError(f"synth {record.id!r} cannot be its own parent")
            if parent not in records and parent not in templates:
                try:
                    parent = self._resolve(parent, records)
                except SynthNotFoundError:
                    raise SynthNotFoundError(
                        f"unknown parent {given!r} of synth {record.id!r}: a parent must be a "
                        "recorded synth or a template"
                    ) from None
            if parent == record.id:
                raise ValueError(f"synth {record.id!r} cannot be its own parent")
            parents.append(parent)
        old = records.get(record.id)
        if old is not None:
            if (old.name, old.parent_ids, old.generation_method, old.mutation_log) == (
                record.name,
                parents,
                record.generation_method,
                record.mutation_log,
            ):
                return
            raise ValueError(
                f"synth {record.id!r} is already recorded with a different lineage (parents "
                f"{old.parent_ids}, method {old.generation_method!r}); record the new synth "
                "under a new id"
            )
        for parent in parents:
            if parent in templates and parent not in records:
                records[parent] = _template_record(parent)
                records[parent].created_at = _now()
        record.parent_ids = parents
        records[record.id] = record

    def rate_synth(self, synth_id: str, score: int, notes: str | None = None) -> None:
        """Record the user's rating (1-5) and notes; ValueError for a score outside 1-5,
        KeyError (SynthNotFoundError) for an unknown synth. Notes left None keep the old."""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValueError(f"invalid rating {score!r}: expected an integer from 1 to 5")
        if notes is not None and not isinstance(notes, str):
            raise ValueError(f"invalid notes {notes!r}: expected text")
        with self._transaction() as records:
            resolved = self._resolve(synth_id, records)
            if resolved not in records:
                records[resolved] = _template_record(resolved)
                records[resolved].created_at = _now()
            records[resolved].user_rating = score
            if notes is not None:
                records[resolved].user_notes = notes

    def _generations(self, records: dict[str, SynthRecord]) -> dict[str, int]:
        """Each synth's generation: 0 without parents, else 1 + its oldest parent's."""
        return generation_numbers({i: r.parent_ids for i, r in records.items()})

    def _cycle(self, start: str, edges: dict[str, list[str]]) -> list[str] | None:
        """A cycle reachable from start along edges (as a path that returns to its start)."""
        done: set[str] = set()
        path: list[str] = [start]
        where = {start: 0}
        stack = [iter(edges.get(start, []))]
        while stack:
            for nxt in stack[-1]:
                if nxt in where:
                    return [*path[where[nxt] :], nxt]
                if nxt not in done:
                    where[nxt] = len(path)
                    path.append(nxt)
                    stack.append(iter(edges.get(nxt, [])))
                    break
            else:
                stack.pop()
                finished = path.pop()
                del where[finished]
                done.add(finished)
        return None

    def _refuse_cycle(self, start: str, edges: dict[str, list[str]], upward: bool) -> None:
        """StoreCorruptError naming a cycle reachable from start (edges to parents if upward)."""
        cycle = self._cycle(start, edges)
        if cycle is not None:
            ordered = list(reversed(cycle)) if upward else cycle
            raise self._corrupt(
                "a parent cycle: " + " → ".join(ordered) + " (each is a parent of the next)"
            )

    @staticmethod
    def _parent_edges(records: dict[str, SynthRecord]) -> dict[str, list[str]]:
        return {synth_id: list(record.parent_ids) for synth_id, record in records.items()}

    def _ancestors(self, synth_id: str, records: dict[str, SynthRecord]) -> set[str]:
        found: set[str] = set()
        stack = list(records[synth_id].parent_ids) if synth_id in records else []
        while stack:
            current = stack.pop()
            if current in found or current == synth_id:
                continue
            found.add(current)
            if current in records:
                stack.extend(records[current].parent_ids)
        return found

    def _children(self, records: dict[str, SynthRecord]) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {}
        for record in records.values():
            for parent in dict.fromkeys(record.parent_ids):
                children.setdefault(parent, []).append(record.id)
        return children

    def _descendants(self, synth_id: str, records: dict[str, SynthRecord]) -> set[str]:
        children = self._children(records)
        found: set[str] = set()
        stack = list(children.get(synth_id, []))
        while stack:
            current = stack.pop()
            if current in found or current == synth_id:
                continue
            found.add(current)
            stack.extend(children.get(current, []))
        return found

    def get_lineage(self, synth_id: str) -> dict[str, Any]:
        """Ancestors (oldest first), descendants, generation and the family tree of a synth.

        ``family_tree`` nests from each root ancestor down to the synth, along every line of
        descent that leads to it (the synth itself maps to ``{}``), as in the spec's example
        ``{'tb303': {'tb303_m1': {'tb303_m2': {}}}}``. KeyError (SynthNotFoundError) if unknown.
        """
        records = self._load()
        resolved = self._resolve(synth_id, records)
        self._refuse_cycle(resolved, self._parent_edges(records), upward=True)
        generations = self._generations(records)
        order = {key: index for index, key in enumerate(records)}
        key = _sort_key(order, generations)
        ancestors = sorted(self._ancestors(resolved, records), key=key)
        descendants = sorted(self._descendants(resolved, records), key=key)
        return {
            "synth_id": resolved,
            "ancestors": ancestors,
            "descendants": descendants,
            "generation": generations.get(resolved, 0),
            "family_tree": self._family_tree(resolved, set(ancestors), records, key),
        }

    def _family_tree(
        self, synth_id: str, ancestors: set[str], records: dict[str, SynthRecord], key: Any
    ) -> dict[str, Any]:
        members = ancestors | {synth_id}
        children: dict[str, list[str]] = {}
        for member in members:
            record = records.get(member)
            for parent in dict.fromkeys(record.parent_ids if record else []):
                if parent in members:
                    children.setdefault(parent, []).append(member)
        has_parent = {kid for kids in children.values() for kid in kids}
        roots = sorted((m for m in members if m not in has_parent), key=key)
        return {root: _expand(root, children, key) for root in roots}

    def descendant_tree(self, synth_id: str) -> dict[str, Any]:
        """The synth's descendants nested under their parents: ``{child: {grandchild: {}}}``."""
        records = self._load()
        resolved = self._resolve(synth_id, records)
        children = self._children(records)
        self._refuse_cycle(resolved, children, upward=False)
        order = {key: index for index, key in enumerate(records)}
        key = _sort_key(order, self._generations(records))
        return _expand(resolved, children, key)

    def ancestry(self, synth_id: str) -> list[str]:
        """Ancestors oldest first, ending with the synth itself (EvolutionEngine.get_lineage)."""
        lineage = self.get_lineage(synth_id)
        return [*lineage["ancestors"], lineage["synth_id"]]

    def get_top_rated(self, limit: int = 10, min_rating: int | None = None) -> list[dict[str, Any]]:
        """Rated synths, highest rating first (ties: newest first), as record dicts with
        their ``generation``; ValueError for a negative limit or a min_rating outside 1-5."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"invalid limit {limit!r}: expected an integer >= 0")
        if min_rating is not None and (
            isinstance(min_rating, bool)
            or not isinstance(min_rating, int)
            or not 1 <= min_rating <= 5
        ):
            raise ValueError(f"invalid min_rating {min_rating!r}: expected an integer from 1 to 5")
        records = self._load()
        generations = self._generations(records)
        order = {key: index for index, key in enumerate(records)}
        rated = [
            r
            for r in records.values()
            if r.user_rating is not None and (min_rating is None or r.user_rating >= min_rating)
        ]
        rated.sort(key=lambda r: (-(r.user_rating or 0), -order[r.id]))
        return [
            {**record.to_dict(), "generation": generations.get(record.id, 0)}
            for record in rated[:limit]
        ]

    def get_generation_stats(self) -> dict[str, Any]:
        """Counts by how synths were made, generation depth and the mean rating.

        Keys: ``total_synths``, ``original_synths`` (no parents), ``mutated_synths``,
        ``crossover_synths``, ``generated_synths``, ``max_generation``, ``avg_generation``,
        ``avg_rating`` (None when nothing is rated). Means are rounded to 2 decimals.
        """
        records = self._load()
        generations = self._generations(records)
        values = list(records.values())
        ratings = [r.user_rating for r in values if r.user_rating is not None]
        return {
            "total_synths": len(values),
            "original_synths": sum(1 for r in values if not r.parent_ids),
            "mutated_synths": sum(1 for r in values if r.generation_method == "mutation"),
            "crossover_synths": sum(1 for r in values if r.generation_method == "crossover"),
            "generated_synths": sum(1 for r in values if r.generation_method == "generated"),
            "max_generation": max(generations.values(), default=0),
            "avg_generation": round(sum(generations.values()) / len(values), 2) if values else 0.0,
            "avg_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        }

    # --- the library ----------------------------------------------------------------------

    def save(self, synth: GeneratedSynth) -> SynthLineage:
        """Put a synth's code in the library and record its lineage; returns its SynthLineage.

        Saving the same synth (same name, same code) again returns the stored one. ValueError
        when the name is taken by a different synth or a template.
        """
        path = self.library_path(synth.name)
        digest = reservations.code_digest(synth.source_code)
        with self._transaction() as records:
            existing = self.library_source(synth.name)
            if synth.name in library.template_names():
                raise ValueError(f"{synth.name!r} is the name of a template")
            if existing is not None and existing != synth.source_code:
                raise ValueError(f"the library already holds a different synth {synth.name!r}")
            if reservations.reserve(self.library_dir, synth.name, digest) != digest:
                raise ValueError(
                    f"the name {synth.name!r} was handed out to a different synth; make this "
                    "one again to get a free name"
                )
            if existing is None and synth.name in records:
                raise ValueError(f"the lineage already records a synth {synth.name!r}")
            if existing is None or synth.name not in records:
                atomic_write_text(path, synth.source_code)
                record = self._new_record(
                    synth.name,
                    synth.name,
                    synth.parent_ids,
                    synth.generation_method,
                    synth.mutation_log,
                )
                self._store(records, record)
        return self.synth_lineage(synth.name)

    def synth_lineage(self, synth_id: str) -> SynthLineage:
        """The spec's SynthLineage of a synth: its record and code."""
        records = self._load()
        resolved = self._resolve(synth_id, records)
        record = self._get(resolved, records)
        try:
            source = self.source_code(resolved)
        except SynthNotFoundError:
            source = ""
        return SynthLineage(
            id=record.id,
            name=record.name,
            source_code=source,
            parent_ids=list(record.parent_ids),
            generation_method=record.generation_method,
            mutation_log=list(record.mutation_log),
            user_rating=record.user_rating,
            user_notes=record.user_notes,
            created_at=record.created_at or _now(),
        )


def _expand(root: str, children: dict[str, list[str]], key: Any) -> dict[str, Any]:
    """The nested dict of root's descendants along children (acyclic), built iteratively."""
    tree: dict[str, Any] = {}
    stack = [(root, tree)]
    while stack:
        node, into = stack.pop()
        for child in sorted(dict.fromkeys(children.get(node, [])), key=key):
            into[child] = {}
            stack.append((child, into[child]))
    return tree


def default_tracker() -> LineageTracker:
    """A tracker on the default database (``paths.lineage_path()``, read at each call)."""
    return LineageTracker()


def record_synth(
    synth_id: str,
    name: str,
    parent_ids: list[str],
    generation_method: str,
    mutation_log: list[str],
) -> None:
    """Record a new synth in the lineage database (see LineageTracker.record_synth)."""
    default_tracker().record_synth(synth_id, name, parent_ids, generation_method, mutation_log)


def rate_synth(synth_id: str, score: int, notes: str | None = None) -> None:
    """Record user rating for a synth (see LineageTracker.rate_synth)."""
    default_tracker().rate_synth(synth_id, score, notes)


def get_synth_lineage(synth_id: str) -> dict[str, Any]:
    """Full ancestry and descendants of a synth (see LineageTracker.get_lineage)."""
    return default_tracker().get_lineage(synth_id)


def get_top_rated(limit: int = 10, min_rating: int | None = None) -> list[dict[str, Any]]:
    """Highest-rated synths (see LineageTracker.get_top_rated)."""
    return default_tracker().get_top_rated(limit, min_rating)


def get_generation_stats() -> dict[str, Any]:
    """Statistics about evolutionary generations (see LineageTracker.get_generation_stats)."""
    return default_tracker().get_generation_stats()
