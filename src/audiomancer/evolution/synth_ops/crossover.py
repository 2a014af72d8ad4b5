"""Crossover: a child of A that really uses a sounding stage of B (:func:`crossover`).

The child is A (its oscillators, envelope and output, as the spec's strategy says) with at least
one *sounding stage* of B moved in, found by UGen family in B's graph:

- B's **filter** takes the place of A's filter of the same kind (low-pass, high-pass,
  band-pass), with B's frequency and resonance expressions, or is put on A's signal when A has
  no such filter; other filters and resonators of B (``Ringz``, ``BPeakEQ``...) go on A's
  signal;
- B's **effect** (reverb, delay, lo-fi) goes on A's signal, in series or beside it; so does a
  spectral section of B (``IFFT`` back to ``FFT``, with its PV UGens and a LocalBuf of its
  own: :mod:`~audiomancer.evolution.synth_ops.spectral`), and a delay on a LocalBuf of its
  own (Sonic Pi's ``PingPong``: :mod:`~audiomancer.evolution.synth_ops.buffer_delays`);
- B's **oscillator** (or noise source) is layered with A's main oscillator, or feeds A where A
  reads a bus or a buffer (an effect or sample player that cannot sound alone; a granulator
  of a buffer granulates B's source: :mod:`~audiomancer.evolution.synth_ops.granular`);
- B's **sample player** of a buffer nothing loads plays A's sound back from a tape the child
  records (:mod:`~audiomancer.evolution.synth_ops.resampling`);
- when none of these is found and B processes an input, B's **whole processing** from input
  to output goes on A's signal (:mod:`~audiomancer.evolution.synth_ops.processing`);
- B's **LFO** (an oscillator or noise at control rate: a control synth's ``Out.kr`` LFO, a
  granulator's wandering rate) modulates A's filter, pitch or level
  (:mod:`~audiomancer.evolution.synth_ops.modulators`).

When B's SynthDef is a shell around a function it wraps (``SynthDef.wrap``: Sonic Pi's FX),
its stages are looked for in that function
(:mod:`~audiomancer.evolution.synth_ops.wrapped`). What a stage reads in B (controls,
variables, its envelopes) comes along as closed copies
(:mod:`~audiomancer.evolution.synth_ops.transplant`). Nothing goes into an FFT chain or onto a
control-rate output. Defaults of the controls both parents share are averaged, and the child
keeps no control that nothing reads. When no stage of B can be combined with A,
:class:`NotApplicable` says why for each.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, Literal

from audiomancer.evolution.synth_ops.buffer_delays import check_feedback, fit_inputs, signal_slot
from audiomancer.evolution.synth_ops.bus_reads import marked
from audiomancer.evolution.synth_ops.controls import controls, reads
from audiomancer.evolution.synth_ops.edits import (
    binop,
    builds_array,
    class_of,
    classes_in,
    fmt,
    map_nodes,
    num,
    outermost_calls,
    rounded,
    ugen,
    walk_calls,
)
from audiomancer.evolution.synth_ops.granular import GRANULATORS, granulated
from audiomancer.evolution.synth_ops.graph import Graph, locate
from audiomancer.evolution.synth_ops.loops import loop_input, loops_as_expressions
from audiomancer.evolution.synth_ops.modulators import modulator_calls, modulator_stage
from audiomancer.evolution.synth_ops.processing import processing_output, processing_stage
from audiomancer.evolution.synth_ops.protocol import NotApplicable, Result
from audiomancer.evolution.synth_ops.resampling import PLAYERS, player_calls, resampler_stage
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
    insert_stage,
    output_calls,
    signal_point,
)
from audiomancer.evolution.synth_ops.spectral import (
    section_label,
    spectral_sections,
    spectral_stage,
)
from audiomancer.evolution.synth_ops.tables import EFFECT_KINDS, FILTER_SIGNATURES, RESONANCE
from audiomancer.evolution.synth_ops.transplant import (
    SIGNAL,
    Material,
    add_params,
    closed_copy,
    enclosing_section,
    fill,
    reads_outside,
)
from audiomancer.evolution.synth_ops.wrapped import wrapped_view
from audiomancer.supercollider import syntax as sc
from audiomancer.supercollider.ugens import OUTPUTS, family_of

StageKind = Literal["filter", "effect", "oscillator", "modulator"]
_KIND_WEIGHTS: Final[dict[StageKind, float]] = {
    "filter": 3.0, "effect": 2.0, "oscillator": 1.5, "modulator": 1.0,
}  # fmt: skip
"""The spec's strategy first: B's filter, then its effects, then (layered) its oscillator;
B's LFO modulating A last."""
_OTHER_FILTERS: Final = frozenset(
    {"BRF", "Ringz", "Formlet", "OnePole", "OneZero", "TwoPole", "TwoZero", "BBandPass",
     "BBandStop", "BPeakEQ", "BLowShelf", "BHiShelf", "MidEQ", "RLPFD", "MoogVCF", "BMoog",
     "Streson", "Median", "LeakDC", "HPZ1", "HPZ2", "LPZ1", "LPZ2", "BPZ2", "BRZ2"}
)  # fmt: skip
"""Filters outside the swappable groups that take their input first: put on A's signal."""
_DYNAMICS: Final = frozenset({"Compander", "Limiter", "Normalizer", "CompanderD"})
"""Dynamics that take their input first: B's compressor or limiter is a stage too."""
_FEEDABLE: Final[dict[str, int | None]] = {
    "In": 1, "InFeedback": 1, "SoundIn": None, "PlayBuf": 0, "BufRd": 0,
}  # fmt: skip
"""Readers of a bus or buffer that a source of B may stand in for (index of numChannels)."""
PLUMBING: Final = frozenset(
    {"Control", "AudioControl", "TrigControl", "LagControl", "BinaryOpUGen", "UnaryOpUGen",
     "MulAdd", "Sum3", "Sum4", "Out", "ReplaceOut", "XOut", "OffsetOut", "SampleRate",
     "SampleDur", "ControlDur", "ControlRate", "Rand", "IRand", "ExpRand", "K2A", "A2K",
     "DC", "Silent", "Select", "Clip", "Pan2", "Mix", "EnvGen", "Line", "XLine", "Linen",
     "NamedControl"}
)  # fmt: skip
"""Classes that say nothing about whose sound it is: a stage must bring more than these."""
_SEQUENCERS: Final = frozenset({"TDuty"})
"""Demand-rate trigger sequencers called at audio rate: a source of B (a click sequence),
layered with A's like an oscillator (their ``doneAction`` disarmed when moved)."""
PROCESSING: Final = "processing"
"""The label of B's whole processing of its input as a stage."""
_LAYER_LEVEL: Final = "0.5"
_FEED_LEVEL: Final = "0.25"
"""B's source is unscaled (B's envelope and amp are not copied): it feeds A at this level."""


@dataclass(frozen=True)
class Stage:
    """A sounding stage of B that can go into A: ``index`` orders B's stages."""

    index: int
    kind: StageKind
    label: str
    """The stage's UGen class in B (``MoogFF``, ``FreeVerb``, ``Pulse``)."""
    new_classes: frozenset[str]
    """Classes the stage brings that A's code does not call (beyond plumbing)."""
    feed: bool = False
    """An oscillator stage that feeds A where A reads a bus or a buffer (A cannot sound alone)."""


def _outermost_sources(function: sc.Node) -> list[sc.Call]:
    """Audio-rate oscillator and noise calls not inside another such call (their modulators
    come with them)."""

    def wanted(call: sc.Call, name: str) -> bool:
        return (
            call.selector == "ar"
            and (family_of(name, "ar") in ("oscillator", "noise") or name in _SEQUENCERS)
            and reads_outside(marked(call)) is None  # a bus-read pitch becomes a control
        )

    return outermost_calls(function, wanted)


def _stage_calls(graph_b: Graph) -> list[tuple[StageKind, sc.Call]]:
    """B's stages found by family, then B's output when B processes an input (its whole way
    from input to output, :mod:`~audiomancer.evolution.synth_ops.processing`, a stage only
    when none of the others is)."""
    calls = _family_calls(graph_b)
    output = processing_output(graph_b)
    return [*calls, ("effect", output)] if output is not None else calls


def _family_calls(graph_b: Graph) -> list[tuple[StageKind, sc.Call]]:
    function = graph_b.function
    calls: list[tuple[StageKind, sc.Call]] = [("filter", c) for c in filter_calls(function)]
    calls += [
        ("filter", c)
        for c in walk_calls(function)
        if class_of(c) in _OTHER_FILTERS
        and c.selector == "ar"
        and c.style == "method"
        and c.args
        and not isinstance(c.args[0], sc.Splat)
    ]
    calls += [("effect", c) for c in effect_calls(function)]
    calls += [
        ("effect", c)
        for c in walk_calls(function)
        if class_of(c) in _DYNAMICS
        and c.selector == "ar"
        and c.style == "method"
        and c.args
        and not isinstance(c.args[0], sc.Splat)
    ]
    calls += [("effect", c) for c in spectral_sections(graph_b)]
    calls += [("effect", c) for c in player_calls(graph_b)]
    calls += [("oscillator", c) for c in _outermost_sources(function)]
    calls += [("modulator", c) for c in modulator_calls(function)]
    return calls


def stage_source(b: sc.Program) -> sc.Program:
    """Where B's stages are looked for: the function B wraps with ``SynthDef.wrap`` when it
    has stages (B's own graph is then a shell: bus in, mix, out), else B itself; with its
    loops that run a signal through a UGen again and again written as one expression
    (:mod:`~audiomancer.evolution.synth_ops.loops`), so such a chain moves whole."""
    view = wrapped_view(b)
    if view is not None and _family_calls(locate(loops_as_expressions(view))):
        return loops_as_expressions(view)
    return loops_as_expressions(b)


# -- where stages go in A ---------------------------------------------------------------------


def _is_chain(graph: Graph, variable: str) -> bool:
    """True when ``variable`` holds an FFT chain (its value is made by FFT or a PV_ UGen)."""
    for _, value in definitions(graph.function, variable):
        while isinstance(value, sc.Paren) and len(value.body) == 1:
            value = value.body[0]
        name = class_of(value) or ""
        # PV_ UGens called at a rate (PV_HainsworthFoote.ar) are detectors giving a signal
        if name == "FFT" or (name.startswith("PV_") and isinstance(value, sc.Call)
                             and value.selector == "new"):  # fmt: skip
            return True
    return False


def _insert(graph_a: Graph, make: StageMaker) -> sc.FunctionDef:
    """``insert_stage`` on A's audio signal: never onto a control-rate output or an FFT chain."""
    outs = output_calls(graph_a.function)
    if not outs:
        raise NotApplicable("A has no output to put a stage before")
    if all(out.selector == "kr" for out in outs):
        raise NotApplicable("A writes a control-rate output (Out.kr): no audio stage goes there")
    point = signal_point(graph_a)
    if point is None:
        raise NotApplicable("A has no output signal to put a stage on")
    if point.variable is not None and _is_chain(graph_a, point.variable):
        raise NotApplicable(f"A's signal {point.variable!r} is an FFT chain")
    return insert_stage(graph_a, make)


def maybe_multichannel(node: sc.Node) -> bool:
    """True when ``node`` may give several channels (arrays, ``!``, ``dup``, ``fill``...)."""
    if builds_array(node):
        return True
    for found in sc.walk(node):
        if isinstance(found, sc.Array | sc.LiteralArray | sc.Splat):
            return True
        if isinstance(found, sc.Call) and found.selector in _ARRAY_RESHAPERS:
            return True
    return False


_ARRAY_RESHAPERS: Final = frozenset({"rand", "exprand", "newClear", "clump", "flop"})
"""Further selectors that may give an array (``[a, b].rand`` is one of them, or an array)."""


def _mono(node: sc.Node) -> sc.Node:
    """``node`` as one channel: the mean of its channels when it may have several."""
    if not maybe_multichannel(node):
        return node
    channels = sc.Call(sc.Array((node,)), "flat", parens=False)
    mean = sc.FunctionDef(
        params=(sc.Param("ch"),),
        body=(
            binop(
                sc.Call(sc.Name("ch"), "sum", parens=False),
                "/",
                sc.Call(sc.Name("ch"), "size", parens=False),
            ),
        ),
    )
    return sc.Call(mean, "value", (channels,))


# -- the stages -------------------------------------------------------------------------------


def _copy_or_none(graph_a: Graph, graph_b: Graph, node: sc.Node | None) -> Material | None:
    if node is None:
        return None
    try:
        return closed_copy(graph_a, graph_b, [node])[0]
    except NotApplicable:
        return None


def _params(*materials: Material | None) -> tuple[sc.Param, ...]:
    seen: dict[str, sc.Param] = {}
    for material in materials:
        if material is not None:
            for param in material.params:
                seen.setdefault(param.name, param)
    return tuple(seen.values())


def _fallback_frequency(graph_b: Graph, graph_a: Graph) -> sc.Node:
    """A's cutoff control when it has one, else B's cutoff default, else 2000."""
    for control in controls(graph_a):
        role = role_of(control.name)
        if role is not None and role.name == "cutoff" and isinstance(control.node, sc.Param):
            return sc.Name(control.name)
    for control in controls(graph_b):
        role = role_of(control.name)
        if role is not None and role.name == "cutoff" and control.value is not None:
            return num(control.value)
    return sc.Number("2000")


def _with_params(graph: Graph, function: sc.FunctionDef, params: tuple[sc.Param, ...]) -> Result:
    added = [p.name for p in params if p.name not in {q.name for q in function.params}]
    program = graph.with_function(add_params(function, params))
    return program, ([f"Controls from B: {', '.join(added)}"] if added else [])


def _input_of(graph_b: Graph, call_b: sc.Call) -> sc.Node:
    """What carries B's signal into ``call_b``: its first argument, or the one variable of B
    that argument reads (``Compander.ar(2 * src, src, ...)``: ``src``, wherever it is read)."""
    slot = signal_slot(call_b)
    if len(call_b.args) <= slot:
        raise NotApplicable(f"B's {class_of(call_b)} has no input")
    first = call_b.args[slot]
    if isinstance(first, sc.Name) or any(True for _ in walk_calls(first)):
        return first  # a variable, or an expression with UGens of its own: all of it is input
    local = set(graph_b.local_names)
    read = {n.name for n in sc.walk(first) if isinstance(n, sc.Name) and n.name in local}
    return sc.Name(read.pop()) if len(read) == 1 else first


def _section(
    graph_a: Graph, graph_b: Graph, call_b: sc.Call, serial: bool
) -> tuple[StageMaker, tuple[sc.Param, ...]]:
    """How to put B's section around ``call_b`` on A's signal: the section (the call, or the
    loop or mix holding it) copied closed, with A's signal where B's input was; serial
    sections replace the signal, parallel ones (delays) are mixed in beside it."""
    section = enclosing_section(graph_b.function, call_b)
    hole = loop_input(section, _input_of(graph_b, call_b))
    (copy,) = closed_copy(graph_a, graph_b, [section], hole=hole)
    if not any(found == sc.Name(SIGNAL) for found in sc.walk(copy.node)):
        raise NotApplicable("B's section does not take a signal in")
    check_feedback(graph_a.function, copy.node)
    section_copy = fit_inputs(copy.node)

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        moved = fill(section_copy, signal)
        return moved if serial else binop(signal, "+", binop(moved, "*", sc.Number("0.5")))

    return make, copy.params


def _filter_stage(
    graph_a: Graph, graph_b: Graph, call_b: sc.Call, names: tuple[str, str]
) -> Result:
    class_b = class_of(call_b) or ""
    nested = enclosing_section(graph_b.function, call_b) is not call_b
    if class_b not in FILTER_SIGNATURES or nested:  # a resonator, a shelf, a filter bank
        make_section, params = _section(graph_a, graph_b, call_b, serial=True)
        function = _insert(graph_a, make_section)
        program, log = _with_params(graph_a, function, params)
        return program, [f"Filter from {names[1]}: added {class_b}", *log]
    bound_b = bind(call_b, FILTER_SIGNATURES[class_b]) or {}
    freq = _copy_or_none(graph_a, graph_b, bound_b.get(freq_name(class_b)))
    res = None
    resonance = None
    if class_b in RESONANCE:
        res_name, kind = RESONANCE[class_b]
        res = _copy_or_none(graph_a, graph_b, bound_b.get(res_name))
        if res is not None:
            resonance = (res.node, kind)
    calls_a = filter_calls(graph_a.function, group_of(class_b))
    how = "" if freq is not None else f" (frequency kept from {names[0]})"
    if calls_a:
        class_a = class_of(main_filter(calls_a)) or ""
        if class_a == class_b and freq is None and res is None:
            raise NotApplicable(f"A already has {class_b} and B's settings cannot move over")
        targets = [c for c in calls_a if class_of(c) == class_a]
        mapping: dict[int, sc.Node] = {
            id(c): retarget_filter(
                c, class_b, freq=freq.node if freq else None, resonance=resonance
            )
            for c in targets
        }
        function = map_nodes(graph_a.function, mapping)
        program, log = _with_params(graph_a, function, _params(freq, res))
        return program, [f"Filter from {names[1]}: {class_a} → {class_b}{how}", *log]
    frequency = freq.node if freq is not None else _fallback_frequency(graph_b, graph_a)

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        template = ugen(class_b, "ar", signal, frequency)
        return retarget_filter(template, class_b, resonance=resonance, default_unit=0.3)

    function = _insert(graph_a, make)
    program, log = _with_params(graph_a, function, _params(freq, res))
    return program, [f"Filter from {names[1]}: added {class_b}", *log]


def _effect_stage(
    graph_a: Graph, graph_b: Graph, call_b: sc.Call, names: tuple[str, str]
) -> Result:
    name = class_of(call_b) or ""
    if name == "IFFT":
        make, params = spectral_stage(graph_a, graph_b, call_b)
        name = section_label(graph_b, call_b)
    elif name in PLAYERS:
        make, params = resampler_stage(graph_a, graph_b, call_b)
        name = f"{name} playing {names[0]}'s sound back from a tape of its own"
    elif name in OUTPUTS:
        make, params, what = processing_stage(graph_a, graph_b, call_b, PLUMBING)
        name = f"its whole processing of its input ({', '.join(what)})"
    else:
        serial = EFFECT_KINDS.get(name, "serial") == "serial"
        make, params = _section(graph_a, graph_b, call_b, serial)
    function = _insert(graph_a, make)
    program, log = _with_params(graph_a, function, params)
    return program, [f"Effect from {names[1]}: {name}", *log]


def _feedable(graph_a: Graph) -> list[sc.Call]:
    return [
        c
        for c in walk_calls(graph_a.function)
        if (class_of(c) in _FEEDABLE or class_of(c) in GRANULATORS)
        and c.selector == "ar"
        and c.style == "method"
    ]


def _fed(reader: sc.Call, level: sc.Node) -> sc.Node:
    """B's source, at ``level``, in place of A's bus or buffer ``reader``: as many channels
    as the reader gave."""
    index = _FEEDABLE.get(class_of(reader) or "")
    count = None
    if index is not None:
        count = next((k.value for k in reader.kwargs if k.name == "numChannels"), None)
        if count is None and index < len(reader.args):
            count = reader.args[index]
    return level if count is None else sc.Call(level, "dup", (count,))


def _heard_sources(graph: Graph) -> list[sc.Call]:
    """A's outermost sources that its output can hear: those in a statement whose variable
    something read later on the way to an output (or in a statement that is no plain
    assignment); all of them when none is found so (``stick = Crackle.ar`` that nothing
    reads is no place to layer B's oscillator)."""
    function = graph.function
    items: list[tuple[str | None, sc.Node]] = [
        (d.name, d.value) for decl in function.var_decls for d in decl.defs if d.value is not None
    ]
    for statement in function.body:
        if isinstance(statement, sc.Assign) and isinstance(statement.target, sc.Name):
            items.append((statement.target.name, statement.value))
        else:
            items.append((None, statement))
    live: set[str] = set()
    heard: list[sc.Node] = []
    for name, value in reversed(items):
        if name is None or name in live:
            heard.append(value)
            live |= {n.name for n in sc.walk(value) if isinstance(n, sc.Name)}
    sources = _outermost_sources(function)
    found = [c for c in sources if any(c is n for v in heard for n in sc.walk(v))]
    return found or sources


def _oscillator_stage(
    graph_a: Graph,
    graph_b: Graph,
    call_b: sc.Call,
    names: tuple[str, str],
    rng: random.Random,
    feed: bool,
) -> Result:
    # a source inside a loop or a mix (Mix.fill(8, { |i| SinOsc.ar(f * (i + 1)) })) moves whole
    (copy,) = closed_copy(graph_a, graph_b, [enclosing_section(graph_b.function, call_b)])
    source = _mono(copy.node)
    label = class_of(call_b) or "oscillator"
    if feed:  # A reads a bus or a buffer: B's source feeds it instead
        readers = _feedable(graph_a)
        if not readers:
            raise NotApplicable(f"{names[0]} reads no bus or buffer that a source could feed")
        reader = readers[0]
        level = binop(source, "*", sc.Number(_FEED_LEVEL))
        fed = granulated(reader, level) or _fed(reader, level)
        function = map_nodes(graph_a.function, {id(reader): fed})
        program, log = _with_params(graph_a, function, copy.params)
        how = f"granulated by GrainIn (in place of {class_of(reader)})"
        feeds = how if class_of(fed) == "GrainIn" else f"feeds {class_of(reader)}"
        return program, [f"Source from {names[1]}: {label} {feeds}", *log]
    layered = binop(source, "*", sc.Number(_LAYER_LEVEL))
    sources_a = _heard_sources(graph_a)
    if sources_a:
        target = rng.choice(sources_a)
        function = map_nodes(graph_a.function, {id(target): binop(target, "+", layered)})
        program, log = _with_params(graph_a, function, copy.params)
        into = class_of(target) or "oscillator"
        return program, [f"Oscillator from {names[1]}: {label} layered with {into}", *log]

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        return binop(signal, "+", layered)

    function = _insert(graph_a, make)
    program, log = _with_params(graph_a, function, copy.params)
    return program, [f"Oscillator from {names[1]}: {label} layered", *log]


def _apply_stage(
    a: sc.Program, b: sc.Program, stage: Stage, rng: random.Random, names: tuple[str, str]
) -> Result:
    graph_a, graph_b = locate(a), locate(stage_source(b))
    kind, call_b = _stage_calls(graph_b)[stage.index]
    program, log = (
        _filter_stage(graph_a, graph_b, call_b, names)
        if kind == "filter"
        else _effect_stage(graph_a, graph_b, call_b, names)
        if kind == "effect"
        else modulator_stage(graph_a, graph_b, call_b, names, rng, _insert)
        if kind == "modulator"
        else _oscillator_stage(graph_a, graph_b, call_b, names, rng, stage.feed)
    )
    return program, [line.replace("Controls from B", f"Controls from {names[1]}") for line in log]


# -- the parts of a crossover -----------------------------------------------------------------


def crossover_stages(
    a: sc.Program,
    b: sc.Program,
    names: tuple[str, str] = ("A", "B"),
    *,
    feed: bool = False,
    effect: bool = False,
) -> tuple[list[Stage], list[str]]:
    """B's sounding stages that can go into A, and why each other one cannot. With ``feed``
    (A cannot sound alone: it reads a bus or a buffer), B's sources feed A; B's filters and
    effects go into A too when A is an ``effect`` heard through a test signal on its bus."""
    graph_a, graph_b = locate(a), locate(stage_source(b))
    a_classes = classes_in(graph_a.function)
    stages: list[Stage] = []
    reasons: list[str] = []
    for index, (kind, call) in enumerate(_stage_calls(graph_b)):
        label = class_of(call) or kind
        if label in OUTPUTS:
            if stages:  # B's whole processing only when no stage of it is found by family
                continue
            label = PROCESSING
        if feed and kind != "oscillator" and not effect:
            reasons.append(f"{kind} {label} of {names[1]}: {names[0]} has no sound of its own")
            continue
        stage = Stage(index, kind, label, frozenset(), feed and kind == "oscillator")
        try:
            program, _ = _apply_stage(a, b, stage, random.Random(0), names)
            sc.print_code(program)  # what cannot be printed back is no stage
        except NotApplicable as reason:
            reasons.append(f"{kind} {label} of {names[1]}: {reason}")
            continue
        except (TypeError, ValueError) as failure:
            reasons.append(f"{kind} {label} of {names[1]}: the child cannot be written: {failure}")
            continue
        brought = classes_in(locate(program).function) - a_classes - PLUMBING
        stages.append(replace(stage, new_classes=frozenset(brought)))
    if not _family_calls(graph_b):
        reasons.insert(0, f"{names[1]} has no oscillator, filter, effect or LFO found by family")
    return stages, reasons


def choose_stage(stages: list[Stage], rng: random.Random) -> Stage:
    """One stage, by the spec's order of preference, among those that bring B's own classes
    when there are any; B's LFO (a modulator) only when no sounding stage is left."""
    if not stages:
        raise NotApplicable("no stage to choose from")
    sounding = [s for s in stages if s.kind != "modulator"] or stages
    bringing = [s for s in sounding if s.new_classes] or sounding
    weights = [_KIND_WEIGHTS[s.kind] for s in bringing]
    return rng.choices(bringing, weights=weights)[0]


def average_defaults(
    program: sc.Program, b: sc.Program, names: tuple[str, str] = ("A", "B")
) -> Result:
    """Numeric defaults of the controls both parents have (and the child reads) averaged.
    A default outside its role's range is a placeholder that a player overwrites (FoxDot's
    ``freq = 0``, a ``rate = 0`` nothing reads): it gives way to the other parent's."""
    graph, graph_b = locate(program), locate(stage_source(b))
    b_values = {c.name: c.value for c in controls(graph_b)}
    mapping: dict[int, sc.Node] = {}
    log: list[str] = []
    for control in controls(graph):
        mine, theirs = control.value, b_values.get(control.name)
        role = role_of(control.name)
        if mine is None or theirs is None or mine == theirs or role is None:
            continue
        if not role.low <= theirs <= role.high:
            continue
        if role.low <= mine <= role.high:
            value, how = rounded((mine + theirs) / 2), f"average with {names[1]}"
        else:
            value, how = theirs, f"{names[1]}'s: {fmt(mine)} is no {role.name} to average"
        mapping[id(control.node)] = control.with_default(sc.Number.of(value))
        log.append(f"{control.name}: {fmt(mine)} → {fmt(value)} ({how})")
    return map_nodes(program, mapping), log


def drop_unread_controls(program: sc.Program) -> Result:
    """The program without the arguments nothing reads (``Dropped unread controls: x, y``)."""
    graph = locate(program)
    params = graph.function.params
    keep = list(params[: graph.prepend_count])
    dropped = []
    for param in params[graph.prepend_count :]:
        if reads(graph, param.name):
            keep.append(param)
        else:
            dropped.append(param.name)
    if not dropped:
        return program, []
    function = replace(graph.function, params=tuple(keep))
    if not keep and function.arg_style == "arg":
        function = replace(function, arg_style="pipe")
    return graph.with_function(function), [f"Dropped unread controls: {', '.join(dropped)}"]


def crossover_with(
    a: sc.Program,
    b: sc.Program,
    stage: Stage,
    rng: random.Random,
    names: tuple[str, str] = ("A", "B"),
    extra: Stage | None = None,
) -> Result:
    """A with ``stage`` of B (and ``extra``, a second one, when it still applies), shared
    defaults averaged, unread controls dropped."""
    program, log = _apply_stage(a, b, stage, rng, names)
    if extra is not None:
        try:
            program, more = _apply_stage(program, b, extra, rng, names)
            log += more
        except (NotApplicable, IndexError):
            pass
    program, averaged = average_defaults(program, b, names)
    program, dropped = drop_unread_controls(program)
    return program, [*log, *averaged, *dropped]


def crossover(
    a: sc.Program, b: sc.Program, rng: random.Random, names: tuple[str, str] = ("A", "B")
) -> Result:
    """A child of two SynthDefs: A with a sounding stage of B (see the module doc), and with
    probability 1/2 a second stage of another kind. NotApplicable, with the reason for each
    stage, when none of B's can go into A."""
    stages, reasons = crossover_stages(a, b, names)
    if not stages:
        raise NotApplicable("no stage of B can be combined with A: " + "; ".join(reasons))
    stage = choose_stage(stages, rng)
    others = [s for s in stages if s.kind != stage.kind]
    extra = choose_stage(others, rng) if others and rng.random() < 0.5 else None
    return crossover_with(a, b, stage, rng, names, extra)


CROSSOVER_STAGES: Final[tuple[tuple[str, Callable[..., Result]], ...]] = (("crossover", crossover),)
"""The crossover as one operator (kept for callers that iterate stages)."""
