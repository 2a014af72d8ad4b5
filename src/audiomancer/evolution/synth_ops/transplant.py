"""Moving material of one SynthDef into another: an expression of B made closed for A.

A stage of B (a filter call, an effect, an oscillator) reads B's controls and B's local
variables (``lfo``, ``filterenv``, ``sig`` defined three statements earlier). To move it into
A, :func:`closed_copy` rewrites it so that it means the same there:

- each local variable of B is replaced by the expression it holds at that point of B (its
  last top-level definition before the use, itself made closed), so the copy needs no
  statement of B and goes anywhere in A;
- each control of B it reads is a control of the child: A's own when A has one of that name,
  else added with B's default (renamed when the name means something else in A);
- envelopes copied from B never free the synth (``doneAction`` becomes 0): A's envelope and
  its ``doneAction`` decide when the child ends.

An oscillator's or filter's frequency that B reads from a control bus (``In.kr``) reads a
control of the child instead (A's ``freq`` or ``cutoff``, else one added at 440 or 2000 Hz:
:mod:`~audiomancer.evolution.synth_ops.bus_reads`). Other material that reads state outside
the synth (a bus, a buffer, an FFT chain) or a name the copy cannot resolve (an interpreter
or environment variable, a variable only a loop assigns) is :class:`NotApplicable`; so is a
long variable of B read in several places, or one that builds an array and is read inside a
function (a ``fill`` reading another by index): each copy would build it again, once per
call. A whole spectral section (``IFFT(PV_...(FFT(buffer, in)))``, copied with ``fft=True``)
is the exception: it owns its chain, so its FFT, PV and IFFT UGens move, and an FFT buffer
that is not a ``LocalBuf`` (a buffer number or control that something outside the synth
allocates) becomes ``LocalBuf(2048)``, which the child allocates itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from audiomancer.evolution.synth_ops.buffer_delays import owned_parts
from audiomancer.evolution.synth_ops.bus_reads import (
    BUS_CONTROLS,
    is_control_bus_read,
    marked,
    marker_kind,
)
from audiomancer.evolution.synth_ops.controls import controls, named_control
from audiomancer.evolution.synth_ops.edits import builds_array, class_of, fresh, walk_calls
from audiomancer.evolution.synth_ops.graph import Graph
from audiomancer.evolution.synth_ops.protocol import NotApplicable
from audiomancer.supercollider import syntax as sc

EXTERNAL_READERS: Final = frozenset(
    {"In", "InFeedback", "SoundIn", "InTrig", "LocalIn", "PlayBuf", "BufRd", "TGrains",
     "GrainBuf", "Warp1", "DiskIn", "VDiskIn", "FFT", "IFFT", "PartConv", "Convolution2",
     "BufWr", "RecordBuf", "LocalBuf", "ScopeOut", "ScopeOut2", "Index", "WrapIndex",
     "DetectIndex", "IndexL", "Shaper", "Osc", "OscN", "COsc", "VOsc", "VOsc3", "DegreeToKey",
     "PingPong"}
)  # fmt: skip
"""UGens that read a bus or a buffer (or write one): material holding them is not moved, since
what it reads is not there in the child (wavetable oscillators read a buffer too)."""
_READ_PREFIXES: Final = ("PV_", "Buf")
SPECTRAL: Final = frozenset({"FFT", "IFFT", "LocalBuf", "MaxLocalBufs"})
"""What a spectral section owns besides its ``PV_`` UGens (see the module doc)."""
FFT_SIZE: Final = 2048
"""Frames of the LocalBuf a moved FFT gets in place of a buffer it does not own."""
_MAX_SIZE: Final = 4000
"""Longest copy (printed characters): inlining a long chain of B's statements stops here."""

SIGNAL: Final = "__signal__"
"""Stands for A's signal in a copied section of B (where B's own input was)."""

_MAX_REPEATED: Final = 240
"""Longest value of B's variable that may be copied in more than one place (printed chars)."""

Position = tuple[int, int]
"""Where something is in a graph function: (0, k) the k-th ``var`` initialiser, (1, i) the
i-th statement of the body."""


@dataclass(frozen=True)
class Material:
    """A closed copy of B's expression and the controls the child needs for it."""

    node: sc.Node
    params: tuple[sc.Param, ...]
    """Controls of B to add to A (B's defaults), in the order first read."""

    @property
    def classes(self) -> frozenset[str]:
        """The UGen classes the copy calls."""
        return frozenset(name for call in walk_calls(self.node) if (name := class_of(call)))


def position_of(function: sc.FunctionDef, node: sc.Node) -> Position | None:
    """Where ``node`` (by identity) sits in the graph function; None when it is not there."""
    k = 0
    for decl in function.var_decls:
        for definition in decl.defs:
            if definition.value is not None and any(
                found is node for found in sc.walk(definition.value)
            ):
                return (0, k)
            k += 1
    for index, statement in enumerate(function.body):
        if any(found is node for found in sc.walk(statement)):
            return (1, index)
    return None


def _definitions(function: sc.FunctionDef, name: str) -> list[tuple[Position, sc.Node]]:
    found: list[tuple[Position, sc.Node]] = []
    k = 0
    for decl in function.var_decls:
        for definition in decl.defs:
            if definition.name == name and definition.value is not None:
                found.append(((0, k), definition.value))
            k += 1
    for index, statement in enumerate(function.body):
        if isinstance(statement, sc.Assign) and statement.target == sc.Name(name):
            found.append(((1, index), statement.value))
        elif isinstance(statement, sc.MultiAssign):
            part = _part_of(statement, name)
            if part is not None:
                found.append(((1, index), part))
    return found


def _part_of(statement: sc.MultiAssign, name: str) -> sc.Node | None:
    """What ``#a, b ... rest = value`` gives ``name``: ``(value)[i]`` for the i-th name,
    ``(value).copyToEnd(n)`` for the rest; None when it does not assign ``name``."""
    whole = sc.Paren((statement.value,))
    if name in statement.names:
        index = len(statement.names) - 1 - statement.names[::-1].index(name)
        return sc.Index(whole, (sc.Number(str(index)),))
    if name == statement.rest:
        return sc.Call(whole, "copyToEnd", (sc.Number(str(len(statement.names))),))
    return None


def definition_before(
    function: sc.FunctionDef, name: str, where: Position
) -> tuple[Position, sc.Node] | None:
    """The last top-level definition of the local variable ``name`` before ``where``."""
    earlier = [(p, v) for p, v in _definitions(function, name) if p < where]
    return earlier[-1] if earlier else None


def _names_in_functions(node: sc.Node) -> set[int]:
    """The ids of the names read inside a function literal within ``node`` (a loop body, a
    ``fill`` function: code that may run many times)."""
    return {
        id(found)
        for function in sc.walk(node)
        if isinstance(function, sc.FunctionDef) and function is not node
        for found in sc.walk(function)
        if isinstance(found, sc.Name)
    }


def _inner_names(node: sc.Node) -> set[str]:
    names: set[str] = set()
    for found in sc.walk(node):
        if isinstance(found, sc.FunctionDef):
            names.update(found.param_names)
            if found.rest:
                names.add(found.rest)
            names.update(d.name for decl in found.var_decls for d in decl.defs)
    return names


def reads_outside(
    node: sc.Node, *, spectral: bool = False, readers: frozenset[str] = frozenset()
) -> str | None:
    """The first UGen class in ``node`` that reads a bus or buffer, None when there is none
    (with ``spectral``, the UGens of a spectral section are no such readers; nor are the
    ``readers`` named, which the caller gives what they read, nor a delay on a ``LocalBuf`` of
    its own: :mod:`~audiomancer.evolution.synth_ops.buffer_delays`)."""
    owned = owned_parts(node)
    for call in walk_calls(node):
        name = class_of(call)
        if (
            id(call) in owned
            or name in readers
            or (spectral and (name in SPECTRAL or (name or "").startswith("PV_")))
        ):
            continue
        if name is not None and (name in EXTERNAL_READERS or name.startswith(_READ_PREFIXES)):
            return name
    for found in sc.walk(node):
        if isinstance(found, sc.EnvVar):
            return f"~{found.name}"
    return None


_FREEING: Final = frozenset({"FreeSelf", "FreeSelfWhenDone", "PauseSelf", "PauseSelfWhenDone"})
_DONE_POSITIONS: Final = {
    "EnvGen": 5, "Line": 5, "XLine": 5, "Linen": 4, "DetectSilence": 3, "Duty": 3, "TDuty": 3,
    "DemandEnvGen": 9,
}  # fmt: skip


_INPUTS: Final = frozenset({"In", "InFeedback", "SoundIn"})


def _is_input(node: sc.Node) -> bool:
    """True for an audio bus read (``In.ar(out, 2)``): what an effect of B processes."""
    while isinstance(node, sc.Paren) and len(node.body) == 1:
        node = node.body[0]
    return isinstance(node, sc.Call) and class_of(node) in _INPUTS and node.selector == "ar"


def _is_env_expression(node: sc.Node | None) -> bool:
    while isinstance(node, sc.Call):
        if node.receiver == sc.ClassName("Env"):
            return True
        node = node.receiver
    return False


def _is_local_buffer(node: sc.Node) -> bool:
    return isinstance(node, sc.Call) and class_of(node) == "LocalBuf"


def own_fft_buffers(node: sc.Node) -> sc.Node:
    """``node`` with every FFT's buffer that is not a LocalBuf replaced by
    ``LocalBuf(FFT_SIZE)``: the chain then needs no buffer from outside the synth."""

    def edit(found: sc.Node) -> sc.Node:
        if not isinstance(found, sc.Call) or class_of(found) != "FFT":
            return found
        local = sc.Call(sc.ClassName("LocalBuf"), "new", (sc.Number(str(FFT_SIZE)),), style="new")
        kwargs = tuple(
            replace(kw, value=local)
            if kw.name == "buffer" and not _is_local_buffer(kw.value)
            else kw
            for kw in found.kwargs
        )
        args = found.args
        if args and not _is_local_buffer(args[0]):
            args = (local, *args[1:])
        if args is found.args and kwargs == found.kwargs:
            return found
        return replace(found, args=args, kwargs=kwargs)

    return sc.transform(node, edit)


def disarm(node: sc.Node) -> sc.Node:
    """``node`` with every ``doneAction`` set to 0, so a copied envelope never frees the synth."""

    def edit(found: sc.Node) -> sc.Node:
        if not isinstance(found, sc.Call):
            return found
        kwargs = tuple(
            replace(kw, value=sc.Number("0")) if kw.name == "doneAction" else kw
            for kw in found.kwargs
        )
        args = found.args
        index = _DONE_POSITIONS.get(class_of(found) or "")
        if index is None and found.selector in ("kr", "ar") and _is_env_expression(found.receiver):
            index = 0  # Env.perc.kr(doneAction, gate, ...)
        if index is not None and index < len(args):
            args = (*args[:index], sc.Number("0"), *args[index + 1 :])
        if class_of(found) in _FREEING and found.selector in ("kr", "ar"):
            raise NotApplicable("it frees or pauses the synth itself")
        if args is found.args and kwargs == found.kwargs:
            return found
        return replace(found, args=args, kwargs=kwargs)

    return sc.transform(node, edit)


class _Copier:
    """Makes expressions of B closed for A (see the module doc), collecting B's controls."""

    def __init__(
        self,
        graph_a: Graph,
        graph_b: Graph,
        spectral: bool = False,
        hole: sc.Node | None = None,
        *,
        throughout: bool = False,
        readers: frozenset[str] = frozenset(),
    ) -> None:
        self.graph_a, self.graph_b = graph_a, graph_b
        self.spectral = spectral
        self.hole = hole
        self.throughout = spectral or throughout
        """The hole is filled wherever the copy reads it, in B's variables too (a spectral
        copy's input, a sample player's buffer)."""
        self.readers = readers
        self.function_b = graph_b.function
        self.b_params = {p.name: p for p in graph_b.function.params[graph_b.prepend_count :]}
        self.b_prepend = {p.name for p in graph_b.function.params[: graph_b.prepend_count]}
        self.b_locals = set(graph_b.local_names)
        self.a_params = set(graph_a.param_names)
        self.a_controls = {c.name for c in controls(graph_a)}
        self.a_named = {
            c.name: c.node.selector
            for c in controls(graph_a)
            if isinstance(c.node, sc.Call) and c.name not in self.a_params
        }
        """A's NamedControls by name, with their rate: B's argument of that name reads it."""
        self.taken = graph_a.identifiers() | self.a_controls
        self.params: dict[str, sc.Param] = {}
        self.renamed: dict[str, str] = {}
        self.named: dict[str, str] = {}
        self._cache: dict[tuple[str, Position], sc.Node] = {}
        self._uses: dict[tuple[str, Position], int] = {}

    def copy(self, node: sc.Node, where: Position, hole: sc.Node | None = None) -> sc.Node:
        if hole is None and self.throughout:
            hole = self.hole
        if hole is not None:
            node = sc.transform(node, lambda found: sc.Name(SIGNAL) if found == hole else found)
        if self.spectral:
            node = own_fft_buffers(node)
        node = marked(node)  # a frequency read from a control bus: a control of the child
        outside = reads_outside(node, spectral=self.spectral, readers=self.readers)
        if outside is not None:
            raise NotApplicable(f"it reads {outside}, which the child does not have")
        inner = _inner_names(node)
        for found in sc.walk(node):
            targets: tuple[str, ...] = ()
            if isinstance(found, sc.Assign) and isinstance(found.target, sc.Name):
                targets = (found.target.name,)
            elif isinstance(found, sc.Assign):
                raise NotApplicable("it assigns into an expression of B")
            elif isinstance(found, sc.MultiAssign):
                targets = (*found.names, *([found.rest] if found.rest else []))
            outer = [name for name in targets if name not in inner]
            if SIGNAL in outer:
                raise NotApplicable("it changes B's signal in place, inside a loop")
            if outer:
                raise NotApplicable(f"it assigns B's variable {outer[0]!r} inside a function")

        looped = _names_in_functions(node)

        def edit(found: sc.Node) -> sc.Node:
            if isinstance(found, sc.Name) and found.name not in inner:
                return self._resolve(found.name, where, in_function=id(found) in looped)
            if isinstance(found, sc.Call):
                return self._named_control(found)
            return found

        copied = sc.transform(node, edit)
        if len(sc.print_code(copied)) > _MAX_SIZE:
            raise NotApplicable("the material of B it needs is too long to copy")
        return disarm(copied)

    def _resolve(self, name: str, where: Position, *, in_function: bool = False) -> sc.Node:
        if name == SIGNAL:
            return sc.Name(SIGNAL)
        kind = marker_kind(name)
        if kind is not None:
            return self._bus_control(kind)
        if name in self.b_locals or self._reassigned(name, where):
            key = (name, where)
            if key not in self._cache:
                earlier = [(p, v) for p, v in _definitions(self.function_b, name) if p < where]
                if not earlier:
                    raise NotApplicable(f"B's variable {name!r} has no plain definition before use")
                at, value = earlier[-1]
                if self.hole is not None and _is_input(value):
                    # B's own input, read again in the section (``Compander.ar(x, source)``):
                    # in the child that is A's signal, as where the section takes it in
                    self._cache[key] = sc.Name(SIGNAL)
                else:
                    self._cache[key] = self.copy(value, at)
            self._uses[key] = self._uses.get(key, 0) + 1
            long = len(sc.print_code(self._cache[key])) > _MAX_REPEATED
            if self._uses[key] > 1 and long:
                # each read would be a copy of its own: a big array or bank (100 detuned saws,
                # a scrambled table) would be built again, and differently, every time
                raise NotApplicable(f"B reads its variable {name!r} in several places")
            if in_function and (long or builds_array(self._cache[key])):
                # the same, once per call of the function: 256 Klank modes read by index in
                # an ``Array.fill2D`` would be built 256 times (sclang then takes minutes)
                raise NotApplicable(f"B reads its variable {name!r} inside a function it calls")
            return self._cache[key]
        if name in self.b_params:
            if name in self.a_named:  # \freq.kr again is A's own control (defaults averaged)
                return sc.Call(sc.Symbol(name), self.a_named[name], (), parens=False)
            return sc.Name(self._control(name))
        if name in self.b_prepend:
            raise NotApplicable(f"it reads {name!r}, an argument SynthDef prepends in B")
        raise NotApplicable(f"it reads {name!r}, which B does not define")

    def _reassigned(self, name: str, where: Position) -> bool:
        """True when B's argument ``name`` is given a new value before ``where`` (``freq =
        Lag3.kr(freq, 0.1)``): B's stage reads that value. A value read from a control bus
        (FoxDot's ``freq = In.kr(bus, 1)``) is no such value: there the argument is what a
        player sets, as in the child."""
        if name not in self.b_params:
            return False
        earlier = [(p, v) for p, v in _definitions(self.function_b, name) if p < where]
        return bool(earlier) and not is_control_bus_read(earlier[-1][1])

    def _bus_control(self, kind: str) -> sc.Node:
        """What B's frequency read from a control bus reads in the child: A's control of
        that name (``freq``: the pitch A is played at), else one added at its default."""
        if kind in self.a_params:
            return sc.Name(kind)
        if kind in self.a_named:
            return sc.Call(sc.Symbol(kind), self.a_named[kind], (), parens=False)
        marker = f"bus {kind}"
        if marker not in self.renamed:
            new = kind if kind not in self.taken else fresh(f"{kind}B", self.taken)
            self.taken.add(new)
            self.renamed[marker] = new
            self.params[new] = sc.Param(new, sc.Number.of(BUS_CONTROLS[kind]))
        return sc.Name(self.renamed[marker])

    def _control(self, name: str) -> str:
        if name in self.renamed:
            return self.renamed[name]
        if name in self.a_params:
            self.renamed[name] = name  # the child's control is A's (defaults are averaged)
            return name
        if name in self.a_controls:
            raise NotApplicable(f"A reads {name!r} as a NamedControl, B as an argument")
        new = name if name not in self.taken else fresh(f"{name}B", self.taken)
        self.taken.add(new)
        self.renamed[name] = new
        self.params[new] = sc.Param(new, self.b_params[name].default)
        return new

    def _named_control(self, call: sc.Call) -> sc.Node:
        named = named_control(call)
        if named is None:
            return call
        if named[0] not in self.named:
            new = named[0] if named[0] not in self.taken else fresh(f"{named[0]}B", self.taken)
            self.taken.add(new)
            self.named[named[0]] = new
        new = self.named[named[0]]
        if new == named[0]:
            return call
        if isinstance(call.receiver, sc.Symbol):
            return replace(call, receiver=sc.Symbol(new))
        return replace(call, args=(sc.Symbol(new), *call.args[1:]))


def closed_copy(
    graph_a: Graph,
    graph_b: Graph,
    nodes: list[sc.Node],
    hole: sc.Node | None = None,
    *,
    spectral: bool = False,
    throughout: bool = False,
    readers: frozenset[str] = frozenset(),
) -> list[Material]:
    """Closed copies of B's ``nodes`` (found in B's graph function by identity) for A; the
    controls each needs are collected once for the whole set. Every part equal to ``hole``
    (B's input to a section) becomes the name :data:`SIGNAL`, for :func:`fill`; in a
    ``spectral`` section (see the module doc), or ``throughout``, also inside the variables
    it reads. The ``readers`` named may be copied although they read a buffer: the caller
    gives them one. NotApplicable when one cannot be moved."""
    copier = _Copier(graph_a, graph_b, spectral, hole, throughout=throughout, readers=readers)
    copies = []
    for node in nodes:
        where = position_of(graph_b.function, node)
        if where is None:
            raise NotApplicable("the material is outside B's graph function")
        copies.append(copier.copy(node, where, hole))
    params = tuple(copier.params.values())
    return [Material(node, params) for node in copies]


def add_params(function: sc.FunctionDef, params: tuple[sc.Param, ...]) -> sc.FunctionDef:
    """The function with the controls it lacks appended to its arguments."""
    have = {p.name for p in function.params}
    extra = tuple(p for p in params if p.name not in have)
    return replace(function, params=(*function.params, *extra)) if extra else function


def fill(node: sc.Node, signal: sc.Node) -> sc.Node:
    """A copied section with A's ``signal`` where :data:`SIGNAL` stands. A channel B picks
    from its input (``source[0]``) is picked as ``signal.asArray.wrapAt(0)``: A's signal may
    be a single channel, which cannot be indexed."""
    whole = sc.Paren((signal,)) if isinstance(signal, sc.BinaryOp) else signal

    def pick(found: sc.Node) -> sc.Node:
        if isinstance(found, sc.Index) and found.receiver == sc.Name(SIGNAL) and not found.dot:
            return sc.Call(sc.Call(whole, "asArray", parens=False), "wrapAt", found.args)
        return found

    picked = sc.transform(node, pick)
    return sc.transform(picked, lambda found: signal if found == sc.Name(SIGNAL) else found)


def enclosing_section(function: sc.FunctionDef, call: sc.Call) -> sc.Node:
    """The expression of B to move for a stage ``call``: the call itself, or, when it sits in
    an inner function (``Mix.fill(7, { ... DelayC.ar(src, ...) })``), the whole value of the
    statement holding it (the output's signal argument when that statement is the output)."""
    for statement in (*(d for v in function.var_decls for d in v.defs), *function.body):
        root = statement.value if isinstance(statement, sc.VarDef | sc.Assign) else statement
        if root is None or not any(found is call for found in sc.walk(root)):
            continue
        nested = False
        chain: list[sc.Node] = []
        for found, _ in _path(root, call):
            chain.append(found)
            if isinstance(found, sc.FunctionDef):
                nested = True
        if not nested:
            return call
        for found in chain:  # the outermost part below an output call
            if isinstance(found, sc.Call) and class_of(found) in _OUTPUTS:
                continue
            if isinstance(found, sc.FunctionDef):
                break
            return found
        return root
    return call


_OUTPUTS: Final = frozenset({"Out", "OffsetOut", "ReplaceOut", "XOut"})


def _path(root: sc.Node, target: sc.Node) -> list[tuple[sc.Node, int]]:
    """The nodes from ``root`` down to ``target`` (excluded), by identity."""
    stack: list[tuple[sc.Node, list[tuple[sc.Node, int]]]] = [(root, [])]
    while stack:
        node, trail = stack.pop()
        if node is target:
            return trail
        for index, child in enumerate(sc.children(node)):
            stack.append((child, [*trail, (node, index)]))
    return []
