"""Pictures of patterns as plain SVG text (no plotting library): :func:`pattern_svg`.

- **Drums**: a grid with one row per drum class (named on the left, in the model's order), thin
  lines on every 16th step, stronger ones on beats and bars; each hit is one ``rect`` of class
  ``note`` placed at its exact tick, so micro-timing shows as an offset from the step line, and
  shaded by velocity (light = soft, dark = hard).
- **Melody and bass**: a piano roll, pitch upward and time to the right, one ``rect`` of class
  ``note`` per note spanning its duration; rows of the key's scale degrees are shaded (the root
  darker), bar lines drawn.

Every note rect carries ``data-start``, ``data-pitch``, ``data-velocity`` and ``data-duration``
(ticks) so tools, tests and the studio can read the picture back. The CLI draws on white paper
(:data:`~audiomancer.patterns.svg.LIGHT`), the studio on its dark page
(:data:`~audiomancer.patterns.svg.DARK`); see :mod:`audiomancer.patterns.svg`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from audiomancer.atomic import atomic_write_text
from audiomancer.patterns.model import (
    DRUM_CLASS_BY_PITCH,
    DRUM_CLASSES,
    TICKS_PER_BEAT,
    TICKS_PER_STEP,
    Note,
    Pattern,
    key_pitch_class,
    scale_pitch_classes,
)
from audiomancer.patterns.svg import LIGHT, Palette, document, shade, text

STEP_WIDTH: Final = 24.0
"""Pixels per 16th step."""
ROW_HEIGHT: Final = 22.0
KEY_HEIGHT: Final = 10.0
LABEL_WIDTH: Final = 84.0
MARGIN: Final = 8.0
_NAMES: Final = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _note_rect(
    x: float, y: float, width: float, height: float, note: Note, palette: Palette
) -> str:
    start, pitch, velocity, duration = note.start, note.pitch, note.velocity, note.duration
    return (
        f'<rect class="note" x="{x:.2f}" y="{y:.2f}" width="{width:.2f}" height="{height:.2f}" '
        f'rx="2" fill="{shade(palette, velocity)}" stroke="{palette.note_stroke}" '
        'stroke-width="0.5" '
        f'data-start="{start}" data-pitch="{pitch}" data-velocity="{velocity}" '
        f'data-duration="{duration}"/>'
    )


def _grid_lines(
    pattern: Pattern, top: float, bottom: float, scale: float, palette: Palette
) -> list[str]:
    lines: list[str] = []
    bar = pattern.bar_length
    for tick in range(0, pattern.length + 1, TICKS_PER_STEP):
        x = LABEL_WIDTH + tick * scale
        if tick % bar == 0:
            colour, width, kind = palette.bar, 1.5, "bar"
        elif tick % TICKS_PER_BEAT == 0:
            colour, width, kind = palette.beat, 1.0, "beat"
        else:
            colour, width, kind = palette.step, 0.5, "step"
        lines.append(
            f'<line class="{kind}" x1="{x:.2f}" y1="{top:.2f}" x2="{x:.2f}" y2="{bottom:.2f}" '
            f'stroke="{colour}" stroke-width="{width}"/>'
        )
    return lines


def _title(pattern: Pattern) -> str:
    parts = [pattern.type, f"{pattern.bars} bar(s)", f"{pattern.bpm:g} bpm"]
    if pattern.key:
        parts.append(f"{pattern.key} {pattern.scale or ''}".strip())
    return ", ".join(parts)


def drum_grid_svg(pattern: Pattern, palette: Palette = LIGHT, title: str | None = None) -> str:
    """The drum grid of a drum pattern (see the module documentation); ``title`` names it
    (by default its type, length and tempo)."""
    scale = STEP_WIDTH / TICKS_PER_STEP
    width = LABEL_WIDTH + pattern.length * scale + MARGIN
    top = MARGIN
    height = top + len(DRUM_CLASSES) * ROW_HEIGHT + MARGIN
    body: list[str] = []
    for drum in DRUM_CLASSES:
        y = top + drum.index * ROW_HEIGHT
        fill = palette.row if drum.index % 2 else palette.background
        body.append(
            f'<rect class="row" x="{LABEL_WIDTH:.2f}" y="{y:.2f}" '
            f'width="{pattern.length * scale:.2f}" height="{ROW_HEIGHT:.2f}" fill="{fill}"/>'
        )
        body.append(
            f'<text x="{MARGIN:.0f}" y="{y + ROW_HEIGHT * 0.68:.2f}">{text(drum.name)}</text>'
        )
    body += _grid_lines(pattern, top, height - MARGIN, scale, palette)
    cell = STEP_WIDTH * 0.7
    for note in pattern.notes:
        row = DRUM_CLASS_BY_PITCH[note.pitch].index
        x = LABEL_WIDTH + note.start * scale + 1
        y = top + row * ROW_HEIGHT + 3
        body.append(_note_rect(x, y, cell, ROW_HEIGHT - 6, note, palette))
    return document(width, height, title or _title(pattern), body, palette)


def piano_roll_svg(pattern: Pattern, palette: Palette = LIGHT, title: str | None = None) -> str:
    """The piano roll of a melodic pattern (see the module documentation)."""
    scale = STEP_WIDTH / TICKS_PER_STEP
    pitches = [note.pitch for note in pattern.notes] or [60]
    low, high = min(pitches) - 2, max(pitches) + 2
    rows = high - low + 1
    width = LABEL_WIDTH + pattern.length * scale + MARGIN
    top = MARGIN
    height = top + rows * KEY_HEIGHT + MARGIN
    degrees = scale_pitch_classes(pattern.key, pattern.scale or "major") if pattern.key else None
    root = key_pitch_class(pattern.key) if pattern.key else None
    body: list[str] = []
    for pitch in range(low, high + 1):
        y = top + (high - pitch) * KEY_HEIGHT
        if root is not None and pitch % 12 == root:
            fill, kind = palette.root, "root"
        elif degrees is not None and pitch % 12 in degrees:
            fill, kind = palette.degree, "degree"
        else:
            fill, kind = palette.background, "other"
        body.append(
            f'<rect class="{kind}" x="{LABEL_WIDTH:.2f}" y="{y:.2f}" '
            f'width="{pattern.length * scale:.2f}" height="{KEY_HEIGHT:.2f}" fill="{fill}"/>'
        )
        if pitch % 12 == 0 or pitch in (low, high):
            name = f"{_NAMES[pitch % 12]}{pitch // 12 - 1}"
            body.append(f'<text x="{MARGIN:.0f}" y="{y + KEY_HEIGHT - 1:.2f}">{name}</text>')
    body += [
        line
        for line in _grid_lines(pattern, top, height - MARGIN, scale, palette)
        if 'class="step"' not in line
    ]
    for note in pattern.notes:
        x = LABEL_WIDTH + note.start * scale
        y = top + (high - note.pitch) * KEY_HEIGHT + 1
        width_ = max(2.0, note.duration * scale - 1)
        body.append(_note_rect(x, y, width_, KEY_HEIGHT - 2, note, palette))
    return document(width, height, title or _title(pattern), body, palette)


def pattern_svg(pattern: Pattern, palette: Palette = LIGHT, title: str | None = None) -> str:
    """SVG text of a pattern: a drum grid for drums, a piano roll for melody and bass."""
    draw = drum_grid_svg if pattern.type == "drums" else piano_roll_svg
    return draw(pattern, palette, title)


def write_pattern_svg(pattern: Pattern, path: str | os.PathLike[str]) -> Path:
    """Write :func:`pattern_svg` to a file atomically; its path."""
    target = Path(path)
    atomic_write_text(target, pattern_svg(pattern))
    return target


__all__ = [
    "drum_grid_svg",
    "pattern_svg",
    "piano_roll_svg",
    "write_pattern_svg",
]
