"""Pattern generation and evolution, synth generation and evolution: the public API.

The names the spec's ``audiomancer.generators`` reference lists are importable from here as
they are built (see the issues for what is still to come).
"""

from audiomancer.generators.evolution import EvolutionEngine
from audiomancer.patterns.metadata import PatternMetadata

__all__ = ["EvolutionEngine", "PatternMetadata"]
