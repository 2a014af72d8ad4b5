"""Shared helpers of the training scripts: paths, the cache, deterministic splits.

Training needs PyTorch and music21 (``pip install -e '.[train]'``); the installed package never
imports this folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("AUDIOMANCER_DATA", REPO.parent / "shared" / "data"))
CACHE = Path(
    os.environ.get("AUDIOMANCER_TRAINING_CACHE", Path.home() / ".cache" / "audiomancer-training")
)
WEIGHTS = REPO / "src" / "audiomancer" / "models" / "weights"


def split_of(name: str, test_share: int = 10, valid_share: int = 5) -> str:
    """A deterministic train/validation/test split by name (percent shares)."""
    bucket = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 100
    if bucket < test_share:
        return "test"
    if bucket < test_share + valid_share:
        return "validation"
    return "train"


def save_sequences(path: Path, sequences: list[dict[str, Any]]) -> None:
    """Save sequences (dicts with int arrays ``events``, ``positions`` and JSON metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    events = np.concatenate([s["events"] for s in sequences]).astype(np.int16)
    positions = np.concatenate([s["positions"] for s in sequences]).astype(np.int8)
    lengths = np.array([len(s["events"]) for s in sequences], dtype=np.int64)
    meta = [{k: v for k, v in s.items() if k not in ("events", "positions")} for s in sequences]
    temporary = path.with_suffix(".tmp.npz")
    np.savez(
        temporary,
        events=events,
        positions=positions,
        lengths=lengths,
        meta=np.array(json.dumps(meta)),
    )
    temporary.replace(path)


def load_sequences(path: Path) -> list[dict[str, Any]]:
    """The sequences saved by save_sequences."""
    with np.load(path) as data:
        events, positions, lengths = data["events"], data["positions"], data["lengths"]
        meta = json.loads(str(data["meta"]))
    sequences = []
    start = 0
    for length, info in zip(lengths, meta, strict=True):
        end = start + int(length)
        sequences.append(
            {
                **info,
                "events": events[start:end].astype(np.int64),
                "positions": positions[start:end].astype(np.int64),
            }
        )
        start = end
    return sequences
