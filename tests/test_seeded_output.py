"""Seeded generation prints the same bytes release after release.

`tests/data/seeded_outputs.json` holds what `audiomancer generate` printed (and wrote as a .mid
file) for fixed seeds when it was recorded. Speed work on the LSTM, the exports or the store
must leave every byte as it was. When an output is changed on purpose, record it again with

    AUDIOMANCER_RECORD_SEEDED=1 .venv/bin/pytest tests/test_seeded_output.py -n 0

and say why in the commit message.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiomancer.cli import app

RECORDED = Path(__file__).parent / "data" / "seeded_outputs.json"
DRUMS = ("generate", "drums", "--style", "techno", "--bars", "4")
CASES: dict[str, tuple[str, ...]] = {
    "drums techno summary": (*DRUMS, "--seed", "1"),
    "drums techno tidal": (*DRUMS, "--seed", "1", "-f", "tidal"),
    "drums techno pbind": (*DRUMS, "--seed", "1", "-f", "pbind"),
    "drums techno json": (*DRUMS, "--seed", "1", "-f", "json"),
    "drums house 2 bars, swing and humanize": (
        "generate", "drums", "--style", "house", "--bars", "2", "--seed", "7",
        "--swing", "60", "--humanize", "0.5", "-f", "json",
    ),
    "drums dnb hot, kit 808": (
        "generate", "drums", "--style", "dnb", "--seed", "11", "--temperature", "1.5",
        "--kit", "808", "-f", "tidal",
    ),
    "drums batch of 3": (*DRUMS, "--seed", "5", "--count", "3", "-f", "json"),
    "melody F# minor": ("generate", "melody", "--key", "F#", "--seed", "3", "-f", "json"),
    "melody pentatonic batch": (
        "generate", "melody", "--scale", "pentatonic", "--seed", "9", "--count", "2", "-f", "json",
    ),
    "bass C minor": ("generate", "bass", "--seed", "4", "-f", "json"),
    "bass pbind": ("generate", "bass", "--seed", "4", "--bpm", "132", "-f", "pbind"),
}  # fmt: skip


def _without_times(text: str) -> str:
    """JSON output with ``created_at`` (the clock, not the seed) taken out of every record."""
    data = json.loads(text)
    for record in data if isinstance(data, list) else [data]:
        del record["created_at"]
    return json.dumps(data, indent=2, sort_keys=True)


def _run(name: str, arguments: tuple[str, ...], folder: Path) -> dict[str, str]:
    """What the command printed, and the .mid file it wrote (base64)."""
    midi = folder / f"{name.replace(' ', '_').replace(',', '')}.mid"
    result = CliRunner().invoke(app, [*arguments, "--midi", str(midi)])
    assert result.exit_code == 0, result.stderr
    stdout = _without_times(result.stdout) if "json" in arguments else result.stdout
    outputs = {"stdout": stdout}
    for file in sorted(folder.glob(f"{midi.stem}*.mid")):
        outputs[file.name[len(midi.stem) :]] = base64.b64encode(file.read_bytes()).decode()
    return outputs


@pytest.mark.parametrize("name", sorted(CASES))
def test_seeded_generation_prints_the_recorded_bytes(name: str, tmp_path: Path) -> None:
    got = _run(name, CASES[name], tmp_path)
    if os.environ.get("AUDIOMANCER_RECORD_SEEDED") == "1":
        recorded = json.loads(RECORDED.read_text()) if RECORDED.exists() else {}
        recorded[name] = got
        RECORDED.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
        return
    expected = json.loads(RECORDED.read_text())[name]
    assert got.keys() == expected.keys()
    for part in expected:
        assert got[part] == expected[part], f"{name}: {part} differs from the recording"
