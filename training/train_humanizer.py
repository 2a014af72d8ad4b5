"""Train the humanizer (``src/audiomancer/models/humanizer.py``) on Groove MIDI's train split.

Two ridge regressions over the runtime's own features (``hit_features``), solved in closed
form with numpy on one thread: velocity, and offset from the 16th step. Each performance is
read with its style, and a fixed quarter of them (chosen by name) a second time without one,
so the model also knows the average drummer. The ridge strength of each is chosen on the
validation split; the test split is never read here (``benchmarks/humanizer.py`` evaluates on
it). Then the residual spread per class and 16th position, and the share of it that a bar's
hits of one class have in common across the whole performance, on one 16th position and
within a bar, from the train split. Deterministic: no random numbers.

    .venv/bin/python training/train_humanizer.py      # about a minute, one core
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from common import WEIGHTS
from groove_data import load_hits, model_inputs, performances

from audiomancer.models.humanizer import (
    FORMAT,
    NUM_CLASSES,
    POSITIONS,
    STYLES,
    feature_count,
    hit_features,
)

LAMBDAS = (1.0, 10.0, 100.0, 1000.0)
UNSTYLED_SHARE = 25  # percent of performances also read without their style


def style_of(info: dict[str, Any]) -> str | None:
    return info["style"] if info["style"] in STYLES else None


def unstyled(info: dict[str, Any]) -> bool:
    return int(hashlib.sha256(info["name"].encode()).hexdigest()[:8], 16) % 100 < UNSTYLED_SHARE


def rows(
    data: list[tuple[dict[str, Any], np.ndarray]], both: bool
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """(features, velocity, offset, class*16+position, group id) per performance reading."""
    result = []
    for info, part in data:
        grid, positions, steps, classes = model_inputs(part)
        styles = [style_of(info)] + ([None] if both and unstyled(info) and style_of(info) else [])
        for style in styles:
            x = hit_features(grid, positions, steps, classes, info["bpm"], style)
            cell = classes * POSITIONS + positions[steps]
            reading = len(result)  # each reading its own groups (a re-read hit is no pair)
            group = (reading * 10_000 + steps // 16) * NUM_CLASSES + classes
            result.append((x, part[:, 2], part[:, 3], cell, group))
    return result


def solve(xtx: np.ndarray, xty: np.ndarray, strength: float) -> np.ndarray:
    penalty = np.full(len(xtx), strength)
    penalty[: NUM_CLASSES * POSITIONS] = 1e-3  # the class x position means are not shrunk
    return np.linalg.solve(xtx + np.diag(penalty), xty)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS / "humanizer.npz")
    args = parser.parse_args()
    hits, meta = load_hits()
    train = rows(performances(hits, meta, "train"), both=True)
    valid = rows(performances(hits, meta, "validation"), both=False)
    count = feature_count()
    xtx = np.zeros((count, count))
    xty = np.zeros((count, 2))
    for x, velocity, offset, _, _ in train:
        xtx += x.T @ x
        xty += x.T @ np.column_stack([velocity, offset])
    print(f"train: {sum(len(r[1]) for r in train)} hit readings, {count} features")
    chosen = []
    for target in (0, 1):
        scores = {}
        for strength in LAMBDAS:
            w = solve(xtx, xty[:, target], strength)
            errors = [np.abs(x @ w - (v if target == 0 else o)) for x, v, o, _, _ in valid]
            scores[strength] = float(np.concatenate(errors).mean())
        best = min(scores, key=lambda s: scores[s])
        print(f"{('velocity', 'offset')[target]} validation MAE by ridge strength: {scores}")
        chosen.append(solve(xtx, xty[:, target], best))
    velocity_weights, offset_weights = chosen

    # Residual spread per class and position, and the share a bar's hits of a class share.
    stds, shared = [], []
    for target, w in ((0, velocity_weights), (1, offset_weights)):
        residual = np.concatenate([(v if target == 0 else o) - x @ w for x, v, o, _, _ in train])
        cells = np.concatenate([r[3] for r in train])
        groups = np.concatenate([r[4] for r in train])
        reading = groups // NUM_CLASSES // 10_000
        performance_groups = reading * NUM_CLASSES + groups % NUM_CLASSES
        cell_groups = reading * NUM_CLASSES * POSITIONS + cells
        sums = np.bincount(cells, residual**2, NUM_CLASSES * POSITIONS)
        counts = np.bincount(cells, None, NUM_CLASSES * POSITIONS)
        overall = float(np.sqrt((residual**2).mean()))
        std = np.where(counts >= 20, np.sqrt(sums / np.maximum(counts, 1)), overall)
        stds.append(std.reshape(NUM_CLASSES, POSITIONS))
        z = residual / std[cells]
        variance = float((z**2).mean())
        covariances = []
        for level in (performance_groups, cell_groups, groups):  # pattern, position, bar
            _, inverse = np.unique(level, return_inverse=True)
            total = np.bincount(inverse, z)
            square = np.bincount(inverse, z**2)
            n = np.bincount(inverse)
            covariances.append(float((total**2 - square).sum()) / float((n * (n - 1)).sum()))
        whole = max(0.0, covariances[0])
        levels = [whole, max(0.0, covariances[1] - whole), max(0.0, covariances[2] - whole)]
        shared.append([min(1.0, v / variance) for v in levels])
    print(f"variance shared by (the performance, a position, a bar), velocity and offset: {shared}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_name(args.out.stem + ".tmp.npz")
    np.savez_compressed(
        temporary,
        format=np.array(FORMAT),
        velocity_weights=velocity_weights.astype(np.float32),
        offset_weights=offset_weights.astype(np.float32),
        velocity_std=stds[0].astype(np.float32),
        offset_std=stds[1].astype(np.float32),
        shared=np.array(shared, dtype=np.float32),
    )
    temporary.replace(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
