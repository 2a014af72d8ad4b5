"""``MagentaBundle``: a Magenta ``.mag`` generator bundle, run in numpy (no TensorFlow).

A bundle is note-seq's ``GeneratorBundle`` protobuf: ``generator_details`` (1: id = 1,
description = 2), ``checkpoint_file`` (2, repeated bytes: here one TF V1 checkpoint),
``metagraph_file`` (3, the graph; not needed: the id says which graph it is) and
``bundle_details`` (4: description = 1). The generator id picks the encoder and the attention
length of Magenta's config of that name (``CONFIGS``); the checkpoint gives the weights.

``MagentaBundle.load(path).next_event_probabilities(events)`` is TensorFlow's teacher-forced
softmax: row t is the distribution of event t+1's class given events 0..t.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from audiomancer.errors import ModelLoadError
from audiomancer.models.magenta.checkpoint import CheckpointError, read_checkpoint
from audiomancer.models.magenta.encoders import (
    DrumEncoding,
    Event,
    LookbackEncoder,
    MelodyEncoding,
    SequenceEncoder,
)
from audiomancer.models.magenta.keymelody import KeyMelodyEncoder
from audiomancer.models.magenta.network import EventRNN
from audiomancer.models.magenta.wire import WireError, message, one_bytes


@dataclass(frozen=True)
class Config:
    """What a generator id means: its kind, encoder and attention length."""

    kind: str  # "drums" or "melody"
    encoder: Callable[[], SequenceEncoder]
    attn_length: int = 0


CONFIGS: Final[dict[str, Config]] = {
    "drum_kit": Config("drums", lambda: LookbackEncoder(DrumEncoding(), (), 6), 32),
    "basic_rnn": Config("melody", lambda: LookbackEncoder(MelodyEncoding(48, 84))),
    "lookback_rnn": Config("melody", lambda: LookbackEncoder(MelodyEncoding(48, 84), (16, 32), 5)),
    "attention_rnn": Config("melody", lambda: KeyMelodyEncoder(48, 84, (16, 32), 7), 40),
}
"""The generator ids we run: DrumsRNN ``drum_kit``, MelodyRNN ``basic_rnn``, ``lookback_rnn``
and ``attention_rnn``."""


class MagentaBundle:
    """A loaded bundle: its ids, encoder and network."""

    def __init__(
        self,
        path: Path,
        generator_id: str,
        description: str,
        bundle_description: str,
        encoder: SequenceEncoder,
        network: EventRNN,
        digest: str,
        kind: str,
    ) -> None:
        self.path = path
        self.generator_id = generator_id
        self.description = description
        self.bundle_description = bundle_description
        self.encoder = encoder
        self.network = network
        self.digest = digest
        self.kind = kind

    @classmethod
    def load(cls, path: str | Path) -> MagentaBundle:
        """Read a ``.mag`` file; ModelLoadError naming the file and what is wrong."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ModelLoadError(
                f"Magenta bundle {path} cannot be read: {error.strerror or error}"
            ) from None
        return cls.from_bytes(data, path)

    @classmethod
    def from_bytes(cls, data: bytes, path: Path) -> MagentaBundle:
        """A bundle from its bytes (``path`` names it in errors)."""
        try:
            bundle = message(data)
            details = message(one_bytes(bundle, 1))
            generator_id = one_bytes(details, 1).decode()
            description = one_bytes(details, 2).decode()
            bundle_description = one_bytes(message(one_bytes(bundle, 4)), 1).decode()
            checkpoints = bundle.get(2, [])
        except (WireError, UnicodeDecodeError) as error:
            raise ModelLoadError(
                f"Magenta bundle {path} is corrupt or not a GeneratorBundle: {error}"
            ) from None
        if not generator_id:
            raise ModelLoadError(f"Magenta bundle {path} has no generator id: not a bundle")
        config = CONFIGS.get(generator_id)
        if config is None:
            raise ModelLoadError(
                f"Magenta bundle {path} is for generator {generator_id!r}, which audiomancer "
                f"cannot run; known: {', '.join(sorted(CONFIGS))}"
            )
        if len(checkpoints) != 1 or not isinstance(checkpoints[0], bytes):
            raise ModelLoadError(
                f"Magenta bundle {path} holds {len(checkpoints)} checkpoint files, expected one "
                "(a V1 checkpoint; bundles with V2 index + data files are not supported)"
            )
        try:
            variables = read_checkpoint(checkpoints[0])
        except CheckpointError as error:
            raise ModelLoadError(f"Magenta bundle {path}: {error}") from None
        try:
            network = EventRNN(variables, config.attn_length)
        except ValueError as error:
            raise ModelLoadError(
                f"Magenta bundle {path} ({generator_id}) does not fit its config: {error}"
            ) from None
        encoder = config.encoder()
        if (network.input_size, network.num_classes) != (encoder.input_size, encoder.num_classes):
            raise ModelLoadError(
                f"Magenta bundle {path} ({generator_id}) has {network.input_size} inputs and "
                f"{network.num_classes} classes; its encoder has {encoder.input_size} and "
                f"{encoder.num_classes}"
            )
        for name, value in variables.items():
            if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                raise ModelLoadError(f"Magenta bundle {path}: variable {name!r} holds NaN or inf")
        return cls(
            path,
            generator_id,
            description,
            bundle_description,
            encoder,
            network,
            hashlib.sha256(data).hexdigest(),
            config.kind,
        )

    def next_event_probabilities(self, events: Sequence[object]) -> npt.NDArray[np.float64]:
        """Teacher-forced softmax ``[T, classes]``: row t is P(class of event t+1 | 0..t).

        Drum events are sets (or lists) of MIDI pitches; melody events ints (-2, -1, pitch).
        ValueError naming an event the encoder cannot take.
        """
        return self.network.softmax(self.encoder.inputs(self.events(events)))

    def events(self, events: Sequence[object]) -> list[Event]:
        """Events in the encoder's own types (drum pitch collections become frozensets)."""
        if self.kind == "drums":
            out: list[Event] = []
            for event in events:
                if isinstance(event, int | str | bytes) or not hasattr(event, "__iter__"):
                    raise ValueError(f"invalid drum event {event!r}: expected a set of pitches")
                out.append(frozenset(int(p) for p in event))
            return out
        for event in events:
            if isinstance(event, bool) or not isinstance(event, int):
                raise ValueError(f"invalid melody event {event!r}: expected an int")
        return [int(e) for e in events]  # type: ignore[call-overload]
