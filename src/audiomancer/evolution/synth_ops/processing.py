"""B's whole processing of its input as a stage for a crossover, when no stage of B is found
by family.

An effect that reads a bus or the sound card (``In.ar``, ``SoundIn.ar``) and works on it with
UGens no family names (a ring-modulating octaver: ``SinOsc.ar(Pitch.kr(in)[0] * 0.5) * in + in``)
or with arithmetic alone (a waveshaper: ``source + (excess * sin(excess * 2pi * 5))``) has no
filter, effect or oscillator a crossover could take by family, yet it is a sound of its own.
Its stage is the whole way from its input to its output: the signal B's output writes, copied
closed (:mod:`~audiomancer.evolution.synth_ops.transplant`), with A's signal wherever B read its
input. A way that brings nothing but plumbing (a pass-through, an envelope times the input) is
no stage: the child would be A again.
"""

from __future__ import annotations

from typing import Final

from audiomancer.evolution.synth_ops.edits import class_of, walk_calls
from audiomancer.evolution.synth_ops.graph import Graph
from audiomancer.evolution.synth_ops.protocol import NotApplicable
from audiomancer.evolution.synth_ops.signal import StageMaker, output_calls, signal_of
from audiomancer.evolution.synth_ops.transplant import SIGNAL, closed_copy, fill
from audiomancer.supercollider import syntax as sc

INPUTS: Final = frozenset({"In", "SoundIn", "InFeedback"})
"""What an effect's input is read with (at audio rate)."""
SHAPERS: Final = frozenset(
    {"abs", "sin", "cos", "tan", "tanh", "atan", "distort", "softclip", "clip2", "fold2",
     "wrap2", "excess", "squared", "cubed", "sqrt", "exp", "log", "pow", "sign", "round",
     "trunc", "max", "min", "lincurve", "curvelin"}
)  # fmt: skip
"""Operators that bend a signal (a waveshaper written as arithmetic)."""


def input_reads(graph: Graph) -> list[sc.Call]:
    """B's audio-rate reads of a bus or of the sound card's input."""
    return [c for c in walk_calls(graph.function) if class_of(c) in INPUTS and c.selector == "ar"]


def processing_output(graph: Graph) -> sc.Call | None:
    """B's first audio-rate output, when B reads an input it could be processing."""
    if not input_reads(graph):
        return None
    return next((c for c in output_calls(graph.function) if c.selector == "ar"), None)


def brought(node: sc.Node, plumbing: frozenset[str]) -> list[str]:
    """What a copied way of B brings beyond plumbing: its UGen classes (called at a rate: an
    ``Env`` is no UGen), else its shaping operators (``abs``, ``sin``, ``max``...), sorted."""
    classes = [
        name
        for c in walk_calls(node)
        if (name := class_of(c)) and name not in plumbing and c.selector in ("ar", "kr", "ir")
    ]
    if classes:
        return sorted(set(classes))
    return sorted({c.selector for c in walk_calls(node)
                   if class_of(c) is None and c.selector in SHAPERS})  # fmt: skip


def processing_stage(
    graph_a: Graph, graph_b: Graph, output: sc.Call, plumbing: frozenset[str]
) -> tuple[StageMaker, tuple[sc.Param, ...], list[str]]:
    """How to put B's way from its input to ``output`` on A's signal (see the module doc), the
    controls of B it needs, and what it brings."""
    signal = signal_of(output)
    if signal is None:
        raise NotApplicable("B's output has no signal argument to take")
    (copy,) = closed_copy(graph_a, graph_b, [signal], hole=input_reads(graph_b)[0])
    if not any(found == sc.Name(SIGNAL) for found in sc.walk(copy.node)):
        raise NotApplicable("B's output does not depend on its input")
    what = brought(copy.node, plumbing)
    if not what:
        raise NotApplicable("B only passes its input on (nothing but plumbing on the way)")

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        return fill(copy.node, signal)

    return make, copy.params, what
