"""Yield of synth evolution: how many mutate/breed/generate results compile and sound.

    .venv/bin/python benchmarks/synth_yield.py [--seeds 50] [--workers 2] [--quick]
    .venv/bin/python benchmarks/synth_yield.py --corpus [--seeds 2] [--workers 2] [--only mutate]

Every template × seeds 0..N-1 goes through ``mutate_synth`` (amount 0.3, 0.55, 0.8 in turn),
``breed_synths`` (with a rotating partner template) and ``generate_synth`` (a rotating
description of the template's category; on odd seeds with the template as ``base_synth``).
Each result is then checked again, independently of the checks the library already made: its
code is compiled by sclang and a phrase is rendered by scsynth, which must be audible (not
silent, finite, below full scale). A call that raises counts as a result that does not
compile. Runs in an empty temporary AUDIOMANCER_HOME; nothing is written to the real one.

``--corpus`` measures the real-world SynthDefs of ``tests/synthdefs_wild`` instead, the way
issue 13 asks (see ``tests/wild_corpus.py``): parse; controls against sclang's compiled
SynthDef; parse, print, compile: identical bytes; mutants that compile, changed and audible
when the parent is audible; bred children whose output depends on a UGen of B; children
identical to A; generate with a base returning the base unchanged; mutate median time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

DESCRIPTIONS = {
    "bass": ("warm acid bass with filter sweep", "dark distorted sub bass", "bright plucky bass",
             "detuned wobble bass"),
    "lead": ("bright detuned lead", "soft filtered lead", "metallic distorted lead",
             "warm plucky lead with sweep"),
    "pad": ("warm long pad with slow sweep", "dark noisy pad", "bright detuned pad",
            "soft filtered pad"),
    "drum": ("short punchy kick", "noisy distorted snare", "metallic bright hat",
             "dark long drum"),
    "fx": ("noisy sweep riser", "metallic zap", "distorted long fx", "bright filtered laser"),
}  # fmt: skip
AMOUNTS = (0.3, 0.55, 0.8)
OPERATIONS = ("mutate", "breed", "generate")


@dataclass(frozen=True)
class Outcome:
    """One result: which operation, whether it compiled and sounded, how long it took."""

    operation: str
    template: str
    seed: int
    compiles: bool
    audible: bool
    seconds: float
    retries: int
    """Edits or candidates the library threw away because they did not compile or sound."""
    error: str = ""


def _run(task: tuple[str, str, int, str]) -> Outcome:
    from audiomancer.analyzers.synthdef import parse_synthdef
    from audiomancer.errors import AudiomancerError
    from audiomancer.generators.synths import breed_synths, generate_synth, mutate_synth
    from audiomancer.supercollider import lang, library, nrt

    operation, template, seed, partner = task
    info = parse_synthdef(library.template_path(template))
    category = library.template_category(template)
    started = time.perf_counter()
    try:
        if operation == "mutate":
            synth = mutate_synth(info, AMOUNTS[seed % len(AMOUNTS)], seed)
        elif operation == "breed":
            synth = breed_synths(info, parse_synthdef(library.template_path(partner)), seed)
        else:
            descriptions = DESCRIPTIONS[category]
            description = descriptions[seed % len(descriptions)]
            base = info if seed % 2 else None
            synth = generate_synth(description, base, category, seed=seed)  # type: ignore[arg-type]
    except AudiomancerError as error:
        elapsed = time.perf_counter() - started
        return Outcome(operation, template, seed, False, False, elapsed, 0, str(error)[:300])
    elapsed = time.perf_counter() - started
    retries = sum(
        "does not compile" in note or note.startswith(("candidate", "scaled candidate"))
        for note in synth.rejected
    )
    try:
        scgf = lang.compile_synthdef(synth.source_code)
    except AudiomancerError as error:
        return Outcome(operation, template, seed, False, False, elapsed, retries,
                       f"returned code does not compile: {error}"[:300])  # fmt: skip
    handle, path = tempfile.mkstemp(suffix=".wav")
    os.close(handle)
    try:
        result = nrt.render_phrase(scgf, 2.0, __import__("pathlib").Path(path))
        audible, error_text = result.audible, "" if result.audible else "not audible"
    except AudiomancerError as error:
        audible, error_text = False, f"render failed: {error}"[:300]
    finally:
        os.unlink(path)
    return Outcome(operation, template, seed, True, audible, elapsed, retries,
                   error_text)  # fmt: skip


def _tasks(seeds: int) -> list[tuple[str, str, int, str]]:
    from audiomancer.supercollider import library

    names = library.template_names()
    tasks = []
    for index, template in enumerate(names):
        for seed in range(seeds):
            partner = names[(index + 1 + seed % (len(names) - 1)) % len(names)]
            for operation in ("mutate", "breed", "generate"):
                tasks.append((operation, template, seed, partner))
    return tasks


def _corpus_static(path: str) -> tuple[bool, bool, list[tuple[bool, bool, str]]]:
    import wild_corpus

    parses, compiles, figures = wild_corpus.measure_static(Path(path))
    return parses, compiles, [(f.controls_equal, f.bytes_identical, f.detail) for f in figures]


def _corpus_call(task: tuple[str, str, str, int]) -> object:
    import wild_corpus

    operation, path, partner, seed = task
    if operation == "mutate":
        return wild_corpus.measure_mutate(Path(path), seed, AMOUNTS[seed % len(AMOUNTS)])
    if operation == "breed":
        return wild_corpus.measure_breed(Path(path), Path(partner), seed)
    return wild_corpus.measure_generate(Path(path), seed)


def _share(hits: int, total: int) -> str:
    return f"{100 * hits / total:.1f}% ({hits}/{total})" if total else "n/a"


def corpus_main(seeds: int, workers: int, operations: tuple[str, ...] = OPERATIONS) -> int:
    """The issue-13 table over the real-world corpus (``operations``: which calls to make)."""
    import wild_corpus

    files = [str(p) for p in wild_corpus.corpus_files()]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        static = list(pool.map(_corpus_static, files))
        tasks = []
        for index, path in enumerate(files):
            for seed in range(seeds):
                partner = files[(index + 1 + 7 * seed) % len(files)]
                for operation in operations:
                    tasks.append((operation, path, partner, seed))
        outcomes: list[wild_corpus.Outcome] = list(pool.map(_corpus_call, tasks, chunksize=2))  # type: ignore[arg-type]
    wall = time.perf_counter() - started
    figures = [f for _, _, found in static for f in found]
    mutants = [o for o in outcomes if o.operation == "mutate"]
    sounding = [o for o in mutants if o.parent_sounds]
    children = [o for o in outcomes if o.operation == "breed"]
    generated = [o for o in outcomes if o.operation == "generate"]
    times = [o.seconds for o in mutants if o.ok]
    print(f"corpus: {len(files)} files, {len(figures)} SynthDefs that sclang compiles, "
          f"seeds 0-{seeds - 1}, {workers} workers, {wall:.0f} s wall")  # fmt: skip
    print()
    print("| what | value |")
    print("|---|---:|")
    print(f"| parse succeeds (files) | {_share(sum(p for p, _, _ in static), len(static))} |")
    print(f"| parse, print, compile: identical bytes | "
          f"{_share(sum(f[1] for f in figures), len(figures))} |")  # fmt: skip
    print(f"| controls equal to sclang's compiled SynthDef | "
          f"{_share(sum(f[0] for f in figures), len(figures))} |")  # fmt: skip
    good = sum(o.compiles and o.changed and o.audible for o in sounding)
    print(f"| mutants that compile, changed and audible (audible parent) | "
          f"{_share(good, len(sounding))} |")  # fmt: skip
    print(f"| bred children using a UGen of B the output depends on | "
          f"{_share(sum(o.uses_b for o in children), len(children))} |")  # fmt: skip
    print(f"| bred children identical to A | "
          f"{_share(sum(o.identical_to_a for o in children), len(children))} |")  # fmt: skip
    returned = [o for o in children if o.ok]
    heard = sum(o.compiles and o.audible for o in returned)
    print(f"| bred children returned that compile and sound (effects fed the test signal) | "
          f"{_share(heard, len(returned))} |")  # fmt: skip
    print(f"| breed calls refused with a reason | "
          f"{_share(sum(not o.ok for o in children), len(children))} |")  # fmt: skip
    unchanged = sum(o.ok and not o.changed for o in generated)
    print(f"| generate with base returning the base unchanged | "
          f"{_share(unchanged, len(generated))} |")  # fmt: skip
    raised = sum(not o.ok for o in generated)
    print(f"| generate with base raising (saying why) | {_share(raised, len(generated))} |")
    if times:
        p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
        print(f"| mutate median time per result | {statistics.median(times):.2f} s "
              f"(p90 {p90:.2f} s, max {max(times):.1f} s) |")  # fmt: skip
        cpu = [o.cpu_seconds for o in mutants if o.ok]
        top = statistics.quantiles(cpu, n=10)[-1] if len(cpu) > 1 else cpu[0]
        print(f"| mutate median CPU time per result (Python, scsynth, sclang) | "
              f"{statistics.median(cpu):.2f} s (p90 {top:.2f} s, "
              f"max {max(cpu):.1f} s) |")  # fmt: skip
        ratios = [o.seconds / o.reference_seconds for o in mutants
                  if o.ok and o.reference_seconds > 0]  # fmt: skip
        if ratios:
            print(f"| mutate time / one plain audition render of the parent (same process, "
                  f"just before) | median {statistics.median(ratios):.2f}x |")  # fmt: skip
    print()
    for _, _, detail in [f for f in figures if not f[0]][:10]:
        print(f"- controls differ: {detail}")
    failures = [o for o in sounding if not (o.compiles and o.changed and o.audible)]
    for o in failures[:15]:
        print(f"- mutate {o.parent} seed {o.seed}: ok={o.ok} compiles={o.compiles} "
              f"changed={o.changed} audible={o.audible} {o.error}")  # fmt: skip
    for o in [o for o in children if not o.uses_b][:15]:
        print(f"- breed {o.parent} seed {o.seed}: returned={o.ok} compiles={o.compiles} "
              f"audible={o.audible} {o.error}")  # fmt: skip
    for o in [o for o in returned if not (o.compiles and o.audible)][:10]:
        print(f"- breed {o.parent} seed {o.seed}: returned, compiles={o.compiles} "
              f"audible={o.audible}")  # fmt: skip
    for o in [o for o in generated if o.ok and not o.changed][:10]:
        print(f"- generate {o.parent} seed {o.seed}: base returned unchanged")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="seeds 0..N-1 per template")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true", help="3 seeds: a smoke test")
    parser.add_argument("--corpus", action="store_true", help="the real-world corpus (issue 13)")
    parser.add_argument("--only", choices=OPERATIONS, action="append",
                        help="with --corpus: only this operation (repeatable)")  # fmt: skip
    args = parser.parse_args()
    seeds = 3 if args.quick else args.seeds
    home = tempfile.mkdtemp(prefix="audiomancer-yield-")
    os.environ["AUDIOMANCER_HOME"] = home
    if args.corpus:
        operations = tuple(args.only) if args.only else OPERATIONS
        return corpus_main(args.seeds if args.seeds != 50 else 2, args.workers, operations)
    tasks = _tasks(seeds)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        outcomes = list(pool.map(_run, tasks, chunksize=8))
    wall = time.perf_counter() - started
    by_operation: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_operation[outcome.operation].append(outcome)
    print(f"synth yield: {len(outcomes)} results, every template × seeds 0-{seeds - 1}, "
          f"{args.workers} workers, {wall:.0f} s wall")  # fmt: skip
    print()
    print("| operation | results | compile | audible | no retry needed | mean time |")
    print("|---|---:|---:|---:|---:|---:|")
    for operation in ("mutate", "breed", "generate"):
        group = by_operation[operation]
        compiled = sum(o.compiles for o in group)
        audible = sum(o.audible for o in group)
        clean = sum(o.compiles and o.retries == 0 for o in group)
        mean = statistics.fmean(o.seconds for o in group)
        print(f"| {operation} | {len(group)} | {100 * compiled / len(group):.1f}% | "
              f"{100 * audible / len(group):.1f}% | {100 * clean / len(group):.1f}% | "
              f"{mean * 1000:.0f} ms |")  # fmt: skip
    failures = [o for o in outcomes if not (o.compiles and o.audible)]
    for outcome in failures[:20]:
        print(f"- {outcome.operation} {outcome.template} seed {outcome.seed}: {outcome.error}")
    return 0 if all(o.compiles for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
