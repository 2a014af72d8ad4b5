"""User text is printed as it is: never read as Rich markup or emoji codes (issue 14 §10).

Every command that echoes a name, key, style, note, file path or id the user chose is run with
text holding ``[/]`` (Rich's closing tag, which raised MarkupError), ``[bold]`` and ``:fire:``.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.patterns.store import PatternStore
from conftest import need_engine

runner = CliRunner()
HOSTILE = "x[/]y[bold]b:fire:"
BEAT = "kick: x...x...x...x... snare: ....x.......x..."


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert "MarkupError" not in repr(result.exception), result.exception
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def test_pattern_commands_print_styles_and_ids_as_they_are(tmp_path: Path) -> None:
    code, out, err = invoke("build", "drums", BEAT, "--style", HOSTILE)
    assert code == 0, err
    pattern_id = PatternStore().list()[0].id
    code, out, err = invoke("list")
    assert code == 0 and "x[/]y" in out, out  # the table may crop the rest of the cell
    for args in (
        ["mutate", pattern_id, "--seed", "1"],
        ["lineage", pattern_id],
        ["show", pattern_id],
        ["rate", pattern_id, "4", "--notes", HOSTILE],
        ["top"],
    ):
        code, out, err = invoke(*args)
        assert code == 0, (args, err)
        ours = (out + err).replace(HOSTILE, "").replace("x[/]y", "")  # (tables crop cells)
        assert "[bold]" not in ours and "[/" not in ours, (args, out)
    code, out, _ = invoke("top")
    assert "x[/]y" in out
    code, out, _ = invoke("show", pattern_id, "--format", "json")
    assert HOSTILE in out


def test_unknown_ids_keys_and_paths_are_reported_as_they_are(tmp_path: Path) -> None:
    for args, shown in (
        (["show", "ptrn_[/]"], "ptrn_[/]"),
        (["lineage", "ptrn_[/]:fire:"], "ptrn_[/]:fire:"),
        (["build", "melody", "C4", "--key", "[/]"], "[/]"),
        (["import", str(tmp_path / "a[b]" / "[/]c.mid")], "[/]c.mid"),
        (["synth", "info", str(tmp_path / "[/]missing.scd")], "[/]missing.scd"),
        (["synth", "rate", "x[/]y", "3"], "x[/]y"),
        (["synth", "tree", "x[/]y"], "x[/]y"),
        (["show", "x", "--format", "[/]:fire:"], "[/]:fire:"),
    ):
        code, _, err = invoke(*args)
        assert code != 0, args
        assert shown in err.replace("\n", ""), (args, err)


def test_midi_and_picture_paths_with_brackets(tmp_path: Path) -> None:
    folder = tmp_path / "a["
    folder.mkdir()
    midi = folder / "]b:fire:.mid"
    code, _, err = invoke("build", "drums", BEAT, "--midi", str(midi))
    assert code == 0, err
    assert str(midi) in err.replace("\n", "")
    pattern_id = PatternStore().list()[0].id
    picture = folder / "]p.svg"
    code, _, err = invoke("show", pattern_id, "--picture", str(picture))
    assert code == 0 and str(picture) in err.replace("\n", "")


def _odd_synth(tmp_path: Path) -> Path:
    path = tmp_path / "odd[.scd"
    path.write_text(
        'SynthDef("x[/]y:fire:", { |out=0, freq=220, amp=0.2, gate=1|\n'
        "    var env = EnvGen.kr(Env.adsr(0.01, 0.1, 0.7, 0.2), gate, doneAction: 2);\n"
        "    Out.ar(out, (SinOsc.ar(freq) * env * amp) ! 2);\n"
        "}).add;\n"
    )
    return path


def test_synth_info_on_a_synthdef_named_with_brackets(tmp_path: Path) -> None:
    code, out, err = invoke("synth", "info", str(_odd_synth(tmp_path)))
    assert code == 0, err
    assert "x[/]y:fire:" in out


def test_synth_validate_and_render_with_brackets(tmp_path: Path) -> None:
    need_engine("sclang")
    need_engine("scsynth")
    path = _odd_synth(tmp_path)
    code, out, err = invoke("synth", "validate", str(path))
    assert code == 0, err
    assert "x[/]y:fire:" in out and str(path) in out.replace("\n", "")
    folder = tmp_path / "w["
    folder.mkdir()
    wav = folder / "]o.wav"
    code, out, err = invoke("synth", "render", str(path), "-o", str(wav), "--seconds", "0.5")
    assert code == 0, err
    assert f"wrote {wav}" in out.replace("\n", "")
