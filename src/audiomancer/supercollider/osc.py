"""Open Sound Control 1.0 encoding, and the binary score files that ``scsynth -N`` reads.

Only what audiomancer sends to scsynth is covered: messages whose arguments are int32 (``i``),
float32 (``f``), string (``s``) or blob (``b``), and bundles of them. Everything is big-endian and
every part is padded with zero bytes to a multiple of 4 bytes, as OSC 1.0 specifies:

- a string is its UTF-8 bytes, one terminating zero byte, then zero to three more zero bytes;
- a blob is an int32 byte count, the bytes, then padding;
- a message is the address pattern (a string), the type tag string (``","`` followed by one tag
  per argument) and the arguments;
- a bundle is the string ``"#bundle"``, a 64-bit time tag and its elements, each an int32 size
  followed by a message or a bundle.

A time tag is a 32.32 fixed-point number: whole seconds in the upper 32 bits, the fraction of a
second in the lower 32. Real-time OSC counts seconds since 1900 (NTP); a non-real-time score
counts seconds since the start of the render, which is how :class:`Bundle` uses it.

A score file for non-real-time synthesis is a sequence of bundles in time order, each preceded
by its size as an int32 (:func:`encode_score`). scsynth stops rendering at the last bundle's
time.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

OscArgument: TypeAlias = int | float | str | bytes
"""An argument of a message: int -> ``i``, float -> ``f``, str -> ``s``, bytes -> ``b``."""

BUNDLE_TAG: Final = b"#bundle\x00"
IMMEDIATELY: Final = 1
"""The raw time tag meaning "now" (all zero bits but the last)."""

_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1
_TIMETAG_LIMIT: Final = 2**32
"""Seconds are the upper 32 bits of a time tag, so a time must stay below this."""


def _pad(data: bytes) -> bytes:
    """data followed by zero bytes up to the next multiple of 4 (none if already aligned)."""
    return data + b"\x00" * (-len(data) % 4)


def encode_string(text: str) -> bytes:
    """An OSC string: UTF-8 bytes, a terminating zero byte, padding to a multiple of 4."""
    data = text.encode("utf-8")
    if b"\x00" in data:
        raise ValueError(f"an OSC string cannot hold a zero character: {text!r}")
    return _pad(data + b"\x00")


def encode_blob(data: bytes) -> bytes:
    """An OSC blob: int32 size, the bytes, padding to a multiple of 4."""
    return struct.pack(">i", len(data)) + _pad(bytes(data))


def encode_int32(value: int) -> bytes:
    """A big-endian two's-complement int32; ValueError when out of range."""
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise ValueError(f"{value} does not fit in an OSC int32")
    return struct.pack(">i", value)


def encode_float32(value: float) -> bytes:
    """A big-endian IEEE 754 float32 (NaN and infinities pass through; huge values overflow)."""
    try:
        return struct.pack(">f", value)
    except OverflowError:
        raise ValueError(f"{value} does not fit in an OSC float32") from None


def encode_argument(value: OscArgument) -> tuple[str, bytes]:
    """(type tag, encoded bytes) of one argument."""
    # bool is an int in Python; OSC 1.0 has no boolean, so refuse rather than guess.
    if isinstance(value, bool):
        raise TypeError(f"OSC 1.0 has no boolean type: pass 0 or 1 instead of {value!r}")
    if isinstance(value, int):
        return "i", encode_int32(value)
    if isinstance(value, float):
        return "f", encode_float32(value)
    if isinstance(value, str):
        return "s", encode_string(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "b", encode_blob(bytes(value))
    raise TypeError(f"cannot encode {value!r} ({type(value).__name__}) as an OSC argument")


def encode_timetag(seconds: float) -> bytes:
    """A 64-bit time tag for ``seconds`` as 32.32 fixed point (rounded to the nearest step).

    In a non-real-time score the seconds count from the start of the render.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"invalid OSC time {seconds!r}: expected a finite number >= 0")
    raw = round(seconds * _TIMETAG_LIMIT)
    if raw >= _TIMETAG_LIMIT**2:
        raise ValueError(f"OSC time {seconds!r} s is too large for a 32.32 time tag")
    return struct.pack(">Q", raw)


def decode_timetag(data: bytes) -> float:
    """Seconds of a 64-bit 32.32 time tag (the inverse of :func:`encode_timetag`)."""
    (raw,) = struct.unpack(">Q", data)
    return float(raw) / _TIMETAG_LIMIT


@dataclass(frozen=True)
class Message:
    """An OSC message: an address such as ``/s_new`` and its arguments."""

    address: str
    args: tuple[OscArgument, ...] = ()

    def __post_init__(self) -> None:
        if not self.address.startswith("/"):
            raise ValueError(f"an OSC address must start with '/': {self.address!r}")
        object.__setattr__(self, "args", tuple(self.args))

    def encode(self) -> bytes:
        """The message's bytes."""
        tags = [","]
        parts: list[bytes] = []
        for value in self.args:
            tag, data = encode_argument(value)
            tags.append(tag)
            parts.append(data)
        return encode_string(self.address) + encode_string("".join(tags)) + b"".join(parts)


def message(address: str, *args: OscArgument) -> Message:
    """Shorthand for ``Message(address, args)``."""
    return Message(address, tuple(args))


@dataclass(frozen=True)
class Bundle:
    """An OSC bundle: a time in seconds and messages (or nested bundles) to run at that time."""

    time: float
    contents: tuple[Message | Bundle, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "contents", tuple(self.contents))
        encode_timetag(self.time)  # validate early

    def encode(self) -> bytes:
        """The bundle's bytes: ``#bundle``, the time tag, then each element with its size."""
        parts = [BUNDLE_TAG, encode_timetag(self.time)]
        for element in self.contents:
            data = element.encode()
            parts.append(struct.pack(">i", len(data)))
            parts.append(data)
        return b"".join(parts)


def encode_score(bundles: Iterable[Bundle]) -> bytes:
    """A non-real-time score file: each bundle, in time order, preceded by its int32 size.

    Bundles are sorted by time (stably, so bundles at the same time keep their order).
    """
    parts: list[bytes] = []
    for bundle in sorted(bundles, key=lambda b: b.time):
        data = bundle.encode()
        parts.append(struct.pack(">i", len(data)))
        parts.append(data)
    return b"".join(parts)


# -- decoding (for tests and diagnostics) -----------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def take(self, size: int) -> bytes:
        end = self.position + size
        if size < 0 or end > len(self.data):
            raise ValueError(f"truncated OSC data at byte {self.position}")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def string(self) -> str:
        end = self.data.find(b"\x00", self.position)
        if end < 0:
            raise ValueError(f"unterminated OSC string at byte {self.position}")
        text = self.data[self.position : end].decode("utf-8")
        self.position = end + 1 + (-(end + 1 - self.position) % 4)
        if self.position > len(self.data):
            raise ValueError("truncated OSC string padding")
        return text

    def int32(self) -> int:
        value: int = struct.unpack(">i", self.take(4))[0]
        return value

    def done(self) -> bool:
        return self.position >= len(self.data)


def decode_message(data: bytes) -> Message:
    """Parse one message's bytes (types ``i``, ``f``, ``s``, ``b``)."""
    reader = _Reader(data)
    address = reader.string()
    tags = reader.string()
    if not tags.startswith(","):
        raise ValueError(f"OSC type tag string must start with ',': {tags!r}")
    args: list[OscArgument] = []
    for tag in tags[1:]:
        if tag == "i":
            args.append(reader.int32())
        elif tag == "f":
            args.append(float(struct.unpack(">f", reader.take(4))[0]))
        elif tag == "s":
            args.append(reader.string())
        elif tag == "b":
            size = reader.int32()
            args.append(reader.take(size))
            reader.take(-size % 4)
        else:
            raise ValueError(f"unsupported OSC type tag {tag!r}")
    return Message(address, tuple(args))


def decode_packet(data: bytes) -> Message | Bundle:
    """Parse a message or a bundle (recursively)."""
    if not data.startswith(BUNDLE_TAG):
        return decode_message(data)
    reader = _Reader(data)
    reader.take(len(BUNDLE_TAG))
    time = decode_timetag(reader.take(8))
    contents: list[Message | Bundle] = []
    while not reader.done():
        contents.append(decode_packet(reader.take(reader.int32())))
    return Bundle(time, tuple(contents))


def decode_score(data: bytes) -> list[Bundle]:
    """The bundles of a non-real-time score file (the inverse of :func:`encode_score`)."""
    reader = _Reader(data)
    bundles: list[Bundle] = []
    while not reader.done():
        packet = decode_packet(reader.take(reader.int32()))
        if not isinstance(packet, Bundle):
            raise ValueError("a score file holds only bundles")
        bundles.append(packet)
    return bundles


def score_messages(bundles: Sequence[Bundle]) -> list[tuple[float, Message]]:
    """Every message of a score with its bundle's time, flattening nested bundles."""
    found: list[tuple[float, Message]] = []

    def walk(time: float, element: Message | Bundle) -> None:
        if isinstance(element, Message):
            found.append((time, element))
        else:
            for inner in element.contents:
                walk(element.time, inner)

    for bundle in bundles:
        walk(bundle.time, bundle)
    return found
