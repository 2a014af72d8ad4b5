"""The shipped drum kit: every voice compiles in sclang and sounds through the real scsynth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audiomancer.errors import SynthNotFoundError
from audiomancer.patterns.model import DRUM_CLASSES
from audiomancer.patterns.tidal import velocity_to_gain
from audiomancer.supercollider import kit, lang, nrt, osc
from conftest import need_engine

EXPECTED = {
    "kick": "am_kick",
    "snare": "am_snare",
    "closed_hat": "am_closed_hat",
    "open_hat": "am_open_hat",
    "low_tom": "am_low_tom",
    "mid_tom": "am_mid_tom",
    "high_tom": "am_high_tom",
    "crash": "am_crash",
    "ride": "am_ride",
}


def test_the_default_kit_covers_every_drum_class_with_stable_names() -> None:
    voices = kit.default_kit()
    assert list(voices) == [drum.name for drum in DRUM_CLASSES]
    assert {drum: voice.synthdef for drum, voice in voices.items()} == EXPECTED
    for drum, voice in voices.items():
        source = voice.source()
        assert source.splitlines()[0] == f"// drum: {drum}"
        assert kit.synthdef_name_in(source, str(voice.path)) == voice.synthdef
        assert "OffsetOut.ar" in source and "doneAction: 2" in source
    assert kit.load_kit("default") == voices


def test_velocity_follows_the_tidal_curve() -> None:
    for velocity in (1, 40, 64, 100, 127):
        assert kit.velocity_amp(velocity) == (velocity / 127) ** 2
        # SuperDirt plays gain ** 4; the export writes gain to 3 decimals (so 1e-3 off at most).
        gain = velocity_to_gain(velocity)
        assert kit.velocity_amp(velocity) == pytest.approx(gain**4, rel=4 * 5e-4 / gain)
    assert kit.velocity_amp(127) == 1.0
    with pytest.raises(ValueError, match="0"):
        kit.velocity_amp(0)


def test_a_user_kit_folder_overrides_some_classes(tmp_path: Path) -> None:
    (tmp_path / "kick.scd").write_text("SynthDef(\\my_kick, { |out = 0, amp = 1| }).add;\n")
    voices = kit.load_kit(tmp_path)
    assert voices["kick"].synthdef == "my_kick"
    assert voices["snare"].synthdef == "am_snare"
    (tmp_path / "cowbell.scd").write_text("SynthDef(\\bell, {}).add;\n")
    with pytest.raises(ValueError, match=r"cowbell\.scd"):
        kit.load_kit(tmp_path)
    with pytest.raises(SynthNotFoundError, match="'nope'"):
        kit.load_kit("nope")


@pytest.mark.engines
@pytest.mark.parametrize("drum", list(EXPECTED))
def test_each_voice_compiles_and_sounds(drum: str, tmp_path: Path) -> None:
    need_engine("sclang")
    need_engine("scsynth")
    voice = kit.default_kit()[drum]
    scgf = lang.compile_synthdef(voice.source())
    header = nrt.read_synthdef_header(scgf)
    assert header.name == voice.synthdef
    assert {"out", "amp", "pan"} <= set(header.controls)
    assert "gate" not in header.controls and "freq" not in header.controls
    # One hit off the control-block grid, at full velocity with the default amp.
    onset = 0.1 + 17 / 44100
    score = [
        osc.Bundle(0.0, (osc.message("/d_recv", scgf),)),
        osc.Bundle(onset, (osc.message("/s_new", voice.synthdef, 1000, 0, 0),)),
        osc.Bundle(3.0, (osc.message("/c_set", 0, 0.0),)),
    ]
    result = nrt.render_score(score, tmp_path / f"{drum}.wav", name=drum)
    assert result.audible, result
    assert result.peak < 0.95
    assert result.peak_dbfs > -20
    samples, rate = nrt.read_wav(result.path)
    level = np.abs(samples).max(axis=1)
    first = int(np.argmax(level > 1e-4))
    # OffsetOut: sound starts on the hit's own sample, not at the control block before it.
    assert abs(first - round(onset * rate)) <= 2, (first, onset * rate)
    # It frees itself: the end of the render is silent.
    assert level[int(2.8 * rate) :].max() < 1e-4
