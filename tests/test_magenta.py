"""Magenta .mag bundles without TensorFlow: encoders and probabilities against TF's references."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audiomancer.errors import ModelLoadError
from audiomancer.models.magenta import MagentaBundle
from audiomancer.models.magenta.wire import message, one_bytes

DATA = Path(__file__).parent / "data" / "magenta"
FIXTURES = ("drum_kit_small", "basic_rnn_small")


def reference(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.reference.json").read_text())
    return data


def dense(sparse: list[list[list[float]]], size: int) -> np.ndarray:
    out = np.zeros((len(sparse), size), dtype=np.float32)
    for t, row in enumerate(sparse):
        for index, value in row:
            out[t, int(index)] = value
    return out


@pytest.fixture(scope="module", params=FIXTURES)
def loaded(request: pytest.FixtureRequest) -> tuple[MagentaBundle, dict[str, Any]]:
    name = request.param
    return MagentaBundle.load(DATA / f"{name}.mag"), reference(name)


def test_bundle_details_are_read(loaded: tuple[MagentaBundle, dict[str, Any]]) -> None:
    bundle, ref = loaded
    assert bundle.generator_id == ref["generator_id"]
    assert bundle.description == ref["generator_description"]
    assert bundle.bundle_description == ref["bundle_description"]
    assert bundle.encoder.input_size == ref["input_size"]
    assert bundle.network.num_classes == ref["num_classes"]


def test_encoder_inputs_and_labels_equal_magentas(
    loaded: tuple[MagentaBundle, dict[str, Any]],
) -> None:
    bundle, ref = loaded
    for sequence in ref["sequences"]:
        events = bundle.events(sequence["events"])
        inputs = bundle.encoder.inputs(events)
        assert np.array_equal(inputs, dense(sequence["inputs_sparse"], ref["input_size"]))
        assert bundle.encoder.labels(events) == sequence["labels"]


def test_probabilities_equal_tensorflows(loaded: tuple[MagentaBundle, dict[str, Any]]) -> None:
    bundle, ref = loaded
    for sequence in ref["sequences"]:
        probabilities = bundle.next_event_probabilities(sequence["events"])
        expected = np.array(sequence["softmax"])
        assert probabilities.shape == expected.shape == (32, ref["num_classes"])
        assert np.abs(probabilities - expected).max() < 1e-5, sequence["name"]
        assert probabilities.argmax(axis=1).tolist() == sequence["argmax"]
        labels = sequence["labels"]
        log_likelihood = sum(np.log(probabilities[t, labels[t + 1]]) for t in range(31))
        assert log_likelihood == pytest.approx(sequence["log_likelihood_magenta"], abs=1e-4)


def test_bad_events_are_named() -> None:
    drums = MagentaBundle.load(DATA / "drum_kit_small.mag")
    with pytest.raises(ValueError, match="invalid drum pitch 12"):
        drums.next_event_probabilities([[36], [12]])
    melody = MagentaBundle.load(DATA / "basic_rnn_small.mag")
    with pytest.raises(ValueError, match="invalid melody event 90"):
        melody.next_event_probabilities([60, 90])


# --- broken bundles -------------------------------------------------------------------------


def field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field."""
    out = bytearray()
    for value in (number << 3 | 2, len(payload)):
        while value >= 0x80:
            out.append(value & 0x7F | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out) + payload


def rebuilt(generator_id: str = "basic_rnn", cut: int = 0) -> bytes:
    """basic_rnn_small.mag with another generator id, or its checkpoint cut short."""
    bundle = message((DATA / "basic_rnn_small.mag").read_bytes())
    checkpoint = one_bytes(bundle, 2)
    if cut:
        checkpoint = checkpoint[:-cut]
    details = field(1, generator_id.encode()) + field(2, b"test")
    return field(1, details) + field(2, checkpoint) + field(3, one_bytes(bundle, 3))


def test_a_rebuilt_bundle_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "copy.mag"
    path.write_bytes(rebuilt())
    assert MagentaBundle.load(path).generator_id == "basic_rnn"


def test_unknown_generator_id_is_named(tmp_path: Path) -> None:
    path = tmp_path / "odd.mag"
    path.write_bytes(rebuilt("polyphony"))
    with pytest.raises(ModelLoadError, match=r"odd\.mag is for generator 'polyphony'"):
        MagentaBundle.load(path)


@pytest.mark.parametrize("cut", [1, 48, 5000, 200_000])
def test_truncated_checkpoint_is_named(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "short.mag"
    path.write_bytes(rebuilt(cut=cut))
    with pytest.raises(ModelLoadError, match=r"short\.mag.*checkpoint is (truncated|damaged)"):
        MagentaBundle.load(path)


@pytest.mark.parametrize("keep", [0, 10, 1000, 300_000])
def test_truncated_or_corrupt_bundle_is_named(tmp_path: Path, keep: int) -> None:
    path = tmp_path / "broken.mag"
    path.write_bytes((DATA / "drum_kit_small.mag").read_bytes()[:keep])
    with pytest.raises(ModelLoadError, match=r"broken\.mag"):
        MagentaBundle.load(path)


def test_garbage_and_missing_files_are_named(tmp_path: Path) -> None:
    path = tmp_path / "noise.mag"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(ModelLoadError, match=r"noise\.mag"):
        MagentaBundle.load(path)
    with pytest.raises(ModelLoadError, match=r"absent\.mag cannot be read"):
        MagentaBundle.load(tmp_path / "absent.mag")


def test_flipped_weight_bytes_load_or_fail_clearly(tmp_path: Path) -> None:
    data = bytearray((DATA / "drum_kit_small.mag").read_bytes())
    for offset in range(100, len(data), len(data) // 40):
        data[offset] ^= 0xFF
    path = tmp_path / "flipped.mag"
    path.write_bytes(bytes(data))
    try:
        bundle = MagentaBundle.load(path)
    except ModelLoadError as error:
        assert "flipped.mag" in str(error)
    else:  # a flip inside float data changes weights, which the V1 format cannot detect
        assert np.isfinite(bundle.next_event_probabilities([[36]] * 4)).all()


def test_key_melody_encoder_equals_magentas() -> None:
    """attention_rnn's KeyMelodyEncoderDecoder against its reference (bundle not shipped)."""
    from audiomancer.models.magenta.keymelody import KeyMelodyEncoder

    ref = reference("attention_rnn")
    encoder = KeyMelodyEncoder(ref["min_note"], ref["max_note"], ref["lookback_distances"], 7)
    assert (encoder.input_size, encoder.num_classes) == (ref["input_size"], ref["num_classes"])
    for sequence in ref["sequences"]:
        events = sequence["events"]
        assert np.array_equal(
            encoder.inputs(events), dense(sequence["inputs_sparse"], ref["input_size"])
        )
        assert encoder.labels(events) == sequence["labels"]
        for t in range(1, len(events)):
            label = encoder.label(events, t)
            assert encoder.class_event(events[:t], label) == events[t]
