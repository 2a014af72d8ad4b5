"""The pictures the studio shows, as plain SVG: a drum grid or a piano roll, and a family tree.

The page loads them as images (``<img src=...svg>``), so they carry no script and need nothing
from the page's style sheet. Every text that comes from data (ids) is XML-escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from xml.sax.saxutils import escape

from audiomancer.patterns.metadata import PatternMetadata
from audiomancer.patterns.model import DRUM_CLASSES, TICKS_PER_STEP, Pattern

WIDTH: Final = 480
ROW: Final = 12
BACKGROUND: Final = "#0d1116"
GRID: Final = "#2a3440"
BAR: Final = "#4a5a6a"
NOTE: Final = "#f2b84b"
LABEL: Final = "#9aa8b6"
LEFT: Final = 64
"""Room for the row labels of a drum grid."""


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}" role="img">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{width:g}" height="{height:g}" fill="{BACKGROUND}"/>'
        + "".join(body)
        + "</svg>"
    )


def _bar_lines(pattern: Pattern, left: float, width: float, height: float) -> list[str]:
    lines = []
    steps = pattern.total_steps
    for step in range(steps + 1):
        x = left + width * step / steps
        on_bar = step % pattern.steps_per_bar == 0
        on_beat = step % 4 == 0
        if not (on_bar or on_beat):
            continue
        colour, stroke = (BAR, 1.5) if on_bar else (GRID, 0.75)
        lines.append(
            f'<line x1="{x:.2f}" y1="0" x2="{x:.2f}" y2="{height:g}" stroke="{colour}" '
            f'stroke-width="{stroke}"/>'
        )
    return lines


def drum_grid(pattern: Pattern, title: str = "") -> str:
    """One row per drum class, one column per 16th step; a hit's opacity is its velocity."""
    height = ROW * len(DRUM_CLASSES)
    grid_width = WIDTH - LEFT
    body = []
    for row, drum in enumerate(DRUM_CLASSES):
        y = row * ROW
        body.append(
            f'<text x="4" y="{y + ROW - 3}" font-size="9" font-family="sans-serif" '
            f'fill="{LABEL}">{drum.name.replace("_", " ")}</text>'
        )
        body.append(
            f'<line x1="{LEFT}" y1="{y + ROW:g}" x2="{WIDTH}" y2="{y + ROW:g}" stroke="{GRID}" '
            'stroke-width="0.5"/>'
        )
    body += _bar_lines(pattern, LEFT, grid_width, height)
    row_of = {drum.pitch: row for row, drum in enumerate(DRUM_CLASSES)}
    step_width = grid_width / pattern.total_steps
    for note in pattern.notes:
        x = LEFT + note.start / TICKS_PER_STEP * step_width
        y = row_of[note.pitch] * ROW
        body.append(
            f'<rect x="{x + 0.5:.2f}" y="{y + 1.5:g}" width="{max(step_width - 1, 1):.2f}" '
            f'height="{ROW - 3}" rx="1.5" fill="{NOTE}" '
            f'fill-opacity="{0.25 + 0.75 * note.velocity / 127:.2f}"/>'
        )
    return _svg(WIDTH, height, body, title or "drum grid")


def piano_roll(pattern: Pattern, title: str = "") -> str:
    """Notes as bars on a pitch-by-time grid spanning the pattern's range (an octave at least)."""
    pitches = [note.pitch for note in pattern.notes] or [60]
    low, high = min(pitches), max(pitches)
    if high - low < 12:
        low = max(0, (low + high) // 2 - 6)
        high = low + 12
    rows = high - low + 1
    row = max(3.0, min(8.0, 140 / rows))
    height = rows * row
    body = []
    for pitch in range(low, high + 1):
        if pitch % 12 in (1, 3, 6, 8, 10):  # black keys: darker rows
            y = (high - pitch) * row
            body.append(
                f'<rect x="0" y="{y:.2f}" width="{WIDTH}" height="{row:.2f}" fill="#151b22"/>'
            )
    body += _bar_lines(pattern, 0, WIDTH, height)
    scale = WIDTH / pattern.length
    for note in pattern.notes:
        y = (high - note.pitch) * row
        body.append(
            f'<rect x="{note.start * scale:.2f}" y="{y + 0.5:.2f}" '
            f'width="{max(note.duration * scale - 0.5, 1):.2f}" height="{max(row - 1, 1):.2f}" '
            f'rx="1" fill="{NOTE}" fill-opacity="{0.35 + 0.65 * note.velocity / 127:.2f}"/>'
        )
    return _svg(WIDTH, height, body, title or "piano roll")


def pattern_svg(record: PatternMetadata) -> str:
    """The picture of a stored pattern: a drum grid for drums, else a piano roll."""
    pattern = record.to_pattern()
    if pattern.type == "drums":
        return drum_grid(pattern, f"drum grid of {record.id}")
    return piano_roll(pattern, f"piano roll of {record.id}")


NODE_W: Final = 150
NODE_H: Final = 34
GAP_X: Final = 16
GAP_Y: Final = 36


def family_tree_svg(family: Sequence[PatternMetadata], current: str) -> str:
    """A pattern's ancestors, oldest generation at the top, with a line from each parent to its
    child; ``current`` is outlined. Parents no longer stored are left out."""
    by_id = {record.id: record for record in family}
    depth: dict[str, int] = {}

    def generation(pattern_id: str, seen: frozenset[str]) -> int:
        if pattern_id not in depth:
            parents = [p for p in by_id[pattern_id].parent_ids if p in by_id and p not in seen]
            depth[pattern_id] = (
                1 + max(generation(p, seen | {pattern_id}) for p in parents) if parents else 0
            )
        return depth[pattern_id]

    for pattern_id in by_id:
        generation(pattern_id, frozenset())
    rows: dict[int, list[str]] = {}
    for pattern_id in by_id:
        rows.setdefault(depth[pattern_id], []).append(pattern_id)
    widest = max((len(ids) for ids in rows.values()), default=1)
    width = widest * (NODE_W + GAP_X) + GAP_X
    height = len(rows) * (NODE_H + GAP_Y) + GAP_Y - NODE_H // 2
    where: dict[str, tuple[float, float]] = {}
    for level, ids in sorted(rows.items()):
        span = len(ids) * (NODE_W + GAP_X) - GAP_X
        for index, pattern_id in enumerate(sorted(ids)):
            x = (width - span) / 2 + index * (NODE_W + GAP_X)
            where[pattern_id] = (x, GAP_Y / 2 + level * (NODE_H + GAP_Y))
    body = []
    for pattern_id, (x, y) in where.items():
        for parent in by_id[pattern_id].parent_ids:
            if parent in where:
                px, py = where[parent]
                body.append(
                    f'<line x1="{px + NODE_W / 2:.1f}" y1="{py + NODE_H:.1f}" '
                    f'x2="{x + NODE_W / 2:.1f}" y2="{y:.1f}" stroke="{BAR}" stroke-width="1.5"/>'
                )
    for pattern_id, (x, y) in where.items():
        record = by_id[pattern_id]
        outline, stroke = (NOTE, 2) if pattern_id == current else (BAR, 1)
        stars = "★" * (record.user_rating or 0)
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="5" '
            f'fill="#202a35" stroke="{outline}" stroke-width="{stroke}"/>'
            f'<text x="{x + 8:.1f}" y="{y + 14:.1f}" font-size="11" font-family="monospace" '
            f'fill="#e8edf2">{escape(pattern_id)}</text>'
            f'<text x="{x + 8:.1f}" y="{y + 27:.1f}" font-size="9" font-family="sans-serif" '
            f'fill="{LABEL}">{escape(str(record["generation_method"]))} '
            f'<tspan fill="{NOTE}">{stars}</tspan></text>'
        )
    return _svg(width, height, body, f"family tree of {current}")
