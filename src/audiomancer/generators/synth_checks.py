"""Checking candidate synths: every synth the library returns compiles and can be heard.

1. **Compile.** After each operator the candidate is compiled by the real sclang
   (:func:`audiomancer.supercollider.lang.compile_synthdef`, ~5 ms). An operator that does not
   apply (:class:`~audiomancer.evolution.synth_ops.NotApplicable`), whose result the rate
   analysis shows cannot build (:func:`~audiomancer.evolution.synth_ops.rate_problem`: an FFT
   chain fed to a delay, a control signal to an audio-rate filter; no sclang call needed) or
   does not compile is undone, noted in ``GeneratedSynth.rejected``, and another operator is tried
   (:func:`apply_edit`).
2. **Render once.** The finished candidate plays a short phrase offline
   (:func:`audiomancer.supercollider.nrt.render_phrase`). It must be audible: not silent, no
   NaN or infinity, peak below full scale. A candidate that clips by less than 27 dB is scaled
   down (``Output level × 0.5`` in the log) and rendered again; one that is silent is accepted
   only when its parent is silent too (an effect reading a bus has no sound of its own)
   (:func:`finish`).
3. **Retry.** A candidate that fails is dropped and a new one is drawn from the same random
   stream, up to :data:`MAX_ATTEMPTS` times; then SynthDefError. Nothing unchecked is returned.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from audiomancer.analyzers.synthdef import SynthDefInfo, parse_synthdef
from audiomancer.errors import EngineError, SynthDefError
from audiomancer.evolution import synth_ops
from audiomancer.evolution.synth_ops import NotApplicable, Result
from audiomancer.generators.lineage import LineageTracker
from audiomancer.generators.synth_model import GeneratedSynth
from audiomancer.generators.synth_names import pick_name
from audiomancer.paths import scratch_dir
from audiomancer.supercollider import lang, nrt
from audiomancer.supercollider import syntax as sc

__all__ = [
    "CACHE_LIMIT",
    "MAX_ATTEMPTS",
    "PHRASE_SECONDS",
    "Candidate",
    "apply_edit",
    "as_info",
    "audition",
    "bound",
    "compile_error",
    "default_tracker",
    "digest",
    "finish",
    "is_silent",
    "make_rng",
    "require_compiles",
    "to_generated",
]

MAX_ATTEMPTS: Final = 8
"""Candidates drawn before giving up on a mutation, crossover or generation."""
PHRASE_SECONDS: Final = 2.0
"""Length of the audition phrase every result is rendered with."""
_LEVEL_STEPS: Final = (0.5, 0.25, 0.125, 0.0625, 0.03125)
_TARGET_PEAK: Final = 0.7


def as_info(synth: SynthDefInfo | GeneratedSynth) -> SynthDefInfo:
    if isinstance(synth, GeneratedSynth):
        return synth.to_info()
    if isinstance(synth, SynthDefInfo):
        return synth
    raise TypeError(f"expected a SynthDefInfo or GeneratedSynth, not {type(synth).__name__}")


_COMPILE_CACHE: dict[str, str | None] = {}
_RENDER_CACHE: dict[str, bool] = {}
CACHE_LIMIT: Final = 512


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogateescape")).hexdigest()


def compile_error(code: str) -> str | None:
    """sclang's complaint about the code, None when it compiles to a SynthDef."""
    key = digest(code)
    if key in _COMPILE_CACHE:
        return _COMPILE_CACHE[key]
    try:
        lang.compile_synthdef(code)
        error = None
    except SynthDefError as failure:
        error = str(failure).strip().splitlines()[0][:200] if str(failure).strip() else "error"
    if len(_COMPILE_CACHE) > CACHE_LIMIT:
        _COMPILE_CACHE.clear()
    _COMPILE_CACHE[key] = error
    return error


def audition(code: str) -> nrt.RenderResult:
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


def is_silent(code: str) -> bool:
    """True when a (parent's) code renders without error but silently."""
    key = digest(code)
    if key not in _RENDER_CACHE:
        try:
            result = audition(code)
            silent = result.is_silent and not result.has_nan
        except (SynthDefError, EngineError):
            silent = False
        if len(_RENDER_CACHE) > CACHE_LIMIT:
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
class Candidate:
    program: sc.Program
    log: list[str]


def finish(candidate: Candidate, base_code: str, rejected: list[str]) -> Candidate | None:
    """The candidate, level-corrected if it clipped, once it compiles and renders audibly;
    None (with the reason added to ``rejected``) otherwise."""
    code = sc.print_code(candidate.program)
    error = compile_error(code)
    if error is not None:
        rejected.append(f"candidate does not compile: {error}")
        return None
    try:
        result = audition(code)
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
                again = audition(sc.print_code(scaled))
            except (SynthDefError, EngineError) as failure:
                rejected.append(f"scaled candidate does not render: {str(failure)[:200]}")
                return None
            if again.audible:
                return Candidate(scaled, [*candidate.log, *lines])
            result = again
    rejected.append(f"candidate is not audible: {_problems(result)}")
    return None


def require_compiles(info: SynthDefInfo) -> None:
    error = compile_error(info.source_code)
    if error is not None:
        raise SynthDefError(
            f"SynthDef {info.name!r} does not compile, so it cannot be evolved: {error}"
        )
    if is_silent(info.source_code):
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


def apply_edit(
    edit: Callable[[sc.Program], Result], candidate: Candidate, label: str, rejected: list[str]
) -> Candidate | None:
    """``candidate`` after ``edit`` if it applies and still compiles; None otherwise."""
    try:
        program, lines = edit(candidate.program)
    except NotApplicable as reason:
        rejected.append(f"{label}: not applicable: {reason}")
        return None
    problem = synth_ops.program_rate_problem(program)
    if problem is not None:  # impossible as written: no need to ask sclang
        rejected.append(f"{label}: result cannot build: {problem}")
        return None
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
