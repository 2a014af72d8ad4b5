"""``audiomancer doctor``: the engines and how to install what is missing."""

from __future__ import annotations

import typer

from audiomancer import __version__
from audiomancer.cli.app import app, out, user_text


@app.command("doctor")
def doctor_command() -> None:
    """Report each engine audiomancer uses, with its version or how to install it."""
    from rich.table import Table

    from audiomancer import engines
    from audiomancer.errors import EngineNotFoundError

    table = Table("engine", "status", "used for")
    missing_runtime = False
    for name, engine in engines.ENGINES.items():
        try:
            status = user_text((engines.version(name), "green"))
        except EngineNotFoundError:
            status = user_text(("missing", "red"), f": {engine.install_hint}")
            missing_runtime |= name != "tidal"  # Tidal is optional: only `import FILE.tidal`
        table.add_row(name, status, engine.purpose)
    out.print(f"audiomancer {__version__}")
    out.print(table)
    if missing_runtime:
        raise typer.Exit(1)
