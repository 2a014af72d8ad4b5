"""Which weight file each model name loads, and a cache of loaded models.

The weights ship inside the package (``audiomancer/models/weights/*.npz``), trained by
``training/train.py``. Loading checks that a file is what its name promises (event vocabulary,
inputs, extra tables) and raises ModelLoadError naming the file and the reason otherwise.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from audiomancer.errors import ModelLoadError
from audiomancer.models.encoding import (
    NUM_DRUM_CLASSES,
    NUM_DRUM_STATES,
    NUM_MELODY_EVENTS,
    NUM_STYLES,
    STEPS_PER_BAR,
)
from audiomancer.models.lstm import LSTMModel
from audiomancer.patterns.model import allowed

WEIGHTS_DIR: Final = Path(__file__).resolve().parent / "weights"
"""Folder of the shipped weight files."""


@dataclass(frozen=True)
class ModelSpec:
    """What a model name loads: its file and the sizes the generators rely on."""

    name: str
    filename: str
    vocab: int
    styles: int
    extras: tuple[tuple[str, tuple[int, ...]], ...] = ()


MODELS: Final[dict[str, ModelSpec]] = {
    "drums_rnn": ModelSpec(
        "drums_rnn",
        "drums_rnn.npz",
        NUM_DRUM_STATES,
        NUM_STYLES,
        (("velocity", (NUM_DRUM_CLASSES, STEPS_PER_BAR)),),
    ),
    "melody_rnn": ModelSpec("melody_rnn", "melody_rnn.npz", NUM_MELODY_EVENTS, 0),
    "bass_rnn": ModelSpec("bass_rnn", "bass_rnn.npz", NUM_MELODY_EVENTS, 0),
}
MODEL_NAMES: Final[tuple[str, ...]] = tuple(MODELS)


@dataclass(frozen=True)
class LoadedModel:
    """A loaded model with the file it came from and that file's SHA-256 (for ids)."""

    name: str
    model: LSTMModel
    path: Path
    digest: str


_cache: dict[tuple[str, int, int], LoadedModel] = {}
_lock = threading.Lock()


def validate_model_name(name: str) -> ModelSpec:
    """The spec of a model name; ValueError naming it and the known ones otherwise."""
    if isinstance(name, str) and name in MODELS:
        return MODELS[name]
    raise ValueError(f"invalid model name {name!r}: expected one of {allowed(MODEL_NAMES)}")


def weight_path(name: str, directory: Path | None = None) -> Path:
    """The weight file of a model name (in ``directory``, default the shipped folder)."""
    spec = validate_model_name(name)
    return (directory if directory is not None else WEIGHTS_DIR) / spec.filename


def load_model(name: str, directory: Path | None = None) -> LoadedModel:
    """Load (once per file version, then from the cache) the model of a name.

    ValueError for an unknown name; ModelLoadError for a missing, corrupt or unfitting file.
    """
    spec = validate_model_name(name)
    path = weight_path(name, directory)
    try:
        stat = path.stat()
    except OSError:
        raise ModelLoadError(f"model {name!r}: weight file {path} is missing") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ModelLoadError(f"model {name!r}: cannot read {path}: {error}") from None
        model = LSTMModel.from_bytes(data, str(path))
        _check_fits(spec, model, path)
        loaded = LoadedModel(name, model, path, hashlib.sha256(data).hexdigest())
        _cache[key] = loaded
        return loaded


def clear_cache() -> None:
    """Forget every loaded model (tests; after replacing weight files)."""
    with _lock:
        _cache.clear()


def _check_fits(spec: ModelSpec, model: LSTMModel, path: Path) -> None:
    config = model.config
    problems = []
    if config.vocab != spec.vocab:
        problems.append(f"{config.vocab} events, expected {spec.vocab}")
    if config.positions != STEPS_PER_BAR:
        problems.append(f"{config.positions} bar positions, expected {STEPS_PER_BAR}")
    if config.styles != spec.styles:
        problems.append(f"{config.styles} styles, expected {spec.styles}")
    for key, shape in spec.extras:
        value = model.extras.get(key)
        if value is None:
            problems.append(f"array {key!r} is missing")
        elif tuple(value.shape) != shape:
            problems.append(f"array {key!r} has shape {tuple(value.shape)}, expected {shape}")
    if problems:
        raise ModelLoadError(
            f"model {spec.name!r}: weight file {path} does not fit: {'; '.join(problems)}"
        )
