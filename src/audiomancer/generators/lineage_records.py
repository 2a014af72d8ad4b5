"""The synth lineage's record model: :class:`SynthRecord` (a row of the database) and the spec's
:class:`SynthLineage` (a record with the synth's code), how a record is read from and written to
its JSON object, and how the arguments of ``record_synth`` become a record.

Storage is :mod:`audiomancer.generators.lineage_file`; questions about the family graph are
:mod:`audiomancer.generators.lineage_tree`; :mod:`audiomancer.generators.lineage` is the face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, TypedDict

from audiomancer.generators.synth_model import (
    GENERATION_METHODS,
    METHOD_ALIASES,
    normalize_method,
)
from audiomancer.supercollider import library

__all__ = ["RECORD_KEYS", "SynthLineage", "SynthRecord", "new_record", "now", "template_record"]


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
            extra={key: value for key, value in data.items() if key not in RECORD_KEYS},
        )


RECORD_KEYS: Final = frozenset(
    ("name", "parent_ids", "generation_method", "mutation_log", "user_rating", "user_notes",
     "created_at")
)  # fmt: skip
"""The fields of a stored record that :class:`SynthRecord` knows (others go to ``extra``)."""


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


def now() -> datetime:
    """The time a record is made at (UTC)."""
    return datetime.now(UTC)


def template_record(name: str) -> SynthRecord:
    """The original record of a shipped template (generation 0), dated by its file."""
    created = datetime.fromtimestamp(library.template_path(name).stat().st_mtime, UTC)
    return SynthRecord(name, name, [], "original", [], None, None, created)


def new_record(
    synth_id: object,
    name: object,
    parent_ids: object,
    generation_method: object,
    mutation_log: object,
) -> SynthRecord:
    """The record ``record_synth`` makes of its arguments, dated now; ValueError naming a badly
    typed argument or an unknown method (``None`` parents, log and method: none, none,
    ``generated``). Whether the parents exist is the database's question, not this one's."""
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
    return SynthRecord(synth_id, name, list(parents), method, list(log), None, None, now())
