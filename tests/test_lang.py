"""The persistent sclang service, checked against the real sclang."""

from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path

import pytest

from audiomancer.errors import EngineError, EngineNotFoundError, SynthDefError
from audiomancer.paths import scratch_dir
from audiomancer.supercollider import lang
from audiomancer.supercollider.lang import Sclang, ValidationResult
from conftest import need_engine

pytestmark = pytest.mark.engines

VALID = r"SynthDef(\test, { Out.ar(0, SinOsc.ar(440)); })"
INVALID = r"SynthDef(\test, { invalid syntax )"


@pytest.fixture(autouse=True)
def sclang() -> Path:
    return need_engine("sclang")


# --- validate ----------------------------------------------------------------------------


def test_the_spec_examples() -> None:
    good = lang.validate(VALID)
    assert good == ValidationResult(True, "ok", "")
    assert good
    bad = lang.validate(INVALID)
    assert not bad
    assert bad.stage == "syntax"
    assert "syntax error" in bad.message
    assert bad.line == 1


def test_syntax_error_line_counts_in_the_given_code() -> None:
    code = "(\nSynthDef(\\x, {\n    var sig = SinOsc.ar(440) +;\n    Out.ar(0, sig)\n})\n)"
    result = lang.validate(code)
    assert result.stage == "syntax"
    assert result.line == 3


def test_unclosed_bracket_is_a_syntax_error() -> None:
    assert lang.validate("SynthDef(\\x, { Out.ar(0, SinOsc.ar(440)) }").stage == "syntax"


def test_undefined_variable_is_a_syntax_error() -> None:
    result = lang.validate("SynthDef(\\x, { Out.ar(0, SinOsc.ar(nofreq)) })")
    assert result.stage == "syntax"
    assert "nofreq" in result.message


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (r"SynthDef(\x, { Out.ar(0, NoSuchUGenHere.ar(440)) })", "NoSuchUGenHere"),
        (r"SynthDef(\x, { Out.ar(0, SinOsc.ar(440).foo) })", "'foo' not understood"),
        (r"SynthDef(\x, { Out.ar(0, SinOsc.kr(1)) })", "not audio rate"),
        (r'SynthDef(\x, { Error("boom").throw })', "boom"),
        ('Error("plain runtime error").throw', "plain runtime error"),
    ],
    ids=["unknown-ugen", "unknown-message", "wrong-rate", "error-in-graph", "error-outside"],
)
def test_runtime_errors_are_build_errors(code: str, words: str) -> None:
    result = lang.validate(code)
    assert not result.ok
    assert result.stage == "build", result
    assert words in result.message


def test_an_error_does_not_disturb_the_next_call() -> None:
    assert not lang.validate(r"SynthDef(\x, { Out.ar(0, SinOsc.ar(440).foo) })")
    assert not lang.validate(INVALID)
    assert lang.validate(VALID)
    assert lang.evaluate("1 + 2") == "3"


READS_B = r"""SynthDef(\readsb, { |out = 0, bufnum = 2|
    Out.ar(out, PlayBuf.ar(1, bufnum, loop: 1) * 0.1)
}).play(s, [\bufnum, b]);"""
"""Help-file style: plays at once with the buffer the user keeps in the interpreter's ``b``."""


def test_interpreter_variables_set_by_one_call_are_gone_in_the_next() -> None:
    """Each call sees a-z as a new sclang has them: what a file before it left in ``b`` (here
    a UGen, as code that builds a graph at the top level leaves it) changes nothing after."""
    assert lang.evaluate("b = 5; c = SinOsc; 1") == "1"
    assert lang.evaluate("[b, c]") == "[ nil, nil ]"
    assert lang.evaluate("s.isKindOf(Server)") == "true"  # the server variable stays
    clean = lang.compile_synthdef(READS_B)
    lang.evaluate("b = 5; 1")
    assert lang.compile_synthdef(READS_B) == clean
    lang.evaluate("b = 5; 1")
    assert lang.compile_synthdef_batch([READS_B]) == [clean]


def test_code_with_quotes_backslashes_and_unicode() -> None:
    code = '// héllo "world" \\ \n"a\\"b\\\\c é"'
    assert lang.validate(code)
    assert lang.evaluate(code) == '"a\\"b\\\\c é"'


def test_a_synthdef_with_add_needs_no_server() -> None:
    assert lang.validate(VALID + ".add")
    assert lang.evaluate("Server.default.serverRunning") == "false"


# --- compiling SynthDefs -----------------------------------------------------------------


def test_compile_synthdef_gives_scgf_bytes() -> None:
    scgf = lang.compile_synthdef(VALID)
    assert scgf.startswith(b"SCgf")
    assert b"test" in scgf
    assert b"SinOsc" in scgf


def test_compiling_twice_gives_identical_bytes() -> None:
    assert lang.compile_synthdef(VALID) == lang.compile_synthdef(VALID)


@pytest.mark.parametrize(
    "code",
    [f"{VALID}.add", f"({VALID}.add;)", f"(\n{VALID}.add;\n)\n", f"{VALID}.store"],
    ids=["add", "parenthesised", "multi-line", "store"],
)
def test_compile_synthdef_accepts_the_usual_suffixes(code: str) -> None:
    assert lang.compile_synthdef(code) == lang.compile_synthdef(VALID)


def test_compile_synthdef_takes_the_one_synthdef_built() -> None:
    assert lang.compile_synthdef(VALID + '.add; "done"') == lang.compile_synthdef(VALID)


def test_compile_synthdef_errors() -> None:
    with pytest.raises(SynthDefError, match="syntax error"):
        lang.compile_synthdef(INVALID)
    with pytest.raises(SynthDefError, match="not a SynthDef"):
        lang.compile_synthdef("1 + 2")
    with pytest.raises(SynthDefError, match="not understood"):
        lang.compile_synthdef(r"SynthDef(\x, { Out.ar(0, SinOsc.ar(440).foo) })")
    with pytest.raises(SynthDefError, match="2 SynthDefs"):
        lang.compile_synthdef(r"SynthDef(\a, { Out.ar(0, Saw.ar) }); SynthDef(\b, {}); nil")


def test_compile_synthdefs_keeps_every_synthdef_in_order() -> None:
    code = "\n".join(
        [
            r"SynthDef(\zeta, { Out.ar(0, Saw.ar(110)) }).add;",
            r"SynthDef(\alpha, { |freq = 220| Out.ar(0, Pulse.ar(freq)) }).add;",
            r"SynthDef(\mid, { Out.ar(0, SinOsc.ar(330)) }).add;",
        ]
    )
    defs = lang.compile_synthdefs(code)
    assert list(defs) == ["zeta", "alpha", "mid"]
    assert all(scgf.startswith(b"SCgf") for scgf in defs.values())
    assert defs["mid"] == lang.compile_synthdef(r"SynthDef(\mid, { Out.ar(0, SinOsc.ar(330)) })")
    with pytest.raises(SynthDefError, match="no SynthDef"):
        lang.compile_synthdefs("42")


def test_code_over_8_kb() -> None:
    partials = ", ".join(f"SinOsc.ar({100 + i}, 0, {1 / (i + 1):.6f})" for i in range(400))
    code = f"SynthDef(\\wide, {{ Out.ar(0, Mix([{partials}]) * 0.01) }})"
    assert len(code) > 8192 and "\n" not in code  # one line longer than sclang's stdin limit
    assert lang.validate(code)
    scgf = lang.compile_synthdef(code)
    assert scgf.startswith(b"SCgf")
    assert scgf.count(b"SinOsc") == 400  # every partial made it through


def test_evaluate() -> None:
    assert lang.evaluate("1 + 2") == "3"
    assert lang.evaluate("[1, 2.5] * 2") == "[ 2, 5.0 ]"
    with pytest.raises(SynthDefError, match="syntax"):
        lang.evaluate("1 +")


# --- patterns ----------------------------------------------------------------------------


def test_pbind_events() -> None:
    code = (
        r"Pbind(\dur, Pseq([Rest(0.5), 0.25, 0.75]), \midinote, Pseq([60, 62, [64, 67]]), "
        r"\amp, 0.5, \legato, 0.5, \lag, 0.01, \instrument, \blip)"
    )
    events = lang.pbind_events(code)
    assert [e.onset for e in events] == [0.0, 0.5, 0.75, 0.75]
    assert [e.is_rest for e in events] == [True, False, False, False]
    assert [e.midinote for e in events] == [None, 62.0, 64.0, 67.0]
    assert [e.sustain for e in events[1:]] == [0.125, 0.375, 0.375]
    assert all(e.amp == 0.5 and e.instrument == "blip" for e in events)
    assert events[0].dur == 0.5 and events[0].delta == 0.5
    assert events[1].extra["lag"] == 0.01 and events[1].extra["legato"] == 0.5


def test_pbind_events_defaults_and_limit() -> None:
    events = lang.pbind_events(r"Pbind(\dur, 0.25)", limit=10)
    assert len(events) == 10
    assert [e.onset for e in events] == [i * 0.25 for i in range(10)]
    first = events[0]
    assert (first.midinote, first.instrument, first.is_rest) == (60.0, "default", False)
    assert first.sustain == pytest.approx(0.2)  # legato 0.8
    assert lang.pbind_events(r"Pbind(\dur, 1)", limit=0) == []


def test_pbind_events_of_a_ppar_and_tempo_key() -> None:
    code = (
        r"Ppar([Pbind(\dur, Pseq([1, 1]), \midinote, 40), "
        r"Pbind(\dur, Pseq([Rest(0.5), 1.5]), \midinote, 70, \tempo, 2)])"
    )
    sounding = [e for e in lang.pbind_events(code) if not e.is_rest]
    assert [(e.onset, e.midinote) for e in sounding] == [(0.0, 40.0), (0.5, 70.0), (1.0, 40.0)]
    assert sounding[1].extra["tempo"] == 2.0


def test_pbind_events_of_something_else() -> None:
    with pytest.raises(SynthDefError, match="not a pattern"):
        lang.pbind_events("3")
    with pytest.raises(SynthDefError, match="not an event"):
        lang.pbind_events("Pseq([1, 2])")


# --- the process -------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["loop {}", "inf.do { 1 + 1 }"])
def test_a_hang_times_out_and_the_next_call_works(code: str) -> None:
    service = lang.get_sclang()
    assert lang.validate(VALID)
    before = service.pid
    with pytest.raises(EngineError, match=r"within 1 s \(timeout\)") as caught:
        lang.validate(code, timeout=1.0)
    assert "killed" in str(caught.value)
    assert service.pid is None
    assert lang.validate(VALID)
    assert service.pid not in (None, before)


def test_a_crash_is_reported_and_the_next_call_works() -> None:
    service = lang.get_sclang()
    with pytest.raises(EngineError, match="exited during the call"):
        service.validate('("kill -9 " ++ thisProcess.pid).systemCmd; loop {}', timeout=20)
    assert service.validate(VALID)


def test_code_that_quits_sclang_does_not_break_the_next_call() -> None:
    service = lang.get_sclang()
    service.validate("0.exit")
    assert service.validate(VALID)


def test_a_request_a_stuck_sclang_never_began_goes_to_a_fresh_one() -> None:
    # Code that answered, then left the interpreter busy for ever (as a slow shutdown after
    # 0.exit does on a loaded machine): the next request is never begun, so it did not run and
    # is sent once more to a fresh sclang instead of failing with a timeout.
    service = Sclang()
    try:
        assert service.validate("SystemClock.sched(0.2, { loop {} }); nil")
        starts = service.starts
        time.sleep(0.5)  # the loop has begun
        assert service.validate(VALID, timeout=3)
        assert service.starts == starts + 1
    finally:
        service.close()


def test_calls_from_several_threads() -> None:
    codes = [VALID, INVALID, r"SynthDef(\x, { SinOsc.ar(1).foo })", "1 + 1"]
    expected = ["ok", "syntax", "build", "ok"]
    results: dict[tuple[int, int], str] = {}
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for round_ in range(6):
                index = (worker + round_) % len(codes)
                results[worker, round_] = lang.validate(codes[index]).stage
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    assert len(results) == 8 * 6
    for (worker, round_), stage in results.items():
        assert stage == expected[(worker + round_) % len(codes)]


def test_one_process_is_reused() -> None:
    service = lang.get_sclang()
    assert lang.get_sclang() is service
    lang.validate(VALID)
    pid, starts = service.pid, service.starts
    for _ in range(5):
        lang.validate(VALID)
    assert (service.pid, service.starts) == (pid, starts)


def test_missing_sclang_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIOMANCER_SCLANG", "no-such-sclang-audiomancer")
    with pytest.raises(EngineNotFoundError, match="supercollider-language"):
        lang.validate(VALID)
    with pytest.raises(EngineNotFoundError, match="supercollider-language"):
        lang.compile_synthdef(VALID)
    with pytest.raises(EngineNotFoundError, match="supercollider-language"):
        Sclang("/nonexistent/bin/sclang").validate(VALID)


def test_runs_in_a_throwaway_folder_under_scratch_dir() -> None:
    with Sclang() as service:
        cwd = service.evaluate("File.getcwd")
        folder = Path(re.fullmatch(r'"(.*)"', cwd).group(1))  # type: ignore[union-attr]
        assert folder.is_relative_to(scratch_dir())
        assert folder.is_dir()
        assert service.evaluate('File.exists("driver.scd")') == "true"
    assert not folder.exists()
    assert service.pid is None


def test_a_program_that_is_not_sclang() -> None:
    with pytest.raises(EngineError, match="exited while starting"):
        Sclang("/bin/true").validate(VALID)
    with pytest.raises(EngineError, match=r"did not start within 1 s \(timeout\)"):
        Sclang("/bin/cat", startup_timeout=1).validate(VALID)


# --- processes never outlive the command (issue 14 §7) ----------------------------------


def _started_sleep(service: Sclang) -> int:
    """PID of a ``sleep`` the code starts with unixCmd (sclang answers with it)."""
    return int(service.evaluate('"exec sleep 47".unixCmd'))


def test_programs_the_code_started_end_with_close() -> None:
    from test_processes import gone

    service = Sclang()
    child = _started_sleep(service)
    assert not gone(child, within=0.2)
    service.close()
    assert gone(child)


def test_programs_the_code_started_end_when_sclang_has_exited() -> None:
    from test_processes import gone

    service = Sclang()
    try:
        child = _started_sleep(service)
        first = service.pid
        service.validate("0.exit")  # sclang leaves on its own; its child must not stay
        assert gone(first, within=30)  # leaving can take a while on a loaded machine
        assert service.validate(VALID)
        assert gone(child)
    finally:
        service.close()


def test_sclang_dies_with_the_python_process() -> None:
    from test_processes import gone, run_python

    result = run_python(
        """
        import os, signal
        from audiomancer.supercollider.lang import Sclang
        service = Sclang()
        print(service.evaluate("thisProcess.pid"), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        timeout=90,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert gone(int(result.stdout))
