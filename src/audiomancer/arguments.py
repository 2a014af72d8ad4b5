"""Checks of arguments shared by the pattern, synth and groove operations."""

from __future__ import annotations

import math

__all__ = ["validate_amount"]


def validate_amount(amount: float, name: str = "amount") -> float:
    """Return an amount or rate in 0.0-1.0 as float; ValueError naming it and the value if not."""
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int | float)
        or not math.isfinite(amount)
        or not 0.0 <= amount <= 1.0
    ):
        raise ValueError(f"invalid {name} {amount!r}: expected a number from 0.0 to 1.0")
    return float(amount)
