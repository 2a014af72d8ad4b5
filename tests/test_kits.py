"""Every sound audiomancer writes exists in SuperDirt's default setup (a checked list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiomancer.patterns.kits import (
    ALIASES,
    BASS_SOUND,
    DEFAULT_KIT,
    KITS,
    MELODY_SOUND,
    drum_class_of,
    get_kit,
    validate_sound,
)
from audiomancer.patterns.model import DRUM_CLASS_BY_NAME, DRUM_CLASSES

NAMES = Path(__file__).parent / "data" / "superdirt_names.txt"


def superdirt_names() -> dict[str, set[str]]:
    sections: dict[str, set[str]] = {}
    current = ""
    for line in NAMES.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = set()
        else:
            sections[current].update(line.split())
    return sections


def test_every_kit_sound_is_a_superdirt_folder_or_synth() -> None:
    names = superdirt_names()
    known = names["folders"] | names["synths"]
    assert len(names["folders"]) > 200 and "superkick" in names["synths"]
    for kit in KITS.values():
        assert set(kit.voices) == {c.name for c in DRUM_CLASSES}, kit.name
        for drum, voice in kit.voices.items():
            assert voice.sound in known, (kit.name, drum, voice.sound)
    assert {MELODY_SOUND, BASS_SOUND} <= names["synths"]
    # the names of audiomancer 0.1 that are silent in a stock setup are not played any more
    assert not {"oh", "ride"} & {v.sound for k in KITS.values() for v in k.voices.values()}
    assert "ho" in names["folders"] and "oh" not in names["folders"]


def test_the_default_kit_is_the_classic_dirt_names() -> None:
    dirt = get_kit(DEFAULT_KIT)
    assert [dirt.voice(c).sound for c in DRUM_CLASSES] == [
        "bd", "sn", "hh", "ho", "lt", "mt", "ht", "cr", "808cy",
    ]  # fmt: skip


def test_each_kit_tells_its_classes_apart() -> None:
    for kit in KITS.values():
        for drum in DRUM_CLASSES:
            voice = kit.voice(drum)
            assert drum_class_of(voice.sound, dict(voice.controls), kit.name) is drum, kit.name
    ride, crash = DRUM_CLASS_BY_NAME["ride"], DRUM_CLASS_BY_NAME["crash"]
    assert drum_class_of("808cy", {}, "808") is crash
    assert drum_class_of("808cy", {}, None) is ride  # the default kit comes first
    assert drum_class_of("bd", {"n": 3.0}) is DRUM_CLASS_BY_NAME["kick"]
    for alias, name in ALIASES.items():
        assert drum_class_of(alias, {}) is DRUM_CLASS_BY_NAME[name]
    assert drum_class_of("arpy", {}) is None


def test_bad_kit_and_sound_names() -> None:
    with pytest.raises(ValueError, match="invalid kit 'tr909'"):
        get_kit("tr909")
    for bad in ("two words", 'q"uote', "", "bd:3"):
        with pytest.raises(ValueError, match="invalid sound"):
            validate_sound(bad)
