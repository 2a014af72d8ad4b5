"""B's delay on a buffer of its own in a crossover (issue 13 §4): Sonic Pi's ping_pong FX
(``PingPong`` on a ``LocalBuf`` it allocates), ``BufCombL`` and the other buffer delays move
into A whole, buffer and all; one on a buffer from outside the synth does not. Checked with the
real engines: the child compiles, and its echo is heard where A alone is silent."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from audiomancer.analyzers.synthdef import parse_synthdef
from audiomancer.evolution import synth_ops as ops
from audiomancer.evolution.synth_ops.transplant import reads_outside
from audiomancer.generators import breed_synths
from audiomancer.supercollider import lang, nrt, scgf
from audiomancer.supercollider import syntax as sc

PING_PONG = Path(__file__).parent / "synthdefs_wild" / "sp_fx_ping_pong.scd"
BLIP = r"""SynthDef(\blip, { |out = 0, freq = 440, amp = 0.3, gate = 1|
    var env = EnvGen.kr(Env.asr(0, 1, 0.3), gate, doneAction: 2);
    var sig = SinOsc.ar(freq) * EnvGen.ar(Env.perc(0.001, 0.04));
    Out.ar(out, sig * env * amp)
})"""
"""A mono 40 ms blip inside a held note: after it the note is silent until it ends."""
COMB = r"""SynthDef(\bufcomb, { |out = 0, time = 0.3, decay = 2|
    var sig = In.ar(out, 1);
    Out.ar(out, BufCombL.ar(LocalBuf(48000), sig, time, decay))
})"""


def _bare(text: str) -> str:
    return "".join(text.split())


def _child(a: str, b: str, label: str) -> str:
    stages, _ = ops.crossover_stages(sc.parse(a), sc.parse(b))
    chosen = [s for s in stages if s.label == label]
    assert len(chosen) == 1, stages
    child, log = ops.crossover_with(sc.parse(a), sc.parse(b), chosen[0], random.Random(0))
    assert log[0] == f"Effect from B: {label}"
    return _bare(sc.print_code(child))


def test_a_delay_on_a_local_buf_of_its_own_reads_nothing_outside_the_synth() -> None:
    owned = sc.parse("BufDelayC.ar(LocalBuf(4800).clear, x, 0.1)")
    assert reads_outside(owned) is None
    assert reads_outside(sc.parse("BufDelayC.ar(bufnum, x, 0.1)")) == "BufDelayC"
    assert reads_outside(sc.parse("BufDelayC.ar(buf, x, 0.1)")) == "BufDelayC"
    assert reads_outside(sc.parse("PingPong.ar(bufnum, [x, y], 0.2)")) == "PingPong"
    assert reads_outside(sc.parse("PingPong.ar(LocalBuf(9600, 2), [x, y], 0.2)")) is None
    # a LocalBuf anywhere else may be a buffer something else in B writes
    assert reads_outside(sc.parse("PlayBuf.ar(1, LocalBuf(4800))")) == "PlayBuf"


def test_ping_pong_moves_with_its_buffer_and_takes_a_s_signal_as_two_channels() -> None:
    text = _child(BLIP, PING_PONG.read_text(), "PingPong")
    assert _bare("sig = sig + (PingPong.ar(LocalBuf(SampleRate.ir * max_phase, 2).clear,"
                 "sig.asArray.wrapExtend(2),") in text  # fmt: skip
    assert "VarLag.kr(phase," in text  # B's own controls of the echo come with it


def test_a_buffer_comb_is_mixed_in_beside_a_s_signal() -> None:
    text = _child(BLIP, COMB, "BufCombL")
    assert "sig=sig+(BufCombL.ar(LocalBuf(48000),sig,time,decay)*0.5)" in text
    assert "wrapExtend" not in text  # only PingPong needs its input as an array


def test_a_with_feedback_of_its_own_takes_no_ping_pong() -> None:
    looped = BLIP.replace(
        "var sig = SinOsc.ar(freq)", "var sig = SinOsc.ar(freq + (LocalIn.ar(1) * 100))"
    ).replace("Out.ar(out,", "LocalOut.ar(sig); Out.ar(out,")
    stages, rejected = ops.crossover_stages(sc.parse(looped), sc.parse(PING_PONG.read_text()))
    assert not [s for s in stages if s.label == "PingPong"]
    assert any("LocalIn/LocalOut and A has LocalIn already" in line for line in rejected)


def _level(code: str) -> tuple[np.ndarray, int]:
    result = nrt.render(lang.compile_synthdef(code), [nrt.RenderNote(0.0, 1.2, 440.0, 0.3)])
    samples, rate = nrt.read_wav(result.path)
    return np.abs(samples).max(axis=1), rate


def test_the_child_echoes_a_s_blip_where_a_is_silent(engines: None) -> None:
    pong = parse_synthdef(PING_PONG.read_text())
    child = breed_synths(parse_synthdef(BLIP), pong, seed=0)
    assert child.mutation_log[0] == "Effect from sonic-pi-fx_ping_pong: PingPong"
    graph = scgf.read_scgf(lang.compile_synthdef(child.source_code))
    assert {"LocalBuf", "BufWr", "BufRd", "LocalIn"} <= {u.name for u in graph.ugens}
    alone, rate = _level(BLIP)
    bred, _ = _level(child.source_code)
    echo = slice(int(0.22 * rate), int(0.32 * rate))  # B's phase: 0.25 s
    assert alone[echo].max() < 1e-5
    assert bred[echo].max() > 0.01
    assert bred[: int(0.05 * rate)].max() == pytest.approx(alone[: int(0.05 * rate)].max())
