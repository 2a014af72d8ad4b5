"""Evaluate Tidal code in real Tidal (ghci + libghc-tidal-dev) and read back its events.

One persistent ``ghci -v0`` process serves a whole test session (Tidal loads in ~0.3 s, a
query then takes milliseconds). Every exchange ends with a tagged marker line; only lines we
tag are read as results, anything else that ghci prints before the marker is an error message.
Every exchange has a timeout: on timeout or EOF the process is killed (by its own handle) and
the next query starts a fresh one.

Events are printed by a small Haskell helper defined once per process, one line per event::

    AMEV <whole start> <whole stop> <part start> <part stop><TAB>key=<t><value><TAB>...

where each time is a rational as ``numerator denominator`` (``- -`` for an analog event's
missing whole), ``<t>`` is the Tidal value type (``s`` string, ``f`` double, ``n`` note, ``i`` int,
``r`` rational, ``b`` bool) and strings are Haskell-``show``n (quoted).
"""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import re
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

EVENT_TAG = "AMEV"
VALUE_TAG = "AMVAL"
END_TAG = "AMEND"

_PRELUDE = r"""
:set -XOverloadedStrings
:set prompt ""
:set prompt-cont ""
import System.IO
hSetBuffering stdout LineBuffering
import Sound.Tidal.Context
import qualified Data.Map.Strict as AmMap
:{
amRat :: Rational -> String
amRat x = show (numerator x) ++ " " ++ show (denominator x)

amValue :: Value -> String
amValue v = case v of
  VS x -> 's' : show x
  VF x -> 'f' : show x
  VN x -> 'n' : show (unNote x)
  VI x -> 'i' : show x
  VR x -> 'r' : amRat x
  VB x -> 'b' : show x
  _ -> '?' : show (show v)

amEvent :: Event ValueMap -> String
amEvent e = "AMEV " ++ whole' ++ " " ++ amRat (start (part e)) ++ " " ++ amRat (stop (part e))
    ++ concatMap (\(k, v) -> "\t" ++ k ++ "=" ++ amValue v) (AmMap.toList (value e))
  where whole' = case whole e of
          Just (Arc s t) -> amRat s ++ " " ++ amRat t
          Nothing -> "- - - -"

amDump :: ControlPattern -> Rational -> IO ()
amDump pat cycles = mapM_ (putStrLn . amEvent) (queryArc pat (Arc 0 cycles))
:}
"""


class TidalError(RuntimeError):
    """ghci rejected the code (the message is ghci's), or hung, or died."""


@dataclass(frozen=True)
class TidalEvent:
    """One event of a Tidal query: its whole (None for analog events), part and controls."""

    whole: tuple[Fraction, Fraction] | None
    part: tuple[Fraction, Fraction]
    controls: dict[str, str | float | int | bool | Fraction] = field(default_factory=dict)

    @property
    def onset(self) -> Fraction:
        """Cycle at which the event starts (its whole's start)."""
        if self.whole is None:
            raise ValueError(f"analog event has no onset: {self}")
        return self.whole[0]

    @property
    def has_onset(self) -> bool:
        """True when this is the start of its event (whole start equals part start)."""
        return self.whole is not None and self.whole[0] == self.part[0]

    @property
    def is_fragment(self) -> bool:
        """True when the part is not the whole event."""
        return self.whole != self.part


def _parse_value(text: str) -> str | float | int | bool | Fraction:
    kind, raw = text[0], text[1:]
    if kind == "s" or kind == "?":
        return _haskell_string(raw)
    if kind in ("f", "n"):
        return float(raw)
    if kind == "i":
        return int(raw)
    if kind == "r":
        numerator, denominator = raw.split()
        return Fraction(int(numerator), int(denominator))
    if kind == "b":
        return raw == "True"
    raise TidalError(f"unknown value type in {text!r}")


def _haskell_string(raw: str) -> str:
    """Decode a Haskell-``show``n string (the quotes, and the escapes \\" and \\\\)."""
    if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
        raise TidalError(f"not a Haskell string: {raw!r}")
    return re.sub(r"\\(.)", r"\1", raw[1:-1])


def parse_event_line(line: str) -> TidalEvent:
    """Parse one ``AMEV`` line printed by the Haskell helper."""
    head, *pairs = line.split("\t")
    fields = head.split()
    if len(fields) != 9 or fields[0] != EVENT_TAG:
        raise TidalError(f"unexpected event line {line!r}")
    numbers = fields[1:]
    whole = None
    if numbers[0] != "-":
        whole = (
            Fraction(int(numbers[0]), int(numbers[1])),
            Fraction(int(numbers[2]), int(numbers[3])),
        )
    part = (
        Fraction(int(numbers[4]), int(numbers[5])),
        Fraction(int(numbers[6]), int(numbers[7])),
    )
    controls: dict[str, str | float | int | bool | Fraction] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        controls[key] = _parse_value(value)
    return TidalEvent(whole=whole, part=part, controls=controls)


class TidalSession:
    """A persistent ghci with Tidal loaded; restarted after a hang or crash."""

    def __init__(self, ghci: Path | str, timeout: float = 30.0) -> None:
        self.ghci = str(ghci)
        self.timeout = timeout
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._counter = itertools.count(1)
        self._workdir = tempfile.mkdtemp(prefix="audiomancer-ghci-")
        self._lock = threading.Lock()

    # -- process -------------------------------------------------------------------------

    def _start(self) -> None:
        env = dict(os.environ)
        env.setdefault("HOME", self._workdir)
        process = subprocess.Popen(
            [self.ghci, "-v0", "-ignore-dot-ghci"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            cwd=self._workdir,
            env=env,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for raw in process.stdout:
                lines.put(raw.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True, name="ghci-reader").start()
        self._process = process
        self._lines = lines
        noise = self._exchange(_PRELUDE)
        if noise:
            self.close()
            raise TidalError("ghci could not load Tidal:\n" + "\n".join(noise))

    def close(self) -> None:
        """Stop the ghci process (this session's own process only)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def _exchange(self, script: str) -> list[str]:
        """Send ``script`` and read every line up to our end marker; return the lines."""
        process = self._process
        if process is None or process.stdin is None:
            raise TidalError("ghci is not running")
        tag = f"{END_TAG} {next(self._counter)}"
        try:
            process.stdin.write(script.rstrip("\n") + f'\nputStrLn "{tag}"\n')
            process.stdin.flush()
        except OSError as error:
            self._kill()
            raise TidalError(f"ghci died: {error}") from error
        out: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=self.timeout)
            except queue.Empty:
                self._kill()
                raise TidalError(
                    f"ghci gave no answer within {self.timeout} s (killed; it restarts on the "
                    "next query); output so far:\n" + "\n".join(out[-20:])
                ) from None
            if line is None:
                self._kill()
                raise TidalError("ghci exited; output:\n" + "\n".join(out[-20:]))
            if line == tag:
                return out
            out.append(line)

    def run(self, script: str) -> list[str]:
        """Run ghci input and return what it printed (starting ghci if needed)."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            return self._exchange(script)

    # -- queries -------------------------------------------------------------------------

    def _define(self, expression: str, type_: str) -> tuple[str, str]:
        """A ``:{ ... :}`` block binding ``expression`` to a fresh name; (name, block)."""
        name = f"amExpr{next(self._counter)}"
        body = "\n".join("    " + line for line in expression.strip("\n").splitlines())
        block = f":{{\n{name} :: {type_}\n{name} =\n{body}\n:}}"
        return name, block

    def events(self, expression: str, cycles: int | Fraction = 1) -> list[TidalEvent]:
        """Every event of a ControlPattern expression over cycles ``[0, cycles)``.

        Raises TidalError with ghci's message when the expression does not compile or fails.
        """
        span = Fraction(cycles)
        name, block = self._define(expression, "ControlPattern")
        lines = self.run(f"{block}\namDump {name} ({span.numerator} % {span.denominator})")
        events = [parse_event_line(line) for line in lines if line.startswith(EVENT_TAG + " ")]
        noise = [line for line in lines if not line.startswith(EVENT_TAG + " ") and line.strip()]
        if noise:
            raise TidalError(
                f"ghci rejected the expression:\n{expression}\n---\n" + "\n".join(noise)
            )
        return events

    def onsets(self, expression: str, cycles: int | Fraction = 1) -> list[TidalEvent]:
        """The events that start in ``[0, cycles)`` (whole start equals part start)."""
        return [event for event in self.events(expression, cycles) if event.has_onset]

    def evaluate(self, expression: str, type_: str = "Double") -> str:
        """The ``show`` of a Haskell expression of the given type (one line)."""
        name, block = self._define(expression, type_)
        lines = self.run(f'{block}\nputStrLn ("{VALUE_TAG} " ++ show {name})')
        values = [line[len(VALUE_TAG) + 1 :] for line in lines if line.startswith(VALUE_TAG + " ")]
        noise = [line for line in lines if not line.startswith(VALUE_TAG + " ") and line.strip()]
        if noise or len(values) != 1:
            raise TidalError(f"ghci could not evaluate {expression!r}:\n" + "\n".join(noise))
        return values[0]


_SESSIONS: dict[str, TidalSession] = {}


def shared_session(ghci: Path | str) -> TidalSession:
    """The one TidalSession of this test process for a ghci executable (closed at exit)."""
    key = str(ghci)
    if key not in _SESSIONS:
        session = TidalSession(ghci)
        _SESSIONS[key] = session
        atexit.register(session.close)
    return _SESSIONS[key]
