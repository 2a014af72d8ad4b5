"""The harness behind tests/test_midi_wild.py and tests/test_tidal_wild.py: import a real-world
file as the user does (``audiomancer import FILE``, in-process so the ghci and sclang services
are reused), then check what came out.

:func:`check_corpus_file` is the per-file test both corpora run. Either the file imports, and the
stored pattern's exports are valid (the MIDI file we write reads back to the same notes,
through our reader and through mido alone; the printed Tidal code plays exactly those notes in
real Tidal, the printed Pbind plays them in real sclang), or the command fails with one clear
line: ``error:``, the file's name and the reason, exit status 1, never a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.patterns.metadata import PatternMetadata
from audiomancer.patterns.midi import read_midi
from audiomancer.patterns.pbind import pbind_code
from audiomancer.patterns.store import PatternStore
from audiomancer.tidal.ghci import get_ghci
from conftest import need_engine


@dataclass(frozen=True)
class Outcome:
    """What ``audiomancer import FILE`` did: the stored record, or the error line it printed."""

    record: PatternMetadata | None
    error: str | None
    warnings: list[str]


def run_import(path: Path, tmp_path: Path, *extra: str) -> Outcome:
    """Import a file through the CLI; check the process-level promises (exit status, one error
    line naming the file, no traceback, JSON alone on stdout) and return what happened."""
    midi_out = tmp_path / "exported.mid"
    result = CliRunner().invoke(
        app, ["import", str(path), "-f", "json", "--midi", str(midi_out), *extra]
    )
    stderr = result.stderr
    assert "Traceback" not in stderr and "Traceback" not in result.stdout, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    warnings = [line for line in lines if line.startswith("warning:")]
    if result.exit_code != 0:
        assert result.exit_code == 1, (result.exit_code, result.exception, stderr)
        assert isinstance(result.exception, SystemExit), repr(result.exception)
        errors = [line for line in lines if line.startswith("error:")]
        assert len(errors) == 1, stderr
        error = errors[0]
        assert path.name in error, f"the error does not name the file: {error}"
        reason = error.split(path.name, 1)[1]
        assert len(reason.strip(" :")) > 10, f"the error gives no reason: {error}"
        assert result.stdout == "", "a failed import printed a document"
        assert not midi_out.exists(), "a failed import wrote a MIDI file"
        return Outcome(None, error, warnings)
    document = json.loads(result.stdout)
    (record,) = [r for r in PatternStore().list() if r.id == document["id"]]
    assert record["generation_method"] == "imported"
    pattern = record.to_pattern()
    assert pattern.notes, "an imported pattern has notes"
    assert document["tidal_code"] == record["tidal_code"]
    assert document["sc_code"] == record["sc_code"] == pbind_code(pattern)
    reread = read_midi(midi_out, pattern_type=pattern.type)
    assert reread.notes == pattern.notes and reread.bars == pattern.bars
    assert reread.time_signature == pattern.time_signature
    assert plain_note_ons(midi_out) == sorted((n.start, n.pitch) for n in pattern.notes)
    return Outcome(record, None, warnings)


def plain_note_ons(path: Path) -> list[tuple[int, int]]:
    """(tick, pitch) of every note-on of a MIDI file as mido alone reads it (without the
    tidying our reader does first), so what we write is a file any reader takes."""
    import mido

    midi = mido.MidiFile(path)
    ons: list[tuple[int, int]] = []
    for track in midi.tracks:
        now = 0
        for message in track:
            now += message.time
            if message.type == "note_on" and message.velocity > 0:
                ons.append((now, message.note))
    return sorted(ons)


def check_exports_play(record: PatternMetadata) -> None:
    """The record's printed Tidal code and Pbind play exactly its notes in the real engines."""
    from test_pbind import check_plays_exactly
    from test_tidal import check_printed

    pattern = record.to_pattern()
    check_printed(get_ghci(), record["tidal_code"], pattern)
    check_plays_exactly(pattern)


def corpus_names(corpus: Path, files: list[Path], minimum: int) -> set[str]:
    """The corpus's file names (relative to it); fails unless it holds at least ``minimum``."""
    assert len(files) >= minimum, f"{corpus} holds {len(files)} files, fewer than {minimum}"
    return {str(path.relative_to(corpus)) for path in files}


def check_corpus_file(
    path: Path,
    corpus: Path,
    tmp_path: Path,
    refused: dict[str, str],
    warned: dict[str, str] | None = None,
) -> None:
    """One corpus file imports and its exports play, or it is refused with the words that
    ``refused`` (name relative to ``corpus`` -> words of the reason) gives for it.

    With ``warned`` (name -> words of its warning), an imported file warns exactly when it is
    listed there, with those words; without, warnings are not checked.
    """
    need_engine("tidal")
    need_engine("sclang")
    name = str(path.relative_to(corpus))
    outcome = run_import(path, tmp_path)
    if name in refused:
        assert outcome.error is not None, f"{name} imports now: take it off REFUSED"
        assert refused[name] in outcome.error, outcome.error
        return
    assert outcome.record is not None, outcome.error
    if warned is not None:
        if name in warned:
            assert any(warned[name] in line for line in outcome.warnings), outcome.warnings
        else:
            assert outcome.warnings == [], outcome.warnings
    check_exports_play(outcome.record)
