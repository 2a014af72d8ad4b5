"""Drum kits: one SynthDef per drum class, to render drum patterns and export them as Pbinds.

The shipped kit, ``default``, lives in ``supercollider/drumkit/<class>.scd`` (package data): one
file per drum class of :data:`audiomancer.patterns.model.DRUM_CLASSES`, named after the class,
holding exactly one ``SynthDef(\\am_<class>, {...}).add;``. Its first line is
``// drum: <class>`` and its second a comment describing the sound. The SynthDef names are
stable (other code and exported Pbinds refer to them):

- kick: ``am_kick``; snare: ``am_snare``;
- closed_hat: ``am_closed_hat``; open_hat: ``am_open_hat``;
- low_tom: ``am_low_tom``; mid_tom: ``am_mid_tom``; high_tom: ``am_high_tom``;
- crash: ``am_crash``; ride: ``am_ride``.

Every kit SynthDef has the controls ``out`` (first output bus), ``amp`` (linear; a hit of
velocity v plays at ``amp * (v / 127) ** 2``, the Tidal export's curve, see
:func:`velocity_amp`) and ``pan`` (-1 left to 1 right), plus a few of its own (``tune``,
``decay``, ``tone`` ...). None has a ``gate``: each frees itself when its sound has died away
(``doneAction: 2``), as drum hits ignore note-off. Each writes with ``OffsetOut``, so a hit lands
on its exact sample even between control blocks (micro-timing is sample-accurate).

A user kit is a folder holding ``<class>.scd`` files with the same contract; classes it lacks are
played by the default kit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from audiomancer.errors import SynthNotFoundError

DEFAULT_KIT: Final = "default"
KIT_NAMES: Final = (DEFAULT_KIT,)
"""Names of the shipped kits."""
SYNTHDEF_PREFIX: Final = "am_"
_SUFFIX: Final = ".scd"
_NAME: Final = r"SynthDef\s*\(\s*(?:\\(\w+)|'(\w+)'|\"(\w+)\")"
_AMP: Final = r"\|[^|]*?\bamp\s*=\s*([0-9]*\.?[0-9]+)[^|]*\|"


@dataclass(frozen=True)
class KitVoice:
    """One drum class of a kit: the SynthDef that plays it and the file holding its code."""

    drum: str
    """Drum class name (``kick``, ``snare``, ``closed_hat`` ...)."""
    synthdef: str
    """SynthDef name (``am_kick`` ...)."""
    path: Path

    def source(self) -> str:
        """The SuperCollider code of the voice."""
        return self.path.read_text(encoding="utf-8")

    def amp_level(self) -> float:
        """The default of the voice's ``amp`` control: its level at velocity 127.

        Read from the argument list ``|... amp = 0.7 ...|`` (the kit's contract); ValueError
        when the code has none.
        """
        found = re.search(_AMP, self.source())
        if found is None:
            raise ValueError(f"{self.path} has no default for amp in |...| arguments")
        return float(found.group(1))


def drum_class_names() -> tuple[str, ...]:
    """The drum classes every kit covers, in the order of the pattern model."""
    from audiomancer.patterns.model import DRUM_CLASSES

    return tuple(drum.name for drum in DRUM_CLASSES)


def _shipped_folder() -> Path:
    path = Path(str(resources.files("audiomancer.supercollider").joinpath("drumkit")))
    if not path.is_dir():
        raise FileNotFoundError(f"the shipped drum kit is missing: {path} is not a folder")
    return path


def synthdef_name_in(source: str, where: str) -> str:
    """The name of the (first) SynthDef a ``.scd`` file defines; ValueError when it has none."""
    found = re.search(_NAME, source)
    if found is None:
        raise ValueError(f"{where} defines no SynthDef(\\name, ...)")
    return next(group for group in found.groups() if group)


def _voice(drum: str, path: Path) -> KitVoice:
    return KitVoice(drum, synthdef_name_in(path.read_text(encoding="utf-8"), str(path)), path)


def default_kit() -> dict[str, KitVoice]:
    """The shipped kit: drum class -> voice, for every drum class, in class order."""
    folder = _shipped_folder()
    voices: dict[str, KitVoice] = {}
    for drum in drum_class_names():
        path = folder / f"{drum}{_SUFFIX}"
        if not path.is_file():
            raise FileNotFoundError(f"the shipped drum kit lacks {path.name} (class {drum!r})")
        voices[drum] = KitVoice(drum, SYNTHDEF_PREFIX + drum, path)
    return voices


def load_kit(kit: str | Path = DEFAULT_KIT) -> dict[str, KitVoice]:
    """A kit by name (``default``) or folder of ``<class>.scd`` files: drum class -> voice.

    A folder may hold only some classes; the others come from the default kit. A file in it whose
    name is not a drum class, or that defines no SynthDef, is an error naming it
    (SynthNotFoundError for an unknown kit name or a missing folder, ValueError otherwise).
    """
    voices = default_kit()
    if isinstance(kit, str) and kit == DEFAULT_KIT:
        return voices
    folder = Path(kit)
    if not folder.is_dir():
        raise SynthNotFoundError(
            f"no drum kit {str(kit)!r}: expected one of {', '.join(KIT_NAMES)} or a folder of "
            f"<class>.scd files ({', '.join(drum_class_names())})"
        )
    classes = drum_class_names()
    found = sorted(folder.glob(f"*{_SUFFIX}"))
    if not found:
        raise ValueError(f"drum kit folder {str(folder)!r} holds no .scd file")
    for path in found:
        drum = path.name[: -len(_SUFFIX)]
        if drum not in classes:
            raise ValueError(
                f"drum kit file {str(path)!r} is not named after a drum class: expected one of "
                f"{', '.join(c + _SUFFIX for c in classes)}"
            )
        voices[drum] = _voice(drum, path)
    return voices


def velocity_amp(velocity: int) -> float:
    """Amplitude factor of a MIDI velocity: ``(velocity / 127) ** 2``, the Tidal export's curve.

    Tidal's ``gain`` is ``sqrt(velocity / 127)`` and SuperDirt plays ``amp = gain ** 4``
    (:func:`audiomancer.patterns.tidal.velocity_to_gain`); rendering uses the same curve, unrounded.
    """
    if isinstance(velocity, bool) or not isinstance(velocity, int) or not 1 <= velocity <= 127:
        raise ValueError(f"invalid velocity {velocity!r}: expected an integer from 1 to 127")
    return (velocity / 127) ** 2


__all__ = [
    "DEFAULT_KIT",
    "KIT_NAMES",
    "KitVoice",
    "default_kit",
    "drum_class_names",
    "load_kit",
    "synthdef_name_in",
    "velocity_amp",
]
