"""Lexer, parser, AST and printer for SuperCollider code (DESIGN §4).

Synth mutation and crossover are edits of this AST, never regex edits of text.

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

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final, Literal, NoReturn, TypeAlias

from audiomancer.errors import SynthDefError

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


class SuperColliderSyntaxError(SynthDefError):
    """SuperCollider code that does not parse; ``line`` and ``column`` count from 1."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.reason = message
        self.line = line
        self.column = column


# --------------------------------------------------------------------------------------------
# AST
# --------------------------------------------------------------------------------------------


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
        return _number_value(self.text)

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
        return _unescape_string(self.raw)

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
        return _unescape_string(self.raw)


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


# --------------------------------------------------------------------------------------------
# Numbers and strings
# --------------------------------------------------------------------------------------------

_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", "f": "\f", "v": "\v"}
_RADIX_RE: Final = re.compile(r"(\d+)r([0-9A-Za-z]*(?:\.[0-9A-Za-z]*)?)")
_ACCIDENTAL_CENTS_RE: Final = re.compile(r"(\d+)([sb])(\d+)")
_ACCIDENTAL_STEPS_RE: Final = re.compile(r"(\d+)(s+|b+)")


def _unescape_string(raw: str) -> str:
    out: list[str] = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            out.append(_ESCAPES.get(escaped, escaped))
        else:
            out.append(char)
    return "".join(out)


def _digit_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    return ord(char.lower()) - ord("a") + 10


def _radix_value(radix: int, digits: str) -> int | float:
    whole = 0
    for char in digits.replace(".", ""):
        whole = whole * radix + _digit_value(char)
    if "." not in digits:
        return whole
    decimals = len(digits) - 1 - digits.index(".")
    return whole / math.pow(radix, decimals)


def _accidental_value(body: str, negative: bool) -> float | None:
    cents = _ACCIDENTAL_CENTS_RE.fullmatch(body)
    steps = _ACCIDENTAL_STEPS_RE.fullmatch(body)
    if cents:
        sign = 1 if cents.group(2) == "s" else -1
        value = int(cents.group(1)) + sign * min(int(cents.group(3)), 499) / 1000
    elif steps:
        count = min(len(steps.group(2)), 4)
        sign = 1 if steps.group(2)[0] == "s" else -1
        value = int(steps.group(1)) + sign * count / 10
    else:
        return None
    if negative:  # SuperCollider negates the degree and keeps the alteration
        degree = math.floor(value + 0.5)
        return -degree + (value - degree)
    return value


def _unsigned_number_value(body: str) -> int | float:
    if body == "inf":
        return math.inf
    if body.startswith("0x"):
        return int(body[2:] or "0", 16)
    radix = _RADIX_RE.fullmatch(body)
    if radix:
        return _radix_value(int(radix.group(1)), radix.group(2))
    if re.fullmatch(r"\d+", body):
        return int(body)
    return float(body)


def _number_value(text: str) -> int | float:
    negative = text.startswith("-")
    body = text[1:] if negative else text
    if body == "pi":
        return -math.pi if negative else math.pi
    accidental = _accidental_value(body, negative)
    if accidental is not None:
        return accidental
    with_pi = body.endswith("pi") and not _RADIX_RE.fullmatch(body)
    value = _unsigned_number_value(body[:-2] if with_pi else body)
    if with_pi:
        value = value * math.pi
    return -value if negative else value


# --------------------------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------------------------

_BINOP_CHARS: Final = frozenset("!@%&*-+=|<>?/")
_PUNCTUATION: Final = frozenset("()[]{},;:^~`")
_IDENT_START: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_IDENT_CHARS: Final = _IDENT_START | frozenset("0123456789")
_DIGITS: Final = frozenset("0123456789")
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
_WHITESPACE: Final = frozenset(" \t\n\r\v\f")
_OPENERS: Final = {"(": ")", "[": "]", "{": "}", "#{": "}"}


@dataclass
class _Token:
    kind: (
        str  # name class keyword number string symbol qsymbol char binop punct curry primitive eof
    )
    text: str
    line: int
    column: int
    comments: list[Comment] = field(default_factory=list)

    def describe(self) -> str:
        return "end of input" if self.kind == "eof" else repr(self.text)


class _Lexer:
    """Turns source text into tokens that carry the comments written before them."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.line = 1
        self.column = 1
        self.tokens: list[_Token] = []
        self.comments: list[Comment] = []
        self.last_token_line = 0

    def run(self) -> list[_Token]:
        while True:
            self.skip_trivia()
            if self.pos >= len(self.src):
                self.emit("eof", "", self.line, self.column)
                return self.tokens
            self.lex_token()

    # -- helpers ---------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.src[index] if index < len(self.src) else ""

    def advance(self, count: int = 1) -> str:
        text = self.src[self.pos : self.pos + count]
        for char in text:
            if char == "\n":
                self.line += 1
                self.column = 1
            else:
                self.column += 1
        self.pos += len(text)
        return text

    def advance_while(self, chars: frozenset[str]) -> str:
        start = self.pos
        while self.peek() and self.peek() in chars:
            self.advance()
        return self.src[start : self.pos]

    def error(self, message: str, line: int | None = None, column: int | None = None) -> NoReturn:
        raise SuperColliderSyntaxError(message, line or self.line, column or self.column)

    def emit(self, kind: str, text: str, line: int, column: int) -> None:
        self.tokens.append(_Token(kind, text, line, column, self.comments))
        self.comments = []
        self.last_token_line = self.line

    # -- trivia ----------------------------------------------------------------------------

    def skip_trivia(self) -> None:
        while self.pos < len(self.src):
            char = self.peek()
            if char in _WHITESPACE or not 32 <= ord(char) < 127:
                self.advance()  # sclang skips control characters and non-ASCII bytes too
            elif self.src.startswith("//", self.pos):
                self.lex_line_comment()
            elif self.src.startswith("/*", self.pos):
                self.lex_block_comment()
            else:
                return

    def add_comment(self, text: str, line: int) -> None:
        own_line = self.last_token_line == 0 or line > self.last_token_line
        self.comments.append(Comment(text, own_line))

    def lex_line_comment(self) -> None:
        line = self.line
        end = self.src.find("\n", self.pos)
        end = len(self.src) if end < 0 else end
        self.add_comment(self.advance(end - self.pos).rstrip(), line)

    def lex_block_comment(self) -> None:
        line, column, start = self.line, self.column, self.pos
        depth = 0
        while True:
            if self.pos >= len(self.src):
                self.error("unterminated /* comment", line, column)
            if self.src.startswith("/*", self.pos):
                depth += 1
                self.advance(2)
            elif self.src.startswith("*/", self.pos):
                depth -= 1
                self.advance(2)
                if depth == 0:
                    break
            else:
                self.advance()
        self.add_comment(self.src[start : self.pos], line)

    # -- tokens ----------------------------------------------------------------------------

    def lex_token(self) -> None:
        line, column = self.line, self.column
        char = self.peek()
        if char in _IDENT_START:
            self.lex_word(line, column)
        elif char in _DIGITS:
            self.emit("number", self.lex_number(), line, column)
        elif char == '"':
            self.emit("string", self.lex_string(), line, column)
        elif char == "'":
            self.emit("qsymbol", self.lex_quoted_symbol(), line, column)
        elif char == "\\":
            self.advance()
            self.emit("symbol", self.lex_symbol_name(), line, column)
        elif char == "$":
            self.emit("char", self.lex_char(), line, column)
        else:
            self.lex_operator(line, column)

    def lex_operator(self, line: int, column: int) -> None:
        char = self.peek()
        if char == ".":
            dots = (
                "..."
                if self.src.startswith("...", self.pos)
                else ".."
                if self.peek(1) == "."
                else "."
            )
            self.emit("punct", self.advance(len(dots)), line, column)
        elif char == "#":
            self.emit("punct", self.advance(2 if self.peek(1) == "{" else 1), line, column)
        elif char == "=" and self.peek(1) not in _BINOP_CHARS:
            self.emit("punct", self.advance(), line, column)
        elif char in _BINOP_CHARS:
            self.emit("binop", self.advance_while(_BINOP_CHARS), line, column)
        elif char in _PUNCTUATION:
            self.emit("punct", self.advance(), line, column)
        else:
            self.error(f"illegal character {char!r}")

    def lex_word(self, line: int, column: int) -> None:
        word = self.advance_while(_IDENT_CHARS)
        if self.peek() == ":":
            self.advance()
            self.emit("keyword", word, line, column)
        elif word == "_":
            self.emit("curry", word, line, column)
        elif word.startswith("_"):
            self.emit("primitive", word, line, column)
        elif word[0].isupper():
            self.emit("class", word, line, column)
        else:
            self.emit("name", word, line, column)

    def lex_number(self) -> str:
        start = self.pos
        digits = self.advance_while(_DIGITS)
        char = self.peek()
        if char == "r":
            self.advance()
            self.lex_radix_digits(int(digits))
        elif char in ("e", "E"):
            self.lex_exponent()
        elif char == "." and self.peek(1) in _DIGITS and self.peek(1):
            self.advance()
            self.advance_while(_DIGITS)
            if self.peek() in ("e", "E") and self.peek():
                self.lex_exponent()
        elif char in ("b", "s") and char:
            self.lex_accidental(char)
        elif char == "x":
            self.advance()
            self.advance_while(_HEX_DIGITS)
        return self.src[start : self.pos]

    def lex_radix_digits(self, radix: int) -> None:
        def valid(char: str, lower: bool) -> bool:
            if not char or not char.isalnum() or not char.isascii():
                return False
            if char.islower() and not lower:
                return False
            return _digit_value(char) < radix

        while valid(self.peek(), lower=True):
            self.advance()
        if self.peek() == ".":
            self.advance()
            while valid(self.peek(), lower=False):
                self.advance()

    def lex_exponent(self) -> None:
        self.advance()
        if self.peek() in ("+", "-") and self.peek():
            self.advance()
        if not self.peek() or self.peek() not in _DIGITS:
            self.error("a number's exponent needs digits")
        self.advance_while(_DIGITS)

    def lex_accidental(self, accidental: str) -> None:
        self.advance()
        if self.peek() and self.peek() in _DIGITS:
            self.advance_while(_DIGITS)
        else:
            self.advance_while(frozenset(accidental))

    def lex_string(self) -> str:
        parts: list[str] = []
        while True:
            parts.append(self.lex_one_string())
            ahead = self.pos
            while ahead < len(self.src) and self.src[ahead] in _WHITESPACE:
                ahead += 1
            if ahead >= len(self.src) or self.src[ahead] != '"':
                return "".join(parts)
            self.advance(ahead - self.pos)

    def lex_one_string(self) -> str:
        line, column = self.line, self.column
        self.advance()
        out: list[str] = []
        while True:
            char = self.advance()
            if not char:
                self.error("unterminated string", line, column)
            if char == '"':
                return "".join(out)
            if char == "\\":
                char += self.advance()
            out.append(char)

    def lex_quoted_symbol(self) -> str:
        line, column = self.line, self.column
        self.advance()
        out: list[str] = []
        while True:
            char = self.advance()
            if not char or char == "\n":
                self.error("unterminated 'symbol'", line, column)
            if char == "'":
                return "".join(out)
            if char == "\\":
                char = self.advance()
            out.append(char)

    def lex_symbol_name(self) -> str:
        if self.peek() and self.peek() in _IDENT_START:
            return self.advance_while(_IDENT_CHARS)
        if self.peek() and self.peek() in _DIGITS:
            return self.advance_while(_DIGITS)
        return ""

    def lex_char(self) -> str:
        line, column = self.line, self.column
        self.advance()
        char = self.advance()
        if char == "\\":
            char += self.advance()
        if not char or char == "\\":
            self.error("character literal $ needs a character", line, column)
        return char


def _check_brackets(tokens: list[_Token]) -> None:
    stack: list[_Token] = []
    for token in tokens:
        if token.kind != "punct":
            continue
        if token.text in _OPENERS:
            stack.append(token)
        elif token.text in (")", "]", "}"):
            if not stack:
                raise SuperColliderSyntaxError(
                    f"unmatched {token.text!r}", token.line, token.column
                )
            opener = stack.pop()
            if _OPENERS[opener.text] != token.text:
                raise SuperColliderSyntaxError(
                    f"{opener.text!r} opened at line {opener.line}, column {opener.column} "
                    f"is closed by {token.text!r}",
                    token.line,
                    token.column,
                )
    if stack:
        opener = stack[-1]
        raise SuperColliderSyntaxError(f"unclosed {opener.text!r}", opener.line, opener.column)


def _tokenize(source: str) -> list[_Token]:
    tokens = _Lexer(source.replace("\r\n", "\n").replace("\r", "\n")).run()
    _check_brackets(tokens)
    return tokens


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------

_CONSTANTS: Final = frozenset({"nil", "true", "false"})
_DECLARATION_WORDS: Final = frozenset({"var", "arg", "classvar", "const"})
_SLOT_LITERAL_KINDS: Final = frozenset({"number", "string", "symbol", "qsymbol", "char"})


def _with_comments(node: Node, comments: list[Comment]) -> Node:
    if not comments:
        return node
    return replace(node, comments=(*comments, *node.comments))


class _Parser:
    """Recursive-descent parser following SuperCollider's lang11d grammar."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.pending: list[Comment] = []

    # -- token access ----------------------------------------------------------------------

    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def at(self, kind: str, text: str | None = None, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token.kind == kind and (text is None or token.text == text)

    def at_punct(self, text: str, offset: int = 0) -> bool:
        return self.at("punct", text, offset)

    def at_word(self, word: str, offset: int = 0) -> bool:
        return self.at("name", word, offset)

    def advance(self) -> _Token:
        token = self.peek()
        self.pending.extend(token.comments)
        token.comments = []
        if token.kind != "eof":
            self.index += 1
        return token

    def expect_punct(self, text: str, context: str = "") -> _Token:
        if not self.at_punct(text):
            where = f" {context}" if context else ""
            self.fail(f"expected {text!r}{where}, found {self.peek().describe()}")
        return self.advance()

    def expect_name(self, what: str) -> str:
        if not self.at("name"):
            self.fail(f"expected {what}, found {self.peek().describe()}")
        return self.advance().text

    def fail(self, message: str, token: _Token | None = None) -> NoReturn:
        token = token or self.peek()
        raise SuperColliderSyntaxError(message, token.line, token.column)

    def take_comments(self) -> list[Comment]:
        token = self.peek()
        taken = [*self.pending, *token.comments]
        self.pending = []
        token.comments = []
        return taken

    def restore_comments(self, comments: list[Comment]) -> None:
        self.pending = [*comments, *self.pending]

    # -- program and bodies ----------------------------------------------------------------

    def parse_program(self, whole_file_block: bool) -> Program:
        if whole_file_block:
            return self.parse_parenthesized_program()
        var_decls = self.parse_var_decls()
        body = self.parse_statements(("eof", ""))
        return Program(var_decls, body, closing_comments=tuple(self.take_comments()))

    def is_whole_file_block(self) -> bool:
        if not self.at_punct("("):
            return False
        depth = 0
        for position, token in enumerate(self.tokens):
            if token.kind == "punct" and token.text in _OPENERS:
                depth += 1
            elif token.kind == "punct" and token.text in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return self.tokens[position + 1].kind == "eof"
        return False

    def parse_parenthesized_program(self) -> Program:
        header = self.take_comments()
        self.advance()
        var_decls = self.parse_var_decls()
        body = self.parse_statements(("punct", ")"))
        closing = self.take_comments()
        self.advance()
        return Program(
            var_decls,
            body,
            parenthesized=True,
            comments=tuple(header),
            closing_comments=tuple(closing),
            footer_comments=tuple(self.take_comments()),
        )

    def parse_var_decls(self) -> tuple[VarDecl, ...]:
        decls: list[VarDecl] = []
        while self.at_word("var"):
            comments = self.take_comments()
            self.advance()
            defs = [self.parse_var_def()]
            while self.at_punct(","):
                self.advance()
                defs.append(self.parse_var_def())
            self.expect_punct(";", "after var declaration")
            decls.append(VarDecl(tuple(defs), comments=tuple(comments)))
        return tuple(decls)

    def parse_var_def(self) -> VarDef:
        comments = self.take_comments()
        name = self.expect_name("a variable name")
        value = None
        if self.at_punct("="):
            self.advance()
            value = self.parse_expr()
        return VarDef(name, value, comments=tuple(comments))

    def at_closer(self, closer: tuple[str, str]) -> bool:
        return self.at(closer[0], closer[1] or None)

    def parse_statements(self, closer: tuple[str, str]) -> tuple[Node, ...]:
        statements: list[Node] = []
        while not self.at_closer(closer):
            comments = self.take_comments()
            if self.at("punct", "^"):
                self.advance()
                statements.append(_with_comments(Return(self.parse_expr()), comments))
                if self.at_punct(";"):
                    self.advance()
                if not self.at_closer(closer):
                    self.fail("a ^return must be the last statement")
                break
            if self.at_word("var"):
                self.fail("var declarations must come before any statement")
            statements.append(_with_comments(self.parse_expr(), comments))
            if self.at_punct(";"):
                self.advance()
            elif not self.at_closer(closer) and not self.at_punct("^"):
                self.fail(f"expected ';' between statements, found {self.peek().describe()}")
        return tuple(statements)

    # -- expressions -----------------------------------------------------------------------

    def parse_expr(self) -> Node:
        if self.at_punct("#") and self.at("name", offset=1):
            return self.parse_multi_assign()
        return self.parse_binary()

    def parse_multi_assign(self) -> MultiAssign:
        self.advance()
        names = [self.expect_name("a variable name")]
        rest = None
        while self.at_punct(","):
            self.advance()
            names.append(self.expect_name("a variable name"))
        if self.at_punct("..."):
            self.advance()
            rest = self.expect_name("a variable name after '...'")
        self.expect_punct("=", "in multiple assignment")
        return MultiAssign(tuple(names), rest, self.parse_expr())

    def at_binary_operator(self) -> bool:
        return self.at("binop") or self.at("keyword")

    def parse_binary(self) -> Node:
        left = self.parse_assignable_operand()
        while self.at_binary_operator():
            token = self.advance()
            op = token.text + ":" if token.kind == "keyword" else token.text
            adverb = self.parse_adverb()
            right = self.parse_assignable_operand()
            left = BinaryOp(left, op, right, adverb)
        return left

    def parse_adverb(self) -> str | None:
        if not self.at_punct("."):
            return None
        if self.at("name", offset=1) or self.at("number", offset=1):
            self.advance()
            return self.advance().text
        if self.at("binop", "-", offset=1) and self.at("number", offset=2):
            self.advance()
            self.advance()
            return "-" + self.advance().text
        return None

    def parse_assignable_operand(self) -> Node:
        operand = self.parse_operand()
        if self.at_punct("=") and _is_assignable(operand):
            self.advance()
            return Assign(operand, self.parse_expr())
        return operand

    def parse_operand(self) -> Node:
        if self.at_punct("`"):
            self.advance()
            return self.parse_postfix(Ref(self.parse_ref_operand()))
        return self.parse_postfix(self.parse_signed_primary())

    def parse_ref_operand(self) -> Node:
        if self.at_punct("`"):
            self.advance()
            return Ref(self.parse_ref_operand())
        node = self.parse_signed_primary()
        while self.at_punct("["):
            node = self.parse_index(node, dot=False)
        return node

    def parse_signed_primary(self) -> Node:
        if self.at("binop", "-"):
            minus = self.advance()
            if not self.at_number_start():
                self.fail("'-' can only negate a number literal here (use .neg)", minus)
            number = self.parse_number()
            return Number("-" + number.text)
        return self.parse_primary()

    def at_number_start(self) -> bool:
        return self.at("number") or self.at_word("pi") or self.at_word("inf")

    def parse_number(self) -> Number:
        token = self.advance()
        text = token.text
        is_accidental = bool(re.fullmatch(r"\d+[sb]\d*[sb]*", text))
        if token.kind == "number" and not is_accidental and self.at_word("pi"):
            self.advance()
            text += "pi"
        return Number(text)

    def parse_postfix(self, node: Node) -> Node:
        while True:
            if self.at_punct("."):
                node = self.parse_dot_suffix(node)
            elif self.at_punct("["):
                node = self.parse_index(node, dot=False)
            else:
                return node

    def parse_dot_suffix(self, receiver: Node) -> Node:
        if self.at("name", offset=1):
            self.advance()
            return self.parse_message(receiver, self.advance().text)
        if self.at_punct("(", offset=1):
            self.advance()
            args, kwargs = self.parse_call_args()
            blocks = self.parse_blocks()
            return Call(receiver, "value", args, kwargs, blocks, "value", True)
        if self.at_punct("[", offset=1):
            self.advance()
            return self.parse_index(receiver, dot=True)
        self.fail(
            f"expected a message name after '.', found {self.peek(1).describe()}", self.peek(1)
        )

    def parse_message(
        self, receiver: Node | None, selector: str, style: CallStyle = "method"
    ) -> Call:
        args: tuple[Node, ...] = ()
        kwargs: tuple[KeywordArg, ...] = ()
        parens = self.at_punct("(")
        if parens:
            args, kwargs = self.parse_call_args()
        blocks = self.parse_blocks()
        return Call(receiver, selector, args, kwargs, blocks, style, parens)

    def parse_blocks(self) -> tuple[Node, ...]:
        blocks: list[Node] = []
        while self.at_punct("{") or self.at_punct("#{"):
            blocks.append(self.parse_function())
        return tuple(blocks)

    def parse_call_args(self) -> tuple[tuple[Node, ...], tuple[KeywordArg, ...]]:
        self.advance()
        args: list[Node] = []
        kwargs: list[KeywordArg] = []
        while not self.at_punct(")"):
            comments = self.take_comments()
            if self.at("keyword"):
                name = self.advance().text
                kwargs.append(KeywordArg(name, self.parse_sequence(), comments=tuple(comments)))
            elif kwargs:
                self.fail("positional argument after keyword arguments")
            else:
                args.append(_with_comments(self.parse_argument(), comments))
            if not self.at_punct(")"):
                self.expect_punct(",", "between arguments")
        self.advance()
        return tuple(args), tuple(kwargs)

    def parse_argument(self) -> Node:
        if self.at("binop", "*"):
            self.advance()
            return Splat(self.parse_sequence())
        return self.parse_sequence()

    def parse_sequence(self) -> Node:
        """One expression, or several separated by ``;`` (a trailing ``;`` is dropped)."""
        body = [self.parse_expr()]
        while self.at_punct(";"):
            self.advance()
            if self.at_punct(",") or self.at_punct(")") or self.at_punct("]"):
                break
            body.append(self.parse_expr())
        return body[0] if len(body) == 1 else Sequence(tuple(body))

    def parse_index(self, receiver: Node, dot: bool) -> Node:
        self.advance()
        if self.at_punct(".."):
            self.advance()
            last = self.parse_expr()
            self.expect_punct("]", "after slice")
            return Slice(receiver, None, None, last, dot)
        args = [self.parse_sequence()]
        while self.at_punct(","):
            self.advance()
            args.append(self.parse_sequence())
        if self.at_punct("..") and len(args) <= 2:
            self.advance()
            end = None if self.at_punct("]") else self.parse_expr()
            self.expect_punct("]", "after slice")
            second = args[1] if len(args) == 2 else None
            return Slice(receiver, args[0], second, end, dot)
        self.expect_punct("]", "after index")
        return Index(receiver, tuple(args), dot)

    # -- primaries -------------------------------------------------------------------------

    def parse_primary(self) -> Node:
        token = self.peek()
        simple = self.parse_simple_literal()
        if simple is not None:
            return simple
        if token.kind == "name":
            return self.parse_name_primary()
        if token.kind == "class":
            return self.parse_class_primary()
        if token.kind == "curry":
            self.advance()
            return CurryArg()
        if token.kind == "punct":
            return self.parse_punct_primary(token)
        self.fail(f"unexpected {token.describe()}")

    def parse_simple_literal(self) -> Node | None:
        token = self.peek()
        if token.kind == "number":
            return self.parse_number()
        if token.kind == "string":
            return String(self.advance().text)
        if token.kind == "symbol":
            return Symbol(self.advance().text, "backslash")
        if token.kind == "qsymbol":
            return Symbol(self.advance().text, "quoted")
        if token.kind == "char":
            return Char(self.advance().text)
        if token.kind == "name" and token.text in _CONSTANTS:
            return Constant(self.advance().text)
        if token.kind == "name" and token.text in ("pi", "inf"):
            return Number(self.advance().text)
        return None

    def parse_name_primary(self) -> Node:
        token = self.advance()
        if token.text in _DECLARATION_WORDS:
            self.fail(f"unexpected {token.text!r}", token)
        if self.at_punct("(") or self.at_punct("{") or self.at_punct("#{"):
            call = self.parse_message(None, token.text, "function")
            if not (call.args or call.kwargs or call.blocks):
                self.fail(f"{token.text}() needs an argument or a function block", token)
            return call
        return Name(token.text)

    def parse_class_primary(self) -> Node:
        name = self.advance().text
        if self.at_punct("(") or self.at_punct("{") or self.at_punct("#{"):
            return self.parse_message(ClassName(name), "new", "new")
        if self.at_punct("["):
            return self.parse_array(name)
        return ClassName(name)

    def parse_punct_primary(self, token: _Token) -> Node:
        text = token.text
        if text == "~":
            self.advance()
            return EnvVar(self.expect_name("a name after '~'"))
        if text == "[":
            return self.parse_array(None)
        if text in ("{", "#{"):
            return self.parse_function()
        if text == "(":
            return self.parse_paren_form()
        if text == "#" and self.at_punct("[", offset=1):
            self.advance()
            return self.parse_literal_array()
        self.fail(f"unexpected {token.describe()}")

    def parse_array(self, class_name: str | None) -> Array:
        self.advance()
        elements: list[Node] = []
        while not self.at_punct("]"):
            comments = self.take_comments()
            elements.append(_with_comments(self.parse_array_element(), comments))
            if not self.at_punct("]"):
                self.expect_punct(",", "between array elements")
        self.advance()
        return Array(tuple(elements), class_name)

    def parse_array_element(self) -> Node:
        if self.at("keyword"):
            key = self.advance().text
            return KeyValue(key, self.parse_sequence())
        element = self.parse_sequence()
        if self.at_punct(":"):
            self.advance()
            return KeyValue(element, self.parse_sequence())
        return element

    def parse_literal_array(self) -> LiteralArray:
        self.advance()
        elements: list[Node] = []
        while not self.at_punct("]"):
            comments = self.take_comments()
            elements.append(_with_comments(self.parse_list_literal(), comments))
            if not self.at_punct("]"):
                self.expect_punct(",", "between literal array elements")
        self.advance()
        return LiteralArray(tuple(elements))

    def parse_list_literal(self) -> Node:
        if self.at("binop", "-"):
            return self.parse_signed_primary()
        simple = self.parse_simple_literal()
        if simple is not None:
            return simple
        if self.at("name"):
            return Symbol(self.advance().text, "bare")
        if self.at_punct("["):
            return self.parse_literal_array()
        self.fail(f"{self.peek().describe()} cannot appear in a literal array #[...]")

    def parse_paren_form(self) -> Node:
        self.advance()
        if self.at_punct(")"):
            self.advance()
            return Event(())
        if self.at("keyword"):
            return self.parse_event_entries([])
        if self.at_punct(".."):
            self.advance()
            end = self.parse_expr()
            self.expect_punct(")", "after series")
            return Series(None, None, end)
        comments = self.take_comments()
        first = self.parse_expr()
        if self.at_punct("..") or self.at_punct(","):
            self.restore_comments(comments)
            return self.parse_series(first)
        if self.at_punct(":"):
            self.advance()
            entry = KeyValue(first, self.parse_sequence(), comments=tuple(comments))
            return self.parse_event_entries([entry])
        return self.parse_paren_rest(_with_comments(first, comments))

    def parse_series(self, start: Node) -> Series:
        second = None
        if self.at_punct(","):
            self.advance()
            second = self.parse_expr()
        self.expect_punct("..", "in series")
        end = None if self.at_punct(")") else self.parse_expr()
        self.expect_punct(")", "after series")
        return Series(start, second, end)

    def parse_paren_rest(self, first: Node) -> Paren:
        statements = [first]
        while self.at_punct(";"):
            self.advance()
            if self.at_punct(")"):
                break
            comments = self.take_comments()
            statements.append(_with_comments(self.parse_expr(), comments))
        self.expect_punct(")", "to close '('")
        return Paren(tuple(statements))

    def parse_event_entries(self, entries: list[KeyValue]) -> Event:
        if entries and not self.at_punct(")"):
            self.expect_punct(",", "between event entries")
        while not self.at_punct(")"):
            comments = tuple(self.take_comments())
            if self.at("keyword"):
                key: str | Node = self.advance().text
            else:
                key = self.parse_sequence()
                self.expect_punct(":", "after event key")
            entries.append(KeyValue(key, self.parse_sequence(), comments=comments))
            if not self.at_punct(")"):
                self.expect_punct(",", "between event entries")
        self.advance()
        return Event(tuple(entries))

    # -- functions -------------------------------------------------------------------------

    def parse_function(self) -> FunctionDef:
        closed = self.advance().text == "#{"
        params: tuple[Param, ...] = ()
        rest: str | None = None
        style: ArgStyle = "pipe"
        if self.at_word("arg"):
            params, rest = self.parse_arg_line()
            style = "arg"
        elif self.at("binop", "|"):
            params, rest = self.parse_pipe_params()
        var_decls = self.parse_var_decls()
        body = self.parse_statements(("punct", "}"))
        closing = tuple(self.take_comments())
        self.advance()
        return FunctionDef(params, rest, style, var_decls, body, closed, closing)

    def parse_arg_line(self) -> tuple[tuple[Param, ...], str | None]:
        self.advance()
        params: list[Param] = []
        rest = None
        while not self.at_punct("..."):
            comments = self.take_comments()
            name = self.expect_name("a parameter name")
            default = None
            if self.at_punct("="):
                self.advance()
                default = self.parse_expr()
            params.append(Param(name, default, comments=tuple(comments)))
            if not self.at_punct(","):
                break
            self.advance()
        if self.at_punct("..."):
            self.advance()
            rest = self.expect_name("a parameter name after '...'")
        self.expect_punct(";", "after arg declaration")
        return tuple(params), rest

    def parse_pipe_params(self) -> tuple[tuple[Param, ...], str | None]:
        self.advance()
        params: list[Param] = []
        rest = None
        while not self.at("binop", "|"):
            if self.at_punct("..."):
                self.advance()
                rest = self.expect_name("a parameter name after '...'")
                break
            comments = self.take_comments()
            name = self.expect_name("a parameter name or '|'")
            params.append(Param(name, self.parse_pipe_default(), comments=tuple(comments)))
            if self.at_punct(","):
                self.advance()
                if not self.at("name"):
                    self.fail(f"expected a parameter name, found {self.peek().describe()}")
        if not self.at("binop", "|"):
            self.fail(f"expected '|' to end the parameters, found {self.peek().describe()}")
        self.advance()
        return tuple(params), rest

    def parse_pipe_default(self) -> Node | None:
        if self.at_punct("="):
            self.advance()
        elif not self.at_slot_literal():
            return None
        if self.at_punct("("):
            self.advance()
            comments = self.take_comments()
            return self.parse_paren_rest(_with_comments(self.parse_expr(), comments))
        if not self.at_slot_literal():
            self.fail("a |parameter| default must be a literal or in parentheses")
        if self.at_punct("#"):
            self.advance()
            return self.parse_literal_array()
        return self.parse_signed_primary()

    def at_slot_literal(self) -> bool:
        token = self.peek()
        return (
            token.kind in _SLOT_LITERAL_KINDS
            or (token.kind == "name" and token.text in _CONSTANTS | {"pi", "inf"})
            or (token.kind == "binop" and token.text == "-")
            or (self.at_punct("#") and self.at_punct("[", offset=1))
            or self.at_punct("(")
        )


def _is_assignable(node: Node) -> bool:
    if isinstance(node, Name | EnvVar | Index | Slice):
        return True
    return _is_getter(node) or _is_function_setter(node)


def _is_function_setter(node: Node) -> bool:
    """``name(x) = value`` (which sends ``name_`` to ``x``)."""
    return (
        isinstance(node, Call)
        and node.receiver is None
        and bool(node.args)
        and not (node.kwargs or node.blocks)
    )


def _is_getter(node: Node) -> bool:
    return (
        isinstance(node, Call)
        and node.style == "method"
        and not (node.args or node.kwargs or node.blocks or node.parens)
    )


def parse(source: str) -> Program:
    """Parse SuperCollider code into a :class:`Program`.

    Raises :class:`SuperColliderSyntaxError` (with ``line`` and ``column``) when the code is not
    valid SuperCollider.
    """
    parser = _Parser(_tokenize(source))
    if not parser.is_whole_file_block():
        return _run_parser(parser, whole_file_block=False)
    try:
        return _run_parser(parser, whole_file_block=True)
    except SuperColliderSyntaxError as error:
        try:  # ( ... ) around the whole file may be one expression: (a: 1), (1..4)
            return _run_parser(_Parser(_tokenize(source)), whole_file_block=False)
        except SuperColliderSyntaxError:
            raise error from None


def _run_parser(parser: _Parser, whole_file_block: bool) -> Program:
    try:
        return parser.parse_program(whole_file_block)
    except RecursionError:
        token = parser.peek()
        raise SuperColliderSyntaxError(
            "code is nested too deeply", token.line, token.column
        ) from None


# --------------------------------------------------------------------------------------------
# Tree utilities
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# SynthDefs
# --------------------------------------------------------------------------------------------

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
    bound = dict(zip(_SYNTHDEF_PARAMS, call.args, strict=False))
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


# --------------------------------------------------------------------------------------------
# Printer
# --------------------------------------------------------------------------------------------

_WIDTH: Final = 100
_TAB: Final = "\t"
_TAB_WIDTH: Final = 4
_SYMBOL_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|")
_ENDS_WITH_WORD_RE: Final = re.compile(r"[A-Za-z0-9_]$")
_RADIX_AT_END_RE: Final = re.compile(r"(?<![A-Za-z0-9_.])\d+r[0-9A-Za-z.]*$")

_CommentedText: TypeAlias = tuple[tuple[Comment, ...], str]


def _width(line: str) -> int:
    stripped = line.lstrip(_TAB)
    return (len(line) - len(stripped)) * _TAB_WIDTH + len(stripped)


def _fits_after(prefix: str, text: str, level: int) -> bool:
    """Whether ``text`` fits on one line after ``prefix`` (which starts at ``level``)."""
    if "\n" in text:
        return False
    if "\n" in prefix:
        return _width(prefix.rsplit("\n", 1)[1] + text) <= _WIDTH
    return level * _TAB_WIDTH + len(prefix) + len(text) <= _WIDTH


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def _split_comments(
    comments: tuple[Comment, ...],
) -> tuple[tuple[Comment, ...], tuple[Comment, ...]]:
    """The comments that followed code on the same line, and those on lines of their own."""
    count = 0
    while count < len(comments) and not comments[count].own_line:
        count += 1
    return comments[:count], comments[count:]


class _Lines:
    """Output lines under construction, knowing whether the last line must be ended."""

    def __init__(self, first: str | None = None) -> None:
        self.lines: list[str] = [] if first is None else first.split("\n")
        self.needs_break = False

    @property
    def last(self) -> str:
        return self.lines[-1] if self.lines else ""

    def add_line(self, text: str) -> None:
        self.lines.extend(text.split("\n"))
        self.needs_break = False

    def extend_last(self, text: str) -> None:
        head, *tail = text.split("\n")
        if not self.lines:
            self.lines.append("")
        self.lines[-1] += head
        self.lines.extend(tail)

    def add_comments(self, comments: tuple[Comment, ...], indent: str) -> None:
        same_line, own_lines = _split_comments(comments)
        for comment in same_line:
            if self.last.strip() and not self.needs_break:
                self.extend_last(" " + comment.text)
            else:
                self.add_line(indent + comment.text)
            self.needs_break = comment.is_line_comment
        for comment in own_lines:
            self.add_line(indent + comment.text)
            self.needs_break = True

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class _Rendered(Node):
    """Text already rendered (used while laying out parameter lists); never cached."""

    text: str


_SLOT_LITERAL_TYPES: Final = (Number, String, Symbol, Char, Constant, LiteralArray, Paren)


class _Printer:
    """Renders nodes at an indentation level; continuation lines carry absolute indentation."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, int], str] = {}
        self.renderers: dict[type, Callable[[Any, int], str]] = {
            Number: lambda node, _: node.text,
            String: lambda node, _: f'"{node.raw}"',
            Symbol: lambda node, _: _symbol_text(node),
            Char: lambda node, _: "$" + node.raw,
            Constant: lambda node, _: node.word,
            CurryArg: lambda node, _: "_",
            Name: lambda node, _: node.name,
            ClassName: lambda node, _: node.name,
            EnvVar: lambda node, _: "~" + node.name,
            _Rendered: lambda node, _: node.text,
            Array: self.array,
            LiteralArray: self.literal_array,
            KeyValue: self.key_value,
            Event: self.event,
            Series: self.series,
            Ref: self.ref,
            KeywordArg: lambda node, level: f"{node.name}: {self.render(node.value, level)}",
            Splat: self.splat,
            Call: self.call,
            Index: self.index,
            Slice: self.slice,
            BinaryOp: self.binary_op,
            Assign: self.assign,
            MultiAssign: self.multi_assign,
            Return: lambda node, level: "^" + self.render(node.value, level),
            Paren: self.paren,
            Sequence: lambda node, level: "; ".join(self.render(n, level) for n in node.body),
            Param: lambda node, level: self.param(node, level, pipe=False),
            VarDef: self.var_def,
            VarDecl: self.var_decl,
            FunctionDef: self.function,
            Program: lambda node, _: self.program(node),
        }

    def render(self, node: Node, level: int) -> str:
        key = (id(node), level)
        text = self.cache.get(key)
        if text is None:
            renderer = self.renderers.get(type(node))
            if renderer is None:
                raise TypeError(f"cannot print {type(node).__name__}")
            text = renderer(node, level)
            if not isinstance(node, _Rendered):
                self.cache[key] = text
        return text

    # -- lists -----------------------------------------------------------------------------

    def commented(self, nodes: tuple[Node, ...], level: int) -> list[_CommentedText]:
        return [(node.comments, self.render(node, level)) for node in nodes]

    def inline_list(self, nodes: tuple[Node, ...], level: int) -> str | None:
        """``a, b, c`` when no element has comments or spans lines, else None."""
        if any(node.comments for node in nodes):
            return None
        texts = [self.render(node, level) for node in nodes]
        if any("\n" in text for text in texts):
            return None
        return ", ".join(texts)

    def broken_list(self, opener: str, nodes: tuple[Node, ...], closer: str, level: int) -> str:
        """One element per line, one level deeper than the opener and the closer."""
        lines = _Lines(opener)
        indent = _TAB * (level + 1)
        items = self.commented(nodes, level + 1)
        for position, (comments, text) in enumerate(items):
            lines.add_comments(comments, indent)
            lines.add_line(indent + text + ("," if position < len(items) - 1 else ""))
        lines.add_line(_TAB * level + closer)
        return lines.text()

    def filled_list(self, prefix: str, nodes: tuple[Node, ...], suffix: str, level: int) -> str:
        """Elements packed into lines of at most the page width; continuations one level deeper."""
        lines = _Lines(prefix)
        indent = _TAB * (level + 1)
        line_has_items = False
        for position, node in enumerate(nodes):
            if node.comments:
                lines.add_comments(node.comments, indent)
                line_has_items = True
            end = "," if position < len(nodes) - 1 else suffix
            if not line_has_items:  # right after the prefix
                lines.extend_last(self.render(node, level) + end)
                line_has_items = True
                continue
            piece = self.render(node, level + 1) + end
            if not lines.needs_break and _width(lines.last + " " + _first_line(piece)) <= _WIDTH:
                lines.extend_last(" " + piece)
            else:
                lines.add_line(indent + piece)
        if not nodes:
            lines.extend_last(suffix)
        return lines.text()

    def call_like(self, prefix: str, nodes: tuple[Node, ...], closer: str, level: int) -> str:
        """``prefix`` + arguments + ``closer``: on one line, hugging a last block, or broken."""
        inline = self.inline_list(nodes, level)
        if inline is not None and _fits_after(prefix, inline + closer, level):
            return prefix + inline + closer
        hugged = self.hugged_list(prefix, nodes, closer, level)
        if hugged is not None:
            return hugged
        return self.broken_list(prefix, nodes, closer, level)

    def hugged_list(
        self, prefix: str, nodes: tuple[Node, ...], closer: str, level: int
    ) -> str | None:
        """``f(a, {`` ... ``}, b)``: arguments on the call's lines, functions spanning lines.

        Only the last argument may be a multi-line non-function; None when a joined line
        would be too wide or an argument has comments.
        """
        if not nodes or any(node.comments for node in nodes):
            return None
        texts = [self.render(node, level) for node in nodes]
        if not any("\n" in text for text in texts):
            return None
        for node, text in zip(nodes[:-1], texts[:-1], strict=True):
            if "\n" in text and not isinstance(node, FunctionDef):
                return None
        rest = ", ".join(texts) + closer
        head, *tail = rest.split("\n")
        if not _fits_after(prefix, head, level) or any(_width(line) > _WIDTH for line in tail):
            return None
        return prefix + rest

    # -- literals and collections ----------------------------------------------------------

    def array(self, node: Array, level: int) -> str:
        return self.sequence((node.class_name or "") + "[", node.elements, "]", level)

    def sequence(self, opener: str, elements: tuple[Node, ...], closer: str, level: int) -> str:
        inline = self.inline_list(elements, level)
        if inline is not None and _fits_after(opener, inline + closer, level):
            return opener + inline + closer
        if all("\n" not in self.render(element, level + 1) for element in elements):
            return self.filled_list(opener, elements, closer, level)
        return self.broken_list(opener, elements, closer, level)

    def literal_array(self, node: LiteralArray, level: int) -> str:
        return _LiteralArrayPrinter().sequence("#[", node.elements, "]", level)

    def key_value(self, node: KeyValue, level: int) -> str:
        value = self.render(node.value, level)
        if isinstance(node.key, str):
            return f"{node.key}: {value}"
        key = self.render(node.key, level)
        colon = " : " if _ENDS_WITH_WORD_RE.search(key) else ": "
        return key + colon + value

    def event(self, node: Event, level: int) -> str:
        if not node.entries:
            return "()"
        return self.call_like("(", node.entries, ")", level)

    def optional(self, node: Node | None, level: int, before: str = "") -> str:
        return "" if node is None else before + self.render(node, level)

    def before_dots(self, node: Node, level: int) -> str:
        """A bound written before ``..`` (a radix literal there would swallow the dot)."""
        text = self.render(node, level)
        return f"({text})" if _RADIX_AT_END_RE.search(text) else text

    def range_bounds(self, start: Node | None, second: Node | None, level: int) -> str:
        """``start, second`` of a series or slice."""
        if second is not None:
            return self.optional(start, level) + ", " + self.before_dots(second, level)
        return "" if start is None else self.before_dots(start, level)

    def series(self, node: Series, level: int) -> str:
        bounds = self.range_bounds(node.start, node.second, level)
        return f"({bounds}..{self.optional(node.end, level)})"

    def ref(self, node: Ref, level: int) -> str:
        value = self.render(node.value, level)
        return "`" + (value if _is_ref_safe(node.value) else f"({value})")

    def splat(self, node: Splat, level: int) -> str:
        value = self.render(node.value, level)
        return ("* " if value[:1] in _BINOP_CHARS else "*") + value

    # -- calls -----------------------------------------------------------------------------

    def receiver_text(self, receiver: Node, level: int) -> str:
        """The receiver of ``.selector``, parenthesised when the dot would bind elsewhere."""
        text = self.render(receiver, level)
        if _needs_parens_as_receiver(receiver) or _RADIX_AT_END_RE.search(text):
            return f"({text})"
        return text

    def call_prefix(self, node: Call, level: int) -> str:
        if node.receiver is None:
            return node.selector
        receiver = self.receiver_text(node.receiver, level)
        if node.style == "new" and node.selector == "new" and isinstance(node.receiver, ClassName):
            return receiver
        if node.style == "value" and node.selector == "value":
            return receiver + "."
        return f"{receiver}.{node.selector}"

    def call(self, node: Call, level: int) -> str:
        prefix = self.call_prefix(node, level)
        text = prefix
        if _writes_parens(node):
            text = self.call_like(prefix + "(", (*node.args, *node.kwargs), ")", level)
        for block in node.blocks:
            text += " " + self.render(block, level)
        return text

    def indexed_receiver(self, receiver: Node, dot: bool, level: int) -> str:
        if dot:
            return self.receiver_text(receiver, level) + ".["
        text = self.render(receiver, level)
        return (f"({text})" if _needs_parens_as_indexed(receiver) else text) + "["

    def index(self, node: Index, level: int) -> str:
        opener = self.indexed_receiver(node.receiver, node.dot, level)
        return self.call_like(opener, node.args, "]", level)

    def slice(self, node: Slice, level: int) -> str:
        opener = self.indexed_receiver(node.receiver, node.dot, level)
        bounds = self.range_bounds(node.start, node.second, level)
        return f"{opener}{bounds}..{self.optional(node.end, level)}]"

    # -- operators and statements ----------------------------------------------------------

    def binary_op(self, node: BinaryOp, level: int) -> str:
        left = self.render(node.left, level)
        if isinstance(node.left, Assign | MultiAssign | Return):
            left = f"({left})"
        right = self.render(node.right, level)
        if isinstance(node.right, BinaryOp | Assign | MultiAssign | Return):
            right = f"({right})"
        adverb = f".{node.adverb}" if node.adverb is not None else ""
        return f"{left} {node.op}{adverb} {right}"

    def assign(self, node: Assign, level: int) -> str:
        if not _is_assignable(node.target):
            raise TypeError(f"cannot assign to {type(node.target).__name__}")
        return f"{self.render(node.target, level)} = {self.render(node.value, level)}"

    def multi_assign(self, node: MultiAssign, level: int) -> str:
        rest = f" ... {node.rest}" if node.rest is not None else ""
        return f"#{', '.join(node.names)}{rest} = {self.render(node.value, level)}"

    def paren(self, node: Paren, level: int) -> str:
        if not any(statement.comments for statement in node.body):
            inline = "; ".join(self.render(statement, level) for statement in node.body)
            if "\n" not in inline or len(node.body) == 1:
                return f"({inline})"
        lines = _Lines("(")
        self.add_block(lines, self.commented(node.body, level + 1), (), level + 1, False)
        lines.add_line(_TAB * level + ")")
        return lines.text()

    def add_block(
        self,
        lines: _Lines,
        items: list[_CommentedText],
        closing: tuple[Comment, ...],
        level: int,
        terminate_last: bool = True,
    ) -> None:
        """Statements one per line at ``level``, each ended by ``;``, with their comments."""
        indent = _TAB * level
        for position, (comments, text) in enumerate(items):
            lines.add_comments(comments, indent)
            last = position == len(items) - 1
            lines.add_line(indent + text + (";" if terminate_last or not last else ""))
        lines.add_comments(closing, indent)

    # -- functions -------------------------------------------------------------------------

    def param(self, node: Param, level: int, pipe: bool) -> str:
        if node.default is None:
            return node.name
        default = self.render(node.default, level)
        if pipe and not isinstance(node.default, _SLOT_LITERAL_TYPES):
            default = f"({default})"
        return f"{node.name} = {default}"

    def var_def(self, node: VarDef, level: int) -> str:
        if node.value is None:
            return node.name
        return f"{node.name} = {self.render(node.value, level)}"

    def var_decl(self, node: VarDecl, level: int) -> str:
        return self.filled_list("var ", node.defs, "", level)

    def param_items(self, node: FunctionDef, level: int) -> tuple[Node, ...]:
        pipe = node.arg_style == "pipe"
        items = [
            _Rendered(self.param(param, level + 1, pipe), comments=param.comments)
            for param in node.params
        ]
        if node.rest is not None and items:
            items[-1] = replace(items[-1], text=f"{items[-1].text} ... {node.rest}")
        elif node.rest is not None:
            items.append(_Rendered(f"... {node.rest}"))
        return tuple(items)

    def params_text(self, node: FunctionDef, level: int) -> str:
        """``|a, b = 1|`` or ``arg a, b = 1`` (the block adds the ``;``)."""
        if node.arg_style == "pipe":
            return self.filled_list("|", self.param_items(node, level), "|", level)
        return self.filled_list("arg ", self.param_items(node, level), "", level)

    def has_params(self, node: FunctionDef) -> bool:
        return bool(node.params) or node.rest is not None

    def function(self, node: FunctionDef, level: int) -> str:
        opener = "#{" if node.closed else "{"
        inline = self.inline_function(node, opener, level)
        if inline is not None:
            return inline
        header = opener
        items: list[_CommentedText] = []
        if self.has_params(node) and node.arg_style == "pipe":
            header += " " + self.params_text(node, level)
        elif self.has_params(node):
            items.append(((), self.params_text(node, level + 1)))
        items.extend(self.commented(node.var_decls, level + 1))
        items.extend(self.commented(node.body, level + 1))
        lines = _Lines(header)
        self.add_block(lines, items, node.closing_comments, level + 1, not node.body)
        lines.add_line(_TAB * level + "}")
        return lines.text()

    def inline_function(self, node: FunctionDef, opener: str, level: int) -> str | None:
        """``{ |i| expr }`` for a function of one short statement without comments."""
        if node.var_decls or node.closing_comments or len(node.body) > 1:
            return None
        if any(item.comments for item in (*node.params, *node.body)):
            return None
        parts = [opener]
        if self.has_params(node):
            terminator = ";" if node.arg_style == "arg" else ""
            parts.append(self.params_text(node, level) + terminator)
        parts.extend(self.render(statement, level) for statement in node.body)
        text = " ".join(parts) + " }"
        return text if _fits_after("", text, level) else None

    def program(self, node: Program) -> str:
        items = self.commented(node.var_decls, 0) + self.commented(node.body, 0)
        lines = _Lines()
        lines.add_comments(node.comments, "")
        if node.parenthesized:
            lines.add_line("(")
        self.add_block(lines, items, node.closing_comments, 0)
        if node.parenthesized:
            lines.add_line(")")
            lines.add_comments(node.footer_comments, "")
        return lines.text() + "\n"


class _LiteralArrayPrinter(_Printer):
    """Prints the inside of ``#[...]``: bare symbols stay bare, nested arrays lose the ``#``."""

    def __init__(self) -> None:
        super().__init__()
        self.renderers[Symbol] = _bare_symbol_text
        self.renderers[LiteralArray] = self.nested_array

    def nested_array(self, node: LiteralArray, level: int) -> str:
        return self.sequence("[", node.elements, "]", level)


def _bare_symbol_text(node: Symbol, _level: int) -> str:
    return node.name if node.style == "bare" else _symbol_text(node)


def _symbol_text(node: Symbol) -> str:
    if node.style != "quoted" and _SYMBOL_NAME_RE.fullmatch(node.name):
        return "\\" + node.name
    return "'" + node.name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _writes_parens(node: Call) -> bool:
    if node.parens or node.args or node.kwargs:
        return True
    if node.blocks:
        return False
    return node.receiver is None or node.style in ("new", "value")


def _needs_parens_as_receiver(node: Node) -> bool:
    return isinstance(node, BinaryOp | Assign | MultiAssign | Return)


def _needs_parens_as_indexed(node: Node) -> bool:
    if isinstance(node, BinaryOp | Assign | MultiAssign | Return | Ref | ClassName):
        return True
    return isinstance(node, Index | Slice) and node.dot


def _is_ref_safe(node: Node) -> bool:
    """Whether `` `node `` reads back as a reference to the whole of ``node``."""
    if isinstance(node, BinaryOp | Assign | MultiAssign | Return):
        return False
    if isinstance(node, Call):
        return node.receiver is None or node.style == "new"
    if isinstance(node, Index | Slice):
        return not node.dot and _is_ref_safe(node.receiver)
    return True


def print_code(node: Node) -> str:
    """SuperCollider source for ``node``: deterministic, tab-indented, 100 columns wide.

    A :class:`Program` prints as a whole file (ending in a newline); any other node prints as
    an expression. The output of an unmodified parse compiles to the same SynthDef bytes as
    the original code, and ``parse(print_code(tree)) == tree``.
    """
    return _Printer().render(node, 0)
