"""Train the pattern models (PyTorch, CPU) and export their weights for numpy inference.

    .venv/bin/python training/train.py drums            # drums_rnn.npz
    .venv/bin/python training/train.py melody           # melody_rnn.npz
    .venv/bin/python training/train.py bass             # bass_rnn.npz, fine-tuned melody_rnn

The shipped weights were trained in two stages (then bass), on 2 CPU cores:

    W=src/audiomancer/models/weights
    train.py drums  && train.py drums  --init $W/drums_rnn.npz  --updates 1000 --lr 1.5e-3 --seed 2
    train.py melody && train.py melody --init $W/melody_rnn.npz --updates 1500 --lr 1.5e-3 --seed 2
    train.py bass --updates 600 --eval-every 50
    train.py bass --init $W/bass_rnn.npz --updates 600 --eval-every 50 --lr 1e-3 --seed 2

Run prepare_drums.py / prepare_melody.py first. Every run is seeded (``--seed``, default 1):
windows, transpositions, dropout and initial weights all come from it, so the same command
on the same machine gives the same weights. A GPU is used when one is there (``--device``).

The model is Magenta's kind of language model: the input of step t is the one-hot of the
previous step's event, the one-hot of step t's position in its bar (16 steps) and, for drums,
the one-hot of a style; an LSTM; a softmax over the events of step t. The exported ``.npz``
keeps PyTorch's LSTM layout (gates i, f, g, o) in float16; ``audiomancer.models.lstm`` reads it.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from common import CACHE, WEIGHTS, load_sequences
from torch import nn
from torch.nn import functional as F

from audiomancer.models.encoding import (
    FIRST_NOTE_EVENT,
    MAX_PITCH,
    MIN_PITCH,
    NUM_DRUM_STATES,
    NUM_MELODY_EVENTS,
    NUM_STYLES,
    STEPS_PER_BAR,
)
from audiomancer.models.lstm import FORMAT

IGNORE = -100


class SequenceModel(nn.Module):
    """One-hot inputs -> LSTM -> event logits."""

    def __init__(self, vocab: int, styles: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.vocab, self.styles = vocab, styles
        self.lstm = nn.LSTM(
            vocab + STEPS_PER_BAR + styles,
            hidden,
            num_layers=layers,
            dropout=dropout if layers > 1 else 0.0,
            batch_first=True,
        )
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, previous: torch.Tensor, position: torch.Tensor, style: torch.Tensor):
        parts = [
            F.one_hot(previous, self.vocab).float(),
            F.one_hot(position, STEPS_PER_BAR).float(),
        ]
        if self.styles:
            parts.append(F.one_hot(style, self.styles).float())
        hidden, _ = self.lstm(torch.cat(parts, dim=-1))
        return self.out(self.dropout(hidden))


def windows(
    sequences: list[dict[str, Any]],
    rng: np.random.Generator,
    count: int,
    length: int,
    weights: np.ndarray,
    transpose: int,
    style_dropout: float,
    shift: int = 0,
) -> tuple[np.ndarray, ...]:
    """A batch of random windows: previous events, positions, styles, targets."""
    previous = np.zeros((count, length), dtype=np.int64)
    position = np.zeros((count, length), dtype=np.int64)
    style = np.zeros((count, length), dtype=np.int64)
    target = np.full((count, length), IGNORE, dtype=np.int64)
    chosen = rng.choice(len(sequences), size=count, p=weights)
    for row, index in enumerate(chosen):
        sequence = sequences[index]
        events, positions = sequence["events"], sequence["positions"]
        start = int(rng.integers(0, max(1, len(events) - length + 1)))
        first = max(0, start - 1)  # the event before the window is its first input
        piece = events[first : start + length]
        if transpose or shift:
            piece = transposed(piece, rng, transpose, shift)
        if start == 0:
            piece = np.concatenate([[0], piece])
        n = len(piece) - 1
        previous[row, :n] = piece[:-1]
        target[row, :n] = piece[1:]
        position[row, :n] = positions[start : start + n]
        position[row, n:] = (positions[start + n - 1] + 1 + np.arange(length - n)) % STEPS_PER_BAR
        label = int(sequence.get("style_id", 0))
        style[row, :] = 0 if rng.random() < style_dropout else label
    return previous, position, style, target


def transposed(piece: np.ndarray, rng: np.random.Generator, spread: int, shift: int) -> np.ndarray:
    """Melody events moved by ``shift`` plus a random -spread..spread semitones, in range."""
    notes = piece >= FIRST_NOTE_EVENT
    if not notes.any():
        return piece
    low = int(piece[notes].min()) - FIRST_NOTE_EVENT + MIN_PITCH
    high = int(piece[notes].max()) - FIRST_NOTE_EVENT + MIN_PITCH
    options = [
        shift + t
        for t in range(-spread, spread + 1)
        if low + shift + t >= MIN_PITCH and high + shift + t <= MAX_PITCH
    ]
    amount = int(rng.choice(options)) if options else 0
    result = piece.copy()
    result[notes] += amount
    return result


def evaluate_nll(
    model: SequenceModel, sequences: list[dict[str, Any]], device: str, shift: int = 0
) -> float:
    """Mean negative log-likelihood per step (nats) over whole sequences."""
    model.eval()
    total, steps = 0.0, 0
    with torch.no_grad():
        for sequence in sequences:
            events = sequence["events"].copy()
            if shift:
                events[events >= FIRST_NOTE_EVENT] += shift
            previous = np.concatenate([[0], events[:-1]])
            style = np.full(len(events), int(sequence.get("style_id", 0)))
            logits = model(
                torch.tensor(previous[None], device=device),
                torch.tensor(sequence["positions"][None], device=device),
                torch.tensor(style[None], device=device),
            )
            loss = F.cross_entropy(logits[0], torch.tensor(events, device=device), reduction="sum")
            total += float(loss)
            steps += len(events)
    model.train()
    return total / steps


def export(model: SequenceModel, path: Path, config: dict[str, Any], extra: dict[str, Any]) -> int:
    """Write the weights as a float16 .npz in PyTorch's LSTM layout; return its size."""
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "config": np.array(json.dumps(config, sort_keys=True)),
    }
    lstm = model.lstm
    for layer in range(lstm.num_layers):
        arrays[f"l{layer}_weight_ih"] = getattr(lstm, f"weight_ih_l{layer}").detach().cpu().numpy()
        arrays[f"l{layer}_weight_hh"] = getattr(lstm, f"weight_hh_l{layer}").detach().cpu().numpy()
        bias = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
        arrays[f"l{layer}_bias"] = bias.detach().cpu().numpy()
    arrays["out_weight"] = model.out.weight.detach().cpu().numpy()
    arrays["out_bias"] = model.out.bias.detach().cpu().numpy()
    for key, value in list(arrays.items()):
        if value.dtype == np.float32:
            arrays[key] = value.astype(np.float16)
    arrays.update(extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.stem + ".tmp.npz")
    np.savez(temporary, **arrays)
    temporary.replace(path)
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=["drums", "melody", "bass"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=192)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--updates", type=int, default=None)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--init", type=Path, default=None, help="start from exported weights (continue training)"
    )
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rng = np.random.default_rng(args.seed)
    extra: dict[str, Any] = {}
    shift = 0
    if args.model == "drums":
        sequences = load_sequences(CACHE / "drums.npz")
        vocab, styles, transpose, style_dropout = NUM_DRUM_STATES, NUM_STYLES, 0, 0.25
        train = [s for s in sequences if s["split"] == "train"]
        valid = [s for s in sequences if s["split"] == "validation"]
        # The electronic patterns are few: weigh them up to about a sixth of the windows.
        weights = np.array(
            [len(s["events"]) * (5.0 if s["source"] == "tidal" else 1.0) for s in train]
        )
        extra["velocity"] = np.load(CACHE / "drum_velocities.npy")
        updates = args.updates or 1500
    else:
        sequences = [s for s in load_sequences(CACHE / "melody.npz") if s["kind"] == args.model]
        vocab, styles, transpose, style_dropout = NUM_MELODY_EVENTS, 0, 6, 0.0
        train = [s for s in sequences if s["split"] == "train"]
        valid = [s for s in sequences if s["split"] == "validation"]
        weights = np.array([float(len(s["events"])) for s in train])
        shift = -12 if args.model == "bass" else 0  # bass lines an octave down (E1-E3 region)
        updates = args.updates or (600 if args.model == "bass" else 1500)
    weights = weights / weights.sum()

    model = SequenceModel(vocab, styles, args.hidden, args.layers, args.dropout).to(args.device)
    lr = args.lr
    init = args.init
    if args.model == "bass" and init is None:  # fine-tune the melody model on bass lines
        init = WEIGHTS / "melody_rnn.npz"
        lr = args.lr / 3
    if init is not None:
        load_into(model, init)
        print(f"starting from {init}", flush=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    best = (math.inf, 0, None)
    started = time.perf_counter()
    train_steps = sum(len(s["events"]) for s in train)
    print(
        f"{args.model}: {len(train)} train sequences ({train_steps} steps), {len(valid)} "
        f"validation; {sum(p.numel() for p in model.parameters())} parameters",
        flush=True,
    )
    running = 0.0
    for update in range(1, updates + 1):
        batch = windows(
            train, rng, args.batch, args.length, weights, transpose, style_dropout, shift
        )
        previous, position, style, target = (torch.tensor(a, device=args.device) for a in batch)
        logits = model(previous, position, style)
        loss = F.cross_entropy(logits.reshape(-1, vocab), target.reshape(-1), ignore_index=IGNORE)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        running += float(loss.detach())
        if update % args.eval_every == 0 or update == updates:
            nll = evaluate_nll(model, valid, args.device, shift)
            scheduler.step(nll)
            elapsed = time.perf_counter() - started
            print(
                f"update {update}: train {running / args.eval_every:.4f} valid {nll:.4f} "
                f"lr {optimizer.param_groups[0]['lr']:.2e} {elapsed:.0f} s",
                flush=True,
            )
            running = 0.0
            if nll < best[0]:
                best = (nll, update, {k: v.detach().clone() for k, v in model.state_dict().items()})
    assert best[2] is not None
    model.load_state_dict(best[2])
    name = {"drums": "drums_rnn", "melody": "melody_rnn", "bass": "bass_rnn"}[args.model]
    config = {
        "name": name,
        "vocab": vocab,
        "positions": STEPS_PER_BAR,
        "styles": styles,
        "hidden": args.hidden,
        "layers": args.layers,
        "training": {
            "seed": args.seed,
            "updates": best[1],
            "batch": args.batch,
            "length": args.length,
            "valid_nll": round(best[0], 5),
            "seconds": round(time.perf_counter() - started),
            "pitch_shift": shift,
            "lr": args.lr,
            "init": init.name if init is not None else None,
        },
    }
    size = export(model, args.out or WEIGHTS / f"{name}.npz", config, extra)
    print(f"best validation NLL {best[0]:.4f} at update {best[1]}; wrote {size} bytes", flush=True)


def load_into(model: SequenceModel, path: Path) -> None:
    """Load exported weights back into a PyTorch model (to fine-tune them)."""
    with np.load(path) as data:
        for layer in range(model.lstm.num_layers):
            w_ih = torch.tensor(data[f"l{layer}_weight_ih"].astype(np.float32))
            getattr(model.lstm, f"weight_ih_l{layer}").data.copy_(w_ih)
            w_hh = torch.tensor(data[f"l{layer}_weight_hh"].astype(np.float32))
            getattr(model.lstm, f"weight_hh_l{layer}").data.copy_(w_hh)
            getattr(model.lstm, f"bias_ih_l{layer}").data.copy_(
                torch.tensor(data[f"l{layer}_bias"].astype(np.float32))
            )
            getattr(model.lstm, f"bias_hh_l{layer}").data.zero_()
        model.out.weight.data.copy_(torch.tensor(data["out_weight"].astype(np.float32)))
        model.out.bias.data.copy_(torch.tensor(data["out_bias"].astype(np.float32)))


if __name__ == "__main__":
    main()
