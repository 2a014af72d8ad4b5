"""PatternGenerator: the spec's drum, melody and bass generation over the shipped models."""

from __future__ import annotations

import http.server
import os
import socket
import statistics
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiomancer.errors import InferenceTimeoutError, ModelLoadError
from audiomancer.generators.patterns import (
    BASS_REGISTER,
    MELODY_REGISTER,
    MODELS_URL_ENV,
    PatternGenerator,
)
from audiomancer.models.encoding import encode_drums
from audiomancer.paths import models_dir
from audiomancer.patterns.metadata import PATTERN_KEYS
from audiomancer.patterns.model import in_scale
from audiomancer.patterns.store import PatternStore

STYLES = ("basic", "techno", "house", "dnb")


@pytest.fixture
def generator(audiomancer_home: Path) -> PatternGenerator:
    return PatternGenerator(PatternStore(audiomancer_home / "patterns.sqlite3"))


# --- drums ----------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_generate_drums_returns_a_stored_record(generator: PatternGenerator, style: str) -> None:
    record = generator.generate_drums(style=style, bars=2, bpm=125, seed=3)
    assert set(record) == set(PATTERN_KEYS)
    assert record["type"] == "drums" and record.type == "drums"
    assert record["bpm"] == 125.0 and isinstance(record["bpm"], float)
    assert record["bars"] == 2
    assert record["style"] == style
    assert record["parent_ids"] == []
    assert record["generation_method"] == "generated"
    assert record["midi_data"].startswith("{") and '"tracks"' in record["midi_data"]
    assert record["tidal_code"].strip() and record["sc_code"].strip()
    assert generator.store.get(record.id) == record
    pattern = record.to_pattern()
    assert pattern.bars == 2 and pattern.notes
    assert max(n.end for n in pattern.notes) <= pattern.length


def test_spec_example(generator: PatternGenerator) -> None:
    pattern = generator.generate_drums(style="techno", bars=4, bpm=125, timeout=30)
    assert pattern["type"] == "drums"
    assert pattern["bpm"] == 125.0
    assert pattern["parent_ids"] == []
    assert pattern.to_pattern().bars == 4


def test_same_seed_same_pattern(generator: PatternGenerator) -> None:
    a = generator.generate_drums("house", 4, seed=11)
    b = generator.generate_drums("house", 4, seed=11)
    c = generator.generate_drums("house", 4, seed=12)
    assert a == b
    assert a["midi_data"] != c["midi_data"]
    assert a.id != c.id
    # Unseeded calls draw fresh randomness and fresh ids.
    assert generator.generate_drums("house", 4).id != generator.generate_drums("house", 4).id


def test_same_seed_same_pattern_across_processes(
    generator: PatternGenerator, tmp_path: Path
) -> None:
    code = (
        "from audiomancer.generators.patterns import PatternGenerator\n"
        "g = PatternGenerator()\n"
        "print(g.generate_drums('dnb', 4, 170, seed=42)['midi_data'])\n"
        "print(g.generate_bass('F#', 'minor', 2, seed=42)['midi_data'])\n"
        "print(g.generate_drums('dnb', 4, 170, seed=42).id)\n"
    )
    env = {**os.environ, "AUDIOMANCER_HOME": str(tmp_path / "other")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    drums = generator.generate_drums("dnb", 4, 170, seed=42)
    assert out[0] == drums["midi_data"]
    assert out[1] == generator.generate_bass("F#", "minor", 2, seed=42)["midi_data"]
    assert out[2] == drums.id


def test_temperature_changes_the_pattern(generator: PatternGenerator) -> None:
    cold = {generator.generate_drums("techno", 2, seed=s, temperature=0.0)["midi_data"]
            for s in range(4)}  # fmt: skip
    warm = {generator.generate_drums("techno", 2, seed=s, temperature=1.2)["midi_data"]
            for s in range(4)}  # fmt: skip
    assert len(warm) >= len(cold)
    assert len(warm) > 1


@pytest.mark.parametrize("style", ["basic", "techno", "house"])
def test_four_on_the_floor_styles_keep_the_kick_on_the_beat(
    generator: PatternGenerator, style: str
) -> None:
    beats = on_beat = 0
    for seed in range(6):
        states = encode_drums(generator.generate_drums(style, 4, seed=seed).to_pattern())
        for step in range(0, len(states), 4):
            beats += 1
            on_beat += states[step] & 1
    assert on_beat / beats >= 0.8


def test_house_has_open_hats_and_dnb_is_syncopated(generator: PatternGenerator) -> None:
    house = [encode_drums(generator.generate_drums("house", 4, seed=s).to_pattern())
             for s in range(6)]  # fmt: skip
    open_hat_offbeats = sum(
        1 for states in house for step in range(2, len(states), 4) if states[step] >> 3 & 1
    )
    assert open_hat_offbeats >= 12
    dnb = [encode_drums(generator.generate_drums("dnb", 4, 172, seed=s).to_pattern())
           for s in range(6)]  # fmt: skip
    onsets = [step % 16 for states in dnb for step, s in enumerate(states) if s & 3]
    assert sum(1 for p in onsets if p % 4) / len(onsets) >= 0.15


# --- melody and bass ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["C", "F#", "Bb", "Eb", "A"])
@pytest.mark.parametrize("scale", ["major", "minor", "pentatonic", "chromatic"])
def test_every_note_is_in_key_and_scale(generator: PatternGenerator, key: str, scale: str) -> None:
    for kind in ("melody", "bass"):
        make = generator.generate_melody if kind == "melody" else generator.generate_bass
        record = make(key=key, scale=scale, bars=4, bpm=120, seed=7)
        assert record["type"] == kind
        assert record["key"] == key and record["scale"] == scale
        assert record["parent_ids"] == [] and record["generation_method"] == "generated"
        assert set(record) == set(PATTERN_KEYS)
        notes = record.to_pattern().notes
        assert notes
        assert all(in_scale(n.pitch, key, scale) for n in notes), [n.pitch for n in notes]
        low, high = MELODY_REGISTER if kind == "melody" else BASS_REGISTER
        assert all(low <= n.pitch <= high for n in notes)


def test_spec_melody_and_bass_examples(generator: PatternGenerator) -> None:
    melody = generator.generate_melody(key="C", scale="minor", bars=4, bpm=120)
    assert melody["key"] == "C" and melody["scale"] == "minor"
    bass = generator.generate_bass(key="F#", scale="minor", bars=8, bpm=140)
    assert bass["type"] == "bass" and bass["bars"] == 8 and bass["bpm"] == 140.0


def test_bass_sits_low_and_melody_high(generator: PatternGenerator) -> None:
    bass, melody = [], []
    for seed in range(5):
        bass += [n.pitch for n in generator.generate_bass("E", "minor", 4, seed=seed)
                 .to_pattern().notes]  # fmt: skip
        melody += [n.pitch for n in generator.generate_melody("E", "minor", 4, seed=seed)
                   .to_pattern().notes]  # fmt: skip
    assert max(bass) <= 52 and statistics.median(bass) < 48  # read back as bass by read_midi
    assert statistics.median(melody) >= 60


def test_key_spellings_are_normalized(generator: PatternGenerator) -> None:
    record = generator.generate_melody(key="bb", scale="Major", bars=1, seed=1)
    assert record["key"] == "Bb" and record["scale"] == "major"


# --- arguments and limits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "kwargs", "named"),
    [
        ("drums", {"style": "trance"}, "'trance'"),
        ("drums", {"bars": 0}, "bars 0"),
        ("drums", {"bars": 65}, "bars 65"),
        ("drums", {"bars": 2.5}, "bars 2.5"),
        ("drums", {"bpm": 0}, "bpm 0"),
        ("drums", {"bpm": "fast"}, "'fast'"),
        ("drums", {"timeout": -1}, "timeout -1"),
        ("drums", {"timeout": float("nan")}, "timeout nan"),
        ("drums", {"temperature": -0.1}, "temperature -0.1"),
        ("drums", {"seed": -5}, "seed -5"),
        ("melody", {"key": "H"}, "'H'"),
        ("melody", {"scale": "dorian"}, "'dorian'"),
        ("bass", {"key": "C##"}, "'C##'"),
        ("bass", {"bars": -1}, "bars -1"),
        ("bass", {"seed": "x"}, "seed 'x'"),
    ],
)
def test_invalid_arguments_are_named(
    generator: PatternGenerator, call: str, kwargs: dict[str, object], named: str
) -> None:
    method = getattr(generator, f"generate_{call}")
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        method(**kwargs)
    assert len(generator.store) == 0


@pytest.mark.parametrize("call", ["drums", "melody", "bass"])
def test_timeout_exceeded(generator: PatternGenerator, call: str) -> None:
    method = getattr(generator, f"generate_{call}")
    with pytest.raises(InferenceTimeoutError, match="timeout of 0 s"):
        method(timeout=0)
    with pytest.raises(InferenceTimeoutError, match="1e-05"):
        method(bars=64, timeout=0.00001)
    with pytest.raises(TimeoutError):  # InferenceTimeoutError is a TimeoutError too
        method(timeout=0)
    assert len(generator.store) == 0


def test_a_generous_timeout_is_fine(generator: PatternGenerator) -> None:
    assert generator.generate_drums(bars=16, timeout=30, seed=1)["bars"] == 16


# --- models ---------------------------------------------------------------------------------


def test_load_model_caches(generator: PatternGenerator) -> None:
    generator.load_model("drums_rnn")
    generator.load_model("melody_rnn")
    first = generator._models["drums_rnn"]
    generator.load_model("drums_rnn")
    assert generator._models["drums_rnn"] is first
    with pytest.raises(ValueError, match="'piano_rnn'"):
        generator.load_model("piano_rnn")


def test_missing_or_corrupt_weights(audiomancer_home: Path, tmp_path: Path) -> None:
    generator = PatternGenerator(weights_dir=tmp_path)
    with pytest.raises(ModelLoadError, match=r"drums_rnn\.npz.*missing"):
        generator.load_model("drums_rnn")
    with pytest.raises(ModelLoadError, match="drums_rnn"):
        generator.generate_drums(seed=1)
    (tmp_path / "melody_rnn.npz").write_bytes(b"\x00" * 100)
    with pytest.raises(ModelLoadError, match=r"melody_rnn\.npz.*corrupt"):
        generator.generate_melody(seed=1)
    assert len(generator.store) == 0


# --- download_models ------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def bundle_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("no_proxy", "NO_PROXY"):  # never send loopback requests through a proxy
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    served = tmp_path / "served"
    served.mkdir()
    (served / "drum_kit_rnn.mag").write_bytes(b"fake drum bundle " * 1000)
    (served / "basic_rnn.mag").write_bytes(b"fake melody bundle")

    def handler(*args: object, **kwargs: object) -> _QuietHandler:
        return _QuietHandler(*args, directory=str(served), **kwargs)  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/models"
    finally:
        server.shutdown()
        server.server_close()


def test_download_models_from_a_local_server(
    generator: PatternGenerator, bundle_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "served" / "models").mkdir()
    for name in ("drum_kit_rnn.mag", "basic_rnn.mag"):
        (tmp_path / "served" / name).rename(tmp_path / "served" / "models" / name)
    monkeypatch.setenv(MODELS_URL_ENV, bundle_server)
    generator.download_models()
    folder = models_dir()
    assert (folder / "drums_rnn.mag").read_bytes() == b"fake drum bundle " * 1000
    assert (folder / "melody_rnn.mag").read_bytes() == b"fake melody bundle"
    assert sorted(p.name for p in folder.iterdir()) == ["drums_rnn.mag", "melody_rnn.mag"]


def test_download_failure_is_an_io_error(
    generator: PatternGenerator, bundle_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODELS_URL_ENV, bundle_server + "/missing/")
    with pytest.raises(OSError, match=r"/missing/drum_kit_rnn\.mag"):
        generator.download_models()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(MODELS_URL_ENV, f"http://127.0.0.1:{port}/")
    with pytest.raises(IOError, match=f"127.0.0.1:{port}"):
        generator.download_models()
    folder = models_dir()
    assert not folder.exists() or not any(folder.iterdir())  # no partial files left
