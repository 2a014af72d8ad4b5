"""An interpolated Witten-Bell n-gram model over event ids: the baseline the LSTMs must beat."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

START = -1


class NGram:
    """P(event | previous n-1 events [, bar position]), Witten-Bell interpolated down to uniform.

    With ``positional`` the context also holds the step's position in the bar (a stronger
    baseline for drums, where the metre matters most).
    """

    def __init__(self, order: int, vocab: int, positional: bool = False) -> None:
        self.order, self.vocab, self.positional = order, vocab, positional
        # counts[k][context] = Counter of next events, context = k previous events (+ position)
        self.counts: list[dict[tuple[int, ...], Counter[int]]] = [
            defaultdict(Counter) for _ in range(order)
        ]
        self._sizes: list[dict[tuple[int, ...], tuple[int, int]]] = []

    def _contexts(self, history: Sequence[int], position: int) -> list[tuple[int, ...]]:
        contexts = []
        for k in range(self.order):
            past = tuple(history[len(history) - k :]) if k else ()
            past = (START,) * (k - len(past)) + past
            contexts.append((*past, position) if self.positional else past)
        return contexts

    def fit(self, sequences: Iterable[tuple[Sequence[int], Sequence[int]]]) -> NGram:
        """Count (events, positions) sequences."""
        for events, positions in sequences:
            history: list[int] = []
            for event, position in zip(events, positions, strict=True):
                for k, context in enumerate(self._contexts(history, int(position))):
                    self.counts[k][context][int(event)] += 1
                history.append(int(event))
                if len(history) > self.order:
                    history.pop(0)
        self._sizes = [
            {context: (sum(c.values()), len(c)) for context, c in level.items()}
            for level in self.counts
        ]
        return self

    def log_prob(self, event: int, history: Sequence[int], position: int) -> float:
        """Natural log of P(event | context)."""
        p = 1.0 / self.vocab
        for k, context in enumerate(self._contexts(history, position)):
            counter = self.counts[k].get(context)
            if not counter:
                continue
            total, types = self._sizes[k][context]
            p = (counter.get(event, 0) + types * p) / (total + types)
        return math.log(p)

    def nll(self, sequences: Iterable[tuple[Sequence[int], Sequence[int]]]) -> float:
        """Mean negative log-likelihood per step (nats)."""
        total, steps = 0.0, 0
        for events, positions in sequences:
            history: list[int] = []
            for event, position in zip(events, positions, strict=True):
                total -= self.log_prob(int(event), history, int(position))
                steps += 1
                history.append(int(event))
                if len(history) > self.order:
                    history.pop(0)
        return total / steps
