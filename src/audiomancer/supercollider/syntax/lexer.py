"""Turns SuperCollider source text into tokens, checking that brackets match."""

from __future__ import annotations

from typing import NoReturn

from audiomancer.supercollider.syntax.errors import SuperColliderSyntaxError
from audiomancer.supercollider.syntax.literals import digit_value
from audiomancer.supercollider.syntax.nodes import Comment
from audiomancer.supercollider.syntax.tokens import (
    BINOP_CHARS,
    DIGITS,
    HEX_DIGITS,
    IDENT_CHARS,
    IDENT_START,
    OPENERS,
    PUNCTUATION,
    WHITESPACE,
    Token,
)


class Lexer:
    """Turns source text into tokens that carry the comments written before them."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.line = 1
        self.column = 1
        self.tokens: list[Token] = []
        self.comments: list[Comment] = []
        self.last_token_line = 0

    def run(self) -> list[Token]:
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
        self.tokens.append(Token(kind, text, line, column, self.comments))
        self.comments = []
        self.last_token_line = self.line

    # -- trivia ----------------------------------------------------------------------------

    def skip_trivia(self) -> None:
        while self.pos < len(self.src):
            char = self.peek()
            if char in WHITESPACE or not 32 <= ord(char) < 127:
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
        if char in IDENT_START:
            self.lex_word(line, column)
        elif char in DIGITS:
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
        elif char == "=" and self.peek(1) not in BINOP_CHARS:
            self.emit("punct", self.advance(), line, column)
        elif char in BINOP_CHARS:
            self.emit("binop", self.advance_while(BINOP_CHARS), line, column)
        elif char in PUNCTUATION:
            self.emit("punct", self.advance(), line, column)
        else:
            self.error(f"illegal character {char!r}")

    def lex_word(self, line: int, column: int) -> None:
        word = self.advance_while(IDENT_CHARS)
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
        digits = self.advance_while(DIGITS)
        char = self.peek()
        if char == "r":
            self.advance()
            self.lex_radix_digits(int(digits))
        elif char in ("e", "E"):
            self.lex_exponent()
        elif char == "." and self.peek(1) in DIGITS and self.peek(1):
            self.advance()
            self.advance_while(DIGITS)
            if self.peek() in ("e", "E") and self.peek():
                self.lex_exponent()
        elif char in ("b", "s") and char:
            self.lex_accidental(char)
        elif char == "x":
            self.advance()
            self.advance_while(HEX_DIGITS)
        return self.src[start : self.pos]

    def lex_radix_digits(self, radix: int) -> None:
        def valid(char: str, lower: bool) -> bool:
            if not char or not char.isalnum() or not char.isascii():
                return False
            if char.islower() and not lower:
                return False
            return digit_value(char) < radix

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
        if not self.peek() or self.peek() not in DIGITS:
            self.error("a number's exponent needs digits")
        self.advance_while(DIGITS)

    def lex_accidental(self, accidental: str) -> None:
        self.advance()
        if self.peek() and self.peek() in DIGITS:
            self.advance_while(DIGITS)
        else:
            self.advance_while(frozenset(accidental))

    def lex_string(self) -> str:
        parts: list[str] = []
        while True:
            parts.append(self.lex_one_string())
            ahead = self.pos
            while ahead < len(self.src) and self.src[ahead] in WHITESPACE:
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
        if self.peek() and self.peek() in IDENT_START:
            return self.advance_while(IDENT_CHARS)
        if self.peek() and self.peek() in DIGITS:
            return self.advance_while(DIGITS)
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


def _check_brackets(tokens: list[Token]) -> None:
    stack: list[Token] = []
    for token in tokens:
        if token.kind != "punct":
            continue
        if token.text in OPENERS:
            stack.append(token)
        elif token.text in (")", "]", "}"):
            if not stack:
                raise SuperColliderSyntaxError(
                    f"unmatched {token.text!r}", token.line, token.column
                )
            opener = stack.pop()
            if OPENERS[opener.text] != token.text:
                raise SuperColliderSyntaxError(
                    f"{opener.text!r} opened at line {opener.line}, column {opener.column} "
                    f"is closed by {token.text!r}",
                    token.line,
                    token.column,
                )
    if stack:
        opener = stack[-1]
        raise SuperColliderSyntaxError(f"unclosed {opener.text!r}", opener.line, opener.column)


def tokenize(source: str) -> list[Token]:
    tokens = Lexer(source.replace("\r\n", "\n").replace("\r", "\n")).run()
    _check_brackets(tokens)
    return tokens
