"""Style primers: real one-bar (or longer) drum patterns of each style, to start generation.

``primers.json`` beside this module is written by ``training/prepare_drums.py`` from the
``grid16`` patterns of lvm/tidal-drum-patterns (GPL-3.0), one list per style, each pattern as
step strings per drum class (``"kick": "x...x...x...x..."``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from audiomancer.errors import ModelLoadError
from audiomancer.models.encoding import STEPS_PER_BAR, STYLE_NAMES
from audiomancer.patterns.model import DRUM_CLASS_BY_NAME, allowed

PRIMERS_PATH: Final = Path(__file__).resolve().parent / "primers.json"


@dataclass(frozen=True)
class Primer:
    """A real drum pattern of a style, as one state per 16th step (whole bars)."""

    name: str
    states: tuple[int, ...]

    @property
    def bars(self) -> int:
        """Length in bars of 4/4."""
        return len(self.states) // STEPS_PER_BAR


def validate_style(style: str) -> str:
    """Return the style if it is one of STYLE_NAMES; ValueError naming it otherwise."""
    if isinstance(style, str) and style.strip().lower() in STYLE_NAMES:
        return style.strip().lower()
    raise ValueError(f"invalid style {style!r}: expected one of {allowed(STYLE_NAMES)}")


def style_primers(style: str, path: Path | None = None) -> tuple[Primer, ...]:
    """The primers of a style (ValueError for an unknown style, ModelLoadError for the file)."""
    return _load(path or PRIMERS_PATH)[validate_style(style)]


@functools.cache
def _load(path: Path) -> dict[str, tuple[Primer, ...]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = {}
        for style in STYLE_NAMES:
            primers = []
            for entry in data["styles"][style]:
                lanes: dict[str, str] = entry["lanes"]
                length = {len(cells) for cells in lanes.values()}
                if len(length) != 1 or next(iter(length)) % STEPS_PER_BAR:
                    raise ValueError(f"primer {entry['name']!r} is not whole 16-step bars")
                states = [0] * length.pop()
                for drum, cells in lanes.items():
                    bit = 1 << DRUM_CLASS_BY_NAME[drum].index
                    for step, cell in enumerate(cells):
                        if cell == "x":
                            states[step] |= bit
                primers.append(Primer(str(entry["name"]), tuple(states)))
            if not primers:
                raise ValueError(f"style {style!r} has no primers")
            result[style] = tuple(primers)
        return result
    except FileNotFoundError:
        raise ModelLoadError(f"style primer file {path} is missing") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ModelLoadError(f"style primer file {path} is corrupt: {error!r}") from None
