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

The package's modules: :mod:`~.driver` (the SuperCollider programs), :mod:`~.process` (one
running sclang), :mod:`~.session` (the :class:`Sclang` request protocol), :mod:`~.answers`
(reading what sclang answers); this module is its face, with the process-wide instance.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from audiomancer import engines
from audiomancer.errors import SynthDefError
from audiomancer.paths import scratch_dir
from audiomancer.supercollider.lang.answers import PbindEvent, Stage, ValidationResult, _statuses
from audiomancer.supercollider.lang.driver import _BATCH, _sc_code_literal, _sc_string
from audiomancer.supercollider.lang.process import MEMORY_LIMIT, STARTUP_TIMEOUT
from audiomancer.supercollider.lang.session import Sclang

__all__ = [
    "MEMORY_LIMIT",
    "STARTUP_TIMEOUT",
    "PbindEvent",
    "Sclang",
    "Stage",
    "ValidationResult",
    "compile_synthdef",
    "compile_synthdef_batch",
    "compile_synthdefs",
    "evaluate",
    "get_sclang",
    "pbind_events",
    "untrusted",
    "validate",
]

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
