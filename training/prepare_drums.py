"""Turn the drum data into step-state sequences, style primers and a velocity table.

Sources (see ../shared/data/README.md):
- Groove MIDI, 4/4 files of the ``train`` and ``validation`` splits for training and model
  choice, the ``test`` split only for the held-out evaluation (never trained on). Notes snap to
  the nearest 16th step and map to Magenta's nine drum classes.
- tidal-drum-patterns ``grid16``: the electronic patterns (each looped over four bars, and
  the a/b/c variants of one groove chained), labelled with a style where they are a real example
  of one of the spec's styles (``STYLE_PATTERNS``).

Writes ``~/.cache/audiomancer-training/drums.npz`` and the package's shipped primers
(``src/audiomancer/models/primers.json``: the style patterns, as step strings per drum class)
and the velocity table (in the cache, exported into the weights by train.py).

    .venv/bin/python training/prepare_drums.py      # about a minute
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import mido
import numpy as np
from common import CACHE, REPO, SHARED_DATA, save_sequences

from audiomancer.models.encoding import NUM_DRUM_CLASSES, STEPS_PER_BAR, STYLE_IDS
from audiomancer.patterns.model import DRUM_CLASS_BY_NAME, DRUM_CLASSES, drum_class

# Real patterns of each style (names in tidal-drum-patterns). basic: four-on-the-floor kick,
# snare on 2 and 4, plain hats; techno: four-on-the-floor with 16th-hat variations; house:
# four-on-the-floor with open hats on the offbeats (and shuffled hats); dnb: fast breakbeats.
STYLE_PATTERNS: dict[str, tuple[str, ...]] = {
    "basic": ("Rock4a", "Rock4b", "Disco2a", "Disco3a", "Ska1b"),
    "techno": ("Techno", "Disco1a", "Disco2b", "Disco3b", "Disco4a", "Disco5b", "Superstition"),
    "house": (
        "House1a", "House1b", "Haus", "DeepHouse", "DeeperHouse", "DirtyHouse", "FrenchHouse",
        "BritHouse", "SlowDeepHouse", "TinyHouse", "FourOnTheFloor", "Disco5a",
    ),
    "dnb": (
        "Dnb1a", "Dnb1b", "Dnb2a", "Dnb3", "Dnb4a", "Dnb4b", "Jungle", "Jungle1a", "Jungle1b",
        "JungleAlt", "Amen", "AmenBrother", "RollinBreak",
    ),
}  # fmt: skip
ELECTRONIC = re.compile(
    r"^(Electro|Dubstep|Footwork|Juke|Trap|UkGarage|Breakbeat|Break\d|Disco|ItaloDisco|SynthWave"
    r"|Autobahn|TransEuroExpress|Numbers|DasModel|BlueMonday|PlanetRock|LookingForThePerfectBeat"
    r"|MusicNonStop|NewWave|Supersonic|BigBeat|MiamiBass|Steppers|Kick$|Rolling|Poptech|Ageispolis"
    r"|HalfDrop|OneDrop|TwoDrop|House|Haus|DeepHouse|DeeperHouse|DirtyHouse|FrenchHouse"
    r"|BritHouse|SlowDeepHouse|TinyHouse|FourOnTheFloor|Techno|Dnb|Jungle|Amen|RollinBreak)"
)
# Tidal voice names (Dirt-Samples banks) -> Magenta drum class.
TIDAL_VOICES = {
    "bd": "kick", "sn": "snare", "cp": "snare", "cl": "snare", "rm": "snare",
    "ch": "closed_hat", "sh": "closed_hat", "oh": "open_hat", "lt": "low_tom",
    "mt": "mid_tom", "ht": "high_tom", "cy": "crash",
}  # fmt: skip
# "ac" (accent) is not a sound.


def groove_sequences(root: Path) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Groove MIDI files as step states, and the median velocity per class and bar position."""
    sequences = []
    velocities: dict[tuple[int, int], list[int]] = defaultdict(list)
    with open(root / "info.csv", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: r["midi_filename"])
    for row in rows:
        if row["time_signature"] != "4-4":
            continue
        midi = mido.MidiFile(root / row["midi_filename"])
        per_step = midi.ticks_per_beat / 4
        hits: list[tuple[int, int, int]] = []
        for track in midi.tracks:
            now = 0
            for message in track:
                now += message.time
                if message.type == "note_on" and message.velocity > 0:
                    try:
                        index = drum_class(message.note).index
                    except ValueError:
                        continue
                    hits.append((round(now / per_step), index, message.velocity))
        if not hits:
            continue
        length = max(step for step, _, _ in hits) + 1
        length = -(-length // STEPS_PER_BAR) * STEPS_PER_BAR
        states = np.zeros(length, dtype=np.int64)
        for step, index, velocity in hits:
            states[step] |= 1 << index
            if row["split"] == "train":
                velocities[(index, step % STEPS_PER_BAR)].append(velocity)
        sequences.append(
            {
                "source": "groove",
                "name": row["midi_filename"],
                "style": row["style"],
                "beat_type": row["beat_type"],
                "style_id": 0,
                "split": row["split"],
                "events": states,
                "positions": np.arange(length) % STEPS_PER_BAR,
            }
        )
    table = np.full((NUM_DRUM_CLASSES, STEPS_PER_BAR), 90, dtype=np.uint8)
    for (index, position), values in velocities.items():
        table[index, position] = int(np.median(values))
    return sequences, table


def tidal_bars(pattern: dict[str, Any]) -> np.ndarray | None:
    """A tidal pattern's grid16 as step states, or None if it is not whole 16-step bars."""
    grid = pattern.get("grid16")
    if not grid:
        return None
    lengths = {len(cells) for cells in grid.values()}
    if len(lengths) != 1 or next(iter(lengths)) % STEPS_PER_BAR:
        return None
    states = np.zeros(lengths.pop(), dtype=np.int64)
    for voice, cells in grid.items():
        if voice not in TIDAL_VOICES:
            continue
        index = DRUM_CLASS_BY_NAME[TIDAL_VOICES[voice]].index
        for step, cell in enumerate(cells):
            if cell == "x":
                states[step] |= 1 << index
    return states if states.any() else None


def tidal_sequences(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Looped electronic tidal patterns (style-labelled where listed) and the style primers."""
    patterns = json.loads(path.read_text())["patterns"]
    style_of = {name: style for style, names in STYLE_PATTERNS.items() for name in names}
    bars: dict[str, np.ndarray] = {}
    for pattern in patterns:
        states = tidal_bars(pattern)
        name = pattern["name"]
        if states is not None and (ELECTRONIC.match(name) or name in style_of):
            bars[name] = states
    missing = sorted(set(style_of) - set(bars))
    if missing:
        raise SystemExit(f"style patterns missing from {path}: {missing}")
    sequences = []

    def add(name: str, parts: list[np.ndarray]) -> None:
        states = np.concatenate(parts)
        sequences.append(
            {
                "source": "tidal",
                "name": name,
                "style": style_of.get(name.split("+")[0]),
                "style_id": STYLE_IDS[style_of.get(name.split("+")[0])],
                "split": "train",
                "events": states,
                "positions": np.arange(len(states)) % STEPS_PER_BAR,
            }
        )

    for name, states in bars.items():
        add(name, [states] * max(1, 64 // len(states)))
    families: dict[str, list[str]] = defaultdict(list)
    for name in bars:
        match = re.fullmatch(r"(.*\d)([a-d])", name)
        if match:
            families[match.group(1)].append(name)
    for members in families.values():
        members.sort()
        for other in members[1:]:
            first = members[0]
            if style_of.get(first) != style_of.get(other):
                continue
            add(f"{first}+{other}", [bars[first]] * 3 + [bars[other]])
            add(f"{first}+{other}+alt", [bars[first], bars[other]] * 2)
    primers = {
        "source": "tidal-drum-patterns (github.com/lvm/tidal-drum-patterns, GPL-3.0)",
        "styles": {
            style: [{"name": name, "lanes": lanes(bars[name])} for name in names]
            for style, names in STYLE_PATTERNS.items()
        },
    }
    return sequences, primers


def lanes(states: np.ndarray) -> dict[str, str]:
    """Step strings per drum class ("x...x..."), for the classes that play."""
    result = {}
    for drum in DRUM_CLASSES:
        cells = "".join("x" if state >> drum.index & 1 else "." for state in states)
        if "x" in cells:
            result[drum.name] = cells
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CACHE / "drums.npz")
    parser.add_argument(
        "--primers", type=Path, default=REPO / "src" / "audiomancer" / "models" / "primers.json"
    )
    args = parser.parse_args()
    groove, table = groove_sequences(SHARED_DATA / "groove-midi")
    tidal, primers = tidal_sequences(SHARED_DATA / "tidal-drum-patterns" / "patterns.json")
    save_sequences(args.out, groove + tidal)
    np.save(args.out.with_name("drum_velocities.npy"), table)
    args.primers.write_text(json.dumps(primers, indent=1) + "\n")
    for split in ("train", "validation", "test"):
        chosen = [s for s in groove if s["split"] == split]
        print(f"groove {split}: {len(chosen)} files, {sum(len(s['events']) for s in chosen)} steps")
    print(f"tidal: {len(tidal)} sequences, {sum(len(s['events']) for s in tidal)} steps")
    print(f"-> {args.out}, {args.primers}")


if __name__ == "__main__":
    main()
