"""EvolutionEngine: the genetic algorithm over stored patterns, steered by the user's ratings.

The variation operators live in ``audiomancer.evolution.pattern_ops``; this module selects,
calls them, and stores every child with its lineage (DESIGN §6). All randomness of one call
flows from one ``random.Random(seed)``. With a seed, a child's id is derived from its parents,
the operation and the seed, so the same call gives the same record, byte for byte, in any
process (and repeating it returns the stored child instead of a duplicate).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Literal

from audiomancer.arguments import validate_amount
from audiomancer.errors import (
    IncompatiblePatternsError,
    InvalidSynthError,
    PatternNotFoundError,
    SynthDefError,
    SynthNotFoundError,
)
from audiomancer.evolution.pattern_ops import check_compatible, crossover, mutate
from audiomancer.patterns.metadata import PatternMetadata, derive_pattern_id
from audiomancer.patterns.store import PatternStore

if TYPE_CHECKING:  # the synth side (parser, sclang) loads only when a synth is evolved
    from audiomancer.generators.lineage import LineageTracker, SynthLineage

NEUTRAL_FITNESS: Final = 3.0
"""Fitness of a pattern with no rating and no rated ancestor."""
MAX_GENERATIONS: Final = 1000


class EvolutionEngine:
    """Evolve stored patterns by mutation and crossover, with lineage, guided by ratings."""

    def __init__(
        self, store: PatternStore | None = None, *, lineage: LineageTracker | None = None
    ) -> None:
        self.store = store if store is not None else PatternStore()
        self._lineage = lineage

    @property
    def lineage(self) -> LineageTracker:
        """The synth lineage tracker (the default one is made on first use)."""
        if self._lineage is None:
            from audiomancer.generators.lineage import LineageTracker

            self._lineage = LineageTracker()
        return self._lineage

    # --- single operations --------------------------------------------------------------

    def mutate_pattern(
        self, pattern_id: str, amount: float = 0.3, seed: int | None = None
    ) -> PatternMetadata:
        """Store and return a mutated copy of a pattern (see pattern_ops.mutate).

        ``amount`` must be above 0.0 and at most 1.0 (ValueError otherwise, never clamped
        silently: at 0.0 nothing would change, and an identical copy would be stored).
        PatternNotFoundError if the id is unknown.
        """
        amount = validate_amount(amount)
        if amount == 0.0:
            raise ValueError(
                "invalid amount 0.0: a mutation at 0.0 changes nothing (it would store an "
                "identical copy); use an amount above 0, e.g. 0.1"
            )
        parent = self.store.get(pattern_id)
        child, log = mutate(parent.to_pattern(), _rng(seed), amount)
        return self.store.put(
            child,
            parent_ids=[pattern_id],
            generation_method="mutated",
            mutation_amount=amount,
            mutation_log=log,
            pattern_id=_child_id(seed, "mutate", pattern_id, amount),
        )

    def crossover_patterns(
        self, pattern_id_1: str, pattern_id_2: str, seed: int | None = None
    ) -> PatternMetadata:
        """Store and return a child of two patterns cut at a random bar line.

        The first parent gives the bars before the cut (and tempo, key, scale, style), the
        second the bars after it; the child is as long as the second. PatternNotFoundError if
        either is unknown; IncompatiblePatternsError for different time signatures or types, or
        for one pattern given twice (its child would be a copy of it).
        """
        if pattern_id_1 == pattern_id_2:
            raise IncompatiblePatternsError(
                f"cannot cross pattern {pattern_id_1!r} with itself: give two different patterns"
            )
        first, second = self.store.get(pattern_id_1), self.store.get(pattern_id_2)
        child, log = crossover(first.to_pattern(), second.to_pattern(), _rng(seed))
        return self.store.put(
            child,
            parent_ids=[pattern_id_1, pattern_id_2],
            generation_method="crossover",
            mutation_log=log,
            pattern_id=_child_id(seed, "crossover", pattern_id_1, pattern_id_2),
        )

    def humanize_pattern(
        self,
        pattern_id: str,
        amount: float = 1.0,
        seed: int | None = None,
        *,
        style: str | None = None,
        swing: float | None = None,
    ) -> PatternMetadata:
        """Store and return a drum pattern played by the learned drummer (models/humanizer.py).

        Velocities and micro-timing come from the humanizer trained on the Groove MIDI Dataset:
        ``amount`` 0 keeps the pattern as it is, 1 plays it as learned. ``style`` picks a
        Groove MIDI feel (default: the pattern's own style where the humanizer knows it);
        ``swing`` (50-75) swings it first. Same seed, same record. The child has the
        parent in ``parent_ids`` and ``generation_method`` "humanized". ValueError for a bad
        amount, style or swing, or a pattern that is not drums; PatternNotFoundError for an
        unknown id.
        """
        from audiomancer.models.humanizer import humanize, load_humanizer
        from audiomancer.patterns.groove import apply_swing, validate_swing

        amount = validate_amount(amount)
        swing = None if swing is None else validate_swing(swing)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"invalid seed {seed!r}: expected an integer >= 0 or None")
        parent = self.store.get(pattern_id)
        pattern = parent.to_pattern()
        if pattern.type != "drums":
            raise ValueError(
                f"pattern {pattern_id!r} is {pattern.type}: the humanizer plays drum patterns"
            )
        draw = seed if seed is not None else random.SystemRandom().getrandbits(63)
        if swing is not None:
            pattern = apply_swing(pattern, swing)
        model = load_humanizer()
        child = humanize(pattern, amount, draw, style, model=model)
        changed = sum(a != b for a, b in zip(pattern.notes, child.notes, strict=False))
        log = [f"Humanized {changed} of {len(child.notes)} hits at amount {amount:g}"
               + (f" ({style} feel)" if style else "")]  # fmt: skip
        if swing is not None:
            log.insert(0, f"Swung every second 16th at {swing:g} %")
        return self.store.put(
            child,
            parent_ids=[pattern_id],
            generation_method="humanized",
            mutation_amount=amount,
            mutation_log=log,
            pattern_id=_child_id(seed, "humanize", pattern_id, amount, style, swing, model.digest),
        )

    # --- the algorithm ------------------------------------------------------------------

    def evolve_population(
        self,
        population: list[str],
        generations: int = 5,
        mutation_rate: float = 0.3,
        crossover_rate: float = 0.2,
        seed: int | None = None,
    ) -> list[PatternMetadata]:
        """Evolve patterns for some generations; return every pattern of every generation.

        Each generation: rank by fitness (rating; unrated children inherit their parents' mean,
        else 3), keep the top half as parents, and fill the other half with offspring: each
        is a crossover of two random parents with probability ``crossover_rate`` (when they
        are compatible), then mutated with probability ``mutation_rate``; an offspring that
        neither touched is its parent again (reproduction). A population of one grows to two
        (one parent, one offspring slot), so a single pattern can be evolved. The result lists
        the initial patterns and then every new child, in order of creation, each once.
        """
        ids = self._check_population(population)
        _check_generations(generations)
        mutation_rate = validate_amount(mutation_rate, "mutation_rate")
        crossover_rate = validate_amount(crossover_rate, "crossover_rate")
        rng = _rng(seed)
        records = {i: self.store.get(i) for i in ids}
        created: list[str] = []
        fitness: dict[str, float] = {}  # ratings do not change during a run
        for generation in range(generations):
            parents = self._select_parents(ids, records, rng, fitness)
            offspring = [
                self._offspring(parents, records, rng, mutation_rate, crossover_rate,
                                (seed, generation, slot))
                for slot in range(max(1, len(ids) - len(parents)))
            ]  # fmt: skip
            new = [c for c in dict.fromkeys(offspring) if c not in records]
            records.update((c, self.store.get(c)) for c in new)
            created += new
            ids = parents + offspring
        seen = dict.fromkeys([*population, *created])
        return [records[i] for i in seen]

    def _check_population(self, population: Sequence[str]) -> list[str]:
        if isinstance(population, str) or not population:
            raise ValueError(f"invalid population {population!r}: expected a list of pattern ids")
        for pattern_id in population:
            if pattern_id not in self.store:
                raise PatternNotFoundError(f"pattern {pattern_id!r} not found")
        return list(population)

    def _select_parents(
        self,
        ids: list[str],
        records: dict[str, PatternMetadata],
        rng: random.Random,
        cache: dict[str, float],
    ) -> list[str]:
        shuffled = list(ids)
        rng.shuffle(shuffled)  # ties are broken at random, reproducibly
        ranked = sorted(shuffled, key=lambda i: -self._fitness(records[i], frozenset(), cache))
        return ranked[: max(1, (len(ranked) + 1) // 2)]

    def _offspring(
        self,
        parents: list[str],
        records: dict[str, PatternMetadata],
        rng: random.Random,
        mutation_rate: float,
        crossover_rate: float,
        slot: tuple[object, ...],
    ) -> str:
        child = rng.choice(parents)
        if len(parents) > 1 and rng.random() < crossover_rate:
            a, b = rng.sample(parents, 2)
            try:
                check_compatible(records[a].to_pattern(), records[b].to_pattern())
                child = self.crossover_patterns(a, b, seed=_slot_seed(rng, slot)).id
            except IncompatiblePatternsError:
                pass  # different metres or types do not mix: keep the chosen parent
        if rng.random() < mutation_rate:
            amount = rng.uniform(0.1, 0.5)
            child = self.mutate_pattern(child, amount, seed=_slot_seed(rng, slot)).id
        return child

    def fitness(self, record: PatternMetadata) -> float:
        """The user's rating, else the mean fitness of the parents, else 3 (neutral)."""
        return self._fitness(record, frozenset(), {})

    def _fitness(
        self, record: PatternMetadata, visiting: frozenset[str], cache: dict[str, float]
    ) -> float:
        if record.id in cache:
            return cache[record.id]
        if record.user_rating is not None:
            score = float(record.user_rating)
        else:
            visiting = visiting | {record.id}
            scores = [
                self._fitness(parent, visiting, cache)
                for parent_id in record.parent_ids
                if parent_id not in visiting and (parent := self._maybe_get(parent_id)) is not None
            ]
            score = statistics.fmean(scores) if scores else NEUTRAL_FITNESS
        cache[record.id] = score
        return score

    def _maybe_get(self, pattern_id: str) -> PatternMetadata | None:
        try:
            return self.store.get(pattern_id)
        except PatternNotFoundError:
            return None

    # --- synths -------------------------------------------------------------------------

    def mutate_synth(
        self, synth_id: str, amount: float = 0.3, seed: int | None = None
    ) -> SynthLineage:
        """Mutate a synth of the library (or a template), store the mutant, return its lineage.

        The synth is looked up by id (its SynthDef name; ``synt_<name>`` is accepted) in the
        lineage tracker's library, else among the templates. The mutation is
        ``generators.synths.mutate_synth`` (compiled and rendered before it is kept); the mutant
        goes into the library as ``<name>.scd`` and into the lineage with generation_method
        ``"mutation"`` (the spec example's ``"mutated"`` is accepted as an alias on input) and
        ``parent_ids`` holding the parent's id. The same seed on the same synth gives the same
        mutant, which is then returned again rather than stored twice.

        ValueError for an amount outside 0.0-1.0; SynthNotFoundError for an unknown id;
        InvalidSynthError when no mutant passes validation with sclang.
        """
        from audiomancer.generators import synths

        amount = validate_amount(amount)
        parent_id = self.lineage.resolve(synth_id)
        info = self.lineage.load_synth(parent_id)
        try:
            child = synths.mutate_synth(info, amount, seed, tracker=self.lineage)
        except SynthDefError as error:
            raise InvalidSynthError(
                f"could not make a valid mutant of synth {parent_id!r}: {error}"
            ) from error
        child.parent_ids = [parent_id]
        return self.lineage.save(child)

    def validate_mutated_synth(self, source_code: str) -> bool:
        """True if the code compiles in sclang to a SynthDef, False if it does not.

        This runs the code in sclang (a SynthDef graph function executes): do not validate
        code you would not run. EngineNotFoundError (naming the Debian package) when sclang
        is missing and EngineError when it hangs: never a silent True.
        """
        from audiomancer.supercollider import lang

        try:
            lang.compile_synthdef(source_code)
        except SynthDefError:
            return False
        return True

    # --- queries ------------------------------------------------------------------------

    def rank_by_rating(
        self,
        pattern_type: Literal["drums", "melody", "bass"] | None = None,
        limit: int = 10,
    ) -> list[PatternMetadata]:
        """Rated patterns, highest rating first (ties: newest first)."""
        return self.store.top_rated(pattern_type, limit)

    def get_lineage(self, item_id: str) -> list[str]:
        """Ancestry of a pattern from its root to itself, following first parents.

        A missing ancestor ends the chain there without error. For an id that is not a pattern
        but a synth of the lineage tracker, its ancestors oldest first (every line of descent,
        by generation), ending with the synth. PatternNotFoundError if the item is neither.
        """
        chain = [item_id]
        try:
            record = self.store.get(item_id)
        except PatternNotFoundError:
            try:  # the spec's "pattern or synth": synth ids live in the lineage tracker
                return self.lineage.ancestry(item_id)
            except SynthNotFoundError:
                pass
            raise
        while record.parent_ids:
            parent_id = record.parent_ids[0]
            parent = self._maybe_get(parent_id)
            if parent is None or parent_id in chain:
                break
            chain.append(parent_id)
            record = parent
        return list(reversed(chain))


def _rng(seed: int | None) -> random.Random:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"invalid seed {seed!r}: expected an integer or None")
    return random.Random(seed)


def _child_id(seed: int | None, *parts: object) -> str | None:
    """A deterministic id for a seeded operation; None (a fresh random id) without a seed."""
    return None if seed is None else derive_pattern_id(*parts, seed)


def _slot_seed(rng: random.Random, slot: tuple[object, ...]) -> int | None:
    # Children of a seeded run get seeds drawn from the run's generator, so the whole run is
    # reproducible; an unseeded run stays unseeded all the way down.
    return rng.getrandbits(32) if slot[0] is not None else None


def _check_generations(generations: int) -> None:
    if (
        isinstance(generations, bool)
        or not isinstance(generations, int)
        or not 0 <= generations <= MAX_GENERATIONS
    ):
        raise ValueError(
            f"invalid generations {generations!r}: expected an integer from 0 to {MAX_GENERATIONS}"
        )
