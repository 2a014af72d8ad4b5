"""The values of number, string and character literals, read from their source spelling."""

from __future__ import annotations

import math
import re
from typing import Final

_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", "f": "\f", "v": "\v"}
_RADIX_RE: Final = r"(\d+)r([0-9A-Za-z]*(?:\.[0-9A-Za-z]*)?)"
_ACCIDENTAL_CENTS_RE: Final = r"(\d+)([sb])(\d+)"
_ACCIDENTAL_STEPS_RE: Final = r"(\d+)(s+|b+)"


def unescape_string(raw: str) -> str:
    out: list[str] = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            out.append(_ESCAPES.get(escaped, escaped))
        else:
            out.append(char)
    return "".join(out)


def digit_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    return ord(char.lower()) - ord("a") + 10


def _radix_value(radix: int, digits: str) -> int | float:
    whole = 0
    for char in digits.replace(".", ""):
        whole = whole * radix + digit_value(char)
    if "." not in digits:
        return whole
    decimals = len(digits) - 1 - digits.index(".")
    return whole / math.pow(radix, decimals)


def _accidental_value(body: str, negative: bool) -> float | None:
    cents = re.fullmatch(_ACCIDENTAL_CENTS_RE, body)
    steps = re.fullmatch(_ACCIDENTAL_STEPS_RE, body)
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
    radix = re.fullmatch(_RADIX_RE, body)
    if radix:
        return _radix_value(int(radix.group(1)), radix.group(2))
    if re.fullmatch(r"\d+", body):
        return int(body)
    return float(body)


def number_value(text: str) -> int | float:
    negative = text.startswith("-")
    body = text[1:] if negative else text
    if body == "pi":
        return -math.pi if negative else math.pi
    accidental = _accidental_value(body, negative)
    if accidental is not None:
        return accidental
    with_pi = body.endswith("pi") and not re.fullmatch(_RADIX_RE, body)
    value = _unsigned_number_value(body[:-2] if with_pi else body)
    if with_pi:
        value = value * math.pi
    return -value if negative else value
