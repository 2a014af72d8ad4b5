"""Reading sclang's answers: verdicts, syntax error positions, Pbind events, SynthDef names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final, Literal

from audiomancer.errors import EngineError

Stage = Literal["ok", "syntax", "build"]


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


@dataclass
class _Answer:
    status: str
    text: str
    noise: list[str]
    defs: list[bytes]


_UNESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m.group(1), m.group(1)), text)


def _synthdef_name(scgf: bytes) -> str:
    """The name of the first SynthDef in SCgf bytes (header, version, count, pstring name)."""
    if len(scgf) < 11 or scgf[:4] != b"SCgf":
        raise EngineError(f"sclang wrote something that is not a SynthDef file: {scgf[:16]!r}")
    size = scgf[10]
    return scgf[11 : 11 + size].decode("utf-8", errors="replace")


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


def _statuses(answer: str, count: int) -> list[str]:
    """The strings of the array literal sclang printed (``[ "ok", "syntax error" ]``)."""
    found = [_unescape(m) for m in re.findall(r'"((?:[^"\\]|\\.)*)"', answer)]
    if len(found) != count:
        raise EngineError(f"sclang answered {answer[:200]!r} to a batch of {count} SynthDefs")
    return found
