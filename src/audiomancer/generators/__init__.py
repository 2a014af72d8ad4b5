"""Pattern generation and evolution, synth generation and evolution: the public API.

The names the spec's ``audiomancer.generators`` reference lists are importable from here as
they are built (see the issues for what is still to come).
"""

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
