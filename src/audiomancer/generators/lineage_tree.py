"""Questions about the synth family graph, asked of the lineage's records: generations,
ancestors and descendants, the nested family trees, a parent cycle (only a damaged file holds
one), the top-rated synths and the generation statistics.

Pure functions over :data:`~audiomancer.generators.lineage_file.Records`; nothing here reads or
writes the file. Nothing recurses either: a lineage may be thousands of generations deep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audiomancer.family import generation_numbers
from audiomancer.generators.lineage_file import Records

__all__ = [
    "SortKey",
    "ancestors",
    "children",
    "descendants",
    "expand",
    "family_tree",
    "find_cycle",
    "generation_stats",
    "generations",
    "parent_edges",
    "sort_key",
    "top_rated",
]

SortKey = Callable[[str], Any]
"""Orders synth ids: by generation, then by when they were recorded, then by id."""


def generations(records: Records) -> dict[str, int]:
    """Each synth's generation: 0 without parents, else 1 + its oldest parent's."""
    return generation_numbers({i: r.parent_ids for i, r in records.items()})


def sort_key(records: Records, numbers: dict[str, int] | None = None) -> SortKey:
    """The order family members are listed in (templates not yet recorded come first)."""
    order = {key: index for index, key in enumerate(records)}
    gens = generations(records) if numbers is None else numbers
    return lambda synth_id: (gens.get(synth_id, 0), order.get(synth_id, -1), synth_id)


def parent_edges(records: Records) -> dict[str, list[str]]:
    """Each synth's parents (edges up the tree)."""
    return {synth_id: list(record.parent_ids) for synth_id, record in records.items()}


def children(records: Records) -> dict[str, list[str]]:
    """Each synth's children in the order they were recorded (edges down the tree)."""
    found: dict[str, list[str]] = {}
    for record in records.values():
        for parent in dict.fromkeys(record.parent_ids):
            found.setdefault(parent, []).append(record.id)
    return found


def find_cycle(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle reachable from start along edges (as a path that returns to its start)."""
    done: set[str] = set()
    path: list[str] = [start]
    where = {start: 0}
    stack = [iter(edges.get(start, []))]
    while stack:
        for nxt in stack[-1]:
            if nxt in where:
                return [*path[where[nxt] :], nxt]
            if nxt not in done:
                where[nxt] = len(path)
                path.append(nxt)
                stack.append(iter(edges.get(nxt, [])))
                break
        else:
            stack.pop()
            finished = path.pop()
            del where[finished]
            done.add(finished)
    return None


def ancestors(synth_id: str, records: Records) -> set[str]:
    """Every synth the given one descends from (templates included)."""
    found: set[str] = set()
    stack = list(records[synth_id].parent_ids) if synth_id in records else []
    while stack:
        current = stack.pop()
        if current in found or current == synth_id:
            continue
        found.add(current)
        if current in records:
            stack.extend(records[current].parent_ids)
    return found


def descendants(synth_id: str, records: Records) -> set[str]:
    """Every synth that descends from the given one."""
    kids = children(records)
    found: set[str] = set()
    stack = list(kids.get(synth_id, []))
    while stack:
        current = stack.pop()
        if current in found or current == synth_id:
            continue
        found.add(current)
        stack.extend(kids.get(current, []))
    return found


def family_tree(
    synth_id: str, ancestor_ids: set[str], records: Records, key: SortKey
) -> dict[str, Any]:
    """The nested dict from each root ancestor down to the synth, along every line of descent
    that leads to it (the synth itself maps to ``{}``)."""
    members = ancestor_ids | {synth_id}
    kids: dict[str, list[str]] = {}
    for member in members:
        record = records.get(member)
        for parent in dict.fromkeys(record.parent_ids if record else []):
            if parent in members:
                kids.setdefault(parent, []).append(member)
    has_parent = {kid for group in kids.values() for kid in group}
    roots = sorted((m for m in members if m not in has_parent), key=key)
    return {root: expand(root, kids, key) for root in roots}


def expand(root: str, kids: dict[str, list[str]], key: SortKey) -> dict[str, Any]:
    """The nested dict of root's descendants along kids (acyclic), built iteratively."""
    tree: dict[str, Any] = {}
    stack = [(root, tree)]
    while stack:
        node, into = stack.pop()
        for child in sorted(dict.fromkeys(kids.get(node, [])), key=key):
            into[child] = {}
            stack.append((child, into[child]))
    return tree


def top_rated(records: Records, limit: int, min_rating: int | None) -> list[dict[str, Any]]:
    """Rated synths, highest rating first (ties: newest first), as record dicts with their
    ``generation``; ValueError for a negative limit or a min_rating outside 1-5."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"invalid limit {limit!r}: expected an integer >= 0")
    if min_rating is not None and (
        isinstance(min_rating, bool) or not isinstance(min_rating, int) or not 1 <= min_rating <= 5
    ):
        raise ValueError(f"invalid min_rating {min_rating!r}: expected an integer from 1 to 5")
    numbers = generations(records)
    order = {key: index for index, key in enumerate(records)}
    rated = [
        r
        for r in records.values()
        if r.user_rating is not None and (min_rating is None or r.user_rating >= min_rating)
    ]
    rated.sort(key=lambda r: (-(r.user_rating or 0), -order[r.id]))
    return [
        {**record.to_dict(), "generation": numbers.get(record.id, 0)} for record in rated[:limit]
    ]


def generation_stats(records: Records) -> dict[str, Any]:
    """Counts by how synths were made, generation depth and the mean rating.

    Keys: ``total_synths``, ``original_synths`` (no parents), ``mutated_synths``,
    ``crossover_synths``, ``generated_synths``, ``max_generation``, ``avg_generation``,
    ``avg_rating`` (None when nothing is rated). Means are rounded to 2 decimals.
    """
    numbers = generations(records)
    values = list(records.values())
    ratings = [r.user_rating for r in values if r.user_rating is not None]
    return {
        "total_synths": len(values),
        "original_synths": sum(1 for r in values if not r.parent_ids),
        "mutated_synths": sum(1 for r in values if r.generation_method == "mutation"),
        "crossover_synths": sum(1 for r in values if r.generation_method == "crossover"),
        "generated_synths": sum(1 for r in values if r.generation_method == "generated"),
        "max_generation": max(numbers.values(), default=0),
        "avg_generation": round(sum(numbers.values()) / len(values), 2) if values else 0.0,
        "avg_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
    }
