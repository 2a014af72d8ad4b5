"""What a generated synth is: :class:`GeneratedSynth` and its generation methods.

Both the generators (``audiomancer.generators.synths``) and the lineage
(``audiomancer.generators.lineage``) use these; they live here so that neither depends on the
other for them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Final

from audiomancer.analyzers.synthdef import CATEGORIES, SynthControl, SynthDefInfo, parse_synthdef

__all__ = ["GENERATION_METHODS", "METHOD_ALIASES", "GeneratedSynth", "normalize_method"]

GENERATION_METHODS: Final = ("original", "generated", "mutation", "crossover")
METHOD_ALIASES: Final = {"mutated": "mutation"}


def normalize_method(method: str) -> str:
    """A generation method as stored (``mutated`` → ``mutation``); ValueError if unknown."""
    if not isinstance(method, str):
        raise ValueError(f"invalid generation_method {method!r}")
    method = METHOD_ALIASES.get(method, method)
    if method not in GENERATION_METHODS:
        raise ValueError(
            f"invalid generation_method {method!r}: expected one of "
            f"{', '.join(GENERATION_METHODS)} (or 'mutated')"
        )
    return method


@dataclass
class GeneratedSynth:
    """A generated or mutated SynthDef.

    ``generation_method`` is ``generated``, ``mutation`` or ``crossover`` (``mutated`` is
    accepted and stored as ``mutation``). ``rejected`` (not in the spec) lists the operators
    that did not apply and the candidates that failed on the way, with the reason.
    """

    name: str
    source_code: str
    controls: list[SynthControl] = field(default_factory=list)
    parent_ids: list[str] = field(default_factory=list)
    generation_method: str = "generated"
    mutation_log: list[str] = field(default_factory=list)
    category: str | None = None
    rejected: list[str] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        # The spec types parent_ids and mutation_log as Optional: None means none.
        self.parent_ids = list(self.parent_ids or [])
        self.mutation_log = list(self.mutation_log or [])
        self.controls = list(self.controls or [])
        self.generation_method = normalize_method(self.generation_method)

    def to_info(self) -> SynthDefInfo:
        """The synth as a parsed SynthDefInfo (for another mutation or crossover)."""
        info = parse_synthdef(self.source_code)
        if self.category in CATEGORIES:
            return dataclasses.replace(info, category=self.category)
        return info
