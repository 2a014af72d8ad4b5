"""Engine processes that never outlive the command that started them.

Every engine (sclang, scsynth, ...) is started with :func:`start` (or :func:`run` for a process
that is waited for), never with :mod:`subprocess` directly:

- It runs in a session, and so a process group, of its own: a Ctrl-C in the terminal is for
  Python, and :func:`end` can end the engine *and everything it started* (programs the code ran
  with ``unixCmd``, sclang's helper processes) with one ``killpg``.
- It dies with its parent: the kernel sends it SIGKILL when the Python process dies, even by
  SIGKILL (Linux ``PR_SET_PDEATHSIG``). The signal follows the *thread* that forked, so engines are
  forked from the main thread or from one long-lived helper thread, never from a worker thread
  that may end first.
- So does everything it started: PDEATHSIG reaches only the engine, not the programs *it*
  started (``"sleep 40".unixCmd``, sclang's QtWebEngine helpers), so one small **watchdog**
  process per Python process (started with the first engine, in a session of its own) holds
  the read end of a pipe from us, learns each engine's group as it starts and ends, and when
  the pipe closes (we exited or were killed, even by SIGKILL) kills every group still listed.
- Optionally its memory is capped (``memory_limit``: ``RLIMIT_DATA``, the heap and private
  mappings, in bytes): an allocation past it fails inside the engine instead of eating the machine.

:func:`end` always ends the whole group, also when the leader has already exited: the group's
other members (a ``sleep 40`` the code started) would otherwise keep running. The leader's PID,
which is also the group's id, stays reserved while the leader is an unreaped zombie, so use
:func:`wait_exit` rather than ``Popen.wait`` to wait for an engine to leave on its own, then
:func:`end`.

Typical use::

    process = processes.start([scsynth, ...], stdout=subprocess.PIPE)
    try:
        ...
    finally:
        processes.end(process)

or, for a command that is run to completion (like :func:`subprocess.run`)::

    finished = processes.run(args, timeout=60, capture_output=True, text=True)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

_PR_SET_PDEATHSIG: Final = 1
_RESERVED: Final = ("start_new_session", "process_group", "preexec_fn")

_WATCHDOG: Final = """
import os, signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
os.chdir("/")
groups, pending = set(), b""
while True:
    try:
        chunk = os.read(0, 4096)
    except InterruptedError:
        continue
    except OSError:
        break
    if not chunk:
        break
    *lines, pending = (pending + chunk).split(b"\\n")
    for line in lines:
        if line[:1] == b"+":
            groups.add(int(line[1:]))
        elif line[:1] == b"-":
            groups.discard(int(line[1:]))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""
"""The watchdog: reads ``+PGID`` / ``-PGID`` lines; at end of input kills the groups left."""

_watchdog: subprocess.Popen[bytes] | None = None
_watchdog_lock = threading.Lock()
_prctl: Callable[..., int] | None = None
_prctl_loaded = False
_spawner: _Spawner | None = None
_spawner_lock = threading.Lock()


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once in the parent (the child only calls it)."""
    global _prctl, _prctl_loaded
    if not _prctl_loaded:
        _prctl_loaded = True
        with contextlib.suppress(OSError, AttributeError, TypeError):
            # The process's own symbols hold libc's: no ctypes.util.find_library, which runs
            # `ldconfig -p` (2-10 ms on every command that starts an engine).
            _prctl = ctypes.CDLL(None, use_errno=True).prctl
    return _prctl


def _preexec(parent: int, memory_limit: int | None) -> Callable[[], None]:
    prctl = _load_prctl()

    def setup() -> None:  # runs in the child between fork and exec: keep it to system calls
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before PDEATHSIG was armed
            os._exit(1)
        if memory_limit is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_DATA, (memory_limit, memory_limit))

    return setup


class _Spawner:
    """One long-lived daemon thread that forks engines for threads other than the main one."""

    def __init__(self) -> None:
        self.requests: queue.Queue[tuple[Callable[[], Any], queue.Queue[tuple[bool, Any]]]] = (
            queue.Queue()
        )
        self.thread = threading.Thread(target=self._serve, name="engine-spawner", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            work, answer = self.requests.get()
            try:
                answer.put((True, work()))
            except BaseException as error:  # handed to the caller, raised there
                answer.put((False, error))

    def call(self, work: Callable[[], Any]) -> Any:
        answer: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
        self.requests.put((work, answer))
        ok, value = answer.get()
        if not ok:
            raise value
        return value


def _on_lasting_thread(work: Callable[[], Any]) -> Any:
    global _spawner
    if threading.current_thread() is threading.main_thread():
        return work()
    with _spawner_lock:
        if _spawner is None or not _spawner.thread.is_alive():
            _spawner = _Spawner()
        spawner = _spawner
    return spawner.call(work)


def _tell_watchdog(line: str) -> None:
    """Send the watchdog one line, starting it first if need be; best effort (an engine still
    dies with us by PDEATHSIG if the watchdog cannot run)."""
    global _watchdog
    with _watchdog_lock:
        if _watchdog is None or _watchdog.poll() is not None:
            if line.startswith("-"):
                return  # nothing listed: nothing to forget
            try:
                _watchdog = subprocess.Popen(
                    [sys.executable, "-S", "-E", "-c", _WATCHDOG],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,  # a Ctrl-C for the command does not reach it
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                    cwd="/",
                )
            except OSError:
                _watchdog = None
                return
        assert _watchdog.stdin is not None
        with contextlib.suppress(OSError, ValueError):
            _watchdog.stdin.write(f"{line}\n".encode())
            _watchdog.stdin.flush()


def watchdog_pid() -> int | None:
    """The watchdog process's id, None before the first engine started (for tests)."""
    return _watchdog.pid if _watchdog is not None and _watchdog.poll() is None else None


def start(
    args: Sequence[str | os.PathLike[str]],
    *,
    memory_limit: int | None = None,
    **popen_kwargs: Any,
) -> subprocess.Popen[Any]:
    """Start an engine in its own process group, set to die with this process.

    ``popen_kwargs`` go to :class:`subprocess.Popen` (``stdin``, ``stdout``, ``cwd``, ``env``,
    ``text`` ...), except ``start_new_session``, ``process_group`` and ``preexec_fn``, which this
    function sets (ValueError if given). ``memory_limit`` caps the engine's data segment in bytes.
    OSError when the program cannot be started, as with Popen. End it with :func:`end`.
    """
    given = [name for name in _RESERVED if name in popen_kwargs]
    if given:
        raise ValueError(f"processes.start sets {', '.join(given)} itself")
    if memory_limit is not None and (isinstance(memory_limit, bool) or memory_limit <= 0):
        raise ValueError(f"invalid memory_limit {memory_limit!r}: expected a positive byte count")
    setup = _preexec(os.getpid(), memory_limit)

    def spawn() -> subprocess.Popen[Any]:
        return subprocess.Popen(args, start_new_session=True, preexec_fn=setup, **popen_kwargs)

    popen: subprocess.Popen[Any] = _on_lasting_thread(spawn)
    try:
        _tell_watchdog(f"+{popen.pid}")  # its group id is its PID (own session)
    except BaseException:  # e.g. SIGTERM as KeyboardInterrupt while the watchdog starts
        end(popen)
        raise
    return popen


def wait_exit(process: subprocess.Popen[Any], timeout: float) -> bool:
    """Wait up to timeout seconds for the engine to exit on its own; True once it has.

    Unlike ``Popen.wait`` this does not reap it, so its group id stays reserved for :func:`end`.
    An engine whose main thread has ended counts as exited (end it to stop the rest).
    """
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        if process.returncode is not None:
            return True
        try:
            found = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # reaped elsewhere
            return True
        if found is not None or _main_thread_ended(process.pid):
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.05)


def _main_thread_ended(pid: int) -> bool:
    """True when the process's main thread has exited while other threads linger (state Z).

    Such a process is on its way out (sclang after ``0.exit`` can sit like this while its helper
    threads wind down, and its helpers keep its output open), so it counts as exited.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat.rpartition(b")")[2].split()[:1] == [b"Z"]


def end(process: subprocess.Popen[Any]) -> int | None:
    """End the engine's whole process group with SIGKILL and reap it; its exit status.

    Safe to call more than once and on an engine that has already exited: the rest of its group
    (anything it started) is ended all the same. None only if it could not be reaped within 5 s.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # its group id is its PID (own session)
    _tell_watchdog(f"-{process.pid}")  # before the PID is reaped and can be reused
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            process.kill()  # in case it left its group
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    return process.returncode


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    timeout: float | None = None,
    input: str | bytes | None = None,
    capture_output: bool = False,
    memory_limit: int | None = None,
    **popen_kwargs: Any,
) -> subprocess.CompletedProcess[Any]:
    """Run an engine to completion, like :func:`subprocess.run` with ``check=False``.

    Started with :func:`start`; once the engine exits, fails or runs past ``timeout`` (then
    :class:`subprocess.TimeoutExpired` is raised, as subprocess.run does), its whole process group
    is ended, so nothing it started outlives the call. KeyboardInterrupt and other exceptions end
    it too.
    """
    if capture_output:
        popen_kwargs["stdout"] = popen_kwargs["stderr"] = subprocess.PIPE
    if input is not None:
        popen_kwargs["stdin"] = subprocess.PIPE
    process = start(args, memory_limit=memory_limit, **popen_kwargs)
    try:
        stdout, stderr = process.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        end(process)
        raise subprocess.TimeoutExpired(
            expired.cmd, expired.timeout, expired.output, expired.stderr
        ) from None
    finally:
        end(process)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
