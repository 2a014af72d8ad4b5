"""TensorFlow V1 checkpoints (``tf.train.Saver`` V1, as Magenta's bundles hold them), no TF.

A V1 checkpoint is one table file (LevelDB's SSTable layout, uncompressed): blocks of
prefix-compressed key/value entries, an index block pointing at them, and a 48-byte footer
ending in the magic number. The entry with the empty key holds a ``SavedTensorSlices`` whose
``meta`` lists every variable (name, shape, dtype); every other entry holds a
``SavedTensorSlices`` whose ``data`` is one slice of one variable as a ``TensorProto``.

``read_checkpoint(data)`` returns ``{name: numpy array}``; CheckpointError (a ValueError) says
what is wrong: a truncated file, a bad magic number, a block that runs past the end, a missing
or misshapen variable. Block checksums (masked CRC32C) are not verified.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from audiomancer.models.magenta.wire import (
    WireError,
    message,
    one_bytes,
    one_int,
    packed_varints,
    varint,
)

TABLE_MAGIC: Final = 0xDB4775248B80FB57
FOOTER_SIZE: Final = 48
BLOCK_TRAILER: Final = 5
DTYPES: Final[dict[int, type[np.generic]]] = {
    1: np.float32,
    2: np.float64,
    3: np.int32,
    9: np.int64,
    10: np.bool_,
}


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, with the reason."""


def table_entries(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of an SSTable file, in key order."""
    if len(data) < FOOTER_SIZE:
        raise CheckpointError(f"the checkpoint is truncated: {len(data)} bytes, no table footer")
    footer = data[-FOOTER_SIZE:]
    if int.from_bytes(footer[-8:], "little") != TABLE_MAGIC:
        raise CheckpointError("the checkpoint is truncated or not a table: bad footer magic")
    try:
        _, at = varint(footer, 0)
        _, at = varint(footer, at)  # metaindex handle
        index_offset, at = varint(footer, at)
        index_size, _ = varint(footer, at)
    except WireError as error:
        raise CheckpointError(f"the checkpoint's footer is damaged: {error}") from None
    entries = []
    for _, handle in _block(data, index_offset, index_size):
        try:
            offset, at = varint(handle, 0)
            size, _ = varint(handle, at)
        except WireError as error:
            raise CheckpointError(f"the checkpoint's index is damaged: {error}") from None
        entries.extend(_block(data, offset, size))
    return entries


def _block(data: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    end = offset + size
    if end + BLOCK_TRAILER > len(data) - FOOTER_SIZE or size < 4:
        raise CheckpointError(
            f"the checkpoint is truncated: a block at byte {offset} of {size} bytes runs past "
            f"the data ({len(data)} bytes)"
        )
    if data[end] != 0:
        raise CheckpointError(
            f"the checkpoint's block at byte {offset} is compressed ({data[end]})"
        )
    block = data[offset:end]
    restarts = int.from_bytes(block[-4:], "little")
    limit = size - 4 * (restarts + 1)
    if limit < 0:
        raise CheckpointError(f"the checkpoint's block at byte {offset} is damaged")
    entries = []
    at = 0
    key = b""
    try:
        while at < limit:
            shared, at = varint(block, at)
            unshared, at = varint(block, at)
            length, at = varint(block, at)
            if shared > len(key) or at + unshared + length > limit:
                raise WireError(f"entry at byte {offset + at} runs past its block")
            key = key[:shared] + block[at : at + unshared]
            at += unshared
            entries.append((key, block[at : at + length]))
            at += length
    except WireError as error:
        raise CheckpointError(
            f"the checkpoint's block at byte {offset} is damaged: {error}"
        ) from None
    return entries


def _shape(raw: bytes) -> tuple[int, ...]:
    dims = []
    for dim in message(raw).get(2, []):
        assert isinstance(dim, bytes)
        dims.append(one_int(message(dim), 1))
    return tuple(dims)


def _full_slice(raw: bytes) -> bool:
    """True if a TensorSliceProto covers every dimension whole (no extent has a length)."""
    for extent in message(raw).get(1, []):
        assert isinstance(extent, bytes)
        if 2 in message(extent):
            return False
    return True


def _tensor(raw: bytes, name: str, code: int, shape: tuple[int, ...]) -> npt.NDArray[Any]:
    """A slice's TensorProto (its dtype and shape come from the table of contents)."""
    proto = message(raw)
    code = one_int(proto, 1, code)
    dtype = DTYPES.get(code)
    if dtype is None:
        raise CheckpointError(f"variable {name!r} has an unsupported dtype {code}")
    content = one_bytes(proto, 4)
    if content:
        values = np.frombuffer(content, dtype=np.dtype(dtype).newbyteorder("<"))
    elif dtype in (np.float32,):
        chunks = [v for v in proto.get(5, []) if isinstance(v, bytes)]
        values = np.frombuffer(b"".join(chunks), dtype="<f4")
    elif dtype == np.float64:
        chunks = [v for v in proto.get(6, []) if isinstance(v, bytes)]
        values = np.frombuffer(b"".join(chunks), dtype="<f8")
    elif dtype == np.int64:
        values = np.array(packed_varints(proto.get(10, [])), dtype=np.uint64).astype(np.int64)
    else:
        values = np.array(packed_varints(proto.get(7 if dtype != np.bool_ else 11, [])))
        values = values.astype(np.uint32).astype(dtype)
    count = int(np.prod(shape)) if shape else 1
    if values.size == 1 and count > 1:
        values = np.full(count, values[0], dtype=values.dtype)
    if values.size != count:
        raise CheckpointError(
            f"variable {name!r} holds {values.size} values, its shape {shape} needs {count}"
        )
    return np.asarray(values, dtype=dtype).reshape(shape)


def read_checkpoint(data: bytes) -> dict[str, npt.NDArray[Any]]:
    """Every variable of a V1 checkpoint, by name."""
    try:
        entries = table_entries(data)
        if not entries or entries[0][0] != b"":
            raise CheckpointError("the checkpoint has no table of contents (empty key)")
        meta = message(one_bytes(message(entries[0][1]), 1))
        expected: dict[str, tuple[int, ...]] = {}
        codes: dict[str, int] = {}
        for raw in meta.get(1, []):
            assert isinstance(raw, bytes)
            slice_meta = message(raw)
            key = one_bytes(slice_meta, 1).decode()
            expected[key] = _shape(one_bytes(slice_meta, 2))
            codes[key] = one_int(slice_meta, 3)
        variables: dict[str, npt.NDArray[Any]] = {}
        for _, value in entries[1:]:
            saved = message(one_bytes(message(value), 2))
            name = one_bytes(saved, 1).decode()
            if name not in expected:
                raise CheckpointError(f"variable {name!r} is not in the table of contents")
            if not _full_slice(one_bytes(saved, 2)):
                raise CheckpointError(f"variable {name!r} is partitioned (not supported)")
            variables[name] = _tensor(one_bytes(saved, 3), name, codes[name], expected[name])
    except (WireError, UnicodeDecodeError, AssertionError) as error:
        raise CheckpointError(f"the checkpoint is damaged: {error}") from None
    for name, shape in expected.items():
        if name not in variables:
            raise CheckpointError(f"the checkpoint lacks the data of variable {name!r}")
        if variables[name].shape != shape:
            raise CheckpointError(
                f"variable {name!r} has shape {variables[name].shape}, its metadata says {shape}"
            )
    return variables
