"""Family graphs of patterns and synths: generation numbers, computed without recursion.

A lineage may be many thousands of generations deep, so nothing here recurses; a parent link
that closes a cycle (only a damaged store or lineage file holds one) is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def generation_numbers(parents_of: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Each member's generation: 0 without parents, else 1 + its oldest-bred parent's.

    ``parents_of`` maps each member to its parents' ids; a parent that is not a member counts
    as generation 0. The result has an entry for every member.
    """
    generations: dict[str, int] = {}

    def parents(member: str) -> Sequence[str]:
        return parents_of.get(member, ())

    for start in parents_of:
        if start in generations:
            continue
        on_path = {start}
        stack = [(start, iter(parents(start)))]
        while stack:
            node, pending = stack[-1]
            for parent in pending:
                if parent not in generations and parent not in on_path:
                    on_path.add(parent)
                    stack.append((parent, iter(parents(parent))))
                    break
            else:
                stack.pop()
                on_path.discard(node)
                known = [generations[p] for p in parents(node) if p in generations]
                generations[node] = 1 + max(known) if known else 0
    return {member: generations[member] for member in parents_of}
