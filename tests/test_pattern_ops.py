"""Variation operators on patterns: invariants over random patterns, and each operator's effect."""

from __future__ import annotations

import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from audiomancer.errors import IncompatiblePatternsError
from audiomancer.evolution import pattern_ops as ops
from audiomancer.patterns.model import TICKS_PER_STEP, Note, Pattern, in_scale
from audiomancer.patterns.steps import parse_steps
from strategies import patterns

BEAT = parse_steps(
    "kick: x...x...x...x...x...x...x...x... snare: ....x.......x.......x.......x... "
    "hh: x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.",
    "drums",
    bpm=125,
)
TUNE = parse_steps(
    "C4 - Eb4 . G4 - - . Bb3 . . . C4 . . . D4 Eb4 F4 G4 Ab4 Bb4 C5 D5 Eb5 . . . . . . .",
    "melody",
    key="C",
    scale="minor",
)


LAST_NOTE_QUIET = Pattern(
    (Note(1080, 48, velocity=1, duration=1),), "melody", bars=2, bpm=60, time_signature=(7, 8),
    key="C", scale="chromatic",
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(patterns(), st.floats(0, 1), st.integers(0, 2**32))
@example(LAST_NOTE_QUIET, 0.625, 32006)  # a note added, then removed: the edits cancelled out
def test_mutation_keeps_every_invariant(pattern: Pattern, amount: float, seed: int) -> None:
    child, log = ops.mutate(pattern, random.Random(seed), amount)
    # Pattern's own checks ran: inside the pattern, velocities 1-127, no pitch overlapping itself.
    assert (child.bars, child.bpm, child.type) == (pattern.bars, pattern.bpm, pattern.type)
    assert (child.key, child.scale) == (pattern.key, pattern.scale)
    if pattern.notes:
        assert child.notes, "a pattern keeps at least one note"
    if pattern.key and pattern.scale:
        old = {n.pitch for n in pattern.notes}
        assert all(n.pitch in old or in_scale(n.pitch, pattern.key, pattern.scale)
                   for n in child.notes)  # fmt: skip
    if pattern.type == "drums":
        used = {n.pitch for n in pattern.notes} or {42}
        assert {n.pitch for n in child.notes} <= used
    if amount > 0 and pattern.notes:
        assert child != pattern and log


def test_same_seed_same_mutation_and_amount_zero_changes_nothing() -> None:
    first = ops.mutate(TUNE, random.Random(5), 0.6)
    assert first == ops.mutate(TUNE, random.Random(5), 0.6)
    assert first != ops.mutate(TUNE, random.Random(6), 0.6)
    assert ops.mutate(TUNE, random.Random(5), 0.0) == (TUNE, [])


def test_more_amount_means_more_change() -> None:
    def changes(amount: float) -> float:
        return sum(len(ops.mutate(BEAT, random.Random(s), amount)[1]) for s in range(30)) / 30

    assert changes(0.1) < changes(0.5) < changes(1.0)


@pytest.mark.parametrize("amount", [-0.1, 1.5, float("nan"), "0.3", True])
def test_amount_outside_zero_to_one_is_refused(amount: object) -> None:
    with pytest.raises(ValueError, match="invalid amount"):
        ops.mutate(TUNE, random.Random(0), amount)  # type: ignore[arg-type]


def test_timing_shift_stays_within_50_ms() -> None:
    child, log = ops.shift_timing(BEAT, random.Random(1), 1.0)
    limit = round(0.050 / BEAT.seconds_per_tick())
    assert log and all("ms" in line for line in log)
    assert len(child.notes) == len(BEAT.notes)
    before = sorted(BEAT.notes, key=lambda n: (n.pitch, n.start))
    after = sorted(child.notes, key=lambda n: (n.pitch, n.start))
    assert all(abs(a.start - b.start) <= limit for a, b in zip(after, before, strict=True))


def test_velocity_change_is_within_twenty_percent() -> None:
    child, _ = ops.change_velocity(TUNE, random.Random(2), 1.0)
    for old, new in zip(TUNE.notes, child.notes, strict=True):
        assert abs(new.velocity - old.velocity) <= round(old.velocity * 0.2) + 1
        assert (new.start, new.pitch) == (old.start, old.pitch)


def test_swap_keeps_the_rhythm_and_exchanges_pitches() -> None:
    child, log = ops.swap_notes(TUNE, random.Random(3), 0.3)
    assert log and all("↔" in line for line in log)
    assert [n.start for n in child.notes] == [n.start for n in TUNE.notes]
    assert sorted(n.pitch for n in child.notes) == sorted(n.pitch for n in TUNE.notes)


def test_added_notes_land_on_empty_steps_in_key() -> None:
    child, log = ops.add_notes(TUNE, random.Random(4), 0.5)
    steps_before = {n.start // TICKS_PER_STEP for n in TUNE.notes}
    added = [n for n in child.notes if n not in TUNE.notes]
    assert added and len(log) == len(added)
    assert all(n.start % TICKS_PER_STEP == 0 and n.start // TICKS_PER_STEP not in steps_before
               for n in added)  # fmt: skip
    assert all(in_scale(n.pitch, "C", "minor") for n in added)


def test_remove_keeps_at_least_one_note() -> None:
    child, log = ops.remove_notes(TUNE, random.Random(0), 1.0)
    assert len(child.notes) == 1 and len(log) == len(TUNE.notes) - 1


def test_crossover_takes_bars_before_the_cut_from_a_and_after_from_b() -> None:
    other = parse_steps(
        "E4 F#4 . A4 B4 . . C#5 . . . . E4 - - - B3 . . . F#4 . . . . . . . G#4 . . .",
        "melody",
        key="E",
        scale="major",
        bpm=90,
    )
    child, log = ops.crossover(TUNE, other, random.Random(1))
    assert (child.bars, child.bpm, child.key) == (2, TUNE.bpm, "C")
    assert [n for n in child.notes if n.start < 1920] == [n for n in TUNE.notes if n.start < 1920]
    assert len([n for n in child.notes if n.start >= 1920]) == 3
    assert all(in_scale(n.pitch, "C", "minor") for n in child.notes)
    assert "Cut at bar 2" in log[0]


def test_crossover_trims_notes_across_the_cut_and_handles_lengths() -> None:
    long_a = Pattern((Note(0, 60, 90, 3840),), "melody", bars=2)
    b = Pattern((Note(1920, 62), Note(3840, 64)), "melody", bars=3)
    child, _ = ops.crossover(long_a, b, random.Random(0))
    assert child.bars == 3  # as long as the second parent
    cut = child.notes[0].end
    assert cut in (1920,)  # only inner bar line shared by both
    assert [n.pitch for n in child.notes] == [60, 62, 64]


def test_one_bar_patterns_are_cut_at_a_beat() -> None:
    a = parse_steps("kick: x.x.x.x.x.x.x.x.", "drums")
    b = parse_steps("snare: xxxxxxxxxxxxxxxx", "drums")
    child, log = ops.crossover(a, b, random.Random(7))
    cut = min(n.start for n in child.notes if n.pitch == 38)
    assert cut % 480 == 0 and 0 < cut < 1920
    assert all(n.pitch == 36 for n in child.notes if n.start < cut)
    assert "beat" in log[0]


def test_incompatible_patterns_are_refused() -> None:
    waltz = Pattern((Note(0, 36),), "drums", bars=2, time_signature=(3, 4))
    with pytest.raises(IncompatiblePatternsError, match="different time signatures: 4/4 and 3/4"):
        ops.crossover(BEAT, waltz, random.Random(0))
    with pytest.raises(IncompatiblePatternsError, match="different types: 'drums' and 'melody'"):
        ops.crossover(BEAT, TUNE, random.Random(0))
