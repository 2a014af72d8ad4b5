"""Offline rendering with the real scsynth (and sclang to compile the SynthDefs)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audiomancer import processes
from audiomancer.errors import EngineError, EngineNotFoundError, SynthDefError
from audiomancer.patterns.model import TICKS_PER_BEAT, TICKS_PER_STEP, Note, Pattern
from audiomancer.supercollider import lang, nrt, osc
from audiomancer.supercollider.nrt import RenderNote
from conftest import need_engine

pytestmark = pytest.mark.engines

BLOCK = 64 / 44100  # scsynth renders whole control blocks

GATED_SINE = r"""
SynthDef(\gsine, { |out = 0, freq = 440, amp = 0.3, gate = 1, mul = 1|
    var env = EnvGen.kr(Env.asr(0.001, 1, 0.02), gate, doneAction: 2);
    Out.ar(out, SinOsc.ar(freq) * amp * mul * env ! 2);
}).add;
"""
# No gate and no doneAction: it sounds until the render ends.
DRONE = (
    r"SynthDef(\drone, { |out = 0, freq = 440, amp = 0.3| Out.ar(out, SinOsc.ar(freq) * amp ! 2) })"
)


@pytest.fixture(autouse=True)
def engines_present() -> None:
    need_engine("scsynth")
    need_engine("sclang")


@pytest.fixture(scope="module")
def gated() -> bytes:
    return lang.compile_synthdef(GATED_SINE)


def test_sine_measures(gated: bytes) -> None:
    result = nrt.render(gated, [RenderNote(0.0, 2.0, 440.0, 0.5)], tail=0.0)
    assert result.path.is_file()
    assert result.sample_rate == 44100
    assert result.channels == 2
    assert 2.0 <= result.duration_s <= 2.0 + BLOCK
    # A sine of amplitude a has peak a and RMS a/sqrt(2) (-6.02 dBFS and -9.03 dBFS for 0.5).
    assert result.peak == pytest.approx(0.5, rel=1e-3)
    assert result.peak_dbfs == pytest.approx(-6.02, abs=0.02)
    assert result.rms == pytest.approx(0.5 / math.sqrt(2), rel=0.01)
    assert result.rms_dbfs == pytest.approx(-9.03, abs=0.1)
    assert not result.is_silent and not result.has_nan and not result.clipping
    assert result.audible


def test_code_is_compiled_and_controls_apply(tmp_path: Path) -> None:
    full = nrt.render(GATED_SINE, [RenderNote(0.0, 0.5, 220.0, 0.4)], tmp_path / "a.wav")
    half = nrt.render(
        GATED_SINE, [RenderNote(0.0, 0.5, 220.0, 0.4)], tmp_path / "b.wav", controls={"mul": 0.5}
    )
    assert full.path == tmp_path / "a.wav"
    assert full.duration_s == pytest.approx(1.5, abs=BLOCK)  # note + default tail of 1 s
    assert half.peak == pytest.approx(full.peak / 2, rel=1e-3)
    with pytest.raises(ValueError, match="no control 'cutoff'"):
        nrt.render(GATED_SINE, [RenderNote(0.0, 0.5, 220.0, 0.4)], controls={"cutoff": 1.0})


def test_gated_synth_is_released(gated: bytes) -> None:
    result = nrt.render(gated, [RenderNote(0.0, 0.5, 440.0, 0.5)], tail=1.0)
    assert nrt.window_peak(result.path, 0.1, 0.45) == pytest.approx(0.5, rel=1e-3)
    assert nrt.window_peak(result.path, 0.6) == 0.0  # released and freed: nothing after
    assert "Node" not in result.log  # the synth was still there when its gate closed


def test_ungated_synth_sounds_to_the_end() -> None:
    result = nrt.render(DRONE, [RenderNote(0.0, 0.5, 440.0, 0.5)], tail=1.0)
    assert nrt.window_peak(result.path, 1.0, 1.4) == pytest.approx(0.5, rel=1e-3)
    score = nrt.build_score(lang.compile_synthdef(DRONE), [RenderNote(0, 0.5, 440, 0.5)], end_s=1)
    assert all(m.address != "/n_set" for _, m in osc.score_messages(score))


def test_score_gives_each_note_its_node_and_release(gated: bytes) -> None:
    notes = [RenderNote(0.0, 0.5, 440.0, 0.2), RenderNote(0.0, 1.0, 550.0, 0.2)]
    notes.append(RenderNote(0.5, 0.5, 660.0, 0.1))
    score = nrt.build_score(gated, notes, end_s=2.0, controls={"mul": 0.5})
    messages = osc.score_messages(score)
    assert messages[0] == (0.0, osc.message("/d_recv", gated))
    starts = [(t, m.args) for t, m in messages if m.address == "/s_new"]
    assert starts == [
        (0.0, ("gsine", 1000, 0, 0, "freq", 440.0, "amp", 0.2, "gate", 1.0, "mul", 0.5)),
        (0.0, ("gsine", 1001, 0, 0, "freq", 550.0, "amp", 0.2, "gate", 1.0, "mul", 0.5)),
        (0.5, ("gsine", 1002, 0, 0, "freq", 660.0, "amp", 0.1, "gate", 1.0, "mul", 0.5)),
    ]
    releases = [(t, m.args) for t, m in messages if m.address == "/n_set"]
    assert releases == [
        (0.5, (1000, "gate", 0.0)),
        (1.0, (1001, "gate", 0.0)),
        (1.0, (1002, "gate", 0.0)),
    ]
    # At 0.5 s the release of node 1000 comes before the start of node 1002.
    at_half = [m.address for t, m in messages if t == 0.5]
    assert at_half == ["/n_set", "/s_new"]
    assert messages[-1] == (2.0, osc.message("/c_set", 0, 0.0))
    with pytest.raises(ValueError, match="end"):
        nrt.build_score(gated, notes, end_s=0.9)


def test_chord_notes_add_up(gated: bytes) -> None:
    one = nrt.render(gated, [RenderNote(0.0, 1.0, 440.0, 0.2)], tail=0.0)
    two = nrt.render(gated, [RenderNote(0.0, 1.0, 440.0, 0.2)] * 2, tail=0.0)
    assert two.peak == pytest.approx(2 * one.peak, rel=1e-3)


def test_pattern_renders_for_its_length(gated: bytes) -> None:
    pattern = Pattern(
        (Note(0, 69, 127, TICKS_PER_BEAT), Note(TICKS_PER_BEAT, 81, 64, TICKS_PER_STEP)),
        "melody",
        bars=1,
        bpm=120.0,
    )
    notes = nrt.notes_from_pattern(pattern)
    assert notes[0] == RenderNote(0.0, 0.5, 440.0, 0.5)
    assert notes[1].start_s == pytest.approx(0.5)
    assert notes[1].duration_s == pytest.approx(0.125)
    assert notes[1].freq == pytest.approx(880.0)
    assert notes[1].amp == pytest.approx(64 / 127 * 0.5)
    result = nrt.render(gated, pattern, tail=0.5)
    assert result.duration_s == pytest.approx(2.5, abs=BLOCK)  # one bar at 120 bpm + tail
    assert nrt.window_peak(result.path, 0.1, 0.45) == pytest.approx(0.5, rel=1e-3)
    assert nrt.window_peak(result.path, 0.7) == 0.0


def test_drum_pattern_renders_like_any_other(gated: bytes) -> None:
    pattern = Pattern((Note(0, 36, 100), Note(TICKS_PER_STEP * 4, 38, 100)), "drums")
    assert nrt.notes_from_pattern(pattern)[0].freq == pytest.approx(nrt.midi_to_hz(36))
    assert nrt.render(gated, pattern).audible


def test_a_ugen_the_server_lacks_is_an_error(gated: bytes) -> None:
    # Same bytes with the UGen's class name changed to one scsynth does not know.
    assert b"SinOsc" in gated
    bogus = gated.replace(b"SinOsc", b"SinOsx")
    with pytest.raises(SynthDefError, match="SinOsx' not installed"):
        nrt.render(bogus, [RenderNote(0.0, 0.5, 440.0, 0.5)])


def test_bad_input_is_an_error() -> None:
    with pytest.raises(SynthDefError, match="SCgf"):
        nrt.render(b"not a synthdef", [RenderNote(0.0, 0.5, 440.0, 0.5)])
    with pytest.raises(SynthDefError, match="syntax"):
        nrt.render(r"SynthDef(\x, { Out.ar(0, ", [RenderNote(0.0, 0.5, 440.0, 0.5)])
    with pytest.raises(ValueError, match="duration_s"):
        RenderNote(0.0, 0.0, 440.0, 0.5)
    with pytest.raises(ValueError, match="freq"):
        RenderNote(0.0, 1.0, math.nan, 0.5)
    with pytest.raises(ValueError, match="sample_format"):
        nrt.render(DRONE, [], sample_format="mp3")  # type: ignore[arg-type]


def test_silence_is_detected(gated: bytes) -> None:
    result = nrt.render(gated, [RenderNote(0.0, 0.5, 440.0, 0.0)])
    assert result.is_silent
    assert result.peak == 0.0 and result.peak_dbfs == -math.inf
    assert not result.audible


@pytest.mark.parametrize(
    "expression",
    [
        "(SinOsc.ar(freq) - SinOsc.ar(freq)).reciprocal",
        "(SinOsc.ar(freq) - SinOsc.ar(freq)) / (SinOsc.ar(freq) - SinOsc.ar(freq))",
    ],
    ids=["one-over-zero", "zero-over-zero"],
)
def test_nan_is_detected(expression: str) -> None:
    code = r"SynthDef(\blowup, { |out = 0, freq = 440, amp = 0.3| Out.ar(out, EXPR * amp ! 2) })"
    result = nrt.render(code.replace("EXPR", expression), [RenderNote(0.0, 0.5, 440.0, 0.3)])
    assert result.has_nan
    assert not result.audible


def test_clipping_is_detected(gated: bytes) -> None:
    result = nrt.render(gated, [RenderNote(0.0, 0.5, 440.0, 1.5)], tail=0.1)
    assert result.clipping  # a float WAV keeps what is above full scale
    assert result.peak == pytest.approx(1.5, rel=1e-3)
    assert not result.audible


def test_int16_output(gated: bytes) -> None:
    result = nrt.render(
        gated, [RenderNote(0.0, 1.0, 440.0, 0.5)], tail=0.0, sample_format="int16", channels=1
    )
    assert result.channels == 1
    assert result.path.read_bytes()[20:22] == b"\x01\x00"  # PCM
    assert result.peak == pytest.approx(0.5, rel=1e-3)
    assert result.rms == pytest.approx(0.5 / math.sqrt(2), rel=0.01)


def test_missing_scsynth_names_the_package(monkeypatch: pytest.MonkeyPatch, gated: bytes) -> None:
    monkeypatch.setenv("AUDIOMANCER_SCSYNTH", "no-such-scsynth-for-audiomancer")
    with pytest.raises(EngineNotFoundError, match="supercollider-server"):
        nrt.render(gated, [RenderNote(0.0, 0.5, 440.0, 0.5)])
    with pytest.raises(EngineNotFoundError, match="supercollider-server"):
        nrt.render_phrase(GATED_SINE)


def test_the_wav_is_written_atomically(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, gated: bytes
) -> None:
    target = tmp_path / "out" / "render.wav"
    target.parent.mkdir()
    target.write_bytes(b"old")
    calls: list[list[str]] = []
    real_run = processes.run

    def spy(args: list[str], **kwargs: Any) -> Any:
        calls.append(list(args))
        return real_run(args, **kwargs)

    monkeypatch.setattr(processes, "run", spy)
    # A failed render leaves the old file alone and no temporary file behind.
    with pytest.raises(SynthDefError):
        nrt.render(gated.replace(b"SinOsc", b"SinOsx"), [RenderNote(0, 0.5, 440, 0.5)], target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["render.wav"]
    # scsynth writes to another name in the same folder, renamed over the target at the end.
    result = nrt.render(gated, [RenderNote(0.0, 0.5, 440.0, 0.5)], target)
    written = Path(calls[-1][calls[-1].index("-N") + 3])
    assert written != target and written.parent == target.parent
    assert not written.exists()
    assert result.path == target and target.read_bytes()[:4] == b"RIFF"
    assert sorted(p.name for p in target.parent.iterdir()) == ["render.wav"]


def test_a_hung_render_is_killed(tmp_path: Path) -> None:
    heavy = r"""SynthDef(\heavy, { |out = 0, freq = 440, amp = 0.1|
        Out.ar(out, Mix.fill(300, { |i| SinOsc.ar(freq * (i + 1)) }) * amp * 0.001)
    })"""
    target = tmp_path / "long.wav"
    with pytest.raises(EngineError, match="timeout"):
        nrt.render(
            heavy, [RenderNote(0.0, 1.0, 440.0, 0.1)], target, tail=3600.0, timeout=0.5, channels=1
        )
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_render_phrase_plays_around_the_default_freq(tmp_path: Path) -> None:
    result = nrt.render_phrase(GATED_SINE, 2.0, tmp_path / "phrase.wav", tail=0.5)
    assert result.duration_s == pytest.approx(2.5, abs=BLOCK)
    assert result.audible
    assert result.peak == pytest.approx(0.3, rel=1e-3)  # the SynthDef's default amp
    samples, rate = nrt.read_wav(result.path)
    # The first note is the default freq (440 Hz): count zero crossings in its first 0.3 s.
    first = samples[: int(0.3 * rate), 0]
    crossings = np.count_nonzero(np.diff(np.signbit(first)))
    assert crossings / 2 / 0.3 == pytest.approx(440, rel=0.02)


def test_measure_reads_any_wav(tmp_path: Path) -> None:
    import wave

    path = tmp_path / "plain.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(np.array([0, 16384, -16384, 0], dtype="<i2").tobytes())
    result = nrt.measure(path)
    assert result.duration_s == pytest.approx(4 / 8000)
    assert result.peak == pytest.approx(0.5)
    assert result.rms == pytest.approx(math.sqrt(0.125))


def test_a_relative_output_path_is_relative_to_the_callers_folder(
    gated: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "renders").mkdir()
    result = nrt.render_phrase(gated, seconds=0.5, path=Path("renders/relative.wav"))
    assert result.path == tmp_path / "renders" / "relative.wav"
    assert result.path.is_file() and result.audible
