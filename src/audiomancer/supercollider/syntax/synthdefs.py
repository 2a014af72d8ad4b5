"""Finding the ``SynthDef(...)`` calls of a program, with their arguments by role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from audiomancer.supercollider.syntax.nodes import (
    Call,
    ClassName,
    FunctionDef,
    Node,
    String,
    Symbol,
)
from audiomancer.supercollider.syntax.tree import walk, walk_with_parents

_SYNTHDEF_PARAMS: Final = ("name", "ugenGraphFunc", "rates", "prependArgs", "variants", "metadata")


@dataclass(frozen=True)
class SynthDefNode:
    """One ``SynthDef(...)`` call found in a program, with its arguments by role.

    The fields are the nodes of the program itself, so an edit is ``replace_node(program,
    synthdef.function, new_function)``.
    """

    call: Call
    name: Node | None
    function: Node | None
    rates: Node | None = None
    prepend_args: Node | None = None
    variants: Node | None = None
    metadata: Node | None = None
    suffix: tuple[str, ...] = ()

    @property
    def name_value(self) -> str | None:
        """The SynthDef's name when it is a literal symbol or string, else None."""
        if isinstance(self.name, Symbol):
            return self.name.name
        if isinstance(self.name, String):
            return self.name.value
        return None

    @property
    def graph(self) -> FunctionDef | None:
        """The graph function when it is written inline as ``{ ... }``."""
        return self.function if isinstance(self.function, FunctionDef) else None


def _is_synthdef_call(node: Node) -> bool:
    return (
        isinstance(node, Call)
        and node.receiver == ClassName("SynthDef")
        and node.selector == "new"
        and node.style in ("new", "method")
    )


def _synthdef_arguments(call: Call) -> dict[str, Node]:
    # A trailing block is the next positional argument: SynthDef(\x) { ... } is
    # SynthDef(\x, { ... }).
    bound = dict(zip(_SYNTHDEF_PARAMS, call.args + call.blocks, strict=False))
    bound.update((kwarg.name, kwarg.value) for kwarg in call.kwargs)
    return bound


def _suffix_of(call: Call, parents: dict[int, Node | None]) -> tuple[str, ...]:
    selectors: list[str] = []
    current: Node = call
    parent = parents.get(id(current))
    while isinstance(parent, Call) and parent.receiver is current:
        selectors.append(parent.selector)
        current = parent
        parent = parents.get(id(current))
    return tuple(selectors)


def find_synthdefs(program: Node) -> list[SynthDefNode]:
    """Every ``SynthDef(name, func, ...)`` call in the tree, in source order.

    Each result gives the call node, its name expression (``\\sym``, ``"str"``, ``'sym'`` or any
    expression), its graph function and the other arguments by role, whether written by
    position or keyword, and the messages sent to the SynthDef (``("add",)``, ``("send",)``,
    ``()``).
    """
    parents = {id(node): parent for node, parent in walk_with_parents(program)}
    found: list[SynthDefNode] = []
    for node in walk(program):
        if not isinstance(node, Call) or not _is_synthdef_call(node):
            continue
        args = _synthdef_arguments(node)
        found.append(
            SynthDefNode(
                call=node,
                name=args.get("name"),
                function=args.get("ugenGraphFunc"),
                rates=args.get("rates"),
                prepend_args=args.get("prependArgs"),
                variants=args.get("variants"),
                metadata=args.get("metadata"),
                suffix=_suffix_of(node, parents),
            )
        )
    return found
