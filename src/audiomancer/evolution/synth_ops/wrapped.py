"""A function B wraps with ``SynthDef.wrap``, seen as a SynthDef of its own (for crossover).

Libraries build many SynthDefs from one shell: Sonic Pi's FX are ``~makeFX.value(name, { |dry_l,
dry_r, gain = 5 ...| ... })``, whose SynthDef reads the bus, mixes and writes the output, and
calls ``SynthDef.wrap(func, lags, [dry_l, dry_r])`` for the part that makes each FX what it
is. The stages worth taking from such a B (its filter, its effect) are in the wrapped
function, not in the shell. :func:`wrapped_view` gives that function as the graph of a
program of its own, ``SynthDef(\\name, func)``. The arguments the shell passes in
(``prependArgs``: ``dry_l, dry_r``) are the signal the function processes, so there they
stand for A's signal (the name :data:`~audiomancer.evolution.synth_ops.transplant.SIGNAL`,
which a moved stage fills with A's signal); the function's other arguments are its
controls, as ``SynthDef.wrap`` makes them.
"""

from __future__ import annotations

from dataclasses import replace

from audiomancer.evolution.synth_ops.edits import class_of, walk_calls
from audiomancer.evolution.synth_ops.graph import Graph, locate
from audiomancer.evolution.synth_ops.transplant import SIGNAL
from audiomancer.supercollider import syntax as sc


def _contains(root: sc.Node, target: sc.Node) -> bool:
    return any(found is target for found in sc.walk(root))


def _argument(program: sc.Program, graph: Graph, name: str) -> sc.FunctionDef | None:
    """The function literal passed for ``name``, an argument of the helper function that
    builds the SynthDef (``~makeFX = { |name, func| SynthDef(name, { ... }) }``), at a call
    of that helper (``~makeFX.value("fx", { ... })``)."""
    for helper in sc.walk(program):
        if not isinstance(helper, sc.FunctionDef) or helper is graph.function:
            continue
        if name not in helper.param_names or not _contains(helper, graph.synthdef.call):
            continue
        index = helper.param_names.index(name)
        holders = [
            found.target
            for found in sc.walk(program)
            if isinstance(found, sc.Assign) and found.value is helper
        ] + [
            sc.Name(found.name)
            for found in sc.walk(program)
            if isinstance(found, sc.VarDef) and found.value is helper
        ]
        for call in sc.walk(program):
            if (
                isinstance(call, sc.Call)
                and call.selector == "value"
                and call.receiver in holders
                and len(call.args) > index
                and isinstance(call.args[index], sc.FunctionDef)
            ):
                value = call.args[index]
                assert isinstance(value, sc.FunctionDef)
                return value
    return None


def _wrapped_function(program: sc.Program, graph: Graph, node: sc.Node) -> sc.FunctionDef | None:
    if isinstance(node, sc.FunctionDef):
        return node
    if not isinstance(node, sc.Name):
        return None
    for found in sc.walk(graph.function):  # a variable of the graph function holding it
        holds = (isinstance(found, sc.VarDef) and found.name == node.name) or (
            isinstance(found, sc.Assign) and found.target == node
        )
        value = found.value if holds and isinstance(found, sc.VarDef | sc.Assign) else None
        if isinstance(value, sc.FunctionDef):
            return value
    return _argument(program, graph, node.name)


def _as_signal(function: sc.FunctionDef, names: set[str]) -> sc.Node:
    """``function`` with every read of ``names`` made the name :data:`SIGNAL`."""

    def edit(found: sc.Node) -> sc.Node:
        if isinstance(found, sc.Name) and found.name in names:
            return sc.Name(SIGNAL)
        return found

    return sc.transform(function, edit)


def wrapped_view(program: sc.Program) -> sc.Program | None:
    """The first function the SynthDef wraps (``SynthDef.wrap(func, lags, inputs)``) as the
    graph of a program of its own (see the module doc); None when it wraps none it can find."""
    graph = locate(program)
    for call in walk_calls(graph.function):
        if class_of(call) != "SynthDef" or call.selector != "wrap" or not call.args:
            continue
        function = _wrapped_function(program, graph, call.args[0])
        if function is None:
            continue
        inputs = call.args[2] if len(call.args) > 2 else None
        inputs = next((kw.value for kw in call.kwargs if kw.name == "prependArgs"), inputs)
        count = len(inputs.elements) if isinstance(inputs, sc.Array | sc.LiteralArray) else 0
        body = _as_signal(replace(function, params=()), set(function.param_names[:count]))
        assert isinstance(body, sc.FunctionDef)
        view_function = replace(body, params=function.params[count:])
        name = sc.Symbol(graph.synthdef.name_value or "wrapped")
        view = sc.Call(sc.ClassName("SynthDef"), "new", (name, view_function), style="new")
        return sc.Program(body=(view,))
    return None
