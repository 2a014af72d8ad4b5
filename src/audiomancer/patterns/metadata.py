"""PatternMetadata: the record of a stored pattern, as the spec's TypedDict describes it.

The spec's examples use both ``pattern['type']`` and ``pattern.id``, so the record is a plain
``dict`` (JSON-ready, comparable, what a TypedDict is at run time) that also answers attribute
access for each of its keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from audiomancer.patterns.kits import DEFAULT_KIT, default_sound
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
    "kit",
    "sound",
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
"""Every key of a record: the spec's, plus ``time_signature``, ``mutation_log``, ``kit`` (the
drum kit that plays it in Tidal, None for melodic types) and ``sound`` (the SuperDirt sound of a
melody or bass line, None for drums)."""

GENERATION_METHODS: Final = ("generated", "imported", "mutated", "crossover", "humanized")


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
        pattern = from_midi_data(
            self["midi_data"], key=self["key"], scale=self["scale"], style=self["style"]
        )
        kit, sound = self.get("kit"), self.get("sound")
        if kit == DEFAULT_KIT:
            kit = None  # None is the default kit, as a Pattern spells it
        if sound == default_sound(pattern.type):
            sound = None
        if kit is None and sound is None:
            return pattern
        return replace(pattern, kit=kit, sound=sound)
