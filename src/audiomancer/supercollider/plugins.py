"""Start scsynth with only the UGen plugins a score needs: :func:`plugin_path_for`.

scsynth loads every plugin it finds before it renders anything: with sc3-plugins installed that
is about 100 shared libraries, most of the cost of a short render. A compiled SynthDef names
its UGen classes, and each plugin holds the names of the UGens it defines as plain strings, so
the plugins a score needs can be found by looking the names up in an index of the installed
plugins. The index is built once (reading the libraries' bytes) and kept in the scratch folder,
keyed by the plugin files' paths, sizes and times.

This is an optimisation only, never a change of behaviour: when a name is not found (a UGen
the index cannot see), :func:`plugin_path_for` returns None and scsynth loads everything as
usual; callers also fall back to everything when scsynth reports a UGen not installed
(:func:`missing_ugen`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from audiomancer.paths import scratch_dir

PLUGIN_DIRS: Final = (
    Path("/usr/lib/SuperCollider/plugins"),
    Path("/usr/local/lib/SuperCollider/plugins"),
    Path("/usr/lib/x86_64-linux-gnu/SuperCollider/plugins"),
    Path("/usr/lib/aarch64-linux-gnu/SuperCollider/plugins"),
    Path("/usr/share/SuperCollider/Extensions"),
    Path("/usr/local/share/SuperCollider/Extensions"),
)
"""Where Debian's and a source build's scsynth look for plugins (besides the user's own
Extensions folder, which audiomancer's engine home leaves empty)."""
BUILT_IN: Final = frozenset({"Control", "AudioControl", "TrigControl", "LagControl"})
"""UGens scsynth defines itself, found in no plugin."""
_NAME: Final = re.compile(rb"[A-Za-z0-9_]{2,80}(?=\x00)")
_INDEX_VERSION: Final = 2


def _plugin_files() -> list[Path]:
    found: list[Path] = []
    for folder in PLUGIN_DIRS:
        if folder.is_dir():
            found += sorted(
                path
                for path in folder.rglob("*.so")
                if not path.name.endswith("_supernova.so") and path.is_file()
            )
    return found


def _stamp() -> str | None:
    """What the plugin folders look like now (their times change when a package adds or
    replaces a plugin), or None when there is none."""
    stamp = hashlib.sha256(str(_INDEX_VERSION).encode())
    found = False
    for folder in PLUGIN_DIRS:
        try:
            stamp.update(f"{folder}\0{folder.stat().st_mtime_ns}\0".encode())
            found = True
        except OSError:
            continue
    return stamp.hexdigest()[:24] if found else None


def _index(stamp: str) -> dict[str, list[str]]:
    """Plugin path -> the NUL-terminated names it holds, cached on disk. The linker merges a
    string into the tail of a longer one (``SinOsc`` into ``FSinOsc``), so a name counts as
    held when one of these ends with it."""
    if stamp in _INDEXES:
        return _INDEXES[stamp]
    _INDEXES[stamp] = index = _read_index(stamp)
    return index


_INDEXES: dict[str, dict[str, list[str]]] = {}


def _read_index(stamp: str) -> dict[str, list[str]]:
    """The index for this stamp from the scratch folder, built there first if need be."""
    cached = scratch_dir() / "plugins" / f"index-{stamp}.json"
    try:
        data = json.loads(cached.read_text(encoding="utf-8"))
        if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
            return data
    except (OSError, ValueError):
        pass
    index: dict[str, list[str]] = {}
    for path in _plugin_files():
        try:
            names = {match.decode("ascii") for match in _NAME.findall(path.read_bytes())}
        except OSError:
            continue
        index[str(path)] = sorted(names)
    from audiomancer.atomic import atomic_write_text

    cached.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cached, json.dumps(index))
    return index


def _make_folder(folder: Path, plugins: list[str]) -> None:
    """A folder holding links to exactly these plugins, made atomically."""
    partial = folder.parent / f".{folder.name}.{secrets.token_hex(4)}.tmp"
    partial.mkdir(parents=True)
    for index, plugin in enumerate(plugins):
        # numbered names: two folders may hold plugins of the same file name
        os.symlink(plugin, partial / f"{index:03d}-{Path(plugin).name}")
    try:
        partial.rename(folder)
    except OSError:  # another process made it first
        for link in partial.iterdir():
            link.unlink()
        partial.rmdir()


def choice_folder(ugens: Iterable[str]) -> Path | None:
    """Where the plugins chosen for these UGen classes are linked (whether or not that was done
    yet), or None when no plugin folder is found."""
    stamp = _stamp()
    if stamp is None:
        return None
    wanted = sorted(set(ugens) - BUILT_IN)
    digest = hashlib.sha256("\0".join([stamp, *wanted]).encode()).hexdigest()[:24]
    return scratch_dir() / "plugins" / f"set-{digest}"


def plugin_path_for(ugens: Iterable[str]) -> str | None:
    """A ``-U`` value loading only the plugins that define these UGen classes, or None (load
    everything) when one of them is in no indexed plugin or no plugin folder is found."""
    wanted = sorted(set(ugens) - BUILT_IN)
    folder = choice_folder(wanted)
    if folder is None or _refused(folder).exists():
        return None
    if folder.is_dir():  # this set of UGens was looked up before
        return str(folder)
    stamp = _stamp()
    assert stamp is not None
    needed: set[str] = set()
    for ugen in wanted:
        holders = _holders(stamp, ugen)
        if not holders:
            return None
        needed.update(holders)
    _make_folder(folder, sorted(needed))
    return str(folder)


_HOLDERS: dict[tuple[str, str], tuple[str, ...]] = {}
"""(index stamp, UGen class) -> the plugins holding it: each new set of UGens (every mutant
auditioned) looks up its names again, and scanning the index costs milliseconds a name."""


def _holders(stamp: str, ugen: str) -> tuple[str, ...]:
    """The indexed plugins that hold the UGen class's name."""
    key = (stamp, ugen)
    if key not in _HOLDERS:
        index = _index(stamp)
        found = tuple(p for p, names in index.items() if any(n.endswith(ugen) for n in names))
        if len(_HOLDERS) > 4096:
            _HOLDERS.clear()
        _HOLDERS[key] = found
    return _HOLDERS[key]


def _refused(folder: Path) -> Path:
    return folder.with_name(folder.name + ".all")


def refuse_choice(ugens: Iterable[str]) -> None:
    """Remember that the plugins chosen for these UGens were not enough (scsynth said a UGen was
    not installed): from now on they start scsynth with every plugin."""
    folder = choice_folder(ugens)
    if folder is not None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        _refused(folder).touch()


def missing_ugen(message: str) -> bool:
    """True when scsynth's complaint is about a UGen it did not load."""
    return "not installed" in message or "UGen not found" in message


__all__ = [
    "BUILT_IN",
    "PLUGIN_DIRS",
    "choice_folder",
    "missing_ugen",
    "plugin_path_for",
    "refuse_choice",
]
