"""Variation operators on SynthDefs: pure edits of the parsed graph (DESIGN §4, §6).

Every operator takes a parsed :class:`~audiomancer.supercollider.syntax.Program` holding a
SynthDef, a seeded ``random.Random`` and a mutation ``amount`` (0.0-1.0), and returns the edited
program with a log of what it did in words a musician reads (``Saw → Pulse``, ``Added LFO
modulation to cutoff``, ``cutoff: 1200.0 → 1440.0``). An operator that finds nothing to act on
raises :class:`NotApplicable` with the reason; it never returns broken code on purpose. Whether
the result compiles and sounds is checked by the caller (``audiomancer.generators.synths``) with
the real sclang and scsynth.

Sections are found by UGen family anywhere in the graph, not by position:

- oscillators: audio-rate calls of :data:`OSC_SIGNATURES` classes (``Saw.ar``, ``Pulse.ar``, ...);
- filters: audio-rate calls of :data:`FILTER_SIGNATURES` classes, in three groups (low-pass,
  high-pass, band-pass) that swap within themselves, resonance converted between ``rq``,
  ``MoogFF``'s gain and the 0-1 ``res`` of DFM1/MoogLadder;
- envelopes: ``Env`` constructors (``Env.adsr``, ``Env.perc``, ``Env([..], [..])``, ...),
  ``Linen``, ``Line``, ``XLine``;
- effects: reverbs, delays and lo-fi UGens taking their input first (:data:`EFFECT_KINDS`);
- the output: ``Out``/``OffsetOut``/``ReplaceOut``/``XOut``. Operators never remove or re-route
  it, and never touch ``doneAction``, ``gate`` or other ways a synth frees itself.

Where a new stage goes (distortion, an added or transplanted effect, a filter): on the signal
variable that feeds the output (``sig`` in ``Out.ar(out, Pan2.ar(sig, pan))``), as a new statement
``sig = f(sig)`` just before the statement that scales it by the envelope and amplitude, or
after its last assignment; when the output is written inline (``Out.ar(out, SinOsc.ar(f) *
env)``) the output's signal argument itself is wrapped, level-compensated.

The eight mutation operators (:data:`MUTATIONS`, with the spec's probability weights; its
add/remove effects are :func:`add_distortion`, :func:`add_effect` and :func:`remove_effect`)
and the crossover stages (:func:`merge_controls`, :func:`transplant_filter`,
:func:`mix_effects`, all three in :func:`crossover`) are the DEAP-style "tools"; the algorithms
that pick and validate them live in ``audiomancer.generators.synths``. Further edits used by
``generate_synth``'s keywords (:func:`set_oscillator`, :func:`set_filter`,
:func:`add_filter_envelope`, :func:`scale_controls`, :func:`scale_envelope`,
:func:`detune_oscillators`, :func:`add_stage`) follow the same rules.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields, replace
from typing import Final, Literal, TypeVar

from audiomancer.errors import SynthDefError
from audiomancer.supercollider import syntax as sc
from audiomancer.supercollider.ugens import OUTPUTS, family_of

__all__ = [
    "EFFECT_KINDS",
    "FILTER_GROUPS",
    "FILTER_SIGNATURES",
    "MUTATIONS",
    "OSC_SIGNATURES",
    "OSC_TARGETS",
    "Graph",
    "NotApplicable",
    "Operator",
    "Result",
    "add_distortion",
    "add_effect",
    "add_filter_envelope",
    "add_lfo",
    "add_stage",
    "controls",
    "crossover",
    "detune_oscillators",
    "locate",
    "merge_controls",
    "mix_effects",
    "modify_envelope",
    "remove_effect",
    "rename",
    "role_of",
    "scale_controls",
    "scale_envelope",
    "scale_output",
    "set_filter",
    "set_oscillator",
    "signal_point",
    "swap_filter",
    "swap_oscillator",
    "transplant_filter",
    "tweak_defaults",
]


class NotApplicable(Exception):
    """An operator has nothing to act on in this SynthDef; the message says why."""


Result = tuple[sc.Program, list[str]]
Operator = Callable[[sc.Program, random.Random, float], Result]
N = TypeVar("N", bound=sc.Node)

# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

OSC_SIGNATURES: Final[dict[str, tuple[str, ...]]] = {
    "Saw": ("freq", "mul", "add"),
    "Pulse": ("freq", "width", "mul", "add"),
    "SinOsc": ("freq", "phase", "mul", "add"),
    "FSinOsc": ("freq", "iphase", "mul", "add"),
    "LFTri": ("freq", "iphase", "mul", "add"),
    "LFSaw": ("freq", "iphase", "mul", "add"),
    "LFPar": ("freq", "iphase", "mul", "add"),
    "LFCub": ("freq", "iphase", "mul", "add"),
    "VarSaw": ("freq", "iphase", "width", "mul", "add"),
    "LFPulse": ("freq", "iphase", "width", "mul", "add"),
    "SyncSaw": ("syncFreq", "sawFreq", "mul", "add"),
    "Blip": ("freq", "numharm", "mul", "add"),
}
"""Argument names of the oscillators a mutation swaps (all give a pitched, bipolar signal)."""

OSC_TARGETS: Final = (
    "Saw",
    "Pulse",
    "SinOsc",
    "LFTri",
    "VarSaw",
    "LFSaw",
    "LFPar",
    "LFCub",
    "Blip",
    "SyncSaw",
)
"""What an oscillator may become (LFPulse is unipolar and FSinOsc ignores modulation: not)."""

FILTER_SIGNATURES: Final[dict[str, tuple[str, ...]]] = {
    "LPF": ("in", "freq", "mul", "add"),
    "HPF": ("in", "freq", "mul", "add"),
    "RLPF": ("in", "freq", "rq", "mul", "add"),
    "RHPF": ("in", "freq", "rq", "mul", "add"),
    "BLowPass": ("in", "freq", "rq", "mul", "add"),
    "BLowPass4": ("in", "freq", "rq", "mul", "add"),
    "BHiPass": ("in", "freq", "rq", "mul", "add"),
    "BHiPass4": ("in", "freq", "rq", "mul", "add"),
    "MoogFF": ("in", "freq", "gain", "reset", "mul", "add"),
    "DFM1": ("in", "freq", "res", "inputgain", "type", "noiselevel", "mul", "add"),
    "MoogLadder": ("in", "ffreq", "res", "mul", "add"),
    "BPF": ("in", "freq", "rq", "mul", "add"),
    "Resonz": ("in", "freq", "bwr", "mul", "add"),
}
FILTER_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "lowpass": ("LPF", "RLPF", "MoogFF", "BLowPass", "BLowPass4", "DFM1", "MoogLadder"),
    "highpass": ("HPF", "RHPF", "BHiPass", "BHiPass4"),
    "bandpass": ("BPF", "Resonz"),
}
"""Filters swap within their group, so a low-pass stays a low-pass."""

ResonanceKind = Literal["rq", "moog", "unit"]
_RESONANCE: Final[dict[str, tuple[str, ResonanceKind]]] = {
    "RLPF": ("rq", "rq"), "RHPF": ("rq", "rq"), "BLowPass": ("rq", "rq"),
    "BLowPass4": ("rq", "rq"), "BHiPass": ("rq", "rq"), "BHiPass4": ("rq", "rq"),
    "BPF": ("rq", "rq"), "Resonz": ("bwr", "rq"), "MoogFF": ("gain", "moog"),
    "DFM1": ("res", "unit"), "MoogLadder": ("res", "unit"),
}  # fmt: skip
_GUARDED_FILTERS: Final = frozenset(
    {"BLowPass", "BLowPass4", "BHiPass", "BHiPass4", "DFM1", "MoogLadder"}
)
"""Filters whose frequency is kept below Nyquist with ``.clip(20, 18000)`` when swapped in."""

EffectKind = Literal["serial", "parallel"]
EFFECT_KINDS: Final[dict[str, EffectKind]] = {
    "FreeVerb": "serial", "GVerb": "serial", "JPverb": "serial", "Greyhole": "serial",
    "Decimator": "serial", "CrossoverDistortion": "serial", "Disintegrator": "serial",
    "SineShaper": "serial", "Squiz": "serial", "SmoothDecimator": "serial",
    "CombN": "parallel", "CombL": "parallel", "CombC": "parallel", "AllpassN": "parallel",
    "AllpassL": "parallel", "AllpassC": "parallel", "DelayN": "parallel", "DelayL": "parallel",
    "DelayC": "parallel", "PitchShift": "parallel", "FreqShift": "parallel",
}  # fmt: skip
"""Effects that take their input first: a serial one replaces the signal, a parallel one (a
delay, an echo) is mixed in beside it. Dynamics (Limiter, Compander) are not mixed."""

_ENV_CLASSES: Final = frozenset({"EnvGen", "IEnvGen", "Linen", "Line", "XLine", "Env"})
_SOUND_FAMILIES: Final = frozenset({"oscillator", "noise", "filter"})
_STRUCTURAL: Final = frozenset(
    {
        "out",
        "in",
        "inbus",
        "outbus",
        "bus",
        "buf",
        "bufnum",
        "buffer",
        "gate",
        "doneaction",
        "trig",
        "seed",
        "note",
        "midinote",
    }
)
_LEVEL_WORDS: Final = frozenset({"amp", "vel", "velocity", "gain", "level", "vol", "volume"})
_SIGNAL_NAMES: Final = ("sig", "snd", "son", "signal", "sound", "audio", "out", "x")

DEFAULT_STEPS: Final = (0.05, 0.10, 0.15, 0.20)
"""A control default moves by one of these fractions (of its value, or of its range)."""
ENVELOPE_STEPS: Final = (0.10, 0.20, 0.30)
"""An envelope time moves by one of these fractions of itself (the spec's ±30%)."""
CURVES: Final = (-8, -6, -4, -2, 0, 2, 4)
MAX_TIME: Final = 30.0
MIN_TIME: Final = 0.0005
NYQUIST_GUARD: Final = 18000.0


@dataclass(frozen=True)
class Role:
    """What a control does, guessed from its name: its sensible range and how to modulate it."""

    name: str
    low: float
    high: float
    scale: Literal["log", "lin"]
    lfo: Literal["exp", "lin", "add", "vibrato", "tremolo"] | None = None
    weight: int = 1
    """Preference when an LFO target is picked (filter cutoffs first)."""


_ROLES: Final[tuple[tuple[frozenset[str], Role], ...]] = (
    (frozenset({"cutoff", "cut", "ffreq", "fc", "cf", "filt", "filter", "lpf", "hpf", "bright",
                "brightness", "ctf", "lpfreq", "hpfreq"}),
     Role("cutoff", 20.0, 18000.0, "log", "exp", 5)),
    (frozenset({"rq", "bwr"}), Role("rq", 0.05, 1.0, "lin", "lin")),
    (frozenset({"res", "reso", "resonance", "q"}), Role("resonance", 0.0, 1.0, "lin", "lin")),
    (frozenset({"width", "pw", "pwm", "duty"}), Role("width", 0.02, 0.98, "lin", "add", 2)),
    (frozenset({"pan", "pos"}), Role("pan", -1.0, 1.0, "lin", "add")),
    (frozenset({"atk", "attack", "dec", "decay", "rel", "release", "time", "dur", "sweep",
                "slide", "glide", "lag", "porta", "hold", "echo", "delay"}),
     Role("time", MIN_TIME, MAX_TIME, "log")),
    (frozenset({"sus", "sustain"}), Role("level", 0.0, 1.0, "lin")),
    (frozenset({"rate", "speed", "lfo", "leslie", "morph", "tremolo"}),
     Role("rate", 0.01, 40.0, "log", "lin")),
    (frozenset({"detune", "spread", "drift", "chorus"}), Role("detune", 0.0, 10.0, "log", "lin")),
    (frozenset({"mix", "wet", "dry", "room", "damp", "depth", "vibrato", "metal", "tone",
                "snappy", "click", "coef", "drawbars", "harmonics", "vowel", "noise", "sub"}),
     Role("mix", 0.0, 1.0, "lin", "lin")),
    (frozenset({"drive", "dist", "index", "ratio", "punch", "drop", "envmod", "amount", "rise",
                "fm", "mod"}),
     Role("amount", 0.0, 100.0, "log", "lin")),
)  # fmt: skip
_FREQ_ROLE: Final = Role("freq", 20.0, 20000.0, "log", "vibrato")
_AMP_ROLE: Final = Role("amp", 0.0, 1.0, "lin", "tremolo")


def _name_tokens(name: str) -> list[str]:
    return [t.lower() for t in re.findall(r"[a-z]+|[A-Z][a-z]*|\d+", name)]


def role_of(name: str) -> Role | None:
    """The :class:`Role` of a control by its name; None for structural controls (out, gate...).

    >>> role_of("cutoff").name, role_of("filterFreq").name, role_of("out")
    ('cutoff', 'cutoff', None)
    """
    if name.startswith("t_"):
        return None
    bare = name[2:] if name.startswith("i_") else name
    lowered = bare.lower()
    if lowered in _STRUCTURAL or lowered.startswith(("bus", "buf")):
        return None
    if lowered == "freq":
        return _FREQ_ROLE
    if lowered in ("amp", "vel", "velocity", "level"):
        return _AMP_ROLE
    tokens = _name_tokens(bare)
    for words, role in _ROLES:
        if lowered in words or any(token in words for token in tokens):
            return role
    return Role("other", 0.0, math.inf, "log", "lin")


# --------------------------------------------------------------------------------------------
# Small node helpers
# --------------------------------------------------------------------------------------------


def _round(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def _num(value: float, digits: int = 3) -> sc.Number:
    return sc.Number.of(_round(float(value), digits))


def _fmt(value: float) -> str:
    """A number as the logs write it: ``1200.0``, ``0.25``."""
    return repr(float(value))


def _binop(left: sc.Node, op: str, right: sc.Node) -> sc.BinaryOp:
    return sc.BinaryOp(left, op, right)


def _method(receiver: sc.Node, selector: str, *args: sc.Node) -> sc.Call:
    return sc.Call(receiver, selector, tuple(args))


def _ugen(class_name: str, rate: str, *args: sc.Node) -> sc.Call:
    return sc.Call(sc.ClassName(class_name), rate, tuple(args))


def _class_of(node: sc.Node) -> str | None:
    if isinstance(node, sc.Call) and isinstance(node.receiver, sc.ClassName):
        return node.receiver.name
    return None


def _literal(node: sc.Node | None) -> float | None:
    if isinstance(node, sc.Number):
        value = float(node.value)
        return value if math.isfinite(value) else None
    return None


def _print(node: sc.Node) -> str:
    return sc.print_code(node)


def _map_nodes(root: N, mapping: dict[int, sc.Node]) -> N:
    """``root`` with the nodes whose ``id`` is a key replaced (none may contain another)."""
    if not mapping:
        return root
    result = sc.transform(root, lambda node: mapping.get(id(node), node))
    assert isinstance(result, type(root))
    return result


def _fresh(base: str, taken: Iterable[str]) -> str:
    used = set(taken)
    if base not in used:
        return base
    index = 2
    while f"{base}{index}" in used:
        index += 1
    return f"{base}{index}"


def _walk_calls(node: sc.Node) -> Iterator[sc.Call]:
    for found in sc.walk(node):
        if isinstance(found, sc.Call):
            yield found


# --------------------------------------------------------------------------------------------
# Finding the graph
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Graph:
    """A SynthDef in a program: the SynthDef call and its graph function."""

    program: sc.Program
    synthdef: sc.SynthDefNode
    function: sc.FunctionDef

    @property
    def label(self) -> str:
        """The SynthDef's name as written (a literal), or ``"SynthDef"``."""
        return self.synthdef.name_value or "SynthDef"

    def with_function(self, function: sc.FunctionDef) -> sc.Program:
        """The program with the graph function replaced."""
        if function is self.function:
            return self.program
        return _map_nodes(self.program, {id(self.function): function})

    @property
    def prepend_count(self) -> int:
        """How many leading arguments receive the SynthDef's prependArgs (not controls)."""
        prepend = self.synthdef.prepend_args
        return len(prepend.elements) if isinstance(prepend, sc.Array | sc.LiteralArray) else 0

    @property
    def param_names(self) -> list[str]:
        """Names of the graph function's arguments that are controls."""
        return [p.name for p in self.function.params[self.prepend_count :]]

    @property
    def local_names(self) -> list[str]:
        """Names declared by the graph function's own ``var`` lines."""
        return [d.name for decl in self.function.var_decls for d in decl.defs]

    def identifiers(self) -> set[str]:
        """Every name used or declared anywhere in the program (for picking fresh names)."""
        names = {n.name for n in sc.walk(self.program) if isinstance(n, sc.Name)}
        for node in sc.walk(self.program):
            if isinstance(node, sc.FunctionDef):
                names.update(node.param_names)
                names.update(d.name for decl in node.var_decls for d in decl.defs)
            elif isinstance(node, sc.VarDecl):
                names.update(d.name for d in node.defs)
        return names


def locate(program: sc.Program, name: str | None = None) -> Graph:
    """The SynthDef called ``name`` (else the first) and its graph function.

    The function may be written inline or held by a variable (``graph = {...}; SynthDef(\\x,
    graph)``). SynthDefError when the code holds no SynthDef or its function cannot be found.
    """
    found = sc.find_synthdefs(program)
    if not found:
        raise SynthDefError("no SynthDef(...) in the code")
    chosen = next((s for s in found if name is not None and s.name_value == name), found[0])
    function = chosen.graph or _defined_function(program, chosen.function)
    if function is None:
        raise SynthDefError(
            f"the graph function of SynthDef {chosen.name_value or ''!r} is not written in the code"
        )
    return Graph(program, chosen, function)


def _defined_function(program: sc.Program, node: sc.Node | None) -> sc.FunctionDef | None:
    if not isinstance(node, sc.Name):
        return None
    for candidate in sc.walk(program):
        if isinstance(candidate, sc.VarDef) and candidate.name == node.name:
            value: sc.Node | None = candidate.value
        elif isinstance(candidate, sc.Assign) and candidate.target == node:
            value = candidate.value
        else:
            continue
        if isinstance(value, sc.FunctionDef):
            return value
    return None


def rename(program: sc.Program, name: str) -> sc.Program:
    """The program with the SynthDef's name replaced by the symbol ``\\name``.

    ``name`` must already be a safe symbol (``[a-z][a-z0-9_]*``): it is written as is.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise ValueError(f"invalid SynthDef name {name!r}: expected letters, digits and _")
    graph = locate(program)
    old = graph.synthdef.name
    if old is None:
        raise SynthDefError("the SynthDef has no name argument to replace")
    return _map_nodes(program, {id(old): sc.Symbol(name)})


# --------------------------------------------------------------------------------------------
# Controls
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Control:
    """A control of the graph: a function argument or a NamedControl (``\\cutoff.kr(1200)``)."""

    name: str
    node: sc.Param | sc.Call
    default: sc.Node | None

    @property
    def value(self) -> float | None:
        """The default when it is a plain number."""
        return _literal(self.default)

    def with_default(self, value: sc.Node) -> sc.Param | sc.Call:
        """The node that declares this control with another default."""
        if isinstance(self.node, sc.Param):
            return replace(self.node, default=value)
        call = self.node
        index = 0 if isinstance(call.receiver, sc.Symbol) else 1
        args = list(call.args)
        if index < len(args):
            args[index] = value
        else:
            args.append(value)
        return replace(call, args=tuple(args))


def _named_control(call: sc.Call) -> tuple[str, sc.Node | None] | None:
    if call.selector not in ("kr", "ar", "ir", "tr"):
        return None
    if isinstance(call.receiver, sc.Symbol):
        return call.receiver.name, call.args[0] if call.args else None
    if (
        call.receiver == sc.ClassName("NamedControl")
        and call.args
        and isinstance(call.args[0], sc.Symbol)
    ):
        return call.args[0].name, call.args[1] if len(call.args) > 1 else None
    return None


def controls(graph: Graph) -> list[Control]:
    """The graph's controls in order: arguments first, then NamedControls (first use of each)."""
    found = [
        Control(param.name, param, param.default)
        for param in graph.function.params[graph.prepend_count :]
    ]
    seen = {c.name for c in found}
    for call in _walk_calls(graph.function):
        named = _named_control(call)
        if named is not None and named[0] not in seen:
            seen.add(named[0])
            found.append(Control(named[0], call, named[1]))
    return found


def _reads(graph: Graph, name: str) -> bool:
    """True when the graph function reads the variable ``name`` somewhere (not only assigns)."""
    for statement in (*graph.function.var_decls, *graph.function.body):
        for node in sc.walk(statement):
            if node == sc.Name(name):
                return True
    return False


def _assigned(graph: Graph, name: str) -> bool:
    return any(
        isinstance(node, sc.Assign) and node.target == sc.Name(name)
        for node in sc.walk(graph.function)
    )


def _substitute(node: N, name: str, make: Callable[[sc.Name], sc.Node]) -> N:
    """Every read of variable ``name`` replaced by ``make(Name)``; inner functions that declare
    the name again are left alone, and assignment targets are never touched."""
    if isinstance(node, sc.Name):
        return make(node) if node.name == name else node  # type: ignore[return-value]
    if isinstance(node, sc.FunctionDef) and (
        name in node.param_names or any(d.name == name for v in node.var_decls for d in v.defs)
    ):
        return node
    changes: dict[str, object] = {}
    for item in fields(node):
        if item.name == "comments" or (isinstance(node, sc.Assign) and item.name == "target"):
            continue
        old = getattr(node, item.name)
        if isinstance(old, sc.Node):
            new: object = _substitute(old, name, make)
        elif isinstance(old, tuple):
            new = tuple(_substitute(x, name, make) if isinstance(x, sc.Node) else x for x in old)
            if all(a is b for a, b in zip(new, old, strict=True)):
                new = old
        else:
            continue
        if new is not old:
            changes[item.name] = new
    return replace(node, **changes) if changes else node  # type: ignore[arg-type]


def _substitute_in_function(
    function: sc.FunctionDef, name: str, make: Callable[[sc.Name], sc.Node]
) -> sc.FunctionDef:
    return replace(
        function,
        var_decls=tuple(_substitute(v, name, make) for v in function.var_decls),
        body=tuple(_substitute(s, name, make) for s in function.body),
    )


def _add_param(function: sc.FunctionDef, name: str, default: sc.Node) -> sc.FunctionDef:
    return replace(function, params=(*function.params, sc.Param(name, default)))


# --------------------------------------------------------------------------------------------
# Envelopes, output and the signal point
# --------------------------------------------------------------------------------------------


def _is_envelope_expr(node: sc.Node) -> bool:
    has_envelope = False
    for call in _walk_calls(node):
        name = _class_of(call)
        if name is None:
            continue
        if name in _ENV_CLASSES:
            has_envelope = True
        elif call.selector == "ar" and family_of(name, "ar") in _SOUND_FAMILIES:
            return False
    return has_envelope


def _definitions(function: sc.FunctionDef, name: str) -> list[tuple[int, sc.Node]]:
    """(statement index, value) of each top-level definition of a local variable (-1 = var)."""
    found: list[tuple[int, sc.Node]] = [
        (-1, d.value)
        for decl in function.var_decls
        for d in decl.defs
        if d.name == name and d.value is not None
    ]
    for index, statement in enumerate(function.body):
        if isinstance(statement, sc.Assign) and statement.target == sc.Name(name):
            found.append((index, statement.value))
    return found


def _envelope_vars(function: sc.FunctionDef) -> set[str]:
    names = {d.name for decl in function.var_decls for d in decl.defs}
    result = set()
    for name in names:
        values = [value for _, value in _definitions(function, name)]
        if values and all(_is_envelope_expr(v) for v in values):
            result.add(name)
    return result


def _output_calls(node: sc.Node) -> list[sc.Call]:
    """Output UGen calls in ``node`` outside inner functions."""
    found: list[sc.Call] = []
    stack: list[sc.Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, sc.FunctionDef) and current is not node:
            continue
        if (
            isinstance(current, sc.Call)
            and _class_of(current) in OUTPUTS
            and current.selector in ("ar", "kr")
        ):
            found.append(current)
        stack.extend(reversed(sc.children(current)))
    return found


def _signal_slot(call: sc.Call) -> tuple[Literal["arg", "kwarg"], int] | None:
    index = 2 if _class_of(call) == "XOut" else 1
    for position, kwarg in enumerate(call.kwargs):
        if kwarg.name == "channelsArray":
            return "kwarg", position
    if index < len(call.args) and not isinstance(call.args[index], sc.Splat):
        return "arg", index
    return None


def _signal_of(call: sc.Call) -> sc.Node | None:
    slot = _signal_slot(call)
    if slot is None:
        return None
    return call.args[slot[1]] if slot[0] == "arg" else call.kwargs[slot[1]].value


def _with_signal(call: sc.Call, signal: sc.Node) -> sc.Call:
    slot = _signal_slot(call)
    assert slot is not None
    if slot[0] == "arg":
        args = list(call.args)
        args[slot[1]] = signal
        return replace(call, args=tuple(args))
    kwargs = list(call.kwargs)
    kwargs[slot[1]] = replace(kwargs[slot[1]], value=signal)
    return replace(call, kwargs=tuple(kwargs))


def _product_leaves(node: sc.Node) -> list[sc.Node]:
    if isinstance(node, sc.BinaryOp) and node.op in ("*", "/") and node.adverb is None:
        return _product_leaves(node.left) + _product_leaves(node.right)
    if isinstance(node, sc.Paren) and len(node.body) == 1:
        return _product_leaves(node.body[0])
    return [node]


def _is_level_factor(node: sc.Node, envelopes: set[str], params: set[str]) -> bool:
    if isinstance(node, sc.Number):
        return True
    if isinstance(node, sc.Name):
        return node.name in envelopes or node.name in params
    return _is_envelope_expr(node) and isinstance(node, sc.Call)


def _is_level_scaling(
    statement: sc.Node, variable: str, envelopes: set[str], params: set[str]
) -> bool:
    if not (isinstance(statement, sc.Assign) and statement.target == sc.Name(variable)):
        return False
    leaves = _product_leaves(statement.value)
    if sum(leaf == sc.Name(variable) for leaf in leaves) != 1 or len(leaves) < 2:
        return False
    others = [leaf for leaf in leaves if leaf != sc.Name(variable)]
    return all(_is_level_factor(leaf, envelopes, params) for leaf in others) and any(
        not isinstance(leaf, sc.Number) for leaf in others
    )


def _applies_level(signal: sc.Node, variable: str, envelopes: set[str]) -> bool:
    """True when ``signal`` multiplies ``variable`` by an envelope or an amplitude control."""
    for node in sc.walk(signal):
        if isinstance(node, sc.BinaryOp) and node.op == "*":
            leaves = _product_leaves(node)
            if sc.Name(variable) in leaves and any(
                (
                    isinstance(leaf, sc.Name)
                    and (leaf.name in envelopes or leaf.name in _LEVEL_WORDS)
                )
                or (isinstance(leaf, sc.Call) and _is_envelope_expr(leaf))
                for leaf in leaves
            ):
                return True
    return False


@dataclass(frozen=True)
class SignalPoint:
    """Where a new stage goes: ``variable = f(variable)`` inserted before statement ``index``
    (statement mode), or the signal argument of ``output`` wrapped (``variable`` None).
    ``pre_level``: the stage sees the signal before the envelope and amplitude scale it."""

    variable: str | None
    index: int
    pre_level: bool
    output: sc.Call | None = None


def signal_point(graph: Graph) -> SignalPoint | None:
    """Where to insert a stage on the signal feeding the output; None without an output."""
    function = graph.function
    for k, statement in enumerate(function.body):  # noqa: B007 (k is used after the loop)
        outs = _output_calls(statement)
        if outs:
            break
    else:
        return None
    out = outs[0]
    signal = _signal_of(out)
    if signal is None:
        return None
    locals_ = set(graph.local_names)
    envelopes = _envelope_vars(function)
    params = set(function.param_names)
    referenced: list[str] = []
    for node in sc.walk(signal):
        if (
            isinstance(node, sc.Name)
            and node.name in locals_
            and node.name not in envelopes
            and node.name not in referenced
        ):
            referenced.append(node.name)
    best: tuple[int, int, str] | None = None
    for variable in referenced:
        indices = [i for i, _ in _definitions(function, variable) if i < k]
        if not indices:
            continue
        preference = -_SIGNAL_NAMES.index(variable) if variable in _SIGNAL_NAMES else -99
        key = (max(indices), preference, variable)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return SignalPoint(None, k, False, out)
    last, _, variable = best
    if last >= 0 and _is_level_scaling(function.body[last], variable, envelopes, params):
        return SignalPoint(variable, last, True)
    pre_level = _applies_level(signal, variable, envelopes)
    return SignalPoint(variable, last + 1 if last >= 0 else k, pre_level)


StageMaker = Callable[[sc.Node, bool], sc.Node]


def _insert_stage(graph: Graph, make: StageMaker) -> sc.FunctionDef:
    """The graph function with ``make(signal, pre_level)`` applied at the signal point."""
    point = signal_point(graph)
    if point is None:
        raise NotApplicable("no output signal found to insert a stage on")
    function = graph.function
    if point.variable is not None:
        statement = sc.Assign(
            sc.Name(point.variable), make(sc.Name(point.variable), point.pre_level)
        )
        body = (*function.body[: point.index], statement, *function.body[point.index :])
        return replace(function, body=body)
    assert point.output is not None
    signal = _signal_of(point.output)
    assert signal is not None
    new_out = _with_signal(point.output, make(signal, False))
    return _map_nodes(function, {id(point.output): new_out})


# --------------------------------------------------------------------------------------------
# Re-targeting oscillators and filters
# --------------------------------------------------------------------------------------------


def _bind(call: sc.Call, signature: tuple[str, ...]) -> dict[str, sc.Node] | None:
    """Arguments of a call by parameter name; None when they cannot be told apart."""
    if len(call.args) > len(signature) or any(isinstance(a, sc.Splat) for a in call.args):
        return None
    bound = dict(zip(signature, call.args, strict=False))
    for kwarg in call.kwargs:
        if kwarg.name in signature:
            bound[kwarg.name] = kwarg.value
    return bound


def _build(call: sc.Call, class_name: str, bound: dict[str, sc.Node]) -> sc.Call:
    """``call`` turned into ``class_name`` with these arguments: positional while they run
    without a gap in the new class's order, keywords after that."""
    signature = OSC_SIGNATURES.get(class_name) or FILTER_SIGNATURES[class_name]
    args: list[sc.Node] = []
    kwargs: list[sc.KeywordArg] = []
    for name in signature:
        if name not in bound:
            continue
        if len(args) == signature.index(name) and not kwargs:
            args.append(bound[name])
        else:
            kwargs.append(sc.KeywordArg(name, bound[name]))
    return replace(
        call,
        receiver=sc.ClassName(class_name),
        args=tuple(args),
        kwargs=tuple(kwargs),
        parens=True,
    )


def _swappable_oscillators(function: sc.FunctionDef) -> list[sc.Call]:
    return [
        call
        for call in _walk_calls(function)
        if _class_of(call) in OSC_SIGNATURES
        and call.selector == "ar"
        and call.style == "method"
        and _bind(call, OSC_SIGNATURES[_class_of(call) or ""]) is not None
    ]


def _retarget_oscillator(call: sc.Call, target: str, rng: random.Random) -> sc.Call:
    source = _class_of(call) or ""
    bound = _bind(call, OSC_SIGNATURES[source]) or {}
    freq = bound.get("freq", bound.get("syncFreq"))
    new: dict[str, sc.Node] = {}
    if freq is not None:
        new["syncFreq" if target == "SyncSaw" else "freq"] = freq
    if target == "SyncSaw":
        ratio = rng.choice((1.5, 2.0, 2.5, 3.0))
        new["sawFreq"] = _binop(
            freq if freq is not None else sc.Number("440"), "*", sc.Number.of(ratio)
        )
    target_signature = OSC_SIGNATURES[target]
    for name in ("width", "phase", "numharm", "sawFreq"):
        if name in bound and name in target_signature and name not in new:
            new[name] = bound[name]
    if (
        "iphase" in bound
        and "iphase" in target_signature
        and isinstance(bound["iphase"], sc.Number)
    ):
        new["iphase"] = bound["iphase"]
    for name in ("mul", "add"):
        if name in bound:
            new[name] = bound[name]
    return _build(call, target, new)


def _filter_calls(function: sc.Node, group: str | None = None) -> list[sc.Call]:
    classes = FILTER_GROUPS[group] if group else tuple(FILTER_SIGNATURES)
    return [
        call
        for call in _walk_calls(function)
        if _class_of(call) in classes
        and call.selector == "ar"
        and call.style == "method"
        and (_bind(call, FILTER_SIGNATURES[_class_of(call) or ""]) or {}).get("in") is not None
    ]


def _group_of(class_name: str) -> str:
    return next(group for group, members in FILTER_GROUPS.items() if class_name in members)


def _freq_name(class_name: str) -> str:
    return "ffreq" if class_name == "MoogLadder" else "freq"


def _paren(node: sc.Node) -> sc.Node:
    return sc.Paren((node,)) if isinstance(node, sc.BinaryOp) else node


def _to_unit(node: sc.Node, kind: ResonanceKind) -> sc.Node:
    """A resonance of ``kind`` as 0 (none) to 1 (strong)."""
    value = _literal(node)
    if value is not None:
        unit = {"rq": 1 - value, "moog": value / 4, "unit": value}[kind]
        return _num(min(1.0, max(0.0, unit)))
    if kind == "rq":
        return _binop(sc.Number("1"), "-", node)
    if kind == "moog":
        return _binop(_paren(node), "/", sc.Number("4"))
    return node


def _from_unit(node: sc.Node, kind: ResonanceKind) -> sc.Node:
    value = _literal(node)
    if value is not None:
        if kind == "rq":
            return _num(min(1.0, max(0.05, 1 - value)))
        if kind == "moog":
            return _num(min(3.6, max(0.0, value * 4)))
        return _num(min(0.95, max(0.0, value)))
    if kind == "rq":
        return _method(
            _binop(sc.Number("1"), "-", _paren(node)), "clip", sc.Number("0.05"), sc.Number("1")
        )
    if kind == "moog":
        return _method(
            _binop(_paren(node), "*", sc.Number("4")), "clip", sc.Number("0"), sc.Number("3.6")
        )
    return _method(node, "clip", sc.Number("0"), sc.Number("0.95"))


def _convert_resonance(node: sc.Node, source: ResonanceKind, target: ResonanceKind) -> sc.Node:
    if source == target:
        return node
    return _from_unit(_to_unit(node, source), target)


def _guard_frequency(node: sc.Node) -> sc.Node:
    value = _literal(node)
    if value is not None:
        return _num(min(max(value, 20.0), NYQUIST_GUARD))
    if isinstance(node, sc.Call) and node.selector == "clip":
        return node
    return _method(node, "clip", sc.Number("20"), _num(NYQUIST_GUARD))


def _retarget_filter(
    call: sc.Call,
    target: str,
    *,
    freq: sc.Node | None = None,
    resonance: tuple[sc.Node, ResonanceKind] | None = None,
    default_unit: float | None = None,
) -> sc.Call:
    """``call`` as a ``target`` filter: same input (and mul/add), frequency and resonance
    carried over (converted), or taken from ``freq``/``resonance`` when given."""
    source = _class_of(call) or ""
    bound = _bind(call, FILTER_SIGNATURES[source]) or {}
    new: dict[str, sc.Node] = {"in": bound["in"]}
    frequency = freq if freq is not None else bound.get(_freq_name(source))
    if frequency is not None:
        new[_freq_name(target)] = (
            _guard_frequency(frequency) if target in _GUARDED_FILTERS else frequency
        )
    if resonance is None and source in _RESONANCE and _RESONANCE[source][0] in bound:
        resonance = (bound[_RESONANCE[source][0]], _RESONANCE[source][1])
    if target in _RESONANCE:
        name, kind = _RESONANCE[target]
        if resonance is not None:
            new[name] = _convert_resonance(resonance[0], resonance[1], kind)
        elif default_unit is not None:
            new[name] = _from_unit(_num(default_unit), kind)
    for name in ("mul", "add"):
        if name in bound:
            new[name] = bound[name]
    return _build(call, target, new)


# --------------------------------------------------------------------------------------------
# The six mutation operators
# --------------------------------------------------------------------------------------------


def swap_oscillator(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Swap one oscillator class for another of its family everywhere it sounds.

    ``Saw.ar(freq, 0.5)`` becomes e.g. ``Pulse.ar(freq, mul: 0.5)``: the frequency, ``mul`` and
    ``add`` carry over, arguments the new class lacks (a SinOsc's phase modulation) are dropped.
    """
    graph = locate(program)
    calls = _swappable_oscillators(graph.function)
    if not calls:
        raise NotApplicable("no audio-rate oscillator that can be swapped")
    classes = sorted({_class_of(c) or "" for c in calls})
    source = rng.choice(classes)
    target = rng.choice([t for t in OSC_TARGETS if t != source])
    mapping: dict[int, sc.Node] = {
        id(c): _retarget_oscillator(c, target, rng) for c in calls if _class_of(c) == source
    }
    return _map_nodes(program, mapping), [f"{source} → {target}"]


def swap_filter(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Swap one filter class for another of its group (low-pass, high-pass, band-pass).

    The input and cutoff carry over; resonance converts between ``rq`` (RLPF, BPF, ...),
    MoogFF's gain (0-4) and DFM1/MoogLadder's ``res`` (0-1).
    """
    graph = locate(program)
    calls = _filter_calls(graph.function)
    if not calls:
        raise NotApplicable("no filter that can be swapped")
    classes = sorted({_class_of(c) or "" for c in calls})
    source = rng.choice(classes)
    target = rng.choice([t for t in FILTER_GROUPS[_group_of(source)] if t != source])
    unit = round(rng.uniform(0.2, 0.7), 2)
    mapping: dict[int, sc.Node] = {
        id(c): _retarget_filter(c, target, default_unit=unit)
        for c in calls
        if _class_of(c) == source
    }
    return _map_nodes(program, mapping), [f"{source} → {target}"]


@dataclass(frozen=True)
class _LfoTarget:
    label: str
    var_base: str
    kind: Literal["exp", "lin", "add", "vibrato", "tremolo"]
    weight: int
    control: Control | None = None
    site: sc.Node | None = None
    clip: tuple[float, float] | None = None


def _lfo_targets(graph: Graph, prefer: str | None) -> list[_LfoTarget]:
    identifiers = graph.identifiers()
    locals_ = set(graph.local_names)
    targets: list[_LfoTarget] = []
    covered: set[str] = set()
    for control in controls(graph):
        role = role_of(control.name)
        if role is None or role.lfo is None or f"{control.name}LFO" in identifiers:
            continue
        if prefer is not None and role.name != prefer:
            continue
        if isinstance(control.node, sc.Param):
            if control.name in locals_ or _assigned(graph, control.name):
                continue
            if not _reads(graph, control.name):
                continue
        clip = {"width": (0.02, 0.98), "pan": (-1.0, 1.0), "cutoff": (20.0, NYQUIST_GUARD)}.get(
            role.name
        )
        targets.append(
            _LfoTarget(control.name, control.name, role.lfo, role.weight, control, None, clip)
        )
        if role.name == "cutoff":
            covered.add(control.name)
    if prefer in (None, "cutoff"):
        for call in _filter_calls(graph.function):
            class_name = _class_of(call) or ""
            bound = _bind(call, FILTER_SIGNATURES[class_name]) or {}
            freq = bound.get(_freq_name(class_name))
            if freq is None:
                continue
            names = {n.name for n in sc.walk(freq) if isinstance(n, sc.Name)}
            if names & covered or any(name.endswith("LFO") for name in names):
                continue
            targets.append(
                _LfoTarget(
                    f"{class_name} frequency",
                    class_name.lower(),
                    "exp",
                    3,
                    None,
                    freq,
                    (20.0, NYQUIST_GUARD),
                )
            )
    return targets


def _lfo_expression(
    kind: str, rng: random.Random, rates: tuple[float, float] | None
) -> tuple[sc.Node, str]:
    shape = rng.choice(("SinOsc", "LFTri", "LFNoise1", "LFNoise2"))
    low_rate, high_rate = rates or (0.1, 3.0)
    if kind == "vibrato":
        shape, low_rate, high_rate = "SinOsc", 4.0, 7.0
    elif kind == "tremolo" and rates is None:
        low_rate, high_rate = 2.0, 8.0
    rate = _num(rng.uniform(low_rate, high_rate), 2)
    lfo = _ugen(shape, "kr", rate)
    if kind == "exp":
        depth = rng.uniform(0.4, 1.5)
        return _method(lfo, "exprange", _num(1 / (1 + depth)), _num(1 + depth)), shape
    if kind == "lin":
        depth = rng.uniform(0.1, 0.4)
        return _method(lfo, "range", _num(1 - depth), _num(1 + depth)), shape
    if kind == "vibrato":
        depth = rng.uniform(0.002, 0.01)
        return _method(lfo, "range", _num(1 - depth), _num(1 + depth)), shape
    if kind == "tremolo":
        depth = rng.uniform(0.2, 0.5)
        return _method(lfo, "range", _num(1 - depth), sc.Number("1")), shape
    depth = rng.uniform(0.1, 0.6)
    return _method(lfo, "range", _num(-depth), _num(depth)), shape


def add_lfo(
    program: sc.Program,
    rng: random.Random,
    amount: float = 0.3,
    *,
    prefer: str | None = None,
    rates: tuple[float, float] | None = None,
) -> Result:
    """Modulate a control (a cutoff first of all) or a filter's frequency with an LFO.

    The LFO is a new variable declared first in the graph, named after its target
    (``var cutoffLFO = SinOsc.kr(0.4).exprange(0.5, 2);``), and every read of the control
    becomes ``(cutoff * cutoffLFO)`` (``(pan + panLFO).clip(-1, 1)`` for offsets). ``prefer``
    limits the targets to one role (``"cutoff"``); ``rates`` bounds the LFO's rate in Hz.
    """
    graph = locate(program)
    targets = _lfo_targets(graph, prefer)
    if not targets:
        what = f"no {prefer} control or filter" if prefer else "no control or filter frequency"
        raise NotApplicable(f"{what} to modulate with an LFO")
    target = rng.choices(targets, weights=[t.weight for t in targets])[0]
    expression, _ = _lfo_expression(target.kind, rng, rates)
    variable = _fresh(f"{target.var_base}LFO", graph.identifiers())
    lfo = sc.Name(variable)

    def modulate(node: sc.Node) -> sc.Node:
        if target.kind == "add":
            combined: sc.Node = _binop(node, "+", lfo)
        else:
            combined = _binop(node, "*", lfo)
        if target.clip is not None:
            combined = _method(combined, "clip", _num(target.clip[0]), _num(target.clip[1]))
        return combined

    function = graph.function
    if target.control is not None and isinstance(target.control.node, sc.Param):
        function = _substitute_in_function(function, target.control.name, modulate)
    else:
        sites: list[sc.Node] = []
        if target.control is not None:
            sites = [
                call
                for call in _walk_calls(function)
                if (found := _named_control(call)) is not None and found[0] == target.label
            ]
        elif target.site is not None:
            sites = [target.site]
        function = _map_nodes(function, {id(site): modulate(site) for site in sites})
    declaration = sc.VarDecl((sc.VarDef(variable, expression),))
    function = replace(function, var_decls=(declaration, *function.var_decls))
    return graph.with_function(function), [f"Added LFO modulation to {target.label}"]


_DISTORTIONS: Final = ("tanh", "softclip", "distort", "fold")


def _distortion(kind: str, signal: sc.Node, drive: sc.Node) -> sc.Node:
    driven = _binop(signal, "*", drive)
    if kind == "fold":
        return _method(driven, "fold2", sc.Number("1"))
    return sc.Call(driven, kind, (), parens=False)


def add_distortion(
    program: sc.Program, rng: random.Random, amount: float = 0.3, *, kind: str | None = None
) -> Result:
    """Drive the output signal into a waveshaper (tanh, softclip, distort or a wavefolder).

    A new control ``dist`` (the drive, 1.5-6) is added. Before the envelope and amplitude the
    stage is ``sig = (sig * dist).tanh``; where it can only wrap the finished output it is
    ``(out * dist).tanh / dist.max(1)``, so it never raises the level.
    """
    graph = locate(program)
    kind = kind or rng.choice(_DISTORTIONS)
    drive_value = _round(rng.uniform(1.5, 2.0 + 4.0 * amount), 2)
    name = _fresh("dist", graph.identifiers())
    drive = sc.Name(name)

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        shaped = _distortion(kind, signal, drive)
        if pre_level:
            return shaped
        return _binop(shaped, "/", _method(drive, "max", sc.Number("1")))

    function = _insert_stage(graph, make)
    function = _add_param(function, name, sc.Number.of(drive_value))
    return graph.with_function(function), [
        f"Added {kind} distortion: {name} 0 → {_fmt(drive_value)}"
    ]


_REVERBS: Final = frozenset({"FreeVerb", "GVerb", "JPverb", "Greyhole"})
_DELAYS: Final = frozenset({"CombN", "CombL", "CombC", "DelayN", "DelayL", "DelayC"})
_ALLPASSES: Final = frozenset({"AllpassN", "AllpassL", "AllpassC"})
_ECHOES: Final = ("CombL", "CombN", "DelayL")
_ECHO_TIMES: Final = (0.25, 0.3, 0.375)
_FREEING: Final = frozenset({"DetectSilence", "FreeSelf", "FreeSelfWhenDone", "Done", *OUTPUTS})
EffectChoice = Literal["reverb", "delay"]


def _effect_word(class_name: str) -> str:
    if class_name in _REVERBS:
        return "reverb"
    return "allpass" if class_name in _ALLPASSES else "delay"


def add_effect(
    program: sc.Program,
    rng: random.Random,
    amount: float = 0.3,
    *,
    kind: EffectChoice | None = None,
) -> Result:
    """Put a reverb or an echo on the signal (the spec's "add effects"), where a distortion
    would go (see the module doc), never on the output or the way the synth frees itself.

    A reverb is ``sig = FreeVerb.ar(sig, mix, room)`` with new controls ``mix`` (0.2-0.45) and
    ``room`` (0.5-0.9): FreeVerb crossfades dry and wet, so the level stays. A delay is an echo
    mixed beside the dry signal and level-compensated, ``sig = (sig + (CombL.ar(sig, 0.5,
    0.375, 2.0) * 0.3)) * 0.77`` (CombL/CombN with a 1-3 s decay, or one DelayL echo), times
    0.25-0.375 s. Without ``kind`` a kind the synth lacks is picked; NotApplicable when it has
    both. An envelope freeing the synth still ends it (the tail is cut).
    """
    graph = locate(program)
    if kind is None:
        present = {_class_of(c) for c in _effect_calls(graph.function)}
        options: list[EffectChoice] = []
        if not present & _REVERBS:
            options.append("reverb")
        if not present & {"CombN", "CombL", "CombC"}:
            options.append("delay")
        if not options:
            raise NotApplicable("the synth already has a reverb and an echo")
        kind = rng.choice(options)
    identifiers = graph.identifiers()
    if kind == "reverb":
        mix_value = _round(rng.uniform(0.2, 0.25 + 0.2 * amount), 2)
        room_value = _round(rng.uniform(0.5, 0.9), 2)
        mix_name = _fresh("mix", identifiers)
        room_name = _fresh("room", identifiers | {mix_name})

        def make(signal: sc.Node, pre_level: bool) -> sc.Node:
            return _ugen("FreeVerb", "ar", signal, sc.Name(mix_name), sc.Name(room_name))

        function = _insert_stage(graph, make)
        function = _add_param(function, mix_name, sc.Number.of(mix_value))
        function = _add_param(function, room_name, sc.Number.of(room_value))
        return graph.with_function(function), [f"Added reverb (FreeVerb, mix {_fmt(mix_value)})"]
    echo = rng.choice(_ECHOES)
    time = rng.choice(_ECHO_TIMES)
    wet = _round(rng.uniform(0.25, 0.3 + 0.15 * amount), 2)
    args: list[sc.Node] = [sc.Number("0.5"), sc.Number.of(time)]
    if echo != "DelayL":
        args.append(sc.Number.of(_round(rng.uniform(1.0, 3.0), 2)))
    compensation = _round(1 / (1 + wet), 2)

    def make_echo(signal: sc.Node, pre_level: bool) -> sc.Node:
        delayed = _binop(_ugen(echo, "ar", signal, *args), "*", sc.Number.of(wet))
        mixed = sc.Paren((_binop(signal, "+", sc.Paren((delayed,))),))
        return _binop(mixed, "*", sc.Number.of(compensation))

    function = _insert_stage(graph, make_echo)
    return graph.with_function(function), [f"Added delay ({echo} {_fmt(time)} s)"]


def _removable(call: sc.Call) -> bool:
    """True when replacing ``call`` by its input drops nothing that frees the synth or plays."""
    dropped = [*call.args[1:], *(kw.value for kw in call.kwargs)]
    for node in (n for arg in dropped for n in sc.walk(arg)):
        if isinstance(node, sc.KeywordArg) and node.name == "doneAction":
            return False
        if isinstance(node, sc.Call) and _class_of(node) in _FREEING:
            return False
    return True


def remove_effect(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Take out one reverb, delay, comb or allpass (the spec's "remove effects"): the UGen call
    is replaced by its input (first argument), so what read the effect reads the dry signal.
    Calls whose other arguments free the synth or play are left alone."""
    graph = locate(program)
    calls = [
        call
        for call in _effect_calls(graph.function)
        if (_class_of(call) in _REVERBS | _DELAYS | _ALLPASSES) and _removable(call)
    ]
    if not calls:
        raise NotApplicable("no reverb, delay or allpass to remove")
    call = rng.choice(calls)
    class_name = _class_of(call) or ""
    function = graph.function
    body = tuple(
        statement
        for statement in function.body
        if not (  # ``sig = FreeVerb.ar(sig, ...)`` goes whole rather than leave ``sig = sig``
            isinstance(statement, sc.Assign)
            and statement.value is call
            and statement.target == call.args[0]
        )
    )
    if len(body) < len(function.body):
        function = replace(function, body=body)
    else:
        function = _map_nodes(function, {id(call): _paren(call.args[0])})
    return graph.with_function(function), [f"Removed {_effect_word(class_name)} ({class_name})"]


def _nudge(value: float, role: Role, rng: random.Random, steps: tuple[float, ...]) -> float | None:
    low, high = role.low, role.high
    if role.name == "other":
        if value == 0:
            return None
        low, high = (value / 10, value * 10) if value > 0 else (value * 10, value / 10)
        scale = "log" if value > 0 else "lin"
    else:
        scale = role.scale if value > 0 else "lin"
        if value > high:
            high = value * 1.5
        if value < low:
            low = value * 1.5 if value < 0 else value / 2
    span = high - low if math.isfinite(high - low) else abs(value) * 2
    for sign in rng.sample((1, -1), 2):
        step = rng.choice(steps) * sign
        new = value * (1 + step) if scale == "log" else value + step * span
        new = _round(min(high, max(low, new)))
        if new != _round(value):
            return new
    return None


def tweak_defaults(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Move the defaults of one or more controls by 5-20% (of the value for frequencies and
    times, of a sensible range such as -1..1 or 0..1 for the others): ``cutoff: 1200.0 →
    1440.0``. ``out``, ``gate``, ``freq``, ``amp``, buses and triggers are never changed."""
    graph = locate(program)
    candidates = [
        (control, role)
        for control in controls(graph)
        if control.value is not None
        and (role := role_of(control.name)) is not None
        and role.name not in ("freq", "amp")
    ]
    if not candidates:
        raise NotApplicable("no control with a numeric default to change")
    count = 1 + sum(rng.random() < amount * 0.3 for _ in range(len(candidates) - 1))
    chosen = sorted(
        rng.sample(range(len(candidates)), min(count, 3, len(candidates)))
    )  # source order
    mapping: dict[int, sc.Node] = {}
    log: list[str] = []
    for index in chosen:
        control, role = candidates[index]
        old = control.value
        assert old is not None
        new = _nudge(old, role, rng, DEFAULT_STEPS)
        if new is None:
            continue
        mapping[id(control.node)] = control.with_default(sc.Number.of(new))
        log.append(f"{control.name}: {_fmt(old)} → {_fmt(new)}")
    if not mapping:
        raise NotApplicable("no control default could be moved")
    return _map_nodes(program, mapping), log


# --- envelopes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EnvSpec:
    params: tuple[str, ...]
    times: dict[str, float]
    curve: str | None = None
    default_curve: str = "-4"


_ENV_SPECS: Final[dict[str, _EnvSpec]] = {
    "perc": _EnvSpec(("attackTime", "releaseTime", "level", "curve"),
                     {"attackTime": 0.01, "releaseTime": 1.0}, "curve"),
    "adsr": _EnvSpec(("attackTime", "decayTime", "sustainLevel", "releaseTime", "peakLevel",
                      "curve", "bias"),
                     {"attackTime": 0.01, "decayTime": 0.3, "releaseTime": 1.0}, "curve"),
    "asr": _EnvSpec(("attackTime", "sustainLevel", "releaseTime", "curve"),
                    {"attackTime": 0.01, "releaseTime": 1.0}, "curve"),
    "linen": _EnvSpec(("attackTime", "sustainTime", "releaseTime", "level", "curve"),
                      {"attackTime": 0.01, "sustainTime": 1.0, "releaseTime": 1.0}, "curve",
                      "\\lin"),
    "dadsr": _EnvSpec(("delayTime", "attackTime", "decayTime", "sustainLevel", "releaseTime",
                       "peakLevel", "curve", "bias"),
                      {"delayTime": 0.1, "attackTime": 0.01, "decayTime": 0.3,
                       "releaseTime": 1.0}, "curve"),
    "triangle": _EnvSpec(("dur", "level"), {"dur": 1.0}),
    "sine": _EnvSpec(("dur", "level"), {"dur": 1.0}),
    "cutoff": _EnvSpec(("releaseTime", "level", "curve"), {"releaseTime": 0.1}, "curve",
                       "\\lin"),
    "new": _EnvSpec(("levels", "times", "curve", "releaseNode", "loopNode", "offset"), {},
                    "curve", "\\lin"),
}  # fmt: skip
_UGEN_TIMES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "Linen": (("gate", "attackTime", "susLevel", "releaseTime", "doneAction"),
              ("attackTime", "releaseTime")),
    "Line": (("start", "end", "dur", "mul", "add", "doneAction"), ("dur",)),
    "XLine": (("start", "end", "dur", "mul", "add", "doneAction"), ("dur",)),
}  # fmt: skip
_TIME_WORDS: Final = {
    "attackTime": "attack",
    "decayTime": "decay",
    "releaseTime": "release",
    "sustainTime": "sustain time",
    "delayTime": "delay",
    "dur": "duration",
}


@dataclass(frozen=True)
class _TimeSite:
    """One envelope time: a literal in a call, a control's default, or a default not written."""

    label: str
    word: str
    value: float
    call: sc.Call
    param: str | None = None
    element: int | None = None
    control: Control | None = None


def _env_label(call: sc.Call) -> str:
    name = _class_of(call) or ""
    if name == "Env" and call.selector != "new":
        return f"Env.{call.selector}"
    return name


def _arg(call: sc.Call, params: tuple[str, ...], name: str) -> sc.Node | None:
    bound = dict(zip(params, call.args, strict=False))
    for kwarg in call.kwargs:
        bound[kwarg.name] = kwarg.value
    return bound.get(name)


def _with_arg(call: sc.Call, params: tuple[str, ...], name: str, value: sc.Node) -> sc.Call:
    index = params.index(name)
    for position, kwarg in enumerate(call.kwargs):
        if kwarg.name == name:
            kwargs = list(call.kwargs)
            kwargs[position] = replace(kwarg, value=value)
            return replace(call, kwargs=tuple(kwargs), parens=True)
    if index < len(call.args):
        args = list(call.args)
        args[index] = value
        return replace(call, args=tuple(args), parens=True)
    if index == len(call.args) and not call.kwargs:
        return replace(call, args=(*call.args, value), parens=True)
    return replace(call, kwargs=(*call.kwargs, sc.KeywordArg(name, value)), parens=True)


def _env_calls(function: sc.Node) -> list[tuple[sc.Call, tuple[str, ...], dict[str, float]]]:
    found = []
    for call in _walk_calls(function):
        name = _class_of(call)
        if name == "Env" and call.selector in _ENV_SPECS and call.style in ("method", "new"):
            spec = _ENV_SPECS[call.selector]
            found.append((call, spec.params, spec.times))
        elif name in _UGEN_TIMES and call.selector in ("kr", "ar"):
            params, times = _UGEN_TIMES[name]
            found.append((call, params, dict.fromkeys(times, 1.0)))
    return found


def _time_sites(graph: Graph) -> list[_TimeSite]:
    by_name = {c.name: c for c in controls(graph) if isinstance(c.node, sc.Param)}
    sites: list[_TimeSite] = []
    seen_controls: set[str] = set()
    for call, params, times in _env_calls(graph.function):
        label = _env_label(call)
        if _class_of(call) == "Env" and call.selector == "new":
            array = _arg(call, params, "times")
            if isinstance(array, sc.Array | sc.LiteralArray):
                for index, element in enumerate(array.elements):
                    value = _literal(element)
                    if value is not None and value > 0:
                        sites.append(
                            _TimeSite(label, f"segment {index + 1}", value, call, "times", index)
                        )
            continue
        for param in times:
            node = _arg(call, params, param)
            word = _TIME_WORDS.get(param, param)
            value = _literal(node) if node is not None else None
            if node is None and _class_of(call) == "Env":
                sites.append(_TimeSite(label, word, times[param], call, param))
            elif value is not None and value > 0:
                sites.append(_TimeSite(label, word, value, call, param))
            elif isinstance(node, sc.Name) and node.name in by_name:
                control = by_name[node.name]
                control_value = control.value
                if control_value and control_value > 0 and node.name not in seen_controls:
                    seen_controls.add(node.name)
                    sites.append(
                        _TimeSite(label, word, control_value, call, param, control=control)
                    )
    return sites


def _apply_times(
    program: sc.Program, graph: Graph, changes: list[tuple[_TimeSite, float]]
) -> tuple[sc.Program, list[str]]:
    """Write new envelope times; several changes to one call are merged."""
    log: list[str] = []
    calls: dict[int, sc.Call] = {}
    mapping: dict[int, sc.Node] = {}
    for site, new in changes:
        if site.control is not None:
            mapping[id(site.control.node)] = site.control.with_default(sc.Number.of(new))
            log.append(f"{site.control.name}: {_fmt(site.value)} → {_fmt(new)}")
            continue
        call = calls.get(id(site.call), site.call)
        params = (
            _ENV_SPECS[call.selector].params
            if _class_of(call) == "Env"
            else _UGEN_TIMES[_class_of(call) or ""][0]
        )
        assert site.param is not None
        if site.element is not None:
            array = _arg(call, params, site.param)
            assert isinstance(array, sc.Array | sc.LiteralArray)
            elements = list(array.elements)
            elements[site.element] = sc.Number.of(new)
            call = _with_arg(call, params, site.param, replace(array, elements=tuple(elements)))
        else:
            call = _with_arg(call, params, site.param, sc.Number.of(new))
        calls[id(site.call)] = call
        log.append(f"{site.label} {site.word}: {_fmt(site.value)} → {_fmt(new)}")
    mapping.update(calls)
    return _map_nodes(program, mapping), log


def _curve_sites(graph: Graph) -> list[tuple[sc.Call, str, str]]:
    """(call, current curve as written or its default, label) of Env calls with a curve."""
    sites = []
    for call, params, _ in _env_calls(graph.function):
        if _class_of(call) != "Env":
            continue
        spec = _ENV_SPECS[call.selector]
        if spec.curve is None:
            continue
        node = _arg(call, params, spec.curve)
        if node is None:
            current = spec.default_curve
        elif isinstance(node, sc.Number | sc.Symbol):
            current = _print(node)
        else:
            continue
        sites.append((call, current, _env_label(call)))
    return sites


def modify_envelope(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Change envelope times by 10-30% (``Env.adsr release: 0.04 → 0.052``; a time held by a
    control changes the control's default) or an envelope's curve (``Env.perc curve: -4 →
    -6``). ``doneAction``, gates and levels are left alone."""
    graph = locate(program)
    times = _time_sites(graph)
    curves = _curve_sites(graph)
    if not times and not curves:
        raise NotApplicable("no envelope with times or a curve to change")
    total = len(times) + len(curves)
    count = min(3, total, 1 + sum(rng.random() < amount * 0.3 for _ in range(total - 1)))
    chosen = sorted(rng.sample(range(total), count))
    changes: list[tuple[_TimeSite, float]] = []
    for index in chosen:
        if index < len(times):
            site = times[index]
            step = rng.choice(ENVELOPE_STEPS) * rng.choice((1, -1))
            new = _round(min(MAX_TIME, max(MIN_TIME, site.value * (1 + step))))
            if new != site.value:
                changes.append((site, new))
    program, log = _apply_times(program, graph, changes)
    curve_indices = [i - len(times) for i in chosen if i >= len(times)]
    if curve_indices:
        graph = locate(program)
        sites = _curve_sites(graph)
        mapping: dict[int, sc.Node] = {}
        for index in curve_indices:
            call, current, label = sites[index]
            options = [c for c in CURVES if str(c) != current]
            new_curve = rng.choice(options)
            spec = _ENV_SPECS[call.selector]
            assert spec.curve is not None
            mapping[id(call)] = _with_arg(call, spec.params, spec.curve, sc.Number.of(new_curve))
            log.append(f"{label} curve: {current} → {new_curve}")
        program = _map_nodes(program, mapping)
    if not log:
        raise NotApplicable("no envelope time could be changed")
    return program, log


MUTATIONS: Final[tuple[tuple[str, float, Operator], ...]] = (
    ("swap_oscillator", 0.4, swap_oscillator),
    ("swap_filter", 0.3, swap_filter),
    ("add_lfo", 0.3, add_lfo),
    ("add_distortion", 0.2, add_distortion),
    ("tweak_defaults", 0.5, tweak_defaults),
    ("modify_envelope", 0.2, modify_envelope),
    ("add_effect", 0.2, add_effect),
    ("remove_effect", 0.1, remove_effect),
)
"""The mutations with their probability weights (each is tried with probability ``amount *
weight``): the spec's oscillator swap, control defaults and envelope times, its add/remove
effects (reverb, distortion, delay: :func:`add_distortion`, :func:`add_effect`,
:func:`remove_effect`), plus filter swaps and LFOs."""


# --------------------------------------------------------------------------------------------
# Crossover
# --------------------------------------------------------------------------------------------


def _control_names(graph: Graph) -> set[str]:
    return {c.name for c in controls(graph)}


def _is_shared_structural(name: str) -> bool:
    return role_of(name) is None


def merge_controls(
    a: sc.Program, b: sc.Program, rng: random.Random, names: tuple[str, str] = ("A", "B")
) -> Result:
    """Give A every control of B it lacks (B's default) and average the numeric defaults the
    two share (``cutoff: 1200.0 → 1700.0 (average with juno_pad)``)."""
    graph_a, graph_b = locate(a), locate(b)
    taken = _control_names(graph_a) | set(graph_a.local_names) | set(graph_a.param_names)
    function = graph_a.function
    added = []
    for param in graph_b.function.params[graph_b.prepend_count :]:
        if param.name not in taken:
            function = replace(
                function, params=(*function.params, sc.Param(param.name, param.default))
            )
            added.append(param.name)
            taken.add(param.name)
    log = [f"Controls from {names[1]}: {', '.join(added)}"] if added else []
    program = graph_a.with_function(function)
    graph_a = locate(program)
    b_values = {c.name: c.value for c in controls(graph_b)}
    mapping: dict[int, sc.Node] = {}
    for control in controls(graph_a):
        mine, theirs = control.value, b_values.get(control.name)
        if mine is None or theirs is None or mine == theirs:
            continue
        if _is_shared_structural(control.name) or control.name in added:
            continue
        average = _round((mine + theirs) / 2)
        mapping[id(control.node)] = control.with_default(sc.Number.of(average))
        log.append(f"{control.name}: {_fmt(mine)} → {_fmt(average)} (average with {names[1]})")
    return _map_nodes(program, mapping), log


def _closed(node: sc.Node, graph_b: Graph, graph_a: Graph, allowed_locals: set[str]) -> bool:
    """True when an expression of B means the same in A (after merge_controls): it reads only
    B's controls, literals and UGens, or locals both share (envelopes of the same name)."""
    a_controls = _control_names(graph_a)
    b_params = set(graph_b.param_names)
    a_locals = set(graph_a.local_names)
    inner: set[str] = set()
    for found in sc.walk(node):
        if isinstance(found, sc.FunctionDef):
            inner.update(found.param_names)
            inner.update(d.name for decl in found.var_decls for d in decl.defs)
    for found in sc.walk(node):
        if isinstance(found, sc.EnvVar):
            return False
        if isinstance(found, sc.Call):
            named = _named_control(found)
            if named is not None and named[0] in a_controls | a_locals:
                return False
        if isinstance(found, sc.Name) and found.name not in inner:
            if found.name in allowed_locals:
                continue
            if found.name in b_params and found.name not in a_locals:
                continue
            return False
    return True


def _shared_envelopes(graph_a: Graph, graph_b: Graph, before: int) -> set[str]:
    """Envelope variables both graphs define, defined in A before statement ``before``."""
    envelopes_a = _envelope_vars(graph_a.function)
    envelopes_b = _envelope_vars(graph_b.function)
    shared = set()
    for name in envelopes_a & envelopes_b:
        indices = [i for i, _ in _definitions(graph_a.function, name)]
        if indices and min(indices) < before:
            shared.add(name)
    return shared


def _statement_index(function: sc.FunctionDef, node: sc.Node) -> int:
    for index, statement in enumerate(function.body):
        if any(found is node for found in sc.walk(statement)):
            return index
    return -1  # in a var initialiser


def _main_filter(calls: list[sc.Call]) -> sc.Call:
    lowpass = [c for c in calls if _class_of(c) in FILTER_GROUPS["lowpass"]]
    return (lowpass or calls)[0]


def _fallback_frequency(graph_b: Graph, graph_a: Graph) -> sc.Node:
    """B's cutoff control when A has it (after merge_controls), else its value, else 2000."""
    for control in controls(graph_b):
        role = role_of(control.name)
        if role is None or role.name != "cutoff" or not isinstance(control.node, sc.Param):
            continue
        if control.name in graph_a.param_names:
            return sc.Name(control.name)
        if control.value is not None:
            return _num(control.value)
    return sc.Number("2000")


def transplant_filter(
    a: sc.Program, b: sc.Program, rng: random.Random, names: tuple[str, str] = ("A", "B")
) -> Result:
    """Put B's filter in A: A's main filter of the same kind (low-pass, high-pass, band-pass)
    becomes B's class with B's frequency and resonance, where those expressions mean the same
    in A (B's controls after :func:`merge_controls`, literals, envelopes both have); otherwise
    A's own are converted. Without such a filter in A, B's is inserted on the signal (reading
    B's cutoff control when its own frequency expression cannot move over)."""
    graph_a, graph_b = locate(a), locate(b)
    calls_b = _filter_calls(graph_b.function)
    if not calls_b:
        raise NotApplicable(f"{names[1]} has no filter")
    call_b = _main_filter(calls_b)
    class_b = _class_of(call_b) or ""
    bound_b = _bind(call_b, FILTER_SIGNATURES[class_b]) or {}
    calls_a = _filter_calls(graph_a.function, _group_of(class_b))
    if calls_a:
        class_a = _class_of(_main_filter(calls_a)) or ""
        targets = [c for c in calls_a if _class_of(c) == class_a]
        before = min(_statement_index(graph_a.function, c) for c in targets)
    else:  # A has no filter of this kind (a high-pass on a click is no low-pass section)
        point = signal_point(graph_a)
        if point is None:
            raise NotApplicable(f"{names[0]} has no output signal to filter")
        before = point.index
        targets = []
    allowed = _shared_envelopes(graph_a, graph_b, before if before >= 0 else 0)
    freq = bound_b.get(_freq_name(class_b))
    if freq is not None and not _closed(freq, graph_b, graph_a, allowed):
        freq = None
    resonance: tuple[sc.Node, ResonanceKind] | None = None
    if class_b in _RESONANCE:
        res_name, kind = _RESONANCE[class_b]
        node = bound_b.get(res_name)
        if node is not None and _closed(node, graph_b, graph_a, allowed):
            resonance = (node, kind)
    how = "" if freq is not None else f" (frequency kept from {names[0]})"
    if targets:
        mapping: dict[int, sc.Node] = {
            id(c): _retarget_filter(c, class_b, freq=freq, resonance=resonance) for c in targets
        }
        program = _map_nodes(a, mapping)
        return program, [f"Filter from {names[1]}: {class_a} → {class_b}{how}"]
    frequency = freq if freq is not None else _fallback_frequency(graph_b, graph_a)

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        template = _ugen(class_b, "ar", signal, frequency)
        return _retarget_filter(template, class_b, resonance=resonance, default_unit=0.3)

    function = _insert_stage(graph_a, make)
    return graph_a.with_function(function), [f"Filter from {names[1]}: added {class_b}"]


def _effect_calls(function: sc.Node) -> list[sc.Call]:
    return [
        call
        for call in _walk_calls(function)
        if _class_of(call) in EFFECT_KINDS
        and call.selector == "ar"
        and call.style == "method"
        and call.args
        and not isinstance(call.args[0], sc.Splat)
    ]


def _effect_stage(call: sc.Call) -> StageMaker:
    kind = EFFECT_KINDS[_class_of(call) or ""]

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        effect = replace(call, args=(signal, *call.args[1:]), comments=())
        if kind == "serial":
            return effect
        return _binop(signal, "+", _binop(effect, "*", sc.Number("0.5")))

    return make


def mix_effects(
    a: sc.Program, b: sc.Program, rng: random.Random, names: tuple[str, str] = ("A", "B")
) -> Result:
    """Mix the effects of both parents: each of A's effects stays, and each of B's (when its
    settings mean the same in A) is added, with probability 1/2; at least one survives. A
    dropped effect is replaced by its input; an added one goes on the signal, in series
    (reverbs, lo-fi) or beside it (delays, echoes)."""
    graph_a, graph_b = locate(a), locate(b)
    effects_a = _effect_calls(graph_a.function)
    allowed = _shared_envelopes(graph_a, graph_b, len(graph_a.function.body))
    effects_b = [
        call
        for call in _effect_calls(graph_b.function)
        if all(_closed(arg, graph_b, graph_a, allowed) for arg in call.args[1:])
        and all(_closed(kw.value, graph_b, graph_a, allowed) for kw in call.kwargs)
    ]
    if not effects_a and not effects_b:
        raise NotApplicable(f"neither {names[0]} nor {names[1]} has an effect to mix")
    keep = [rng.random() < 0.5 for _ in effects_a]
    take = [rng.random() < 0.5 for _ in effects_b]
    if not any(keep) and not any(take):
        pick = rng.randrange(len(effects_a) + len(effects_b))
        if pick < len(effects_a):
            keep[pick] = True
        else:
            take[pick - len(effects_a)] = True
    log: list[str] = []
    program = a
    for ordinal in sorted((i for i, kept in enumerate(keep) if not kept), reverse=True):
        graph = locate(program)
        call = _effect_calls(graph.function)[ordinal]
        log.append(f"Effect dropped: {_class_of(call)} ({names[0]})")
        program = _map_nodes(program, {id(call): call.args[0]})
    for call in (c for c, taken in zip(effects_b, take, strict=True) if taken):
        graph = locate(program)
        function = _insert_stage(graph, _effect_stage(call))
        program = graph.with_function(function)
        log.append(f"Effect from {names[1]}: {_class_of(call)}")
    log.extend(
        f"Effect kept: {_class_of(c)} ({names[0]})"
        for c, k in zip(effects_a, keep, strict=True)
        if k
    )
    return program, log


CROSSOVER_STAGES: Final[tuple[tuple[str, Callable[..., Result]], ...]] = (
    ("merge_controls", merge_controls),
    ("transplant_filter", transplant_filter),
    ("mix_effects", mix_effects),
)


def crossover(
    a: sc.Program, b: sc.Program, rng: random.Random, names: tuple[str, str] = ("A", "B")
) -> Result:
    """A child of two SynthDefs: A's oscillators, envelope and output; B's filter; effects of
    both; the union of their controls with shared defaults averaged (the spec's strategy).
    Stages that do not apply are skipped."""
    program, log = a, []
    for _, stage in CROSSOVER_STAGES:
        try:
            program, lines = stage(program, b, rng, names)
        except NotApplicable:
            continue
        log += lines
    return program, log


# --------------------------------------------------------------------------------------------
# Edits used by generate_synth's keywords
# --------------------------------------------------------------------------------------------


def set_oscillator(program: sc.Program, target: str, rng: random.Random) -> Result:
    """Every swappable oscillator becomes ``target`` (``Pulse → Saw``)."""
    graph = locate(program)
    calls = [c for c in _swappable_oscillators(graph.function) if _class_of(c) != target]
    if not calls:
        raise NotApplicable(f"no oscillator to turn into {target}")
    sources = sorted({_class_of(c) or "" for c in calls})
    mapping: dict[int, sc.Node] = {id(c): _retarget_oscillator(c, target, rng) for c in calls}
    return _map_nodes(program, mapping), [f"{source} → {target}" for source in sources]


def _cutoff_control(graph: Graph) -> Control | None:
    for control in controls(graph):
        role = role_of(control.name)
        if role is not None and role.name == "cutoff" and control.value is not None:
            return control
    return None


def set_filter(
    program: sc.Program,
    target: str,
    rng: random.Random,
    *,
    min_resonance: float | None = None,
    cutoff: float = 1500.0,
) -> Result:
    """Make the main low-pass filter a ``target`` (``RLPF → MoogFF``), or insert one on the
    signal reading the ``cutoff`` control (added with default ``cutoff`` when missing).
    ``min_resonance`` (0-1) raises a literal resonance that is lower, or sets a missing one."""
    graph = locate(program)
    calls = _filter_calls(graph.function, "lowpass")
    log: list[str] = []
    if calls:
        source = _class_of(_main_filter(calls)) or ""
        targets = [c for c in calls if _class_of(c) == source]
        mapping: dict[int, sc.Node] = {}
        for call in targets:
            new = _retarget_filter(call, target, default_unit=min_resonance)
            mapping[id(call)] = _raise_resonance(new, min_resonance)
        if source == target and all(mapping[id(c)] == c for c in targets):
            raise NotApplicable(f"the filter is already a resonant {target}")
        program = _map_nodes(program, mapping)
        log.append(f"{source} → {target}" if source != target else f"{target}: more resonance")
        return program, log
    control = _cutoff_control(graph)
    function = graph.function
    if control is None:
        name = _fresh("cutoff", graph.identifiers())
        function = _add_param(function, name, sc.Number.of(float(cutoff)))
        control_node: sc.Node = sc.Name(name)
        log_name = name
    else:
        control_node = sc.Name(control.name) if isinstance(control.node, sc.Param) else control.node
        log_name = control.name

    def make(signal: sc.Node, pre_level: bool) -> sc.Node:
        template = _ugen(target, "ar", signal, control_node)
        return _retarget_filter(template, target, default_unit=min_resonance or 0.2)

    new_function = _insert_stage(Graph(graph.program, graph.synthdef, function), make)
    log.append(f"Added {target} low-pass filter on {log_name}")
    return graph.with_function(new_function), log


def _raise_resonance(call: sc.Call, minimum: float | None) -> sc.Call:
    class_name = _class_of(call) or ""
    if minimum is None or class_name not in _RESONANCE:
        return call
    name, kind = _RESONANCE[class_name]
    signature = FILTER_SIGNATURES[class_name]
    current = _arg(call, signature, name)
    if current is None:
        return _with_arg(call, signature, name, _from_unit(_num(minimum), kind))
    value = _literal(current)
    if value is None:
        return call
    unit = _literal(_to_unit(current, kind))
    if unit is not None and unit >= minimum:
        return call
    return _with_arg(call, signature, name, _from_unit(_num(minimum), kind))


def add_filter_envelope(
    program: sc.Program, rng: random.Random, *, amount: float = 3.0, decay: float = 0.3
) -> Result:
    """Kick the main low-pass filter's frequency up with a decaying envelope, as an acid bass
    does: ``freq * (1 + (filterEnv * 3))``, ``filterEnv`` retriggered by the gate if any.
    Not applicable when the frequency already follows an envelope."""
    graph = locate(program)
    calls = _filter_calls(graph.function, "lowpass")
    if not calls:
        raise NotApplicable("no low-pass filter to give an envelope")
    main = _main_filter(calls)
    class_name = _class_of(main) or ""
    signature = FILTER_SIGNATURES[class_name]
    freq = _arg(main, signature, _freq_name(class_name))
    if freq is None:
        raise NotApplicable("the filter has no frequency argument")
    envelopes = _envelope_vars(graph.function)
    if any(isinstance(n, sc.Name) and n.name in envelopes for n in sc.walk(freq)) or any(
        _class_of(c) in _ENV_CLASSES for c in _walk_calls(freq)
    ):
        raise NotApplicable("the filter already follows an envelope")
    variable = _fresh("filterEnv", graph.identifiers())
    decay_value = _round(decay * rng.uniform(0.8, 1.25), 2)
    env_args: list[sc.Node] = [
        _method(sc.ClassName("Env"), "perc", sc.Number("0.003"), sc.Number.of(decay_value))
    ]
    if "gate" in graph.param_names:
        env_args.append(sc.Name("gate"))
    envelope = _ugen("EnvGen", "kr", *env_args)
    depth = _round(amount * rng.uniform(0.8, 1.25), 2)
    swept = _binop(
        freq,
        "*",
        sc.Paren(
            (
                _binop(
                    sc.Number("1"),
                    "+",
                    sc.Paren((_binop(sc.Name(variable), "*", sc.Number.of(depth)),)),
                ),
            )
        ),
    )
    new_freq = _method(swept, "clip", sc.Number("30"), _num(NYQUIST_GUARD))
    new_main = _with_arg(main, signature, _freq_name(class_name), new_freq)
    function = _map_nodes(graph.function, {id(main): new_main})
    declaration = sc.VarDecl((sc.VarDef(variable, envelope),))
    function = replace(function, var_decls=(declaration, *function.var_decls))
    return graph.with_function(function), [
        f"Added filter envelope to {class_name} (decay {_fmt(decay_value)} s)"
    ]


def scale_controls(
    program: sc.Program, role: str, factor: float, *, low: float = 20.0, high: float = NYQUIST_GUARD
) -> Result:
    """Multiply the defaults of every control of a role (``cutoff``) by ``factor``, clamped;
    without such a control, the literal frequencies of the low-pass filters."""
    graph = locate(program)
    mapping: dict[int, sc.Node] = {}
    log: list[str] = []
    for control in controls(graph):
        found = role_of(control.name)
        value = control.value
        if found is None or found.name != role or value is None or value <= 0:
            continue
        new = _round(min(high, max(low, value * factor)))
        if new != value:
            mapping[id(control.node)] = control.with_default(sc.Number.of(new))
            log.append(f"{control.name}: {_fmt(value)} → {_fmt(new)}")
    if not mapping and role == "cutoff":
        for call in _filter_calls(graph.function, "lowpass"):
            class_name = _class_of(call) or ""
            signature = FILTER_SIGNATURES[class_name]
            value = _literal(_arg(call, signature, _freq_name(class_name)))
            if value is None or value <= 0:
                continue
            new = _round(min(high, max(low, value * factor)))
            mapping[id(call)] = _with_arg(
                call, signature, _freq_name(class_name), sc.Number.of(new)
            )
            log.append(f"{class_name} frequency: {_fmt(value)} → {_fmt(new)}")
    if not mapping:
        raise NotApplicable(f"no {role} to change")
    return _map_nodes(program, mapping), log


def scale_envelope(
    program: sc.Program, words: frozenset[str], factor: float, *, minimum: float = MIN_TIME
) -> Result:
    """Multiply envelope times of some kinds (``{"release", "decay"}``) by ``factor``."""
    graph = locate(program)
    changes = []
    for site in _time_sites(graph):
        if site.word in words or (site.word == "duration" and "release" in words):
            new = _round(min(MAX_TIME, max(minimum, site.value * factor)))
            if new != site.value:
                changes.append((site, new))
    if not changes:
        raise NotApplicable(f"no envelope {'/'.join(sorted(words))} time to change")
    return _apply_times(program, graph, changes)


def detune_oscillators(program: sc.Program, rng: random.Random, amount: float = 0.3) -> Result:
    """Thicken each swappable oscillator into three detuned copies mixed to one:
    ``Mix(Saw.ar(freq * [0.994, 1, 1.006])) * 0.5``."""
    graph = locate(program)
    calls = _swappable_oscillators(graph.function)
    if not calls:
        raise NotApplicable("no oscillator to detune")
    spread = _round(rng.uniform(0.003, 0.004 + 0.01 * amount), 2)
    ratios = sc.Array((_num(1 - spread, 4), sc.Number("1"), _num(1 + spread, 4)))
    mapping: dict[int, sc.Node] = {}
    for call in calls:
        class_name = _class_of(call) or ""
        bound = _bind(call, OSC_SIGNATURES[class_name]) or {}
        key = "syncFreq" if class_name == "SyncSaw" else "freq"
        freq = bound.get(key, sc.Number("440"))
        bound[key] = _binop(freq, "*", ratios)
        if class_name == "SyncSaw" and "sawFreq" in bound:
            bound["sawFreq"] = _binop(bound["sawFreq"], "*", ratios)
        spread_call = _build(call, class_name, bound)
        mapping[id(call)] = _binop(
            sc.Call(sc.ClassName("Mix"), "new", (spread_call,), style="new"), "*", sc.Number("0.5")
        )
    classes = sorted({_class_of(c) or "" for c in calls})
    return _map_nodes(program, mapping), [
        f"Detuned {', '.join(classes)} into three voices (±{_fmt(spread * 100)}%)"
    ]


StageKind = Literal["pluck", "ring", "noise"]


def add_stage(program: sc.Program, kind: StageKind, rng: random.Random) -> Result:
    """Insert a keyword stage on the signal: ``pluck`` (a short percussive envelope), ``ring``
    (inharmonic ring modulation, metallic) or ``noise`` (noise following the signal)."""
    graph = locate(program)
    freq: sc.Node = sc.Name("freq") if "freq" in _control_names(graph) else sc.Number("440")
    if kind == "pluck":
        decay = _round(rng.uniform(0.15, 0.35), 2)
        envelope = _ugen(
            "EnvGen",
            "kr",
            _method(sc.ClassName("Env"), "perc", sc.Number("0.002"), sc.Number.of(decay)),
        )

        def make(signal: sc.Node, pre_level: bool) -> sc.Node:
            return _binop(signal, "*", envelope)

        line = f"Added plucky decay ({_fmt(decay)} s)"
    elif kind == "ring":
        ratio = rng.choice((1.41, 2.76, 3.53, 5.4))
        carrier = _ugen(
            "SinOsc",
            "ar",
            _binop(freq, "*", sc.Number.of(ratio)),
            sc.Number("0"),
            sc.Number("0.7"),
            sc.Number("0.3"),
        )

        def make(signal: sc.Node, pre_level: bool) -> sc.Node:
            return _binop(signal, "*", carrier)

        line = f"Added ring modulation at {_fmt(ratio)} × freq"
    else:
        depth = _round(rng.uniform(0.3, 0.6), 2)
        noise = _ugen("PinkNoise", "ar", sc.Number.of(depth))

        def make(signal: sc.Node, pre_level: bool) -> sc.Node:
            return _binop(signal, "+", sc.Paren((_binop(signal, "*", noise),)))

        line = f"Added noise following the signal ({_fmt(depth)})"
    return graph.with_function(_insert_stage(graph, make)), [line]


def scale_output(program: sc.Program, factor: float) -> Result:
    """Every output's signal multiplied by ``factor`` (to bring a hot synth below full scale)."""
    graph = locate(program)
    outs = _output_calls(graph.function)
    mapping: dict[int, sc.Node] = {}
    for out in outs:
        signal = _signal_of(out)
        if signal is not None:
            mapping[id(out)] = _with_signal(out, _binop(signal, "*", _num(factor)))
    if not mapping:
        raise NotApplicable("no output to scale")
    function = _map_nodes(graph.function, mapping)
    return graph.with_function(function), [f"Output level × {_fmt(_round(factor))}"]
