"""The persistent ghci + Tidal service: evaluate Tidal code as an editor sends it, read its events.

One ``ghci`` process per Python process (:func:`get_ghci`), started on first use (Tidal loads
in well under a second) and reused. Every request has a timeout; when ghci hangs (a pattern that
never finishes evaluating) or dies, its whole process group is killed, the caller gets an
:class:`~audiomancer.errors.EngineError` saying so, and the next request starts a fresh ghci.

How code is evaluated (DESIGN §3): live coders' editors (Pulsar, VS Code, vim-tidal) send the
paragraph under the cursor, the lines between blank lines, to ghci as one ``:{ ... :}`` block.
:meth:`Ghci.play` does exactly that with every paragraph of the code, in order, and stops at the
first paragraph ghci rejects. Nothing one piece of code defines is seen by the next: after code
that may have bound a name (``let``, ``import``, a definition, a ``:`` command), ghci's
interactive bindings are cleared (``:load``) before the next code runs.

Instead of BootTidal's stream (which would need SuperDirt listening), the session defines the
same names with the same types that capture what the code asks for (after code that may have
defined something, the stand-ins are defined afresh; after code that only called them, such as
our own export, clearing what they captured is enough): ``d1`` ... ``d16`` and ``p``
remember their pattern (``d1`` adds ``orbit 0`` as BootTidal does), ``setcps``/``once``/``asap``
remember the tempo, ``hush``, ``mute``, ``all`` and the transitions (``xfade``, ``jumpIn``, ...)
act on what is remembered. A query then reads the events of every remembered pattern over
``[0, cycles)`` with Tidal's own ``queryArc``.

Security: this runs the user's Haskell. ghci runs in a throwaway working folder with a private
``HOME``, a memory cap (``+RTS -M``) and a timeout, but it is not a sandbox: Haskell code can do
anything the user can. Treat Tidal files from elsewhere like any program (DESIGN §9).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import re
import secrets
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO, Final

from audiomancer import engines, processes
from audiomancer.errors import EngineError, EngineNotFoundError, TidalCodeError
from audiomancer.paths import scratch_dir
from audiomancer.tidal.boot import (
    BACK_TAG,
    CPS_TAG,
    ERROR_TAG,
    EVENT_TAG,
    STAND_IN_NAMES,
    prelude,
)

STARTUP_TIMEOUT: Final = 60.0
"""Seconds ghci may take to start and load Tidal (apart from each request's timeout)."""
MEMORY_LIMIT: Final = "2g"
"""ghci's heap limit (``+RTS -M``): a runaway pattern fails instead of filling the memory."""
MAX_EVENTS: Final = 20_000
"""At most this many events are read back from one query (more is an error, not a hang)."""

Value = str | float | int | bool | Fraction


@dataclass(frozen=True)
class Paragraph:
    """A block of code as an editor sends it: its text and the line (from 1) it starts on."""

    text: str
    first_line: int


def blank_block_comments(code: str) -> str:
    """The code with every ``{- ... -}`` comment (nested, across lines) turned into spaces,
    keeping its line breaks, so that blank lines inside a comment cannot cut it in two.
    ``--`` line comments and string literals are left alone (a ``{-`` in them is no comment)."""
    out = list(code)
    depth = 0
    i = 0
    in_string = False
    symbols = "!#$%&*+./<=>?@\\^|~:-"
    while i < len(code):
        pair = code[i : i + 2]
        if depth:
            if pair == "{-":
                depth += 1
                out[i] = out[i + 1] = " "
                i += 2
                continue
            if pair == "-}":
                depth -= 1
                out[i] = out[i + 1] = " "
                i += 2
                continue
            if code[i] != "\n":
                out[i] = " "
            i += 1
            continue
        char = code[i]
        if in_string:
            if char == "\\":
                i += 2
                continue
            if char in '"\n':
                in_string = False
        elif char == '"':
            in_string = True
        elif pair == "{-" and code[i + 2 : i + 3] != "#":
            depth = 1
            out[i] = out[i + 1] = " "
            i += 2
            continue
        elif pair == "--" and (i == 0 or code[i - 1] not in symbols):
            rest = code[i:].lstrip("-")
            if not rest or rest[0] not in symbols:  # a line comment: skip to the line's end
                end = code.find("\n", i)
                i = len(code) if end < 0 else end
                continue
        i += 1
    return "".join(out)


def paragraphs(code: str) -> list[Paragraph]:
    """Split code the way Tidal editors do: blocks of lines between blank lines.

    ``{- ... -}`` comments are blanked first (a comment with blank lines in it is still one
    comment). Lines that are ghci's own block delimiters (``:{``, ``:}``), which some files
    carry for plain ghci, become empty comments (``--``): each paragraph is sent as a block.
    So do ghci commands that would change the session (:func:`session_command`).
    """
    blocks: list[Paragraph] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(blank_block_comments(code).splitlines(), 1):
        if line.strip() in (":{", ":}") or session_command(line):
            line = "--"
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append(Paragraph("\n".join(current), start))
            current = []
    if current:
        blocks.append(Paragraph("\n".join(current), start))
    return blocks


_HARMLESS_COMMANDS: Final = r":(set|seti|t|type|i|info|k|kind|browse|show|m\s*\+|module\s*\+)(\s|$)"


def session_command(line: str) -> bool:
    """True for a line that is a ghci command changing the session (``:reload``, ``:load``,
    ``:quit``, ``:module``, ``:!``, ...): no Tidal code, it would undo our stand-ins. ``:{``,
    ``:}``, ``:set``, ``:type``, ``:info``, ``:m +`` and the like are harmless."""
    text = line.strip()
    if not text.startswith(":") or text in (":{", ":}"):
        return False
    return not re.match(_HARMLESS_COMMANDS, text)


_CONTINUATION: Final = tuple("])}|#+-*/.$<>,=&!@%^~")


def statements(paragraph: Paragraph) -> list[Paragraph]:
    """A paragraph cut into its statements: each starts at a line on the left margin (not a
    comment, not a line that only continues the one before, such as ``]`` or ``# gain 1``).

    What a live coder means by several ``d1 $ ...`` lines without a blank line between them,
    which an editor sends as one block that ghci rejects: one statement each.
    """
    lines = paragraph.text.split("\n")
    cuts = [
        index
        for index, line in enumerate(lines)
        if index == 0
        or (line[:1].strip() and not line.startswith("--") and not line.startswith(_CONTINUATION))
    ]
    return [
        Paragraph("\n".join(lines[begin:end]), paragraph.first_line + begin)
        for begin, end in zip(cuts, [*cuts[1:], len(lines)], strict=True)
    ]


@dataclass(frozen=True)
class TidalEvent:
    """One event of a query: its whole (None for an analog event), its part and its controls."""

    whole: tuple[Fraction, Fraction] | None
    part: tuple[Fraction, Fraction]
    controls: dict[str, Value] = field(default_factory=dict)

    @property
    def onset(self) -> Fraction:
        """Cycle at which the event starts (its whole's start)."""
        if self.whole is None:
            raise ValueError(f"analog event has no onset: {self}")
        return self.whole[0]

    @property
    def has_onset(self) -> bool:
        """True when the event starts inside the query (whole start equals part start)."""
        return self.whole is not None and self.whole[0] == self.part[0]


@dataclass(frozen=True)
class Played:
    """What a piece of Tidal code plays: the tempo it sets (None if none) and its events.

    In a lenient play, ``problems`` holds what was skipped (paragraphs ghci rejected, patterns
    that failed while queried), and ``earlier`` is True when the code ends in silence (``hush``,
    ``d1 silence``) and the events are those of the last state that played something.
    """

    cps: float | None
    events: list[TidalEvent]
    problems: list[str] = field(default_factory=list)
    earlier: bool = False

    @property
    def onsets(self) -> list[TidalEvent]:
        """The events that start inside the queried cycles."""
        return [event for event in self.events if event.has_onset]


_PURE_STATEMENT: Final = f"({STAND_IN_NAMES})" + r"(\s|\$|\(|$)"


def _defines_nothing(paragraph: Paragraph) -> bool:
    """True when a paragraph can bind no name: comments, then a call of one of the stand-ins
    (``d1 $ ...``, ``setcps ...``). Anything else (``let``, ``import``, ``x <- ...``, a ``:``
    command, a definition) may change what later code sees, so the session is cleared after it."""
    lines = [line for line in paragraph.text.splitlines() if not line.strip().startswith("--")]
    if not lines:
        return True
    return (
        bool(re.match(_PURE_STATEMENT, lines[0]))
        and "<-" not in lines[0]
        and ";" not in paragraph.text
    )


# --- reading ghci's answers ---------------------------------------------------------------

_ERROR_LOCATION: Final = (
    r"^<interactive>:(?:(\d+):\d+(?:-\d+)?|\((\d+),\d+\)-\(\d+,\d+\)): error:?\s*(.*)$"
)


@dataclass(frozen=True)
class _Problem:
    line: int | None
    message: str


def _first_problem(lines: list[str]) -> _Problem | None:
    """ghci's first error (compile error or exception) in its output; None when there is none."""
    for index, line in enumerate(lines):
        match = re.match(_ERROR_LOCATION, line)
        if match:
            message = match.group(3).strip()
            rest = [text.strip() for text in lines[index + 1 :] if text.strip()]
            if not message and rest:
                message, rest = rest[0], rest[1:]
            message = message.removeprefix("• ").strip()
            if message.endswith(":") and rest:  # "Variable not in scope:" names it below
                message = f"{message} {rest[0].removeprefix('• ')}"
            number = match.group(1) or match.group(2)
            return _Problem(int(number), message)
        if "*** Exception:" in line:
            detail = [line.split("*** Exception:", 1)[1].strip()]
            detail += [text.strip() for text in lines[index + 1 : index + 4] if text.strip()]
            return _Problem(None, " ".join(part for part in detail if part))
    return None


def _parse_value(text: str) -> Value:
    kind, raw = text[:1], text[1:]
    if kind in ("s", "?"):
        if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            raise EngineError(f"ghci printed an unreadable string value {raw!r}")
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if kind in ("f", "n"):
        return float(raw)
    if kind == "i":
        return int(raw)
    if kind == "r":
        numerator, denominator = raw.split()
        return Fraction(int(numerator), int(denominator))
    if kind == "b":
        return raw == "True"
    raise EngineError(f"ghci printed a value of unknown type: {text!r}")


def parse_event_line(line: str) -> TidalEvent:
    """Parse one event line printed by the session's ``amDump``."""
    head, *pairs = line.split("\t")
    fields = head.split()
    if len(fields) != 9 or fields[0] != EVENT_TAG:
        raise EngineError(f"ghci printed an unreadable event line {line!r}")
    n = fields[1:]
    whole = None
    if n[0] != "-":
        whole = (Fraction(int(n[0]), int(n[1])), Fraction(int(n[2]), int(n[3])))
    part = (Fraction(int(n[4]), int(n[5])), Fraction(int(n[6]), int(n[7])))
    controls: dict[str, Value] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        controls[key] = _parse_value(value)
    return TidalEvent(whole=whole, part=part, controls=controls)


# --- the process --------------------------------------------------------------------------


class _Process:
    """One running ghci: the Popen, a reader thread feeding a queue, a count of lines sent."""

    def __init__(self, executable: Path, workdir: Path) -> None:
        env = dict(os.environ)
        env.update(HOME=str(workdir), GHC_ENVIRONMENT="-")
        # its own process group, killed whole, dying with this process (processes.start)
        self.popen = processes.start(
            [str(executable), "-v0", "-ignore-dot-ghci", "+RTS", f"-M{MEMORY_LIMIT}", "-RTS"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            cwd=workdir,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.sent = 0
        self.shift = 0
        """ghci's line number minus ours: ghci counts some rejected blocks short (see _resync)."""
        assert self.popen.stdout is not None
        self.reader = threading.Thread(
            target=self._read, args=(self.popen.stdout,), daemon=True, name="ghci-reader"
        )
        self.reader.start()

    def _read(self, stream: IO[str]) -> None:
        for raw in stream:
            self.lines.put(raw.rstrip("\n"))
        self.lines.put(None)

    def send(self, text: str) -> int:
        """Write lines to ghci; return the ghci line number of the first one."""
        assert self.popen.stdin is not None
        first = self.sent + 1
        lines = text.split("\n")
        self.popen.stdin.write("\n".join(lines) + "\n")
        self.popen.stdin.flush()
        self.sent += len(lines)
        return first

    def alive(self) -> bool:
        return self.popen.returncode is None and not processes.wait_exit(self.popen, 0)

    def kill(self) -> None:
        """Kill ghci's whole process group (anything the code started goes with it)."""
        processes.end(self.popen)
        with contextlib.suppress(OSError):
            if self.popen.stdin is not None:
                self.popen.stdin.close()
        self.reader.join(timeout=2)


class Ghci:
    """A persistent ghci with Tidal; thread-safe, restarted after a hang or crash."""

    def __init__(self, executable: str | Path | None = None) -> None:
        self._executable = Path(executable) if executable is not None else None
        self._process: _Process | None = None
        self._lock = threading.Lock()
        self._tag = "AMEND" + secrets.token_hex(6)
        self._clean = False
        """True while nothing evaluated since the last prelude can have bound a name."""
        self._counter = 0
        self._workdir: Path | None = None

    @property
    def pid(self) -> int | None:
        """Process id of the running ghci, None when none runs."""
        process = self._process
        return process.popen.pid if process is not None and process.alive() else None

    def close(self) -> None:
        """Stop this service's ghci (it restarts on the next request)."""
        with self._lock:
            self._discard()

    def _discard(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()

    def _ensure_started(self) -> _Process:
        if self._process is not None and self._process.alive():
            return self._process
        self._discard()
        executable = self._executable or engines.find("tidal")
        if self._workdir is None:
            root = scratch_dir()
            root.mkdir(parents=True, exist_ok=True)
            self._workdir = Path(tempfile.mkdtemp(prefix="ghci-", dir=root))
        try:
            process = _Process(executable, self._workdir)
        except OSError as error:
            raise EngineError(f"could not start ghci ({executable}): {error}") from None
        self._process = process
        output = self._exchange(process, prelude(), STARTUP_TIMEOUT)
        self._clean = True
        problem = _first_problem(output)
        if problem is not None:
            self._discard()
            hint = engines.ENGINES["tidal"].install_hint
            raise EngineNotFoundError(
                f"ghci ({executable}) could not load Tidal ({problem.message}); install it "
                f"with: {hint}"
            )
        return process

    def _exchange(self, process: _Process, text: str, timeout: float) -> list[str]:
        """Send ``text`` then an end marker; return what ghci printed before the marker."""
        self._counter += 1
        marker = f"{self._tag} {self._counter}"
        try:
            process.send(text)
            process.send(f'putStrLn "{marker}"')
        except OSError as error:
            self._discard()
            raise EngineError(f"ghci died ({error}); it restarts on the next request") from None
        deadline = time.monotonic() + timeout
        output: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = process.lines.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                self._discard()
                raise EngineError(
                    f"Tidal gave no answer within {timeout:g} s (timeout): the code may never "
                    "finish evaluating; ghci was stopped and restarts on the next request"
                ) from None
            if line is None:
                tail = "\n".join(output[-10:])
                self._discard()
                raise EngineError(
                    f"ghci exited unexpectedly (it restarts on the next request); its last "
                    f"output:\n{tail}"
                )
            if line == marker:
                return output
            output.append(line)

    def play(
        self,
        code: str,
        cycles: int | Fraction = 1,
        timeout: float = 10.0,
        *,
        lenient: bool = False,
        definitions: str = "",
        silent_ok: bool = False,
    ) -> Played:
        """Evaluate code paragraph by paragraph as an editor sends it; query ``[0, cycles)``.

        Strict (the default, how we check code we print): TidalCodeError quoting ghci's first
        message and the offending line when a paragraph is rejected or a pattern fails while it
        is queried. Lenient (how a live coder's file is imported): a rejected paragraph is
        tried again statement by statement (see :func:`statements`), what is still rejected is
        skipped, a pattern that fails is left out, and when the code ends in silence the last
        state that played is read (all noted in :attr:`Played.problems` / ``earlier``); the
        TidalCodeError comes only when nothing plays and something was skipped. EngineError
        when ghci does not answer within ``timeout`` seconds (each paragraph and the query
        have that long) or dies. ``definitions`` (Haskell declarations, such as the custom
        parameters a live coder's BootTidal defines) are evaluated first, as one block. With
        ``silent_ok``, lenient code that plays nothing returns no events and its problems
        instead of raising.
        """
        if not timeout > 0:
            raise ValueError(f"invalid timeout {timeout!r}: expected a positive number of seconds")
        span = Fraction(cycles)
        if span <= 0:
            raise ValueError(f"invalid cycles {cycles!r}: expected a positive number")
        source_lines = code.splitlines()
        problems: list[str] = []
        for number, line in enumerate(source_lines, 1):
            if session_command(line):
                skipped = f"line {number} is a ghci command, not Tidal code: {line.strip()!r}"
                if not lenient:
                    raise TidalCodeError(skipped)
                problems.append(skipped)
        with self._lock:
            process = self._ensure_started()
            # a fresh slate: forget what the last code captured, and (when it may have defined
            # anything) every binding it made, so no code sees what earlier code defined
            reset = "amReset" if self._clean else prelude()
            problem = _first_problem(self._exchange(process, reset, timeout))
            if problem is not None:
                self._discard()
                raise EngineError(f"ghci could not reset its session: {problem.message}")
            blocks = paragraphs(code)
            self._clean = not definitions and all(_defines_nothing(b) for b in blocks)
            if definitions:
                first = Paragraph(definitions, 1)
                problem_text = self._evaluate(process, first, definitions.splitlines(), timeout)
                if problem_text is not None:
                    raise TidalCodeError(f"our definitions were rejected: {problem_text}")
            for block in blocks:
                rejected = self._evaluate(process, block, source_lines, timeout)
                if rejected is None:
                    continue
                parts = statements(block) if lenient else [block]
                if not lenient:
                    raise TidalCodeError(rejected)
                if len(parts) == 1:
                    problems.append(rejected)
                    continue
                for part in parts:
                    still = self._evaluate(process, part, source_lines, timeout)
                    if still is not None:
                        problems.append(still)
            back = "True" if lenient else "False"
            query = f"amDump ({span.numerator} % {span.denominator}) {MAX_EVENTS + 1} {back}"
            output = self._exchange(process, query, timeout)
        problem = _first_problem(output)
        if problem is not None:
            raise TidalCodeError(f"Tidal could not play the pattern: {problem.message}")
        for line in output:
            if line.startswith(ERROR_TAG + " "):
                name, _, message = line[len(ERROR_TAG) + 1 :].partition("\t")
                failed = f"Tidal could not play {_slot_name(name)}: {message.strip()}"
                if not lenient:
                    raise TidalCodeError(failed)
                problems.append(failed)
        events = [parse_event_line(line) for line in output if line.startswith(EVENT_TAG + " ")]
        if len(events) > MAX_EVENTS:
            raise TidalCodeError(
                f"the code plays more than {MAX_EVENTS} events in {span} cycles; "
                "is that what you meant? try fewer --bars"
            )
        if not events and problems and not silent_ok:
            raise TidalCodeError(problems[0])
        tempo = [line for line in output if line.startswith(CPS_TAG + " ")]
        if len(tempo) != 1:
            raise EngineError("ghci's answer lacks the tempo line:\n" + "\n".join(output[-10:]))
        value = tempo[0].split(" ", 1)[1]
        return Played(
            cps=None if value == "-" else float(value),
            events=events,
            problems=problems,
            earlier=bool(events) and BACK_TAG in output,
        )

    def _evaluate(
        self, process: _Process, block: Paragraph, source_lines: list[str], timeout: float
    ) -> str | None:
        """Send one block; None when ghci takes it, else ghci's first message and the line."""
        first_sent = process.sent + 2 + process.shift  # after the ":{" line
        output = self._exchange(process, f":{{\n{block.text}\n:}}", timeout)
        problem = _first_problem(output)
        if problem is None:
            return None
        self._resync(process, timeout)
        line = block.first_line
        if problem.line is not None:
            offset = problem.line - first_sent
            if 0 <= offset < block.text.count("\n") + 1:
                line = block.first_line + offset
        quoted = source_lines[line - 1].strip() if line <= len(source_lines) else ""
        return f"Tidal rejected line {line}: {problem.message} (in: {quoted!r})"

    def _resync(self, process: _Process, timeout: float) -> None:
        """After a rejected block ghci's line numbers can drift from ours (a parse error counts
        the block short): ask for a line it cannot run and note where ghci says it is."""
        line = process.sent + 1
        problem = _first_problem(self._exchange(process, "amLineProbe", timeout))
        if problem is not None and problem.line is not None:
            process.shift = problem.line - line


def _slot_name(name: str) -> str:
    """How the code named a remembered pattern: ``d3`` for orbit 3's, else ``p "name"``."""
    return f"d{name}" if name.isdigit() else f"p {name!r}"


_instance: Ghci | None = None
_instance_lock = threading.Lock()


def get_ghci() -> Ghci:
    """The process's one Ghci service (started on first request, stopped at exit)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = Ghci()
            atexit.register(_instance.close)
        return _instance
