"""Code from users' files: only the SynthDef runs and is stored, in an sclang of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiomancer.analyzers.synthdef import parse_synthdef
from audiomancer.cli import app
from audiomancer.generators import LineageTracker
from audiomancer.supercollider import lang
from conftest import need_engine

VALID = r"SynthDef(\ok, { Out.ar(0, SinOsc.ar(440) * 0.1) })"


def hostile_file(folder: Path, marker: Path) -> Path:
    path = folder / "hostile.scd"
    path.write_text(
        "(\n"
        f'File.use("{marker}", "w", {{ |f| f.write("ran") }});\n'
        "SynthDef(\\hostile, { |out = 0, freq = 220, amp = 0.2, gate = 1|\n"
        "    var env = EnvGen.kr(Env.adsr(0.01, 0.2, 0.6, 0.3), gate, doneAction: 2);\n"
        "    Out.ar(out, RLPF.ar(Saw.ar(freq), 1200, 0.3) * env * amp ! 2);\n"
        "}).add;\n"
        ")\n"
    )
    return path


def test_the_parsed_code_is_the_synthdef_alone(tmp_path: Path) -> None:
    info = parse_synthdef(hostile_file(tmp_path, tmp_path / "marker"))
    assert "File.use" not in info.source_code
    assert info.source_code.startswith("SynthDef(\\hostile") and ".add" in info.source_code
    kept = "(\n// a comment\nSynthDef(\\x, { Out.ar(0, SinOsc.ar) }).add;\n)\n"
    assert parse_synthdef(kept).source_code == kept  # a file that is only the SynthDef
    held = parse_synthdef("var g = { Out.ar(0, SinOsc.ar) };\nSynthDef(\\x, g).add;\n")
    assert held.source_code == "SynthDef(\\x, { Out.ar(0, SinOsc.ar) }).add"


@pytest.mark.engines
@pytest.mark.parametrize(
    "args",
    [
        ["synth", "validate", "{file}"],
        ["synth", "mutate", "{file}", "--seed", "1"],
        ["synth", "breed", "{file}", "tb303", "--seed", "1"],
        ["synth", "generate", "dark bass", "--base", "{file}", "--seed", "1"],
        ["synth", "render", "{file}", "-o", "{folder}/out.wav", "--seconds", "0.5"],
    ],
    ids=["validate", "mutate", "breed", "generate", "render"],
)
def test_no_command_runs_or_stores_a_files_other_statements(
    tmp_path: Path, args: list[str]
) -> None:
    need_engine("sclang")
    need_engine("scsynth")
    marker = tmp_path / "marker"
    file = hostile_file(tmp_path, marker)
    argv = [a.format(file=file, folder=tmp_path) for a in args]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert not marker.exists()
    for stored in LineageTracker().library_dir.glob("*.scd"):
        assert "File.use" not in stored.read_text()


@pytest.mark.engines
def test_validate_refuses_a_file_without_a_synthdef(tmp_path: Path) -> None:
    need_engine("sclang")
    path = tmp_path / "none.scd"
    path.write_text("1 + 1;\n")
    result = CliRunner().invoke(app, ["synth", "validate", str(path)])
    assert result.exit_code == 1
    assert "no SynthDef(...) found" in result.stderr and str(path) in result.stderr


@pytest.mark.parametrize("command", ["validate", "render", "mutate", "breed", "generate"])
def test_help_says_what_runs(command: str) -> None:
    result = CliRunner().invoke(app, ["synth", command, "--help"])
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stdout).split())
    assert "run by sclang" in text and "never run or stored" in text


@pytest.mark.engines
def test_untrusted_code_cannot_change_later_checks() -> None:
    need_engine("sclang")
    shared = lang.get_sclang()
    assert lang.validate(VALID)
    pid = shared.pid
    with lang.untrusted() as fresh:
        assert lang.get_sclang() is fresh
        evil = 'thisProcess.interpreter.preProcessor = { |code| "loop {}" }; 1'
        assert lang.validate(evil)
        fresh_pid = fresh.pid
    assert fresh.pid is None and fresh_pid != pid
    assert lang.get_sclang() is shared and shared.pid == pid
    assert lang.evaluate("thisProcess.interpreter.preProcessor") == "nil"
    assert lang.validate(VALID)


@pytest.mark.engines
def test_validation_memory_is_capped() -> None:
    need_engine("sclang")
    with lang.Sclang() as service:
        result = service.validate("Array.fill(5e7, 0); 1", timeout=30)
        assert not result.ok and result.stage == "build"
        assert "allocate" in result.message
        assert service.validate(VALID)
