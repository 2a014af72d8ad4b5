"""B's sample player in a crossover (issue 13 §4): a B whose only sound is a buffer player
(``PlayBuf``, ``Warp1``, ``BufRd`` of a file nothing loads) plays A's sound back from a tape
the child records itself. Checked with the real engines: the child compiles, sounds, its
output depends on B's player, and the tape is heard (an echo where A is silent)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from audiomancer.analyzers.synthdef import parse_synthdef
from audiomancer.evolution import synth_ops as ops
from audiomancer.evolution.synth_ops.resampling import TAPE_FRAMES
from audiomancer.generators import breed_synths
from audiomancer.supercollider import lang, nrt, scgf
from audiomancer.supercollider import syntax as sc

SAMPLER = r"""SynthDef(\sampler, { |out = 0, bufnum = 0, rate = 1, amp = 0.5, gate = 1|
    var env = EnvGen.ar(Env.adsr(0, 0, 1, 0.1), gate, doneAction: 2);
    var sig = PlayBuf.ar(2, bufnum, BufRateScale.kr(bufnum) * rate, doneAction: 2);
    Out.ar(out, sig * env * amp)
})"""
"""A sample player of a sound file in a buffer: silent wherever nothing loads one."""
BLIP = r"""SynthDef(\blip, { |out = 0, freq = 440, amp = 0.3, gate = 1|
    var env = EnvGen.kr(Env.asr(0, 1, 0.3), gate, doneAction: 2);
    var sig = SinOsc.ar(freq) * EnvGen.ar(Env.perc(0.001, 0.04));
    Out.ar(out, (sig * env * amp).dup)
})"""
"""A 40 ms blip inside a held note: after it the note is silent until it ends."""


def _stage(a: str, b: str) -> tuple[ops.Stage, str]:
    stages, _ = ops.crossover_stages(sc.parse(a), sc.parse(b))
    players = [s for s in stages if s.label in ("PlayBuf", "Warp1", "BufRd")]
    assert len(players) == 1, stages
    child, log = ops.crossover_with(sc.parse(a), sc.parse(b), players[0], random.Random(0))
    assert log[0].startswith("Effect from B: ")
    return players[0], _bare(sc.print_code(child))


def _bare(text: str) -> str:
    """The code without white space (the printer breaks long calls over lines)."""
    return "".join(text.split())


def test_b_s_player_reads_a_tape_that_records_a_s_signal() -> None:
    stage, text = _stage(BLIP, SAMPLER)
    assert stage.kind == "effect"
    assert {"RecordBuf", "PlayBuf", "LocalBuf"} <= stage.new_classes
    assert _bare("RecordBuf.ar(Mix(dry), tape, loop: 1);") in text
    # B's rate (and the rate scale of the buffer it reads, now the tape), one channel, looped,
    # half the tape behind the recording, and never freeing the child
    assert _bare("PlayBuf.ar(1, tape, BufRateScale.kr(tape) * rate, "
                 "startPos: BufFrames.ir(tape) * 0.5, loop: 1) * 0.5") in text  # fmt: skip
    assert _bare(f"}}.value(sig, LocalBuf({TAPE_FRAMES}).clear)") in text
    assert "bufnum" not in text
    assert text.count("doneAction") == 1  # A's own envelope alone ends the child


def test_a_buffer_given_as_a_number_is_the_tape_wherever_the_player_reads_it() -> None:
    numbered = SAMPLER.replace("bufnum, BufRateScale.kr(bufnum)", "0, BufRateScale.kr(0)")
    _, text = _stage(BLIP, numbered)
    assert _bare("PlayBuf.ar(1, tape, BufRateScale.kr(tape) * rate,") in text


def test_a_window_buffer_of_b_s_stretcher_becomes_its_own_window() -> None:
    stretcher = r"""SynthDef(\stretcher, { |out = 0, buf = 0, win = 1, sus = 1|
        var sig = Warp1.ar(2, buf, Line.kr(0, 1, sus), 1, 0.2, win, 4, interp: 2);
        Out.ar(out, sig)
    })"""
    _, text = _stage(BLIP, stretcher)
    assert _bare("Warp1.ar(1, tape, Line.kr(0, 1, sus), 1, 0.2, -1, 4, interp: 2)") in text


def test_a_player_of_a_delay_line_b_allocates_itself_is_no_sample_player() -> None:
    delay_line = r"""SynthDef(\dline, { |out = 0|
        var buf = LocalBuf(48000);
        var sig = In.ar(out, 1);
        BufWr.ar(sig, buf, Phasor.ar(0, 1, 0, 48000));
        Out.ar(out, BufRd.ar(1, buf, Phasor.ar(0, 1, 0, 48000) - 4800))
    })"""
    stages, _ = ops.crossover_stages(sc.parse(BLIP), sc.parse(delay_line))
    assert not [s for s in stages if s.label == "BufRd"]


def test_a_placeholder_default_gives_way_to_the_other_parent_s() -> None:
    a = sc.parse(BLIP.replace("freq = 440", "freq = 0"))
    b = sc.parse(SAMPLER.replace("|out = 0,", "|out = 0, freq = 220,"))
    _, log = ops.average_defaults(a, b, ("blip", "sampler"))
    assert log[0] == "freq: 0.0 → 220.0 (sampler's: 0.0 is no freq to average)"
    _, log = ops.average_defaults(sc.parse(BLIP), sc.parse(SAMPLER.replace(
        "|out = 0,", "|out = 0, freq = 0,")))  # fmt: skip
    assert not [line for line in log if line.startswith("freq")]  # B's 0 Hz is no pitch


def _level(code: str) -> tuple[np.ndarray, int]:
    scgf_bytes = lang.compile_synthdef(code)
    result = nrt.render(scgf_bytes, [nrt.RenderNote(0.0, 1.0, 440.0, 0.3)], tail=0.1)
    samples, rate = nrt.read_wav(result.path)
    return np.abs(samples).max(axis=1), rate


def test_the_child_plays_a_s_sound_back_as_an_echo_a_is_silent_at(engines: None) -> None:
    child = breed_synths(parse_synthdef(BLIP), parse_synthdef(SAMPLER), seed=0)
    assert child.mutation_log[0] == (
        "Effect from sampler: PlayBuf playing blip's sound back from a tape of its own"
    )
    graph = scgf.read_scgf(lang.compile_synthdef(child.source_code))
    assert "PlayBuf" in graph.output_classes()
    assert "RecordBuf" in {u.name for u in graph.ugens}  # a side effect: no output reads it
    alone, rate = _level(BLIP)
    bred, _ = _level(child.source_code)
    echo = slice(int(0.2 * rate), int(0.35 * rate))  # half the tape: 12000 frames later
    assert alone[echo].max() < 1e-5
    assert bred[echo].max() > 0.01
    assert bred[: int(0.05 * rate)].max() == pytest.approx(alone[: int(0.05 * rate)].max())
