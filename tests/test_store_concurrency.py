"""Both stores under real concurrent processes and kill -9 at random points."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from audiomancer.atomic import file_lock, sweep_stale
from audiomancer.generators import LineageTracker
from audiomancer.patterns.store import PatternStore

SRC = Path(__file__).resolve().parents[1] / "src"

WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from audiomancer.generators import LineageTracker
    from audiomancer.patterns.model import Note, Pattern
    from audiomancer.patterns.store import PatternStore
    store = PatternStore(Path(sys.argv[1]))
    tracker = LineageTracker(Path(sys.argv[2]))
    worker, count = sys.argv[3], int(sys.argv[4])
    for i in range(count):
        store.put(Pattern((Note((i % 16) * 120, 36),), "drums", style=f"w{worker}_{i}"))
        tracker.record_synth(f"w{worker}_{i}", f"w{worker}_{i}", ["tb303"], "mutation", [str(i)])
        print(i, flush=True)
    """
)


def start_worker(tmp_path: Path, worker: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp_path / "patterns.sqlite3"),
         str(tmp_path / "lineage.json"), str(worker), str(count)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )  # fmt: skip


def test_four_processes_writing_25_each_to_both_stores_keep_all_100(tmp_path: Path) -> None:
    store = PatternStore(tmp_path / "patterns.sqlite3")
    tracker = LineageTracker(tmp_path / "lineage.json")
    reads: list[tuple[int, int]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:  # reads go on throughout; none may fail
        try:
            while not stop.is_set():
                reads.append((len(store.list()), len(tracker.records())))
        except BaseException as error:  # reported below
            failures.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    workers = [start_worker(tmp_path, n, 25) for n in range(4)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
    stop.set()
    reader.join(60)
    assert not failures
    assert reads and all(a[0] <= b[0] and a[1] <= b[1] for a, b in itertools.pairwise(reads))
    styles = {record.style for record in store.list()}
    assert styles == {f"w{w}_{i}" for w in range(4) for i in range(25)}
    synths = {record.id for record in tracker.records()} - {"tb303"}
    assert synths == {f"w{w}_{i}" for w in range(4) for i in range(25)}


def test_a_lineage_read_completes_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    tracker = LineageTracker(tmp_path / "lineage.json")
    tracker.record_synth("a", "a", ["tb303"], "mutation", [])
    done = threading.Event()
    with file_lock(tracker.lock_path):
        thread = threading.Thread(target=lambda: (tracker.get_lineage("a"), done.set()))
        thread.start()
        thread.join(10)
        assert done.is_set()


def test_kill_9_at_random_points_leaves_both_stores_readable(tmp_path: Path) -> None:
    chooser = random.Random(14)
    written = 0
    for round_ in range(12):
        worker = start_worker(tmp_path, round_, 1000)
        assert worker.stdout is not None
        worker.stdout.readline()  # it has started writing
        time.sleep(chooser.uniform(0.0, 0.4))
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=30)
        store = PatternStore(tmp_path / "patterns.sqlite3")
        tracker = LineageTracker(tmp_path / "lineage.json")
        patterns, synths = store.list(), tracker.records()  # every record decodes
        store.close()
        assert len(patterns) >= written + 1
        # each kill may fall between a worker's two writes: at most one pattern more per round
        assert 0 <= len(patterns) - (len(synths) - 1) <= round_ + 1
        written = len(patterns)
    sweep_stale(tmp_path, "lineage.json", older_than=-1)
    sweep_stale(tmp_path, "patterns.sqlite3", older_than=-1)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    LineageTracker(tmp_path / "lineage.json").record_synth(
        "after", "after", ["tb303"], "mutation", []
    )
