"""What every picture of audiomancer shares: plain SVG documents, text escaping and the palettes.

The pictures (:mod:`audiomancer.patterns.picture` for patterns,
:mod:`audiomancer.patterns.lineage_picture` for family trees) are plain SVG text that needs no
script and no style sheet, so they open in any browser or viewer and as ``<img>`` in the
studio. Two palettes: :data:`LIGHT` (white paper, for files the CLI writes) and :data:`DARK`
(the studio's page). Every text that comes from data is escaped with :func:`text` or
:func:`attribute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape

NAMESPACE: Final = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class Palette:
    """The colours of a picture (CSS colour strings, ``soft``/``hard`` as RGB triples)."""

    background: str
    text: str
    dim_text: str
    step: str
    beat: str
    bar: str
    row: str
    """Every other drum row."""
    soft: tuple[int, int, int]
    """A note of velocity 1."""
    hard: tuple[int, int, int]
    """A note of velocity 127."""
    note_stroke: str
    root: str
    """Piano roll rows of the key's root."""
    degree: str
    """Piano roll rows of the key's other scale degrees."""
    node: str
    """Family tree boxes."""
    edge: str
    current: str
    """The outline of the family tree's own pattern or synth, and rating stars."""


LIGHT: Final = Palette(
    background="#ffffff",
    text="#202020",
    dim_text="#5a6a7a",
    step="#d8d8d8",
    beat="#808080",
    bar="#303030",
    row="#f4f4f4",
    soft=(200, 220, 255),
    hard=(30, 70, 195),
    note_stroke="#102040",
    root="#dbe6c8",
    degree="#eef3e4",
    node="#eef2f6",
    edge="#5a6a7a",
    current="#c07800",
)
DARK: Final = Palette(
    background="#0d1116",
    text="#e8edf2",
    dim_text="#9aa8b6",
    step="#1a2129",
    beat="#2a3440",
    bar="#4a5a6a",
    row="#121820",
    soft=(84, 66, 34),
    hard=(242, 184, 75),
    note_stroke="#0d1116",
    root="#2f4430",
    degree="#1c2a20",
    node="#202a35",
    edge="#4a5a6a",
    current="#f2b84b",
)


def text(value: object) -> str:
    """Data as SVG element text (``<``, ``>`` and ``&`` escaped)."""
    return escape(str(value))


def attribute(value: object) -> str:
    """Data as the inside of a double-quoted attribute value (quotes escaped too)."""
    return escape(str(value), {'"': "&quot;"})


def shade(palette: Palette, velocity: int) -> str:
    """The fill of a note of velocity 1-127: from the palette's ``soft`` to its ``hard``."""
    amount = velocity / 127
    red, green, blue = (
        round(low + (high - low) * amount)
        for low, high in zip(palette.soft, palette.hard, strict=True)
    )
    return f"#{red:02x}{green:02x}{blue:02x}"


def document(width: float, height: float, title: str, body: list[str], palette: Palette) -> str:
    """A whole SVG document: its size, an escaped ``<title>``, a background and the body."""
    return "\n".join(
        [
            f'<svg xmlns="{NAMESPACE}" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="11" '
            f'fill="{palette.text}" role="img">',
            f"<title>{text(title)}</title>",
            f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" '
            f'fill="{palette.background}"/>',
            *body,
            "</svg>",
            "",
        ]
    )


__all__ = ["DARK", "LIGHT", "NAMESPACE", "Palette", "attribute", "document", "shade", "text"]
