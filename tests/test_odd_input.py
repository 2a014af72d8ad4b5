"""Odd input and limits, tried as a new user would (issue 14 §11, §12): each a clear error
naming the value, or a documented meaning; nothing stored or written when refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.supercollider import nrt
from conftest import need_engine

runner = CliRunner()
BEAT = "kick: x...x...x...x... snare: ....x.......x..."
SYNTH = """SynthDef(\\odd, { |out=0, freq=220, amp=0.2, gate=1|
    var env = EnvGen.kr(Env.adsr(0.01, 0.1, 0.7, 0.2), gate, doneAction: 2);
    Out.ar(out, (SIGNAL * env) ! 2);
}).add;
"""


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def _synth(tmp_path: Path, signal: str) -> Path:
    path = tmp_path / "odd.scd"
    path.write_text(SYNTH.replace("SIGNAL", signal))
    return path


# --- §12 limits -----------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", ["61", "1e9", "inf", "0", "-1"])
def test_phrase_seconds_are_bounded(tmp_path: Path, seconds: str) -> None:
    wav = tmp_path / "x.wav"
    for args in (
        ["synth", "render", str(_synth(tmp_path, "SinOsc.ar(freq)")), "-o", str(wav)],
        ["synth", "audition", "tb303", "-o", str(wav)],
    ):
        code, out, err = invoke(*args, "--seconds", seconds)
        assert code in (1, 2), (args, out, err)
        assert "invalid seconds" in err or "Invalid value" in err, err
        assert not wav.exists()
    with pytest.raises(ValueError, match="at most 60 s"):
        nrt.render_phrase(b"", 61.0)


def test_an_exploding_or_silent_render_says_so_in_words(tmp_path: Path) -> None:
    need_engine("sclang")
    need_engine("scsynth")
    wav = tmp_path / "x.wav"
    code, out, err = invoke("synth", "render", str(_synth(tmp_path, "DC.ar(inf)")), "-o", str(wav))
    assert code == 1
    assert "-inf dBFS" not in out + err
    assert "every sample is NaN, infinite or zero (the synth blew up)" in out
    assert "not audible: it contains NaN or infinite samples" in err
    assert "silent" not in err
    code, out, err = invoke("synth", "render", str(_synth(tmp_path, "DC.ar(0)")), "-o", str(wav))
    assert code == 1
    assert "-inf dBFS" not in out + err
    assert "no sound: every sample is zero" in out and "not audible: it is silent" in err
