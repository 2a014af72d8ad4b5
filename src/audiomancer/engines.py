"""The external engines audiomancer stands on, where to find them and how to install them.

Every lookup either returns a path or raises EngineNotFoundError naming the Debian package,
never a silent fallback (DESIGN §2).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from audiomancer.errors import EngineNotFoundError
from audiomancer.paths import scratch_dir


@dataclass(frozen=True)
class Engine:
    """An external program and the Debian packages that provide it."""

    name: str
    executable: str
    packages: tuple[str, ...]
    purpose: str

    @property
    def install_hint(self) -> str:
        """The command that installs this engine."""
        return f"sudo apt-get install {' '.join(self.packages)}"


ENGINES: Final[dict[str, Engine]] = {
    "sclang": Engine(
        "sclang",
        "sclang",
        ("supercollider-language", "sc3-plugins-language"),
        "validates and compiles SynthDefs, evaluates Pbinds",
    ),
    "scsynth": Engine(
        "scsynth",
        "scsynth",
        ("supercollider-server", "sc3-plugins-server"),
        "renders synths to audio offline",
    ),
    "tidal": Engine(
        "tidal",
        "ghci",
        ("ghc", "libghc-tidal-dev"),
        "imports TidalCycles code (`import FILE.tidal`; optional)",
    ),
}


def find(name: str) -> Path:
    """Path of an engine's executable; EngineNotFoundError naming the package if missing.

    ``AUDIOMANCER_<NAME>`` (e.g. ``AUDIOMANCER_SCLANG``) points at another executable.
    """
    engine = ENGINES[name]
    override = os.environ.get(f"AUDIOMANCER_{engine.executable.upper()}")
    located = shutil.which(override or engine.executable)
    if located is None:
        raise EngineNotFoundError(
            f"{engine.executable!r} was not found ({engine.purpose}); install it with: "
            f"{engine.install_hint}"
        )
    return Path(located)


def sclang_environment() -> dict[str, str]:
    """Environment for running sclang/scsynth headless with a private writable home."""
    home = scratch_dir() / "sc-home"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        QT_QPA_PLATFORM="offscreen",
        QTWEBENGINE_DISABLE_SANDBOX="1",
    )
    return env


def _first_version(text: str) -> str:
    match = re.search(r"\d+\.\d+(?:\.\d+)?", text)
    return match.group(0) if match else text.strip().splitlines()[0] if text.strip() else "?"


def version(name: str, timeout: float = 30.0) -> str:
    """Version string of an installed engine (raises EngineNotFoundError if missing)."""
    path = find(name)
    if name == "tidal":
        probe = subprocess.run(
            ["ghc-pkg", "--global", "--simple-output", "field", "tidal", "version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if probe.returncode != 0 or not probe.stdout.strip():
            raise EngineNotFoundError(
                f"ghci is at {path} but the Tidal library is missing; install it with: "
                f"{ENGINES['tidal'].install_hint}"
            )
        return f"Tidal {probe.stdout.split()[0]}"
    args = [str(path), "-v"]
    result = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=sclang_environment(),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return _first_version(result.stdout + result.stderr)
