"""The persistent sclang service: validate SuperCollider code, compile SynthDefs, run Pbinds.

One long-lived ``sclang`` process per Python process (see :func:`get_sclang`), started lazily on
the first call and reused: a check costs about a millisecond instead of the ~0.4 s a fresh sclang
needs to compile its class library. Calls are serialised by a lock, so any number of threads may
use it at once. Every call has a timeout; when sclang hangs (``loop {}``) or dies, that process is
killed by its PID, the caller gets an :class:`~audiomancer.errors.EngineError`, and the next call
starts a fresh one. A call's timeout counts from when its request is sent (time spent waiting for
other threads' calls, or for sclang to start, is not counted; start-up has its own limit,
``STARTUP_TIMEOUT``).

How it is driven (DESIGN §2): sclang starts bare (no file argument, which would make it ignore
stdin) with a headless environment and reads one statement per line from stdin; its output is
read line-buffered (``stdbuf -oL``). A small driver, loaded once, defines one function. For each
request the user's code is written to a file in the process's working directory (so code of any
size works: stdin lines over 8 KB are mangled) and a single short line calls the driver with that
file's path. The driver compiles the code with ``thisProcess.interpreter.compile`` (``nil`` means a
syntax error, whose message sclang posts), evaluates it inside ``try`` in a fresh ``Environment``
(a runtime error, e.g. a wrong-rate input or ``SinOsc.ar.foo``, is reported with sclang's message
rather than disturbing the session) and writes its answer to a file. Only output lines carrying
this process's random tag are trusted; everything else sclang prints is noise, read only to pick up
the message of a syntax error.

Security: validating code *executes* it (a SynthDef's graph function runs, and so does anything
else the code does). sclang runs with its working directory in a throwaway folder under
:func:`audiomancer.paths.scratch_dir` and a private ``HOME`` there, and with a timeout, but it is
not a sandbox: treat code from outside the project as untrusted (DESIGN §9). No server is ever
booted by this module; a SynthDef is compiled offline (``SynthDef.asBytes``), so ``.add`` is fine
without one.

Stages of a failure (:class:`ValidationResult.stage`):

- ``"syntax"``: sclang's parser rejected the text (``syntax error, unexpected ...``, an undefined
  variable); ``line`` is the line sclang names, counted in the code given.
- ``"build"``: the text parses but does not build: an unknown class (usually a UGen from a plugin
  that is not installed), an error raised while evaluating the code or building the SynthDef graph
  (``Out input ... is not audio rate``, ``Message 'foo' not understood``), or a SynthDef that cannot
  be written as bytes.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO, Final, Literal

from audiomancer import engines, processes
from audiomancer.errors import EngineError, EngineNotFoundError, SynthDefError
from audiomancer.paths import scratch_dir

Stage = Literal["ok", "syntax", "build"]

STARTUP_TIMEOUT: Final = 60.0
"""Seconds sclang may take to start and load the driver (separate from each call's timeout)."""

_OUTPUT_TAIL: Final = 20
"""How many lines of sclang's output an error message quotes."""

MEMORY_LIMIT: Final = 640 * 2**20
"""Bytes of data (heap) an sclang may use: enough for its class library and Qt, while code that
allocates hundreds of megabytes (``Array.fill(5e7, 0)``) fails inside sclang with a build error."""

_EXIT_CHECK: Final = 0.2
"""Seconds between checks, while waiting for output, that sclang is still running."""


@dataclass(frozen=True)
class ValidationResult:
    """The verdict of :func:`validate`: truthy when the code compiled and evaluated."""

    ok: bool
    stage: Stage
    """``"ok"``, ``"syntax"`` (the parser rejected it) or ``"build"`` (it failed to evaluate or to
    build the SynthDef graph)."""
    message: str
    """sclang's message; ``""`` when ok."""
    line: int | None = None
    """Line of the error (1-based, in the code given) where sclang names one."""

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class PbindEvent:
    """One event a pattern's stream yields, as sclang computes it (times in beats).

    Chords (an array in ``midinote``, ``amp`` or ``sustain``) are expanded as SuperCollider plays
    them: one PbindEvent per note, all with the same onset and delta.
    """

    onset: float
    """Beats from the start of the stream: the sum of the previous events' ``delta``."""
    dur: float
    delta: float
    """Beats until the next event (``dur * stretch`` unless the event sets ``delta``)."""
    sustain: float
    """Beats the note sounds (the event's ``sustain``, by default ``dur * legato * stretch``)."""
    midinote: float | None
    """None for rests."""
    amp: float
    instrument: str
    is_rest: bool
    extra: dict[str, float | str] = field(default_factory=dict)
    """Any other key the event itself sets (``timingOffset``, ``lag``, ``tempo``, ``legato`` ...),
    when its value is a number, symbol or string."""


# The driver is loaded once per process. It defines one function in topEnvironment under a
# random key; each request is a single line calling it. PREFIX and KEY are filled in by Python.
_DRIVER: Final = r"""
var prefix = "@PREFIX@";
var collected = nil;
var say, esc, num, errorText, field, formatEvent, defsOf, writeDefs, describe, ops;
say = { |id, what| (prefix ++ id ++ " " ++ what).postln };
esc = { |x|
    x.asString.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
};
num = { |x| x.asFloat.asStringPrec(17) };
errorText = { |e|
    var text = if(e.respondsTo(\errorString)) { e.errorString } {
        "a non-Error object was thrown: " ++ e.asString
    };
    if(text.beginsWith("ERROR: ")) { text = text.copyToEnd(7) };
    text
};
describe = { |x| var s = x.asString; if(s.size > 80) { s.keep(77) ++ "..." } { s } };
field = { |key, x|
    if(x.isKindOf(Rest)) { x = x.dur };
    case
    { x.isKindOf(SimpleNumber) } { key ++ "=n" ++ num.(x) }
    { x.isKindOf(Symbol) or: { x.isString } } { key ++ "=s" ++ esc.(x) }
    { x.isArray and: { x.notEmpty } and: {
        x.every { |y| y.isKindOf(SimpleNumber) or: { y.isKindOf(Rest) } } } } {
        key ++ "=a" ++ x.collect { |y| num.(if(y.isKindOf(Rest)) { y.dur } { y }) }.join(",")
    }
    { nil }
};
formatEvent = { |ev|
    var parts = List.new, rest = ev.isRest;
    var main = #[\dur, \delta, \sustain, \midinote, \amp, \instrument];
    parts.add(field.("rest", if(rest) { 1 } { 0 }));
    parts.add(field.("delta", ev.delta));
    ev.use {
        parts.add(field.("dur", ~dur.value));
        parts.add(field.("sustain", ~sustain.value));
        parts.add(field.("amp", ~amp.value));
        parts.add(field.("instrument", ~instrument));
        if(rest.not) { parts.add(field.("midinote", ~midinote.value)) };
    };
    ev.keysValuesDo { |key, value|
        var name = key.asString;
        if(main.includes(key).not and: { name.includes($=).not } and: {
            name.includes($\t).not } and: { name.includes($\n).not }) {
            parts.add(field.("x:" ++ name, value))
        }
    };
    parts.reject(_.isNil).join("\t")
};
defsOf = { |result|
    var defs = collected.asArray;
    if(result.isKindOf(SynthDef) and: { defs.includes(result).not }) { defs = defs.add(result) };
    defs
};
writeDefs = { |defs, outPath|
    defs.do { |def, i|
        var bytes = def.asBytes;
        File.use(outPath ++ "." ++ i ++ ".scgf", "wb", { |f| f.putAll(bytes) })
    };
    defs.size.asString
};
ops = IdentityDictionary[
    \validate -> { |result| defsOf.(result).do { |def| def.asBytes }; "" },
    \evaluate -> { |result| result.asCompileString },
    \synthdef -> { |result, outPath|
        var def = case
        { result.isKindOf(SynthDef) } { result }
        { collected.size == 1 } { collected[0] }
        { nil };
        if(def.isNil) {
            Error(
                if(collected.isEmpty) {
                    "the code evaluates to %, not a SynthDef".format(describe.(result))
                } {
                    "the code creates % SynthDefs (%) and evaluates to %, not one SynthDef"
                    .format(collected.size, collected.collect(_.name).join(", "),
                        describe.(result))
                }
            ).throw
        };
        writeDefs.([def], outPath)
    },
    \synthdefs -> { |result, outPath|
        var defs = defsOf.(result);
        if(defs.isEmpty) {
            Error("the code creates no SynthDef (it evaluates to %)".format(describe.(result)))
            .throw
        };
        writeDefs.(defs, outPath)
    },
    \pbind -> { |result, outPath, limit|
        var stream, ev, lines = List.new, count = 0;
        if(result.isKindOf(Pattern).not and: { result.isKindOf(Stream).not }) {
            Error("the code evaluates to %, not a pattern".format(describe.(result))).throw
        };
        stream = result.asStream;
        while { count < limit and: { ev = stream.next(Event.default); ev.notNil } } {
            if(ev.isKindOf(Event).not) {
                Error("the pattern yields %, not an event".format(describe.(ev))).throw
            };
            lines.add(formatEvent.(ev));
            count = count + 1;
        };
        lines.join("\n")
    }
];
SynthDef.addDependant({ |who, what, def|
    if(what == \synthDefReady and: { collected.notNil }) { collected.add(def) }
});
topEnvironment.put(\@KEY@, { |id, op, codePath, outPath, limit|
    var status = "ok", text = "", result, fn;
    collected = List.new;
    say.(id, "begin");
    protect {
        fn = thisProcess.interpreter.compile(File.readAllString(codePath));
        if(fn.isNil) { status = "syntax" } {
            try {
                Environment.new.use { result = fn.value };
                text = ops[op].value(result, outPath, limit);
            } { |e| status = "build"; text = errorText.(e) };
        };
        File.use(outPath, "w", { |f| f.write(status ++ "\n" ++ text) });
    } {
        collected = nil;
        say.(id, "end");
    };
    nil
});
say.("", "ready");
"""


def _sc_string(text: str) -> str:
    """A SuperCollider string literal for text (used for our own file paths)."""
    if any(c in text for c in "\n\r\0"):
        raise ValueError(f"cannot pass {text!r} to sclang: it holds a line break")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_UNESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m.group(1), m.group(1)), text)


def _synthdef_name(scgf: bytes) -> str:
    """The name of the first SynthDef in SCgf bytes (header, version, count, pstring name)."""
    if len(scgf) < 11 or scgf[:4] != b"SCgf":
        raise EngineError(f"sclang wrote something that is not a SynthDef file: {scgf[:16]!r}")
    size = scgf[10]
    return scgf[11 : 11 + size].decode("utf-8", errors="replace")


class _Deadline(Exception):
    """A call's or the start-up's time ran out (not an OSError, unlike TimeoutError)."""


class _GoneBeforeStart(Exception):
    """sclang exited before it began the request."""


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


@dataclass
class _Answer:
    status: str
    text: str
    noise: list[str]
    defs: list[bytes]


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
            raise EngineError(
                f"sclang did not answer within {timeout:g} s (timeout): the code may loop "
                f"forever; the sclang process (pid {pid}) was killed and a fresh one starts on "
                "the next call"
            ) from None
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


# -- answers --------------------------------------------------------------------------------

_ERROR_LINE: Final = r"ERROR: (.*)"
_POSITION: Final = r"line (\d+) char (\d+)"
_IGNORED_ERRORS: Final = ("Command line parse failed",)


def _failure(answer: _Answer, code: str) -> ValidationResult:
    if answer.status == "build":
        return ValidationResult(False, "build", answer.text.strip() or "evaluation failed")
    # A syntax error: sclang posted the message between our begin and end tags.
    message = ""
    line: int | None = None
    char: int | None = None
    for text in answer.noise:
        found = re.search(_ERROR_LINE, text)
        if found and not message and found.group(1).strip() not in _IGNORED_ERRORS:
            message = found.group(1).strip()
        position = re.search(_POSITION, text)
        if position and line is None:
            line, char = int(position.group(1)), int(position.group(2))
    stage: Stage = "syntax"
    if message.startswith("Class not defined"):
        # Valid syntax naming a class this sclang lacks: usually a UGen from a missing plugin.
        stage = "build"
        name = _name_before(code, line, char)
        if name:
            message = f"Class not defined: {name}"
    if not message:
        message = "sclang could not compile the code" + (
            ": " + " / ".join(t.strip() for t in answer.noise if t.strip())[:500]
            if answer.noise
            else ""
        )
    if line is not None:
        message = f"{message} (line {line}, char {char})"
    return ValidationResult(False, stage, message, line)


def _name_before(code: str, line: int | None, char: int | None) -> str | None:
    """The class name sclang's position points just past (it reports the token's end)."""
    if line is None or char is None:
        return None
    lines = code.splitlines()
    if not 1 <= line <= len(lines):
        return None
    found = re.search(r"[A-Z]\w*$", lines[line - 1][:char])
    return found.group(0) if found else None


def _value(text: str) -> float | str | list[float]:
    kind, body = text[:1], text[1:]
    if kind == "n":
        return float(body)
    if kind == "a":
        return [float(v) for v in body.split(",")]
    return _unescape(body)


def _number(value: float | str | list[float] | None, index: int, default: float) -> float:
    if isinstance(value, list):
        return value[index % len(value)]
    if isinstance(value, float):
        return value
    return default


def _parse_events(text: str) -> list[PbindEvent]:
    events: list[PbindEvent] = []
    onset = Fraction(0)
    for row in text.split("\n"):
        if not row:
            continue
        fields: dict[str, float | str | list[float]] = {}
        for part in row.split("\t"):
            key, _, value = part.partition("=")
            fields[key] = _value(value)
        delta = _number(fields.get("delta"), 0, 0.0)
        is_rest = fields.get("rest") == 1.0
        midinote = None if is_rest else fields.get("midinote")
        amp, sustain = fields.get("amp"), fields.get("sustain")
        width = max((len(v) for v in (midinote, amp, sustain) if isinstance(v, list)), default=1)
        extra: dict[str, float | str] = {
            key[2:]: value
            for key, value in sorted(fields.items())
            if key.startswith("x:") and not isinstance(value, list)
        }
        instrument = fields.get("instrument")
        for index in range(width):
            note = None if midinote is None or isinstance(midinote, str) else midinote
            events.append(
                PbindEvent(
                    onset=float(onset),
                    dur=_number(fields.get("dur"), 0, delta),
                    delta=delta,
                    sustain=_number(sustain, index, 0.0),
                    midinote=None if note is None else _number(note, index, 0.0),
                    amp=_number(amp, index, 0.0),
                    instrument=instrument if isinstance(instrument, str) else "default",
                    is_rest=is_rest,
                    extra=dict(extra),
                )
            )
        onset += Fraction(delta)
    return events


# -- the process-wide instance ----------------------------------------------------------------

_instance: Sclang | None = None
_instance_pid: int | None = None
_instance_lock = threading.Lock()


def get_sclang() -> Sclang:
    """The process-wide Sclang (closed at exit).

    sclang is looked up on every call, so a changed ``AUDIOMANCER_SCLANG`` or an uninstalled
    sclang takes effect at once (EngineNotFoundError naming the Debian package).
    """
    global _instance, _instance_pid
    executable = engines.find("sclang")
    with _instance_lock:
        if _instance is not None and _instance_pid != os.getpid():
            _instance = None  # a forked child must not drive its parent's sclang
        if _instance is not None and _instance.executable != executable:
            _instance.close()
            _instance = None
        if _instance is None:
            _instance = Sclang(executable)
            _instance_pid = os.getpid()
        return _instance


@contextlib.contextmanager
def untrusted() -> Iterator[Sclang]:
    """Run code from outside the project in an sclang of its own for the duration.

    Inside the block the module's functions (validate, compile_synthdef, ...) and everything
    built on them use a fresh sclang that is ended, with everything it started, when the block
    ends: whatever the code changes in the interpreter (its preProcessor, methods redefined on
    common classes, global variables) cannot reach later checks, which go back to the shared,
    warm sclang (the fast path, kept for code audiomancer generates itself).
    """
    global _instance, _instance_pid
    with _instance_lock:
        previous, previous_pid = _instance, _instance_pid
        fresh = Sclang(engines.find("sclang"))
        _instance, _instance_pid = fresh, os.getpid()
    try:
        yield fresh
    finally:
        with _instance_lock:
            _instance, _instance_pid = previous, previous_pid
        fresh.close()


@atexit.register
def _close_instance() -> None:
    if _instance is not None and _instance_pid == os.getpid():
        _instance.close()


def validate(code: str, timeout: float = 10.0) -> ValidationResult:
    """Compile and evaluate SuperCollider code; see :meth:`Sclang.validate`. Executes the code."""
    return get_sclang().validate(code, timeout)


def compile_synthdef(code: str, timeout: float = 10.0) -> bytes:
    """SCgf bytes of the SynthDef the code evaluates to; see :meth:`Sclang.compile_synthdef`."""
    return get_sclang().compile_synthdef(code, timeout)


def compile_synthdefs(code: str, timeout: float = 10.0) -> dict[str, bytes]:
    """Every SynthDef the code builds, name -> SCgf bytes; see :meth:`Sclang.compile_synthdefs`."""
    return get_sclang().compile_synthdefs(code, timeout)


def evaluate(code: str, timeout: float = 10.0) -> str:
    """``asCompileString`` of the code's result; see :meth:`Sclang.evaluate`."""
    return get_sclang().evaluate(code, timeout)


def pbind_events(code: str, limit: int = 1000, timeout: float = 10.0) -> list[PbindEvent]:
    """The events a Pbind (any pattern of events) yields; see :meth:`Sclang.pbind_events`."""
    return get_sclang().pbind_events(code, limit, timeout)


_BATCH: Final = r"""
var found = List.new, statuses = List.new;
var hook = { |who, what, def| if(what == \synthDefReady) { found.add(def) } };
SynthDef.addDependant(hook);
protect {
    [@SOURCES@].do { |src, i|
        var mark = found.size, fn = thisProcess.interpreter.compile(src), result, def, made;
        if(fn.isNil) { statuses.add("syntax error") } {
            try {
                Environment.new.use { result = fn.value };
                made = found.copyToEnd(mark);
                def = case { result.isKindOf(SynthDef) } { result } { made.size == 1 } { made[0] };
                if(def.isNil) {
                    statuses.add("the code creates % SynthDefs, not one".format(made.size))
                } {
                    File.use([@OUTPUTS@][i], "wb", { |f| f.putAll(def.asBytes) });
                    statuses.add("ok")
                }
            } { |e|
                var text = if(e.respondsTo(\errorString)) { e.errorString } { e.asString };
                statuses.add(if(text.beginsWith("ERROR: ")) { text.copyToEnd(7) } { text })
            }
        }
    };
} { SynthDef.removeDependant(hook) };
statuses.asArray
"""


def compile_synthdef_batch(codes: list[str], timeout: float = 30.0) -> list[bytes | SynthDefError]:
    """SCgf bytes of the SynthDef each code makes (as :func:`compile_synthdef` would), all in
    ONE round trip to sclang, or the SynthDefError for a code that does not compile (its
    message is sclang's for a build error, "syntax error" for a syntax error: compile that code
    alone for the position). Each code is compiled and evaluated on its own, in an environment
    of its own; the others go on when one fails. Added for mutation batches (issue 13 §9); it
    only uses the public ``evaluate`` request, so the driver and its process handling are as
    :class:`Sclang` has them. Executes the code, as compile_synthdef does."""
    if not codes:
        return []
    base = scratch_dir() / "batch"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="batch-", dir=base))
    try:
        outputs = [folder / f"{i}.scsyndef" for i in range(len(codes))]
        program = _BATCH.replace(
            "@SOURCES@", ", ".join(_sc_code_literal(code) for code in codes)
        ).replace("@OUTPUTS@", ", ".join(_sc_string(str(path)) for path in outputs))
        answer = evaluate(program, timeout)
        statuses = _statuses(answer, len(codes))
        results: list[bytes | SynthDefError] = []
        for status, path in zip(statuses, outputs, strict=True):
            if status == "ok" and path.is_file():
                results.append(path.read_bytes())
            else:
                results.append(SynthDefError(f"SuperCollider build error: {status or 'failed'}"))
        return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sc_code_literal(code: str) -> str:
    """SuperCollider code as a string literal (line breaks may stay: sclang strings span
    lines)."""
    if "\0" in code:
        raise SynthDefError("the code holds a NUL character")
    return '"' + code.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _statuses(answer: str, count: int) -> list[str]:
    """The strings of the array literal sclang printed (``[ "ok", "syntax error" ]``)."""
    found = [_unescape(m) for m in re.findall(r'"((?:[^"\\]|\\.)*)"', answer)]
    if len(found) != count:
        raise EngineError(f"sclang answered {answer[:200]!r} to a batch of {count} SynthDefs")
    return found
