"""The tokens the lexer produces and the parser reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from audiomancer.supercollider.syntax.nodes import Comment

BINOP_CHARS: Final = frozenset("!@%&*-+=|<>?/")
PUNCTUATION: Final = frozenset("()[]{},;:^~`")
IDENT_START: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
IDENT_CHARS: Final = IDENT_START | frozenset("0123456789")
DIGITS: Final = frozenset("0123456789")
HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
WHITESPACE: Final = frozenset(" \t\n\r\v\f")
OPENERS: Final = {"(": ")", "[": "]", "{": "}", "#{": "}"}


@dataclass
class Token:
    kind: (
        str  # name class keyword number string symbol qsymbol char binop punct curry primitive eof
    )
    text: str
    line: int
    column: int
    comments: list[Comment] = field(default_factory=list)

    def describe(self) -> str:
        return "end of input" if self.kind == "eof" else repr(self.text)
