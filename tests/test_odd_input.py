"""Odd input and limits, tried as a new user would (issue 14 §11, §12): each a clear error
naming the value, or a documented meaning; nothing stored or written when refused."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audiomancer.cli import app
from audiomancer.patterns.store import PatternStore
from audiomancer.supercollider import nrt
from conftest import need_engine

runner = CliRunner()
BEAT = "kick: x...x...x...x... snare: ....x.......x..."
SYNTH = """SynthDef(\\odd, { |out=0, freq=220, amp=0.2, gate=1|
    var env = EnvGen.kr(Env.adsr(0.01, 0.1, 0.7, 0.2), gate, doneAction: 2);
    Out.ar(out, (SIGNAL * env) ! 2);
}).add;
"""


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def _synth(tmp_path: Path, signal: str) -> Path:
    path = tmp_path / "odd.scd"
    path.write_text(SYNTH.replace("SIGNAL", signal))
    return path


# --- §12 limits -----------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", ["61", "1e9", "inf", "0", "-1"])
def test_phrase_seconds_are_bounded(tmp_path: Path, seconds: str) -> None:
    wav = tmp_path / "x.wav"
    for args in (
        ["synth", "render", str(_synth(tmp_path, "SinOsc.ar(freq)")), "-o", str(wav)],
        ["synth", "audition", "tb303", "-o", str(wav)],
    ):
        code, out, err = invoke(*args, "--seconds", seconds)
        assert code in (1, 2), (args, out, err)
        assert "invalid seconds" in err or "Invalid value" in err, err
        assert not wav.exists()
    with pytest.raises(ValueError, match="at most 60 s"):
        nrt.render_phrase(b"", 61.0)


def test_an_exploding_or_silent_render_says_so_in_words(tmp_path: Path) -> None:
    need_engine("sclang")
    need_engine("scsynth")
    wav = tmp_path / "x.wav"
    code, out, err = invoke("synth", "render", str(_synth(tmp_path, "DC.ar(inf)")), "-o", str(wav))
    assert code == 1
    assert "-inf dBFS" not in out + err
    assert "every sample is NaN, infinite or zero (the synth blew up)" in out
    assert "not audible: it contains NaN or infinite samples" in err
    assert "silent" not in err
    code, out, err = invoke("synth", "render", str(_synth(tmp_path, "DC.ar(0)")), "-o", str(wav))
    assert code == 1
    assert "-inf dBFS" not in out + err
    assert "no sound: every sample is zero" in out and "not audible: it is silent" in err


# --- §11 read-only or invalid AUDIOMANCER_HOME ----------------------------------------------


def _run(home: Path, *args: str, read_only: bool = False) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process with AUDIOMANCER_HOME=home; with ``read_only`` the
    folder is read-only for it: chmod for a normal user, a read-only bind mount in a private
    mount namespace for root (whom permissions do not stop)."""
    command = [sys.executable, "-m", "audiomancer", *args]
    env = dict(os.environ, AUDIOMANCER_HOME=str(home))
    if read_only and os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("root needs unshare (util-linux) to make a read-only folder")
        script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", script, str(home), *command]
    elif read_only:
        home.chmod(0o555)
    try:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    finally:
        if read_only and os.geteuid() != 0:
            home.chmod(0o755)


def test_a_read_only_home_is_read_and_named_never_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert _run(home, "build", "drums", BEAT).returncode == 0
    assert _run(home, "synth", "rate", "tb303", "4").returncode == 0
    pattern_id = PatternStore(home / "patterns.sqlite3").list()[0].id
    before = sorted(p.name for p in home.iterdir())

    doctor = _run(home, "doctor", read_only=True)
    assert doctor.returncode == 1
    assert "Traceback" not in doctor.stdout + doctor.stderr
    assert f"data folder: {home}: {home} is " in doctor.stdout.replace("\n", " ")
    assert "read-only file system" in doctor.stdout or "not writable" in doctor.stdout

    listed = _run(home, "list", "-f", "json", read_only=True)
    assert listed.returncode == 0 and pattern_id in listed.stdout, listed.stderr
    assert _run(home, "synth", "top", read_only=True).returncode == 0

    for args in (
        ["generate", "drums", "--seed", "1"],
        ["rate", pattern_id, "3"],
        ["mutate", pattern_id],
        ["synth", "rate", "tb303", "2"],
        ["synth", "mutate", "tb303", "--seed", "1"],
    ):
        result = _run(home, *args, read_only=True)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        text = result.stderr.replace("\n", " ")
        assert "Traceback" not in text and "not a readable database" not in text
        assert "cannot write the" in text and f"{home} is " in text, (args, text)
        assert "AUDIOMANCER_HOME" in text
    assert sorted(p.name for p in home.iterdir()) == before


def test_an_invalid_home_is_named(tmp_path: Path) -> None:
    home = tmp_path / "a-file"
    home.write_text("not a folder")
    doctor = _run(home, "doctor")
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr
    assert f"{home} is not a folder" in doctor.stdout.replace("\n", "")
    for args in (["generate", "drums"], ["synth", "rate", "tb303", "2"]):
        result = _run(home, *args)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"{home} is not a folder" in result.stderr.replace("\n", ""), result.stderr


# --- §11 outputs: checked before the work, never created, mode by the umask ----------------


def _stored() -> int:
    return len(PatternStore().list())


def test_an_output_that_is_a_folder_or_in_a_missing_folder_is_refused_first(
    tmp_path: Path,
) -> None:
    code, _, err = invoke("build", "drums", BEAT)
    pattern_id = PatternStore().list()[0].id
    missing = tmp_path / "missing" / "x.mid"
    for target, shown in ((tmp_path, "it is a folder"), (missing, "no such folder")):
        for args in (
            ["build", "drums", BEAT, "--midi", str(target)],
            ["generate", "drums", "--seed", "1", "--midi", str(target)],
            ["generate", "bass", "--seed", "1", "--midi", str(target)],
            ["export", pattern_id, "--midi", str(target)],
            ["show", pattern_id, "--picture", str(target)],
        ):
            code, _, err = invoke(*args)
            assert code == 1, (args, err)
            assert f"{target}" in err and shown in err, (args, err)
            assert ".tmp" not in err
            assert _stored() == 1, args
    assert not missing.parent.exists()
    for args in (
        ["synth", "render", str(_synth(tmp_path, "SinOsc.ar(freq)")), "-o", str(tmp_path)],
        ["synth", "audition", "tb303", "-o", str(missing)],
        ["render", pattern_id, "-o", str(missing)],
    ):
        code, _, err = invoke(*args)
        assert code == 1 and str(tmp_path) in err and ".tmp" not in err, (args, err)
    assert not missing.parent.exists()


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        midi = tmp_path / "beat.mid"
        code, _, err = invoke("build", "drums", BEAT, "--midi", str(midi))
        assert code == 0, err
        assert stat.S_IMODE(midi.stat().st_mode) == 0o640
        pattern_id = PatternStore().list()[0].id
        exported = tmp_path / "again.mid"
        assert invoke("export", pattern_id, "--midi", str(exported))[0] == 0
        assert stat.S_IMODE(exported.stat().st_mode) == 0o640
        picture = tmp_path / "beat.svg"
        assert invoke("show", pattern_id, "--picture", str(picture))[0] == 0
        assert stat.S_IMODE(picture.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_library_files_follow_the_umask() -> None:
    need_engine("sclang")
    need_engine("scsynth")
    old = os.umask(0o027)
    try:
        code, out, err = invoke("synth", "mutate", "tb303", "--seed", "5")
        assert code == 0, err
        saved = Path(out.split("saved to ")[1].split()[0].strip())
        assert stat.S_IMODE(saved.stat().st_mode) == 0o640
    finally:
        os.umask(old)


# --- §11 degenerate input and misleading messages -------------------------------------------


def _two_patterns() -> tuple[str, str]:
    assert invoke("build", "drums", BEAT)[0] == 0
    assert invoke("build", "drums", "kick: x.x.x.x.x.x.x.x.")[0] == 0
    first, second = (record.id for record in PatternStore().list())
    return first, second


def test_degenerate_pattern_input_is_a_clear_error_and_stores_nothing() -> None:
    first, _ = _two_patterns()
    for args, message in (
        (["generate", "melody", "--key", "", "--seed", "1"], "invalid key ''"),
        (["generate", "bass", "--scale", "", "--seed", "1"], "invalid scale ''"),
        (["build", "melody", "C4", "--key", ""], "invalid key ''"),
        (["crossover", first, first], f"cannot cross pattern '{first}' with itself"),
        (["mutate", first, "--amount", "0"], "invalid amount 0.0"),
    ):
        code, _, err = invoke(*args)
        assert code == 1, (args, err)
        assert message in err, (args, err)
        assert _stored() == 2, args


def test_evolve_with_a_pattern_given_twice_still_works() -> None:
    first, _ = _two_patterns()
    code, _, err = invoke("evolve", first, first, "--generations", "2", "--seed", "3")
    assert code == 0, err


def test_degenerate_synth_input_is_a_clear_error() -> None:
    for args, message in (
        (["synth", "generate", ""], "invalid description ''"),
        (["synth", "generate", "   "], "invalid description '   '"),
        (["synth", "breed", "tb303", "tb303"], "cannot breed synth 'tb303' with itself"),
    ):
        code, out, err = invoke(*args)
        assert code == 1, (args, out, err)
        assert message in err, (args, err)
    assert not (Path(os.environ["AUDIOMANCER_HOME"]) / "synths").exists()


def test_limits_of_zero_and_dash_arguments_get_the_right_message() -> None:
    first, _ = _two_patterns()
    for args in (
        ["list", "--limit", "0"],
        ["top", "--limit", "0"],
        ["synth", "top", "--limit", "0"],
    ):
        code, out, err = invoke(*args)
        assert code == 2, (args, out)
        assert "Invalid value for '--limit': 0 shows nothing" in err, err
        assert "no patterns stored yet" not in out + err
    code, _, err = invoke("rate", first, "-1")
    assert code == 1 and "invalid rating -1: expected an integer from 1 to 5" in err, err
    code, _, err = invoke("synth", "rate", "tb303", "-2")
    assert code == 1 and "invalid rating -2" in err, err
    code, _, err = invoke("build", "bass", "- - C2")
    assert code == 1 and "'-' at step 1 holds nothing" in err, err
    assert "No such option" not in err
    code, out, err = invoke("build", "bass", "C2 - - .", "--bpm", "90", "-f", "json")
    assert code == 0, err
    assert '"bpm": 90.0' in out
    code, _, err = invoke("build", "--bpm", "-5", "bass", "C2 - - .")  # an option's value
    assert code == 1 and "invalid bpm -5.0" in err, err
    code, _, err = invoke("rate", first, "3", "--bogus")  # unknown options still reported
    assert code == 2 and "No such option: --bogus" in err, err


# --- §11 MIDI files and synth files -------------------------------------------------------


def test_an_empty_or_truncated_midi_file_gives_its_reason(tmp_path: Path) -> None:
    good = tmp_path / "good.mid"
    assert invoke("build", "drums", BEAT, "--midi", str(good))[0] == 0
    data = good.read_bytes()
    for name, content, reason in (
        ("empty.mid", b"", "it is empty (0 bytes)"),
        ("cut.mid", data[:30], "it ends in the middle of its data, after 30 bytes"),
        ("header.mid", data[:10], "it ends in the middle of its data, after 10 bytes"),
    ):
        path = tmp_path / name
        path.write_bytes(content)
        code, _, err = invoke("import", str(path))
        assert code == 1, err
        assert f"{path} is not a readable MIDI file: {reason}" in err.replace("\n", ""), err
    assert _stored() == 1


def test_midi_tempo_changes_are_warned_about_on_import(tmp_path: Path) -> None:
    import mido

    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100), time=0))
    for index in range(8):
        track.append(mido.Message("note_on", note=36, velocity=100, channel=9, time=0))
        track.append(mido.Message("note_off", note=36, velocity=0, channel=9, time=480))
        if index == 3:
            track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(140), time=0))
    path = tmp_path / "tempo.mid"
    midi.save(path)
    code, out, err = invoke("import", str(path), "-f", "json")
    assert code == 0, err
    assert (
        "warning: MIDI file" in err and "changes tempo 1 time (first to 140 bpm at beat 5)" in err
    )
    assert "the pattern keeps one tempo, the first: 100 bpm" in err
    assert '"bpm": 100.0' in out and "warning" not in out


def test_validate_on_a_file_without_a_synthdef_fails(tmp_path: Path) -> None:
    for text in ("", "// only a comment\n", "1 + 2;\n", '"SynthDef".postln;\n'):
        path = tmp_path / "none.scd"
        path.write_text(text)
        code, out, err = invoke("synth", "validate", str(path))
        assert code == 1, (text, out)
        assert "no SynthDef" in err and "ok" not in out, (text, out, err)
