"""Hypothesis strategies for patterns, shared by the codec tests."""

from __future__ import annotations

from hypothesis import strategies as st

from audiomancer.patterns.model import (
    DRUM_CLASSES,
    KEYS,
    SCALES,
    TICKS_PER_STEP,
    Note,
    Pattern,
    bar_ticks,
    merge_overlaps,
)

TIME_SIGNATURES = [(4, 4), (3, 4), (6, 8), (7, 8), (5, 4)]


@st.composite
def notes_for(
    draw: st.DrawFn,
    pattern_type: str,
    length: int,
    micro_timing: bool = True,
    max_notes: int = 24,
) -> list[Note]:
    """Notes inside a pattern of ``length`` ticks: mostly on the 16th grid, some nudged off it."""
    steps = length // TICKS_PER_STEP
    count = draw(st.integers(0, max_notes))
    notes = []
    for _ in range(count):
        step = draw(st.integers(0, steps - 1))
        start = step * TICKS_PER_STEP
        if micro_timing and draw(st.booleans()):
            start = max(0, start + draw(st.integers(-59, 59)))
        if pattern_type == "drums":
            pitch = draw(st.sampled_from([c.pitch for c in DRUM_CLASSES]))
        elif pattern_type == "bass":
            pitch = draw(st.integers(28, 55))
        else:
            pitch = draw(st.integers(48, 96))
        max_duration = length - start
        duration = draw(st.integers(1, min(max_duration, 4 * TICKS_PER_STEP * 4)))
        velocity = draw(st.integers(1, 127))
        notes.append(Note(start=start, pitch=pitch, velocity=velocity, duration=duration))
    return merge_overlaps(notes)


@st.composite
def patterns(
    draw: st.DrawFn,
    pattern_type: str | None = None,
    max_bars: int = 4,
    micro_timing: bool = True,
    max_notes: int = 24,
) -> Pattern:
    """Random valid patterns of any type, metre, tempo, key and length."""
    kind = pattern_type or draw(st.sampled_from(["drums", "melody", "bass"]))
    time_signature = draw(st.sampled_from(TIME_SIGNATURES))
    bars = draw(st.integers(1, max_bars))
    length = bars * bar_ticks(time_signature)
    notes = draw(notes_for(kind, length, micro_timing, max_notes))
    bpm = draw(st.sampled_from([60.0, 90.0, 120.0, 125.0, 140.0, 174.0, 97.5]))
    key = None if kind == "drums" else draw(st.sampled_from(KEYS))
    scale = None if kind == "drums" else draw(st.sampled_from(sorted(SCALES)))
    return Pattern(
        notes=tuple(notes),
        type=kind,  # type: ignore[arg-type]
        bars=bars,
        bpm=bpm,
        time_signature=time_signature,
        key=key,
        scale=scale,
    )
