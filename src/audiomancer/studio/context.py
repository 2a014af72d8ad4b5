"""What every request of one studio shares: the stores, the audio cache, the job runner."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from starlette.requests import Request

from audiomancer.generators.lineage import LineageTracker
from audiomancer.patterns.store import PatternStore
from audiomancer.studio.jobs import JobRunner
from audiomancer.studio.media import AudioCache

if TYPE_CHECKING:
    from audiomancer.generators.patterns import PatternGenerator

G = TypeVar("G", bound="PatternGenerator")


@dataclass
class Studio:
    """The stores the CLI uses too (same files), so work in either shows up in the other."""

    store: PatternStore
    lineage: LineageTracker
    audio: AudioCache
    jobs: JobRunner = field(default_factory=JobRunner)
    _generator: PatternGenerator | None = None
    _generator_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls) -> Studio:
        """A studio on the default stores (``AUDIOMANCER_HOME`` or ``~/.audiomancer``)."""
        lineage = LineageTracker()
        return cls(store=PatternStore(), lineage=lineage, audio=AudioCache(lineage))

    @classmethod
    def of(cls, request: Request) -> Studio:
        studio = request.app.state.studio
        assert isinstance(studio, Studio)
        return studio

    def generator(self, kind: type[G]) -> G:
        """The pattern generator, made once (it keeps the loaded models)."""
        with self._generator_lock:
            if not isinstance(self._generator, kind):
                self._generator = kind(self.store)
            return self._generator
