"""PatternMetadata: the record of a stored pattern, as the spec's TypedDict describes it.

The spec's examples use both ``pattern['type']`` and ``pattern.id``, so the record is a plain
``dict`` (JSON-ready, comparable, what a TypedDict is at run time) that also answers attribute
access for each of its keys.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Final

from audiomancer.patterns.midi import from_midi_data
from audiomancer.patterns.model import Pattern

PATTERN_ID_PREFIX: Final = "ptrn_"

PATTERN_KEYS: Final[tuple[str, ...]] = (
    "id",
    "type",
    "midi_data",
    "tidal_code",
    "sc_code",
    "style",
    "key",
    "scale",
    "bpm",
    "bars",
    "time_signature",
    "parent_ids",
    "generation_method",
    "mutation_amount",
    "mutation_log",
    "user_rating",
    "user_notes",
    "created_at",
)
"""Every key of a record: the spec's, plus ``time_signature`` and ``mutation_log``."""

GENERATION_METHODS: Final = ("generated", "imported", "mutated", "crossover")


def derive_pattern_id(*parts: object) -> str:
    """A deterministic id ``ptrn_`` + 8 hex digits from the given parts (seeded operations)."""
    digest = hashlib.sha256("\x1f".join(map(repr, parts)).encode()).hexdigest()
    return PATTERN_ID_PREFIX + digest[:8]


def is_pattern_id(text: str) -> bool:
    """True for a well-formed pattern id (``ptrn_`` + 8 lowercase hex digits)."""
    tail = text[len(PATTERN_ID_PREFIX) :]
    return (
        text.startswith(PATTERN_ID_PREFIX)
        and len(tail) == 8
        and all(c in "0123456789abcdef" for c in tail)
    )


class PatternMetadata(dict[str, Any]):
    """A stored pattern: MIDI data, Tidal and Pbind code, musical settings, lineage, rating."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"PatternMetadata has no key {name!r}") from None

    @property
    def id(self) -> str:
        """``ptrn_`` + 8 hex digits."""
        return str(self["id"])

    @property
    def type(self) -> str:
        """drums, melody or bass."""
        return str(self["type"])

    @property
    def parent_ids(self) -> list[str]:
        """Ids of the patterns this one was bred from (empty for generated/imported)."""
        return list(self["parent_ids"])

    @property
    def user_rating(self) -> int | None:
        """The user's 1-5 rating, or None."""
        value = self["user_rating"]
        return None if value is None else int(value)

    @property
    def created_at(self) -> datetime:
        """When the pattern was stored (UTC)."""
        value = self["created_at"]
        assert isinstance(value, datetime)
        return value

    def to_pattern(self) -> Pattern:
        """The pattern itself, rebuilt from ``midi_data`` with key, scale and style."""
        return from_midi_data(
            self["midi_data"], key=self["key"], scale=self["scale"], style=self["style"]
        )
