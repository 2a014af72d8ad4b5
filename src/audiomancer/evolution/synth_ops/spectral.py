"""Spectral sections of B: an ``IFFT`` back to the ``FFT`` of a signal, moved whole.

An FFT chain is not a signal: nothing may be inserted into it, and its PV UGens cannot move
alone. A *section* can: ``IFFT(chain)`` where the chain, followed back through B's variables
and the first input of each ``PV_`` UGen, starts at ``FFT(buffer, input)``. Copied with what
it reads (:func:`~audiomancer.evolution.synth_ops.transplant.closed_copy` with
``spectral=True``), with A's signal where B's ``input`` was and a ``LocalBuf`` for any FFT
buffer the synth does not own, it is an effect on A's signal: A's signal goes through FFT,
B's spectral processing and IFFT. Each channel of A's signal gets a section of its own (one
FFT buffer per channel: two FFTs writing one buffer would garble both).
"""

from __future__ import annotations

from audiomancer.evolution.synth_ops.edits import class_of, fresh, walk_calls
from audiomancer.evolution.synth_ops.graph import Graph, locate
from audiomancer.evolution.synth_ops.protocol import NotApplicable, Result
from audiomancer.evolution.synth_ops.signal import StageMaker
from audiomancer.evolution.synth_ops.transplant import (
    FFT_SIZE,
    SIGNAL,
    Position,
    closed_copy,
    definition_before,
    fill,
    own_fft_buffers,
    position_of,
)
from audiomancer.supercollider import syntax as sc

_MAX_STEPS = 64


def _is_ifft(call: sc.Call) -> bool:
    return class_of(call) == "IFFT" and call.selector in ("new", "ar") and bool(call.args)


def _trace(graph: Graph, node: sc.Node, where: Position) -> tuple[sc.Call | None, list[str]]:
    """The FFT call a chain expression starts from (following B's variables back from
    ``where``, and each PV UGen's first input), and the PV classes on the way."""
    local = set(graph.local_names)
    passed: list[str] = []
    for _ in range(_MAX_STEPS):
        while isinstance(node, sc.Paren) and len(node.body) == 1:
            node = node.body[0]
        if isinstance(node, sc.Name) and node.name in local:
            found = definition_before(graph.function, node.name, where)
            if found is None:
                return None, passed
            where, node = found
            continue
        name = class_of(node) if isinstance(node, sc.Call) else None
        if isinstance(node, sc.Call) and name == "FFT":
            return node, passed
        if isinstance(node, sc.Call) and name is not None and name.startswith("PV_") and node.args:
            passed.append(name)
            node = node.args[0]
            continue
        return None, passed
    return None, passed


def fft_input(graph: Graph, ifft: sc.Call) -> sc.Node | None:
    """What B's FFT analyses, for the section ending at ``ifft``; None when the chain does not
    go back to an FFT of a signal."""
    where = position_of(graph.function, ifft)
    if where is None or not _is_ifft(ifft):
        return None
    fft, _ = _trace(graph, ifft.args[0], where)
    if fft is None:
        return None
    given = next((kw.value for kw in fft.kwargs if kw.name == "in"), None)
    return given if given is not None else (fft.args[1] if len(fft.args) > 1 else None)


def spectral_sections(graph: Graph) -> list[sc.Call]:
    """B's IFFT calls whose chain goes back to an FFT of a signal."""
    return [
        call
        for call in walk_calls(graph.function)
        if _is_ifft(call) and fft_input(graph, call) is not None
    ]


def section_label(graph: Graph, ifft: sc.Call) -> str:
    """``FFT → PV_MagShift → IFFT``: the section's UGens in signal order."""
    where = position_of(graph.function, ifft)
    passed = _trace(graph, ifft.args[0], where)[1] if where is not None else []
    return " → ".join(["FFT", *reversed(passed), "IFFT"])


def spectral_stage(
    graph_a: Graph, graph_b: Graph, ifft: sc.Call
) -> tuple[StageMaker, tuple[sc.Param, ...]]:
    """How to put B's section ending at ``ifft`` on A's signal (see the module doc), and the
    controls of B it needs."""
    hole = fft_input(graph_b, ifft)
    if hole is None:
        raise NotApplicable("B's IFFT does not go back to an FFT of a signal")
    (copy,) = closed_copy(graph_a, graph_b, [ifft], hole=hole, spectral=True)
    if not any(found == sc.Name(SIGNAL) for found in sc.walk(copy.node)):
        raise NotApplicable("B's spectral section does not analyse a signal")
    channel = fresh("chan", graph_a.identifiers() | {p.name for p in copy.params})

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        per_channel = sc.FunctionDef(
            params=(sc.Param(channel),), body=(fill(copy.node, sc.Name(channel)),)
        )
        channels = sc.Call(sc.Array((signal,)), "flat", parens=False)
        each = sc.Call(channels, "collect", (per_channel,))
        return sc.Call(each, "unbubble", parens=False)

    return make, copy.params


def own_buffers(program: sc.Program) -> Result:
    """The program with every FFT buffer that is not a LocalBuf made ``LocalBuf(2048)``
    (an FFT on buffer 0 or a ``bufnum`` control cannot play where nothing allocates that
    buffer, an audition for one); unchanged, with no log, when there is none."""
    graph = locate(program)
    function = own_fft_buffers(graph.function)
    if function == graph.function:
        return program, []
    assert isinstance(function, sc.FunctionDef)
    line = f"FFT buffer → LocalBuf({FFT_SIZE}), allocated by the synth itself"
    return graph.with_function(function), [line]
