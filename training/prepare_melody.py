"""Extract melodies and bass lines from the music21 corpus's safe subset into the cache.

Sources (see ../shared/data/README.md): O'Neill's 1850 (``oneills1850``), Ryan's Mammoth
(``ryansMammoth``), Aird's Airs (``airdsAirs``) and the Bach chorales' soprano and bass parts.
Never ``essenFolksong`` (non-commercial licence). Tunes in 4/4, 2/2 and 2/4 are kept (the model
reads the position in a 16-step bar; a 2/4 bar is half of one), quantized to 16th steps,
monophonic (highest note of a chord for melodies, lowest for bass), without chord symbols or
grace notes; ties are merged. Each tune gets a deterministic split by its name, the soprano and
bass of a chorale the same one.

    .venv/bin/python training/prepare_melody.py     # about 5 minutes on 2 cores

Writes ``~/.cache/audiomancer-training/melody.npz`` (events, positions, per-tune metadata).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import CACHE, save_sequences, split_of

from audiomancer.models.encoding import (
    MAX_PITCH,
    MIN_PITCH,
    NO_EVENT,
    NOTE_OFF,
    STEPS_PER_BAR,
    drop_stray_note_offs,
    note_on_event,
)

FOLK_COLLECTIONS = ("oneills1850", "ryansMammoth", "airdsAirs")
MIN_STEPS = 32


def corpus_files() -> list[tuple[str, str]]:
    """(collection, path) of every file of the safe subset, in a stable order."""
    from music21 import corpus

    files = []
    for path in sorted(str(p) for p in corpus.getCorePaths()):
        parts = path.split("/corpus/")[-1].split("/")
        if parts[0] in FOLK_COLLECTIONS:
            files.append((parts[0], path))
        elif parts[0] == "bach" and Path(path).name.startswith("bwv"):
            files.append(("bach", path))
    return files


def extract_file(item: tuple[str, str]) -> list[dict[str, Any]]:
    """Every usable line of one corpus file."""
    collection, path = item
    from music21 import converter

    try:
        parsed = converter.parse(path, forceSource=True)
    except Exception as error:  # music21 raises many kinds on odd files
        print(f"skip {path}: {error}", file=sys.stderr)
        return []
    scores = list(parsed.scores) if hasattr(parsed, "scores") else [parsed]
    lines = []
    for index, score in enumerate(scores):
        if collection == "bach":
            chosen = []
            for part in score.parts:
                name = (part.partName or "").lower()
                if "soprano" in name:
                    chosen.append(("melody", part))
                elif "bass" in name and "continuo" not in name:
                    chosen.append(("bass", part))
            if len({kind for kind, _ in chosen}) < 2:
                continue  # not a four-part chorale
            chosen = [next(c for c in chosen if c[0] == k) for k in ("melody", "bass")]
        else:
            if not score.parts:
                continue
            chosen = [("melody", score.parts[0])]
        tune = f"{collection}/{Path(path).name}/{index}"
        title = score.metadata.title if score.metadata is not None else None
        for kind, part in chosen:
            try:
                line = extract_part(part, lowest=kind == "bass")
            except Exception as error:
                print(f"skip {tune} {kind}: {error}", file=sys.stderr)
                continue
            if line is None:
                continue
            events, positions = line
            lines.append(
                {
                    "kind": kind,
                    "collection": collection,
                    "tune": tune,
                    "title": title,
                    "split": split_of(tune),
                    "events": events,
                    "positions": positions,
                }
            )
    return lines


def extract_part(part: Any, lowest: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Events and bar positions of one part, or None if its metre does not fit."""
    from music21 import chord, harmony, note

    measures = list(part.getElementsByClass("Measure"))
    if not measures:
        return None
    bar_lengths = [round(m.barDuration.quarterLength * 4) for m in measures]
    nominal = max(set(bar_lengths), key=bar_lengths.count)
    if nominal not in (STEPS_PER_BAR, STEPS_PER_BAR // 2):
        return None
    onsets: list[tuple[int, int, int, Any]] = []  # (start step, end step, pitch, tie)
    positions: list[int] = []
    step = 0
    full_bars = 0
    for number, measure in enumerate(measures):
        length = round(measure.duration.quarterLength * 4)
        padding = round(float(measure.paddingLeft) * 4)
        if (length + padding == nominal and number > 0) or length == nominal:
            phase = (full_bars % 2) * 8 if nominal == 8 else 0
            full_bars += 1
            first = phase
        elif number == 0:
            first = (STEPS_PER_BAR - length) % STEPS_PER_BAR  # a pickup ends on the bar line
        else:
            first = positions[-1] + 1 if positions else 0  # a partial bar goes on
        positions.extend((first + i) % STEPS_PER_BAR for i in range(length))
        for element in measure.recurse().notes:
            if isinstance(element, harmony.Harmony) or element.duration.isGrace:
                continue
            if element.quarterLength <= 0:
                continue
            if isinstance(element, chord.Chord):
                pitches = [p.midi for p in element.pitches]
                if not pitches:
                    continue
                pitch = min(pitches) if lowest else max(pitches)
            elif isinstance(element, note.Note):
                pitch = element.pitch.midi
            else:
                continue
            offset = element.getOffsetInHierarchy(measure)
            start = step + round(float(offset) * 4)
            end = step + round(float(offset + element.quarterLength) * 4)
            onsets.append((start, max(end, start + 1), pitch, element.tie))
        step += length
    if step < MIN_STEPS:
        return None
    events = np.full(step, NO_EVENT, dtype=np.int64)
    merged: list[list[int]] = []
    for start, end, pitch, tie in sorted(onsets, key=lambda o: (o[0], o[2])):
        tied = tie is not None and tie.type in ("stop", "continue")
        if tied and merged and merged[-1][2] == pitch and merged[-1][1] >= start:
            merged[-1][1] = max(merged[-1][1], end)
            continue
        merged.append([start, end, pitch])
    for start, end, pitch in merged:
        if not MIN_PITCH <= pitch <= MAX_PITCH or start >= step:
            continue
        events[start] = note_on_event(pitch)
        events[start + 1 : min(end, step)] = NO_EVENT
        if end < step and events[end] == NO_EVENT:
            events[end] = NOTE_OFF
    drop_stray_note_offs(events)
    if np.count_nonzero(events >= 2) < 8:
        return None
    return events, np.array(positions[:step], dtype=np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CACHE / "melody.npz")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="first N files (smoke test)")
    args = parser.parse_args()
    files = corpus_files()[: args.limit]
    started = time.perf_counter()
    with multiprocessing.Pool(args.workers) as pool:
        results = pool.map(extract_file, files, chunksize=4)
    lines, seen = [], set()
    for line in (line for result in results for line in result):
        digest = hashlib.sha256(line["kind"].encode() + line["events"].tobytes()).hexdigest()
        if digest in seen:  # the collections repeat some tunes: keep one copy
            continue
        seen.add(digest)
        lines.append(line)
    save_sequences(args.out, lines)
    steps = sum(len(line["events"]) for line in lines)
    by_kind = {
        (k, s): sum(1 for x in lines if x["kind"] == k and x["split"] == s)
        for k in ("melody", "bass")
        for s in ("train", "validation", "test")
    }
    print(
        f"{len(files)} files -> {len(lines)} lines, {steps} steps, "
        f"{time.perf_counter() - started:.0f} s; {by_kind} -> {args.out}"
    )


if __name__ == "__main__":
    main()
