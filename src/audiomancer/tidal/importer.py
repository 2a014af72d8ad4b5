"""Tidal in: a live coder's Tidal code, evaluated by real Tidal, becomes a pattern.

The code (``d1 $ ...`` with any Tidal functions, ``setcps``, ``let`` definitions, several
``dN``) is run paragraph by paragraph in the persistent ghci (:mod:`audiomancer.tidal.ghci`),
as an editor would send it; the events that start in the first ``bars`` cycles (one cycle is
one bar) become the notes:

- **Sound.** ``s``/``sound`` names map to drum classes through every kit
  (:func:`audiomancer.patterns.kits.drum_class_of`; the kit a file names in our header comes
  first), then through :data:`DIRT_DRUMS` (Dirt-Samples drum folders no kit plays: ``hh27``,
  ``808hc``, ``rs`` ...). When every sound maps, the pattern is drums; otherwise it is melodic
  and plays the sound most of its events use.
- **Pitch.** ``note`` (``up`` and ``midinote`` arrive as it), else ``freq`` in Hz (as SuperDirt
  synths take it, MIDI 69 at 440 Hz), else ``n``, with Tidal's note 0 as MIDI 60 (``c5``);
  ``octave`` moves it by octaves from Tidal's default 5.
- **Velocity** from ``gain`` (the inverse of our export curve, ``velocity = 127 * gain**2``);
  no gain is full velocity.
- **Length.** ``legato`` times the event's length, else ``sustain`` in seconds, else the
  event's length (drums: the event's length, as Tidal plays samples whole anyway).
- **Micro-timing.** ``nudge`` (seconds) moves a note off its onset, around the loop (a note
  nudged past the end sounds at the start, as each later cycle plays it).
- **Tempo.** ``bpm`` if given, else the ``cps`` the events carry (``# cps 0.75``, which sets
  the tempo as it plays), else the last ``setcps`` of the code, else 120.
- **Type.** ``pattern_type`` if given, else the header's, else drums when every sound is a drum,
  else bass when the pitches average below E3 (52), else melody. Code that plays drums and
  pitched sounds (a ``stack`` of a beat and a bassline, ``d1`` drums and ``d2`` a tune) imports
  the side most of its events play, with a warning naming the sounds left out.

Code we exported starts with a header comment (``-- audiomancer drums: 4 bars of 4/4 at 125
bpm, kit dirt ...``); its length, metre, key, scale and kit are read from it, so our own code
imports at its own length and round-trips to the same notes.

This runs the user's Haskell (see :mod:`audiomancer.tidal.ghci`).
"""

from __future__ import annotations

import math
import re
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Final, TypedDict, Unpack

from audiomancer.errors import EngineError, PatternFileError, TidalCodeError
from audiomancer.patterns.kits import KITS, drum_class_of, get_kit, validate_sound
from audiomancer.patterns.model import (
    DRUM_CLASS_BY_NAME,
    TICKS_PER_BEAT,
    DrumClass,
    Note,
    Pattern,
    PatternType,
    bar_ticks,
    merge_overlaps,
    validate_bars,
    validate_bpm,
    validate_pattern_type,
)
from audiomancer.patterns.tidal import gain_to_velocity
from audiomancer.tidal.ghci import Ghci, Played, TidalEvent, get_ghci

DEFAULT_BPM: Final = 120.0
BASS_BELOW: Final = 52
"""Mean MIDI pitch under which an untyped melodic import is a bass line (E3)."""
TIDAL_NOTE_ZERO: Final = 60
DIRT_DRUMS: Final[dict[str, str]] = {
    "808hc": "closed_hat",
    "hh27": "closed_hat",
    "hc": "closed_hat",
    "linnhats": "closed_hat",
    "soshats": "closed_hat",
    "808bd": "kick",
    "kicklinn": "kick",
    "reverbkick": "kick",
    "soskick": "kick",
    "gabba": "kick",
    "808sd": "snare",
    "sossnare": "snare",
    "rs": "snare",
    "realclaps": "snare",
    "808oh": "open_hat",
    "cy": "crash",
    "808lt": "low_tom",
    "808mt": "mid_tom",
    "sostoms": "mid_tom",
    "808ht": "high_tom",
    "kick": "kick",
    "snare": "snare",
    "clap": "snare",
}
"""Dirt-Samples drum folders and SuperDirt drum synths that no kit plays, by the drum they are
(``hh27`` and ``808hc`` are closed hats, ``rs`` a rimshot, ``gabba`` a gabber kick ...), and
sample folders named for their drum (``kick``, ``snare``, ``clap``: the Tidal Club's sample
pack, which tidal-doc's course plays): heard on import only, as the kits' own names are."""
DEFAULT_OCTAVE: Final = 5

_HEADER: Final = (
    r"(?m)"
    r"^--\s*audiomancer (?P<type>drums|melody|bass): (?P<bars>\d+) bars? of "
    r"(?P<num>\d+)/(?P<den>\d+) at (?P<bpm>[0-9.]+) bpm"
    r"(?:, (?P<key>[A-G][#b]?) (?P<scale>[a-z]+))?"
    r"(?:, kit (?P<kit>\w+))?(?:, sound (?P<sound>\w+))?"
)


@dataclass(frozen=True)
class Header:
    """What the header comment of code we exported says about its pattern."""

    type: PatternType
    bars: int
    time_signature: tuple[int, int]
    key: str | None
    scale: str | None
    kit: str | None
    sound: str | None


def parse_header(code: str) -> Header | None:
    """Our header comment's facts, or None when the code has no such comment."""
    match = re.search(_HEADER, code)
    if match is None:
        return None
    kind = validate_pattern_type(match["type"])
    return Header(
        type=kind,
        bars=int(match["bars"]),
        time_signature=(int(match["num"]), int(match["den"])),
        key=match["key"],
        scale=match["scale"],
        kit=match["kit"] if match["kit"] in KITS else None,
        sound=match["sound"],
    )


def _file_name(path: str | Path) -> str:
    """How messages name a Tidal file (``-`` is standard input)."""
    return "standard input" if str(path) == "-" else str(path)


def read_tidal_file(path: str | Path) -> str:
    """The text of a ``.tidal`` file (``-`` reads stdin); PatternFileError unless UTF-8 text."""
    name = _file_name(path)
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    except OSError as error:
        raise PatternFileError(f"cannot read Tidal file {name}: {error.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PatternFileError(
            f"Tidal file {name} is not UTF-8 text (byte {data[error.start]:#04x} at offset "
            f"{error.start}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise PatternFileError(f"Tidal file {name} is not text (it holds NUL bytes)")
    if not text.strip():
        raise PatternFileError(f"Tidal file {name} is empty")
    return text.removeprefix("\ufeff")


MAX_PERIOD: Final = 8
"""The longest period found in code whose length nothing states (``--bars`` chooses)."""


def period(events: list[TidalEvent], window: int) -> int | None:
    """The fewest cycles n (1 up to ``window // 2``) such that the events of the first
    ``window`` cycles repeat every n cycles; None when they do not repeat (random functions,
    or a longer period)."""

    def shape(start: int, length: int) -> list[tuple[Fraction, str]]:
        return sorted(
            (e.onset - start, repr(sorted((k, _comparable(v)) for k, v in e.controls.items())))
            for e in events
            if start <= e.onset < start + length
        )

    for n in range(1, window // 2 + 1):
        # each later block of n cycles (the last one perhaps cut short) plays as the first
        if all(
            shape(k, min(n, window - k)) == shape(0, min(n, window - k))
            for k in range(n, window, n)
        ):
            return n
    return None


def _comparable(value: object) -> object:
    """A control value as two cycles are compared: a float to 12 significant digits, since a
    continuous function sampled in different cycles (``slow 4 saw`` at 1/24 and at 4 + 1/24)
    reads the same value in Doubles a few units of the last place apart."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


class ImportOptions(TypedDict, total=False):
    """The keyword options of :func:`import_tidal`, which :func:`import_tidal_file` passes on
    (one list, so the two cannot drift apart)."""

    bars: int | None
    bpm: float | None
    pattern_type: str | None
    kit: str | None
    sound: str | None
    timeout: float
    ghci: Ghci | None


def import_tidal_file(path: str | Path, **options: Unpack[ImportOptions]) -> Pattern:
    """:func:`import_tidal` of a ``.tidal`` file (``-``: stdin) with the same keyword options;
    its errors name the file."""
    code = read_tidal_file(path)
    name = _file_name(path)
    try:
        return import_tidal(code, **options)
    except (TidalCodeError, EngineError) as error:
        raise type(error)(f"Tidal file {name}: {error}") from None


def _number(event: TidalEvent, name: str) -> float | None:
    """The event's numeric control ``name``, None when it has none; TidalCodeError naming it
    when it is no finite number (``n (0/0)``, ``gain (1/0)``)."""
    value = event.controls.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        return None
    number = float(value)
    if not math.isfinite(number):
        raise TidalCodeError(
            f"{name} {number} at cycle {float(event.onset):g} is not a finite number"
        )
    return number


def _velocity(event: TidalEvent) -> int:
    """MIDI velocity of an event's ``gain`` (no gain: 127); TidalCodeError below 0."""
    gain = _number(event, "gain")
    if gain is None:
        return 127
    if gain < 0:
        raise TidalCodeError(
            f"gain {gain:g} at cycle {float(event.onset):g} is below 0, which no velocity "
            "plays (give the gain a range from 0, as range 0 1 or 0.8 + 0.2 * sine)"
        )
    return gain_to_velocity(gain)


def _sound(event: TidalEvent) -> str | None:
    value = event.controls.get("s")
    return value if isinstance(value, str) else None


def _pitch(event: TidalEvent) -> int:
    """MIDI pitch of an event: ``note``, else ``freq`` (Hz, as SuperDirt synths take it), else
    ``n``; ``octave`` moves a note by octaves from Tidal's default 5."""
    note = _number(event, "note")
    freq = _number(event, "freq")
    if note is None and freq is not None:
        if not freq > 0:
            raise TidalCodeError(
                f"freq {freq:g} at cycle {float(event.onset):g} is no pitch (it must be above 0 Hz)"
            )
        value = 69 + 12 * math.log2(freq / 440)
        note = value - TIDAL_NOTE_ZERO
    else:
        if note is None:
            note = _number(event, "n") or 0.0
        octave = _number(event, "octave")
        value = (
            note + TIDAL_NOTE_ZERO + 12 * ((octave if octave is not None else DEFAULT_OCTAVE) - 5)
        )
    pitch = round(value)
    if not 0 <= pitch <= 127:
        raise TidalCodeError(
            f"note {note:g} at cycle {float(event.onset):g} is MIDI pitch {pitch}, outside 0-127"
        )
    return pitch


def import_tidal(
    code: str,
    *,
    bars: int | None = None,
    bpm: float | None = None,
    pattern_type: str | None = None,
    kit: str | None = None,
    sound: str | None = None,
    timeout: float = 10.0,
    ghci: Ghci | None = None,
) -> Pattern:
    """The pattern a piece of Tidal code plays over its first ``bars`` cycles.

    ``bars`` defaults to the length our header comment states, else the code's period: the
    fewest cycles (1 to 4 after which its first 8 cycles repeat, else 5 to 8 after which its
    first 16 do), else 1.
    TidalCodeError when ghci rejects the code (quoting its message and the line), when no
    event starts in the window, or when sounds cannot be mapped; EngineError when Tidal does
    not answer within ``timeout`` seconds; EngineNotFoundError naming ``ghc libghc-tidal-dev``
    when Tidal is missing.
    """
    header = parse_header(code)
    guess = bars is None and header is None
    cycles = validate_bars(bars if bars is not None else header.bars if header else 1)
    requested: PatternType | None = None
    if pattern_type is not None:
        requested = validate_pattern_type(pattern_type)
    if kit is not None:
        kit = get_kit(kit).name
    if sound is not None:
        sound = validate_sound(sound)
    time_signature = header.time_signature if header else (4, 4)
    bar_length = bar_ticks(time_signature)
    beats_per_bar = Fraction(bar_length, TICKS_PER_BEAT)

    service = ghci or get_ghci()
    if guess:
        played, cycles = _play_at_its_period(service, code, timeout)
    else:
        played = _play_with_custom_parameters(service, code, cycles, timeout)
    for problem in played.problems:
        warnings.warn(f"skipped: {problem}", stacklevel=2)
    if played.earlier:
        warnings.warn(
            "the code ends in silence (hush, or silence in every dN): imported what played "
            "before it",
            stacklevel=2,
        )
    events = [e for e in played.onsets if 0 <= e.onset < cycles]
    skipped = f"; skipped first: {played.problems[0]}" if played.problems else ""
    if not events and any(e.whole is None for e in played.events):
        raise TidalCodeError(
            "the code's patterns are continuous (such as n (irand 8) or sine with nothing "
            "giving them structure), so they start no events, as Tidal plays none either: "
            f'give them structure (segment 8, struct "t*4", or a sound pattern on the left)'
            f"{skipped}"
        )
    if not events:
        raise TidalCodeError(
            f"the code plays no events in its first {cycles} cycle{'s' if cycles != 1 else ''}"
            f" (is there a `d1 $ ...`? try --bars for a longer window){skipped}"
        )
    silent = [e for e in events if _sound(e) is None]
    if silent and len(silent) < len(events):
        # SuperDirt plays no event without a sound (a visualiser's d12 $ grid "1 0", a MIDI
        # control pattern): they are left out, said once
        warnings.warn(
            f"left out {len(silent)} event(s) with no sound (s), first at cycle "
            f"{float(silent[0].onset):g} with {silent[0].controls}",
            stacklevel=2,
        )
        events = [e for e in events if _sound(e) is not None]
    elif silent:
        raise TidalCodeError(
            f"{len(silent)} event(s) have no sound (s): first at cycle "
            f'{float(silent[0].onset):g} with {silent[0].controls}; add `# s "..."`'
        )

    tempo = _tempo(bpm, played.cps, events, beats_per_bar)
    seconds_per_tick = 60.0 / (tempo * TICKS_PER_BEAT)

    preferred = kit or (header.kit if header else None)
    numbers = [
        {k: float(v) for k, v in e.controls.items() if isinstance(v, int | float | Fraction)}
        for e in events
    ]
    drums = [
        drum_class_of(_sound(e) or "", n, preferred) or _dirt_drum(_sound(e))
        for e, n in zip(events, numbers, strict=True)
    ]
    kind: PatternType
    if requested is not None:
        kind = requested
    elif header is not None:
        kind = header.type
    elif all(d is not None for d in drums):
        kind = "drums"
    else:
        if any(d is not None for d in drums):
            # Drums and pitched sounds together (a beat with a bassline in one stack, or d1
            # drums and d2 a melody): one pattern is one of them, the one most events play.
            keep_drums = 2 * sum(d is not None for d in drums) >= len(drums)
            kept = [(d is not None) == keep_drums for d in drums]
            warnings.warn(_mixed_warning(events, kept, keep_drums), stacklevel=2)
            events = [e for e, k in zip(events, kept, strict=True) if k]
            numbers = [n for n, k in zip(numbers, kept, strict=True) if k]
            drums = [d for d, k in zip(drums, kept, strict=True) if k]
        if all(d is not None for d in drums):
            kind = "drums"
        else:
            pitches = [_pitch(e) for e in events]
            kind = "bass" if sum(pitches) / len(pitches) < BASS_BELOW else "melody"

    length = cycles * bar_length
    notes: list[Note] = []
    for event, drum in zip(events, drums, strict=True):
        assert event.whole is not None
        span = float(event.whole[1] - event.whole[0]) * bar_length
        nudge = _number(event, "nudge") or 0.0
        # the pattern loops: a note nudged past its end sounds at its start, as every later
        # cycle of Tidal plays it (and one nudged before the start, at its end)
        start = round(float(event.onset) * bar_length + nudge / seconds_per_tick) % length
        if kind == "drums":
            if drum is None:
                continue
            pitch, duration = drum.pitch, span
        else:
            pitch = _pitch(event)
            legato, sustain = _number(event, "legato"), _number(event, "sustain")
            if legato is not None:
                duration = legato * span
            elif sustain is not None:
                duration = sustain / seconds_per_tick
            else:
                duration = span
        velocity = _velocity(event)
        duration = min(max(1, round(duration)), length - start)
        notes.append(Note(start, pitch, velocity, duration))
    if kind == "drums":
        unmapped = sorted(
            {_sound(e) or "" for e, d in zip(events, drums, strict=True) if d is None}
        )
        if unmapped:
            raise TidalCodeError(
                f"sound{'s' if len(unmapped) > 1 else ''} {', '.join(unmapped)} "
                f"{'are' if len(unmapped) > 1 else 'is'} no drum of any kit "
                f"({', '.join(KITS)}); see the README's kit table, or import with --type "
                "melody"
            )

    recorded_kit = recorded_sound = None
    if kind == "drums":
        recorded_kit = preferred or _kit_of(events, numbers)
    else:
        recorded_sound = sound or Counter(_sound(e) for e in events).most_common(1)[0][0]
    key = header.key if header and kind != "drums" else None
    scale = header.scale if header and kind != "drums" else None
    return Pattern(
        tuple(merge_overlaps(notes)),
        kind,
        bars=cycles,
        bpm=tempo,
        time_signature=time_signature,
        key=key,
        scale=scale,
        kit=recorded_kit,
        sound=recorded_sound,
    )


def _tempo(
    bpm: float | None, setcps: float | None, events: list[TidalEvent], beats_per_bar: Fraction
) -> float:
    """``bpm``, else the cps the events carry (``# cps 0.75`` sets the tempo when its event
    plays, after any setcps; the first event's when they differ, with a warning), else the
    code's last setcps, else 120; one bar per cycle. TidalCodeError outside 20-400 bpm."""
    if bpm is not None:
        return validate_bpm(bpm)
    carried = [cps for e in events if (cps := _number(e, "cps")) is not None]
    if carried:
        cps, source = carried[0], "# cps"
        values = sorted(set(carried))
        if len(values) > 1:
            listing = ", ".join(f"{v:g}" for v in values[:6]) + (", ..." if values[6:] else "")
            warnings.warn(
                f"the code's events set cps to {len(values)} values ({listing}); the pattern "
                f"keeps one tempo, its first event's: {cps:g} cps",
                stacklevel=3,
            )
    elif setcps is not None:
        cps, source = setcps, "setcps"
    else:
        return DEFAULT_BPM
    tempo = cps * 60 * float(beats_per_bar)
    if not 20 <= tempo <= 400:
        raise TidalCodeError(
            f"{source} {cps:g} is {tempo:g} bpm at one bar per cycle, outside 20-400; give --bpm"
        )
    return validate_bpm(round(tempo, 9))


_NOT_IN_SCOPE: Final = re.compile(r"Variable not in scope: ([a-z][A-Za-z0-9_']*)")
_CONTROL_USE: Final = (
    r"(?:#|\|[-+*/<>%]\||\|[-+*/<>%]|[-+*/<>%]\|)\s*{name}\b"  # # name, |+| name, ...
    r"|\$\s*{name}\s+[\"\d-]"  # d12 $ name "1 0", not d1 $ name $ ... (a function)
)
MAX_CUSTOM_ROUNDS: Final = 4
"""Times the code is tried again with the custom parameters found so far (ghci names the first
unknown name of each paragraph only)."""


def _play_at_its_period(service: Ghci, code: str, timeout: float) -> tuple[Played, int]:
    """The code played over its period, and the period: the fewest cycles (1 to 4) after which
    its first 8 cycles repeat, else (5 to 8) after which its first 16 do, else 1 (random
    functions, a longer period; as do 8 cycles of more events than a reading takes)."""
    try:
        played = _play_with_custom_parameters(service, code, MAX_PERIOD, timeout)
    except TidalCodeError as error:
        if "more than" not in str(error):  # only too many events is a reason to read less
            raise
        return _play_with_custom_parameters(service, code, 1, timeout), 1
    found = period(played.onsets, MAX_PERIOD)
    if found is None:  # a period of 5 to 8 cycles shows only over 16
        longer = _play_longer(service, code, 2 * MAX_PERIOD, timeout)
        found = period(longer.onsets, 2 * MAX_PERIOD) if longer is not None else None
        if longer is not None and found is not None:
            played = longer
    return played, found or 1


def _play_longer(service: Ghci, code: str, cycles: int, timeout: float) -> Played | None:
    """The code played over ``cycles`` to look for a longer period, or None when that would be
    too many events or take too long (ghci is then restarted on the next request): the shorter
    reading stands."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the first reading said it all
            return _play_with_custom_parameters(service, code, cycles, timeout)
    except (TidalCodeError, EngineError):
        return None


def _play_with_custom_parameters(service: Ghci, code: str, cycles: int, timeout: float) -> Played:
    """The code played leniently over ``cycles``; when ghci finds names not in scope that the
    code uses as controls, played again with them defined as custom parameters, as a live
    coder's BootTidal defines them (``connectionN = pF "connectionN"``).

    A name counts when the code uses it as a control (after ``#`` or an ``|op|`` operator, or
    after ``$`` with a literal argument): a string argument with letters makes it a string
    parameter (``pS``), anything else a number (``pF``). A warning names them.
    TidalCodeError as :meth:`Ghci.play` raises it.
    """
    found: dict[str, str] = {}
    played = service.play(code, cycles, timeout, lenient=True, silent_ok=True)
    for _ in range(MAX_CUSTOM_ROUNDS):
        new = {
            name: kind
            for problem in played.problems
            for name, kind in _parameters_in(problem, code).items()
            if name not in found
        }
        if not new:
            break
        found.update(new)
        played = service.play(
            code, cycles, timeout, lenient=True, definitions=_definitions(found), silent_ok=True
        )
    if found:
        listing = ", ".join(f"{name} ({kind})" for name, kind in sorted(found.items()))
        warnings.warn(
            f"the code uses parameters that Tidal does not define: {listing}; they are "
            "defined as custom parameters, as a BootTidal that defines them would",
            stacklevel=3,
        )
    if not played.events and played.problems:
        raise TidalCodeError(played.problems[0])
    return played


def _parameters_in(problem: str, code: str) -> dict[str, str]:
    """Names a problem says are not in scope that the code uses as controls, with the kind of
    custom parameter each is (``pS`` or ``pF``)."""
    found: dict[str, str] = {}
    for name in _NOT_IN_SCOPE.findall(problem):
        if not re.search(_CONTROL_USE.format(name=re.escape(name)), code):
            continue
        strings = re.findall(rf"\b{re.escape(name)}\s*\"([^\"]*)\"", code)
        textual = any(re.search(r"[A-Za-z]", text) for text in strings)
        found[name] = "pS" if textual else "pF"
    return found


def _definitions(found: dict[str, str]) -> str:
    lines = [f'{name} = {kind} "{name}"' for name, kind in sorted(found.items())]
    return "\n".join(lines)


def _mixed_warning(events: list[TidalEvent], kept: list[bool], drums: bool) -> str:
    dropped = Counter(_sound(e) or "" for e, k in zip(events, kept, strict=True) if not k)
    names = ", ".join(sorted(dropped))
    count = sum(dropped.values())
    if drums:
        return (
            f"the code plays drums and pitched sounds: imported the drums; left out {count} "
            f"event(s) of {names}, which are no drum of any kit (import them with --type "
            "melody or --type bass)"
        )
    return (
        f"the code plays pitched sounds and drums: imported the pitched sounds; left out "
        f"{count} drum event(s) of {names} (import them with --type drums)"
    )


def _dirt_drum(sound: str | None) -> DrumClass | None:
    """The drum class of a Dirt-Samples drum folder or SuperDirt drum synth no kit plays."""
    name = DIRT_DRUMS.get(sound or "")
    return DRUM_CLASS_BY_NAME[name] if name is not None else None


def _kit_of(events: list[TidalEvent], numbers: list[dict[str, float]]) -> str | None:
    """The first kit that plays every event's sound itself, else None (the default)."""
    for name, candidate in KITS.items():
        sounds = {v.sound for v in candidate.voices.values()}
        if all(_sound(e) in sounds for e in events):
            return name
    return None
