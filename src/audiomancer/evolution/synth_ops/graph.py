"""Finding the SynthDef's graph function in a program (:func:`locate`) and renaming it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiomancer.errors import SynthDefError
from audiomancer.evolution.synth_ops.edits import map_nodes
from audiomancer.supercollider import syntax as sc


@dataclass(frozen=True)
class Graph:
    """A SynthDef in a program: the SynthDef call and its graph function."""

    program: sc.Program
    synthdef: sc.SynthDefNode
    function: sc.FunctionDef

    @property
    def label(self) -> str:
        """The SynthDef's name as written (a literal), or ``"SynthDef"``."""
        return self.synthdef.name_value or "SynthDef"

    def with_function(self, function: sc.FunctionDef) -> sc.Program:
        """The program with the graph function replaced."""
        if function is self.function:
            return self.program
        return map_nodes(self.program, {id(self.function): function})

    @property
    def prepend_count(self) -> int:
        """How many leading arguments receive the SynthDef's prependArgs (not controls)."""
        prepend = self.synthdef.prepend_args
        return len(prepend.elements) if isinstance(prepend, sc.Array | sc.LiteralArray) else 0

    @property
    def param_names(self) -> list[str]:
        """Names of the graph function's arguments that are controls."""
        return [p.name for p in self.function.params[self.prepend_count :]]

    @property
    def local_names(self) -> list[str]:
        """Names declared by the graph function's own ``var`` lines."""
        return [d.name for decl in self.function.var_decls for d in decl.defs]

    def identifiers(self) -> set[str]:
        """Every name used or declared anywhere in the program (for picking fresh names)."""
        names = {n.name for n in sc.walk(self.program) if isinstance(n, sc.Name)}
        for node in sc.walk(self.program):
            if isinstance(node, sc.FunctionDef):
                names.update(node.param_names)
                names.update(d.name for decl in node.var_decls for d in decl.defs)
            elif isinstance(node, sc.VarDecl):
                names.update(d.name for d in node.defs)
        return names


_LOCATED: dict[tuple[int, str | None], tuple[sc.Program, Graph]] = {}
_LOCATED_LIMIT = 64


def locate(program: sc.Program, name: str | None = None) -> Graph:
    """The SynthDef called ``name`` (else the first) and its graph function.

    The function may be written inline or held by a variable (``graph = {...}; SynthDef(\\x,
    graph)``). SynthDefError when the code holds no SynthDef or its function cannot be found.
    Programs are immutable, so the answer is remembered for the last few programs (each kept
    alive with its answer, so its ``id`` cannot be reused): every operator locates the graph.
    """
    key = (id(program), name)
    known = _LOCATED.get(key)
    if known is not None and known[0] is program:
        return known[1]
    graph = _locate(program, name)
    if len(_LOCATED) >= _LOCATED_LIMIT:
        _LOCATED.pop(next(iter(_LOCATED)))
    _LOCATED[key] = (program, graph)
    return graph


def _locate(program: sc.Program, name: str | None) -> Graph:
    found = sc.find_synthdefs(program)
    if not found:
        raise SynthDefError("no SynthDef(...) in the code")
    chosen = next((s for s in found if name is not None and s.name_value == name), found[0])
    function = chosen.graph or _defined_function(program, chosen.function)
    if function is None:
        raise SynthDefError(
            f"the graph function of SynthDef {chosen.name_value or ''!r} is not written in the code"
        )
    return Graph(program, chosen, function)


def _defined_function(program: sc.Program, node: sc.Node | None) -> sc.FunctionDef | None:
    if not isinstance(node, sc.Name):
        return None
    for candidate in sc.walk(program):
        if isinstance(candidate, sc.VarDef) and candidate.name == node.name:
            value: sc.Node | None = candidate.value
        elif isinstance(candidate, sc.Assign) and candidate.target == node:
            value = candidate.value
        else:
            continue
        if isinstance(value, sc.FunctionDef):
            return value
    return None


def rename(program: sc.Program, name: str) -> sc.Program:
    """The program with the SynthDef's name replaced by the symbol ``\\name``.

    ``name`` must already be a safe symbol (``[a-z][a-z0-9_]*``): it is written as is.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise ValueError(f"invalid SynthDef name {name!r}: expected letters, digits and _")
    graph = locate(program)
    old = graph.synthdef.name
    if old is None:
        raise SynthDefError("the SynthDef has no name argument to replace")
    return map_nodes(program, {id(old): sc.Symbol(name)})
