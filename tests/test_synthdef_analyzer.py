"""parse_synthdef: controls, UGen families and category, checked against sclang's own SynthDefs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from audiomancer.analyzers.synthdef import SynthControl, parse_synthdef, parse_synthdefs
from audiomancer.errors import SynthDefError
from audiomancer.supercollider import lang
from audiomancer.supercollider.library import template_names, template_path
from audiomancer.supercollider.nrt import read_synthdef_header
from conftest import need_engine

CORPUS = sorted((Path(__file__).parent / "synthdefs").glob("*.scd"))
ALL_FILES = [template_path(n) for n in template_names()] + CORPUS


def first_value(default: float | list[float] | None) -> float | None:
    return default[0] if isinstance(default, list) and default else default  # type: ignore[return-value]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_controls_match_what_sclang_compiles(path: Path) -> None:
    """Every control sclang puts in the compiled SynthDef is found, with its default."""
    need_engine("sclang")
    infos = parse_synthdefs(path)
    compiled = lang.compile_synthdefs(path.read_text())
    assert [i.name for i in infos] == list(compiled)
    for info in infos:
        header = read_synthdef_header(compiled[info.name])
        assert info.control_names == list(header.controls), info.name
        for control in info.controls:
            value = first_value(control.default)
            if value is not None:
                assert math.isclose(value, header.controls[control.name], rel_tol=1e-6,
                                    abs_tol=1e-6), control  # fmt: skip


def test_tb303_as_the_spec_uses_it() -> None:
    tb303 = parse_synthdef(template_path("tb303"))
    assert tb303.name == "tb303"
    assert tb303.control("cutoff") == SynthControl("cutoff", 1200.0)
    assert "Saw" in tb303.ugens["oscillator"] and "RLPF" in tb303.ugens["filter"]
    assert tb303.category == "bass"
    assert tb303.source_code == template_path("tb303").read_text()
    assert parse_synthdef(str(template_path("tb303"))) == tb303  # a str path works too


def test_both_argument_styles_rates_lags_and_named_controls() -> None:
    code = r"""
    SynthDef(\styles, { arg out = 0, freq = 440, t_trig = 1, i_phase = -0.5, spread;
        var inner = { |ignored = 3| ignored * 2 };
        var sig = SinOsc.ar(freq * \detune.kr(1.01, 0.2), i_phase) * \amp.kr(0.1);
        Out.ar(out, sig * inner.value * NamedControl.ar(\mix, #[0.5, 0.25]));
    }, [0.05, nil, \tr, \ir]).add;
    """
    info = parse_synthdef(code)
    assert info.controls == [
        SynthControl("out", 0.0, "kr", 0.05),
        SynthControl("freq", 440.0, "kr", None),
        SynthControl("t_trig", 1.0, "tr"),
        SynthControl("i_phase", -0.5, "ir"),
        SynthControl("spread", 0.0),
        SynthControl("detune", 1.01, "kr", 0.2),
        SynthControl("amp", 0.1, "kr"),
        SynthControl("mix", [0.5, 0.25], "ar"),
    ]
    assert "ignored" not in info.control_names  # inner functions' arguments are not controls
    pipes = parse_synthdef("SynthDef('p', { |out = 0, cutoff = #[100, 200]| Out.ar(out, 0) })")
    assert pipes.name == "p" and pipes.control("cutoff") == SynthControl("cutoff", [100.0, 200.0])


def test_several_synthdefs_in_one_file() -> None:
    code = r"""
    SynthDef(\one, { |out| Out.ar(out, Saw.ar) }).add;
    SynthDef("two", { |out, freq = 90| Out.ar(out, LPF.ar(Pulse.ar(freq), 400)) }).add;
    """
    one, two = parse_synthdefs(code)
    assert (one.name, two.name) == ("one", "two")
    assert parse_synthdef(code).name == "one"
    assert parse_synthdef(code, name="two").control("freq") == SynthControl("freq", 90.0)
    assert "Saw" not in two.source_code and "Pulse" in two.source_code
    with pytest.raises(SynthDefError, match=r"no SynthDef named 'three'.*one, two"):
        parse_synthdef(code, name="three")


def test_expression_names_are_evaluated_by_sclang() -> None:
    need_engine("sclang")
    info = parse_synthdef(r'SynthDef(("pad_" ++ 3).asSymbol, { Out.ar(0, SinOsc.ar) })')
    assert info.name == "pad_3"


def test_families_and_category_guesses() -> None:
    info = parse_synthdef(
        r"SynthDef(\thing, { |out, freq = 300, gate = 1, attack = 0.8|"
        r" var env = EnvGen.kr(Env.asr(attack, 1, 2), gate, doneAction: 2);"
        r" var sig = MoogFF.ar(Saw.ar(freq) + WhiteNoise.ar(0.1), SinOsc.kr(0.2).range(500, 2000));"
        r" Out.ar(out, FreeVerb.ar(Pan2.ar(sig * env))) })"
    )
    assert info.ugens == {
        "oscillator": ["Saw"], "noise": ["WhiteNoise"], "filter": ["MoogFF"],
        "envelope": ["Env", "EnvGen"], "effect": ["FreeVerb"], "pan": ["Pan2"],
        "output": ["Out"], "lfo": ["SinOsc"],
    }  # fmt: skip
    assert info.category == "pad"  # slow attack
    assert (
        parse_synthdef(r"SynthDef(\x, { |freq = 55| Out.ar(0, Saw.ar(freq)) })").category == "bass"
    )
    assert parse_synthdef(r"SynthDef(\big_kick, { Out.ar(0, SinOsc.ar) })").category == "drum"
    assert {parse_synthdef(template_path(n)).category for n in template_names()} == {
        "bass", "lead", "pad", "drum", "fx",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("SynthDef(\\bad, { Out.ar(0, SinOsc.ar(440) }).add;", r"line 1, column \d+"),
        ("{ SinOsc.ar }.play;", "no SynthDef"),
        ("SynthDef(\\x, {\n  var a = ;\n})", "line 2, column 11"),
    ],
)
def test_malformed_code_is_a_synthdef_error_with_line_and_column(code: str, message: str) -> None:
    with pytest.raises(SynthDefError, match=message):
        parse_synthdef(code)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SynthDefError, match="cannot read"):
        parse_synthdef(tmp_path / "missing.scd")
