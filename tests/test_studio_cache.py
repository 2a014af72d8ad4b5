"""The studio's audio cache stays bounded: stale versions go, then the least recently played."""

from __future__ import annotations

import os
from pathlib import Path

from audiomancer.generators.lineage import LineageTracker
from audiomancer.patterns.steps import parse_steps
from audiomancer.patterns.store import PatternStore
from audiomancer.studio.media import AudioCache

BEATS = (
    "kick: x...x...x...x... snare: ....x.......x...",
    "kick: x.x.....x.x..... closed_hat: x.x.x.x.x.x.x.x.",
    "kick: x..x..x...x..... snare: ....x..x....x...",
)


def test_the_cache_keeps_to_its_limit_and_drops_stale_versions(tmp_path: Path) -> None:
    store = PatternStore(tmp_path / "patterns.sqlite3")
    first, second, third = (store.put(parse_steps(beat, "drums")) for beat in BEATS)
    folder = tmp_path / "audio"
    cache = AudioCache(LineageTracker(tmp_path / "lineage.json"), folder)
    played_first = cache.pattern_audio(first)
    size = played_first.stat().st_size
    stale = folder / f"{first.id}__kit-default__000000000000.wav"
    stale.write_bytes(played_first.read_bytes())  # as a render of an older kit left it
    os.utime(stale, ns=(1, 1))  # ... long ago; it must still not survive a render of its sound
    os.utime(played_first, ns=(2, 2))

    cache.limit_bytes = 10 * size  # room for everything: nothing goes but stale versions
    played_second = cache.pattern_audio(second)
    assert sorted(folder.glob("*.wav")) == sorted([played_first, stale, played_second])
    played_first.unlink()
    assert cache.pattern_audio(first) == played_first and not stale.exists()

    cache.limit_bytes = 2 * size + size // 2  # room for two: the least recently played goes
    os.utime(played_second, ns=(3, 3))
    assert cache.pattern_audio(first) == played_first  # a hit marks the first as just played
    played_third = cache.pattern_audio(third)
    assert sorted(folder.glob("*.wav")) == sorted([played_first, played_third])
    assert sum(p.stat().st_size for p in folder.glob("*.wav")) <= cache.limit_bytes
