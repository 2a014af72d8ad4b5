"""Magenta's event RNN in numpy: MultiRNNCell of LSTM layers, attention on layer 0, softmax.

Variables (TF names under ``rnn/multi_rnn_cell/cell_K/``):
- ``basic_lstm_cell/kernel`` [inputs + H, 4H] and ``bias`` [4H] (``lstm_cell/`` for
  LSTMBlockCell: the same layout): gates ``[x, h] @ kernel + bias`` split as i, j, f, o;
  ``c = c * sigmoid(f + 1.0) + sigmoid(i) * tanh(j)`` (forget bias 1.0), ``h = tanh(c) *
  sigmoid(o)``.
- ``attention_cell_wrapper/`` on layer 0 (AttentionCellWrapper, ``attn_length`` past outputs of
  size A = H): the input is first ``[x, attns] @ kernel + bias``; after the LSTM, the query
  ``[c, h]`` scores each stored state ``v . tanh(state @ attn_w + query @ attention/kernel +
  attention/bias)``, the softmax of the scores weighs the states into the new ``attns``, and the
  layer's output is ``[h, attns] @ attn_output_projection/kernel + bias``, which is also pushed
  onto the stored states (the oldest drops out).
- ``fully_connected/weights`` [H, classes] and ``biases``: the logits; softmax at temperature 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
PREFIX = "rnn/multi_rnn_cell/cell_"


@dataclass(frozen=True)
class Attention:
    """The AttentionCellWrapper weights of layer 0."""

    length: int
    in_w: F64
    in_b: F64
    attn_w: F64
    attn_v: F64
    query_w: F64
    query_b: F64
    out_w: F64
    out_b: F64


@dataclass(frozen=True)
class Layer:
    """One LSTM layer: kernel [inputs + H, 4H], bias [4H]."""

    kernel: F64
    bias: F64

    @property
    def hidden(self) -> int:
        return int(self.bias.shape[0]) // 4


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))


class EventRNN:
    """The network of a bundle, built from its checkpoint variables (ValueError if they do not
    form one)."""

    def __init__(self, variables: Mapping[str, npt.NDArray[Any]], attn_length: int) -> None:
        def get(name: str) -> npt.NDArray[np.float64]:
            if name not in variables:
                raise ValueError(f"the checkpoint has no variable {name!r}")
            return np.asarray(variables[name], dtype=np.float64)

        self.layers: list[Layer] = []
        k = 0
        attention: Attention | None = None
        while any(name.startswith(f"{PREFIX}{k}/") for name in variables):
            scope = f"{PREFIX}{k}/"
            if k == 0 and any(n.startswith(scope + "attention_cell_wrapper/") for n in variables):
                scope += "attention_cell_wrapper/"
                a = scope
                attention = Attention(
                    attn_length,
                    get(a + "kernel"), get(a + "bias"),
                    get(a + "attention/attn_w")[0, 0], get(a + "attention/attn_v"),
                    get(a + "attention/kernel"), get(a + "attention/bias"),
                    get(a + "attn_output_projection/kernel"),
                    get(a + "attn_output_projection/bias"),
                )  # fmt: skip
            cell = next(
                (c for c in ("basic_lstm_cell", "lstm_cell") if scope + c + "/kernel" in variables),
                None,
            )
            if cell is None:
                raise ValueError(f"layer {k} has no LSTM kernel under {scope!r}")
            self.layers.append(Layer(get(f"{scope}{cell}/kernel"), get(f"{scope}{cell}/bias")))
            k += 1
        if not self.layers:
            raise ValueError("the checkpoint has no rnn/multi_rnn_cell layers")
        self.attention = attention
        self.out_w = get("fully_connected/weights")
        self.out_b = get("fully_connected/biases")
        self.num_classes = int(self.out_b.shape[0])
        first = self.layers[0]
        if attention is not None:
            self.input_size = int(attention.in_b.shape[0])
        else:
            self.input_size = int(first.kernel.shape[0]) - first.hidden
        self._check()

    def _check(self) -> None:
        width = self.input_size
        for k, layer in enumerate(self.layers):
            extra = layer.hidden
            if k == 0 and self.attention is not None:
                extra = int(self.attention.out_b.shape[0])
            expected = (width + extra, 4 * layer.hidden)
            if layer.kernel.shape != expected:
                raise ValueError(
                    f"layer {k} kernel has shape {layer.kernel.shape}, expected {expected}"
                )
            width = extra if k == 0 and self.attention is not None else layer.hidden
        if self.out_w.shape != (width, self.num_classes):
            raise ValueError(
                f"fully_connected/weights has shape {self.out_w.shape}, expected "
                f"{(width, self.num_classes)}"
            )

    def zero_state(self) -> list[npt.NDArray[np.float64]]:
        """The state: c and h of each layer, then (with attention) attns and the stored states."""
        state = []
        for layer in self.layers:
            state += [np.zeros(layer.hidden), np.zeros(layer.hidden)]
        if self.attention is not None:
            size = self.attention.out_b.shape[0]
            # attns, the stored outputs, and each stored output's attention features
            length, vec = self.attention.length, self.attention.attn_v.shape[0]
            state += [np.zeros(size), np.zeros((length, size)), np.zeros((length, vec))]
        return state

    def step(
        self, state: list[npt.NDArray[np.float64]], x: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Advance ``state`` (in place) by one input vector; the logits of the next class."""
        a = self.attention
        for k, layer in enumerate(self.layers):
            c, h = state[2 * k], state[2 * k + 1]
            if k == 0 and a is not None:
                attns, stored, features = state[-3], state[-2], state[-1]
                x = np.concatenate((x, attns)) @ a.in_w + a.in_b
            gates = np.concatenate((x, h)) @ layer.kernel + layer.bias
            i, j, f, o = np.split(gates, 4)
            c = c * _sigmoid(f + 1.0) + _sigmoid(i) * np.tanh(j)
            h = np.tanh(c) * _sigmoid(o)
            state[2 * k], state[2 * k + 1] = c, h
            x = h
            if k == 0 and a is not None:
                query = np.concatenate((c, h)) @ a.query_w + a.query_b
                scores = np.tanh(features + query) @ a.attn_v
                weights = np.exp(scores - scores.max())
                weights /= weights.sum()
                attns = weights @ stored
                x = np.concatenate((h, attns)) @ a.out_w + a.out_b
                state[-3] = attns
                state[-2] = np.concatenate((stored[1:], x[None, :]))
                state[-1] = np.concatenate((features[1:], (x @ a.attn_w)[None, :]))
        logits: npt.NDArray[np.float64] = x @ self.out_w + self.out_b
        return logits

    def softmax(self, inputs: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """Teacher-forced ``[T, classes]`` softmax of an input matrix, from the zero state."""
        from audiomancer.models.lstm import one_blas_thread

        state = self.zero_state()
        out = np.empty((len(inputs), self.num_classes))
        with one_blas_thread():
            for t, row in enumerate(np.asarray(inputs, dtype=np.float64)):
                z = self.step(state, row)
                w = np.exp(z - z.max())
                out[t] = w / w.sum()
        return out
