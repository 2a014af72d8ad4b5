"""The AST: one frozen dataclass per kind of SuperCollider expression (see the package docs)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from audiomancer.supercollider.syntax.literals import number_value, unescape_string


@dataclass(frozen=True)
class Comment:
    """A comment with its delimiters (``// ...`` or ``/* ... */``)."""

    text: str
    own_line: bool = True

    @property
    def is_line_comment(self) -> bool:
        """True for ``//`` comments, which run to the end of the line."""
        return self.text.startswith("//")


@dataclass(frozen=True)
class Node:
    """Base of all AST nodes; ``comments`` are the comments written before the node."""

    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Number(Node):
    """A number literal in its source spelling: ``440``, ``-0.5``, ``1e3``, ``16rFF``, ``2pi``."""

    text: str

    @property
    def value(self) -> int | float:
        """The number SuperCollider reads from the spelling (int for integer literals)."""
        return number_value(self.text)

    @classmethod
    def of(cls, value: float) -> Number:
        """A literal for a Python number (``Number.of(0.5)``, ``Number.of(-3)``)."""
        if isinstance(value, bool):
            raise TypeError("booleans are Constant('true') / Constant('false')")
        if isinstance(value, int):
            return cls(str(value))
        if math.isnan(value):
            raise ValueError("SuperCollider has no NaN literal")
        if math.isinf(value):
            return cls("inf" if value > 0 else "-inf")
        return cls(repr(float(value)))


@dataclass(frozen=True)
class String(Node):
    """A string literal; ``raw`` is the text between the quotes with escapes as written."""

    raw: str

    @property
    def value(self) -> str:
        """The string's characters after SuperCollider's escape processing."""
        return unescape_string(self.raw)

    @classmethod
    def of(cls, value: str) -> String:
        """A literal holding ``value`` (backslashes and quotes escaped)."""
        return cls(value.replace("\\", "\\\\").replace('"', '\\"'))


SymbolStyle: TypeAlias = Literal["backslash", "quoted", "bare"]


@dataclass(frozen=True)
class Symbol(Node):
    """A symbol: ``\\name`` (backslash), ``'name'`` (quoted) or a bare name inside ``#[...]``."""

    name: str
    style: SymbolStyle = "backslash"


@dataclass(frozen=True)
class Char(Node):
    """A character literal ``$a``; ``raw`` is what follows the ``$`` (``a``, ``\\n``)."""

    raw: str

    @property
    def value(self) -> str:
        """The character itself."""
        return unescape_string(self.raw)


@dataclass(frozen=True)
class Constant(Node):
    """``nil``, ``true`` or ``false``."""

    word: str


@dataclass(frozen=True)
class CurryArg(Node):
    """The partial-application placeholder ``_``."""


@dataclass(frozen=True)
class Name(Node):
    """A variable or pseudo-variable (``freq``, ``this``, ``thisProcess``)."""

    name: str


@dataclass(frozen=True)
class ClassName(Node):
    """A class name such as ``SinOsc``."""

    name: str


@dataclass(frozen=True)
class EnvVar(Node):
    """An environment variable ``~name``."""

    name: str


@dataclass(frozen=True)
class Array(Node):
    """An array ``[a, b]`` or ``Class[a, b]``; elements may be :class:`KeyValue` pairs."""

    elements: tuple[Node, ...] = ()
    class_name: str | None = None


@dataclass(frozen=True)
class LiteralArray(Node):
    """A literal array ``#[1, \\a, b]`` (bare names inside are :class:`Symbol` ``"bare"``)."""

    elements: tuple[Node, ...] = ()


@dataclass(frozen=True)
class KeyValue(Node):
    """``key: value`` in an event or array; a ``str`` key is the keyword form ``name: value``."""

    key: str | Node
    value: Node


@dataclass(frozen=True)
class Event(Node):
    """An event literal ``(freq: 440, amp: 0.1)``."""

    entries: tuple[KeyValue, ...] = ()


@dataclass(frozen=True)
class Series(Node):
    """An arithmetic series ``(start..end)`` or ``(start, second..end)``."""

    start: Node | None
    second: Node | None
    end: Node | None


@dataclass(frozen=True)
class Ref(Node):
    """A reference `` `value ``, as in ``Klank.ar(`[freqs, amps, times], ...)``."""

    value: Node


@dataclass(frozen=True)
class KeywordArg(Node):
    """A keyword argument ``name: value`` of a call."""

    name: str
    value: Node


@dataclass(frozen=True)
class Splat(Node):
    """An argument spread ``*array``."""

    value: Node


CallStyle: TypeAlias = Literal["method", "value", "new", "function"]


@dataclass(frozen=True)
class Call(Node):
    """A message send.

    ``style`` keeps how it was written: ``"method"`` ``recv.sel(args)``, ``"value"``
    ``recv.(args)`` (selector ``value``), ``"new"`` ``Class(args)`` (selector ``new``) and
    ``"function"`` ``sel(recv, args)`` (``receiver`` is None, the receiver is ``args[0]``).
    ``parens`` records whether the argument parentheses were written (``x.abs`` vs ``x.abs()``,
    ``loop { }``); ``blocks`` are trailing functions ``x.do { |i| ... }``.
    """

    receiver: Node | None
    selector: str
    args: tuple[Node, ...] = ()
    kwargs: tuple[KeywordArg, ...] = ()
    blocks: tuple[Node, ...] = ()
    style: CallStyle = "method"
    parens: bool = True


@dataclass(frozen=True)
class Index(Node):
    """Indexing ``a[0]`` (``a.[0]`` when ``dot``)."""

    receiver: Node
    args: tuple[Node, ...]
    dot: bool = False


@dataclass(frozen=True)
class Slice(Node):
    """A sub-range ``a[start..end]`` or ``a[start, second..end]``."""

    receiver: Node
    start: Node | None
    second: Node | None
    end: Node | None
    dot: bool = False


@dataclass(frozen=True)
class BinaryOp(Node):
    """``left op right``; ``op`` is the operator as written (``+``, ``!``, ``max:``)."""

    left: Node
    op: str
    right: Node
    adverb: str | None = None

    @property
    def selector(self) -> str:
        """The message the operator sends (``max`` for ``max:``)."""
        return self.op.removesuffix(":")


@dataclass(frozen=True)
class Assign(Node):
    """``target = value``; the target is a Name, EnvVar, getter Call, Index or Slice."""

    target: Node
    value: Node


@dataclass(frozen=True)
class MultiAssign(Node):
    """``#a, b ... rest = value``."""

    names: tuple[str, ...]
    rest: str | None
    value: Node


@dataclass(frozen=True)
class Return(Node):
    """``^value``, the last statement of a body."""

    value: Node


@dataclass(frozen=True)
class Paren(Node):
    """A parenthesised expression sequence ``(a; b)``."""

    body: tuple[Node, ...]


@dataclass(frozen=True)
class Sequence(Node):
    """Expressions separated by ``;`` inside an argument or element, as in ``f(a; b)``."""

    body: tuple[Node, ...]


@dataclass(frozen=True)
class Param(Node):
    """A function parameter with its optional default."""

    name: str
    default: Node | None = None


@dataclass(frozen=True)
class VarDef(Node):
    """One variable of a ``var`` line with its optional initialiser."""

    name: str
    value: Node | None = None


@dataclass(frozen=True)
class VarDecl(Node):
    """A ``var a, b = 1;`` line."""

    defs: tuple[VarDef, ...]


ArgStyle: TypeAlias = Literal["pipe", "arg"]


@dataclass(frozen=True)
class FunctionDef(Node):
    """A function ``{ |a = 1| var b; ... }``; ``closed`` for ``#{ }``."""

    params: tuple[Param, ...] = ()
    rest: str | None = None
    arg_style: ArgStyle = "pipe"
    var_decls: tuple[VarDecl, ...] = ()
    body: tuple[Node, ...] = ()
    closed: bool = False
    closing_comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the declared parameters, in order."""
        return tuple(param.name for param in self.params)


@dataclass(frozen=True)
class Program(Node):
    """A whole source file: ``var`` lines and statements, maybe inside one ``( ... )`` block."""

    var_decls: tuple[VarDecl, ...] = ()
    body: tuple[Node, ...] = ()
    parenthesized: bool = False
    closing_comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)
    footer_comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)


LiteralNode: TypeAlias = Number | String | Symbol | Char | Constant
