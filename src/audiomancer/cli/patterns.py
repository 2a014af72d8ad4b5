"""Pattern commands: import, build, list, show, export, rate, mutate, crossover, evolve, top,
lineage."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.syntax import Syntax
from rich.table import Column, Table
from rich.tree import Tree

from audiomancer.cli.app import app, friendly_errors, out
from audiomancer.errors import PatternNotFoundError
from audiomancer.generators.evolution import EvolutionEngine
from audiomancer.patterns.metadata import PatternMetadata
from audiomancer.patterns.midi import read_midi, write_midi
from audiomancer.patterns.model import PATTERN_TYPES
from audiomancer.patterns.steps import parse_steps
from audiomancer.patterns.store import PatternStore

FORMATS = ("tidal", "pbind", "json", "summary")


def pattern_store() -> PatternStore:
    return PatternStore()


def _check_type(value: str | None) -> str | None:
    if value is not None and value not in PATTERN_TYPES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(PATTERN_TYPES)}")
    return value


def _check_format(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FORMATS)}")
    return value


TypeOption = Annotated[
    str | None,
    typer.Option("--type", "-t", help="drums, melody or bass", callback=_check_type),
]


PatternIdArgument = Annotated[str, typer.Argument(help="Pattern id (ptrn_...)")]
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help=" | ".join(FORMATS), callback=_check_format)
]
KeyOption = Annotated[str | None, typer.Option(help="Key of a melodic pattern, e.g. C, F#, Bb")]
ScaleOption = Annotated[str | None, typer.Option(help="major, minor, pentatonic or chromatic")]
StyleOption = Annotated[str | None, typer.Option(help="A style label to store with it")]
MidiOption = Annotated[Path | None, typer.Option(help="Also write the pattern to this .mid")]


def print_pattern(record: PatternMetadata, fmt: str = "summary") -> None:
    """Print a stored pattern in one of FORMATS (summary: header, Tidal and Pbind)."""
    if fmt == "json":
        data = dict(record, created_at=record.created_at.isoformat())
        out.print(json.dumps(data, indent=2), markup=False)
        return
    if fmt == "tidal":
        out.print(record["tidal_code"], markup=False)
        return
    if fmt == "pbind":
        out.print(record["sc_code"], markup=False)
        return
    header = (
        f"[bold]{record.id}[/bold]  {record.type}  {record['bars']} bars  "
        f"{record['bpm']:g} bpm  {record['time_signature'][0]}/{record['time_signature'][1]}"
    )
    if record["key"]:
        header += f"  {record['key']} {record['scale'] or ''}"
    out.print(header)
    out.print("\n[bold]Tidal[/bold]")
    out.print(Syntax(record["tidal_code"], "haskell", theme="ansi_dark", word_wrap=True))
    out.print("\n[bold]Pbind[/bold]")
    out.print(Syntax(record["sc_code"], "supercollider", theme="ansi_dark", word_wrap=True))


def write_midi_if_asked(record: PatternMetadata, midi: Path | None) -> None:
    if midi is not None:
        path = write_midi(record.to_pattern(), midi)
        out.print(f"wrote {path}")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A Standard MIDI File (.mid)")],
    pattern_type: TypeOption = None,
    bars: Annotated[
        int | None, typer.Option(help="Keep only the first BARS bars (long files)")
    ] = None,
    style: StyleOption = None,
    key: KeyOption = None,
    scale: ScaleOption = None,
    midi: MidiOption = None,
    fmt: FormatOption = "summary",
) -> None:
    """Import a MIDI file as a pattern, store it and print its Tidal code and Pbind."""
    with friendly_errors():
        pattern = read_midi(file, pattern_type=pattern_type, bars=bars)
        pattern = dataclasses.replace(pattern, key=key, scale=scale, style=style)
        record = pattern_store().put(pattern, generation_method="imported")
        print_pattern(record, fmt)
        write_midi_if_asked(record, midi)


@app.command("build")
def build_command(
    pattern_type: Annotated[str, typer.Argument(help="drums, melody or bass")],
    steps: Annotated[
        str,
        typer.Argument(
            help="One token per 16th step. Drums: 'kick: x...x... snare: ....x...'. "
            "Melody/bass: 'C4 - Eb4 . G4' (- holds, . rests)."
        ),
    ],
    bpm: Annotated[float, typer.Option(help="Tempo in quarter notes per minute")] = 120.0,
    key: KeyOption = None,
    scale: ScaleOption = None,
    style: StyleOption = None,
    midi: MidiOption = None,
    fmt: FormatOption = "summary",
) -> None:
    """Build a pattern from step notation, store it and print its Tidal code and Pbind."""
    with friendly_errors():
        _check_type(pattern_type)
        pattern = parse_steps(steps, pattern_type, bpm=bpm, key=key, scale=scale, style=style)
        record = pattern_store().put(pattern, generation_method="generated")
        print_pattern(record, fmt)
        write_midi_if_asked(record, midi)


@app.command("list")
def list_command(
    pattern_type: TypeOption = None,
    limit: Annotated[int | None, typer.Option(help="Show at most this many")] = None,
) -> None:
    """List stored patterns, oldest first."""
    with friendly_errors():
        records = pattern_store().list(pattern_type=pattern_type, limit=limit)
        if not records:
            out.print("no patterns stored yet: try `audiomancer import FILE.mid`")
            return
        out.print(_pattern_table(records))


def _pattern_table(records: list[PatternMetadata]) -> Table:
    table = Table("type", "bars", "bpm", "key", "style", "method", "parents", "rating")
    # Ids are what users copy into the next command: never truncate them.
    table.columns.insert(0, Column("id", no_wrap=True, min_width=len("ptrn_00000000")))
    for r in records:
        table.add_row(
            r.id,
            r.type,
            str(r["bars"]),
            f"{r['bpm']:g}",
            f"{r['key']} {r['scale']}" if r["key"] else "",
            r["style"] or "",
            r["generation_method"],
            ", ".join(r.parent_ids),
            "★" * r.user_rating if r.user_rating else "",
        )
    return table


@app.command("show")
def show_command(
    pattern_id: PatternIdArgument,
    fmt: FormatOption = "summary",
) -> None:
    """Show a stored pattern as Tidal code, Pbind, JSON or a summary."""
    with friendly_errors():
        print_pattern(pattern_store().get(pattern_id), fmt)


@app.command("export")
def export_command(
    pattern_id: PatternIdArgument,
    midi: Annotated[Path, typer.Option(help="Write a Standard MIDI File here")],
) -> None:
    """Export a stored pattern as a Standard MIDI File."""
    with friendly_errors():
        write_midi_if_asked(pattern_store().get(pattern_id), midi)


@app.command("rate")
def rate_command(
    pattern_id: PatternIdArgument,
    score: Annotated[int, typer.Argument(help="1 (worst) to 5 (best)")],
    notes: Annotated[str | None, typer.Option(help="What you liked or missed")] = None,
) -> None:
    """Rate a pattern 1-5; ratings steer evolution."""
    with friendly_errors():
        record = pattern_store().rate(pattern_id, score, notes)
        out.print(f"rated {record.id}: {'★' * score}{'☆' * (5 - score)}")


def _engine() -> EvolutionEngine:
    return EvolutionEngine(pattern_store())


AmountOption = Annotated[
    float, typer.Option(help="Mutation strength 0.0-1.0 (higher = more drastic)")
]
SeedOption = Annotated[int | None, typer.Option(help="Random seed: same seed, same result")]


@app.command("mutate")
def mutate_command(
    pattern_id: PatternIdArgument,
    amount: AmountOption = 0.3,
    seed: SeedOption = None,
    fmt: FormatOption = "summary",
) -> None:
    """Store a mutated copy of a pattern and print it with what changed."""
    with friendly_errors():
        record = _engine().mutate_pattern(pattern_id, amount=amount, seed=seed)
        _print_changes(record)
        print_pattern(record, fmt)


@app.command("crossover")
def crossover_command(
    first: Annotated[str, typer.Argument(help="Parent giving the bars before the cut")],
    second: Annotated[str, typer.Argument(help="Parent giving the bars after the cut")],
    seed: SeedOption = None,
    fmt: FormatOption = "summary",
) -> None:
    """Store a child of two patterns cut at a random bar line and print it."""
    with friendly_errors():
        record = _engine().crossover_patterns(first, second, seed=seed)
        _print_changes(record)
        print_pattern(record, fmt)


def _print_changes(record: PatternMetadata) -> None:
    parents = " × ".join(record.parent_ids)
    out.print(f"[bold]{record.id}[/bold] ← {parents} ({record['generation_method']})")
    for line in record["mutation_log"]:
        out.print(f"  • {line}", markup=False)


@app.command("evolve")
def evolve_command(
    pattern_ids: Annotated[list[str], typer.Argument(help="The starting population (ids)")],
    generations: Annotated[int, typer.Option(help="Number of generations")] = 5,
    mutation_rate: Annotated[float, typer.Option(help="Mutation probability 0.0-1.0")] = 0.3,
    crossover_rate: Annotated[float, typer.Option(help="Crossover probability 0.0-1.0")] = 0.2,
    seed: SeedOption = None,
) -> None:
    """Evolve patterns by your ratings; list every pattern of every generation."""
    with friendly_errors():
        records = _engine().evolve_population(
            pattern_ids, generations, mutation_rate, crossover_rate, seed
        )
        out.print(_pattern_table(records))
        out.print(f"{len(records) - len(set(pattern_ids))} new patterns; rate them to steer "
                  "the next run: `audiomancer rate ID SCORE`")  # fmt: skip


@app.command("top")
def top_command(
    pattern_type: TypeOption = None,
    limit: Annotated[int, typer.Option(help="Show at most this many")] = 10,
) -> None:
    """The highest-rated patterns, best first."""
    with friendly_errors():
        records = _engine().rank_by_rating(pattern_type, limit)  # type: ignore[arg-type]
        if not records:
            out.print("no rated patterns yet: rate some with `audiomancer rate ID SCORE`")
            return
        out.print(_pattern_table(records))


@app.command("lineage")
def lineage_command(
    pattern_id: PatternIdArgument,
) -> None:
    """Draw a pattern's ancestry as a tree (both parents of every crossover)."""
    with friendly_errors():
        store = pattern_store()
        out.print(_ancestry_tree(store, store.get(pattern_id), set()))


def _ancestry_tree(store: PatternStore, record: PatternMetadata, seen: set[str]) -> Tree:
    rating = f" {'★' * record.user_rating}" if record.user_rating else ""
    first_change = f" — {record['mutation_log'][0]}" if record["mutation_log"] else ""
    node = Tree(f"[bold]{record.id}[/bold] {record['generation_method']}{rating}{first_change}")
    seen = seen | {record.id}
    for parent_id in record.parent_ids:
        if parent_id in seen:
            continue
        try:
            node.add(_ancestry_tree(store, store.get(parent_id), seen))
        except PatternNotFoundError:
            node.add(f"{parent_id} [dim](deleted)[/dim]")
    return node
