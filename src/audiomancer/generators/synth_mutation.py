"""mutate_synth: seeded variations of a SynthDef, by the spec's weighted operators.

The operators are :data:`audiomancer.evolution.synth_ops.MUTATIONS`; every mutant is checked
as :mod:`audiomancer.generators.synth_checks` describes before it is returned.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Final

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
    accept,
    apply_edit,
    as_info,
    audition_all,
    bound,
    compile_error,
    default_tracker,
    digest,
    make_rng,
    parent_known,
    parent_verdict,
    record_parent,
    refuse_unheard,
    require_compiles_only,
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
    program: sc.Program,
    rng: random.Random,
    amount: float,
    rejected: list[str],
    *,
    compile_now: bool = False,
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
        result = apply_edit(
            bound(operator, rng, amount), candidate, name, rejected, compile_now=compile_now
        )
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
    down when it clips (see :mod:`audiomancer.generators.synth_checks`: the first candidate is
    auditioned alone; if it fails, the parent and the next three candidates are auditioned in
    one scsynth run). A parent that cannot be heard at its defaults is refused then, before any
    further attempt, saying why. Its name is
    ``<parent>_m<3 digits from the seed, the parent's code and the amount>``, unique in
    ``tracker``'s library (the default database's when None) and reserved there for this
    result until it is saved. ValueError for a bad amount or seed; SynthDefError when the
    parent does not compile or no valid mutant can be made.
    """
    amount = validate_amount(amount)
    info = as_info(synth)
    tracker = default_tracker(tracker)
    make_rng(seed)  # checks the seed
    # The seed and the parent together seed the draws (issue 13 §7): with the seed alone, every
    # synth mutated with seed 0 drew the same operators (distortion on 94% of them).
    rng = make_rng(None if seed is None else f"{seed}:{digest(info.source_code)}")
    names = mutant_names(info.name, seed, rng, f"{info.source_code}\0{amount!r}")
    try:
        program = sc.parse(info.source_code)
        synth_ops.locate(program)
    except SynthDefError:
        require_compiles_only(info)  # a parent sclang rejects is refused for that first
        raise
    # Candidates are compiled and auditioned under the name the result will most likely get,
    # so that the finished synth is already checked (its compile is a cache hit).
    provisional = next(names)
    names = itertools.chain([provisional], names)
    parent_pending = not parent_known(info.source_code)
    if not parent_pending:
        require_compiles_only(info)
        refuse_unheard(info, parent_verdict(info.source_code))
    rejected: list[str] = []
    attempts = 0
    while attempts < MAX_ATTEMPTS:
        size = 1 if attempts == 0 else min(LATER_BATCH, MAX_ATTEMPTS - attempts)
        batch: list[_Drawn] = []
        for _ in range(size):
            state = rng.getstate()
            candidate = _mutate_once(program, rng, amount, rejected)
            if candidate is None:
                require_compiles_only(info)
                raise SynthDefError(
                    f"no mutation applies to SynthDef {info.name!r}: " + "; ".join(rejected[-6:])
                )
            batch.append(_Drawn(candidate, state))
        attempts += size
        check = _Batch(program, amount, provisional, rejected)
        if attempts == size:  # the parent is compiled in the same sclang round trip
            require_compiles_only(info, [check.code(drawn.candidate) for drawn in batch])
        # The parent is auditioned only once a candidate has failed (with the next batch):
        # an audible first candidate needs no verdict on its parent, and a parent that cannot
        # be heard is still refused, saying why, before any further attempt.
        finished = check.first_good(batch, info if parent_pending and attempts > size else None)
        if attempts > size:
            parent_pending = False
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


LATER_BATCH: Final = 3
"""Candidates checked together once the first one has failed: one sclang and one scsynth
call for three (most synths' first candidate passes, so the first batch holds one)."""


@dataclass(frozen=True)
class _Drawn:
    """A candidate and the state of the random stream it was drawn from."""

    candidate: Candidate
    state: object


@dataclass(frozen=True)
class _Batch:
    """Checking a batch of candidates (see synth_checks): all auditioned in one scsynth run."""

    program: sc.Program
    amount: float
    name: str
    rejected: list[str]

    def first_good(self, batch: list[_Drawn], parent: SynthDefInfo | None) -> Candidate | None:
        """The first candidate that compiles and sounds, with the parent auditioned first
        when its verdict is not known: a parent that cannot be heard is refused before any
        candidate counts. A candidate that does not compile is drawn again from its own random
        state with every edit compiled, so the edit that broke it is undone and another one
        tried (as :func:`mutate_synth` promises); that one is checked on its own."""
        codes = [self.code(drawn.candidate) for drawn in batch]
        prefix = [parent.source_code] if parent is not None else []
        outcomes = audition_all([*prefix, *codes])
        if parent is not None:
            record_parent(parent.source_code, outcomes[0])
            refuse_unheard(parent, parent_verdict(parent.source_code))
        for drawn, code, outcome in zip(batch, codes, outcomes[len(prefix) :], strict=True):
            candidate = drawn.candidate
            if compile_error(code) is not None:
                again = self.redraw(drawn)
                if again is None:
                    continue
                candidate, code = again, self.code(again)
                outcome = audition_all([code])[0]
            accepted = accept(self.renamed(candidate), outcome, self.rejected)
            if accepted is not None:
                return accepted
        return None

    def renamed(self, candidate: Candidate) -> Candidate:
        return Candidate(synth_ops.rename(candidate.program, self.name), candidate.log)

    def code(self, candidate: Candidate) -> str:
        return sc.print_code(synth_ops.rename(candidate.program, self.name))

    def redraw(self, drawn: _Drawn) -> Candidate | None:
        rng = random.Random()
        rng.setstate(drawn.state)  # type: ignore[arg-type]
        self.rejected.append("candidate does not compile: drawn again, each edit compiled")
        return _mutate_once(self.program, rng, self.amount, self.rejected, compile_now=True)
