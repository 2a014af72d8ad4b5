"""``audiomancer studio``: the local web page for listening, rating and evolving."""

from __future__ import annotations

import gc
from typing import Annotated

import typer

from audiomancer.cli.app import app, err, friendly_errors, out, user_text


@app.command("studio")
def studio_command(
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port)")] = 8765,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; anything but 127.0.0.1 is reachable by others"),
    ] = "127.0.0.1",
    no_open: Annotated[bool, typer.Option("--no-open", help="Do not open a browser")] = False,
) -> None:
    """Open the studio: listen to, rate and evolve patterns and synths in the browser."""
    with friendly_errors():
        if not 0 <= port <= 65535:
            raise ValueError(f"invalid port {port!r}: expected 0 to 65535")
        from audiomancer.studio.server import serve  # the web stack loads only for this command

        try:
            serve(
                host,
                port,
                open_browser=not no_open,
                announce=out.print,
                warn=lambda line: err.print(user_text(("warning:", "yellow"), f" {line}")),
            )
        finally:
            gc.collect()  # the server's objects, its store's connection: finalized, not frozen
