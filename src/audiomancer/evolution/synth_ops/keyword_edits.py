"""Edits that steer a synth towards ``generate_synth``'s keywords."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from typing import Literal

from audiomancer.evolution.synth_ops.controls import Control, add_param, control_names, controls
from audiomancer.evolution.synth_ops.crossover import maybe_multichannel
from audiomancer.evolution.synth_ops.edits import (
    binop,
    class_of,
    fmt,
    fresh,
    literal,
    map_nodes,
    method,
    num,
    rounded,
    ugen,
    walk_calls,
)
from audiomancer.evolution.synth_ops.envelope_mutation import (
    apply_times,
    argument_of,
    time_sites,
    with_argument,
)
from audiomancer.evolution.synth_ops.graph import Graph, locate
from audiomancer.evolution.synth_ops.protocol import NotApplicable, Result
from audiomancer.evolution.synth_ops.retarget import (
    bind,
    build,
    filter_calls,
    freq_name,
    from_unit,
    main_filter,
    retarget_filter,
    retarget_oscillator,
    swappable_oscillators,
    to_unit,
)
from audiomancer.evolution.synth_ops.roles import role_of
from audiomancer.evolution.synth_ops.signal import (
    envelope_vars,
    insert_stage,
    output_calls,
    signal_of,
    with_signal,
)
from audiomancer.evolution.synth_ops.tables import (
    ENV_CLASSES,
    FILTER_SIGNATURES,
    MAX_TIME,
    MIN_TIME,
    NYQUIST_GUARD,
    OSC_SIGNATURES,
    RESONANCE,
)
from audiomancer.supercollider import syntax as sc


def set_oscillator(program: sc.Program, target: str, rng: random.Random) -> Result:
    """Every swappable oscillator becomes ``target`` (``Pulse → Saw``)."""
    graph = locate(program)
    calls = [c for c in swappable_oscillators(graph.function) if class_of(c) != target]
    if not calls:
        raise NotApplicable(f"no oscillator to turn into {target}")
    sources = sorted({class_of(c) or "" for c in calls})
    mapping: dict[int, sc.Node] = {id(c): retarget_oscillator(c, target, rng) for c in calls}
    return map_nodes(program, mapping), [f"{source} → {target}" for source in sources]


def _cutoff_control(graph: Graph) -> Control | None:
    for control in controls(graph):
        role = role_of(control.name)
        if role is not None and role.name == "cutoff" and control.value is not None:
            return control
    return None


def set_filter(
    program: sc.Program,
    target: str,
    rng: random.Random,
    *,
    min_resonance: float | None = None,
    cutoff: float = 1500.0,
) -> Result:
    """Make the main low-pass filter a ``target`` (``RLPF → MoogFF``), or insert one on the
    signal reading the ``cutoff`` control (added with default ``cutoff`` when missing).
    ``min_resonance`` (0-1) raises a literal resonance that is lower, or sets a missing one."""
    graph = locate(program)
    calls = filter_calls(graph.function, "lowpass")
    log: list[str] = []
    if calls:
        source = class_of(main_filter(calls)) or ""
        targets = [c for c in calls if class_of(c) == source]
        mapping: dict[int, sc.Node] = {}
        for call in targets:
            new = retarget_filter(call, target, default_unit=min_resonance)
            mapping[id(call)] = _raise_resonance(new, min_resonance)
        if source == target and all(mapping[id(c)] == c for c in targets):
            raise NotApplicable(f"the filter is already a resonant {target}")
        program = map_nodes(program, mapping)
        log.append(f"{source} → {target}" if source != target else f"{target}: more resonance")
        return program, log
    control = _cutoff_control(graph)
    function = graph.function
    if control is None:
        name = fresh("cutoff", graph.identifiers())
        function = add_param(function, name, sc.Number.of(float(cutoff)))
        control_node: sc.Node = sc.Name(name)
        log_name = name
    else:
        control_node = sc.Name(control.name) if isinstance(control.node, sc.Param) else control.node
        log_name = control.name

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        template = ugen(target, "ar", signal, control_node)
        return retarget_filter(template, target, default_unit=min_resonance or 0.2)

    new_function = insert_stage(Graph(graph.program, graph.synthdef, function), make)
    log.append(f"Added {target} low-pass filter on {log_name}")
    return graph.with_function(new_function), log


def _raise_resonance(call: sc.Call, minimum: float | None) -> sc.Call:
    class_name = class_of(call) or ""
    if minimum is None or class_name not in RESONANCE:
        return call
    name, kind = RESONANCE[class_name]
    signature = FILTER_SIGNATURES[class_name]
    current = argument_of(call, signature, name)
    if current is None:
        return with_argument(call, signature, name, from_unit(num(minimum), kind))
    value = literal(current)
    if value is None:
        return call
    unit = literal(to_unit(current, kind))
    if unit is not None and unit >= minimum:
        return call
    return with_argument(call, signature, name, from_unit(num(minimum), kind))


def add_filter_envelope(
    program: sc.Program, rng: random.Random, *, amount: float = 3.0, decay: float = 0.3
) -> Result:
    """Kick the main low-pass filter's frequency up with a decaying envelope, as an acid bass
    does: ``freq * (1 + (filterEnv * 3))``, ``filterEnv`` retriggered by the gate if any.
    Not applicable when the frequency already follows an envelope."""
    graph = locate(program)
    calls = filter_calls(graph.function, "lowpass")
    if not calls:
        raise NotApplicable("no low-pass filter to give an envelope")
    main = main_filter(calls)
    class_name = class_of(main) or ""
    signature = FILTER_SIGNATURES[class_name]
    freq = argument_of(main, signature, freq_name(class_name))
    if freq is None:
        raise NotApplicable("the filter has no frequency argument")
    envelopes = envelope_vars(graph.function)
    if any(isinstance(n, sc.Name) and n.name in envelopes for n in sc.walk(freq)) or any(
        class_of(c) in ENV_CLASSES for c in walk_calls(freq)
    ):
        raise NotApplicable("the filter already follows an envelope")
    variable = fresh("filterEnv", graph.identifiers())
    decay_value = rounded(decay * rng.uniform(0.8, 1.25), 2)
    env_args: list[sc.Node] = [
        method(sc.ClassName("Env"), "perc", sc.Number("0.003"), sc.Number.of(decay_value))
    ]
    if "gate" in graph.param_names:
        env_args.append(sc.Name("gate"))
    envelope = ugen("EnvGen", "kr", *env_args)
    depth = rounded(amount * rng.uniform(0.8, 1.25), 2)
    swept = binop(
        freq,
        "*",
        sc.Paren(
            (
                binop(
                    sc.Number("1"),
                    "+",
                    sc.Paren((binop(sc.Name(variable), "*", sc.Number.of(depth)),)),
                ),
            )
        ),
    )
    new_freq = method(swept, "clip", sc.Number("30"), num(NYQUIST_GUARD))
    new_main = with_argument(main, signature, freq_name(class_name), new_freq)
    function = map_nodes(graph.function, {id(main): new_main})
    declaration = sc.VarDecl((sc.VarDef(variable, envelope),))
    function = replace(function, var_decls=(declaration, *function.var_decls))
    return graph.with_function(function), [
        f"Added filter envelope to {class_name} (decay {fmt(decay_value)} s)"
    ]


def scale_controls(
    program: sc.Program, role: str, factor: float, *, low: float = 20.0, high: float = NYQUIST_GUARD
) -> Result:
    """Multiply the defaults of every control of a role (``cutoff``) by ``factor``, clamped;
    without such a control, the literal frequencies of the low-pass filters."""
    graph = locate(program)
    mapping: dict[int, sc.Node] = {}
    log: list[str] = []
    notes = _note_controls(graph)
    for control in controls(graph):
        found = role_of(control.name)
        value = control.value
        if found is None or found.name != role or value is None or value <= 0:
            continue
        if control.name in notes:  # a MIDI note (``cutoff.midicps``): move it in semitones
            low_note, high_note = _note_of(low), _note_of(high)
            new = rounded(min(high_note, max(low_note, value + 12 * math.log2(factor))))
        else:
            new = rounded(min(high, max(low, value * factor)))
        if new != value:
            mapping[id(control.node)] = control.with_default(sc.Number.of(new))
            log.append(f"{control.name}: {fmt(value)} → {fmt(new)}")
    if not mapping and role == "cutoff":
        for call in filter_calls(graph.function, "lowpass"):
            class_name = class_of(call) or ""
            signature = FILTER_SIGNATURES[class_name]
            value = literal(argument_of(call, signature, freq_name(class_name)))
            if value is None or value <= 0:
                continue
            new = rounded(min(high, max(low, value * factor)))
            mapping[id(call)] = with_argument(
                call, signature, freq_name(class_name), sc.Number.of(new)
            )
            log.append(f"{class_name} frequency: {fmt(value)} → {fmt(new)}")
    if not mapping:
        raise NotApplicable(f"no {role} to change")
    return map_nodes(program, mapping), log


def _note_of(frequency: float) -> float:
    return 69 + 12 * math.log2(max(frequency, 1.0) / 440)


def _note_controls(graph: Graph) -> set[str]:
    """Controls the graph reads as MIDI notes (``x.midicps``, ``midicps(x)``)."""
    names = set(graph.param_names) | control_names(graph)
    return {
        call.receiver.name
        for call in walk_calls(graph.function)
        if call.selector == "midicps"
        and isinstance(call.receiver, sc.Name)
        and call.receiver.name in names
    }


def add_shelf(program: sc.Program, gain_db: float, freq: float = 3000.0) -> Result:
    """A high shelf on the signal: ``BHiShelf.ar(sig, 3000, 1, 6)`` brightens (gain > 0),
    darkens (gain < 0); works on any audio signal, whatever makes it."""

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        return ugen("BHiShelf", "ar", signal, num(freq), sc.Number("1"), num(gain_db))

    graph = locate(program)
    function = insert_stage(graph, make)
    sign = "+" if gain_db > 0 else ""
    return graph.with_function(function), [
        f"Added high shelf ({sign}{fmt(gain_db)} dB above {fmt(freq)} Hz)"
    ]


def add_chorus(program: sc.Program, rng: random.Random) -> Result:
    """A chorus beside the signal: a delay of 5-20 ms swept by a slow sine, mixed in."""
    rate = rounded(rng.uniform(0.2, 0.6), 2)
    sweep = method(ugen("SinOsc", "kr", num(rate)), "range", sc.Number("0.005"), sc.Number("0.02"))

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        delayed = ugen("DelayC", "ar", signal, sc.Number("0.03"), sweep)
        return binop(binop(signal, "+", delayed), "*", sc.Number("0.6"))

    graph = locate(program)
    return graph.with_function(insert_stage(graph, make)), [
        f"Added chorus (DelayC swept at {fmt(rate)} Hz)"
    ]


def scale_envelope(
    program: sc.Program, words: frozenset[str], factor: float, *, minimum: float = MIN_TIME
) -> Result:
    """Multiply envelope times of some kinds (``{"release", "decay"}``) by ``factor``."""
    graph = locate(program)
    changes = []
    for site in time_sites(graph):
        if site.word in words or (site.word == "duration" and "release" in words):
            new = rounded(min(MAX_TIME, max(minimum, site.value * factor)))
            if new != site.value:
                changes.append((site, new))
    if not changes:
        raise NotApplicable(f"no envelope {'/'.join(sorted(words))} time to change")
    return apply_times(program, graph, changes)


def detune_oscillators(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Thicken each swappable oscillator into three detuned copies mixed to one:
    ``Mix(Saw.ar(freq * [0.994, 1, 1.006])) * 0.5``."""
    graph = locate(program)
    # A call that may already give several channels (``Pulse.ar(freq * [1, 1.01])``) is left
    # alone: mixed down to one, what follows it (``.sum``, an array index) would break.
    calls = [c for c in swappable_oscillators(graph.function) if not maybe_multichannel(c)]
    if not calls:
        raise NotApplicable("no single-channel oscillator to detune")
    spread = rounded(rng.uniform(0.003, 0.004 + 0.01 * amount), 2)
    ratios = sc.Array((num(1 - spread, 4), sc.Number("1"), num(1 + spread, 4)))
    mapping: dict[int, sc.Node] = {}
    for call in calls:
        class_name = class_of(call) or ""
        bound = bind(call, OSC_SIGNATURES[class_name]) or {}
        key = "syncFreq" if class_name == "SyncSaw" else "freq"
        freq = bound.get(key, sc.Number("440"))
        bound[key] = binop(freq, "*", ratios)
        if class_name == "SyncSaw" and "sawFreq" in bound:
            bound["sawFreq"] = binop(bound["sawFreq"], "*", ratios)
        spread_call = build(call, class_name, bound)
        mapping[id(call)] = binop(
            sc.Call(sc.ClassName("Mix"), "new", (spread_call,), style="new"), "*", sc.Number("0.5")
        )
    classes = sorted({class_of(c) or "" for c in calls})
    return map_nodes(program, mapping), [
        f"Detuned {', '.join(classes)} into three voices (±{fmt(spread * 100)}%)"
    ]


StageKind = Literal["pluck", "ring", "noise"]


def add_stage(program: sc.Program, kind: StageKind, rng: random.Random) -> Result:
    """Insert a keyword stage on the signal: ``pluck`` (a short percussive envelope), ``ring``
    (inharmonic ring modulation, metallic) or ``noise`` (noise following the signal)."""
    graph = locate(program)
    freq: sc.Node = sc.Name("freq") if "freq" in control_names(graph) else sc.Number("440")
    if kind == "pluck":
        decay = rounded(rng.uniform(0.15, 0.35), 2)
        envelope = ugen(
            "EnvGen",
            "kr",
            method(sc.ClassName("Env"), "perc", sc.Number("0.002"), sc.Number.of(decay)),
        )

        def make(signal: sc.Node, pre_level: bool) -> sc.Node:
            return binop(signal, "*", envelope)

        line = f"Added plucky decay ({fmt(decay)} s)"
    elif kind == "ring":
        ratio = rng.choice((1.41, 2.76, 3.53, 5.4))
        carrier = ugen(
            "SinOsc",
            "ar",
            binop(freq, "*", sc.Number.of(ratio)),
            sc.Number("0"),
            sc.Number("0.7"),
            sc.Number("0.3"),
        )

        def make(signal: sc.Node, pre_level: bool) -> sc.Node:
            return binop(signal, "*", carrier)

        line = f"Added ring modulation at {fmt(ratio)} × freq"
    else:
        depth = rounded(rng.uniform(0.3, 0.6), 2)
        noise = ugen("PinkNoise", "ar", sc.Number.of(depth))

        def make(signal: sc.Node, pre_level: bool) -> sc.Node:
            return binop(signal, "+", sc.Paren((binop(signal, "*", noise),)))

        line = f"Added noise following the signal ({fmt(depth)})"
    return graph.with_function(insert_stage(graph, make)), [line]


def scale_output(program: sc.Program, factor: float) -> Result:
    """Every output's signal multiplied by ``factor`` (to bring a hot synth below full scale)."""
    graph = locate(program)
    outs = output_calls(graph.function)
    mapping: dict[int, sc.Node] = {}
    for out in outs:
        signal = signal_of(out)
        if signal is not None:
            mapping[id(out)] = with_signal(out, binop(signal, "*", num(factor)))
    if not mapping:
        raise NotApplicable("no output to scale")
    function = map_nodes(graph.function, mapping)
    return graph.with_function(function), [f"Output level × {fmt(rounded(factor))}"]
