"""parse_synthdef: what a SynthDef is made of, read from its source without running it.

Controls come from the graph function's own arguments (both ``arg a = 1;`` and ``|a = 1|``
styles, with the SynthDef's ``rates`` argument and ``t_``/``i_`` prefixes giving their rates and
lags) and from NamedControls anywhere in the graph (``\\freq.kr(440)``, ``\\amp.kr(0.1, 0.05)``,
``NamedControl.kr(\\cut, 1200)``); never from the arguments of inner functions. An argument
without a default is 0.0, as sclang makes it; so is a default that is no number (a symbol,
``nil``); with ``metadata: (specs: ...)`` an argument without a default takes its spec's default
instead, as does a NamedControl given a spec and no value. An argument's default in parentheses
is a literal only when they hold one (``(-0.1)``); an expression there (``(1 + 2)``) runs only
when the function is called without that argument, so the control is made as for no default.
Arithmetic on literals in a NamedControl's value (``\\f.kr(220 * 2)``) is folded, as sclang
evaluates it. Controls that a class adds by itself (``EnvGate``: ``gate`` and ``fadeTime``) and
the arguments of a ``SynthDef.wrap``-ped literal function count too. When the compiled SynthDef
is at hand (``parse_synthdef(..., scgf=bytes)``), its controls are the ground truth for names,
order and defaults; so are they when a default is an expression that only sclang can evaluate
(``Control.names(\\env).kr(Env.newClear(8).asArray)``): the code is then compiled, if sclang is
installed (None stays where it is not). Files are read as sclang reads them: bytes, not a text
encoding (see ``audiomancer.supercollider.source``). UGens are grouped by family
(``audiomancer.supercollider.ugens``). The category is taken from a ``// category: NAME``
comment when there is one, else guessed from the name, the default frequency and the UGens.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from audiomancer.errors import SynthDefError
from audiomancer.supercollider import syntax as sc
from audiomancer.supercollider.ugens import FAMILIES, family_of

Category = Literal["bass", "lead", "pad", "drum", "fx"]
CATEGORIES: Final[tuple[Category, ...]] = ("bass", "lead", "pad", "drum", "fx")
ControlRate = Literal["kr", "ar", "ir", "tr"]
Default = float | list[float] | None

_CATEGORY_COMMENT: Final = r"(?i)//\s*category:\s*(\w+)"
_NAME_HINTS: Final[tuple[tuple[Category, tuple[str, ...]], ...]] = (
    ("drum", ("kick", "snare", "hat", "hh", "clap", "drum", "perc", "tom", "cymbal", "ride",
              "crash", "rim", "cowbell", "bd", "sn")),
    ("bass", ("bass", "303", "sub", "acid", "reese")),
    ("pad", ("pad", "string", "ambient", "drone", "choir", "swell")),
    ("fx", ("fx", "riser", "zap", "laser", "sweep", "noise", "impact", "whoosh", "glitch")),
    ("lead", ("lead", "pluck", "keys", "organ", "piano", "bell", "arp", "synth")),
)  # fmt: skip


@dataclass(frozen=True)
class SynthControl:
    """A control (parameter) of a SynthDef: name, default, rate and lag where given."""

    name: str
    default: Default = None
    rate: ControlRate = "kr"
    lag: float | None = None


@dataclass(frozen=True)
class SynthDefInfo:
    """A parsed SynthDef: its name, code, controls, UGens by family and category."""

    name: str
    source_code: str
    controls: list[SynthControl] = field(default_factory=list)
    ugens: dict[str, list[str]] = field(default_factory=dict)
    category: Category = "lead"
    path: Path | None = None

    def control(self, name: str) -> SynthControl | None:
        """The control called ``name``, if the SynthDef has one."""
        return next((c for c in self.controls if c.name == name), None)

    @property
    def control_names(self) -> list[str]:
        """Names of the controls, in order."""
        return [c.name for c in self.controls]


def parse_synthdef(
    source: str | Path, name: str | None = None, *, scgf: bytes | None = None
) -> SynthDefInfo:
    """Parse a SynthDef from a ``.scd`` path or from source code.

    A ``str`` naming an existing ``.scd`` file is read as that file. With several SynthDefs in
    the code, ``name`` picks one (the first otherwise; ``parse_synthdefs`` gives all).
    SynthDefError (with line and column for syntax errors) if the code is malformed, holds no
    SynthDef or none called ``name``. ``scgf``: the SynthDef as sclang compiled it; its
    controls (names, order, defaults) replace those read from the source.
    """
    infos = _parse_all(source, ask_sclang=scgf is None)
    found = infos[0] if name is None else next((i for i in infos if i.name == name), None)
    if found is not None:
        return found if scgf is None else with_compiled_controls(found, scgf)
    raise SynthDefError(
        f"no SynthDef named {name!r} in the code: it defines {', '.join(i.name for i in infos)}"
    )


def parse_synthdefs(source: str | Path) -> list[SynthDefInfo]:
    """Every SynthDef in a file or code, in order (see parse_synthdef)."""
    return _parse_all(source, ask_sclang=True)


def _parse_all(source: str | Path, *, ask_sclang: bool) -> list[SynthDefInfo]:
    text, path = _read(source)
    program = sc.parse(text)
    found = sc.find_synthdefs(program)
    if not found:
        where = f" in {path}" if path else ""
        raise SynthDefError(f"no SynthDef(...) found{where}")
    category_hint = _category_comment(text) if len(found) == 1 else None
    names, compiled = _names(found, text)
    infos = []
    for node, name in zip(found, names, strict=True):
        graph = node.graph or _defined_function(program, node.function)
        code = _synthdef_code(program, node, graph, text)
        infos.append(_info(name, node, graph, code, path, category_hint))
    if ask_sclang and not compiled and any(_unread(info) for info in infos):
        compiled = _compiled_if_possible(text)
    # When sclang had to run the code anyway, what it compiled is the ground truth.
    return [
        with_compiled_controls(info, compiled[info.name]) if info.name in compiled else info
        for info in infos
    ]


def _unread(info: SynthDefInfo) -> bool:
    """A control whose default the source alone cannot tell (an expression such as
    ``Control.names(\\env).kr(Env.newClear(8).asArray)`` or ``Array.fill(4, 0.05)``)."""
    return any(control.default is None for control in info.controls)


def _compiled_if_possible(text: str) -> dict[str, bytes]:
    """What sclang compiles of the code, to read defaults only it can evaluate; nothing when
    sclang is not installed or the code does not compile (the defaults stay unknown, None)."""
    from audiomancer.errors import AudiomancerError
    from audiomancer.supercollider import lang

    try:
        return lang.compile_synthdefs(text)
    except AudiomancerError:
        return {}


def _read(source: str | Path) -> tuple[str, Path | None]:
    if isinstance(source, Path) or (
        "\n" not in source and source.endswith(".scd") and Path(source).is_file()
    ):
        from audiomancer.supercollider.source import read_source

        path = Path(source)
        return read_source(path), path
    return source, None


def _synthdef_code(
    program: sc.Program, node: sc.SynthDefNode, graph: sc.FunctionDef | None, text: str
) -> str:
    """The code of the SynthDef alone: never a file's other statements (DESIGN §9).

    A file that is just the SynthDef (maybe in parentheses, with comments) keeps its text;
    otherwise the SynthDef expression (with ``.add`` and the like) is printed on its own, with a
    graph function the file held in a variable written in place, after the inert
    ``~name = value;`` definitions it reads (they are data it needs, not statements that do
    anything when run).
    """
    parents = {id(n): parent for n, parent in sc.walk_with_parents(program)}
    top: sc.Node = node.call
    while isinstance(parent := parents.get(id(top)), sc.Call) and parent.receiver is top:
        top = parent
    if not program.var_decls and len(program.body) == 1 and program.body[0] is top:
        return text
    if _inside_function(node.call, parents):
        # Built by a helper (``~makeFX = { |name, func| SynthDef(name, {...}).add };
        # ~makeFX.value("fx", {...})``): alone it names variables only the file defines, so
        # the file is the SynthDef's code.
        return text
    definitions = _environment_definitions(program, top)
    if node.graph is None and graph is not None and node.function is not None:
        top = sc.replace_node(top, node.function, graph)
    if definitions:
        return sc.print_code(sc.Program(body=(*definitions, top)))
    return sc.print_code(top)


def _environment_definitions(program: sc.Program, top: sc.Node) -> list[sc.Node]:
    """The ``~name = value;`` statements before the SynthDef whose names it reads (directly
    or through another one kept), in file order, when their values are inert: literals,
    arrays and events of them, functions (which run only when the SynthDef calls them). A
    statement that does something when run (``~bus = Bus.audio(s, 2)``) is never kept."""
    index = next((i for i, s in enumerate(program.body) if _holds(s, top)), None)
    if index is None:
        return []
    last: dict[str, sc.Assign] = {}
    for statement in program.body[:index]:
        if isinstance(statement, sc.Assign) and isinstance(statement.target, sc.EnvVar):
            last[statement.target.name] = statement
    kept: dict[str, sc.Assign] = {}
    pending = _environment_reads(top)
    while pending:
        name = pending.pop()
        if name in kept or name not in last or not _inert(last[name].value):
            continue
        kept[name] = last[name]
        pending |= _environment_reads(last[name].value)
    chosen = {id(statement) for statement in kept.values()}
    return [s for s in program.body[:index] if id(s) in chosen]


def _holds_function(node: sc.Node) -> bool:
    return any(isinstance(found, sc.FunctionDef) for found in sc.walk(node))


def _holds(statement: sc.Node, node: sc.Node) -> bool:
    return any(found is node for found in sc.walk(statement))


def _environment_reads(node: sc.Node) -> set[str]:
    return {found.name for found in sc.walk(node) if isinstance(found, sc.EnvVar)}


def _inert(node: sc.Node) -> bool:
    """A value that does nothing when it is evaluated (no message is sent)."""
    if isinstance(node, sc.Number | sc.String | sc.Symbol | sc.Char | sc.Constant):
        return True
    if isinstance(node, sc.LiteralArray | sc.FunctionDef | sc.EnvVar):
        return True
    if isinstance(node, sc.Array):
        return node.class_name is None and all(_inert(e) for e in node.elements)
    if isinstance(node, sc.Event):
        return all(_inert(e.value) and isinstance(e.key, str | sc.Symbol) for e in node.entries)
    if isinstance(node, sc.Paren):
        return all(_inert(e) for e in node.body)
    if isinstance(node, sc.BinaryOp):  # arithmetic on data; `{ ... } ! 3` runs the function
        return not _holds_function(node) and _inert(node.left) and _inert(node.right)
    if isinstance(node, sc.Ref):
        return _inert(node.value)
    return False


def _inside_function(node: sc.Node, parents: dict[int, sc.Node | None]) -> bool:
    current = parents.get(id(node))
    while current is not None:
        if isinstance(current, sc.FunctionDef):
            return True
        current = parents.get(id(current))
    return False


def _info(
    name: str,
    node: sc.SynthDefNode,
    graph: sc.FunctionDef | None,
    code: str,
    path: Path | None,
    category_hint: str | None,
) -> SynthDefInfo:
    specs = _metadata_specs(node.metadata)
    controls = _argument_controls(graph, node.rates, node.prepend_args, specs) if graph else []
    body: sc.Node | None = graph or node.function
    controls += _named_controls(body, specs)
    ugens = ugens_by_family(body) if body else {}
    category = guess_category(name, controls, ugens, category_hint)
    return SynthDefInfo(name, code, controls, ugens, category, path)


def _defined_function(program: sc.Program, node: sc.Node | None) -> sc.FunctionDef | None:
    """The function a variable holds, for ``graph = { ... }; SynthDef(\\x, graph)``."""
    if not isinstance(node, sc.Name):
        return None
    for candidate in sc.walk(program):
        defines = (isinstance(candidate, sc.VarDef) and candidate.name == node.name) or (
            isinstance(candidate, sc.Assign) and candidate.target == node
        )
        value = getattr(candidate, "value", None) if defines else None
        if isinstance(value, sc.FunctionDef):
            return value
    return None


def _names(found: list[sc.SynthDefNode], text: str) -> tuple[list[str], dict[str, bytes]]:
    """The SynthDefs' names, and their compiled bytes when sclang had to tell the names."""
    literal = [node.name_value for node in found]
    if all(name is not None for name in literal):
        return [name for name in literal if name is not None], {}
    # A name computed by an expression, as in ("pad_" ++ 3).asSymbol or a variable: only
    # SuperCollider knows it, so evaluate the code and read the names of the SynthDefs it made.
    from audiomancer.supercollider import lang

    compiled = lang.compile_synthdefs(text)
    made = list(compiled)
    if len(made) != len(found):
        raise SynthDefError(
            f"the code builds {len(made)} SynthDefs where {len(found)} SynthDef(...) calls "
            "are written: cannot tell which name belongs to which"
        )
    return made, compiled


# --- specs ---------------------------------------------------------------------------------


class _Unread:
    """Metadata whose specs the source alone cannot tell (a variable, a computed event)."""


_UNREAD: Final = _Unread()
Specs = dict[str, sc.Node] | _Unread | None
"""A SynthDef's ``metadata: (specs: (...))`` by control name; None when it has none."""

_GLOBAL_SPECS: Final[dict[str, float]] = {
    "amp": 0.0, "ampx4": 0.0, "audiobus": 0.0, "beats": 0.0, "bipolar": 0.0, "boostcut": 0.0,
    "controlbus": 0.0, "db": -math.inf, "delay": 0.3, "detune": 0.0, "fadePx": 0.02,
    "freq": 440.0, "lofreq": 6.0, "midfreq": 440.0, "midi": 64.0, "midinote": 60.0,
    "midivelocity": 64.0, "pan": 0.0, "phase": 0.0, "rate": 1.0, "rq": 0.707,
    "unipolar": 0.0, "widefreq": 440.0,
}  # fmt: skip
"""The defaults of sclang's global ControlSpecs (``Spec.specs``), which ``\\freq.asSpec``
names, as SuperCollider 3.13 defines them."""

_CONTROL_SPEC_PARAMS: Final = ("minval", "maxval", "warp", "step", "default")


def _metadata_specs(metadata: sc.Node | None) -> Specs:
    """The ``specs`` of a SynthDef's ``metadata: (specs: (cut: \\freq, ...))``."""
    if metadata is None:
        return None
    if not isinstance(metadata, sc.Event):
        return _UNREAD  # a variable or an expression: it may hold specs
    entry = next((e for e in metadata.entries if _key(e) == "specs"), None)
    if entry is None:
        return None
    if not isinstance(entry.value, sc.Event):
        return _UNREAD
    specs: dict[str, sc.Node] = {}
    for spec in entry.value.entries:
        key = _key(spec)
        if key is None:
            return _UNREAD
        specs[key] = spec.value
    return specs


def _key(entry: sc.KeyValue) -> str | None:
    if isinstance(entry.key, str):
        return entry.key
    if isinstance(entry.key, sc.Symbol):
        return entry.key.name
    return None


def spec_default(spec: sc.Node) -> Default:
    """The default of ``spec.asSpec``: a global spec's name (``\\freq``), an array
    (``[20, 2000, \\exp, 0, 300]``) or a ``ControlSpec(...)``, whose default is its minimum
    unless given. None where only sclang can tell (an unknown name, an expression)."""
    if isinstance(spec, sc.Symbol):
        return _GLOBAL_SPECS.get(spec.name)
    if isinstance(spec, sc.String):
        return _GLOBAL_SPECS.get(spec.value)
    if isinstance(spec, sc.Call) and spec.selector == "asSpec" and spec.receiver is not None:
        return spec_default(spec.receiver)
    if isinstance(spec, sc.Array | sc.LiteralArray):
        return _control_spec_default(list(spec.elements), {})
    if isinstance(spec, sc.Call) and spec.receiver == sc.ClassName("ControlSpec"):
        return _control_spec_default(list(spec.args), {k.name: k.value for k in spec.kwargs})
    return None


def _control_spec_default(args: list[sc.Node], keywords: dict[str, sc.Node]) -> Default:
    given = dict(zip(_CONTROL_SPEC_PARAMS, args, strict=False)) | keywords
    default = given.get("default")
    if default is None or default == sc.Constant("nil"):
        default = given.get("minval", sc.Number("0"))
    return literal_value(default)


# --- controls -----------------------------------------------------------------------------


def _divide(a: float, b: float) -> float:
    return a / b if b else math.nan


_FOLDABLE: Final[dict[str, Callable[[float, float], float]]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
}


def literal_value(node: sc.Node | None) -> Default:
    """The number or list of numbers a default spells, None if it is no literal.

    Parentheses and ``+ - * /`` between literals (and between an array and a number, element
    by element) are folded, as sclang evaluates them before making the control.
    """
    if isinstance(node, sc.Number):
        return float(node.value)
    if isinstance(node, sc.Paren) and len(node.body) == 1:
        return literal_value(node.body[0])
    if isinstance(node, sc.Array | sc.LiteralArray):
        values = [literal_value(element) for element in node.elements]
        if all(isinstance(v, float) for v in values):
            return [v for v in values if isinstance(v, float)]
    if isinstance(node, sc.Ref):
        return literal_value(node.value)
    if isinstance(node, sc.BinaryOp) and node.op in _FOLDABLE and node.adverb is None:
        left, right = literal_value(node.left), literal_value(node.right)
        apply = _FOLDABLE[node.op]
        if isinstance(left, float) and isinstance(right, float):
            return float(apply(left, right))
        if isinstance(left, list) and isinstance(right, float):
            return [float(apply(v, right)) for v in left]
        if isinstance(left, float) and isinstance(right, list):
            return [float(apply(left, v)) for v in right]
    return None


def _argument_default(node: sc.Node | None, name: str, specs: Specs) -> Default:
    """What sclang makes of an argument's default: no default (or nil) is 0.0, or, when the
    SynthDef's metadata has specs, the default of the argument's spec; a symbol is 0.0."""
    node = _argument_literal(node)
    if node is None or node == sc.Constant("nil"):
        if specs is None:
            return 0.0
        if isinstance(specs, _Unread):
            return None
        # sclang: (specs[name] ?? { name }).asSpec.default, and 0 where that is nil (a name
        # no global spec has).
        spec = specs.get(name, sc.Symbol(name))
        default = spec_default(spec)
        return 0.0 if default is None and isinstance(spec, sc.Symbol | sc.String) else default
    if isinstance(node, sc.Symbol | sc.String | sc.Constant):
        return 0.0
    if isinstance(node, sc.LiteralArray):  # a symbol in #[\\x, 1] is 0 too
        return literal_value(sc.LiteralArray(tuple(_number_or_zero(e) for e in node.elements)))
    return literal_value(node)


def _argument_literal(node: sc.Node | None) -> sc.Node | None:
    """The literal an argument's default holds, None when it holds none. Parentheses around
    one literal (``(-0.1)``, ``(#[1, 2])``) keep it; around an expression (``(1 + 2)``,
    ``([1, 2])``, ``(pi / 2)``) they make code that runs when the function is called, so
    sclang's prototype frame has nil there, as for no default at all."""
    while isinstance(node, sc.Paren) and len(node.body) == 1:
        node = node.body[0]
    literal = sc.Number | sc.LiteralArray | sc.Symbol | sc.String | sc.Constant | sc.Char
    return node if isinstance(node, literal) else None


def _number_or_zero(node: sc.Node) -> sc.Node:
    return sc.Number("0") if isinstance(node, sc.Symbol | sc.String | sc.Constant) else node


def _argument_controls(
    graph: sc.FunctionDef,
    rates: sc.Node | None,
    prepend: sc.Node | None,
    specs: Specs = None,
) -> list[SynthControl]:
    rate_entries = rates.elements if isinstance(rates, sc.Array | sc.LiteralArray) else ()
    # The first arguments receive the SynthDef's prependArgs instead of becoming controls.
    skip = len(prepend.elements) if isinstance(prepend, sc.Array | sc.LiteralArray) else 0
    controls = []
    for index, param in enumerate(graph.params):
        if index < skip:
            continue
        rate: ControlRate = "kr"
        lag: float | None = None
        if param.name.startswith("t_"):
            rate = "tr"
        elif param.name.startswith("i_"):
            rate = "ir"
        entry = rate_entries[index] if index < len(rate_entries) else None
        if isinstance(entry, sc.Symbol) and entry.name in ("ir", "tr", "ar", "kr"):
            rate = entry.name  # type: ignore[assignment]
        elif isinstance(entry, sc.Number) and float(entry.value) > 0:
            lag = float(entry.value)
        default = _argument_default(param.default, param.name, specs)
        controls.append(SynthControl(param.name, default, rate, lag))
    return controls


def _named_controls(function: sc.Node | None, specs: Specs = None) -> list[SynthControl]:
    """The controls the graph makes as it runs. NamedControls of one name are one control
    (``\\amp.kr`` twice, EnvGate's ``gate``); one named like an argument, ``Control.names``
    and a wrapped function's arguments are controls of their own, as sclang makes them."""
    if function is None:
        return []
    controls = []
    named: set[str] = set()
    for call in sc.find_calls(function):
        shared = _makes_named_controls(call)
        for found in _named_controls_of(call, specs):
            if shared and found.name in named:
                continue
            if shared:
                named.add(found.name)
            controls.append(found)
    return controls


def _makes_named_controls(call: sc.Call) -> bool:
    return (
        call.receiver == sc.ClassName("EnvGate")
        or call.receiver == sc.ClassName("NamedControl")
        or isinstance(call.receiver, sc.Symbol)
    )


_ENV_GATE: Final = (SynthControl("gate", 1.0), SynthControl("fadeTime", 0.02))
"""The NamedControls ``EnvGate`` makes when it is not given a gate and a fade time."""


def _named_controls_of(call: sc.Call, specs: Specs) -> list[SynthControl]:
    if call.receiver == sc.ClassName("EnvGate"):
        keywords = {k.name for k in call.kwargs}
        given = [
            len(call.args) > 1 or "gate" in keywords,
            len(call.args) > 2 or "fadeTime" in keywords,
        ]
        return [control for control, set_ in zip(_ENV_GATE, given, strict=True) if not set_]
    if call.receiver == sc.ClassName("SynthDef") and call.selector == "wrap":
        return _wrapped_controls(call, specs)
    if call.receiver == sc.ClassName("NamedControl") and call.selector == "new":
        found = _constructed_named_control(call)
        return [found] if found is not None else []
    if call.selector not in ("kr", "ar", "ir", "tr"):
        return []
    receiver = call.receiver
    if (
        isinstance(receiver, sc.Call)
        and receiver.receiver == sc.ClassName("Control")
        and receiver.selector == "names"
        and receiver.args
        and isinstance(receiver.args[0], sc.Array | sc.LiteralArray | sc.Symbol)
    ):
        return _control_names(call, receiver.args[0])
    found = _named_control(call)
    return [found] if found is not None else []


def _wrapped_controls(call: sc.Call, specs: Specs) -> list[SynthControl]:
    """``SynthDef.wrap({ |in, rate = 1| ... }, rates, [sig])``: the arguments after the
    prepended ones become controls (only a function written in place can be read); the
    SynthDef being built lends them its metadata specs."""
    function = call.args[0] if call.args else None
    if not isinstance(function, sc.FunctionDef):
        return []
    rates = call.args[1] if len(call.args) > 1 else None
    prepend = call.args[2] if len(call.args) > 2 else None
    return _argument_controls(function, rates, prepend, specs)


def _control_names(
    call: sc.Call, names: sc.Array | sc.LiteralArray | sc.Symbol
) -> list[SynthControl]:
    """``Control.names([\\a, \\b]).kr([1, 2])``: one control per name, values shared out."""
    if isinstance(names, sc.Symbol):
        names = sc.Array((names,))
    symbols = [n.name for n in names.elements if isinstance(n, sc.Symbol)]
    values = literal_value(call.args[0]) if call.args else 0.0
    rate: ControlRate = call.selector  # type: ignore[assignment]
    if len(symbols) == 1:
        return [SynthControl(symbols[0], values, rate)]
    if isinstance(values, float):
        values = [values] * len(symbols)  # one value for every name
    shared = values if isinstance(values, list) and len(values) == len(symbols) else None
    return [
        SynthControl(name, shared[index] if shared else None, rate)
        for index, name in enumerate(symbols)
    ]


def _named_control(call: sc.Call) -> SynthControl | None:
    """``\\name.kr(default, lag)`` or ``NamedControl.kr(\\name, default, lag)``."""
    args = list(call.args)
    first = args[0] if args else None
    if isinstance(call.receiver, sc.Symbol):
        name = call.receiver.name
        # Symbol: kr(val, lag, fixedLag, spec), ar(val, lag, spec), ir(val, spec), tr(val, spec)
        lag_at, spec_at = {"kr": (1, 3), "ar": (1, 2)}.get(call.selector, (None, 1))
    elif call.receiver == sc.ClassName("NamedControl") and isinstance(first, sc.Symbol):
        name = first.name
        args.pop(0)
        # NamedControl: kr(name, values, lags, fixedLag, spec), ar/ir/tr(name, values, lags, spec)
        lag_at, spec_at = 1, 3 if call.selector == "kr" else 2
    else:
        return None
    keywords = {k.name: k.value for k in call.kwargs}
    value = _given(args, 0) or keywords.get("values") or keywords.get("val")
    spec = _given(args, spec_at) or keywords.get("spec")
    default = _value_or_spec_default(value, spec)
    lag_node = _given(args, lag_at) or keywords.get("lags") or keywords.get("lag")
    lag = literal_value(lag_node)
    rate: ControlRate = call.selector  # type: ignore[assignment]
    return SynthControl(name, default, rate, lag if isinstance(lag, float) else None)


_NAMED_CONTROL_RATES: Final[dict[str, ControlRate]] = {
    "control": "kr", "audio": "ar", "scalar": "ir", "trigger": "tr"
}  # fmt: skip


def _constructed_named_control(call: sc.Call) -> SynthControl | None:
    """``NamedControl(\\name, values, rate, lags, fixedLag, spec)``: a kr control unless the
    rate says otherwise."""
    args = list(call.args)
    if not args or not isinstance(args[0], sc.Symbol):
        return None
    keywords = {k.name: k.value for k in call.kwargs}
    rate_node = _given(args, 2) or keywords.get("rate")
    rate = (
        _NAMED_CONTROL_RATES.get(rate_node.name, "kr") if isinstance(rate_node, sc.Symbol) else "kr"
    )
    value = _given(args, 1) or keywords.get("values")
    spec = _given(args, 5) or keywords.get("spec")
    default = _value_or_spec_default(value, spec)
    lag = literal_value(_given(args, 3) or keywords.get("lags"))
    return SynthControl(args[0].name, default, rate, lag if isinstance(lag, float) else None)


def _value_or_spec_default(value: sc.Node | None, spec: sc.Node | None) -> Default:
    """A NamedControl's default: its value; with none, 0.0, or the default of the spec
    (``spec.asSpec.default``) when one is given."""
    if value is not None:
        return literal_value(value)
    return 0.0 if spec is None else spec_default(spec)


def _given(args: list[sc.Node], index: int | None) -> sc.Node | None:
    """The positional argument at ``index``, None where it is absent or ``nil``."""
    if index is None or index >= len(args) or args[index] == sc.Constant("nil"):
        return None
    return args[index]


# --- the compiled SynthDef as ground truth --------------------------------------------------


def compiled_controls(scgf: bytes) -> list[tuple[str, list[float]]]:
    """(name, default values) of each control of the first SynthDef in SCgf bytes, in the
    order sclang lists them. SynthDefError when the bytes are no SynthDef file."""
    from audiomancer.supercollider.scgf import read_scgf

    return [(name, list(values)) for name, values in read_scgf(scgf).controls]


def with_compiled_controls(info: SynthDefInfo, scgf: bytes) -> SynthDefInfo:
    """``info`` with the controls sclang compiled: names, order and defaults from the bytes,
    rate and lag from the source where it names the control (``kr`` otherwise)."""
    from dataclasses import replace

    known = {c.name: c for c in info.controls}
    controls = []
    for name, values in compiled_controls(scgf):
        source = known.get(name)
        default: Default = values[0] if len(values) == 1 else values
        if source is not None and isinstance(source.default, list) and len(values) == 1:
            default = values  # a one-element array stays an array
        rate: ControlRate = source.rate if source else "kr"
        controls.append(SynthControl(name, default, rate, source.lag if source else None))
    return replace(info, controls=controls)


# --- UGens and category -------------------------------------------------------------------


def ugens_by_family(function: sc.Node) -> dict[str, list[str]]:
    """UGen classes used in a graph, grouped by family, each list sorted, no repeats."""
    groups: dict[str, set[str]] = {}
    for call in sc.find_calls(function):
        ugen = _ugen_call(call)
        if ugen is not None:
            class_name, rate = ugen
            groups.setdefault(family_of(class_name, rate), set()).add(class_name)
    return {family: sorted(groups[family]) for family in FAMILIES if family in groups}


def _ugen_call(call: sc.Call) -> tuple[str, str | None] | None:
    """(class, rate) when a call creates a UGen: ``Saw.ar``, ``Env.perc(...).kr``, ``Out``."""
    if isinstance(call.receiver, sc.ClassName) and call.receiver.name[0].isupper():
        if call.selector in ("ar", "kr", "ir", "new") or call.style == "new":
            return call.receiver.name, call.selector if call.selector != "new" else None
        if call.receiver.name == "Env":
            return "Env", None
    return None


def guess_category(
    name: str,
    controls: Iterable[SynthControl],
    ugens: dict[str, list[str]],
    hint: str | None = None,
) -> Category:
    """bass, lead, pad, drum or fx: from a comment hint, the name, then the sound's make-up."""
    for category in CATEGORIES:
        if hint == category:
            return category
    lowered = name.lower()
    for category, words in _NAME_HINTS:
        if any(word in re.split(r"[_\W\d]+", lowered) or lowered.startswith(word)
               for word in words):  # fmt: skip
            return category
    by_name = {c.name: c for c in controls}
    freq = by_name.get("freq")
    has_freq = freq is not None and isinstance(freq.default, float)
    if has_freq and freq is not None and isinstance(freq.default, float) and freq.default < 160:
        return "bass"
    if not has_freq:
        return "drum" if "noise" in ugens or "envelope" in ugens else "fx"
    attack = by_name.get("atk") or by_name.get("attack")
    if attack is not None and isinstance(attack.default, float) and attack.default >= 0.3:
        return "pad"
    return "lead"


def _category_comment(text: str) -> str | None:
    match = re.search(_CATEGORY_COMMENT, text)
    return match.group(1).lower() if match else None
