"""The command line, run as a user runs it: a real subprocess for the end-to-end path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.patterns.midi import read_midi, write_midi
from audiomancer.patterns.model import Note, Pattern
from audiomancer.patterns.store import PatternStore

runner = CliRunner()
BEAT = "kick: x...x...x...x... snare: ....x.......x..."


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_build_stores_and_prints_tidal_and_pbind(tmp_path: Path) -> None:
    code, out, _ = invoke("build", "drums", BEAT, "--bpm", "125", "--midi", str(tmp_path / "b.mid"))
    assert code == 0
    (record,) = PatternStore().list()
    assert record.id in out and "d1 $" in out and "Pbind" in out
    assert read_midi(tmp_path / "b.mid").notes == record.to_pattern().notes


def test_import_list_show_export_rate(tmp_path: Path) -> None:
    source = tmp_path / "in.mid"
    write_midi(Pattern((Note(0, 60, 90, 480), Note(480, 64)), "melody", bpm=90), source)
    code, out, _ = invoke("import", str(source), "--key", "C", "--scale", "major", "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["key"], data["bpm"], data["generation_method"]) == ("C", 90.0, "imported")
    pattern_id = data["id"]

    code, out, _ = invoke("list", "--type", "melody")
    assert code == 0 and pattern_id in out
    code, out, _ = invoke("list", "--type", "drums")
    assert pattern_id not in out

    for fmt, marker in (("tidal", "setcps"), ("pbind", "Pbind"), ("summary", pattern_id)):
        code, out, _ = invoke("show", pattern_id, "--format", fmt)
        assert code == 0 and marker in out

    code, _, _ = invoke("export", pattern_id, "--midi", str(tmp_path / "out.mid"))
    assert code == 0
    assert read_midi(tmp_path / "out.mid").notes == read_midi(source).notes

    code, out, _ = invoke("rate", pattern_id, "5", "--notes", "lovely")
    assert code == 0 and "★★★★★" in out
    assert PatternStore().get(pattern_id).user_notes == "lovely"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "ptrn_00000000"], "pattern 'ptrn_00000000' not found"),
        (["rate", "ptrn_00000000", "4"], "not found"),
        (["import", "missing.mid"], "does not exist"),
        (["build", "melody", "C4 Q9"], "invalid step 'Q9'"),
        (["build", "melody", "C4", "--key", "H"], "invalid key 'H'"),
        (["build", "melody", "C4", "--bpm", "1000"], "invalid bpm 1000.0"),
    ],
)
def test_errors_are_one_clear_line_and_exit_1(args: list[str], message: str) -> None:
    code, out, err = invoke(*args)
    assert code == 1
    assert message in err
    assert "Traceback" not in out + err


def test_bad_rating_and_bad_choices_are_refused() -> None:
    code, _, _ = invoke("build", "drums", BEAT)
    pattern_id = PatternStore().list()[0].id
    code, _, err = invoke("rate", pattern_id, "9")
    assert code == 1 and "invalid rating 9" in err
    code, _, err = invoke("show", pattern_id, "--format", "xml")
    assert code == 2 and "'xml' is not one of" in err
    code, _, err = invoke("list", "--type", "chords")
    assert code == 2


def test_every_command_has_help() -> None:
    for command in (
        "import", "build", "list", "show", "export", "rate", "doctor",
        "mutate", "crossover", "evolve", "top", "lineage", "generate", "synth",
    ):  # fmt: skip
        code, out, _ = invoke(command, "--help")
        assert code == 0 and "Usage" in out


def test_doctor_reports_real_engines_as_an_installed_program_would() -> None:
    from conftest import need_engine

    for engine in ("sclang", "scsynth", "tidal"):
        need_engine(engine)
    result = subprocess.run(
        [sys.executable, "-m", "audiomancer", "doctor"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "3.13" in result.stdout and "Tidal 1." in result.stdout


def test_doctor_names_the_package_when_an_engine_is_missing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "audiomancer", "doctor"],
        capture_output=True,
        text=True,
        env={**os.environ, "AUDIOMANCER_SCLANG": "no-such-sclang", "COLUMNS": "200"},
        timeout=120,
    )
    assert result.returncode == 1
    assert "sudo apt-get install supercollider-language sc3-plugins-language" in result.stdout


def test_mutate_crossover_evolve_top_lineage() -> None:
    invoke("build", "drums", BEAT + " hh: x.x.x.x.x.x.x.x.")
    invoke("build", "drums", BEAT)
    a, b = (r.id for r in PatternStore().list())
    code, out, err = invoke("mutate", a, "--amount", "0.5", "--seed", "3", "-f", "tidal")
    assert code == 0 and f"← {a} (mutated)" in err and "•" in err and "d1 $" in out
    assert out.startswith("-- audiomancer drums") and "•" not in out  # only the code on stdout
    mutant = PatternStore().list()[-1].id
    code, out, _ = invoke("crossover", mutant, b, "--seed", "1")
    assert code == 0 and f"{mutant} × {b}" in out
    child = PatternStore().list()[-1].id

    invoke("rate", a, "5")
    invoke("rate", b, "2")
    code, out, _ = invoke("evolve", a, b, "--generations", "3", "--seed", "9")
    assert code == 0 and "new patterns" in out

    code, out, _ = invoke("top", "--type", "drums", "--limit", "1")
    assert code == 0 and a in out and b not in out

    code, out, _ = invoke("lineage", child)
    assert code == 0
    assert out.index(child) < out.index(mutant) < out.index(a)  # child, then its ancestors
    assert b in out


def test_evolution_errors_are_clear() -> None:
    invoke("build", "drums", BEAT)
    invoke("build", "melody", "C4 D4 E4")
    drums, tune = (r.id for r in PatternStore().list())
    code, _, err = invoke("crossover", drums, tune)
    assert code == 1 and "different types" in err
    code, _, err = invoke("mutate", drums, "--amount", "3")
    assert code == 1 and "invalid amount 3.0" in err
    code, _, err = invoke("lineage", "ptrn_00000000")
    assert code == 1 and "not found" in err


def test_synth_info_validate_render(tmp_path: Path) -> None:
    from audiomancer.supercollider.library import template_path
    from conftest import need_engine

    need_engine("sclang")
    need_engine("scsynth")
    tb303 = str(template_path("tb303"))
    code, out, _ = invoke("synth", "info", tb303)
    assert code == 0 and "tb303" in out and "cutoff" in out and "1200.0" in out
    assert "oscillator: Saw" in out

    code, out, _ = invoke("synth", "validate", tb303)
    assert code == 0 and "ok" in out
    broken = tmp_path / "broken.scd"
    broken.write_text("SynthDef(\\x, { Out.ar(0, SinOsc.ar(440) }).add;")
    code, _, err = invoke("synth", "validate", str(broken))
    assert code == 1 and "syntax" in err and "line 1" in err

    wav = tmp_path / "tb303.wav"
    code, out, _ = invoke("synth", "render", tb303, "--out", str(wav), "--seconds", "1")
    assert code == 0 and wav.stat().st_size > 44 and "peak" in out
    silent = tmp_path / "silent.scd"
    silent.write_text(
        "SynthDef(\\quiet, { |out| Out.ar(out, DC.ar(0) * Line.kr(1, 0, 1, doneAction: 2)) })"
    )
    code, _, err = invoke("synth", "render", str(silent), "--out", str(tmp_path / "q.wav"))
    assert code == 1 and "silent" in err
    code, _, err = invoke("synth", "info", str(broken))
    assert code == 1 and "line 1, column" in err


def test_generate_drums_melody_bass(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "generate", "drums", "--style", "techno", "--bars", "2", "--bpm", "125", "--seed", "4",
        "--midi", str(tmp_path / "d.mid"),
    )  # fmt: skip
    assert code == 0 and "d1 $" in out and "Pbind" in out
    (record,) = PatternStore().list()
    assert (record.type, record["style"], record["bars"], record.bpm) == ("drums", "techno", 2, 125)
    assert read_midi(tmp_path / "d.mid").notes == record.to_pattern().notes
    code, out, _ = invoke("generate", "melody", "--key", "F#", "--scale", "minor", "-f", "json")
    assert code == 0 and json.loads(out)["key"] == "F#"
    code, out, _ = invoke("generate", "bass", "--key", "Bb", "--seed", "1", "-f", "tidal")
    assert code == 0 and "note" in out
    code, _, err = invoke("generate", "drums", "--style", "polka")
    assert code == 1 and "invalid style 'polka'" in err
    code, _, err = invoke("generate", "melody", "--timeout", "0")
    assert code == 1 and "timeout" in err.lower()
