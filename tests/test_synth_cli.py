"""``audiomancer synth generate|mutate|breed|rate|top|tree|audition`` through typer's runner."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.generators import LineageTracker
from audiomancer.supercollider import nrt
from conftest import need_engine

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def engines() -> None:
    need_engine("sclang")
    need_engine("scsynth")


def test_generate_mutate_breed_rate_top_tree_audition(tmp_path: Path) -> None:
    code, out, _ = invoke("synth", "generate", "warm acid bass with filter sweep", "-c", "bass")
    assert code == 0, out
    assert "created warm_acid_bass_001 (generated of tb303)" in out and "MoogFF" in out
    tracker = LineageTracker()
    assert "LFO" in tracker.source_code("warm_acid_bass_001")

    code, out, _ = invoke("synth", "mutate", "warm_acid_bass_001", "--seed", "4", "--amount", "0.6")
    assert code == 0, out
    mutant = re.search(
        r"created (warm_acid_bass_001_m\d{3}) \(mutation of warm_acid_bass_001\)", out
    )
    assert mutant, out
    mutant_id = mutant.group(1)

    code, out, _ = invoke("synth", "breed", "tb303", "juno_pad", "--seed", "1")
    assert code == 0 and "created tb303_x_juno_pad (crossover of tb303 × juno_pad)" in out

    code, out, _ = invoke("synth", "rate", mutant_id, "5", "--notes", "squelchy!")
    assert code == 0 and "★★★★★" in out
    invoke("synth", "rate", "tb303_x_juno_pad", "3")
    code, out, _ = invoke("synth", "top", "--limit", "5")
    assert code == 0
    assert out.index(mutant_id) < out.index("tb303_x_juno_pad") and "squelchy!" in out

    code, out, _ = invoke("synth", "tree", "warm_acid_bass_001")
    assert code == 0
    lines = out.splitlines()
    assert "family of warm_acid_bass_001 (generation 1)" in lines[0]
    depth = {name: next(i for i, line in enumerate(lines) if i and name in line.split())
             for name in ("tb303", "warm_acid_bass_001", mutant_id)}  # fmt: skip
    assert depth["tb303"] < depth["warm_acid_bass_001"] < depth[mutant_id]

    wav = tmp_path / "mutant.wav"
    code, out, _ = invoke("synth", "audition", mutant_id, "--out", str(wav), "--seconds", "1")
    assert code == 0 and "peak" in out
    assert nrt.measure(wav).audible


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["synth", "mutate", "no_such_synth"], "synth 'no_such_synth' not found"),
        (["synth", "rate", "tb303", "9"], "invalid rating 9"),
        (["synth", "generate", "x", "--category", "banjo"], "invalid category 'banjo'"),
        (["synth", "mutate", "tb303", "--amount", "2"], "invalid amount 2.0"),
        (["synth", "tree", "nothing_here"], "not found"),
    ],
)
def test_errors_are_one_line_and_exit_1(args: list[str], message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 1
    assert message in err
    assert "Traceback" not in out + err


def test_top_without_ratings() -> None:
    code, out, _ = invoke("synth", "top")
    assert code == 0 and "no rated synths yet" in out


NOISY_EFFECT = """SynthDef(\\grit, { |in = 0, out = 0, amount = 0.05|
    var sig = In.ar(in, 2);
    ReplaceOut.ar(out, sig + (WhiteNoise.ar(amount) * Rand(0.5, 1.0)));
}).add;
"""


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audiomancer", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_auditions_are_byte_identical_across_processes(tmp_path: Path) -> None:
    effect = tmp_path / "grit.scd"
    effect.write_text(NOISY_EFFECT)

    def audition(name: str, *extra: str) -> bytes:
        # hihat: a template made of noise, from its first sample on
        target = tmp_path / name
        finished = _run_cli("synth", "audition", "hihat", "-o", str(target), *extra)
        assert finished.returncode == 0, finished.stderr
        return target.read_bytes()

    def effect_render(name: str, *extra: str) -> bytes:
        target = tmp_path / name
        command = ["synth", "render", str(effect), "-o", str(target), "--test-input", *extra]
        finished = _run_cli(*command)
        assert finished.returncode == 0, finished.stderr
        return target.read_bytes()

    first = audition("a.wav")
    time.sleep(1.1)  # a render a second later is the same bytes too (no clock in the file)
    assert audition("b.wav") == first
    assert audition("c.wav", "--seed", "7") != first  # the seed is what makes them equal
    assert audition("d.wav", "--seed", "7") == (tmp_path / "c.wav").read_bytes()
    fed = effect_render("e.wav", "--seed", "3")
    assert effect_render("f.wav", "--seed", "3") == fed
    assert effect_render("g.wav", "--seed", "4") != fed


@pytest.mark.parametrize("seed", ["-1", "16777217"])
def test_a_seed_out_of_range_is_refused_before_rendering(tmp_path: Path, seed: str) -> None:
    target = tmp_path / "x.wav"
    code, _, err = invoke("synth", "audition", "hihat", "-o", str(target), "--seed", seed)
    assert code == 1
    assert f"invalid seed {seed}" in err and "0 to 16777216" in err
    assert not target.exists()
