"""Generation numbers of family graphs: deep lines of descent, cycles and missing parents."""

from __future__ import annotations

import sys

from audiomancer.family import generation_numbers


def test_a_line_deeper_than_the_recursion_limit() -> None:
    depth = 10 * sys.getrecursionlimit()
    parents = {f"g{i}": [f"g{i - 1}"] if i else [] for i in range(depth)}
    generations = generation_numbers(parents)
    assert generations[f"g{depth - 1}"] == depth - 1 and generations["g0"] == 0


def test_the_oldest_parent_decides_and_missing_parents_count_as_founders() -> None:
    parents = {
        "a": [],
        "b": ["a"],
        "c": ["b"],
        "child": ["a", "c"],  # bred from a founder and a grandchild: one past the grandchild
        "orphan": ["gone"],  # a parent no longer stored
    }
    assert generation_numbers(parents) == {"a": 0, "b": 1, "c": 2, "child": 3, "orphan": 1}


def test_a_cycle_ends_and_every_member_gets_a_number() -> None:
    parents = {"x": ["z"], "y": ["x"], "z": ["y"], "w": ["z"]}
    generations = generation_numbers(parents)
    assert set(generations) == set(parents)
    assert generations["w"] == generations["z"] + 1


def test_the_studio_numbers_lineages_deeper_than_the_recursion_limit() -> None:
    from types import SimpleNamespace

    from audiomancer.studio.patterns_api import generations

    depth = 5 * sys.getrecursionlimit()
    newest_first = [
        SimpleNamespace(id=f"p{i}", parent_ids=[f"p{i - 1}"] if i else [])
        for i in reversed(range(depth))
    ]
    assert generations(newest_first)[f"p{depth - 1}"] == depth - 1  # type: ignore[arg-type]
