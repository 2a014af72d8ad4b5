"""The ``audiomancer`` Typer application and what every command shares.

Every command turns audiomancer's own errors into one red line on stderr and exit code 1;
usage errors exit with 2 (typer's convention).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

import typer

from audiomancer.errors import AudiomancerError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

app = typer.Typer(
    name="audiomancer",
    help="Generate, export and evolve musical patterns and SuperCollider synths.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help panels load markdown-it, 0.1 s per --help
    context_settings={"max_content_width": 120},  # wide terminals see whole summaries
)


class _LazyConsole:
    """A rich Console made on first use: rich loads only for a command that prints."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


# Never markup or emoji codes: user text (names, keys, paths) is printed as it is; style with
# user_text()/rich.text.Text. Tables and trees of these consoles read their strings plainly too.
_PLAIN: Final = {"highlight": False, "soft_wrap": True, "markup": False, "emoji": False}
out = cast("Console", _LazyConsole(**_PLAIN))
err = cast("Console", _LazyConsole(stderr=True, **_PLAIN))


def _exit_for_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def exit_on_signals() -> None:
    """Make SIGTERM and SIGHUP end the command as Ctrl-C does: ``finally`` blocks run (so
    temporary files are removed and engines ended), then exit with 128 + the signal number."""
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _exit_for_signal)


def user_text(*parts: str | tuple[str, str]) -> Text:
    """Console text from plain strings (never read as markup) and (text, style) pairs."""
    from rich.text import Text

    return Text.assemble(*parts)


def _quiet_closed_stdout() -> None:
    """The reader of stdout went away (``audiomancer show ID | head``): end as quietly as
    ``cat`` does, with no error line and no second failure when Python flushes at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


class Measured(Protocol):
    """What a render reports of its levels (nrt.RenderResult, pattern_render.PatternRender)."""

    @property
    def peak(self) -> float: ...
    @property
    def peak_dbfs(self) -> float: ...
    @property
    def rms_dbfs(self) -> float: ...


def levels(result: Measured) -> str:
    """A render's levels in words: peak and RMS in dBFS, or why there are none to give."""
    has_nan = bool(getattr(result, "has_nan", False))
    if result.peak == 0.0:
        if has_nan:
            return "no sound: every sample is NaN, infinite or zero (the synth blew up)"
        return "no sound: every sample is zero"
    text = f"peak {result.peak_dbfs:.1f} dBFS, RMS {result.rms_dbfs:.1f} dBFS"
    return text + (" of the finite samples (some are NaN or infinite)" if has_nan else "")


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Report audiomancer's errors and bad values as one line, exit 1; warnings in yellow.

    Messages are printed as plain text: a ``[/]`` in a name, path or key is shown as it is.
    """
    exit_on_signals()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
            sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        except BrokenPipeError:
            _quiet_closed_stdout()
            raise typer.Exit(1) from None  # as rich does for its own writes
        except (AudiomancerError, ValueError, OSError) as error:
            err.print(user_text(("error:", "red"), f" {error}"))
            raise typer.Exit(1) from None
        finally:
            for warning in caught:
                err.print(user_text(("warning:", "yellow"), f" {warning.message}"))
