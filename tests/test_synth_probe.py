"""Probe renders and parents that cannot sound (issue 13 §8, §9): many SynthDefs auditioned in
one scsynth run, effects fed a test signal, unheard parents refused once and up front."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import wild_corpus
from audiomancer.analyzers.synthdef import parse_synthdef
from audiomancer.cli.app import app
from audiomancer.errors import SynthDefError
from audiomancer.generators.synths import mutate_synth
from audiomancer.supercollider import lang, library, nrt, probe
from audiomancer.supercollider.source import read_source
from conftest import need_engine

PAD = r"""SynthDef(\longpad, { |out = 0, freq = 220, amp = 0.2, gate = 1|
    var env = EnvGen.kr(Env.adsr(0.01, 0.1, 0.8, 4), gate, doneAction: 2);
    Out.ar(out, (Saw.ar(freq) * env * amp) ! 2);
}).add;"""
SILENT = r"SynthDef(\nothing, { |out = 0| Out.ar(out, DC.ar(0) ! 2) }).add;"
DC_ONLY = r"SynthDef(\dcOnly, { |out = 0| ReplaceOut.ar(out, DC.ar(0.3) ! 2) }).add;"
NAN = r"SynthDef(\blowup, { |out = 0| Out.ar(out, (DC.ar(0).reciprocal * SinOsc.ar(3)) ! 2) })"
LOUD = r"""SynthDef(\loud, { |out = 0, freq = 220|
    Out.ar(out, (SinOsc.ar(freq) * 20 * Line.kr(1, 0, 2, doneAction: 2)) ! 2) }).add;"""
BUS_EFFECT = r"""SynthDef(\echoFx, { |out = 0, in = 30, mix = 0.4|
    var dry = In.ar(in, 2);
    Out.ar(out, dry + (CombN.ar(dry, 0.3, 0.25, 2) * mix));
}).add;"""


@pytest.fixture(autouse=True)
def engines() -> None:
    need_engine("sclang")
    need_engine("scsynth")


@pytest.fixture
def scsynth_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per scsynth run (nrt.run_score) made while the test runs."""
    runs: list[int] = []
    real = nrt.run_score

    def counted(*args: object, **kwargs: object) -> str:
        runs.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(nrt, "run_score", counted)
    return runs


def compiled(code: str) -> bytes:
    return lang.compile_synthdef(code)


def test_one_run_measures_each_synth_as_a_render_of_its_own_would(tmp_path: Path) -> None:
    codes = [library.template_source("tb303"), PAD, SILENT, library.template_source("juno_pad")]
    together = probe.audition_many([compiled(c) for c in codes])
    for code, found in zip(codes, together, strict=True):
        assert isinstance(found, nrt.RenderResult)
        alone = nrt.render_phrase(compiled(code), 2.0, tmp_path / "alone.wav")
        assert found.is_silent == alone.is_silent and found.audible == alone.audible, code
        if not alone.is_silent:
            assert abs(found.peak_dbfs - alone.peak_dbfs) < 3.0  # noise differs run to run
    # the pad's 4 s release is cut at the end of its window: the silent synth after it stays
    # silent (its window starts clean)
    assert together[2].is_silent and together[1].audible  # type: ignore[union-attr]


def test_a_synth_whose_amp_waits_for_the_player_is_auditioned_at_a_played_level(
    tmp_path: Path,
) -> None:
    """``|freq, amp|`` (both 0 until the player sets them) is played, not heard as silent."""
    unset = compiled(
        r"SynthDef(\unset, { |freq, amp, gate = 1| var env = EnvGen.kr(Env.asr(0.01, 1, 0.01), "
        r"gate, doneAction: 2); Out.ar(0, SinOsc.ar(freq, 0, amp) * env) })"
    )
    (found,) = probe.audition_many([unset])
    alone = nrt.render_phrase(unset, 2.0, tmp_path / "alone.wav")
    for result in (found, alone):
        assert isinstance(result, nrt.RenderResult) and result.audible
        assert result.peak == pytest.approx(0.3, rel=1e-2)


def test_a_synth_sounding_on_a_trigger_is_auditioned_with_its_trigger_fired(
    tmp_path: Path,
) -> None:
    """``t_trig = 0`` (or a ``\\tr`` rate): each note of the phrase fires it, as a player would."""
    for rates, name in (("", "t_trig"), (", [\\tr]", "trig")):
        code = (
            rf"SynthDef(\hit, {{ |{name} = 0| Out.ar(0, SinOsc.ar(440, 0, "
            rf"Decay2.kr({name}, 0.005, 0.3) * 0.3)) }}{rates})"
        )
        scgf = compiled(code)
        assert nrt.unset_triggers(scgf) == {name: 1.0}
        (found,) = probe.audition_many([scgf])
        alone = nrt.render_phrase(scgf, 2.0, tmp_path / "alone.wav")
        for result in (found, alone):
            assert isinstance(result, nrt.RenderResult) and result.audible, code
    assert (
        nrt.unset_triggers(compiled(r"SynthDef(\on, { |t_go = 1| Out.ar(0, K2A.ar(t_go)) })")) == {}
    )


def test_a_synth_scsynth_cannot_play_gets_its_own_error_and_the_others_are_measured() -> None:
    brick = compiled(read_source(wild_corpus.CORPUS / "scfft_brick.scd"))  # FFT buffer 0
    found = probe.audition_many([compiled(PAD), brick, compiled(PAD)])
    assert isinstance(found[0], nrt.RenderResult) and found[0].audible
    assert isinstance(found[1], SynthDefError) and "FFTBase_Ctor" in str(found[1])
    assert isinstance(found[2], nrt.RenderResult) and found[2].audible


def test_a_pure_dc_offset_is_not_audible() -> None:
    (result,) = probe.audition_many([compiled(DC_ONLY)])
    assert isinstance(result, nrt.RenderResult)
    assert result.peak > 0.2 and result.is_silent and not result.audible


def test_an_effect_is_heard_when_a_test_signal_feeds_the_bus_it_reads(tmp_path: Path) -> None:
    effect = compiled(BUS_EFFECT)
    assert probe.bus_inputs(effect) == (["in"], [])
    plain, fed = probe.audition_many([effect, probe.Probe(effect, test_input=True)])
    assert isinstance(plain, nrt.RenderResult) and plain.is_silent
    assert isinstance(fed, nrt.RenderResult) and fed.audible
    # an effect that replaces what it reads on its own output bus (ReplaceOut.ar(out, ...))
    replacing = compiled(read_source(wild_corpus.CORPUS / "scex_oto_fx.scd"))
    assert probe.bus_inputs(replacing) == ([], [0])
    result = probe.render_effect_phrase(replacing, 1.0, tmp_path / "fx.wav")
    assert (tmp_path / "fx.wav").is_file() and not result.is_silent and not result.has_nan


def test_cli_renders_an_effect_fed_a_test_signal(tmp_path: Path) -> None:
    source = tmp_path / "echo.scd"
    source.write_text(BUS_EFFECT)
    runner = CliRunner()
    silent = runner.invoke(app, ["synth", "render", str(source), "-o", str(tmp_path / "a.wav")])
    assert silent.exit_code == 1 and "silent" in silent.stderr + silent.stdout
    fed = runner.invoke(
        app, ["synth", "render", str(source), "-o", str(tmp_path / "b.wav"), "--test-input"]
    )
    assert fed.exit_code == 0, fed.stdout + fed.stderr
    assert "wrote" in fed.stdout and (tmp_path / "b.wav").is_file()


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (SILENT, r"is silent at its default controls \(it renders below -60 dBFS"),
        (BUS_EFFECT, r"is silent at its default controls \(it processes a bus.*--test-input"),
        (NAN, r"cannot be heard at its default controls: it renders NaN or infinite samples"),
        (LOUD, r"cannot be heard at its defaults?.*: it peaks at [\d.]+ \(\+[\d.]+ dBFS\), beyond"),
        (
            read_source(wild_corpus.CORPUS / "scfft_brick.scd"),
            r"cannot be heard at its default controls: scsynth cannot play it \(FFTBase_Ctor",
        ),
    ],
)
def test_a_parent_that_cannot_sound_is_refused_once_before_any_attempt(
    code: str, reason: str
) -> None:
    with pytest.raises(SynthDefError, match=reason) as raised:
        mutate_synth(parse_synthdef(code), 0.5, seed=4)
    assert "attempts" not in str(raised.value)


def test_a_mutant_takes_one_scsynth_run_when_its_first_candidate_sounds(
    scsynth_runs: list[int],
) -> None:
    """An audible first candidate costs one scsynth run and no audition of the parent (§9)."""
    info = parse_synthdef(PAD.replace("longpad", "longpad_probe_count"))
    child = mutate_synth(info, 0.3, seed=11)
    assert not any(note.startswith("candidate") for note in child.rejected), child.rejected
    assert len(scsynth_runs) == 1
    assert nrt.render_phrase(lang.compile_synthdef(child.source_code), 2.0).audible


def test_a_batch_of_codes_compiles_in_one_round_trip_as_each_alone_would() -> None:
    codes = [
        library.template_source("tb303"),
        read_source(wild_corpus.CORPUS / "enc_latin1_tubularbell.scd"),  # Latin-1 bytes
        r'SynthDef(\quoted, { Out.ar(0, SinOsc.ar(440) * "a\"b".size.reciprocal) })',
        r"SynthDef(\badRate, { Out.ar(0, SinOsc.kr) })",
        "SynthDef(\\broken, { Out.ar(0, ",
        PAD,
    ]
    found = lang.compile_synthdef_batch(codes)
    for code, result in zip(codes, found, strict=True):
        try:
            alone: bytes | SynthDefError = lang.compile_synthdef(code)
        except SynthDefError as error:
            alone = error
        if isinstance(alone, bytes):
            assert result == alone
        else:
            assert isinstance(result, SynthDefError)
    assert "not audio rate" in str(found[3]) and "syntax error" in str(found[4])


HOT = r"""SynthDef(\hotProbe, { |out = 0, freq = 220, amp = 0.3|
    var sig = LPF.ar(Saw.ar(freq), 3000) * 2.5;
    Out.ar(out, (sig * EnvGen.kr(Env.perc(0.01, 0.8), doneAction: 2)).dup) }).add;"""


def test_a_scaled_window_measures_as_the_scaled_synth_renders() -> None:
    """What accept() predicts for a clipping synth that reads no bus (§9): its outputs scaled
    by a power of two measure exactly as its own audition times the factor."""
    from audiomancer.evolution import synth_ops
    from audiomancer.supercollider import syntax as sc

    scaled_code = sc.print_code(synth_ops.scale_output(sc.parse(HOT), 0.25)[0])
    # one run each, so both windows start on the same sample (block boundaries shape a render)
    (hot,) = probe.audition_many([compiled(HOT)])
    (quiet,) = probe.audition_many([compiled(scaled_code)])
    assert isinstance(hot, nrt.RenderResult) and isinstance(quiet, nrt.RenderResult)
    assert hot.clipping and quiet.audible
    predicted = probe.scaled(hot, 0.25)
    assert predicted is not None and predicted.audible
    assert predicted.peak == pytest.approx(quiet.peak, rel=1e-6)
    assert predicted.rms == pytest.approx(quiet.rms, rel=1e-4)
    # a DC offset scaled stays a DC offset; far enough down, anything is silent
    (dc,) = probe.audition_many([compiled(DC_ONLY)])
    assert isinstance(dc, nrt.RenderResult)
    assert probe.scaled(dc, 0.5).is_silent  # type: ignore[union-attr]
    assert probe.scaled(hot, 2.0**-20).is_silent  # type: ignore[union-attr]
    # only a synth that cannot hear its own output is predicted
    assert probe.reads_any_bus(compiled(BUS_EFFECT)) and not probe.reads_any_bus(compiled(HOT))


def test_a_hot_mutant_is_scaled_down_without_a_second_render(
    scsynth_runs: list[int],
) -> None:
    child = mutate_synth(parse_synthdef(HOT), 0.3, seed=4)
    assert any(line.startswith("Output level × ") for line in child.mutation_log)
    assert not any(note.startswith("candidate") for note in child.rejected), child.rejected
    assert len(scsynth_runs) == 1
    # and the scaled child, rendered for real, is heard without clipping
    assert nrt.render_phrase(lang.compile_synthdef(child.source_code), 2.0).audible


@pytest.mark.parametrize("voices", [62, 63, 64, 65])
def test_the_interconnect_buffers_counted_are_what_scsynth_allows(
    voices: int, tmp_path: Path
) -> None:
    """A SynthDef needing more than 64 wire buffers is refused by scsynth; the count is told
    before rendering, and the other SynthDefs of the run are still measured together."""
    # every oscillator is read twice, once early and once late: all are live at once
    code = (
        f"SynthDef(\\wires{voices}, {{ var s = Array.fill({voices}, {{ |i| SinOsc.ar(100 + i) }});"
        " Out.ar(0, [s.sum, s.reverse.sum] * 0.001) })"
    )
    scgf = compiled(code)
    needed = probe.wire_buffers(scgf)
    assert needed == voices + 1
    renders = probe.audition_many([scgf], 0.5)  # checked against scsynth's own verdict
    bundles, _ = probe.build_probe_score([probe.Probe(scgf)], 0.5, 0.1)
    try:
        nrt.run_score(bundles, tmp_path / "wires.wav")
        plays = True
    except SynthDefError as error:
        assert "exceeded number of interconnect buffers" in str(error)
        plays = False
    assert plays == (needed <= probe.MAX_WIRE_BUFFERS)
    assert isinstance(renders[0], SynthDefError) == (not plays)
    if not plays:
        pad, refused, again = probe.audition_many([compiled(PAD), scgf, compiled(PAD)])
        assert isinstance(refused, SynthDefError)
        assert "interconnect buffers" in str(refused)
        assert isinstance(pad, nrt.RenderResult) and isinstance(again, nrt.RenderResult)


NOISY = r"""SynthDef(\hissy, { |out = 0, freq = 440, amp = 0.3, gate = 1|
    var env = EnvGen.kr(Env.asr(0.01, 1, 0.1), gate, doneAction: 2);
    Out.ar(out, (WhiteNoise.ar(amp) + Dust.ar(freq / 10, amp)) * env ! 2);
}).add;"""


def test_a_noisy_synth_measures_the_same_in_every_run_whatever_shares_its_score() -> None:
    """A probe's verdict must not depend on the run (scsynth seeds its generators from the
    clock) nor on the probes before it (they draw from the same generator): every window is
    seeded, so the measures the library keeps, scales or refuses by are reproducible."""
    noisy = compiled(NOISY)
    (alone,) = probe.audition_many([noisy])
    (again,) = probe.audition_many([noisy])
    first, second = probe.audition_many([noisy, noisy])
    assert all(isinstance(r, nrt.RenderResult) for r in (alone, again, first, second))
    assert (again.peak, again.rms) == (first.peak, first.rms) == (alone.peak, alone.rms)
    # a later window starts inside a 64-sample block: what it measures is shifted by less
    # than a block, the same noise all the same
    assert second.peak == alone.peak
    assert second.rms == pytest.approx(alone.rms, rel=1e-3)
    assert alone.audible and alone.peak > 0.1
