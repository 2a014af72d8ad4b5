"""Rates and kinds of signals (issue 13 §3): operators act only where an operation makes sense."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest

import wild_corpus
from audiomancer.evolution import synth_ops as ops
from audiomancer.evolution.synth_ops import NotApplicable, rates
from audiomancer.supercollider import lang, library, nrt
from audiomancer.supercollider import syntax as sc
from audiomancer.supercollider.source import read_source
from conftest import need_engine

FFT_SYNTH = r"""SynthDef(\spectral, { |out = 0, amp = 0.2, thresh = 2|
    var in, chain, lfo;
    lfo = SinOsc.kr(0.3).range(1, 4);
    in = Saw.ar(220, amp);
    chain = FFT(LocalBuf(1024), in);
    chain = PV_MagAbove(chain, thresh * lfo);
    Out.ar(out, IFFT(chain).dup * Line.kr(1, 0, 2, doneAction: 2));
}).add;"""

CONTROL_SYNTH = r"""SynthDef(\lfoBus, { |out = 0, rate = 0.3|
    var lfo = LFNoise1.kr(rate, 200, 800);
    Out.kr(out, lfo);
}).add;"""


def graph_of(code: str) -> ops.Graph:
    return ops.locate(sc.parse(code))


def test_each_variable_has_the_rate_and_kind_of_its_last_assignment() -> None:
    function = graph_of(FFT_SYNTH).function
    found = rates.signals_before(function)
    assert found["in"] == rates.AUDIO
    assert found["chain"].kind == "fft"
    assert found["lfo"] == rates.CONTROL
    assert found["out"] == rates.CONTROL and found["thresh"] == rates.CONTROL
    # before the FFT statement, chain is still unset (a ``var`` without a value is nil: scalar)
    assert rates.signals_before(function, 2)["chain"] == rates.SCALAR
    env = {"sig": rates.AUDIO, "k": rates.CONTROL}
    kinds = {
        "sig * k": "audio", "k * 2": "control", "k.range(1, 2)": "control", "3": "scalar",
        "Dseq([1, 2], inf) * 2": "demand", "LocalBuf(512)": "index", "Env.perc.kr(2)": "control",
        "{ PinkNoise.ar }.dup(2)": "audio", "Mix([sig, sig])": "audio", "sig ! 2": "audio",
        "Pan2.ar(k, 0)": "audio", "PV_BrickWall(FFT(LocalBuf(512), sig), 0.1)": "fft",
        "IFFT(c)": "audio", "Unknown.new(1)": None, "\\freq.kr(440)": "control",
        "\\in.ar([0, 0])": "audio", "Control.names([\\env]).kr([1, 2])": "control",
        "NamedControl.ir(\\n, 2)": "scalar",
    }  # fmt: skip
    for expression, kind in kinds.items():
        node = sc.parse(expression).body[0]
        assert rates.signal_of(node, env).kind == kind, expression


def test_no_stage_goes_into_an_fft_chain() -> None:
    graph = graph_of(FFT_SYNTH)
    point = ops.signal_point(graph)
    assert point is not None and point.variable in (None, "in")
    for seed in range(6):
        for operator in (ops.add_distortion, ops.add_effect):
            program, _ = operator(sc.parse(FFT_SYNTH), random.Random(seed), 0.5)
            function = ops.locate(program).function
            assert rates.rate_problem(function) is None
            chain_values = [
                s.value
                for s in function.body
                if isinstance(s, sc.Assign) and s.target == sc.Name("chain")
            ]
            assert all(
                isinstance(v, sc.Call)
                and (v.receiver in (sc.ClassName("FFT"), sc.ClassName("PV_MagAbove")))
                for v in chain_values
            ), sc.print_code(program)


def test_a_control_rate_synth_takes_no_audio_effect() -> None:
    assert rates.writes_control_only(graph_of(CONTROL_SYNTH).function)
    for operator in (ops.add_distortion, ops.add_effect):
        with pytest.raises(NotApplicable, match=r"control-rate bus \(Out.kr\)"):
            operator(sc.parse(CONTROL_SYNTH), random.Random(0), 0.5)


MOOG_KR = "{ Out.ar(0, MoogFF.ar(SinOsc.kr(2), 800)) }"
PV_ON_AUDIO = "{ var c = PV_BrickWall(WhiteNoise.ar, 0.2); Out.ar(0, IFFT(c)) }"
CHAIN_OUT = "{ var c = FFT(LocalBuf(512), WhiteNoise.ar); Out.ar(0, c) }"
CHAIN_TIMES = "{ var c = FFT(LocalBuf(512), WhiteNoise.ar); c = c * 2; Out.ar(0, CombN.ar(c)) }"
CHAIN_COMB = "{ var c = FFT(LocalBuf(512), WhiteNoise.ar); Out.ar(0, CombN.ar(c)) }"
CHAIN_OK = "{ var c = FFT(LocalBuf(512), WhiteNoise.ar); Out.ar(0, IFFT(PV_MagAbove(c, 1))) }"


@pytest.mark.parametrize(
    ("graph", "reason"),
    [
        (MOOG_KR, "MoogFF.ar's first input is not audio rate (it is a control-rate signal)"),
        ("{ |f = 2| var lfo = LFTri.kr(f); Out.ar(0, LPF.ar(lfo * 3, 500)) }", "LPF.ar's first"),
        (CHAIN_TIMES, "arithmetic (*) on an FFT chain"),
        (CHAIN_COMB, "CombN.ar is given an FFT chain where a signal belongs"),
        (CHAIN_OK, None),
        (PV_ON_AUDIO, "PV_BrickWall is given an audio signal where it needs an FFT chain"),
        (CHAIN_OUT, "Out.ar is given an FFT chain, not audio"),
        (
            "{ Out.ar(0, LPF.ar(0, 300)) }",
            "LPF.ar's first input is not audio rate (it is a number)",
        ),
        ("{ |in| Out.ar(0, LPF.ar(In.ar(in), 300)) }", None),
    ],
)
def test_rate_problems_are_found_before_compiling(graph: str, reason: str | None) -> None:
    function = graph_of(f"SynthDef(\\t, {graph})").function
    found = rates.rate_problem(function)
    assert (found is None) if reason is None else (found is not None and reason in found), found


def test_audio_controls_from_the_rates_argument_are_audio() -> None:
    graph = graph_of(r"SynthDef(\fx, { |in, cut = 900| Out.ar(0, LPF.ar(in, cut)) }, [\ar, 0.1])")
    assert rates.rate_problem(graph.function, graph.synthdef.rates) is None
    assert rates.rate_problem(graph.function) is not None  # as a plain control it would be wrong


def test_no_corpus_synth_or_template_is_flagged_wrongly() -> None:
    """Every parent compiles in sclang, so none may be reported as impossible."""
    paths = [
        *wild_corpus.corpus_files(),
        *(library.template_path(n) for n in library.template_names()),
    ]
    for path in paths:
        graph = ops.locate(sc.parse(read_source(path)))
        assert (
            rates.rate_problem(graph.function, graph.synthdef.rates, graph.prepend_count) is None
        ), path


@pytest.mark.parametrize("name", ["schelp_pv_randcomb_1", "schelp_pv_mul_2", "schelp_beattrack2_2"])
def test_stages_added_to_fft_synths_compile_and_play(name: str) -> None:
    need_engine("sclang")
    need_engine("scsynth")
    source = read_source(wild_corpus.CORPUS / f"{name}.scd")
    for operator in (ops.add_distortion, ops.add_effect):
        program, _ = operator(sc.parse(source), random.Random(1), 0.5)
        scgf = lang.compile_synthdef(sc.print_code(program))
        with tempfile.TemporaryDirectory() as folder:
            result = nrt.render_phrase(scgf, 1.0, Path(folder) / "x.wav")  # no FFTBase_Ctor error
        assert not result.has_nan


def test_the_stage_goes_on_the_audio_output_when_a_synth_also_writes_a_control_bus() -> None:
    source = read_source(wild_corpus.CORPUS / "schelp_beattrack2_2.scd")  # Out.kr first
    graph = ops.locate(sc.parse(source))
    point = ops.signal_point(graph)
    assert point is not None
    if point.variable is None:
        assert point.output is not None and point.output.selector == "ar"
    else:
        found = rates.signals_before(graph.function, point.index)[point.variable]
        assert found.is_audio or not found.known
