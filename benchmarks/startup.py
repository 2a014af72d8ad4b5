"""Start-up of the ``audiomancer`` command (issue 10 §2), as a ratio to ``import numpy``.

    .venv/bin/python benchmarks/startup.py [--quick]

Every round runs, one after the other, ``python -c "import numpy"`` (the reference),
``audiomancer --help`` and ``audiomancer generate drums --style techno --bars 4`` (on a
temporary ``AUDIOMANCER_HOME``, so the real store is never touched), each as a fresh process
of this interpreter. The medians of the rounds are compared with the reference's median, so the
ratios hold on a busy machine: wall time, and the CPU time (user + system) the process used,
which a loaded machine disturbs less (numpy's reference spends more CPU than wall time: its
BLAS starts threads). Byte code is cached, as it is for an installed package.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Result

REFERENCE = ("-c", "import numpy")
SCRIPT = Path(sys.executable).with_name("audiomancer")
"""The console script pip installs, run by this interpreter; ``-m audiomancer`` without one."""
ENTRY = (str(SCRIPT),) if SCRIPT.is_file() else ("-m", "audiomancer")
COMMANDS: dict[str, tuple[str, ...]] = {
    "audiomancer --help": (*ENTRY, "--help"),
    "audiomancer generate drums --style techno --bars 4": (
        *ENTRY,
        "generate",
        "drums",
        "--style",
        "techno",
        "--bars",
        "4",
    ),
}
GOALS = {"audiomancer --help": 1.5, "audiomancer generate drums --style techno --bars 4": 2.5}


def run_once(arguments: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh ``python ARGUMENTS`` process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed: {errors.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(rounds: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of the reference and each command over interleaved rounds."""
    timings: dict[str, list[tuple[float, float]]] = {"reference": []}
    timings.update({name: [] for name in COMMANDS})
    with tempfile.TemporaryDirectory() as home:
        # Byte code cached as an installed package has it (in a folder of its own here, so
        # nothing is written into the tree), even where PYTHONDONTWRITEBYTECODE is set.
        env = dict(os.environ, AUDIOMANCER_HOME=home, PYTHONPYCACHEPREFIX=f"{home}/pycache")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for arguments in (REFERENCE, *COMMANDS.values()):  # warm the disk cache and the store
            run_once(arguments, env)
        for _ in range(rounds):
            timings["reference"].append(run_once(REFERENCE, env))
            for name, arguments in COMMANDS.items():
                timings[name].append(run_once(arguments, env))
    return {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in timings.items()
    }


def startup_benchmarks(quick: bool) -> list[Result]:
    """Rows for benchmarks/README.md: the reference, then each command with its ratios."""
    load = os.getloadavg()[0]
    medians = measure(5 if quick else 15)
    load = max(load, os.getloadavg()[0])
    wall0, cpu0 = medians["reference"]
    results = [
        Result(
            'python -c "import numpy" (reference)',
            wall0 * 1000,
            "ms median wall",
            f"CPU {cpu0 * 1000:.0f} ms; load average up to {load:.1f} on {os.cpu_count()} cores",
        )
    ]
    for name in COMMANDS:
        wall, cpu = medians[name]
        results.append(
            Result(
                name,
                wall * 1000,
                "ms median wall",
                f"{wall / wall0:.2f}x the reference (goal ≤ {GOALS[name]}x); "
                f"CPU {cpu * 1000:.0f} ms, {cpu / cpu0:.2f}x",
            )
        )
    return results


if __name__ == "__main__":
    from run import markdown

    print(markdown(startup_benchmarks("--quick" in sys.argv)))
