"""A deterministic pretty printer for the AST: tabs, 100 columns, literals in their spelling."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final, TypeAlias

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
from audiomancer.supercollider.syntax.parser import is_assignable
from audiomancer.supercollider.syntax.tokens import BINOP_CHARS

_WIDTH: Final = 100
_TAB: Final = "\t"
_TAB_WIDTH: Final = 4
_SYMBOL_NAME_RE: Final = r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|"
_ENDS_WITH_WORD_RE: Final = r"[A-Za-z0-9_]$"
_RADIX_AT_END_RE: Final = r"(?<![A-Za-z0-9_.])\d+r[0-9A-Za-z.]*$"

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
        colon = " : " if re.search(_ENDS_WITH_WORD_RE, key) else ": "
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
        return f"({text})" if re.search(_RADIX_AT_END_RE, text) else text

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
        return ("* " if value[:1] in BINOP_CHARS else "*") + value

    # -- calls -----------------------------------------------------------------------------

    def receiver_text(self, receiver: Node, level: int) -> str:
        """The receiver of ``.selector``, parenthesised when the dot would bind elsewhere."""
        text = self.render(receiver, level)
        if _needs_parens_as_receiver(receiver) or re.search(_RADIX_AT_END_RE, text):
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
        if not is_assignable(node.target):
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
    if node.style != "quoted" and re.fullmatch(_SYMBOL_NAME_RE, node.name):
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
