"""Standard MIDI File containers as real-world writers leave them, tidied before mido parses them.

mido reads well-formed files; files from the wild are often not. Before parsing, the chunks are
walked here and a clean file is rebuilt, following the SMF 1.0 rule that readers skip what they
do not know:

- a RIFF ``RMID`` wrapper (Windows tools save ``.mid`` files so) is unwrapped;
- bytes before ``MThd`` (a MacBinary header, say) are skipped, and so are a longer header's extra
  bytes (unless the first track starts right after the 6 bytes a header holds: then the stated
  length is wrong);
- a format number other than 0, 1 or 2 is read as format 1, with a warning;
- chunks other than ``MTrk`` (Yamaha's ``XFIH``/``XFKM``, ...) are skipped;
- the track count is the number of tracks present, whatever the header claims;
- a track cut short (a truncated download) keeps its complete events and is closed (the
  reader warns; a truncated file with no complete note is refused as truncated);
- data bytes over 127 (a broken writer) are clipped, with a warning;
- a key signature that names no key (92 sharps, mode 81) is skipped, with a warning.

SMPTE time division (frames per second and ticks per frame instead of ticks per quarter note)
is kept as ticks per second; :meth:`Smf.ticks_per_beat` turns it into ticks per quarter note at
the tempo the reader keeps, so the grid of the file's own tempo holds. Whatever cannot be read
is a PatternFileError naming the file and the reason.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import mido

from audiomancer.errors import PatternFileError

DEFAULT_TEMPO: Final = 500_000
"""Microseconds per quarter note when a file sets none (120 bpm)."""
_SMPTE_RATES: Final = {
    24: Fraction(24),
    25: Fraction(25),
    29: Fraction(30000, 1001),  # 29.97 drop-frame
    30: Fraction(30),
}


@dataclass(frozen=True)
class Smf:
    """A parsed file and its time division: ticks per quarter note, or for SMPTE time, ticks
    per second."""

    midi: mido.MidiFile
    division: Fraction
    smpte: bool = False
    truncated: int | None = None
    """The file's size when it ends in the middle of a track (its complete events are read)."""

    def ticks_per_beat(self, tempo: int) -> Fraction:
        """Ticks per quarter note at ``tempo`` (microseconds per quarter note): the file's own
        division, or for SMPTE time the ticks of a quarter note's seconds at that tempo."""
        return self.division * Fraction(tempo, 1_000_000) if self.smpte else self.division


def _read_vlq(data: bytes, pos: int) -> tuple[int, int]:
    """A variable-length quantity at ``pos``: (value, next position); IndexError past the end."""
    value = 0
    for _ in range(4):
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos
    raise ValueError("variable-length quantity longer than 4 bytes")


_DATA_BYTES: Final = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}


@dataclass(frozen=True)
class _Event:
    """Where one event of track data lies: from its delta time to its end; for a meta event,
    where its type byte and its data are."""

    start: int
    end: int
    meta_type_at: int | None = None
    meta_data_at: int | None = None


def _events(data: bytes) -> Iterator[_Event]:
    """The complete events of track data in order, up to the first cut short or unreadable."""
    pos = 0
    status = 0
    try:
        while pos < len(data):
            start = pos
            _, pos = _read_vlq(data, pos)
            first = data[pos]
            type_at = data_at = None
            if first == 0xFF:
                type_at = pos + 1
                length, data_at = _read_vlq(data, pos + 2)
                pos = data_at + length
            elif first in (0xF0, 0xF7):
                length, pos = _read_vlq(data, pos + 1)
                pos += length
            else:
                if first & 0x80:
                    status = first
                    pos += 1
                if not status & 0x80:
                    return
                pos += _DATA_BYTES.get(status & 0xF0, 0)
            if pos > len(data):
                return
            yield _Event(start, pos, type_at, data_at)
    except (IndexError, ValueError):
        return


def _complete_events(data: bytes) -> int:
    """How many leading bytes of track data hold complete events (for a track cut short)."""
    end = 0
    for event in _events(data):
        end = event.end
    return end


_KEY_SIGNATURE: Final = 0x59
_SEQUENCER_SPECIFIC: Final = 0x7F


def _skip_impossible_keys(track: bytes) -> tuple[bytes, list[str]]:
    """The track with each key signature that names no key (more than 7 sharps or flats, a
    mode other than major or minor, other than 2 bytes) made a sequencer-specific event, which
    readers skip (its length and timing unchanged), and what each of them said."""
    fixed = bytearray(track)
    impossible: list[str] = []
    for event in _events(track):
        if event.meta_type_at is None or track[event.meta_type_at] != _KEY_SIGNATURE:
            continue
        assert event.meta_data_at is not None
        body = track[event.meta_data_at : event.end]
        sharps = int.from_bytes(body[:1], "big", signed=True)
        if len(body) == 2 and -7 <= sharps <= 7 and body[1] in (0, 1):
            continue
        fixed[event.meta_type_at] = _SEQUENCER_SPECIFIC
        impossible.append(
            f"{abs(sharps)} {'flats' if sharps < 0 else 'sharps'}, mode {body[1]}"
            if len(body) == 2
            else f"{len(body)} bytes of data"
        )
    return bytes(fixed), impossible


def _unwrap_riff(data: bytes) -> bytes:
    """The SMF inside a RIFF RMID file (its ``data`` chunk); other data unchanged."""
    if data[:4] != b"RIFF" or data[8:12] != b"RMID":
        return data
    pos = 12
    while pos + 8 <= len(data):
        name, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        if name == b"data":
            return data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    return data


def _truncated(data: bytes, name: str) -> PatternFileError:
    return PatternFileError(
        f"{name} is not a readable MIDI file: it ends in the middle of its data, after "
        f"{len(data)} bytes (truncated?)"
    )


def _tidy(data: bytes, name: str) -> tuple[bytes, int, bool]:
    """A clean SMF (header and the MTrk chunks found), the header's raw time division, and
    whether the file ends in the middle of a chunk."""
    if not data:
        raise PatternFileError(f"{name} is not a readable MIDI file: it is empty (0 bytes)")
    data = _unwrap_riff(data)
    start = data.find(b"MThd", 0, 4096)
    if start < 0:
        raise PatternFileError(
            f"{name} is not a readable MIDI file: it has no MThd header (not a Standard MIDI File)"
        )
    header_length = int.from_bytes(data[start + 4 : start + 8], "big")
    if start + 8 + max(header_length, 6) > len(data):
        raise _truncated(data, name)
    if header_length < 6:
        raise PatternFileError(
            f"{name} is not a readable MIDI file: its header is {header_length} bytes, not 6"
        )
    if header_length > 6 and data[start + 14 : start + 18] == b"MTrk":
        header_length = 6  # a wrong length in the header: the first track starts after 6 bytes
    fmt = int.from_bytes(data[start + 8 : start + 10], "big")
    division = int.from_bytes(data[start + 12 : start + 14], "big")
    if division == 0:
        raise PatternFileError(
            f"{name} is not a readable MIDI file: its header gives 0 ticks per quarter note"
        )
    tracks: list[bytes] = []
    impossible: list[str] = []  # key signatures that name no key
    pos = start + 8 + header_length
    cut = False
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "big")
        body = data[pos + 8 : pos + 8 + size]
        if chunk == b"MTrk":
            if len(body) < size:  # cut short: keep the complete events, close the track
                cut = True
                body = body[: _complete_events(body)] + b"\x00\xff\x2f\x00"
            body, keys = _skip_impossible_keys(body)
            impossible += keys
            tracks.append(body)
        pos += 8 + size
    cut = cut or (0 < len(data) - pos < 8 and b"MTrk".startswith(data[pos : pos + 4]))
    if not tracks:
        if cut:
            raise _truncated(data, name)
        raise PatternFileError(f"{name} is not a readable MIDI file: it holds no track (MTrk)")
    if impossible:
        warnings.warn(
            f"MIDI file {name} has {len(impossible)} key signature"
            f"{'s that name' if len(impossible) > 1 else ' that names'} no key (the first: "
            f"{impossible[0]}): skipped",
            stacklevel=4,
        )
    if fmt > 2:  # its tracks are still tracks: read them as a type 1 file
        warnings.warn(
            f"MIDI file {name} states an unknown format {fmt} (0, 1 or 2 exist): its tracks are "
            "read as format 1",
            stacklevel=4,
        )
        fmt = 1
    fmt = 1 if fmt == 0 and len(tracks) > 1 else fmt
    clean = b"MThd" + (6).to_bytes(4, "big")
    clean += fmt.to_bytes(2, "big") + len(tracks).to_bytes(2, "big")
    clean += (division if not division & 0x8000 else 480).to_bytes(2, "big")
    for body in tracks:
        clean += b"MTrk" + len(body).to_bytes(4, "big") + body
    return clean, division, cut


def _parse(clean: bytes, name: str) -> mido.MidiFile:
    try:
        return mido.MidiFile(file=io.BytesIO(clean))
    except (OSError, ValueError) as error:
        if "data byte" not in str(error):
            raise PatternFileError(f"{name} is not a readable MIDI file: {error}") from None
    except (EOFError, KeyError, IndexError, TypeError) as error:
        detail = str(error) or "an event runs past the end of its track"
        raise PatternFileError(f"{name} is not a readable MIDI file: {detail}") from None
    warnings.warn(
        f"MIDI file {name} has data bytes over 127 (a broken writer): they are clipped to 127",
        stacklevel=4,
    )
    try:
        return mido.MidiFile(file=io.BytesIO(clean), clip=True)
    except (OSError, ValueError, EOFError, KeyError, IndexError, TypeError) as error:
        detail = str(error) or "an event runs past the end of its track"
        raise PatternFileError(f"{name} is not a readable MIDI file: {detail}") from None


def load_smf(data: bytes, name: str) -> Smf:
    """Parse the bytes of a MIDI file as tidied above; PatternFileError when it cannot be read."""
    clean, division, cut = _tidy(data, name)
    midi = _parse(clean, name)
    truncated = len(data) if cut else None
    if not division & 0x8000:
        return Smf(midi, Fraction(division), truncated=truncated)
    frames = 256 - (division >> 8)
    per_frame = division & 0xFF
    rate = _SMPTE_RATES.get(frames)
    if rate is None or per_frame == 0:
        raise PatternFileError(
            f"{name} is not a readable MIDI file: SMPTE division of {frames} frames per second "
            f"and {per_frame} ticks per frame"
        )
    return Smf(midi, rate * per_frame, smpte=True, truncated=truncated)
