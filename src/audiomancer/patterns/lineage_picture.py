"""Family trees as plain SVG: :func:`family_tree_svg` of :class:`FamilyNode` s.

One box (``<g class="node">``) per member: its id on top, how it was made and its rating below.
Members are laid out by generation, the oldest at the top: a member sits one row below its
lowest-placed parent. One line (``<line class="edge">``) per distinct parent link between two
members drawn (``<polyline class="edge">`` when it skips rows), from the bottom of the parent's
box to the top of the child's; parents that are not members (deleted patterns, ...) get none.
The member the tree is about is outlined in the palette's ``current`` colour. Boxes carry
``data-id`` and edges ``data-parent`` / ``data-child`` so tools, tests and the studio can read
the picture back.

The model is generic: pattern lineages (:func:`pattern_family`, from stored records) and synth
lineages (built by their callers) draw the same way. Every id and label is escaped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from audiomancer.atomic import atomic_write_text
from audiomancer.family import generation_numbers
from audiomancer.patterns.metadata import PatternMetadata
from audiomancer.patterns.svg import LIGHT, Palette, attribute, document, text

if TYPE_CHECKING:
    from audiomancer.patterns.store import PatternStore

NODE_WIDTH: Final = 168.0
NODE_HEIGHT: Final = 36.0
GAP_X: Final = 24.0
GAP_Y: Final = 36.0
MARGIN: Final = 12.0
_ID_CHARS: Final = 24
"""Ids longer than this are cut (with an ellipsis) to fit their box; data-id keeps them whole."""


@dataclass(frozen=True)
class FamilyNode:
    """One member of a family tree."""

    id: str
    parent_ids: tuple[str, ...] = ()
    method: str = ""
    """How it was made (``generated``, ``mutated``, ``crossover`` ...)."""
    rating: int | None = None
    """The user's rating 1-5, if any (drawn as stars)."""


def pattern_family(records: Iterable[PatternMetadata]) -> list[FamilyNode]:
    """Stored pattern records as family tree members."""
    return [
        FamilyNode(
            record.id,
            tuple(record.parent_ids),
            str(record["generation_method"]),
            record.user_rating,
        )
        for record in records
    ]


def pattern_ancestry(store: PatternStore, pattern_id: str) -> list[PatternMetadata]:
    """A stored pattern and every ancestor still in the store, the pattern first.

    PatternNotFoundError when the pattern itself is not stored; deleted ancestors are left out.
    """
    from audiomancer.errors import PatternNotFoundError

    found: dict[str, PatternMetadata] = {}
    stack = [pattern_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        try:
            record = store.get(current)
        except PatternNotFoundError:
            if current == pattern_id:
                raise
            continue
        found[current] = record
        stack.extend(reversed(record.parent_ids))
    return list(found.values())


def _edge(
    parent: str,
    child: str,
    start: tuple[float, float],
    end: tuple[float, float],
    palette: Palette,
) -> str:
    """The line from a parent's box down to its child's: straight between neighbouring rows,
    else down the gap right of the child's column (clear of every box in the rows between)."""
    (px, py), (x, y) = start, end
    x1, y1, x2, y2 = px + NODE_WIDTH / 2, py + NODE_HEIGHT, x + NODE_WIDTH / 2, y
    common = (
        f'class="edge" data-parent="{attribute(parent)}" data-child="{attribute(child)}" '
        f'stroke="{palette.edge}" stroke-width="1.5" fill="none"'
    )
    if y - y1 <= GAP_Y + 0.5 or y1 > y:
        return f'<line {common} x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
    gap = x + NODE_WIDTH + GAP_X / 2
    below, above = y1 + GAP_Y / 2, y2 - GAP_Y / 2
    points = [(x1, y1), (x1, below), (gap, below), (gap, above), (x2, above), (x2, y2)]
    joined = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
    return f'<polyline {common} points="{joined}"/>'


def family_tree_svg(
    family: Sequence[FamilyNode],
    current: str,
    palette: Palette = LIGHT,
    title: str | None = None,
) -> str:
    """SVG text of a family tree (see the module documentation); ``current`` is outlined."""
    by_id: dict[str, FamilyNode] = {}
    for member in family:
        by_id.setdefault(member.id, member)
    # Rows count generations among the members only: a deleted parent does not push a row down.
    depth = generation_numbers(
        {i: [p for p in dict.fromkeys(m.parent_ids) if p in by_id] for i, m in by_id.items()}
    )
    rows: dict[int, list[str]] = {}
    for member_id in by_id:
        rows.setdefault(depth[member_id], []).append(member_id)
    widest = max((len(ids) for ids in rows.values()), default=1)
    # room on the right for a line that skips rows beside the last column
    width = 2 * MARGIN + widest * NODE_WIDTH + (widest - 1) * GAP_X + GAP_X / 2
    height = 2 * MARGIN + len(rows) * NODE_HEIGHT + max(0, len(rows) - 1) * GAP_Y
    # Boxes sit on one grid of slots (each row centred on whole slots), so the gaps between
    # columns line up from top to bottom and a link that skips rows can run down one of them.
    where: dict[str, tuple[float, float]] = {}
    for level, ids in sorted(rows.items()):
        offset = (widest - len(ids)) // 2
        for index, member_id in enumerate(sorted(ids)):
            x = MARGIN + (offset + index) * (NODE_WIDTH + GAP_X)
            where[member_id] = (x, MARGIN + level * (NODE_HEIGHT + GAP_Y))
    body: list[str] = []
    for member_id, (x, y) in where.items():
        for parent in dict.fromkeys(by_id[member_id].parent_ids):
            if parent in where and parent != member_id:
                body.append(_edge(parent, member_id, where[parent], (x, y), palette))
    for member_id, (x, y) in where.items():
        member = by_id[member_id]
        outline, stroke = (palette.current, 2) if member_id == current else (palette.edge, 1)
        shown = member_id if len(member_id) <= _ID_CHARS else member_id[: _ID_CHARS - 1] + "…"
        stars = "★" * (member.rating or 0)
        body.append(
            f'<g class="node" data-id="{attribute(member_id)}">'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_WIDTH:g}" height="{NODE_HEIGHT:g}" '
            f'rx="5" fill="{palette.node}" stroke="{outline}" stroke-width="{stroke}"/>'
            f'<text class="id" x="{x + 8:.1f}" y="{y + 15:.1f}" font-family="monospace" '
            f'fill="{palette.text}">{text(shown)}</text>'
            f'<text class="method" x="{x + 8:.1f}" y="{y + 29:.1f}" font-size="9" '
            f'fill="{palette.dim_text}">{text(member.method)} '
            f'<tspan fill="{palette.current}">{stars}</tspan></text>'
            "</g>"
        )
    return document(width, height, title or f"family tree of {current}", body, palette)


def write_family_svg(
    family: Sequence[FamilyNode], current: str, path: str | os.PathLike[str]
) -> Path:
    """Write :func:`family_tree_svg` (light palette) to a file atomically; its path."""
    target = Path(path)
    atomic_write_text(target, family_tree_svg(family, current))
    return target


__all__ = [
    "FamilyNode",
    "family_tree_svg",
    "pattern_ancestry",
    "pattern_family",
    "write_family_svg",
]
