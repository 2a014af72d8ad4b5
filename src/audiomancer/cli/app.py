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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

import typer
from typer.core import TyperCommand
from typer.models import CommandFunctionType

from audiomancer.errors import AudiomancerError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


def _never_an_option(token: str) -> bool:
    """A token that starts with ``-`` yet cannot be one of our options: a negative number
    (``-1``) or step notation (``- - C2``); our options are ``--word`` or ``-letter``."""
    return len(token) > 1 and token[0] == "-" and not (token[1].isalpha() or token[1] == "-")


class DashValueCommand(TyperCommand):
    """A command whose arguments may start with ``-``: ``rate ID -1`` reaches the rating check
    ("invalid rating -1") and ``build bass "- - C2"`` the step parser, instead of Click's
    "No such option". Such tokens are passed after ``--``, in order, with the other arguments
    that follow them; options keep working anywhere."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):  # Click's (or typer's vendored Click's) parameters
            if param.param_type_name == "option":
                takes = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = takes
        options: list[str] = []
        arguments: list[str] = []
        index = 0
        while index < len(args):
            token = args[index]
            if token == "--":
                arguments.extend(args[index + 1 :])
                break
            if token.startswith("-") and not _never_an_option(token) and token != "-":
                options.append(token)
                if takes_value.get(token) and index + 1 < len(args):
                    index += 1
                    options.append(args[index])
            else:
                arguments.append(token)
            index += 1
        if any(_never_an_option(token) for token in arguments):
            args = [*options, "--", *arguments]
        return super().parse_args(ctx, args)


class Commands(typer.Typer):
    """A Typer app whose commands are :class:`DashValueCommand` unless told otherwise."""

    def command(
        self, *args: Any, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        kwargs.setdefault("cls", DashValueCommand)
        return super().command(*args, **kwargs)


app = Commands(
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


def check_limit(value: int | None) -> int | None:
    """A ``--limit`` callback: at least 1 (0 would show nothing and look like an empty store)."""
    if value is not None and value < 1:
        raise typer.BadParameter(f"{value} shows nothing: expected a whole number >= 1")
    return value


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
