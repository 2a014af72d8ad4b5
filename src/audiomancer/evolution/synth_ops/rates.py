"""The rate and kind of each signal in a SynthDef's graph, read from the source (issue 13 §3).

Every expression of a graph function has a rate (``ar``, ``kr``, ``ir`` or ``dr`` for demand
rate) and a kind: ``audio`` (an audio-rate signal), ``control`` (a control-rate signal: LFOs,
envelopes at ``.kr``, controls), ``scalar`` (numbers and ``.ir`` values), ``fft`` (an FFT chain:
what ``FFT(...)`` and the ``PV_`` UGens pass along; a buffer number to scsynth, no signal),
``demand`` (``Dseq``, ``Drand``, ...: only ``Demand``/``Duty`` read them) and ``index`` (a
buffer made with ``LocalBuf``). It is inferred like sclang does when it builds the graph: a UGen
class called ``.ar``/``.kr``/``.ir`` has that rate; arithmetic takes the highest rate of its
operands; a method on a signal (``sig.tanh``, ``.clip``, ``.range``, ``!2``) keeps its rate; a
variable has the kind of its last assignment before the point asked about; an argument is a
control. What cannot be told from the source (an unknown class's ``new``, a language-side
loop) is None, and every check lets None through: sclang still compiles every result.

The operators use it to act only where an operation makes sense: a new audio stage goes on an
audio signal only (never on an FFT chain, ``chain * dist`` makes scsynth fail with "FFTBase_Ctor
error", nor on a control signal), never on a synth whose only output is ``Out.kr``; and
:func:`rate_problem` rejects an edited graph before it is compiled when an audio-rate filter or
effect is fed a control-rate signal ("MoogFF first input is not audio rate"), a PV UGen gets no
FFT chain, or ``Out.ar`` no audio.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeVar

from audiomancer.evolution.synth_ops.tables import (
    BUFFER_DELAYS,
    EFFECT_KINDS,
    FILTER_SIGNATURES,
)
from audiomancer.supercollider import syntax as sc
from audiomancer.supercollider.ugens import OUTPUTS, family_of

Rate = Literal["ar", "kr", "ir", "dr"]
Kind = Literal["audio", "control", "scalar", "fft", "demand", "index"]


@dataclass(frozen=True)
class Signal:
    """The rate and kind of an expression; None where the source does not tell."""

    rate: Rate | None
    kind: Kind | None

    @property
    def is_audio(self) -> bool:
        """An audio-rate signal: something an audio filter or effect may process."""
        return self.kind == "audio"

    @property
    def known(self) -> bool:
        return self.kind is not None


UNKNOWN: Final = Signal(None, None)
AUDIO: Final = Signal("ar", "audio")
CONTROL: Final = Signal("kr", "control")
SCALAR: Final = Signal("ir", "scalar")
FFT_CHAIN: Final = Signal("kr", "fft")
DEMAND: Final = Signal("dr", "demand")
BUFFER: Final = Signal("ir", "index")

_RATE_ORDER: Final[dict[str, int]] = {"ir": 0, "kr": 1, "ar": 2}
_BY_RATE: Final[dict[str, Signal]] = {"ar": AUDIO, "kr": CONTROL, "ir": SCALAR}
_DEMAND_CLASSES: Final = frozenset(
    {"Dseq", "Dser", "Drand", "Dxrand", "Dwrand", "Dshuf", "Dwhite", "Diwhite", "Dbrown",
     "Dibrown", "Dseries", "Dgeom", "Dbufrd", "Dbufwr", "Dswitch", "Dswitch1", "Dstutter",
     "Dconst", "Dreset", "Dpoll", "Dunique", "Dtag", "Ddup", "Dfsm", "Donce"}
)  # fmt: skip
_MIXERS: Final = frozenset({"Mix", "Splay", "SplayAz"})
_KEEPING: Final = frozenset({"dup", "asArray", "flat", "reverse", "scramble", "rotate"})
_AUDIO_FIRST_INPUT: Final = frozenset(
    {"LPF", "HPF", "RLPF", "RHPF", "BLowPass", "BLowPass4", "BHiPass", "BHiPass4", "MoogFF",
     "BPF", "BRF", "Resonz", "Ringz", "Formlet", "OnePole", "OneZero", "TwoPole", "TwoZero",
     "BBandPass", "BBandStop", "BPeakEQ", "BLowShelf", "BHiShelf", "MidEQ", "SOS", "FOS",
     "LeakDC", "Decay", "Decay2", "Median", "Slew", "Integrator", "Lag", "Lag2", "Lag3",
     "LagUD", "Ramp", "LPZ1", "LPZ2", "HPZ1", "HPZ2", "BPZ2", "BRZ2", "FreeVerb", "FreeVerb2",
     "GVerb", "JPverb", "Greyhole", "PitchShift"}
)  # fmt: skip
"""UGen classes whose first input must have their own rate (sclang's
``checkSameRateAsFirstInput``): called at ``.ar`` a control signal or a number fails to build
("MoogFF first input is not audio rate"). Measured with sclang 3.13; delays, DFM1, MoogLadder
and the dynamics accept a control-rate input."""


_SIGNAL_FIRST: Final = frozenset(
    {*_AUDIO_FIRST_INPUT, *(EFFECT_KINDS.keys() - BUFFER_DELAYS.keys()), *FILTER_SIGNATURES,
     *OUTPUTS, "Pan2", "Balance2", "LinPan2", "Splay", "XFade2", "Limiter", "Compander",
     "Normalizer", "Amplitude", "K2A", "A2K", "Latch", "Shaper"}
)  # fmt: skip
"""UGens whose first input is a signal, never an FFT chain."""


def _is_chain_class(name: str) -> bool:
    return name == "FFT" or name.startswith("PV_") or name in ("PackFFT", "FFTTrigger")


def combine(signals: Iterable[Signal]) -> Signal:
    """The signal that arithmetic on these makes: an FFT chain or demand input stays one, else
    the highest rate wins; unknown when an operand is unknown and no operand is audio."""
    found = list(signals)
    if not found:
        return UNKNOWN
    kinds = {s.kind for s in found}
    if "fft" in kinds:
        return FFT_CHAIN
    if "demand" in kinds:
        return DEMAND
    if "audio" in kinds:
        return AUDIO
    if None in kinds:
        return UNKNOWN
    rate = max((s.rate for s in found if s.rate in _RATE_ORDER), key=_RATE_ORDER.__getitem__)
    return _BY_RATE[rate]


Env = Mapping[str, Signal]


def signal_of(node: sc.Node | None, env: Env) -> Signal:
    """The rate and kind of ``node`` where the variables have the signals of ``env``."""
    if node is None:
        return UNKNOWN
    if isinstance(node, sc.Number | sc.Char | sc.Symbol | sc.String | sc.Constant):
        return SCALAR
    if isinstance(node, sc.Name):
        return env.get(node.name, UNKNOWN)
    if isinstance(node, sc.Paren | sc.Sequence):
        return signal_of(node.body[-1], env) if node.body else UNKNOWN
    if isinstance(node, sc.Array | sc.LiteralArray):
        return combine(signal_of(e, env) for e in node.elements)
    if isinstance(node, sc.Ref):
        return signal_of(node.value, env)
    if isinstance(node, sc.Index | sc.Slice):
        return signal_of(node.receiver, env)
    if isinstance(node, sc.BinaryOp):
        if node.op == "!":
            return signal_of(node.left, env)
        return combine((signal_of(node.left, env), signal_of(node.right, env)))
    if isinstance(node, sc.FunctionDef):
        return signal_of(node.body[-1], _with_params(node, env)) if node.body else UNKNOWN
    if isinstance(node, sc.Call):
        return _call_signal(node, env)
    return UNKNOWN


def _with_params(function: sc.FunctionDef, env: Env) -> Env:
    inner = dict(env)
    for name in function.param_names:
        inner[name] = UNKNOWN  # an inner function's arguments: an index, a value, ...
    return inner


def _call_signal(call: sc.Call, env: Env) -> Signal:
    receiver = call.receiver
    selector = call.selector
    if isinstance(receiver, sc.ClassName):
        name = receiver.name
        if name in OUTPUTS:
            return UNKNOWN
        if _is_chain_class(name) and selector == "new":
            return FFT_CHAIN
        if name == "IFFT" and selector == "new":
            return AUDIO
        if name in _DEMAND_CLASSES:
            return DEMAND
        if name == "LocalBuf":
            return BUFFER
        if name in _MIXERS and selector in ("new", "ar", "kr"):
            inputs = combine(signal_of(a, env) for a in call.args[:1])
            return inputs if selector == "new" else _BY_RATE[selector]
        if selector in _BY_RATE and name not in ("Env", "Array", "Signal", "Wavetable"):
            return _BY_RATE[selector]
        return UNKNOWN
    if selector in _BY_RATE and (
        _is_envelope_spec(receiver)
        or isinstance(receiver, sc.Symbol)
        or not signal_of(receiver, env).known
    ):
        # Env.perc(...).kr(2), \\freq.kr(440), \\in.ar, Control.names(\\env).kr(...)
        return _BY_RATE[selector]
    if receiver is None:  # tanh(x), max(a, b), Select.ar is a class call
        return combine(signal_of(a, env) for a in call.args)
    if isinstance(receiver, sc.FunctionDef) and selector in ("dup", "value"):
        return signal_of(receiver, env)
    base = signal_of(receiver, env)
    if selector in ("dup", "asArray", "flat", "reverse", "scramble", "rotate", "sum"):
        return base
    return combine((base, *(signal_of(a, env) for a in call.args)))


def _is_envelope_spec(node: sc.Node | None) -> bool:
    while isinstance(node, sc.Call):
        if node.receiver == sc.ClassName("Env"):
            return True
        node = node.receiver
    return False


def parameters(
    function: sc.FunctionDef, rates: sc.Node | None = None, prepend: int = 0
) -> dict[str, Signal]:
    """The graph function's arguments: controls, ``i_`` ones and ``\\ir`` ones scalars,
    ``\\ar`` ones (the SynthDef's ``rates``) audio; prepended arguments are unknown."""
    marks = rates.elements if isinstance(rates, sc.Array | sc.LiteralArray) else ()
    found: dict[str, Signal] = {}
    for index, name in enumerate(function.param_names):
        mark = marks[index - prepend] if 0 <= index - prepend < len(marks) else None
        rate = mark.name if isinstance(mark, sc.Symbol) else None
        if index < prepend:
            found[name] = UNKNOWN
        elif rate == "ar":
            found[name] = AUDIO
        elif name.startswith("i_") or rate == "ir":
            found[name] = SCALAR
        else:
            found[name] = CONTROL
    return found


def signals_before(
    function: sc.FunctionDef,
    index: int | None = None,
    *,
    rates: sc.Node | None = None,
    prepend: int = 0,
) -> dict[str, Signal]:
    """Each argument's and local variable's signal just before statement ``index`` of the
    function's body (after the whole body when None): the kind of its last assignment.
    ``rates`` and ``prepend``: the SynthDef's ``rates`` argument and prepended-argument count."""
    env = parameters(function, rates, prepend)
    for decl in function.var_decls:
        for definition in decl.defs:
            env[definition.name] = (
                signal_of(definition.value, env) if definition.value is not None else SCALAR
            )
    body = function.body if index is None else function.body[: max(index, 0)]
    for statement in body:
        _assign(statement, env)
    return env


def _assign(statement: sc.Node, env: dict[str, Signal]) -> None:
    if isinstance(statement, sc.Assign) and isinstance(statement.target, sc.Name):
        env[statement.target.name] = signal_of(statement.value, env)
    elif isinstance(statement, sc.MultiAssign):
        value = signal_of(statement.value, env)
        for name in (*statement.names, *([statement.rest] if statement.rest else [])):
            env[name] = value
    # ``Out.ar(...)`` and other statements bind nothing


def output_rates(function: sc.FunctionDef) -> set[str]:
    """The rates (``ar``/``kr``) of the output UGens the graph writes with."""
    return {
        node.selector
        for node in sc.walk(function)
        if isinstance(node, sc.Call)
        and isinstance(node.receiver, sc.ClassName)
        and node.receiver.name in OUTPUTS
        and node.selector in ("ar", "kr")
    }


def writes_control_only(function: sc.FunctionDef) -> bool:
    """True when the synth outputs only at control rate (``Out.kr``, ``ReplaceOut.kr``): a
    control source such as an LFO or an envelope for a bus, not a sound."""
    rates = output_rates(function)
    return bool(rates) and "ar" not in rates


def rate_problem(
    function: sc.FunctionDef, rates: sc.Node | None = None, prepend: int = 0
) -> str | None:
    """Why the graph cannot build or play as the source stands, when the source shows it: an
    audio-rate filter, delay or effect fed a control-rate or scalar first input, a PV UGen or
    IFFT given no FFT chain, an FFT chain where a signal belongs, or ``Out.ar`` given no audio.
    None when nothing is known to be wrong (sclang still has the last word)."""
    env = parameters(function, rates, prepend)
    for decl in function.var_decls:
        for definition in decl.defs:
            if definition.value is not None:
                if (found := _problem_in(definition.value, env)) is not None:
                    return found
                env[definition.name] = signal_of(definition.value, env)
    for statement in function.body:
        if (found := _problem_in(statement, env)) is not None:
            return found
        _assign(statement, env)
    return None


def program_rate_problem(program: sc.Program) -> str | None:
    """:func:`rate_problem` of the SynthDef in ``program`` (its ``rates`` argument and
    prepended arguments counted); None when the graph cannot be located."""
    from audiomancer.errors import SynthDefError
    from audiomancer.evolution.synth_ops.graph import locate

    try:
        graph = locate(program)
    except SynthDefError:
        return None
    return rate_problem(graph.function, graph.synthdef.rates, graph.prepend_count)


def _problem_in(node: sc.Node, env: Env) -> str | None:
    for operation in _outside_functions(node, sc.BinaryOp):
        sides = (signal_of(operation.left, env), signal_of(operation.right, env))
        if operation.op != "!" and any(side.kind == "fft" for side in sides):
            return f"arithmetic ({operation.op}) on an FFT chain: scsynth reads it as a buffer"
    for call in _outside_functions(node, sc.Call):
        receiver = call.receiver
        on_value = receiver is not None and not isinstance(receiver, sc.ClassName | sc.FunctionDef)
        if on_value and call.selector not in _KEEPING and signal_of(receiver, env).kind == "fft":
            return f"a method ({call.selector}) on an FFT chain"
        if not isinstance(receiver, sc.ClassName):
            continue
        name = receiver.name
        first = call.args[0] if call.args else None
        if first is None or isinstance(first, sc.Splat):
            continue
        if name == "FFT" and call.selector == "new":
            signal_input = call.args[1] if len(call.args) > 1 else None
            given = signal_of(signal_input, env)
            if given.kind == "fft":
                return "FFT is given an FFT chain as its input signal"
            continue
        given = signal_of(first, env)
        if (name.startswith("PV_") and call.selector == "new") or name == "IFFT":
            if given.known and given.kind not in ("fft",):
                return f"{name} is given {_describe(given)} where it needs an FFT chain"
            continue
        if given.kind == "fft" and call.selector in ("ar", "kr") and name in _SIGNAL_FIRST:
            return f"{name}.{call.selector} is given an FFT chain where a signal belongs"
        audio_only = call.selector == "ar" and name in _AUDIO_FIRST_INPUT
        if audio_only and given.known and not given.is_audio:
            return f"{name}.ar's first input is not audio rate (it is {_describe(given)})"
        if call.selector == "kr" and name in _AUDIO_FIRST_INPUT and given.is_audio:
            return f"{name}.kr's first input is an audio signal, not a control"
        if name in OUTPUTS and call.selector == "ar":
            channels = call.args[2] if name == "XOut" and len(call.args) > 2 else None
            sent = signal_of(channels if name == "XOut" else _out_signal(call), env)
            if sent.known and not sent.is_audio:
                return f"{name}.ar is given {_describe(sent)}, not audio"
    return None


def _out_signal(call: sc.Call) -> sc.Node | None:
    for keyword in call.kwargs:
        if keyword.name == "channelsArray":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def _describe(signal: Signal) -> str:
    return {
        "control": "a control-rate signal",
        "scalar": "a number",
        "fft": "an FFT chain",
        "demand": "a demand-rate sequence",
        "index": "a buffer number",
        "audio": "an audio signal",
    }.get(signal.kind or "", "unknown")


_N = TypeVar("_N", bound=sc.Node)


def _outside_functions(node: sc.Node, kind: type[_N]) -> list[_N]:
    """Nodes of ``kind`` in ``node``, not inside inner functions (their arguments are unknown
    here)."""
    found: list[_N] = []
    stack: list[sc.Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, sc.FunctionDef):
            continue
        if isinstance(current, kind):
            found.append(current)
        stack.extend(sc.children(current))
    return found


def sounding(name: str, rate: str) -> bool:
    """True for a UGen call that makes or shapes sound (not an LFO, an envelope or a control)."""
    return rate == "ar" and family_of(name, rate) in ("oscillator", "noise", "filter", "effect")
