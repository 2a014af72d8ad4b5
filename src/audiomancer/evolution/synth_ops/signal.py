"""Envelopes, the output and the signal point where a new stage goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from audiomancer.evolution.synth_ops.edits import class_of, map_nodes, walk_calls
from audiomancer.evolution.synth_ops.graph import Graph
from audiomancer.evolution.synth_ops.protocol import NotApplicable
from audiomancer.evolution.synth_ops.rates import signals_before, writes_control_only
from audiomancer.evolution.synth_ops.tables import (
    EFFECT_KINDS,
    ENV_CLASSES,
    LEVEL_WORDS,
    SIGNAL_NAMES,
    SOUND_FAMILIES,
)
from audiomancer.supercollider import syntax as sc
from audiomancer.supercollider.ugens import OUTPUTS, family_of


def _is_envelope_expr(node: sc.Node) -> bool:
    has_envelope = False
    for call in walk_calls(node):
        name = class_of(call)
        if name is None:
            continue
        if name in ENV_CLASSES:
            has_envelope = True
        elif call.selector == "ar" and family_of(name, "ar") in SOUND_FAMILIES:
            return False
    return has_envelope


def definitions(function: sc.FunctionDef, name: str) -> list[tuple[int, sc.Node]]:
    """(statement index, value) of each top-level definition of a local variable (-1 = var)."""
    found: list[tuple[int, sc.Node]] = [
        (-1, d.value)
        for decl in function.var_decls
        for d in decl.defs
        if d.name == name and d.value is not None
    ]
    for index, statement in enumerate(function.body):
        if isinstance(statement, sc.Assign) and statement.target == sc.Name(name):
            found.append((index, statement.value))
    return found


def envelope_vars(function: sc.FunctionDef) -> set[str]:
    names = {d.name for decl in function.var_decls for d in decl.defs}
    result = set()
    for name in names:
        values = [value for _, value in definitions(function, name)]
        if values and all(_is_envelope_expr(v) for v in values):
            result.add(name)
    return result


def output_calls(node: sc.Node) -> list[sc.Call]:
    """Output UGen calls in ``node`` outside inner functions."""
    found: list[sc.Call] = []
    stack: list[sc.Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, sc.FunctionDef) and current is not node:
            continue
        if (
            isinstance(current, sc.Call)
            and class_of(current) in OUTPUTS
            and current.selector in ("ar", "kr")
        ):
            found.append(current)
        stack.extend(reversed(sc.children(current)))
    return found


def _signal_slot(call: sc.Call) -> tuple[Literal["arg", "kwarg"], int] | None:
    index = 2 if class_of(call) == "XOut" else 1
    for position, kwarg in enumerate(call.kwargs):
        if kwarg.name == "channelsArray":
            return "kwarg", position
    if index < len(call.args) and not isinstance(call.args[index], sc.Splat):
        return "arg", index
    return None


def signal_of(call: sc.Call) -> sc.Node | None:
    slot = _signal_slot(call)
    if slot is None:
        return None
    return call.args[slot[1]] if slot[0] == "arg" else call.kwargs[slot[1]].value


def with_signal(call: sc.Call, signal: sc.Node) -> sc.Call:
    slot = _signal_slot(call)
    assert slot is not None
    if slot[0] == "arg":
        args = list(call.args)
        args[slot[1]] = signal
        return replace(call, args=tuple(args))
    kwargs = list(call.kwargs)
    kwargs[slot[1]] = replace(kwargs[slot[1]], value=signal)
    return replace(call, kwargs=tuple(kwargs))


def _product_leaves(node: sc.Node) -> list[sc.Node]:
    if isinstance(node, sc.BinaryOp) and node.op in ("*", "/") and node.adverb is None:
        return _product_leaves(node.left) + _product_leaves(node.right)
    if isinstance(node, sc.Paren) and len(node.body) == 1:
        return _product_leaves(node.body[0])
    return [node]


def _is_level_factor(node: sc.Node, envelopes: set[str], params: set[str]) -> bool:
    if isinstance(node, sc.Number):
        return True
    if isinstance(node, sc.Name):
        return node.name in envelopes or node.name in params
    return _is_envelope_expr(node) and isinstance(node, sc.Call)


def _is_level_scaling(
    statement: sc.Node, variable: str, envelopes: set[str], params: set[str]
) -> bool:
    if not (isinstance(statement, sc.Assign) and statement.target == sc.Name(variable)):
        return False
    leaves = _product_leaves(statement.value)
    if sum(leaf == sc.Name(variable) for leaf in leaves) != 1 or len(leaves) < 2:
        return False
    others = [leaf for leaf in leaves if leaf != sc.Name(variable)]
    return all(_is_level_factor(leaf, envelopes, params) for leaf in others) and any(
        not isinstance(leaf, sc.Number) for leaf in others
    )


def _applies_level(signal: sc.Node, variable: str, envelopes: set[str]) -> bool:
    """True when ``signal`` multiplies ``variable`` by an envelope or an amplitude control."""
    for node in sc.walk(signal):
        if isinstance(node, sc.BinaryOp) and node.op == "*":
            leaves = _product_leaves(node)
            if sc.Name(variable) in leaves and any(
                (isinstance(leaf, sc.Name) and (leaf.name in envelopes or leaf.name in LEVEL_WORDS))
                or (isinstance(leaf, sc.Call) and _is_envelope_expr(leaf))
                for leaf in leaves
            ):
                return True
    return False


@dataclass(frozen=True)
class SignalPoint:
    """Where a new stage goes: ``variable = f(variable)`` inserted before statement ``index``
    (statement mode), or the signal argument of ``output`` wrapped (``variable`` None).
    ``pre_level``: the stage sees the signal before the envelope and amplitude scale it."""

    variable: str | None
    index: int
    pre_level: bool
    output: sc.Call | None = None


def signal_point(graph: Graph) -> SignalPoint | None:
    """Where to insert a stage on the audio signal feeding the first audio-rate output; None
    without one (a synth that only writes ``Out.kr`` has no sound to process).

    Only a variable that holds an audio signal there (see :mod:`.rates`) is a candidate: never
    an FFT chain, a control-rate LFO or trigger, a demand sequence. Without one, the output's
    signal argument itself (always audio, as ``Out.ar`` needs) is wrapped."""
    function = graph.function
    for k, statement in enumerate(function.body):  # noqa: B007 (k is used after the loop)
        outs = [call for call in output_calls(statement) if call.selector == "ar"]
        if outs:
            break
    else:
        return None
    out = outs[0]
    signal = signal_of(out)
    if signal is None:
        return None
    locals_ = set(graph.local_names)
    envelopes = envelope_vars(function)
    params = set(function.param_names)
    referenced: list[str] = []
    for node in sc.walk(signal):
        if (
            isinstance(node, sc.Name)
            and node.name in locals_
            and node.name not in envelopes
            and node.name not in referenced
        ):
            referenced.append(node.name)
    best: tuple[int, int, str] | None = None
    for variable in referenced:
        indices = [i for i, _ in definitions(function, variable) if i < k]
        if not indices or not _audio_at(graph, variable, max(indices)):
            continue
        preference = -SIGNAL_NAMES.index(variable) if variable in SIGNAL_NAMES else -99
        key = (max(indices), preference, variable)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return SignalPoint(None, k, False, out)
    last, _, variable = best
    if last >= 0 and _is_level_scaling(function.body[last], variable, envelopes, params):
        return SignalPoint(variable, last, True)
    pre_level = _applies_level(signal, variable, envelopes)
    return SignalPoint(variable, last + 1 if last >= 0 else k, pre_level)


def _audio_at(graph: Graph, variable: str, index: int) -> bool:
    """True unless the variable's value assigned at statement ``index`` (-1: its ``var``
    initialiser) is known not to be an audio signal."""
    rates, prepend = graph.synthdef.rates, graph.prepend_count
    found = signals_before(graph.function, index + 1 if index >= 0 else 0, rates=rates,
                           prepend=prepend).get(variable)  # fmt: skip
    return found is None or not found.known or found.is_audio


StageMaker = Callable[[sc.Node, bool], sc.Node]


def insert_stage(graph: Graph, make: StageMaker) -> sc.FunctionDef:
    """The graph function with ``make(signal, pre_level)`` applied at the signal point."""
    point = signal_point(graph)
    if point is None:
        if writes_control_only(graph.function):
            raise NotApplicable(
                "the synth writes a control-rate bus (Out.kr): no sound to put a stage on"
            )
        raise NotApplicable("no output signal found to insert a stage on")
    function = graph.function
    if point.variable is not None:
        statement = sc.Assign(
            sc.Name(point.variable), make(sc.Name(point.variable), point.pre_level)
        )
        body = (*function.body[: point.index], statement, *function.body[point.index :])
        return replace(function, body=body)
    assert point.output is not None
    signal = signal_of(point.output)
    assert signal is not None
    new_out = with_signal(point.output, make(signal, False))
    return map_nodes(function, {id(point.output): new_out})


def effect_calls(function: sc.Node) -> list[sc.Call]:
    return [
        call
        for call in walk_calls(function)
        if class_of(call) in EFFECT_KINDS
        and call.selector == "ar"
        and call.style == "method"
        and call.args
        and not isinstance(call.args[0], sc.Splat)
    ]
