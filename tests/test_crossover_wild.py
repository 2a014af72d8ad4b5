"""Crossover with parents like those of real-world libraries (issue 13 §4): control synths
that only write an LFO to a bus, synths that read their pitch from a control bus. Each child
is checked with the real engines: it compiles, sounds, and its compiled output depends on a
UGen of B."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from audiomancer.analyzers.synthdef import SynthDefInfo, parse_synthdef
from audiomancer.errors import SynthDefError
from audiomancer.evolution import synth_ops as ops
from audiomancer.evolution.synth_ops.bus_reads import bus_reads_as_controls
from audiomancer.evolution.synth_ops.loops import loops_as_expressions
from audiomancer.generators import GeneratedSynth, breed_synths
from audiomancer.supercollider import lang, library, nrt, scgf
from audiomancer.supercollider import syntax as sc

LFO_TO_BUS = r"""SynthDef(\wander, { |out = 0|
    Out.kr(out, LFNoise1.kr(0.3, 200, 800))
})"""
"""A control synth: nothing but an LFO written to a control bus (no sound, no stage)."""
BUS_PITCH = r"""SynthDef(\buspitch, { |out = 0, amp = 0.2|
    Out.ar(out, (Saw.ar(In.kr(0)) * amp).dup)
})"""
"""Plays at whatever frequency a control bus holds: 0 Hz when nothing writes it."""
BUS_SINE = r"""SynthDef(\bussine, { |out = 0, in = 0|
    Out.ar(out, SinOsc.ar(In.kr(in, 1), 0, 0.1))
})"""
THRU = r"""SynthDef(\thru, { |out = 0| Out.ar(out, In.ar(20, 2)) })"""
CONTROL_SINE = r"""SynthDef(\ksine, { |out = 0| Out.kr(out, SinOsc.kr(2)) })"""
PAD = r"""SynthDef(\pad, { |out = 0, freq = 220, amp = 0.2|
    Out.ar(out, (LFTri.ar(freq) * amp).dup)
})"""


def _info(code: str) -> SynthDefInfo:
    return parse_synthdef(code)


def _output_classes(child: GeneratedSynth) -> set[str]:
    return scgf.read_scgf(lang.compile_synthdef(child.source_code)).output_classes()


def _sounds(child: GeneratedSynth) -> bool:
    return nrt.render_phrase(lang.compile_synthdef(child.source_code), 1.0).audible


def test_an_lfo_on_a_control_bus_is_a_stage_that_modulates_a() -> None:
    a = sc.parse(library.template_path("tb303").read_text())
    stages, _ = ops.crossover_stages(a, sc.parse(LFO_TO_BUS))
    assert [(s.kind, s.label) for s in stages] == [("modulator", "LFNoise1")]
    child, log = ops.crossover(a, sc.parse(LFO_TO_BUS), random.Random(1))
    assert log[0] == "Modulator from B: LFNoise1 sweeps the RLPF frequency"
    text = sc.print_code(child)
    assert "LFNoise1.kr(0.3).exprange(" in text  # B's rate, without B's mul and add
    assert "200, 800" not in text


def test_a_breeds_with_a_control_synth_whose_lfo_it_then_depends_on(engines: None) -> None:
    child = breed_synths(_info(PAD), _info(LFO_TO_BUS), seed=0)
    assert child.mutation_log[0] == "Modulator from wander: LFNoise1 sweeps the pitch"
    assert "LFNoise1" in _output_classes(child)
    assert _sounds(child)


LOUD_SAW = r"""SynthDef(\loudsaw, { |out = 0, freq = 110|
    Out.ar(out, RLPF.ar(Saw.ar(freq), 900, 0.05, 4000).dup)
})"""
"""Far above full scale (a resonant filter at mul 4000): no level step brings it down."""


@pytest.mark.parametrize(
    ("code", "stage", "ugen", "why"),
    [
        (
            LFO_TO_BUS,
            "Modulator from wander: LFNoise1 sweeps the pitch",
            "LFNoise1",
            "nothing audible",
        ),
        (LOUD_SAW, "Oscillator from loudsaw: Saw layered with LFTri", "Saw", "it peaks at"),
    ],
    ids=["control_synth", "too_loud"],
)
def test_an_a_that_cannot_be_heard_alone_gives_its_stage_to_b(
    engines: None, code: str, stage: str, ugen: str, why: str
) -> None:
    a = _info(code)
    child = breed_synths(a, _info(PAD), seed=0)
    lead = child.mutation_log[0]
    assert lead.startswith(f"{a.name} cannot be heard alone, so pad plays with a stage of {a.name}")
    assert why in lead
    assert stage in child.mutation_log
    assert child.name == f"{a.name}_x_pad" and child.parent_ids == [a.name, "pad"]
    classes = _output_classes(child)
    assert {"LFTri", ugen} <= classes  # B's sound, and A's stage in it
    assert _sounds(child)


def test_when_neither_parent_can_be_heard_alone_a_s_reason_is_given(engines: None) -> None:
    with pytest.raises(SynthDefError, match=r"'wander' is silent at its default controls"):
        breed_synths(_info(LFO_TO_BUS), _info(CONTROL_SINE), seed=0)


ECHO = r"""SynthDef(\echo, { |out = 0, dtime = 0.2, decay = 2|
    var in = In.ar(out, 2);
    ReplaceOut.ar(out, CombL.ar(in, 0.2, dtime, decay, 1, in))
})"""
"""An effect: silent alone, heard fed the test signal on the bus it reads."""


def test_an_a_that_cannot_be_heard_alone_gives_its_stage_to_an_effect_b(engines: None) -> None:
    from audiomancer.generators.synth_checks import audition

    child = breed_synths(_info(LFO_TO_BUS), _info(ECHO), seed=0)
    assert child.mutation_log[0].startswith(
        "wander cannot be heard alone, so echo plays with a stage of wander"
    )
    assert child.mutation_log[1].startswith("Modulator from wander: LFNoise1 sweeps")
    assert {"In", "CombL", "LFNoise1"} <= _output_classes(child)  # still B's effect
    assert not audition(child.source_code).audible  # an effect, as B is
    assert audition(child.source_code, test_input=True).audible


def test_an_unheard_a_with_nothing_for_an_effect_b_gives_both_reasons(engines: None) -> None:
    level_from_bus = r"SynthDef(\kbus, { Out.ar(0, SinOsc.ar(440, 0, In.kr(0)) ! 2) })"
    with pytest.raises(SynthDefError) as raised:
        breed_synths(_info(level_from_bus), _info(ECHO), seed=0)
    message = str(raised.value)
    assert message.startswith(
        "SynthDef 'kbus' is silent at its default controls (it reads a control bus with In.kr"
    )
    assert "; and no stage of 'kbus' can be combined with 'echo': " in message


def test_a_pitch_read_from_a_control_bus_becomes_a_freq_control() -> None:
    program, log = bus_reads_as_controls(sc.parse(BUS_PITCH))
    assert log == ["Frequency read from a control bus (In.kr) → control freq (440 Hz)"]
    assert "Saw.ar(freq)" in sc.print_code(program)
    assert "freq = 440" in sc.print_code(program)
    untouched = r"SynthDef(\x, { Out.ar(0, SinOsc.ar(300, 0, In.kr(1)) + Saw.ar(In.kr(2, 2))) })"
    assert bus_reads_as_controls(sc.parse(untouched)) == (sc.parse(untouched), [])


FOXDOT_STYLE = r"""SynthDef.new(\fox, {|amp = 1, sus = 1, bus = 0, freq = 0, fmod = 0|
    var osc;
    freq = In.kr(bus, 1);
    freq = freq + fmod;
    osc = SinOsc.ar(freq * 2, mul: amp / 4) * EnvGen.ar(Env.perc(0.01, sus));
    ReplaceOut.ar(bus, Pan2.ar(osc))
})"""
"""The pitch is written to a control bus by another synth and read over the argument."""


def test_a_pitch_assigned_from_a_bus_over_its_argument_is_that_argument_again() -> None:
    program, log = bus_reads_as_controls(sc.parse(FOXDOT_STYLE))
    assert log == ["Frequency read from a control bus (In.kr) → control freq (440 Hz)"]
    text = sc.print_code(program)
    assert "In.kr" not in text and "freq = 440" in text and "freq = freq + fmod;" in text


def test_a_silent_a_reading_its_pitch_from_a_bus_breeds_at_a_freq_control(
    engines: None,
) -> None:
    child = breed_synths(_info(BUS_PITCH), _info(PAD), seed=0)
    assert child.mutation_log[0] == (
        "Frequency read from a control bus (In.kr) → control freq (440 Hz)"
    )
    assert "freq" in [c.name for c in child.controls]
    assert "LFTri" in _output_classes(child)
    assert _sounds(child)


def test_b_s_oscillator_at_a_bus_read_pitch_moves_at_a_s_pitch(engines: None) -> None:
    stages, _ = ops.crossover_stages(sc.parse(PAD), sc.parse(BUS_SINE))
    assert ("oscillator", "SinOsc") in [(s.kind, s.label) for s in stages]
    child, _ = ops.crossover(sc.parse(PAD), sc.parse(BUS_SINE), random.Random(0))
    assert "SinOsc.ar(freq, 0, 0.1)" in sc.print_code(child)  # A's own freq control
    fed = breed_synths(_info(THRU), _info(BUS_SINE), seed=0)  # a bus effect fed B's sine
    assert fed.mutation_log[0] == "Source from bussine: SinOsc feeds In"
    assert "SinOsc" in _output_classes(fed)
    assert _sounds(fed)


GLIDING_COMB = r"""SynthDef(\glidecomb, { |out = 0, freq = 400, decay = 2|
    var in = In.ar(out, 2);
    freq = Lag3.kr(freq, 0.1);
    XOut.ar(out, 1, CombN.ar(in, 0.05, freq.reciprocal, decay))
})"""
"""An argument given a new value before the stage reads it: the comb glides to each pitch."""


def test_an_argument_b_gives_a_new_value_moves_with_that_value() -> None:
    stages, _ = ops.crossover_stages(sc.parse(PAD), sc.parse(GLIDING_COMB))
    (comb,) = [s for s in stages if s.label == "CombN"]
    assert "Lag3" in comb.new_classes
    child, _ = ops.crossover_with(sc.parse(PAD), sc.parse(GLIDING_COMB), comb, random.Random(0))
    assert "0.05, Lag3.kr(freq, 0.1).reciprocal, decay)" in sc.print_code(child)
    # a value read from a control bus is what a player sets: the argument itself moves
    stages, _ = ops.crossover_stages(sc.parse(PAD), sc.parse(FOXDOT_STYLE))
    assert all("In" not in s.new_classes for s in stages)


GRAINS = r"""SynthDef(\grains, { |out = 0, sndbuf = 0, envbuf = 0, rate = 1|
    var pos = LFNoise2.kr(0.1).range(0, 1);
    Out.ar(out, GrainBuf.ar(2, Impulse.kr(20), 0.1, sndbuf, rate, pos, 2, 0, envbuf) * 0.5)
})"""
"""A granulator of a sound file: silent where no buffer is loaded."""


def test_a_granulator_of_a_buffer_granulates_b_s_source(engines: None) -> None:
    child = breed_synths(_info(GRAINS), _info(PAD), seed=0)
    assert child.mutation_log[0] == (
        "Source from pad: LFTri granulated by GrainIn (in place of GrainBuf)"
    )
    assert "GrainIn.ar(2, Impulse.kr(20), 0.1, LFTri.ar(freq) * 0.25, 0, -1)" in (
        child.source_code
    )  # A's trigger, grain length and pan; GrainIn's own envelope
    assert {c.name for c in child.controls} == {"out", "freq"}  # the buffer controls went
    assert {"GrainIn", "LFTri"} <= _output_classes(child)
    assert _sounds(child)


BUS_CHORUS_COMP = r"""SynthDef(\choruscomp, { |out = 0, gate = 1|
    var source = In.ar(out, 2);
    var chorus = Splay.ar(Array.fill(3, { |i|
        DelayC.ar(source[0], 0.02, LFNoise1.kr(0.2 + i, 0.005, 0.01))
    }));
    chorus = Compander.ar(4 * (source + chorus), source, 0.4, 1, 4);
    XOut.ar(out, Linen.kr(gate, 0.1, 1, 0.1, 2), chorus)
})"""
"""A bus effect that picks a channel of its input and compresses keyed by its input."""


def test_b_s_effect_takes_a_s_signal_wherever_it_read_its_own_input(engines: None) -> None:
    stages, reasons = ops.crossover_stages(sc.parse(PAD), sc.parse(BUS_CHORUS_COMP))
    labels = [(s.kind, s.label) for s in stages]
    assert ("effect", "DelayC") in labels and ("effect", "Compander") in labels, reasons
    for stage in stages:
        if stage.kind != "effect":
            continue
        child, _ = ops.crossover_with(sc.parse(PAD), sc.parse(BUS_CHORUS_COMP), stage,
                                      random.Random(0))  # fmt: skip
        text = sc.print_code(child)
        assert "In.ar" not in text
        if stage.label == "Compander":  # keyed by A's signal, where B's by its own input
            signal = "(LFTri.ar(freq) * amp).dup"
            assert f"Compander.ar({signal}, {signal}, 0.4, 1, 4)" in text
        else:  # A's mono signal has no channel 0 to index: it is picked by wrapAt
            assert ".asArray.wrapAt(0)" in text
        lang.compile_synthdef(text)


LOOP_REVERB = r"""SynthDef(\loopverb, { |out = 0, decay = 4|
    var zout = In.ar(out, 2);
    6.do({ zout = AllpassN.ar(zout, 0.04, { Rand(0.001, 0.04) }.dup, decay) });
    ReplaceOut.ar(out, zout)
})"""
"""A Schroeder-style diffuser: a loop that runs the signal through AllpassN six times."""


def test_a_loop_running_b_s_signal_through_a_ugen_moves_whole(engines: None) -> None:
    rewritten = sc.print_code(loops_as_expressions(sc.parse(LOOP_REVERB)))
    assert lang.compile_synthdef(rewritten) == lang.compile_synthdef(LOOP_REVERB)  # same graph
    stages, reasons = ops.crossover_stages(sc.parse(PAD), sc.parse(LOOP_REVERB))
    assert [(s.kind, s.label) for s in stages] == [("effect", "AllpassN")], reasons
    child, _ = ops.crossover(sc.parse(PAD), sc.parse(LOOP_REVERB), random.Random(0))
    text = sc.print_code(child)
    assert "Array.series(6).inject(" in text
    assert "{ |zout2, i| AllpassN.ar(zout2, 0.04, { Rand(0.001, 0.04) }.dup, decay) }" in text
    bred = breed_synths(_info(PAD), _info(LOOP_REVERB), seed=0)
    assert bred.mutation_log[0] == "Effect from loopverb: AllpassN"
    assert "AllpassN" in _output_classes(bred)
    assert _sounds(bred)


NOISE_FFT = r"""SynthDef(\brick, {
    var in = WhiteNoise.ar(0.2), chain;
    chain = FFT(LocalBuf(2048), in);
    chain = PV_BrickWall(chain, 0.1);
    Out.ar(0, IFFT(chain) ! 2)
})"""
"""Spiky noise: its peak differs by a third from one (unseeded) render to the next."""


def test_a_child_with_noise_of_its_own_keeps_a_margin_below_full_scale(engines: None) -> None:
    child = breed_synths(_info(NOISE_FFT), _info(PAD), seed=0)
    scgf_bytes = lang.compile_synthdef(child.source_code)
    peaks = [nrt.render_phrase(scgf_bytes, 1.0).peak for _ in range(6)]
    assert max(peaks) < 0.7, peaks  # kept at <= 0.5 in its audition (0.77-0.83 unscaled)


def test_an_sc3_plugins_voice_of_b_is_a_stage_found_by_family(engines: None) -> None:
    """FoxDot's piano is MdaPiano alone (sc3-plugins): an oscillator, which A takes."""
    corpus = Path(__file__).parent / "synthdefs_wild"
    piano = parse_synthdef(corpus / "foxdot_piano.scd")
    child = breed_synths(parse_synthdef(corpus / "foxdot_ambi.scd"), piano, seed=1)
    assert child.mutation_log[0] == "Oscillator from piano: MdaPiano layered with Klank"
    assert "MdaPiano" in _output_classes(child)
    assert _sounds(child)


SWEPT_RESONANCE = r"""SynthDef(\swept, { |out = 0, gate = 1, rate = 0.3|
    var env = Linen.kr(gate, 0.05, 1, 0.4, 2);
    var in = In.ar(out, 2);
    XOut.ar(out, env, RLPF.ar(in, LinExp.kr(LFNoise1.kr(rate), -1, 1, 200, 8000), 0.1))
})"""
"""A resonant filter swept by noise (a help file's wah): how loud it rings depends on where
the noise takes it, so renders of a child with it differ several times over in peak."""
SINE_GRAIN = r"""SynthDef(\grain, { |out = 0, freq = 440, sustain = 0.05|
    var env = Env.perc(0.01, sustain, 0.2).kr(doneAction: Done.freeSelf);
    Out.ar(out, SinOsc.ar(freq, 0.5pi, env))
})"""


def test_a_child_whose_noise_varies_its_peak_is_measured_at_its_loudest(engines: None) -> None:
    child = breed_synths(_info(SINE_GRAIN), _info(SWEPT_RESONANCE), seed=0)
    assert child.mutation_log[0] == "Filter from swept: added RLPF"
    scgf_bytes = lang.compile_synthdef(child.source_code)
    # peaks of 0.21 to 1.46 over twelve renders unscaled: audition at several seeds
    peaks = [nrt.render_phrase(scgf_bytes, 2.0, seed=seed).peak for seed in range(20, 32)]
    assert max(peaks) < 0.9, peaks


MODES = r"""SynthDef(\modes, { |out = 0, freq = 200|
    var freqs = Array.fill(8, { |i| (i + 1) * freq });
    var amps = Array.fill(8, { |i| freqs[i].reciprocal * 100 });
    Out.ar(out, Klank.ar(`[freqs, amps], Impulse.ar(0)) * 0.1)
})"""
"""A modal bank whose amplitudes read the frequency array by index, inside a ``fill``."""


def test_an_array_b_reads_inside_a_function_is_not_built_again_per_call() -> None:
    a = sc.parse(PAD)
    stages, reasons = ops.crossover_stages(a, sc.parse(MODES))
    assert "Klank" not in [s.label for s in stages]  # 8 copies of freqs, one per amp
    assert any("B reads its variable 'freqs' inside a function it calls" in r for r in reasons)
    read_once = MODES.replace("freqs[i].reciprocal * 100", "(i + 1).reciprocal")
    stages, _ = ops.crossover_stages(a, sc.parse(read_once))
    assert "Klank" in [s.label for s in stages]
