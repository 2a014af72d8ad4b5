"""Pattern pictures: the SVG parses, with one note cell per note, placed at its tick."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.patterns.model import TICKS_PER_STEP, Note, Pattern
from audiomancer.patterns.picture import STEP_WIDTH, pattern_svg, write_pattern_svg
from audiomancer.patterns.store import PatternStore

SVG = "{http://www.w3.org/2000/svg}"


def _cells(text: str) -> list[ET.Element]:
    root = ET.fromstring(text)
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "note"]


def test_drum_grid_has_one_cell_per_hit_with_micro_timing_visible() -> None:
    notes = (Note(0, 36, 127), Note(120 + 30, 42, 40), Note(480, 38, 100), Note(960, 51, 90))
    pattern = Pattern(notes, "drums")
    root = ET.fromstring(pattern_svg(pattern))
    cells = _cells(pattern_svg(pattern))
    assert len(cells) == len(notes)
    by_start = {int(c.get("data-start", "-1")): c for c in cells}
    on_grid, late = float(by_start[0].get("x", "0")), float(by_start[150].get("x", "0"))
    # 30 ticks late is a quarter of a step to the right of the step line.
    assert late - on_grid == STEP_WIDTH + STEP_WIDTH * 30 / TICKS_PER_STEP
    assert by_start[0].get("fill") != by_start[150].get("fill")  # velocity shade
    assert [t.text for t in root.iter(f"{SVG}text")][:3] == ["kick", "snare", "closed_hat"]
    kinds = [line.get("class") for line in root.iter(f"{SVG}line")]
    assert kinds.count("bar") == 2 and kinds.count("beat") == 3


def test_piano_roll_has_one_cell_per_note_and_scale_rows(tmp_path: Path) -> None:
    notes = (Note(0, 60, 100, 480), Note(480, 63, 80, 240), Note(960, 67, 60, 960))
    pattern = Pattern(notes, "melody", key="C", scale="minor")
    path = write_pattern_svg(pattern, tmp_path / "roll.svg")
    root = ET.parse(path).getroot()
    cells = _cells(path.read_text())
    assert sorted(int(c.get("data-pitch", "0")) for c in cells) == [60, 63, 67]
    widths = {int(c.get("data-duration", "0")): float(c.get("width", "0")) for c in cells}
    assert widths[960] > widths[480] > widths[240]
    classes = [r.get("class") for r in root.iter(f"{SVG}rect")]
    assert classes.count("root") == 1  # C4 only, in the range 58-69
    assert classes.count("degree") == 6  # D Eb F G Ab Bb (A natural is not in C minor)


def test_show_picture_writes_the_svg(tmp_path: Path) -> None:
    pattern = Pattern((Note(0, 36), Note(480, 38)), "drums")
    pattern_id = PatternStore().put(pattern)["id"]
    target = tmp_path / "p.svg"
    result = CliRunner().invoke(app, ["show", pattern_id, "-f", "json", "--picture", str(target)])
    assert result.exit_code == 0, result.output
    assert len(_cells(target.read_text())) == 2
