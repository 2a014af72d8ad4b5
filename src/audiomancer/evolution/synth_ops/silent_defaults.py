"""Defaults that leave a synth silent when it is played alone (:func:`audible_defaults`).

Many SynthDefs of the wild expect their player to supply what makes them sound: a Pbind
event sets the pitch (``hz`` or ``frequency`` with no default is 0 Hz), a level with no
default (``volume``) is 0, and ``MouseX``/``MouseY`` read the pointer, which an offline render
has not got (they rest at their minimum: ``SinOsc.ar(f, mul: MouseX.kr(0, 0.9))`` is silent).
The audition phrase sets ``freq`` and ``amp`` only. For breeding, such a synth is given what
its player would give: the pitch 440 Hz, the level 0.3, and each mouse axis a control resting
at the middle of its range, so the material can be heard in the child.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Final

from audiomancer.evolution.synth_ops.edits import (
    class_of,
    fmt,
    fresh,
    literal,
    map_nodes,
    num,
    walk_calls,
)
from audiomancer.evolution.synth_ops.graph import locate
from audiomancer.evolution.synth_ops.protocol import Result
from audiomancer.supercollider import syntax as sc

PITCH_NAMES: Final = frozenset({"hz", "frequency", "pitch"})
"""Names of a pitch in Hz that the audition phrase does not set (it sets ``freq``)."""
LEVEL_NAMES: Final = frozenset({"volume", "vol", "level", "gain", "velocity", "vel"})
"""Names of a level that the audition phrase does not set (it sets ``amp``)."""
PITCH_DEFAULT: Final = 440.0
LEVEL_DEFAULT: Final = 0.3
_MOUSE_AXES: Final = {"MouseX": "mouseX", "MouseY": "mouseY"}
_MOUSE_SLOTS: Final = ("minval", "maxval", "warp", "lag")
_EXPONENTIAL: Final = frozenset({"1", "exponential", "exp"})


def _is_zero(default: sc.Node | None) -> bool:
    return default is None or literal(default) == 0


def _silent_params(function: sc.FunctionDef) -> dict[str, float]:
    """Each argument that is a pitch or a level by name and has no default (or 0), with the
    default a player would give it."""
    found: dict[str, float] = {}
    for param in function.params:
        lowered = param.name.lower()
        if not _is_zero(param.default):
            continue
        if lowered in PITCH_NAMES:
            found[param.name] = PITCH_DEFAULT
        elif lowered in LEVEL_NAMES:
            found[param.name] = LEVEL_DEFAULT
    return found


def _mouse_arguments(call: sc.Call) -> dict[str, sc.Node]:
    bound = dict(zip(_MOUSE_SLOTS, call.args, strict=False))
    bound.update({k.name: k.value for k in call.kwargs if k.name in _MOUSE_SLOTS})
    return bound


def _warp_is_exponential(warp: sc.Node | None) -> bool:
    if isinstance(warp, sc.Number):
        return warp.text in _EXPONENTIAL
    if isinstance(warp, sc.Symbol | sc.String):
        name = warp.name if isinstance(warp, sc.Symbol) else warp.value
        return name in _EXPONENTIAL
    return False


def mouse_rest(call: sc.Call) -> float | None:
    """Where a ``MouseX``/``MouseY`` call rests with the pointer in the middle of its range:
    the mean of its bounds, the geometric mean on an exponential warp; None when the bounds
    are not numbers."""
    bound = _mouse_arguments(call)
    low = literal(bound.get("minval", sc.Number("0")))
    high = literal(bound.get("maxval", sc.Number("1")))
    if low is None or high is None:
        return None
    if _warp_is_exponential(bound.get("warp")) and low * high > 0:
        return math.copysign(math.sqrt(low * high), low)
    return (low + high) / 2


def audible_defaults(program: sc.Program) -> Result:
    """The program with a pitch or level argument that has no default given 440 Hz or 0.3,
    and each ``MouseX``/``MouseY`` of numeric bounds made a control resting in the middle of
    its range (see the module docstring); unchanged, with no log, when there is none."""
    graph = locate(program)
    function = graph.function
    defaults = _silent_params(function)
    taken = graph.identifiers()
    mapping: dict[int, sc.Node] = {}
    added: list[sc.Param] = []
    lines: list[str] = []
    for call in walk_calls(function):
        axis = _MOUSE_AXES.get(class_of(call) or "")
        rest = mouse_rest(call) if axis is not None else None
        if axis is None or rest is None or id(call) in mapping:
            continue
        name = fresh(axis, taken)
        taken.add(name)
        mapping[id(call)] = sc.Name(name)
        added.append(sc.Param(name, num(rest, 4)))
        lines.append(f"{class_of(call)} (no pointer offline) → control {name} ({fmt(rest)})")
    if not defaults and not mapping:
        return program, []
    function = map_nodes(function, mapping)
    params = tuple(
        replace(p, default=num(defaults[p.name])) if p.name in defaults else p
        for p in function.params
    )
    function = replace(function, params=(*params, *added))
    given = [
        f"{name} had no default (0): {fmt(value)}{' Hz' if value == PITCH_DEFAULT else ''}, "
        "as a player gives it"
        for name, value in defaults.items()
    ]
    return graph.with_function(function), [*given, *lines]
