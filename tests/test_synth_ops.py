"""Synth operators: pure edits of the parsed graph, logged, never breaking output or freeing."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Literal

import pytest

from audiomancer.errors import SynthDefError
from audiomancer.evolution import synth_ops as ops
from audiomancer.evolution.synth_ops import NotApplicable
from audiomancer.supercollider import lang, library
from audiomancer.supercollider import syntax as sc
from conftest import need_engine

CORPUS = Path(__file__).parent / "synthdefs"
TEMPLATES = library.template_names()
OPERATORS = {name: operator for name, _, operator in ops.MUTATIONS}
# A dozen real SynthDefs of varied shape: arg styles, NamedControls, graph held by a variable,
# inline outputs, envelopes as Env.kr, plugins, effects, keyword arguments.
REAL = ("acid_line", "saw_bass", "pad_chorus", "env_perc_kr", "named_controls",
        "multiline_arg_style", "one_liner", "graph_function_defined_first", "pluck_string",
        "env_adsr_kr_done_free_self", "plugins_filters", "keyword_arguments", "comb_delay",
        "lfnoise_modulation")  # fmt: skip

NOISE = "SynthDef(\\noise, { |out = 0, amp = 0.1| Out.ar(out, WhiteNoise.ar(amp) * Line.kr(1, 0, 1, doneAction: 2)) }).add;"  # noqa: E501
LOG_FORMS = {
    "swap_oscillator": r"\w+ → \w+",
    "swap_filter": r"\w+ → \w+",
    "add_lfo": r"Added LFO modulation to \w+( frequency)?",
    "add_distortion": r"Added (tanh|softclip|distort|fold) distortion: dist\d* 0 → [\d.]+",
    "tweak_defaults": r"\w+: -?[\d.e-]+ → -?[\d.e-]+",
    "modify_envelope": r"(\w+|Env\.\w+ [\w ]+|Env [\w ]+|X?Line \w+): -?[\d.e-]+ → -?[\d.e-]+"
    r"|Env\.?\w* curve: \S+ → -?\d+",
}


def parse(name: str) -> sc.Program:
    if name in TEMPLATES:
        return sc.parse(library.template_source(name))
    return sc.parse((CORPUS / f"{name}.scd").read_text())


def code(program: sc.Program) -> str:
    return sc.print_code(program)


def freeing_and_output(program: sc.Program) -> tuple[list[str], list[str]]:
    """How the synth frees itself and where it plays: doneActions, self-freeing UGens, outputs."""
    graph = ops.locate(program)
    freeing, outputs = [], []
    for node in sc.walk(graph.function):
        if isinstance(node, sc.KeywordArg) and node.name == "doneAction":
            freeing.append(code(node.value))
        if isinstance(node, sc.Call) and isinstance(node.receiver, sc.ClassName):
            name = node.receiver.name
            if name in ("DetectSilence", "FreeSelf", "FreeSelfWhenDone", "Done"):
                freeing.append(name)
            if name in ("Out", "OffsetOut", "ReplaceOut", "XOut"):
                outputs.append(f"{name}.{node.selector}({code(node.args[0])})")
    return sorted(freeing), outputs


def test_swap_oscillator_keeps_frequency_and_level() -> None:
    program = sc.parse(
        "SynthDef(\\t, { |out = 0, freq = 220, amp = 0.2| Out.ar(out, SinOsc.ar(freq, 0.5, amp)"
        " * EnvGen.kr(Env.perc, doneAction: 2)) }).add;"
    )
    targets = {}
    for seed in range(40):
        new, log = ops.swap_oscillator(program, random.Random(seed))
        (line,) = log
        source, target = line.split(" → ")
        assert source == "SinOsc" and target in ops.OSC_TARGETS and target != "SinOsc"
        targets[target] = code(new)
    assert "Saw.ar(freq, amp)" in targets["Saw"]  # SinOsc's phase has no place in a Saw
    assert "Pulse.ar(freq, mul: amp)" in targets["Pulse"]  # a gap where Pulse has its width
    assert re.search(r"SyncSaw\.ar\(freq, freq \* [\d.]+, amp\)", targets["SyncSaw"])


def test_swap_oscillator_changes_every_call_of_one_class() -> None:
    new, log = ops.swap_oscillator(parse("juno_pad"), random.Random(1))
    source, target = log[0].split(" → ")
    text = code(new)
    assert f"{source}.ar" not in text and text.count(f"{target}.ar") >= 1
    assert "LFTri.kr" in text  # LFOs (control rate) are not oscillators to swap


def test_swap_filter_converts_resonance_between_kinds() -> None:
    program = sc.parse(
        "SynthDef(\\t, { |out = 0, freq = 110, cutoff = 800| var sig = Saw.ar(freq);"
        " sig = RLPF.ar(sig, cutoff, 0.3); Out.ar(out, sig * Line.kr(1, 0, 1, doneAction: 2)) })"
    )
    seen = {}
    for seed in range(40):
        new, (line,) = ops.swap_filter(program, random.Random(seed))
        source, target = line.split(" → ")
        assert source == "RLPF" and target in ops.FILTER_GROUPS["lowpass"]
        seen[target] = code(new)
    assert "MoogFF.ar(sig, cutoff, 2.8)" in seen["MoogFF"]  # rq 0.3 → resonance 0.7 → gain 2.8
    assert "DFM1.ar(sig, cutoff.clip(20, 18000.0), 0.7)" in seen["DFM1"]
    assert "LPF.ar(sig, cutoff)" in seen["LPF"]


def test_swap_filter_keeps_a_high_pass_a_high_pass() -> None:
    for seed in range(10):
        _, (line,) = ops.swap_filter(parse("zap"), random.Random(seed))
        assert line.split(" → ")[1] in ops.FILTER_GROUPS["highpass"]


def test_add_lfo_declares_a_named_lfo_first_and_modulates_every_read() -> None:
    new, log = ops.add_lfo(parse("tb303"), random.Random(3), prefer="cutoff")
    assert log == ["Added LFO modulation to cutoff"]
    graph = ops.locate(new)
    first = graph.function.var_decls[0].defs[0]
    assert first.name == "cutoffLFO" and "LFO" in code(new)
    text = code(new)
    assert "cutoff = 1200" in text  # the control's default is untouched
    assert "(cutoff * cutoffLFO).clip(20.0, 18000.0)" in text


def test_add_lfo_on_a_named_control_and_not_on_shadowing_arguments() -> None:
    new, log = ops.add_lfo(parse("named_controls"), random.Random(0), prefer="cutoff")
    assert log == ["Added LFO modulation to cutoff"]
    assert "\\cutoff.ar(2000) * cutoffLFO" in code(new)
    shadowed = sc.parse(
        "SynthDef(\\t, { |out = 0, cutoff = 900| var f = { |cutoff| cutoff * 2 };"
        " var sig = LPF.ar(Saw.ar(110), f.(cutoff));"
        " Out.ar(out, sig * Line.kr(1, 0, 1, doneAction: 2)) })"
    )
    text = code(ops.add_lfo(shadowed, random.Random(0), prefer="cutoff")[0])
    assert "{ |cutoff| cutoff * 2 }" in text
    assert "f.((cutoff * cutoffLFO)" in text


def test_add_distortion_goes_before_the_level_and_adds_a_drive_control() -> None:
    new, (line,) = ops.add_distortion(parse("tb303"), random.Random(0), kind="tanh")
    assert re.fullmatch(LOG_FORMS["add_distortion"], line)
    lines = [s.strip() for s in code(new).splitlines()]
    stage = lines.index("sig = (sig * dist).tanh;")
    assert lines[stage + 1] == "sig = sig * env * amp;"
    assert ops.locate(new).function.params[-1].name == "dist"


def test_add_distortion_on_an_inline_output_never_raises_the_level() -> None:
    new, _ = ops.add_distortion(parse("one_liner"), random.Random(0), kind="softclip")
    assert ".softclip / dist.max(1)" in code(new)


def test_tweak_defaults_moves_numbers_within_bounds() -> None:
    program = parse("tb303")
    values = {c.name: c.value for c in ops.controls(ops.locate(program))}
    for seed in range(30):
        new, log = ops.tweak_defaults(program, random.Random(seed), 0.8)
        assert log
        for line in log:
            found = re.fullmatch(r"(\w+): (-?[\d.]+) → (-?[\d.]+)", line)
            assert found, line
            name, old, value = found.group(1), float(found.group(2)), float(found.group(3))
            assert name not in ("out", "gate", "freq", "amp") and old == values[name]
            role = ops.role_of(name)
            assert role is not None
            if role.scale == "log" and old > 0:
                assert 0.79 <= value / old <= 1.21
            else:
                assert abs(value - old) <= 0.2 * (role.high - role.low) + 1e-9
            assert f"{name} = {value}" in code(new)


def test_modify_envelope_changes_times_by_at_most_30_percent_or_the_curve() -> None:
    program = parse("juno_pad")
    for seed in range(20):
        new, log = ops.modify_envelope(program, random.Random(seed), 1.0)
        for line in log:
            assert re.fullmatch(LOG_FORMS["modify_envelope"], line), line
            if "curve" not in line:
                old, value = (float(x) for x in line.rsplit(": ", 1)[1].split(" → "))
                assert 0.69 <= value / old <= 1.31
        assert freeing_and_output(new) == freeing_and_output(program)


def test_operators_that_do_not_apply_say_why() -> None:
    program = sc.parse(NOISE)
    with pytest.raises(NotApplicable, match="oscillator"):
        ops.swap_oscillator(program, random.Random(0))
    with pytest.raises(NotApplicable, match="filter"):
        ops.swap_filter(program, random.Random(0))
    with pytest.raises(NotApplicable, match="numeric default"):
        ops.tweak_defaults(program, random.Random(0))  # only out and amp: never changed
    with pytest.raises(NotApplicable, match="cutoff"):
        ops.add_lfo(program, random.Random(0), prefer="cutoff")


@pytest.mark.parametrize("name", TEMPLATES)
def test_operators_keep_the_output_and_the_way_a_synth_frees_itself(name: str) -> None:
    program = parse(name)
    before = freeing_and_output(program)
    for operator_name, operator in OPERATORS.items():
        for seed in range(3):
            try:
                new, log = operator(program, random.Random(seed), 0.7)
            except NotApplicable:
                continue
            assert log and all(re.fullmatch(LOG_FORMS[operator_name], line) for line in log), log
            assert freeing_and_output(new) == before
            assert ops.locate(new).synthdef.name_value == name
            assert sc.parse(code(new)) is not None


def test_operators_are_pure_and_deterministic() -> None:
    program = parse("saw_lead")
    text = code(program)
    for name, operator in OPERATORS.items():
        subject = parse("string_pad") if name == "remove_effect" else program  # needs an effect
        first = operator(subject, random.Random(7), 0.5)
        second = operator(subject, random.Random(7), 0.5)
        assert code(first[0]) == code(second[0]) and first[1] == second[1]
    assert code(program) == text


def _stage(a: str, b: str, kind: str) -> ops.Stage:
    stages, _ = ops.crossover_stages(parse(a), parse(b), (a, b))
    return next(s for s in stages if s.kind == kind)


def _read_everywhere(program: sc.Program) -> bool:
    graph = ops.locate(program)
    used = {n.name for n in sc.walk(graph.function) if isinstance(n, sc.Name)}
    return all(name in used for name in graph.param_names)


def test_crossover_takes_b_s_filter_with_what_it_reads_and_drops_unread_controls() -> None:
    stage = _stage("tb303", "juno_pad", "filter")
    child, log = ops.crossover_with(
        parse("tb303"), parse("juno_pad"), stage, random.Random(42), ("tb303", "juno_pad")
    )
    text = code(child)
    assert "Saw.ar(freq)" in text and "Pulse.ar" not in text  # A's oscillator section
    assert "RLPF" not in text and "LPF.ar(" in text  # B's filter...
    # ... with its frequency expression, B's envelope copied in (never freeing the synth)
    assert "(cutoff * (1 + (EnvGen.kr(Env.adsr(attack, decay, sustain, release), gate, " in text
    assert "doneAction: 0" in text
    names = [c.name for c in ops.controls(ops.locate(child))]
    assert {"cutoff", "attack", "sustain", "release"} <= set(names)
    assert "res" not in names and "envmod" not in names  # nothing reads them any more
    assert len(names) == len(set(names))
    assert "cutoff: 1200.0 → 1700.0 (average with juno_pad)" in log
    assert "Filter from juno_pad: RLPF → LPF" in log
    assert "Dropped unread controls: res, envmod" in log
    assert _read_everywhere(child)
    done, outputs = freeing_and_output(child)
    assert ([d for d in done if d != "0"], outputs) == freeing_and_output(parse("tb303"))


def test_crossover_inserts_a_filter_where_a_has_none() -> None:
    stage = _stage("organ_keys", "tb303", "filter")
    child, log = ops.crossover_with(
        parse("organ_keys"), parse("tb303"), stage, random.Random(0), ("organ_keys", "tb303")
    )
    assert "Filter from tb303: added RLPF" in log
    assert "Controls from tb303: cutoff, envmod, decay, res" in log
    text = code(child)
    assert "HPF.ar(WhiteNoise.ar, 2000)" in text  # the key click's high-pass stays
    assert "fenv" not in text  # tb303's filter envelope comes as an expression, not a variable
    assert "envmod * EnvGen.kr(Env.perc(0.003, decay), gate)" in text
    assert _read_everywhere(child)


def test_crossover_layers_b_s_oscillator_and_every_child_has_a_stage_of_b() -> None:
    stage = _stage("tb303", "juno_pad", "oscillator")
    child, log = ops.crossover_with(
        parse("tb303"), parse("juno_pad"), stage, random.Random(1), ("tb303", "juno_pad")
    )
    assert log[0] == "Oscillator from juno_pad: Pulse layered with Saw"
    assert "Saw.ar(freq) + (Pulse.ar(" in code(child)
    for seed in range(6):
        child, log = ops.crossover(
            parse("tb303"), parse("juno_pad"), random.Random(seed), ("tb303", "juno_pad")
        )
        assert re.match(r"(Filter|Effect|Oscillator|Modulator) from juno_pad: ", log[0]), log
        assert _read_everywhere(child)


def test_b_s_oscillator_is_layered_only_with_a_source_a_s_output_hears() -> None:
    a = sc.parse(r"""SynthDef(\a, { |out = 0, freq = 200|
    var stick, sig;
    stick = Crackle.ar(2.01);
    sig = SinOsc.ar(freq) * 0.2;
    Out.ar(out, sig ! 2)
})""")
    stage = next(s for s in ops.crossover_stages(a, parse("tb303"))[0] if s.kind == "oscillator")
    for seed in range(8):
        child, log = ops.crossover_with(a, parse("tb303"), stage, random.Random(seed))
        assert log[0] == "Oscillator from B: Saw layered with SinOsc", (seed, log)
        assert "stick = Crackle.ar(2.01);" in code(child)


def test_b_s_trigger_sequence_is_a_source_that_never_frees_the_child() -> None:
    b = sc.parse(r"""SynthDef(\delta, { |amp = 0.5, out|
    OffsetOut.ar(out, TDuty.ar(Dseq([0.25, 0.5], inf), 0, amp, 2))
})""")
    (stage,) = ops.crossover_stages(parse("tb303"), b, ("tb303", "delta"))[0]
    assert stage.label == "TDuty" and {"TDuty", "Dseq"} <= stage.new_classes
    child, log = ops.crossover_with(parse("tb303"), b, stage, random.Random(0), ("tb303", "d"))
    assert log[0] == "Oscillator from d: TDuty layered with Saw"
    assert "TDuty.ar(Dseq([0.25, 0.5], inf), 0, amp, 0)" in code(child)


def test_b_s_argument_reads_a_s_named_control_of_the_same_name() -> None:
    a = sc.parse(
        r"""SynthDef(\named, { var sig = SinOsc.ar(\freq.kr(220)) * 0.1; Out.ar(0, sig ! 2) })"""
    )
    stages, reasons = ops.crossover_stages(a, parse("tb303"), ("named", "tb303"))
    stage = next((s for s in stages if s.kind == "oscillator"), None)
    assert stage is not None, reasons
    child, _ = ops.crossover_with(a, parse("tb303"), stage, random.Random(0), ("named", "tb303"))
    assert "Saw.ar(\\freq.kr)" in code(child)
    assert "freq" not in {p.name for p in ops.locate(child).function.params}


BUS_EFFECT = r"""SynthDef(\verb, { |out = 0, in = 16, mix = 0.4|
    var sig = In.ar(in, 2);
    Out.ar(out, FreeVerb.ar(sig, mix))
})"""
FFT_SYNTH = r"""SynthDef(\spectral, { |out = 0|
    var in, chain;
    in = WhiteNoise.ar(0.2);
    chain = FFT(LocalBuf(2048), in);
    chain = PV_BrickWall(chain, 0.2);
    Out.ar(out, IFFT(chain) ! 2)
})"""
CONTROL_SYNTH = r"""SynthDef(\lfo, { |out = 0, rate = 2| Out.kr(out, SinOsc.kr(rate)) })"""


def test_a_silent_bus_effect_is_fed_by_b_s_source() -> None:
    a, b = sc.parse(BUS_EFFECT), parse("tb303")
    stages, reasons = ops.crossover_stages(a, b, ("verb", "tb303"), feed=True)
    assert stages and all(s.kind == "oscillator" and s.feed for s in stages)
    assert any("has no sound of its own" in r for r in reasons)
    child, log = ops.crossover_with(a, b, stages[0], random.Random(0), ("verb", "tb303"))
    assert log[0] == "Source from tb303: Saw feeds In"
    text = code(child)
    assert "In.ar" not in text and "(Saw.ar(freq) * 0.25).dup(2)" in text
    assert "freq = 110" in text and _read_everywhere(child)


def test_no_audio_stage_goes_into_an_fft_chain_or_onto_a_control_output() -> None:
    for a in (sc.parse(FFT_SYNTH), sc.parse(CONTROL_SYNTH)):
        for b in ("string_pad", "tb303", "juno_pad"):
            stages, _ = ops.crossover_stages(a, parse(b))
            for stage in stages:
                child, _ = ops.crossover_with(a, parse(b), stage, random.Random(0))
                text = code(child)
                assert "chain = chain" not in text
                assert not re.search(r"chain = \w+\.ar\(chain", text)
    stages, reasons = ops.crossover_stages(sc.parse(CONTROL_SYNTH), parse("juno_pad"))
    assert not any(s.kind in ("filter", "effect") for s in stages)
    assert any("control-rate output" in r for r in reasons)


def test_a_crossover_that_cannot_combine_says_why() -> None:
    through = sc.parse(r"SynthDef(\thru, { |out = 0| Out.ar(out, In.ar(20, 2)) })")
    with pytest.raises(NotApplicable, match="no stage of B can be combined with A: B has no"):
        ops.crossover(parse("tb303"), through, random.Random(0))
    child, log = ops.crossover(parse("tb303"), sc.parse(BUS_EFFECT), random.Random(0))
    assert log[0] == "Effect from B: FreeVerb" and "FreeVerb.ar(sig, mix)" in code(child)


SPECTRAL_B = r"""SynthDef(\smear, { |out = 0, bufnum = 0, shift = 1.5|
    var in, chain;
    in = PlayBuf.ar(1, bufnum, loop: 1);
    chain = FFT(bufnum, in);
    chain = PV_MagShift(chain, shift);
    chain = PV_MagSmear(chain, 4);
    Out.ar(out, 0.2 * IFFT(chain).dup)
})"""


def test_b_s_spectral_section_moves_whole_with_a_buffer_of_its_own() -> None:
    """IFFT back through B's PV chain to FFT: A's signal is analysed instead of B's (which
    reads a buffer), one LocalBuf per channel replaces B's buffer, B's controls come along."""
    a = parse("tb303")
    stage = next(s for s in ops.crossover_stages(a, sc.parse(SPECTRAL_B))[0] if s.label == "IFFT")
    assert stage.kind == "effect" and {"PV_MagShift", "PV_MagSmear", "FFT"} <= stage.new_classes
    child, log = ops.crossover_with(a, sc.parse(SPECTRAL_B), stage, random.Random(0))
    text = code(child)
    assert log[0] == "Effect from B: FFT → PV_MagShift → PV_MagSmear → IFFT"
    flat = re.sub(r"\s+", " ", text)
    assert "{ |chan| IFFT(PV_MagSmear(PV_MagShift(FFT(LocalBuf(2048), chan), shift), 4)) }" in flat
    assert re.search(r"sig = \[sig\]\.flat\.collect\( ?\{ \|chan\|", flat)
    assert "}).unbubble" in flat.replace("} )", "})")
    assert "PlayBuf" not in text and "bufnum" not in text
    assert "Controls from B: shift" in log
    need_engine("sclang")
    assert lang.compile_synthdef(text)


def test_an_fft_on_a_buffer_nothing_allocates_gets_a_local_buffer() -> None:
    owned, log = ops.own_buffers(sc.parse(SPECTRAL_B))
    assert "FFT(LocalBuf(2048), in)" in code(owned) and "PlayBuf.ar(1, bufnum" in code(owned)
    assert log == ["FFT buffer → LocalBuf(2048), allocated by the synth itself"]
    assert ops.own_buffers(owned) == (owned, [])
    # a detector at a rate is a signal, not a chain: stages may go after it
    detector = sc.parse(r"""SynthDef(\od, { |out|
        var src = Saw.ar(200), hit = PV_HainsworthFoote.ar(FFT(LocalBuf(512), src), 1, 0, 0.9);
        Out.ar(out, SinOsc.ar(440, 0, Decay.ar(hit, 0.1)) + src)
    })""")
    stages, _ = ops.crossover_stages(detector, sc.parse(SPECTRAL_B))
    assert any(s.label == "IFFT" for s in stages)


WRAP_SHELL = r"""~makeFX = { |name, func|
    SynthDef(name, { |in_bus = 0, out_bus = 0, mix = 1|
        var dry = In.ar(in_bus, 2), wet;
        wet = SynthDef.wrap(func, [], [dry]);
        Out.ar(out_bus, XFade2.ar(dry, wet, mix * 2 - 1))
    }).add;
};
~makeFX.value("fx_tone", { |dry, cutoff = 800, res = 0.3|
    var tone = RLPF.ar(dry, cutoff * [1, 1.01], res), echo = CombN.ar(dry * 0.5, 0.2, 0.2, 2);
    tone.tanh + echo
});
"""


MULTI_ASSIGN = r"""SynthDef(\split, { |out = 0|
    var rate, depth, rest;
    #rate, depth ... rest = [LFNoise1.kr(0.5).range(2, 8), 0.3, 1, 2];
    Out.ar(out, Pan2.ar(SinOsc.ar(300 * (1 + (depth * SinOsc.kr(rate)))) * 0.2 * rest[0]))
})"""


def test_a_stage_of_b_may_read_variables_that_b_assigns_with_hash() -> None:
    b = sc.parse(MULTI_ASSIGN)
    stages, reasons = ops.crossover_stages(parse("tb303"), b, ("tb303", "split"))
    assert [(s.kind, s.label) for s in stages] == [
        ("oscillator", "SinOsc"), ("modulator", "LFNoise1"), ("modulator", "SinOsc"),
    ], reasons  # fmt: skip
    assert {"LFNoise1", "SinOsc"} <= stages[0].new_classes
    child, _ = ops.crossover_with(parse("tb303"), b, stages[0], random.Random(0))
    text = code(child)
    whole = "([LFNoise1.kr(0.5).range(2, 8), 0.3, 1, 2])"
    assert f"{whole}[1] * SinOsc.kr({whole}[0])" in text  # depth and rate, by position
    assert "rate" not in text and "depth" not in text
    rest = sc.parse(
        "SynthDef(\\r, { var a, b; #a ... b = [1, 2, 3] * LFNoise0.kr(4).range(90, 110); "
        "Out.ar(0, SinOsc.ar(b[0]) * 0.1) })"
    )
    stages = ops.crossover_stages(parse("tb303"), rest, ("tb303", "r"))[0]
    (stage,) = [s for s in stages if s.kind == "oscillator"]
    child, _ = ops.crossover_with(parse("tb303"), rest, stage, random.Random(0))
    assert "SinOsc.ar(([1, 2, 3] * LFNoise0.kr(4).range(90, 110)).copyToEnd(1)[0])" in code(child)


def test_b_s_stages_are_looked_for_in_the_function_its_synthdef_wraps() -> None:
    """A shell SynthDef (bus in, mix, out) around ``SynthDef.wrap(func, ...)``, the function
    given to the helper that builds it: B's filter is in that function, its arguments are B's
    controls, and what the shell passes in (``dry``) is where A's signal goes."""
    stages, _ = ops.crossover_stages(parse("organ_keys"), sc.parse(WRAP_SHELL))
    stage = next(s for s in stages if s.label == "RLPF")
    child, log = ops.crossover_with(
        parse("organ_keys"), sc.parse(WRAP_SHELL), stage, random.Random(0)
    )
    text = code(child)
    assert "Filter from B: added RLPF" in log and "Controls from B: cutoff, res" in log
    assert "cutoff * [1, 1.01], res)" in text
    assert "In.ar" not in text and "XFade2" not in text and "dry" not in text
    # what the shell passes in is B's input wherever the function reads it: A's signal
    stage = next(s for s in stages if s.label == "CombN")
    echoed, log = ops.crossover_with(
        parse("organ_keys"), sc.parse(WRAP_SHELL), stage, random.Random(0)
    )
    assert "Effect from B: CombN" in log and "dry" not in code(echoed)
    assert re.search(r"CombN\.ar\(sig, 0\.2, 0\.2, 2\)", code(echoed))  # A's sig as its input
    need_engine("sclang")
    assert lang.compile_synthdef(text)
    assert lang.compile_synthdef(code(echoed))


def test_rename_and_scale_output() -> None:
    renamed = ops.rename(parse("name_as_variable"), "fresh_name")
    assert ops.locate(renamed).synthdef.name_value == "fresh_name"
    with pytest.raises(ValueError, match="invalid SynthDef name"):
        ops.rename(parse("tb303"), "x'; Server.kill; '")
    scaled, log = ops.scale_output(parse("tb303"), 0.5)
    assert "Out.ar(out, Pan2.ar(sig, pan) * 0.5)" in code(scaled)
    assert log == ["Output level × 0.5"]


def test_roles_and_locate_errors() -> None:
    cutoff, filter_freq, pan = ops.role_of("cutoff"), ops.role_of("filterFreq"), ops.role_of("pan")
    assert cutoff is not None and filter_freq is not None and pan is not None
    assert cutoff.name == filter_freq.name == "cutoff" and pan.name == "pan"
    assert ops.role_of("out") is None and ops.role_of("t_trig") is None
    with pytest.raises(SynthDefError, match="no SynthDef"):
        ops.locate(sc.parse("SinOsc.ar(440)"))


@pytest.fixture(scope="module")
def sclang() -> None:
    need_engine("sclang")


@pytest.mark.parametrize("name", REAL)
def test_every_operator_on_real_synthdefs_compiles_or_is_not_applicable(
    name: str, sclang: None
) -> None:
    program = parse(name)
    applied = 0
    for operator in OPERATORS.values():
        for seed in range(2):
            try:
                new, _ = operator(program, random.Random(seed), 0.6)
            except NotApplicable:
                continue
            lang.compile_synthdef(code(new))
            applied += 1
    assert applied >= 3


@pytest.mark.parametrize(
    ("a", "b"),
    [("acid_line", "pad_chorus"), ("saw_bass", "env_adsr_kr_done_free_self"),
     ("named_controls", "comb_delay"), ("multiline_arg_style", "plugins_filters"),
     ("graph_function_defined_first", "lfnoise_modulation"), ("pluck_string", "tb303")],
)  # fmt: skip
def test_crossover_of_real_synthdefs_compiles(a: str, b: str, sclang: None) -> None:
    for seed in range(2):
        child, _ = ops.crossover(parse(a), parse(b), random.Random(seed), (a, b))
        lang.compile_synthdef(code(child))


LOG_FORMS["add_effect"] = (
    r"Added reverb \(FreeVerb, mix [\d.]+\)|Added delay \((CombL|CombN|DelayL) [\d.]+ s\)"
)
LOG_FORMS["remove_effect"] = r"Removed (reverb|delay|allpass) \(\w+\)"


@pytest.mark.parametrize("kind", ["reverb", "delay"])
def test_add_effect_on_a_synth_without_effects_compiles(
    kind: Literal["reverb", "delay"], sclang: None
) -> None:
    program = parse("tb303")
    for seed in range(3):
        new, (line,) = ops.add_effect(program, random.Random(seed), 0.5, kind=kind)
        assert re.fullmatch(LOG_FORMS["add_effect"], line), line
        text = code(new)
        if kind == "reverb":
            assert "sig = FreeVerb.ar(sig, mix, room);" in text
            assert {"mix", "room"} <= set(ops.locate(new).param_names)
        else:
            echo = re.search(r"\((CombL|CombN|DelayL) ([\d.]+) s\)", line)
            assert echo and f"{echo.group(1)}.ar(sig, 0.5, {echo.group(2)}" in text
            assert 0.25 <= float(echo.group(2)) <= 0.375
        lines = [s.strip() for s in text.splitlines()]
        assert lines[lines.index("sig = sig * env * amp;") - 1].startswith(
            "sig = FreeVerb" if kind == "reverb" else "sig = (sig + ("
        )
        assert freeing_and_output(new) == freeing_and_output(program)
        lang.compile_synthdef(text)


def test_add_effect_picks_a_kind_the_synth_lacks() -> None:
    for seed in range(10):
        _, (line,) = ops.add_effect(parse("string_pad"), random.Random(seed))
        assert line.startswith("Added delay")  # string_pad has its reverb already


@pytest.mark.parametrize(
    ("name", "ugen", "word"),
    [("juno_pad", "DelayC", "delay"), ("string_pad", "FreeVerb", "reverb")],
)
def test_remove_effect_replaces_it_by_its_input(
    name: str, ugen: str, word: str, sclang: None
) -> None:
    program = parse(name)
    new, log = ops.remove_effect(program, random.Random(0))
    assert log == [f"Removed {word} ({ugen})"]
    text = code(new)
    assert ugen not in text and "sig = sig;" not in text
    assert freeing_and_output(new) == freeing_and_output(program)
    lang.compile_synthdef(text)
    if name == "juno_pad":
        assert "chorus = sig;" in text


def test_remove_effect_without_effects_is_not_applicable() -> None:
    with pytest.raises(NotApplicable, match="no reverb, delay or allpass"):
        ops.remove_effect(parse("tb303"), random.Random(0))


def test_effect_operators_are_deterministic_and_in_the_mutation_table() -> None:
    assert {"add_effect", "remove_effect"} <= set(OPERATORS)
    for name, operator in (("tb303", ops.add_effect), ("string_pad", ops.remove_effect)):
        first = operator(parse(name), random.Random(11), 0.4)
        second = operator(parse(name), random.Random(11), 0.4)
        assert code(first[0]) == code(second[0]) and first[1] == second[1]


USED_AS_INTEGERS = r"""SynthDef(\odd, { |o = 0, snd = 2, which = 1, rate = 1, cutoff = 900,
    glide_shape = 1, glide_curve = 0, glide = 0.1, steps = 3|
    var f = VarLag.kr(cutoff, glide, glide_curve, glide_shape);
    var sig = PlayBuf.ar(1, snd, rate, loop: 1) + Select.ar(which, [Saw.ar(f), Pulse.ar(f)]);
    sig = LPF.ar(sig, f) * (1 / steps.round);
    Out.ar(o, sig ! 2)
})"""


def test_controls_used_as_integers_or_selectors_are_never_tweaked_nor_modulated() -> None:
    program = sc.parse(USED_AS_INTEGERS)
    graph = ops.locate(program)
    assert ops.discrete_controls(graph) == {"o", "snd", "which", "glide_shape", "glide_curve",
                                            "steps"}  # fmt: skip
    touched = set()
    for seed in range(40):
        for operator in (ops.tweak_defaults, ops.add_lfo):
            try:
                _, log = operator(program, random.Random(seed), 1.0)
            except NotApplicable:
                continue
            touched |= {line.split(":")[0] for line in log}
            touched |= {m.group(1) for line in log if (m := re.search(r"to (\w+)", line))}
    assert touched & {"rate", "cutoff", "glide"}
    assert not touched & ops.discrete_controls(graph), touched


FREEING_B = r"""SynthDef(\freeing, { |out = 0|
    var env = EnvGen.kr(Env.perc(0.01, 0.3), doneAction: Done.freeSelf);
    var bank = Mix.fill(12, { |i| SinOsc.ar(100 * (i + 1), 0, 0.05) });
    var sig = LPF.ar(Saw.ar(110) + bank, 200 + (env * 2000));
    Out.ar(out, (sig + (bank * 0.1)) ! 2)
})"""


def test_copied_envelopes_never_free_the_child_and_sources_in_loops_move_whole() -> None:
    a, b = parse("organ_keys"), sc.parse(FREEING_B)
    stages, _ = ops.crossover_stages(a, b, ("organ_keys", "freeing"))
    kinds = {(s.kind, s.label): s for s in stages}
    child, log = ops.crossover_with(a, b, kinds["filter", "LPF"], random.Random(0), ("a", "b"))
    text = code(child)
    assert "EnvGen.kr(Env.perc(0.01, 0.3), doneAction: 0)" in text
    assert text.count("Done.freeSelf") == code(a).count("Done.freeSelf")
    child, log = ops.crossover_with(a, b, kinds["oscillator", "SinOsc"], random.Random(0))
    assert "Mix.fill(12, { |i| SinOsc.ar(100 * (i + 1), 0, 0.05) })" in code(child), log
