"""``audiomancer generate drums|melody|bass``: new patterns from the trained models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from audiomancer.arguments import check_output_file
from audiomancer.cli.app import Commands, app, friendly_errors, out
from audiomancer.cli.patterns import (
    FormatOption,
    KeyOption,
    KitOption,
    MidiOption,
    ScaleOption,
    SoundOption,
    note_stored,
    pattern_store,
    print_document,
    print_pattern,
    record_json,
    write_midi_if_asked,
)

if TYPE_CHECKING:
    from audiomancer.generators.patterns import PatternGenerator
    from audiomancer.patterns.metadata import PatternMetadata

generate_app = Commands(
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
SwingOption = Annotated[
    float | None,
    typer.Option(
        help="Swing percent, 50 (straight) to 75, MPC-style (default: house 58, others 50)"
    ),
]
SwingGridOption = Annotated[int, typer.Option(help="Swing every second 16th (16) or 8th (8)")]
HumanizeOption = Annotated[
    float,
    typer.Option(help="Play it like a drummer: learned velocity and timing, 0.0 (off) to 1.0"),
]
ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model",
        help="A Magenta .mag bundle to sample with (DrumsRNN for drums, MelodyRNN for melody "
        "and bass); a bare file name is looked up in the models folder",
    ),
]
CountOption = Annotated[
    int,
    typer.Option(
        "--count",
        help="How many patterns to generate in one batch (1-256; seeds SEED, SEED+1, ...)",
    ),
]


def _generator(model: Path | None, kind: Literal["drums", "melody"]) -> PatternGenerator:
    """A generator on the user's store, with the ``--model`` bundle loaded if one is named."""
    from audiomancer.generators.patterns import PatternGenerator

    generator = PatternGenerator(pattern_store(write=True))
    if model is not None:
        generator.load_model(str(model))
        if generator.bundle(kind) is None:
            wanted = "a DrumsRNN" if kind == "drums" else "a MelodyRNN"
            raise ValueError(
                f"invalid --model {str(model)!r}: this command needs {wanted} bundle, and "
                "that file is for the other kind"
            )
    return generator


def _show(result: list[PatternMetadata], midi: Path | None, fmt: str, count: int) -> None:
    """Print one pattern, or a batch (``--count``): json as one array, the rest in turn."""
    if count == 1:
        print_pattern(result[0], fmt)
        note_stored(result[0], fmt)
        write_midi_if_asked(result[0], midi)
        if fmt == "summary":
            out.print(f"\nrate it to steer evolution: audiomancer rate {result[0].id} 1-5")
        return
    if fmt == "json":
        print_document(json.dumps([record_json(record) for record in result], indent=2))
    for index, record in enumerate(result):
        if fmt != "json":
            if index:
                print_document("")
            print_pattern(record, fmt)
            note_stored(record, fmt)
        if midi is not None:
            write_midi_if_asked(record, midi.with_stem(f"{midi.stem}-{index + 1:02d}"))
    if fmt == "summary":
        out.print("\nrate them to steer evolution: audiomancer rate PATTERN_ID 1-5")


@generate_app.command("drums")
def generate_drums_command(
    style: Annotated[str, typer.Option(help="basic, techno, house or dnb")] = "basic",
    bars: BarsOption = 4,
    bpm: BpmOption = 120.0,
    seed: SeedOption = None,
    temperature: TemperatureOption = 1.0,
    timeout: TimeoutOption = 30.0,
    kit: KitOption = None,
    swing: SwingOption = None,
    swing_grid: SwingGridOption = 16,
    humanize: HumanizeOption = 0.0,
    count: CountOption = 1,
    model: ModelOption = None,
    midi: MidiOption = None,
    fmt: FormatOption = "summary",
) -> None:
    """Generate a drum pattern in a style, store it and print its Tidal code and Pbind."""
    with friendly_errors():
        check_output_file(midi, "--midi")
        record = _generator(model, "drums").generate_drums(  # type: ignore[call-overload]
            style,
            bars,
            bpm,
            timeout,
            seed=seed,
            temperature=temperature,
            kit=kit,
            swing=swing,
            swing_grid=swing_grid,
            humanize=humanize,
            n=count,
        )
        _show(record, midi, fmt, count)


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
        count: CountOption = 1,
        model: ModelOption = None,
        midi: MidiOption = None,
        fmt: FormatOption = "summary",
    ) -> None:
        with friendly_errors():
            check_output_file(midi, "--midi")
            generator = _generator(model, "melody")
            generate = generator.generate_melody if kind == "melody" else generator.generate_bass
            record = generate(  # type: ignore[call-overload]
                "C" if key is None else key,
                "minor" if scale is None else scale,
                bars,
                bpm,
                timeout,
                seed=seed,
                temperature=temperature,
                sound=sound,
                n=count,
            )
            _show(record, midi, fmt, count)

    what = "a melody" if kind == "melody" else "a bass line"
    command.__doc__ = f"Generate {what} in a key and scale, store it, print its Tidal and Pbind."
    command.__name__ = f"generate_{kind}_command"
    return command


generate_app.command("melody")(_line_command("melody"))
generate_app.command("bass")(_line_command("bass"))
