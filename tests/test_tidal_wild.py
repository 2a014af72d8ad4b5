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
    # Tidal 0.x code that Tidal 1.7 no longer runs (solo $ d1, dirtstream, scStream, `# 0`
    # headings) or that has a typo in the documentation itself
    # Tidal 1's |+| takes structure from both sides: with a continuous sinewave1, no onsets
    "tidal_repo/doc_continuous_patterns.tidal": "patterns are continuous",
    "tidal_repo/doc_mapping_over_patterns.tidal": "parse error on input",
    "tidal_repo/doc_silence_and_hush.tidal": "plays no events",
    "tidal_repo/doc_solo.tidal": "line 1: Couldn't match expected type",
    "tidal_repo/doc_tempo_bps.tidal": "plays no events",  # it only sets the tempo
    "tidal_repo/examples_cycles.tidal": "skipped first: Tidal rejected line 3",
    "tidal_repo/functions_stack.tidal": "rejected line 4: Couldn't match expected type",
    "tidal_repo/older_examples_supercollider.tidal": "rejected line 24",
    "tidal_repo/setup.tidal": "line 7 is a ghci command, not Tidal code: ':reload'",
    # setcps (130/60/1): one beat per cycle, 520 bpm at the bar per cycle a pattern takes
    "tidal_doc/tour_performance_setcps.tidal": "520 bpm at one bar per cycle, outside 20-400",
    "tidal_repo/tutorial_without_the_dollar.tidal": "line 1: Couldn't match expected type",
}
"""File (relative to the corpus) -> words of the reason it is refused with."""

WARNED: dict[str, str] = {
    "ours/d1_silence.tidal": "ends in silence",
    "ours/techno_set.tidal": "ends in silence",
    "ours/trailing_hush.tidal": "ends in silence",
    "tidal_repo/example.tidal": "ends in silence",
    "tidal_repo/tutorial_d1_d2_silence.tidal": "ends in silence",
    "tidal_repo/haddock_ui_spread.tidal": "skipped: Tidal rejected line 5",
    # prose and ### headings between the patterns of a performance file
    "highharmonics/creaking.tidal": "skipped: Tidal rejected line 1",
    # parameters of the author's visualiser, defined in their BootTidal: defined as pF/pS
    "highharmonics/erratic_rhythms.tidal": "does not define: color (pS), connectionMax (pF), "
    "connectionN (pF), figure (pS), grid (pF), sizeMax (pF), sizeMin (pF), speedSequenser (pF)",
    # a typo of speed reads as a custom parameter, as SuperDirt would take it (and ignore it)
    "ours/typo.tidal": "does not define: spede (pF)",
    # drums and pitched sounds in one file: the side most events play, the rest named
    "ours/functions_tour.tidal": "imported the drums; left out 13 event(s) of arpy, break, superp",
    "ours/mininotation_tour.tidal": "imported the drums; left out 4 event(s) of drum",
    "ours/transitions_and_state.tidal": "imported the pitched sounds; left out 4 drum event(s)",
    "tidal_doc/tour_alteration_stripe_palindrome.tidal": "left out 2 drum event(s) of cp",
    # whenmod 8 6 / every 8: the 8-cycle period imports whole, kurt's events with it
    "tidal_doc/tour_conditions_every_whenmod.tidal": "imported the drums; left out 12 event(s)",
    "tidal_doc/tour_conditions_mask.tidal": "left out 5 drum event(s) of cp, sn",
    "tidal_doc/tour_conditions_sew.tidal": "left out 5 drum event(s) of cp",
    "tidal_doc/tour_sampling_chop.tidal": "imported the drums; left out 768 event(s) of feel",
    "tidal_doc/tour_time_compress_zoom.tidal": "imported the drums; left out 3 event(s) of drum",
    "tidal_doc/tour_time_rotl_seqp.tidal": "imported the drums; left out 4 event(s) of future",
    "tidal_repo/doc_interlace.tidal": "imported the drums; left out 1 event(s) of kurt",
    "tidal_repo/doc_pattern_transformers.tidal": "imported the drums; left out 6 event(s) of kurt",
    "tidal_repo/functions_chop.tidal": "imported the drums; left out 768 event(s) of feel",
    "tidal_repo/tutorial_repetition_and_random.tidal": "left out 1 event(s) of can",
    "tidal_repo/tutorial_sequences.tidal": "imported the pitched sounds; left out 2 drum event(s)",
    # the workshop's own typos: an en dash for a comment, a sentence inside a code block
    "tidal_doc/workshop_getting_started.tidal": "skipped: Tidal rejected line 1: parse error on",
    "tidal_doc/workshop_transforming.tidal": "skipped: Tidal rejected line 5: parse error",
    # ur 8 imports its 8 cycles (its cp:4*8 # speed (sine + 0.5) no longer hides the period)
    "tidal_doc/reference_composition_ur_drums.tidal": "imported the drums; left out 30 event(s)",
    "tidal_doc/reference_mini_notation.tidal": "imported the drums; left out 75 event(s) of arpy",
    "tidal_doc/tour_concatenation.tidal": "imported the pitched sounds; left out 7 drum event(s)",
    "tidal_doc/workshop_basic_patterns.tidal": "imported the drums; left out 2 event(s) of arpy",
    # the Tidal Club course's worksheets: lines that show what fails, prose in a code block
    "tidal_doc/course1_w3_every.tidal": "skipped: Tidal rejected line 100: Couldn't match type",
    "tidal_doc/course2_w7_composing_functions.tidal": "rejected line 34: parse error",
    "tidal_doc/course2_w8_fit.tidal": "skipped: Tidal rejected line 5: Couldn't match type",
    "tidal_doc/course2_w8_shifting_time.tidal": "skipped: Tidal rejected line 59: parse error",
    # a breakbeat sliced on d1 against kick, snare and clap on d2
    "tidal_doc/course1_w3_slice_splice.tidal": "left out 4 drum event(s) of clap, kick, snare",
    "tidal_doc/course1_w4_random_2.tidal": "left out 1 drum event(s) of clap",
    "tidal_doc/reference_transitions_interpolate.tidal": "ends in silence",
}
"""File -> words of the warning it imports with (what was skipped, or that it ends silent)."""


def test_the_corpus_is_there() -> None:
    names = corpus_names(CORPUS, FILES, 120)
    assert set(REFUSED) <= names and set(WARNED) <= names


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(CORPUS)))
def test_each_file_imports_or_is_refused_clearly(path: Path, tmp_path: Path) -> None:
    check_corpus_file(path, CORPUS, tmp_path, REFUSED, WARNED)
