"""Shared test set-up: a private AUDIOMANCER_HOME for every test, and the engine policy.

Tests that need a real engine (sclang, scsynth, ghci+Tidal) ask for it with ``need_engine``.
When ``AUDIOMANCER_REQUIRE_ENGINES=1`` (set by scripts/test.sh, so in CI) a missing engine
fails the test; otherwise it is skipped with the install command.

Property tests (Hypothesis) draw new examples on every run on a developer's machine; under
``CI`` they draw the same examples each time (``derandomize``), so a landing never hangs on a
rare draw, and any failure there reproduces exactly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from audiomancer import engines
from audiomancer.errors import EngineNotFoundError

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def audiomancer_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test writes under its own temporary AUDIOMANCER_HOME, never the real home."""
    home = tmp_path_factory.mktemp("home")
    old = os.environ.get("AUDIOMANCER_HOME")
    os.environ["AUDIOMANCER_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("AUDIOMANCER_HOME", None)
    else:
        os.environ["AUDIOMANCER_HOME"] = old


def need_engine(name: str) -> Path:
    """Path of an engine, or skip/fail per the engine policy when it is missing."""
    try:
        return engines.find(name)
    except EngineNotFoundError as error:
        if os.environ.get("AUDIOMANCER_REQUIRE_ENGINES") == "1":
            pytest.fail(f"required engine missing: {error}")
        pytest.skip(str(error))


@pytest.fixture(name="engines")
def supercollider_engines() -> None:
    """``engines``: sclang and scsynth, for a test that compiles and renders."""
    need_engine("sclang")
    need_engine("scsynth")
