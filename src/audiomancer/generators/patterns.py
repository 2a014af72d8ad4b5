"""PatternGenerator: drums, melodies and bass lines from the trained sequence models.

The spec's PatternGenerator runs Magenta's DrumsRNN and MelodyRNN; we run the same kind of
models (DESIGN §5): LSTM language models over Magenta's encodings, in numpy, with weights
shipped in the package (``audiomancer.models``). Generation never touches the network.

- Drums: ``drums_rnn`` is primed with a real pattern of the chosen style (``models/primers.json``,
  picked by the seed, heard twice) and reads the style as an input; the primer is not part of
  the result. Velocities come from the median velocity of each drum class at each bar position
  in the Groove MIDI training data, with a small seeded variation.
- Melody and bass: ``melody_rnn`` / ``bass_rnn`` sample under a hard mask, so every note is in
  the key and scale and in the register (melody G3-C6, bass E1-E3); the first note is a tone of
  the tonic chord (bass: the root).

Every call takes a seed (same seed and settings, same pattern, the same record id in any
process) and a temperature, and stores the pattern in a PatternStore: ``parent_ids`` [],
``generation_method`` "generated", MIDI data, Tidal and Pbind code. ``timeout`` (seconds) bounds
the whole call, checked at every sampled step: InferenceTimeoutError when it is exceeded.
"""

from __future__ import annotations

import math
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, overload

import numpy as np

from audiomancer.arguments import validate_amount
from audiomancer.atomic import new_file_mode
from audiomancer.errors import InferenceTimeoutError
from audiomancer.models.encoding import (
    FIRST_NOTE_EVENT,
    MAX_PITCH,
    MIN_PITCH,
    NO_EVENT,
    NOTE_OFF,
    NUM_DRUM_CLASSES,
    NUM_MELODY_EVENTS,
    STEPS_PER_BAR,
    STYLE_IDS,
    decode_drums,
    decode_melody,
    note_on_event,
)
from audiomancer.models.lstm import generate_batch, make_rng, validate_temperature
from audiomancer.models.primers import style_primers, validate_style
from audiomancer.models.registry import LoadedModel, load_model, validate_model_name
from audiomancer.paths import models_dir
from audiomancer.patterns.groove import (
    STRAIGHT,
    apply_swing,
    style_swing,
    validate_swing,
    validate_swing_grid,
)
from audiomancer.patterns.metadata import PatternMetadata, derive_pattern_id
from audiomancer.patterns.model import (
    SCALES,
    Pattern,
    key_pitch_class,
    normalize_key,
    scale_pitch_classes,
    validate_bars,
    validate_bpm,
    validate_scale,
)
from audiomancer.patterns.store import PatternStore

if TYPE_CHECKING:  # a Magenta bundle (--model) and the humanizer load only when used
    from audiomancer.models.magenta.bundle import MagentaBundle

PRIMER_REPEATS: Final = 2
"""How many times the style primer is fed before sampling."""
MELODY_REGISTER: Final = (55, 84)
"""Lowest and highest pitch of generated melodies (G3-C6)."""
BASS_REGISTER: Final = (28, 52)
"""Lowest and highest pitch of generated bass lines (E1-E3)."""
VELOCITY_JITTER: Final = 6

MAGENTA_BUNDLES: Final[dict[str, str]] = {
    "drums_rnn.mag": "drum_kit_rnn.mag",
    "melody_rnn.mag": "basic_rnn.mag",
}
"""Local file name -> Magenta's published bundle (DrumsRNN drum_kit, MelodyRNN basic)."""
MAGENTA_MODELS_URL: Final = "https://download.magenta.tensorflow.org/models/"
MODELS_URL_ENV: Final = "AUDIOMANCER_MODELS_URL"
"""Overrides the base URL download_models fetches from (a mirror, or a local test server)."""
DOWNLOAD_TIMEOUT_S: Final = 60.0

Style = Literal["basic", "techno", "house", "dnb"]
ScaleName = Literal["major", "minor", "pentatonic", "chromatic"]


class PatternGenerator:
    """Generate drum patterns, melodies and bass lines with the shipped sequence models."""

    def __init__(
        self, store: PatternStore | None = None, *, weights_dir: Path | None = None
    ) -> None:
        """``weights_dir`` replaces the shipped weight folder (tests, retrained models)."""
        self.store = store if store is not None else PatternStore()
        self.weights_dir = weights_dir
        self._models: dict[str, LoadedModel] = {}
        self._bundles: dict[str, MagentaBundle] = {}

    # --- models -------------------------------------------------------------------------

    def load_model(self, model_name: str | Path) -> None:
        """Load a model (``drums_rnn``, ``melody_rnn`` or ``bass_rnn``) and keep it cached.

        A name ending in ``.mag`` is a Magenta bundle: a path to the file, or a file name in
        the models folder (``drums_rnn.mag`` / ``melody_rnn.mag`` from download_models). From
        then on this generator samples drums (a DrumsRNN bundle) or melodies and bass lines (a
        MelodyRNN bundle) with it; without one the shipped models are used.

        ValueError for an unknown name; ModelLoadError for a missing or corrupt weight file or
        bundle (naming the file and what is wrong).
        """
        if str(model_name).endswith(".mag"):
            path = Path(model_name)
            if not path.is_file() and path.parent == Path("."):
                path = models_dir() / path.name
            from audiomancer.models.magenta.bundle import MagentaBundle

            bundle = MagentaBundle.load(path)
            self._bundles[bundle.kind] = bundle
            return
        self._model(str(model_name))

    def bundle(self, kind: Literal["drums", "melody"]) -> MagentaBundle | None:
        """The Magenta bundle loaded for drums or for melodies and bass, if any."""
        return self._bundles.get(kind)

    def _model(self, name: str) -> LoadedModel:
        validate_model_name(name)
        loaded = self._models.get(name)
        if loaded is None:
            loaded = load_model(name, self.weights_dir)
            self._models[name] = loaded
        return loaded

    def download_models(self) -> None:
        """Download Magenta's published model bundles into the models folder.

        Fetches DrumsRNN's ``drum_kit_rnn.mag`` and MelodyRNN's ``basic_rnn.mag`` from
        ``$AUDIOMANCER_MODELS_URL`` (default Magenta's download site) and stores them as
        ``drums_rnn.mag`` and ``melody_rnn.mag`` in ``paths.models_dir()``, each written
        atomically. Generation uses them after ``load_model("drums_rnn.mag")`` /
        ``load_model("melody_rnn.mag")`` (the shipped weights stay the default). Raises OSError
        (IOError) naming the URL when a download fails.
        """
        base = os.environ.get(MODELS_URL_ENV) or MAGENTA_MODELS_URL
        if not base.endswith("/"):
            base += "/"
        folder = models_dir()
        for local, remote in MAGENTA_BUNDLES.items():
            _download(base + remote, folder / local)

    # --- generation ---------------------------------------------------------------------

    @overload
    def generate_drums(
        self,
        style: Style = ...,
        bars: int = ...,
        bpm: float = ...,
        timeout: float = ...,
        *,
        seed: int | None = ...,
        temperature: float = ...,
        kit: str | None = ...,
        swing: float | None = ...,
        swing_grid: int = ...,
        humanize: float = ...,
        n: None = ...,
    ) -> PatternMetadata: ...
    @overload
    def generate_drums(
        self,
        style: Style = ...,
        bars: int = ...,
        bpm: float = ...,
        timeout: float = ...,
        *,
        seed: int | None = ...,
        temperature: float = ...,
        kit: str | None = ...,
        swing: float | None = ...,
        swing_grid: int = ...,
        humanize: float = ...,
        n: int,
    ) -> list[PatternMetadata]: ...
    def generate_drums(
        self,
        style: Style = "basic",
        bars: int = 4,
        bpm: float = 120.0,
        timeout: float = 30,
        *,
        seed: int | None = None,
        temperature: float = 1.0,
        kit: str | None = None,
        swing: float | None = None,
        swing_grid: int = 16,
        humanize: float = 0.0,
        n: int | None = None,
    ) -> PatternMetadata | list[PatternMetadata]:
        """Generate and store a drum pattern of a style: basic, techno, house or dnb.

        ``kit`` names the drum kit its Tidal code plays (``patterns/kits.py``; default dirt).
        ``swing`` is an MPC-style swing percent, 50 (straight) to 75, on every second 16th
        (``swing_grid=8``: 8th) (``patterns/groove.py``); None gives the style's default:
        house shuffles at 58 %, the others are straight (``swing=50`` straightens house).
        ``humanize`` (0.0-1.0) plays it with the learned drummer's velocities and timing
        (``models/humanizer.py``) at that amount, in the style's feel; 0 leaves it as generated.

        basic: four-on-the-floor kick, snare on 2 and 4; techno: 16th-hat variations; house:
        shuffle and open hats; dnb: fast syncopated breaks. ValueError naming a bad argument;
        InferenceTimeoutError past ``timeout`` seconds; ModelLoadError if the weights fail.

        ``n`` (1-256) samples that many patterns in one batched pass and returns the list:
        pattern i has the seed ``seed + i`` (each its own random stream) and equals a call
        with that seed; without a seed each draws a fresh one. ``timeout`` bounds the batch.
        """
        started = time.monotonic()
        style_name = validate_style(style)
        bars, bpm = validate_bars(bars), validate_bpm(bpm)
        check = _deadline(timeout, started)
        temperature = validate_temperature(temperature)
        swing = style_swing(style_name) if swing is None else validate_swing(swing)
        grid = validate_swing_grid(swing_grid)
        humanize = validate_amount(humanize)
        seeds = _seeds(seed, n)
        rngs = [make_rng(s) for s in seeds]
        loaded = self._model("drums_rnn")
        check()
        primers = style_primers(style_name)
        chosen = [primers[int(rng.integers(len(primers)))] for rng in rngs]
        bundle = self._bundles.get("drums")
        if bundle is None:
            batch = generate_batch(
                loaded.model,
                steps=bars * STEPS_PER_BAR,
                rngs=rngs,
                temperature=temperature,
                primers=[primer.states * PRIMER_REPEATS for primer in chosen],
                style=STYLE_IDS[style_name],
                check=check,
            )
        else:
            from audiomancer.generators.bundles import bundle_drums

            batch = [
                bundle_drums(
                    bundle,
                    primer.states * PRIMER_REPEATS,
                    steps=bars * STEPS_PER_BAR,
                    rng=rng,
                    temperature=temperature,
                    check=check,
                )
                for rng, primer in zip(rngs, chosen, strict=True)
            ]
        table = loaded.model.extras["velocity"].astype(np.int64)
        patterns = []
        for rng, states in zip(rngs, batch, strict=True):
            jitter = rng.integers(
                -VELOCITY_JITTER, VELOCITY_JITTER + 1, (len(states), NUM_DRUM_CLASSES)
            )
            velocities = np.clip(
                table.T[np.arange(len(states)) % STEPS_PER_BAR] + jitter, 1, 127
            ).tolist()
            notes = decode_drums(states, velocities)
            pattern = Pattern(tuple(notes), "drums", bars, bpm, style=style_name, kit=kit)
            pattern = apply_swing(pattern, swing, grid)
            if humanize > 0:
                from audiomancer.models.humanizer import humanize as humanize_drums
                from audiomancer.models.humanizer import load_humanizer

                draw = int(rng.integers(2**63))
                humanizer = load_humanizer()
                pattern = humanize_drums(pattern, humanize, draw, style_name, model=humanizer)
            patterns.append(pattern)
        check()
        voice = () if kit is None else (kit,)
        groove: tuple[object, ...] = () if swing == STRAIGHT else (("swing", swing, grid),)
        if humanize > 0:
            from audiomancer.models.humanizer import load_humanizer

            groove += (("humanize", humanize, load_humanizer().digest),)
        stored_seeds = None if seed is None else seeds
        records = self._store(
            patterns,
            loaded,
            stored_seeds,
            temperature,
            ("drums", style_name, *voice, *groove),
            bundle,
        )
        return records[0] if n is None else records

    @overload
    def generate_melody(
        self,
        key: str = ...,
        scale: ScaleName = ...,
        bars: int = ...,
        bpm: float = ...,
        timeout: float = ...,
        *,
        seed: int | None = ...,
        temperature: float = ...,
        sound: str | None = ...,
        n: None = ...,
    ) -> PatternMetadata: ...
    @overload
    def generate_melody(
        self,
        key: str = ...,
        scale: ScaleName = ...,
        bars: int = ...,
        bpm: float = ...,
        timeout: float = ...,
        *,
        seed: int | None = ...,
        temperature: float = ...,
        sound: str | None = ...,
        n: int,
    ) -> list[PatternMetadata]: ...
    def generate_melody(
        self,
        key: str = "C",
        scale: ScaleName = "minor",
        bars: int = 4,
        bpm: float = 120.0,
        timeout: float = 30,
        *,
        seed: int | None = None,
        temperature: float = 1.0,
        sound: str | None = None,
        n: int | None = None,
    ) -> PatternMetadata | list[PatternMetadata]:
        """Generate and store a melody in a key and scale (every note in the scale, G3-C6).

        ``sound`` is the SuperDirt sound its Tidal code plays (default superpiano).

        Scales: major, minor (natural), pentatonic (minor pentatonic), chromatic.
        ValueError naming a bad argument; InferenceTimeoutError past ``timeout`` seconds.
        ``n``: a list of that many melodies in one batched pass, as in ``generate_drums``.
        """
        records = self._line("melody", key, scale, bars, bpm, timeout, seed, temperature, sound, n)
        return records[0] if n is None else records

    @overload
    def generate_bass(
        self,
        key: str = ...,
        scale: ScaleName = ...,
        bars: int = ...,
        bpm: float = ...,
        timeout: float = ...,
        *,
        seed: int | None = ...,
        temperature: float = ...,
        sound: str | None = ...,
        n: None = ...,
    ) -> PatternMetadata: ...
    @overload
    def generate_bass(
        self,
        key: str = ...,
        scale: ScaleName = ...,
        bars: int = ...,
        bpm: float = ...,
        timeout: float = ...,
        *,
        seed: int | None = ...,
        temperature: float = ...,
        sound: str | None = ...,
        n: int,
    ) -> list[PatternMetadata]: ...
    def generate_bass(
        self,
        key: str = "C",
        scale: ScaleName = "minor",
        bars: int = 4,
        bpm: float = 120.0,
        timeout: float = 30,
        *,
        seed: int | None = None,
        temperature: float = 1.0,
        sound: str | None = None,
        n: int | None = None,
    ) -> PatternMetadata | list[PatternMetadata]:
        """Generate and store a bass line: like a melody, in the low register (E1-E3).

        ``sound`` is the SuperDirt sound its Tidal code plays (default supersaw).
        ``n``: a list of that many bass lines in one batched pass, as in ``generate_drums``.
        """
        records = self._line("bass", key, scale, bars, bpm, timeout, seed, temperature, sound, n)
        return records[0] if n is None else records

    def _line(
        self,
        kind: Literal["melody", "bass"],
        key: str,
        scale: str,
        bars: int,
        bpm: float,
        timeout: float,
        seed: int | None,
        temperature: float,
        sound: str | None,
        n: int | None,
    ) -> list[PatternMetadata]:
        started = time.monotonic()
        key, scale = normalize_key(key), validate_scale(scale)
        bars, bpm = validate_bars(bars), validate_bpm(bpm)
        check = _deadline(timeout, started)
        temperature = validate_temperature(temperature)
        seeds = _seeds(seed, n)
        rngs = [make_rng(s) for s in seeds]
        loaded = self._model("melody_rnn" if kind == "melody" else "bass_rnn")
        check()
        register = MELODY_REGISTER if kind == "melody" else BASS_REGISTER
        allowed = scale_mask(key, scale, register)
        first = first_note_mask(key, scale, register, root_only=kind == "bass")

        def mask(step: int) -> np.ndarray:
            return first if step == 0 else allowed

        bundle = self._bundles.get("melody")
        if bundle is None:
            batch = generate_batch(
                loaded.model,
                steps=bars * STEPS_PER_BAR,
                rngs=rngs,
                temperature=temperature,
                mask=mask,
                check=check,
            )
        else:
            from audiomancer.generators.bundles import bundle_line

            batch = [
                bundle_line(
                    bundle,
                    allowed=allowed,
                    first=first,
                    bass=kind == "bass",
                    steps=bars * STEPS_PER_BAR,
                    rng=rng,
                    temperature=temperature,
                    check=check,
                )
                for rng in rngs
            ]
        patterns = []
        for rng, events in zip(rngs, batch, strict=True):
            accents = rng.integers(-VELOCITY_JITTER, VELOCITY_JITTER + 1, len(events))
            velocities = [
                int(np.clip((100 if step % 4 == 0 else 88) + accents[step], 1, 127))
                for step in range(len(events))
            ]
            notes = decode_melody(events, velocities)
            patterns.append(
                Pattern(tuple(notes), kind, bars, bpm, key=key, scale=scale, sound=sound)
            )
        check()
        voice = () if sound is None else (sound,)
        stored_seeds = None if seed is None else seeds
        settings = (kind, key, scale, *voice)
        return self._store(patterns, loaded, stored_seeds, temperature, settings, bundle)

    def _store(
        self,
        patterns: list[Pattern],
        loaded: LoadedModel,
        seeds: list[int] | None,
        temperature: float,
        settings: tuple[object, ...],
        bundle: MagentaBundle | None = None,
    ) -> list[PatternMetadata]:
        """Store a batch in one transaction; seeded patterns get ids derived from their seed.

        A pattern made with a Magenta bundle records it in its ``mutation_log``:
        ``model: FILE (Magenta GENERATOR_ID, sha256 PREFIX)``.
        """
        digest = loaded.digest if bundle is None else bundle.digest
        log = [] if bundle is None else [bundle_note(bundle)]
        ids: list[str | None] = [None] * len(patterns)
        if seeds is not None:
            ids = [
                derive_pattern_id("generated", *settings, p.bars, p.bpm, s, temperature, digest)
                for p, s in zip(patterns, seeds, strict=True)
            ]
        return self.store.put_many(
            patterns, generation_method="generated", pattern_ids=ids, mutation_log=log
        )


# --- helpers ------------------------------------------------------------------------------


def scale_mask(key: str, scale: str, register: tuple[int, int]) -> np.ndarray:
    """Events allowed in a line: no-event, note-off, note-ons in the scale and register."""
    classes = scale_pitch_classes(key, scale)
    mask = np.zeros(NUM_MELODY_EVENTS, dtype=bool)
    mask[NO_EVENT] = mask[NOTE_OFF] = True
    low, high = max(register[0], MIN_PITCH), min(register[1], MAX_PITCH)
    for pitch in range(low, high + 1):
        if pitch % 12 in classes:
            mask[note_on_event(pitch)] = True
    return mask


def first_note_mask(
    key: str, scale: str, register: tuple[int, int], root_only: bool = False
) -> np.ndarray:
    """The first step: a note-on of a tonic-chord tone (root, third, fifth) in the register."""
    root = key_pitch_class(key)
    steps = SCALES[validate_scale(scale)]
    chord = {0} if root_only else {0, *(s for s in steps if s in (3, 4, 7))}
    classes = {(root + s) % 12 for s in chord}
    mask = np.zeros(NUM_MELODY_EVENTS, dtype=bool)
    for pitch in range(register[0], register[1] + 1):
        if pitch % 12 in classes:
            mask[note_on_event(pitch)] = True
    assert mask[FIRST_NOTE_EVENT:].any()
    return mask


def validate_timeout(timeout: float) -> float:
    """Return the timeout in seconds if a number >= 0; ValueError naming it otherwise."""
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or math.isnan(timeout)
        or timeout < 0
    ):
        raise ValueError(f"invalid timeout {timeout!r}: expected a number of seconds >= 0")
    return float(timeout)


def _deadline(timeout: float, started: float) -> Callable[[], None]:
    limit = validate_timeout(timeout)
    deadline = started + limit

    def check() -> None:
        if time.monotonic() >= deadline:
            raise InferenceTimeoutError(
                f"pattern generation exceeded the timeout of {timeout} s "
                f"(ran {time.monotonic() - started:.3f} s)"
            )

    return check


def bundle_note(bundle: MagentaBundle) -> str:
    """The mutation_log line of a pattern made with a Magenta bundle."""
    return f"model: {bundle.path.name} (Magenta {bundle.generator_id}, sha256 {bundle.digest[:12]})"


MAX_COUNT: Final = 256
"""The most patterns one batched call generates."""


def validate_count(n: int) -> int:
    """Return ``n`` if a whole number from 1 to MAX_COUNT; ValueError naming it otherwise."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_COUNT:
        raise ValueError(f"invalid count {n!r}: expected a whole number from 1 to {MAX_COUNT}")
    return n


def _seeds(seed: int | None, n: int | None) -> list[int]:
    """The seed of each pattern of a call: ``seed + i``, or fresh ones without a seed."""
    count = 1 if n is None else validate_count(n)
    if seed is None:
        return [secrets.randbits(63) for _ in range(count)]
    first = _seed(seed)
    return [first + i for i in range(count)]


def _seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbits(63)
    make_rng(seed)  # validates
    return seed


def _download(url: str, target: Path) -> None:
    """Fetch a URL into ``target`` atomically; OSError naming the URL on any failure."""
    import urllib.error
    import urllib.request

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            try:
                with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                    size = 0
                    while chunk := response.read(1 << 20):
                        handle.write(chunk)
                        size += len(chunk)
            except (urllib.error.URLError, OSError, ValueError) as error:
                reason = getattr(error, "reason", None) or error
                raise OSError(f"could not download model bundle {url}: {reason}") from None
            if size == 0:
                raise OSError(f"could not download model bundle {url}: the server sent no data")
            handle.flush()
            os.fchmod(handle.fileno(), new_file_mode(target))  # the umask's, not mkstemp's 0600
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
