"""Rendering patterns (issue 11): the whole ``audiomancer render`` CLI call for 4-bar patterns.

    .venv/bin/python benchmarks/render.py [--quick]

For each of a 4-bar drum, melody and bass pattern (the seeded mix of ``run.py``), the median
of several whole CLI calls (the console script, as a user runs it) in fresh processes: wall
time and CPU time (user + system, scsynth included) against the audio's length (the
real-time factor; the goal is at least 20x), and peak memory. The store is closed between
the calls, as a user's is. In the same run, for reference: a bare ``python -c pass``, and
``python -c "import audiomancer.cli"`` (what every command pays before it starts).

Bytecode: the calls run with Python's bytecode cache allowed (``PYTHONDONTWRITEBYTECODE``
removed), as an installed package has it; a first call warms it and the SCgf cache.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audiomancer.patterns.store import PatternStore
from run import Result, sample_patterns

SCRIPT = Path(sys.executable).with_name("audiomancer")
"""The console script pip installs (as a user runs it), run by this interpreter."""
ENTRY = (str(SCRIPT),) if SCRIPT.is_file() else ("-m", "audiomancer")


def _environment(home: str) -> dict[str, str]:
    env = dict(os.environ, AUDIOMANCER_HOME=home)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _calls(command: list[str], rounds: int, env: dict[str, str]) -> tuple[float, float, float]:
    """Median wall and CPU seconds of fresh processes running ``command``, and peak RSS (MB)."""
    walls, cpus, peaks = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)  # the child and the children it waited for
        peaks.append(usage.ru_maxrss / 1024)
        if status != 0:
            raise RuntimeError(f"failed: {command}")
    return statistics.median(walls), statistics.median(cpus), max(peaks)


def render_benchmarks(quick: bool) -> list[Result]:
    """See the module documentation."""
    rounds = 3 if quick else 7
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        results = _run(rounds, folder)
    load = max(load, os.getloadavg()[0])
    first = results[0]
    note = f"{first.note}; load average up to {load:.1f} on {os.cpu_count()} cores"
    return [Result(first.name, first.items_per_second, first.unit, note), *results[1:]]


def _run(rounds: int, folder: str) -> list[Result]:
    env = _environment(folder)
    python = [sys.executable]
    subprocess.run([*python, "-c", "import audiomancer.cli"], check=True, env=env)
    bare, bare_cpu, _ = _calls([*python, "-c", "pass"], rounds, env)
    cli, cli_cpu, cli_peak = _calls([*python, "-c", "import audiomancer.cli"], rounds, env)
    results = [
        Result("python -c pass", bare * 1000, "ms", f"CPU {bare_cpu * 1000:.0f} ms"),
        Result("python -c 'import audiomancer.cli'", cli * 1000, "ms",
               f"CPU {cli_cpu * 1000:.0f} ms; peak RSS {cli_peak:.0f} MB"),
    ]  # fmt: skip
    store = PatternStore(Path(folder) / "patterns.sqlite3")
    ids = [store.put(pattern)["id"] for pattern in sample_patterns(3)]
    store.close()  # as a user's store is between commands: no connection of this process open
    for pattern, pattern_id in zip(sample_patterns(3), ids, strict=True):
        target = Path(folder) / f"{pattern.type}.wav"
        command = [*python, *ENTRY, "render", pattern_id, "-o", str(target)]
        subprocess.run(command, check=True, capture_output=True, env=env)  # warm the caches
        wall, cpu, peak = _calls(command, rounds, env)
        audio = pattern.length * pattern.seconds_per_tick()
        results.append(
            Result(f"render CLI, 4-bar {pattern.type} ({audio:.1f} s audio)", wall * 1000,
                   "ms", f"{audio / wall:.1f}x real time (CPU {cpu * 1000:.0f} ms: "
                   f"{audio / cpu:.1f}x); peak RSS {peak:.0f} MB")
        )  # fmt: skip
    return results


if __name__ == "__main__":
    from run import markdown

    print(markdown(render_benchmarks("--quick" in sys.argv)))
