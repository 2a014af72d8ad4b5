"""Synth commands: ``audiomancer synth ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from audiomancer.analyzers.synthdef import parse_synthdef
from audiomancer.cli.app import app, err, friendly_errors, out
from audiomancer.supercollider import lang
from audiomancer.supercollider.nrt import render_phrase

synth_app = typer.Typer(
    help="SuperCollider SynthDefs: inspect, validate, render.", no_args_is_help=True
)
app.add_typer(synth_app, name="synth")

SynthFile = Annotated[Path, typer.Argument(help="A .scd file holding one or more SynthDefs")]
SynthName = Annotated[
    str | None, typer.Option("--name", help="Which SynthDef, when the file holds several")
]


@synth_app.command("info")
def synth_info_command(file: SynthFile, name: SynthName = None) -> None:
    """Show a SynthDef's controls, UGens by family and category (reads, runs nothing)."""
    with friendly_errors():
        info = parse_synthdef(file, name=name)
        out.print(f"[bold]{info.name}[/bold]  category: {info.category}")
        controls = Table("control", "default", "rate", "lag")
        for control in info.controls:
            default = "" if control.default is None else f"{control.default}"
            lag = "" if control.lag is None else f"{control.lag:g}"
            controls.add_row(control.name, default, control.rate, lag)
        out.print(controls)
        for family, classes in info.ugens.items():
            out.print(f"  {family}: {', '.join(classes)}")


@synth_app.command("validate")
def synth_validate_command(
    file: Annotated[Path, typer.Argument(help="A .scd file (it is run by sclang to check it)")],
) -> None:
    """Check a file with the real sclang. This runs the code: validate only code you trust."""
    with friendly_errors():
        result = lang.validate(file.read_text(encoding="utf-8"))
        if result.ok:
            out.print(f"[green]ok[/green]: {file} compiles")
            return
        where = f" (line {result.line})" if result.line else ""
        err.print(f"[red]invalid[/red] at the {result.stage} stage{where}: {result.message}")
        raise typer.Exit(1)


@synth_app.command("render")
def synth_render_command(
    file: SynthFile,
    output: Annotated[Path, typer.Option("--out", "-o", help="WAV file to write")] = Path(
        "render.wav"
    ),
    seconds: Annotated[float, typer.Option(help="Length of the phrase in seconds")] = 2.0,
    name: SynthName = None,
) -> None:
    """Render a short phrase of a SynthDef to a WAV with scsynth and report its levels."""
    with friendly_errors():
        info = parse_synthdef(file, name=name)
        result = render_phrase(info.source_code, seconds, output)
        out.print(
            f"wrote {result.path}: {result.duration_s:.2f} s, peak {result.peak_dbfs:.1f} dBFS, "
            f"RMS {result.rms_dbfs:.1f} dBFS"
        )
        problems = [
            text
            for flag, text in (
                (result.is_silent, "it is silent"),
                (result.has_nan, "it contains NaN or infinite samples"),
                (result.clipping, "it clips (peak at or above 0 dBFS)"),
            )
            if flag
        ]
        if problems:
            err.print(f"[red]not audible:[/red] {'; '.join(problems)}")
            raise typer.Exit(1)
