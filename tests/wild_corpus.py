"""Measuring synth evolution on the real-world corpus in tests/synthdefs_wild (issue 13).

Shared by tests/test_wild_corpus.py (a sample) and benchmarks/synth_yield.py --corpus (all of
it). Every figure is measured against the real engines, independently of the library's own
checks: controls against what sclang compiles, bytes through sclang, sound with scsynth, and
"uses both parents" as a UGen class of B that the child's output depends on in the compiled
graph (and that A's graph lacks).
"""

from __future__ import annotations

import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

CORPUS: Final = Path(__file__).parent / "synthdefs_wild"
GENERIC_UGENS: Final = frozenset(
    {"Control", "AudioControl", "TrigControl", "LagControl", "BinaryOpUGen", "UnaryOpUGen",
     "MulAdd", "Sum3", "Sum4", "Out", "ReplaceOut", "XOut", "OffsetOut", "SampleRate",
     "SampleDur", "ControlDur", "ControlRate", "Rand", "IRand", "ExpRand", "K2A", "A2K",
     "DC", "Silent", "Select", "Clip", "Pan2", "Mix", "EnvGen", "Line", "XLine", "Linen"}
)  # fmt: skip
"""Plumbing that says nothing about whose sound it is."""


def corpus_files() -> list[Path]:
    """Every corpus file, sorted."""
    return sorted(CORPUS.glob("*.scd"))


def _f32(value: float) -> float:
    return float(struct.unpack(">f", struct.pack(">f", value))[0])


@dataclass(frozen=True)
class StaticFigures:
    """Per SynthDef of a file: does parse_synthdef's controls equal sclang's, and do the
    printed source's compiled bytes equal the original's."""

    file: str
    name: str
    controls_equal: bool
    bytes_identical: bool
    detail: str = ""


def measure_static(path: Path) -> tuple[bool, bool, list[StaticFigures]]:
    """(parses, compiles, figures per SynthDef) for one corpus file."""
    from audiomancer.analyzers.synthdef import parse_synthdefs
    from audiomancer.errors import AudiomancerError
    from audiomancer.supercollider import lang, scgf
    from audiomancer.supercollider import syntax as sc
    from audiomancer.supercollider.source import read_source

    text = read_source(path)
    seeded = "thisThread.randSeed = 1;\n"  # rrand and friends run at build time
    try:
        compiled = lang.compile_synthdefs(seeded + text)
    except (AudiomancerError, UnicodeError):
        compiled = None
    try:
        infos = parse_synthdefs(path)
    except (AudiomancerError, UnicodeError):
        return False, compiled is not None, []
    if compiled is None:
        return True, False, []
    try:
        printed = lang.compile_synthdefs(seeded + sc.print_code(sc.parse(text)))
    except (AudiomancerError, UnicodeError):
        printed = {}
    figures = []
    for info in infos:
        if info.name not in compiled:
            continue
        truth = scgf.read_scgf(compiled[info.name]).controls
        ours = [(c.name, c.default) for c in info.controls]
        equal = len(truth) == len(ours) and all(
            name == our_name and _same_default(values, default)
            for (name, values), (our_name, default) in zip(truth, ours, strict=True)
        )
        detail = "" if equal else f"sclang {truth} vs parsed {ours}"
        identical = printed.get(info.name) == compiled[info.name]
        figures.append(StaticFigures(path.name, info.name, equal, identical, detail[:400]))
    return True, True, figures


def _same_default(values: tuple[float, ...], default: object) -> bool:
    if isinstance(default, float):
        return len(values) == 1 and _f32(default) == values[0]
    if isinstance(default, list):
        return len(default) == len(values) and all(
            _f32(d) == v for d, v in zip(default, values, strict=True)
        )
    return False


def sounds(scgf_bytes: bytes, *, test_input: bool = False) -> bool:
    """scsynth renders an audible phrase: not silent, finite, below full scale, and more than a
    DC offset (the signal minus its mean still reaches -60 dBFS). With ``test_input``: heard as
    an effect, the test signal playing the phrase into the bus it reads (``synth audition
    --test-input``)."""
    from audiomancer.errors import AudiomancerError
    from audiomancer.supercollider import nrt, probe

    with tempfile.TemporaryDirectory(prefix="audiomancer-corpus-") as folder:
        path = Path(folder) / "probe.wav"
        try:
            if test_input:
                result = probe.render_effect_phrase(scgf_bytes, 2.0, path)
            else:
                result = nrt.render_phrase(scgf_bytes, 2.0, path)
        except AudiomancerError:
            return False
        if not result.audible:
            return False
        samples, _ = nrt.read_wav(path)
        varying = samples - samples.mean(axis=0)
        return bool(abs(varying).max() >= 10 ** (nrt.SILENCE_DBFS / 20))


@dataclass(frozen=True)
class Outcome:
    """One mutate / breed / generate call on corpus synths."""

    operation: str
    parent: str
    seed: int
    parent_sounds: bool
    ok: bool
    """Returned a result (no exception)."""
    compiles: bool
    changed: bool
    audible: bool
    uses_b: bool = False
    identical_to_a: bool = False
    seconds: float = 0.0
    error: str = ""
    reference_seconds: float = 0.0
    """How long the harness's own audition of the parent took just before the call (one
    scsynth render of the phrase): a yardstick measured under the same load."""
    cpu_seconds: float = 0.0
    """CPU time the call used (see :func:`cpu_clock`): what the machine's load disturbs least."""


def cpu_clock() -> float:
    """CPU seconds used so far by this process, its ended children (each scsynth run) and the
    process-wide sclang (read from /proc while it runs): the difference around a call is the
    call's CPU time, whatever else the shared machine is doing."""
    import os
    import resource

    from audiomancer.supercollider import lang

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = time.process_time() + children.ru_utime + children.ru_stime
    pid = lang.get_sclang().pid  # None when none runs (asking starts none)
    if pid is not None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def _compiled(code: str) -> bytes | None:
    from audiomancer.errors import AudiomancerError
    from audiomancer.supercollider import lang

    try:
        return lang.compile_synthdef(code)
    except (AudiomancerError, UnicodeError):
        return None


def _parent(path: Path) -> tuple[object, bytes | None]:
    """(parsed info or the error parsing raised, compiled bytes or None)."""
    from audiomancer.analyzers.synthdef import parse_synthdef
    from audiomancer.errors import AudiomancerError

    try:
        info = parse_synthdef(path)
    except (AudiomancerError, UnicodeError) as error:
        return error, None
    return info, _compiled(info.source_code)


def _failed(operation: str, path: Path, seed: int, error: BaseException) -> Outcome:
    text = f"the parent does not parse: {type(error).__name__}: {error}"
    return Outcome(operation, path.name, seed, False, False, False, False, False, error=text[:300])


def measure_mutate(path: Path, seed: int, amount: float = 0.5) -> Outcome:
    """mutate_synth on one corpus file: compiles, changed (graph differs) and audible."""
    from audiomancer.errors import AudiomancerError
    from audiomancer.generators.synths import mutate_synth
    from audiomancer.supercollider import scgf

    info, parent = _parent(path)
    if isinstance(info, BaseException):
        return _failed("mutate", path, seed, info)
    started = time.perf_counter()
    parent_sounds = parent is not None and sounds(parent)
    reference = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), cpu_clock()
    try:
        child = mutate_synth(info, amount, seed)  # type: ignore[arg-type]
    except AudiomancerError as error:
        return Outcome("mutate", path.name, seed, parent_sounds, False, False, False, False,
                       seconds=time.perf_counter() - started, error=str(error)[:300])  # fmt: skip
    except UnicodeError as error:  # counted as a failure of its own: it must never happen
        return Outcome("mutate", path.name, seed, parent_sounds, False, False, False, False,
                       error=f"UnicodeError: {error}"[:300])  # fmt: skip
    seconds, cpu = time.perf_counter() - started, cpu_clock() - cpu_started
    made = _compiled(child.source_code)
    if made is None:
        return Outcome("mutate", path.name, seed, parent_sounds, True, False, False, False,
                       seconds=seconds, error="does not compile", cpu_seconds=cpu)  # fmt: skip
    changed = parent is None or scgf.read_scgf(made).body() != scgf.read_scgf(parent).body()
    return Outcome("mutate", path.name, seed, parent_sounds, True, True, changed, sounds(made),
                   seconds=seconds, reference_seconds=reference, cpu_seconds=cpu)  # fmt: skip


def measure_breed(path_a: Path, path_b: Path, seed: int) -> Outcome:
    """breed_synths: the child's output depends on a UGen class of B that A lacks; or it is
    A's graph unchanged."""
    from audiomancer.errors import AudiomancerError
    from audiomancer.generators.synths import breed_synths
    from audiomancer.supercollider import scgf

    a, a_bytes = _parent(path_a)
    b, b_bytes = _parent(path_b)
    for parsed in (a, b):
        if isinstance(parsed, BaseException):
            return _failed("breed", path_a, seed, parsed)
    parent_sounds = a_bytes is not None and sounds(a_bytes)
    started = time.perf_counter()
    try:
        child = breed_synths(a, b, seed)  # type: ignore[arg-type]
    except (AudiomancerError, UnicodeError, ValueError) as error:  # ValueError: A is B
        return Outcome("breed", path_a.name, seed, parent_sounds, False, False, False, False,
                       seconds=time.perf_counter() - started, error=str(error)[:300])  # fmt: skip
    seconds = time.perf_counter() - started
    made = _compiled(child.source_code)
    if made is None or a_bytes is None or b_bytes is None:
        return Outcome("breed", path_a.name, seed, parent_sounds, True, made is not None,
                       False, False, seconds=seconds)  # fmt: skip
    graph, graph_a, graph_b = scgf.read_scgf(made), scgf.read_scgf(a_bytes), scgf.read_scgf(b_bytes)
    from_b = (graph_b.output_classes() - {u.name for u in graph_a.ugens}) - GENERIC_UGENS
    uses_b = bool(graph.output_classes() & from_b)
    identical = graph.body() == graph_a.body()
    return Outcome("breed", path_a.name, seed, parent_sounds, True, True, not identical,
                   _child_sounds(made), uses_b=uses_b, identical_to_a=identical,
                   seconds=seconds)  # fmt: skip


def _child_sounds(scgf_bytes: bytes) -> bool:
    """A child sounds alone, or, when it reads an audio bus (an effect bred from an effect A),
    fed the test signal on that bus: as the library auditions such a child."""
    from audiomancer.supercollider import probe

    if sounds(scgf_bytes):
        return True
    return probe.reads_a_bus(scgf_bytes) and sounds(scgf_bytes, test_input=True)


DESCRIPTIONS: Final = ("bright plucky lead", "warm dark pad", "distorted noisy bass",
                       "soft long sweep", "metallic detuned fx")  # fmt: skip


def measure_generate(path: Path, seed: int) -> Outcome:
    """generate_synth(description, base_synth=corpus synth): the base comes back changed, or
    the call raises saying why (counted as not unchanged)."""
    from audiomancer.errors import AudiomancerError
    from audiomancer.generators.synths import generate_synth
    from audiomancer.supercollider import scgf

    base, base_bytes = _parent(path)
    if isinstance(base, BaseException):
        return _failed("generate", path, seed, base)
    description = DESCRIPTIONS[seed % len(DESCRIPTIONS)]
    started = time.perf_counter()
    try:
        synth = generate_synth(description, base, seed=seed)  # type: ignore[arg-type]
    except (AudiomancerError, UnicodeError) as error:
        return Outcome("generate", path.name, seed, base_bytes is not None, False, False, False,
                       False, seconds=time.perf_counter() - started,
                       error=str(error)[:300])  # fmt: skip
    seconds = time.perf_counter() - started
    made = _compiled(synth.source_code)
    changed = made is not None and (
        base_bytes is None or scgf.read_scgf(made).body() != scgf.read_scgf(base_bytes).body()
    )
    return Outcome("generate", path.name, seed, base_bytes is not None, True, made is not None,
                   changed, made is not None and sounds(made), seconds=seconds)  # fmt: skip
