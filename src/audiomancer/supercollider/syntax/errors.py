"""The error raised for SuperCollider code that does not parse."""

from __future__ import annotations

from audiomancer.errors import SynthDefError


class SuperColliderSyntaxError(SynthDefError):
    """SuperCollider code that does not parse; ``line`` and ``column`` count from 1."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.reason = message
        self.line = line
        self.column = column
