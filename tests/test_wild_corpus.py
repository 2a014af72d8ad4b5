"""Synth evolution on real-world SynthDefs (issue 13): tests/synthdefs_wild.

The static figures (parse, controls against sclang, identical bytes) are checked on every file;
mutate, breed and generate on a seeded sample, so that the suite stays quick on 2 cores. The
whole corpus is measured by ``benchmarks/synth_yield.py --corpus`` (see benchmarks/README.md).
"""

from __future__ import annotations

import random
import re

import pytest

import wild_corpus
from audiomancer.analyzers.synthdef import parse_synthdef, parse_synthdefs, with_compiled_controls
from audiomancer.errors import SynthDefError
from audiomancer.generators.synths import mutate_synth
from audiomancer.supercollider import lang, nrt
from audiomancer.supercollider.source import read_source, source_bytes
from conftest import need_engine

FILES = wild_corpus.corpus_files()
SAMPLE = random.Random(13).sample(FILES, 4)


def test_the_corpus_is_real_varied_and_every_file_has_its_source_noted() -> None:
    assert len(FILES) >= 250
    sources = (wild_corpus.CORPUS / "SOURCES.md").read_text()
    for prefix in {path.name.split("_")[0] for path in FILES}:
        assert f"`{prefix}_" in sources, prefix
    text = "\n".join(read_source(path) for path in FILES)
    for feature in ("FFT(", "In.ar(", "PlayBuf", "SynthDef.wrap", "spec:", "|out,", "=(-0.1)",
                    "slide_shape", "rrand", "DetectSilence", "LocalBuf", "PV_Mul", "Out.kr(",
                    "ReplaceOut.kr(", "InFeedback", "GrainBuf", "Demand.kr(", "TDuty", "DynKlank",
                    "Splay", "LocalIn", "Control.names", "SoundIn", "ReplaceOut.ar(bus", "FM7.ar",
                    "MoogLadder", "SelectX", "Warp1", "LocalOut.ar", "Select.kr", "`[[",
                    "thisThread.randSeed", "|bus, echo, decay, beat_dur|",
                    "metadata: (specs:"):  # fmt: skip
        assert feature in text, feature


def test_every_file_parses() -> None:
    need_engine("sclang")  # one file's SynthDef name is computed: only sclang knows it
    for path in FILES:
        assert parse_synthdefs(path), path.name


def test_controls_and_printed_bytes_equal_what_sclang_compiles() -> None:
    """Names, order and defaults of every control as sclang compiles them, read from the source
    alone; and parse -> print -> compile gives the original's bytes."""
    need_engine("sclang")
    figures = []
    for path in FILES:
        parses, _, found = wild_corpus.measure_static(path)
        assert parses, path.name
        figures += found
    assert len(figures) >= 195
    wrong = [f"{f.file}: {f.detail}" for f in figures if not f.controls_equal]
    assert not wrong, wrong
    assert all(f.bytes_identical for f in figures), [
        f.file for f in figures if not f.bytes_identical
    ]


IMPLICIT = [
    (r"{ |out, freq| Out.ar(out, SinOsc.ar(freq)) }", [("out", 0.0), ("freq", 0.0)]),
    (r"{ |pan=(-0.1), c = \lin| Out.ar(0, Pan2.ar(SinOsc.ar, pan) * c) }",
     [("pan", -0.1), ("c", 0.0)]),
    (r"{ Out.ar(0, SinOsc.ar(\f.kr) * EnvGate.new) }",
     [("f", 0.0), ("gate", 1.0), ("fadeTime", 0.02)]),
    (r"{ Out.ar(0, SinOsc.ar(Control.names(\f).kr(220 * 2)) * \g.kr(spec: ControlSpec(0.1, 1))) }",
     [("f", 440.0), ("g", 0.1)]),
    (r"{ Out.ar(0, K2A.ar(Control.names([\x, \y]).kr([1, 2] * 3))) }", [("x", 3.0), ("y", 6.0)]),
    (r"{ |out| Out.ar(out, SynthDef.wrap({ |sig, cut = 900| LPF.ar(sig, cut) }, nil, [Saw.ar])) }",
     [("out", 0.0), ("cut", 900.0)]),
    # a NamedControl (or EnvGate's) named like an argument is a control of its own; only
    # NamedControls of one name are one control; a wrapped function's argument is its own too
    (r"{ |amp = 0.1, gate = 1, w = 1| Out.ar(0, DC.ar(amp * \amp.kr(0.2) * \amp.kr * gate)"
     r" * EnvGate.new * SynthDef.wrap({ |w = 5| w })) }",
     [("amp", 0.1), ("gate", 1.0), ("w", 1.0), ("amp", 0.2), ("gate", 1.0), ("fadeTime", 0.02),
      ("w", 5.0)]),
    # NamedControl(name, values, rate, lags, fixedLag, spec), written as a constructor
    (r"{ Out.ar(0, DC.ar(NamedControl(\n, 3) + NamedControl.new(\m, 2, \scalar)"
     r" + NamedControl(\n) + NamedControl(\k, spec: \freq))) }",
     [("n", 3.0), ("m", 2.0), ("k", 440.0)]),
    # a default in parentheses is a literal only when the parentheses hold one (a number, a
    # #[...] array); an expression there runs when the function is called, so the control is 0
    (r"{ |a = (1 + 2), b = (-0.5), c = (#[1, 2]), d = ([1, 2]), e = (pi / 2), f = ((-1)),"
     r" g = #[\x, 3]| Out.ar(0, DC.ar(0) * a * b * c * d * e * f * g) }",
     [("a", 0.0), ("b", -0.5), ("c", [1.0, 2.0]), ("d", 0.0), ("e", 0.0), ("f", -1.0),
      ("g", [0.0, 3.0])]),
    # metadata specs give the arguments without a default the spec's default (by the
    # argument's own name when the specs do not list it; 0 when no spec has that name)
    (r"{ |out, freq, cut, vol, q = 2, rq, w|"
     r" Out.ar(out, RLPF.ar(Saw.ar(freq, vol), cut, rq) * q * w) },"
     r" metadata: (specs: (cut: \freq, vol: [0, 1, \lin, 0.01, 0.7], q: \rq,"
     r" w: ControlSpec(0.5, 2, \exp, 0, 1.5)))",
     [("out", 0.0), ("freq", 440.0), ("cut", 440.0), ("vol", 0.7), ("q", 2.0), ("rq", 0.707),
      ("w", 1.5)]),
    (r"{ Out.ar(0, SinOsc.ar(\f.kr(spec: \freq)) * \g.kr(spec: ControlSpec(0.1, 1, \exp, 0, 0.5))"
     r" * \h.ir(nil, [0, 1, 4, 0, 0.3]) * NamedControl.ar(\i, nil, nil, \widefreq)) }",
     [("f", 440.0), ("g", 0.5), ("h", 0.3), ("i", 440.0)]),
]  # fmt: skip


@pytest.mark.parametrize(("graph", "controls"), IMPLICIT)
def test_defaults_and_implicit_controls_as_sclang_makes_them(
    graph: str, controls: list[tuple[str, float]]
) -> None:
    code = f"SynthDef(\\implicit, {graph})"
    info = parse_synthdef(code)
    assert [(c.name, c.default) for c in info.controls] == controls
    need_engine("sclang")
    compiled = with_compiled_controls(info, lang.compile_synthdef(code))
    assert [c.name for c in compiled.controls] == [name for name, _ in controls]
    for control, (_, value) in zip(compiled.controls, controls, strict=True):
        assert control.default == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize("name", ["enc_latin1_prophet5pwmstrings", "enc_macroman_moogbasstone"])
def test_latin1_and_mac_roman_files_are_read_and_written_back_byte_for_byte(name: str) -> None:
    path = wild_corpus.CORPUS / f"{name}.scd"
    raw = path.read_bytes()
    assert re.search(rb"[\x80-\xff]", raw)  # really not ASCII, and not UTF-8
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    info = parse_synthdef(path)
    assert source_bytes(info.source_code) == raw
    need_engine("sclang")
    assert lang.compile_synthdef(info.source_code)
    child = mutate_synth(info, 0.5, seed=3)  # no UnicodeEncodeError on the way
    assert re.search(rb"[\x80-\xff]", source_bytes(child.source_code))
    assert lang.compile_synthdef(child.source_code)


def test_an_unreadable_file_is_a_synthdef_error(tmp_path: object) -> None:
    with pytest.raises(SynthDefError, match="cannot read SynthDef file"):
        parse_synthdef(wild_corpus.CORPUS / "missing.scd")


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.stem)
def test_mutants_of_sounding_corpus_synths_compile_change_and_sound(path: object) -> None:
    need_engine("sclang")
    need_engine("scsynth")
    outcome = wild_corpus.measure_mutate(path, seed=1)  # type: ignore[arg-type]
    if outcome.parent_sounds:
        assert outcome.compiles and outcome.changed and outcome.audible, outcome
    else:  # a silent parent (an effect on a bus, a buffer player): a result or a clear error
        assert outcome.ok or outcome.error, outcome


@pytest.mark.parametrize("name", ["sp_fx_krush", "schelp_wrap_wah"])
def test_a_synthdef_built_by_a_helper_function_keeps_the_code_that_builds_it(name: str) -> None:
    """``~makeFX = { |name, func| SynthDef(name, {...}) }; ~makeFX.value(...)``: the SynthDef
    alone names variables only the file defines, so its code is the file's."""
    info = parse_synthdef(wild_corpus.CORPUS / f"{name}.scd")
    need_engine("sclang")
    assert lang.compile_synthdef(info.source_code)


def test_a_graph_function_written_as_a_trailing_block_is_the_synthdefs_graph() -> None:
    """``SynthDef(\\name) { ... }`` is ``SynthDef(\\name, { ... })`` in sclang."""
    code = (
        r"SynthDef(\block) { arg start = 0, rate = 1, out;"
        r" Out.ar(out, SinOsc.ar(rate * 440 + start) * 0.1) }.add;"
    )
    info = parse_synthdef(code)
    assert [(c.name, c.default) for c in info.controls] == [
        ("start", 0.0), ("rate", 1.0), ("out", 0.0)
    ]  # fmt: skip
    assert info.ugens  # the graph was read
    need_engine("sclang")
    need_engine("scsynth")
    child = mutate_synth(info, 0.5, seed=2)
    assert lang.compile_synthdef(child.source_code) != lang.compile_synthdef(code)


def test_a_file_with_crlf_line_ends_is_read_and_written_back_byte_for_byte() -> None:
    path = wild_corpus.CORPUS / "enc_crlf_cs80leadMH.scd"
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 10
    info = parse_synthdef(path)
    assert source_bytes(info.source_code) == raw
    need_engine("sclang")
    assert lang.compile_synthdef(info.source_code) == lang.compile_synthdef(
        read_source(wild_corpus.CORPUS / "sclork_cs80leadMH.scd")
    )


def test_environment_variables_a_synthdef_reads_come_with_its_code_when_inert() -> None:
    """A live-coding file defines ``~scale`` and a helper ``~voice`` before the SynthDef that
    reads them: the SynthDef's code keeps those definitions (values that do nothing when
    run), not the file's other statements, so it compiles and evolves on its own."""
    code = (
        "s.boot;\n"
        "~scale = #[0, 3, 7];\n"
        "~unused = 5;\n"
        "~voice = { |freq| SinOsc.ar(freq * ~detune) * 0.1 };\n"
        "~detune = (1 + 0.01);\n"
        "~bus = Bus.audio(s, 2);\n"
        '~ran = { "echo ran".unixCmd } ! 2;\n'
        r"SynthDef(\envy, { |out, freq = 220| var sig = ~voice.(freq * ~scale.choose.midiratio);"
        " Out.ar(out, sig ! 2 * ~bus.index * ~ran.size) }).add;\n"
        "Pbind(\\instrument, \\envy).play;\n"
    )
    info = parse_synthdef(code)
    kept = info.source_code
    assert "~scale = #[0, 3, 7]" in kept and "~voice = " in kept and "~detune = " in kept
    assert "~unused" not in kept and "Bus.audio" not in kept and "Pbind" not in kept
    assert "unixCmd" not in kept  # `{ ... } ! 2` runs the function: not inert
    assert "s.boot" not in kept
    need_engine("sclang")
    need_engine("scsynth")
    with_vars = kept.replace("~voice = ", "~bus = (index: 1); ~ran = [1]; ~voice = ")
    assert lang.compile_synthdef(with_vars)
    child = mutate_synth(parse_synthdef(with_vars), 0.5, seed=1)
    assert lang.compile_synthdef(child.source_code)


@pytest.mark.parametrize("name", ["foxdot_fx_combDelay", "scex_wah", "schelp_pbus_1"])
def test_generate_on_a_bus_effect_applies_the_keywords_heard_through_the_test_signal(
    name: str,
) -> None:
    """An effect reading a bus is silent at its defaults but sounds fed the test signal: the
    keywords act on it and the result is checked that way, instead of raising."""
    from audiomancer.generators.synth_checks import audition
    from audiomancer.generators.synths import generate_synth

    need_engine("sclang")
    need_engine("scsynth")
    base = parse_synthdef(wild_corpus.CORPUS / f"{name}.scd")
    synth = generate_synth("bright warm", base, seed=1)
    assert lang.compile_synthdef(synth.source_code) != lang.compile_synthdef(base.source_code)
    assert audition(synth.source_code, test_input=True).audible
    applied = synth.mutation_log[1:]
    assert applied and all(line.split(":")[0] in ("bright", "warm") for line in applied), applied


def test_a_mutant_with_noise_does_not_clip_at_seeds_it_was_not_auditioned_with() -> None:
    """Steal This Sound's PWM strings peak at 0.82-1.02 depending on their noise: a mutant
    auditioned at one seed below full scale clipped in two of twelve other renders."""
    need_engine("sclang")
    need_engine("scsynth")
    info = parse_synthdef(wild_corpus.CORPUS / "enc_latin1_prophet5pwmstrings.scd")
    child = mutate_synth(info, 0.3, seed=0)
    scgf_bytes = lang.compile_synthdef(child.source_code)
    peaks = [nrt.render_phrase(scgf_bytes, 2.0, seed=seed).peak for seed in range(20, 32)]
    assert max(peaks) < 0.9, (child.mutation_log, peaks)
    assert min(peaks) > 0.1  # levelled a step, not silenced
