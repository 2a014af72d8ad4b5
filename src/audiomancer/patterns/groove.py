"""Groove: swing as drum machines do it, and reading a pattern's micro-timing back.

Groove is ordinary micro-timing: a swung or humanized note is a note whose ``start`` tick sits
off the 16th grid. Nothing else records it, so MIDI, Tidal (``nudge``), the Pbind (``\\dur``)
and rendered audio carry it without knowing about it, and so does every import.

**Swing** (:func:`apply_swing`) follows the MPC's definition: ``percent`` is the share of a pair
of grid units that the first of the pair takes. 50 is straight; 66.7 is a triplet shuffle; 75
is a dotted feel. With a 16th grid, every second 16th moves late by
``(percent - 50) / 50`` of a 16th (at 120 ticks a 16th, 58 % delays it by 19 ticks, 66 % by 38);
with an 8th grid every off-beat 8th moves late by ``(percent - 50) / 50`` of an 8th and the 16ths
between follow proportionally (the pair is stretched and squeezed piecewise, as an MPC swings
16ths under 8th swing). Because swing is a share of the grid it is the same shuffle at any
tempo; in seconds it is ``ticks * pattern.seconds_per_tick()``.

Each note moves by the swing of the grid position it belongs to (its nearest 16th step), so
micro-timing already on the note (a humanized push or drag) is kept on top of the swing. Under
16th swing a note never leaves its 16th step: it ends at most one tick short of half a 16th
after it (75 % moves a note 59 ticks, not 60, which would round onto the next step). Under 8th
swing above 62.5 % an off-beat 8th lands nearer the following 16th, as on a drum machine.
Durations keep their length except where the delayed note would now overlap the next note of
the same pitch or run past the pattern's end, where they are shortened.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from statistics import median
from typing import Final, Literal

from audiomancer.patterns.model import TICKS_PER_STEP, Note, Pattern, merge_overlaps, step_of

STRAIGHT: Final = 50.0
"""Swing percent of straight time."""
MIN_SWING: Final = 50.0
MAX_SWING: Final = 75.0
"""MPC-style swing runs from 50 % (straight) to 75 %; 54-66 % is the usual shuffle range."""
HOUSE_SWING: Final = 58.0
"""The shuffle ``generate_drums(style="house")`` gets by default: a light 16th swing."""
MAX_OFFSET: Final = TICKS_PER_STEP // 2 - 1
"""The furthest a note's start sits from its 16th step (59 ticks: just under half a 16th)."""

STYLE_SWING: Final[dict[str, float]] = {"house": HOUSE_SWING}
"""Default swing of generated drums per style; styles not listed are straight."""

SwingGrid = Literal[8, 16]
SWING_GRIDS: Final = (8, 16)


def validate_swing(percent: float) -> float:
    """Return a swing percent 50-75 as float; ValueError naming the value otherwise."""
    if (
        isinstance(percent, bool)
        or not isinstance(percent, int | float)
        or not MIN_SWING <= percent <= MAX_SWING
    ):
        raise ValueError(
            f"invalid swing {percent!r}: expected a percent from {MIN_SWING:g} (straight) to "
            f"{MAX_SWING:g} (MPC-style; 54-66 is a usual shuffle)"
        )
    return float(percent)


def style_swing(style: str | None) -> float:
    """The swing a style's generated drums get by default (house 58 %, others straight)."""
    return STYLE_SWING.get(style or "", STRAIGHT)


def validate_swing_grid(grid: int) -> SwingGrid:
    """Return the swing grid (16 for 16ths, 8 for 8ths); ValueError naming it otherwise."""
    if grid == 16 and not isinstance(grid, bool):
        return 16
    if grid == 8 and not isinstance(grid, bool):
        return 8
    raise ValueError(f"invalid swing grid {grid!r}: expected 16 (16ths) or 8 (8ths)")


def swing_offset(step: int, percent: float, grid: SwingGrid = 16) -> int:
    """Ticks that swing moves a note on 16th ``step`` (counted from the pattern's start)."""
    percent = validate_swing(percent)
    grid = validate_swing_grid(grid)
    share = (percent - STRAIGHT) / STRAIGHT  # 0 straight .. 0.5 at 75 %
    if grid == 16:
        return min(MAX_OFFSET, round(share * TICKS_PER_STEP)) if step % 2 else 0
    # 8th swing: the off-beat 8th (step 2 of 4) moves by share of an 8th; the 16ths between
    # follow the stretched first half and the squeezed second half of the beat.
    unit = 2 * TICKS_PER_STEP
    delay = share * unit
    within = (step % 4) * TICKS_PER_STEP
    if within < unit:
        moved = within * (unit + delay) / unit
    else:
        moved = unit + delay + (within - unit) * (unit - delay) / unit
    return round(moved) - within


def apply_swing(pattern: Pattern, percent: float, grid: SwingGrid = 16) -> Pattern:
    """The pattern with swing: every second 16th (or 8th) moved late; see the module docs.

    Swing counts steps from each bar's start. 50 % returns the pattern unchanged. ValueError
    naming a bad percent or grid.
    """
    percent, grid = validate_swing(percent), validate_swing_grid(grid)
    if percent == STRAIGHT:
        return pattern
    per_bar = pattern.steps_per_bar

    def moved(tick: int) -> int:
        step = step_of(tick)
        shifted = tick + swing_offset(step % per_bar, percent, grid)
        if grid == 16:  # 16th swing keeps every note on its step
            base = step * TICKS_PER_STEP
            shifted = min(shifted, base + MAX_OFFSET)
        return max(0, min(shifted, pattern.length - 1))

    placed = sorted((note.pitch, moved(note.start), note) for note in pattern.notes)
    notes: list[Note] = []
    for index, (pitch, start, note) in enumerate(placed):
        end = note.end
        if end % TICKS_PER_STEP == 0 and end < pattern.length:
            end = moved(end)  # a note ending on the grid ends on the swung grid
        following = placed[index + 1] if index + 1 < len(placed) else None
        if following is not None and following[0] == pitch and following[1] > start:
            end = min(end, following[1])
        end = max(start + 1, min(end, pattern.length))
        notes.append(replace(note, start=start, duration=end - start))
    return pattern.with_notes(merge_overlaps(notes))


def offset_of(note: Note) -> int:
    """A note's micro-timing: ticks from its nearest 16th step (negative = early, pushed)."""
    return note.start - step_of(note.start) * TICKS_PER_STEP


def position_offsets(pattern: Pattern) -> dict[int, int]:
    """The pattern's own groove: the median offset of its notes at each 16th of the beat.

    Keys are 16th positions within a beat (0-3 in 4/4: the beat, the 'e', the 'and', the
    'a'); positions with no notes are absent. Swing shows as a late 'e' and 'a'.
    """
    by_position: dict[int, list[int]] = defaultdict(list)
    steps_per_beat = max(1, 16 // pattern.time_signature[1])
    for note in pattern.notes:
        by_position[step_of(note.start) % steps_per_beat].append(offset_of(note))
    return {position: round(median(values)) for position, values in by_position.items()}


def groove_offset(pattern: Pattern, step: int) -> int:
    """The micro-timing a new note on 16th ``step`` should take to sit in the pattern's groove.

    The median offset of the pattern's notes at the same 16th of the beat; where there are
    none, of its notes on 16ths of the same kind (on or off, as swing treats them); else 0.
    """
    steps_per_beat = max(1, 16 // pattern.time_signature[1])
    same_place = position_offsets(pattern).get(step % steps_per_beat)
    if same_place is not None:
        return same_place
    alike = [offset_of(n) for n in pattern.notes if step_of(n.start) % 2 == step % 2]
    return round(median(alike)) if alike else 0


def estimate_swing(pattern: Pattern) -> float:
    """The 16th swing percent a pattern plays with: from the median offsets of its 16ths.

    The lateness of the off 16ths relative to the on 16ths, as an MPC percent (50 = straight).
    A pattern without notes on both gets 50.
    """
    on: list[int] = []
    off: list[int] = []
    for note in pattern.notes:
        (off if step_of(note.start) % 2 else on).append(offset_of(note))
    if not on or not off:
        return STRAIGHT
    return STRAIGHT + STRAIGHT * (median(off) - median(on)) / TICKS_PER_STEP
