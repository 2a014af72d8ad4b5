"""generate_synth: a synth from a description, from a category template or a base synth.

The description's keywords (:data:`KEYWORDS`) pick the edits; the result is checked as
:mod:`audiomancer.generators.synth_checks` describes before it is returned.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Final, Literal

from audiomancer.analyzers.synthdef import CATEGORIES, SynthDefInfo, parse_synthdef
from audiomancer.errors import SynthDefError
from audiomancer.evolution import synth_ops
from audiomancer.evolution.synth_ops import NotApplicable, Result
from audiomancer.generators.lineage import LineageTracker
from audiomancer.generators.synth_checks import (
    MAX_ATTEMPTS,
    Candidate,
    apply_edit,
    as_info,
    bound,
    default_tracker,
    finish,
    heard_as_effect,
    make_rng,
    parent_verdict,
    refuse_unheard,
    require_compiles_only,
    to_generated,
)
from audiomancer.generators.synth_model import GeneratedSynth
from audiomancer.generators.synth_names import FILLERS, STOP_WORDS, generated_names
from audiomancer.supercollider import library
from audiomancer.supercollider import syntax as sc

__all__ = ["KEYWORDS", "CategoryName", "KeywordEdit", "generate_synth"]


CategoryName = Literal["bass", "lead", "pad", "drum", "fx"]


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


def _or_else(
    program: sc.Program,
    edits: list[Callable[[sc.Program], Result]],
    fallbacks: list[Callable[[sc.Program], Result]],
) -> Result:
    """The edits that apply; when none does, the fallbacks (a keyword finds some way to act)."""
    try:
        return _chain(program, edits)
    except NotApplicable as first:
        try:
            return _chain(program, fallbacks)
        except NotApplicable as second:
            raise NotApplicable(f"{first}; {second}") from None


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
    return _or_else(
        program,
        [
            lambda p: synth_ops.set_oscillator(p, "Saw", rng),
            _ensure_lowpass("LPF", category, 0.8),
            lambda p: synth_ops.scale_controls(p, "cutoff", 0.8),
        ],
        [lambda p: synth_ops.add_shelf(p, -4.0, 4000.0)],
    )


def _bright(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _or_else(
        program,
        [
            lambda p: synth_ops.set_oscillator(p, "Pulse", rng),
            lambda p: synth_ops.scale_controls(p, "cutoff", 2.0, high=16000.0),
        ],
        [lambda p: synth_ops.add_shelf(p, 6.0, 2500.0)],
    )


def _soft(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _or_else(
        program,
        [
            lambda p: synth_ops.set_oscillator(p, "LFTri", rng),
            lambda p: synth_ops.scale_envelope(p, frozenset({"attack"}), 3.0, minimum=0.02),
            lambda p: synth_ops.scale_controls(p, "cutoff", 0.7),
        ],
        [lambda p: synth_ops.add_shelf(p, -6.0, 3000.0)],
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
    return _or_else(
        program,
        [
            _ensure_lowpass("LPF", category, 0.5),
            lambda p: synth_ops.scale_controls(p, "cutoff", 0.5, low=60.0),
        ],
        [lambda p: synth_ops.add_shelf(p, -9.0, 2000.0)],
    )


def _detuned(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _or_else(
        program,
        [lambda p: synth_ops.detune_oscillators(p, rng)],
        [lambda p: synth_ops.add_chorus(p, rng)],
    )


def _metallic(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.add_stage(program, "ring", rng)


def _noisy(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.add_stage(program, "noise", rng)


def _plucky(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return synth_ops.add_stage(program, "pluck", rng)


def _long(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _or_else(
        program,
        [lambda p: synth_ops.scale_envelope(p, frozenset({"release", "decay"}), 2.5)],
        [lambda p: synth_ops.add_effect(p, rng, 0.6, kind="reverb")],
    )


def _short(program: sc.Program, rng: random.Random, category: str, fast: bool) -> Result:
    return _or_else(
        program,
        [lambda p: synth_ops.scale_envelope(p, frozenset({"release", "decay"}), 0.4)],
        [lambda p: synth_ops.add_stage(p, "pluck", rng)],
    )


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
    fixed order (:data:`KEYWORDS`): warm (saw, low-pass, cutoff down; else a gentle shelf
    cut), bright (pulse, cutoff up; else a high shelf boost), soft (else a high shelf cut),
    acid (resonant MoogFF with a filter envelope), filtered (MoogFF or RLPF), dark (low-pass,
    cutoff down; else a shelf cut), detuned/wide (else a chorus), metallic, noisy, plucky, long
    (else a reverb tail),
    short (else a plucky decay), distorted, sweep (an LFO on the cutoff, ``cutoffLFO``; wobble:
    a fast one). Cutoffs read as MIDI notes (``lpf.midicps``) move in semitones. Each keyword
    acts where it can; one that cannot is noted in ``rejected`` (the log lists only what was
    applied), and with a base synth, SynthDefError when none can, saying why for each. The
    name comes from the description's leading words (``warm acid bass with filter sweep`` →
    ``warm_acid_bass_001``); ``parent_ids`` is the template or base synth. The result compiles
    and renders audibly. ``seed`` varies the random details (by default they follow from the
    description). A base that is a bus effect (silent at its defaults, audible fed a test
    signal on the bus it reads) is heard, and its result checked, through that test signal.
    ValueError for an empty description or an unknown category; SynthDefError when nothing
    valid can be made.
    """
    if not isinstance(description, str) or not description.strip():
        raise ValueError(
            f"invalid description {description!r}: expected words describing the sound, e.g. "
            "'warm acid bass'"
        )
    if category not in CATEGORIES:
        raise ValueError(f"invalid category {category!r}: expected one of {', '.join(CATEGORIES)}")
    words = _tokens(description)
    if base_synth is not None:
        info = as_info(base_synth)
        chosen_category: str = info.category
    else:
        template = _pick_template(category, words)
        info = parse_synthdef(library.template_path(template))
        chosen_category = category
    tracker = default_tracker(tracker)
    rng = make_rng(seed if seed is not None else f"generate:{category}:{description}")
    require_compiles_only(info)
    verdict = parent_verdict(info.source_code)
    # A bus effect is silent at its defaults and sounds fed the test signal: its variations
    # are heard that way. Any other base that cannot be heard is refused, saying why.
    effect = bool(verdict and verdict.startswith("silent") and heard_as_effect(info.source_code))
    if not effect:
        refuse_unheard(info, verdict)
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
        candidate = Candidate(program, [f"From {source} {info.name}"])
        # From a template, the last attempt is the template itself; a base is never returned
        # unchanged. After two candidates that did not sound, each later one leaves out one
        # keyword in turn (the one whose edit makes it clip or fall silent).
        last = attempt == MAX_ATTEMPTS - 1 and base_synth is None
        chosen = keywords
        if attempt >= 2 and len(keywords) > 1:
            left_out = keywords[(attempt - 2) % len(keywords)]
            chosen = [k for k in keywords if k is not left_out]
        for label, edit in [] if last else chosen:
            applied = apply_edit(
                bound(edit, rng, chosen_category, fast), candidate, label, rejected
            )
            if applied is not None:
                candidate = Candidate(
                    applied.program,
                    [
                        *candidate.log,
                        *(f"{label}: {line}" for line in applied.log[len(candidate.log) :]),
                    ],
                )
        if base_synth is not None and len(candidate.log) == 1:
            if chosen is not keywords:
                continue
            raise SynthDefError(
                f"none of the keywords of {description!r} applies to {info.name!r}: "
                + "; ".join(rejected[-len(keywords) :])
            )
        finished = finish(candidate, info.source_code, rejected, test_input=effect)
        if finished is not None:
            return to_generated(
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
