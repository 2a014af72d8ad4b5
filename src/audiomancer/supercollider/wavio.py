"""WAV files read and written in blocks, so long renders never sit in memory whole.

:func:`scan` measures a WAV file block by block (peak, sum of squares, last audible frame);
:class:`WavWriter` writes PCM (16, 24 bit) or IEEE float (32 bit) WAV that every common reader,
Python's :mod:`wave` included (for PCM), opens. Only plain (non-extensible) little-endian WAV with
one ``fmt`` and one ``data`` chunk is written; reading accepts the layouts scsynth writes.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Final, Literal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

OutputFormat = Literal["int16", "int24", "float"]
OUTPUT_FORMATS: Final[tuple[str, ...]] = ("int16", "int24", "float")
BLOCK_FRAMES: Final = 65536
"""Frames per block read or written (a few MB at most for any channel count we render)."""

_PCM: Final = 1
_FLOAT: Final = 3
_EXTENSIBLE: Final = 0xFFFE


@dataclass(frozen=True)
class WavLayout:
    """Where a WAV file's samples are and how they are stored."""

    tag: int
    channels: int
    rate: int
    bits: int
    data_offset: int
    frames: int


def layout(path: Path) -> WavLayout:
    """The layout of a WAV file, reading only its chunk headers; ValueError if not WAV."""
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path} is not a RIFF WAVE file")
        fmt: bytes | None = None
        while True:
            header = handle.read(8)
            if len(header) < 8:
                raise ValueError(f"{path} lacks a fmt or data chunk")
            chunk_id = header[:4]
            (size,) = struct.unpack("<I", header[4:])
            if chunk_id == b"fmt ":
                fmt = handle.read(size + (size & 1))
            elif chunk_id == b"data":
                if fmt is None or len(fmt) < 16:
                    raise ValueError(f"{path}: data before fmt chunk")
                tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
                if tag == _EXTENSIBLE and len(fmt) >= 26:
                    (tag,) = struct.unpack_from("<H", fmt, 24)
                width = bits // 8
                if channels < 1 or width < 1:
                    raise ValueError(f"{path}: unsupported WAV layout")
                data_offset = handle.tell()
                end = handle.seek(0, 2)
                available = min(size, end - data_offset)
                return WavLayout(
                    tag, channels, rate, bits, data_offset, available // (width * channels)
                )
            else:
                handle.seek(size + (size & 1), 1)


def blocks(path: Path, frames: int = BLOCK_FRAMES) -> Iterator[npt.NDArray[np.float32]]:
    """The samples of a 32-bit float WAV (as scsynth renders), block by block, (frames, ch)."""
    import numpy as np

    info = layout(path)
    if info.tag != _FLOAT or info.bits != 32:
        raise ValueError(f"{path}: expected a 32-bit float WAV (tag {info.tag}, {info.bits} bit)")
    with open(path, "rb") as handle:
        handle.seek(info.data_offset)
        left = info.frames
        while left > 0:
            count = min(frames, left)
            raw = handle.read(count * 4 * info.channels)
            got = len(raw) // (4 * info.channels)
            if got == 0:
                return
            yield np.frombuffer(raw[: got * 4 * info.channels], dtype="<f4").reshape(
                got, info.channels
            )
            left -= got


class WavWriter:
    """Writes a WAV file block by block: ``write(samples)`` with floats at full scale 1.0.

    PCM samples are rounded and clipped to the integer range; float is written as it is. The
    header's sizes are filled in on :meth:`close` (or leaving the ``with`` block).
    """

    def __init__(self, path: Path, channels: int, rate: int, fmt: OutputFormat) -> None:
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"invalid sample format {fmt!r}: expected one of {OUTPUT_FORMATS}")
        self.path = Path(path)
        self.channels = channels
        self.rate = rate
        self.fmt = fmt
        self.width = {"int16": 2, "int24": 3, "float": 4}[fmt]
        self.frames = 0
        self._handle: BinaryIO = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        self._handle.write(self._header(0))

    def _header(self, frames: int) -> bytes:
        size = frames * self.channels * self.width
        tag = _FLOAT if self.fmt == "float" else _PCM
        block_align = self.channels * self.width
        fmt = struct.pack(
            "<HHIIHH", tag, self.channels, self.rate, self.rate * block_align, block_align,
            self.width * 8,
        )  # fmt: skip
        return (
            b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + size + (size & 1)) + b"WAVE"
            + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", size)
        )  # fmt: skip

    def write(self, samples: npt.NDArray[np.floating]) -> None:
        """Append frames shaped (frames, channels)."""
        import numpy as np

        if samples.shape[1] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {samples.shape[1]}")
        if self.fmt == "float":
            data = samples.astype("<f4").tobytes()
        else:
            top = 32767 if self.fmt == "int16" else 8388607
            scaled = np.multiply(samples, top, dtype=np.float64)  # one temporary, worked in place
            np.rint(scaled, out=scaled)
            np.clip(scaled, -top - 1, top, out=scaled)
            if self.fmt == "int16":
                data = scaled.astype("<i2").tobytes()
            else:  # the three low bytes of each 32-bit value, little-endian
                values = scaled.astype(np.int32).reshape(-1)
                packed = np.empty(values.size * 3, np.uint8)
                packed[0::3] = values & 0xFF
                packed[1::3] = (values >> 8) & 0xFF
                packed[2::3] = (values >> 16) & 0xFF
                data = packed.tobytes()
        self._handle.write(data)
        self.frames += samples.shape[0]

    def close(self) -> None:
        """Write the sizes into the header and close the file."""
        if self._handle.closed:
            return
        size = self.frames * self.channels * self.width
        if size & 1:
            self._handle.write(b"\x00")
        self._handle.seek(0)
        self._handle.write(self._header(self.frames))
        self._handle.close()

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def dbfs(level: float) -> float:
    """Decibels relative to full scale of a linear level (-inf for 0)."""
    return 20 * math.log10(level) if level > 0 else -math.inf
