"""The UGen vocabularies the operators know: oscillator and filter signatures, effects, limits."""

from __future__ import annotations

from typing import Final, Literal

OSC_SIGNATURES: Final[dict[str, tuple[str, ...]]] = {
    "Saw": ("freq", "mul", "add"),
    "Pulse": ("freq", "width", "mul", "add"),
    "SinOsc": ("freq", "phase", "mul", "add"),
    "FSinOsc": ("freq", "iphase", "mul", "add"),
    "LFTri": ("freq", "iphase", "mul", "add"),
    "LFSaw": ("freq", "iphase", "mul", "add"),
    "LFPar": ("freq", "iphase", "mul", "add"),
    "LFCub": ("freq", "iphase", "mul", "add"),
    "VarSaw": ("freq", "iphase", "width", "mul", "add"),
    "LFPulse": ("freq", "iphase", "width", "mul", "add"),
    "SyncSaw": ("syncFreq", "sawFreq", "mul", "add"),
    "Blip": ("freq", "numharm", "mul", "add"),
}
"""Argument names of the oscillators a mutation swaps (all give a pitched, bipolar signal)."""

OSC_TARGETS: Final = (
    "Saw",
    "Pulse",
    "SinOsc",
    "LFTri",
    "VarSaw",
    "LFSaw",
    "LFPar",
    "LFCub",
    "Blip",
    "SyncSaw",
)
"""What an oscillator may become (LFPulse is unipolar and FSinOsc ignores modulation: not)."""

FILTER_SIGNATURES: Final[dict[str, tuple[str, ...]]] = {
    "LPF": ("in", "freq", "mul", "add"),
    "HPF": ("in", "freq", "mul", "add"),
    "RLPF": ("in", "freq", "rq", "mul", "add"),
    "RHPF": ("in", "freq", "rq", "mul", "add"),
    "BLowPass": ("in", "freq", "rq", "mul", "add"),
    "BLowPass4": ("in", "freq", "rq", "mul", "add"),
    "BHiPass": ("in", "freq", "rq", "mul", "add"),
    "BHiPass4": ("in", "freq", "rq", "mul", "add"),
    "MoogFF": ("in", "freq", "gain", "reset", "mul", "add"),
    "DFM1": ("in", "freq", "res", "inputgain", "type", "noiselevel", "mul", "add"),
    "MoogLadder": ("in", "ffreq", "res", "mul", "add"),
    "BPF": ("in", "freq", "rq", "mul", "add"),
    "Resonz": ("in", "freq", "bwr", "mul", "add"),
}
FILTER_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "lowpass": ("LPF", "RLPF", "MoogFF", "BLowPass", "BLowPass4", "DFM1", "MoogLadder"),
    "highpass": ("HPF", "RHPF", "BHiPass", "BHiPass4"),
    "bandpass": ("BPF", "Resonz"),
}
"""Filters swap within their group, so a low-pass stays a low-pass."""

ResonanceKind = Literal["rq", "moog", "unit"]
RESONANCE: Final[dict[str, tuple[str, ResonanceKind]]] = {
    "RLPF": ("rq", "rq"), "RHPF": ("rq", "rq"), "BLowPass": ("rq", "rq"),
    "BLowPass4": ("rq", "rq"), "BHiPass": ("rq", "rq"), "BHiPass4": ("rq", "rq"),
    "BPF": ("rq", "rq"), "Resonz": ("bwr", "rq"), "MoogFF": ("gain", "moog"),
    "DFM1": ("res", "unit"), "MoogLadder": ("res", "unit"),
}  # fmt: skip
GUARDED_FILTERS: Final = frozenset(
    {"BLowPass", "BLowPass4", "BHiPass", "BHiPass4", "DFM1", "MoogLadder"}
)
"""Filters whose frequency is kept below Nyquist with ``.clip(20, 18000)`` when swapped in."""

EffectKind = Literal["serial", "parallel"]
EFFECT_KINDS: Final[dict[str, EffectKind]] = {
    "FreeVerb": "serial", "GVerb": "serial", "JPverb": "serial", "Greyhole": "serial",
    "Decimator": "serial", "CrossoverDistortion": "serial", "Disintegrator": "serial",
    "SineShaper": "serial", "Squiz": "serial", "SmoothDecimator": "serial",
    "CombN": "parallel", "CombL": "parallel", "CombC": "parallel", "AllpassN": "parallel",
    "AllpassL": "parallel", "AllpassC": "parallel", "DelayN": "parallel", "DelayL": "parallel",
    "DelayC": "parallel", "PitchShift": "parallel", "FreqShift": "parallel",
    "PingPong": "parallel", "BufDelayN": "parallel", "BufDelayL": "parallel",
    "BufDelayC": "parallel", "BufCombN": "parallel", "BufCombL": "parallel",
    "BufCombC": "parallel", "BufAllpassN": "parallel", "BufAllpassL": "parallel",
    "BufAllpassC": "parallel",
}  # fmt: skip
"""Effects that take their input first: a serial one replaces the signal, a parallel one (a
delay, an echo) is mixed in beside it. Dynamics (Limiter, Compander) are not mixed."""

BUFFER_DELAYS: Final[dict[str, int]] = {
    name: 1 for name in EFFECT_KINDS if name == "PingPong" or name.startswith("Buf")
}
"""Effects that run on a buffer they write themselves: the buffer is their first input, the
signal the one given (:mod:`~audiomancer.evolution.synth_ops.buffer_delays`)."""

ENV_CLASSES: Final = frozenset({"EnvGen", "IEnvGen", "Linen", "Line", "XLine", "Env"})
SOUND_FAMILIES: Final = frozenset({"oscillator", "noise", "filter"})
STRUCTURAL: Final = frozenset(
    {
        "out",
        "in",
        "inbus",
        "outbus",
        "bus",
        "buf",
        "bufnum",
        "buffer",
        "gate",
        "doneaction",
        "trig",
        "seed",
        "note",
        "midinote",
    }
)
LEVEL_WORDS: Final = frozenset({"amp", "vel", "velocity", "gain", "level", "vol", "volume"})
SIGNAL_NAMES: Final = ("sig", "snd", "son", "signal", "sound", "audio", "out", "x")

DEFAULT_STEPS: Final = (0.05, 0.10, 0.15, 0.20)
"""A control default moves by one of these fractions (of its value, or of its range)."""
ENVELOPE_STEPS: Final = (0.10, 0.20, 0.30)
"""An envelope time moves by one of these fractions of itself (the spec's ±30%)."""
CURVES: Final = (-8, -6, -4, -2, 0, 2, 4)
MAX_TIME: Final = 30.0
MIN_TIME: Final = 0.0005
NYQUIST_GUARD: Final = 18000.0
