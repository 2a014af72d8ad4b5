"""Render a stored pattern to a WAV file through the real ``scsynth -N``: :func:`render_pattern`.

- **Drums** play a drum kit (:mod:`audiomancer.supercollider.kit`): each hit is an ``/s_new`` of
  its class's SynthDef at the hit's exact time (OSC time tags are 32.32 fixed point, far finer
  than a sample; the kit writes with ``OffsetOut``, so hits land on their sample), with
  ``amp = <the voice's default amp> * (velocity / 127) ** 2``, the Tidal export's curve.
- **Melody and bass** play one synth (SuperCollider code): every note is an ``/s_new`` at its onset
  with its frequency, amplitude (same curve) and gate open, and an ``/n_set gate 0`` at its end
  when the synth has a gate (else it must free itself). The control names are read from the
  compiled SynthDef: frequency ``freq``/``frequency``/``hz``/``note_freq``, amplitude
  ``amp``/``amplitude``/``gain``/``level``/``vol``, gate ``gate``/``trig``/``t_gate``. A synth
  without a frequency control is a :class:`~audiomancer.errors.SynthDefError`.
- Each lane (a drum class, or the melodic part) writes to its own stereo bus pair, so one scsynth
  run gives the mix and every stem; stems sum to the mix exactly.
- The file lasts the pattern plus the release tail, cut where the sound has died away (below
  -80 dBFS) and at most ``tail_cap`` seconds. The mix is scaled down (never up) so its peak stays
  at :data:`PEAK_CEILING_DBFS`, the same gain for every stem: relative levels never change.
- Output is 24-bit PCM by default (16-bit PCM or 32-bit float on request); everything after the
  render is streamed block by block, so memory stays bounded for long renders.
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from audiomancer import engines
from audiomancer.errors import SynthDefError
from audiomancer.paths import scratch_dir
from audiomancer.patterns.model import DRUM_CLASS_BY_PITCH, Pattern
from audiomancer.supercollider import kit as kits
from audiomancer.supercollider import library, nrt, osc, wavio
from audiomancer.supercollider.scgf import read_scgf
from audiomancer.supercollider.seeding import (
    DEFAULT_SEED,
    SEED_SYNTHDEF,
    seed_score,
    validate_seed,
)

MAX_RENDER_SECONDS: Final = 600.0
"""The longest render (pattern plus tail) accepted; longer is a ValueError."""
PEAK_CEILING_DBFS: Final = -1.0
PEAK_CEILING: Final = 10 ** (PEAK_CEILING_DBFS / 20)
TAIL_CAP: Final = 3.0
"""Seconds of release tail rendered after the pattern at most."""
TAIL_SILENCE: Final = 1e-4
"""Tail samples below this level (-80 dBFS) count as died away."""
DEFAULT_SYNTHS: Final = {"bass": "tb303", "melody": "saw_lead"}
"""The template a melodic pattern plays when no synth is given."""
FREQ_CONTROLS: Final = ("freq", "frequency", "hz", "note_freq")
AMP_CONTROLS: Final = ("amp", "amplitude", "gain", "level", "vol")
GATE_CONTROLS: Final = ("gate", "trig", "t_gate")
STALE_SECONDS: Final = 3600.0
"""Temporary render files older than this are swept away by the next render."""
_FALLBACK_AMP: Final = 0.3
ADD_TO_TAIL: Final = 1


@dataclass(frozen=True)
class Lane:
    """One lane of a render: its name (drum class or pattern type) and its notes' count."""

    name: str
    notes: int
    synthdef: str


@dataclass(frozen=True)
class PatternRender:
    """A rendered pattern: the mix's file and measures, and the stems written (if any)."""

    path: Path
    duration_s: float
    sample_rate: int
    peak: float
    peak_dbfs: float
    rms: float
    rms_dbfs: float
    gain: float
    """Linear gain applied to the mix and stems to keep the peak under the ceiling (<= 1)."""
    lanes: tuple[Lane, ...]
    stems: dict[str, Path] = field(default_factory=dict)


def _control(controls: Mapping[str, float], names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in controls), None)


def _amp_default(controls: Mapping[str, float], name: str | None) -> float:
    value = controls.get(name, _FALLBACK_AMP) if name else _FALLBACK_AMP
    return value if math.isfinite(value) and value > 0 else _FALLBACK_AMP


def default_synth_source(pattern_type: str) -> str:
    """Code of the template a melodic pattern plays by default (tb303 for bass, a lead)."""
    return library.template_source(DEFAULT_SYNTHS.get(pattern_type, DEFAULT_SYNTHS["melody"]))


def sweep_stale(folder: Path | None = None, older_than: float = STALE_SECONDS) -> int:
    """Remove render leftovers (work folders, ``.*.tmp`` partial files) older than a limit.

    Looks in ``scratch_dir()/nrt`` and, when given, ``folder`` (where partial WAVs are written
    beside their destination). Returns how many were removed.
    """
    now = time.time()
    removed = 0
    candidates = list((scratch_dir() / "nrt").glob("render-*"))
    if folder is not None and folder.is_dir():
        candidates += list(folder.glob(".*.tmp"))
    for path in candidates:
        try:
            if now - path.stat().st_mtime < older_than:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
            removed += 1
        except OSError:
            continue
    return removed


def compile_cached(code: str, timeout: float) -> bytes:
    """SCgf bytes of SynthDef code, compiled once by sclang and then kept on disk.

    The cache (``scratch_dir()/scgf``) is keyed by the SHA-256 of the code, so a render of the
    kit or a template needs no sclang at all after the first time. Bytes read back that are not
    a SynthDef are compiled again.
    """
    import hashlib

    from audiomancer.atomic import atomic_write_bytes

    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
    cached = scratch_dir() / "scgf" / f"{digest}.scgf"
    try:
        data = cached.read_bytes()
        nrt.read_synthdef_header(data)
        return data
    except (OSError, SynthDefError):
        pass
    from audiomancer.supercollider import lang  # only when the code is new: a cache miss

    data = lang.compile_synthdef(code, timeout=timeout)
    cached.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(cached, data)
    return data


def _score(
    pattern: Pattern,
    synth_code: str | None,
    kit: str | Path,
    timeout: float,
    end_s: float,
    seed: int,
    separate: bool,
) -> tuple[list[osc.Bundle], list[Lane], set[str]]:
    """The score, its lanes and the UGen classes its SynthDefs use. ``separate``: each lane
    on its own pair of output channels (for stems), else every lane on the first pair."""
    tick = pattern.seconds_per_tick()
    seeder = compile_cached(SEED_SYNTHDEF, timeout)
    loads: list[osc.Message] = []
    scgfs = [seeder]
    events: dict[float, list[osc.Message]] = {}
    releases: dict[float, list[osc.Message]] = {}
    lanes: list[Lane] = []
    node = nrt.FIRST_NODE_ID
    if pattern.type == "drums":
        voices = kits.load_kit(kit)
        by_class: dict[str, list[tuple[float, int]]] = {}
        for note in sorted(pattern.notes):
            drum = DRUM_CLASS_BY_PITCH[note.pitch].name
            by_class.setdefault(drum, []).append((note.start * tick, note.velocity))
        for drum, hits in by_class.items():
            voice = voices[drum]
            scgf = compile_cached(voice.source(), timeout)
            header = nrt.read_synthdef_header(scgf)
            loads.append(osc.message("/d_recv", scgf))
            scgfs.append(scgf)
            amp_name = _control(header.controls, AMP_CONTROLS)
            base = _amp_default(header.controls, amp_name)
            bus = 2 * len(lanes) if separate else 0
            for start, velocity in hits:
                args: list[osc.OscArgument] = [header.name, node, ADD_TO_TAIL, 0, "out", bus]
                if amp_name:
                    args += [amp_name, base * kits.velocity_amp(velocity)]
                events.setdefault(start, []).append(osc.Message("/s_new", tuple(args)))
                node += 1
            lanes.append(Lane(drum, len(hits), header.name))
    else:
        code = synth_code if synth_code is not None else default_synth_source(pattern.type)
        scgf = compile_cached(code, timeout)
        header = nrt.read_synthdef_header(scgf)
        freq_name = _control(header.controls, FREQ_CONTROLS)
        if freq_name is None:
            raise SynthDefError(
                f"SynthDef {header.name!r} has no frequency control (one of "
                f"{', '.join(FREQ_CONTROLS)}): it cannot play notes; its controls are "
                f"{', '.join(header.controls) or 'none'}"
            )
        amp_name = _control(header.controls, AMP_CONTROLS)
        gate_name = _control(header.controls, GATE_CONTROLS)
        base = _amp_default(header.controls, amp_name)
        loads.append(osc.message("/d_recv", scgf))
        scgfs.append(scgf)
        for note in sorted(pattern.notes):
            args = [header.name, node, ADD_TO_TAIL, 0, freq_name, nrt.midi_to_hz(note.pitch)]
            if "out" in header.controls:
                args += ["out", 0]
            if amp_name:
                args += [amp_name, base * kits.velocity_amp(note.velocity)]
            if gate_name:
                args += [gate_name, 1.0]
                releases.setdefault(note.end * tick, []).append(
                    osc.message("/n_set", node, gate_name, 0.0)
                )
            events.setdefault(note.start * tick, []).append(osc.Message("/s_new", tuple(args)))
            node += 1
        lanes.append(Lane(pattern.type, len(pattern.notes), header.name))
    for moment, messages in releases.items():
        events[moment] = messages + events.get(moment, [])
    bundles = [osc.Bundle(0.0, tuple(loads))]
    bundles += [osc.Bundle(moment, tuple(events[moment])) for moment in sorted(events)]
    bundles.append(osc.Bundle(end_s, (osc.message("/c_set", 0, 0.0),)))
    # The seed synth at the head of the root group, every note at its tail: it seeds the
    # generators before any note of the same control block draws (see seeding).
    bundles = seed_score(bundles, seeder, seed)
    ugens = {ugen.name for data in scgfs for ugen in read_scgf(data).ugens}
    return bundles, lanes, ugens


def _run(
    bundles: list[osc.Bundle],
    raw: Path,
    ugens: set[str],
    *,
    name: str,
    sample_rate: int,
    channels: int,
    timeout: float,
) -> None:
    """scsynth with only the plugins the score needs (a faster start), else with them all."""
    from audiomancer.supercollider import plugins

    plugin_path = plugins.plugin_path_for(ugens)
    for attempt in (plugin_path, None) if plugin_path is not None else (None,):
        try:
            nrt.run_score(
                bundles, raw, name=name, sample_rate=sample_rate, channels=channels,
                sample_format="float", timeout=timeout, plugin_path=attempt,
            )  # fmt: skip
            return
        except SynthDefError as error:
            if attempt is None or not plugins.missing_ugen(str(error)):
                raise
            plugins.refuse_choice(ugens)


def _partial(destination: Path) -> Path:
    return destination.parent / f".{destination.name}.{secrets.token_hex(4)}.tmp"


def render_pattern(
    pattern: Pattern,
    path: Path,
    *,
    synth_code: str | None = None,
    kit: str | Path = kits.DEFAULT_KIT,
    stems: Path | None = None,
    sample_format: wavio.OutputFormat = "int24",
    sample_rate: int = nrt.DEFAULT_RATE,
    tail_cap: float = TAIL_CAP,
    timeout: float | None = None,
    seed: int = DEFAULT_SEED,
) -> PatternRender:
    """Render a pattern to a stereo WAV at ``path`` (and one WAV per lane under ``stems``).

    ``synth_code`` is the SuperCollider code of the synth a melodic pattern plays (by default
    :data:`DEFAULT_SYNTHS`); drums play ``kit`` (a kit name or a folder, see
    :func:`audiomancer.supercollider.kit.load_kit`). ``sample_format`` is ``int24``, ``int16``
    or ``float``. ``seed`` (0 to 2**24) seeds scsynth's random generators: the same pattern with
    the same arguments and seed gives the same bytes, in any process. Files are written
    atomically. Raises ValueError for a render longer than
    :data:`MAX_RENDER_SECONDS` or bad arguments, SynthDefError for a synth that does not compile,
    cannot be played or has no frequency control, EngineNotFoundError naming the Debian package
    when scsynth or sclang is missing.
    """
    if sample_format not in wavio.OUTPUT_FORMATS:
        raise ValueError(
            f"invalid sample format {sample_format!r}: expected one of "
            f"{', '.join(wavio.OUTPUT_FORMATS)}"
        )
    seed = validate_seed(seed)
    tail_cap = nrt._finite("tail_cap", tail_cap, low=0, strict=False)
    length = pattern.length * pattern.seconds_per_tick()
    end_s = length + tail_cap
    if end_s > MAX_RENDER_SECONDS:
        raise ValueError(
            f"render of {end_s:.1f} s is too long: at most {MAX_RENDER_SECONDS:g} s "
            "(pattern plus tail)"
        )
    if not pattern.notes:
        raise ValueError("the pattern has no notes: nothing to render")
    engines.find("scsynth")
    limit = timeout if timeout is not None else 30.0 + end_s
    destination = Path(path).absolute()
    destination.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(destination.parent)
    bundles, lanes, ugens = _score(
        pattern, synth_code, kit, limit, end_s, seed, separate=stems is not None
    )
    channels = 2 * len(lanes) if stems is not None else 2
    work = scratch_dir() / "nrt"
    work.mkdir(parents=True, exist_ok=True)
    raw = work / f"render-{secrets.token_hex(6)}.wav"
    partials: list[Path] = []
    try:
        _run(
            bundles, raw, ugens, name=lanes[0].synthdef, sample_rate=sample_rate,
            channels=channels, timeout=limit,
        )  # fmt: skip
        # Pass 1: peak of the mix, and where the sound has died away after the pattern (only
        # blocks that reach past the pattern's end are searched for it).
        import numpy as np

        mix_peak, last_loud, frames = 0.0, 0, 0
        pattern_frames = round(length * sample_rate)
        for block in wavio.blocks(raw):
            mix = block if stems is None else block.reshape(block.shape[0], -1, 2).sum(axis=1)
            top = float(np.abs(mix).max()) if mix.size else 0.0
            if not math.isfinite(top):  # NaN or infinity propagate into the maximum
                raise SynthDefError(f"SynthDef {lanes[0].synthdef!r} produced NaN or infinity")
            mix_peak = max(mix_peak, top)
            end = frames + block.shape[0]
            if end > pattern_frames and top > TAIL_SILENCE:
                start = max(0, pattern_frames - frames)
                loud = np.flatnonzero(np.abs(mix[start:]).max(axis=1) > TAIL_SILENCE)
                if loud.size:
                    last_loud = frames + start + int(loud[-1]) + 1
            frames = end
        keep = min(frames, max(pattern_frames, last_loud))
        gain = min(1.0, PEAK_CEILING / mix_peak) if mix_peak > 0 else 1.0
        # Pass 2: write the mix (and stems) with the gain, measuring as it goes.
        partial = _partial(destination)
        partials.append(partial)
        stem_paths: dict[str, Path] = {}
        writers = [wavio.WavWriter(partial, 2, sample_rate, sample_format)]
        if stems is not None:
            stems.mkdir(parents=True, exist_ok=True)
            for lane in lanes:
                stem = (stems / f"{destination.stem}-{lane.name}.wav").absolute()
                stem_paths[lane.name] = stem
                stem_partial = _partial(stem)
                partials.append(stem_partial)
                writers.append(wavio.WavWriter(stem_partial, 2, sample_rate, sample_format))
        squares, peak, written = 0.0, 0.0, 0
        try:
            for block in wavio.blocks(raw):
                block = block[: max(0, keep - written)]
                if not block.shape[0]:
                    break
                if stems is None:
                    mix = block.astype(np.float64)
                    if gain != 1.0:
                        mix *= gain
                else:
                    lanes_audio = block.astype(np.float64).reshape(block.shape[0], -1, 2) * gain
                    mix = lanes_audio.sum(axis=1)
                    for index, writer in enumerate(writers[1:]):
                        writer.write(lanes_audio[:, index, :])
                writers[0].write(mix)
                flat = mix.reshape(-1)
                squares += float(np.square(flat).sum())  # not np.dot: BLAS threads, busy cores
                peak = max(peak, float(flat.max()), -float(flat.min()))
                written += block.shape[0]
        finally:
            for writer in writers:
                writer.close()
        for partial_path, final in zip(partials, [destination, *stem_paths.values()], strict=True):
            os.replace(partial_path, final)
        rms = math.sqrt(squares / (2 * written)) if written else 0.0
        return PatternRender(
            path=destination,
            duration_s=written / sample_rate,
            sample_rate=sample_rate,
            peak=peak,
            peak_dbfs=wavio.dbfs(peak),
            rms=rms,
            rms_dbfs=wavio.dbfs(rms),
            gain=gain,
            lanes=tuple(lanes),
            stems=stem_paths,
        )
    finally:
        raw.unlink(missing_ok=True)
        for partial_path in partials:
            partial_path.unlink(missing_ok=True)


__all__ = [
    "DEFAULT_SYNTHS",
    "MAX_RENDER_SECONDS",
    "PEAK_CEILING_DBFS",
    "Lane",
    "PatternRender",
    "compile_cached",
    "default_synth_source",
    "render_pattern",
    "sweep_stale",
]
