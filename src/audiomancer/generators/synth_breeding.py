"""breed_synths: a child of two SynthDefs, by the crossover stages of ``synth_ops``.

The stages are found by :func:`audiomancer.evolution.synth_ops.crossover_stages`; every child is
checked as :mod:`audiomancer.generators.synth_checks` describes before it is returned.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import Final

from audiomancer.analyzers.synthdef import SynthDefInfo
from audiomancer.errors import SynthDefError
from audiomancer.evolution import synth_ops
from audiomancer.evolution.synth_ops.bus_reads import bus_reads_as_controls
from audiomancer.generators.lineage import LineageTracker
from audiomancer.generators.synth_checks import (
    MAX_ATTEMPTS,
    Candidate,
    accept,
    apply_edit,
    as_info,
    audition_all,
    bound,
    compile_error,
    default_tracker,
    finish,
    has_noise,
    heard_as_effect,
    loudest_peak,
    make_rng,
    parent_verdict,
    reads_audio_bus,
    refuse_unheard,
    to_generated,
    unheard_reason,
)
from audiomancer.generators.synth_model import GeneratedSynth
from audiomancer.generators.synth_names import child_names
from audiomancer.supercollider import lang, nrt, scgf
from audiomancer.supercollider import syntax as sc

__all__ = ["breed_synths"]


def _compiled(code: str) -> scgf.CompiledSynthDef | None:
    try:
        return scgf.read_scgf(lang.compile_synthdef(code))
    except SynthDefError:
        return None


def _output_counts(graph: scgf.CompiledSynthDef | None) -> Counter[str]:
    """How many UGens of each class the compiled output depends on."""
    if graph is None:
        return Counter()
    return Counter(graph.ugens[i].name for i in graph.output_dependencies())


def _uses_b(
    child: Counter[str], a: Counter[str], b_classes: set[str], strict: frozenset[str]
) -> bool:
    """True when the child's output depends on a UGen class of B that A lacks (``strict``,
    when there is one to bring), else on more UGens of one of B's classes than A's does."""
    if strict:
        return any(child[name] > 0 for name in strict)
    return any(child[name] > a[name] for name in b_classes - synth_ops.PLUMBING)


_OPERATORS: Final = ("BinaryOpUGen", "UnaryOpUGen")


def _shaped(stage: synth_ops.Stage, child: Counter[str], a: Counter[str]) -> bool:
    """True for B's whole processing, written as arithmetic alone (a waveshaper: it brings no
    UGen class), when the child's output depends on more operator UGens than A's does."""
    if stage.label != synth_ops.PROCESSING or stage.new_classes:
        return False
    return sum(child[name] for name in _OPERATORS) > sum(a[name] for name in _OPERATORS)


_DEEPEST_LEVEL: Final = 1 / 1024
"""How far a child's output may be scaled down (-60 dB): a resonator of B (``Ringz`` with a
long ring time) on A's noise, or B's steady oscillator into A's string comb (``CombC`` with a
two-second decay), can peak 30-250 times above full scale, beyond what the ordinary level
steps of :func:`~audiomancer.generators.synth_checks.accept` reach."""


_RANDOM_PEAK: Final = 0.5
"""Highest peak a child with noise of its own is kept at unscaled, over the renders of
:data:`~audiomancer.generators.synth_checks.NOISE_SEEDS`: each render of it differs (its noise
is not seeded), by +35% on the peak in our tests (a WhiteNoise through a brick-wall FFT:
0.86-1.17 over twelve renders), so the ordinary 0.9 leaves no margin."""


def _level_factor(outcome: nrt.RenderResult, code: str, test_input: bool) -> float | None:
    """The power of two to scale a child by before it is finished: when it peaks beyond the
    ordinary level steps but within :data:`_DEEPEST_LEVEL`, or when its renders vary (noise)
    and the loudest peaks above :data:`_RANDOM_PEAK`; None when it needs none (or cannot be
    helped)."""
    if outcome.has_nan or outcome.is_silent or outcome.peak * _DEEPEST_LEVEL > 0.5:
        return None
    if outcome.peak / 32 > 0.7:  # beyond the ordinary steps (1/2 .. 1/32)
        return 2.0 ** -math.ceil(math.log2(outcome.peak / 0.5))
    if not has_noise(code):
        return None
    loudest = loudest_peak(outcome, code, test_input)
    if loudest > _RANDOM_PEAK and loudest * _DEEPEST_LEVEL <= 0.5:
        return 2.0 ** -math.ceil(math.log2(loudest / _RANDOM_PEAK))
    return None


def _finish_child(
    candidate: Candidate, code_a: str, rejected: list[str], test_input: bool
) -> Candidate | None:
    """``finish`` for a child, which is first scaled by a power of two when its level needs
    more than the ordinary steps of ``accept`` give (see :func:`_level_factor`)."""
    code = sc.print_code(candidate.program)
    if compile_error(code) is None:
        outcome = audition_all([code], test_input=test_input)[0]
        factor = (
            _level_factor(outcome, code, test_input)
            if isinstance(outcome, nrt.RenderResult)
            else None
        )
        if factor is None:
            return accept(candidate, outcome, rejected, test_input=test_input)
        scaled, lines = synth_ops.scale_output(candidate.program, factor)
        candidate = Candidate(scaled, [*candidate.log, *lines])
    return finish(candidate, code_a, rejected, test_input=test_input)


def _quietened(program: sc.Program) -> synth_ops.Result:
    """The program scaled down by a power of two when it peaks far above full scale at its
    defaults, but within :data:`_DEEPEST_LEVEL` of it (one render); unchanged otherwise."""
    outcome = audition_all([sc.print_code(program)])[0]
    if not isinstance(outcome, nrt.RenderResult) or outcome.has_nan or outcome.is_silent:
        return program, []
    if outcome.peak <= 1.0 or outcome.peak * _DEEPEST_LEVEL > 0.5:
        return program, []
    scaled, lines = synth_ops.scale_output(
        program, 2.0 ** -math.ceil(math.log2(outcome.peak / 0.5))
    )
    why = f" (alone it peaks at {outcome.peak:.3g}, far above full scale)"
    return scaled, [line + why for line in lines]


def _playable(program: sc.Program, code: str) -> tuple[sc.Program, list[str], str | None]:
    """A as the child starts from, the log of what was changed to make it play, and why it
    still cannot be heard (None when it can). An A that cannot sound at its defaults is
    given what it lacks when that is all it lacks, one thing after another until it sounds:
    a LocalBuf for an FFT on a buffer nothing allocates (scsynth cannot play it), a control
    for a frequency it reads from a control bus nothing writes (it plays at 0 Hz), the
    pitch, level and mouse position a player would give it
    (:func:`~audiomancer.evolution.synth_ops.audible_defaults`), and, for an A far above full
    scale, a lower output level (:func:`_quietened`)."""
    verdict = parent_verdict(code)
    if verdict is None:
        return program, [], None
    prepared, log = program, []
    steps = [synth_ops.own_buffers, bus_reads_as_controls, synth_ops.audible_defaults]
    if verdict.startswith("too loud"):
        steps.append(_quietened)
    for prepare in steps:
        prepared, lines = prepare(prepared)
        log.extend(lines)
        if lines and parent_verdict(sc.print_code(prepared)) is None:
            return prepared, log, None
    return program, [], verdict


@dataclass(frozen=True)
class _Base:
    """The parent a child is built from: its program as the child starts from (made playable,
    see :func:`_playable`), that program's code, and the log of what was changed on it."""

    info: SynthDefInfo
    program: sc.Program
    code: str
    start: list[str]


def _base(info: SynthDefInfo, program: sc.Program) -> tuple[_Base, str | None]:
    """A parent as a base, and why it still cannot be heard alone (None when it can)."""
    prepared, start, verdict = _playable(program, info.source_code)
    code = sc.print_code(prepared) if start else info.source_code
    return _Base(info, prepared, code, start), verdict


def breed_synths(
    synth_a: SynthDefInfo | GeneratedSynth,
    synth_b: SynthDefInfo | GeneratedSynth,
    seed: int | None = None,
    *,
    tracker: LineageTracker | None = None,
) -> GeneratedSynth:
    """Crossover two SynthDefs into a child named ``<a>_x_<b>``.

    The child is A (oscillators, envelope, output) with at least one sounding stage of B moved
    in (:func:`audiomancer.evolution.synth_ops.crossover`): B's filter in place of A's or on
    A's signal, B's effect, or B's oscillator layered with A's, each with what it reads in B;
    sometimes a second stage. Shared numeric defaults are averaged; controls nothing reads are
    dropped. The child compiles, renders audibly, and its compiled output really depends on
    UGens of B (checked in the compiled graph). When A reads a bus or a buffer and is silent
    alone (an effect, a sample player), B's source feeds it; an effect A that sounds fed a
    test signal on its bus (``synth audition --test-input``) also takes B's filter or effect
    into its chain, and a child that still reads a bus is auditioned through that signal.
    When A cannot be heard alone and nothing of B makes it sound (a control synth writing an
    LFO to a bus, a sample player, a synth far above full scale), the roles turn: the child is
    B's sound with a stage of A (A's LFO sweeping B, A's filter or effect on B), its log says
    so first, and its output depends on a UGen of A. A B that is an effect heard fed the test
    signal gives such a child too, an effect heard that way.
    ValueError when both are the same SynthDef; SynthDefError when a parent does not compile,
    when neither parent can be heard alone, or when no stage of B can be combined with A
    (saying why for each).
    """
    a, b = as_info(synth_a), as_info(synth_b)
    if a.source_code == b.source_code:
        raise ValueError(f"cannot breed synth {a.name!r} with itself: give two different synths")
    tracker = default_tracker(tracker)
    rng = make_rng(seed)
    for parent in (a, b):
        error = compile_error(parent.source_code)
        if error is not None:
            raise SynthDefError(
                f"SynthDef {parent.name!r} does not compile, so it cannot be bred: {error}"
            )
    program_a, program_b = sc.parse(a.source_code), sc.parse(b.source_code)
    synth_ops.locate(program_a)
    synth_ops.locate(program_b)
    base, verdict = _base(a, program_a)
    found: _Found | None
    if verdict is None:
        found = _child(base, program_b, b, rng)
    else:
        # A silent A that reads a bus or a buffer is fed by B's source; an effect (it reads a
        # bus, and sounds when a test signal plays on it) also takes B's filters and effects,
        # and a child that still reads a bus is auditioned through that test signal.
        found = _fed_child(base, program_b, b, rng) if verdict.startswith("silent") else None
        if found is None or isinstance(found, SynthDefError):
            found = _turned_child(a, verdict, program_a, program_b, b, rng) or found
    if found is None:
        refuse_unheard(a, verdict)  # says why A cannot be heard
    if isinstance(found, SynthDefError):
        raise found
    assert found is not None
    child, rejected = found
    return to_generated(
        child.program,
        child.log,
        child_names(a.name, b.name),
        tracker,
        parents=[a.name, b.name],
        method="crossover",
        category=a.category,
        rejected=rejected,
    )


_Found = tuple[Candidate, list[str]] | SynthDefError
"""A child and the notes on what was rejected on the way, or why there is none."""


def _fed_child(
    base: _Base, program_b: sc.Program, b: SynthDefInfo, rng: random.Random
) -> _Found | None:
    """A child of an A silent alone, fed by B's source (see :func:`breed_synths`); None when
    no source of B can feed it and A is no effect that B's filters or effects could go into."""
    effect = heard_as_effect(base.code)
    stages, reasons = synth_ops.crossover_stages(
        base.program, program_b, (base.info.name, b.name), feed=True, effect=effect
    )
    if not stages and not effect:
        return None
    return _child(base, program_b, b, rng, feed=True, effect=effect, staged=(stages, reasons))


def _turned_child(
    a: SynthDefInfo,
    verdict: str,
    program_a: sc.Program,
    program_b: sc.Program,
    b: SynthDefInfo,
    rng: random.Random,
) -> _Found | None:
    """The child as B's sound with a stage of A, when A cannot be heard alone (``verdict``)
    and B can, or B is an effect heard fed the test signal (the child is then an effect of
    B's with A's stage, heard that way too); None when B cannot be heard either way."""
    base, verdict_b = _base(b, program_b)
    effect = verdict_b is not None and verdict_b.startswith("silent")
    effect = effect and heard_as_effect(base.code)
    if verdict_b is not None and not effect:
        return None
    why = verdict.partition(": ")[2] or verdict
    lead = f"{a.name} cannot be heard alone, so {b.name} plays with a stage of {a.name}: {why}"
    turned = _Base(b, base.program, base.code, [lead, *base.start])
    found = _child(turned, program_a, a, rng, effect=effect)
    if isinstance(found, SynthDefError):
        return SynthDefError(f"{unheard_reason(a, verdict)}; and {found}")
    return found


def _child(
    base: _Base,
    program_b: sc.Program,
    b: SynthDefInfo,
    rng: random.Random,
    *,
    feed: bool = False,
    effect: bool = False,
    staged: tuple[list[synth_ops.Stage], list[str]] | None = None,
) -> _Found:
    """The base with a stage of B that its checked output depends on, tried stage by stage;
    or why no stage gave one. ``staged``: B's stages and the reasons for the others, when
    :func:`~audiomancer.evolution.synth_ops.crossover_stages` has already found them."""
    a = base.info
    names = (a.name, b.name)
    stages, reasons = staged or synth_ops.crossover_stages(
        base.program, program_b, names, feed=feed, effect=effect
    )
    if not stages:
        return SynthDefError(
            f"no stage of {b.name!r} can be combined with {a.name!r}: " + "; ".join(reasons[:6])
        )
    graph_a, graph_b = _compiled(base.code), _compiled(b.source_code)
    counts_a = _output_counts(graph_a)
    # B's material is what B's own output depends on, not a variable B never plays
    b_classes = graph_b.output_classes() if graph_b is not None else set()
    a_classes = {u.name for u in graph_a.ugens} if graph_a is not None else set()
    own = b_classes - a_classes - synth_ops.PLUMBING
    # Stages that bring a class of B that A lacks are tried first; the others only after.
    bringing = [s for s in stages if s.new_classes & own]
    later = [s for s in stages if s not in bringing]
    phases = [phase for phase in (bringing, later) if phase]
    pool = phases.pop(0) if phases else []
    rejected = [f"not applicable: {reason}" for reason in reasons]
    tries: dict[int, int] = {}
    for _ in range(MAX_ATTEMPTS):
        if not pool and phases:
            pool = phases.pop(0)
        if not pool:
            break
        stage = synth_ops.choose_stage(pool, rng)
        others = [s for s in stages if s.kind != stage.kind and not (s.feed or stage.feed)]
        extra = (
            synth_ops.choose_stage(others, rng)
            if others and not tries.get(stage.index) and rng.random() < 0.5
            else None
        )
        tries[stage.index] = tries.get(stage.index, 0) + 1
        if tries[stage.index] >= 2:
            pool = [s for s in pool if s.index != stage.index]
        label = f"{stage.kind} {stage.label}"
        candidate = apply_edit(
            bound(synth_ops.crossover_with, program_b, stage, rng, names, extra),
            Candidate(base.program, base.start),
            label,
            rejected,
        )
        if candidate is None:
            pool = [s for s in pool if s.index != stage.index]
            continue
        code = sc.print_code(candidate.program)
        finished = _finish_child(candidate, base.code, rejected, effect and reads_audio_bus(code))
        if finished is None:
            continue
        counts = _output_counts(_compiled(sc.print_code(finished.program)))
        strict = stage.new_classes & own
        if not (_uses_b(counts, counts_a, b_classes, strict) or _shaped(stage, counts, counts_a)):
            rejected.append(f"{label}: the child's output does not depend on it")
            pool = [s for s in pool if s.index != stage.index]
            continue
        return finished, rejected
    return SynthDefError(
        f"no valid child of {a.name!r} and {b.name!r} in {MAX_ATTEMPTS} attempts: "
        + "; ".join(rejected[-4:])
    )
