r"""The graph's controls (arguments and ``NamedControl``\ s) and substituting them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from audiomancer.evolution.synth_ops.edits import literal, walk_calls
from audiomancer.evolution.synth_ops.graph import Graph
from audiomancer.evolution.synth_ops.protocol import N
from audiomancer.supercollider import syntax as sc


@dataclass(frozen=True)
class Control:
    """A control of the graph: a function argument or a NamedControl (``\\cutoff.kr(1200)``)."""

    name: str
    node: sc.Param | sc.Call
    default: sc.Node | None

    @property
    def value(self) -> float | None:
        """The default when it is a plain number."""
        return literal(self.default)

    def with_default(self, value: sc.Node) -> sc.Param | sc.Call:
        """The node that declares this control with another default."""
        if isinstance(self.node, sc.Param):
            return replace(self.node, default=value)
        call = self.node
        index = 0 if isinstance(call.receiver, sc.Symbol) else 1
        args = list(call.args)
        if index < len(args):
            args[index] = value
        else:
            args.append(value)
        return replace(call, args=tuple(args))


def named_control(call: sc.Call) -> tuple[str, sc.Node | None] | None:
    if call.selector not in ("kr", "ar", "ir", "tr"):
        return None
    if isinstance(call.receiver, sc.Symbol):
        return call.receiver.name, call.args[0] if call.args else None
    if (
        call.receiver == sc.ClassName("NamedControl")
        and call.args
        and isinstance(call.args[0], sc.Symbol)
    ):
        return call.args[0].name, call.args[1] if len(call.args) > 1 else None
    return None


def controls(graph: Graph) -> list[Control]:
    """The graph's controls in order: arguments first, then NamedControls (first use of each)."""
    found = [
        Control(param.name, param, param.default)
        for param in graph.function.params[graph.prepend_count :]
    ]
    seen = {c.name for c in found}
    for call in walk_calls(graph.function):
        named = named_control(call)
        if named is not None and named[0] not in seen:
            seen.add(named[0])
            found.append(Control(named[0], call, named[1]))
    return found


def reads(graph: Graph, name: str) -> bool:
    """True when the graph function reads the variable ``name`` somewhere (not only assigns)."""
    for statement in (*graph.function.var_decls, *graph.function.body):
        for node in sc.walk(statement):
            if node == sc.Name(name):
                return True
    return False


def assigned(graph: Graph, name: str) -> bool:
    return any(
        isinstance(node, sc.Assign) and node.target == sc.Name(name)
        for node in sc.walk(graph.function)
    )


def _substitute(node: N, name: str, make: Callable[[sc.Name], sc.Node]) -> N:
    """Every read of variable ``name`` replaced by ``make(Name)``; inner functions that declare
    the name again are left alone, and assignment targets are never touched."""
    if isinstance(node, sc.Name):
        return make(node) if node.name == name else node  # type: ignore[return-value]
    if isinstance(node, sc.FunctionDef) and (
        name in node.param_names or any(d.name == name for v in node.var_decls for d in v.defs)
    ):
        return node
    changes: dict[str, object] = {}
    for item in fields(node):
        if item.name == "comments" or (isinstance(node, sc.Assign) and item.name == "target"):
            continue
        old = getattr(node, item.name)
        if isinstance(old, sc.Node):
            new: object = _substitute(old, name, make)
        elif isinstance(old, tuple):
            new = tuple(_substitute(x, name, make) if isinstance(x, sc.Node) else x for x in old)
            if all(a is b for a, b in zip(new, old, strict=True)):
                new = old
        else:
            continue
        if new is not old:
            changes[item.name] = new
    return replace(node, **changes) if changes else node  # type: ignore[arg-type]


def substitute_in_function(
    function: sc.FunctionDef, name: str, make: Callable[[sc.Name], sc.Node]
) -> sc.FunctionDef:
    return replace(
        function,
        var_decls=tuple(_substitute(v, name, make) for v in function.var_decls),
        body=tuple(_substitute(s, name, make) for s in function.body),
    )


def add_param(function: sc.FunctionDef, name: str, default: sc.Node) -> sc.FunctionDef:
    return replace(function, params=(*function.params, sc.Param(name, default)))


def control_names(graph: Graph) -> set[str]:
    return {c.name for c in controls(graph)}
