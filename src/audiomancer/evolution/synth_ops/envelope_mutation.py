"""The envelope mutation: times and curves of ``Env``, ``Linen``, ``Line`` and ``XLine``."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Final

from audiomancer.evolution.synth_ops.controls import Control, controls
from audiomancer.evolution.synth_ops.edits import (
    class_of,
    fmt,
    literal,
    map_nodes,
    printed,
    rounded,
    walk_calls,
)
from audiomancer.evolution.synth_ops.graph import Graph, locate
from audiomancer.evolution.synth_ops.protocol import NotApplicable, Result
from audiomancer.evolution.synth_ops.tables import CURVES, ENVELOPE_STEPS, MAX_TIME, MIN_TIME
from audiomancer.supercollider import syntax as sc


@dataclass(frozen=True)
class _EnvSpec:
    params: tuple[str, ...]
    times: dict[str, float]
    curve: str | None = None
    default_curve: str = "-4"


_ENV_SPECS: Final[dict[str, _EnvSpec]] = {
    "perc": _EnvSpec(("attackTime", "releaseTime", "level", "curve"),
                     {"attackTime": 0.01, "releaseTime": 1.0}, "curve"),
    "adsr": _EnvSpec(("attackTime", "decayTime", "sustainLevel", "releaseTime", "peakLevel",
                      "curve", "bias"),
                     {"attackTime": 0.01, "decayTime": 0.3, "releaseTime": 1.0}, "curve"),
    "asr": _EnvSpec(("attackTime", "sustainLevel", "releaseTime", "curve"),
                    {"attackTime": 0.01, "releaseTime": 1.0}, "curve"),
    "linen": _EnvSpec(("attackTime", "sustainTime", "releaseTime", "level", "curve"),
                      {"attackTime": 0.01, "sustainTime": 1.0, "releaseTime": 1.0}, "curve",
                      "\\lin"),
    "dadsr": _EnvSpec(("delayTime", "attackTime", "decayTime", "sustainLevel", "releaseTime",
                       "peakLevel", "curve", "bias"),
                      {"delayTime": 0.1, "attackTime": 0.01, "decayTime": 0.3,
                       "releaseTime": 1.0}, "curve"),
    "triangle": _EnvSpec(("dur", "level"), {"dur": 1.0}),
    "sine": _EnvSpec(("dur", "level"), {"dur": 1.0}),
    "cutoff": _EnvSpec(("releaseTime", "level", "curve"), {"releaseTime": 0.1}, "curve",
                       "\\lin"),
    "new": _EnvSpec(("levels", "times", "curve", "releaseNode", "loopNode", "offset"), {},
                    "curve", "\\lin"),
}  # fmt: skip
_UGEN_TIMES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "Linen": (("gate", "attackTime", "susLevel", "releaseTime", "doneAction"),
              ("attackTime", "releaseTime")),
    "Line": (("start", "end", "dur", "mul", "add", "doneAction"), ("dur",)),
    "XLine": (("start", "end", "dur", "mul", "add", "doneAction"), ("dur",)),
}  # fmt: skip
_TIME_WORDS: Final = {
    "attackTime": "attack",
    "decayTime": "decay",
    "releaseTime": "release",
    "sustainTime": "sustain time",
    "delayTime": "delay",
    "dur": "duration",
}


@dataclass(frozen=True)
class _TimeSite:
    """One envelope time: a literal in a call, a control's default, or a default not written."""

    label: str
    word: str
    value: float
    call: sc.Call
    param: str | None = None
    element: int | None = None
    control: Control | None = None


def _env_label(call: sc.Call) -> str:
    name = class_of(call) or ""
    if name == "Env" and call.selector != "new":
        return f"Env.{call.selector}"
    return name


def argument_of(call: sc.Call, params: tuple[str, ...], name: str) -> sc.Node | None:
    bound = dict(zip(params, call.args, strict=False))
    for kwarg in call.kwargs:
        bound[kwarg.name] = kwarg.value
    return bound.get(name)


def with_argument(call: sc.Call, params: tuple[str, ...], name: str, value: sc.Node) -> sc.Call:
    index = params.index(name)
    for position, kwarg in enumerate(call.kwargs):
        if kwarg.name == name:
            kwargs = list(call.kwargs)
            kwargs[position] = replace(kwarg, value=value)
            return replace(call, kwargs=tuple(kwargs), parens=True)
    if index < len(call.args):
        args = list(call.args)
        args[index] = value
        return replace(call, args=tuple(args), parens=True)
    if index == len(call.args) and not call.kwargs:
        return replace(call, args=(*call.args, value), parens=True)
    return replace(call, kwargs=(*call.kwargs, sc.KeywordArg(name, value)), parens=True)


def _env_calls(function: sc.Node) -> list[tuple[sc.Call, tuple[str, ...], dict[str, float]]]:
    found = []
    for call in walk_calls(function):
        name = class_of(call)
        if name == "Env" and call.selector in _ENV_SPECS and call.style in ("method", "new"):
            spec = _ENV_SPECS[call.selector]
            found.append((call, spec.params, spec.times))
        elif name in _UGEN_TIMES and call.selector in ("kr", "ar"):
            params, times = _UGEN_TIMES[name]
            found.append((call, params, dict.fromkeys(times, 1.0)))
    return found


def time_sites(graph: Graph) -> list[_TimeSite]:
    by_name = {c.name: c for c in controls(graph) if isinstance(c.node, sc.Param)}
    sites: list[_TimeSite] = []
    seen_controls: set[str] = set()
    for call, params, times in _env_calls(graph.function):
        label = _env_label(call)
        if class_of(call) == "Env" and call.selector == "new":
            array = argument_of(call, params, "times")
            if isinstance(array, sc.Array | sc.LiteralArray):
                for index, element in enumerate(array.elements):
                    value = literal(element)
                    if value is not None and value > 0:
                        sites.append(
                            _TimeSite(label, f"segment {index + 1}", value, call, "times", index)
                        )
            continue
        for param in times:
            node = argument_of(call, params, param)
            word = _TIME_WORDS.get(param, param)
            value = literal(node) if node is not None else None
            if node is None and class_of(call) == "Env":
                sites.append(_TimeSite(label, word, times[param], call, param))
            elif value is not None and value > 0:
                sites.append(_TimeSite(label, word, value, call, param))
            elif isinstance(node, sc.Name) and node.name in by_name:
                control = by_name[node.name]
                control_value = control.value
                if control_value and control_value > 0 and node.name not in seen_controls:
                    seen_controls.add(node.name)
                    sites.append(
                        _TimeSite(label, word, control_value, call, param, control=control)
                    )
    return sites


def apply_times(
    program: sc.Program, graph: Graph, changes: list[tuple[_TimeSite, float]]
) -> tuple[sc.Program, list[str]]:
    """Write new envelope times; several changes to one call are merged."""
    log: list[str] = []
    calls: dict[int, sc.Call] = {}
    mapping: dict[int, sc.Node] = {}
    for site, new in changes:
        if site.control is not None:
            mapping[id(site.control.node)] = site.control.with_default(sc.Number.of(new))
            log.append(f"{site.control.name}: {fmt(site.value)} → {fmt(new)}")
            continue
        call = calls.get(id(site.call), site.call)
        params = (
            _ENV_SPECS[call.selector].params
            if class_of(call) == "Env"
            else _UGEN_TIMES[class_of(call) or ""][0]
        )
        assert site.param is not None
        if site.element is not None:
            array = argument_of(call, params, site.param)
            assert isinstance(array, sc.Array | sc.LiteralArray)
            elements = list(array.elements)
            elements[site.element] = sc.Number.of(new)
            call = with_argument(call, params, site.param, replace(array, elements=tuple(elements)))
        else:
            call = with_argument(call, params, site.param, sc.Number.of(new))
        calls[id(site.call)] = call
        log.append(f"{site.label} {site.word}: {fmt(site.value)} → {fmt(new)}")
    mapping.update(calls)
    return map_nodes(program, mapping), log


def _curve_sites(graph: Graph) -> list[tuple[sc.Call, str, str]]:
    """(call, current curve as written or its default, label) of Env calls with a curve."""
    sites = []
    for call, params, _ in _env_calls(graph.function):
        if class_of(call) != "Env":
            continue
        spec = _ENV_SPECS[call.selector]
        if spec.curve is None:
            continue
        node = argument_of(call, params, spec.curve)
        if node is None:
            current = spec.default_curve
        elif isinstance(node, sc.Number | sc.Symbol):
            current = printed(node)
        else:
            continue
        sites.append((call, current, _env_label(call)))
    return sites


def modify_envelope(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Change envelope times by 10-30% (``Env.adsr release: 0.04 → 0.052``; a time held by a
    control changes the control's default) or an envelope's curve (``Env.perc curve: -4 →
    -6``). ``doneAction``, gates and levels are left alone."""
    graph = locate(program)
    times = time_sites(graph)
    curves = _curve_sites(graph)
    if not times and not curves:
        raise NotApplicable("no envelope with times or a curve to change")
    total = len(times) + len(curves)
    count = min(3, total, 1 + sum(rng.random() < amount * 0.3 for _ in range(total - 1)))
    chosen = sorted(rng.sample(range(total), count))
    changes: list[tuple[_TimeSite, float]] = []
    for index in chosen:
        if index < len(times):
            site = times[index]
            step = rng.choice(ENVELOPE_STEPS) * rng.choice((1, -1))
            new = rounded(min(MAX_TIME, max(MIN_TIME, site.value * (1 + step))))
            if new != site.value:
                changes.append((site, new))
    program, log = apply_times(program, graph, changes)
    curve_indices = [i - len(times) for i in chosen if i >= len(times)]
    if curve_indices:
        graph = locate(program)
        sites = _curve_sites(graph)
        mapping: dict[int, sc.Node] = {}
        for index in curve_indices:
            call, current, label = sites[index]
            options = [c for c in CURVES if str(c) != current]
            new_curve = rng.choice(options)
            spec = _ENV_SPECS[call.selector]
            assert spec.curve is not None
            mapping[id(call)] = with_argument(
                call, spec.params, spec.curve, sc.Number.of(new_curve)
            )
            log.append(f"{label} curve: {current} → {new_curve}")
        program = map_nodes(program, mapping)
    if not log:
        raise NotApplicable("no envelope time could be changed")
    return program, log
