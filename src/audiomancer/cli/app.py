"""The ``audiomancer`` Typer application and what every command shares.

Every command turns audiomancer's own errors into one red line on stderr and exit code 1;
usage errors exit with 2 (typer's convention).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from audiomancer.errors import AudiomancerError

app = typer.Typer(
    name="audiomancer",
    help="Generate, export and evolve musical patterns and SuperCollider synths.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Report audiomancer's errors and bad values as one line, exit 1; warnings in yellow."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (AudiomancerError, ValueError, OSError) as error:
            err.print(f"[red]error:[/red] {escape(str(error))}", markup=True)
            raise typer.Exit(1) from None
        finally:
            for warning in caught:
                err.print(f"[yellow]warning:[/yellow] {escape(str(warning.message))}")
