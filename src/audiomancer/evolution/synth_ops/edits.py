"""Small helpers that build and edit AST nodes for the operators."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Final

from audiomancer.evolution.synth_ops.protocol import N
from audiomancer.supercollider import syntax as sc


def rounded(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def num(value: float, digits: int = 3) -> sc.Number:
    return sc.Number.of(rounded(float(value), digits))


def fmt(value: float) -> str:
    """A number as the logs write it: ``1200.0``, ``0.25``."""
    return repr(float(value))


def binop(left: sc.Node, op: str, right: sc.Node) -> sc.BinaryOp:
    return sc.BinaryOp(left, op, right)


def method(receiver: sc.Node, selector: str, *args: sc.Node) -> sc.Call:
    return sc.Call(receiver, selector, tuple(args))


def ugen(class_name: str, rate: str, *args: sc.Node) -> sc.Call:
    return sc.Call(sc.ClassName(class_name), rate, tuple(args))


def class_of(node: sc.Node) -> str | None:
    if isinstance(node, sc.Call) and isinstance(node.receiver, sc.ClassName):
        return node.receiver.name
    return None


def literal(node: sc.Node | None) -> float | None:
    if isinstance(node, sc.Number):
        value = float(node.value)
        return value if math.isfinite(value) else None
    return None


def printed(node: sc.Node) -> str:
    return sc.print_code(node)


def map_nodes(root: N, mapping: dict[int, sc.Node]) -> N:
    """``root`` with the nodes whose ``id`` is a key replaced (none may contain another)."""
    if not mapping:
        return root
    result = sc.transform(root, lambda node: mapping.get(id(node), node))
    assert isinstance(result, type(root))
    return result


def fresh(base: str, taken: Iterable[str]) -> str:
    used = set(taken)
    if base not in used:
        return base
    index = 2
    while f"{base}{index}" in used:
        index += 1
    return f"{base}{index}"


def walk_calls(node: sc.Node) -> Iterator[sc.Call]:
    for found in sc.walk(node):
        if isinstance(found, sc.Call):
            yield found


ARRAY_BUILDERS: Final = frozenset(
    {"fill", "fill2D", "fill3D", "collect", "series", "geom", "dup", "interpolation"}
)
"""Selectors that build an array by running code (``Array.fill2D(16, 16, {...})``)."""


def builds_array(node: sc.Node) -> bool:
    """True when ``node`` builds an array by running code (an :data:`ARRAY_BUILDERS` call,
    ``x ! 8``)."""
    return any(
        (isinstance(found, sc.Call) and found.selector in ARRAY_BUILDERS)
        or (isinstance(found, sc.BinaryOp) and found.op == "!")
        for found in sc.walk(node)
    )


def classes_in(node: sc.Node) -> set[str]:
    """The UGen (and other) classes ``node`` calls."""
    return {name for call in walk_calls(node) if (name := class_of(call))}


def outermost_calls(node: sc.Node, wanted: Callable[[sc.Call, str], bool]) -> list[sc.Call]:
    """The calls of a UGen class (``wanted(call, class name)`` true) not inside another such
    call, in source order: what is inside one (its modulators) comes with it."""
    found: list[sc.Call] = []
    stack: list[sc.Node] = [node]
    while stack:
        current = stack.pop()
        name = class_of(current)
        if isinstance(current, sc.Call) and name is not None and wanted(current, name):
            found.append(current)
            continue
        stack.extend(reversed(sc.children(current)))
    return found
