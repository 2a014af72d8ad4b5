"""Synth generation, mutation and breeding: the spec's generate_synth, mutate_synth, breed_synths.

The edits themselves are the pure operators of :mod:`audiomancer.evolution.synth_ops`; this
module picks them (all randomness from one ``random.Random(seed)``, so a seed gives the same
synth in any process), names the result and proves it works before returning it.

The work is split by concept; this module gathers the public names:

- :mod:`~audiomancer.generators.synth_names`: names of mutants, children, generated synths;
- :mod:`~audiomancer.generators.synth_checks`: compile, audition and retry of candidates;
- :mod:`~audiomancer.generators.synth_mutation`: ``mutate_synth``;
- :mod:`~audiomancer.generators.synth_breeding`: ``breed_synths``;
- :mod:`~audiomancer.generators.synth_generation`: ``generate_synth`` and its keywords.

These functions return synths without storing them; ``LineageTracker.save`` (used by
``EvolutionEngine.mutate_synth`` and the CLI) puts them in the library and the lineage.
"""

from audiomancer.generators.synth_breeding import breed_synths
from audiomancer.generators.synth_checks import MAX_ATTEMPTS
from audiomancer.generators.synth_generation import KEYWORDS, CategoryName, generate_synth
from audiomancer.generators.synth_model import GeneratedSynth
from audiomancer.generators.synth_mutation import mutate_synth
from audiomancer.generators.synth_names import sanitize_name

__all__ = [
    "KEYWORDS",
    "MAX_ATTEMPTS",
    "CategoryName",
    "GeneratedSynth",
    "breed_synths",
    "generate_synth",
    "mutate_synth",
    "sanitize_name",
]
