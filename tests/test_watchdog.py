"""What engines start dies with the command, even when the command is killed with SIGKILL
(issue 14 §7): PDEATHSIG ends the engine itself; the watchdog ends the rest of its group (a
``sleep`` its code ran with ``unixCmd``, sclang's helpers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from audiomancer import processes
from conftest import need_engine


def _pids_running(marker: str) -> list[int]:
    """Processes (not zombies) whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in command and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def _gone(marker: str, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while _pids_running(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _kill_when_ready(code: str, home: Path, marker: str) -> None:
    """Run code in a child Python until it prints 'ready' and a process holding ``marker``
    runs, then SIGKILL it."""
    src = Path(processes.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(src), "AUDIOMANCER_HOME": str(home)}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "ready", line + (child.stderr.read() if child.stderr else "")
        deadline = time.monotonic() + 10
        while not _pids_running(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _pids_running(marker), "the program to outlive the command never started"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_what_an_engine_started_dies_when_the_command_is_killed(tmp_path: Path) -> None:
    marker = "41.2711"  # a sleep no one else runs
    _kill_when_ready(
        f"""
        import time
        from audiomancer import processes
        processes.start(["sh", "-c", "sleep {marker} & sleep {marker} & wait"])
        print("ready", flush=True)
        time.sleep(60)
        """,
        tmp_path,
        marker,
    )
    assert _gone(marker), _pids_running(marker)


def test_a_program_run_by_validated_code_dies_when_the_command_is_killed(
    tmp_path: Path,
) -> None:
    need_engine("sclang")
    marker = "43.1783"
    code = (
        f'SynthDef(\\\\runs, {{ |out=0| "sleep {marker}".unixCmd; '
        "Out.ar(out, SinOsc.ar(440) * 0.1) }).add;"
    )
    _kill_when_ready(
        f"""
        import time
        from audiomancer.supercollider import lang
        with lang.untrusted():
            result = lang.validate('{code}')
            assert result.ok, result
            print("ready", flush=True)
            time.sleep(60)
        """,
        tmp_path,
        marker,
    )
    assert _gone(marker), _pids_running(marker)


def test_the_watchdog_leaves_with_the_command_and_ended_engines_are_forgotten() -> None:
    src = Path(processes.__file__).resolve().parents[1]
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                from audiomancer import processes
                for _ in range(3):
                    processes.end(processes.start(["true"]))
                print(processes.watchdog_pid(), flush=True)
                """
            ),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(src)},
        timeout=30,
        check=True,
    )
    watchdog = int(result.stdout)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{watchdog}").exists() and time.monotonic() < deadline:
        state = Path(f"/proc/{watchdog}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            break
        time.sleep(0.05)
    else:
        assert not Path(f"/proc/{watchdog}").exists()
