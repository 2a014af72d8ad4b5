"""B's sample player playing A's sound back: a *resampler* stage for a crossover.

A sample player (``PlayBuf``, ``Warp1``, ``BufRd``) plays a sound file that something outside
the synth loads into a buffer. In a child of two synths no such file is loaded, so B's player
would play silence; A's sound stands in for it. The child records A's signal (its channels
mixed to one) into a buffer of its own, a ``LocalBuf`` of :data:`TAPE_FRAMES` that loops like
a tape, and B's player reads that tape with B's own rate, trigger, pointer and grain settings,
beside A's dry signal (:data:`PLAYER_LEVEL`):

    { |dry, tape|
        RecordBuf.ar(Mix(dry), tape, loop: 1);
        dry + (PlayBuf.ar(1, tape, BufRateScale.kr(tape) * rate,
            startPos: BufFrames.ir(tape) * 0.5, loop: 1) * 0.5)
    }.value(sig, LocalBuf(24000).clear)

A ``PlayBuf`` starts half the tape behind the recording (an echo a quarter of a second later
at rate 1, a varispeed tape at any other) and loops, so which of the recorder and the player
scsynth runs first in a block matters by no more than that block; ``BufRd`` and
``Warp1`` read where their phase or pointer says. Every buffer B's player reads (its buffer
and the ``BufRateScale``/``BufFrames`` of that buffer) reads the tape; a player that also
reads another buffer (a window of its own, a second file) cannot move. Players of a buffer B
allocates itself (a ``LocalBuf`` delay line) are B's own effects, not sample players.
"""

from __future__ import annotations

from typing import Final

from audiomancer.evolution.synth_ops.edits import binop, class_of, fresh, walk_calls
from audiomancer.evolution.synth_ops.graph import Graph
from audiomancer.evolution.synth_ops.protocol import NotApplicable
from audiomancer.evolution.synth_ops.retarget import bind, laid_out
from audiomancer.evolution.synth_ops.signal import StageMaker, definitions
from audiomancer.evolution.synth_ops.transplant import SIGNAL, closed_copy, fill
from audiomancer.supercollider import syntax as sc

PLAYERS: Final[dict[str, tuple[str, ...]]] = {
    "PlayBuf": ("numChannels", "bufnum", "rate", "trigger", "startPos", "loop", "doneAction"),
    "Warp1": ("numChannels", "bufnum", "pointer", "freqScale", "windowSize", "envbufnum",
              "overlaps", "windowRandRatio", "interp", "mul", "add"),
    "BufRd": ("numChannels", "bufnum", "phase", "loop", "interp"),
}  # fmt: skip
"""Sample players by their argument names."""
BUFFER_INFO: Final = frozenset(
    {"BufRateScale", "BufSampleRate", "BufFrames", "BufSamples", "BufDur", "BufChannels"}
)
"""What a player's rate or position may read of its buffer (the buffer is their first input)."""
TAPE_FRAMES: Final = 24000
"""Length of the tape A's sound is recorded into: half a second at 48 kHz. A constant, since
scsynth allocates a LocalBuf before any other UGen has computed a value (a length from
``SampleRate.ir`` would be read as 0 frames)."""
PLAYER_LEVEL: Final = "0.5"
"""B's player beside A's dry signal."""
_SET: Final[dict[str, dict[str, str]]] = {
    "PlayBuf": {"numChannels": "1", "loop": "1"},
    "Warp1": {"numChannels": "1"},
    "BufRd": {"numChannels": "1", "loop": "1"},
}
"""Arguments the tape decides: one channel (A's sound is mixed to one), played in a loop."""


def _owns(graph: Graph, buffer: sc.Node) -> bool:
    """True when ``buffer`` is (or is a variable of B holding) a LocalBuf of B's own."""
    values = [buffer]
    if isinstance(buffer, sc.Name):
        values += [value for _, value in definitions(graph.function, buffer.name)]
    return any(class_of(call) == "LocalBuf" for value in values for call in walk_calls(value))


def player_calls(graph: Graph) -> list[sc.Call]:
    """B's audio-rate sample players of a buffer B does not allocate itself."""
    found = []
    for call in walk_calls(graph.function):
        name = class_of(call) or ""
        if name not in PLAYERS or call.selector != "ar" or call.style != "method":
            continue
        bound = bind(call, PLAYERS[name])
        if bound is not None and "bufnum" in bound and not _owns(graph, bound["bufnum"]):
            found.append(call)
    return found


def _buffer_of(call: sc.Call) -> sc.Node | None:
    name = class_of(call) or ""
    if name in PLAYERS:
        return (bind(call, PLAYERS[name]) or {}).get("bufnum")
    return call.args[0] if call.args else None


def _on_tape(node: sc.Node, buffer: sc.Node) -> sc.Node:
    """``node`` with the buffer argument of every player and buffer-info call that reads
    ``buffer`` (a number B wrote, which only there means a buffer) made :data:`SIGNAL`."""

    def edit(found: sc.Node) -> sc.Node:
        name = class_of(found) or ""
        if not isinstance(found, sc.Call) or _buffer_of(found) != buffer:
            return found
        if name in PLAYERS:
            bound = dict(bind(found, PLAYERS[name]) or {})
            bound["bufnum"] = sc.Name(SIGNAL)
            args, kwargs = laid_out(PLAYERS[name], bound)
            return sc.Call(found.receiver, found.selector, args, kwargs)
        if name in BUFFER_INFO:
            return sc.Call(found.receiver, found.selector, (sc.Name(SIGNAL), *found.args[1:]))
        return found

    return sc.transform(node, edit)


def _reads_only_tape(node: sc.Node) -> None:
    for call in walk_calls(node):
        name = class_of(call) or ""
        if (name in PLAYERS or name in BUFFER_INFO) and _buffer_of(call) != sc.Name(SIGNAL):
            raise NotApplicable(f"its {name} reads another buffer, which the child does not have")


def _tape_player(copied: sc.Call, tape: sc.Name) -> sc.Call:
    """B's copied player reading ``tape`` (see the module doc)."""
    name = class_of(copied) or ""
    signature = PLAYERS[name]
    bound = {key: fill(value, tape) for key, value in (bind(copied, signature) or {}).items()}
    bound.update({key: sc.Number(value) for key, value in _SET[name].items()})
    bound.pop("doneAction", None)  # the tape never ends the child: A's envelope does
    if name == "PlayBuf":
        frames = sc.Call(sc.ClassName("BufFrames"), "ir", (tape,))
        bound["startPos"] = binop(frames, "*", sc.Number("0.5"))
    if name == "Warp1" and not isinstance(bound.get("envbufnum", sc.Number("-1")), sc.Number):
        bound["envbufnum"] = sc.Number("-1")  # B's own window buffer is not loaded: Hann
    args, kwargs = laid_out(signature, bound)
    return sc.Call(copied.receiver, copied.selector, args, kwargs)


def resampler_stage(
    graph_a: Graph, graph_b: Graph, player: sc.Call
) -> tuple[StageMaker, tuple[sc.Param, ...]]:
    """How to put B's sample ``player`` on A's signal (see the module doc), and the controls
    of B it needs."""
    buffer = _buffer_of(player)
    if buffer is None:
        raise NotApplicable("B's player has no buffer argument to give the tape")
    literal = isinstance(buffer, sc.Number)
    readers = frozenset({*PLAYERS, *BUFFER_INFO})
    (copy,) = closed_copy(
        graph_a,
        graph_b,
        [player],
        hole=None if literal else buffer,
        throughout=True,
        readers=readers,
    )
    node = _on_tape(copy.node, buffer) if literal else copy.node
    assert isinstance(node, sc.Call)
    _reads_only_tape(node)
    taken = graph_a.identifiers() | {p.name for p in copy.params}
    dry_name = fresh("dry", taken)
    tape = sc.Name(fresh("tape", {*taken, dry_name}))

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        dry = sc.Name(dry_name)
        mixed = sc.Call(sc.ClassName("Mix"), "new", (dry,), style="new")
        record = sc.Call(
            sc.ClassName("RecordBuf"), "ar", (mixed, tape), (sc.KeywordArg("loop", sc.Number("1")),)
        )
        played = binop(_tape_player(node, tape), "*", sc.Number(PLAYER_LEVEL))
        local = sc.Call(sc.ClassName("LocalBuf"), "new", (sc.Number(str(TAPE_FRAMES)),),
                        style="new")  # fmt: skip
        cleared = sc.Call(local, "clear", parens=False)
        function = sc.FunctionDef(
            params=(sc.Param(dry_name), sc.Param(tape.name)),
            body=(record, binop(dry, "+", played)),
        )
        return sc.Call(function, "value", (signal, cleared))

    read = {n.name for n in sc.walk(_tape_player(node, tape)) if isinstance(n, sc.Name)}
    return make, tuple(p for p in copy.params if p.name in read)
