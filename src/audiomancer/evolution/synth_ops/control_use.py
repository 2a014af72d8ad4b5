"""Controls that hold integers or selectors, found by how the graph uses them (issue 13 §6).

A name says little (``sndbuf``, ``which``, ``o``, ``amp_slide_shape``); the place a control is
read says what it is. A control read, directly or through ``.round``/``.asInteger``, as a bus
(``Out.ar(o, ...)``), a buffer (``PlayBuf.ar(2, sndbuf)``), a channel count, an interpolation
or loop flag, a ``doneAction``, a ``VarLag`` warp or curve selector, an index (``Select.kr(i,
...)``, ``array[i]``, ``x ! n``) or an id (``SendReply``) is discrete: its default is never
moved by a fraction, nor modulated.
"""

from __future__ import annotations

from typing import Final

from audiomancer.evolution.synth_ops.controls import control_names
from audiomancer.evolution.synth_ops.edits import class_of, walk_calls
from audiomancer.evolution.synth_ops.graph import Graph
from audiomancer.supercollider import syntax as sc

_DISCRETE_SLOTS: Final[dict[str, tuple[int, ...]]] = {
    "Out": (0,), "OffsetOut": (0,), "ReplaceOut": (0,), "XOut": (0,), "In": (0, 1),
    "InFeedback": (0, 1), "InTrig": (0, 1), "LocalIn": (0,), "SoundIn": (0,),
    "PlayBuf": (0, 1, 4, 5), "BufRd": (0, 1, 3, 4), "BufWr": (1, 3), "RecordBuf": (1, 2, 7),
    "TGrains": (0, 2, 7), "GrainBuf": (0, 2, 7), "Warp1": (0, 1, 7), "DiskIn": (0, 1, 2),
    "VDiskIn": (0, 1, 3), "FFT": (0,), "LocalBuf": (0, 1), "BufDur": (0,), "BufFrames": (0,),
    "BufRateScale": (0,), "BufSampleRate": (0,), "BufChannels": (0,), "BufSamples": (0,),
    "Osc": (0,), "OscN": (0,), "COsc": (0,), "VOsc": (0,), "VOsc3": (0,), "Shaper": (0,),
    "Index": (0,), "WrapIndex": (0,), "IndexL": (0,), "DetectIndex": (0,), "IndexInBetween": (0,),
    "DegreeToKey": (0,), "Select": (0,), "SendTrig": (1,), "SendReply": (3,), "EnvGen": (5,),
    "Line": (5,), "XLine": (5,), "Linen": (4,), "DetectSilence": (3,), "PanAz": (0,),
    "VarLag": (2, 3), "DelTapWr": (0,), "DelTapRd": (0, 3), "BufDelayN": (0,),
    "BufDelayL": (0,), "BufDelayC": (0,), "BufCombN": (0,), "BufCombL": (0,), "BufCombC": (0,),
    "BufAllpassN": (0,), "BufAllpassL": (0,), "BufAllpassC": (0,), "PV_Copy": (1,),
    "Convolution2": (1,), "PartConv": (1,), "Dbufrd": (0,), "Dbufwr": (0,),
}  # fmt: skip
"""UGen argument positions that take an integer or a selector (bus, buffer, channels,
interpolation, loop, doneAction, warp, index, id)."""
_DISCRETE_KEYWORDS: Final = frozenset(
    {"bus", "bufnum", "buf", "buffer", "sndbuf", "numChannels", "numChans", "interpolation",
     "interp", "loop", "doneAction", "warp", "curvature", "replyID", "id", "which", "index",
     "channelsArray", "numFrames", "trigid"}
)  # fmt: skip
_DISCRETE_METHODS: Final[dict[str, tuple[int, ...]]] = {
    "varlag": (1, 2), "dup": (0,), "clump": (0,), "at": (0,), "wrapAt": (0,), "clipAt": (0,),
    "foldAt": (0,),
}  # fmt: skip
"""Methods whose arguments are integers or selectors (``x.varlag(time, curve, warp)``)."""
_ROUNDING: Final = frozenset({"round", "floor", "ceil", "asInteger", "trunc", "asInt"})


def _reads(node: sc.Node | None, names: set[str]) -> set[str]:
    """The control ``node`` is, when it is one (possibly rounded: ``n.round``, ``n.asInteger``)."""
    while isinstance(node, sc.Call) and node.selector in _ROUNDING and not node.args:
        node = node.receiver
    if isinstance(node, sc.Paren) and len(node.body) == 1:
        return _reads(node.body[0], names)
    if isinstance(node, sc.Name) and node.name in names:
        return {node.name}
    return set()


def discrete_controls(graph: Graph) -> set[str]:
    """Names of the controls the graph uses as integers or selectors (see the module doc)."""
    names = set(graph.param_names) | control_names(graph)
    found: set[str] = set()
    for call in walk_calls(graph.function):
        slots = _DISCRETE_SLOTS.get(class_of(call) or "", ())
        if call.selector in _DISCRETE_METHODS and class_of(call) is None:
            slots = _DISCRETE_METHODS[call.selector]
        for index in slots:
            if index < len(call.args):
                found |= _reads(call.args[index], names)
        for keyword in call.kwargs:
            if keyword.name in _DISCRETE_KEYWORDS:
                found |= _reads(keyword.value, names)
        if call.selector in _ROUNDING:
            found |= _reads(call.receiver, names)
    for node in sc.walk(graph.function):
        if isinstance(node, sc.BinaryOp) and node.op == "!":
            found |= _reads(node.right, names)
        elif isinstance(node, sc.Index):
            for argument in node.args:
                found |= _reads(argument, names)
    return found
