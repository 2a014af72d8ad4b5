"""Frequencies read from a control bus (``SinOsc.ar(In.kr(bus))``), made controls.

A synth that takes an oscillator's pitch or a filter's cutoff from a control bus (``In.kr``)
plays at 0 Hz wherever nothing writes that bus: in an audition, offline, and in a child
whose other parent writes no such bus. For breeding, such a read becomes a control of the
synth, so the material sounds on its own: ``freq`` (440 Hz, which the audition phrase plays)
in an oscillator's frequency, ``cutoff`` (2000 Hz) in a filter's. Only a read that *is* the
frequency argument (one channel) is replaced; any other bus read stays, and keeps material
from moving (:func:`~audiomancer.evolution.synth_ops.transplant.reads_outside`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from audiomancer.evolution.synth_ops.edits import class_of, fresh, map_nodes, walk_calls
from audiomancer.evolution.synth_ops.graph import locate
from audiomancer.evolution.synth_ops.protocol import Result
from audiomancer.evolution.synth_ops.retarget import bind
from audiomancer.evolution.synth_ops.tables import FILTER_SIGNATURES, OSC_SIGNATURES
from audiomancer.supercollider import syntax as sc

FREQUENCY_SLOTS: Final = frozenset({"freq", "ffreq", "syncFreq", "sawFreq"})
"""Arguments of the known oscillators and filters that are a frequency in Hz."""
BUS_CONTROLS: Final[dict[str, float]] = {"freq": 440.0, "cutoff": 2000.0}
"""The control a frequency read from a bus becomes, and its default."""
MARKER_PREFIX: Final = "__bus_"
"""Names standing for such a read in a copy (``__bus_freq__``), resolved by the copier."""


def _is_control_bus_read(node: sc.Node) -> bool:
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
            if slot in FREQUENCY_SLOTS and _is_control_bus_read(value):
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


def bus_reads_as_controls(program: sc.Program) -> Result:
    """The program with each frequency it reads from a control bus read from a control
    instead (its own ``freq``/``cutoff`` argument, added at 440/2000 Hz when it has none);
    unchanged, with no log, when there is none."""
    graph = locate(program)
    function = graph.function
    reads = bus_frequency_reads(function)
    if not reads:
        return program, []
    params = {p.name for p in function.params}
    taken = graph.identifiers()
    chosen: dict[str, str] = {}
    added: list[sc.Param] = []
    for kind in sorted(set(reads.values())):
        if kind in params:
            chosen[kind] = kind
            continue
        name = kind if kind not in taken else fresh(kind, taken)
        taken.add(name)
        chosen[kind] = name
        added.append(sc.Param(name, sc.Number.of(BUS_CONTROLS[kind])))
    mapping: dict[int, sc.Node] = {key: sc.Name(chosen[kind]) for key, kind in reads.items()}
    function = map_nodes(function, mapping)
    if added:
        function = replace(function, params=(*function.params, *added))
    lines = [
        f"Frequency read from a control bus (In.kr) → control {chosen[kind]}"
        f" ({BUS_CONTROLS[kind]:g} Hz)"
        for kind in sorted(chosen)
    ]
    return graph.with_function(function), lines
