"""Engine processes never outlive the command: own process group, die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from audiomancer import processes


def gone(pid: int, within: float = 10.0) -> bool:
    """True once pid no longer runs (absent, or a zombie nobody has reaped yet)."""
    deadline = time.monotonic() + within
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def run_python(code: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    src = Path(processes.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def test_an_engine_gets_a_process_group_of_its_own() -> None:
    process = processes.start(["sleep", "30"])
    try:
        assert os.getpgid(process.pid) == process.pid != os.getpgid(0)
    finally:
        assert processes.end(process) == -signal.SIGKILL
    assert gone(process.pid)
    assert processes.end(process) == -signal.SIGKILL  # twice is fine


def test_end_ends_the_group_when_the_leader_has_already_exited() -> None:
    process = processes.start(
        ["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    child = int(process.stdout.readline())
    assert processes.wait_exit(process, 10)
    assert not gone(child, within=0.2)  # the leader left, its child still runs
    assert processes.end(process) == 0
    assert gone(child)


def test_end_ends_the_group_after_the_leader_was_reaped() -> None:
    process = processes.start(
        ["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    child = int(process.stdout.readline())
    assert process.wait(10) == 0
    processes.end(process)
    assert gone(child)


def test_wait_exit_does_not_reap() -> None:
    process = processes.start(["sh", "-c", "exit 3"])
    assert processes.wait_exit(process, 10)
    assert process.returncode is None
    assert Path(f"/proc/{process.pid}").exists()  # a zombie holding the group id
    assert processes.end(process) == 3
    long = processes.start(["sleep", "30"])
    assert not processes.wait_exit(long, 0.1)
    processes.end(long)


def test_run_is_like_subprocess_run() -> None:
    finished = processes.run(
        ["sh", "-c", "cat; echo err >&2; exit 4"], input="in", capture_output=True, text=True
    )
    assert (finished.returncode, finished.stdout, finished.stderr) == (4, "in", "err\n")


def test_run_ends_the_group_on_timeout_and_on_exit() -> None:
    marker = f"audiomancer-test-{os.getpid()}"
    with pytest.raises(subprocess.TimeoutExpired):
        processes.run(["sh", "-c", f"sleep 60; echo {marker}"], timeout=0.5)
    finished = processes.run(
        ["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True
    )
    assert gone(int(finished.stdout))


def test_reserved_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="start_new_session"):
        processes.start(["true"], start_new_session=False)
    with pytest.raises(ValueError, match="memory_limit"):
        processes.start(["true"], memory_limit=0)
    with pytest.raises(FileNotFoundError):
        processes.start(["/nonexistent/audiomancer-engine"])


def test_the_memory_limit_stops_a_big_allocation() -> None:
    grab = [sys.executable, "-c", "b = bytearray(400 * 2**20); print('allocated')"]
    capped = processes.run(grab, memory_limit=200 * 2**20, capture_output=True, text=True)
    assert capped.returncode != 0
    assert "MemoryError" in capped.stderr
    free = processes.run(grab, capture_output=True, text=True)
    assert free.stdout == "allocated\n"


def test_an_engine_dies_when_its_parent_is_killed() -> None:
    result = run_python(
        """
        import os, signal
        from audiomancer import processes
        p = processes.start(["sleep", "60"])
        print(p.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert result.returncode == -signal.SIGKILL
    assert gone(int(result.stdout))


def test_an_engine_started_from_a_thread_lives_on_after_the_thread() -> None:
    started: list[subprocess.Popen[bytes]] = []
    thread = threading.Thread(target=lambda: started.append(processes.start(["sleep", "30"])))
    thread.start()
    thread.join()
    try:
        # PDEATHSIG follows the forking thread: had the finished thread forked it, it would be dead.
        assert not gone(started[0].pid, within=0.5)
    finally:
        processes.end(started[0])


def test_errors_from_the_spawner_thread_reach_the_caller() -> None:
    failures: list[BaseException] = []

    def work() -> None:
        try:
            processes.start(["/nonexistent/audiomancer-engine"])
        except BaseException as error:  # checked below
            failures.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert len(failures) == 1 and isinstance(failures[0], FileNotFoundError)


def test_an_interrupt_while_the_watchdog_is_told_ends_the_new_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SIGTERM arrives as KeyboardInterrupt (cli.app); landing between the fork and the caller's
    # try block, it must not leave an engine that nobody will end.
    started: list[int] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        popen: subprocess.Popen[bytes] = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        started.append(popen.pid)
        return popen

    def interrupted(line: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    monkeypatch.setattr(processes, "_tell_watchdog", interrupted)
    with pytest.raises(KeyboardInterrupt):
        processes.run(["sleep", "30"])
    assert len(started) == 1
    assert gone(started[0], within=5)
