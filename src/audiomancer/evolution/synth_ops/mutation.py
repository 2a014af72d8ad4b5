"""The mutation operators and their weights (:data:`MUTATIONS`)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Final, Literal

from audiomancer.evolution.synth_ops.control_use import discrete_controls
from audiomancer.evolution.synth_ops.controls import (
    Control,
    add_param,
    assigned,
    controls,
    named_control,
    reads,
    substitute_in_function,
)
from audiomancer.evolution.synth_ops.edits import (
    binop,
    class_of,
    fmt,
    fresh,
    map_nodes,
    method,
    num,
    rounded,
    ugen,
    walk_calls,
)
from audiomancer.evolution.synth_ops.envelope_mutation import modify_envelope
from audiomancer.evolution.synth_ops.graph import Graph, locate
from audiomancer.evolution.synth_ops.protocol import NotApplicable, Operator, Result
from audiomancer.evolution.synth_ops.retarget import (
    bind,
    filter_calls,
    freq_name,
    group_of,
    paren,
    retarget_filter,
    retarget_oscillator,
    swappable_oscillators,
)
from audiomancer.evolution.synth_ops.roles import Role, role_of
from audiomancer.evolution.synth_ops.signal import effect_calls, insert_stage
from audiomancer.evolution.synth_ops.tables import (
    DEFAULT_STEPS,
    FILTER_GROUPS,
    FILTER_SIGNATURES,
    NYQUIST_GUARD,
    OSC_TARGETS,
)
from audiomancer.supercollider import syntax as sc
from audiomancer.supercollider.ugens import OUTPUTS


def swap_oscillator(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Swap one oscillator class for another of its family everywhere it sounds.

    ``Saw.ar(freq, 0.5)`` becomes e.g. ``Pulse.ar(freq, mul: 0.5)``: the frequency, ``mul`` and
    ``add`` carry over, arguments the new class lacks (a SinOsc's phase modulation) are dropped.
    """
    graph = locate(program)
    calls = swappable_oscillators(graph.function)
    if not calls:
        raise NotApplicable("no audio-rate oscillator that can be swapped")
    classes = sorted({class_of(c) or "" for c in calls})
    source = rng.choice(classes)
    target = rng.choice([t for t in OSC_TARGETS if t != source])
    mapping: dict[int, sc.Node] = {
        id(c): retarget_oscillator(c, target, rng) for c in calls if class_of(c) == source
    }
    return map_nodes(program, mapping), [f"{source} → {target}"]


def swap_filter(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Swap one filter class for another of its group (low-pass, high-pass, band-pass).

    The input and cutoff carry over; resonance converts between ``rq`` (RLPF, BPF, ...),
    MoogFF's gain (0-4) and DFM1/MoogLadder's ``res`` (0-1).
    """
    graph = locate(program)
    calls = filter_calls(graph.function)
    if not calls:
        raise NotApplicable("no filter that can be swapped")
    classes = sorted({class_of(c) or "" for c in calls})
    source = rng.choice(classes)
    target = rng.choice([t for t in FILTER_GROUPS[group_of(source)] if t != source])
    unit = round(rng.uniform(0.2, 0.7), 2)
    mapping: dict[int, sc.Node] = {
        id(c): retarget_filter(c, target, default_unit=unit) for c in calls if class_of(c) == source
    }
    return map_nodes(program, mapping), [f"{source} → {target}"]


@dataclass(frozen=True)
class _LfoTarget:
    label: str
    var_base: str
    kind: Literal["exp", "lin", "add", "vibrato", "tremolo"]
    weight: int
    control: Control | None = None
    site: sc.Node | None = None
    clip: tuple[float, float] | None = None


def _lfo_targets(graph: Graph, prefer: str | None) -> list[_LfoTarget]:
    identifiers = graph.identifiers()
    locals_ = set(graph.local_names)
    targets: list[_LfoTarget] = []
    covered: set[str] = set()
    discrete = discrete_controls(graph)
    for control in controls(graph):
        role = role_of(control.name)
        if role is None or role.lfo is None or f"{control.name}LFO" in identifiers:
            continue
        if control.name in discrete:  # a bus, buffer, index or selector is never modulated
            continue
        if prefer is not None and role.name != prefer:
            continue
        if isinstance(control.node, sc.Param):
            if control.name in locals_ or assigned(graph, control.name):
                continue
            if not reads(graph, control.name):
                continue
        clip = {"width": (0.02, 0.98), "pan": (-1.0, 1.0), "cutoff": (20.0, NYQUIST_GUARD)}.get(
            role.name
        )
        targets.append(
            _LfoTarget(control.name, control.name, role.lfo, role.weight, control, None, clip)
        )
        if role.name == "cutoff":
            covered.add(control.name)
    if prefer in (None, "cutoff"):
        for call in filter_calls(graph.function):
            class_name = class_of(call) or ""
            bound = bind(call, FILTER_SIGNATURES[class_name]) or {}
            freq = bound.get(freq_name(class_name))
            if freq is None:
                continue
            names = {n.name for n in sc.walk(freq) if isinstance(n, sc.Name)}
            if names & covered or any(name.endswith("LFO") for name in names):
                continue
            targets.append(
                _LfoTarget(
                    f"{class_name} frequency",
                    class_name.lower(),
                    "exp",
                    3,
                    None,
                    freq,
                    (20.0, NYQUIST_GUARD),
                )
            )
    return targets


def _lfo_expression(
    kind: str, rng: random.Random, rates: tuple[float, float] | None
) -> tuple[sc.Node, str]:
    shape = rng.choice(("SinOsc", "LFTri", "LFNoise1", "LFNoise2"))
    low_rate, high_rate = rates or (0.1, 3.0)
    if kind == "vibrato":
        shape, low_rate, high_rate = "SinOsc", 4.0, 7.0
    elif kind == "tremolo" and rates is None:
        low_rate, high_rate = 2.0, 8.0
    rate = num(rng.uniform(low_rate, high_rate), 2)
    lfo = ugen(shape, "kr", rate)
    if kind == "exp":
        depth = rng.uniform(0.4, 1.5)
        return method(lfo, "exprange", num(1 / (1 + depth)), num(1 + depth)), shape
    if kind == "lin":
        depth = rng.uniform(0.1, 0.4)
        return method(lfo, "range", num(1 - depth), num(1 + depth)), shape
    if kind == "vibrato":
        depth = rng.uniform(0.002, 0.01)
        return method(lfo, "range", num(1 - depth), num(1 + depth)), shape
    if kind == "tremolo":
        depth = rng.uniform(0.2, 0.5)
        return method(lfo, "range", num(1 - depth), sc.Number("1")), shape
    depth = rng.uniform(0.1, 0.6)
    return method(lfo, "range", num(-depth), num(depth)), shape


def add_lfo(
    program: sc.Program,
    rng: random.Random,
    amount: float = 0.3,
    *,
    prefer: str | None = None,
    rates: tuple[float, float] | None = None,
) -> Result:
    """Modulate a control (a cutoff first of all) or a filter's frequency with an LFO.

    The LFO is a new variable declared first in the graph, named after its target
    (``var cutoffLFO = SinOsc.kr(0.4).exprange(0.5, 2);``), and every read of the control
    becomes ``(cutoff * cutoffLFO)`` (``(pan + panLFO).clip(-1, 1)`` for offsets). ``prefer``
    limits the targets to one role (``"cutoff"``); ``rates`` bounds the LFO's rate in Hz.
    """
    graph = locate(program)
    targets = _lfo_targets(graph, prefer)
    if not targets:
        what = f"no {prefer} control or filter" if prefer else "no control or filter frequency"
        raise NotApplicable(f"{what} to modulate with an LFO")
    target = rng.choices(targets, weights=[t.weight for t in targets])[0]
    expression, _ = _lfo_expression(target.kind, rng, rates)
    variable = fresh(f"{target.var_base}LFO", graph.identifiers())
    lfo = sc.Name(variable)

    def modulate(node: sc.Node) -> sc.Node:
        if target.kind == "add":
            combined: sc.Node = binop(node, "+", lfo)
        else:
            combined = binop(node, "*", lfo)
        if target.clip is not None:
            combined = method(combined, "clip", num(target.clip[0]), num(target.clip[1]))
        return combined

    function = graph.function
    if target.control is not None and isinstance(target.control.node, sc.Param):
        function = substitute_in_function(function, target.control.name, modulate)
    else:
        sites: list[sc.Node] = []
        if target.control is not None:
            sites = [
                call
                for call in walk_calls(function)
                if (found := named_control(call)) is not None and found[0] == target.label
            ]
        elif target.site is not None:
            sites = [target.site]
        function = map_nodes(function, {id(site): modulate(site) for site in sites})
    declaration = sc.VarDecl((sc.VarDef(variable, expression),))
    function = replace(function, var_decls=(declaration, *function.var_decls))
    return graph.with_function(function), [f"Added LFO modulation to {target.label}"]


_DISTORTIONS: Final = ("tanh", "softclip", "distort", "fold")


def _distortion(kind: str, signal: sc.Node, drive: sc.Node) -> sc.Node:
    driven = binop(signal, "*", drive)
    if kind == "fold":
        return method(driven, "fold2", sc.Number("1"))
    return sc.Call(driven, kind, (), parens=False)


def add_distortion(
    program: sc.Program, rng: random.Random, amount: float = 0.3, *, kind: str | None = None
) -> Result:
    """Drive the output signal into a waveshaper (tanh, softclip, distort or a wavefolder).

    A new control ``dist`` (the drive, 1.5-6) is added. Before the envelope and amplitude the
    stage is ``sig = (sig * dist).tanh``; where it can only wrap the finished output it is
    ``(out * dist).tanh / dist.max(1)``, so it never raises the level.
    """
    graph = locate(program)
    kind = kind or rng.choice(_DISTORTIONS)
    drive_value = rounded(rng.uniform(1.5, 2.0 + 4.0 * amount), 2)
    name = fresh("dist", graph.identifiers())
    drive = sc.Name(name)

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        shaped = _distortion(kind, signal, drive)
        if pre_level:
            return shaped
        return binop(shaped, "/", method(drive, "max", sc.Number("1")))

    function = insert_stage(graph, make)
    function = add_param(function, name, sc.Number.of(drive_value))
    return graph.with_function(function), [
        f"Added {kind} distortion: {name} 0 → {fmt(drive_value)}"
    ]


_REVERBS: Final = frozenset({"FreeVerb", "GVerb", "JPverb", "Greyhole"})
_DELAYS: Final = frozenset({"CombN", "CombL", "CombC", "DelayN", "DelayL", "DelayC"})
_ALLPASSES: Final = frozenset({"AllpassN", "AllpassL", "AllpassC"})
_ECHOES: Final = ("CombL", "CombN", "DelayL")
_ECHO_TIMES: Final = (0.25, 0.3, 0.375)
_FREEING: Final = frozenset({"DetectSilence", "FreeSelf", "FreeSelfWhenDone", "Done", *OUTPUTS})
EffectChoice = Literal["reverb", "delay"]


def _effect_word(class_name: str) -> str:
    if class_name in _REVERBS:
        return "reverb"
    return "allpass" if class_name in _ALLPASSES else "delay"


def add_effect(
    program: sc.Program,
    rng: random.Random,
    amount: float = 0.3,
    *,
    kind: EffectChoice | None = None,
) -> Result:
    """Put a reverb or an echo on the signal (the spec's "add effects"), where a distortion
    would go (see the module doc), never on the output or the way the synth frees itself.

    A reverb is ``sig = FreeVerb.ar(sig, mix, room)`` with new controls ``mix`` (0.2-0.45) and
    ``room`` (0.5-0.9): FreeVerb crossfades dry and wet, so the level stays. A delay is an echo
    mixed beside the dry signal and level-compensated, ``sig = (sig + (CombL.ar(sig, 0.5,
    0.375, 2.0) * 0.3)) * 0.77`` (CombL/CombN with a 1-3 s decay, or one DelayL echo), times
    0.25-0.375 s. Without ``kind`` a kind the synth lacks is picked; NotApplicable when it has
    both. An envelope freeing the synth still ends it (the tail is cut).
    """
    graph = locate(program)
    if kind is None:
        present = {class_of(c) for c in effect_calls(graph.function)}
        options: list[EffectChoice] = []
        if not present & _REVERBS:
            options.append("reverb")
        if not present & {"CombN", "CombL", "CombC"}:
            options.append("delay")
        if not options:
            raise NotApplicable("the synth already has a reverb and an echo")
        kind = rng.choice(options)
    identifiers = graph.identifiers()
    if kind == "reverb":
        mix_value = rounded(rng.uniform(0.2, 0.25 + 0.2 * amount), 2)
        room_value = rounded(rng.uniform(0.5, 0.9), 2)
        mix_name = fresh("mix", identifiers)
        room_name = fresh("room", identifiers | {mix_name})

        def make(signal: sc.Node, pre_level: bool) -> sc.Node:
            return ugen("FreeVerb", "ar", signal, sc.Name(mix_name), sc.Name(room_name))

        function = insert_stage(graph, make)
        function = add_param(function, mix_name, sc.Number.of(mix_value))
        function = add_param(function, room_name, sc.Number.of(room_value))
        return graph.with_function(function), [f"Added reverb (FreeVerb, mix {fmt(mix_value)})"]
    echo = rng.choice(_ECHOES)
    time = rng.choice(_ECHO_TIMES)
    wet = rounded(rng.uniform(0.25, 0.3 + 0.15 * amount), 2)
    args: list[sc.Node] = [sc.Number("0.5"), sc.Number.of(time)]
    if echo != "DelayL":
        args.append(sc.Number.of(rounded(rng.uniform(1.0, 3.0), 2)))
    compensation = rounded(1 / (1 + wet), 2)

    def make_echo(signal: sc.Node, pre_level: bool) -> sc.Node:
        delayed = binop(ugen(echo, "ar", signal, *args), "*", sc.Number.of(wet))
        mixed = sc.Paren((binop(signal, "+", sc.Paren((delayed,))),))
        return binop(mixed, "*", sc.Number.of(compensation))

    function = insert_stage(graph, make_echo)
    return graph.with_function(function), [f"Added delay ({echo} {fmt(time)} s)"]


def _removable(call: sc.Call) -> bool:
    """True when replacing ``call`` by its input drops nothing that frees the synth or plays."""
    dropped = [*call.args[1:], *(kw.value for kw in call.kwargs)]
    for node in (n for arg in dropped for n in sc.walk(arg)):
        if isinstance(node, sc.KeywordArg) and node.name == "doneAction":
            return False
        if isinstance(node, sc.Call) and class_of(node) in _FREEING:
            return False
    return True


def remove_effect(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Take out one reverb, delay, comb or allpass (the spec's "remove effects"): the UGen call
    is replaced by its input (first argument), so what read the effect reads the dry signal.
    Calls whose other arguments free the synth or play are left alone."""
    graph = locate(program)
    calls = [
        call
        for call in effect_calls(graph.function)
        if (class_of(call) in _REVERBS | _DELAYS | _ALLPASSES) and _removable(call)
    ]
    if not calls:
        raise NotApplicable("no reverb, delay or allpass to remove")
    call = rng.choice(calls)
    class_name = class_of(call) or ""
    function = graph.function
    body = tuple(
        statement
        for statement in function.body
        if not (  # ``sig = FreeVerb.ar(sig, ...)`` goes whole rather than leave ``sig = sig``
            isinstance(statement, sc.Assign)
            and statement.value is call
            and statement.target == call.args[0]
        )
    )
    if len(body) < len(function.body):
        function = replace(function, body=body)
    else:
        function = map_nodes(function, {id(call): paren(call.args[0])})
    return graph.with_function(function), [f"Removed {_effect_word(class_name)} ({class_name})"]


def _nudge(value: float, role: Role, rng: random.Random, steps: tuple[float, ...]) -> float | None:
    low, high = role.low, role.high
    if role.name == "other":
        if value == 0:
            return None
        low, high = (value / 10, value * 10) if value > 0 else (value * 10, value / 10)
        scale = "log" if value > 0 else "lin"
    else:
        scale = role.scale if value > 0 else "lin"
        if value > high:
            high = value * 1.5
        if value < low:
            low = value * 1.5 if value < 0 else value / 2
    span = high - low if math.isfinite(high - low) else abs(value) * 2
    for sign in rng.sample((1, -1), 2):
        step = rng.choice(steps) * sign
        new = value * (1 + step) if scale == "log" else value + step * span
        new = rounded(min(high, max(low, new)))
        if new != rounded(value):
            return new
    return None


def tweak_defaults(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Move the defaults of one or more controls by 5-20% (of the value for frequencies and
    times, of a sensible range such as -1..1 or 0..1 for the others): ``cutoff: 1200.0 →
    1440.0``. ``out``, ``gate``, ``freq``, ``amp``, buses and triggers are never changed, nor
    any control the graph uses as an integer or selector (:func:`.discrete_controls`)."""
    graph = locate(program)
    discrete = discrete_controls(graph)
    candidates = [
        (control, role)
        for control in controls(graph)
        if control.value is not None
        and (role := role_of(control.name)) is not None
        and role.name not in ("freq", "amp")
        and control.name not in discrete
    ]
    if not candidates:
        raise NotApplicable("no control with a numeric default to change")
    count = 1 + sum(rng.random() < amount * 0.3 for _ in range(len(candidates) - 1))
    chosen = sorted(
        rng.sample(range(len(candidates)), min(count, 3, len(candidates)))
    )  # source order
    mapping: dict[int, sc.Node] = {}
    log: list[str] = []
    for index in chosen:
        control, role = candidates[index]
        old = control.value
        assert old is not None
        new = _nudge(old, role, rng, DEFAULT_STEPS)
        if new is None:
            continue
        mapping[id(control.node)] = control.with_default(sc.Number.of(new))
        log.append(f"{control.name}: {fmt(old)} → {fmt(new)}")
    if not mapping:
        raise NotApplicable("no control default could be moved")
    return map_nodes(program, mapping), log


MUTATIONS: Final[tuple[tuple[str, float, Operator], ...]] = (
    ("swap_oscillator", 0.4, swap_oscillator),
    ("swap_filter", 0.3, swap_filter),
    ("add_lfo", 0.3, add_lfo),
    ("add_distortion", 0.2, add_distortion),
    ("tweak_defaults", 0.5, tweak_defaults),
    ("modify_envelope", 0.2, modify_envelope),
    ("add_effect", 0.2, add_effect),
    ("remove_effect", 0.1, remove_effect),
)
"""The mutations with their probability weights (each is tried with probability ``amount *
weight``): the spec's oscillator swap, control defaults and envelope times, its add/remove
effects (reverb, distortion, delay: :func:`add_distortion`, :func:`add_effect`,
:func:`remove_effect`), plus filter swaps and LFOs."""
