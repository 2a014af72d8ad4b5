"""Delays that run on a buffer of their own: ``PingPong``, ``BufDelayN``, ``BufCombL``...

These take a buffer first and the signal after it (:data:`~audiomancer.evolution.synth_ops.
tables.BUFFER_DELAYS`). Given a ``LocalBuf`` in that place, as Sonic Pi's ping_pong FX does
(``PingPong.ar(LocalBuf(SampleRate.ir * max_phase, 2).clear, panned, phase, feedback, 1)``),
such a delay owns what it reads: it writes the buffer and reads it back, so it moves into
another synth whole, buffer and all (:func:`owned_parts`). One given a buffer number or a
variable is not moved: something else allocates or writes that buffer.

``PingPong`` takes an array of as many channels as its buffer (it reads ``inputs.size``): a
moved one takes A's signal as ``sig.asArray.wrapExtend(n)`` (:func:`fit_inputs`). It feeds its
echoes back through ``LocalIn``/``LocalOut``, of which a synth has one: a synth with feedback of
its own does not take it (:func:`check_feedback`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from audiomancer.evolution.synth_ops.edits import class_of, classes_in, walk_calls
from audiomancer.evolution.synth_ops.protocol import NotApplicable
from audiomancer.evolution.synth_ops.tables import BUFFER_DELAYS
from audiomancer.supercollider import syntax as sc

ARRAY_INPUTS: Final = frozenset({"PingPong"})
"""Buffer delays whose input is an array of the buffer's channel count."""
_FEEDBACK_USERS: Final = frozenset({"PingPong"})
"""Buffer delays built on ``LocalIn``/``LocalOut`` (sclang's ``PingPong.ar``)."""
_FEEDBACK: Final = frozenset({"LocalIn", "LocalOut"})


def own_buffer(call: sc.Call) -> sc.Call | None:
    """The ``LocalBuf`` call given as ``call``'s buffer (``LocalBuf(n)``, ``LocalBuf(n).clear``),
    None when ``call`` is no buffer delay or its buffer is anything else."""
    if class_of(call) not in BUFFER_DELAYS or not call.args:
        return None
    buffer: sc.Node | None = call.args[0]
    if isinstance(buffer, sc.Call) and buffer.selector == "clear" and not buffer.args:
        buffer = buffer.receiver
    return buffer if isinstance(buffer, sc.Call) and class_of(buffer) == "LocalBuf" else None


def owned_parts(node: sc.Node) -> set[int]:
    """The ids of the buffer delays in ``node`` that own their buffer and of those buffers'
    ``LocalBuf`` calls: no state outside the synth."""
    owned: set[int] = set()
    for call in walk_calls(node):
        buffer = own_buffer(call)
        if buffer is not None:
            owned |= {id(call), id(buffer)}
    return owned


def signal_slot(call: sc.Call) -> int:
    """Which argument of ``call`` carries its signal: the first, after a buffer delay's buffer."""
    return BUFFER_DELAYS.get(class_of(call) or "", 0)


def _channels(buffer: sc.Call) -> int:
    count = buffer.args[1] if len(buffer.args) > 1 else None
    count = next((kw.value for kw in buffer.kwargs if kw.name == "numChannels"), count)
    if count is None:
        return 1
    if isinstance(count, sc.Number) and float(count.value).is_integer() and float(count.value) > 0:
        return int(float(count.value))
    raise NotApplicable(f"the LocalBuf's channel count {sc.print_code(count)} is not a number")


def fit_inputs(node: sc.Node) -> sc.Node:
    """``node`` with each ``PingPong`` that owns its buffer given its input as an array of
    the buffer's channel count (``input.asArray.wrapExtend(2)``), whatever signal goes in."""

    def edit(found: sc.Node) -> sc.Node:
        if not isinstance(found, sc.Call) or class_of(found) not in ARRAY_INPUTS:
            return found
        buffer = own_buffer(found)
        if buffer is None or len(found.args) < 2:
            return found
        as_array = sc.Call(found.args[1], "asArray", parens=False)
        fitted = sc.Call(as_array, "wrapExtend", (sc.Number(str(_channels(buffer))),))
        return replace(found, args=(found.args[0], fitted, *found.args[2:]))

    return sc.transform(node, edit)


def check_feedback(function_a: sc.Node, stage: sc.Node) -> None:
    """NotApplicable when the ``stage`` brings a delay built on ``LocalIn``/``LocalOut`` and A
    (``function_a``) has feedback of its own: a synth has one such pair."""
    users = sorted(classes_in(stage) & _FEEDBACK_USERS)
    own = sorted(classes_in(function_a) & (_FEEDBACK | _FEEDBACK_USERS))
    if users and own:
        raise NotApplicable(
            f"B's {users[0]} feeds back through LocalIn/LocalOut and A has {own[0]} already"
        )
