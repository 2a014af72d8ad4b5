"""B's whole processing of its input as a crossover stage (issue 13 §4): an effect whose
sound is no UGen found by family (a ring-modulating octaver of the sound card's input, a
waveshaper written as arithmetic) gives A its way from input to output. Checked with the real
engines: the child compiles, sounds, and its output depends on that way."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from audiomancer.analyzers.synthdef import parse_synthdef
from audiomancer.evolution import synth_ops as ops
from audiomancer.evolution.synth_ops import NotApplicable
from audiomancer.generators import breed_synths
from audiomancer.supercollider import lang, nrt, scgf
from audiomancer.supercollider import syntax as sc

OCTAVER = r"""SynthDef(\octaver, { var in, out = 0, freq, hasFreq;
    in = SoundIn.ar(0);
    # freq, hasFreq = Pitch.kr(in);
    Out.ar(out, SinOsc.ar(freq: freq * 0.5) * in + in)
})"""
"""A ring modulator an octave below the pitch of the sound card's input."""
SHAPER = r"""SynthDef(\shaper, { |out = 0, gate = 1|
    var source = In.ar(out, 2);
    var env = Linen.kr(gate, 0.0, 1, 0.1, 2);
    var excess = (source.abs - 0.1).max(0.0).min(0.9) / 0.9;
    XOut.ar(out, env, (source + (excess * (sin(excess * 2pi * 5) * 0.5 - 0.5))) * env)
})"""
"""A waveshaper written as arithmetic on its bus."""
LEAD = r"""SynthDef(\lead, { |out = 0, freq = 330, amp = 0.3, gate = 1|
    var env = EnvGen.kr(Env.adsr(0.01, 0.2, 0.6, 0.3), gate, doneAction: 2);
    var sig = VarSaw.ar(freq, 0, 0.3) * 0.8;
    Out.ar(out, (sig * env * amp).dup)
})"""


def _labels(b: str) -> list[tuple[str, str]]:
    stages, _ = ops.crossover_stages(sc.parse(LEAD), sc.parse(b))
    return [(s.kind, s.label) for s in stages]


def test_b_s_way_from_its_input_to_its_output_is_its_stage_when_no_family_is_found() -> None:
    assert _labels(OCTAVER) == [("effect", ops.PROCESSING)]
    stages, _ = ops.crossover_stages(sc.parse(LEAD), sc.parse(OCTAVER))
    assert {"Pitch", "SinOsc"} <= stages[0].new_classes
    child, log = ops.crossover_with(sc.parse(LEAD), sc.parse(OCTAVER), stages[0],
                                    random.Random(0))  # fmt: skip
    assert log[0] == "Effect from B: its whole processing of its input (Pitch, SinOsc)"
    text = sc.print_code(child)
    assert "SoundIn" not in text
    assert "sig = SinOsc.ar(freq: (Pitch.kr(sig))[0] * 0.5) * sig + sig;" in text


def test_a_waveshaper_written_as_arithmetic_is_such_a_stage() -> None:
    stages, _ = ops.crossover_stages(sc.parse(LEAD), sc.parse(SHAPER))
    assert [(s.label, s.new_classes) for s in stages] == [(ops.PROCESSING, frozenset())]
    _, log = ops.crossover_with(sc.parse(LEAD), sc.parse(SHAPER), stages[0], random.Random(0))
    assert log[0] == "Effect from B: its whole processing of its input (abs, max, min, sin)"


def test_b_that_only_passes_its_input_on_has_no_stage_to_give() -> None:
    through = r"SynthDef(\thru, { |out = 0| Out.ar(out, In.ar(20, 2) * 0.5) })"
    with pytest.raises(NotApplicable, match="only passes its input on"):
        ops.crossover(sc.parse(LEAD), sc.parse(through), random.Random(0))


def test_b_with_a_stage_found_by_family_gives_that_stage_not_its_whole_way() -> None:
    reverb = r"""SynthDef(\verb, { |out = 0|
        var in = In.ar(out, 2);
        ReplaceOut.ar(out, FreeVerb.ar(in, 0.5, 0.8).tanh)
    })"""
    assert _labels(reverb) == [("effect", "FreeVerb")]


def _operators(code: str) -> int:
    graph = scgf.read_scgf(lang.compile_synthdef(code))
    counts = Counter(graph.ugens[i].name for i in graph.output_dependencies())
    return counts["BinaryOpUGen"] + counts["UnaryOpUGen"]


def test_children_of_the_octaver_and_the_waveshaper_sound_through_b_s_way(engines: None) -> None:
    lead = parse_synthdef(LEAD)
    octave = breed_synths(lead, parse_synthdef(OCTAVER), seed=0)
    assert octave.mutation_log[0].startswith("Effect from octaver: its whole processing")
    assert "Pitch" in scgf.read_scgf(lang.compile_synthdef(octave.source_code)).output_classes()
    shaped = breed_synths(lead, parse_synthdef(SHAPER), seed=0)
    assert shaped.mutation_log[0].startswith("Effect from shaper: its whole processing")
    assert _operators(shaped.source_code) > _operators(LEAD)
    for child in (octave, shaped):
        assert nrt.render_phrase(lang.compile_synthdef(child.source_code), 1.0).audible
