"""Groove MIDI hits for the humanizer: every hit's step, class, velocity and offset.

Reads the 4/4 performances of ``../shared/data/groove-midi`` (``info.csv`` gives drummer, style,
bpm and split). Each note-on maps to one of Magenta's nine drum classes and snaps to its nearest
16th step at the file's tempo; its offset is the distance from that step in 16ths (-0.5 to 0.5).
Where one class hits twice on one step (a flam, a buzz), the louder hit is kept, as our patterns
hold one hit per class and step. Cached in ``~/.cache/audiomancer-training/groove_hits.npz``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import mido
import numpy as np
from common import CACHE, SHARED_DATA

from audiomancer.patterns.model import drum_class

GROOVE = SHARED_DATA / "groove-midi"
HITS_CACHE = CACHE / "groove_hits.npz"


def performance_hits(path: Path) -> np.ndarray:
    """[hits, 4] of (step, class, velocity, offset in 16ths), one per class and step."""
    midi = mido.MidiFile(path)
    per_step = midi.ticks_per_beat / 4
    best: dict[tuple[int, int], tuple[int, float]] = {}
    for track in midi.tracks:
        now = 0
        for message in track:
            now += message.time
            if message.type != "note_on" or message.velocity == 0:
                continue
            try:
                index = drum_class(message.note).index
            except ValueError:
                continue
            position = now / per_step
            step = round(position)
            key = (step, index)
            if key not in best or message.velocity > best[key][0]:
                best[key] = (message.velocity, position - step)
    rows = [(s, c, v, o) for (s, c), (v, o) in sorted(best.items())]
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def load_hits(refresh: bool = False) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """All hits (with a performance index column) and the performances' metadata."""
    if HITS_CACHE.exists() and not refresh:
        with np.load(HITS_CACHE) as data:
            return data["hits"], json.loads(str(data["meta"]))
    with open(GROOVE / "info.csv", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: r["midi_filename"])
    parts, meta = [], []
    for row in rows:
        if row["time_signature"] != "4-4":
            continue
        hits = performance_hits(GROOVE / row["midi_filename"])
        if not len(hits):
            continue
        index = np.full((len(hits), 1), len(meta), dtype=np.float64)
        parts.append(np.hstack([index, hits]))
        meta.append(
            {
                "name": row["midi_filename"],
                "drummer": row["drummer"],
                "style": row["style"].split("/")[0],
                "bpm": float(row["bpm"]),
                "beat_type": row["beat_type"],
                "split": row["split"],
            }
        )
    hits = np.vstack(parts)
    HITS_CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(HITS_CACHE, hits=hits, meta=np.array(json.dumps(meta)))
    return hits, meta


def performances(
    hits: np.ndarray, meta: list[dict[str, Any]], split: str
) -> list[tuple[dict[str, Any], np.ndarray]]:
    """(metadata, [hits, 4] of step, class, velocity, offset) of each performance of a split."""
    order = hits[:, 0].astype(np.int64)
    bounds = np.searchsorted(order, np.arange(len(meta) + 1))
    result = []
    for index, info in enumerate(meta):
        if info["split"] == split:
            part = hits[bounds[index] : bounds[index + 1], 1:]
            part = part[part[:, 0] >= 0]
            if len(part):
                result.append((info, part))
    return result


def model_inputs(
    part: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A performance's (grid, positions, steps, classes), as the runtime builds them."""
    steps = part[:, 0].astype(np.int64)
    classes = part[:, 1].astype(np.int64)
    total = int(steps.max()) + 1
    total = -(-total // 16) * 16
    grid = np.zeros((total, 9), dtype=bool)
    grid[steps, classes] = True
    return grid, np.arange(total) % 16, steps, classes
