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
    "midifile/MIDIBadHeaderSMTPE.mid": "SMPTE division of 16 frames per second",
    "midifile/MIDIBadTrackHdr.mid": "holds no track (MTrk)",  # its only chunk is 'mTrk'
    "miditok/empty.mid": "holds no notes",  # a conductor track only
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


CHOSEN: dict[tuple[str, str | None], tuple[str, str]] = {
    ("openmsx/5432gone_redfarn.mid", None): ("drums", "imported the drums"),
    ("openmsx/5432gone_redfarn.mid", "bass"): ("bass", "track 5 'Bass Guitar' (channel 4) as the"),
    ("opengameart/yubatake_battle.mid", None): ("drums", "'Percussion' (channel 4)) and pitched"),
    ("opengameart/horrorpen_it_is.mid", None): ("drums", "'HIP_Kick_8 (MIDI)' (channel 6)"),
    ("opengameart/yubatake_fields.mid", None): (
        "melody",
        "'Lead_Square' (channel 1) as the melody",
    ),
    ("music21/k525short.mid", "bass"): ("bass", "track 6 'String Ensemble 1' (channel 5)"),
    ("ours/type0_drums_and_bass.mid", None): ("drums", "imported the drums"),
    # low string and pad chords (GM programs 49, 90, 93) on kick, snare and hat pitches are
    # pitched parts, not drums; so is a bass (program 34) doubled in octaves
    ("freedoom/freedoom2_D_ULTIMA.mid", None): (
        "drums",
        "has drums (track 2 'Drums' (channel 10)) and pitched parts",
    ),
    ("freedoom/freedoom1_D_E3M6.mid", None): (
        "drums",
        "has drums (track 10 'drm' (channel 10)) and",
    ),
    ("freedink/insper.mid", None): ("melody", "has 2 pitched parts"),
}
"""(file, --type) -> the type imported and words of the warning that says which part it took."""


@pytest.mark.parametrize(("name", "kind"), list(CHOSEN), ids=lambda v: str(v))
def test_a_song_imports_one_part_and_says_which(
    name: str, kind: str | None, tmp_path: Path
) -> None:
    need_engine("tidal")
    need_engine("sclang")
    outcome = run_import(CORPUS / name, tmp_path, *(("--type", kind) if kind else ()))
    expected, words = CHOSEN[name, kind]
    assert outcome.record is not None and outcome.record.type == expected
    assert any(words in line for line in outcome.warnings), outcome.warnings
    check_exports_play(outcome.record)


def test_track_and_channel_choose_a_part_of_a_song(tmp_path: Path) -> None:
    need_engine("tidal")
    need_engine("sclang")
    song = CORPUS / "opengameart" / "yubatake_fields.mid"
    outcome = run_import(song, tmp_path, "--track", "4")  # 'Bass_Tri', alone on its track
    assert outcome.record is not None and outcome.record.type == "bass"
    assert outcome.warnings == [w for w in outcome.warnings if "64 bars" in w]
    check_exports_play(outcome.record)
    (tmp_path / "again").mkdir()
    missing = run_import(song, tmp_path / "again", "--channel", "11")
    assert (
        missing.error is not None and "no notes on channel 11; its parts: track 2" in missing.error
    )
