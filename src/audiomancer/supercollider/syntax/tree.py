"""Walking and rebuilding trees: children, walk, transform, replace_node, find_calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from typing import Any

from audiomancer.supercollider.syntax.nodes import Call, ClassName, Node

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _child_fields(node_type: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(node_type)
    if names is None:
        names = tuple(f.name for f in fields(node_type) if f.name != "comments")
        _FIELD_NAMES[node_type] = names
    return names


def children(node: Node) -> tuple[Node, ...]:
    """The direct child nodes of ``node``, in source order."""
    found: list[Node] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(item for item in value if isinstance(item, Node))
    return tuple(found)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree rooted at ``node``, in pre-order (parents before children)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def walk_with_parents(node: Node) -> Iterator[tuple[Node, Node | None]]:
    """Pairs ``(node, parent)`` in pre-order; the root's parent is None."""
    stack: list[tuple[Node, Node | None]] = [(node, None)]
    while stack:
        current, parent = stack.pop()
        yield current, parent
        stack.extend((child, current) for child in reversed(children(current)))


def _transform_value(value: object, fn: Callable[[Node], Node]) -> object:
    if isinstance(value, Node):
        return transform(value, fn)
    if isinstance(value, tuple):
        items = tuple(_transform_value(item, fn) for item in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def transform(node: Node, fn: Callable[[Node], Node]) -> Node:
    """Rebuild the tree bottom-up, replacing each node by ``fn(node)``.

    ``fn`` sees every node after its children were transformed and returns it unchanged or a
    replacement. Unchanged subtrees keep their identity.
    """
    changes: dict[str, Any] = {}
    for name in _child_fields(type(node)):
        old = getattr(node, name)
        new = _transform_value(old, fn)
        if new is not old:
            changes[name] = new
    rebuilt = replace(node, **changes) if changes else node
    return fn(rebuilt)


def replace_node(root: Node, target: Node, replacement: Node) -> Node:
    """A copy of ``root`` where the node that *is* ``target`` (by identity) is ``replacement``."""
    return transform(root, lambda node: replacement if node is target else node)


def find_calls(
    root: Node, class_name: str | None = None, selector: str | None = None
) -> list[Call]:
    """Calls in the tree, optionally only those sent to class ``class_name`` / ``selector``.

    ``find_calls(program, "Saw")`` finds ``Saw.ar(...)``, ``Saw.kr`` and ``Saw(...)``.
    """
    found: list[Call] = []
    for node in walk(root):
        if not isinstance(node, Call):
            continue
        if class_name is not None and node.receiver != ClassName(class_name):
            continue
        if selector is not None and node.selector != selector:
            continue
        found.append(node)
    return found
