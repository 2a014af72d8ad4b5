"""Magenta bundles in numpy (issue 15): exactness, load time, generation time, RSS, NLL.

    .venv/bin/python benchmarks/magenta.py [--quick]

- Exactness: every reference of every bundle found (the two small fixtures in tests/data, and
  the full-size ones in ../shared/magenta when that folder is there): the largest absolute
  difference from TensorFlow's softmax, and whether encoder inputs and labels are identical.
- Load time of each bundle; a whole 4-bar generate call (stored) with it, in process.
- The CLI side by side: wall time and peak RSS of ``audiomancer generate drums --model``
  against ``python -c "import numpy"`` measured in the same run.
- Held-out NLL per 16th step on Groove MIDI test-split beats (8-bar pieces, 4/4), of the drum
  bundles and of our shipped drums_rnn on the same steps.
"""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from audiomancer.generators.patterns import PatternGenerator
from audiomancer.models import registry
from audiomancer.models.encoding import STEPS_PER_BAR, encode_drums
from audiomancer.models.magenta import MagentaBundle
from audiomancer.patterns.midi import read_midi
from audiomancer.patterns.store import PatternStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "magenta"
SHARED = ROOT.parent / "shared" / "magenta"
GROOVE = ROOT.parent / "shared" / "data" / "groove-midi"
NAMES = ("drum_kit_small", "basic_rnn_small", "drum_kit", "basic_rnn", "lookback_rnn",
         "attention_rnn")  # fmt: skip


def bundle_files() -> dict[str, Path]:
    found = {}
    for name in NAMES:
        for folder in (FIXTURES, SHARED):
            if (folder / f"{name}.mag").is_file():
                found[name] = folder / f"{name}.mag"
                break
    return found


def dense(sparse: list[list[list[float]]], size: int) -> np.ndarray:
    out = np.zeros((len(sparse), size), dtype=np.float32)
    for t, row in enumerate(sparse):
        for index, value in row:
            out[t, int(index)] = value
    return out


def exactness(name: str, path: Path) -> str:
    ref = json.loads(path.with_name(f"{name}.reference.json").read_text())
    try:
        started = time.perf_counter()
        bundle = MagentaBundle.load(path)
        load_ms = (time.perf_counter() - started) * 1000
    except Exception as error:
        return f"| {name} | {ref['generator_id']} | not loaded: {error} | | | |"
    worst = 0.0
    encoders = True
    for sequence in ref["sequences"]:
        events = bundle.events(sequence["events"])
        encoders &= bool(
            np.array_equal(
                bundle.encoder.inputs(events), dense(sequence["inputs_sparse"], ref["input_size"])
            )
            and bundle.encoder.labels(events) == sequence["labels"]
        )
        worst = max(worst, float(np.abs(bundle.next_event_probabilities(sequence["events"])
                                        - np.array(sequence["softmax"])).max()))  # fmt: skip
    size = path.stat().st_size / 2**20
    return (f"| {name} | {ref['generator_id']} | {size:.1f} MiB | {load_ms:.0f} ms | "
            f"{'identical' if encoders else 'DIFFER'} | {worst:.1e} |")  # fmt: skip


def generation(name: str, path: Path, rounds: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        generator = PatternGenerator(PatternStore(Path(folder) / "g.sqlite3"))
        generator.load_model(str(path))
        drums = generator.bundle("drums") is not None
        call = (lambda: generator.generate_drums("techno", 4)) if drums else (
            lambda: generator.generate_melody("E", "minor", 4))  # fmt: skip
        call()
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
    what = "generate_drums(techno, 4 bars)" if drums else "generate_melody(E minor, 4 bars)"
    return f"| {name} | {what} | {statistics.median(timings) * 1000:.0f} ms |"


# VmHWM (peak RSS of this process image): ru_maxrss would carry the parent's peak over exec.
RSS = (
    "import atexit, sys; atexit.register(lambda: print('RSS', [line.split()[1] for line in "
    "open('/proc/self/status') if line.startswith('VmHWM')][0], file=sys.stderr)); "
)


def cli(args: list[str] | None, home: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one CLI call, or of importing numpy (args None)."""
    run = f"sys.argv = {['audiomancer', *(args or [])]!r}; from audiomancer.cli import app; app()"
    code = RSS + ("import numpy" if args is None else run)
    started = time.perf_counter()
    env = {"AUDIOMANCER_HOME": home, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(done.stderr)
    rss = int(done.stderr.rsplit("RSS", 1)[1].split()[0]) / 1024
    return wall, rss


def held_out_beats(limit: int) -> list[list[int]]:
    pieces = []
    with open(GROOVE / "info.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if (
                row["split"] != "test"
                or row["beat_type"] != "beat"
                or row["time_signature"] != "4-4"
            ):
                continue
            bars = min(64, int(float(row["duration"]) * float(row["bpm"]) / 240))  # whole bars
            if bars < 8:
                continue
            states = encode_drums(read_midi(GROOVE / row["midi_filename"], "drums", bars=bars))
            for start in range(0, len(states) - 8 * STEPS_PER_BAR + 1, 8 * STEPS_PER_BAR):
                pieces.append(states[start : start + 8 * STEPS_PER_BAR])
            if len(pieces) >= limit:
                return pieces[:limit]
    return pieces


def nll_rows(files: dict[str, Path], limit: int) -> list[str]:
    pieces = held_out_beats(limit)
    ours = registry.load_model("drums_rnn").model
    totals: dict[str, float] = {"drums_rnn (ours, shipped)": 0.0}
    steps = 0
    bundles = {n: MagentaBundle.load(p) for n, p in files.items() if n.startswith("drum_kit")}
    for n in bundles:
        totals[n] = 0.0
    for piece in pieces:
        positions = [t % STEPS_PER_BAR for t in range(len(piece))]
        totals["drums_rnn (ours, shipped)"] -= float(
            ours.log_probabilities(piece, positions)[1:].sum()
        )
        events = [[p for p, k in zip((36, 38, 42, 46, 45, 48, 50, 49, 51), range(9), strict=True)
                   if s >> k & 1] for s in piece]  # fmt: skip
        for n, bundle in bundles.items():
            probabilities = bundle.next_event_probabilities(events)
            totals[n] -= float(np.log(probabilities[np.arange(len(piece) - 1), piece[1:]]).sum())
        steps += len(piece) - 1
    return [
        f"| {n} | {len(pieces)} | {steps} | {total / steps:.3f} |" for n, total in totals.items()
    ]


def magenta_benchmarks(quick: bool) -> list[Any]:
    """Rows for benchmarks/run.py: the fixture bundles' load time, generation and exactness."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import Result

    rows = []
    for name, path in bundle_files().items():
        if name not in ("drum_kit_small", "drum_kit", "basic_rnn_small", "basic_rnn"):
            continue
        timings = []
        for _ in range(3 if quick else 10):
            started = time.perf_counter()
            MagentaBundle.load(path)
            timings.append(time.perf_counter() - started)
        rows.append(Result(f"load Magenta {name}.mag", statistics.median(timings) * 1000, "ms"))
        cell = generation(name, path, 3 if quick else 10).split("|")
        rows.append(Result(f"{cell[2].strip()} with {name}.mag", float(cell[3].split()[0]),
                           "ms median", "stored; numpy, no TensorFlow"))  # fmt: skip
    return rows


def main() -> None:
    quick = "--quick" in sys.argv
    files = bundle_files()
    lines = [
        "| bundle | generator | size | load | encoder inputs and labels | max abs diff from TF |",
        "|---|---|---:|---:|---|---:|",
    ]
    lines += [exactness(n, p) for n, p in files.items()]
    lines += ["", "| bundle | call (stored, in process) | median |", "|---|---|---:|"]
    lines += [generation(n, p, 3 if quick else 10) for n, p in files.items()]
    with tempfile.TemporaryDirectory() as home:
        numpy_wall, numpy_rss = min((cli(None, home) for _ in range(3)), key=lambda r: r[0])
        lines += ["", "| command | wall | peak RSS |", "|---|---:|---:|"]
        lines += [f"| python -c 'import numpy' | {numpy_wall:.2f} s | {numpy_rss:.0f} MiB |"]
        for name in ("drum_kit_small", "drum_kit"):
            if name in files:
                runs = [cli(["generate", "drums", "--bars", "4", "--model", str(files[name])], home)
                        for _ in range(3)]  # fmt: skip
                wall, rss = min(runs, key=lambda r: r[0])
                lines.append(f"| audiomancer generate drums --model {name}.mag | {wall:.2f} s "
                             f"({wall / numpy_wall:.1f}x numpy) | {rss:.0f} MiB |")  # fmt: skip
    if (GROOVE / "info.csv").is_file():
        lines += [
            "",
            "| model | pieces | steps | held-out NLL (nats/step) |",
            "|---|---:|---:|---:|",
        ]
        lines += nll_rows(files, 12 if quick else 60)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
