"""Synth commands: ``audiomancer synth ...``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from audiomancer.arguments import check_output_file
from audiomancer.cli.app import (
    Commands,
    app,
    check_limit,
    err,
    friendly_errors,
    levels,
    out,
    user_text,
)

if TYPE_CHECKING:  # what the commands use is imported in them: `--help` loads none of it
    from rich.text import Text
    from rich.tree import Tree

    from audiomancer.analyzers.synthdef import SynthDefInfo
    from audiomancer.generators.lineage import LineageTracker, SynthLineage, SynthRecord

synth_app = Commands(
    help="SuperCollider SynthDefs: inspect, validate, render, generate and evolve.",
    no_args_is_help=True,
)
app.add_typer(synth_app, name="synth")


SynthFile = Annotated[Path, typer.Argument(help="A .scd file holding one or more SynthDefs")]
SynthName = Annotated[
    str | None, typer.Option("--name", help="Which SynthDef, when the file holds several")
]


@synth_app.command("info")
def synth_info_command(file: SynthFile, name: SynthName = None) -> None:
    """Show a SynthDef's controls, UGens by family and category (reads, runs nothing)."""
    from rich.table import Table

    from audiomancer.analyzers.synthdef import parse_synthdef

    with friendly_errors():
        info = parse_synthdef(file, name=name)
        out.print(user_text((info.name, "bold"), f"  category: {info.category}"))
        controls = Table("control", "default", "rate", "lag")
        for control in info.controls:
            default = "" if control.default is None else f"{control.default}"
            lag = "" if control.lag is None else f"{control.lag:g}"
            controls.add_row(control.name, default, control.rate, lag)
        out.print(controls)
        for family, classes in info.ugens.items():
            out.print(f"  {family}: {', '.join(classes)}")


RUNS_USER_CODE = (
    "A file's SynthDef is run by sclang (its graph function executes: only trust code you would "
    "run yourself); the file's other statements are never run or stored."
)


@contextmanager
def _user_code(*refs: str | Path | None) -> Iterator[None]:
    """A fresh sclang, ended afterwards, while code from a user's file is checked or built."""
    from audiomancer.supercollider import lang

    if any(ref is not None and _is_file(str(ref)) for ref in refs):
        with lang.untrusted():
            yield
    else:
        yield


def _is_file(ref: str) -> bool:
    return ref.endswith(".scd") and Path(ref).is_file()


@synth_app.command(
    "validate", help=f"Check a file's SynthDefs with the real sclang. {RUNS_USER_CODE}"
)
def synth_validate_command(
    file: Annotated[Path, typer.Argument(help="A .scd file holding one or more SynthDefs")],
) -> None:
    from audiomancer.analyzers.synthdef import parse_synthdefs
    from audiomancer.errors import SynthDefError
    from audiomancer.supercollider import lang

    with friendly_errors(), lang.untrusted():
        try:
            infos = parse_synthdefs(file)
        except SynthDefError as error:
            stage = " at the syntax stage" if str(error).startswith("line ") else ""
            err.print(user_text(("invalid", "red"), f"{stage}: {error}"))
            raise typer.Exit(1) from None
        for info in infos:
            result = lang.validate(info.source_code)
            if not result.ok:
                where = f" (line {result.line})" if result.line else ""
                err.print(
                    user_text(
                        ("invalid", "red"),
                        f" SynthDef {info.name} at the {result.stage} stage{where}: "
                        f"{result.message}",
                    )
                )
                raise typer.Exit(1)
        names = ", ".join(info.name for info in infos)
        out.print(user_text(("ok", "green"), f": {file} compiles ({names})"))


TestInput = Annotated[
    bool,
    typer.Option(
        "--test-input",
        help="For an effect (it reads a bus with In.ar): play a test signal (the phrase on a "
        "saw) into the bus it reads and record what comes out",
    ),
]


Seed = Annotated[
    int, typer.Option(help="Seed of the noise in the sound (0 to 2**24): same seed, same bytes")
]


@synth_app.command(
    "render",
    help="Render a short phrase of a SynthDef to a WAV with scsynth and report its levels. "
    + RUNS_USER_CODE,
)
def synth_render_command(
    file: SynthFile,
    output: Annotated[Path, typer.Option("--out", "-o", help="WAV file to write")] = Path(
        "render.wav"
    ),
    seconds: Annotated[float, typer.Option(help="Length of the phrase in seconds")] = 2.0,
    name: SynthName = None,
    test_input: TestInput = False,
    seed: Seed = 0,
) -> None:
    from audiomancer.analyzers.synthdef import parse_synthdef
    from audiomancer.supercollider import lang
    from audiomancer.supercollider.nrt import render_phrase
    from audiomancer.supercollider.seeding import validate_seed

    with friendly_errors(), lang.untrusted():
        validate_seed(seed)
        check_output_file(output, "--out")
        info = parse_synthdef(file, name=name)
        if test_input:
            from audiomancer.supercollider.probe import render_effect_phrase

            result = render_effect_phrase(info.source_code, seconds, output, seed=seed)
        else:
            result = render_phrase(info.source_code, seconds, output, seed=seed)
        out.print(f"wrote {result.path}: {result.duration_s:.2f} s, {levels(result)}")
        problems = [
            text
            for flag, text in (
                (result.is_silent and not (result.has_nan and result.peak == 0), "it is silent"),
                (result.has_nan, "it contains NaN or infinite samples"),
                (result.clipping, "it clips (peak at or above 0 dBFS)"),
            )
            if flag
        ]
        if problems:
            err.print(user_text(("not audible:", "red"), f" {'; '.join(problems)}"))
            raise typer.Exit(1)


# --- evolution: generate, mutate, breed, rate, top, tree, audition ------------------------

SynthRef = Annotated[
    str, typer.Argument(help="A synth of the library or a template, by name (or a .scd file)")
]


def _load(tracker: LineageTracker, ref: str) -> tuple[str, SynthDefInfo]:
    """(id, parsed SynthDef) of a library synth, a template or a .scd file."""
    from audiomancer.analyzers.synthdef import parse_synthdef

    path = Path(ref)
    if ref.endswith(".scd") and path.is_file():
        info = parse_synthdef(path)
        return info.name, info
    synth_id = tracker.resolve(ref)
    return synth_id, tracker.load_synth(synth_id)


def _record_file_parent(tracker: LineageTracker, ref: str | None, info: SynthDefInfo) -> None:
    """A synth read from a file becomes a parent: keep its SynthDef (alone) as an original."""
    if ref is None or not _is_file(ref):
        return
    from audiomancer.generators.synths import GeneratedSynth

    original = GeneratedSynth(
        name=info.name,
        source_code=info.source_code,
        controls=list(info.controls),
        generation_method="original",
        category=info.category,
    )
    tracker.save(original)


def _stars(rating: int | None) -> str:
    return "★" * rating + "☆" * (5 - rating) if rating else ""


def _report(lineage: SynthLineage, tracker: LineageTracker) -> None:
    parents = " × ".join(lineage["parent_ids"]) or "nothing"
    out.print(
        user_text(
            ("created", "green"),
            " ",
            (lineage["id"], "bold"),
            f" ({lineage['generation_method']} of {parents})",
        )
    )
    for line in lineage["mutation_log"]:
        out.print(f"  {line}")
    out.print(f"saved to {tracker.library_path(lineage['name'])}")


@synth_app.command(
    "generate",
    help="Generate a synth from a description, check it, add it to the library. With --base "
    "FILE: " + RUNS_USER_CODE,
)
def synth_generate_command(
    description: Annotated[
        str,
        typer.Argument(help='What it should sound like, e.g. "warm acid bass with filter sweep"'),
    ],
    category: Annotated[
        str, typer.Option("--category", "-c", help="bass, lead, pad, drum or fx")
    ] = "bass",
    base: Annotated[
        str | None, typer.Option("--base", help="Start from this synth instead of a template")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for the random details")] = None,
) -> None:
    from audiomancer.analyzers.synthdef import CATEGORIES
    from audiomancer.generators.lineage import LineageTracker
    from audiomancer.generators.synths import generate_synth

    with friendly_errors(), _user_code(base):
        tracker = LineageTracker()
        tracker.check_writable()
        base_info = _load(tracker, base)[1] if base else None
        if category not in CATEGORIES:
            raise ValueError(
                f"invalid category {category!r}: expected one of {', '.join(CATEGORIES)}"
            )
        synth = generate_synth(
            description,
            base_info,
            category,
            seed=seed,
            tracker=tracker,
        )
        if base_info is not None:
            _record_file_parent(tracker, base, base_info)
        _report(tracker.save(synth), tracker)


@synth_app.command(
    "mutate",
    help="Mutate a synth: swap oscillator or filter, add LFO or distortion, move "
    "defaults/envelope. Given a FILE: " + RUNS_USER_CODE,
)
def synth_mutate_command(
    name: SynthRef,
    amount: Annotated[
        float, typer.Option(help="Mutation strength, 0.0-1.0 (0.0: one small change)")
    ] = 0.3,
    seed: Annotated[
        int | None, typer.Option(help="Seed: the same seed gives the same mutant")
    ] = None,
) -> None:
    from audiomancer.generators.evolution import EvolutionEngine
    from audiomancer.generators.lineage import LineageTracker
    from audiomancer.generators.synths import mutate_synth

    with friendly_errors(), _user_code(name):
        tracker = LineageTracker()
        tracker.check_writable()
        if name.endswith(".scd") and Path(name).is_file():
            _, info = _load(tracker, name)
            child = mutate_synth(info, amount, seed, tracker=tracker)
            _record_file_parent(tracker, name, info)
            _report(tracker.save(child), tracker)
            return
        engine = EvolutionEngine(lineage=tracker)
        _report(engine.mutate_synth(name, amount, seed), tracker)


@synth_app.command(
    "breed",
    help="Breed two synths: A's oscillators, B's filter, effects of both, controls of both. "
    "Given a FILE: " + RUNS_USER_CODE,
)
def synth_breed_command(
    first: Annotated[str, typer.Argument(help="Parent A: its oscillators, envelope and output")],
    second: Annotated[str, typer.Argument(help="Parent B: its filter")],
    seed: Annotated[int | None, typer.Option(help="Seed for the effects mix")] = None,
) -> None:
    from audiomancer.generators.lineage import LineageTracker
    from audiomancer.generators.synths import breed_synths

    with friendly_errors(), _user_code(first, second):
        tracker = LineageTracker()
        tracker.check_writable()
        (id_a, a), (id_b, b) = _load(tracker, first), _load(tracker, second)
        child = breed_synths(a, b, seed, tracker=tracker)
        child.parent_ids = [id_a, id_b]
        _record_file_parent(tracker, first, a)
        _record_file_parent(tracker, second, b)
        _report(tracker.save(child), tracker)


@synth_app.command("rate")
def synth_rate_command(
    name: SynthRef,
    score: Annotated[int, typer.Argument(help="Rating from 1 to 5")],
    notes: Annotated[str | None, typer.Option(help="What you think of it")] = None,
) -> None:
    """Rate a synth from 1 to 5 (ratings steer evolution)."""
    from audiomancer.generators.lineage import LineageTracker

    with friendly_errors():
        tracker = LineageTracker()
        tracker.rate_synth(name, score, notes)
        record = tracker.get_record(name)
        out.print(f"{record.id} {_stars(record.user_rating)}")


@synth_app.command("top")
def synth_top_command(
    limit: Annotated[int, typer.Option(help="How many", callback=check_limit)] = 10,
    min_rating: Annotated[
        int | None, typer.Option("--min-rating", help="Only this rating or better")
    ] = None,
) -> None:
    """The highest-rated synths."""
    from rich.table import Table

    from audiomancer.generators.lineage import LineageTracker

    with friendly_errors():
        top = LineageTracker().get_top_rated(limit, min_rating)
        if not top:
            out.print("no rated synths yet")
            return
        table = Table("rating", "method", "gen.", "parents", "notes")
        table.add_column("synth", no_wrap=True)
        table.columns.insert(0, table.columns.pop())
        for record in top:
            table.add_row(
                record["id"],
                _stars(record["user_rating"]),
                record["generation_method"],
                str(record["generation"]),
                ", ".join(record["parent_ids"]),
                record["user_notes"] or "",
            )
        out.print(table)


def _node_label(synth_id: str, records: dict[str, SynthRecord], current: str) -> Text:
    record = records.get(synth_id)
    text = user_text((synth_id, "bold") if synth_id == current else synth_id)
    if record is not None:
        text.append(f" {record.generation_method}", style="dim")
        if record.user_rating:
            text.append(f" {_stars(record.user_rating)}")
    return text


_CHAIN_SHOWN = 3
"""A line of single descent longer than twice this many is drawn with its middle elided."""


def _grow(
    tree: Tree,
    branches: dict[str, Any],
    records: dict[str, SynthRecord],
    current: str,
    below: dict[str, Any],
) -> None:
    """Add branches to tree without recursion; long single lines of descent are shortened."""
    stack: list[tuple[Tree, dict[str, Any]]] = [(tree, branches)]
    while stack:
        parent, items = stack.pop()
        for synth_id, children in items.items():
            run = [synth_id]
            kids = below if synth_id == current else children
            while len(kids) == 1 and run[-1] != current:
                ((next_id, next_kids),) = kids.items()
                run.append(next_id)
                kids = below if next_id == current else next_kids
            node = parent
            if len(run) > 2 * _CHAIN_SHOWN + 1:
                hidden = len(run) - 2 * _CHAIN_SHOWN
                for shown in run[:_CHAIN_SHOWN]:
                    node = node.add(_node_label(shown, records, current))
                node = node.add(user_text((f"… {hidden} more generations …", "dim")))
                run = run[-_CHAIN_SHOWN:]
            for shown in run:
                node = node.add(_node_label(shown, records, current))
            stack.append((node, kids))


@synth_app.command("tree")
def synth_tree_command(
    name: SynthRef,
    picture: Annotated[
        Path | None, typer.Option(help="Also draw the family tree to this SVG file")
    ] = None,
) -> None:
    """Draw a synth's family tree: its ancestors down to it, and its descendants below it."""
    from rich.tree import Tree

    from audiomancer.generators.lineage import LineageTracker

    with friendly_errors():
        if picture is not None:
            from audiomancer.cli.render import check_output_file

            check_output_file(picture, "--picture")
        tracker = LineageTracker()
        lineage = tracker.get_lineage(name)
        current = lineage["synth_id"]
        records = {r.id: r for r in tracker.records()}
        below = tracker.descendant_tree(current)
        roots = lineage["family_tree"]
        tree = Tree(f"family of {current} (generation {lineage['generation']})")
        _grow(tree, roots, records, current, below)
        out.print(tree)
        if picture is not None:
            from audiomancer.cli.pictures import write_synth_family

            err.print(f"drew {write_synth_family(current, picture)}", markup=False)


@synth_app.command("audition")
def synth_audition_command(
    name: SynthRef,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="WAV file to write")] = None,
    seconds: Annotated[float, typer.Option(help="Length of the phrase in seconds")] = 2.0,
    test_input: TestInput = False,
    seed: Seed = 0,
) -> None:
    """Render a short phrase of a library synth or template to a WAV file."""
    from audiomancer.generators.lineage import LineageTracker
    from audiomancer.supercollider.nrt import render_phrase
    from audiomancer.supercollider.seeding import validate_seed

    with friendly_errors():
        validate_seed(seed)
        tracker = LineageTracker()
        synth_id = tracker.resolve(name)
        target = output if output is not None else Path(f"{synth_id}.wav")
        check_output_file(target, "--out")
        if test_input:
            from audiomancer.supercollider.probe import render_effect_phrase

            code = tracker.source_code(synth_id)
            result = render_effect_phrase(code, seconds, target, seed=seed)
        else:
            result = render_phrase(tracker.source_code(synth_id), seconds, target, seed=seed)
        out.print(f"wrote {result.path}: {result.duration_s:.2f} s, {levels(result)}")
        if not result.audible:
            err.print(user_text(("not audible", "red")))
            raise typer.Exit(1)
