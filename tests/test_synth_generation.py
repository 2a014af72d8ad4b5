"""generate_synth, mutate_synth, breed_synths and EvolutionEngine.mutate_synth on the real
engines: every result compiles in sclang and sounds in scsynth; seeds reproduce across processes."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from audiomancer.analyzers.synthdef import SynthDefInfo, parse_synthdef
from audiomancer.errors import InvalidSynthError, SynthDefError, SynthNotFoundError
from audiomancer.evolution import synth_ops
from audiomancer.evolution.synth_ops import NotApplicable
from audiomancer.generators import (
    EvolutionEngine,
    GeneratedSynth,
    LineageTracker,
    breed_synths,
    generate_synth,
    mutate_synth,
)
from audiomancer.generators import synths as synths_module
from audiomancer.supercollider import lang, library, nrt, probe, scgf
from audiomancer.supercollider import syntax as sc
from conftest import need_engine

CORPUS = Path(__file__).parent / "synthdefs"
SPEC_LOG_FORMS = (
    r"\w+ → \w+",  # Saw → Pulse, RLPF → MoogFF
    r"Added LFO modulation to \w+( frequency)?",
    r"\w+: -?[\d.e-]+ → -?[\d.e-]+",  # cutoff: 1200.0 → 1440.0
    r"Added \w+ distortion: dist\d* 0 → [\d.]+",
    r"Env\.?\w* [\w ]+: -?[\d.e-]+ → -?[\d.e-]+|Env\.?\w* curve: \S+ → -?\d+",
    r"Output level × [\d.]+",
    r"Added reverb \(FreeVerb, mix [\d.]+\)|Added delay \(\w+ [\d.]+ s\)",
    r"Removed (reverb|delay|allpass) \(\w+\)",
)


@pytest.fixture(autouse=True)
def engines() -> None:
    need_engine("sclang")
    need_engine("scsynth")


def template(name: str) -> SynthDefInfo:
    return parse_synthdef(library.template_path(name))


def corpus(name: str) -> SynthDefInfo:
    return parse_synthdef(CORPUS / f"{name}.scd")


def assert_valid(synth: GeneratedSynth) -> None:
    """Compiles under its own name and plays audibly (checked again here, independently)."""
    assert re.fullmatch(r"[a-z][a-z0-9_]*", synth.name)
    scgf = lang.compile_synthdef(synth.source_code)
    assert nrt.read_synthdef_header(scgf).name == synth.name
    assert nrt.render_phrase(scgf, 1.0).audible
    assert [c.name for c in synth.controls] == [
        c.name for c in parse_synthdef(synth.source_code).controls
    ]


def test_mutate_tb303_as_in_the_spec() -> None:
    variant = mutate_synth(template("tb303"), amount=0.5, seed=42)
    assert re.fullmatch(r"tb303_m\d{3}", variant.name)
    assert variant.parent_ids == ["tb303"]
    assert variant.generation_method == "mutation" and variant.category == "bass"
    assert variant.mutation_log
    for line in variant.mutation_log:
        assert any(re.fullmatch(form, line) for form in SPEC_LOG_FORMS), line
    assert_valid(variant)
    again = mutate_synth(template("tb303"), amount=0.5, seed=42)
    assert (again.name, again.source_code, again.mutation_log) == (
        variant.name, variant.source_code, variant.mutation_log,
    )  # fmt: skip


def test_mutation_logs_take_the_spec_forms_across_seeds() -> None:
    seen = set()
    for seed in range(6):
        variant = mutate_synth(template("tb303"), amount=1.0, seed=seed)
        for line in variant.mutation_log:
            form = next(f for f in SPEC_LOG_FORMS if re.fullmatch(f, line))
            seen.add(form)
    assert len(seen) >= 4  # swaps, LFOs, defaults, distortion or envelopes all show up


def test_mutate_a_generated_synth_keeps_names_short() -> None:
    first = mutate_synth(template("juno_pad"), 0.4, seed=1)
    second = mutate_synth(first, 0.4, seed=2)
    assert re.fullmatch(r"juno_pad_m\d{3}", second.name) and second.parent_ids == [first.name]
    assert second.category == "pad"
    assert_valid(second)


def test_mutate_validates_amount_and_seed() -> None:
    with pytest.raises(ValueError, match="amount"):
        mutate_synth(template("tb303"), amount=1.5)
    with pytest.raises(ValueError, match="seed"):
        mutate_synth(template("tb303"), seed=1.5)  # type: ignore[arg-type]


MUTATE_IN_A_PROCESS = textwrap.dedent(
    """
    import json
    from audiomancer.analyzers.synthdef import parse_synthdef
    from audiomancer.generators import breed_synths, generate_synth, mutate_synth
    from audiomancer.supercollider import library
    tb303 = parse_synthdef(library.template_path("tb303"))
    juno = parse_synthdef(library.template_path("juno_pad"))
    made = [mutate_synth(tb303, 0.7, 1234), breed_synths(juno, tb303, 5),
            generate_synth("bright wobbly lead", category="lead", seed=9)]
    print(json.dumps([[s.name, s.source_code, s.mutation_log] for s in made]))
    """
)


def test_results_are_the_same_in_another_process() -> None:
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": os.pathsep.join(sys.path)}
    finished = subprocess.run(
        [sys.executable, "-c", MUTATE_IN_A_PROCESS], env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    theirs = json.loads(finished.stdout.strip().splitlines()[-1])
    mine = [
        mutate_synth(template("tb303"), 0.7, 1234),
        breed_synths(template("juno_pad"), template("tb303"), 5),
        generate_synth("bright wobbly lead", category="lead", seed=9),
    ]
    assert theirs == [[s.name, s.source_code, s.mutation_log] for s in mine]


def test_breed_tb303_and_juno_pad_as_in_the_spec() -> None:
    child = breed_synths(template("tb303"), template("juno_pad"), seed=42)
    assert child.name == "tb303_x_juno_pad"
    assert child.parent_ids == ["tb303", "juno_pad"]
    assert child.generation_method == "crossover"
    assert "Saw" in child.source_code  # from tb303
    assert re.match(r"(Filter|Effect|Oscillator) from juno_pad: ", child.mutation_log[0])
    cutoff = next(c for c in child.controls if c.name == "cutoff")
    assert cutoff.default == (1200 + 2200) / 2
    assert_valid(child)
    assert_uses_both(child, template("tb303"), template("juno_pad"))


def assert_uses_both(child: GeneratedSynth, a: SynthDefInfo, b: SynthDefInfo) -> None:
    """The child's compiled output depends on a UGen class of B that A lacks, and every
    control of the child is read somewhere."""
    from audiomancer.supercollider import scgf

    graph = scgf.read_scgf(lang.compile_synthdef(child.source_code))
    graph_a = scgf.read_scgf(lang.compile_synthdef(a.source_code))
    graph_b = scgf.read_scgf(lang.compile_synthdef(b.source_code))
    own = {u.name for u in graph_b.ugens} - {u.name for u in graph_a.ugens} - synth_ops.PLUMBING
    assert graph.output_classes() & own, (child.mutation_log, own)
    assert graph.body() != graph_a.body()
    function = synth_ops.locate(sc.parse(child.source_code)).function
    used = {n.name for n in sc.walk(function) if isinstance(n, sc.Name)}
    assert all(p.name in used for p in function.params), child.source_code


@pytest.mark.parametrize("seed", range(4))
def test_bred_children_use_a_sounding_stage_of_b(seed: int) -> None:
    names = library.template_names()
    a, b = names[seed % len(names)], names[(seed * 4 + 1) % len(names)]
    child = breed_synths(template(a), template(b), seed=seed)
    assert_valid(child)
    assert_uses_both(child, template(a), template(b))


BUS_REVERB = r"""SynthDef(\busverb, { |out = 0, in = 16, room = 0.7|
    Out.ar(out, FreeVerb.ar(In.ar(in, 2), 0.5, room))
})"""


def test_a_bus_effect_is_bred_by_feeding_it_b_s_source_or_taking_b_s_filter() -> None:
    effect = parse_synthdef(BUS_REVERB)
    children = [breed_synths(effect, template("tb303"), seed=seed) for seed in range(6)]
    fed = [c for c in children if c.mutation_log[0].startswith("Source from tb303: ")]
    assert fed, [c.mutation_log for c in children]
    for child in fed:  # B's source stands in for the bus: the child sounds alone
        assert "In.ar" not in child.source_code and "FreeVerb.ar(" in child.source_code
        assert_valid(child)
    filtered = [c for c in children if c.mutation_log[0].startswith("Filter from tb303: ")]
    assert filtered, [c.mutation_log for c in children]
    for child in filtered:  # still an effect, heard through the test signal
        scgf_bytes = lang.compile_synthdef(child.source_code)
        assert {"In", "FreeVerb"} <= scgf.read_scgf(scgf_bytes).output_classes()
        assert probe.render_effect_phrase(scgf_bytes, 1.0).audible
    # as B, the effect is a stage of its own: tb303 gets the reverb
    child = breed_synths(template("tb303"), effect, seed=1)
    assert child.mutation_log[0] == "Effect from busverb: FreeVerb"
    assert_valid(child)


BUS_CHORUS = r"""SynthDef(\buschorus, { |out = 0, in = 20, rate = 0.3|
    var sig = In.ar(in, 1);
    var wet = DelayC.ar(sig, 0.05, SinOsc.kr(rate, 0, 0.004, 0.012));
    Out.ar(out, (sig + wet) ! 2 * 0.5)
})"""


def test_two_bus_effects_breed_into_an_effect_heard_through_the_test_signal() -> None:
    """Neither parent sounds alone; A sounds fed a test signal, so B's effect goes into A's
    chain and the child is auditioned (and checked here) the same way."""
    reverb, chorus = parse_synthdef(BUS_REVERB), parse_synthdef(BUS_CHORUS)
    child = breed_synths(reverb, chorus, seed=2)
    assert child.mutation_log[0] == "Effect from buschorus: DelayC"
    scgf_bytes = lang.compile_synthdef(child.source_code)
    graph = scgf.read_scgf(scgf_bytes)
    assert {"FreeVerb", "DelayC", "In"} <= graph.output_classes()
    assert not nrt.render_phrase(scgf_bytes, 1.0).audible  # still an effect: silent alone
    assert probe.render_effect_phrase(scgf_bytes, 1.0).audible
    child = breed_synths(chorus, reverb, seed=2)  # and the other way round
    assert {"FreeVerb", "DelayC", "In"} <= scgf.read_scgf(
        lang.compile_synthdef(child.source_code)
    ).output_classes()


BRICK_ON_BUFFER_0 = r"""SynthDef(\brick, {
    var in = WhiteNoise.ar(0.2), chain;
    chain = FFT(0, in);
    chain = PV_BrickWall(chain, 0.1);
    Out.ar(0, IFFT(chain) ! 2)
})"""


def test_an_fft_synth_on_an_unallocated_buffer_breeds_with_a_buffer_of_its_own() -> None:
    """As A it cannot play (scsynth: buffer 0 not initialised); the child owns a LocalBuf.
    As B its spectral section (FFT → PV_BrickWall → IFFT) goes on A's signal."""
    brick = parse_synthdef(BRICK_ON_BUFFER_0)
    with pytest.raises(SynthDefError, match="cannot be heard"):
        mutate_synth(brick, 0.5, seed=0)  # really unplayable as written
    child = breed_synths(brick, template("tb303"), seed=0)
    assert child.mutation_log[0] == "FFT buffer → LocalBuf(2048), allocated by the synth itself"
    assert "FFT(LocalBuf(2048), in)" in child.source_code
    assert_valid(child)
    assert_uses_both(child, brick, template("tb303"))
    logs = []
    for seed in range(8):
        child = breed_synths(template("tb303"), brick, seed=seed)
        logs.append(child.mutation_log)
        if "Effect from brick: FFT → PV_BrickWall → IFFT" in child.mutation_log:
            assert "FFT(LocalBuf(2048), chan)" in child.source_code
            assert_valid(child)
            break
    else:
        raise AssertionError(logs)


HISS = r"""SynthDef(\hiss, { |out = 0, amp = 0.3, gate = 1|
    var env = EnvGen.kr(Env.asr(0.01, 1, 0.1), gate, doneAction: 2);
    Out.ar(out, (WhiteNoise.ar * env * amp) ! 2)
})"""
BELL = r"""SynthDef(\bell, { |out = 0, freq = 440, ring = 10|
    var sig = Ringz.ar(Impulse.ar(0), freq, ring);
    Out.ar(out, sig ! 2 * EnvGen.kr(Env.perc(0.001, 2), doneAction: 2))
})"""


def test_a_resonator_of_b_on_a_s_noise_is_scaled_down_as_far_as_it_needs() -> None:
    """B's Ringz (10 s ring time) on A's white noise peaks far above full scale: the child
    is scaled down by a power of two beyond the ordinary 1/2 .. 1/32 steps, and is heard."""
    hiss, bell = parse_synthdef(HISS), parse_synthdef(BELL)
    logs = []
    for seed in range(6):
        child = breed_synths(hiss, bell, seed=seed)
        logs.append(child.mutation_log)
        if "Filter from bell: added Ringz" in child.mutation_log:
            level = next(line for line in child.mutation_log if line.startswith("Output level"))
            assert float(level.split("× ")[1]) < 1 / 32, child.mutation_log
            assert_valid(child)
            peak = nrt.render_phrase(lang.compile_synthdef(child.source_code), 1.0).peak
            assert 0.01 < peak < 1.0
            return
    raise AssertionError(logs)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (r"SynthDef(\kbus, { Out.ar(0, SinOsc.ar(440, 0, In.kr(0)) ! 2) })",  # its level
         r"silent at its default controls \(it reads a control bus with In.kr, and nothing "
         r"writes that bus"),
        (r"SynthDef(\mic, { |out| Out.ar(out, CombN.ar(SoundIn.ar(0), 0.2, 0.2, 2) ! 2) })",
         r"silent at its default controls \(it reads the sound card's input with SoundIn"),
    ],
)  # fmt: skip
def test_a_parent_silent_for_want_of_an_input_is_refused_saying_which(
    code: str, reason: str
) -> None:
    """(With a B that has no source to feed it, a source of B would stand in for SoundIn,
    and that cannot be heard itself: a B heard would take A's stage.)"""
    control_lfo = r"SynthDef(\klfo, { |out = 0| Out.kr(out, SinOsc.kr(2)) })"
    with pytest.raises(SynthDefError, match=reason):
        breed_synths(parse_synthdef(code), parse_synthdef(control_lfo), seed=0)


def test_breeding_with_nothing_to_take_says_why() -> None:
    through = parse_synthdef(r"SynthDef(\thru, { |out = 0| Out.ar(out, In.ar(20, 2)) })")
    with pytest.raises(SynthDefError, match="no stage of 'thru' can be combined with 'tb303'"):
        breed_synths(template("tb303"), through, seed=0)


@pytest.mark.parametrize(
    ("a", "b"),
    [("acid_line", "pad_chorus"), ("saw_bass", "env_adsr_kr_done_free_self"),
     ("named_controls", "comb_delay")],
)  # fmt: skip
def test_breed_real_synthdefs(a: str, b: str) -> None:
    child = breed_synths(corpus(a), corpus(b), seed=3)
    assert child.parent_ids == [corpus(a).name, corpus(b).name]
    assert child.name == f"{corpus(a).name}_x_{corpus(b).name}"
    assert_valid(child)


def test_generate_warm_acid_bass_as_in_the_spec() -> None:
    synth = generate_synth("warm acid bass with filter sweep", category="bass")
    assert synth.name == "warm_acid_bass_001"
    assert "MoogFF" in synth.source_code
    assert "LFO" in synth.source_code  # for the sweep
    assert synth.generation_method == "generated" and synth.category == "bass"
    assert synth.parent_ids == ["tb303"]
    assert synth.mutation_log[0] == "From template tb303"
    assert any(line.startswith("sweep: Added LFO modulation to cutoff")
               for line in synth.mutation_log)  # fmt: skip
    assert_valid(synth)


@pytest.mark.parametrize(
    ("category", "description", "markers"),
    [
        ("lead", "bright detuned lead", ("Pulse.ar", "Mix(")),
        ("pad", "dark noisy pad", ("PinkNoise.ar",)),
        ("drum", "metallic distorted kick", ("SinOsc.ar(freq * ", "dist")),
        ("fx", "plucky riser with a wobble", ("Env.perc(0.002", "LFO")),
        ("bass", "soft long sub bass", ("LFTri.ar",)),
        ("lead", "filtered gritty lead", ("dist",)),
    ],
)
def test_generate_applies_the_keywords(
    category: str, description: str, markers: tuple[str, ...]
) -> None:
    synth = generate_synth(description, category=category)  # type: ignore[arg-type]
    assert synth.category == category
    for marker in markers:
        assert marker in synth.source_code, (marker, synth.mutation_log, synth.rejected)
    assert_valid(synth)


def test_generate_from_a_base_synth_and_unknown_categories() -> None:
    synth = generate_synth("distorted", base_synth=corpus("pluck_string"), seed=1)
    assert synth.parent_ids == ["am_pluck"] and synth.category == "lead"  # the base's category
    assert synth.name == "distorted_lead_001"
    assert "dist" in synth.source_code
    assert_valid(synth)
    with pytest.raises(ValueError, match="category"):
        generate_synth("anything", category="banjo")  # type: ignore[arg-type]


PULSE_NO_CUTOFF = r"""SynthDef(\pulses, { |out = 0, freq = 220, amp = 0.2|
    var sig = Pulse.ar(freq * [1, 1.01], 0.3).sum * EnvGen.kr(Env.perc(0.01, 1), doneAction: 2);
    Out.ar(out, (sig * amp) ! 2)
})"""
MIDI_CUTOFF = r"""SynthDef(\notes, { |out = 0, note = 52, lpf = 84, amp = 0.3|
    var sig = LPF.ar(WhiteNoise.ar, lpf.midicps) * EnvGen.kr(Env.perc(0.01, 0.5), doneAction: 2);
    Out.ar(out, Pan2.ar(sig * amp))
})"""


@pytest.mark.parametrize(
    ("description", "line"),
    [("bright", "bright: Added high shelf (+6.0 dB above 2500.0 Hz)"),
     ("soft", "soft: Pulse → LFTri"),
     ("detuned", "detuned: Added chorus (DelayC swept at "),
     ("long", "long: Env.perc release: 1.0 → 2.5"),
     ("short", "short: Env.perc release: 1.0 → 0.4")],
)  # fmt: skip
def test_every_keyword_finds_a_way_to_act_on_a_base(description: str, line: str) -> None:
    """A Pulse synth without a cutoff: bright can neither swap to Pulse nor raise a cutoff, so
    it adds a high shelf; the log holds only what was applied."""
    synth = generate_synth(description, base_synth=parse_synthdef(PULSE_NO_CUTOFF), seed=2)
    assert synth.mutation_log[0] == "From base synth pulses"
    assert any(entry.startswith(line) for entry in synth.mutation_log[1:]), synth.mutation_log
    assert all(entry.startswith(f"{description}: ") for entry in synth.mutation_log[1:])
    assert_valid(synth)


def test_cutoffs_read_as_midi_notes_move_in_semitones() -> None:
    synth = generate_synth("bright", base_synth=parse_synthdef(MIDI_CUTOFF), seed=0)
    assert "bright: lpf: 84.0 → 96.0" in synth.mutation_log  # an octave up, not 84 × 2
    assert_valid(synth)


def test_names_are_safe_and_unique_in_the_library() -> None:
    nasty = '\'; Server.killAll; "boom" /* acid */ bass'
    synth = generate_synth(nasty, category="bass")
    assert synth.name == "server_killall_boom_acid_bass_001"  # words only, never code
    for fragment in ("Server.killAll", '"boom"', "/* acid */", "';"):
        assert fragment not in synth.source_code
    tracker = LineageTracker()
    tracker.save(generate_synth("warm acid bass with filter sweep", category="bass"))
    again = generate_synth("warm acid bass with filter sweep", category="bass", seed=7)
    assert again.name == "warm_acid_bass_002"


def test_an_operator_that_breaks_the_code_is_undone_and_another_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(program: sc.Program, rng: random.Random, amount: float = 0.3) -> synth_ops.Result:
        graph = synth_ops.locate(program)
        bad = sc.Call(sc.ClassName("NoSuchUGen"), "ar", ())
        function = graph.function
        body = (*function.body[:-1], sc.Assign(sc.Name("sig"), bad), function.body[-1])
        return graph.with_function(type(function)(**{**function.__dict__, "body": body})), [
            "broken"
        ]

    def never(program: sc.Program, rng: random.Random, amount: float = 0.3) -> synth_ops.Result:
        raise NotApplicable("never applies")

    monkeypatch.setattr(synth_ops, "MUTATIONS", (
        ("broken", 1.0, broken), ("never", 1.0, never),
        ("tweak_defaults", 0.01, synth_ops.tweak_defaults),
    ))  # fmt: skip
    variant = mutate_synth(template("tb303"), amount=1.0, seed=3)
    assert "broken" not in variant.mutation_log
    assert any(note.startswith("broken: result does not compile") for note in variant.rejected)
    assert "never: not applicable: never applies" in variant.rejected
    assert variant.mutation_log and "NoSuchUGen" not in variant.source_code
    assert_valid(variant)

    monkeypatch.setattr(synth_ops, "MUTATIONS", (("never", 1.0, never),))
    with pytest.raises(SynthDefError, match="no mutation applies"):
        mutate_synth(template("tb303"), seed=1)


def test_a_hot_synth_is_brought_below_full_scale() -> None:
    hot = parse_synthdef(
        "SynthDef(\\hot, { |out = 0, freq = 220, amp = 0.3, cutoff = 3000|"
        " var sig = LPF.ar(Saw.ar(freq), cutoff) * 2.5;"
        " Out.ar(out, (sig * EnvGen.kr(Env.perc(0.01, 0.8), doneAction: 2)).dup) }).add;"
    )
    variant = mutate_synth(hot, 0.3, seed=4)  # a seed whose mutation (a default) leaves it hot
    assert any(line.startswith("Output level × ") for line in variant.mutation_log)
    assert_valid(variant)


def test_a_silent_effect_is_refused_up_front_and_a_broken_parent_raises() -> None:
    # An effect reading a bus renders nothing at its defaults: said once, before any attempt,
    # rather than a silent child kept (issue 13, cause 8).
    with pytest.raises(SynthDefError, match=r"silent at its default controls \(it processes a bus"):
        mutate_synth(corpus("freeverb_effect"), 0.5, seed=2)
    with pytest.raises(SynthDefError, match="does not compile"):
        mutate_synth(parse_synthdef("SynthDef(\\bad, { Out.ar(0, NoSuchUGen.ar) }).add;"))


def test_engine_mutate_synth_stores_the_mutant_with_its_lineage() -> None:
    engine = EvolutionEngine()
    mutant = engine.mutate_synth("synt_tb303", amount=0.4, seed=42)
    assert set(mutant) == {"id", "name", "source_code", "parent_ids", "generation_method",
                           "mutation_log", "user_rating", "user_notes", "created_at"}  # fmt: skip
    assert mutant["parent_ids"] == ["tb303"] and mutant["generation_method"] == "mutation"
    assert mutant["id"] == mutant["name"] and re.fullmatch(r"tb303_m\d{3}", mutant["id"])
    tracker = LineageTracker()
    assert tracker.library_source(mutant["name"]) == mutant["source_code"]
    assert engine.mutate_synth("tb303", amount=0.4, seed=42) == mutant  # stored once
    grandchild = engine.mutate_synth(mutant["id"], amount=0.4, seed=1)
    assert grandchild["parent_ids"] == [mutant["id"]]
    assert engine.get_lineage(grandchild["id"]) == ["tb303", mutant["id"], grandchild["id"]]
    assert tracker.get_lineage(grandchild["id"])["generation"] == 2
    with pytest.raises(SynthNotFoundError):
        engine.mutate_synth("no_such_synth")


def test_engine_reports_invalid_synths(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> GeneratedSynth:
        raise SynthDefError("nothing compiles")

    monkeypatch.setattr(synths_module, "mutate_synth", fail)
    with pytest.raises(InvalidSynthError, match="nothing compiles"):
        EvolutionEngine().mutate_synth("tb303", seed=1)
