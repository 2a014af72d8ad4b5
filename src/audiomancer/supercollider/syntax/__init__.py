"""Lexer, parser, AST and printer for SuperCollider code (DESIGN §4).

Synth mutation and crossover are edits of this AST, never regex edits of text.

This package's face: import everything from ``audiomancer.supercollider.syntax``. Its modules,
inner ones first: ``errors`` (:class:`SuperColliderSyntaxError`), ``literals`` (the values of
number and string spellings), ``nodes`` (the AST classes), ``tokens`` (the token type and the
language's character classes), ``lexer`` (text to tokens), ``parser`` (tokens to AST), ``tree``
(walking and rebuilding trees), ``synthdefs`` (finding ``SynthDef(...)`` calls) and ``printer``
(AST to text).

AST design
----------
Every node is a *frozen* dataclass deriving from :class:`Node`. Children are held in node fields
(a single node, ``None`` or a tuple of nodes), so trees are immutable values: two trees compare
equal when they have the same structure and spelling, whatever their comments and layout
(comments are kept on the nodes but excluded from ``==``). The tree follows SuperCollider's own
grammar (``lang11d``): all binary operators share one precedence and associate left to right
(``a + b * c`` is ``(a + b) * c``), message sends bind tighter than operators, ``-`` is only a
sign of number literals, assignments are right associative.

Main node types: :class:`Program` (``var`` lines and statements, optionally wrapped in the
whole-file ``( ... )`` block), :class:`FunctionDef` (``params`` with ``arg_style`` ``"pipe"``
for ``|a = 1|`` or ``"arg"`` for ``arg a = 1;``, ``var_decls``, ``body``), :class:`Call` (every
message send: ``receiver``, ``selector``, positional ``args``, ``kwargs``, trailing function
``blocks`` and a ``style`` that says how it was written: ``recv.sel(...)``, ``recv.(...)``,
``Class(...)`` or ``sel(recv, ...)``), :class:`BinaryOp` (with adverbs and keyword operators
like ``max:``), literals (:class:`Number` keeps its source spelling such as ``16rFF``, ``2pi``,
``1e3``; :class:`String`, :class:`Symbol`, :class:`Char`, :class:`Constant`), names
(:class:`Name`, :class:`ClassName`, :class:`EnvVar`), collections (:class:`Array`,
:class:`LiteralArray`, :class:`Event`, :class:`Series`, :class:`KeyValue`), :class:`Index`,
:class:`Slice`, :class:`Ref`, :class:`Assign`, :class:`MultiAssign`, :class:`Return`,
:class:`Paren`, :class:`Sequence` (``f(a; b)``), :class:`KeywordArg`, :class:`Splat`.

Editing the tree
----------------
Build new trees with :func:`dataclasses.replace` and :func:`transform`, which rebuilds a tree
bottom-up, calling ``fn`` on every node after its children were transformed; ``fn`` returns the
node unchanged or a replacement. Nodes that did not change keep their identity, so
:func:`replace_node` can swap one particular node (found with :func:`walk`,
:func:`find_calls` or :func:`find_synthdefs`) by identity; after an edit, look targets up again
in the new tree (an edited node's ancestors are new objects). Replace ``Saw`` with ``Pulse``::

    def saw_to_pulse(node: Node) -> Node:
        if isinstance(node, Call) and node.receiver == ClassName("Saw"):
            return replace(node, receiver=ClassName("Pulse"))
        return node

    mutated = transform(program, saw_to_pulse)

Wrap a control in an LFO (the printer adds the parentheses that keep the evaluation order)::

    lfo = Call(Call(ClassName("SinOsc"), "kr", (Number("0.3"),)), "range", (
        Number("0.5"), Number("1.5")))
    mutated = transform(program, lambda n: BinaryOp(n, "*", lfo) if n == Name("cutoff") else n)

Insert a variable: ``replace(function, var_decls=function.var_decls + (VarDecl((VarDef("lfo",
value),)),))``. Change a default: ``replace(param, default=Number.of(0.5))``. New literals come
from :meth:`Number.of`, :meth:`String.of` and :class:`Symbol`.

Comments
--------
Comments attach to the list element they precede (statement, ``var`` line, parameter, argument,
array element, event entry) as :class:`Comment` values; ``own_line`` is False for a comment
that followed code on the same line, and the printer puts it back at the end of that line.
Comments before a closing ``}`` or at the end of the file are kept as ``closing_comments``.
Comments in odd places (between a receiver and its dot, before a closing ``)``) move to the
next element that can hold them; none are dropped and the code's meaning never changes.

Not supported (never needed in a SynthDef): class definitions, list comprehensions
``{: x, x <- ...}``, ``(:1..5)`` and operators used as functions ``(+)(1, 2)``.

Printing
--------
:func:`print_code` is a deterministic pretty printer (tabs, 100 columns). Literals keep their
source spelling, so the printed code of an unmodified parse compiles to exactly the same
SynthDef bytes as the original, and ``parse(print_code(tree)) == tree``.
"""

from __future__ import annotations

from audiomancer.supercollider.syntax.errors import SuperColliderSyntaxError
from audiomancer.supercollider.syntax.nodes import (
    Array,
    Assign,
    BinaryOp,
    Call,
    Char,
    ClassName,
    Comment,
    Constant,
    CurryArg,
    EnvVar,
    Event,
    FunctionDef,
    Index,
    KeyValue,
    KeywordArg,
    LiteralArray,
    LiteralNode,
    MultiAssign,
    Name,
    Node,
    Number,
    Param,
    Paren,
    Program,
    Ref,
    Return,
    Sequence,
    Series,
    Slice,
    Splat,
    String,
    Symbol,
    VarDecl,
    VarDef,
)
from audiomancer.supercollider.syntax.parser import parse
from audiomancer.supercollider.syntax.printer import print_code
from audiomancer.supercollider.syntax.synthdefs import SynthDefNode, find_synthdefs
from audiomancer.supercollider.syntax.tree import (
    children,
    find_calls,
    replace_node,
    transform,
    walk,
    walk_with_parents,
)

__all__ = [
    "Array",
    "Assign",
    "BinaryOp",
    "Call",
    "Char",
    "ClassName",
    "Comment",
    "Constant",
    "CurryArg",
    "EnvVar",
    "Event",
    "FunctionDef",
    "Index",
    "KeyValue",
    "KeywordArg",
    "LiteralArray",
    "LiteralNode",
    "MultiAssign",
    "Name",
    "Node",
    "Number",
    "Param",
    "Paren",
    "Program",
    "Ref",
    "Return",
    "Sequence",
    "Series",
    "Slice",
    "Splat",
    "String",
    "SuperColliderSyntaxError",
    "Symbol",
    "SynthDefNode",
    "VarDecl",
    "VarDef",
    "children",
    "find_calls",
    "find_synthdefs",
    "parse",
    "print_code",
    "replace_node",
    "transform",
    "walk",
    "walk_with_parents",
]
