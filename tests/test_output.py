"""What the commands print: machine-readable stdout holds only its document, and the summary
view shows every line of code whole, in any terminal width, piped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.patterns.midi import write_midi
from audiomancer.patterns.model import Note, Pattern
from audiomancer.patterns.store import PatternStore

runner = CliRunner()
BEAT = "kick: x...x...x...x... snare: ....x.......x... hh: x.x.x.x.x.x.x.x."


def stdout_of(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_every_json_output_parses(tmp_path: Path) -> None:
    source = tmp_path / "in.mid"
    write_midi(Pattern((Note(0, 60, 90, 480), Note(480, 64)), "melody", bpm=90), source)
    documents = {
        "build": stdout_of("build", "drums", BEAT, "-f", "json", "--midi", str(tmp_path / "b.mid")),
        "import": stdout_of("import", str(source), "-f", "json", "--midi", str(tmp_path / "i.mid")),
        "generate drums": stdout_of(
            "generate", "drums", "--seed", "1", "-f", "json", "--midi", str(tmp_path / "g.mid")
        ),
        "generate melody": stdout_of("generate", "melody", "--seed", "1", "-f", "json"),
        "generate bass": stdout_of("generate", "bass", "--seed", "1", "-f", "json"),
    }
    drums = json.loads(documents["build"])["id"]
    other = json.loads(documents["generate drums"])["id"]
    documents["show"] = stdout_of("show", drums, "-f", "json")
    documents["mutate"] = stdout_of("mutate", drums, "--seed", "2", "-f", "json")
    documents["crossover"] = stdout_of("crossover", drums, other, "--seed", "2", "-f", "json")
    runner.invoke(app, ["rate", drums, "5"])
    documents["evolve"] = stdout_of("evolve", drums, other, "--generations", "2", "-f", "json")
    documents["list"] = stdout_of("list", "-f", "json")
    documents["top"] = stdout_of("top", "-f", "json")
    for command, text in documents.items():
        data = json.loads(text)  # the document alone: no change log, no "wrote FILE"
        records = data if isinstance(data, list) else [data]
        assert records and all(r["id"].startswith("ptrn_") for r in records), command
    assert {r["id"] for r in json.loads(documents["list"])} == {r.id for r in PatternStore().list()}


def test_notices_go_to_stderr(tmp_path: Path) -> None:
    drums = json.loads(stdout_of("build", "drums", BEAT, "-f", "json"))["id"]
    result = runner.invoke(app, ["mutate", drums, "--seed", "3", "-f", "pbind"])
    assert result.exit_code == 0
    assert result.stdout.startswith("// audiomancer pattern") and "•" not in result.stdout
    assert f"← {drums} (mutated)" in result.stderr
    record = PatternStore().get(drums)
    result = runner.invoke(app, ["show", drums, "-f", "tidal"])
    assert result.stdout == record["tidal_code"] and not result.stderr
    result = runner.invoke(app, ["show", drums, "-f", "pbind"])
    assert result.stdout == record["sc_code"] and not result.stderr
    target = tmp_path / "x.mid"
    result = runner.invoke(app, ["export", drums, "--midi", str(target)])
    assert result.exit_code == 0 and f"wrote {target}" in result.stderr


@pytest.mark.parametrize("columns", [40, 200])
def test_summary_view_prints_every_code_line_whole(columns: int) -> None:
    record = PatternStore().put(
        Pattern(
            tuple(Note(s * 120, p, 60 + s) for s in range(0, 64, 3) for p in (36, 42)),
            "drums",
            bars=4,
            bpm=128,
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "audiomancer", "show", record.id],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(columns)},
        timeout=120,
        check=True,
    )
    shown = result.stdout.splitlines()
    code_lines = record["tidal_code"].splitlines() + record["sc_code"].splitlines()
    assert max(map(len, code_lines)) > 200  # the test means something at both widths
    for line in code_lines:
        assert line in shown, line


@pytest.mark.parametrize("fmt", ["summary", "tidal", "pbind", "json"])
def test_a_reader_that_stops_early_ends_the_command_quietly(fmt: str) -> None:
    """``audiomancer generate ... | head``: no error line, no traceback, and what was generated
    is stored all the same."""
    process = subprocess.Popen(
        [sys.executable, "-m", "audiomancer", "generate", "drums", "--count", "40", "-f", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(100)
    process.stdout.close()  # far less than the 40 patterns' code: later writes hit a closed pipe
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert "Broken pipe" not in stderr and "Traceback" not in stderr and "error" not in stderr
    assert len(PatternStore().list(limit=100)) == 40


def test_tidal_and_pbind_output_names_the_stored_patterns_on_stderr() -> None:
    result = runner.invoke(app, ["generate", "drums", "--count", "2", "--seed", "4", "-f", "tidal"])
    assert result.exit_code == 0
    ids = [record.id for record in PatternStore().list()]
    assert len(ids) == 2 and all(f"audiomancer rate {i} 1-5" in result.stderr for i in ids)
    assert all(i not in result.stdout for i in ids)  # stdout stays the two Tidal blocks alone
    built = runner.invoke(app, ["build", "drums", BEAT, "-f", "pbind"])
    assert built.stdout.startswith("// audiomancer pattern") and "stored ptrn_" in built.stderr
