"""Synth generation, mutation and breeding: the spec's generate_synth, mutate_synth, breed_synths.

The edits themselves are the pure operators of :mod:`audiomancer.evolution.synth_ops`; this
module picks them (all randomness from one ``random.Random(seed)``, so a seed gives the same
synth in any process), names the result and proves it works before returning it:

1. **Compile.** After each operator the candidate is compiled by the real sclang
   (:func:`audiomancer.supercollider.lang.compile_synthdef`, ~5 ms). An operator that does not
   apply (:class:`~audiomancer.evolution.synth_ops.NotApplicable`) or whose result does not
   compile is undone, noted in ``GeneratedSynth.rejected``, and another operator is tried.
2. **Render once.** The finished candidate plays a short phrase offline
   (:func:`audiomancer.supercollider.nrt.render_phrase`). It must be audible: not silent, no
   NaN or infinity, peak below full scale. A candidate that clips by less than 18 dB is scaled
   down (``Output level × 0.5`` in the log) and rendered again; one that is silent is accepted
   only when its parent is silent too (an effect reading a bus has no sound of its own).
3. **Retry.** A candidate that fails is dropped and a new one is drawn from the same random
   stream, up to :data:`MAX_ATTEMPTS` times; then SynthDefError. Nothing unchecked is returned.

Names are derived in :mod:`audiomancer.generators.synth_names`.

These functions return synths without storing them; ``LineageTracker.save`` (used by
``EvolutionEngine.mutate_synth`` and the CLI) puts them in the library and the lineage.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal

from audiomancer.analyzers.synthdef import (
    CATEGORIES,
    SynthDefInfo,
    parse_synthdef,
)
from audiomancer.arguments import validate_amount
from audiomancer.errors import EngineError, SynthDefError
from audiomancer.evolution import synth_ops
from audiomancer.evolution.synth_ops import NotApplicable, Result
from audiomancer.generators.lineage import LineageTracker
from audiomancer.generators.synth_model import GeneratedSynth
from audiomancer.generators.synth_names import (
    FILLERS,
    STOP_WORDS,
    child_names,
    generated_names,
    mutant_names,
    pick_name,
    sanitize_name,
)
from audiomancer.paths import scratch_dir
from audiomancer.supercollider import lang, library, nrt
from audiomancer.supercollider import syntax as sc

__all__ = [
    "KEYWORDS",
    "MAX_ATTEMPTS",
    "GeneratedSynth",
    "breed_synths",
    "generate_synth",
    "mutate_synth",
    "sanitize_name",
]

MAX_ATTEMPTS: Final = 8
"""Candidates drawn before giving up on a mutation, crossover or generation."""
PHRASE_SECONDS: Final = 2.0
"""Length of the audition phrase every result is rendered with."""
_LEVEL_STEPS: Final = (0.5, 0.25, 0.125)
_TARGET_PEAK: Final = 0.7
_MAX_NAME: Final = 64

CategoryName = Literal["bass", "lead", "pad", "drum", "fx"]


def _as_info(synth: SynthDefInfo | GeneratedSynth) -> SynthDefInfo:
    if isinstance(synth, GeneratedSynth):
        return synth.to_info()
    if isinstance(synth, SynthDefInfo):
        return synth
    raise TypeError(f"expected a SynthDefInfo or GeneratedSynth, not {type(synth).__name__}")


# --------------------------------------------------------------------------------------------
# Checking candidates
# --------------------------------------------------------------------------------------------

_COMPILE_CACHE: dict[str, str | None] = {}
_RENDER_CACHE: dict[str, bool] = {}
_CACHE_LIMIT: Final = 512


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogateescape")).hexdigest()


def _compile_error(code: str) -> str | None:
    """sclang's complaint about the code, None when it compiles to a SynthDef."""
    key = _digest(code)
    if key in _COMPILE_CACHE:
        return _COMPILE_CACHE[key]
    try:
        lang.compile_synthdef(code)
        error = None
    except SynthDefError as failure:
        error = str(failure).strip().splitlines()[0][:200] if str(failure).strip() else "error"
    if len(_COMPILE_CACHE) > _CACHE_LIMIT:
        _COMPILE_CACHE.clear()
    _COMPILE_CACHE[key] = error
    return error


def _audition(code: str) -> nrt.RenderResult:
    """Compile and render the audition phrase (the WAV is deleted after measuring)."""
    scgf = lang.compile_synthdef(code)
    folder = scratch_dir() / "audition"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="audition-", suffix=".wav", dir=folder)
    os.close(handle)
    try:
        result = nrt.render_phrase(scgf, PHRASE_SECONDS, Path(name))
        if not result.is_silent and not result.has_nan:
            samples, _ = nrt.read_wav(Path(name))
            varying = abs(samples - samples.mean(axis=0)).max() if samples.size else 0.0
            if varying < 10 ** (nrt.SILENCE_DBFS / 20):  # a pure DC offset: nothing to hear
                result = replace(result, is_silent=True)
        return result
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _is_silent(code: str) -> bool:
    """True when a (parent's) code renders without error but silently."""
    key = _digest(code)
    if key not in _RENDER_CACHE:
        try:
            result = _audition(code)
            silent = result.is_silent and not result.has_nan
        except (SynthDefError, EngineError):
            silent = False
        if len(_RENDER_CACHE) > _CACHE_LIMIT:
            _RENDER_CACHE.clear()
        _RENDER_CACHE[key] = silent
    return _RENDER_CACHE[key]


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
class _Candidate:
    program: sc.Program
    log: list[str]


def _finish(candidate: _Candidate, base_code: str, rejected: list[str]) -> _Candidate | None:
    """The candidate, level-corrected if it clipped, once it compiles and renders audibly;
    None (with the reason added to ``rejected``) otherwise."""
    code = sc.print_code(candidate.program)
    error = _compile_error(code)
    if error is not None:
        rejected.append(f"candidate does not compile: {error}")
        return None
    try:
        result = _audition(code)
    except (SynthDefError, EngineError) as failure:
        rejected.append(f"candidate does not render: {str(failure)[:200]}")
        return None
    if result.audible:
        return candidate
    if result.clipping and not result.has_nan and not result.is_silent:
        factor = next((f for f in _LEVEL_STEPS if result.peak * f <= _TARGET_PEAK), None)
        if factor is not None:
            scaled, lines = synth_ops.scale_output(candidate.program, factor)
            try:
                again = _audition(sc.print_code(scaled))
            except (SynthDefError, EngineError) as failure:
                rejected.append(f"scaled candidate does not render: {str(failure)[:200]}")
                return None
            if again.audible:
                return _Candidate(scaled, [*candidate.log, *lines])
            result = again
    rejected.append(f"candidate is not audible: {_problems(result)}")
    return None


def _require_compiles(info: SynthDefInfo) -> None:
    error = _compile_error(info.source_code)
    if error is not None:
        raise SynthDefError(
            f"SynthDef {info.name!r} does not compile, so it cannot be evolved: {error}"
        )
    if _is_silent(info.source_code):
        raise SynthDefError(
            f"SynthDef {info.name!r} is silent at its default controls{_silence_reason(info)}, "
            "so no audible variation of it can be checked"
        )


_BUS_READERS: Final = frozenset({"In", "InFeedback", "LocalIn", "InTrig", "SoundIn"})
_BUFFER_READERS: Final = frozenset({"PlayBuf", "BufRd", "TGrains", "GrainBuf", "Warp1", "FFT"})


def _silence_reason(info: SynthDefInfo) -> str:
    """Why a SynthDef that compiles may render nothing, from the UGens it uses."""
    used = {name for names in info.ugens.values() for name in names}
    if used & _BUS_READERS:
        return " (it processes a bus it reads with In: an effect needs a signal on that bus)"
    if used & _BUFFER_READERS:
        return " (it reads a buffer, and no buffer is loaded when it is auditioned)"
    return " (it renders below -60 dBFS, or only a DC offset)"


def _apply(
    edit: Callable[[sc.Program], Result], candidate: _Candidate, label: str, rejected: list[str]
) -> _Candidate | None:
    """``candidate`` after ``edit`` if it applies and still compiles; None otherwise."""
    try:
        program, lines = edit(candidate.program)
    except NotApplicable as reason:
        rejected.append(f"{label}: not applicable: {reason}")
        return None
    error = _compile_error(sc.print_code(program))
    if error is not None:
        rejected.append(f"{label}: result does not compile: {error}")
        return None
    return _Candidate(program, [*candidate.log, *lines])


def _bound(function: Callable[..., Result], *args: object) -> Callable[[sc.Program], Result]:
    """``function`` with every argument after the program fixed."""

    def edit(program: sc.Program) -> Result:
        return function(program, *args)

    return edit


def _rng(seed: int | str | None) -> random.Random:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | str)):
        raise ValueError(f"invalid seed {seed!r}: expected an integer or None")
    return random.Random(seed)


def _tracker(tracker: LineageTracker | None) -> LineageTracker:
    return tracker if tracker is not None else LineageTracker()


def _result(
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
    error = _compile_error(code)
    if error is not None:  # a name cannot break code, but nothing unchecked leaves here
        raise SynthDefError(f"the finished synth {name!r} does not compile: {error}")
    info = parse_synthdef(code)
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


# --------------------------------------------------------------------------------------------
# mutate_synth
# --------------------------------------------------------------------------------------------


def _applies(
    operator: synth_ops.Operator, program: sc.Program, rng: random.Random, amount: float
) -> str | None:
    """None when the operator can act on the program, else why not (tried on a copy of the
    generator, so the real one is not advanced)."""
    trial = random.Random()
    trial.setstate(rng.getstate())
    try:
        operator(program, trial, amount)
    except NotApplicable as reason:
        return str(reason)
    return None


_APPLICABLE_CACHE: dict[tuple[str, float, tuple[int, ...]], list[str | None]] = {}


def _applicable(program: sc.Program, amount: float) -> list[str | None]:
    """For each of MUTATIONS, None when it applies to the program, else why not (cached: the
    same parent is mutated again and again)."""
    table = tuple(id(operator) for _, _, operator in synth_ops.MUTATIONS)
    key = (_digest(sc.print_code(program)), amount, table)
    if key not in _APPLICABLE_CACHE:
        if len(_APPLICABLE_CACHE) > _CACHE_LIMIT:
            _APPLICABLE_CACHE.clear()
        probe = random.Random(0)
        _APPLICABLE_CACHE[key] = [
            _applies(operator, program, probe, amount) for _, _, operator in synth_ops.MUTATIONS
        ]
    return _APPLICABLE_CACHE[key]


def _mutate_once(
    program: sc.Program, rng: random.Random, amount: float, rejected: list[str]
) -> _Candidate | None:
    # Only operators that apply to this synth take part, each with the spec's weight: a synth
    # with no filter never spends its one mutation on "swap filter" standing in for another.
    operators = []
    for entry, reason in zip(synth_ops.MUTATIONS, _applicable(program, amount), strict=True):
        if reason is None:
            operators.append(entry)
        elif f"{entry[0]}: not applicable: {reason}" not in rejected:
            rejected.append(f"{entry[0]}: not applicable: {reason}")
    if not operators:
        rejected.append("no mutation operator applies to this synth")
        return None
    weights = [weight for _, weight, _ in operators]
    fired = [i for i, weight in enumerate(weights) if rng.random() < amount * weight]
    queue = fired or [rng.choices(range(len(operators)), weights=weights)[0]]
    tried = set(queue)
    candidate = _Candidate(program, [])
    applied = 0
    while queue:
        index = queue.pop(0)
        name, _, operator = operators[index]
        result = _apply(_bound(operator, rng, amount), candidate, name, rejected)
        if result is not None:
            candidate = result
            applied += 1
            continue
        untried = [i for i in range(len(operators)) if i not in tried]
        if untried:  # another operator stands in for the one that could not act
            replacement = rng.choices(untried, weights=[weights[i] for i in untried])[0]
            tried.add(replacement)
            queue.append(replacement)
    return candidate if applied else None


def mutate_synth(
    synth: SynthDefInfo | GeneratedSynth,
    amount: float = 0.3,
    seed: int | None = None,
    *,
    tracker: LineageTracker | None = None,
) -> GeneratedSynth:
    """Create a variation of a SynthDef through mutation.

    Each operator of ``synth_ops.MUTATIONS`` (swap oscillator, swap filter, add LFO, add
    distortion, change control defaults, change the envelope, and the spec's add/remove effects:
    a reverb or delay added, a reverb/delay/comb/allpass removed) fires with its probability
    times ``amount`` (0.0-1.0; at least one always acts); one that does not apply or breaks
    the code is replaced by another. The result compiles in sclang and renders audibly, scaled
    down when it clips (see the module doc). Its name is ``<parent>_m<3 digits from the
    seed>``, unique in ``tracker``'s library (the default database's when None). ValueError
    for a bad amount or seed; SynthDefError when the parent does not compile or no valid
    mutant can be made.
    """
    amount = validate_amount(amount)
    info = _as_info(synth)
    tracker = _tracker(tracker)
    rng = _rng(seed)
    names = mutant_names(info.name, seed, rng)
    _require_compiles(info)
    program = sc.parse(info.source_code)
    synth_ops.locate(program)
    rejected: list[str] = []
    for _ in range(MAX_ATTEMPTS):
        candidate = _mutate_once(program, rng, amount, rejected)
        if candidate is None:
            raise SynthDefError(
                f"no mutation applies to SynthDef {info.name!r}: " + "; ".join(rejected[-6:])
            )
        finished = _finish(candidate, info.source_code, rejected)
        if finished is not None:
            return _result(
                finished.program,
                finished.log,
                names,
                tracker,
                parents=[info.name],
                method="mutation",
                category=info.category,
                rejected=rejected,
            )
    raise SynthDefError(
        f"no valid mutant of {info.name!r} in {MAX_ATTEMPTS} attempts: " + "; ".join(rejected[-4:])
    )


# --------------------------------------------------------------------------------------------
# breed_synths
# --------------------------------------------------------------------------------------------


def breed_synths(
    synth_a: SynthDefInfo | GeneratedSynth,
    synth_b: SynthDefInfo | GeneratedSynth,
    seed: int | None = None,
    *,
    tracker: LineageTracker | None = None,
) -> GeneratedSynth:
    """Crossover two SynthDefs into a child named ``<a>_x_<b>``.

    The child keeps A's oscillators, envelope and output; takes B's filter (class, frequency
    and resonance where they mean the same in A); mixes the effects of both at random; has
    the union of their controls, numeric defaults of shared controls averaged. Each stage is
    compiled as it is applied and dropped if it breaks the code; the child renders audibly.
    SynthDefError when a parent does not compile or no valid child can be made.
    """
    a, b = _as_info(synth_a), _as_info(synth_b)
    tracker = _tracker(tracker)
    rng = _rng(seed)
    _require_compiles(a)
    _require_compiles(b)
    program_a, program_b = sc.parse(a.source_code), sc.parse(b.source_code)
    synth_ops.locate(program_a)
    synth_ops.locate(program_b)
    names = (a.name, b.name)
    rejected: list[str] = []
    stages = list(synth_ops.CROSSOVER_STAGES)
    for attempt in range(MAX_ATTEMPTS):
        candidate = _Candidate(program_a, [])
        # Later attempts leave out the filter and then the effects: the plainest child of two
        # working parents is A with B's controls.
        skip = {"mix_effects"} if attempt >= 3 else set()
        if attempt >= 5:
            skip.add("transplant_filter")
        for name, stage in stages:
            if name in skip:
                continue
            applied = _apply(_bound(stage, program_b, rng, names), candidate, name, rejected)
            if applied is not None:
                candidate = applied
        finished = _finish(candidate, a.source_code, rejected)
        if finished is not None:
            return _result(
                finished.program,
                finished.log,
                child_names(a.name, b.name),
                tracker,
                parents=[a.name, b.name],
                method="crossover",
                category=a.category,
                rejected=rejected,
            )
    raise SynthDefError(
        f"no valid child of {a.name!r} and {b.name!r} in {MAX_ATTEMPTS} attempts: "
        + "; ".join(rejected[-4:])
    )


# --------------------------------------------------------------------------------------------
# generate_synth
# --------------------------------------------------------------------------------------------

KeywordEdit = Callable[[sc.Program, random.Random, str, bool], Result]

_CUTOFFS: Final = {"bass": 900.0, "lead": 3000.0, "pad": 2200.0, "drum": 5000.0, "fx": 3000.0}


def _chain(program: sc.Program, edits: list[Callable[[sc.Program], Result]]) -> Result:
    """Apply edits in turn, skipping those that do not apply; NotApplicable if none did."""
    log: list[str] = []
    reasons: list[str] = []
    for edit in edits:
        try:
            program, lines = edit(program)
        except NotApplicable as reason:
            reasons.append(str(reason))
            continue
        log += lines
    if not log:
        raise NotApplicable("; ".join(reasons) or "nothing to do")
    return program, log


def _has_lowpass(program: sc.Program) -> bool:
    graph = synth_ops.locate(program)
    return any(
        isinstance(c.receiver, sc.ClassName)
        and c.receiver.name in synth_ops.FILTER_GROUPS["lowpass"]
        and c.selector == "ar"
        for c in sc.find_calls(graph.function)
    )


def _ensure_lowpass(
    target: str, category: str, factor: float = 1.0
) -> Callable[[sc.Program], Result]:
    def edit(program: sc.Program) -> Result:
        if _has_lowpass(program):
            raise NotApplicable("already low-pass filtered")
        return synth_ops.set_filter(
            program, target, random.Random(0), cutoff=_CUTOFFS[category] * factor
        )

    return edit


def _warm(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _chain(
        program,
        [
            lambda p: synth_ops.set_oscillator(p, "Saw", rng),
            _ensure_lowpass("LPF", category, 0.8),
            lambda p: synth_ops.scale_controls(p, "cutoff", 0.8),
        ],
    )


def _bright(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _chain(
        program,
        [
            lambda p: synth_ops.set_oscillator(p, "Pulse", rng),
            lambda p: synth_ops.scale_controls(p, "cutoff", 2.0, high=16000.0),
        ],
    )


def _soft(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _chain(
        program,
        [
            lambda p: synth_ops.set_oscillator(p, "LFTri", rng),
            lambda p: synth_ops.scale_envelope(p, frozenset({"attack"}), 3.0, minimum=0.02),
            lambda p: synth_ops.scale_controls(p, "cutoff", 0.7),
        ],
    )


def _acid(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _chain(
        program,
        [
            lambda p: synth_ops.set_filter(
                p, "MoogFF", rng, min_resonance=0.75, cutoff=_CUTOFFS[category]
            ),
            lambda p: synth_ops.add_filter_envelope(p, rng),
        ],
    )


def _filtered(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    target = rng.choice(("MoogFF", "RLPF"))
    return synth_ops.set_filter(program, target, rng, min_resonance=0.4, cutoff=_CUTOFFS[category])


def _dark(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _chain(
        program,
        [
            _ensure_lowpass("LPF", category, 0.5),
            lambda p: synth_ops.scale_controls(p, "cutoff", 0.5, low=60.0),
        ],
    )


def _detuned(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.detune_oscillators(program, rng)


def _metallic(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.add_stage(program, "ring", rng)


def _noisy(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.add_stage(program, "noise", rng)


def _plucky(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.add_stage(program, "pluck", rng)


def _long(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.scale_envelope(program, frozenset({"release", "decay"}), 2.5)


def _short(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.scale_envelope(program, frozenset({"release", "decay"}), 0.4)


def _distorted(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.add_distortion(program, rng, 0.5)


def _sweep(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    rates = (2.0, 6.0) if fast else (0.08, 0.5)
    return _chain(
        program,
        [
            _ensure_lowpass("MoogFF", category),
            lambda p: synth_ops.add_lfo(p, rng, 0.5, prefer="cutoff", rates=rates),
        ],
    )


KEYWORDS: Final[tuple[tuple[str, frozenset[str], KeywordEdit], ...]] = (
    ("warm", frozenset({"warm", "warmer", "analog", "analogue", "fat", "round", "vintage"}),
     _warm),
    ("bright", frozenset({"bright", "brighter", "crisp", "sharp", "shiny", "brilliant", "buzzy"}),
     _bright),
    ("soft", frozenset({"soft", "gentle", "smooth", "mellow", "sweet"}), _soft),
    ("acid", frozenset({"acid", "squelchy", "squelch", "squelching", "303", "resonant"}), _acid),
    ("filtered", frozenset({"filtered", "filtering", "lowpassed", "lowpass"}), _filtered),
    ("dark", frozenset({"dark", "darker", "dull", "muffled", "murky", "deep"}), _dark),
    ("detuned", frozenset({"detuned", "detune", "wide", "thick", "chorus", "chorused",
                           "supersaw", "unison", "stereo"}), _detuned),
    ("metallic", frozenset({"metallic", "metal", "bell", "bells", "clangy", "clang", "ring",
                            "inharmonic", "robotic"}), _metallic),
    ("noisy", frozenset({"noisy", "breathy", "airy", "hissy", "lofi", "dusty"}), _noisy),
    ("plucky", frozenset({"plucky", "pluck", "plucked", "percussive", "stab", "stabby"}),
     _plucky),
    ("long", frozenset({"long", "sustained", "slow", "evolving", "lush", "ambient", "spacious"}),
     _long),
    ("short", frozenset({"short", "tight", "snappy", "punchy", "clipped", "staccato"}), _short),
    ("distorted", frozenset({"distorted", "distortion", "distort", "dirty", "gritty",
                             "overdriven", "overdrive", "driven", "saturated", "crunchy", "fuzzy",
                             "fuzz", "aggressive"}), _distorted),
    ("sweep", frozenset({"sweep", "sweeps", "sweeping", "swept", "wobble", "wobbly", "wobbling",
                         "wah", "moving", "modulated"}), _sweep),
)  # fmt: skip
"""Description keywords in the order they are applied: the spec's six (acid, warm, bright,
filtered, distorted, sweep) and the others a musician types, each with its synonyms."""

_FAST_WORDS: Final = frozenset({"wobble", "wobbly", "wobbling", "wah"})
_PREFERRED: Final[dict[str, tuple[str, ...]]] = {
    "bass": ("tb303", "sub_bass", "fm_bass"),
    "lead": ("saw_lead", "square_lead", "pluck_lead", "formant_lead", "organ_keys"),
    "pad": ("juno_pad", "string_pad"),
    "drum": ("kick", "snare", "hihat"),
    "fx": ("riser", "zap"),
}
_HINTS: Final[dict[str, frozenset[str]]] = {
    "tb303": frozenset({"acid", "303", "squelch", "squelchy"}),
    "sub_bass": frozenset({"sub", "deep", "808"}),
    "fm_bass": frozenset({"fm", "digital", "punchy"}),
    "hihat": frozenset({"hat", "hats", "hihat", "cymbal"}),
    "organ_keys": frozenset({"organ", "keys", "drawbar"}),
    "pluck_lead": frozenset({"pluck", "plucked", "plucky", "guitar", "harp"}),
}


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _pick_template(category: str, words: list[str]) -> str:
    """The category's template whose name and description share most words with the query."""
    names = library.template_names()
    members = [n for n in _PREFERRED.get(category, ()) if n in names]
    members += [n for n in names if library.template_category(n) == category and n not in members]
    if not members:
        raise SynthDefError(f"no template for category {category!r}")
    query = {_stem(w) for w in words if w not in STOP_WORDS and w not in FILLERS}
    query.discard(category)

    def score(name: str) -> int:
        text = f"{name.replace('_', ' ')} {library.template_description(name)}"
        own = {_stem(w) for w in _tokens(text)} | _HINTS.get(name, frozenset())
        return len(query & own)

    return max(members, key=lambda name: (score(name), -members.index(name)))


def _keywords(words: list[str]) -> list[tuple[str, KeywordEdit]]:
    present = set(words)
    return [(label, edit) for label, synonyms, edit in KEYWORDS if present & synonyms]


def generate_synth(
    description: str,
    base_synth: SynthDefInfo | GeneratedSynth | None = None,
    category: CategoryName = "bass",
    *,
    seed: int | None = None,
    tracker: LineageTracker | None = None,
) -> GeneratedSynth:
    """Generate a new SynthDef from a description.

    Starts from ``base_synth`` or, without one, from the category's template that best matches
    the description's words (``acid`` → tb303), then applies the description's keywords in a
    fixed order (:data:`KEYWORDS`): warm (saw, low-pass, cutoff down), bright (pulse, cutoff
    up), soft, acid (resonant MoogFF with a filter envelope), filtered (MoogFF or RLPF), dark,
    detuned/wide, metallic, noisy, plucky, long, short, distorted, sweep (an LFO on the cutoff,
    ``cutoffLFO``; wobble: a fast one). Keywords that do not apply are skipped and noted in
    ``rejected``. The name comes from the description's leading words (``warm acid bass with
    filter sweep`` → ``warm_acid_bass_001``); ``parent_ids`` is the template or base synth.
    The result compiles and renders audibly. ``seed`` varies the random details (by default
    they follow from the description). ValueError for an unknown category; SynthDefError when
    nothing valid can be made.
    """
    if not isinstance(description, str):
        raise ValueError(f"invalid description {description!r}: expected text")
    if category not in CATEGORIES:
        raise ValueError(f"invalid category {category!r}: expected one of {', '.join(CATEGORIES)}")
    words = _tokens(description)
    if base_synth is not None:
        info = _as_info(base_synth)
        chosen_category: str = info.category
    else:
        template = _pick_template(category, words)
        info = parse_synthdef(library.template_path(template))
        chosen_category = category
    tracker = _tracker(tracker)
    rng = _rng(seed if seed is not None else f"generate:{category}:{description}")
    _require_compiles(info)
    program = sc.parse(info.source_code)
    synth_ops.locate(program)
    keywords = _keywords(words)
    fast = bool(set(words) & _FAST_WORDS)
    source = "template" if base_synth is None else "base synth"
    rejected: list[str] = []
    if base_synth is not None and not keywords:
        raise SynthDefError(
            f"the description {description!r} names no sound audiomancer can apply to "
            f"{info.name!r}; it knows: {', '.join(label for label, _, _ in KEYWORDS)}"
        )
    for attempt in range(MAX_ATTEMPTS):
        candidate = _Candidate(program, [f"From {source} {info.name}"])
        # From a template, the last attempt is the template itself; a base is never returned
        # unchanged.
        last = attempt == MAX_ATTEMPTS - 1 and base_synth is None
        for label, edit in [] if last else keywords:
            applied = _apply(_bound(edit, rng, chosen_category, fast), candidate, label, rejected)
            if applied is not None:
                candidate = _Candidate(
                    applied.program,
                    [
                        *candidate.log,
                        *(f"{label}: {line}" for line in applied.log[len(candidate.log) :]),
                    ],
                )
        if base_synth is not None and len(candidate.log) == 1:
            raise SynthDefError(
                f"none of the keywords of {description!r} applies to {info.name!r}: "
                + "; ".join(rejected[-len(keywords) :])
            )
        finished = _finish(candidate, info.source_code, rejected)
        if finished is not None:
            return _result(
                finished.program,
                finished.log,
                generated_names(description, chosen_category),
                tracker,
                parents=[info.name],
                method="generated",
                category=chosen_category,
                rejected=rejected,
            )
    raise SynthDefError(
        f"could not generate a valid synth from {info.name!r}: " + "; ".join(rejected[-4:])
    )
