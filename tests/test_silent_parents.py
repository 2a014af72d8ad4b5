"""Parents that are silent alone only because their player would supply something (issue 13
§8): a pitch named ``hz`` or a level named ``volume`` with no default, a ``MouseX`` that an
offline render leaves at its minimum. Breeding gives them what a player would, and the child
is checked with the real engines."""

from __future__ import annotations

import pytest

from audiomancer.analyzers.synthdef import parse_synthdef
from audiomancer.evolution import synth_ops as ops
from audiomancer.generators import breed_synths
from audiomancer.supercollider import lang, nrt, scgf
from audiomancer.supercollider import syntax as sc

NO_PITCH = r"""SynthDef(\nopitch, { |out, hz, volume|
    Out.ar(out, Pan2.ar(SinOsc.ar(hz) * volume * EnvGen.kr(Env.perc, doneAction: 2)))
})"""
"""A Pbind-played synth: ``hz`` and ``volume`` are 0 unless an event sets them."""
MOUSE = r"""SynthDef(\mouse, { |out = 0|
    var f = MouseX.kr(100, 1600, 1), a = MouseY.kr(0, 0.4);
    Out.ar(out, LFTri.ar(f, 0, a).dup)
})"""
"""A theremin: silent offline, where MouseY rests at its minimum."""
PAD = r"""SynthDef(\pad, { |out = 0, freq = 220, amp = 0.2, cutoff = 1200|
    Out.ar(out, RLPF.ar(Saw.ar(freq), cutoff, 0.3, amp).dup)
})"""


def _text(program: sc.Program) -> str:
    return sc.print_code(program)


def test_a_pitch_and_a_level_without_defaults_get_what_a_player_gives() -> None:
    program, log = ops.audible_defaults(sc.parse(NO_PITCH))
    assert log == [
        "hz had no default (0): 440.0 Hz, as a player gives it",
        "volume had no default (0): 0.3, as a player gives it",
    ]
    assert "hz = 440" in _text(program) and "volume = 0.3" in _text(program)
    assert "out = " not in _text(program)  # the bus is not a level or a pitch


def test_a_mouse_axis_becomes_a_control_resting_in_the_middle_of_its_range() -> None:
    program, log = ops.audible_defaults(sc.parse(MOUSE))
    assert log == [
        "MouseX (no pointer offline) → control mouseX (400.0)",  # sqrt(100 * 1600): exponential
        "MouseY (no pointer offline) → control mouseY (0.2)",
    ]
    text = _text(program)
    assert "Mouse" not in text.replace("mouseX", "").replace("mouseY", "")
    assert "f = mouseX" in text and "a = mouseY" in text


def test_a_synth_with_its_defaults_set_is_left_as_it_is() -> None:
    program = sc.parse(PAD)
    assert ops.audible_defaults(program) == (program, [])
    given = sc.parse(r"SynthDef(\g, { |hz = 300, gain = 0.5| Out.ar(0, SinOsc.ar(hz, 0, gain)) })")
    assert ops.audible_defaults(given) == (given, [])
    unbounded = sc.parse(r"SynthDef(\m, { |lo = 1| Out.ar(0, SinOsc.ar(MouseX.kr(lo, 900))) })")
    assert ops.audible_defaults(unbounded) == (unbounded, [])  # bounds not numbers


@pytest.mark.parametrize("code", [NO_PITCH, MOUSE], ids=["no_pitch", "mouse"])
def test_a_parent_silent_for_want_of_its_player_breeds_an_audible_child(
    engines: None, code: str
) -> None:
    assert not nrt.render_phrase(lang.compile_synthdef(code), 1.0).audible
    parent = parse_synthdef(code)
    child = breed_synths(parent, parse_synthdef(PAD), seed=0)
    prepared = ops.audible_defaults(sc.parse(code))[1]
    assert child.mutation_log[: len(prepared)] == prepared
    compiled = lang.compile_synthdef(child.source_code)
    assert nrt.render_phrase(compiled, 1.0).audible
    assert {"Saw", "RLPF"} & scgf.read_scgf(compiled).output_classes()


HOT = r"""SynthDef(\hot, { |out = 0, freq = 110|
    Out.ar(out, (Saw.ar(freq) * 200).dup)
})"""
"""Peaks near 360 at its defaults (a band-limited Saw overshoots): beyond the ordinary level
steps (1/32), within 1/1024."""


def test_a_parent_far_above_full_scale_is_brought_down_before_breeding(engines: None) -> None:
    child = breed_synths(parse_synthdef(HOT), parse_synthdef(PAD), seed=0)
    assert child.mutation_log[0].startswith("Output level × 0.000977 (alone it peaks at 3")
    assert "far above full scale" in child.mutation_log[0]
    outcome = nrt.render_phrase(lang.compile_synthdef(child.source_code), 1.0)
    assert outcome.audible and outcome.peak < 1.0
    assert {"Saw", "RLPF"} & scgf.read_scgf(
        lang.compile_synthdef(child.source_code)
    ).output_classes()
