"""Synth lineage: who descends from whom, what changed, and how the user rated it (DESIGN §7).

:class:`LineageTracker` is the spec's tracker and this module its face (with the spec's module
functions). It stands on three modules, one concept each:

- :mod:`~audiomancer.generators.lineage_records`: the record model (:class:`SynthRecord`,
  :class:`SynthLineage`), its JSON form, and what ``record_synth`` accepts;
- :mod:`~audiomancer.generators.lineage_file`: the JSON database (schema, atomic writes under a
  lock, corrupt files reported and left alone);
- :mod:`~audiomancer.generators.lineage_tree`: questions about the family graph (generations,
  ancestors, descendants, trees, top rated, statistics).

**Ids**: a synth's id is its SynthDef name (``tb303``, ``tb303_m427``); lookups also accept the
spec examples' ``synt_`` prefix (``synt_tb303``) and a record's name. The shipped templates are
the original synths (generation 0): they are recorded lazily, the first time one is a parent or
is rated, and are known to every lookup before that. ``generation_method`` ``mutated`` is
accepted on input as an alias of ``mutation``.

The synth library: each synth's code is a ``<name>.scd`` file in the ``synths`` folder beside
the database (:func:`audiomancer.paths.synth_library_dir` for the default database), so
``EvolutionEngine.mutate_synth`` and the CLI can find a synth by its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from audiomancer import paths
from audiomancer.analyzers.synthdef import SynthDefInfo, parse_synthdef
from audiomancer.atomic import atomic_write_text
from audiomancer.errors import StoreAccessError, SynthNotFoundError
from audiomancer.generators import lineage_tree as tree
from audiomancer.generators import reservations
from audiomancer.generators.lineage_file import LineageFile, Records
from audiomancer.generators.lineage_records import (
    SynthLineage,
    SynthRecord,
    new_record,
    now,
    template_record,
)
from audiomancer.generators.synth_model import GENERATION_METHODS, GeneratedSynth, normalize_method
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

ID_PREFIX: Final = "synt_"
"""The spec examples write synth ids as ``synt_<name>``; lookups accept that form."""
_SAFE_NAME: Final = r"[A-Za-z][A-Za-z0-9_]*"


class LineageTracker:
    """Tracks synth evolution lineage and fitness scores in a JSON file (see the module doc)."""

    def __init__(self, db_path: Path | None = None) -> None:
        self.db_path = Path(db_path) if db_path is not None else paths.lineage_path()

    @property
    def _file(self) -> LineageFile:
        return LineageFile(self.db_path)

    @property
    def library_dir(self) -> Path:
        """The folder of ``<name>.scd`` files beside the database."""
        return self._file.library_dir

    @property
    def lock_path(self) -> Path:
        """The lock file every writer holds while it reads, edits and writes the database."""
        return self._file.lock_path

    @property
    def backup_path(self) -> Path:
        """The last good version of the database before the latest write."""
        return self._file.backup_path

    def check_writable(self) -> None:
        """StoreAccessError naming the folder when the database or library cannot be written
        (read-only, not a folder): called before any work whose result would be recorded."""
        self._file.check_writable()

    def _load(self) -> Records:
        return self._file.load()

    @contextmanager
    def _transaction(self) -> Iterator[Records]:
        with self._file.transaction() as records:
            yield records

    # --- lookups --------------------------------------------------------------------------

    def _resolve(self, synth_id: str, records: Records) -> str:
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

    def _get(self, synth_id: str, records: Records) -> SynthRecord:
        if synth_id in records:
            return records[synth_id]
        return template_record(synth_id)

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
    def _names_in(records: Records, name: str) -> bool:
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
        record = new_record(synth_id, name, parent_ids, generation_method, mutation_log)
        with self._transaction() as records:
            self._store(records, record)

    def _store(self, records: Records, record: SynthRecord) -> None:
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
                records[parent] = template_record(parent)
                records[parent].created_at = now()
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
                records[resolved] = template_record(resolved)
                records[resolved].created_at = now()
            records[resolved].user_rating = score
            if notes is not None:
                records[resolved].user_notes = notes

    def _refuse_cycle(self, start: str, edges: dict[str, list[str]], upward: bool) -> None:
        """StoreCorruptError naming a cycle reachable from start (edges to parents if upward)."""
        cycle = tree.find_cycle(start, edges)
        if cycle is not None:
            ordered = list(reversed(cycle)) if upward else cycle
            raise self._file.corrupt(
                "a parent cycle: " + " → ".join(ordered) + " (each is a parent of the next)"
            )

    def get_lineage(self, synth_id: str) -> dict[str, Any]:
        """Ancestors (oldest first), descendants, generation and the family tree of a synth.

        ``family_tree`` nests from each root ancestor down to the synth, along every line of
        descent that leads to it (the synth itself maps to ``{}``), as in the spec's example
        ``{'tb303': {'tb303_m1': {'tb303_m2': {}}}}``. KeyError (SynthNotFoundError) if unknown.
        """
        records = self._load()
        resolved = self._resolve(synth_id, records)
        self._refuse_cycle(resolved, tree.parent_edges(records), upward=True)
        generations = tree.generations(records)
        key = tree.sort_key(records, generations)
        ancestors = sorted(tree.ancestors(resolved, records), key=key)
        descendants = sorted(tree.descendants(resolved, records), key=key)
        return {
            "synth_id": resolved,
            "ancestors": ancestors,
            "descendants": descendants,
            "generation": generations.get(resolved, 0),
            "family_tree": tree.family_tree(resolved, set(ancestors), records, key),
        }

    def descendant_tree(self, synth_id: str) -> dict[str, Any]:
        """The synth's descendants nested under their parents: ``{child: {grandchild: {}}}``."""
        records = self._load()
        resolved = self._resolve(synth_id, records)
        children = tree.children(records)
        self._refuse_cycle(resolved, children, upward=False)
        return tree.expand(resolved, children, tree.sort_key(records))

    def ancestry(self, synth_id: str) -> list[str]:
        """Ancestors oldest first, ending with the synth itself (EvolutionEngine.get_lineage)."""
        lineage = self.get_lineage(synth_id)
        return [*lineage["ancestors"], lineage["synth_id"]]

    def get_top_rated(self, limit: int = 10, min_rating: int | None = None) -> list[dict[str, Any]]:
        """Rated synths, highest rating first (ties: newest first), as record dicts with
        their ``generation``; ValueError for a negative limit or a min_rating outside 1-5."""
        return tree.top_rated(self._load(), limit, min_rating)

    def get_generation_stats(self) -> dict[str, Any]:
        """Counts by how synths were made, generation depth and the mean rating.

        Keys: ``total_synths``, ``original_synths`` (no parents), ``mutated_synths``,
        ``crossover_synths``, ``generated_synths``, ``max_generation``, ``avg_generation``,
        ``avg_rating`` (None when nothing is rated). Means are rounded to 2 decimals.
        """
        return tree.generation_stats(self._load())

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
                record = new_record(
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
            created_at=record.created_at or now(),
        )


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
