"""``evolve --render DIR`` and ``mutate``/``crossover``/``humanize --render FILE``: the audio of
what they create, rendered by the real scsynth, to listen to before rating."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.patterns.model import Note, Pattern
from audiomancer.patterns.store import PatternStore
from conftest import need_engine

pytestmark = pytest.mark.engines
runner = CliRunner()


@pytest.fixture(autouse=True)
def engines_present() -> None:
    need_engine("scsynth")
    need_engine("sclang")


def _audible(path: Path) -> bool:
    with wave.open(str(path)) as handle:
        assert handle.getnchannels() == 2 and handle.getsampwidth() == 3
        assert handle.getframerate() == 44100 and handle.getnframes() > 0
        data = handle.readframes(handle.getnframes())
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
    samples = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
    samples = np.where(samples >= 1 << 23, samples - (1 << 24), samples)
    return int(np.abs(samples).max()) > 2**23 // 100  # louder than -40 dBFS


def _drums() -> list[str]:
    store = PatternStore()
    beat = Pattern(
        tuple(Note(i * 480, 36 if i % 2 == 0 else 38) for i in range(8)), "drums", bars=2
    )
    hats = Pattern(tuple(Note(i * 240, 42, 90) for i in range(16)), "drums", bars=2)
    return [store.put(beat)["id"], store.put(hats)["id"]]


def test_evolve_renders_one_wav_per_new_pattern(tmp_path: Path) -> None:
    parents = _drums()
    folder = tmp_path / "listen"
    folder.mkdir()
    args = [
        "evolve",
        *parents,
        "--generations",
        "2",
        "--seed",
        "3",
        "--mutation-rate",
        "1",
        "-f",
        "json",
    ]
    result = runner.invoke(app, [*args, "--render", str(folder)])
    assert result.exit_code == 0, result.output
    created = {record["id"] for record in json.loads(result.stdout)} - set(parents)
    assert created
    assert {path.name for path in folder.iterdir()} == {f"{i}.wav" for i in created}
    assert all(_audible(folder / f"{i}.wav") for i in created)


def test_concurrent_renders_write_what_one_at_a_time_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from audiomancer.cli.render import render_all_created

    store = PatternStore()
    # noise (hats, snare) so that the seed matters, and lengths that finish out of order
    records = [
        store.put(
            Pattern(
                tuple(Note(i * step, pitch, 100) for i in range(bars * 16 // (step // 120))),
                "drums",
                bars=bars,
            )
        )
        for bars, step, pitch in ((4, 240, 42), (1, 480, 38), (2, 120, 46), (1, 240, 36))
    ]
    one, many = tmp_path / "one", tmp_path / "many"
    one.mkdir()
    many.mkdir()
    render_all_created(records, one, workers=1)
    capsys.readouterr()
    results = render_all_created(records, many, workers=4)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ptrn_")]
    assert [line.split(":")[0] for line in lines] == [r.id for r in records]  # in their order
    assert [r.path for r in results] == [many / f"{r.id}.wav" for r in records]
    for record in records:
        name = f"{record.id}.wav"
        assert (many / name).read_bytes() == (one / name).read_bytes(), name
    assert sorted(p.name for p in many.iterdir()) == sorted(p.name for p in one.iterdir())


def test_mutate_crossover_and_humanize_render_what_they_create(tmp_path: Path) -> None:
    first, second = _drums()
    for command in (
        ["mutate", first, "--seed", "1"],
        ["crossover", first, second, "--seed", "2"],
        ["humanize", first, "--seed", "4"],
    ):
        target = tmp_path / f"{command[0]}.wav"
        result = runner.invoke(app, [*command, "-f", "json", "--render", str(target)])
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)  # stdout holds the document alone
        assert record["parent_ids"][0] == first
        assert _audible(target)
        assert f"{record['id']}: wrote {target}" in result.stderr


def test_render_locations_are_checked_before_any_work(tmp_path: Path) -> None:
    parents = _drums()
    store = PatternStore()
    before = len(store.list())
    a_file = tmp_path / "file.wav"
    a_file.write_bytes(b"")
    cases = [
        (["evolve", *parents, "--render", str(tmp_path / "missing")], "no folder"),
        (["evolve", *parents, "--render", str(a_file)], "is a file, not a folder"),
        (["mutate", parents[0], "--render", str(tmp_path)], "is a folder"),
        (["crossover", *parents, "--render", str(tmp_path / "no" / "x.wav")], "no such folder"),
    ]
    for args, says in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, args
        assert says in result.stderr and str(args[-1]) in result.stderr, result.stderr
    assert len(store.list()) == before  # nothing was created
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.wav"]
