"""The sequence-model layer: encodings, numpy LSTM inference, weight loading, sampling."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from audiomancer.errors import ModelLoadError
from audiomancer.models import registry
from audiomancer.models.encoding import (
    FIRST_NOTE_EVENT,
    MAX_PITCH,
    MIN_PITCH,
    NO_EVENT,
    NOTE_OFF,
    NUM_DRUM_STATES,
    NUM_MELODY_EVENTS,
    decode_drums,
    decode_melody,
    drum_classes,
    drum_state,
    encode_drums,
    encode_melody,
    event_pitch,
    note_on_event,
)
from audiomancer.models.lstm import (
    FORMAT,
    LSTMModel,
    generate,
    make_rng,
    sample,
    validate_temperature,
)
from audiomancer.models.primers import style_primers
from audiomancer.patterns.model import TICKS_PER_STEP, Note, Pattern
from audiomancer.patterns.steps import parse_steps

# --- encodings ------------------------------------------------------------------------------


def test_every_drum_state_round_trips() -> None:
    for state in range(NUM_DRUM_STATES):
        assert drum_state(drum_classes(state)) == state
    assert drum_classes(0) == ()
    assert drum_classes(3) == (0, 1)
    assert drum_state([8]) == 256


@pytest.mark.parametrize("bad", [-1, 512, 1.5, True, "3"])
def test_bad_drum_state_is_named(bad: object) -> None:
    with pytest.raises(ValueError, match=repr(bad).replace("(", r"\(")):
        drum_classes(bad)  # type: ignore[arg-type]


def test_bad_drum_class_is_named() -> None:
    with pytest.raises(ValueError, match="9"):
        drum_state([0, 9])


def test_drum_pattern_round_trips_through_states() -> None:
    pattern = parse_steps(
        "kick: x...x...x...x... snare: ....x.......x... closed_hat: xxxxxxxxxxxxxxxx "
        "open_hat: ..x...x...x...x. ride: x...............",
        "drums",
    )
    states = encode_drums(pattern)
    assert len(states) == 16
    assert states[0] == drum_state([0, 2, 8])
    notes = decode_drums(states)
    assert sorted((n.start, n.pitch) for n in notes) == sorted(
        (n.start, n.pitch) for n in pattern.notes
    )


def test_drum_velocities_are_taken_per_step_and_class() -> None:
    table = [[10 * (c + 1) + s for c in range(9)] for s in range(2)]
    notes = decode_drums([drum_state([0]), drum_state([1, 2])], table)
    assert [(n.start, n.pitch, n.velocity) for n in notes] == [
        (0, 36, 10),
        (TICKS_PER_STEP, 38, 21),
        (TICKS_PER_STEP, 42, 31),
    ]


def test_melody_events_and_pitches() -> None:
    assert note_on_event(MIN_PITCH) == FIRST_NOTE_EVENT
    assert note_on_event(MAX_PITCH) == NUM_MELODY_EVENTS - 1
    assert event_pitch(note_on_event(60)) == 60
    assert event_pitch(NO_EVENT) is None and event_pitch(NOTE_OFF) is None
    for bad in (MIN_PITCH - 1, MAX_PITCH + 1):
        with pytest.raises(ValueError, match=str(bad)):
            note_on_event(bad)
    with pytest.raises(ValueError, match=str(NUM_MELODY_EVENTS)):
        event_pitch(NUM_MELODY_EVENTS)


def test_melody_round_trips_through_events() -> None:
    step = TICKS_PER_STEP
    notes = [
        Note(0, 60, 100, 2 * step),
        Note(2 * step, 63, 90, step),  # legato: no note-off between
        Note(4 * step, 67, 80, 4 * step),  # after a one-step rest
        Note(12 * step, 72, 70, 4 * step),  # to the end
    ]
    events = encode_melody(notes, 16)
    assert events[:5] == [note_on_event(60), NO_EVENT, note_on_event(63), NOTE_OFF,
                          note_on_event(67)]  # fmt: skip
    assert events[8] == NOTE_OFF
    velocities = [0] * 16
    for n in notes:
        velocities[n.start // step] = n.velocity
    assert decode_melody(events, velocities) == notes


def test_melody_encoding_is_monophonic() -> None:
    step = TICKS_PER_STEP
    # Overlapping notes: the later start cuts the earlier; a shared start keeps the highest.
    events = encode_melody([Note(0, 60, 100, 8 * step), Note(0, 64, 100, 2 * step),
                            Note(4 * step, 55, 100, step)], 8)  # fmt: skip
    notes = decode_melody(events)
    assert [(n.start // step, n.pitch, n.duration // step) for n in notes] == [
        (0, 64, 2),
        (4, 55, 1),
    ]


def test_melody_from_a_real_pattern() -> None:
    pattern = parse_steps("C4 - Eb4 . G4 - - . Bb3 . . . C4 . . .", "melody")
    assert decode_melody(encode_melody(pattern.notes, pattern.total_steps)) == [
        Note(n.start, n.pitch, 100, n.duration) for n in pattern.notes
    ]


# --- the numpy LSTM against the textbook formula -------------------------------------------


def _random_arrays(
    rng: random.Random, vocab: int, styles: int, hidden: int, layers: int, positions: int = 16
) -> dict[str, np.ndarray]:
    def mat(rows: int, cols: int) -> np.ndarray:
        return np.array([[rng.uniform(-1, 1) for _ in range(cols)] for _ in range(rows)])

    config = {"name": "tiny", "vocab": vocab, "positions": positions, "styles": styles,
              "hidden": hidden, "layers": layers}  # fmt: skip
    arrays = {"format": np.array(FORMAT), "config": np.array(json.dumps(config))}
    for k in range(layers):
        width = vocab + positions + styles if k == 0 else hidden
        arrays[f"l{k}_weight_ih"] = mat(4 * hidden, width)
        arrays[f"l{k}_weight_hh"] = mat(4 * hidden, hidden)
        arrays[f"l{k}_bias"] = mat(1, 4 * hidden)[0]
    arrays["out_weight"] = mat(vocab, hidden)
    arrays["out_bias"] = mat(1, vocab)[0]
    return {k: v.astype(np.float32) if v.dtype == np.float64 else v for k, v in arrays.items()}


def _reference_steps(
    arrays: dict[str, np.ndarray], inputs: list[tuple[int, int, int]], hidden: int, layers: int
) -> list[list[float]]:
    """Pure-Python LSTM (PyTorch's equations, gates i f g o) over one-hot inputs."""
    vocab = arrays["out_weight"].shape[0]
    w = {k: v.astype(float).tolist() for k, v in arrays.items() if k not in ("format", "config")}
    h = [[0.0] * hidden for _ in range(layers)]
    c = [[0.0] * hidden for _ in range(layers)]
    outputs = []
    for event, position, style in inputs:
        width = len(w["l0_weight_ih"][0])
        x = [0.0] * width
        x[event] = x[vocab + position] = 1.0
        if width > vocab + 16:
            x[vocab + 16 + style] = 1.0
        for k in range(layers):
            gates = [
                sum(a * b for a, b in zip(w[f"l{k}_weight_ih"][r], x, strict=True))
                + sum(a * b for a, b in zip(w[f"l{k}_weight_hh"][r], h[k], strict=True))
                + w[f"l{k}_bias"][r]
                for r in range(4 * hidden)
            ]

            def sigmoid(v: float) -> float:
                return 1 / (1 + math.exp(-v))

            for j in range(hidden):
                i = sigmoid(gates[j])
                f = sigmoid(gates[hidden + j])
                g = math.tanh(gates[2 * hidden + j])
                o = sigmoid(gates[3 * hidden + j])
                c[k][j] = f * c[k][j] + i * g
                h[k][j] = o * math.tanh(c[k][j])
            x = h[k]
        outputs.append(
            [sum(a * b for a, b in zip(row, x, strict=True)) + bias
             for row, bias in zip(w["out_weight"], w["out_bias"], strict=True)]
        )  # fmt: skip
    return outputs


@pytest.mark.parametrize(("styles", "layers"), [(0, 1), (3, 2)])
def test_numpy_lstm_matches_the_textbook_formula(tmp_path: Path, styles: int, layers: int) -> None:
    rng = random.Random(7)
    vocab, hidden = 6, 4
    arrays = _random_arrays(rng, vocab, styles, hidden, layers)
    path = tmp_path / "tiny.npz"
    np.savez(path, **arrays)
    model = LSTMModel.load(path)
    inputs = [(rng.randrange(vocab), step % 16, rng.randrange(max(1, styles)))
              for step in range(12)]  # fmt: skip
    expected = _reference_steps(arrays, inputs, hidden, layers)
    state = model.initial_state()
    for (event, position, style), want in zip(inputs, expected, strict=True):
        got = model.step(state, event, position, style)
        assert got is not None
        # Hidden states are held to 1/512 and weights to whole levels of a column's unit for
        # exact products (models/exact.py): logits within a few thousandths, not float32's
        # 1e-5. A wrong gate, layout or bias is off by tenths.
        np.testing.assert_allclose(got, want, rtol=0, atol=4e-3)


def test_log_probabilities_are_normalized_softmax(tmp_path: Path) -> None:
    arrays = _random_arrays(random.Random(3), 5, 0, 3, 1)
    np.savez(tmp_path / "m.npz", **arrays)
    model = LSTMModel.load(tmp_path / "m.npz")
    logp = model.log_probabilities([1, 2, 3], [0, 1, 2])
    logits = _reference_steps(arrays, [(0, 0, 0), (1, 1, 0), (2, 2, 0)], 3, 1)
    for value, row, event in zip(logp, logits, [1, 2, 3], strict=True):
        # (within the quantization of exact products, as above)
        assert value == pytest.approx(
            row[event] - math.log(sum(math.exp(v) for v in row)), abs=4e-3
        )


# --- loading errors ---------------------------------------------------------------------------


def test_missing_weight_file(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"missing"):
        LSTMModel.load(tmp_path / "nothing.npz")
    with pytest.raises(ModelLoadError, match=r"drums_rnn\.npz"):
        registry.load_model("drums_rnn", tmp_path)


def test_corrupt_weight_file(tmp_path: Path) -> None:
    path = tmp_path / "melody_rnn.npz"
    path.write_bytes(b"PK\x03\x04 this is not a zip file at all")
    with pytest.raises(ModelLoadError, match=r"melody_rnn\.npz.*corrupt"):
        registry.load_model("melody_rnn", tmp_path)
    path.write_bytes(b"")
    with pytest.raises(ModelLoadError, match="corrupt"):
        LSTMModel.load(path)


def test_truncated_shipped_weights(tmp_path: Path) -> None:
    data = registry.weight_path("drums_rnn").read_bytes()
    (tmp_path / "drums_rnn.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="drums_rnn"):
        registry.load_model("drums_rnn", tmp_path)


def test_wrong_shapes_are_named(tmp_path: Path) -> None:
    arrays = _random_arrays(random.Random(1), 5, 0, 3, 1)
    arrays["l0_weight_hh"] = arrays["l0_weight_hh"][:, :2]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelLoadError, match=r"bad\.npz.*l0_weight_hh.*shape"):
        LSTMModel.load(tmp_path / "bad.npz")
    del arrays["out_bias"]
    arrays["l0_weight_hh"] = arrays["l0_weight_ih"][:, :3]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelLoadError, match="out_bias"):
        LSTMModel.load(tmp_path / "bad.npz")


def test_wrong_format_and_config(tmp_path: Path) -> None:
    arrays = _random_arrays(random.Random(1), 5, 0, 3, 1)
    np.savez(tmp_path / "a.npz", **{**arrays, "format": np.array("something/else")})
    with pytest.raises(ModelLoadError, match="format"):
        LSTMModel.load(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", **{**arrays, "config": np.array("{not json")})
    with pytest.raises(ModelLoadError, match=r"b\.npz"):
        LSTMModel.load(tmp_path / "b.npz")
    nan = arrays["out_bias"].copy()
    nan[0] = np.nan
    np.savez(tmp_path / "c.npz", **{**arrays, "out_bias": nan})
    with pytest.raises(ModelLoadError, match="NaN"):
        LSTMModel.load(tmp_path / "c.npz")


def test_a_model_of_the_wrong_kind_does_not_fit(tmp_path: Path) -> None:
    # A valid LSTM file, but with 5 events where the drum model needs 512.
    np.savez(tmp_path / "drums_rnn.npz", **_random_arrays(random.Random(1), 5, 0, 3, 1))
    with pytest.raises(ModelLoadError, match=r"drums_rnn\.npz.*5 events, expected 512"):
        registry.load_model("drums_rnn", tmp_path)


def test_unknown_model_name() -> None:
    with pytest.raises(ValueError, match="'piano_rnn'"):
        registry.load_model("piano_rnn")


def test_shipped_models_load_and_are_cached() -> None:
    total = 0
    for name in registry.MODEL_NAMES:
        first = registry.load_model(name)
        assert registry.load_model(name) is first
        assert len(first.digest) == 64
        total += first.path.stat().st_size
    assert total < 20_000_000
    assert registry.load_model("drums_rnn").model.extras["velocity"].shape == (9, 16)


def test_style_primers_are_real_bars() -> None:
    for style in ("basic", "techno", "house", "dnb"):
        primers = style_primers(style)
        assert primers
        for primer in primers:
            assert primer.bars >= 1 and len(primer.states) == 16 * primer.bars
    assert any(p.name == "House1a" for p in style_primers("house"))
    with pytest.raises(ValueError, match="'trance'"):
        style_primers("trance")


# --- sampling -------------------------------------------------------------------------------


def test_sampling_is_seeded() -> None:
    logits = np.linspace(-1, 1, 20).astype(np.float32)
    a = [sample(logits, make_rng(5)) for _ in range(3)]
    rng1, rng2 = make_rng(9), make_rng(9)
    assert [sample(logits, rng1) for _ in range(50)] == [sample(logits, rng2) for _ in range(50)]
    assert a[0] == a[1] == a[2]


def test_temperature_controls_diversity() -> None:
    logits = np.array([4.0, 2.0, 1.0, 0.0, 0.0, -1.0, -2.0, -3.0], dtype=np.float32)
    rng = make_rng(1)
    cold = [sample(logits, rng, 0.2) for _ in range(300)]
    hot = [sample(logits, rng, 3.0) for _ in range(300)]
    assert len(set(hot)) > len(set(cold))
    assert cold.count(0) > 280
    assert sample(logits, rng, 0.0) == 0  # greedy


def test_mask_is_hard() -> None:
    logits = np.array([10.0, 0.0, -5.0, 3.0], dtype=np.float32)
    mask = np.array([False, False, True, True])
    rng = make_rng(2)
    assert {sample(logits, rng, 2.0, mask) for _ in range(200)} <= {2, 3}
    assert sample(logits, rng, 0.0, mask) == 3
    with pytest.raises(ValueError, match="allows no event"):
        sample(logits, rng, 1.0, np.zeros(4, dtype=bool))


@pytest.mark.parametrize("bad", [-0.5, 11, float("nan"), "hot", True])
def test_bad_temperature_is_named(bad: object) -> None:
    with pytest.raises(ValueError, match="temperature"):
        validate_temperature(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_bad_seed_is_named(bad: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        make_rng(bad)  # type: ignore[arg-type]


def test_generation_with_the_same_seed_repeats(tmp_path: Path) -> None:
    model = registry.load_model("melody_rnn").model
    runs = [generate(model, steps=32, rng=make_rng(s)) for s in (4, 4, 5)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert all(0 <= e < NUM_MELODY_EVENTS for e in runs[0])


def test_generation_checks_its_deadline() -> None:
    model = registry.load_model("drums_rnn").model
    calls = []

    def check() -> None:
        calls.append(1)
        if len(calls) > 5:
            raise TimeoutError("stop")

    with pytest.raises(TimeoutError):
        generate(model, steps=64, rng=make_rng(1), check=check)
    assert len(calls) == 6


def test_drums_model_reads_a_primer() -> None:
    model = registry.load_model("drums_rnn").model
    primer = encode_drums(Pattern(tuple(Note(s * 120, 36) for s in (0, 4, 8, 12)), "drums", 1)) * 2
    out = generate(model, steps=16, rng=make_rng(3), primer=primer, temperature=0.0)
    assert len(out) == 16 and all(0 <= s < NUM_DRUM_STATES for s in out)


@pytest.mark.parametrize("temperature", [0.0, 0.5, 1.0, 1.7])
def test_batched_sampling_draws_what_single_sampling_draws(temperature: float) -> None:
    """sample_batch's rows against sample, row by row, with and without a mask."""
    from audiomancer.models.lstm import sample_batch

    rng = np.random.default_rng(11)
    logits = (rng.standard_normal((40, 75)) * 4).astype(np.float32)
    logits[3, :] = 0.0  # a flat row
    logits[5, 10] = 80.0  # one certain event
    seeds = range(100, 140)
    uniforms = np.array([make_rng(s).random() for s in seeds])
    mask = rng.random(75) < 0.4
    for row_mask in (None, mask):
        drawn = sample_batch(logits, uniforms, temperature, row_mask)
        single = [
            sample(logits[r], make_rng(s), temperature, row_mask) for r, s in enumerate(seeds)
        ]
        assert drawn.tolist() == single
        if row_mask is not None:
            assert row_mask[drawn].all()
