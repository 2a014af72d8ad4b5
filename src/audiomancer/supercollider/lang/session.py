"""The :class:`Sclang` service: requests over one sclang process, restarted after a failure."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from audiomancer import engines
from audiomancer.errors import EngineError, SynthDefError
from audiomancer.supercollider.lang.answers import (
    PbindEvent,
    ValidationResult,
    _Answer,
    _failure,
    _parse_events,
    _synthdef_name,
)
from audiomancer.supercollider.lang.driver import _sc_string
from audiomancer.supercollider.lang.process import (
    _OUTPUT_TAIL,
    MEMORY_LIMIT,
    STARTUP_TIMEOUT,
    _Deadline,
    _GoneBeforeStart,
    _Process,
)


class Sclang:
    """One sclang process, started lazily on the first call and restarted after a failure.

    Safe to share between threads (calls take turns). ``executable`` defaults to
    ``engines.find("sclang")`` at start time, which raises EngineNotFoundError naming the Debian
    package when sclang is missing. Use :func:`get_sclang` for the process-wide instance.
    """

    def __init__(
        self,
        executable: str | Path | None = None,
        *,
        startup_timeout: float = STARTUP_TIMEOUT,
        memory_limit: int | None = MEMORY_LIMIT,
    ) -> None:
        self.executable = Path(executable) if executable is not None else None
        self.startup_timeout = startup_timeout
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self._process: _Process | None = None
        self._requests = 0
        self.starts = 0
        """How many sclang processes this instance has started (1 + restarts)."""

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """PID of the running sclang, None when none is running."""
        process = self._process
        return process.pid if process is not None and process.alive() else None

    def start(self) -> None:
        """Start sclang now rather than on the first call (no-op when running)."""
        with self._lock:
            self._ensure_started()

    def close(self) -> None:
        """Stop sclang; the next call starts a new one."""
        with self._lock:
            if self._process is not None:
                self._process.quit()
                self._process = None

    def __enter__(self) -> Sclang:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_started(self) -> _Process:
        process = self._process
        if process is not None and process.alive():
            return process
        if process is not None:  # died since the last call
            process.kill()
            self._process = None
        executable = self.executable or engines.find("sclang")
        self._process = _Process(executable, self.startup_timeout, self.memory_limit)
        self.starts += 1
        return self._process

    # -- the request protocol ----------------------------------------------------------------

    def _request(self, op: str, code: str, timeout: float, limit: int = 0) -> _Answer:
        if not isinstance(code, str):
            raise TypeError(f"SuperCollider code must be a str, not {type(code).__name__}")
        if not timeout > 0:
            raise ValueError(f"invalid timeout {timeout!r}: expected a positive number of seconds")
        with self._lock:
            for attempt in (1, 2):
                process = self._ensure_started()
                if not process.drain():  # died since the last call (the code ran 0.exit?)
                    self._discard(process)
                    process = self._ensure_started()
                self._requests += 1
                number = self._requests
                code_path = process.workdir / f"req-{number}.scd"
                out_path = process.workdir / f"res-{number}.txt"
                code_path.write_bytes(code.encode("utf-8", "surrogateescape"))
                try:
                    return self._exchange(process, number, op, code_path, out_path, timeout, limit)
                except _GoneBeforeStart as gone:
                    # It was already on its way out (e.g. the previous code called 0.exit) and
                    # never saw this request: safe to send it once more to a fresh sclang.
                    self._discard(process)
                    if attempt == 2:
                        raise EngineError(str(gone)) from None
                finally:
                    for path in process.workdir.glob(f"re[qs]-{number}.*"):
                        path.unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def _discard(self, process: _Process) -> None:
        process.kill()
        if self._process is process:
            self._process = None

    def _exchange(
        self,
        process: _Process,
        number: int,
        op: str,
        code_path: Path,
        out_path: Path,
        timeout: float,
        limit: int,
    ) -> _Answer:
        begin, end = f"{process.prefix}{number} begin", f"{process.prefix}{number} end"
        noise: list[str] = []
        started = False
        deadline = time.monotonic() + timeout
        try:
            process.send(
                f"~{process.key}.value({number}, \\{op}, {_sc_string(str(code_path))}, "
                f"{_sc_string(str(out_path))}, {limit});"
            )
            while True:
                line = process.next_line(deadline)
                if line is None:
                    message = (
                        f"sclang (pid {process.pid}) exited during the call (exit code "
                        f"{process.exit_code()}); it will be restarted on the next call. "
                        f"Its last output:\n{process.output_tail()}"
                    )
                    if not started:
                        raise _GoneBeforeStart(message)
                    self._discard(process)
                    raise EngineError(message)
                if end in line:
                    head = line[: line.index(end)]
                    if head and started:
                        noise.append(head)
                    break
                if begin in line:
                    started = True
                elif started:
                    noise.append(line)
        except _Deadline:
            pid = process.pid
            self._discard(process)
            message = (
                f"sclang did not answer within {timeout:g} s (timeout): the code may loop "
                f"forever; the sclang process (pid {pid}) was killed and a fresh one starts on "
                "the next call"
            )
            if not started:
                # It never began the request: stuck on its way out (code before called 0.exit
                # and its shutdown is slow on a busy machine), so the code did not run and may
                # be sent once more to a fresh sclang.
                raise _GoneBeforeStart(message) from None
            raise EngineError(message) from None
        except OSError as error:  # BrokenPipeError: it died before reading the request
            if not started:
                raise _GoneBeforeStart(f"sclang closed its input ({error})") from error
            self._discard(process)
            raise EngineError(
                f"lost the connection to sclang ({error}); it will be restarted on the next "
                f"call. Its last output:\n{process.output_tail()}"
            ) from error
        try:
            status, _, text = out_path.read_text(encoding="utf-8", errors="replace").partition("\n")
        except FileNotFoundError:
            raise EngineError(
                "sclang's driver failed and gave no answer; its output:\n"
                + ("\n".join(noise[-_OUTPUT_TAIL:]) or "(nothing)")
            ) from None
        defs: list[bytes] = []
        if status == "ok" and op in ("synthdef", "synthdefs"):
            defs = [
                Path(f"{out_path}.{i}.scgf").read_bytes() for i in range(int(text.strip() or 0))
            ]
        return _Answer(status, text, noise, defs)

    # -- public calls --------------------------------------------------------------------------

    def _check(self, op: str, code: str, timeout: float, limit: int = 0) -> _Answer:
        answer = self._request(op, code, timeout, limit)
        if answer.status != "ok":
            result = _failure(answer, code)
            where = f" at line {result.line}" if result.line is not None else ""
            raise SynthDefError(f"SuperCollider {result.stage} error{where}: {result.message}")
        return answer

    def validate(self, code: str, timeout: float = 10.0) -> ValidationResult:
        """Compile and evaluate code in sclang; ok when both succeed.

        Any SynthDef the code builds is also turned into bytes, as compile_synthdef would.
        This executes the code (see the module documentation).
        """
        answer = self._request("validate", code, timeout)
        if answer.status == "ok":
            return ValidationResult(True, "ok", "")
        return _failure(answer, code)

    def evaluate(self, code: str, timeout: float = 10.0) -> str:
        """The ``asCompileString`` of what the code evaluates to; SynthDefError if it fails."""
        return self._check("evaluate", code, timeout).text

    def compile_synthdef(self, code: str, timeout: float = 10.0) -> bytes:
        """SCgf bytes (a complete ``.scsyndef`` file) of the SynthDef the code evaluates to.

        The code may end in ``.add``, ``.store`` or ``.writeDefFile`` and may be wrapped in
        parentheses; when it evaluates to something else but creates exactly one SynthDef, that
        one is taken. SynthDefError with sclang's message otherwise.
        """
        return self._check("synthdef", code, timeout).defs[0]

    def compile_synthdefs(self, code: str, timeout: float = 10.0) -> dict[str, bytes]:
        """Every SynthDef built while evaluating the code, name -> SCgf bytes, in build order.

        A name built twice keeps its last bytes (and its first position). SynthDefError when the
        code fails or builds none.
        """
        answer = self._check("synthdefs", code, timeout)
        return {_synthdef_name(scgf): scgf for scgf in answer.defs}

    def pbind_events(self, code: str, limit: int = 1000, timeout: float = 10.0) -> list[PbindEvent]:
        """The events the pattern the code evaluates to yields, played from ``Event.default``.

        Stops after ``limit`` events of the stream or at its end (a chord counts once but gives
        one PbindEvent per note). SynthDefError when the code fails or is not a pattern.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"invalid limit {limit!r}: expected a whole number >= 0")
        answer = self._check("pbind", code, timeout, limit)
        return _parse_events(answer.text)
