"""Probe renders: several SynthDefs auditioned in one scsynth run, and effects fed a test signal.

Starting scsynth costs far more than rendering a few seconds of a synth (about 0.1 s idle,
0.3-0.5 s on a busy machine, against 10-50 ms of DSP for a typical 3 s phrase), so
:func:`audition_many` plays each SynthDef's audition phrase (the four notes of
:func:`audiomancer.supercollider.nrt.render_phrase`) in a time window of its own in ONE score:

- window ``i`` starts at ``i * (seconds + tail + GAP)``; at its start the control buses are
  zeroed, the SynthDef is loaded under a name of its own (``audiomancer_probe_<i>``, so windows
  never share a definition) and a group is made at the head of the root group; the notes play
  in that group exactly as in a single render (``gate`` released at each note's end);
- just after the window's end (in the gap) the group is freed, with whatever still sounds in
  it, so nothing leaks into the next window (scsynth clears the audio output buses itself);
- the WAV is read once and each window is measured on its own (peak, RMS, NaN, clipping; a
  window that is only a DC offset counts as silent);
- each window starts by seeding scsynth's random generator (the same seed every time), so a
  noisy SynthDef's measures, and the library's verdict on it, are the same in every run and
  whatever other SynthDefs share the score.

When scsynth reports a failure (a UGen that is not installed, an FFT buffer that is not
allocated) the failing SynthDef cannot be told from the output, so each one is rendered alone
and gets its own error.

**Effects** (a SynthDef that reads a bus with ``In.ar``/``InFeedback.ar`` and has no sound of
its own) are auditioned with ``test_input=True``: one instance of the effect runs through the
window, added after a *test signal* (our own SynthDef: a detuned saw with a little pink noise,
enveloped) that plays the phrase's notes into the bus the effect reads. A bus given by a
control (``in``, ``in_bus``, ``out`` for ``ReplaceOut``/``XOut`` effects) is set to a private
bus (:data:`TEST_BUS`) for both; a bus that is a constant is written at that number.
:func:`render_effect_phrase` writes such an audition to a WAV file, as ``audiomancer synth
audition NAME --test-input`` does.
"""

from __future__ import annotations

import math
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from audiomancer.errors import SynthDefError
from audiomancer.paths import scratch_dir
from audiomancer.supercollider import nrt, osc, seeding

if TYPE_CHECKING:
    import numpy.typing as npt

GAP: Final = 0.05
"""Silence between two windows of a probe render, in seconds."""
TEST_BUS: Final = 16
"""The private audio bus a test signal is written to (outputs are 0-1, no inputs)."""
PROBE_NODE_BASE: Final = 10000
_GROUP_BASE: Final = 100
_CONTROL_BUSES: Final = 256
_TEST_SIGNAL_NAME: Final = "audiomancer_test_signal"
_TEST_SIGNAL: Final = (
    "SynthDef(\\" + _TEST_SIGNAL_NAME + ", { |bus = 16, freq = 440, amp = 0.3, gate = 1|\n"
    "    var env = EnvGen.kr(Env.adsr(0.005, 0.15, 0.6, 0.15), gate, doneAction: 2);\n"
    "    var sig = Saw.ar(freq * [1, 1.004]).sum * 0.4 + PinkNoise.ar(0.1);\n"
    "    Out.ar(bus, (sig * env * amp) ! 2);\n"
    "})"
)
_BUS_READERS: Final = frozenset({"In", "InFeedback"})
_CONTROL_UGENS: Final = frozenset({"Control", "AudioControl", "TrigControl", "LagControl"})
_WRITERS: Final = frozenset({"Out", "ReplaceOut", "XOut", "OffsetOut"})


@dataclass(frozen=True)
class Probe:
    """One SynthDef to audition: its SCgf bytes, whether it is an effect fed a test signal, and
    the seed of its window's random generators (None: the score's)."""

    scgf: bytes
    test_input: bool = False
    seed: int | None = None


Outcome = nrt.RenderResult | SynthDefError


def renamed(scgf: bytes, name: str) -> bytes:
    """The same SCgf bytes with the (first) SynthDef called ``name``: sclang writes the name
    once, as a length-prefixed string right after the file header."""
    if scgf[:4] != b"SCgf" or len(scgf) < 11:
        raise SynthDefError("not valid SynthDef (SCgf) bytes")
    raw = name.encode("utf-8")
    if len(raw) > 255:
        raise ValueError(f"SynthDef name too long: {name!r}")
    size = scgf[10]
    return scgf[:10] + bytes([len(raw)]) + raw + scgf[11 + size :]


def bus_inputs(scgf: bytes) -> tuple[list[str], list[int]]:
    """(controls to point at :data:`TEST_BUS`, bus numbers to write the test signal to) for the
    SynthDef's audio bus readers. A control that is also the bus the SynthDef writes to (an
    effect that replaces what it reads: ``ReplaceOut.ar(out, f(In.ar(out)))``) keeps its
    default, and the test signal goes to that bus."""
    from audiomancer.supercollider.scgf import read_scgf

    graph = read_scgf(scgf)
    by_index = {index: name for name, index in graph.control_indices}
    defaults = dict(graph.controls)

    def control_at(source: int, output: int) -> str | None:
        feeding = graph.ugens[source]
        if feeding.name == "BinaryOpUGen" and feeding.inputs:  # In.ar(bus + 1)
            source, output = next(((s, o) for s, o in feeding.inputs if s >= 0), (-1, 0))
            if source < 0:
                return None
            feeding = graph.ugens[source]
        return by_index.get(feeding.special + output) if feeding.name in _CONTROL_UGENS else None

    written = {
        control_at(*ugen.inputs[0])
        for ugen in graph.ugens
        if ugen.name in _WRITERS and ugen.inputs and ugen.inputs[0][0] >= 0
    }
    names: list[str] = []
    buses: list[int] = []
    for ugen in graph.ugens:
        if ugen.name not in _BUS_READERS or ugen.rate != 2 or not ugen.inputs:
            continue
        source, output = ugen.inputs[0]
        if source < 0:
            buses.append(int(graph.constants[output]))
            continue
        name = control_at(source, output)
        if name is None:
            continue
        if name in written:
            buses.append(int(defaults[name][0]) if defaults.get(name) else 0)
        elif name not in names:
            names.append(name)
    return names, sorted(set(buses))


def reads_a_bus(scgf: bytes) -> bool:
    """True when the SynthDef reads an audio bus (``In.ar``, ``InFeedback.ar``): an effect."""
    names, constants = bus_inputs(scgf)
    return bool(names or constants)


_TEST_SCGF: dict[str, bytes] = {}


def test_signal() -> bytes:
    """Our test-signal SynthDef, compiled once per process by sclang."""
    if _TEST_SIGNAL_NAME not in _TEST_SCGF:
        from audiomancer.supercollider import lang

        _TEST_SCGF[_TEST_SIGNAL_NAME] = lang.compile_synthdef(_TEST_SIGNAL)
    return _TEST_SCGF[_TEST_SIGNAL_NAME]


def _window(
    index: int, probe: Probe, start: float, seconds: float, tail: float
) -> list[tuple[float, osc.Message]]:
    """The timed messages of one window of a probe score."""
    name = f"audiomancer_probe_{index}"
    scgf = renamed(probe.scgf, name)
    header = nrt.read_synthdef_header(scgf)
    group = _GROUP_BASE + index
    node = PROBE_NODE_BASE + 100 * index
    notes = nrt.phrase_notes(probe.scgf, seconds)
    timed: list[tuple[float, osc.Message]] = [
        (start, osc.message("/c_fill", 0, _CONTROL_BUSES, 0.0)),
        (start, osc.message("/d_recv", scgf)),
        (start, osc.message("/g_new", group, 0, 0)),
    ]
    if probe.test_input:
        controls, constants = bus_inputs(probe.scgf)
        buses = sorted({*constants, *([TEST_BUS] if controls else [])}) or [TEST_BUS]
        signal = test_signal()
        timed.append((start, osc.message("/d_recv", signal)))
        args: list[osc.OscArgument] = [name, node, 1, group]  # tail: after the test notes
        for control in controls:
            args += [control, float(TEST_BUS)]
        if header.has_gate:
            args += ["gate", 1.0]
        timed.append((start, osc.Message("/s_new", tuple(args))))
        if header.has_gate:
            timed.append((start + seconds, osc.message("/n_set", node, "gate", 0.0)))
        for offset, note in enumerate(notes):
            for k, bus in enumerate(buses):
                voice = node + 1 + offset * len(buses) + k
                timed.append((start + note.start_s, osc.message(
                    "/s_new", _TEST_SIGNAL_NAME, voice, 0, group, "freq", note.freq,
                    "amp", 0.3, "gate", 1.0, "bus", float(bus))))  # fmt: skip
                timed.append((start + note.end_s, osc.message("/n_set", voice, "gate", 0.0)))
    else:
        triggers = [item for pair in nrt.unset_triggers(probe.scgf).items() for item in pair]
        for offset, note in enumerate(notes):
            voice = node + offset
            args = [name, voice, 0, group, "freq", note.freq, "amp", note.amp, *triggers]
            if header.has_gate:
                args += ["gate", 1.0]
            timed.append((start + note.start_s, osc.Message("/s_new", tuple(args))))
            if header.has_gate:
                timed.append((start + note.end_s, osc.message("/n_set", voice, "gate", 0.0)))
    # freed in the gap after the measured window (scsynth acts on 64-sample block boundaries)
    timed.append((start + seconds + tail + GAP / 2, osc.message("/n_free", group)))
    return timed


def build_probe_score(
    probes: Sequence[Probe],
    seconds: float,
    tail: float,
    *,
    seeder: bytes | None = None,
    seed: int = seeding.DEFAULT_SEED,
) -> tuple[list[osc.Bundle], list[float]]:
    """The score auditioning every probe in its own window, and each window's start time.

    With ``seeder`` (:data:`~audiomancer.supercollider.seeding.SEED_SYNTHDEF` compiled) each
    window starts by seeding scsynth's random generator with ``seed``, so a probe's noise is
    the same in every run, whatever other probes share the score."""
    starts = [i * (seconds + tail + GAP) for i in range(len(probes))]
    timed: list[tuple[float, int, osc.Message]] = []
    if seeder is not None:
        timed.append((0.0, -1, osc.message("/d_recv", seeder)))
    order = 0
    for index, (probe, start) in enumerate(zip(probes, starts, strict=True)):
        for moment, message in _window(index, probe, start, seconds, tail):
            # At one moment: a release before a new note, and the window set-up first.
            rank = 0 if message.address in ("/c_fill", "/d_recv", "/g_new") else (
                1 if message.address == "/n_set" else 2)  # fmt: skip
            timed.append((round(moment, 6), rank * 10**6 + order, message))
            order += 1
        if seeder is not None:  # after the set-up, before the window's first note
            own = seed if probe.seed is None else probe.seed
            timed.append((round(start, 6), order, seeding.seed_message(own)))
            order += 1
    end = starts[-1] + seconds + tail + GAP
    timed.append((round(end, 6), 3 * 10**6, osc.message("/c_set", 0, 0.0)))
    timed.sort(key=lambda item: (item[0], item[1]))
    bundles: list[osc.Bundle] = []
    for moment, _, message in timed:
        if bundles and bundles[-1].time == moment:
            bundles[-1] = osc.Bundle(moment, (*bundles[-1].contents, message))
        else:
            bundles.append(osc.Bundle(moment, (message,)))
    return bundles, starts


def audition_many(
    probes: Sequence[Probe | bytes],
    seconds: float = 2.0,
    *,
    tail: float = 1.0,
    timeout: float = 60.0,
) -> list[Outcome]:
    """Audition each SynthDef (SCgf bytes, or a :class:`Probe`) with its phrase, all in one
    scsynth run: a :class:`~audiomancer.supercollider.nrt.RenderResult` per probe (its ``path``
    is gone: the WAV is deleted after measuring), or the SynthDefError scsynth gave for it."""
    items = [p if isinstance(p, Probe) else Probe(bytes(p)) for p in probes]
    if not items:
        return []
    # A SynthDef scsynth would refuse for its size is told apart before rendering: in a shared
    # run its failure could not be told from the others', which would each render alone.
    refused = {i: _too_many_wires(item.scgf) for i, item in enumerate(items)}
    if any(refused.values()):
        playing = [i for i in range(len(items)) if refused[i] is None]
        heard = audition_many([items[i] for i in playing], seconds, tail=tail, timeout=timeout)
        found: dict[int, Outcome] = dict(zip(playing, heard, strict=True))
        for i, error in refused.items():
            if error is not None:
                found[i] = error
        return [found[i] for i in range(len(items))]
    folder = scratch_dir() / "audition"
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="probe-", dir=folder))
    try:
        # seeded: a noisy SynthDef's verdict (kept, scaled down, refused) is the same every run
        bundles, starts = build_probe_score(items, seconds, tail, seeder=seed_synthdef(timeout))
        path = work / f"probe-{secrets.token_hex(4)}.wav"
        try:
            _run(bundles, path, timeout)
        except SynthDefError as failure:
            if len(items) == 1:
                return [failure]
            return [audition_many([item], seconds, tail=tail, timeout=timeout)[0] for item in items]
        samples, rate = _samples(path)
        length = round((seconds + tail) * rate)
        windows = [samples[round(start * rate) : round(start * rate) + length] for start in starts]
        return [measure_window(window, rate, path) for window in windows]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _too_many_wires(scgf: bytes) -> SynthDefError | None:
    """The error scsynth gives a SynthDef that needs more interconnect buffers than it has."""
    needed = wire_buffers(scgf)
    if needed <= MAX_WIRE_BUFFERS:
        return None
    name = nrt.read_synthdef_header(scgf).name
    return SynthDefError(
        f"scsynth could not play SynthDef {name!r}:\nexceeded number of interconnect buffers "
        f"(it needs {needed}, scsynth has {MAX_WIRE_BUFFERS})"
    )


def _ugens(bundles: Sequence[osc.Bundle]) -> set[str]:
    """The UGen classes a probe score plays: those of every SynthDef it loads (the probes',
    the test signal's, the seed synth's)."""
    from audiomancer.supercollider.scgf import read_scgf

    loaded = [
        message.args[0]
        for bundle in bundles
        for message in bundle.contents
        if isinstance(message, osc.Message) and message.address == "/d_recv"
    ]
    return {
        ugen.name for scgf in loaded if isinstance(scgf, bytes) for ugen in read_scgf(scgf).ugens
    }


def _run(bundles: list[osc.Bundle], path: Path, timeout: float) -> None:
    """scsynth with only the plugins the probes need (most of a probe's cost is scsynth's
    start, a third of it loading every plugin), else, when one is missing, with them all."""
    from audiomancer.supercollider import plugins

    ugens = _ugens(bundles)
    chosen = plugins.plugin_path_for(ugens)
    for attempt in (chosen, None) if chosen is not None else (None,):
        try:
            nrt.run_score(bundles, path, name="probe", timeout=timeout, plugin_path=attempt)
            return
        except SynthDefError as error:
            if attempt is None or not plugins.missing_ugen(str(error)):
                raise
            plugins.refuse_choice(ugens)


def _samples(path: Path) -> tuple[npt.NDArray[Any], int]:
    """The render's samples (frames × channels) as scsynth wrote them: 32-bit floats are kept
    as they are (exact for peaks, and a quarter of the work of converting them)."""
    import numpy as np

    from audiomancer.supercollider import wavio

    info = wavio.layout(path)
    if info.tag == 3 and info.bits == 32:
        count = info.frames * info.channels
        data = np.fromfile(path, dtype="<f4", count=count, offset=info.data_offset)
        return data.reshape(-1, info.channels), info.rate
    return nrt.read_wav(path)


def measure_window(samples: object, rate: int, path: Path) -> nrt.RenderResult:
    """The measures of a block of samples (frames × channels), as :func:`nrt.measure` takes
    them of a file; a block that only holds a DC offset is silent."""
    import numpy as np

    block = np.asarray(samples)
    if block.ndim == 1:
        block = block[:, None]
    if not block.size:
        return nrt.RenderResult(path, 0.0, rate, block.shape[1], 0.0, -math.inf, 0.0, -math.inf,
                                is_silent=True, has_nan=False, clipping=False)  # fmt: skip
    # Channel by channel on 1-D views: reductions along axis 0 of a frames × channels block
    # are ten times slower. max and min carry any NaN or infinity: the cheap test first.
    channels = [block[:, c] for c in range(block.shape[1])]
    high = np.array([c.max() for c in channels], dtype=np.float64)
    low = np.array([c.min() for c in channels], dtype=np.float64)
    has_nan = not (np.isfinite(high).all() and np.isfinite(low).all())
    if has_nan:
        finite = np.isfinite(block)
        block = np.where(finite, block, 0.0)
        count = int(finite.sum())
        channels = [block[:, c] for c in range(block.shape[1])]
        high = np.array([c.max() for c in channels], dtype=np.float64)
        low = np.array([c.min() for c in channels], dtype=np.float64)
    else:
        count = block.size
    peak = float(max(np.abs(high).max(), np.abs(low).max()))
    # sums of squares by einsum in float64: no BLAS call (its threads spin on busy cores)
    squares = sum(float(np.einsum("i,i->", c, c, dtype=np.float64)) for c in channels)
    rms = math.sqrt(squares / count) if count else 0.0
    mean = np.array([c.sum(dtype=np.float64) for c in channels]) / block.shape[0]
    varying = float(max((high - mean).max(), (mean - low).max()))
    peak_dbfs = 20 * math.log10(peak) if peak > 0 else -math.inf
    silent = peak_dbfs < nrt.SILENCE_DBFS or varying < 10 ** (nrt.SILENCE_DBFS / 20)
    return nrt.RenderResult(
        path=path,
        duration_s=block.shape[0] / rate,
        sample_rate=rate,
        channels=block.shape[1],
        rms=rms,
        rms_dbfs=20 * math.log10(rms) if rms > 0 else -math.inf,
        peak=peak,
        peak_dbfs=peak_dbfs,
        is_silent=silent,
        has_nan=has_nan,
        clipping=peak >= 1.0,
        swing=varying,
    )


def scaled(result: nrt.RenderResult, factor: float) -> nrt.RenderResult | None:
    """The measures the same window would have with every sample multiplied by ``factor``
    (> 0), or None when that cannot be told (no swing measured, NaN samples). For a SynthDef
    whose outputs are scaled, and that reads no bus (so the scaling cannot feed back into its
    sound), this is what rendering it again would measure: exactly so for a power of two and a
    deterministic SynthDef, up to its own randomness otherwise."""
    if result.swing is None or result.has_nan or not factor > 0:
        return None
    peak, rms, swing = result.peak * factor, result.rms * factor, result.swing * factor
    peak_dbfs = 20 * math.log10(peak) if peak > 0 else -math.inf
    floor = 10 ** (nrt.SILENCE_DBFS / 20)
    return replace(
        result,
        rms=rms,
        rms_dbfs=20 * math.log10(rms) if rms > 0 else -math.inf,
        peak=peak,
        peak_dbfs=peak_dbfs,
        is_silent=peak_dbfs < nrt.SILENCE_DBFS or swing < floor,
        clipping=peak >= 1.0,
        swing=swing,
    )


MAX_WIRE_BUFFERS: Final = 64
"""Interconnect buffers scsynth has for one SynthDef's audio-rate signals (``-w``; also the
default of a live server's ``ServerOptions.numWireBufs``): a SynthDef needing more is refused
with "exceeded number of interconnect buffers"."""


def wire_buffers(scgf: bytes) -> int:
    """How many interconnect buffers scsynth gives the compiled SynthDef, counted as its
    GraphDef loader colours them: UGen by UGen in order, an audio-rate output takes a free
    buffer (or a new one) until its last consumer has read it (one with no consumer keeps
    its buffer)."""
    from audiomancer.supercollider.scgf import read_scgf

    ugens = read_scgf(scgf).ugens
    consumers: dict[tuple[int, int], int] = {}
    for ugen in ugens:
        for source, output in ugen.inputs:
            if source >= 0:
                consumers[source, output] = consumers.get((source, output), 0) + 1
    free: list[int] = []
    refs: list[int] = []
    buffer_of: dict[tuple[int, int], int] = {}
    for index, ugen in enumerate(ugens):
        for source, output in reversed(ugen.inputs):
            buffer = buffer_of.get((source, output)) if source >= 0 else None
            if buffer is not None:
                refs[buffer] -= 1
                if refs[buffer] == 0:
                    free.append(buffer)
        for output, rate in enumerate(ugen.outputs):
            if rate == 2:
                buffer = free.pop() if free else len(refs)
                if buffer == len(refs):
                    refs.append(0)
                refs[buffer] = consumers.get((index, output), 0)
                buffer_of[index, output] = buffer
    return len(refs)


BUS_READING: Final = frozenset({"In", "InFeedback", "InTrig", "LagIn", "SharedIn"})
"""UGens through which a SynthDef can hear what it (or another) writes to a bus."""


def seed_synthdef(timeout: float = 30.0) -> bytes:
    """:data:`~audiomancer.supercollider.seeding.SEED_SYNTHDEF` compiled (kept on disk)."""
    from audiomancer.supercollider.pattern_render import compile_cached

    return compile_cached(seeding.SEED_SYNTHDEF, timeout)


def reads_any_bus(scgf: bytes) -> bool:
    """True when the compiled SynthDef reads an audio or control bus (any rate)."""
    from audiomancer.supercollider.scgf import read_scgf

    return any(ugen.name in BUS_READING for ugen in read_scgf(scgf).ugens)


def render_effect_phrase(
    synthdef_code: str | bytes,
    seconds: float = 2.0,
    path: Path | None = None,
    *,
    tail: float = 1.0,
    timeout: float = 30.0,
    seed: int | None = None,
) -> nrt.RenderResult:
    """Audition an effect: the test signal plays the phrase into the bus the SynthDef reads
    (see the module doc), and the WAV of what comes out is written to ``path`` (atomically).
    ``seed`` as for :func:`audiomancer.supercollider.nrt.render`."""
    from audiomancer.supercollider import lang

    if seed is not None:
        seed = seeding.validate_seed(seed)
    scgf = (
        lang.compile_synthdef(synthdef_code, timeout=timeout)
        if isinstance(synthdef_code, str)
        else bytes(synthdef_code)
    )
    effect = [Probe(scgf, test_input=True)]
    if seed is None:
        bundles, _ = build_probe_score(effect, seconds, tail)
    else:
        bundles, _ = build_probe_score(
            effect, seconds, tail, seeder=seed_synthdef(timeout), seed=seed
        )
    name = nrt.read_synthdef_header(scgf).name
    if path is None:
        path = scratch_dir() / "renders" / f"{name[:48] or 'effect'}-{secrets.token_hex(4)}.wav"
    return nrt.render_score(bundles, path, name=name, timeout=timeout)
