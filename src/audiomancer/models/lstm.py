"""LSTM language models in numpy: load weights, step, sample with temperature and masks.

Weight files (``.npz``, written by ``training/train.py``) keep PyTorch's ``nn.LSTM`` layout:

- ``format``: the string ``FORMAT``; ``config``: JSON with ``name``, ``vocab`` (events),
  ``positions`` (16), ``styles`` (0 for none), ``hidden``, ``layers`` (and ``training`` info);
- ``l{k}_weight_ih`` (4H x inputs), ``l{k}_weight_hh`` (4H x H), ``l{k}_bias`` (4H; PyTorch's
  two biases summed) for each layer k, gates in the order i, f, g, o;
- ``out_weight`` (vocab x H), ``out_bias`` (vocab);
- optional extra arrays (the drum model's ``velocity`` table).

The input of layer 0 is the concatenation of one-hots: previous event, position in the bar,
style. A step computes, per layer, ``i, f, o = sigmoid(.)``, ``g = tanh(.)`` of
``W_ih x + W_hh h + b``, then ``c = f c + i g``, ``h = o tanh(c)``, and logits ``W_out h + b``.

Inference is float32 numpy. For speed the loader transposes the matrices, reorders the gates to
(i, f, o, g) and halves the sigmoid rows, so one ``tanh`` serves all four gates
(``sigmoid(x) = (1 + tanh(x / 2)) / 2``); one-hot inputs are row lookups. Every matrix product
is exact (``models/exact.py``: hidden states and weights as whole-number levels), so a row
gives the same numbers alone or in a batch of any size, whatever kernel BLAS chooses.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from audiomancer.errors import ModelLoadError
from audiomancer.models.exact import HIDDEN_SCALE, ExactMatrix

FORMAT: Final = "audiomancer.lstm/1"
MAX_TEMPERATURE: Final = 10.0

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LSTMConfig:
    """Sizes of a model (from its weight file's ``config``)."""

    name: str
    vocab: int
    positions: int
    styles: int
    hidden: int
    layers: int
    training: dict[str, Any] = field(default_factory=dict)

    @property
    def inputs(self) -> int:
        """Width of layer 0's input: event + position + style one-hots."""
        return self.vocab + self.positions + self.styles


@dataclass
class LSTMState:
    """The recurrent state, updated in place by LSTMModel.step: ``levels`` holds h of every
    layer side by side as levels (``rint(h * 2**HIDDEN_BITS)``, models/exact.py), ``cells``
    holds c of every layer; [layers * hidden] each."""

    levels: FloatArray
    cells: FloatArray

    def copy(self) -> LSTMState:
        """An independent copy."""
        return LSTMState(self.levels.copy(), self.cells.copy())


@dataclass
class BatchState:
    """The recurrent state of a batch: LSTMState's arrays for N rows, [N, layers * hidden].

    Layer k's h is ``levels[:, k*H:(k+1)*H]``: layer k+1 reads its input and its own h as one
    contiguous block of each row, ``levels[:, k*H:(k+2)*H]``, in one product.
    """

    levels: FloatArray
    cells: FloatArray


class LSTMModel:
    """A stacked LSTM over one-hot inputs, for step-by-step sampling."""

    def __init__(self, config: LSTMConfig, arrays: Mapping[str, npt.NDArray[Any]]) -> None:
        """Build from PyTorch-layout arrays (see the module docstring); ValueError on shapes."""
        self.config = config
        self.extras: dict[str, npt.NDArray[Any]] = {}
        hidden, vocab = config.hidden, config.vocab
        expected: dict[str, tuple[int, ...]] = {
            "out_weight": (vocab, hidden),
            "out_bias": (vocab,),
        }
        for k in range(config.layers):
            width = config.inputs if k == 0 else hidden
            expected[f"l{k}_weight_ih"] = (4 * hidden, width)
            expected[f"l{k}_weight_hh"] = (4 * hidden, hidden)
            expected[f"l{k}_bias"] = (4 * hidden,)
        for key, shape in expected.items():
            if key not in arrays:
                raise ValueError(f"array {key!r} is missing")
            if tuple(arrays[key].shape) != shape:
                raise ValueError(
                    f"array {key!r} has shape {tuple(arrays[key].shape)}, expected {shape}"
                )
            if not np.issubdtype(arrays[key].dtype, np.floating):
                raise ValueError(f"array {key!r} is {arrays[key].dtype}, not floating point")
            if not np.all(np.isfinite(arrays[key])):
                raise ValueError(f"array {key!r} holds NaN or infinite values")
        # Layer 0: position and style one-hots and the bias folded into one table; the event
        # one-hot is a row of another. Both are added, not multiplied: exact lookups.
        wx0 = _fast_layout(arrays["l0_weight_ih"], hidden).T
        base = vocab
        positions = wx0[base : base + config.positions]
        styles = (
            wx0[base + config.positions : base + config.positions + config.styles]
            if config.styles
            else np.zeros((1, 4 * hidden), dtype=np.float32)
        )
        bias0 = _fast_layout(arrays["l0_bias"], hidden)
        self._context: FloatArray = np.ascontiguousarray(
            (styles[:, None, :] + positions[None, :, :] + bias0[None, None, :]).astype(np.float32)
        )
        """[style, position, 4H]: a style's rows are one contiguous table."""
        self._events: FloatArray = np.ascontiguousarray(wx0[:vocab])
        # Every product is exact (models/exact.py). Layer 0's recurrent weights; for a layer
        # k above 0 its input and recurrent weights stacked, for one product of [x, h].
        self._wh0 = ExactMatrix.quantize(_fast_layout(arrays["l0_weight_hh"], hidden).T)
        self._wxh: list[ExactMatrix] = [
            ExactMatrix.quantize(
                np.concatenate(
                    (
                        _fast_layout(arrays[f"l{k}_weight_ih"], hidden).T,
                        _fast_layout(arrays[f"l{k}_weight_hh"], hidden).T,
                    )
                )
            )
            for k in range(1, config.layers)
        ]
        self._b: list[FloatArray] = [
            _fast_layout(arrays[f"l{k}_bias"], hidden) for k in range(1, config.layers)
        ]
        """The biases of the layers above 0 (layer 0's is in ``_context``)."""
        self._out = ExactMatrix.quantize(np.asarray(arrays["out_weight"], dtype=np.float32).T)
        self._out_b: FloatArray = np.asarray(arrays["out_bias"], dtype=np.float32).copy()
        self._primed: dict[tuple[tuple[int, ...], int], _Primed] = {}
        """States after a primer (and style), kept: generation primes from a few real bars."""
        for key, value in arrays.items():
            if key not in expected and key not in ("format", "config"):
                self.extras[key] = np.asarray(value)

    # --- loading ------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> LSTMModel:
        """Load a weight file; ModelLoadError naming the file and the reason otherwise."""
        path = Path(path)
        if not path.is_file():
            raise ModelLoadError(f"model weight file {path} is missing")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ModelLoadError(f"model weight file {path} cannot be read: {error}") from None
        return cls.from_bytes(data, str(path))

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<bytes>") -> LSTMModel:
        """Load the bytes of a weight file; ModelLoadError naming ``source`` otherwise."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
            raise ModelLoadError(
                f"model weight file {source} is corrupt or not a weight file: {error}"
            ) from None
        try:
            fmt = str(arrays["format"]) if "format" in arrays else None
            if fmt != FORMAT:
                raise ValueError(f"format is {fmt!r}, expected {FORMAT!r}")
            config = _config(arrays.get("config"))
            return cls(config, arrays)
        except (ValueError, TypeError, KeyError) as error:
            raise ModelLoadError(f"model weight file {source} does not fit: {error}") from None

    # --- inference ----------------------------------------------------------------------

    def initial_state(self) -> LSTMState:
        """All-zero h and c."""
        width = self.config.layers * self.config.hidden
        return LSTMState(np.zeros(width, dtype=np.float32), np.zeros(width, dtype=np.float32))

    def initial_batch_state(self, rows: int) -> BatchState:
        """All-zero h and c for a batch of ``rows`` sequences (column-major: ``step_batch``
        works on the transposed arrays, [layers * hidden, rows], in place)."""
        shape = (self.config.layers * self.config.hidden, rows)
        return BatchState(np.zeros(shape, dtype=np.float32).T, np.zeros(shape, dtype=np.float32).T)

    def step_batch(
        self,
        state: BatchState,
        events: npt.NDArray[np.int64],
        positions: npt.NDArray[np.int64],
        style: int = 0,
        logits: bool = True,
    ) -> FloatArray | None:
        """``step`` for a batch: row r takes ``events[r]`` and ``positions[r]``; [N, V] logits.

        Any N, one row included: every product is exact (models/exact.py), so each row's
        numbers are the same whatever the batch around it and whichever kernel BLAS picks.
        ``state.levels`` holds hidden levels (``rint(h * 2**HIDDEN_BITS)``), updated in place.
        """
        levels, cells = state.levels.T, state.cells.T
        direct = levels.flags.c_contiguous and cells.flags.c_contiguous
        if not direct:
            levels, cells = np.ascontiguousarray(levels), np.ascontiguousarray(cells)
        out = _Work(self, levels, cells, style).step(events, positions, logits)
        if not direct:
            state.levels[...] = levels.T
            state.cells[...] = cells.T
        return None if out is None else out.copy()

    def step(
        self, state: LSTMState, event: int, position: int, style: int = 0, logits: bool = True
    ) -> FloatArray | None:
        """Advance ``state`` by one step with these inputs; the next step's logits.

        ``event`` is the previous step's event, ``position`` the new step's position in its
        bar. With ``logits=False`` only the state advances (priming), and None is returned.
        The same numbers as a row of ``step_batch`` (it is one, of a batch of one).
        """
        rows = BatchState(state.levels[None], state.cells[None])
        out = self.step_batch(
            rows,
            np.array([event], dtype=np.int64),
            np.array([position], dtype=np.int64),
            style,
            logits,
        )
        return None if out is None else out[0]

    def log_probabilities(
        self, events: Sequence[int], positions: Sequence[int], style: int = 0
    ) -> npt.NDArray[np.float64]:
        """Log-probability (nats) of each event of a sequence, the first after event 0."""
        state = self.initial_state()
        previous = 0
        result = np.empty(len(events), dtype=np.float64)
        for i, (event, position) in enumerate(zip(events, positions, strict=True)):
            out = self.step(state, previous, int(position), style)
            assert out is not None
            z = out.astype(np.float64)
            z -= z.max()
            result[i] = z[event] - np.log(np.exp(z).sum())
            previous = int(event)
        return result


def _fast_layout(weights: npt.NDArray[Any], hidden: int) -> FloatArray:
    """PyTorch gate rows (i, f, g, o) -> (i/2, f/2, o/2, g) as float32."""
    w = np.asarray(weights, dtype=np.float32)
    i, f, g, o = (w[n * hidden : (n + 1) * hidden] for n in range(4))
    return np.concatenate([i * 0.5, f * 0.5, o * 0.5, g]).astype(np.float32)


class _Work:
    """The buffers and views of stepping N rows whose state is kept as columns.

    ``levels`` and ``cells`` are [layers * hidden, N], C-contiguous, updated in place: each
    layer's h and c, each gate's pre-activation and each product is then one contiguous block
    of N columns, so a step is a fixed list of whole-array numpy calls on views made here once.
    One row works on 1-D vectors instead of [size, 1] blocks: numpy's calls on vectors, the
    matrix-vector product included, cost less.
    """

    def __init__(self, model: LSTMModel, levels: FloatArray, cells: FloatArray, style: int):
        hidden, layers = model.config.hidden, model.config.layers
        self.one_row = levels.shape[1] == 1
        tail: tuple[int, ...] = () if self.one_row else (levels.shape[1],)
        column: tuple[int, ...] = () if self.one_row else (1,)  # broadcasts over the rows
        levels, cells = levels.reshape(-1, *tail), cells.reshape(-1, *tail)
        self.gates = np.empty((4 * hidden, *tail), dtype=np.float32)
        self.product = np.empty((4 * hidden, *tail), dtype=np.float32)
        self.lookup = np.empty((*tail, 4 * hidden), dtype=np.float32)
        """Layer 0's input rows of N rows, [N, 4H] (a row of each table is contiguous)."""
        self.new = np.empty((hidden, *tail), dtype=np.float32)
        self.logits = np.empty((model.config.vocab, *tail), dtype=np.float32)
        self.logit_rows = self.logits[None] if self.one_row else self.logits.T
        """The logits as [N, V], a view of ``logits``."""
        g = self.gates
        self.sig = g[: 3 * hidden]
        self.i, self.f = g[:hidden], g[hidden : 2 * hidden]
        self.o, self.g = g[2 * hidden : 3 * hidden], g[3 * hidden :]
        self.h = [levels[k * hidden : (k + 1) * hidden] for k in range(layers)]
        cell = [cells[k * hidden : (k + 1) * hidden] for k in range(layers)]
        # layer k multiplies layer 0's h, or [h of layer k-1 (this step), h of layer k]
        inputs = [levels[max(k - 1, 0) * hidden : (k + 1) * hidden] for k in range(layers)]
        bias = [None, *(b.reshape(-1, *column) for b in model._b)]
        matrices = [model._wh0, *model._wxh]
        self.layers = list(zip(matrices, inputs, bias, self.h, cell, strict=True))
        self.out_bias = model._out_b.reshape(-1, *column)
        self.context, self.events = model._context[style], model._events
        self.out = model._out
        self.one = np.array(1.0, np.float32)  # 0-d: a Python float costs a conversion a call
        scales = np.array([0.5, 0.5, HIDDEN_SCALE / 2], dtype=np.float32)
        self.gate_scale = np.repeat(scales, hidden).reshape(-1, *column)
        """Turns ``1 + tanh`` of the sigmoid rows (2 * sigmoid) into the sigmoids of i and f
        and HIDDEN_SCALE times the sigmoid of o."""

    def step(
        self, events: npt.NDArray[np.int64], positions: npt.NDArray[np.int64], logits: bool
    ) -> FloatArray | None:
        """One step of every row; the logits as [N, V], a view of a buffer that the next step
        overwrites.

        A layer is ``c = f c + i g`` and ``h = rint(HIDDEN_SCALE * o * tanh(c))`` (h as
        levels). The gates' scales are powers of two, one call for three gates; scaling by a
        power of two commutes with float32 rounding, so this is bit for bit the arithmetic of
        scaling c by 1/2 and h by HIDDEN_SCALE / 2 after their products (as done before), but
        for values below 2**-126 (no bit of h: it rounds to 0 either way).
        """
        # ufuncs bound to locals and outputs given by position: about 0.1 us less per call
        # (of 0.3-1 us; a one-row step makes 25 besides its 3 matrix products)
        add, multiply, tanh, rint, dot = np.add, np.multiply, np.tanh, np.rint, np.dot
        gates, product, new = self.gates, self.product, self.new
        sig, i, f, o, g = self.sig, self.i, self.f, self.o, self.g
        one, scale, one_row = self.one, self.gate_scale, self.one_row
        if one_row:
            add(self.context[positions[0]], self.events[events[0]], gates)
        else:
            add(self.context[positions], self.events[events], self.lookup)
            np.copyto(gates, self.lookup.T)
        for matrix, inputs, bias, h, c in self.layers:
            if one_row:  # ExactMatrix.multiply of one row, inlined: a Python call less
                dot(matrix.transposed, inputs, product)
                multiply(product, matrix.unit, product)
            else:
                matrix.multiply(inputs, product)
            if bias is None:  # layer 0: its bias is in the lookup
                add(gates, product, gates)
            else:
                add(product, bias, gates)
            tanh(gates, gates)
            add(sig, one, sig)  # 2 * sigmoid: the loader halved the sigmoid rows
            multiply(sig, scale, sig)
            multiply(c, f, c)
            multiply(i, g, new)
            add(c, new, c)
            tanh(c, new)
            multiply(new, o, new)
            rint(new, h)
        if not logits:
            return None
        out, matrix = self.logits, self.out
        if one_row:
            dot(matrix.transposed, self.h[-1], out)
            multiply(out, matrix.unit, out)
        else:
            matrix.multiply(self.h[-1], out)
        add(out, self.out_bias, out)
        return self.logit_rows


def _config(raw: object) -> LSTMConfig:
    if raw is None:
        raise ValueError("array 'config' is missing")
    data = json.loads(str(raw))
    if not isinstance(data, dict):
        raise ValueError("config is not a JSON object")
    sizes = {}
    for key in ("vocab", "positions", "styles", "hidden", "layers"):
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"config {key!r} is {value!r}, expected a whole number")
        sizes[key] = value
    if sizes["vocab"] < 1 or sizes["hidden"] < 1 or sizes["layers"] < 1:
        raise ValueError("config sizes vocab, hidden and layers must be at least 1")
    return LSTMConfig(
        name=str(data.get("name", "")),
        training=dict(data.get("training") or {}),
        **sizes,
    )


# --- sampling -----------------------------------------------------------------------------


def validate_temperature(temperature: float) -> float:
    """Return temperature as float if 0 (greedy) to MAX_TEMPERATURE; ValueError otherwise."""
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not 0.0 <= temperature <= MAX_TEMPERATURE
    ):
        raise ValueError(
            f"invalid temperature {temperature!r}: expected a number from 0 (greedy) to "
            f"{MAX_TEMPERATURE}"
        )
    return float(temperature)


def make_rng(seed: int | None) -> np.random.Generator:
    """A PCG64 generator from a seed (None: fresh entropy); ValueError for a bad seed."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"invalid seed {seed!r}: expected a whole number >= 0 or None")
    return np.random.Generator(np.random.PCG64(seed))


def sample(
    logits: FloatArray,
    rng: np.random.Generator,
    temperature: float = 1.0,
    mask: BoolArray | None = None,
) -> int:
    """Draw an event from logits at a temperature, only among ``mask``'s True entries.

    Temperature 0 takes the most likely allowed event. ValueError if the mask allows nothing.
    """
    z = np.asarray(logits, dtype=np.float64)
    if mask is not None:
        if not mask.any():
            raise ValueError("the sampling mask allows no event")
        z = np.where(mask, z, -np.inf)
    if temperature == 0:
        return int(np.argmax(z))
    z = (z - z.max()) / temperature
    weights = np.exp(z)
    cumulative = np.cumsum(weights)
    drawn = rng.random() * cumulative[-1]
    index = int(np.searchsorted(cumulative, drawn, side="right"))
    index = min(index, len(cumulative) - 1)
    while mask is not None and not mask[index]:  # rounding at the very end of the range
        index -= 1
    return index


def generate(
    model: LSTMModel,
    *,
    steps: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    primer: Sequence[int] = (),
    style: int = 0,
    mask: BoolArray | Callable[[int], BoolArray | None] | None = None,
    check: Callable[[], None] | None = None,
) -> list[int]:
    """Sample ``steps`` events after feeding ``primer`` (whole bars, from a bar line).

    ``mask`` is a fixed boolean mask over events or a function ``step -> mask``; ``check`` is
    called before every step (to enforce a deadline by raising). The same as one row of
    ``generate_batch``, with which it shares its code and its numbers.
    """
    return generate_batch(
        model,
        steps=steps,
        rngs=[rng],
        temperature=temperature,
        primers=[primer],
        style=style,
        mask=mask,
        check=check,
    )[0]


def generate_batch(
    model: LSTMModel,
    *,
    steps: int,
    rngs: Sequence[np.random.Generator],
    temperature: float = 1.0,
    primers: Sequence[Sequence[int]] | None = None,
    style: int = 0,
    mask: BoolArray | Callable[[int], BoolArray | None] | None = None,
    check: Callable[[], None] | None = None,
) -> list[list[int]]:
    """Sample one sequence per generator of ``rngs`` in one batched pass of the LSTM.

    Row r draws only from ``rngs[r]`` (one uniform number per sampled step), and is primed
    with ``primers[r]``. Primers of different lengths end together: a shorter one starts
    later, its row holding the zero state until then. Each row's result equals a batch of its
    own: the matrix products are exact (models/exact.py), so a row's numbers do not depend on
    the batch size or on the kernel BLAS picks for it, and the sampling arithmetic is
    element-wise or along the row.
    """
    rows = len(rngs)
    if rows == 0:
        return []
    with one_blas_thread():
        return _generate_batch(model, steps, rngs, temperature, primers, style, mask, check)


def _generate_batch(
    model: LSTMModel,
    steps: int,
    rngs: Sequence[np.random.Generator],
    temperature: float,
    primers: Sequence[Sequence[int]] | None,
    style: int,
    mask: BoolArray | Callable[[int], BoolArray | None] | None,
    check: Callable[[], None] | None,
) -> list[list[int]]:
    rows = len(rngs)
    if primers is None:
        primers = [()] * rows
    if len(primers) != rows:
        raise ValueError(f"{len(primers)} primers for {rows} sequences")
    period = model.config.positions
    lengths = np.array([len(p) for p in primers], dtype=np.int64)
    # Rows with the same primer share its priming: run each distinct primer once.
    distinct: dict[tuple[int, ...], int] = {}
    which = np.array(
        [distinct.setdefault(tuple(int(e) for e in p), len(distinct)) for p in primers],
        dtype=np.int64,
    )
    levels, cells, last = _primed_rows(model, list(distinct), style, check)
    # One uniform number per row and sampled step, drawn in order: rng.random(steps) is the
    # same numbers as ``steps`` calls of rng.random(). Greedy sampling draws nothing.
    uniforms = np.zeros((steps, rows), dtype=np.float64)
    if temperature != 0:
        for r, rng in enumerate(rngs):
            uniforms[:, r] = rng.random(steps)
    work = _Work(
        model, np.ascontiguousarray(levels[:, which]), np.ascontiguousarray(cells[:, which]), style
    )
    positions = (lengths % period + np.arange(steps)[:, None]) % period
    chosen = _sample_steps(work, last[which], positions, uniforms, temperature, mask, check)
    return [row.tolist() for row in chosen.T]


def _sample_steps(
    work: _Work,
    previous: npt.NDArray[np.int64],
    positions: npt.NDArray[np.int64],
    uniforms: npt.NDArray[np.float64],
    temperature: float,
    mask: BoolArray | Callable[[int], BoolArray | None] | None,
    check: Callable[[], None] | None,
) -> npt.NDArray[np.int64]:
    """The sampling loop: [steps, N] events from primed states (in ``work``), the primers'
    last events, the positions of each step ([steps, N]) and a uniform number per step and
    row ([steps, N])."""
    steps, rows = positions.shape
    chosen = np.empty((steps, rows), dtype=np.int64)
    fixed = mask if mask is None or not callable(mask) else None
    row = np.empty(work.logits.shape[0], dtype=np.float64) if rows == 1 else None
    for step in range(steps):
        if check is not None:
            check()
        out = work.step(previous, positions[step], True)
        assert out is not None
        step_mask = mask(step) if callable(mask) else fixed
        if row is not None:  # one row: the same draw on vectors, in a kept buffer
            chosen[step, 0] = _sample_row(out[0], uniforms[step, 0], temperature, step_mask, row)
        else:
            chosen[step] = sample_batch(out, uniforms[step], temperature, step_mask)
        previous = chosen[step]
    return chosen


@dataclass(frozen=True)
class _Primed:
    """One row of a primed state (a column of _Work's arrays), and the primer's last event."""

    levels: FloatArray
    cells: FloatArray
    last: int


_PRIMED_KEPT: Final = 512
"""How many primed states a model keeps (a few KiB each)."""


def _primed_rows(
    model: LSTMModel,
    primers: list[tuple[int, ...]],
    style: int,
    check: Callable[[], None] | None,
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """``_prime`` with each primer's state kept on the model: a state is the same whichever
    batch it was primed in (the rows are independent), so a primer seen before costs nothing.
    The states as columns, [layers * hidden, len(primers)]."""
    kept = model._primed
    missing = [p for p in dict.fromkeys(primers) if (p, style) not in kept]
    if missing:
        levels, cells, last = _prime(model, missing, style, check)
        if len(kept) + len(missing) > _PRIMED_KEPT:
            kept.clear()
        for r, primer in enumerate(missing):
            kept[(primer, style)] = _Primed(levels[:, r].copy(), cells[:, r].copy(), int(last[r]))
    rows = [kept[(p, style)] for p in primers]
    return (
        np.stack([row.levels for row in rows], axis=1),
        np.stack([row.cells for row in rows], axis=1),
        np.array([row.last for row in rows], dtype=np.int64),
    )


def _prime(
    model: LSTMModel,
    primers: list[tuple[int, ...]],
    style: int,
    check: Callable[[], None] | None,
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """The states after feeding each primer (ending together) as columns, and each one's last
    event."""
    rows = len(primers)
    period = model.config.positions
    lengths = np.array([len(p) for p in primers], dtype=np.int64)
    longest = int(lengths.max())
    width = model.config.layers * model.config.hidden
    levels = np.zeros((width, rows), dtype=np.float32)
    cells = np.zeros((width, rows), dtype=np.float32)
    previous = np.zeros(rows, dtype=np.int64)
    if not longest:
        return levels, cells, previous
    table = np.zeros((rows, longest), dtype=np.int64)
    for r, primer in enumerate(primers):
        if primer:
            table[r, longest - len(primer) :] = primer
    begin = longest - lengths
    ragged = bool((begin != 0).any())
    work = _Work(model, levels, cells, style)
    for t in range(longest):
        if check is not None:
            check()
        if ragged:
            active = begin <= t
            positions = np.where(active, t - begin, 0) % period
            work.step(np.where(active, previous, 0), positions, False)
            if not active.all():
                levels[:, ~active] = 0.0
                cells[:, ~active] = 0.0
            previous = np.where(active, table[:, t], 0)
        else:
            work.step(previous, np.full(rows, t % period), False)
            previous = table[:, t]
    return levels, cells, previous


def sample_batch(
    logits: FloatArray,
    uniforms: npt.NDArray[np.float64],
    temperature: float = 1.0,
    mask: BoolArray | None = None,
) -> npt.NDArray[np.int64]:
    """One event per row of ``logits`` [N, V], row r drawn with the uniform ``uniforms[r]``.

    The batched form of ``sample``: the same arithmetic along each row (the same numbers, in
    place, without the division when the temperature is 1). It works on the transpose, [V, N],
    the layout of the LSTM's logits (``_Work``), where each call runs along all rows at once,
    and takes each row's maximum on [N, V], where that reduction is fastest: a maximum is
    exact, and a row's cumulative sum adds in the same order either way (sampling 16 rows
    0.65-0.9x the time of the [N, V] code before).
    """
    z = np.array(logits.T, dtype=np.float64)  # a copy, [V, N], worked on in place
    if mask is not None:
        if not mask.any():
            raise ValueError("the sampling mask allows no event")
        np.copyto(z, -np.inf, where=~mask[:, None])
    if temperature == 0:
        greedy: npt.NDArray[np.int64] = np.argmax(z, axis=0).astype(np.int64)
        return greedy
    rows = np.ascontiguousarray(logits)
    z -= (rows if mask is None else np.where(mask, rows, -np.inf)).max(axis=1)
    if temperature != 1:
        z /= temperature
    cumulative = np.add.accumulate(np.exp(z, out=z), axis=0, out=z)
    drawn = uniforms * cumulative[-1]
    index = np.minimum(np.count_nonzero(cumulative <= drawn, axis=0), z.shape[0] - 1)
    if mask is not None:
        for r in np.flatnonzero(~mask[index]):  # rounding at the very end of the range
            while not mask[index[r]]:
                index[r] -= 1
    drawn_index: npt.NDArray[np.int64] = index.astype(np.int64)
    return drawn_index


def _sample_row(
    logits: FloatArray,
    uniform: float,
    temperature: float,
    mask: BoolArray | None,
    z: npt.NDArray[np.float64],
) -> int:
    """``sample_batch`` for one row ([V] logits), working in ``z`` ([V] float64): the same
    arithmetic, on vectors. The cumulative weights never decrease (each adds a weight of 0 or
    more), so the count of those at or below the drawn value is a binary search."""
    np.copyto(z, logits)
    if mask is not None:
        if not mask.any():
            raise ValueError("the sampling mask allows no event")
        np.copyto(z, -np.inf, where=~mask)
    if temperature == 0:
        return int(np.argmax(z))
    np.subtract(z, z.max(), z)
    if temperature != 1:
        np.divide(z, temperature, z)
    np.exp(z, z)
    np.add.accumulate(z, out=z)  # np.cumsum's sums, in the same order, for less overhead
    index: int = min(int(z.searchsorted(uniform * z[-1], "right")), z.shape[0] - 1)
    while mask is not None and not mask[index]:  # rounding at the very end of the range
        index -= 1
    return index


_controller: list[Any] = []


def one_blas_thread() -> AbstractContextManager[object]:
    """Limit BLAS to one thread while sampling.

    The matrices are small ([N, 192] by [192, 768]): more threads only wait on each other, and
    on a busy machine they make a batch of 16 several times slower (benchmarks/README.md).
    Exact products would let them change no bit, but measured again with them, 2 threads were
    1.4-5x slower in wall time for batches of 16, 64 and 256 rows, so the limit stays.
    Where ``OPENBLAS_NUM_THREADS=1`` is set (the ``audiomancer`` command sets it before numpy
    loads) there is nothing to limit, and threadpoolctl, 5-8 ms to import and to scan the
    loaded libraries, is not loaded. (Set only after numpy loaded, BLAS may keep its threads:
    slower, never other bits, as the products are exact.)
    """
    if os.environ.get("OPENBLAS_NUM_THREADS") == "1":
        return contextlib.nullcontext()
    from threadpoolctl import ThreadpoolController

    if not _controller:
        _controller.append(ThreadpoolController())
    limited: AbstractContextManager[object] = _controller[0].limit(limits=1, user_api="blas")
    return limited
