"""The exception hierarchy: every error audiomancer raises on purpose derives from AudiomancerError.

Where the spec names a built-in exception (ValueError for bad arguments, KeyError for an unknown
synth id in the lineage tracker, IOError for a failed download) the error class inherits from
both, so callers can catch either.
"""

from __future__ import annotations


class AudiomancerError(Exception):
    """Base class of every audiomancer error."""


class PatternNotFoundError(AudiomancerError, KeyError):
    """No pattern with the given id is in the store."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class IncompatiblePatternsError(AudiomancerError, ValueError):
    """Two patterns cannot be combined (different time signatures or types)."""


class SynthNotFoundError(AudiomancerError, KeyError):
    """No synth with the given id is in the library."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidSynthError(AudiomancerError, ValueError):
    """A synth failed validation by sclang."""


class SynthDefError(AudiomancerError, ValueError):
    """SuperCollider code could not be parsed, built or compiled."""


class InferenceTimeoutError(AudiomancerError, TimeoutError):
    """Pattern generation took longer than the allowed timeout."""


class ModelLoadError(AudiomancerError):
    """A model's weights are missing, corrupt or cannot be loaded."""


class EngineNotFoundError(AudiomancerError, RuntimeError):
    """A required external engine (sclang, scsynth, ghci with Tidal) is not installed."""


class EngineError(AudiomancerError, RuntimeError):
    """An external engine crashed, hung or answered something we cannot read."""


class PatternFileError(AudiomancerError, ValueError):
    """A pattern file (MIDI or JSON) is empty, corrupt or holds no notes."""


class StoreError(AudiomancerError):
    """A store (the pattern database or the synth lineage file) cannot be used."""


class StoreCorruptError(StoreError):
    """A database or lineage file exists but cannot be read; it is left untouched."""


class TidalCodeError(AudiomancerError, ValueError):
    """Tidal code that ghci rejects, that plays no events, or whose sounds cannot be mapped."""


class StoreBusyError(StoreError):
    """Another process holds a store's write lock for longer than we wait; try again later."""


class StoreAccessError(StoreError, OSError):
    """A store's file or folder cannot be created, read or written (permissions, not a folder)."""
