"""Where the synth lineage lives and how it is read and written (DESIGN §7).

The database is the JSON file the spec names (``~/.audiomancer/lineage.json``; under
``AUDIOMANCER_HOME`` when that is set). Every change reads it, edits it and writes it back
atomically (temporary file, fsync, rename) while holding an exclusive lock on
``lineage.json.lock``, so processes recording at the same time never lose each other's records.
A file that exists but cannot be read (not JSON, wrong shape, a newer format) raises
:class:`~audiomancer.errors.StoreCorruptError` and is never overwritten; the last good version
is kept as ``lineage.json.bak``.

Schema (``version`` 1)::

    {
      "format": "audiomancer.lineage",
      "version": 1,
      "synths": {
        "<id>": {
          "name": "tb303_m427",                # the SynthDef name
          "parent_ids": ["tb303"],             # [] for originals
          "generation_method": "mutation",     # original | generated | mutation | crossover
          "mutation_log": ["Saw → Pulse"],
          "user_rating": 5,                    # 1-5 or null
          "user_notes": "Perfect acid sound",  # or null
          "created_at": "2025-01-31T12:00:00.000000+00:00"
        }
      }
    }

Records keep the order they were created in; fields and top-level keys this version does not
know are kept as they were. The synth library (``<name>.scd`` files) is the ``synths`` folder
beside the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from audiomancer import paths
from audiomancer.atomic import atomic_write_text, file_lock, sweep_stale
from audiomancer.errors import StoreAccessError, StoreCorruptError
from audiomancer.generators.lineage_records import SynthRecord

__all__ = ["FORMAT", "VERSION", "LineageFile", "Records"]

FORMAT: Final = "audiomancer.lineage"
VERSION: Final = 1
_FILE_KEYS: Final = frozenset(("format", "version", "synths"))

Records = dict[str, SynthRecord]
"""The database's records by id, in the order they were created."""


@dataclass(frozen=True)
class LineageFile:
    """The lineage database at ``path``, with its lock, backup and library folder beside it."""

    path: Path

    @property
    def library_dir(self) -> Path:
        """The folder of ``<name>.scd`` files beside the database."""
        return self.path.parent / "synths"

    @property
    def lock_path(self) -> Path:
        """The lock file every writer holds while it reads, edits and writes the database."""
        return self.path.with_name(self.path.name + ".lock")

    @property
    def backup_path(self) -> Path:
        """The last good version of the database before the latest write."""
        return self.path.with_name(self.path.name + ".bak")

    def corrupt(self, reason: str) -> StoreCorruptError:
        """The error for a database that cannot be read for ``reason`` (it is left alone)."""
        return StoreCorruptError(
            f"the synth lineage database {self.path} is corrupt ({reason}); it was left "
            "untouched: repair it or move it away to start a new one"
        )

    def load(self) -> Records:
        """The records (none when the file does not exist yet)."""
        return self.read()[0]

    def read(self) -> tuple[Records, dict[str, Any]]:
        """The records and the file's other top-level fields (kept on writing)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}, {}
        except IsADirectoryError:
            raise self.corrupt("it is a folder, not a file") from None
        except OSError as error:
            raise StoreAccessError(
                f"cannot read the synth lineage database {self.path}: {error.strerror or error}"
            ) from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise self.corrupt(f"not valid JSON: {error}") from None
        except RecursionError:
            raise self.corrupt("not valid JSON: nested too deeply") from None
        if not isinstance(data, dict) or not isinstance(data.get("synths"), dict):
            raise self.corrupt("no 'synths' object at the top")
        if data.get("format", FORMAT) != FORMAT:
            raise self.corrupt(f"unknown format {data.get('format')!r}")
        version = data.get("version", VERSION)
        if version != VERSION:
            raise self.corrupt(f"format version {version!r}, this audiomancer reads {VERSION}")
        records: Records = {}
        for synth_id, entry in data["synths"].items():
            try:
                records[synth_id] = SynthRecord.from_json(synth_id, entry)
            except ValueError as error:
                raise self.corrupt(str(error)) from None
        return records, {key: value for key, value in data.items() if key not in _FILE_KEYS}

    @staticmethod
    def dump(records: Records, extra: dict[str, Any]) -> str:
        """The file's text for these records and other top-level fields."""
        data = {
            **extra,
            "format": FORMAT,
            "version": VERSION,
            "synths": {synth_id: record.to_json() for synth_id, record in records.items()},
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def check_writable(self) -> None:
        """StoreAccessError naming the folder when the database or library cannot be written
        (read-only, not a folder): called before any work whose result would be recorded."""
        for folder, what in ((self.path.parent, "database"), (self.library_dir, "library")):
            problem = paths.folder_problem(folder)
            if problem is not None:
                where = f"library {folder}" if what == "library" else f"database {self.path}"
                raise StoreAccessError(
                    f"cannot write the synth lineage {where}: {problem}; {paths.home_hint()}"
                )

    @contextmanager
    def transaction(self) -> Iterator[Records]:
        """Records to edit in place, written back atomically under the lock if they changed.

        Temporary files killed writers left (of the database, its backup, library files) are
        swept first, under the lock (only old ones: a young one may still be in use).
        """
        self.check_writable()
        with file_lock(self.lock_path):
            sweep_stale(self.path.parent, self.path.name)
            sweep_stale(self.path.parent, self.backup_path.name)
            sweep_stale(self.library_dir, "*.scd")
            records, extra = self.read()
            before = self.dump(records, extra)
            yield records
            after = self.dump(records, extra)
            if after != before:
                try:
                    atomic_write_text(self.path, after, backup=self.backup_path)
                except OSError as error:
                    raise StoreAccessError(
                        f"cannot write the synth lineage database {self.path}: "
                        f"{error.strerror or error}"
                    ) from None
