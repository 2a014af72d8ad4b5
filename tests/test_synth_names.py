"""Synth names are reserved when handed out and depend on everything that decides the synth
(issue 14 §9): different results never share a name, saved or not, in one process or many."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from audiomancer.analyzers.synthdef import SynthDefInfo, parse_synthdef
from audiomancer.generators import (
    GeneratedSynth,
    LineageTracker,
    breed_synths,
    generate_synth,
    mutate_synth,
)
from conftest import need_engine

CODE = "SynthDef(\\{name}, {{ |out = 0, freq = 440, amp = 0.1| Out.ar(out, SinOsc.ar(freq, 0, amp)) }}).add;\n"  # noqa: E501


@pytest.fixture
def tracker(tmp_path: Path) -> LineageTracker:
    return LineageTracker(tmp_path / "lineage.json")


def _engines() -> None:
    need_engine("sclang")
    need_engine("scsynth")


def test_a_handed_out_name_is_reserved_for_its_code(tracker: LineageTracker) -> None:
    one, other = CODE.format(name="x_m100"), CODE.format(name="x_m100") + "// other\n"
    assert tracker.reserve_name("x_m100", one)
    assert tracker.reserve_name("x_m100", one)  # the same synth again: the same name
    assert not tracker.reserve_name("x_m100", other)
    assert not tracker.reserve_name("tb303", CODE.format(name="tb303"))  # a template's
    with pytest.raises(ValueError, match="handed out to a different synth"):
        tracker.save(GeneratedSynth("x_m100", other, parent_ids=["tb303"]))
    tracker.save(GeneratedSynth("x_m100", one, parent_ids=["tb303"]))
    assert tracker.reserve_name("x_m100", one) and not tracker.reserve_name("x_m100", other)
    # saving a name never handed out reserves it too; the lineage file holds records only
    tracker.save(GeneratedSynth("y_m100", CODE.format(name="y_m100"), parent_ids=["tb303"]))
    assert not tracker.reserve_name("y_m100", other)
    assert set(json.loads(tracker.db_path.read_text())) == {"format", "version", "synths"}
    assert tracker.get_record("x_m100").parent_ids == ["tb303"]


def test_mutants_at_other_amounts_get_other_names(tracker: LineageTracker) -> None:
    _engines()
    parent = tracker.load_synth("tb303")
    half = mutate_synth(parent, 0.5, seed=42, tracker=tracker)
    full = mutate_synth(parent, 1.0, seed=42, tracker=tracker)
    assert half.source_code != full.source_code
    assert half.name != full.name
    again = mutate_synth(parent, 0.5, seed=42, tracker=tracker)
    assert (again.name, again.source_code) == (half.name, half.source_code)
    for synth in (half, full, again):
        tracker.save(synth)  # no ValueError: every name is its synth's own


def _variant(tracker: LineageTracker, name: str) -> SynthDefInfo:
    """The template with another default: the same name, different code."""
    source = tracker.source_code(name)
    number = re.search(r"=\s*(\d+(?:\.\d+)?)", source)
    assert number is not None
    changed = source[: number.start(1)] + f"{float(number.group(1)) * 1.5 + 0.01:g}"
    return parse_synthdef(changed + source[number.end(1) :])


def test_unsaved_children_and_generated_synths_never_share_a_name(
    tracker: LineageTracker,
) -> None:
    _engines()
    a, b = tracker.load_synth("tb303"), tracker.load_synth("juno_pad")
    a2 = _variant(tracker, "tb303")
    assert a2.name == a.name and a2.source_code != a.source_code
    first, second = breed_synths(a, b, 1, tracker=tracker), breed_synths(a2, b, 1, tracker=tracker)
    assert first.source_code != second.source_code
    assert first.name != second.name
    made = generate_synth("warm bass", seed=1, tracker=tracker)
    other = generate_synth("warm bass", a2, seed=1, tracker=tracker)
    assert made.source_code != other.source_code and made.name != other.name
    for synth in (first, second, made, other):
        tracker.save(synth)


_CHILD = textwrap.dedent(
    """
    import hashlib, sys
    from pathlib import Path
    from audiomancer.generators import LineageTracker, mutate_synth
    tracker = LineageTracker(Path(sys.argv[1]))
    parent = tracker.load_synth("tb303")
    sys.stdin.readline()  # start together
    child = mutate_synth(parent, float(sys.argv[2]), seed=42, tracker=tracker)
    print(child.name, hashlib.sha256(child.source_code.encode()).hexdigest(), flush=True)
    """
)


def test_processes_making_different_synths_get_different_names(tmp_path: Path) -> None:
    _engines()
    db = tmp_path / "lineage.json"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(db), amount],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for amount in ("0.5", "1.0")
    ]
    results = []
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        out, err = child.communicate(timeout=240)
        assert child.returncode == 0, err
        results.append(out.split())
    (name_1, code_1), (name_2, code_2) = results
    assert code_1 != code_2  # amounts 0.5 and 1.0 make different mutants
    assert name_1 != name_2
    folder = tmp_path / "synths" / ".reserved"
    reserved = {path.name: path.read_text().strip() for path in folder.iterdir()}
    assert reserved == {name_1: code_1, name_2: code_2}
