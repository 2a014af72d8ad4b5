"""Measure the shipped humanizer on Groove MIDI's test split; print a benchmarks/README section.

    .venv/bin/python training/evaluate_humanizer.py      # about half a minute, one core

Every 4/4 test performance is quantized to its 16th grid (what the humanizer is given) and
read with its style; the model's velocity and offset for each hit are compared with what the
drummer played. ``mean`` is the model's prediction without noise, ``sampled`` one seeded draw
at amount 1 (what ``humanize`` plays). Baselines, all fitted on the train split:

- velocity: the table the drum generator uses today (median per class and 16th position, the
  shipped ``drums_rnn`` table), a per-style table (median per Groove MIDI style, class and
  position, falling back to the first where a style has fewer than 5 hits) and a per-drummer
  table (median per drummer, style, class and position, falling back to the per-style one;
  it knows who is playing, which the humanizer is not told);
- timing: zero offset (the grid), and the mean offset per class and position.

Timing is in milliseconds at each performance's tempo. The distribution distance is the
1-Wasserstein distance between the offsets played and the offsets predicted, per class. The
per-position table holds the mean offset per 16th position of the kick, snare and closed hat,
on the test split and predicted by the model, with the correlation over every cell of class
and position with at least 50 test hits.
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from groove_data import load_hits, model_inputs, performances

from audiomancer.models import registry
from audiomancer.models.humanizer import (
    NUM_CLASSES,
    POSITIONS,
    STYLES,
    hit_features,
    load_humanizer,
    sample_hits,
)
from audiomancer.patterns.model import DRUM_CLASSES

SEED = 16


def wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """1-Wasserstein distance between two samples (area between their quantile functions)."""
    q = np.linspace(0, 1, 1001)[1:-1]
    return float(np.abs(np.quantile(a, q) - np.quantile(b, q)).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    hits, meta = load_hits()
    model = load_humanizer()
    train = performances(hits, meta, "train")
    test = performances(hits, meta, "test")

    # Baselines from the train split.
    shipped = registry.load_model("drums_rnn").model.extras["velocity"].astype(np.float64)
    cell_offsets: dict[int, list[float]] = defaultdict(list)
    style_velocities: dict[tuple[str, int], list[float]] = defaultdict(list)
    for info, part in train:
        cells = part[:, 1].astype(int) * POSITIONS + part[:, 0].astype(int) % POSITIONS
        for cell, velocity, offset in zip(cells, part[:, 2], part[:, 3], strict=True):
            cell_offsets[int(cell)].append(offset)
            style_velocities[(info["style"], int(cell))].append(velocity)
            style_velocities[(info["drummer"] + "/" + info["style"], int(cell))].append(velocity)
    mean_offset = np.zeros(NUM_CLASSES * POSITIONS)
    for cell, values in cell_offsets.items():
        mean_offset[cell] = float(np.mean(values))

    columns: dict[str, list[np.ndarray]] = defaultdict(list)
    rng = np.random.default_rng(SEED)
    for info, part in test:
        grid, positions, steps, classes = model_inputs(part)
        style = info["style"] if info["style"] in STYLES else None
        x = hit_features(grid, positions, steps, classes, info["bpm"], style)
        velocity_mean, offset_mean = model.predict(x)
        velocity_draw, offset_draw = sample_hits(
            model, grid, positions, steps, classes, info["bpm"], style, rng
        )
        cells = classes * POSITIONS + steps % POSITIONS
        table = shipped[classes, steps % POSITIONS]

        def lookup(key: str, fallback: np.ndarray, cells: np.ndarray = cells) -> np.ndarray:
            found = []
            for cell in cells:
                values = style_velocities.get((key, int(cell)), [])
                found.append(np.median(values) if len(values) >= 5 else np.nan)
            array = np.array(found)
            return np.where(np.isnan(array), fallback, array)

        per_style_array = lookup(info["style"], table)
        per_drummer_array = lookup(info["drummer"] + "/" + info["style"], per_style_array)
        ms = 60_000 / info["bpm"] / 4  # one 16th in ms
        for name, value in (
            ("velocity", part[:, 2]),
            ("velocity_mean", np.clip(velocity_mean, 1, 127)),
            ("velocity_draw", velocity_draw),
            ("velocity_table", table),
            ("velocity_style", per_style_array),
            ("velocity_drummer", per_drummer_array),
            ("offset", part[:, 3] * ms),
            ("offset_mean", np.clip(offset_mean, -0.49, 0.49) * ms),
            ("offset_draw", offset_draw * ms),
            ("offset_cell", mean_offset[cells] * ms),
            ("cell", cells.astype(np.float64)),
            ("performance", np.full(len(cells), float(len(columns["cell"])))),
        ):
            columns[name].append(np.asarray(value, dtype=np.float64))
    c = {name: np.concatenate(parts) for name, parts in columns.items()}
    cells = c["cell"].astype(int)
    classes = cells // POSITIONS

    def mae(a: str, b: str) -> float:
        return float(np.abs(c[a] - c[b]).mean())

    print(f"Test split: {len(test)} performances in 4/4, {len(cells)} hits.\n")
    print("| Velocity MAE per hit (0-127) | |")
    print("|---|---:|")
    print(f"| humanizer, mean | {mae('velocity', 'velocity_mean'):.1f} |")
    print(f"| humanizer, sampled (amount 1) | {mae('velocity', 'velocity_draw'):.1f} |")
    print(f"| current table (class x position median) | {mae('velocity', 'velocity_table'):.1f} |")
    print(
        f"| per-style table (style x class x position) | {mae('velocity', 'velocity_style'):.1f} |"
    )
    print(
        "| per-drummer table (drummer x style x class x position) | "
        f"{mae('velocity', 'velocity_drummer'):.1f} |"
    )
    print()
    print("| Timing MAE per hit (ms) | |")
    print("|---|---:|")
    print(f"| humanizer, mean | {mae('offset', 'offset_mean'):.1f} |")
    print(f"| humanizer, sampled (amount 1) | {mae('offset', 'offset_draw'):.1f} |")
    print(f"| zero offset (the grid) | {float(np.abs(c['offset']).mean()):.1f} |")
    print(f"| mean offset per class and position | {mae('offset', 'offset_cell'):.1f} |")
    print()
    # How much a drummer varies one hit (same performance, class and position) from bar to bar.
    key = c["performance"] * 1000 + cells
    _, inverse = np.unique(key, return_inverse=True)
    n = np.bincount(inverse)
    repeated = n[inverse] >= 4

    def spread(name: str) -> float:
        values = c[name]
        mean = np.bincount(inverse, values) / n
        return float(np.sqrt(((values - mean[inverse]) ** 2)[repeated].mean()))

    print("| Spread of one hit across bars (std, same performance, class, position) | played | "
          "humanizer sampled |")  # fmt: skip
    print("|---|---:|---:|")
    print(f"| velocity | {spread('velocity'):.1f} | {spread('velocity_draw'):.1f} |")
    print(f"| timing (ms) | {spread('offset'):.1f} | {spread('offset_draw'):.1f} |")
    print()
    print("| Wasserstein-1 of offsets (ms) | hits | humanizer sampled | humanizer mean | "
          "zero offset | class x position mean |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for drum in DRUM_CLASSES:
        mask = classes == drum.index
        if mask.sum() < 100:
            continue
        real = c["offset"][mask]
        row = [wasserstein(real, c[key][mask]) for key in ("offset_draw", "offset_mean")]
        row += [wasserstein(real, np.zeros(1)), wasserstein(real, c["offset_cell"][mask])]
        print(f"| {drum.name} | {mask.sum()} | " + " | ".join(f"{v:.1f}" for v in row) + " |")
    print()
    real_means, model_means, draw_means, table_means = [], [], [], []
    for cell in range(NUM_CLASSES * POSITIONS):
        mask = cells == cell
        if mask.sum() >= 50:
            real_means.append(c["offset"][mask].mean())
            model_means.append(c["offset_mean"][mask].mean())
            draw_means.append(c["offset_draw"][mask].mean())
            table_means.append(c["offset_cell"][mask].mean())

    def correlation(values: list[float]) -> float:
        return float(np.corrcoef(real_means, values)[0, 1])

    print(f"Mean offset per class and 16th position (ms): the test split's against the "
          f"humanizer's mean prediction for the same hits. Correlation over the "
          f"{len(real_means)} cells with at least 50 test hits: {correlation(model_means):.2f} "
          f"(its seeded draws: {correlation(draw_means):.2f}; the train split's own class x "
          f"position means: {correlation(table_means):.2f}).\n")  # fmt: skip
    print("| class | | " + " | ".join(str(p + 1) for p in range(POSITIONS)) + " |")
    print("|---|---|" + "---:|" * POSITIONS)
    for drum in DRUM_CLASSES[:3]:
        for label, key in (("test", "offset"), ("humanizer", "offset_mean")):
            values = []
            for position in range(POSITIONS):
                mask = cells == drum.index * POSITIONS + position
                values.append(f"{c[key][mask].mean():+.0f}" if mask.sum() >= 20 else "")
            print(f"| {drum.name} | {label} | " + " | ".join(values) + " |")


if __name__ == "__main__":
    main()
