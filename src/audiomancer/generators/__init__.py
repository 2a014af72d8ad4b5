"""Pattern generation and evolution, synth generation and evolution: the public API.

The names the spec's ``audiomancer.generators`` reference lists are importable from here. They
load on first use (PEP 562): ``generate drums`` needs the pattern generator, not the
SuperCollider parser and the synth operators, so importing one name loads only its module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from audiomancer.generators.evolution import EvolutionEngine
    from audiomancer.generators.lineage import (
        LineageTracker,
        SynthLineage,
        SynthRecord,
        get_generation_stats,
        get_synth_lineage,
        get_top_rated,
        rate_synth,
        record_synth,
    )
    from audiomancer.generators.patterns import PatternGenerator
    from audiomancer.generators.synths import (
        GeneratedSynth,
        breed_synths,
        generate_synth,
        mutate_synth,
    )
    from audiomancer.patterns.metadata import PatternMetadata

_HOMES: Final[dict[str, str]] = {
    "EvolutionEngine": "audiomancer.generators.evolution",
    "GeneratedSynth": "audiomancer.generators.synths",
    "LineageTracker": "audiomancer.generators.lineage",
    "PatternGenerator": "audiomancer.generators.patterns",
    "PatternMetadata": "audiomancer.patterns.metadata",
    "SynthLineage": "audiomancer.generators.lineage",
    "SynthRecord": "audiomancer.generators.lineage",
    "breed_synths": "audiomancer.generators.synths",
    "generate_synth": "audiomancer.generators.synths",
    "get_generation_stats": "audiomancer.generators.lineage",
    "get_synth_lineage": "audiomancer.generators.lineage",
    "get_top_rated": "audiomancer.generators.lineage",
    "mutate_synth": "audiomancer.generators.synths",
    "rate_synth": "audiomancer.generators.lineage",
    "record_synth": "audiomancer.generators.lineage",
}
"""Where each public name lives."""

__all__ = [
    "EvolutionEngine",
    "GeneratedSynth",
    "LineageTracker",
    "PatternGenerator",
    "PatternMetadata",
    "SynthLineage",
    "SynthRecord",
    "breed_synths",
    "generate_synth",
    "get_generation_stats",
    "get_synth_lineage",
    "get_top_rated",
    "mutate_synth",
    "rate_synth",
    "record_synth",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
