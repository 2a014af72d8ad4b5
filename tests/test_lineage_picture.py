"""Family tree pictures: the SVG parses, one box per member, one line per parent link, every
id escaped; ``lineage --picture`` and ``synth tree --picture`` write them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.generators import LineageTracker
from audiomancer.generators.evolution import EvolutionEngine
from audiomancer.patterns.lineage_picture import FamilyNode, family_tree_svg
from audiomancer.patterns.model import Note, Pattern
from audiomancer.patterns.store import PatternStore
from audiomancer.patterns.svg import DARK, LIGHT

SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()


def _nodes(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-id", ""): g for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


def _edges(root: ET.Element) -> set[tuple[str, str]]:
    lines = [line for line in root.iter() if line.get("class") == "edge"]
    found = {(line.get("data-parent", ""), line.get("data-child", "")) for line in lines}
    assert len(found) == len(lines)  # never two lines for one link
    return found


def _top(node: ET.Element) -> float:
    rect = node.find(f"{SVG}rect")
    assert rect is not None
    return float(rect.get("y", "nan"))


def test_one_box_per_member_one_line_per_link_and_names_escaped() -> None:
    odd = 'a<&"b'
    family = [
        FamilyNode("root", (), "generated", 4),
        FamilyNode(odd, ("root",), "mutated"),
        FamilyNode("other", (), "imported"),
        FamilyNode("child", (odd, "other", odd, "gone"), "crossover", 5),
    ]
    for palette in (LIGHT, DARK):
        svg = family_tree_svg(family, "child", palette, title=f"tree of {odd}")
        root = ET.fromstring(svg)  # parses: every name is escaped
        nodes = _nodes(root)
        assert set(nodes) == {"root", odd, "other", "child"}
        # one line per distinct parent link between members ("gone" is not drawn)
        assert _edges(root) == {("root", odd), (odd, "child"), ("other", "child")}
        texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
        assert odd in texts and "crossover ★★★★★" in texts
        title = root.find(f"{SVG}title")
        assert title is not None and title.text == f"tree of {odd}"
        # generations run down the page; the child sits below both its parents
        assert _top(nodes["root"]) == _top(nodes["other"]) < _top(nodes[odd]) < _top(nodes["child"])
        outline = nodes["child"].find(f"{SVG}rect")
        assert outline is not None and outline.get("stroke") == palette.current
        assert odd not in svg  # never raw: escaped in text and in attributes
        assert 'data-id="a&lt;&amp;&quot;b"' in svg and '>a&lt;&amp;"b<' in svg


def test_a_cycle_in_corrupt_data_still_draws() -> None:
    family = [FamilyNode("a", ("b",)), FamilyNode("b", ("a",))]
    root = ET.fromstring(family_tree_svg(family, "a"))
    assert set(_nodes(root)) == {"a", "b"}


def test_lineage_picture_draws_the_stored_ancestry(tmp_path: Path) -> None:
    store = PatternStore()
    first = store.put(Pattern((Note(0, 36), Note(480, 38)), "drums"))["id"]
    second = store.put(Pattern((Note(0, 42), Note(240, 42)), "drums"))["id"]
    engine = EvolutionEngine(store)
    mutant = engine.mutate_pattern(first, amount=0.5, seed=1).id
    child = engine.crossover_patterns(mutant, second, seed=2).id
    grandchild = engine.mutate_pattern(child, amount=0.5, seed=3).id
    target = tmp_path / "tree.svg"
    result = runner.invoke(app, ["lineage", grandchild, "--picture", str(target)])
    assert result.exit_code == 0, result.output
    root = ET.parse(target).getroot()
    assert set(_nodes(root)) == {first, second, mutant, child, grandchild}
    assert _edges(root) == {
        (first, mutant),
        (mutant, child),
        (second, child),
        (child, grandchild),
    }
    # the text tree is still printed on stdout
    assert grandchild in result.stdout


def test_picture_locations_are_checked_first(tmp_path: Path) -> None:
    pattern_id = PatternStore().put(Pattern((Note(0, 36),), "drums"))["id"]
    for target, says in ((tmp_path, "is a folder"), (tmp_path / "no" / "t.svg", "no such folder")):
        result = runner.invoke(app, ["lineage", pattern_id, "--picture", str(target)])
        assert result.exit_code == 1
        assert says in result.stderr and str(target) in result.stderr
        assert pattern_id not in result.stdout  # refused before drawing anything


def test_synth_tree_picture_draws_ancestors_and_descendants(tmp_path: Path) -> None:
    tracker = LineageTracker()
    tracker.record_synth("acid_m001", "acid_m001", ["tb303"], "mutation")
    tracker.record_synth("acid_m002", "acid_m002", ["acid_m001"], "mutation")
    tracker.record_synth("acid_x_pad", "acid_x_pad", ["acid_m001", "juno_pad"], "crossover")
    tracker.rate_synth("acid_m001", 4)
    target = tmp_path / "synths.svg"
    result = runner.invoke(app, ["synth", "tree", "acid_m001", "--picture", str(target)])
    assert result.exit_code == 0, result.output
    root = ET.parse(target).getroot()
    nodes = _nodes(root)
    # its ancestor, itself and its descendants; a descendant's other parent is not drawn
    assert set(nodes) == {"tb303", "acid_m001", "acid_m002", "acid_x_pad"}
    assert _edges(root) == {
        ("tb303", "acid_m001"),
        ("acid_m001", "acid_m002"),
        ("acid_m001", "acid_x_pad"),
    }
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "mutation ★★★★" in texts and "original " in texts
