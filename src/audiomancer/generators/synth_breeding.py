"""breed_synths: a child of two SynthDefs, by the crossover stages of ``synth_ops``.

The stages are :data:`audiomancer.evolution.synth_ops.CROSSOVER_STAGES`; every child is
checked as :mod:`audiomancer.generators.synth_checks` describes before it is returned.
"""

from __future__ import annotations

from audiomancer.analyzers.synthdef import SynthDefInfo
from audiomancer.errors import SynthDefError
from audiomancer.evolution import synth_ops
from audiomancer.generators.lineage import LineageTracker
from audiomancer.generators.synth_checks import (
    MAX_ATTEMPTS,
    Candidate,
    apply_edit,
    as_info,
    bound,
    default_tracker,
    finish,
    make_rng,
    require_compiles,
    to_generated,
)
from audiomancer.generators.synth_model import GeneratedSynth
from audiomancer.generators.synth_names import child_names
from audiomancer.supercollider import syntax as sc

__all__ = ["breed_synths"]


def breed_synths(
    synth_a: SynthDefInfo | GeneratedSynth,
    synth_b: SynthDefInfo | GeneratedSynth,
    seed: int | None = None,
    *,
    tracker: LineageTracker | None = None,
) -> GeneratedSynth:
    """Crossover two SynthDefs into a child named ``<a>_x_<b>``.

    The child keeps A's oscillators, envelope and output; takes B's filter (class, frequency
    and resonance where they mean the same in A); mixes the effects of both at random; has
    the union of their controls, numeric defaults of shared controls averaged. Each stage is
    compiled as it is applied and dropped if it breaks the code; the child renders audibly.
    ValueError when both are the same SynthDef; SynthDefError when a parent does not compile or
    no valid child can be made.
    """
    a, b = as_info(synth_a), as_info(synth_b)
    if a.source_code == b.source_code:
        raise ValueError(f"cannot breed synth {a.name!r} with itself: give two different synths")
    tracker = default_tracker(tracker)
    rng = make_rng(seed)
    require_compiles(a)
    require_compiles(b)
    program_a, program_b = sc.parse(a.source_code), sc.parse(b.source_code)
    synth_ops.locate(program_a)
    synth_ops.locate(program_b)
    names = (a.name, b.name)
    rejected: list[str] = []
    stages = list(synth_ops.CROSSOVER_STAGES)
    for attempt in range(MAX_ATTEMPTS):
        candidate = Candidate(program_a, [])
        # Later attempts leave out the filter and then the effects: the plainest child of two
        # working parents is A with B's controls.
        skip = {"mix_effects"} if attempt >= 3 else set()
        if attempt >= 5:
            skip.add("transplant_filter")
        for name, stage in stages:
            if name in skip:
                continue
            applied = apply_edit(bound(stage, program_b, rng, names), candidate, name, rejected)
            if applied is not None:
                candidate = applied
        finished = finish(candidate, a.source_code, rejected)
        if finished is not None:
            return to_generated(
                finished.program,
                finished.log,
                child_names(a.name, b.name),
                tracker,
                parents=[a.name, b.name],
                method="crossover",
                category=a.category,
                rejected=rejected,
            )
    raise SynthDefError(
        f"no valid child of {a.name!r} and {b.name!r} in {MAX_ATTEMPTS} attempts: "
        + "; ".join(rejected[-4:])
    )
