"""mutate_synth: seeded variations of a SynthDef, by the spec's weighted operators.

The operators are :data:`audiomancer.evolution.synth_ops.MUTATIONS`; every mutant is checked
as :mod:`audiomancer.generators.synth_checks` describes before it is returned.
"""

from __future__ import annotations

import random

from audiomancer.analyzers.synthdef import SynthDefInfo
from audiomancer.arguments import validate_amount
from audiomancer.errors import SynthDefError
from audiomancer.evolution import synth_ops
from audiomancer.evolution.synth_ops import NotApplicable
from audiomancer.generators.lineage import LineageTracker
from audiomancer.generators.synth_checks import (
    CACHE_LIMIT,
    MAX_ATTEMPTS,
    Candidate,
    apply_edit,
    as_info,
    bound,
    default_tracker,
    digest,
    finish,
    make_rng,
    require_compiles,
    to_generated,
)
from audiomancer.generators.synth_model import GeneratedSynth
from audiomancer.generators.synth_names import mutant_names
from audiomancer.supercollider import syntax as sc

__all__ = ["mutate_synth"]


def _applies(
    operator: synth_ops.Operator, program: sc.Program, rng: random.Random, amount: float
) -> str | None:
    """None when the operator can act on the program, else why not (tried on a copy of the
    generator, so the real one is not advanced)."""
    trial = random.Random()
    trial.setstate(rng.getstate())
    try:
        operator(program, trial, amount)
    except NotApplicable as reason:
        return str(reason)
    return None


_APPLICABLE_CACHE: dict[tuple[str, float, tuple[int, ...]], list[str | None]] = {}


def _applicable(program: sc.Program, amount: float) -> list[str | None]:
    """For each of MUTATIONS, None when it applies to the program, else why not (cached: the
    same parent is mutated again and again)."""
    table = tuple(id(operator) for _, _, operator in synth_ops.MUTATIONS)
    key = (digest(sc.print_code(program)), amount, table)
    if key not in _APPLICABLE_CACHE:
        if len(_APPLICABLE_CACHE) > CACHE_LIMIT:
            _APPLICABLE_CACHE.clear()
        probe = random.Random(0)
        _APPLICABLE_CACHE[key] = [
            _applies(operator, program, probe, amount) for _, _, operator in synth_ops.MUTATIONS
        ]
    return _APPLICABLE_CACHE[key]


def _mutate_once(
    program: sc.Program, rng: random.Random, amount: float, rejected: list[str]
) -> Candidate | None:
    # Only operators that apply to this synth take part, each with the spec's weight: a synth
    # with no filter never spends its one mutation on "swap filter" standing in for another.
    operators = []
    for entry, reason in zip(synth_ops.MUTATIONS, _applicable(program, amount), strict=True):
        if reason is None:
            operators.append(entry)
        elif f"{entry[0]}: not applicable: {reason}" not in rejected:
            rejected.append(f"{entry[0]}: not applicable: {reason}")
    if not operators:
        rejected.append("no mutation operator applies to this synth")
        return None
    weights = [weight for _, weight, _ in operators]
    fired = [i for i, weight in enumerate(weights) if rng.random() < amount * weight]
    queue = fired or [rng.choices(range(len(operators)), weights=weights)[0]]
    tried = set(queue)
    candidate = Candidate(program, [])
    applied = 0
    while queue:
        index = queue.pop(0)
        name, _, operator = operators[index]
        result = apply_edit(bound(operator, rng, amount), candidate, name, rejected)
        if result is not None:
            candidate = result
            applied += 1
            continue
        untried = [i for i in range(len(operators)) if i not in tried]
        if untried:  # another operator stands in for the one that could not act
            replacement = rng.choices(untried, weights=[weights[i] for i in untried])[0]
            tried.add(replacement)
            queue.append(replacement)
    return candidate if applied else None


def mutate_synth(
    synth: SynthDefInfo | GeneratedSynth,
    amount: float = 0.3,
    seed: int | None = None,
    *,
    tracker: LineageTracker | None = None,
) -> GeneratedSynth:
    """Create a variation of a SynthDef through mutation.

    Each operator of ``synth_ops.MUTATIONS`` (swap oscillator, swap filter, add LFO, add
    distortion, change control defaults, change the envelope, and the spec's add/remove effects:
    a reverb or delay added, a reverb/delay/comb/allpass removed) fires with its probability
    times ``amount`` (0.0-1.0; at least one always acts); one that does not apply or breaks
    the code is replaced by another. The result compiles in sclang and renders audibly, scaled
    down when it clips (see the module doc). Its name is ``<parent>_m<3 digits from the
    seed, the parent's code and the amount>``, unique in ``tracker``'s library (the default
    database's when None) and reserved there for this result until it is saved. ValueError
    for a bad amount or seed; SynthDefError when the parent does not compile or no valid
    mutant can be made.
    """
    amount = validate_amount(amount)
    info = as_info(synth)
    tracker = default_tracker(tracker)
    rng = make_rng(seed)
    names = mutant_names(info.name, seed, rng, f"{info.source_code}\0{amount!r}")
    require_compiles(info)
    program = sc.parse(info.source_code)
    synth_ops.locate(program)
    rejected: list[str] = []
    for _ in range(MAX_ATTEMPTS):
        candidate = _mutate_once(program, rng, amount, rejected)
        if candidate is None:
            raise SynthDefError(
                f"no mutation applies to SynthDef {info.name!r}: " + "; ".join(rejected[-6:])
            )
        finished = finish(candidate, info.source_code, rejected)
        if finished is not None:
            return to_generated(
                finished.program,
                finished.log,
                names,
                tracker,
                parents=[info.name],
                method="mutation",
                category=info.category,
                rejected=rejected,
            )
    raise SynthDefError(
        f"no valid mutant of {info.name!r} in {MAX_ATTEMPTS} attempts: " + "; ".join(rejected[-4:])
    )
