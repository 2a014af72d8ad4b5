"""UGen families: which SuperCollider classes make sound, shape it, filter it or carry it out.

Sections of a SynthDef (oscillator, filter, envelope, effects) are found by family in the
parsed graph, never by position (DESIGN §4). A class not listed here is "other" and passes
through every operator untouched. Oscillators and noise sources called at control rate
(``.kr``) are LFOs: they modulate rather than sound.
"""

from __future__ import annotations

from typing import Final, Literal

Family = Literal[
    "oscillator", "noise", "filter", "envelope", "effect", "pan", "output", "lfo", "other"
]  # fmt: skip

FAMILIES: Final[tuple[Family, ...]] = (
    "oscillator", "noise", "filter", "envelope", "effect", "pan", "output", "lfo", "other",
)  # fmt: skip

# Oscillators that can stand in for one another (a mutation swaps within this list: all take
# ``freq`` first and give a bipolar signal around 0).
SWAPPABLE_OSCILLATORS: Final = ("Saw", "Pulse", "SinOsc", "LFTri", "VarSaw", "LFSaw", "LFPar",
                                "LFCub", "SyncSaw", "Blip", "FSinOsc", "LFPulse")  # fmt: skip
# Low-pass-like filters taking (in, freq, ...): a mutation swaps within this list.
SWAPPABLE_FILTERS: Final = ("LPF", "RLPF", "MoogFF", "BLowPass", "BLowPass4", "DFM1",
                            "MoogLadder", "BPF", "Resonz")  # fmt: skip

_OSCILLATORS: Final = frozenset({
    *SWAPPABLE_OSCILLATORS, "Formant", "PMOsc", "Osc", "OscN", "COsc", "VOsc", "VOsc3",
    "Klang", "DynKlang", "Pluck", "Gendy1", "Gendy2", "Gendy3", "SawDPW", "PulseDPW", "DPW3Tri",
    "DPW4Saw", "Impulse", "Vibrato", "Phasor", "SinOscFB", "PlayBuf", "Klank", "DynKlank",
    "Saw2", "LFGauss", "Logistic", "Crackle", "Spring", "Ball",
    "MdaPiano", "FM7",  # sc3-plugins instruments: a whole voice from a frequency
})  # fmt: skip
_NOISE: Final = frozenset({
    "WhiteNoise", "PinkNoise", "BrownNoise", "GrayNoise", "ClipNoise", "Dust", "Dust2",
    "LFNoise0", "LFNoise1", "LFNoise2", "LFClipNoise", "LFDNoise0", "LFDNoise1", "LFDNoise3",
    "LFDClipNoise", "Rand", "IRand", "ExpRand", "NRand", "LinRand", "TRand", "TExpRand",
    "TIRand", "CoinGate",
})  # fmt: skip
_FILTERS: Final = frozenset({
    *SWAPPABLE_FILTERS, "HPF", "BRF", "RHPF", "Ringz", "Formlet", "OnePole", "OneZero",
    "TwoPole", "TwoZero", "BHiPass", "BHiPass4", "BBandPass", "BBandStop", "BPeakEQ",
    "BLowShelf", "BHiShelf", "MidEQ", "SOS", "FOS", "Median", "Slew", "Integrator", "Lag",
    "Lag2", "Lag3", "LagUD", "VarLag", "Ramp", "LeakDC", "RLPFD", "MoogVCF", "BMoog",
    "Streson", "Friction", "Decay", "Decay2",
})  # fmt: skip
_ENVELOPES: Final = frozenset({"EnvGen", "IEnvGen", "Linen", "Line", "XLine", "Env", "Done",
                               "DetectSilence", "FreeSelf", "FreeSelfWhenDone"})  # fmt: skip
_EFFECTS: Final = frozenset({
    "FreeVerb", "FreeVerb2", "GVerb", "JPverb", "Greyhole", "CombN", "CombL", "CombC",
    "AllpassN", "AllpassL", "AllpassC", "DelayN", "DelayL", "DelayC", "BufDelayN",
    "BufCombN", "Limiter", "Compander", "Normalizer", "Decimator", "CrossoverDistortion",
    "Disintegrator", "SineShaper", "Shaper", "PitchShift", "FreqShift", "Latch",
    "Gate", "Squiz", "SmoothDecimator",
})  # fmt: skip
_PANNING: Final = frozenset({"Pan2", "Pan4", "PanAz", "Balance2", "LinPan2", "Splay",
                             "SplayAz", "Rotate2", "XFade2", "LinXFade2", "Mix"})  # fmt: skip
OUTPUTS: Final = frozenset({"Out", "OffsetOut", "ReplaceOut", "XOut"})


def family_of(class_name: str, rate: str | None = None) -> Family:
    """The family of a UGen class as called at ``rate`` ("ar", "kr", "ir" or None).

    >>> family_of("Saw", "ar"), family_of("SinOsc", "kr"), family_of("MoogFF", "ar")
    ('oscillator', 'lfo', 'filter')
    """
    if class_name in OUTPUTS:
        return "output"
    if class_name in _OSCILLATORS or class_name in _NOISE:
        if rate == "kr" and class_name not in ("Rand", "IRand", "ExpRand", "NRand", "LinRand"):
            return "lfo"
        return "oscillator" if class_name in _OSCILLATORS else "noise"
    if class_name in _FILTERS:
        return "filter"
    if class_name in _ENVELOPES:
        return "envelope"
    if class_name in _EFFECTS:
        return "effect"
    if class_name in _PANNING:
        return "pan"
    return "other"


def is_known(class_name: str) -> bool:
    """True for a class this table places in a family."""
    return family_of(class_name) != "other"
