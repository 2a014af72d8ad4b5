"""What an operator is: ``(program, rng, amount) -> (program, log)``, or :class:`NotApplicable`."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from audiomancer.supercollider import syntax as sc


class NotApplicable(Exception):
    """An operator has nothing to act on in this SynthDef; the message says why."""


Result = tuple[sc.Program, list[str]]
Operator = Callable[[sc.Program, random.Random, float], Result]
N = TypeVar("N", bound=sc.Node)
