"""What a control does, guessed from its name (:func:`role_of`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final, Literal

from audiomancer.evolution.synth_ops.tables import MAX_TIME, MIN_TIME, STRUCTURAL


@dataclass(frozen=True)
class Role:
    """What a control does, guessed from its name: its sensible range and how to modulate it."""

    name: str
    low: float
    high: float
    scale: Literal["log", "lin"]
    lfo: Literal["exp", "lin", "add", "vibrato", "tremolo"] | None = None
    weight: int = 1
    """Preference when an LFO target is picked (filter cutoffs first)."""


_ROLES: Final[tuple[tuple[frozenset[str], Role], ...]] = (
    (frozenset({"cutoff", "cut", "ffreq", "fc", "cf", "filt", "filter", "lpf", "hpf", "bright",
                "brightness", "ctf", "lpfreq", "hpfreq"}),
     Role("cutoff", 20.0, 18000.0, "log", "exp", 5)),
    (frozenset({"rq", "bwr"}), Role("rq", 0.05, 1.0, "lin", "lin")),
    (frozenset({"res", "reso", "resonance", "q"}), Role("resonance", 0.0, 1.0, "lin", "lin")),
    (frozenset({"width", "pw", "pwm", "duty"}), Role("width", 0.02, 0.98, "lin", "add", 2)),
    (frozenset({"pan", "pos"}), Role("pan", -1.0, 1.0, "lin", "add")),
    (frozenset({"atk", "attack", "dec", "decay", "rel", "release", "time", "dur", "sweep",
                "slide", "glide", "lag", "porta", "hold", "echo", "delay"}),
     Role("time", MIN_TIME, MAX_TIME, "log")),
    (frozenset({"sus", "sustain"}), Role("level", 0.0, 1.0, "lin")),
    (frozenset({"rate", "speed", "lfo", "leslie", "morph", "tremolo"}),
     Role("rate", 0.01, 40.0, "log", "lin")),
    (frozenset({"detune", "spread", "drift", "chorus"}), Role("detune", 0.0, 10.0, "log", "lin")),
    (frozenset({"mix", "wet", "dry", "room", "damp", "depth", "vibrato", "metal", "tone",
                "snappy", "click", "coef", "drawbars", "harmonics", "vowel", "noise", "sub"}),
     Role("mix", 0.0, 1.0, "lin", "lin")),
    (frozenset({"drive", "dist", "index", "ratio", "punch", "drop", "envmod", "amount", "rise",
                "fm", "mod"}),
     Role("amount", 0.0, 100.0, "log", "lin")),
)  # fmt: skip
_FREQ_ROLE: Final = Role("freq", 20.0, 20000.0, "log", "vibrato")
_AMP_ROLE: Final = Role("amp", 0.0, 1.0, "lin", "tremolo")


_DISCRETE: Final = frozenset(
    {"shape", "curve", "interp", "interpolation", "id", "idx", "chan", "chans", "channel",
     "channels", "num", "numchannels", "mode", "type", "sel", "select", "which", "wave",
     "waveform", "loop", "seed", "bufnum", "buffer", "buf", "bus", "sample", "slot", "voice",
     "choice", "preset", "algo", "algorithm", "note"}
)  # fmt: skip
"""Words of integer or enumerated controls (buffers, buses, channels, ids, interpolation and
curve selectors): their defaults are never moved by fractions, nor modulated."""


def _name_tokens(name: str) -> list[str]:
    return [t.lower() for t in re.findall(r"[a-z]+|[A-Z][a-z]*|\d+", name)]


def role_of(name: str) -> Role | None:
    """The :class:`Role` of a control by its name; None for structural controls (out, gate...).

    >>> role_of("cutoff").name, role_of("filterFreq").name, role_of("out")
    ('cutoff', 'cutoff', None)
    """
    if name.startswith("t_"):
        return None
    bare = name[2:] if name.startswith("i_") else name
    lowered = bare.lower()
    if lowered in STRUCTURAL or lowered.startswith(("bus", "buf")):
        return None
    if any(token in _DISCRETE for token in [lowered, *_name_tokens(bare.replace("_", " "))]):
        return None
    if lowered == "freq":
        return _FREQ_ROLE
    if lowered in ("amp", "vel", "velocity", "level"):
        return _AMP_ROLE
    tokens = _name_tokens(bare)
    for words, role in _ROLES:
        if lowered in words or any(token in words for token in tokens):
            return role
    return Role("other", 0.0, math.inf, "log", "lin")
