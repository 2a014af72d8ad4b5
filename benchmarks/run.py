"""Run every audiomancer benchmark and print a Markdown table (``--write`` updates the README).

    .venv/bin/python benchmarks/run.py [--write] [--quick]

Each benchmark runs a fixed, seeded workload and reports the median of several timed rounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from audiomancer import engines
from audiomancer.generators.evolution import EvolutionEngine
from audiomancer.generators.patterns import PatternGenerator
from audiomancer.models import registry
from audiomancer.patterns.midi import from_midi_data, midi_bytes, read_midi, to_midi_data
from audiomancer.patterns.model import (
    TICKS_PER_STEP,
    Note,
    Pattern,
    PatternType,
    merge_overlaps,
)
from audiomancer.patterns.pbind import pbind_code
from audiomancer.patterns.store import PatternStore
from audiomancer.patterns.tidal import tidal_code
from audiomancer.supercollider import lang
from audiomancer.supercollider.library import template_names, template_source
from audiomancer.supercollider.nrt import render_phrase
from audiomancer.supercollider.syntax import parse, print_code

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
sys.path.insert(0, str(HERE.parent / "tests"))


@dataclass(frozen=True)
class Result:
    """One benchmark's outcome: a rate (items per second) or a time, with its unit."""

    name: str
    items_per_second: float
    unit: str
    note: str = ""


def sample_patterns(count: int, seed: int = 7) -> list[Pattern]:
    """A fixed mix of 4-bar drum, melody and bass patterns (48 notes, some off the grid)."""
    rng = random.Random(seed)
    result = []
    for index in range(count):
        kind: PatternType = ("drums", "melody", "bass")[index % 3]  # type: ignore[assignment]
        pitches = [36, 38, 42, 46] if kind == "drums" else list(range(40, 80))
        notes = []
        for step in sorted(rng.sample(range(1, 63), 48)):
            start = step * TICKS_PER_STEP + rng.choice([0, 0, 0, 7, -5])
            notes.append(Note(start, rng.choice(pitches), rng.randint(40, 127), TICKS_PER_STEP))
        result.append(Pattern(tuple(merge_overlaps(notes)), kind, bars=4, bpm=124))
    return result


def rate(name: str, unit: str, items: int, action: Callable[[], object], rounds: int) -> Result:
    """Time ``action`` (which handles ``items`` items) over rounds; median items per second."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return Result(name, items / statistics.median(timings), unit)


def codec_benchmarks(quick: bool) -> list[Result]:
    """Encode/decode throughput of the MIDI, midi_data, Tidal and Pbind codecs."""
    patterns = sample_patterns(30 if quick else 300)
    files = [midi_bytes(p) for p in patterns]
    documents = [to_midi_data(p) for p in patterns]
    n, rounds = len(patterns), 3 if quick else 5
    results = [
        rate("MIDI encode (Standard MIDI File bytes)", "patterns/s", n,
             lambda: [midi_bytes(p) for p in patterns], rounds),
        rate("MIDI decode (read_midi)", "patterns/s", n,
             lambda: [read_midi(f) for f in files], rounds),
        rate("midi_data encode (JSON)", "patterns/s", n,
             lambda: [to_midi_data(p) for p in patterns], rounds),
        rate("midi_data decode (JSON)", "patterns/s", n,
             lambda: [from_midi_data(d) for d in documents], rounds),
        rate("Tidal encode (tidal_code)", "patterns/s", n,
             lambda: [tidal_code(p) for p in patterns], rounds),
        rate("Pbind encode (pbind_code)", "patterns/s", n,
             lambda: [pbind_code(p) for p in patterns], rounds),
    ]  # fmt: skip
    results += engine_decode_benchmarks(patterns[: 10 if quick else 40])
    return results


def engine_decode_benchmarks(patterns: list[Pattern]) -> list[Result]:
    """Decoding Tidal and Pbind code means evaluating it: real ghci and real sclang."""
    from audiomancer.tidal.ghci import Ghci  # one persistent ghci, as `import` uses it
    from audiomancer.tidal.importer import import_tidal

    codes = [pbind_code(p) for p in patterns]
    lang.pbind_events(codes[0])  # start sclang outside the timing
    results = [
        rate("Pbind decode (events from real sclang)", "patterns/s", len(codes),
             lambda: [lang.pbind_events(c) for c in codes], 3),
    ]  # fmt: skip
    ghci = Ghci()
    try:
        programs = [(tidal_code(p), p.bars) for p in patterns]
        ghci.play(*programs[0])
        decode = rate("Tidal decode (code played block by block in real Tidal)", "patterns/s",
                      len(patterns), lambda: [ghci.play(c, b) for c, b in programs], 3)  # fmt: skip
        imported = rate("Tidal import (import_tidal of our own code)", "patterns/s",
                        len(patterns), lambda: [import_tidal(c, ghci=ghci) for c, _ in programs],
                        3)  # fmt: skip
        share = decode.items_per_second / imported.items_per_second
        results += [decode, dataclasses.replace(imported, note=f"{share:.2f}x the decode time")]
    finally:
        ghci.close()
    return results


def evolution_benchmarks(quick: bool) -> list[Result]:
    """Mutate and crossover throughput (each child stored with its three exports) and the wall
    time of evolving 64 rated patterns for 50 generations."""
    with tempfile.TemporaryDirectory() as folder:
        engine = EvolutionEngine(PatternStore(Path(folder) / "bench.sqlite3"))
        ids = [engine.store.put(p).id for p in sample_patterns(64)]
        for index, pattern_id in enumerate(ids):
            engine.store.rate(pattern_id, 1 + index % 5)
        drums = ids[::3]
        count = 20 if quick else 200
        results = [
            rate("mutate_pattern (amount 0.3, stored)", "patterns/s", count,
                 lambda: [engine.mutate_pattern(ids[i % 64], 0.3) for i in range(count)], 1),
            rate("crossover_patterns (stored)", "patterns/s", count,
                 lambda: [engine.crossover_patterns(drums[i % len(drums)],
                                                    drums[(i + 1) % len(drums)])
                          for i in range(count)], 1),
        ]  # fmt: skip
        generations = 5 if quick else 50
        started = time.perf_counter()
        final = engine.evolve_population(ids, generations, 0.3, 0.2, seed=1)
        seconds = time.perf_counter() - started
        results.append(
            Result(
                f"evolve_population: 64 patterns x {generations} generations",
                seconds,
                "s wall time",
                f"{len(final) - 64} new patterns",
            )
        )
    return results


def generation_benchmarks(quick: bool) -> list[Result]:
    """Model load time and the latency of a whole 4-bar generate call (stored), per type."""
    results = []
    for name in ("drums_rnn", "melody_rnn", "bass_rnn"):
        timings = []
        for _ in range(3 if quick else 10):
            registry.clear_cache()
            started = time.perf_counter()
            registry.load_model(name)
            timings.append(time.perf_counter() - started)
        results.append(Result(f"load {name}", statistics.median(timings) * 1000, "ms"))
    with tempfile.TemporaryDirectory() as folder:
        generator = PatternGenerator(PatternStore(Path(folder) / "gen.sqlite3"))
        calls = {
            "generate_drums(techno, 4 bars)": lambda: generator.generate_drums("techno", 4),
            "generate_melody(F# minor, 4 bars)": lambda: generator.generate_melody("F#", "minor"),
            "generate_bass(F# minor, 4 bars)": lambda: generator.generate_bass("F#", "minor"),
        }
        for label, call in calls.items():
            call()  # load outside the timing
            timings = []
            for _ in range(5 if quick else 30):
                started = time.perf_counter()
                call()
                timings.append(time.perf_counter() - started)
            results.append(Result(label, statistics.median(timings) * 1000, "ms median",
                                  "whole call, stored with its three exports"))  # fmt: skip
    return results


def groove_benchmarks(quick: bool) -> list[Result]:
    """Humanizing and swinging a 4-bar drum pattern, and generate_drums with humanize=1 against
    the same call without (measured in the same run)."""
    from audiomancer.models.humanizer import humanize, load_humanizer
    from audiomancer.patterns.groove import apply_swing

    with tempfile.TemporaryDirectory() as folder:
        generator = PatternGenerator(PatternStore(Path(folder) / "groove.sqlite3"))
        pattern = generator.generate_drums("techno", 4, seed=1).to_pattern()
        load_humanizer()
        rounds = 3 if quick else 10
        count = 20 if quick else 200
        results = [
            rate("humanize a 4-bar drum pattern", "patterns/s", count,
                 lambda: [humanize(pattern, 1.0, seed) for seed in range(count)], rounds),
            rate("swing a 4-bar drum pattern", "patterns/s", count,
                 lambda: [apply_swing(pattern, 58) for _ in range(count)], rounds),
        ]  # fmt: skip
        timings: dict[float, list[float]] = {0.0: [], 1.0: []}
        for _ in range(5 if quick else 30):
            for amount, times in timings.items():
                started = time.perf_counter()
                generator.generate_drums("techno", 4, humanize=amount)
                times.append(time.perf_counter() - started)
        plain, played = (statistics.median(timings[a]) for a in (0.0, 1.0))
        results.append(Result("generate_drums(techno, 4 bars, humanize=1)", played * 1000,
                              "ms median", f"{played / plain:.2f}x the call without"))  # fmt: skip
    return results


def supercollider_benchmarks(quick: bool) -> list[Result]:
    """Validation with the persistent sclang against one fresh sclang per check, SynthDef
    parse+print throughput, and the time to render 2 s of audio with scsynth."""
    sources = [template_source(name) for name in template_names()]
    sources += [p.read_text() for p in sorted((HERE.parent / "tests" / "synthdefs").glob("*.scd"))]
    lang.validate(sources[0])  # start the persistent process outside the timing
    checks = 20 if quick else 200
    results = [
        rate("validate, persistent sclang", "checks/s", checks,
             lambda: [lang.validate(sources[i % len(sources)]) for i in range(checks)], 3),
        rate("validate, one fresh sclang per check", "checks/s", 3,
             lambda: [_fresh_sclang_check(sources[i]) for i in range(3)], 1),
        rate("SynthDef parse + print (templates and test corpus)", "SynthDefs/s", len(sources),
             lambda: [print_code(parse(code)) for code in sources], 3 if quick else 10),
    ]  # fmt: skip
    scgf = lang.compile_synthdef(template_source("tb303"))
    timings = []
    for _ in range(3 if quick else 10):
        started = time.perf_counter()
        render_phrase(scgf, seconds=2.0, tail=0.0)
        timings.append(time.perf_counter() - started)
    results.append(
        Result("render 2 s of tb303 with scsynth -N", statistics.median(timings) * 1000, "ms")
    )
    return results


def studio_benchmarks(quick: bool) -> list[Result]:
    """The studio over real HTTP: listing the grid against reading the store directly, and a
    cached Play against the first one (which renders with scsynth)."""
    from studio_harness import running_studio

    count = 60 if quick else 300
    rounds = 3 if quick else 10
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        store = PatternStore(home / "patterns.sqlite3")
        ids = [store.put(p).id for p in sample_patterns(count)]
        with running_studio(home) as studio:
            studio.request("GET", "/api/patterns")  # warm up
            listed = _median_ms(lambda: studio.request("GET", "/api/patterns"), rounds)
            direct = _median_ms(store.list, rounds)
            picture = _median_ms(
                lambda: studio.request("GET", f"/api/patterns/{ids[0]}/picture.svg"), rounds
            )
            first = [
                _median_ms(lambda i=i: studio.request("GET", f"/api/patterns/{i}/audio"), 1)
                for i in ids[:3]  # drums, melody, bass: each renders once
            ]
            cached = _median_ms(lambda: studio.request("GET", f"/api/patterns/{ids[0]}/audio"),
                                rounds)  # fmt: skip
    return [
        Result(f"studio: list {count} patterns over HTTP", listed, "ms median",
               f"{listed / direct:.1f}x PatternStore.list() alone ({direct:.1f} ms)"),
        Result("studio: a pattern's SVG picture over HTTP", picture, "ms median"),
        Result("studio: first Play of a 4-bar pattern (renders)", statistics.median(first),
               "ms median", "drums, melody and bass; scsynth -N"),
        Result("studio: Play again (cached WAV)", cached, "ms median",
               f"{statistics.median(first) / cached:.0f}x faster than the first"),
    ]  # fmt: skip


def _median_ms(action: Callable[[], object], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def _fresh_sclang_check(code: str) -> None:
    """What validation costs without the persistent process: start sclang, compile, quit."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "check.scd"
        script.write_text(
            f"(thisProcess.interpreter.compile({lang_string(code)}).notNil.postln; 0.exit)"
        )
        subprocess.run(
            [str(engines.find("sclang")), str(script)],
            env=engines.sclang_environment(),
            capture_output=True,
            timeout=60,
            check=False,
        )


def lang_string(text: str) -> str:
    """A SuperCollider string literal holding ``text``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def markdown(results: list[Result]) -> str:
    """The results as a Markdown table with the machine and date."""
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, "
        f"Python {platform.python_version()}, {_cpu_count()} cores.",
        "",
        "| benchmark | value | unit | note |",
        "|---|---:|---|---|",
    ]
    lines += [f"| {r.name} | {r.items_per_second:,.1f} | {r.unit} | {r.note} |" for r in results]
    return "\n".join(lines)


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


def write_readme(table: str) -> None:
    """Replace the results section of benchmarks/README.md."""
    text = README.read_text()
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    replacement = f"{begin}\n{table}\n{end}"
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), replacement, text, flags=re.S)
    README.write_text(text)


def main() -> None:
    """Parse arguments, run the benchmarks, print (and optionally record) the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    parser.add_argument("--quick", action="store_true", help="smaller workloads (smoke test)")
    args = parser.parse_args()
    results = codec_benchmarks(args.quick) + evolution_benchmarks(args.quick)
    results += generation_benchmarks(args.quick) + groove_benchmarks(args.quick)
    results += supercollider_benchmarks(args.quick)
    from render import render_benchmarks  # beside this script, like batch

    results += render_benchmarks(args.quick)
    results += studio_benchmarks(args.quick)
    from batch import batch_benchmarks  # beside this script; it imports Result from here

    results += batch_benchmarks(args.quick)
    from magenta import magenta_benchmarks  # beside this script, like batch

    results += magenta_benchmarks(args.quick)
    from startup import startup_benchmarks  # beside this script, like batch

    results += startup_benchmarks(args.quick)
    from names import name_benchmarks  # beside this script, like batch

    results += name_benchmarks(args.quick)
    from evolve_render import evolve_render_benchmarks  # beside this script, like batch

    results += evolve_render_benchmarks(args.quick)
    table = markdown(results)
    print(table)
    if args.write:
        write_readme(table)


if __name__ == "__main__":
    main()
