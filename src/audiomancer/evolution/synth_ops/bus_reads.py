"""Frequencies read from a control bus (``SinOsc.ar(In.kr(bus))``), made controls.

A synth that takes an oscillator's pitch or a filter's cutoff from a control bus (``In.kr``)
plays at 0 Hz wherever nothing writes that bus: in an audition, offline, and in a child
whose other parent writes no such bus. For breeding, such a read becomes a control of the
synth, so the material sounds on its own: ``freq`` (440 Hz, which the audition phrase plays)
in an oscillator's frequency, ``cutoff`` (2000 Hz) in a filter's. Only a read (of one
channel) that *is* the frequency argument, or that a synth assigns to its pitch or cutoff
(``freq = In.kr(bus, 1)``, as FoxDot's instruments do) is replaced; any other bus read
stays, and keeps material from moving
(:func:`~audiomancer.evolution.synth_ops.transplant.reads_outside`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from audiomancer.evolution.synth_ops.edits import class_of, fresh, literal, map_nodes, walk_calls
from audiomancer.evolution.synth_ops.graph import locate
from audiomancer.evolution.synth_ops.protocol import Result
from audiomancer.evolution.synth_ops.retarget import bind
from audiomancer.evolution.synth_ops.roles import role_of
from audiomancer.evolution.synth_ops.tables import FILTER_SIGNATURES, OSC_SIGNATURES
from audiomancer.supercollider import syntax as sc

FREQUENCY_SLOTS: Final = frozenset({"freq", "ffreq", "syncFreq", "sawFreq"})
"""Arguments of the known oscillators and filters that are a frequency in Hz."""
BUS_CONTROLS: Final[dict[str, float]] = {"freq": 440.0, "cutoff": 2000.0}
"""The control a frequency read from a bus becomes, and its default."""
MARKER_PREFIX: Final = "__bus_"
"""Names standing for such a read in a copy (``__bus_freq__``), resolved by the copier."""


def is_control_bus_read(node: sc.Node) -> bool:
    """True for a read of one channel of a control bus (``In.kr(bus)``, ``In.kr(bus, 1)``)."""
    if not (isinstance(node, sc.Call) and class_of(node) == "In" and node.selector == "kr"):
        return False
    count = next((k.value for k in node.kwargs if k.name == "numChannels"), None)
    if count is None and len(node.args) > 1:
        count = node.args[1]
    return count is None or count == sc.Number("1")


def bus_frequency_reads(node: sc.Node) -> dict[int, str]:
    """The control-bus reads in ``node`` that are the frequency of an oscillator or filter
    (by identity), with the control each becomes (``freq`` or ``cutoff``)."""
    found: dict[int, str] = {}
    for call in walk_calls(node):
        name = class_of(call) or ""
        signature = OSC_SIGNATURES.get(name) or FILTER_SIGNATURES.get(name)
        if signature is None:
            continue
        kind = "cutoff" if name in FILTER_SIGNATURES else "freq"
        for slot, value in (bind(call, signature) or {}).items():
            if slot in FREQUENCY_SLOTS and is_control_bus_read(value):
                found[id(value)] = kind
    return found


def marked(node: sc.Node) -> sc.Node:
    """``node`` with each frequency read from a bus replaced by a marker name
    (``__bus_freq__``): what it reads from outside the synth then shows without them."""
    reads = bus_frequency_reads(node)
    if not reads:
        return node

    def edit(found: sc.Node) -> sc.Node:
        kind = reads.get(id(found))
        return found if kind is None else sc.Name(f"{MARKER_PREFIX}{kind}__")

    return sc.transform(node, edit)


def marker_kind(name: str) -> str | None:
    """``freq`` for ``__bus_freq__``; None for any other name."""
    if name.startswith(MARKER_PREFIX) and name.endswith("__"):
        kind = name[len(MARKER_PREFIX) : -2]
        return kind if kind in BUS_CONTROLS else None
    return None


def _assigned_reads(function: sc.FunctionDef) -> list[tuple[int, sc.Assign, str]]:
    """Statements ``freq = In.kr(bus, 1)`` of the body (index, statement) that give a name
    whose role is a pitch or a cutoff its value from a control bus (FoxDot's instruments
    read their pitch so), with the control each read becomes."""
    found: list[tuple[int, sc.Assign, str]] = []
    for index, statement in enumerate(function.body):
        if (
            isinstance(statement, sc.Assign)
            and isinstance(statement.target, sc.Name)
            and is_control_bus_read(statement.value)
        ):
            role = role_of(statement.target.name)
            if role is not None and role.name in BUS_CONTROLS:
                found.append((index, statement, role.name))
    return found


def _with_default(param: sc.Param, kind: str) -> sc.Param:
    """A control the bus read stood for, given a default to sound at when it had none (or
    0, a placeholder for what the bus would bring)."""
    if param.default is None or param.default == sc.Number("0"):
        return replace(param, default=sc.Number.of(BUS_CONTROLS[kind]))
    return param


def bus_reads_as_controls(program: sc.Program) -> Result:
    """The program with each frequency it reads from a control bus read from a control
    instead: its own ``freq``/``cutoff`` argument (given 440/2000 Hz when its default is 0),
    added when it has none; a statement ``freq = In.kr(bus, 1)`` overwriting that argument
    goes. Unchanged, with no log, when there is none."""
    graph = locate(program)
    function = graph.function
    params = {p.name for p in function.params}
    reads = bus_frequency_reads(function)
    chosen: dict[str, str] = {}
    dropped: set[int] = set()
    for index, statement, kind in _assigned_reads(function):
        assert isinstance(statement.target, sc.Name)
        if statement.target.name in params and kind not in chosen:
            chosen[kind] = statement.target.name  # the argument it overwrote is the control
            dropped.add(index)
        else:
            reads[id(statement.value)] = kind
    if not reads and not dropped:
        return program, []
    taken = graph.identifiers()
    added: list[sc.Param] = []
    for kind in sorted(set(reads.values()) - set(chosen)):
        if kind in params:
            chosen[kind] = kind
            continue
        name = kind if kind not in taken else fresh(kind, taken)
        taken.add(name)
        chosen[kind] = name
        added.append(sc.Param(name, sc.Number.of(BUS_CONTROLS[kind])))
    mapping: dict[int, sc.Node] = {key: sc.Name(chosen[kind]) for key, kind in reads.items()}
    function = map_nodes(function, mapping)
    kinds = {name: kind for kind, name in chosen.items()}
    own = [_with_default(p, kinds[p.name]) if p.name in kinds else p for p in function.params]
    function = replace(
        function,
        params=(*own, *added),
        body=tuple(st for i, st in enumerate(function.body) if i not in dropped),
    )
    defaults = {p.name: p.default for p in function.params}
    lines = [f"Frequency read from a control bus (In.kr) → control {name}{_hz(defaults[name])}"
             for name in sorted(kinds)]  # fmt: skip
    return graph.with_function(function), lines


def _hz(default: sc.Node | None) -> str:
    value = literal(default)
    return f" ({value:g} Hz)" if value is not None else ""
