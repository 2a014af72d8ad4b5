"""Batched generation (issue 10 §3): one pattern against the bare matrix work, and batches.

    .venv/bin/python benchmarks/batch.py

All numbers come from the same run, so the ratios hold on a busy machine too: the bare LSTM
steps of the 2x192 drum model, the sampling loop alone, and whole ``generate_drums`` calls
(stored with all three exports) for one pattern, a batch of 16, and 16 separate calls.

Times are the process's CPU time (``time.process_time``; BLAS runs on one thread while
sampling): on the shared build machine wall times of the same run varied 2-3x with the load,
CPU times far less. The store's fsync at each commit (one per call) is wall time, not CPU.

A second view, not the issue's measure (which is in-process): the whole command,
``audiomancer generate drums --style techno --bars 4 --count 16`` against the same without
``--count``, each a fresh process as ``benchmarks/startup.py`` runs them (byte code cached, a
temporary ``AUDIOMANCER_HOME``), in turn, median wall and CPU time of the rounds. Both pay
the same start-up (Python, numpy, the model's load), so this ratio is far below the
in-process one.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from audiomancer.generators.patterns import PatternGenerator
from audiomancer.models.lstm import generate_batch, make_rng, one_blas_thread
from audiomancer.models.primers import style_primers
from audiomancer.models.registry import load_model
from audiomancer.patterns.store import PatternStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Result
from startup import ENTRY, run_once

CLI_ONE: tuple[str, ...] = (*ENTRY, "generate", "drums", "--style", "techno", "--bars", "4")
CLI_BATCH: tuple[str, ...] = (*CLI_ONE, "--count", "16")


def _best_ms(action: Callable[[], object], rounds: int) -> float:
    """Median of the fastest half of the rounds (a busy machine adds only positive noise)."""
    timings = []
    for _ in range(rounds):
        started = time.process_time()
        action()
        timings.append(time.process_time() - started)
    timings.sort()
    return statistics.median(timings[: max(1, len(timings) // 2)]) * 1000


def _interleaved_ms(
    first: Callable[[], object], second: Callable[[], object], rounds: int
) -> tuple[float, float]:
    """``_best_ms`` of two actions timed in turn, round by round, so that a change in the
    machine's load falls on both alike."""
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for action, times in zip((first, second), timings, strict=True):
            started = time.process_time()
            action()
            times.append(time.process_time() - started)
    fastest = [sorted(times)[: max(1, rounds // 2)] for times in timings]
    return statistics.median(fastest[0]) * 1000, statistics.median(fastest[1]) * 1000


def batch_benchmarks(quick: bool) -> list[Result]:
    """The rows of benchmarks/README.md's batched-generation table."""
    rounds = 5 if quick else 30
    model = load_model("drums_rnn").model

    def bare(rows: int) -> Callable[[], object]:
        state = model.initial_batch_state(rows)
        events = np.zeros(rows, dtype=np.int64)

        def run() -> None:
            with one_blas_thread():
                for step in range(64):
                    model.step_batch(state, events, events + step % 16, 2)

        return run

    def single_steps() -> None:
        state = model.initial_state()
        for step in range(64):
            model.step(state, 0, step % 16, 2)

    primer = style_primers("techno")[0].states * 2

    def sampling(rows: int) -> Callable[[], object]:
        return lambda: generate_batch(
            model,
            steps=64,
            rngs=[make_rng(s) for s in range(rows)],
            primers=[primer] * rows,
            style=2,
        )

    with tempfile.TemporaryDirectory() as folder:
        generator = PatternGenerator(PatternStore(Path(folder) / "batch.sqlite3"))
        generator.generate_drums("techno", 4, n=16)  # load, and prime each techno primer once
        one, sixteen = _interleaved_ms(
            lambda: generator.generate_drums("techno", 4),
            lambda: generator.generate_drums("techno", 4, n=16),
            rounds,
        )
        separate = _best_ms(
            lambda: [generator.generate_drums("techno", 4) for _ in range(16)], max(3, rounds // 5)
        )
    step1 = _best_ms(single_steps, rounds)
    step2 = _best_ms(bare(1), rounds)
    step16 = _best_ms(bare(16), rounds)
    sample1 = _best_ms(sampling(1), rounds)
    sample16 = _best_ms(sampling(16), rounds)
    return [
        Result("bare LSTM, 64 steps, 2x192, one row (vector)", step1, "ms"),
        Result("bare LSTM, 64 steps, 2x192, batch of 1 row", step2, "ms",
               "what one pattern runs"),
        Result("bare LSTM, 64 steps, 2x192, batch of 16", step16, "ms"),
        Result("sampling 1 pattern (2-bar primer + 64 steps)", sample1, "ms",
               f"{sample1 / step2:.1f}x its bare steps"),
        Result("sampling 16 patterns", sample16, "ms", f"{sample16 / sample1:.1f}x one"),
        Result("generate_drums(techno, 4 bars), one", one, "ms",
               f"whole call, stored; {one / sample1:.1f}x its sampling"),
        Result("generate_drums(techno, 4 bars, n=16)", sixteen, "ms",
               f"{sixteen / one:.2f}x one; stored with all exports"),
        Result("16 separate generate_drums calls", separate, "ms",
               f"{separate / one:.1f}x one; {separate / sixteen:.1f}x the batch"),
    ]  # fmt: skip


def cli_benchmarks(quick: bool) -> list[Result]:
    """The second view: whole ``audiomancer generate`` commands, one pattern against 16."""
    rounds = 5 if quick else 11
    timings: tuple[list[tuple[float, float]], list[tuple[float, float]]] = ([], [])
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, AUDIOMANCER_HOME=home, PYTHONPYCACHEPREFIX=f"{home}/pycache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        run_once(CLI_ONE, env)  # byte code, disk cache, the store's creation
        run_once(CLI_BATCH, env)
        for _ in range(rounds):
            for arguments, runs in zip((CLI_ONE, CLI_BATCH), timings, strict=True):
                runs.append(run_once(arguments, env))
    (wall1, cpu1), (wall16, cpu16) = (
        (statistics.median(w for w, _ in runs) * 1000, statistics.median(c for _, c in runs) * 1000)
        for runs in timings
    )
    return [
        Result("CLI: generate drums --style techno --bars 4", wall1, "ms median wall",
               f"fresh process; CPU {cpu1:.0f} ms"),
        Result("CLI: the same with --count 16", wall16, "ms median wall",
               f"{wall16 / wall1:.2f}x one (wall), CPU {cpu16:.0f} ms, {cpu16 / cpu1:.2f}x; "
               "a second view, start-up included"),
    ]  # fmt: skip


if __name__ == "__main__":
    from run import markdown

    quick = "--quick" in sys.argv
    print(markdown(batch_benchmarks(quick) + cli_benchmarks(quick)))
