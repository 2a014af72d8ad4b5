"""Every output option of every command (``-o``/``--out``, ``--midi``, ``--render``, ``--stems``,
``--picture``) refuses a place it cannot write before any work: a file option given a folder, a
missing folder or an unwritable one; a folder option given a file, a missing folder or an
unwritable one. One clear error naming the option and the path, exit status 1, nothing stored,
nothing written.

The options are found in the command tree itself: a new path option fails
``test_every_path_option_is_known`` until it is listed here (as an output with its cases, or
as an input).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.patterns.store import PatternStore

runner = CliRunner()

INPUTS = {"import FILE", "generate drums --model", "generate melody --model",
          "generate bass --model", "synth info FILE", "synth validate FILE",
          "synth render FILE"}  # fmt: skip
"""Path parameters that are read, not written."""

OUTPUTS: dict[str, tuple[str, list[str]]] = {
    # "command option": (kind, the command's other arguments; {a} {b} pattern ids, {scd} a
    # SynthDef file, {mid} a MIDI file, {wav} a writable WAV path)
    "import --midi": ("file", ["import", "{mid}"]),
    "build --midi": ("file", ["build", "drums", "kick: x...x..."]),
    "show --picture": ("file", ["show", "{a}"]),
    "export --midi": ("file", ["export", "{a}"]),
    "mutate --render": ("file", ["mutate", "{a}"]),
    "humanize --render": ("file", ["humanize", "{a}"]),
    "crossover --render": ("file", ["crossover", "{a}", "{b}"]),
    "evolve --render": ("folder", ["evolve", "{a}", "{b}", "--generations", "1"]),
    "lineage --picture": ("file", ["lineage", "{a}"]),
    "render --out": ("file", ["render", "{a}"]),
    "render --stems": ("folder", ["render", "{a}", "-o", "{wav}"]),
    "generate drums --midi": ("file", ["generate", "drums"]),
    "generate melody --midi": ("file", ["generate", "melody"]),
    "generate bass --midi": ("file", ["generate", "bass"]),
    "synth render --out": ("file", ["synth", "render", "{scd}"]),
    "synth tree --picture": ("file", ["synth", "tree", "tb303"]),
    "synth audition --out": ("file", ["synth", "audition", "tb303"]),
}

SCD = "SynthDef(\\t, { |out = 0, freq = 440| Out.ar(out, SinOsc.ar(freq) * 0.1 ! 2) }).add;\n"


def path_options() -> set[str]:
    """'command option' (or 'command NAME' for an argument) of every Path parameter."""
    root = typer.main.get_command(app)
    context = type(root).context_class(root)
    found: set[str] = set()

    def walk(command: Any, words: list[str]) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(context):
                walk(command.get_command(context, name), [*words, name])
            return
        for param in command.params:
            if "Path" in type(param.type).__name__:
                longest = max(param.opts, key=len)
                name = longest if longest.startswith("-") else longest.upper()
                found.add(" ".join([*words, name]))

    walk(root, [])
    return found


def test_every_path_option_is_known() -> None:
    assert path_options() == set(OUTPUTS) | INPUTS


def _setup(tmp_path: Path) -> dict[str, str]:
    store = PatternStore()
    steps = "kick: x...x...x...x... snare: ....x.......x..."
    ids = [runner.invoke(app, ["build", "drums", steps, "-f", "json"]).stdout for _ in range(2)]
    a, b = (json.loads(text)["id"] for text in ids)
    assert {r.id for r in store.list()} == {a, b}
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "t.scd").write_text(SCD)
    mid = tmp_path / "ok" / "in.mid"
    assert runner.invoke(app, ["export", a, "--midi", str(mid)]).exit_code == 0
    return {"a": a, "b": b, "scd": str(tmp_path / "ok" / "t.scd"), "mid": str(mid),
            "wav": str(tmp_path / "ok" / "mix.wav")}  # fmt: skip


def _args(key: str, values: dict[str, str], path: Path) -> list[str]:
    _, base = OUTPUTS[key]
    option = key.split()[-1]
    return [word.format(**values) for word in base] + [option, str(path)]


def _bad_places(tmp_path: Path, kind: str, suffix: str) -> list[tuple[Path, str]]:
    """(path, words its error says) for the places one kind of output cannot be."""
    a_file = tmp_path / "a_file"
    a_file.write_bytes(b"")
    if kind == "file":
        return [
            (tmp_path, "is a folder"),
            (tmp_path / "missing" / f"x{suffix}", "no such folder"),
        ]
    return [(a_file, "is a file, not a folder"), (tmp_path / "missing", "no folder")]


def _written(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))


SUFFIX = {"--midi": ".mid", "--picture": ".svg", "--render": ".wav", "--out": ".wav"}


@pytest.mark.parametrize("key", sorted(OUTPUTS))
def test_a_place_an_output_cannot_be_is_refused_before_any_work(key: str, tmp_path: Path) -> None:
    values = _setup(tmp_path)
    kind, _ = OUTPUTS[key]
    option = key.split()[-1]
    places = _bad_places(tmp_path, kind, SUFFIX.get(option, ""))
    before_files, before_ids = _written(tmp_path), {r.id for r in PatternStore().list()}
    lineage = Path(os.environ["AUDIOMANCER_HOME"]) / "lineage.json"
    before_lineage = lineage.read_bytes() if lineage.exists() else None
    for path, says in places:
        result = runner.invoke(app, _args(key, values, path))
        assert result.exit_code == 1, (key, path, result.output)
        line = result.stderr.replace("\n", "")  # rich folds long lines
        assert "Traceback" not in line and line.count("error:") == 1, line
        assert says in line and str(path) in line and option in line, line
        assert result.stdout == "", result.stdout
    assert _written(tmp_path) == before_files
    assert {r.id for r in PatternStore().list()} == before_ids
    assert (lineage.read_bytes() if lineage.exists() else None) == before_lineage


CHILD = textwrap.dedent(
    """
    import json, sys
    from typer.testing import CliRunner
    from audiomancer.cli import app
    cases = json.loads(sys.argv[1])
    answers = {}
    for key, args in cases.items():
        result = CliRunner().invoke(app, args)
        answers[key] = [result.exit_code, result.stderr, result.stdout]
    print(json.dumps(answers))
    """
)


def test_an_unwritable_folder_is_refused_for_every_output(tmp_path: Path) -> None:
    """Run where the folder really is read-only: chmod for a normal user; for root (whom modes
    do not stop) a read-only bind mount in a private mount namespace."""
    values = _setup(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    cases = {}
    for key, (kind, _) in OUTPUTS.items():
        option = key.split()[-1]
        target = locked / f"x{SUFFIX.get(option, '')}" if kind == "file" else locked
        cases[key] = _args(key, values, target)
    command = [sys.executable, "-c", CHILD, json.dumps(cases)]
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("root needs unshare (util-linux) to make a read-only folder")
        script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", script, str(locked), *command]
    else:
        locked.chmod(0o555)
    before_ids = {r.id for r in PatternStore().list()}
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    finally:
        locked.chmod(0o755)
    assert finished.returncode == 0, finished.stderr
    answers = json.loads(finished.stdout.splitlines()[-1])
    for key, (code, stderr, stdout) in answers.items():
        option = key.split()[-1]
        assert code == 1, (key, stderr, stdout)
        line = stderr.replace("\n", "")  # rich folds long lines
        assert "Traceback" not in line and line.count("error:") == 1, line
        assert str(locked) in line and option in line, line
        assert "read-only file system" in line or "not writable" in line, line
    assert list(locked.iterdir()) == []
    assert {r.id for r in PatternStore().list()} == before_ids
