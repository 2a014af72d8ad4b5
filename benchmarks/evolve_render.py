"""``evolve --render DIR``: the new patterns rendered one after another against one per CPU.

    .venv/bin/python benchmarks/evolve_render.py [--quick]

An evolve run of 4 drum patterns over 4 generations (seeded) makes the patterns; each round
renders all of them to a fresh folder with one worker (the reference: what ``evolve --render``
did before) and with the default (one per CPU), in alternating order so a busy machine weighs
on both. Medians of the rounds are compared, and the two folders must hold the same bytes.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Result


def evolve_render_benchmarks(quick: bool) -> list[Result]:
    """Wall time of rendering one evolve run's new patterns, sequential and concurrent."""
    from rich.console import Console

    import audiomancer.cli.render as render_module
    from audiomancer.cli.render import render_all_created
    from audiomancer.generators.evolution import EvolutionEngine
    from audiomancer.generators.patterns import PatternGenerator

    rounds = 2 if quick else 5
    with tempfile.TemporaryDirectory() as home:
        os.environ["AUDIOMANCER_HOME"] = home
        generator = PatternGenerator()
        styles = ("techno", "house", "dnb", "basic")
        parents = [
            generator.generate_drums(style, 4, 125, seed=i)["id"] for i, style in enumerate(styles)
        ]
        population = EvolutionEngine().evolve_population(parents, 4, 0.6, 0.4, seed=1)
        created = [r for r in population if r.id not in parents]
        render_module.err = Console(file=io.StringIO())  # its lines are not what is timed
        timings: dict[int | None, list[float]] = {1: [], None: []}
        folders: dict[int | None, Path] = {}
        render_all_created(created[:1], Path(home))  # compile the kit once, outside the timing
        for index in range(rounds):
            for workers in (1, None) if index % 2 == 0 else (None, 1):
                folder = Path(tempfile.mkdtemp(dir=home))
                started = time.perf_counter()
                render_all_created(created, folder, workers)
                timings[workers].append(time.perf_counter() - started)
                folders[workers] = folder
        same = all(
            (folders[1] / name).read_bytes() == (folders[None] / name).read_bytes()
            for name in os.listdir(folders[1])
        )
        if not same:
            raise AssertionError("concurrent renders wrote other bytes than sequential ones")
    one, many = statistics.median(timings[1]), statistics.median(timings[None])
    cpus = os.cpu_count() or 1
    return [
        Result(
            f"evolve --render, {len(created)} patterns, 1 at a time (reference)", one, "s median"
        ),
        Result(
            f"evolve --render, {len(created)} patterns, {cpus} at a time ({cpus} CPUs)",
            many,
            "s median",
            f"{many / one:.2f}x the reference, same bytes",
        ),
    ]


if __name__ == "__main__":
    for result in evolve_render_benchmarks("--quick" in sys.argv):
        print(result)
