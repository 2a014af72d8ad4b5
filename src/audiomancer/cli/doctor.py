"""``audiomancer doctor``: the engines and how to install what is missing."""

from __future__ import annotations

import subprocess

import typer

from audiomancer import __version__, paths
from audiomancer.cli.app import app, out, user_text


@app.command("doctor")
def doctor_command() -> None:
    """Report each engine audiomancer uses (its version or how to install it) and whether the
    data folder can be written; exit 1 when something needed is missing."""
    from rich.table import Table

    from audiomancer import engines
    from audiomancer.errors import AudiomancerError, EngineNotFoundError

    table = Table("engine", "status", "used for")
    missing_runtime = False
    for name, engine in engines.ENGINES.items():
        try:
            status = user_text((engines.version(name), "green"))
        except EngineNotFoundError:
            status = user_text(("missing", "red"), f": {engine.install_hint}")
            missing_runtime |= name != "tidal"  # Tidal is optional: only `import FILE.tidal`
        except (AudiomancerError, OSError, subprocess.SubprocessError) as error:
            status = user_text(("broken", "red"), f": {error}")
            missing_runtime |= name != "tidal"
        table.add_row(name, status, engine.purpose)
    out.print(f"audiomancer {__version__}")
    out.print(table)
    folder = paths.data_dir()
    problem = paths.folder_problem(folder)
    if problem is None:
        out.print(f"data folder: {folder} (writable)")
    else:
        out.print(
            user_text(
                ("data folder:", "red"),
                f" {folder}: {problem}; nothing can be stored there ({paths.home_hint()})",
            )
        )
    if missing_runtime or problem is not None:
        raise typer.Exit(1)
