"""Reading compiled SynthDefs (SCgf bytes, file versions 1 and 2): controls and the UGen graph.

What sclang compiled is the ground truth for a SynthDef's controls, and its graph tells which
UGens the output really depends on (``output_classes``): a stage that nothing connects to an
``Out`` is dead code, however it is written in the source.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from audiomancer.errors import SynthDefError

OUTPUT_UGENS: Final = frozenset({"Out", "ReplaceOut", "XOut", "OffsetOut", "LocalOut"})
"""UGens that write a signal somewhere: what a SynthDef's sound is, is what reaches these."""


@dataclass(frozen=True)
class UGenNode:
    """One UGen of a compiled graph: class, rate (0 scalar, 1 control, 2 audio, 3 demand),
    special index and inputs as (UGen index, output) pairs; a constant is (-1, its index);
    the rate of each of its outputs."""

    name: str
    rate: int
    special: int
    inputs: tuple[tuple[int, int], ...]
    outputs: tuple[int, ...] = ()


@dataclass(frozen=True)
class CompiledSynthDef:
    """The first SynthDef of SCgf bytes."""

    name: str
    constants: tuple[float, ...]
    defaults: tuple[float, ...]
    controls: tuple[tuple[str, tuple[float, ...]], ...]
    """(name, default values) per control, in the order sclang lists them (the arguments'
    order; their parameter indices are grouped by rate)."""
    ugens: tuple[UGenNode, ...]
    control_indices: tuple[tuple[str, int], ...] = ()
    """(name, index of its first value among the parameters) per control: what a ``Control``
    UGen's ``special`` index plus its output number points at."""

    def output_dependencies(self) -> set[int]:
        """Indices of every UGen an output UGen depends on (the output UGens included)."""
        seen: set[int] = set()
        stack = [i for i, u in enumerate(self.ugens) if u.name in OUTPUT_UGENS]
        while stack:
            index = stack.pop()
            if index in seen:
                continue
            seen.add(index)
            stack.extend(source for source, _ in self.ugens[index].inputs if source >= 0)
        return seen

    def output_classes(self) -> set[str]:
        """Class names of the UGens the output depends on."""
        return {self.ugens[i].name for i in self.output_dependencies()}

    def body(self) -> bytes:
        """A canonical form of the graph without the name, to compare two SynthDefs."""
        return repr((self.constants, self.defaults, self.controls, self.ugens)).encode()


def read_scgf(scgf: bytes) -> CompiledSynthDef:
    """The first SynthDef in SCgf bytes; SynthDefError when they are no SynthDef file."""
    try:
        return _Reader(scgf).synthdef()
    except (ValueError, IndexError, struct.error) as error:
        raise SynthDefError(f"not valid SynthDef (SCgf) bytes: {error}") from None


class _Reader:
    def __init__(self, data: bytes) -> None:
        if data[:4] != b"SCgf":
            raise ValueError("it does not start with 'SCgf'")
        (version,) = struct.unpack_from(">i", data, 4)
        if version not in (1, 2):
            raise ValueError(f"unknown SCgf version {version}")
        self.data = data
        self.wide = version == 2
        self.position = 8
        if self.take(">h") < 1:
            raise ValueError("it holds no SynthDef")

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.position)
        self.position += struct.calcsize(fmt)
        return int(value)

    def count(self) -> int:
        return self.take(">i" if self.wide else ">h")

    def floats(self, n: int) -> tuple[float, ...]:
        values = struct.unpack_from(f">{n}f", self.data, self.position)
        self.position += 4 * n
        return tuple(float(v) for v in values)

    def pstring(self) -> str:
        size = self.data[self.position]
        raw = self.data[self.position + 1 : self.position + 1 + size]
        self.position += 1 + size
        return raw.decode("utf-8", "surrogateescape")

    def synthdef(self) -> CompiledSynthDef:
        name = self.pstring()
        constants = self.floats(self.count())
        defaults = self.floats(self.count())
        named = [(self.pstring(), self.count()) for _ in range(self.count())]
        starts = sorted({index for _, index in named} | {len(defaults)})
        controls = tuple(
            (control, defaults[index : starts[starts.index(index) + 1]]) for control, index in named
        )
        ugens = []
        for _ in range(self.count()):
            class_name = self.pstring()
            rate = self.take(">b")
            inputs, outputs = self.count(), self.count()
            special = self.take(">h")
            pairs = tuple((self.count(), self.count()) for _ in range(inputs))
            rates = tuple(self.data[self.position : self.position + outputs])
            if len(rates) != outputs:
                raise ValueError("it ends inside a UGen")
            self.position += outputs  # one rate byte per output
            ugens.append(UGenNode(class_name, rate, special, pairs, rates))
        return CompiledSynthDef(name, constants, defaults, controls, tuple(ugens), tuple(named))
