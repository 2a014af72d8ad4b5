"""B's control-rate LFO as a modulator of A: a crossover stage for B's slow material.

Many SynthDefs make no sound of their own that could move: a control synth writing an LFO to
a bus (``Out.kr(out, LFNoise1.kr(0.3, 200, 800))``), a granulator whose rate and position
wander (``LFNoise2.kr(0.1).range(0, 1)``). What they have is movement. Such an LFO of B (an
oscillator or noise called at control rate, :data:`MODULATOR_SIGNATURES`) is copied closed
(:func:`~audiomancer.evolution.synth_ops.transplant.closed_copy`: its rate and what that
reads in B come along), its ``mul``/``add`` dropped, and it modulates A where a musician
would patch it, in this order of preference:

- the frequency of A's main filter (``cutoff × lfo.exprange(1/(1+d), 1+d)``, kept in the
  audible range);
- else the pitch of A's oscillators (a slow drift or vibrato of a few cents);
- else A's level (a tremolo on A's signal).

The LFO is a new variable declared first (``var lfoFromB = LFNoise1.kr(0.3);``), so each
target reads the same LFO.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from audiomancer.evolution.synth_ops.bus_reads import marked
from audiomancer.evolution.synth_ops.edits import (
    binop,
    class_of,
    fresh,
    map_nodes,
    method,
    num,
    outermost_calls,
)
from audiomancer.evolution.synth_ops.graph import Graph
from audiomancer.evolution.synth_ops.protocol import NotApplicable, Result
from audiomancer.evolution.synth_ops.retarget import (
    bind,
    filter_calls,
    freq_name,
    laid_out,
    main_filter,
)
from audiomancer.evolution.synth_ops.signal import StageMaker
from audiomancer.evolution.synth_ops.tables import FILTER_SIGNATURES, NYQUIST_GUARD, OSC_SIGNATURES
from audiomancer.evolution.synth_ops.transplant import add_params, closed_copy, reads_outside
from audiomancer.supercollider import syntax as sc

_PERIODIC: Final = ("freq", "iphase", "mul", "add")
_NOISE: Final = ("freq", "mul", "add")
MODULATOR_SIGNATURES: Final[dict[str, tuple[str, ...]]] = {
    "SinOsc": ("freq", "phase", "mul", "add"), "LFTri": _PERIODIC, "LFSaw": _PERIODIC,
    "LFPar": _PERIODIC, "LFCub": _PERIODIC, "LFPulse": ("freq", "iphase", "width", "mul", "add"),
    "VarSaw": ("freq", "iphase", "width", "mul", "add"), "LFNoise0": _NOISE,
    "LFNoise1": _NOISE, "LFNoise2": _NOISE, "LFDNoise0": _NOISE, "LFDNoise1": _NOISE,
    "LFDNoise3": _NOISE, "LFClipNoise": _NOISE, "LFDClipNoise": _NOISE,
}  # fmt: skip
"""LFOs that move smoothly or in steps (triggers such as ``Impulse`` or ``Dust`` are no
modulators), with their argument names: ``mul`` and ``add`` are dropped when moved."""

Inserter = Callable[[Graph, StageMaker], sc.FunctionDef]


def modulator_calls(function: sc.Node) -> list[sc.Call]:
    """B's LFOs: control-rate calls of :data:`MODULATOR_SIGNATURES` not inside another
    (their own modulators come with them), whose arguments can be told apart and that read
    nothing outside the synth."""

    def wanted(call: sc.Call, name: str) -> bool:
        return (
            name in MODULATOR_SIGNATURES
            and call.selector == "kr"
            and bind(call, MODULATOR_SIGNATURES[name]) is not None
            and reads_outside(marked(call)) is None
        )

    return outermost_calls(function, wanted)


def _unit(call: sc.Call) -> sc.Call:
    """The LFO without its ``mul`` and ``add``: its own range (-1..1, or 0..1 for LFPulse),
    which ``range``/``exprange`` then map."""
    signature = MODULATOR_SIGNATURES[class_of(call) or ""]
    bound = {k: v for k, v in (bind(call, signature) or {}).items() if k not in ("mul", "add")}
    args, kwargs = laid_out(signature, bound)
    return replace(call, args=args, kwargs=kwargs, parens=bool(args or kwargs))


def _pitch_slots(function: sc.Node) -> list[sc.Node]:
    """The frequency arguments of A's audio-rate oscillators (outermost ones only)."""

    def freq(call: sc.Call, name: str) -> sc.Node | None:
        if name not in OSC_SIGNATURES or call.selector != "ar":
            return None
        return (bind(call, OSC_SIGNATURES[name]) or {}).get(OSC_SIGNATURES[name][0])

    oscillators = outermost_calls(function, lambda call, name: freq(call, name) is not None)
    slots = [freq(call, class_of(call) or "") for call in oscillators]
    return [slot for slot in slots if slot is not None]


def modulator_stage(
    graph_a: Graph,
    graph_b: Graph,
    call_b: sc.Call,
    names: tuple[str, str],
    rng: random.Random,
    insert: Inserter,
) -> Result:
    """A with B's LFO ``call_b`` modulating its filter, pitch or level (see the module doc);
    ``insert`` puts a stage on A's signal (for the tremolo)."""
    (copy,) = closed_copy(graph_a, graph_b, [call_b])
    assert isinstance(copy.node, sc.Call)
    unit = _unit(copy.node)
    label = class_of(call_b) or "LFO"
    variable = fresh("lfoFromB", graph_a.identifiers())
    lfo = sc.Name(variable)
    function = graph_a.function
    filters = filter_calls(function)
    main = main_filter(filters) if filters else None
    cutoff = None
    if main is not None:
        class_a = class_of(main) or ""
        cutoff = (bind(main, FILTER_SIGNATURES[class_a]) or {}).get(freq_name(class_a))
    pitches = _pitch_slots(function)
    if main is not None and cutoff is not None:
        depth = rng.uniform(0.5, 1.5)
        swept = method(binop(cutoff, "*", lfo), "clip", num(20), num(NYQUIST_GUARD))
        function = map_nodes(function, {id(cutoff): swept})
        expression = method(unit, "exprange", num(1 / (1 + depth)), num(1 + depth))
        target = f"{class_of(main)} frequency"
    elif pitches:
        depth = rng.uniform(0.004, 0.012)
        function = map_nodes(function, {id(slot): binop(slot, "*", lfo) for slot in pitches})
        expression = method(unit, "range", num(1 - depth, 4), num(1 + depth, 4))
        target = "pitch"
    else:
        depth = rng.uniform(0.3, 0.6)
        expression = method(unit, "range", num(1 - depth), sc.Number("1"))

        def make(signal: sc.Node, pre_level: bool) -> sc.Node:
            return binop(signal, "*", lfo)

        function = insert(graph_a, make)
        target = "level"
    if function == graph_a.function:
        raise NotApplicable(f"{names[0]} has nothing {label} could modulate")
    declaration = sc.VarDecl((sc.VarDef(variable, expression),))
    function = replace(function, var_decls=(declaration, *function.var_decls))
    function = add_params(function, copy.params)
    added = [p.name for p in copy.params if p.name not in graph_a.param_names]
    log = [f"Modulator from {names[1]}: {label} sweeps the {target}"]
    if added:
        log.append(f"Controls from {names[1]}: {', '.join(added)}")
    return graph_a.with_function(function), log
