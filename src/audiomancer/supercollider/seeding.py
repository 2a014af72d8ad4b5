"""Seeded renders: a score that starts by seeding scsynth's random generators renders the same
samples every time, in any process.

scsynth seeds its generators from the clock at start-up, so ``WhiteNoise``, ``Rand``, ``Dust``
and friends differ from render to render. :func:`seed_score` loads :data:`SEED_SYNTHDEF` and
starts it at the head of the root group at time 0: it seeds generator 0 (shared by every synth
that does not pick another with ``RandID``) in its first control block, before any other synth
draws, then frees itself. scsynth builds a synth's units when the synth first runs, in node
order, so the head of the root group comes first whatever else the score starts at time 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from audiomancer.supercollider import osc

__all__ = [
    "DEFAULT_SEED",
    "MAX_SEED",
    "SEED_NODE_ID",
    "SEED_SYNTHDEF",
    "seed_message",
    "seed_score",
    "validate_seed",
]

SEED_SYNTHDEF: Final = r"""SynthDef(\am_seed, { |seed = 0|
    RandSeed.ir(1, seed);
    FreeSelf.kr(1);
}).add;
"""
"""Seeds the server's random generator 0 when it is created, then frees itself."""
SEED_NODE_ID: Final = 999
"""The seed synth's node: below the first node scores start notes at (``nrt.FIRST_NODE_ID``)."""
DEFAULT_SEED: Final = 0
MAX_SEED: Final = 2**24
"""Seeds travel as OSC floats: every integer up to 2**24 is exact."""
_ADD_TO_HEAD: Final = 0


def validate_seed(seed: object) -> int:
    """The seed if it is an integer from 0 to :data:`MAX_SEED`; ValueError naming it if not."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"invalid seed {seed!r}: expected an integer from 0 to {MAX_SEED}")
    return seed


def seed_score(bundles: Sequence[osc.Bundle], seeder: bytes, seed: int) -> list[osc.Bundle]:
    """The score with the seed synth (``seeder``: :data:`SEED_SYNTHDEF` compiled) loaded first
    and started last at time 0, at the head of the root group (before any node the score
    starts then, whatever its add action). ValueError for a bad seed."""
    load = osc.message("/d_recv", seeder)
    start = seed_message(seed)
    score = list(bundles)
    if score and score[0].time == 0.0:
        score[0] = osc.Bundle(0.0, (load, *score[0].contents, start))
    else:
        score.insert(0, osc.Bundle(0.0, (load, start)))
    return score


def seed_message(seed: int) -> osc.Message:
    """Starts the seed synth (loaded from :data:`SEED_SYNTHDEF`) at the head of the root group:
    sent before the other synths of a moment, it seeds generator 0 before they draw. The synth
    frees itself at once, so a later moment can send it again. ValueError for a bad seed."""
    seed = validate_seed(seed)
    return osc.message("/s_new", "am_seed", SEED_NODE_ID, _ADD_TO_HEAD, 0, "seed", seed)
