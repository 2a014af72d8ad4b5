"""Exact matrix products for LSTM inference: the same bits for any batch size and any BLAS.

A float32 matrix product is rounded at every partial sum, and BLAS chooses the order of those
sums by the shapes it is given (gemv for one row, gemm for many, blocking by row count), by
the CPU and by the thread count. So the same row multiplied alone or inside a batch can come
out different in its last bits, and a sampled pattern can change with it.

Here both operands hold whole numbers, scaled so that no sum can leave the range where float32
counts whole numbers exactly (magnitudes up to 2**24):

- a hidden state ``h`` (|h| <= 1, the output ``o * tanh(c)`` of an LSTM cell) is kept as
  ``rint(h * 2**HIDDEN_BITS)``, a whole number of at most 2**HIDDEN_BITS;
- each column j of a weight matrix is kept as ``rint(w / u_j)`` with ``u_j`` chosen so that
  ``2**HIDDEN_BITS * sum_k |rint(w_kj / u_j)| <= 2**24``.

Every product and every partial sum of ``levels(h) @ levels(W)`` is then a whole number below
2**24 in magnitude, which float32 represents exactly: the result is the exact integer dot
product whatever the order of the additions, with or without FMA. It is multiplied by the
column's unit afterwards (one rounding, element by element). A row's numbers therefore depend
only on that row, never on the batch around it, the kernel BLAS picks, or the machine's BLAS.

The price is precision: ``h`` to 1/512 and each weight column to a few hundred to a few
thousand levels of its largest entry. On the drum model this moves the next-step distributions
by about 4.5e-6 nats per step (KL) and the held-out NLL from 1.39416 to 1.39420 nats per step
(benchmarks/README.md, "Exact LSTM products").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

HIDDEN_BITS: Final = 9
"""A hidden state is held to multiples of 2**-HIDDEN_BITS (9: the best of 8-11 measured)."""
HIDDEN_SCALE: Final = float(2**HIDDEN_BITS)
EXACT_LIMIT: Final = 2**24
"""float32 holds every whole number up to this magnitude exactly."""

FloatArray = npt.NDArray[np.float32]

_GEMM_ROWS: Final = 4
"""From this many rows on, one matrix-matrix product; below it, one matrix-vector product per
row (OpenBLAS's gemm is slow for 2-3 rows: 2 rows 1.4-1.6x, 3 rows 1.3-1.6x the time of their
gemvs; 4 rows 0.75-0.9x, 16 rows 0.45-0.55x; benchmarks/README.md)."""


@dataclass(frozen=True)
class ExactMatrix:
    """A weight matrix as whole-number levels and a unit per column (see the module docstring).

    ``levels`` is [inputs, outputs] float32 of whole numbers; ``unit[j]`` is the value of one
    level of column j times one level of a hidden state, so ``(h_levels @ levels) * unit`` is
    ``h @ W`` to within the quantization. ``transposed`` ([outputs, inputs], contiguous) and
    ``unit_column`` ([outputs, 1]) serve ``multiply``, which works on columns of states.
    """

    levels: FloatArray
    unit: FloatArray
    transposed: FloatArray = field(init=False, repr=False, compare=False)
    unit_column: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "transposed", np.ascontiguousarray(self.levels.T))
        object.__setattr__(self, "unit_column", np.ascontiguousarray(self.unit[:, None]))

    @classmethod
    def quantize(cls, weights: npt.NDArray[Any]) -> ExactMatrix:
        """Levels and units of a [inputs, outputs] matrix, within the exactness bound."""
        # float32 throughout (cheap at load): the levels are whole numbers, and the check
        # below sums them exactly, so the rounding of the unit only moves a level by one.
        w = np.asarray(weights, dtype=np.float32)
        rows = w.shape[0]
        budget = EXACT_LIMIT / HIDDEN_SCALE  # the most sum_k |level| a column may reach
        l1 = np.abs(w).sum(axis=0, dtype=np.float64)
        # rint moves each level by at most 1/2: sum |rint(w/u)| <= l1/u + rows/2 <= budget.
        unit = (l1 / (budget - rows / 2 - 1)).astype(np.float32)
        unit[unit == 0] = 1.0  # an all-zero column: every level 0
        levels = np.rint(w / unit)
        while True:  # guard the bound against the rounding of the division itself
            over = np.abs(levels).sum(axis=0) > budget
            if not over.any():
                break
            unit[over] *= np.float32(1 + 2**-20)
            levels[:, over] = np.rint(w[:, over] / unit[over])
        return cls(levels, unit / np.float32(HIDDEN_SCALE))

    def product(self, hidden_levels: FloatArray) -> FloatArray:
        """``h @ W`` for hidden states given as levels ([N, inputs], any N), a new array."""
        out: FloatArray = np.empty((self.levels.shape[1], hidden_levels.shape[0]), np.float32)
        self.multiply(np.ascontiguousarray(hidden_levels.T), out)
        return np.ascontiguousarray(out.T)

    def multiply(self, columns: FloatArray, out: FloatArray) -> None:
        """``out = (W^T h) * unit`` for N states as the columns of ``columns`` ([inputs, N]),
        or for one state as a vector ([inputs]; ``out`` [outputs]).

        Since the sums are exact, how the rows are split between BLAS calls and which operand
        BLAS sees transposed change no bit, only the speed, so each row count takes the fastest
        call measured (benchmarks/README.md): for one state the matrix-vector product (with
        ``transposed`` for a vector: numpy's dot on vectors costs least), for 2-3 one such
        product per state, from 4 on one matrix-matrix product
        with ``transposed`` (OpenBLAS's gemm on [outputs, inputs] by [inputs, N] is 2-2.5x
        faster than on [N, inputs] by [inputs, outputs] here).
        """
        if columns.ndim == 1:
            np.dot(self.transposed, columns, out=out)
            out *= self.unit
            return
        rows = columns.shape[1]
        if rows == 1:
            np.matmul(columns.T, self.levels, out=out.T)
        elif rows < _GEMM_ROWS:
            for r in range(rows):
                np.matmul(columns[:, r], self.levels, out=out[:, r])
        else:
            np.matmul(self.transposed, columns, out=out)
        out *= self.unit_column


def exact_bound(matrix: ExactMatrix) -> float:
    """The largest magnitude any partial sum of a product with hidden levels can reach."""
    return float(np.abs(matrix.levels.astype(np.float64)).sum(axis=0).max() * HIDDEN_SCALE)
