"""Rendering stored patterns with the real scsynth: the audio itself is checked."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.errors import SynthDefError
from audiomancer.paths import scratch_dir
from audiomancer.patterns.model import TICKS_PER_BEAT, TICKS_PER_STEP, Note, Pattern
from audiomancer.patterns.store import PatternStore
from audiomancer.supercollider import nrt
from audiomancer.supercollider.pattern_render import MAX_RENDER_SECONDS, render_pattern
from conftest import need_engine

pytestmark = pytest.mark.engines

RATE = 44100
GATED_SINE = r"""
SynthDef(\test_sine, { |out = 0, freq = 440, amp = 0.3, gate = 1|
    var env = EnvGen.ar(Env.asr(0.005, 1, 0.01), gate, doneAction: 2);
    Out.ar(out, SinOsc.ar(freq) * amp * env ! 2);
}).add;
"""
PERC_SINE = r"""
SynthDef(\test_perc, { |out = 0, freq = 440, amp = 0.3|
    var env = EnvGen.ar(Env.perc(0.002, 0.2), doneAction: 2);
    Out.ar(out, SinOsc.ar(freq) * amp * env ! 2);
}).add;
"""
NO_FREQ = r"""
SynthDef(\test_nofreq, { |out = 0, amp = 0.3, gate = 1|
    Out.ar(out, PinkNoise.ar * amp * EnvGen.kr(Env.asr, gate, doneAction: 2) ! 2);
}).add;
"""


@pytest.fixture(autouse=True)
def engines_present() -> None:
    need_engine("scsynth")
    need_engine("sclang")


def _drums(hits: list[tuple[int, int]], bpm: float = 120.0) -> Pattern:
    return Pattern(tuple(Note(start, pitch, 100, 60) for start, pitch in hits), "drums", bpm=bpm)


def _onsets(path: Path, gap_s: float = 0.03) -> list[float]:
    """Times where the level rises above 10% of the file's peak after a quiet gap."""
    samples, rate = nrt.read_wav(path)
    level = np.abs(samples).max(axis=1)
    threshold = 0.1 * level.max()
    loud = level > threshold
    gap = int(gap_s * rate)
    found: list[float] = []
    last = -gap - 1
    for index in np.nonzero(loud)[0]:
        if index - last > gap:
            found.append(index / rate)
        last = index
    return found


def _note_times(pattern: Pattern) -> list[float]:
    tick = pattern.seconds_per_tick()
    return sorted({note.start * tick for note in pattern.notes})


def test_hats_land_on_their_micro_timed_notes(tmp_path: Path) -> None:
    # Eighth-note hats, every other one late by 37 ticks (about 19 ms at 120 bpm).
    hits = [(i * 240 + (37 if i % 2 else 0), 42) for i in range(8)]
    pattern = _drums(hits)
    result = render_pattern(pattern, tmp_path / "hats.wav")
    onsets = _onsets(result.path)
    expected = _note_times(pattern)
    assert len(onsets) == len(expected)
    assert max(abs(a - b) for a, b in zip(onsets, expected, strict=True)) < 0.005


def test_kick_and_snare_land_on_their_notes(tmp_path: Path) -> None:
    hits = [(0, 36), (TICKS_PER_BEAT + 11, 38), (2 * TICKS_PER_BEAT - 5, 36), (1453, 38)]
    pattern = _drums(hits)
    result = render_pattern(pattern, tmp_path / "ks.wav")
    onsets = _onsets(result.path, gap_s=0.1)
    expected = _note_times(pattern)
    assert len(onsets) == len(expected), onsets
    assert max(abs(a - b) for a, b in zip(onsets, expected, strict=True)) < 0.005
    assert result.peak_dbfs < 0
    assert {lane.synthdef for lane in result.lanes} == {"am_kick", "am_snare"}


def _pitch(samples: npt.NDArray[np.float64], rate: int) -> float:
    mono = samples.mean(axis=1) * np.hanning(samples.shape[0])
    spectrum = np.abs(np.fft.rfft(mono, 8 * samples.shape[0]))
    return float(np.argmax(spectrum) * rate / (8 * samples.shape[0]))


def test_long_notes_sound_at_their_pitch_then_silence(tmp_path: Path) -> None:
    # A4 for a beat, rest, E5 for a beat (0.5 s each at 120 bpm).
    notes = [Note(0, 69, 127, TICKS_PER_BEAT), Note(2 * TICKS_PER_BEAT, 76, 127, TICKS_PER_BEAT)]
    pattern = Pattern(tuple(notes), "melody", bpm=120.0, key="A", scale="major")
    result = render_pattern(pattern, tmp_path / "sine.wav", synth_code=GATED_SINE)
    samples, rate = nrt.read_wav(result.path)
    assert _pitch(samples[int(0.1 * rate) : int(0.4 * rate)], rate) == pytest.approx(440, abs=2)
    assert _pitch(samples[int(1.1 * rate) : int(1.4 * rate)], rate) == pytest.approx(659.3, abs=2)
    # Silent between the notes and after the last release (10 ms release, a block of slack).
    assert np.abs(samples[int(0.52 * rate) : int(0.98 * rate)]).max() < 1e-3
    assert np.abs(samples[int(1.52 * rate) :]).max() < 1e-3
    assert result.duration_s == pytest.approx(2.0, abs=1e-3)  # one bar; the tail died at once


def test_a_synth_without_gate_frees_itself(tmp_path: Path) -> None:
    notes = [Note(i * TICKS_PER_BEAT, 60 + i, 100, TICKS_PER_STEP) for i in range(4)]
    pattern = Pattern(tuple(notes), "bass", bpm=120.0, key="C", scale="chromatic")
    result = render_pattern(pattern, tmp_path / "perc.wav", synth_code=PERC_SINE)
    assert len(_onsets(result.path)) == 4
    assert result.lanes[0].synthdef == "test_perc"
    assert result.peak_dbfs > -30


def test_a_synth_without_frequency_is_refused(tmp_path: Path) -> None:
    pattern = Pattern((Note(0, 40, 100, 120),), "bass", key="C", scale="minor")
    with pytest.raises(SynthDefError, match=r"test_nofreq.*no frequency control"):
        render_pattern(pattern, tmp_path / "x.wav", synth_code=NO_FREQ)
    assert list(tmp_path.iterdir()) == []


def test_too_long_a_render_is_refused(tmp_path: Path) -> None:
    pattern = Pattern((Note(0, 36),), "drums", bars=64, bpm=20.0)
    with pytest.raises(ValueError, match=f"at most {MAX_RENDER_SECONDS:g} s"):
        render_pattern(pattern, tmp_path / "long.wav")


def test_stems_sum_to_the_mix(tmp_path: Path) -> None:
    hits = [(0, 36), (480, 38), (960, 36), (1440, 38)] + [(i * 240, 42) for i in range(8)]
    pattern = _drums(hits)
    result = render_pattern(
        pattern, tmp_path / "mix.wav", stems=tmp_path / "stems", sample_format="float"
    )
    assert sorted(result.stems) == ["closed_hat", "kick", "snare"]
    mix, _ = nrt.read_wav(result.path)
    total = sum(nrt.read_wav(path)[0] for path in result.stems.values())
    assert np.abs(mix - total).max() < 1e-6
    assert result.gain <= 1.0


def test_cli_renders_a_library_synth_and_a_user_scd(tmp_path: Path) -> None:
    notes = [Note(i * 240, 36 + (i % 3) * 3, 100, 200) for i in range(8)]
    pattern = Pattern(tuple(notes), "bass", key="C", scale="minor")
    pattern_id = PatternStore().put(pattern)["id"]
    runner = CliRunner()
    for synth, name in (("tb303", "303.wav"), (None, "default.wav")):
        args = ["render", pattern_id, "-o", str(tmp_path / name)]
        result = runner.invoke(app, args + (["--synth", synth] if synth else []))
        assert result.exit_code == 0, result.output
        assert "peak" in result.output and "RMS" in result.output
        with wave.open(str(tmp_path / name)) as handle:
            assert handle.getsampwidth() == 3 and handle.getnchannels() == 2
            assert handle.getnframes() >= 2 * 44100
    scd = tmp_path / "mine.scd"
    scd.write_text(GATED_SINE)
    args = ["render", pattern_id, "-o", str(tmp_path / "mine.wav"), "--synth", str(scd)]
    result = runner.invoke(app, [*args, "--format", "int16"])
    assert result.exit_code == 0, result.output
    with wave.open(str(tmp_path / "mine.wav")) as handle:
        assert handle.getsampwidth() == 2
    scd.write_text(NO_FREQ)
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "no frequency control" in result.output


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_a_killed_render_leaves_nothing_behind(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    # Long enough to be caught while scsynth runs: 64 bars of 16th notes at 60 bpm.
    notes = tuple(Note(i * 120, 48 + i % 12, 100, 100) for i in range(64 * 16))
    pattern = Pattern(notes, "bass", bars=64, bpm=60.0, key="C", scale="chromatic")
    pattern_id = PatternStore().put(pattern)["id"]
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "audiomancer", "render", pattern_id, "-o", str(out / "x.wav")],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    scsynth: list[int] = []
    while time.monotonic() < deadline and not scsynth:
        scsynth = [
            pid
            for pid in _children(process.pid)
            if "scsynth" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        ]
        time.sleep(0.01)
    assert scsynth, "scsynth never started"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 128 + signal.SIGTERM
    time.sleep(0.2)
    assert not any(Path(f"/proc/{pid}").exists() for pid in scsynth)
    assert list(out.iterdir()) == []
    nrt_dir = scratch_dir() / "nrt"
    assert nrt_dir.is_dir()  # the render had started there
    assert list(nrt_dir.iterdir()) == []


def test_stale_leftovers_are_swept(tmp_path: Path) -> None:
    import os
    import time

    from audiomancer.supercollider.pattern_render import sweep_stale

    old_partial = tmp_path / ".x.wav.0123abcd.tmp"
    fresh_partial = tmp_path / ".y.wav.0123abcd.tmp"
    work = scratch_dir() / "nrt" / "render-old"
    work.mkdir(parents=True)
    for path in (old_partial, fresh_partial):
        path.write_bytes(b"partial")
    stale = time.time() - 2 * 3600
    for path in (old_partial, work):
        os.utime(path, (stale, stale))
    assert sweep_stale(tmp_path) == 2
    assert not old_partial.exists() and not work.exists() and fresh_partial.exists()


def test_renders_are_byte_identical_across_processes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    # Noise-based drums on the very first sample and later: hats, snare and open hat.
    hits = [(i * 240, 42) for i in range(8)] + [(0, 38), (960, 38), (1440, 46)]
    pattern_id = PatternStore().put(_drums(hits))["id"]

    def render(name: str, *extra: str) -> bytes:
        target = tmp_path / name
        command = [sys.executable, "-m", "audiomancer", "render", pattern_id, "-o", str(target)]
        finished = subprocess.run(
            [*command, *extra], env=dict(os.environ), capture_output=True, text=True, timeout=120
        )
        assert finished.returncode == 0, finished.stderr
        return target.read_bytes()

    first, second = render("a.wav"), render("b.wav")
    assert first == second
    # The seed is what makes them equal: another seed plays other noise.
    assert render("c.wav", "--seed", "7") != first


def test_scsynth_starts_with_only_the_plugins_the_score_needs(tmp_path: Path) -> None:
    import os

    from audiomancer.supercollider import plugins

    hits = [(i * 240, 42) for i in range(8)] + [(0, 36), (960, 38)]
    pattern = _drums(hits)
    first = render_pattern(pattern, tmp_path / "a.wav")
    ugens = {"OffsetOut", "WhiteNoise", "SinOsc", "EnvGen", "BinaryOpUGen", "Pan2"}
    chosen = plugins.plugin_path_for(ugens)
    assert chosen is not None
    loaded = {Path(os.readlink(link)).name for link in Path(chosen).iterdir()}
    assert {"IOUGens.so", "NoiseUGens.so", "OscUGens.so", "PanUGens.so"} <= loaded
    every = [p for d in plugins.PLUGIN_DIRS if d.is_dir() for p in d.rglob("*.so")]
    assert len(loaded) < len([p for p in every if "_supernova" not in p.name]) / 2
    assert plugins.plugin_path_for({"NoSuchUGenAnywhere"}) is None  # unknown: load them all
    # A choice that lacks a plugin the score needs: scsynth says so, the render loads every
    # plugin instead (and remembers), and the audio is the same, byte for byte.
    score_ugens = {"Control", "RandSeed", "FreeSelf"}
    for drum in ("closed_hat", "kick", "snare"):
        from audiomancer.supercollider import kit
        from audiomancer.supercollider.pattern_render import compile_cached
        from audiomancer.supercollider.scgf import read_scgf

        code = kit.default_kit()[drum].source()
        score_ugens |= {u.name for u in read_scgf(compile_cached(code, 30.0)).ugens}
    folder = plugins.choice_folder(score_ugens)
    assert folder is not None and folder.is_dir()  # the first render made it
    for link in folder.iterdir():
        if link.name.endswith("NoiseUGens.so"):
            link.unlink()
    second = render_pattern(pattern, tmp_path / "b.wav")
    assert second.path.read_bytes() == first.path.read_bytes()
    assert plugins.plugin_path_for(score_ugens) is None
