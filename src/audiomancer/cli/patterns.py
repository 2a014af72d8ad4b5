"""Pattern commands: import, build, list, show, export, rate, mutate, crossover, evolve, top,
lineage."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from audiomancer.arguments import check_output_file
from audiomancer.cli.app import (
    app,
    check_limit,
    close_at_end,
    err,
    friendly_errors,
    out,
    styled,
    user_text,
)

if TYPE_CHECKING:  # what the commands use is imported in them: `--help` loads none of it
    from rich.console import Console
    from rich.table import Table
    from rich.tree import Tree

    from audiomancer.generators.evolution import EvolutionEngine
    from audiomancer.patterns.metadata import PatternMetadata
    from audiomancer.patterns.store import PatternStore

FORMATS = ("tidal", "pbind", "json", "summary")
LIST_FORMATS = ("table", "json")


def pattern_store(write: bool = False) -> PatternStore:
    """The user's store; with ``write``, checked writable first (before any work is done)."""
    from audiomancer.patterns.store import PatternStore

    store = close_at_end(PatternStore())
    if write:
        store.check_writable()
    return store


def _check_type(value: str | None) -> str | None:
    from audiomancer.patterns.model import PATTERN_TYPES

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


def _check_list_format(value: str) -> str:
    if value not in LIST_FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(LIST_FORMATS)}")
    return value


ListFormatOption = Annotated[
    str,
    typer.Option("--format", "-f", help=" | ".join(LIST_FORMATS), callback=_check_list_format),
]


def print_records(records: list[PatternMetadata], fmt: str, empty: str) -> None:
    """A table of records, or (``json``) a JSON list of the records alone on stdout."""
    if fmt == "json":
        print_document(json.dumps([record_json(r) for r in records], indent=2))
    elif not records:
        out.print(empty)
    else:
        out.print(_pattern_table(records))


PatternIdArgument = Annotated[str, typer.Argument(help="Pattern id (ptrn_...)")]
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help=" | ".join(FORMATS), callback=_check_format)
]
KeyOption = Annotated[str | None, typer.Option(help="Key of a melodic pattern, e.g. C, F#, Bb")]
ScaleOption = Annotated[str | None, typer.Option(help="major, minor, pentatonic or chromatic")]
StyleOption = Annotated[str | None, typer.Option(help="A style label to store with it")]
MidiOption = Annotated[Path | None, typer.Option(help="Also write the pattern to this .mid")]


def _check_kit(value: str | None) -> str | None:
    from audiomancer.patterns.kits import KITS

    if value is not None and value.strip().lower() not in KITS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(KITS)}")
    return value.strip().lower() if value is not None else None


def _check_sound(value: str | None) -> str | None:
    from audiomancer.patterns.kits import validate_sound

    if value is not None:
        try:
            validate_sound(value)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    return value


KitOption = Annotated[
    str | None,
    typer.Option(
        help="Drums: the kit Tidal plays, dirt (default), 808 or synths (see the README)",
        callback=_check_kit,
    ),
]
SoundOption = Annotated[
    str | None,
    typer.Option(
        help="Melody/bass: the SuperDirt sound Tidal plays (default superpiano / supersaw)",
        callback=_check_sound,
    ),
]


def record_json(record: PatternMetadata) -> dict[str, object]:
    """A record as JSON-ready data (``created_at`` in ISO 8601)."""
    return dict(record, created_at=record.created_at.isoformat())


def print_document(text: str) -> None:
    """Write a machine-readable document to stdout as it is: no markup, wrapping or cropping."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def print_code(title: str, code: str) -> None:
    """A titled block of code in the summary view, every line whole (copying it works)."""
    out.print(styled("\n", (title, "bold")))
    print_document(code)


def print_pattern(record: PatternMetadata, fmt: str = "summary") -> None:
    """Print a stored pattern in one of FORMATS (summary: header, Tidal and Pbind).

    ``json``, ``tidal`` and ``pbind`` put that document alone on stdout. The summary view may
    style its header, but prints the code raw, never cropped or re-wrapped at any width.
    """
    if fmt == "json":
        print_document(json.dumps(record_json(record), indent=2))
        return
    if fmt == "tidal":
        print_document(record["tidal_code"])
        return
    if fmt == "pbind":
        print_document(record["sc_code"])
        return
    header = (
        f"  {record.type}  {record['bars']} bars  "
        f"{record['bpm']:g} bpm  {record['time_signature'][0]}/{record['time_signature'][1]}"
    )
    if record["key"]:
        header += f"  {record['key']} {record['scale'] or ''}"
    out.print(styled((record.id, "bold"), header))
    print_code("Tidal", record["tidal_code"])
    print_code("Pbind", record["sc_code"])


def note_stored(record: PatternMetadata, fmt: str) -> None:
    """Beside Tidal code or a Pbind on stdout, name the stored pattern on stderr, so the
    musician knows which id to rate; json carries the id, and the summary view shows it."""
    if fmt in ("tidal", "pbind"):
        err.print(f"stored {record.id}; rate it: audiomancer rate {record.id} 1-5", markup=False)


def notice(fmt: str) -> Console:
    """Where messages go: stdout in the summary view, stderr beside a machine-readable one."""
    return out if fmt == "summary" else err


def write_midi_if_asked(record: PatternMetadata, midi: Path | None) -> None:
    if midi is not None:
        from audiomancer.patterns.midi import write_midi

        path = write_midi(record.to_pattern(), midi)
        err.print(f"wrote {path}")


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="A Standard MIDI File (.mid), or Tidal code (.tidal, or - for stdin)",
            allow_dash=True,
        ),
    ],
    pattern_type: TypeOption = None,
    bars: Annotated[
        int | None,
        typer.Option(
            help="MIDI: keep only the first BARS bars. Tidal: read BARS cycles (default: the "
            "length our header comment states, else the code's period up to 8, else 1)"
        ),
    ] = None,
    track: Annotated[
        int | None,
        typer.Option(min=1, help="MIDI: take the part on track N (1 = the file's first track)"),
    ] = None,
    channel: Annotated[
        int | None,
        typer.Option(min=1, max=16, help="MIDI: take the part on channel C (1-16; 10 = drums)"),
    ] = None,
    bpm: Annotated[
        float | None,
        typer.Option(help="Tidal: the tempo (default: the code's setcps, else 120)"),
    ] = None,
    style: StyleOption = None,
    key: KeyOption = None,
    scale: ScaleOption = None,
    kit: KitOption = None,
    sound: SoundOption = None,
    timeout: Annotated[
        float, typer.Option(help="Tidal: give up when Tidal takes longer (seconds)")
    ] = 10.0,
    midi: MidiOption = None,
    fmt: FormatOption = "summary",
) -> None:
    """Import a MIDI file or Tidal code as a pattern, store it and print its Tidal and Pbind.

    Tidal code is evaluated by real Tidal (ghci): this RUNS the file's Haskell, as pasting it
    into your editor would. Only import Tidal code you trust.
    """
    with friendly_errors():
        store = pattern_store(write=True)
        check_output_file(midi, "--midi")
        if str(file) == "-" or file.suffix.lower() in (".tidal", ".hs"):
            from audiomancer.tidal.importer import import_tidal_file

            pattern = import_tidal_file(
                file,
                bars=bars,
                bpm=bpm,
                pattern_type=pattern_type,
                kit=kit,
                sound=sound,
                timeout=timeout,
            )
        else:
            from audiomancer.patterns.midi import read_midi

            pattern = read_midi(
                file, pattern_type=pattern_type, bars=bars, track=track, channel=channel
            )
            if bpm is not None:
                pattern = dataclasses.replace(pattern, bpm=bpm)
            pattern = dataclasses.replace(pattern, kit=kit, sound=sound)
        pattern = dataclasses.replace(
            pattern,
            key=key or pattern.key,
            scale=scale or pattern.scale,
            style=style,
            kit=kit or pattern.kit,
            sound=sound or pattern.sound,
        )
        record = store.put(pattern, generation_method="imported")
        print_pattern(record, fmt)
        note_stored(record, fmt)
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
    kit: KitOption = None,
    sound: SoundOption = None,
    midi: MidiOption = None,
    fmt: FormatOption = "summary",
) -> None:
    """Build a pattern from step notation, store it and print its Tidal code and Pbind."""
    with friendly_errors():
        from audiomancer.patterns.steps import parse_steps

        _check_type(pattern_type)
        store = pattern_store(write=True)
        check_output_file(midi, "--midi")
        pattern = parse_steps(steps, pattern_type, bpm=bpm, key=key, scale=scale, style=style)
        pattern = dataclasses.replace(pattern, kit=kit, sound=sound)
        record = store.put(pattern, generation_method="generated")
        print_pattern(record, fmt)
        note_stored(record, fmt)
        write_midi_if_asked(record, midi)


@app.command("list")
def list_command(
    pattern_type: TypeOption = None,
    limit: Annotated[
        int | None, typer.Option(help="Show at most this many", callback=check_limit)
    ] = None,
    fmt: ListFormatOption = "table",
) -> None:
    """List stored patterns, oldest first."""
    with friendly_errors():
        records = pattern_store().list(pattern_type=pattern_type, limit=limit)
        print_records(records, fmt, "no patterns stored yet: try `audiomancer import FILE.mid`")


def _pattern_table(records: list[PatternMetadata]) -> Table:
    from rich.table import Column, Table

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
    picture: Annotated[
        Path | None, typer.Option(help="Also draw it to this SVG file (drum grid or piano roll)")
    ] = None,
) -> None:
    """Show a stored pattern as Tidal code, Pbind, JSON or a summary."""
    with friendly_errors():
        store = pattern_store()
        check_output_file(picture, "--picture")
        print_pattern(store.get(pattern_id), fmt)
        if picture is not None:
            from audiomancer.patterns.picture import write_pattern_svg

            write_pattern_svg(store.get_pattern(pattern_id), picture)
            err.print(f"drew {picture}")


@app.command("export")
def export_command(
    pattern_id: PatternIdArgument,
    midi: Annotated[Path, typer.Option(help="Write a Standard MIDI File here")],
) -> None:
    """Export a stored pattern as a Standard MIDI File."""
    with friendly_errors():
        check_output_file(midi, "--midi")
        write_midi_if_asked(pattern_store().get(pattern_id), midi)


@app.command("rate")
def rate_command(
    pattern_id: PatternIdArgument,
    score: Annotated[int, typer.Argument(help="1 (worst) to 5 (best)")],
    notes: Annotated[str | None, typer.Option(help="What you liked or missed")] = None,
) -> None:
    """Rate a pattern 1-5; ratings steer evolution."""
    with friendly_errors():
        record = pattern_store(write=True).rate(pattern_id, score, notes)
        out.print(f"rated {record.id}: {'★' * score}{'☆' * (5 - score)}")


def _engine(write: bool = True) -> EvolutionEngine:
    from audiomancer.generators.evolution import EvolutionEngine

    return EvolutionEngine(pattern_store(write))


AmountOption = Annotated[
    float, typer.Option(help="Mutation strength, above 0.0 up to 1.0 (higher = more drastic)")
]
SeedOption = Annotated[int | None, typer.Option(help="Random seed: same seed, same result")]
RenderOption = Annotated[
    Path | None, typer.Option("--render", help="Also render it to this WAV file, to listen to")
]


@app.command("mutate")
def mutate_command(
    pattern_id: PatternIdArgument,
    amount: AmountOption = 0.3,
    seed: SeedOption = None,
    fmt: FormatOption = "summary",
    render: RenderOption = None,
) -> None:
    """Store a mutated copy of a pattern and print it with what changed."""
    with friendly_errors():
        _check_render_file(render)
        record = _engine().mutate_pattern(pattern_id, amount=amount, seed=seed)
        _print_changes(record, notice(fmt))
        print_pattern(record, fmt)
        _render_file(record, render)


@app.command("humanize")
def humanize_command(
    pattern_id: PatternIdArgument,
    amount: Annotated[
        float, typer.Option(help="0.0 keeps it as it is, 1.0 plays it as the model learned")
    ] = 1.0,
    seed: SeedOption = None,
    style: Annotated[
        str | None,
        typer.Option(help="A Groove MIDI feel (funk, jazz, rock, ...); default the pattern's"),
    ] = None,
    swing: Annotated[
        float | None, typer.Option(help="Swing it first: percent 50 (straight) to 75")
    ] = None,
    fmt: FormatOption = "summary",
    render: RenderOption = None,
) -> None:
    """Store a drum pattern played like a drummer (learned velocity and timing) and print it."""
    with friendly_errors():
        _check_render_file(render)
        record = _engine().humanize_pattern(pattern_id, amount, seed, style=style, swing=swing)
        _print_changes(record, notice(fmt))
        print_pattern(record, fmt)
        _render_file(record, render)


@app.command("crossover")
def crossover_command(
    first: Annotated[str, typer.Argument(help="Parent giving the bars before the cut")],
    second: Annotated[str, typer.Argument(help="Parent giving the bars after the cut")],
    seed: SeedOption = None,
    fmt: FormatOption = "summary",
    render: RenderOption = None,
) -> None:
    """Store a child of two patterns cut at a random bar line and print it."""
    with friendly_errors():
        _check_render_file(render)
        record = _engine().crossover_patterns(first, second, seed=seed)
        _print_changes(record, notice(fmt))
        print_pattern(record, fmt)
        _render_file(record, render)


def _check_render_file(path: Path | None) -> None:
    if path is not None:
        from audiomancer.cli.render import check_output_file

        check_output_file(path, "--render")


def _render_file(record: PatternMetadata, path: Path | None) -> None:
    if path is not None:
        from audiomancer.cli.render import render_created

        render_created(record, path)


def _print_changes(record: PatternMetadata, console: Console) -> None:
    parents = " × ".join(record.parent_ids)
    console.print(user_text((record.id, "bold"), f" ← {parents} ({record['generation_method']})"))
    for line in record["mutation_log"]:
        console.print(f"  • {line}")


@app.command("evolve")
def evolve_command(
    pattern_ids: Annotated[list[str], typer.Argument(help="The starting population (ids)")],
    generations: Annotated[int, typer.Option(help="Number of generations")] = 5,
    mutation_rate: Annotated[float, typer.Option(help="Mutation probability 0.0-1.0")] = 0.3,
    crossover_rate: Annotated[float, typer.Option(help="Crossover probability 0.0-1.0")] = 0.2,
    seed: SeedOption = None,
    fmt: ListFormatOption = "table",
    render: Annotated[
        Path | None,
        typer.Option(help="Also render every new pattern to DIR/<id>.wav, to listen to"),
    ] = None,
) -> None:
    """Evolve patterns by your ratings; list every pattern of every generation."""
    with friendly_errors():
        if render is not None:
            from audiomancer.cli.render import check_output_folder

            check_output_folder(render, "--render")
        records = _engine().evolve_population(
            pattern_ids, generations, mutation_rate, crossover_rate, seed
        )
        print_records(records, fmt, "")
        (out if fmt == "table" else err).print(
            f"{len(records) - len(set(pattern_ids))} new patterns; rate them to steer the next "
            "run: `audiomancer rate ID SCORE`"
        )
        if render is not None:
            from audiomancer.cli.render import render_all_created

            render_all_created([r for r in records if r.id not in set(pattern_ids)], render)


@app.command("top")
def top_command(
    pattern_type: TypeOption = None,
    limit: Annotated[int, typer.Option(help="Show at most this many", callback=check_limit)] = 10,
    fmt: ListFormatOption = "table",
) -> None:
    """The highest-rated patterns, best first."""
    with friendly_errors():
        records = _engine(write=False).rank_by_rating(pattern_type, limit)  # type: ignore[arg-type]
        print_records(
            records, fmt, "no rated patterns yet: rate some with `audiomancer rate ID SCORE`"
        )


@app.command("lineage")
def lineage_command(
    pattern_id: PatternIdArgument,
    picture: Annotated[
        Path | None, typer.Option(help="Also draw the family tree to this SVG file")
    ] = None,
) -> None:
    """Draw a pattern's ancestry as a tree (both parents of every crossover)."""
    with friendly_errors():
        if picture is not None:
            from audiomancer.cli.render import check_output_file

            check_output_file(picture, "--picture")
        store = pattern_store()
        out.print(_ancestry_tree(store, store.get(pattern_id), set()))
        if picture is not None:
            from audiomancer.cli.pictures import write_pattern_lineage

            err.print(f"drew {write_pattern_lineage(pattern_id, picture)}", markup=False)


def _ancestry_tree(store: PatternStore, record: PatternMetadata, seen: set[str]) -> Tree:
    from rich.tree import Tree

    from audiomancer.errors import PatternNotFoundError

    rating = f" {'★' * record.user_rating}" if record.user_rating else ""
    first_change = f" — {record['mutation_log'][0]}" if record["mutation_log"] else ""
    node = Tree(
        user_text((record.id, "bold"), f" {record['generation_method']}{rating}{first_change}")
    )
    seen = seen | {record.id}
    for parent_id in record.parent_ids:
        if parent_id in seen:
            continue
        try:
            node.add(_ancestry_tree(store, store.get(parent_id), seen))
        except PatternNotFoundError:
            node.add(user_text(parent_id, (" (deleted)", "dim")))
    return node
