"""One running sclang process: starting it headless with the driver, reading its output, ending it.

sclang starts bare (no file argument, which would make it ignore stdin) with a headless
environment and reads one statement per line from stdin; its output is read line-buffered
(``stdbuf -oL``) by a thread feeding a queue. It runs in a process group of its own, in a
throwaway working folder with a private ``HOME``, under a memory limit.
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Final

from audiomancer import engines, processes
from audiomancer.errors import EngineError, EngineNotFoundError
from audiomancer.paths import scratch_dir
from audiomancer.supercollider.lang.driver import _DRIVER, _sc_string

STARTUP_TIMEOUT: Final = 60.0
"""Seconds sclang may take to start and load the driver (separate from each call's timeout)."""

_OUTPUT_TAIL: Final = 20
"""How many lines of sclang's output an error message quotes."""

MEMORY_LIMIT: Final = 640 * 2**20
"""Bytes of data (heap) an sclang may use: enough for its class library and Qt, while code that
allocates hundreds of megabytes (``Array.fill(5e7, 0)``) fails inside sclang with a build error."""

_EXIT_CHECK: Final = 0.2
"""Seconds between checks, while waiting for output, that sclang is still running."""


class _Deadline(Exception):
    """A call's or the start-up's time ran out (not an OSError, unlike TimeoutError)."""


class _GoneBeforeStart(Exception):
    """sclang exited, or stopped answering, before it began the request."""


class _Process:
    """One running sclang: the Popen, a reader thread feeding a queue, the working folder."""

    def __init__(self, executable: Path, startup_timeout: float, memory_limit: int | None) -> None:
        if not (executable.is_file() and os.access(executable, os.X_OK)):
            raise EngineNotFoundError(
                f"sclang was not found at {executable}; install it with: "
                f"{engines.ENGINES['sclang'].install_hint}"
            )
        base = scratch_dir() / "sclang"
        base.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="run-", dir=base))
        self.prefix = f"@@audiomancer-{secrets.token_hex(8)}@@"
        self.key = f"audiomancer_{secrets.token_hex(8)}"
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.tail: list[str] = []
        driver = self.workdir / "driver.scd"
        driver.write_text(
            _DRIVER.replace("@PREFIX@", self.prefix).replace("@KEY@", self.key), encoding="utf-8"
        )
        stdbuf = shutil.which("stdbuf")
        args = [stdbuf, "-oL", str(executable)] if stdbuf else [str(executable)]
        try:
            self.popen = processes.start(
                args,
                memory_limit=memory_limit,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=engines.sclang_environment(),
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
        except OSError as error:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise EngineError(f"could not start sclang ({executable}): {error}") from error
        assert self.popen.stdout is not None
        self.reader = threading.Thread(
            target=self._read, args=(self.popen.stdout,), name="sclang-reader", daemon=True
        )
        self.reader.start()
        try:
            self.send(f"thisProcess.interpreter.executeFile({_sc_string(str(driver))});")
            deadline = time.monotonic() + startup_timeout
            while True:
                line = self.next_line(deadline)
                if line is None:
                    self.kill()
                    raise EngineError(
                        f"sclang ({executable}) exited while starting (exit code "
                        f"{self.popen.poll()}); its last output:\n{self.output_tail()}"
                    )
                if self.prefix + " ready" in line:
                    break
        except OSError as error:  # it exited before reading the driver: collect its output
            with contextlib.suppress(_Deadline):
                while self.next_line(time.monotonic() + 5) is not None:
                    pass
            self.kill()
            raise EngineError(
                f"sclang ({executable}) exited while starting ({error}); its last output:\n"
                f"{self.output_tail()}"
            ) from error
        except _Deadline:
            self.kill()
            raise EngineError(
                f"sclang ({executable}) did not start within {startup_timeout:g} s (timeout); "
                f"it was killed. Its last output:\n{self.output_tail()}"
            ) from None
        except BaseException:
            self.kill()
            raise

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _read(self, stream: IO[str]) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                self.lines.put(line.rstrip("\n"))
        self.lines.put(None)
        # sclang may leave on its own (the code ran ``0.exit``) after it has answered, with no
        # call to notice: end what it started as soon as it is gone, not at the next call.
        if processes.wait_exit(self.popen, 5):
            processes.end(self.popen)

    def send(self, line: str) -> None:
        stdin = self.popen.stdin
        assert stdin is not None
        stdin.write(line + "\n")
        stdin.flush()

    def next_line(self, deadline: float) -> str | None:
        """The next output line (None at EOF); _Deadline past the deadline.

        A program the code started may hold sclang's output open after sclang has exited, so
        EOF would never come: once sclang is seen gone, its whole group is ended, which closes
        the pipe, and what it wrote is still read to the end.
        """
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Deadline
            try:
                line = self.lines.get(timeout=min(remaining, _EXIT_CHECK))
                break
            except queue.Empty:
                if not self.alive():
                    processes.end(self.popen)
        if line is not None:
            self.tail.append(line)
            del self.tail[:-_OUTPUT_TAIL]
        return line

    def drain(self) -> bool:
        """Drop output printed between requests; False if sclang has reached EOF."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return self.alive()
            if line is None:
                self.lines.put(None)
                return False

    def output_tail(self) -> str:
        text = "\n".join(line for line in self.tail if self.prefix not in line)
        return text or "(nothing)"

    def exit_code(self) -> int | None:
        """The exit status once sclang has ended (None if it does not within 5 s).

        Only asked of an sclang that is on its way out: its group is ended and it is reaped.
        """
        if not processes.wait_exit(self.popen, 5):
            return None
        return processes.end(self.popen)

    def alive(self) -> bool:
        return not processes.wait_exit(self.popen, 0)

    def kill(self) -> None:
        """Kill this sclang by its PID and remove its working folder.

        sclang runs in a process group of its own (:mod:`audiomancer.processes`), which is ended
        as a whole, also when sclang itself has already exited: that ends programs the code
        started with ``unixCmd`` and sclang's helper processes.
        """
        processes.end(self.popen)
        self.reader.join(timeout=2)
        streams = [self.popen.stdin]
        if not self.reader.is_alive():  # never close a pipe under a thread still reading it
            streams.append(self.popen.stdout)
        for stream in streams:
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def quit(self) -> None:
        """End sclang gracefully (EOF on stdin), killing it if it lingers."""
        with contextlib.suppress(OSError, ValueError):
            if self.popen.stdin is not None:
                self.popen.stdin.close()
        processes.wait_exit(self.popen, 2)
        self.kill()
