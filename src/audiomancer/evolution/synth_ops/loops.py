"""Loops that change a signal in place, written as one expression (for B's stages).

A common way to build a reverb or a diffuser in SuperCollider is a loop that runs the signal
through the same UGen several times: ``8.do({ sig = AllpassN.ar(sig, 0.04, Rand(0.001,
0.04), decay) })``. Material inside it cannot be copied as it is (the loop assigns B's
variable from inside a function). :func:`loops_as_expressions` writes each such loop as the
assignment it amounts to, which builds the same graph::

    sig = Array.series(8).inject(sig, { |sig2, i| AllpassN.ar(sig2, 0.04, ...) });

so the whole chain is one section of B, with B's signal going in where the loop began.
"""

from __future__ import annotations

from dataclasses import replace

from audiomancer.evolution.synth_ops.edits import fresh
from audiomancer.evolution.synth_ops.graph import locate
from audiomancer.supercollider import syntax as sc


def _loop_function(statement: sc.Node) -> tuple[sc.Node, sc.FunctionDef] | None:
    """(count, function) of ``count.do({ ... })`` / ``count.do { ... }``; None otherwise."""
    if not (isinstance(statement, sc.Call) and statement.selector == "do"):
        return None
    if statement.receiver is None or statement.kwargs:
        return None
    parts = (*statement.args, *statement.blocks)
    if len(parts) != 1 or not isinstance(parts[0], sc.FunctionDef):
        return None
    return statement.receiver, parts[0]


def _in_place(function: sc.FunctionDef) -> tuple[str, sc.Node] | None:
    """(variable, value) when the loop body is only ``variable = value`` reading the variable
    it assigns (a signal run through a UGen again and again), with at most an index."""
    if len(function.params) > 1 or function.rest or len(function.body) != 1:
        return None
    (statement,) = function.body
    if not (isinstance(statement, sc.Assign) and isinstance(statement.target, sc.Name)):
        return None
    name = statement.target.name
    inner = set(function.param_names) | {d.name for v in function.var_decls for d in v.defs}
    if name in inner:
        return None
    if not any(n == sc.Name(name) for n in sc.walk(statement.value)):
        return None
    nested = [n for n in sc.walk(statement.value) if isinstance(n, sc.Assign | sc.MultiAssign)]
    return None if nested else (name, statement.value)


def _rename(node: sc.Node, old: str, new: str) -> sc.Node:
    return sc.transform(node, lambda found: sc.Name(new) if found == sc.Name(old) else found)


def loops_as_expressions(program: sc.Program) -> sc.Program:
    """The program with each in-place loop of its graph function's body written as one
    assignment (see the module doc); the program itself when it has none."""
    graph = locate(program)
    function = graph.function
    taken = graph.identifiers()
    body: list[sc.Node] = []
    for statement in function.body:
        loop = _loop_function(statement)
        found = _in_place(loop[1]) if loop is not None else None
        if loop is None or found is None:
            body.append(statement)
            continue
        count, inner = loop
        name, value = found
        accumulator = fresh(f"{name}2", taken)
        index = inner.params[0].name if inner.params else fresh("i", taken | {accumulator})
        taken |= {accumulator, index}
        step = replace(
            inner,
            params=(sc.Param(accumulator), sc.Param(index)),
            body=(_rename(value, name, accumulator),),
        )
        series = sc.Call(sc.ClassName("Array"), "series", (count,))
        body.append(sc.Assign(sc.Name(name), sc.Call(series, "inject", (sc.Name(name), step))))
    if len(body) == len(function.body) and all(
        a is b for a, b in zip(body, function.body, strict=True)
    ):
        return program
    return graph.with_function(replace(function, body=tuple(body)))


def loop_input(section: sc.Node, hole: sc.Node) -> sc.Node:
    """What goes into a section: ``hole`` (B's input to the stage), or, when that is the
    running value of a loop written by :func:`loops_as_expressions` (``sig2`` in
    ``...inject(sig, { |sig2, i| ... })``), the value the loop starts from (``sig``)."""
    while isinstance(section, sc.Paren) and len(section.body) == 1:
        section = section.body[0]
    if (
        isinstance(section, sc.Call)
        and section.selector == "inject"
        and len(section.args) == 2
        and isinstance(section.args[1], sc.FunctionDef)
        and section.args[1].params
        and hole == sc.Name(section.args[1].params[0].name)
    ):
        return section.args[0]
    return hole
