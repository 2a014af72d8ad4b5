"""The ``audiomancer`` Typer application and what every command shares.

Every command turns audiomancer's own errors into one red line on stderr and exit code 1;
usage errors exit with 2 (typer's convention).
"""

from __future__ import annotations

import contextlib
import copy
import gc
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar, cast

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_command_name, get_group_from_info
from typer.models import CommandFunctionType, TyperInfo

from audiomancer.errors import AudiomancerError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

C = TypeVar("C", bound="_Closable")


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


class _LazyCommands(MutableMapping[str, Any]):
    """A group's Click commands by name, each built from its typer definition on first use.

    typer builds every command of the app before it parses a single argument: their options
    from the functions' signatures (string annotations evaluated, types converted), about 20 ms
    for the app's 30 commands, while a call runs one. Names and order are known up front, so
    ``--help``, suggestions and completion see them all; only what is looked up gets built.
    """

    def __init__(self, makers: dict[str, Callable[[], Any]]) -> None:
        self._makers = makers
        self._made: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = self._makers[name]()  # KeyError for an unknown name
        return self._made[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._made[name] = command
        self._makers.setdefault(name, partial(self._made.__getitem__, name))

    def __delitem__(self, name: str) -> None:
        del self._makers[name]
        self._made.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


def lazy_group(info: TyperInfo, *, pretty_exceptions_short: bool, rich_markup_mode: Any,
               suggest_commands: bool) -> TyperGroup:  # fmt: skip
    """The Click group typer's ``get_group_from_info`` builds for ``info``, with its commands
    and sub-groups built only when looked up (:class:`_LazyCommands`)."""
    instance = info.typer_instance
    assert instance is not None
    settings: dict[str, Any] = {
        "pretty_exceptions_short": pretty_exceptions_short, "rich_markup_mode": rich_markup_mode,
    }  # fmt: skip
    if not all(isinstance(sub.name, str) for sub in instance.registered_groups):
        # a group named only by its own Typer(name=...), or merged into this one: typer's way
        return get_group_from_info(info, suggest_commands=suggest_commands, **settings)
    bare = copy.copy(instance)  # the group itself (name, help, callback), no commands
    bare.registered_commands, bare.registered_groups = [], []
    shell = copy.copy(info)
    shell.typer_instance = bare
    group = get_group_from_info(shell, suggest_commands=suggest_commands, **settings)
    makers: dict[str, Callable[[], Any]] = {}
    for command in instance.registered_commands:
        assert command.callback is not None
        name = command.name or get_command_name(command.callback.__name__)
        makers[name] = partial(_leaf, command, settings)  # the callback: _starting
    for sub in instance.registered_groups:
        assert isinstance(sub.name, str)
        makers[sub.name] = partial(lazy_group, sub, suggest_commands=suggest_commands, **settings)
    group.commands = _LazyCommands(makers)
    return group


def _starting(callback: Callable[..., Any]) -> Callable[..., Any]:
    """The command's callback, first turning the garbage collector back on (see :func:`run`)."""

    def command(*args: Any, **kwargs: Any) -> Any:
        gc.freeze()  # what start-up made (typer, Click, the commands) lives to the end
        gc.enable()
        return callback(*args, **kwargs)

    return command


def _leaf(command: Any, settings: dict[str, Any]) -> Any:
    made = get_command_from_info(command, **settings)
    if made.callback is not None:
        made.callback = _starting(made.callback)
    return made


class _Closable(Protocol):
    def close(self) -> None: ...


_opened: list[list[_Closable]] = []
"""While :func:`run` runs a command line: one list of what to close at its end."""


def close_at_end(resource: C) -> C:
    """``resource``, closed when the command line run by :func:`run` ends.

    A pattern store's SQLite connection sits in a reference cycle (its statement cache refers
    back to it), so only the garbage collector closes it when the command forgets it, and
    :func:`run` leaves Python's exit no collection to do. Closed, SQLite folds its log back
    into the file, as it did at exit. (Outside :func:`run`, as in tests calling the app, the
    resource is left to the collector as before.)
    """
    if _opened:
        _opened[-1].append(resource)
    return resource


def run(commands: typer.Typer, prog_name: str) -> None:
    """Run a Typer app as ``commands(prog_name=...)`` does, building only the command called.

    (With ``pretty_exceptions_enable=False``, typer's exception hook defers to Python's: an
    uncaught error prints the same traceback either way.)

    The cyclic garbage collector is off while the command line is parsed (what is made then
    lasts to the end) and on while the command runs. At the end, what the command opened
    through :func:`close_at_end` is closed and every object is frozen: Python's exit would
    otherwise collect twice more over every object it holds, numpy's included, 40-60 ms of a
    0.3 s command (benchmarks/README.md, "Start-up"), only to free memory the system takes
    back anyway.
    """
    group = lazy_group(
        TyperInfo(commands),
        pretty_exceptions_short=commands.pretty_exceptions_short,
        rich_markup_mode=commands.rich_markup_mode,
        suggest_commands=commands.suggest_commands,
    )
    opened: list[_Closable] = []
    _opened.append(opened)
    collecting = gc.isenabled()
    gc.disable()
    try:
        group(prog_name=prog_name)
    finally:
        _opened.remove(opened)
        for resource in reversed(opened):
            with contextlib.suppress(Exception):  # cleanup: the command's own outcome stands
                resource.close()
        gc.freeze()
        if collecting:  # as it was (a caller that goes on after the command, as tests do)
            gc.enable()


app = Commands(
    name="audiomancer",
    help="Generate, export and evolve musical patterns and SuperCollider synths.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help panels load markdown-it, 0.1 s per --help
    context_settings={"max_content_width": 120},  # wide terminals see whole summaries
)


class Styled:
    """A line of plain strings and (text, style) pairs: :func:`user_text` for printing alone.

    A console that would print no styles (not a terminal) writes it as it is, without loading
    rich; rich renders it otherwise (``__rich__``)."""

    __slots__ = ("parts",)

    def __init__(self, *parts: str | tuple[str, str]) -> None:
        self.parts = parts

    @property
    def plain(self) -> str:
        """The text without its styles."""
        return "".join(part if isinstance(part, str) else part[0] for part in self.parts)

    def __rich__(self) -> Text:
        return user_text(*self.parts)


def styled(*parts: str | tuple[str, str]) -> Styled:
    """A :class:`Styled` line: what :func:`user_text` makes, printed without rich when plain."""
    return Styled(*parts)


def _styles_shown(stream: Any) -> bool:
    """Whether a rich Console on ``stream`` would write styles (rich's own test: the
    ``TTY_COMPATIBLE`` and ``FORCE_COLOR`` variables, else ``isatty``; Jupyter and IDLE, where
    rich renders otherwise, count as styled)."""
    if "ipykernel" in sys.modules or "idlelib" in sys.modules:
        return True
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file: rich says no too
        return False


class _LazyConsole:
    """A rich Console made on first use: rich loads only for a command that prints styles.

    Where rich would write no styles (output not a terminal), :meth:`print` of one string or
    :class:`Styled` line that rich would write unchanged (printable characters and newlines:
    no tabs or control codes, which rich expands or strips) writes it itself, as rich would:
    these consoles never wrap, crop, highlight or read markup.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def print(self, *objects: Any, **options: Any) -> None:
        """``rich.console.Console.print``; plain text is written without rich (see above)."""
        if self._console is None and len(objects) == 1 and _PLAIN_OPTIONS.issuperset(options):
            text = objects[0]
            if isinstance(text, Styled):
                text = text.plain
            stream = sys.stderr if self._options.get("stderr") else sys.stdout
            if (
                isinstance(text, str)
                and not any(options.values())
                and text.replace("\n", "").isprintable()
                and not _styles_shown(stream)
            ):
                stream.write(text + "\n")
                stream.flush()
                return
        self.__getattr__("print")(*objects, **options)

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


# Never markup or emoji codes: user text (names, keys, paths) is printed as it is; style with
# user_text()/rich.text.Text. Tables and trees of these consoles read their strings plainly too.
_PLAIN: Final = {"highlight": False, "soft_wrap": True, "markup": False, "emoji": False}
_PLAIN_OPTIONS: Final = frozenset(("highlight", "markup", "emoji"))
"""print() options the plain path honours (when false: these consoles' own settings)."""
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
            err.print(styled(("error:", "red"), f" {error}"))
            raise typer.Exit(1) from None
        finally:
            for warning in caught:
                err.print(styled(("warning:", "yellow"), f" {warning.message}"))
