"""The ``render`` command: a stored pattern to a WAV file through scsynth."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from audiomancer.arguments import check_output_file as check_output_file  # re-exported
from audiomancer.arguments import check_output_folder as check_output_folder  # re-exported
from audiomancer.cli.app import app, err, friendly_errors, levels

if TYPE_CHECKING:
    from audiomancer.patterns.metadata import PatternMetadata
    from audiomancer.supercollider.pattern_render import PatternRender

FORMATS = ("int24", "int16", "float")


def synth_code(ref: str) -> str:
    """The code of a synth given as a ``.scd`` file, a library synth or a template name."""
    path = Path(ref)
    if ref.endswith(".scd"):
        if not path.is_file():
            raise FileNotFoundError(f"no such SynthDef file: {ref!r}")
        return path.read_text(encoding="utf-8")
    from audiomancer.generators.lineage import LineageTracker

    tracker = LineageTracker()
    return tracker.source_code(tracker.resolve(ref))


def render_created(record: PatternMetadata, output: Path) -> PatternRender:
    """Render a pattern just created (mutated, bred, evolved) so it can be heard before rating:
    drums on the default kit, melody and bass on their default synth; one line on stderr."""
    from audiomancer.supercollider.pattern_render import render_pattern

    result = render_pattern(record.to_pattern(), output)
    err.print(f"{record.id}: {report(result)}", markup=False)
    return result


def render_all_created(
    records: Sequence[PatternMetadata], folder: Path, workers: int | None = None
) -> list[PatternRender]:
    """Render each record to ``folder/<id>.wav`` (see :func:`render_created`), up to
    ``workers`` (default: one per CPU) at a time; the lines are printed in the records' order.

    Each render is seeded and writes its own file, so the files are the same bytes whatever
    the order the renders finish in. The first failure (in the records' order) is raised once
    the renders already running have finished; renders not yet started are dropped.
    """
    if not records:
        return []
    import os
    from concurrent.futures import ThreadPoolExecutor

    from audiomancer.supercollider.pattern_render import render_pattern

    err.print(f"rendering {len(records)} patterns to {folder}", markup=False)
    # scsynth does the work in processes of its own (threads only wait for them and stream
    # the file), so threads give one render per CPU.
    count = max(1, min(len(records), workers or os.cpu_count() or 1))
    results: list[PatternRender] = []
    with ThreadPoolExecutor(count, thread_name_prefix="render") as pool:
        futures = [
            pool.submit(render_pattern, record.to_pattern(), folder / f"{record.id}.wav")
            for record in records
        ]
        try:
            for record, future in zip(records, futures, strict=True):
                result = future.result()
                err.print(f"{record.id}: {report(result)}", markup=False)
                results.append(result)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return results


def report(result: PatternRender) -> str:
    """The line printed for a render: file, length, peak and RMS (and stems)."""
    line = f"wrote {result.path}: {result.duration_s:.2f} s, {levels(result)}"
    if result.stems:
        line += f"; {len(result.stems)} stems in {next(iter(result.stems.values())).parent}"
    return line


def render_stored(
    pattern_id: str,
    output: Path,
    *,
    synth: str | None = None,
    kit: str = "default",
    stems: Path | None = None,
    sample_format: str = "int24",
    seed: int = 0,
) -> PatternRender:
    """Render a stored pattern by id (what ``audiomancer render`` does)."""
    from audiomancer.cli.patterns import pattern_store
    from audiomancer.supercollider.pattern_render import render_pattern

    if sample_format not in FORMATS:
        raise ValueError(f"invalid format {sample_format!r}: expected one of {', '.join(FORMATS)}")
    pattern = pattern_store().get_pattern(pattern_id)
    code = synth_code(synth) if synth is not None else None
    return render_pattern(
        pattern,
        output,
        synth_code=code,
        kit=kit,
        stems=stems,
        sample_format=sample_format,  # type: ignore[arg-type]
        seed=seed,
    )


@app.command("render")
def render_command(
    pattern_id: Annotated[str, typer.Argument(help="Pattern id (ptrn_...)")],
    output: Annotated[Path, typer.Option("--out", "-o", help="WAV file to write")],
    synth: Annotated[
        str | None,
        typer.Option(help="Synth for melody/bass: a library synth, a template or a .scd file"),
    ] = None,
    kit: Annotated[str, typer.Option(help="Drum kit: 'default' or a folder of .scd")] = "default",
    stems: Annotated[Path | None, typer.Option(help="Also write one WAV per lane here")] = None,
    sample_format: Annotated[
        str, typer.Option("--format", help="int24 | int16 | float (32-bit)")
    ] = "int24",
    seed: Annotated[
        int, typer.Option(help="Seed of the noise in the sounds: same seed, same bytes")
    ] = 0,
) -> None:
    """Render a stored pattern to a WAV file with scsynth (drums on the kit, notes on a synth)."""
    with friendly_errors():
        check_output_file(output, "--out")
        check_output_folder(stems, "--stems")
        result = render_stored(
            pattern_id,
            output,
            synth=synth,
            kit=kit,
            stems=stems,
            sample_format=sample_format,
            seed=seed,
        )
        err.print(report(result))
