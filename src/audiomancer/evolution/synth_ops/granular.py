"""A granulator of a buffer made a granulator of B's source (``GrainBuf`` → ``GrainIn``).

A granular synth reads its grains from a sound file in a buffer (``GrainBuf``, ``TGrains``);
where no buffer is loaded (an audition, a child of two synths) it is silent. In a crossover
B's source stands in for the sound file: the granulator becomes ``GrainIn`` on that source,
keeping A's grain trigger, duration, pan, channel count and (for ``TGrains``) amplitude.
What only a buffer has (playback rate, position, interpolation) has no counterpart and goes;
an envelope buffer becomes GrainIn's own Hann window (-1), since nothing loads that buffer
either.
"""

from __future__ import annotations

from typing import Final

from audiomancer.evolution.synth_ops.edits import binop, class_of
from audiomancer.evolution.synth_ops.retarget import bind, laid_out
from audiomancer.supercollider import syntax as sc

GRANULATORS: Final[dict[str, tuple[str, ...]]] = {
    "GrainBuf": ("numChannels", "trigger", "dur", "sndbuf", "rate", "pos", "interp", "pan",
                 "envbufnum", "maxGrains", "mul", "add"),
    "TGrains": ("numChannels", "trigger", "bufnum", "rate", "centerPos", "dur", "pan", "amp",
                "interp", "mul", "add"),
}  # fmt: skip
"""Buffer granulators by their argument names."""
_GRAIN_IN: Final = ("numChannels", "trigger", "dur", "in", "pan", "envbufnum", "maxGrains",
                    "mul", "add")  # fmt: skip
_DEFAULT_DUR: Final = {"TGrains": "0.1"}
"""A duration the granulator defaults to that GrainIn (1 s) does not."""


def granulated(reader: sc.Call, source: sc.Node) -> sc.Call | None:
    """``GrainIn`` on ``source`` in place of the granulator ``reader`` (see the module doc);
    None when ``reader`` is no granulator whose arguments can be told apart."""
    name = class_of(reader) or ""
    signature = GRANULATORS.get(name)
    bound = bind(reader, signature) if signature else None
    if bound is None:
        return None
    kept = {k: v for k, v in bound.items() if k in _GRAIN_IN and k != "envbufnum"}
    kept["in"] = binop(source, "*", bound["amp"]) if "amp" in bound else source
    if "dur" not in kept and name in _DEFAULT_DUR:
        kept["dur"] = sc.Number(_DEFAULT_DUR[name])
    if "envbufnum" in bound:
        kept["envbufnum"] = sc.Number("-1")
    args, kwargs = laid_out(_GRAIN_IN, kept)
    return sc.Call(sc.ClassName("GrainIn"), reader.selector, args, kwargs)
