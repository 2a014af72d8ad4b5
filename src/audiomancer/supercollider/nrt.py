"""Offline rendering: play a SynthDef to a WAV file with ``scsynth -N`` and measure the result.

A render writes a non-real-time score (see :mod:`audiomancer.supercollider.osc`) from Python:

- at time 0, ``/d_recv`` with the SynthDef's SCgf bytes;
- at each note's onset, ``/s_new <name> <node> 0 0 freq <hz> amp <a> [gate 1] <controls...>``,
  every note with its own node id (1000, 1001, ...), added to the head of the root group;
- at each note's end, ``/n_set <node> gate 0`` when the SynthDef has a ``gate`` control (a synth
  without one must free itself, e.g. with ``doneAction: 2``, or it sounds to the end);
- at the end (last note end, or the pattern's length, plus ``tail``) a harmless ``/c_set 0 0``:
  scsynth stops rendering at the last command of the score.

scsynth then runs with a headless environment and a timeout (killed on a hang) in a throwaway
folder under :func:`audiomancer.paths.scratch_dir`, and writes a 32-bit float WAV (so NaN and
infinities survive and can be detected) next to the destination under a temporary name, which is
renamed over the destination once complete: readers never see half a file.

scsynth exits 0 even when the SynthDef cannot be loaded (a UGen that is not installed, a name it
does not know) and then writes silence (DESIGN §2), so its output is scanned for ``FAILURE IN
SERVER``, ``not installed``, ``exception`` and ``ERROR``; any such line raises
:class:`~audiomancer.errors.SynthDefError` quoting it. The one failure that is expected and
ignored is ``/n_set Node N not found``: a note's synth that freed itself before its gate closed.

The measures (:class:`RenderResult`) are taken over every sample of every channel: RMS and peak
(linear and dBFS), ``is_silent`` (peak below :data:`SILENCE_DBFS`), ``has_nan`` (any NaN or
infinity) and ``clipping`` (peak at or above full scale).
"""

from __future__ import annotations

import math
import os
import re
import secrets
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from audiomancer import engines, processes
from audiomancer.errors import EngineError, SynthDefError
from audiomancer.paths import scratch_dir
from audiomancer.patterns.model import Pattern
from audiomancer.supercollider import osc, seeding

if TYPE_CHECKING:  # numpy and sclang load where they are used: a cached render needs neither
    import numpy as np
    import numpy.typing as npt

SampleFormat = Literal["float", "int16", "int24", "int32"]

SILENCE_DBFS: Final = -60.0
"""A render whose peak is below this level counts as silent."""
PATTERN_AMP: Final = 0.5
"""Amplitude of a pattern note of velocity 127 (velocity v plays at ``v / 127 * PATTERN_AMP``)."""
FIRST_NODE_ID: Final = 1000
"""Node id of the first note; each further note takes the next id."""
DEFAULT_RATE: Final = 44100
RT_MEMORY_KB: Final = 65536
"""Real-time memory for scsynth (``-m``): delay lines and reverbs allocate from it."""
_OUTPUT_TAIL: Final = 20
"""How many failure lines an error message quotes."""

_FAILURE: Final = r"(?i)FAILURE|not installed|exception|ERROR|not found"
_BENIGN: Final = r"FAILURE IN SERVER /n_set Node \d+ not found"
_SAMPLE_FORMATS: Final[tuple[str, ...]] = ("float", "int16", "int24", "int32")


# -- notes -----------------------------------------------------------------------------------


def _finite(name: str, value: object, *, low: float, strict: bool) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or (value <= low if strict else value < low)
    ):
        bound = f"> {low:g}" if strict else f">= {low:g}"
        raise ValueError(f"invalid {name} {value!r}: expected a finite number {bound}")
    return float(value)


@dataclass(frozen=True)
class RenderNote:
    """One note to render: onset and length in seconds, frequency in Hz, amplitude (linear)."""

    start_s: float
    duration_s: float
    freq: float
    amp: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_s", _finite("start_s", self.start_s, low=0, strict=False))
        object.__setattr__(
            self, "duration_s", _finite("duration_s", self.duration_s, low=0, strict=True)
        )
        object.__setattr__(self, "freq", _finite("freq", self.freq, low=0, strict=True))
        object.__setattr__(self, "amp", _finite("amp", self.amp, low=0, strict=False))

    @property
    def end_s(self) -> float:
        """Second at which the note's gate closes."""
        return self.start_s + self.duration_s


def midi_to_hz(pitch: float) -> float:
    """Frequency of a MIDI pitch in equal temperament (A4 = MIDI 69 = 440 Hz)."""
    return 440.0 * math.pow(2.0, (pitch - 69) / 12)


def notes_from_pattern(pattern: Pattern, *, amp_scale: float = PATTERN_AMP) -> list[RenderNote]:
    """The pattern's notes in seconds at its tempo: MIDI pitch -> Hz, velocity -> amplitude.

    Drum hits are notes like any other (their General MIDI pitch becomes a frequency, which a
    drum synth may use or ignore). A velocity of 127 plays at ``amp_scale``.
    """
    tick = pattern.seconds_per_tick()
    return [
        RenderNote(
            start_s=note.start * tick,
            duration_s=note.duration * tick,
            freq=midi_to_hz(note.pitch),
            amp=note.velocity / 127 * amp_scale,
        )
        for note in pattern.notes
    ]


# -- SynthDef bytes ------------------------------------------------------------------------


@dataclass(frozen=True)
class SynthDefHeader:
    """What a render needs from SCgf bytes: the first SynthDef's name and its controls."""

    name: str
    controls: dict[str, float]
    """Control name -> default value (an array control is listed once, with its first value)."""

    @property
    def has_gate(self) -> bool:
        """True when the SynthDef has a control named ``gate`` (released at each note's end)."""
        return "gate" in self.controls


def read_synthdef_header(scgf: bytes) -> SynthDefHeader:
    """Name and controls of the first SynthDef in SCgf bytes (file versions 1 and 2).

    SynthDefError when the bytes are not a SynthDef file.
    """
    try:
        if scgf[:4] != b"SCgf":
            raise ValueError("it does not start with 'SCgf'")
        (version,) = struct.unpack_from(">i", scgf, 4)
        if version not in (1, 2):
            raise ValueError(f"unknown SCgf version {version}")
        count_format = ">i" if version == 2 else ">h"
        count_size = struct.calcsize(count_format)
        (defs,) = struct.unpack_from(">h", scgf, 8)
        if defs < 1:
            raise ValueError("it holds no SynthDef")
        position = 10

        def pstring() -> str:
            nonlocal position
            size = scgf[position]
            text = scgf[position + 1 : position + 1 + size].decode("utf-8", errors="replace")
            position += 1 + size
            return text

        def count() -> int:
            nonlocal position
            (value,) = struct.unpack_from(count_format, scgf, position)
            position += count_size
            return int(value)

        name = pstring()
        constants = count()
        position += 4 * constants
        params = count()
        defaults = struct.unpack_from(f">{params}f", scgf, position)
        position += 4 * params
        controls: dict[str, float] = {}
        for _ in range(count()):
            control = pstring()
            index = count()
            controls[control] = float(defaults[index]) if 0 <= index < params else math.nan
        return SynthDefHeader(name, controls)
    except (ValueError, IndexError, struct.error) as error:
        raise SynthDefError(f"not valid SynthDef (SCgf) bytes: {error}") from None


def _synthdef_bytes(synthdef: str | bytes, timeout: float) -> bytes:
    if isinstance(synthdef, bytes | bytearray | memoryview):
        return bytes(synthdef)
    if isinstance(synthdef, str):
        from audiomancer.supercollider import lang

        return lang.compile_synthdef(synthdef, timeout=timeout)
    raise TypeError(f"expected SuperCollider code (str) or SCgf bytes, not {type(synthdef)!r}")


# -- the score -------------------------------------------------------------------------------


def _check_controls(
    controls: Mapping[str, float] | None, header: SynthDefHeader
) -> list[tuple[str, float]]:
    checked: list[tuple[str, float]] = []
    for key, value in (controls or {}).items():
        if key not in header.controls:
            raise ValueError(
                f"SynthDef {header.name!r} has no control {key!r}: it has "
                f"{', '.join(header.controls) or 'none'}"
            )
        if key in ("freq", "amp", "gate"):
            raise ValueError(f"control {key!r} is set by each note, not by controls")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"invalid value {value!r} for control {key!r}: expected a number")
        if not math.isfinite(value):
            raise ValueError(f"invalid value {value!r} for control {key!r}: not finite")
        checked.append((key, float(value)))
    return checked


def build_score(
    scgf: bytes,
    notes: Sequence[RenderNote],
    *,
    end_s: float,
    controls: Mapping[str, float] | None = None,
) -> list[osc.Bundle]:
    """The bundles of a render's score (see the module documentation), in time order.

    ``end_s`` is when rendering stops; it must not come before the last note's end.
    """
    header = read_synthdef_header(scgf)
    extra = _check_controls(controls, header)
    last = max((note.end_s for note in notes), default=0.0)
    if not math.isfinite(end_s) or end_s <= 0 or end_s < last:
        raise ValueError(f"invalid end {end_s!r} s: expected a time > 0 and >= {last:g} s")
    events: dict[float, list[osc.Message]] = {0.0: [osc.message("/d_recv", scgf)]}
    releases: dict[float, list[osc.Message]] = {}
    for offset, note in enumerate(sorted(notes, key=lambda n: n.start_s)):
        node = FIRST_NODE_ID + offset
        args: list[osc.OscArgument] = [header.name, node, 0, 0, "freq", note.freq, "amp", note.amp]
        if header.has_gate:
            args += ["gate", 1.0]
        for key, value in extra:
            args += [key, value]
        events.setdefault(note.start_s, []).append(osc.Message("/s_new", tuple(args)))
        if header.has_gate:
            releases.setdefault(note.end_s, []).append(osc.message("/n_set", node, "gate", 0.0))
    # At one time, releases go first: a note ending where the next begins never swallows it.
    for moment, messages in releases.items():
        events[moment] = messages + events.get(moment, [])
    events.setdefault(end_s, []).append(osc.message("/c_set", 0, 0.0))
    return [osc.Bundle(moment, tuple(events[moment])) for moment in sorted(events)]


# -- measuring -------------------------------------------------------------------------------


def _dbfs(level: float) -> float:
    return 20 * math.log10(level) if level > 0 else -math.inf


@dataclass(frozen=True)
class RenderResult:
    """A rendered WAV file and its measures (over every sample of every channel)."""

    path: Path
    duration_s: float
    sample_rate: int
    channels: int
    rms: float
    """Root mean square of the finite samples (full scale = 1.0)."""
    rms_dbfs: float
    peak: float
    """Largest absolute finite sample (full scale = 1.0)."""
    peak_dbfs: float
    is_silent: bool
    """Peak below :data:`SILENCE_DBFS` (-60 dBFS)."""
    has_nan: bool
    """Some sample is NaN or infinite (the synth blew up)."""
    clipping: bool
    """Peak at or above full scale (1.0, 0 dBFS)."""
    log: str = field(default="", repr=False, compare=False)
    """What scsynth printed while rendering (empty for :func:`measure` alone)."""
    swing: float | None = field(default=None, repr=False, compare=False)
    """Largest distance of a finite sample from its channel's mean (what tells a sound from a
    DC offset); measured for probe windows (:mod:`audiomancer.supercollider.probe`), None
    otherwise."""

    @property
    def audible(self) -> bool:
        """Something can be heard: not silent, no NaN or infinity, not clipping."""
        return not self.is_silent and not self.has_nan and not self.clipping


_WAVE_FORMAT_PCM: Final = 1
_WAVE_FORMAT_FLOAT: Final = 3
_WAVE_FORMAT_EXTENSIBLE: Final = 0xFFFE


def read_wav(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """(samples shaped (frames, channels) scaled to full scale 1.0, sample rate) of a WAV file.

    Reads PCM (8, 16, 24, 32 bit) and IEEE float (32, 64 bit) WAV, plain or extensible. (The
    standard library's ``wave`` reads PCM only, and renders are float so NaN can be seen.)
    """
    import numpy as np

    data = Path(path).read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path} is not a RIFF WAVE file")
    position = 12
    fmt: bytes | None = None
    body: bytes | None = None
    while position + 8 <= len(data):
        chunk_id = data[position : position + 4]
        (size,) = struct.unpack_from("<I", data, position + 4)
        chunk = data[position + 8 : position + 8 + size]
        if chunk_id == b"fmt ":
            fmt = chunk
        elif chunk_id == b"data":
            body = chunk
        position += 8 + size + (size & 1)
    if fmt is None or body is None or len(fmt) < 16:
        raise ValueError(f"{path} lacks a fmt or data chunk")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        (tag,) = struct.unpack_from("<H", fmt, 24)
    width = bits // 8
    if channels < 1 or width < 1:
        raise ValueError(f"{path}: unsupported WAV layout ({channels} channels, {bits} bits)")
    usable = len(body) - len(body) % (width * channels)
    raw = body[:usable]
    samples: npt.NDArray[np.float64]
    if tag == _WAVE_FORMAT_FLOAT and width in (4, 8):
        samples = np.frombuffer(raw, dtype=f"<f{width}").astype(np.float64)
    elif tag == _WAVE_FORMAT_PCM and width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128) / 128
    elif tag == _WAVE_FORMAT_PCM and width in (2, 4):
        samples = np.frombuffer(raw, dtype=f"<i{width}").astype(np.float64) / 2 ** (bits - 1)
    elif tag == _WAVE_FORMAT_PCM and width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        values = bytes3[:, 0] | (bytes3[:, 1] << 8) | (bytes3[:, 2] << 16)
        values = np.where(values >= 2**23, values - 2**24, values)
        samples = values.astype(np.float64) / 2**23
    else:
        raise ValueError(f"{path}: unsupported WAV sample format (tag {tag}, {bits} bits)")
    return samples.reshape(-1, channels), int(rate)


def measure(path: Path) -> RenderResult:
    """The measures of a WAV file (see :class:`RenderResult`).

    A 32-bit float WAV (what scsynth renders) is read block by block, so memory stays bounded
    however long the file; other formats are read whole with :func:`read_wav`.
    """
    import numpy as np

    from audiomancer.supercollider import wavio

    info = wavio.layout(path)
    if info.tag == _WAVE_FORMAT_FLOAT and info.bits == 32:
        chunks: Iterable[npt.NDArray[np.floating]] = wavio.blocks(path)
        rate, channels, frames = info.rate, info.channels, info.frames
    else:
        samples, rate = read_wav(path)
        chunks, channels, frames = [samples], samples.shape[1], samples.shape[0]
    has_nan = False
    peak = 0.0
    squares = 0.0
    count = 0
    for chunk in chunks:
        finite = np.isfinite(chunk)
        if not finite.all():
            has_nan = True
        values = chunk[finite].astype(np.float64)
        if values.size:
            peak = max(peak, float(np.max(np.abs(values))))
            # einsum, not np.dot: BLAS threads spin on for a while after a call, on busy cores
            squares += float(np.einsum("i,i->", values, values))
            count += values.size
    rms = math.sqrt(squares / count) if count else 0.0
    peak_dbfs = _dbfs(peak)
    return RenderResult(
        path=Path(path),
        duration_s=frames / rate,
        sample_rate=rate,
        channels=channels,
        rms=rms,
        rms_dbfs=_dbfs(rms),
        peak=peak,
        peak_dbfs=peak_dbfs,
        is_silent=peak_dbfs < SILENCE_DBFS,
        has_nan=has_nan,
        clipping=peak >= 1.0,
    )


# -- rendering -------------------------------------------------------------------------------


def _failures(output: str) -> list[str]:
    return [
        line.strip()
        for line in output.splitlines()
        if re.search(_FAILURE, line) and not re.search(_BENIGN, line)
    ]


def _run_scsynth(
    score: bytes,
    destination: Path,
    *,
    sample_rate: int,
    channels: int,
    sample_format: SampleFormat,
    timeout: float,
    name: str,
    plugin_path: str | None = None,
) -> str:
    """Render the score with scsynth to destination (atomically); its output, or raise.

    ``plugin_path`` (``-U``: folders, ``:``-separated) replaces scsynth's own plugin folders.
    """
    executable = engines.find("scsynth")
    base = scratch_dir() / "nrt"
    base.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="render-", dir=base))
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.parent / f".{destination.name}.{secrets.token_hex(4)}.tmp"
    try:
        score_path = workdir / "score.osc"
        score_path.write_bytes(score)
        args = [
            str(executable),
            "-N", str(score_path), "_", str(partial), str(sample_rate), "WAV", sample_format,
            "-o", str(channels),
            "-i", "0",
            "-D", "0",
            "-m", str(RT_MEMORY_KB),
        ]  # fmt: skip
        if plugin_path is not None:
            args += ["-U", plugin_path]
        try:
            finished = processes.run(
                args,
                cwd=workdir,
                env=engines.sclang_environment(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise EngineError(
                f"scsynth did not finish rendering {name!r} within {timeout:g} s (timeout); "
                "it was killed"
            ) from None
        except OSError as error:
            raise EngineError(f"could not start scsynth ({executable}): {error}") from error
        output: str = finished.stdout + finished.stderr
        failures = _failures(output)
        if failures:
            quoted = "\n".join(failures[:_OUTPUT_TAIL])
            raise SynthDefError(f"scsynth could not play SynthDef {name!r}:\n{quoted}")
        if finished.returncode != 0 or not partial.is_file():
            tail = "\n".join(output.strip().splitlines()[-_OUTPUT_TAIL:]) or "(no output)"
            raise EngineError(
                f"scsynth failed to render {name!r} (exit code {finished.returncode}); its "
                f"output:\n{tail}"
            )
        _unstamp(partial)
        os.replace(partial, destination)
        return output
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)


def _unstamp(path: Path) -> None:
    """Zero the time stamp in a WAV's ``PEAK`` chunk: libsndfile (scsynth's writer) stamps the
    chunk of every float file with the wall clock, and a render must be the same bytes whenever
    it runs. Nothing reads the stamp; files without the chunk are left alone."""
    with open(path, "r+b") as handle:
        head = handle.read(512)  # the chunk comes right after fmt (and fact), before the data
        at = head.find(b"PEAK", 12)
        if at >= 0 and len(head) >= at + 16:
            handle.seek(at + 12)  # id, size, version, then the 4-byte stamp
            handle.write(bytes(4))


def _check_format(sample_rate: int, channels: int, sample_format: str) -> None:
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate < 1000:
        raise ValueError(f"invalid sample_rate {sample_rate!r}: expected an integer >= 1000")
    if isinstance(channels, bool) or not isinstance(channels, int) or not 1 <= channels <= 64:
        raise ValueError(f"invalid channels {channels!r}: expected an integer from 1 to 64")
    if sample_format not in _SAMPLE_FORMATS:
        raise ValueError(
            f"invalid sample_format {sample_format!r}: expected one of "
            f"{', '.join(map(repr, _SAMPLE_FORMATS))}"
        )


def render(
    synthdef_code: str | bytes,
    notes: Sequence[RenderNote] | Pattern,
    path: Path | None = None,
    *,
    tail: float = 1.0,
    sample_rate: int = DEFAULT_RATE,
    channels: int = 2,
    controls: Mapping[str, float] | None = None,
    timeout: float = 30.0,
    sample_format: SampleFormat = "float",
    seed: int | None = None,
) -> RenderResult:
    """Render a SynthDef playing notes (or a pattern) to a WAV file and measure it.

    ``synthdef_code`` is SuperCollider code evaluating to one SynthDef (compiled by the
    persistent sclang, :func:`audiomancer.supercollider.lang.compile_synthdef`) or SCgf bytes,
    used as they are. Each note plays with its ``freq`` and ``amp`` (and ``gate`` 1, released at
    its end, when the SynthDef has a gate); ``controls`` sets further controls of every note and
    must name controls the SynthDef has. A pattern plays at its tempo (see
    :func:`notes_from_pattern`) and renders for its whole length. Rendering stops ``tail``
    seconds after the last note's end (or the pattern's end).

    The WAV goes to ``path`` (by default a new file under ``scratch_dir()/renders``), written
    atomically, as 32-bit float unless ``sample_format`` says otherwise.

    Raises SynthDefError when the code does not compile or scsynth cannot play the SynthDef
    (a UGen that is not installed, ...), EngineNotFoundError naming the Debian package when
    scsynth (or sclang, for code) is missing, EngineError when scsynth crashes or exceeds
    ``timeout`` seconds (it is killed), ValueError for bad arguments.

    ``seed`` (0 to 2**24) seeds scsynth's random generators (:mod:`seeding`): the same call
    with the same seed writes the same bytes, in any process. None leaves them to the clock.
    """
    tail = _finite("tail", tail, low=0, strict=False)
    if seed is not None:
        seed = seeding.validate_seed(seed)
    timeout = _finite("timeout", timeout, low=0, strict=True)
    _check_format(sample_rate, channels, sample_format)
    if isinstance(notes, Pattern):
        length = notes.length * notes.seconds_per_tick()
        note_list = notes_from_pattern(notes)
    else:
        note_list = list(notes)
        length = 0.0
        for note in note_list:
            if not isinstance(note, RenderNote):
                raise TypeError(f"notes must be RenderNote objects, not {note!r}")
    end_s = max([length, *(note.end_s for note in note_list)]) + tail
    if end_s <= 0:
        raise ValueError("nothing to render: no notes and no tail")
    engines.find("scsynth")  # fail before compiling when scsynth is missing
    scgf = _synthdef_bytes(synthdef_code, timeout)
    header = read_synthdef_header(scgf)
    score = build_score(scgf, note_list, end_s=end_s, controls=controls)
    if seed is not None:
        score = seeding.seed_score(score, _synthdef_bytes(seeding.SEED_SYNTHDEF, timeout), seed)
    return render_score(
        score,
        path,
        name=header.name,
        sample_rate=sample_rate,
        channels=channels,
        sample_format=sample_format,
        timeout=timeout,
    )


def render_score(
    bundles: Sequence[osc.Bundle],
    path: Path | None = None,
    *,
    name: str = "score",
    sample_rate: int = DEFAULT_RATE,
    channels: int = 2,
    sample_format: SampleFormat = "float",
    timeout: float = 30.0,
) -> RenderResult:
    """Render any non-real-time score (e.g. from :func:`build_score`, edited) and measure it.

    The score must load its SynthDefs itself (``/d_recv``); rendering stops at its last bundle.
    ``name`` only names the render in messages and the default file name. Errors and the
    atomic write are as for :func:`render`; the result's ``log`` holds scsynth's output.
    """
    if path is None:
        safe = re.sub(r"[^\w.-]", "_", name)[:64] or "render"
        path = scratch_dir() / "renders" / f"{safe}-{secrets.token_hex(4)}.wav"
    # scsynth runs in a work folder of its own: a relative path must not be read from there.
    destination = Path(path).absolute()
    log = run_score(
        bundles,
        destination,
        name=name,
        sample_rate=sample_rate,
        channels=channels,
        sample_format=sample_format,
        timeout=timeout,
    )
    return replace(measure(destination), log=log)


def run_score(
    bundles: Sequence[osc.Bundle],
    path: Path,
    *,
    name: str = "score",
    sample_rate: int = DEFAULT_RATE,
    channels: int = 2,
    sample_format: SampleFormat = "float",
    timeout: float = 30.0,
    plugin_path: str | None = None,
) -> str:
    """Render a score to ``path`` as :func:`render_score` does, without measuring the file
    (callers that stream it themselves); scsynth's output. ``plugin_path`` replaces scsynth's
    plugin folders (``-U``)."""
    timeout = _finite("timeout", timeout, low=0, strict=True)
    _check_format(sample_rate, channels, sample_format)
    if not bundles:
        raise ValueError("an empty score renders nothing")
    return _run_scsynth(
        osc.encode_score(bundles),
        Path(path).absolute(),
        sample_rate=sample_rate,
        channels=channels,
        sample_format=sample_format,
        timeout=timeout,
        name=name,
        plugin_path=plugin_path,
    )


PHRASE_INTERVALS: Final = (0, 7, 3, 12)
MAX_PHRASE_SECONDS: Final = 60.0
"""The longest audition phrase (the WAV is ~21 MB a minute at 44.1 kHz stereo float)."""
"""Semitones above the SynthDef's default ``freq`` of the notes of :func:`render_phrase`."""


def render_phrase(
    synthdef_code: str | bytes,
    seconds: float = 2.0,
    path: Path | None = None,
    *,
    tail: float = 1.0,
    sample_rate: int = DEFAULT_RATE,
    channels: int = 2,
    controls: Mapping[str, float] | None = None,
    timeout: float = 30.0,
    seed: int | None = None,
) -> RenderResult:
    """Audition a SynthDef: a short phrase around its own range, rendered as :func:`render`
    (``seed`` too).

    Four notes share ``seconds`` evenly, each held for three quarters of its slot but the last,
    held to the end: the SynthDef's default ``freq`` (440 Hz when it has none), a fifth above, a
    minor third above, an octave above, at the SynthDef's default ``amp`` (0.3 when it has
    none, or a default of 0 that the player is to set: a note is played at some level). The
    file lasts ``seconds + tail``. ValueError for ``seconds`` outside
    (0, :data:`MAX_PHRASE_SECONDS`].
    """
    seconds = _finite("seconds", seconds, low=0, strict=True)
    if seconds > MAX_PHRASE_SECONDS:
        raise ValueError(
            f"invalid seconds {seconds:g}: a phrase lasts at most {MAX_PHRASE_SECONDS:g} s"
        )
    engines.find("scsynth")
    scgf = _synthdef_bytes(synthdef_code, timeout)
    notes = phrase_notes(scgf, seconds)
    return render(
        scgf,
        notes,
        path,
        tail=tail,
        sample_rate=sample_rate,
        channels=channels,
        controls={**unset_triggers(scgf), **(controls or {})},
        timeout=timeout,
        seed=seed,
    )


def phrase_notes(scgf: bytes, seconds: float) -> list[RenderNote]:
    """The notes :func:`render_phrase` plays for this SynthDef over ``seconds``."""
    defaults = read_synthdef_header(scgf).controls
    root = defaults.get("freq", 440.0)
    amp = defaults.get("amp", 0.3)
    if not (math.isfinite(root) and root > 0):
        root = 440.0
    if not (math.isfinite(amp) and amp > 0):  # an amp of 0 waits for the note's own
        amp = 0.3
    slot = seconds / len(PHRASE_INTERVALS)
    last = len(PHRASE_INTERVALS) - 1
    return [
        RenderNote(i * slot, slot if i == last else slot * 0.75, root * 2 ** (step / 12), amp)
        for i, step in enumerate(PHRASE_INTERVALS)
    ]


def unset_triggers(scgf: bytes) -> dict[str, float]:
    """Trigger controls (``t_trig``, a ``\\tr`` rate: a ``TrigControl``) whose default is 0,
    each set to 1: a phrase plays every note with its triggers fired, as a player would."""
    from audiomancer.supercollider.scgf import read_scgf

    graph = read_scgf(scgf)
    names = dict(graph.controls)
    fired: dict[str, float] = {}
    for ugen in graph.ugens:
        if ugen.name != "TrigControl":
            continue
        for name, index in graph.control_indices:
            if ugen.special <= index < ugen.special + len(ugen.outputs) and names.get(name) == (
                0.0,
            ):
                fired[name] = 1.0
    return fired


def window_peak(path: Path, start_s: float, end_s: float | None = None) -> float:
    """Peak (linear, finite samples) of a WAV file between two times, e.g. to check a tail."""
    import numpy as np

    samples, rate = read_wav(path)
    window = samples[int(start_s * rate) : None if end_s is None else int(end_s * rate)]
    finite = window[np.isfinite(window)]
    return float(np.max(np.abs(finite))) if finite.size else 0.0


__all__ = [
    "MAX_PHRASE_SECONDS",
    "PATTERN_AMP",
    "SILENCE_DBFS",
    "RenderNote",
    "RenderResult",
    "SynthDefHeader",
    "build_score",
    "measure",
    "midi_to_hz",
    "notes_from_pattern",
    "read_synthdef_header",
    "read_wav",
    "render",
    "render_phrase",
    "render_score",
    "run_score",
    "window_peak",
]
