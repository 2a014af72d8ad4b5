"""Drum kits and melodic sounds: which SuperDirt sound plays each drum class in Tidal.

Every name here exists in SuperDirt's default setup: a folder of the default sample library
(Dirt-Samples) or a synth of SuperDirt's ``library/default-synths-extra.scd``;
``tests/test_kits.py`` keeps them in a checked list of both. A voice is a sound plus, where a
kit plays two classes on one sound, constant controls that tell them apart (``# n 10``).

- ``dirt`` (the default): the folders live coders use, ``bd sn hh ho lt mt ht cr``. Dirt-Samples
  has no ride folder; the ride plays ``808cy``, the TR-808's cymbal, the nearest long metallic
  hit in the default library (its ``cr`` folder, which live coders use for a crash, stays the
  crash).
- ``808``: the Dirt-Samples TR-808 folders ``808bd 808sd 808hc 808oh 808lt 808mt 808ht 808cy``;
  the 808 has no ride, so the ride is another of ``808cy``'s recordings (``# n 10``).
- ``synths``: no samples at all, SuperDirt's drum synths: ``superkick``, ``supersnare``,
  ``superhat`` (closed; with a longer ``sustain`` for the open hat, crash and ride) and
  ``super808`` tuned by ``n`` for the three toms.

Melody and bass play SuperDirt's stock synths ``superpiano`` and ``supersaw`` unless a pattern
names another sound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from audiomancer.patterns.model import DRUM_CLASSES, DrumClass, allowed

MELODY_SOUND: Final = "superpiano"
"""SuperDirt synth that plays melody patterns by default."""
BASS_SOUND: Final = "supersaw"
"""SuperDirt synth that plays bass patterns by default."""
DEFAULT_KIT: Final = "dirt"

_SOUND_NAME: Final = r"[A-Za-z0-9][A-Za-z0-9_]*"


@dataclass(frozen=True)
class Voice:
    """The sound of one drum class in a kit, with constant controls that set it apart."""

    sound: str
    controls: tuple[tuple[str, float], ...] = ()

    def tidal_controls(self) -> str:
        """The controls as Tidal code (`` # n 10 # sustain 1``), empty when there are none."""
        return "".join(f" # {name} {_number(value)}" for name, value in self.controls)


@dataclass(frozen=True)
class Kit:
    """A drum kit: one voice per drum class."""

    name: str
    description: str
    voices: dict[str, Voice]

    def voice(self, drum: DrumClass) -> Voice:
        """The voice that plays a drum class."""
        return self.voices[drum.name]


def _kit(name: str, description: str, *voices: Voice) -> Kit:
    assert len(voices) == len(DRUM_CLASSES)
    return Kit(name, description, {c.name: v for c, v in zip(DRUM_CLASSES, voices, strict=True)})


KITS: Final[dict[str, Kit]] = {
    "dirt": _kit(
        "dirt",
        "Dirt-Samples' classic folders (SuperDirt's default samples)",
        Voice("bd"),
        Voice("sn"),
        Voice("hh"),
        Voice("ho"),
        Voice("lt"),
        Voice("mt"),
        Voice("ht"),
        Voice("cr"),
        Voice("808cy"),
    ),
    "808": _kit(
        "808",
        "Dirt-Samples' Roland TR-808 folders",
        Voice("808bd"),
        Voice("808sd"),
        Voice("808hc"),
        Voice("808oh"),
        Voice("808lt"),
        Voice("808mt"),
        Voice("808ht"),
        Voice("808cy"),
        Voice("808cy", (("n", 10),)),
    ),
    "synths": _kit(
        "synths",
        "SuperDirt's sample-free drum synths",
        Voice("superkick"),
        Voice("supersnare"),
        Voice("superhat"),
        Voice("superhat", (("sustain", 1),)),
        Voice("super808", (("n", 4),)),
        Voice("super808", (("n", 4.5),)),
        Voice("super808", (("n", 5),)),
        Voice("superhat", (("sustain", 6),)),
        Voice("superhat", (("n", 3), ("sustain", 3))),
    ),
}

ALIASES: Final[dict[str, str]] = {
    # names live coders write that are no kit's own, mapped on import only
    "oh": "open_hat",  # audiomancer 0.1's (silent) open hat, and a common guess
    "ride": "ride",
    "cp": "snare",
    "superclap": "snare",
    "sd": "snare",
    "808": "kick",
    "clubkick": "kick",
    "hardkick": "kick",
    "808lc": "low_tom",
    "808mc": "mid_tom",
}


def get_kit(name: str) -> Kit:
    """The kit of that name; ValueError naming it and the kits there are."""
    if isinstance(name, str) and name.strip().lower() in KITS:
        return KITS[name.strip().lower()]
    raise ValueError(f"invalid kit {name!r}: expected one of {allowed(KITS)}")


def validate_sound(sound: str) -> str:
    """Return a SuperDirt sound name if it is one word (``superpiano``, ``arpy``).

    ValueError otherwise.
    """
    if isinstance(sound, str) and re.fullmatch(_SOUND_NAME, sound):
        return sound
    raise ValueError(
        f"invalid sound {sound!r}: expected a SuperDirt sound name (letters, digits, _), "
        "e.g. superpiano, supersaw, arpy"
    )


def default_sound(pattern_type: str) -> str | None:
    """The SuperDirt synth that plays a melodic type by default (None for drums)."""
    return {"melody": MELODY_SOUND, "bass": BASS_SOUND}.get(pattern_type)


def drum_class_of(
    sound: str, controls: dict[str, float], kit: str | None = None
) -> DrumClass | None:
    """The drum class a Tidal event plays, or None when no kit has that sound.

    ``kit`` is looked at first (a file we wrote names its kit), then the default kit, then the
    others, then :data:`ALIASES`. Within a kit a voice matches when every control it sets has
    that value in the event; the voice with the most such controls wins, so ``808cy # n 10`` is
    the 808 kit's ride and a bare ``808cy`` its crash.
    """
    order = [KITS[kit]] if kit in KITS else []
    order += [k for name, k in KITS.items() if k not in order and name == DEFAULT_KIT]
    order += [k for k in KITS.values() if k not in order]
    for candidate in order:
        best: tuple[int, DrumClass] | None = None
        for drum in DRUM_CLASSES:
            voice = candidate.voice(drum)
            if voice.sound != sound:
                continue
            if all(
                name in controls and abs(controls[name] - value) < 1e-9
                for name, value in voice.controls
            ):
                score = len(voice.controls)
                if best is None or score > best[0]:
                    best = (score, drum)
        if best is not None:
            return best[1]
    alias = ALIASES.get(sound)
    if alias is not None:
        return next(c for c in DRUM_CLASSES if c.name == alias)
    return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
