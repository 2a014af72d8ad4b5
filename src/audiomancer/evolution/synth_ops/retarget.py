"""Re-targeting an oscillator or a filter call to another class, arguments converted."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace

from audiomancer.evolution.synth_ops.edits import binop, class_of, literal, method, num, walk_calls
from audiomancer.evolution.synth_ops.tables import (
    FILTER_GROUPS,
    FILTER_SIGNATURES,
    GUARDED_FILTERS,
    NYQUIST_GUARD,
    OSC_SIGNATURES,
    RESONANCE,
    ResonanceKind,
)
from audiomancer.supercollider import syntax as sc


def bind(call: sc.Call, signature: tuple[str, ...]) -> dict[str, sc.Node] | None:
    """Arguments of a call by parameter name; None when they cannot be told apart."""
    if len(call.args) > len(signature) or any(isinstance(a, sc.Splat) for a in call.args):
        return None
    bound = dict(zip(signature, call.args, strict=False))
    for kwarg in call.kwargs:
        if kwarg.name in signature:
            bound[kwarg.name] = kwarg.value
    return bound


def build(call: sc.Call, class_name: str, bound: dict[str, sc.Node]) -> sc.Call:
    """``call`` turned into ``class_name`` with these arguments: positional while they run
    without a gap in the new class's order, keywords after that."""
    signature = OSC_SIGNATURES.get(class_name) or FILTER_SIGNATURES[class_name]
    args, kwargs = laid_out(signature, bound)
    return replace(call, receiver=sc.ClassName(class_name), args=args, kwargs=kwargs, parens=True)


def laid_out(
    signature: Sequence[str], bound: Mapping[str, sc.Node]
) -> tuple[tuple[sc.Node, ...], tuple[sc.KeywordArg, ...]]:
    """The arguments ``bound`` by name as a call of ``signature`` writes them: positional while
    they run without a gap in its order, keywords after that."""
    args: list[sc.Node] = []
    kwargs: list[sc.KeywordArg] = []
    for position, name in enumerate(signature):
        if name not in bound:
            continue
        if len(args) == position and not kwargs:
            args.append(bound[name])
        else:
            kwargs.append(sc.KeywordArg(name, bound[name]))
    return tuple(args), tuple(kwargs)


def swappable_oscillators(function: sc.FunctionDef) -> list[sc.Call]:
    return [
        call
        for call in walk_calls(function)
        if class_of(call) in OSC_SIGNATURES
        and call.selector == "ar"
        and call.style == "method"
        and bind(call, OSC_SIGNATURES[class_of(call) or ""]) is not None
    ]


def retarget_oscillator(call: sc.Call, target: str, rng: random.Random) -> sc.Call:
    source = class_of(call) or ""
    bound = bind(call, OSC_SIGNATURES[source]) or {}
    freq = bound.get("freq", bound.get("syncFreq"))
    new: dict[str, sc.Node] = {}
    if freq is not None:
        new["syncFreq" if target == "SyncSaw" else "freq"] = freq
    if target == "SyncSaw":
        ratio = rng.choice((1.5, 2.0, 2.5, 3.0))
        new["sawFreq"] = binop(
            freq if freq is not None else sc.Number("440"), "*", sc.Number.of(ratio)
        )
    target_signature = OSC_SIGNATURES[target]
    for name in ("width", "phase", "numharm", "sawFreq"):
        if name in bound and name in target_signature and name not in new:
            new[name] = bound[name]
    if (
        "iphase" in bound
        and "iphase" in target_signature
        and isinstance(bound["iphase"], sc.Number)
    ):
        new["iphase"] = bound["iphase"]
    for name in ("mul", "add"):
        if name in bound:
            new[name] = bound[name]
    return build(call, target, new)


def filter_calls(function: sc.Node, group: str | None = None) -> list[sc.Call]:
    classes = FILTER_GROUPS[group] if group else tuple(FILTER_SIGNATURES)
    return [
        call
        for call in walk_calls(function)
        if class_of(call) in classes
        and call.selector == "ar"
        and call.style == "method"
        and (bind(call, FILTER_SIGNATURES[class_of(call) or ""]) or {}).get("in") is not None
    ]


def group_of(class_name: str) -> str:
    return next(group for group, members in FILTER_GROUPS.items() if class_name in members)


def freq_name(class_name: str) -> str:
    return "ffreq" if class_name == "MoogLadder" else "freq"


def paren(node: sc.Node) -> sc.Node:
    return sc.Paren((node,)) if isinstance(node, sc.BinaryOp) else node


def to_unit(node: sc.Node, kind: ResonanceKind) -> sc.Node:
    """A resonance of ``kind`` as 0 (none) to 1 (strong)."""
    value = literal(node)
    if value is not None:
        unit = {"rq": 1 - value, "moog": value / 4, "unit": value}[kind]
        return num(min(1.0, max(0.0, unit)))
    if kind == "rq":
        return binop(sc.Number("1"), "-", node)
    if kind == "moog":
        return binop(paren(node), "/", sc.Number("4"))
    return node


def from_unit(node: sc.Node, kind: ResonanceKind) -> sc.Node:
    value = literal(node)
    if value is not None:
        if kind == "rq":
            return num(min(1.0, max(0.05, 1 - value)))
        if kind == "moog":
            return num(min(3.6, max(0.0, value * 4)))
        return num(min(0.95, max(0.0, value)))
    if kind == "rq":
        return method(
            binop(sc.Number("1"), "-", paren(node)), "clip", sc.Number("0.05"), sc.Number("1")
        )
    if kind == "moog":
        return method(
            binop(paren(node), "*", sc.Number("4")), "clip", sc.Number("0"), sc.Number("3.6")
        )
    return method(node, "clip", sc.Number("0"), sc.Number("0.95"))


def _convert_resonance(node: sc.Node, source: ResonanceKind, target: ResonanceKind) -> sc.Node:
    if source == target:
        return node
    return from_unit(to_unit(node, source), target)


def _guard_frequency(node: sc.Node) -> sc.Node:
    value = literal(node)
    if value is not None:
        return num(min(max(value, 20.0), NYQUIST_GUARD))
    if isinstance(node, sc.Call) and node.selector == "clip":
        return node
    return method(node, "clip", sc.Number("20"), num(NYQUIST_GUARD))


def retarget_filter(
    call: sc.Call,
    target: str,
    *,
    freq: sc.Node | None = None,
    resonance: tuple[sc.Node, ResonanceKind] | None = None,
    default_unit: float | None = None,
) -> sc.Call:
    """``call`` as a ``target`` filter: same input (and mul/add), frequency and resonance
    carried over (converted), or taken from ``freq``/``resonance`` when given."""
    source = class_of(call) or ""
    bound = bind(call, FILTER_SIGNATURES[source]) or {}
    new: dict[str, sc.Node] = {"in": bound["in"]}
    frequency = freq if freq is not None else bound.get(freq_name(source))
    if frequency is not None:
        new[freq_name(target)] = (
            _guard_frequency(frequency) if target in GUARDED_FILTERS else frequency
        )
    if resonance is None and source in RESONANCE and RESONANCE[source][0] in bound:
        resonance = (bound[RESONANCE[source][0]], RESONANCE[source][1])
    if target in RESONANCE:
        name, kind = RESONANCE[target]
        if resonance is not None:
            new[name] = _convert_resonance(resonance[0], resonance[1], kind)
        elif default_unit is not None:
            new[name] = from_unit(num(default_unit), kind)
    for name in ("mul", "add"):
        if name in bound:
            new[name] = bound[name]
    return build(call, target, new)


def main_filter(calls: list[sc.Call]) -> sc.Call:
    lowpass = [c for c in calls if class_of(c) in FILTER_GROUPS["lowpass"]]
    return (lowpass or calls)[0]
