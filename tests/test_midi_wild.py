"""Real-world MIDI files (tests/midi_wild/, sources and licences in its SOURCES.md), imported as
the user does: ``audiomancer import FILE``.

Every file either imports, and its MIDI, Tidal and Pbind exports are valid (the Tidal code and
the Pbind play exactly the stored notes in real Tidal and sclang), or it is refused with one
clear line naming the file and the reason. Which files are refused, and why, is written down
below: a file that starts being refused, or refused for another reason, fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import need_engine
from wild_imports import check_corpus_file, check_exports_play, corpus_names, run_import

pytestmark = pytest.mark.engines

CORPUS = Path(__file__).parent / "midi_wild"
FILES = sorted(CORPUS.rglob("*.mid"))

REFUSED: dict[str, str] = {
    "ours/empty.mid": "it is empty",
    "ours/not_midi.mid": "no MThd header",
    "ours/zero_division.mid": "0 ticks per quarter note",
    "ours/no_notes.mid": "holds no notes",
    # drums and pitched notes in one file: the user chooses with --type (see test_typed below)
    "ours/type0_drums_and_bass.mid": "choose which to import",
}
"""File (relative to the corpus) -> words of the reason it is refused with."""


def test_the_corpus_is_there() -> None:
    assert set(REFUSED) <= corpus_names(CORPUS, FILES, 40)


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(CORPUS)))
def test_each_file_imports_or_is_refused_clearly(path: Path, tmp_path: Path) -> None:
    check_corpus_file(path, CORPUS, tmp_path, REFUSED)


@pytest.mark.parametrize(("kind", "count"), [("drums", 44), ("bass", 26)])
def test_a_file_with_drums_and_a_bass_line_imports_either_when_asked(
    kind: str, count: int, tmp_path: Path
) -> None:
    need_engine("tidal")
    need_engine("sclang")
    outcome = run_import(CORPUS / "ours" / "type0_drums_and_bass.mid", tmp_path, "--type", kind)
    assert outcome.record is not None and outcome.record.type == kind
    assert len(outcome.record.to_pattern().notes) == count
    check_exports_play(outcome.record)
