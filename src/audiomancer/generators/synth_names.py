"""Names of generated, mutated and bred synths.

Names are SuperCollider symbols (``[a-z][a-z0-9_]*``), derived deterministically and unique in
the library (:class:`~audiomancer.generators.lineage.LineageTracker`): ``tb303_m427`` for a
mutant (three digits from the parent, its code, the amount and the seed, bumped while taken;
a mutant of a mutant is ``tb303_m...`` again), ``tb303_x_juno_pad`` for a child (``_2``,
``_3``... while taken), ``warm_acid_bass_001`` for a generated synth (the description's
words before "with", "and", ...). A name is taken only by a *different* synth: the same
result made again keeps its name. A name is reserved in the lineage database when it is
handed out (:meth:`~audiomancer.generators.lineage.LineageTracker.reserve_name`), so two
calls making different synths, in one process or several, never get the same name before
either is saved.
Descriptions never reach the code; only the sanitised name does.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterator
from typing import Final

from audiomancer.evolution import synth_ops
from audiomancer.generators.lineage import LineageTracker
from audiomancer.supercollider import syntax as sc

__all__ = [
    "FILLERS",
    "STOP_WORDS",
    "child_names",
    "generated_names",
    "mutant_names",
    "pick_name",
    "sanitize_name",
]


def sanitize_name(text: str, fallback: str = "synth", limit: int = 48) -> str:
    """A safe SynthDef name from any text: ``[a-z0-9_]``, starting with a letter.

    >>> sanitize_name("Warm Acid-Bass!"), sanitize_name("303 line"), sanitize_name("")
    ('warm_acid_bass', 'synth_303_line', 'synth')
    """
    cleaned = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"{fallback}_{cleaned}".strip("_")
    return cleaned[:limit].rstrip("_") or fallback


def mutant_names(
    parent: str, seed: int | None, rng: random.Random, decided_by: str = ""
) -> Iterator[str]:
    """``<parent>_m<3 digits>``: from the seed and ``decided_by`` (everything else that decides
    the result: the parent's code, the amount), so different mutants rarely share a number and
    the same mutant always gets it; bumped while taken or handed out to a different synth."""
    base = re.sub(r"_m\d+$", "", sanitize_name(parent)) or "synth"
    if seed is None:
        number = rng.randrange(100, 1000)
    else:
        key = f"{parent}\0{seed}\0{decided_by}".encode("utf-8", "surrogateescape")
        number = 100 + zlib.crc32(key) % 900
    while True:
        yield f"{base}_m{number}"
        number += 1


def child_names(a: str, b: str) -> Iterator[str]:
    left, right = sanitize_name(a, limit=28), sanitize_name(b, limit=28)
    base = f"{left}_x_{right}"
    yield base
    index = 2
    while True:
        yield f"{base}_{index}"
        index += 1


STOP_WORDS: Final = frozenset(
    {
        "with",
        "and",
        "plus",
        "featuring",
        "using",
        "that",
        "which",
        "for",
        "from",
        "in",
        "on",
        "of",
        "to",
        "like",
        "but",
        "having",
        "has",
        "into",
        "through",
        "over",
    }
)
FILLERS: Final = frozenset(
    {
        "a",
        "an",
        "the",
        "some",
        "very",
        "really",
        "quite",
        "super",
        "bit",
        "little",
        "more",
        "less",
        "kind",
        "sort",
    }
)
_INSTRUMENTS: Final = frozenset(
    {
        "bass",
        "lead",
        "pad",
        "drum",
        "drums",
        "fx",
        "kick",
        "snare",
        "hat",
        "hihat",
        "hats",
        "keys",
        "organ",
        "pluck",
        "riser",
        "zap",
        "sub",
        "synth",
        "strings",
        "string",
        "perc",
        "tom",
        "clap",
        "bell",
        "stab",
        "arp",
        "chord",
        "chords",
        "laser",
        "effect",
        "sfx",
        "noise",
        "piano",
        "brass",
        "choir",
    }
)


def _description_base(description: str, category: str) -> str:
    words: list[str] = []
    for word in re.findall(r"[a-z0-9]+", description.lower()):
        if word in STOP_WORDS:
            break
        if word not in FILLERS:
            words.append(word)
    words = words[:4]
    if not any(word in _INSTRUMENTS or word == category for word in words):
        words.append(category)
    return sanitize_name("_".join(words), fallback=category, limit=40)


def generated_names(description: str, category: str) -> Iterator[str]:
    base = _description_base(description, category)
    number = 1
    while True:
        yield f"{base}_{number:03d}"
        number += 1


def pick_name(
    names: Iterator[str], program: sc.Program, tracker: LineageTracker
) -> tuple[str, str]:
    """The first name not taken by (or handed out to) a different synth, and the code under
    that name; the name is reserved for that code (LineageTracker.reserve_name)."""
    for name in names:
        code = sc.print_code(synth_ops.rename(program, name))
        if tracker.reserve_name(name, code):
            return name, code
    raise AssertionError("unreachable: name generators are endless")
