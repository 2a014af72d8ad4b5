"""Recursive-descent parser from tokens to the AST, following SuperCollider's lang11d grammar."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Final, NoReturn

from audiomancer.supercollider.syntax.errors import SuperColliderSyntaxError
from audiomancer.supercollider.syntax.lexer import tokenize
from audiomancer.supercollider.syntax.nodes import (
    ArgStyle,
    Array,
    Assign,
    BinaryOp,
    Call,
    CallStyle,
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
from audiomancer.supercollider.syntax.tokens import OPENERS, Token

_CONSTANTS: Final = frozenset({"nil", "true", "false"})
_DECLARATION_WORDS: Final = frozenset({"var", "arg", "classvar", "const"})
_SLOT_LITERAL_KINDS: Final = frozenset({"number", "string", "symbol", "qsymbol", "char"})


def _with_comments(node: Node, comments: list[Comment]) -> Node:
    if not comments:
        return node
    return replace(node, comments=(*comments, *node.comments))


class Parser:
    """Recursive-descent parser following SuperCollider's lang11d grammar."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.pending: list[Comment] = []

    # -- token access ----------------------------------------------------------------------

    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def at(self, kind: str, text: str | None = None, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token.kind == kind and (text is None or token.text == text)

    def at_punct(self, text: str, offset: int = 0) -> bool:
        return self.at("punct", text, offset)

    def at_word(self, word: str, offset: int = 0) -> bool:
        return self.at("name", word, offset)

    def advance(self) -> Token:
        token = self.peek()
        self.pending.extend(token.comments)
        token.comments = []
        if token.kind != "eof":
            self.index += 1
        return token

    def expect_punct(self, text: str, context: str = "") -> Token:
        if not self.at_punct(text):
            where = f" {context}" if context else ""
            self.fail(f"expected {text!r}{where}, found {self.peek().describe()}")
        return self.advance()

    def expect_name(self, what: str) -> str:
        if not self.at("name"):
            self.fail(f"expected {what}, found {self.peek().describe()}")
        return self.advance().text

    def fail(self, message: str, token: Token | None = None) -> NoReturn:
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
            if token.kind == "punct" and token.text in OPENERS:
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
        if self.at_punct("=") and is_assignable(operand):
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

    def parse_punct_primary(self, token: Token) -> Node:
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


def is_assignable(node: Node) -> bool:
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
    parser = Parser(tokenize(source))
    if not parser.is_whole_file_block():
        return _run_parser(parser, whole_file_block=False)
    try:
        return _run_parser(parser, whole_file_block=True)
    except SuperColliderSyntaxError as error:
        try:  # ( ... ) around the whole file may be one expression: (a: 1), (1..4)
            return _run_parser(Parser(tokenize(source)), whole_file_block=False)
        except SuperColliderSyntaxError:
            raise error from None


def _run_parser(parser: Parser, whole_file_block: bool) -> Program:
    try:
        return parser.parse_program(whole_file_block)
    except RecursionError:
        token = parser.peek()
        raise SuperColliderSyntaxError(
            "code is nested too deeply", token.line, token.column
        ) from None
