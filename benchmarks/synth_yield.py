"""Yield of synth evolution: how many mutate/breed/generate results compile and sound.

    .venv/bin/python benchmarks/synth_yield.py [--seeds 50] [--workers 2] [--quick]

Every template × seeds 0..N-1 goes through ``mutate_synth`` (amount 0.3, 0.55, 0.8 in turn),
``breed_synths`` (with a rotating partner template) and ``generate_synth`` (a rotating
description of the template's category; on odd seeds with the template as ``base_synth``).
Each result is then checked again, independently of the checks the library already made: its
code is compiled by sclang and a phrase is rendered by scsynth, which must be audible (not
silent, finite, below full scale). A call that raises counts as a result that does not
compile. Runs in an empty temporary AUDIOMANCER_HOME; nothing is written to the real one.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="seeds 0..N-1 per template")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true", help="3 seeds: a smoke test")
    args = parser.parse_args()
    seeds = 3 if args.quick else args.seeds
    home = tempfile.mkdtemp(prefix="audiomancer-yield-")
    os.environ["AUDIOMANCER_HOME"] = home
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
