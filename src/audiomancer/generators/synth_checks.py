"""Checking candidate synths: every synth the library returns compiles and can be heard.

0. **The parent.** A parent that does not compile, or cannot be heard at its default controls
   (silent or only a DC offset, NaN or infinite samples, peaks far above full scale, or scsynth
   cannot play it: a UGen not installed, an FFT buffer never allocated), is refused once and
   before any attempt, saying why (:func:`refuse_unheard`); an effect reading a bus is pointed
   to ``synth audition/render --test-input`` (:mod:`audiomancer.supercollider.probe`). A
   silent parent therefore never yields a "kept" silent child.
1. **Compile.** After each operator the candidate is checked by the rate analysis
   (:func:`~audiomancer.evolution.synth_ops.rate_problem`: an FFT chain fed to a delay, a
   control signal to an audio-rate filter are rejected without asking sclang) and compiled by
   the real sclang (:func:`audiomancer.supercollider.lang.compile_synthdef`, ~5-30 ms; cached
   by code, bytes kept). An operator that does not apply
   (:class:`~audiomancer.evolution.synth_ops.NotApplicable`), cannot build or does not compile
   is undone, noted in ``GeneratedSynth.rejected``, and another operator is tried
   (:func:`apply_edit`). ``mutate_synth`` compiles only the finished candidate (under the name
   it will most likely get, so the result's own check is a cache hit) and draws a candidate
   that does not compile again with every edit compiled.
2. **Render once.** The finished candidate plays a short phrase offline. It must be audible:
   not silent, not only a DC offset, no NaN or infinity, peak below full scale. A candidate
   that clips by less than 27 dB, or peaks within 1 dB of full scale (:data:`SAFE_PEAK`: the
   next render of a noisy synth may clip), is scaled down (``Output level × 0.5`` in the log):
   for a SynthDef that reads no bus the scaled audition follows from its own (every sample
   times the factor), one that may hear its own output is rendered again (:func:`accept`).
   An accepted candidate with noise of its own that peaks above 0.5 is also rendered at
   :data:`NOISE_SEEDS` (one scsynth run) and scaled down when one of them would clip: the
   audition is one seed, the musician hears others.
   Several codes are auditioned in one scsynth run (:func:`audition_all`): ``mutate_synth``
   auditions its first candidate alone (compiled in one sclang round trip with the parent,
   one render when it passes: the common case) and, when it fails, the parent together with
   the next three candidates, refusing a parent that cannot be heard before they count.
3. **Retry.** A candidate that fails is dropped and a new one is drawn from the same random
   stream, up to :data:`MAX_ATTEMPTS` times; then SynthDefError. Nothing unchecked is returned.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from audiomancer.analyzers.synthdef import SynthDefInfo, parse_synthdef
from audiomancer.errors import EngineError, SynthDefError
from audiomancer.evolution import synth_ops
from audiomancer.evolution.synth_ops import NotApplicable, Result
from audiomancer.generators.lineage import LineageTracker
from audiomancer.generators.synth_model import GeneratedSynth
from audiomancer.generators.synth_names import pick_name
from audiomancer.supercollider import lang, nrt, probe, scgf
from audiomancer.supercollider import syntax as sc
from audiomancer.supercollider.ugens import family_of

__all__ = [
    "CACHE_LIMIT",
    "MAX_ATTEMPTS",
    "PHRASE_SECONDS",
    "Candidate",
    "accept",
    "apply_edit",
    "as_info",
    "audition",
    "audition_all",
    "bound",
    "compile_error",
    "compiled_bytes",
    "default_tracker",
    "digest",
    "finish",
    "heard_as_effect",
    "is_silent",
    "make_rng",
    "parent_known",
    "parent_verdict",
    "reads_audio_bus",
    "record_parent",
    "refuse_unheard",
    "require_compiles",
    "require_compiles_only",
    "to_generated",
]

MAX_ATTEMPTS: Final = 8
"""Candidates drawn before giving up on a mutation, crossover or generation."""
PHRASE_SECONDS: Final = 2.0
"""Length of the audition phrase every result is rendered with."""
_LEVEL_STEPS: Final = (0.5, 0.25, 0.125, 0.0625, 0.03125)
_TARGET_PEAK: Final = 0.7
SAFE_PEAK: Final = 0.9
"""A candidate peaking above this (-0.9 dBFS) is scaled down as if it clipped: noise, random
phases and build-time randomness make every render a little different, and one that just
missed full scale here may reach it the next time it plays."""


def as_info(synth: SynthDefInfo | GeneratedSynth) -> SynthDefInfo:
    if isinstance(synth, GeneratedSynth):
        return synth.to_info()
    if isinstance(synth, SynthDefInfo):
        return synth
    raise TypeError(f"expected a SynthDefInfo or GeneratedSynth, not {type(synth).__name__}")


_V = TypeVar("_V")
_COMPILE_CACHE: dict[str, str | None] = {}
_BYTES_CACHE: dict[str, bytes] = {}
_PARENT_CACHE: dict[str, str | None] = {}
CACHE_LIMIT: Final = 512


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogateescape")).hexdigest()


def _remember(cache: dict[str, _V], key: str, value: _V) -> None:
    if len(cache) > CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def compile_error(code: str) -> str | None:
    """sclang's complaint about the code, None when it compiles to a SynthDef (whose bytes
    :func:`compiled_bytes` then gives without asking sclang again)."""
    key = digest(code)
    if key in _COMPILE_CACHE:
        return _COMPILE_CACHE[key]
    try:
        _remember(_BYTES_CACHE, key, lang.compile_synthdef(code))
        error = None
    except SynthDefError as failure:
        error = str(failure).strip().splitlines()[0][:200] if str(failure).strip() else "error"
    _remember(_COMPILE_CACHE, key, error)
    return error


def compile_together(codes: Sequence[str]) -> None:
    """Compile the codes not compiled yet in one sclang round trip
    (:func:`audiomancer.supercollider.lang.compile_synthdef_batch`), filling the caches that
    :func:`compile_error` and :func:`compiled_bytes` read."""
    pending = list(dict.fromkeys(c for c in codes if digest(c) not in _COMPILE_CACHE))
    if len(pending) < 2:
        return  # one code: compile_error asks sclang with the full error position
    for code, result in zip(pending, lang.compile_synthdef_batch(pending), strict=True):
        key = digest(code)
        if isinstance(result, bytes):
            _remember(_BYTES_CACHE, key, result)
            _remember(_COMPILE_CACHE, key, None)
        else:
            _remember(_COMPILE_CACHE, key, str(result).strip().splitlines()[0][:200])


def compiled_bytes(code: str) -> bytes:
    """The SCgf bytes of code that compiles (SynthDefError otherwise), compiled once."""
    error = compile_error(code)
    if error is not None:
        raise SynthDefError(error)
    key = digest(code)
    if key not in _BYTES_CACHE:
        _remember(_BYTES_CACHE, key, lang.compile_synthdef(code))
    return _BYTES_CACHE[key]


def audition_all(
    codes: Sequence[str], *, test_input: bool = False
) -> list[nrt.RenderResult | SynthDefError | EngineError]:
    """Compile (once each) and audition several codes in ONE scsynth run (see
    :mod:`audiomancer.supercollider.probe`): each code's measures, or why it fails. With
    ``test_input`` each is an effect fed the test signal on the bus it reads."""
    compile_together(codes)
    outcomes: list[nrt.RenderResult | SynthDefError | EngineError] = []
    playable: list[tuple[int, bytes]] = []
    for index, code in enumerate(codes):
        error = compile_error(code)
        outcomes.append(SynthDefError(f"does not compile: {error}"))
        if error is None:
            playable.append((index, compiled_bytes(code)))
    if playable:
        try:
            rendered: list[nrt.RenderResult | SynthDefError | EngineError] = list(
                probe.audition_many(
                    [probe.Probe(scgf, test_input) for _, scgf in playable], PHRASE_SECONDS
                )
            )
        except EngineError as failure:
            rendered = [failure] * len(playable)
        for (index, _), outcome in zip(playable, rendered, strict=True):
            outcomes[index] = outcome
    return outcomes


def audition(code: str, *, test_input: bool = False) -> nrt.RenderResult:
    """Compile and render the audition phrase (measured, the WAV deleted): a pure DC offset
    counts as silent. SynthDefError when it does not compile or scsynth cannot play it."""
    outcome = audition_all([code], test_input=test_input)[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def is_silent(code: str) -> bool:
    """True when a (parent's) code renders without error but silently."""
    verdict = parent_verdict(code)
    return verdict is not None and verdict.startswith("silent")


def parent_verdict(code: str, *, test_input: bool = False) -> str | None:
    """Why a parent cannot be heard at its default controls (``silent ...``, ``NaN ...``,
    ``too loud ...``, ``unplayable ...``), None when it can; rendered once per code. With
    ``test_input``: heard as an effect, fed the test signal on the bus it reads."""
    key = digest(code) + (":test-input" if test_input else "")
    if key not in _PARENT_CACHE:
        outcome = audition_all([code], test_input=test_input)[0]
        _remember(_PARENT_CACHE, key, _verdict(outcome))
    return _PARENT_CACHE[key]


def parent_known(code: str) -> bool:
    return digest(code) in _PARENT_CACHE


def _verdict(outcome: nrt.RenderResult | SynthDefError | EngineError) -> str | None:
    if isinstance(outcome, EngineError):
        return None  # scsynth itself failed: not the parent's fault, the candidates will say
    if isinstance(outcome, SynthDefError):
        lines = [line.strip() for line in str(outcome).splitlines()[1:] if line.strip()]
        return f"unplayable: scsynth cannot play it ({(lines or [str(outcome)])[0][:160]})"
    if outcome.has_nan:
        return "NaN: it renders NaN or infinite samples"
    if outcome.is_silent:
        return f"silent: it renders nothing audible (peak {outcome.peak_dbfs:.1f} dBFS)"
    if outcome.peak * min(_LEVEL_STEPS) > _TARGET_PEAK:
        return (
            f"too loud: it peaks at {outcome.peak:.3g} ({outcome.peak_dbfs:+.1f} dBFS), beyond "
            "what scaling its output can bring below full scale"
        )
    return None


def record_parent(code: str, outcome: nrt.RenderResult | SynthDefError | EngineError) -> None:
    """Keep the verdict of a parent auditioned together with candidates."""
    _remember(_PARENT_CACHE, digest(code), _verdict(outcome))


def _problems(result: nrt.RenderResult) -> str:
    found = [
        text
        for flag, text in (
            (result.is_silent, f"silent (peak {result.peak_dbfs:.1f} dBFS)"),
            (result.has_nan, "NaN or infinite samples"),
            (result.clipping, f"clips (peak {result.peak:.2f})"),
        )
        if flag
    ]
    return ", ".join(found)


@dataclass
class Candidate:
    program: sc.Program
    log: list[str]


def finish(
    candidate: Candidate, base_code: str, rejected: list[str], *, test_input: bool = False
) -> Candidate | None:
    """The candidate, level-corrected if it clipped, once it compiles and renders audibly
    (with ``test_input``: as an effect fed the test signal); None (with the reason added to
    ``rejected``) otherwise."""
    code = sc.print_code(candidate.program)
    error = compile_error(code)
    if error is not None:
        rejected.append(f"candidate does not compile: {error}")
        return None
    outcome = audition_all([code], test_input=test_input)[0]
    return accept(candidate, outcome, rejected, test_input=test_input)


def accept(
    candidate: Candidate,
    outcome: nrt.RenderResult | SynthDefError | EngineError,
    rejected: list[str],
    *,
    test_input: bool = False,
) -> Candidate | None:
    """The candidate if its audition is audible, scaled down if it only clipped (the scaled
    audition predicted from this one, see :func:`_predicted`, or rendered again); None with
    the reason added to ``rejected`` otherwise."""
    if isinstance(outcome, SynthDefError) and str(outcome).startswith("does not compile"):
        rejected.append(f"candidate {outcome}")
        return None
    if isinstance(outcome, SynthDefError | EngineError):
        rejected.append(f"candidate does not render: {str(outcome)[:200]}")
        return None
    result = outcome
    if result.audible and result.peak <= SAFE_PEAK:
        return _steadied(candidate, result, test_input)
    if result.peak > SAFE_PEAK and not result.has_nan and not result.is_silent:
        factor = next((f for f in _LEVEL_STEPS if result.peak * f <= _TARGET_PEAK), None)
        if factor is not None:
            scaled, lines = synth_ops.scale_output(candidate.program, factor)
            again = _predicted(candidate, result, factor)
            if again is None:  # it may hear its own output: render it scaled to know
                try:
                    again = audition(sc.print_code(scaled), test_input=test_input)
                except (SynthDefError, EngineError) as failure:
                    rejected.append(f"scaled candidate does not render: {str(failure)[:200]}")
                    return None
            if again.audible:
                return _steadied(Candidate(scaled, [*candidate.log, *lines]), again, test_input)
            result = again
    rejected.append(f"candidate is not audible: {_problems(result)}")
    return None


NOISE_SEEDS: Final = tuple(range(1, 8))
"""Further seeds a synth with noise is auditioned with (in one scsynth run): one render may be
far from the loudest (a resonant RLPF swept by LFNoise1 peaked 0.21 to 1.46 over twelve
renders, above 0.8 in four of them; a mutant of Steal This Sound's prophet5pwmstrings 0.82 to
1.02, clipping in two of twelve)."""
_STEADY_PEAK: Final = 0.5
"""Below this peak no render at another seed of a synth with noise was seen to clip."""


def has_noise(code: str) -> bool:
    """True when the compiled synth has a noise or random UGen: its renders differ."""
    graph = scgf.read_scgf(compiled_bytes(code))
    return any(family_of(u.name) == "noise" for u in graph.ugens)


def loudest_peak(outcome: nrt.RenderResult, code: str, test_input: bool) -> float:
    """The highest peak of a synth's audition and its renders at :data:`NOISE_SEEDS`."""
    probes = [probe.Probe(compiled_bytes(code), test_input, seed) for seed in NOISE_SEEDS]
    peaks = [o.peak for o in probe.audition_many(probes, PHRASE_SECONDS)
             if isinstance(o, nrt.RenderResult)]  # fmt: skip
    return max([outcome.peak, *peaks])


def _steadied(candidate: Candidate, result: nrt.RenderResult, test_input: bool) -> Candidate:
    """The candidate, scaled down a step when it has noise of its own and a render of it at
    another seed (:data:`NOISE_SEEDS`) would clip: the audition is one seed of many, and the
    musician hears others."""
    if result.peak <= _STEADY_PEAK:
        return candidate
    code = sc.print_code(candidate.program)
    if not has_noise(code):
        return candidate
    loudest = loudest_peak(result, code, test_input)
    factor = next((f for f in _LEVEL_STEPS if loudest * f <= _TARGET_PEAK), None)
    if loudest <= SAFE_PEAK or factor is None:
        return candidate
    scaled, lines = synth_ops.scale_output(candidate.program, factor)
    return Candidate(scaled, [*candidate.log, *lines])


def _predicted(
    candidate: Candidate, result: nrt.RenderResult, factor: float
) -> nrt.RenderResult | None:
    """What the candidate's audition measures with its outputs scaled by ``factor``, told
    from its own audition without rendering again, or None when that cannot be told.

    Scaling multiplies what each Out writes and nothing else, so for a SynthDef that reads no
    bus (nothing it writes comes back into its sound) every sample is multiplied by the
    factor: exactly, for the powers of two of the level steps. A synth with randomness of its
    own renders differently each time, scaled or not; the target peak (-3 dBFS) leaves room."""
    scgf = _BYTES_CACHE.get(digest(sc.print_code(candidate.program)))
    if scgf is None or probe.reads_any_bus(scgf):
        return None
    return probe.scaled(result, factor)


def require_compiles_only(info: SynthDefInfo, others: Sequence[str] = ()) -> None:
    """SynthDefError when the parent does not compile (it cannot be evolved). ``others``:
    codes compiled in the same sclang round trip (the first candidates)."""
    key = digest(info.source_code)
    if others and key not in _COMPILE_CACHE:
        compile_together([info.source_code, *others])
        if _COMPILE_CACHE.get(key) is not None:
            del _COMPILE_CACHE[key]  # a batch's message lacks the position: ask it alone
    error = compile_error(info.source_code)
    if error is not None:
        raise SynthDefError(
            f"SynthDef {info.name!r} does not compile, so it cannot be evolved: {error}"
        )


def refuse_unheard(info: SynthDefInfo, verdict: str | None) -> None:
    """SynthDefError, said once and before any attempt, when the parent cannot be heard at
    its default controls (issue 13 §8): no audible variation of it could be checked."""
    reason = unheard_reason(info, verdict)
    if reason is not None:
        raise SynthDefError(reason)


def unheard_reason(info: SynthDefInfo, verdict: str | None) -> str | None:
    """What :func:`refuse_unheard` says; None when the parent can be heard."""
    if verdict is None:
        return None
    kind, _, detail = verdict.partition(": ")
    hint = _silence_reason(info) if kind in ("silent", "unplayable") else ""
    if kind == "silent":
        return (
            f"SynthDef {info.name!r} is silent at its default controls{hint}, so no audible "
            "variation of it can be checked"
        )
    return (
        f"SynthDef {info.name!r} cannot be heard at its default controls: {detail}{hint}, so "
        "no audible variation of it can be checked"
    )


def reads_audio_bus(code: str) -> bool:
    """True when the code compiles and reads an audio bus (``In.ar``, ``InFeedback.ar``): an
    effect."""
    return compile_error(code) is None and probe.reads_a_bus(compiled_bytes(code))


def heard_as_effect(code: str) -> bool:
    """True when the code reads an audio bus (an effect) and sounds fed the test signal on it:
    its variations are heard that way (``audition(..., test_input=True)``)."""
    return reads_audio_bus(code) and parent_verdict(code, test_input=True) is None


def require_compiles(info: SynthDefInfo) -> None:
    """SynthDefError when the parent does not compile, or cannot be heard at its defaults
    (silent, NaN, far above full scale, unplayable by scsynth), saying why."""
    require_compiles_only(info)
    refuse_unheard(info, parent_verdict(info.source_code))


_BUS_READERS: Final = frozenset({"In", "InFeedback", "LocalIn", "InTrig", "SoundIn"})
_BUFFER_READERS: Final = frozenset(
    {"PlayBuf", "BufRd", "TGrains", "GrainBuf", "Warp1", "FFT", "DelTapWr", "Convolution2",
     "RecordBuf", "BufDelayN", "BufCombN", "Osc", "OscN", "VOsc", "COsc"}
)  # fmt: skip
_CONTROL_OUTPUTS: Final = frozenset({"Out", "ReplaceOut", "XOut", "OffsetOut"})


def _silence_reason(info: SynthDefInfo) -> str:
    """Why a SynthDef that compiles may render nothing, from the UGens it uses."""
    used = {name for names in info.ugens.values() for name in names}
    reads_audio = reads_audio_bus(info.source_code)
    if "SoundIn" in used and not reads_audio:
        return " (it reads the sound card's input with SoundIn, which is silent offline)"
    if "In" in used and not reads_audio:
        return (
            " (it reads a control bus with In.kr, and nothing writes that bus when it is "
            "auditioned)"
        )
    if used & _BUS_READERS:
        return (
            " (it processes a bus it reads with In: an effect needs a signal on that bus; "
            f"hear it fed a test signal with `audiomancer synth audition {info.name} "
            "--test-input`)"
        )
    if used & _BUFFER_READERS:
        return " (it reads a buffer, and no buffer is loaded when it is auditioned)"
    if used & _CONTROL_OUTPUTS and "Out" not in used:
        return " (it writes a control bus, not sound)"
    return " (it renders below -60 dBFS, or only a DC offset)"


def apply_edit(
    edit: Callable[[sc.Program], Result],
    candidate: Candidate,
    label: str,
    rejected: list[str],
    *,
    compile_now: bool = True,
) -> Candidate | None:
    """``candidate`` after ``edit`` if it applies and still compiles; None otherwise.
    ``compile_now`` False: only the rate analysis checks it here (the finished candidate is
    compiled with the others of its batch)."""
    try:
        program, lines = edit(candidate.program)
    except NotApplicable as reason:
        rejected.append(f"{label}: not applicable: {reason}")
        return None
    problem = synth_ops.program_rate_problem(program)
    if problem is not None:  # impossible as written: no need to ask sclang
        rejected.append(f"{label}: result cannot build: {problem}")
        return None
    if not compile_now:
        return Candidate(program, [*candidate.log, *lines])
    error = compile_error(sc.print_code(program))
    if error is not None:
        rejected.append(f"{label}: result does not compile: {error}")
        return None
    return Candidate(program, [*candidate.log, *lines])


def bound(function: Callable[..., Result], *args: object) -> Callable[[sc.Program], Result]:
    """``function`` with every argument after the program fixed."""

    def edit(program: sc.Program) -> Result:
        return function(program, *args)

    return edit


def make_rng(seed: int | str | None) -> random.Random:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | str)):
        raise ValueError(f"invalid seed {seed!r}: expected an integer or None")
    return random.Random(seed)


def default_tracker(tracker: LineageTracker | None) -> LineageTracker:
    return tracker if tracker is not None else LineageTracker()


def to_generated(
    program: sc.Program,
    log: list[str],
    names: Iterator[str],
    tracker: LineageTracker,
    *,
    parents: list[str],
    method: str,
    category: str | None,
    rejected: list[str],
) -> GeneratedSynth:
    name, code = pick_name(names, program, tracker)
    error = compile_error(code)
    if error is not None:  # a name cannot break code, but nothing unchecked leaves here
        raise SynthDefError(f"the finished synth {name!r} does not compile: {error}")
    info = parse_synthdef(code, scgf=compiled_bytes(code))
    return GeneratedSynth(
        name=name,
        source_code=code,
        controls=info.controls,
        parent_ids=parents,
        generation_method=method,
        mutation_log=log,
        category=category,
        rejected=rejected,
    )
