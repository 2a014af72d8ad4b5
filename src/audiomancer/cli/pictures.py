"""Pictures the CLI writes: family trees of patterns (``lineage --picture``) and of synths
(``synth tree --picture``). The drawing itself is :mod:`audiomancer.patterns.lineage_picture`."""

from __future__ import annotations

from pathlib import Path

from audiomancer.cli.render import check_output_file


def write_pattern_lineage(pattern_id: str, path: Path) -> Path:
    """Draw a stored pattern's ancestry (the pattern and its stored ancestors) to an SVG file."""
    from audiomancer.cli.patterns import pattern_store
    from audiomancer.patterns import lineage_picture as tree

    check_output_file(path, "--picture")
    family = tree.pattern_ancestry(pattern_store(), pattern_id)
    return tree.write_family_svg(tree.pattern_family(family), family[0].id, path)


def write_synth_family(name: str, path: Path) -> Path:
    """Draw a synth's family (its ancestors, itself and its descendants) to an SVG file."""
    from audiomancer.generators.lineage import LineageTracker
    from audiomancer.patterns import lineage_picture as tree

    check_output_file(path, "--picture")
    tracker = LineageTracker()
    lineage = tracker.get_lineage(name)
    current = lineage["synth_id"]
    records = {record.id: record for record in tracker.records()}
    members = [*lineage["ancestors"], current, *lineage["descendants"]]
    family = []
    for member in members:
        record = records.get(member)
        if record is None:  # a template never stored: an original without parents
            family.append(tree.FamilyNode(member, (), "original"))
        else:
            family.append(
                tree.FamilyNode(
                    member, tuple(record.parent_ids), record.generation_method, record.user_rating
                )
            )
    return tree.write_family_svg(family, current, path)
