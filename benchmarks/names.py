"""Cost of handing out a synth name (issue 14 §9), as a ratio to one lineage write.

    .venv/bin/python benchmarks/names.py [--quick]

On temporary lineage databases of 0 and 1000 records, each round times
``LineageTracker.reserve_name`` of a fresh name (what every mutate, breed and generate does
once per result) and, as the reference measured in the same round, ``rate_synth`` (one locked
read, edit and atomic, fsynced write of the whole database, as ``save`` does). The medians
are compared, so the ratio holds on a busy machine.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audiomancer.generators.lineage import LineageTracker
from run import Result

CODE = "SynthDef(\\bench, { |out = 0| Out.ar(out, SinOsc.ar(440, 0, 0.1)) }).add;\n"


def _tracker(folder: Path, records: int) -> LineageTracker:
    synths = {
        f"s{i}": {"name": f"s{i}", "parent_ids": [], "generation_method": "original",
                  "mutation_log": [], "user_rating": None, "user_notes": None,
                  "created_at": "2026-12-01T00:00:00+00:00"}
        for i in range(records)
    }  # fmt: skip
    path = folder / "lineage.json"
    path.write_text(json.dumps({"format": "audiomancer.lineage", "version": 1, "synths": synths}))
    return LineageTracker(path)


def name_benchmarks(quick: bool) -> list[Result]:
    """reserve_name and, as reference, rate_synth: medians in ms, and their ratio."""
    rounds = 10 if quick else 50
    results = []
    for records in (0, 1000):
        with tempfile.TemporaryDirectory() as folder:
            tracker = _tracker(Path(folder), records)
            tracker.rate_synth("tb303", 3)
            reserve, write = [], []
            for index in range(rounds):
                started = time.perf_counter()
                tracker.reserve_name(f"bench_m{index}", CODE)
                reserve.append(time.perf_counter() - started)
                started = time.perf_counter()
                tracker.rate_synth("tb303", 1 + index % 5)
                write.append(time.perf_counter() - started)
            ms, reference = statistics.median(reserve) * 1000, statistics.median(write) * 1000
            results += [
                Result(f"rate_synth, {records} records (reference)", reference, "ms median"),
                Result(f"reserve_name, {records} records", ms, "ms median",
                       f"{ms / reference:.2f}x the reference"),
            ]  # fmt: skip
    return results


if __name__ == "__main__":
    from run import markdown

    print(markdown(name_benchmarks("--quick" in sys.argv)))
