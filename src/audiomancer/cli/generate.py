"""``audiomancer generate drums|melody|bass``: new patterns from the trained models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import typer

from audiomancer.cli.app import app, friendly_errors, out
from audiomancer.cli.patterns import (
    FormatOption,
    KeyOption,
    KitOption,
    MidiOption,
    ScaleOption,
    SoundOption,
    pattern_store,
    print_pattern,
    write_midi_if_asked,
)
from audiomancer.generators.patterns import PatternGenerator
from audiomancer.patterns.metadata import PatternMetadata

generate_app = typer.Typer(
    help="Generate drum, melody and bass patterns with the trained models.",
    no_args_is_help=True,
)
app.add_typer(generate_app, name="generate")

BarsOption = Annotated[int, typer.Option(help="Number of bars (1-64)")]
BpmOption = Annotated[float, typer.Option(help="Tempo in quarter notes per minute")]
SeedOption = Annotated[int | None, typer.Option(help="Random seed: same seed, same pattern")]
TemperatureOption = Annotated[
    float, typer.Option(help="Sampling temperature: lower is safer, higher is wilder")
]
TimeoutOption = Annotated[float, typer.Option(help="Give up after this many seconds")]


def _show(record: PatternMetadata, midi: Path | None, fmt: str) -> None:
    print_pattern(record, fmt)
    write_midi_if_asked(record, midi)
    if fmt == "summary":
        out.print(f"\nrate it to steer evolution: audiomancer rate {record.id} 1-5")


@generate_app.command("drums")
def generate_drums_command(
    style: Annotated[str, typer.Option(help="basic, techno, house or dnb")] = "basic",
    bars: BarsOption = 4,
    bpm: BpmOption = 120.0,
    seed: SeedOption = None,
    temperature: TemperatureOption = 1.0,
    timeout: TimeoutOption = 30.0,
    kit: KitOption = None,
    midi: MidiOption = None,
    fmt: FormatOption = "summary",
) -> None:
    """Generate a drum pattern in a style, store it and print its Tidal code and Pbind."""
    with friendly_errors():
        record = PatternGenerator(pattern_store()).generate_drums(
            style,  # type: ignore[arg-type]
            bars,
            bpm,
            timeout,
            seed=seed,
            temperature=temperature,
            kit=kit,
        )
        _show(record, midi, fmt)


def _line_command(kind: Literal["melody", "bass"]) -> Callable[..., None]:
    """The ``generate melody`` / ``generate bass`` command: the same options, one model each."""

    def command(
        key: KeyOption = "C",
        scale: ScaleOption = "minor",
        bars: BarsOption = 4,
        bpm: BpmOption = 120.0,
        seed: SeedOption = None,
        temperature: TemperatureOption = 1.0,
        timeout: TimeoutOption = 30.0,
        sound: SoundOption = None,
        midi: MidiOption = None,
        fmt: FormatOption = "summary",
    ) -> None:
        with friendly_errors():
            generator = PatternGenerator(pattern_store())
            generate = generator.generate_melody if kind == "melody" else generator.generate_bass
            record = generate(
                key or "C",
                scale or "minor",  # type: ignore[arg-type]
                bars,
                bpm,
                timeout,
                seed=seed,
                temperature=temperature,
                sound=sound,
            )
            _show(record, midi, fmt)

    what = "a melody" if kind == "melody" else "a bass line"
    command.__doc__ = f"Generate {what} in a key and scale, store it, print its Tidal and Pbind."
    command.__name__ = f"generate_{kind}_command"
    return command


generate_app.command("melody")(_line_command("melody"))
generate_app.command("bass")(_line_command("bass"))
