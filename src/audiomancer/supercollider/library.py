"""The shipped SynthDef templates (``supercollider/templates/*.scd``).

Each template is one file holding exactly one ``SynthDef(\\name, {...}).add;`` named like the
file, whose first line is ``// category: <bass|lead|pad|drum|fx>`` and whose second line is a
comment describing the sound. Every template has the controls ``out``, ``freq`` and ``amp``
(and ``gate`` where a held note makes sense) and frees itself when it is done.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

from audiomancer.errors import SynthNotFoundError

CATEGORIES: Final = ("bass", "lead", "pad", "drum", "fx")
_SUFFIX: Final = ".scd"
_CATEGORY_LINE: Final = r"^\s*//\s*category:\s*(\w+)\s*$"


def _folder() -> Traversable:
    return resources.files("audiomancer.supercollider").joinpath("templates")


def template_names() -> list[str]:
    """Names of the shipped templates, sorted."""
    return sorted(
        entry.name[: -len(_SUFFIX)]
        for entry in _folder().iterdir()
        if entry.is_file() and entry.name.endswith(_SUFFIX)
    )


def template_path(name: str) -> Path:
    """Path of a template's ``.scd`` file; SynthNotFoundError listing the names if unknown."""
    names = template_names()
    if name not in names:
        raise SynthNotFoundError(
            f"no SynthDef template named {name!r}; available: {', '.join(names)}"
        )
    entry = _folder().joinpath(name + _SUFFIX)
    # The package is installed as files (package data in a wheel or a source tree), so the
    # resource is a real path; anything else is a broken installation.
    path = Path(str(entry))
    if not path.is_file():
        raise FileNotFoundError(f"template {name!r} is not a file on disk: {entry}")
    return path


def template_source(name: str) -> str:
    """The SuperCollider code of a template."""
    return template_path(name).read_text(encoding="utf-8")


def template_category(name: str) -> str:
    """A template's category (bass, lead, pad, drum or fx), from its first-line comment."""
    source = template_source(name)
    first = source.splitlines()[0] if source else ""
    found = re.match(_CATEGORY_LINE, first)
    if found is None or found.group(1) not in CATEGORIES:
        raise ValueError(
            f"template {name!r} does not start with '// category: <{'|'.join(CATEGORIES)}>'"
        )
    return found.group(1)


def template_description(name: str) -> str:
    """The one-line description of a template (its second-line comment)."""
    lines = template_source(name).splitlines()
    if len(lines) < 2 or not lines[1].lstrip().startswith("//"):
        return ""
    return lines[1].lstrip()[2:].strip()
