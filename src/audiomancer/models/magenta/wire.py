"""A small reader of the protobuf wire format: enough to read Magenta bundles and TF checkpoints.

``fields(data)`` yields ``(number, wire_type, value)``: an int for varints (type 0) and fixed
64/32-bit fields (types 1, 5; the raw little-endian integer), bytes for length-delimited fields
(type 2). Anything malformed raises WireError with the byte offset.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator


class WireError(ValueError):
    """Bytes that are not a valid protobuf message."""


def varint(data: bytes, offset: int) -> tuple[int, int]:
    """The varint at ``offset`` and the offset after it."""
    result = shift = 0
    while True:
        if offset >= len(data):
            raise WireError(f"a varint runs past the end at byte {offset}")
        byte = data[offset]
        offset += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, offset
        shift += 7
        if shift > 63:
            raise WireError(f"a varint is longer than 10 bytes at byte {offset}")


def fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Every field of a message, in order."""
    offset = 0
    end = len(data)
    while offset < end:
        start = offset
        key, offset = varint(data, offset)
        number, kind = key >> 3, key & 7
        if number == 0:
            raise WireError(f"field number 0 at byte {start}")
        if kind == 0:
            value, offset = varint(data, offset)
            yield number, kind, value
        elif kind == 2:
            size, offset = varint(data, offset)
            if offset + size > end:
                raise WireError(
                    f"field {number} at byte {start} claims {size} bytes; {end - offset} remain"
                )
            yield number, kind, data[offset : offset + size]
            offset += size
        elif kind in (1, 5):
            width = 8 if kind == 1 else 4
            if offset + width > end:
                raise WireError(f"field {number} at byte {start} runs past the end")
            yield number, kind, int.from_bytes(data[offset : offset + width], "little")
            offset += width
        else:
            raise WireError(f"unsupported wire type {kind} (field {number}) at byte {start}")


def message(data: bytes) -> dict[int, list[int | bytes]]:
    """All fields of a message by number (repeated fields keep their order)."""
    result: dict[int, list[int | bytes]] = {}
    for number, _, value in fields(data):
        result.setdefault(number, []).append(value)
    return result


def one_bytes(msg: dict[int, list[int | bytes]], number: int, default: bytes = b"") -> bytes:
    """The last value of a length-delimited field (protobuf's rule for repeated scalars)."""
    values = msg.get(number)
    if not values:
        return default
    value = values[-1]
    if not isinstance(value, bytes):
        raise WireError(f"field {number} is a number, expected bytes")
    return value


def one_int(msg: dict[int, list[int | bytes]], number: int, default: int = 0) -> int:
    """The last value of a varint field."""
    values = msg.get(number)
    if not values:
        return default
    value = values[-1]
    if not isinstance(value, int):
        raise WireError(f"field {number} is bytes, expected a number")
    return value


def packed_floats(values: list[int | bytes]) -> list[float]:
    """A repeated float field, packed (bytes) or not (fixed32 ints), as Python floats."""
    out: list[float] = []
    for value in values:
        if isinstance(value, bytes):
            if len(value) % 4:
                raise WireError(f"packed floats of {len(value)} bytes")
            out.extend(struct.unpack(f"<{len(value) // 4}f", value))
        else:
            out.append(struct.unpack("<f", value.to_bytes(4, "little"))[0])
    return out


def packed_varints(values: list[int | bytes]) -> list[int]:
    """A repeated varint field, packed or not."""
    out: list[int] = []
    for value in values:
        if isinstance(value, bytes):
            offset = 0
            while offset < len(value):
                number, offset = varint(value, offset)
                out.append(number)
        else:
            out.append(value)
    return out
