"""The humanizer: a drummer's velocity and micro-timing for a quantized drum pattern.

Learned from the Groove MIDI Dataset (train split only; ``training/train_humanizer.py``), which
pairs every performance with its exact timing and dynamics. For each hit the model predicts a
velocity and an offset from its 16th step, from what a drummer hears at that moment:

- the drum class and its 16th position in the bar (the laid-back snare on 2 and 4, pushed
  hats, accented downbeats);
- the other classes hitting on the same step, and whether the same class plays one and two
  16ths before and after (a 16th hat line is played softer and straighter than an 8th one);
- how busy the class is in its bar, the tempo, and optionally a style (a Groove MIDI style such
  as ``funk`` or ``jazz``, per class and per 16th position, so jazz's late off-beats are learned).

The model is two ridge regressions over those features (closed form, one linear map each) plus
the spread of what they do not explain: a residual standard deviation per class and position,
split into a part shared by all of a pattern's hits of one class (how this drummer plays that
drum today: a little behind, a little soft), a part shared by that class's hits on one 16th
position of the bar in every bar (how this drummer plays that beat), a part shared by a bar's
hits of one class (drift) and a part per hit.
Sampling draws that noise from a seeded generator. It runs in numpy from a small weight file
shipped in the package (``weights/humanizer.npz``); accuracy against baselines on the test
split is in ``benchmarks/README.md``.

:func:`humanize` applies it with an ``amount``: 0 returns the pattern unchanged, 1 plays it as
learned, between moves every velocity and offset that share of the way. Offsets add to the
micro-timing already on a note (a swing stays under the humanized feel) and a note never
leaves its 16th step (at most just under half a 16th from it).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from audiomancer.arguments import validate_amount
from audiomancer.errors import ModelLoadError
from audiomancer.patterns.model import (
    DRUM_CLASS_BY_PITCH,
    TICKS_PER_STEP,
    Note,
    Pattern,
    allowed,
    step_of,
)

if TYPE_CHECKING:
    import numpy as np

WEIGHTS_FILE: Final = Path(__file__).resolve().parent / "weights" / "humanizer.npz"
FORMAT: Final = "audiomancer.humanizer/2"
NUM_CLASSES: Final = 9
POSITIONS: Final = 16
"""16th positions in a bar the model knows (4/4; other metres use the step within the bar)."""
NEIGHBOURS: Final = (-2, -1, 1, 2)
"""Steps around a hit where the same class playing is a feature."""
STYLES: Final[tuple[str, ...]] = (
    "rock", "funk", "jazz", "latin", "hiphop", "soul", "afrocuban", "punk", "neworleans",
    "country", "pop", "reggae", "gospel", "afrobeat", "dance",
)  # fmt: skip
"""Groove MIDI styles with enough performances to learn a feel from."""
STYLE_FEEL: Final[dict[str, str]] = {
    "basic": "rock",
    "techno": "dance",
    "house": "dance",
    "dnb": "funk",
}
"""The Groove MIDI style that plays each of the generators' styles."""
MAX_OFFSET_TICKS: Final = TICKS_PER_STEP // 2 - 1
STYLE_GROUPS: Final[tuple[int, ...]] = (0, 1, 2, 3, 3, 3, 3, 3, 4)
"""Per class, which feel of a style it shares: kick, snare, closed hat, others, ride."""


def feature_count() -> int:
    """Length of a hit's feature vector."""
    styles = len(STYLES)
    return (
        NUM_CLASSES * POSITIONS  # class x position
        + NUM_CLASSES * NUM_CLASSES  # class x other class on the same step
        + NUM_CLASSES * len(NEIGHBOURS)  # class x same class nearby
        + NUM_CLASSES * 2  # class x (tempo, density)
        + NUM_CLASSES * styles  # class x style
        + (max(STYLE_GROUPS) + 1) * POSITIONS * styles  # class group x position x style
    )


def validate_style(style: str | None) -> str | None:
    """A humanizer style: a Groove MIDI style, a generator style (mapped), or None."""
    if style is None:
        return None
    if isinstance(style, str):
        name = style.strip().lower()
        name = STYLE_FEEL.get(name, name)
        if name in STYLES:
            return name
    raise ValueError(
        f"invalid humanizer style {style!r}: expected one of {allowed(STYLES + tuple(STYLE_FEEL))}"
    )


def hit_features(
    grid: np.ndarray,
    positions: np.ndarray,
    steps: np.ndarray,
    classes: np.ndarray,
    bpm: float,
    style: str | None,
) -> np.ndarray:
    """The feature matrix (one row per hit) the model reads.

    ``grid`` is a bool array [steps, 9] of which classes hit on each 16th step, ``positions``
    each step's 16th in its bar (0-15), ``steps``/``classes`` the hits to describe. Shared by
    training and sampling, so both see exactly the same features.
    """
    import numpy as np

    n = len(steps)
    total = grid.shape[0]
    x = np.zeros((n, feature_count()), dtype=np.float64)
    rows = np.arange(n)
    position = positions[steps] % POSITIONS
    offset = 0
    x[rows, offset + classes * POSITIONS + position] = 1.0
    offset += NUM_CLASSES * POSITIONS
    together = grid[steps].astype(np.float64)  # [n, 9]
    for other in range(NUM_CLASSES):
        x[rows, offset + classes * NUM_CLASSES + other] = together[:, other]
    offset += NUM_CLASSES * NUM_CLASSES
    for k, delta in enumerate(NEIGHBOURS):
        near = steps + delta
        inside = (near >= 0) & (near < total)
        played = np.zeros(n)
        played[inside] = grid[near[inside], classes[inside]]
        x[rows, offset + classes * len(NEIGHBOURS) + k] = played
    offset += NUM_CLASSES * len(NEIGHBOURS)
    x[rows, offset + classes * 2] = bpm / 120.0 - 1.0
    bar = np.cumsum(positions == 0) - 1  # bar index of each step
    bar = bar - bar.min()
    busy = np.zeros((int(bar.max()) + 1, NUM_CLASSES))
    np.add.at(busy, bar, grid.astype(np.float64))
    x[rows, offset + classes * 2 + 1] = busy[bar[steps], classes] / POSITIONS - 0.25
    offset += NUM_CLASSES * 2
    if style is not None:
        s = STYLES.index(style)
        x[rows, offset + classes * len(STYLES) + s] = 1.0
        offset += NUM_CLASSES * len(STYLES)
        group = np.asarray(STYLE_GROUPS)[classes]
        x[rows, offset + (group * POSITIONS + position) * len(STYLES) + s] = 1.0
    return x


@dataclass(frozen=True)
class HumanizerModel:
    """The weights: two linear maps and the residual spread per class and position."""

    velocity_weights: np.ndarray  # [features]
    offset_weights: np.ndarray  # [features], in 16ths
    velocity_std: np.ndarray  # [9, 16]
    offset_std: np.ndarray  # [9, 16], in 16ths
    shared: np.ndarray  # [2, 3]: (velocity, offset) x share common to (pattern, position, bar)
    digest: str

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean velocity and offset (in 16ths) of each row of features."""
        return x @ self.velocity_weights, x @ self.offset_weights


_lock = threading.Lock()
_cache: dict[Path, HumanizerModel] = {}


def load_humanizer(path: Path | None = None) -> HumanizerModel:
    """Load (and cache) the humanizer weights; ModelLoadError naming the file if unusable."""
    import hashlib

    import numpy as np

    target = WEIGHTS_FILE if path is None else Path(path)
    with _lock:
        cached = _cache.get(target)
        if cached is not None:
            return cached
        try:
            raw = target.read_bytes()
            import io

            with np.load(io.BytesIO(raw), allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError) as error:
            raise ModelLoadError(f"cannot load humanizer weights {target}: {error}") from None
        fmt = str(arrays.get("format", ""))
        count = feature_count()
        shapes = {
            "velocity_weights": (count,),
            "offset_weights": (count,),
            "velocity_std": (NUM_CLASSES, POSITIONS),
            "offset_std": (NUM_CLASSES, POSITIONS),
            "shared": (2, 3),
        }
        if fmt != FORMAT:
            raise ModelLoadError(f"humanizer weights {target}: format {fmt!r}, not {FORMAT!r}")
        for key, shape in shapes.items():
            if key not in arrays or arrays[key].shape != shape:
                found = arrays[key].shape if key in arrays else "missing"
                raise ModelLoadError(
                    f"humanizer weights {target}: {key} is {found}, expected shape {shape}"
                )
            if not np.all(np.isfinite(arrays[key])):
                raise ModelLoadError(f"humanizer weights {target}: {key} is not finite")
        model = HumanizerModel(
            velocity_weights=arrays["velocity_weights"].astype(np.float64),
            offset_weights=arrays["offset_weights"].astype(np.float64),
            velocity_std=arrays["velocity_std"].astype(np.float64),
            offset_std=arrays["offset_std"].astype(np.float64),
            shared=arrays["shared"].astype(np.float64),
            digest=hashlib.sha256(raw).hexdigest(),
        )
        _cache[target] = model
        return model


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"invalid seed {seed!r}: expected an integer >= 0")
    return seed


def pattern_grid(pattern: Pattern) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A drum pattern as the model sees it: (grid, positions, hit steps, hit classes)."""
    import numpy as np

    total = pattern.total_steps
    grid = np.zeros((total, NUM_CLASSES), dtype=bool)
    steps = np.array([min(step_of(n.start), total - 1) for n in pattern.notes], dtype=np.int64)
    classes = np.array([DRUM_CLASS_BY_PITCH[n.pitch].index for n in pattern.notes], np.int64)
    grid[steps, classes] = True
    positions = np.arange(total) % pattern.steps_per_bar
    return grid, positions, steps, classes


def sample(
    model: HumanizerModel,
    pattern: Pattern,
    seed: int,
    style: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Learned velocities (1-127, float) and offsets (ticks) for each note of a drum pattern."""
    import numpy as np

    grid, positions, steps, classes = pattern_grid(pattern)
    if len(steps) == 0:
        return np.zeros(0), np.zeros(0)
    rng = np.random.default_rng(_check_seed(seed))
    velocities, offsets = sample_hits(
        model, grid, positions, steps, classes, pattern.bpm, style, rng
    )
    return velocities, offsets * TICKS_PER_STEP


def sample_hits(
    model: HumanizerModel,
    grid: np.ndarray,
    positions: np.ndarray,
    steps: np.ndarray,
    classes: np.ndarray,
    bpm: float,
    style: str | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Velocities (1-127) and offsets (in 16ths, within ±half a 16th) drawn for some hits.

    The mean the model predicts plus noise of the learned spread: one draw per class for the
    whole pattern, one per class and 16th position of the bar, one per bar and class, and one
    per hit, mixed by the learned shares.
    """
    import numpy as np

    x = hit_features(grid, positions, steps, classes, bpm, style)
    velocity, offset = model.predict(x)
    position = positions[steps] % POSITIONS
    bar = np.cumsum(positions == 0)[steps]
    bars = int(bar.max()) + 1
    draws = []
    for kind, std in enumerate((model.velocity_std, model.offset_std)):
        parts = (
            rng.standard_normal(NUM_CLASSES)[classes],
            rng.standard_normal((NUM_CLASSES, POSITIONS))[classes, position],
            rng.standard_normal((bars, NUM_CLASSES))[bar, classes],
        )
        shares = np.clip(model.shared[kind], 0.0, 1.0)
        shares = shares / max(1.0, float(shares.sum()))
        noise = math.sqrt(max(0.0, 1.0 - float(shares.sum()))) * rng.standard_normal(len(steps))
        for share, part in zip(shares, parts, strict=True):
            noise = noise + math.sqrt(float(share)) * part
        draws.append(std[classes, position] * noise)
    velocities = np.clip(velocity + draws[0], 1, 127)
    limit = MAX_OFFSET_TICKS / TICKS_PER_STEP
    return velocities, np.clip(offset + draws[1], -limit, limit)


def humanize(
    pattern: Pattern,
    amount: float = 1.0,
    seed: int = 0,
    style: str | None = None,
    model: HumanizerModel | None = None,
) -> Pattern:
    """The drum pattern played by the learned drummer: velocities and micro-timing.

    ``amount`` 0 is the identity, 1 as learned. ``style`` (a Groove MIDI style or a generator
    style) defaults to the pattern's own style where it has one. Same seed, same result.
    ValueError for a pattern that is not drums, a bad amount, seed or style.
    """
    amount = validate_amount(amount)
    _check_seed(seed)
    if pattern.type != "drums":
        raise ValueError(f"invalid pattern type {pattern.type!r}: the humanizer plays drums")
    feel = validate_style(style if style is not None else _known(pattern.style))
    if amount == 0.0 or not pattern.notes:
        return pattern
    velocities, offsets = sample(model or load_humanizer(), pattern, seed, feel)
    moved: list[Note] = []
    for note, velocity, offset in zip(pattern.notes, velocities, offsets, strict=True):
        step = step_of(note.start) * TICKS_PER_STEP
        start = note.start + round(amount * float(offset))
        start = max(0, step - TICKS_PER_STEP // 2, min(start, step + MAX_OFFSET_TICKS))
        start = min(start, pattern.length - 1)
        loud = round(note.velocity + amount * (float(velocity) - note.velocity))
        moved.append(Note(start, note.pitch, min(127, max(1, loud)), note.duration))
    return pattern.with_notes(_fit(pattern, moved))


def _known(style: str | None) -> str | None:
    if style is None:
        return None
    name = style.strip().lower()
    return name if name in STYLES or name in STYLE_FEEL else None


def _fit(pattern: Pattern, notes: list[Note]) -> list[Note]:
    """Trim durations so no note runs past the end or into the next note of its pitch."""
    from dataclasses import replace

    from audiomancer.patterns.model import merge_overlaps

    ordered = sorted(notes, key=lambda n: (n.pitch, n.start))
    result = []
    for index, note in enumerate(ordered):
        end = min(note.end, pattern.length)
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if following is not None and following.pitch == note.pitch and following.start > note.start:
            end = min(end, following.start)
        result.append(replace(note, duration=max(1, end - note.start)))
    return merge_overlaps(result)
