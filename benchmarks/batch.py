"""Batched generation (issue 10 §3): the LSTM against its bare matrix work, and batches.

    .venv/bin/python benchmarks/batch.py [--quick]

All numbers come from the same run, each timed in turn with the others, round by round, so
that a change in the shared machine's load falls on all alike; the ratios are the measure:

- the floor: the three matrix products of 64 steps of the 2x192 drum model alone, the BLAS
  calls the step makes (matrix-vector products for one row, matrix-matrix for 16);
- the bare steps (64, the state advanced and the logits computed, nothing sampled) as a
  ratio to that floor (goal: close to it, ≤ 1.5x);
- sampling (a 2-bar primer, kept primed, and 64 steps) and whole ``generate_drums`` calls,
  stored with all three exports: one pattern, a batch of 16 (goal ≤ 2.5x one), and 16
  separate calls;
- the whole command, ``audiomancer generate drums --style techno --bars 4 --count 16``
  against the same without ``--count``, each a fresh process as ``benchmarks/startup.py``
  runs them (byte code cached, a temporary ``AUDIOMANCER_HOME``).

In-process rows give the process's CPU time (``time.process_time``; BLAS on one thread) and
wall time, each the median of the fastest half of the rounds (a busy machine adds only
positive noise); command rows the medians of the rounds. The store's fsync at each commit
(one per call) is wall time, not CPU. The load average is printed with the table.
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
from audiomancer.models.lstm import (
    LSTMModel,
    _Work,
    generate_batch,
    make_rng,
    one_blas_thread,
)
from audiomancer.models.primers import style_primers
from audiomancer.models.registry import load_model
from audiomancer.patterns.store import PatternStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Result
from startup import ENTRY, run_once

CLI_ONE: tuple[str, ...] = (*ENTRY, "generate", "drums", "--style", "techno", "--bars", "4")
CLI_BATCH: tuple[str, ...] = (*CLI_ONE, "--count", "16")
STEPS = 64
STYLE = 2  # techno

Timing = tuple[float, float]
"""(CPU ms, wall ms)."""


def interleaved(actions: dict[str, Callable[[], object]], rounds: int) -> dict[str, Timing]:
    """Each action timed once per round, in turn: the median of the fastest half of its
    rounds, CPU and wall time apart."""
    cpu: dict[str, list[float]] = {name: [] for name in actions}
    wall: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():
        action()  # warm: byte code, caches, kept primers
    for _ in range(rounds):
        for name, action in actions.items():
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            action()
            cpu[name].append(time.process_time() - started_cpu)
            wall[name].append(time.perf_counter() - started_wall)

    def fastest(times: list[float]) -> float:
        return statistics.median(sorted(times)[: max(1, len(times) // 2)]) * 1000

    return {name: (fastest(cpu[name]), fastest(wall[name])) for name in actions}


def floor(model: LSTMModel, rows: int) -> Callable[[], object]:
    """The three products of 64 steps alone, as ``_Work.step`` calls them."""
    matrices = [model._wh0, *model._wxh, model._out]
    tail = (rows,) if rows > 1 else ()
    inputs = [np.zeros((m.levels.shape[0], *tail), dtype=np.float32) for m in matrices]
    outputs = [np.empty((m.levels.shape[1], *tail), dtype=np.float32) for m in matrices]
    product = np.dot if rows == 1 else np.matmul

    def run() -> None:
        with one_blas_thread():
            for _ in range(STEPS):
                for matrix, x, out in zip(matrices, inputs, outputs, strict=True):
                    product(matrix.transposed, x, out=out)

    return run


def bare(model: LSTMModel, rows: int) -> Callable[[], object]:
    """64 steps from the zero state, logits included, nothing sampled: the sampling loop's
    steps (its work buffers made once; ``step_batch`` makes them at every call)."""
    events = np.zeros(rows, dtype=np.int64)
    positions = [np.full(rows, step % 16) for step in range(STEPS)]
    width = model.config.layers * model.config.hidden

    def run() -> None:
        levels = np.zeros((width, rows), dtype=np.float32)
        work = _Work(model, levels, np.zeros_like(levels), STYLE)
        with one_blas_thread():
            for step in range(STEPS):
                work.step(events, positions[step], True)

    return run


def sampling(model: LSTMModel, rows: int) -> Callable[[], object]:
    """One batch of ``rows`` patterns after a 2-bar techno primer (kept primed)."""
    primer = style_primers("techno")[0].states * 2
    return lambda: generate_batch(
        model,
        steps=STEPS,
        rngs=[make_rng(s) for s in range(rows)],
        primers=[primer] * rows,
        style=STYLE,
    )


def _ms(timing: Timing) -> str:
    return f"CPU {timing[0]:.2f} ms, wall {timing[1]:.2f} ms"


def batch_benchmarks(quick: bool) -> list[Result]:
    """The rows of benchmarks/README.md's batched-generation table (in-process)."""
    rounds = 5 if quick else 30
    model = load_model("drums_rnn").model
    load = os.getloadavg()[0]
    t = interleaved(
        {
            "floor 1": floor(model, 1),
            "bare 1": bare(model, 1),
            "floor 16": floor(model, 16),
            "bare 16": bare(model, 16),
            "sampling 1": sampling(model, 1),
            "sampling 16": sampling(model, 16),
        },
        rounds,
    )
    with tempfile.TemporaryDirectory() as folder:
        generator = PatternGenerator(PatternStore(Path(folder) / "batch.sqlite3"))
        calls = interleaved(
            {
                "one": lambda: generator.generate_drums("techno", 4),
                "sixteen": lambda: generator.generate_drums("techno", 4, n=16),
            },
            rounds,
        )
        separate = interleaved(
            {"separate": lambda: [generator.generate_drums("techno", 4) for _ in range(16)]},
            max(3, rounds // 5),
        )["separate"]
    t.update(calls)
    load = max(load, os.getloadavg()[0])

    def ratio(name: str, base: str, label: str) -> str:
        cpu, wall = t[name][0] / t[base][0], t[name][1] / t[base][1]
        return f"{cpu:.2f}x {label} (CPU), {wall:.2f}x (wall)"

    one, sixteen = t["one"], t["sixteen"]
    return [
        Result("floor: 3 one-row gemvs x 64 (2x192 drum model)", t["floor 1"][0], "ms CPU",
               f"wall {t['floor 1'][1]:.2f} ms; load average up to {load:.1f}"),
        Result("bare LSTM, 64 steps, one row", t["bare 1"][0], "ms CPU",
               f"{ratio('bare 1', 'floor 1', 'the floor')}; goal ≤ 1.5x"),
        Result("floor: 3 gemms of 16 rows x 64", t["floor 16"][0], "ms CPU",
               f"wall {t['floor 16'][1]:.2f} ms"),
        Result("bare LSTM, 64 steps, 16 rows", t["bare 16"][0], "ms CPU",
               ratio("bare 16", "floor 16", "its floor")),
        Result("sampling 1 pattern (2-bar primer + 64 steps)", t["sampling 1"][0], "ms CPU",
               ratio("sampling 1", "bare 1", "its bare steps")),
        Result("sampling 16 patterns", t["sampling 16"][0], "ms CPU",
               ratio("sampling 16", "sampling 1", "one")),
        Result("generate_drums(techno, 4 bars), one, stored", one[0], "ms CPU",
               f"wall {one[1]:.2f} ms; {one[0] / t['sampling 1'][0]:.1f}x its sampling"),
        Result("generate_drums(techno, 4 bars, n=16), stored with all exports", sixteen[0],
               "ms CPU", f"{ratio('sixteen', 'one', 'one')}; goal ≤ 2.5x (see the CLI rows)"),
        Result("16 separate generate_drums calls", separate[0], "ms CPU",
               f"{separate[0] / one[0]:.1f}x one, {separate[0] / sixteen[0]:.1f}x the batch; "
               f"wall {separate[1]:.1f} ms"),
    ]  # fmt: skip


def cli_benchmarks(quick: bool) -> list[Result]:
    """Whole ``audiomancer generate`` commands, one pattern against 16, in turn."""
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
               f"{wall16 / wall1:.2f}x one (wall), CPU {cpu16:.0f} ms: {cpu16 / cpu1:.2f}x; "
               "goal ≤ 2.5x"),
    ]  # fmt: skip


if __name__ == "__main__":
    from run import markdown

    quick = "--quick" in sys.argv
    results = batch_benchmarks(quick) + cli_benchmarks(quick)
    print(markdown(results))
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
