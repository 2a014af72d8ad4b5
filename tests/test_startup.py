"""The command starts fast: importing the CLI, ``--help`` and ``generate drums`` load only what
they need (issue 10 §2). Each check runs in a fresh interpreter and reads its ``sys.modules``.
The times themselves are measured by ``benchmarks/startup.py``, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPORT = """
import json, sys
from audiomancer.cli import app
try:
    app({arguments!r}, prog_name="audiomancer")
except SystemExit as end:
    code = end.code
else:
    code = 0
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}), file=sys.stderr)
"""

HEAVY = ("numpy", "audiomancer.supercollider.syntax", "audiomancer.generators")
"""What the issue names: none of it loads with ``import audiomancer.cli``."""


def loaded(code: str, home: Path) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, AUDIOMANCER_HOME=str(home)),
        timeout=120,
        check=True,
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report.get("code", 0) in (0, None), result.stderr
    return set(report["modules"])


def run_command(arguments: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """``python -m audiomancer ARGUMENTS`` in a fresh process on the store in ``home``."""
    return subprocess.run(
        [sys.executable, "-m", "audiomancer", *arguments],
        capture_output=True,
        text=True,
        env=dict(os.environ, AUDIOMANCER_HOME=str(home)),
        timeout=120,
        check=True,
    )


def under(modules: set[str], *packages: str) -> set[str]:
    """The modules that are one of ``packages`` or inside one."""
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)}


def test_importing_the_cli_loads_no_numpy_parser_or_generators(tmp_path: Path) -> None:
    modules = loaded(
        "import json, sys\nimport audiomancer.cli\n"
        "print(json.dumps({'modules': sorted(sys.modules)}), file=sys.stderr)",
        tmp_path,
    )
    assert "audiomancer.cli.synths" in modules  # the commands are all there
    assert under(modules, *HEAVY) == set()
    # nor the rest of what a command loads when it runs: storage, codecs, engines, printing
    assert under(modules, "audiomancer.patterns", "audiomancer.supercollider", "mido") == set()
    assert under(modules, "rich", "pydantic", "sqlite3", "urllib.request") == set()


def test_help_loads_no_numpy_parser_generators_or_rich(tmp_path: Path) -> None:
    modules = loaded(REPORT.format(arguments=["--help"]), tmp_path)
    assert under(modules, *HEAVY, "rich", "pydantic", "audiomancer.patterns") == set()


@pytest.mark.parametrize("group", ["synth", "generate"])
def test_group_help_loads_nothing_heavy(group: str, tmp_path: Path) -> None:
    modules = loaded(REPORT.format(arguments=[group, "--help"]), tmp_path)
    assert under(modules, *HEAVY, "rich", "pydantic") == set()


def test_generate_drums_loads_the_model_not_the_synth_side(tmp_path: Path) -> None:
    arguments = ["generate", "drums", "--style", "techno", "--bars", "4", "--seed", "1"]
    modules = loaded(REPORT.format(arguments=arguments), tmp_path)
    assert {"numpy", "audiomancer.generators.patterns", "audiomancer.models.lstm"} <= modules
    assert (
        under(
            modules,
            "audiomancer.supercollider.syntax",
            "audiomancer.supercollider.lang",
            "audiomancer.supercollider.nrt",
            "audiomancer.analyzers",
            "audiomancer.evolution",
            "audiomancer.generators.synths",
            "audiomancer.generators.lineage",
            "audiomancer.generators.evolution",
            "audiomancer.generators.bundles",  # Magenta bundles: only with --model
            "audiomancer.models.magenta",
            "audiomancer.models.humanizer",  # only with --humanize
            "mido",  # only with --midi
            "urllib.request",  # only to download models
            "pydantic",
        )
        == set()
    )


def test_the_generators_package_keeps_its_public_names() -> None:
    import audiomancer.generators as generators

    for name in generators.__all__:
        assert getattr(generators, name).__name__ == name
    assert set(generators.__all__) <= set(dir(generators))
    with pytest.raises(AttributeError, match="no_such_name"):
        generators.no_such_name  # noqa: B018


def test_the_command_prints_what_the_app_prints(tmp_path: Path) -> None:
    """``python -m audiomancer`` (BLAS held to one thread from the start) samples the same
    pattern as the app run in this process."""
    from typer.testing import CliRunner

    from audiomancer.cli import app

    arguments = ["generate", "drums", "--style", "house", "--seed", "3", "-f", "tidal"]
    command = run_command(arguments, tmp_path)
    assert command.stdout == CliRunner().invoke(app, arguments).stdout


def test_pattern_evolution_loads_no_synth_side(tmp_path: Path) -> None:
    """mutate, crossover and top evolve patterns: no SuperCollider parser, sclang or numpy."""
    code = """
import json, sys
from audiomancer.cli import app
from audiomancer.patterns.steps import parse_steps
from audiomancer.patterns.store import PatternStore
store = PatternStore()
first = store.put(parse_steps("kick: x...x...x...x... snare: ....x.......x...", "drums")).id
second = store.put(parse_steps("kick: x..x..x.x... hh: x.x.x.x.x.x.x.x.", "drums")).id
for arguments in (["mutate", first, "--seed", "1"], ["crossover", first, second], ["top"]):
    try:
        app(arguments, prog_name="audiomancer")
    except SystemExit as end:
        assert end.code in (0, None), arguments
print(json.dumps({"modules": sorted(sys.modules)}), file=sys.stderr)
"""
    modules = loaded(code, tmp_path)
    assert "audiomancer.evolution.pattern_ops" in modules
    assert (
        under(
            modules,
            "numpy",
            "audiomancer.supercollider.syntax",
            "audiomancer.supercollider.lang",
            "audiomancer.supercollider.nrt",
            "audiomancer.analyzers",
            "audiomancer.generators.lineage",
            "audiomancer.generators.synths",
        )
        == set()
    )


COMMAND_LINES = [
    [],
    ["--help"],
    ["generate", "--help"],
    ["generate", "drums", "--help"],
    ["synth", "--help"],
    ["synth", "mutate", "--help"],
    ["render", "--help"],
    ["generat"],  # "No such command 'generat'. Did you mean 'generate', ...?"
    ["generate", "drum"],
    ["generate", "drums", "--bogus"],
    ["generate", "drums", "--bars"],
    ["rate", "ptrn_00000000", "-1"],
    ["show", "ptrn_00000000"],
    ["list"],
]


@pytest.mark.parametrize("arguments", COMMAND_LINES, ids=" ".join)
def test_the_command_builds_only_what_it_runs_and_says_what_the_app_says(
    arguments: list[str], tmp_path: Path
) -> None:
    """``audiomancer`` builds only the command it runs (typer builds all 30): its output, errors
    and exit status are still the typer app's, for help, typos and bad options alike."""
    env = dict(os.environ, AUDIOMANCER_HOME=str(tmp_path), COLUMNS="80")
    eager = "import sys\nfrom audiomancer.cli import app\napp(prog_name='audiomancer')"
    runs = [
        subprocess.run(
            [sys.executable, *how, *arguments],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        for how in (["-m", "audiomancer"], ["-c", eager])
    ]
    lazy, typer_app = ((run.returncode, run.stdout, run.stderr) for run in runs)
    assert lazy == typer_app
    assert lazy[1] + lazy[2]  # each says something


def test_a_command_line_builds_one_command(tmp_path: Path) -> None:
    code = """
import json, sys
from typer.models import TyperInfo
from audiomancer.cli import app
from audiomancer.cli.app import lazy_group
group = lazy_group(TyperInfo(app), pretty_exceptions_short=True, rich_markup_mode=None,
                   suggest_commands=True)
names = list(group.commands)
drums = group.commands["generate"].commands["drums"]
made = sorted(group.commands._made) + sorted(group.commands["generate"].commands._made)
print(json.dumps({"modules": [], "names": names, "made": made, "drums": drums.name}),
      file=sys.stderr)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert {"generate", "synth", "render", "doctor", "list"} <= set(report["names"])
    assert report["made"] == ["generate", "drums"]
    assert report["drums"] == "drums"


PRINTED = [
    "",
    "plain words",
    "  leading and trailing spaces  ",
    "wrote /tmp/x.wav: 7.74 s, peak -12.6 dBFS, RMS -29.8 dBFS",
    "two\nlines",
    "\nafter a blank line",
    "markup-like [bold]text[/] and :smile: codes stay as they are",
    "a line far longer than eighty columns " * 6,
    "wide ★☆ and ünïcödé, 日本語の文字",
    "a\ttab",  # rich expands it: printed by rich
    "a bell \a and a carriage \r return",  # rich strips them: printed by rich
]


@pytest.mark.parametrize("text", PRINTED)
@pytest.mark.parametrize("stderr", [False, True])
def test_plain_printing_writes_what_rich_writes(
    text: str, stderr: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where rich would print no styles (not a terminal), the consoles print strings and styled
    lines without loading rich, and exactly as rich prints them."""
    import io

    from rich.console import Console

    from audiomancer.cli.app import _PLAIN, _LazyConsole, styled

    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    for printed in (text, styled(("ptrn_0123abcd", "bold"), f"  {text}")):
        ours, theirs = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stderr" if stderr else "stdout", ours)
        console = _LazyConsole(stderr=stderr, **_PLAIN)
        console.print(printed)
        console.print(printed, markup=False)
        Console(file=theirs, **_PLAIN).print(printed)
        Console(file=theirs, **_PLAIN).print(printed, markup=False)
        monkeypatch.undo()
        assert ours.getvalue() == theirs.getvalue()
        plain = (printed if isinstance(printed, str) else printed.plain).replace("\n", "")
        assert (console._console is None) == plain.isprintable()


def test_styles_are_left_to_rich_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from audiomancer.cli.app import _PLAIN, _LazyConsole, styled

    monkeypatch.setenv("FORCE_COLOR", "1")  # what rich reads as "a terminal"
    written = io.StringIO()
    monkeypatch.setattr(sys, "stdout", written)
    console = _LazyConsole(**_PLAIN)
    console.print(styled(("ptrn_0123abcd", "bold"), " drums"))
    monkeypatch.undo()
    assert console._console is not None
    assert "\x1b[1mptrn_0123abcd\x1b[0m drums" in written.getvalue()


def test_generate_leaves_the_store_closed_and_loads_no_rich(tmp_path: Path) -> None:
    """The command closes the store it opened before exit (where Python's exit, which now has
    no garbage to collect, closed it): SQLite has folded its log back into the file."""
    arguments = ["generate", "drums", "--style", "techno", "--bars", "4", "--seed", "1"]
    command = run_command(arguments, tmp_path)
    assert "rate it to steer evolution" in command.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["patterns.sqlite3"]
    # As the command runs (main: BLAS on one thread from the start), nothing to limit either
    code = REPORT.replace("from audiomancer.cli import app", "from audiomancer.cli import main")
    code = code.replace(
        'app({arguments!r}, prog_name="audiomancer")', "sys.argv[1:] = {arguments!r}; main()"
    )
    modules = loaded(code.format(arguments=arguments), tmp_path)
    assert "audiomancer.models.lstm" in modules
    assert under(modules, "rich", "threadpoolctl") == set()


def test_a_warm_render_loads_no_sclang_rich_or_exports(tmp_path: Path) -> None:
    """Rendering a stored pattern whose SynthDefs are compiled already (cached) reads the store
    and runs scsynth: no sclang module, no rich, no Tidal or Pbind export code."""
    from audiomancer.patterns.steps import parse_steps
    from audiomancer.patterns.store import PatternStore
    from conftest import need_engine

    need_engine("scsynth")
    need_engine("sclang")
    pattern = parse_steps("kick: x...x...x...x... snare: ....x.......x...", "drums")
    store = PatternStore(tmp_path / "patterns.sqlite3")
    pattern_id = store.put(pattern).id
    store.close()
    arguments = ["render", pattern_id, "-o", str(tmp_path / "beat.wav")]
    loaded(REPORT.format(arguments=arguments), tmp_path)  # compiles and caches the kit
    modules = loaded(REPORT.format(arguments=arguments), tmp_path)
    assert {"numpy", "audiomancer.supercollider.pattern_render"} <= modules
    command = [sys.executable, "-m", "audiomancer", *arguments]
    home = dict(os.environ, AUDIOMANCER_HOME=str(tmp_path))
    subprocess.run(command, capture_output=True, env=home, timeout=120, check=True)
    assert not list(tmp_path.glob("patterns.sqlite3-*"))  # the store was closed
    assert (
        under(
            modules,
            "rich",
            "audiomancer.supercollider.lang",
            "audiomancer.supercollider.syntax",
            "audiomancer.patterns.tidal",
            "audiomancer.patterns.pbind",
            "audiomancer.generators",
            "pydantic",
        )
        == set()
    )


def test_running_the_command_line_leaves_the_collector_on(tmp_path: Path) -> None:
    """run() switches the collector off while parsing; after any command (here one that never
    reaches a callback) a process that goes on has it as before."""
    code = """
import gc, importlib, json, sys
app = importlib.import_module("audiomancer.cli.app")
for arguments in (["--help"], ["generate", "drums", "--bars", "4", "--seed", "1"]):
    sys.argv[1:] = arguments
    try:
        app.run(app.app, prog_name="audiomancer")
    except SystemExit:
        pass
    assert gc.isenabled(), arguments
print(json.dumps({"modules": []}), file=sys.stderr)
"""
    loaded(code, tmp_path)
