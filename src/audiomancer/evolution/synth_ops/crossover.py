"""Crossover stages: merge controls, transplant a filter, mix effects (:func:`crossover`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from audiomancer.evolution.synth_ops.controls import control_names, controls, named_control
from audiomancer.evolution.synth_ops.edits import (
    binop,
    class_of,
    fmt,
    map_nodes,
    num,
    rounded,
    ugen,
)
from audiomancer.evolution.synth_ops.graph import Graph, locate
from audiomancer.evolution.synth_ops.protocol import NotApplicable, Result
from audiomancer.evolution.synth_ops.retarget import (
    bind,
    filter_calls,
    freq_name,
    group_of,
    main_filter,
    retarget_filter,
)
from audiomancer.evolution.synth_ops.roles import role_of
from audiomancer.evolution.synth_ops.signal import (
    StageMaker,
    definitions,
    effect_calls,
    envelope_vars,
    insert_stage,
    signal_point,
)
from audiomancer.evolution.synth_ops.tables import (
    EFFECT_KINDS,
    FILTER_SIGNATURES,
    RESONANCE,
    ResonanceKind,
)
from audiomancer.supercollider import syntax as sc


def _is_shared_structural(name: str) -> bool:
    return role_of(name) is None


def merge_controls(
    a: sc.Program, b: sc.Program, rng: random.Random, names: tuple[str, str] = ("A", "B")
) -> Result:
    """Give A every control of B it lacks (B's default) and average the numeric defaults the
    two share (``cutoff: 1200.0 → 1700.0 (average with juno_pad)``)."""
    graph_a, graph_b = locate(a), locate(b)
    taken = control_names(graph_a) | set(graph_a.local_names) | set(graph_a.param_names)
    function = graph_a.function
    added = []
    for param in graph_b.function.params[graph_b.prepend_count :]:
        if param.name not in taken:
            function = replace(
                function, params=(*function.params, sc.Param(param.name, param.default))
            )
            added.append(param.name)
            taken.add(param.name)
    log = [f"Controls from {names[1]}: {', '.join(added)}"] if added else []
    program = graph_a.with_function(function)
    graph_a = locate(program)
    b_values = {c.name: c.value for c in controls(graph_b)}
    mapping: dict[int, sc.Node] = {}
    for control in controls(graph_a):
        mine, theirs = control.value, b_values.get(control.name)
        if mine is None or theirs is None or mine == theirs:
            continue
        if _is_shared_structural(control.name) or control.name in added:
            continue
        average = rounded((mine + theirs) / 2)
        mapping[id(control.node)] = control.with_default(sc.Number.of(average))
        log.append(f"{control.name}: {fmt(mine)} → {fmt(average)} (average with {names[1]})")
    return map_nodes(program, mapping), log


def _closed(node: sc.Node, graph_b: Graph, graph_a: Graph, allowed_locals: set[str]) -> bool:
    """True when an expression of B means the same in A (after merge_controls): it reads only
    B's controls, literals and UGens, or locals both share (envelopes of the same name)."""
    a_controls = control_names(graph_a)
    b_params = set(graph_b.param_names)
    a_locals = set(graph_a.local_names)
    inner: set[str] = set()
    for found in sc.walk(node):
        if isinstance(found, sc.FunctionDef):
            inner.update(found.param_names)
            inner.update(d.name for decl in found.var_decls for d in decl.defs)
    for found in sc.walk(node):
        if isinstance(found, sc.EnvVar):
            return False
        if isinstance(found, sc.Call):
            named = named_control(found)
            if named is not None and named[0] in a_controls | a_locals:
                return False
        if isinstance(found, sc.Name) and found.name not in inner:
            if found.name in allowed_locals:
                continue
            if found.name in b_params and found.name not in a_locals:
                continue
            return False
    return True


def _shared_envelopes(graph_a: Graph, graph_b: Graph, before: int) -> set[str]:
    """Envelope variables both graphs define, defined in A before statement ``before``."""
    envelopes_a = envelope_vars(graph_a.function)
    envelopes_b = envelope_vars(graph_b.function)
    shared = set()
    for name in envelopes_a & envelopes_b:
        indices = [i for i, _ in definitions(graph_a.function, name)]
        if indices and min(indices) < before:
            shared.add(name)
    return shared


def _statement_index(function: sc.FunctionDef, node: sc.Node) -> int:
    for index, statement in enumerate(function.body):
        if any(found is node for found in sc.walk(statement)):
            return index
    return -1  # in a var initialiser


def _fallback_frequency(graph_b: Graph, graph_a: Graph) -> sc.Node:
    """B's cutoff control when A has it (after merge_controls), else its value, else 2000."""
    for control in controls(graph_b):
        role = role_of(control.name)
        if role is None or role.name != "cutoff" or not isinstance(control.node, sc.Param):
            continue
        if control.name in graph_a.param_names:
            return sc.Name(control.name)
        if control.value is not None:
            return num(control.value)
    return sc.Number("2000")


def transplant_filter(
    a: sc.Program, b: sc.Program, rng: random.Random, names: tuple[str, str] = ("A", "B")
) -> Result:
    """Put B's filter in A: A's main filter of the same kind (low-pass, high-pass, band-pass)
    becomes B's class with B's frequency and resonance, where those expressions mean the same
    in A (B's controls after :func:`merge_controls`, literals, envelopes both have); otherwise
    A's own are converted. Without such a filter in A, B's is inserted on the signal (reading
    B's cutoff control when its own frequency expression cannot move over)."""
    graph_a, graph_b = locate(a), locate(b)
    calls_b = filter_calls(graph_b.function)
    if not calls_b:
        raise NotApplicable(f"{names[1]} has no filter")
    call_b = main_filter(calls_b)
    class_b = class_of(call_b) or ""
    bound_b = bind(call_b, FILTER_SIGNATURES[class_b]) or {}
    calls_a = filter_calls(graph_a.function, group_of(class_b))
    if calls_a:
        class_a = class_of(main_filter(calls_a)) or ""
        targets = [c for c in calls_a if class_of(c) == class_a]
        before = min(_statement_index(graph_a.function, c) for c in targets)
    else:  # A has no filter of this kind (a high-pass on a click is no low-pass section)
        point = signal_point(graph_a)
        if point is None:
            raise NotApplicable(f"{names[0]} has no output signal to filter")
        before = point.index
        targets = []
    allowed = _shared_envelopes(graph_a, graph_b, before if before >= 0 else 0)
    freq = bound_b.get(freq_name(class_b))
    if freq is not None and not _closed(freq, graph_b, graph_a, allowed):
        freq = None
    resonance: tuple[sc.Node, ResonanceKind] | None = None
    if class_b in RESONANCE:
        res_name, kind = RESONANCE[class_b]
        node = bound_b.get(res_name)
        if node is not None and _closed(node, graph_b, graph_a, allowed):
            resonance = (node, kind)
    how = "" if freq is not None else f" (frequency kept from {names[0]})"
    if targets:
        mapping: dict[int, sc.Node] = {
            id(c): retarget_filter(c, class_b, freq=freq, resonance=resonance) for c in targets
        }
        program = map_nodes(a, mapping)
        return program, [f"Filter from {names[1]}: {class_a} → {class_b}{how}"]
    frequency = freq if freq is not None else _fallback_frequency(graph_b, graph_a)

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        template = ugen(class_b, "ar", signal, frequency)
        return retarget_filter(template, class_b, resonance=resonance, default_unit=0.3)

    function = insert_stage(graph_a, make)
    return graph_a.with_function(function), [f"Filter from {names[1]}: added {class_b}"]


def _effect_stage(call: sc.Call) -> StageMaker:
    kind = EFFECT_KINDS[class_of(call) or ""]

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        effect = replace(call, args=(signal, *call.args[1:]), comments=())
        if kind == "serial":
            return effect
        return binop(signal, "+", binop(effect, "*", sc.Number("0.5")))

    return make


def mix_effects(
    a: sc.Program, b: sc.Program, rng: random.Random, names: tuple[str, str] = ("A", "B")
) -> Result:
    """Mix the effects of both parents: each of A's effects stays, and each of B's (when its
    settings mean the same in A) is added, with probability 1/2; at least one survives. A
    dropped effect is replaced by its input; an added one goes on the signal, in series
    (reverbs, lo-fi) or beside it (delays, echoes)."""
    graph_a, graph_b = locate(a), locate(b)
    effects_a = effect_calls(graph_a.function)
    allowed = _shared_envelopes(graph_a, graph_b, len(graph_a.function.body))
    effects_b = [
        call
        for call in effect_calls(graph_b.function)
        if all(_closed(arg, graph_b, graph_a, allowed) for arg in call.args[1:])
        and all(_closed(kw.value, graph_b, graph_a, allowed) for kw in call.kwargs)
    ]
    if not effects_a and not effects_b:
        raise NotApplicable(f"neither {names[0]} nor {names[1]} has an effect to mix")
    keep = [rng.random() < 0.5 for _ in effects_a]
    take = [rng.random() < 0.5 for _ in effects_b]
    if not any(keep) and not any(take):
        pick = rng.randrange(len(effects_a) + len(effects_b))
        if pick < len(effects_a):
            keep[pick] = True
        else:
            take[pick - len(effects_a)] = True
    log: list[str] = []
    program = a
    for ordinal in sorted((i for i, kept in enumerate(keep) if not kept), reverse=True):
        graph = locate(program)
        call = effect_calls(graph.function)[ordinal]
        log.append(f"Effect dropped: {class_of(call)} ({names[0]})")
        program = map_nodes(program, {id(call): call.args[0]})
    for call in (c for c, taken in zip(effects_b, take, strict=True) if taken):
        graph = locate(program)
        function = insert_stage(graph, _effect_stage(call))
        program = graph.with_function(function)
        log.append(f"Effect from {names[1]}: {class_of(call)}")
    log.extend(
        f"Effect kept: {class_of(c)} ({names[0]})"
        for c, k in zip(effects_a, keep, strict=True)
        if k
    )
    return program, log


CROSSOVER_STAGES: Final[tuple[tuple[str, Callable[..., Result]], ...]] = (
    ("merge_controls", merge_controls),
    ("transplant_filter", transplant_filter),
    ("mix_effects", mix_effects),
)


def crossover(
    a: sc.Program, b: sc.Program, rng: random.Random, names: tuple[str, str] = ("A", "B")
) -> Result:
    """A child of two SynthDefs: A's oscillators, envelope and output; B's filter; effects of
    both; the union of their controls with shared defaults averaged (the spec's strategy).
    Stages that do not apply are skipped."""
    program, log = a, []
    for _, stage in CROSSOVER_STAGES:
        try:
            program, lines = stage(program, b, rng, names)
        except NotApplicable:
            continue
        log += lines
    return program, log
