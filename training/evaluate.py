"""Measure the shipped pattern models and print a Markdown section for benchmarks/README.md.

    .venv/bin/python training/evaluate.py            # a few minutes on 2 cores

- Held-out negative log-likelihood per 16th step (nats): drums on the Groove MIDI test split,
  melodies on held-out tunes, bass on held-out chorale bass lines; against interpolated
  Witten-Bell n-grams trained on the same data (order chosen on the validation split).
- Style fidelity per style over 100 seeds x 4 bars, against the real patterns of the style;
  also with the primer only and the style input only (what conditioning measures best).
- Diversity: distinct 4-bar patterns across 100 seeds. In-scale and register rates.
- Latency (median, after load) and model load time.

Needs the caches of prepare_drums.py and prepare_melody.py (the NLL part) and PyTorch nowhere:
it runs the numpy models the package ships.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from common import CACHE, load_sequences
from ngram import NGram

from audiomancer.models import registry
from audiomancer.models.encoding import (
    FIRST_NOTE_EVENT,
    MIN_PITCH,
    NUM_DRUM_STATES,
    NUM_MELODY_EVENTS,
    STEPS_PER_BAR,
    STYLE_IDS,
    STYLE_NAMES,
    encode_drums,
)
from audiomancer.models.lstm import LSTMModel, generate, make_rng
from audiomancer.models.primers import style_primers
from audiomancer.patterns.model import DRUM_CLASS_BY_NAME, in_scale

KICK = DRUM_CLASS_BY_NAME["kick"].index
SNARE = DRUM_CLASS_BY_NAME["snare"].index
CLOSED = DRUM_CLASS_BY_NAME["closed_hat"].index
OPEN = DRUM_CLASS_BY_NAME["open_hat"].index
SEEDS = range(100)


def hit(state: int, index: int) -> bool:
    return bool(state >> index & 1)


# --- NLL ----------------------------------------------------------------------------------


def lstm_nll(model: LSTMModel, sequences: list[dict[str, Any]], shift: int = 0) -> float:
    total, steps = 0.0, 0
    for s in sequences:
        events = shifted(s["events"], shift)
        logp = model.log_probabilities(events, s["positions"], int(s.get("style_id", 0)))
        total -= float(logp.sum())
        steps += len(events)
    return total / steps


def masked_nll(model: LSTMModel, sequences: list[dict[str, Any]], shift: int, high: int) -> float:
    """NLL of a model renormalized to events with note-ons no higher than ``high``."""
    allowed = np.ones(NUM_MELODY_EVENTS, dtype=bool)
    allowed[FIRST_NOTE_EVENT + high - MIN_PITCH + 1 :] = False
    total, steps = 0.0, 0
    for s in sequences:
        events = shifted(s["events"], shift)
        state, previous = model.initial_state(), 0
        for event, position in zip(events, s["positions"], strict=True):
            out = model.step(state, previous, int(position))
            assert out is not None
            z = np.where(allowed, out.astype(np.float64), -np.inf)
            z -= z.max()
            total -= z[event] - np.log(np.exp(z).sum())
            steps += 1
            previous = int(event)
    return total / steps


def shifted(events: np.ndarray, shift: int) -> np.ndarray:
    if not shift:
        return events
    result = events.copy()
    result[result >= FIRST_NOTE_EVENT] += shift
    return result


def best_ngram(
    train: list[tuple[np.ndarray, np.ndarray]],
    valid: list[tuple[np.ndarray, np.ndarray]],
    test: list[tuple[np.ndarray, np.ndarray]],
    vocab: int,
    positional: bool,
    orders: Sequence[int],
) -> tuple[int, float]:
    """(order, test NLL) of the n-gram with the best validation NLL."""
    scored = []
    for order in orders:
        model = NGram(order, vocab, positional).fit(train)
        scored.append((model.nll(valid), order, model))
    _, order, model = min(scored, key=lambda x: x[0])
    return order, model.nll(test)


def pairs(sequences: list[dict[str, Any]], shift: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(shifted(s["events"], shift), s["positions"]) for s in sequences]


def nll_section(lines: list[str]) -> None:
    drums = load_sequences(CACHE / "drums.npz")
    split = {k: [s for s in drums if s["split"] == k] for k in ("train", "validation", "test")}
    # The LSTM saw the tidal patterns five times as often: count them five times too.
    train = [p for s in split["train"] for p in [(s["events"], s["positions"])] * (
        5 if s["source"] == "tidal" else 1)]  # fmt: skip
    drums_model = registry.load_model("drums_rnn").model
    lstm = lstm_nll(drums_model, split["test"])
    valid, test = pairs(split["validation"]), pairs(split["test"])
    order, plain = best_ngram(train, valid, test, NUM_DRUM_STATES, False, range(1, 7))
    porder, positional = best_ngram(train, valid, test, NUM_DRUM_STATES, True, range(1, 6))
    steps = sum(len(s["events"]) for s in split["test"])
    lines += [
        "| data (held out) | steps | LSTM | n-gram | n-gram + bar position |",
        "|---|---:|---:|---:|---:|",
        f"| drums: Groove MIDI test split ({len(split['test'])} files) | {steps} | "
        f"**{lstm:.3f}** | {plain:.3f} (n={order}) | {positional:.3f} (n={porder}) |",
    ]
    melodic = load_sequences(CACHE / "melody.npz")
    melody_model = registry.load_model("melody_rnn").model
    bass_model = registry.load_model("bass_rnn").model
    for kind, shift in (("melody", 0), ("bass", -12)):
        chosen = [s for s in melodic if s["kind"] == kind]
        part = {k: [s for s in chosen if s["split"] == k] for k in ("train", "validation", "test")}
        model = melody_model if kind == "melody" else bass_model
        lstm = lstm_nll(model, part["test"], shift)
        train_p = pairs(part["train"], shift)
        valid_p, test_p = pairs(part["validation"], shift), pairs(part["test"], shift)
        order, plain = best_ngram(train_p, valid_p, test_p, NUM_MELODY_EVENTS, False, range(1, 8))
        porder, positional = best_ngram(
            train_p, valid_p, test_p, NUM_MELODY_EVENTS, True, range(1, 7)
        )
        steps = sum(len(s["events"]) for s in part["test"])
        what = (
            f"melody: held-out tunes ({len(part['test'])})"
            if kind == "melody"
            else f"bass: held-out chorale bass lines, an octave down ({len(part['test'])})"
        )
        lines.append(
            f"| {what} | {steps} | **{lstm:.3f}** | {plain:.3f} (n={order}) | "
            f"{positional:.3f} (n={porder}) |"
        )
        if kind == "bass":
            as_is = lstm_nll(melody_model, part["test"], shift)
            masked = masked_nll(melody_model, part["test"], shift, 52)
            lines += [
                "",
                f"Bass alternatives on the same held-out bass lines: melody_rnn as it is "
                f"{as_is:.3f}, melody_rnn with the bass register mask (renormalized) "
                f"{masked:.3f}, bass_rnn (fine-tuned, shipped) {lstm:.3f}.",
            ]


# --- style fidelity -------------------------------------------------------------------------


def bar_metrics(bars: list[Sequence[int]]) -> dict[str, float]:
    """Shares of bars with each style marker, plus per-bar densities."""
    n = len(bars)

    def share(test: Callable[[Sequence[int]], bool]) -> float:
        return sum(1 for bar in bars if test(bar)) / n

    ks_onsets = [(s, st) for bar in bars for s, st in enumerate(bar) if hit(st, KICK) or
                 hit(st, SNARE)]  # fmt: skip
    return {
        "kick on every beat": share(lambda b: all(hit(b[s], KICK) for s in (0, 4, 8, 12))),
        "snare/clap on 2 and 4": share(lambda b: all(hit(b[s], SNARE) for s in (4, 12))),
        "16th hats (>=2 hats on odd 16ths)": share(
            lambda b: sum(hit(b[s], CLOSED) or hit(b[s], OPEN) for s in range(1, 16, 2)) >= 2
        ),
        "open hat on >=2 offbeat 8ths": share(
            lambda b: sum(hit(b[s], OPEN) for s in (2, 6, 10, 14)) >= 2
        ),
        "syncopation (kick/snare onsets off the beat)": (
            sum(1 for s, _ in ks_onsets if s % 4) / max(1, len(ks_onsets))
        ),
        "hits per bar": sum(bin(st).count("1") for bar in bars for st in bar) / n,
    }


def split_bars(states: Sequence[int]) -> list[Sequence[int]]:
    return [states[i : i + STEPS_PER_BAR] for i in range(0, len(states), STEPS_PER_BAR)]


def sample_drums(
    model: LSTMModel, style: str, seed: int, primer_on: bool, style_on: bool, t: float = 1.0
) -> list[int]:
    rng = make_rng(seed)
    primers = style_primers(style)
    primer = primers[int(rng.integers(len(primers)))]
    return generate(
        model,
        steps=4 * STEPS_PER_BAR,
        rng=rng,
        temperature=t,
        primer=primer.states * 2 if primer_on else (),
        style=STYLE_IDS[style] if style_on else 0,
    )


def style_section(lines: list[str], generator: Any) -> None:
    model = registry.load_model("drums_rnn").model
    variants = {
        "shipped: primer + style input": (True, True),
        "primer only": (True, False),
        "style input only": (False, True),
    }
    marker = {
        "basic": ("kick on every beat", "snare/clap on 2 and 4"),
        "techno": ("kick on every beat", "16th hats (>=2 hats on odd 16ths)"),
        "house": ("kick on every beat", "open hat on >=2 offbeat 8ths"),
        "dnb": ("syncopation (kick/snare onsets off the beat)", "kick on every beat"),
    }
    lines += [
        "| style | measure | real patterns | generated (shipped) | primer only | style only |",
        "|---|---|---:|---:|---:|---:|",
    ]
    diversity = []
    for style in STYLE_NAMES:
        real = [bar for p in style_primers(style) for bar in split_bars(p.states)]
        real_m = bar_metrics(real)
        results = {}
        for name, (primer_on, style_on) in variants.items():
            if name.startswith("shipped"):
                patterns = [
                    tuple(encode_drums(generator.generate_drums(style, 4, seed=seed).to_pattern()))
                    for seed in SEEDS
                ]
                diversity.append((style, len(set(patterns)), len({p[:16] for p in patterns})))
            else:
                patterns = [
                    tuple(sample_drums(model, style, seed, primer_on, style_on)) for seed in SEEDS
                ]
            results[name] = bar_metrics([bar for p in patterns for bar in split_bars(p)])
        for measure in [*marker[style], "hits per bar"]:
            cells = " | ".join(f"{results[v][measure]:.2f}" for v in variants)
            lines.append(f"| {style} | {measure} | {real_m[measure]:.2f} | {cells} |")
    lines += [
        "",
        "Diversity (100 seeds, 4 bars, temperature 1.0): "
        + "; ".join(f"{s} {n}/100 distinct patterns ({b} distinct first bars)"
                    for s, n, b in diversity) + ".",
    ]  # fmt: skip


# --- melody, bass: scale, register, diversity ------------------------------------------


def line_section(lines: list[str], generator: Any) -> None:
    keys = ("C", "F#", "Bb", "Eb", "A")
    scales = ("major", "minor", "pentatonic", "chromatic")
    for kind in ("melody", "bass"):
        make = generator.generate_melody if kind == "melody" else generator.generate_bass
        notes_total = in_key = 0
        pitches: list[int] = []
        for key in keys:
            for scale in scales:
                for seed in range(10):
                    pattern = make(key, scale, 4, seed=seed).to_pattern()
                    for note in pattern.notes:
                        notes_total += 1
                        in_key += in_scale(note.pitch, key, scale)
                        pitches.append(note.pitch)
        distinct = len({make("C", "minor", 4, seed=seed)["midi_data"] for seed in SEEDS})
        lines.append(
            f"| {kind} | {in_key / notes_total:.1%} ({notes_total} notes, {len(keys)} keys x 4 "
            f"scales x 10 seeds) | {min(pitches)}-{max(pitches)}, median "
            f"{statistics.median(pitches):.0f} | {distinct}/100 |"
        )


# --- speed ----------------------------------------------------------------------------------


def timing_section(lines: list[str], generator: Any) -> None:
    loads: dict[str, list[float]] = {name: [] for name in registry.MODEL_NAMES}
    totals = []
    for _ in range(7):
        registry.clear_cache()
        all_start = time.perf_counter()
        for name in registry.MODEL_NAMES:
            start = time.perf_counter()
            registry.load_model(name)
            loads[name].append(time.perf_counter() - start)
        totals.append(time.perf_counter() - all_start)
    model = registry.load_model("drums_rnn").model
    melody = registry.load_model("melody_rnn").model
    sampling = []
    for seed in range(50):
        start = time.perf_counter()
        sample_drums(model, "techno", seed, True, True)
        sampling.append(time.perf_counter() - start)
    melody_sampling = []
    for seed in range(50):
        start = time.perf_counter()
        generate(melody, steps=64, rng=make_rng(seed))
        melody_sampling.append(time.perf_counter() - start)
    calls: dict[str, list[float]] = {"drums": [], "melody": [], "bass": []}
    for seed in range(1000, 1050):
        for kind, call in (
            ("drums", lambda s: generator.generate_drums("techno", 4, seed=s)),
            ("melody", lambda s: generator.generate_melody("C", "minor", 4, seed=s)),
            ("bass", lambda s: generator.generate_bass("C", "minor", 4, seed=s)),
        ):
            start = time.perf_counter()
            call(seed)
            calls[kind].append(time.perf_counter() - start)

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f} ms"

    sizes = {n: registry.weight_path(n).stat().st_size for n in registry.MODEL_NAMES}
    lines += [
        "| what | median |",
        "|---|---:|",
        f"| sampling 4 bars of drums (2-bar primer + 64 steps) | {ms(sampling)} |",
        f"| sampling 4 bars of melody (64 steps, masked) | {ms(melody_sampling)} |",
        f"| generate_drums(bars=4), whole call incl. storing the record | {ms(calls['drums'])} |",
        f"| generate_melody(bars=4), whole call | {ms(calls['melody'])} |",
        f"| generate_bass(bars=4), whole call | {ms(calls['bass'])} |",
        *(f"| load {n} ({sizes[n] / 1e6:.2f} MB) | {ms(loads[n])} |" for n in loads),
        f"| load all three models | {ms(totals)} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-nll", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["AUDIOMANCER_HOME"] = home
        from audiomancer.generators.patterns import PatternGenerator

        generator = PatternGenerator()
        lines = ["## Pattern models (issue 6)", ""]
        if not args.skip_nll:
            lines += ["Held-out negative log-likelihood per 16th step (nats, lower is better):", ""]
            nll_section(lines)
            lines.append("")
        lines += ["Style fidelity: share of bars (100 seeds x 4 bars per style):", ""]
        style_section(lines, generator)
        lines += [
            "",
            "| line | in scale | pitch range | distinct (100 seeds, C minor) |",
            "|---|---:|---|---:|",
        ]
        line_section(lines, generator)
        lines += [""]
        timing_section(lines, generator)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
