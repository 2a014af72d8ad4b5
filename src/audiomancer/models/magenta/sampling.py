"""Sampling new events from a Magenta bundle, step by step, with our masks and temperature.

The bundle's own encoder makes each step's input from the events so far, as Magenta's
generators do; the next class is drawn from ``softmax(logits / temperature)`` restricted to
the classes whose event the caller allows (repeat classes mean the event they repeat).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from audiomancer.models.lstm import one_blas_thread, sample
from audiomancer.models.magenta.bundle import MagentaBundle
from audiomancer.models.magenta.encoders import Event


def sample_events(
    bundle: MagentaBundle,
    *,
    steps: int,
    rng: np.random.Generator,
    temperature: float,
    primer: Sequence[Event],
    allowed: Callable[[int, Event], bool] | None = None,
    check: Callable[[], None] | None = None,
) -> list[Event]:
    """``steps`` new events after a non-empty ``primer`` (``allowed(step, event)`` filters)."""
    with one_blas_thread():
        return _sample_events(bundle, steps, rng, temperature, primer, allowed, check)


def _sample_events(
    bundle: MagentaBundle,
    steps: int,
    rng: np.random.Generator,
    temperature: float,
    primer: Sequence[Event],
    allowed: Callable[[int, Event], bool] | None,
    check: Callable[[], None] | None,
) -> list[Event]:
    if not primer:
        raise ValueError("sampling from a Magenta bundle needs at least one primer event")
    encoder, network = bundle.encoder, bundle.network
    events = list(primer)
    codes = [encoder.encoding.encode(e) for e in events]
    state = network.zero_state()
    logits = np.zeros(network.num_classes)
    for t in range(len(events) - 1):
        if check is not None:
            check()
        network.step(state, encoder.input_at(events, codes, t).astype(np.float64))
    for step in range(steps):
        if check is not None:
            check()
        t = len(events) - 1
        logits = network.step(state, encoder.input_at(events, codes, t).astype(np.float64))
        mask = None
        if allowed is not None:
            mask = np.array(
                [allowed(step, encoder.class_event(events, c)) for c in range(network.num_classes)]
            )
        index = sample(logits.astype(np.float32), rng, temperature, mask)
        event = encoder.class_event(events, index)
        events.append(event)
        codes.append(encoder.encoding.encode(event))
    return events[len(primer) :]
