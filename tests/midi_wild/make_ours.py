"""Write the files under tests/midi_wild/ours/: our own MIDI files, one per structural case that
the public files in this corpus lack (see SOURCES.md). Run it from the repository root:

    .venv/bin/python tests/midi_wild/make_ours.py

Most files are written byte by byte, because the cases are about the bytes (running status,
SMPTE division, unknown chunks, RIFF wrapping, broken headers) and mido would tidy them away.
The output is deterministic, so the committed files are what this script writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

OUT = Path(__file__).parent / "ours"


def vlq(value: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def header(fmt: int, tracks: int, division: int) -> bytes:
    return (
        b"MThd"
        + (6).to_bytes(4, "big")
        + bytes([*fmt.to_bytes(2, "big"), *tracks.to_bytes(2, "big"), *division.to_bytes(2, "big")])
    )


def chunk(name: bytes, data: bytes) -> bytes:
    return name + len(data).to_bytes(4, "big") + data


def track(events: Iterable[tuple[int, bytes]], end: bool = True) -> bytes:
    """Events as (delta ticks, raw event bytes, status byte included or not)."""
    data = b"".join(vlq(delta) + raw for delta, raw in events)
    if end:
        data += b"\x00\xff\x2f\x00"
    return chunk(b"MTrk", data)


def meta(kind: int, data: bytes) -> bytes:
    return bytes([0xFF, kind]) + vlq(len(data)) + data


def tempo(bpm: float) -> bytes:
    return meta(0x51, round(60_000_000 / bpm).to_bytes(3, "big"))


def signature(numerator: int, denominator_power: int) -> bytes:
    return meta(0x58, bytes([numerator, denominator_power, 24, 8]))


def key(sharps: int, minor: int) -> bytes:
    return meta(0x59, bytes([sharps & 0xFF, minor]))


def notes(
    pitches: list[int], step: int, length: int, channel: int = 0, velocity: int = 96
) -> list[tuple[int, bytes]]:
    """A monophonic line, note-off as 0x8n, each note `length` ticks, one every `step`."""
    events: list[tuple[int, bytes]] = []
    rest = 0
    for pitch in pitches:
        if pitch < 0:
            rest += step
            continue
        events.append((rest, bytes([0x90 | channel, pitch, velocity])))
        events.append((length, bytes([0x80 | channel, pitch, 64])))
        rest = step - length
    return events


def running_status(pitches: list[int], step: int, channel: int = 0) -> list[tuple[int, bytes]]:
    """A line written with running status and note-on velocity 0 as note-off."""
    events: list[tuple[int, bytes]] = [(0, bytes([0x90 | channel, pitches[0], 100]))]
    events.append((step, bytes([pitches[0], 0])))
    for pitch in pitches[1:]:
        events.append((0, bytes([pitch, 90])))
        events.append((step, bytes([pitch, 0])))
    return events


def merge(*lines: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """Several delta-timed event lists as one, in time order (stable within a tick)."""
    timed: list[tuple[int, int, bytes]] = []
    for number, line in enumerate(lines):
        now = 0
        for delta, raw in line:
            now += delta
            timed.append((now, number, raw))
    timed.sort(key=lambda event: (event[0], event[1]))
    out, last = [], 0
    for when, _, raw in timed:
        out.append((when - last, raw))
        last = when
    return out


BASS = [36, -1, 36, 43, 46, -1, 43, 41, 36, -1, 36, 48, 46, 43, 41, 39]
RIFF_MELODY = [60, 62, 63, 65, 67, 65, 63, 62, 60, 67, 72, 70, 67, 63, 62, 60]


def drum_bar() -> list[tuple[int, bytes]]:
    """One bar of 16ths on channel 10: kick on the beats, snare on 2 and 4, closed hats."""
    events: list[tuple[int, bytes]] = []
    wait = 0
    for step in range(16):
        hits = [42]
        if step % 4 == 0:
            hits.append(36)
        if step in (4, 12):
            hits.append(38)
        for i, pitch in enumerate(hits):
            events.append((wait if i == 0 else 0, bytes([0x99, pitch, 110 if pitch != 42 else 70])))
        for i, pitch in enumerate(hits):
            events.append((30 if i == 0 else 0, bytes([0x89, pitch, 0])))
        wait = 90
    return events


def files() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    conductor = track([(0, tempo(96)), (0, signature(4, 2)), (0, key(-3, 1))])

    # type 0: drums on channel 10 and a bass line on channel 2 in the same track
    mixed = merge(drum_bar() * 2, notes(BASS * 2, 120, 100, channel=1))
    out["type0_drums_and_bass.mid"] = header(0, 1, 480) + track(
        [(0, tempo(124)), (0, signature(4, 2)), *mixed]
    )
    out["type0_drums_only.mid"] = header(0, 1, 480) + track(
        [(0, tempo(124)), (0, signature(4, 2)), *(drum_bar() * 4)]
    )

    # running status with note-on velocity 0 as note-off, 96 ticks per quarter
    out["running_status_vel0.mid"] = header(0, 1, 96) + track(
        [(0, tempo(110)), *running_status([60, 64, 67, 72, 67, 64, 60, 55], 48)]
    )

    # SMPTE division: 25 frames per second, 40 ticks per frame (1000 ticks a second)
    out["smpte_25fps.mid"] = header(0, 1, (256 - 25) << 8 | 40) + track(
        notes(RIFF_MELODY, 250, 200)
    )

    # tempo changes and a 3/4 -> 4/4 -> 7/8 metre change, a key signature, a marker
    out["tempo_and_metre_changes.mid"] = (
        header(1, 2, 480)
        + track(
            [
                (0, tempo(90)),
                (0, signature(3, 2)),
                (0, key(2, 0)),
                (0, meta(0x06, b"Verse")),
                (480 * 3 * 2, tempo(100)),
                (0, signature(4, 2)),
                (480 * 4 * 2, tempo(84.5)),
                (0, signature(7, 3)),
            ]
        )
        + track(notes([62, 64, 66, 67, 69, 71, 73, 74] * 4, 360, 300))
    )

    # overlapping notes of one pitch (a second note-on before the first note-off), notes never
    # released, an orphan note-off
    out["overlapping_same_pitch.mid"] = header(0, 1, 480) + track(
        [
            (0, bytes([0x90, 60, 100])),
            (240, bytes([0x90, 60, 80])),  # retrigger while sounding
            (240, bytes([0x80, 60, 0])),
            (240, bytes([0x80, 60, 0])),
            (0, bytes([0x80, 61, 0])),  # never started
            (0, bytes([0x90, 64, 90])),
            (480, bytes([0x90, 67, 90])),  # both held to the end of the track
            (960, meta(0x01, b"end")),
        ]
    )

    # bass line with pitch bends, modulation and sustain pedal, program change, key signature
    bent: list[tuple[int, bytes]] = [(0, bytes([0xC1, 33])), (0, bytes([0xB1, 7, 100]))]
    for delta, raw in notes(BASS, 240, 200, channel=1):
        bent.append((delta, raw))
        if raw[0] & 0xF0 == 0x90:
            bent.append((0, bytes([0xE1, 0x00, 0x50])))
            bent.append((0, bytes([0xB1, 1, 40])))
            bent.append((0, bytes([0xB1, 64, 127])))
    out["bass_pitchbend_cc.mid"] = header(1, 2, 480) + conductor + track(bent)

    # GM drum pitches written on channel 1 (no channel 10 anywhere)
    drums_ch1 = [(d, bytes([raw[0] & 0xF0, *raw[1:]])) for d, raw in drum_bar() * 2]
    out["drums_on_channel_1.mid"] = header(1, 2, 480) + track([(0, tempo(100))]) + track(drums_ch1)

    # lyrics and text in Latin-1 and Shift-JIS, a sysex (GM reset), copyright, track names
    out["lyrics_odd_encodings.mid"] = (
        header(1, 2, 480)
        + track(
            [
                (0, meta(0x03, "Chanson d'été".encode("latin-1"))),
                (0, meta(0x02, "© ours, CC0".encode("latin-1"))),
                (0, tempo(72)),
                (0, bytes([0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7])),
            ]
        )
        + track(
            [
                (0, meta(0x03, "うた".encode("shift_jis"))),
                (0, meta(0x05, "été ".encode("latin-1"))),
                *notes([67, 69, 71, 72], 480, 400)[:2],
                (0, meta(0x05, "さくら".encode("shift_jis"))),
                *notes([67, 69, 71, 72], 480, 400)[2:],
                (0, meta(0x7F, b"\x00\x00\x41\x01")),  # sequencer-specific
            ]
        )
    )

    # a long file: 80 bars of a melody (more than a pattern holds)
    long_line = notes([60 + (i * 5) % 12 for i in range(80 * 8)], 240, 200)
    out["long_80_bars.mid"] = header(0, 1, 480) + track([(0, tempo(140)), *long_line])

    # a chunk the standard does not know (readers must skip it), before the track
    out["unknown_chunk.mid"] = (
        header(0, 1, 96) + chunk(b"XFIH", b"XF02 data") + track(notes(RIFF_MELODY, 48, 40))
    )

    # the header claims three tracks, the file holds one
    out["header_claims_more_tracks.mid"] = header(1, 3, 96) + track(notes(RIFF_MELODY, 48, 40))

    # a RIFF RMID file (.mid saved by Windows tools), the SMF inside a 'data' chunk
    smf = header(0, 1, 96) + track(notes(RIFF_MELODY, 48, 40))
    riff_body = b"RMID" + b"data" + len(smf).to_bytes(4, "little") + smf
    out["riff_rmid.mid"] = b"RIFF" + len(riff_body).to_bytes(4, "little") + riff_body

    # type 2: two independent sequences
    out["type2_two_patterns.mid"] = (
        header(2, 2, 96) + track(notes(RIFF_MELODY, 48, 40)) + track(notes(BASS, 48, 40))
    )

    # a velocity byte over 127 (a broken writer)
    broken = notes(RIFF_MELODY, 48, 40)
    broken[0] = (0, bytes([0x90, 60, 0xC8]))
    out["data_byte_over_127.mid"] = header(0, 1, 96) + track(broken)

    # no end-of-track event
    out["no_end_of_track.mid"] = header(0, 1, 96) + track(notes(RIFF_MELODY, 48, 40), end=False)

    # refusals: a file cut short, a header with zero ticks per beat, only meta events, text
    whole = header(0, 1, 96) + track(notes(RIFF_MELODY, 48, 40))
    out["truncated.mid"] = whole[: len(whole) - 20]
    out["zero_division.mid"] = header(0, 1, 0) + track(notes(RIFF_MELODY, 48, 40))
    out["no_notes.mid"] = header(1, 1, 480) + track([(0, tempo(120)), (0, signature(4, 2))])
    out["not_midi.mid"] = b'd1 $ sound "bd sn"\n'
    out["empty.mid"] = b""
    return out


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, data in files().items():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
