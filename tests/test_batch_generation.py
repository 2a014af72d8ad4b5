"""Batched generation: ``n=`` on the generators and ``--count`` on the CLI (issue 10 §3)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.errors import InferenceTimeoutError
from audiomancer.generators.patterns import PatternGenerator
from audiomancer.models.lstm import generate, generate_batch, make_rng
from audiomancer.models.primers import style_primers
from audiomancer.models.registry import load_model
from audiomancer.patterns.metadata import PatternMetadata
from audiomancer.patterns.store import PatternStore

EXPORTS = ("id", "midi_data", "tidal_code", "sc_code", "style", "key", "scale", "bars", "bpm")


@pytest.fixture
def generator(audiomancer_home: Path) -> PatternGenerator:
    return PatternGenerator(PatternStore(audiomancer_home / "patterns.sqlite3"))


def same(a: PatternMetadata, b: PatternMetadata) -> bool:
    return all(a[key] == b[key] for key in EXPORTS)


@pytest.mark.parametrize("style", ["techno", "dnb"])
def test_a_drum_batch_equals_separate_calls_with_its_seeds(
    generator: PatternGenerator, style: str
) -> None:
    batch = generator.generate_drums(style, 4, 130, seed=40, n=16)  # type: ignore[call-overload]
    assert isinstance(batch, list) and len(batch) == 16
    separate = [generator.generate_drums(style, 4, 130, seed=40 + i) for i in range(16)]  # type: ignore[call-overload]
    for a, b in zip(batch, separate, strict=True):
        assert a["midi_data"].encode() == b["midi_data"].encode()
        assert same(a, b)
    assert len({record["midi_data"] for record in batch}) > 1


@pytest.mark.parametrize("n", [1, 2, 3, 5, 17])
def test_every_batch_size_gives_the_separate_calls(generator: PatternGenerator, n: int) -> None:
    """Batches of any size, odd ones and one past a multiple of 16 included: the products are
    exact (models/exact.py), so the split of rows between BLAS calls changes nothing."""
    batch = generator.generate_drums("house", 2, seed=100, n=n)
    separate = [generator.generate_drums("house", 2, seed=100 + i) for i in range(n)]
    assert all(same(a, b) for a, b in zip(batch, separate, strict=True))
    lines = generator.generate_bass("E", "minor", 2, seed=7, n=n)
    assert all(
        same(a, generator.generate_bass("E", "minor", 2, seed=7 + i)) for i, a in enumerate(lines)
    )


def test_a_pattern_is_the_same_at_any_place_in_a_batch(generator: PatternGenerator) -> None:
    """Seed 60 as the 1st of 1, the 10th of 17 and the 17th of 17 patterns."""
    alone = generator.generate_drums("dnb", 4, seed=60)
    tenth = generator.generate_drums("dnb", 4, seed=51, n=17)[9]
    last = generator.generate_drums("dnb", 4, seed=44, n=17)[16]
    assert same(alone, tenth) and same(alone, last)


@pytest.mark.parametrize("kind", ["melody", "bass"])
def test_a_line_batch_equals_separate_calls(generator: PatternGenerator, kind: str) -> None:
    make = generator.generate_melody if kind == "melody" else generator.generate_bass
    batch = make("F#", "minor", 2, seed=9, n=6, temperature=1.3)
    separate = [make("F#", "minor", 2, seed=9 + i, temperature=1.3) for i in range(6)]
    assert all(same(a, b) for a, b in zip(batch, separate, strict=True))


def test_default_returns_one_record_and_n_returns_a_list(generator: PatternGenerator) -> None:
    one = generator.generate_drums("house", 2, seed=3)
    assert isinstance(one, PatternMetadata)
    listed = generator.generate_drums("house", 2, seed=3, n=1)
    assert isinstance(listed, list) and len(listed) == 1 and same(listed[0], one)
    assert isinstance(generator.generate_melody(seed=3), PatternMetadata)
    assert isinstance(generator.generate_bass(seed=3), PatternMetadata)


def test_every_pattern_of_a_batch_is_stored(generator: PatternGenerator) -> None:
    batch = generator.generate_drums("basic", 4, n=5)
    assert len({record.id for record in batch}) == 5
    for record in batch:
        assert same(generator.store.get(record.id), record)


def test_greedy_batch_equals_separate_greedy_calls(generator: PatternGenerator) -> None:
    batch = generator.generate_melody("C", "major", 2, seed=1, temperature=0.0, n=3)
    separate = [generator.generate_melody("C", "major", 2, seed=1 + i, temperature=0.0)
                for i in range(3)]  # fmt: skip
    assert all(same(a, b) for a, b in zip(batch, separate, strict=True))


@pytest.mark.parametrize("bad", [0, -1, 257, 1.5, True, "4"])
def test_bad_count_is_named(generator: PatternGenerator, bad: object) -> None:
    with pytest.raises(ValueError, match=f"invalid count {bad!r}"):
        generator.generate_drums(seed=1, n=bad)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match=f"invalid count {bad!r}"):
        generator.generate_bass(seed=1, n=bad)  # type: ignore[call-overload]


def test_the_timeout_bounds_the_whole_batch(generator: PatternGenerator) -> None:
    with pytest.raises(InferenceTimeoutError):
        generator.generate_drums(seed=1, timeout=0, n=4)


def test_batched_lstm_rows_equal_single_runs_with_ragged_primers() -> None:
    model = load_model("drums_rnn").model
    primers = [p.states for p in style_primers("dnb")[:3]]
    primers = [primers[0], primers[1] * 2, [], primers[2]]
    batch = generate_batch(
        model, steps=32, rngs=[make_rng(s) for s in range(4)], primers=primers, style=4
    )
    single = [
        generate(model, steps=32, rng=make_rng(s), primer=primers[s], style=4) for s in range(4)
    ]
    assert batch == single
    assert generate_batch(model, steps=8, rngs=[]) == []


@pytest.mark.parametrize("temperature", [0.0, 0.4, 1.0, 2.5])
def test_one_row_draws_as_a_row_of_a_batch_with_masks(temperature: float) -> None:
    """One row samples on vectors (its own code path); with a fixed mask, a mask per step
    (some steps unmasked) and none, each row of a batch of 5 draws what it draws alone."""
    model = load_model("melody_rnn").model
    rng = np.random.default_rng(2)
    fixed = rng.random(model.config.vocab) < 0.3
    fixed[:2] = True
    per_step = [rng.random(model.config.vocab) < 0.2 for _ in range(40)]
    for step_mask in per_step:
        step_mask[int(rng.integers(model.config.vocab))] = True

    def each_step(step: int) -> npt.NDArray[np.bool_] | None:
        return None if step % 3 == 0 else per_step[step]

    for mask in (None, fixed, each_step):
        batch = generate_batch(
            model,
            steps=40,
            rngs=[make_rng(70 + r) for r in range(5)],
            temperature=temperature,
            primers=[[3, 5, 7], [], [1] * 16, [3, 5, 7], [2]],
            mask=mask,
        )
        alone = [
            generate(model, steps=40, rng=make_rng(70 + r), temperature=temperature,
                     primer=primer, mask=mask)
            for r, primer in enumerate([[3, 5, 7], [], [1] * 16, [3, 5, 7], [2]])
        ]  # fmt: skip
        assert batch == alone
        if mask is fixed:
            assert all(fixed[event] for row in batch for event in row)


def test_a_kept_primed_state_samples_as_a_fresh_priming() -> None:
    """Primed states are kept on the model; sampling from a kept one gives the same events as
    priming afresh, whichever primers it was primed beside."""
    from audiomancer.models.lstm import LSTMModel
    from audiomancer.models.registry import WEIGHTS_DIR

    primers = [p.states * 2 for p in style_primers("house")[:3]]

    def run(model: LSTMModel) -> list[list[int]]:
        rngs = [make_rng(s) for s in range(3)]
        return generate_batch(model, steps=48, rngs=rngs, primers=primers, style=3)

    fresh = LSTMModel.load(WEIGHTS_DIR / "drums_rnn.npz")
    expected = run(fresh)
    assert len(fresh._primed) == 3
    model = LSTMModel.load(WEIGHTS_DIR / "drums_rnn.npz")
    generate(model, steps=4, rng=make_rng(9), primer=primers[2], style=3)  # kept alone
    generate_batch(model, steps=4, rngs=[make_rng(9)] * 2, primers=primers[:1] * 2, style=3)
    assert run(model) == expected  # one primer primed beside no other, one twice, one new
    assert run(model) == expected  # all kept


def test_cli_count_prints_a_json_array_of_the_stored_batch(
    generator: PatternGenerator, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app,
        ["generate", "drums", "--style", "techno", "--seed", "5", "--count", "3", "-f", "json",
         "--midi", str(tmp_path / "beat.mid")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == [
        generator.generate_drums("techno", seed=5 + i).id for i in range(3)
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "beat-01.mid",
        "beat-02.mid",
        "beat-03.mid",
    ]
    bass = CliRunner().invoke(
        app, ["generate", "bass", "--count", "2", "--seed", "1", "-f", "tidal"]
    )
    assert bass.exit_code == 0
    first = generator.generate_bass(seed=1)["tidal_code"].rstrip("\n")
    assert bass.stdout.startswith(first + "\n")


def test_cli_bad_count_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["generate", "melody", "--count", "0"])
    assert result.exit_code != 0
    assert "invalid count 0" in result.output
