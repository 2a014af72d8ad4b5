"""Exact LSTM products (models/exact.py): a row's numbers never depend on its batch.

The construction: hidden states and weights are whole numbers scaled so that every partial
sum stays within float32's exact integers (2**24). These tests check the bound on the shipped
weights, and that the float32 products BLAS computes equal the exact integer products for any
number of rows (one matrix-vector product per row, matrix-matrix products, their mix) and
any thread count.
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from audiomancer.models import registry
from audiomancer.models.exact import (
    EXACT_LIMIT,
    HIDDEN_SCALE,
    ExactMatrix,
    exact_bound,
)
from audiomancer.models.lstm import LSTMModel


def _matrices(model: LSTMModel) -> list[ExactMatrix]:
    return [model._wh0, *model._wxh, model._out]


@pytest.mark.parametrize("name", registry.MODEL_NAMES)
def test_shipped_weights_stay_within_the_exact_range(name: str) -> None:
    for matrix in _matrices(registry.load_model(name).model):
        assert np.array_equal(matrix.levels, np.rint(matrix.levels))
        assert exact_bound(matrix) <= EXACT_LIMIT
        # and the bound is used: columns keep most of the range (precision is not wasted)
        assert exact_bound(matrix) > EXACT_LIMIT * 0.99


def test_quantized_weights_are_close_to_the_weights() -> None:
    rng = np.random.default_rng(4)
    weights = rng.normal(0, 0.2, (192, 64)).astype(np.float32)
    weights[:, 3] = 0.0
    weights[5, 7] = 40.0  # one large weight in a column
    matrix = ExactMatrix.quantize(weights)
    values = matrix.levels * matrix.unit * HIDDEN_SCALE
    unit = matrix.unit * HIDDEN_SCALE
    assert np.all(np.abs(values - weights) <= unit / 2 * (1 + 1e-5))
    assert not values[:, 3].any()
    assert exact_bound(matrix) <= EXACT_LIMIT


def _extreme_levels(rng: np.random.Generator, rows: int, width: int) -> np.ndarray:
    """Hidden levels with many at the largest magnitude (|h| = 1), the worst case for sums."""
    levels = rng.integers(-int(HIDDEN_SCALE), int(HIDDEN_SCALE) + 1, (rows, width))
    levels[rng.random((rows, width)) < 0.5] = HIDDEN_SCALE
    signs = rng.choice([-1.0, 1.0], (rows, width))
    return (levels * signs).astype(np.float32)


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5, 7, 16, 17, 33])
def test_products_are_exact_for_any_number_of_rows(rows: int) -> None:
    model = registry.load_model("drums_rnn").model
    rng = np.random.default_rng(rows)
    for matrix in _matrices(model):
        width = matrix.levels.shape[0]
        levels = _extreme_levels(rng, rows, width)
        # the worst case of all: every level of a row at +-2**HIDDEN_BITS, signed as a column
        levels[0] = np.sign(matrix.levels[:, 0]) * HIDDEN_SCALE
        exact = (levels.astype(np.float64) @ matrix.levels.astype(np.float64)).astype(np.float32)
        got = matrix.product(levels)
        np.testing.assert_array_equal(got, exact * matrix.unit)
        for r in range(rows):  # each row alone is the same row
            np.testing.assert_array_equal(matrix.product(levels[r : r + 1])[0], got[r])


def test_products_are_the_same_with_more_blas_threads() -> None:
    matrix = registry.load_model("melody_rnn").model._wxh[0]
    levels = _extreme_levels(np.random.default_rng(1), 64, matrix.levels.shape[0])
    with threadpool_limits(1, "blas"):
        one = matrix.product(levels)
    with threadpool_limits(2, "blas"):
        two = matrix.product(levels)
    np.testing.assert_array_equal(one, two)


def test_a_batch_step_equals_each_row_stepped_alone() -> None:
    model = registry.load_model("drums_rnn").model
    rng = np.random.default_rng(5)
    rows = 17
    state = model.initial_batch_state(rows)
    alone = [model.initial_state() for _ in range(rows)]
    for step in range(24):
        events = rng.integers(0, model.config.vocab, rows)
        batch = model.step_batch(state, events, np.full(rows, step % 16), 3)
        assert batch is not None
        for r in range(rows):
            got = model.step(alone[r], int(events[r]), step % 16, 3)
            assert got is not None
            np.testing.assert_array_equal(got, batch[r])
            np.testing.assert_array_equal(alone[r].levels, state.levels[r])
            np.testing.assert_array_equal(alone[r].cells, state.cells[r])
