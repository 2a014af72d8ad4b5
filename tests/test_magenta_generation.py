"""Generating drums, melodies and bass lines with Magenta bundles (issue 15 §3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.errors import InferenceTimeoutError, ModelLoadError
from audiomancer.generators.patterns import BASS_REGISTER, MELODY_REGISTER, PatternGenerator
from audiomancer.paths import models_dir
from audiomancer.patterns.model import in_scale
from audiomancer.patterns.store import PatternStore

DATA = Path(__file__).parent / "data" / "magenta"
DRUMS = DATA / "drum_kit_small.mag"
MELODY = DATA / "basic_rnn_small.mag"


@pytest.fixture
def generator(audiomancer_home: Path) -> PatternGenerator:
    made = PatternGenerator(PatternStore(audiomancer_home / "patterns.sqlite3"))
    made.load_model(str(DRUMS))
    made.load_model(str(MELODY))
    return made


def test_drums_from_a_bundle_are_stored_and_name_the_model(generator: PatternGenerator) -> None:
    record = generator.generate_drums("techno", 2, 128, seed=4)
    assert generator.store.get(record.id)["midi_data"] == record["midi_data"]
    assert record["mutation_log"][0].startswith("model: drum_kit_small.mag (Magenta drum_kit")
    assert record.to_pattern().notes
    again = generator.generate_drums("techno", 2, 128, seed=4)
    assert again.id == record.id and again["midi_data"] == record["midi_data"]
    shipped = PatternGenerator(generator.store).generate_drums("techno", 2, 128, seed=4)
    assert shipped.id != record.id and shipped["mutation_log"] == []


@pytest.mark.parametrize("kind", ["melody", "bass"])
def test_lines_from_a_bundle_keep_key_scale_and_register(
    generator: PatternGenerator, kind: str
) -> None:
    make = generator.generate_melody if kind == "melody" else generator.generate_bass
    low, high = MELODY_REGISTER if kind == "melody" else BASS_REGISTER
    for seed in range(3):
        record = make("D", "major", 2, seed=seed, temperature=1.2)
        notes = record.to_pattern().notes
        assert notes and all(low <= n.pitch <= high for n in notes)
        assert all(in_scale(n.pitch, "D", "major") for n in notes)
        assert "basic_rnn_small.mag" in record["mutation_log"][0]


def test_batches_from_a_bundle_equal_single_calls(generator: PatternGenerator) -> None:
    batch = generator.generate_melody("A", "minor", 1, seed=7, n=3)
    single = [generator.generate_melody("A", "minor", 1, seed=7 + i) for i in range(3)]
    assert [r["midi_data"] for r in batch] == [r["midi_data"] for r in single]


def test_the_timeout_applies_to_bundles(generator: PatternGenerator) -> None:
    with pytest.raises(InferenceTimeoutError):
        generator.generate_drums(seed=1, timeout=0)


def test_load_model_finds_downloaded_bundles_in_the_models_folder(audiomancer_home: Path) -> None:
    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DRUMS, folder / "drums_rnn.mag")
    generator = PatternGenerator(PatternStore(audiomancer_home / "p.sqlite3"))
    generator.load_model("drums_rnn.mag")
    bundle = generator.bundle("drums")
    assert bundle is not None and bundle.generator_id == "drum_kit"
    with pytest.raises(ModelLoadError, match=r"melody_rnn\.mag cannot be read"):
        generator.load_model("melody_rnn.mag")


def test_cli_generates_with_a_bundle_from_the_models_folder(audiomancer_home: Path) -> None:
    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DRUMS, folder / "drum_kit_small.mag")
    runner = CliRunner()
    result = runner.invoke(
        app, ["generate", "drums", "--model", "drum_kit_small.mag", "--seed", "2", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["list", "--type", "drums"])
    assert listed.exit_code == 0
    stored = PatternStore().list()
    assert len(stored) == 1 and "drum_kit_small.mag" in stored[0]["mutation_log"][0]


def test_cli_names_a_corrupted_bundle(tmp_path: Path) -> None:
    broken = tmp_path / "drums_copy.mag"
    broken.write_bytes(DRUMS.read_bytes()[:500_000])
    result = CliRunner().invoke(app, ["generate", "drums", "--model", str(broken)])
    assert result.exit_code == 1
    assert "drums_copy.mag" in result.output and "Traceback" not in result.output
    wrong = CliRunner().invoke(app, ["generate", "bass", "--model", str(DRUMS)])
    assert wrong.exit_code == 1 and "needs a MelodyRNN bundle" in wrong.output
