"""Real-world Tidal code (tests/tidal_wild/, sources and licences in its SOURCES.md), imported
as the user does: ``audiomancer import FILE.tidal``, evaluated by real Tidal in ghci.

Every file either imports, and its MIDI, Tidal and Pbind exports are valid (the printed Tidal
code and Pbind play exactly the stored notes in real Tidal and sclang), or it is refused with
one clear line naming the file and the reason. Which files are refused, and why, and which
import with a warning, is written down below: a change of either fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wild_imports import check_corpus_file, corpus_names

pytestmark = pytest.mark.engines

CORPUS = Path(__file__).parent / "tidal_wild"
FILES = sorted(CORPUS.rglob("*.tidal"))

REFUSED: dict[str, str] = {
    "ours/only_comments.tidal": "plays no events",
    "ours/strudel_javascript.tidal": "rejected line 1: parse error",
    "ours/too_many_events.tidal": "more than 20000 events",
    "ours/typo.tidal": "line 3: Variable not in scope: spede",
    # Tidal 0.x code that Tidal 1.7 no longer runs (solo $ d1, dirtstream, scStream, `# 0`
    # headings) or that has a typo in the documentation itself
    # Tidal 1's |+| takes structure from both sides: with a continuous sinewave1, no onsets
    "tidal_repo/doc_continuous_patterns.tidal": "plays no events",
    "tidal_repo/doc_mapping_over_patterns.tidal": "parse error on input",
    "tidal_repo/doc_silence_and_hush.tidal": "plays no events",
    "tidal_repo/doc_solo.tidal": "line 1: Couldn't match expected type",
    "tidal_repo/doc_tempo_bps.tidal": "plays no events",  # it only sets the tempo
    "tidal_repo/examples_cycles.tidal": "skipped first: Tidal rejected line 3",
    "tidal_repo/functions_stack.tidal": "rejected line 4: Couldn't match expected type",
    "tidal_repo/older_examples_supercollider.tidal": "rejected line 24",
    "tidal_repo/setup.tidal": "line 7 is a ghci command, not Tidal code: ':reload'",
    "tidal_repo/tutorial_without_the_dollar.tidal": "line 1: Couldn't match expected type",
}
"""File (relative to the corpus) -> words of the reason it is refused with."""

WARNED: dict[str, str] = {
    "ours/d1_silence.tidal": "ends in silence",
    "ours/techno_set.tidal": "ends in silence",
    "ours/trailing_hush.tidal": "ends in silence",
    "tidal_repo/example.tidal": "ends in silence",
    "tidal_repo/haddock_ui_spread.tidal": "skipped: Tidal rejected line 5",
    "tidal_repo/tutorial_d1_d2_silence.tidal": "ends in silence",
}
"""File -> words of the warning it imports with (what was skipped, or that it ends silent)."""


def test_the_corpus_is_there() -> None:
    names = corpus_names(CORPUS, FILES, 50)
    assert set(REFUSED) <= names and set(WARNED) <= names


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(CORPUS)))
def test_each_file_imports_or_is_refused_clearly(path: Path, tmp_path: Path) -> None:
    check_corpus_file(path, CORPUS, tmp_path, REFUSED, WARNED)
