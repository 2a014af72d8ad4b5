"""OSC 1.0 encoding and NRT score files, checked byte for byte against hand-worked examples."""

from __future__ import annotations

import math
import struct

import pytest

from audiomancer.supercollider import osc
from audiomancer.supercollider.osc import Bundle, Message, message


def test_strings_end_with_a_zero_and_pad_to_four_bytes() -> None:
    # OSC 1.0 spec: "OSC" is 4 bytes with one zero; "data" needs a full extra word of zeros.
    assert osc.encode_string("OSC") == b"OSC\x00"
    assert osc.encode_string("data") == b"data\x00\x00\x00\x00"
    assert osc.encode_string("") == b"\x00\x00\x00\x00"
    assert osc.encode_string("ab") == b"ab\x00\x00"
    assert osc.encode_string("abcde") == b"abcde\x00\x00\x00"
    assert osc.encode_string("é") == b"\xc3\xa9\x00\x00"
    with pytest.raises(ValueError, match="zero"):
        osc.encode_string("a\x00b")


def test_blobs_carry_their_size_and_pad() -> None:
    assert osc.encode_blob(b"\x01\x02\x03") == b"\x00\x00\x00\x03\x01\x02\x03\x00"
    assert osc.encode_blob(b"") == b"\x00\x00\x00\x00"
    assert osc.encode_blob(b"abcd") == b"\x00\x00\x00\x04abcd"


def test_int32_and_float32_are_big_endian() -> None:
    assert osc.encode_int32(1000) == bytes.fromhex("000003e8")
    assert osc.encode_int32(-1) == bytes.fromhex("ffffffff")
    assert osc.encode_float32(440.0) == bytes.fromhex("43dc0000")
    for bad in (2**31, -(2**31) - 1):
        with pytest.raises(ValueError, match="int32"):
            osc.encode_int32(bad)
    with pytest.raises(ValueError, match="float32"):
        osc.encode_float32(1e300)


def test_spec_example_one_float_argument() -> None:
    # OSC 1.0 spec example: "/oscillator/4/frequency" with the float 440.0.
    expected = bytes.fromhex(
        "2f6f7363"  # /osc
        "696c6c61"  # illa
        "746f722f"  # tor/
        "342f6672"  # 4/fr
        "65717565"  # eque
        "6e637900"  # ncy\0
        "2c660000"  # ,f\0\0
        "43dc0000"  # 440.0
    )
    assert message("/oscillator/4/frequency", 440.0).encode() == expected


def test_spec_example_mixed_arguments() -> None:
    # OSC 1.0 spec example: "/foo" with 1000, -1, "hello", 1.234, 5.678.
    expected = bytes.fromhex(
        "2f666f6f 00000000"  # /foo, padded
        "2c696973 66660000"  # ,iisff, padded
        "000003e8"  # 1000
        "ffffffff"  # -1
        "68656c6c 6f000000"  # hello, padded
        "3f9df3b6"  # 1.234
        "40b5b22d"  # 5.678
    )
    assert message("/foo", 1000, -1, "hello", 1.234, 5.678).encode() == expected


def test_blob_argument_and_no_arguments() -> None:
    assert message("/d_recv", b"\xaa\xbb").encode() == (
        b"/d_recv\x00" + b",b\x00\x00" + b"\x00\x00\x00\x02\xaa\xbb\x00\x00"
    )
    assert message("/quit").encode() == b"/quit\x00\x00\x00,\x00\x00\x00"


def test_arguments_that_osc_cannot_carry_are_refused() -> None:
    with pytest.raises(TypeError, match="boolean"):
        message("/x", True).encode()
    with pytest.raises(TypeError, match="cannot encode"):
        message("/x", [1, 2]).encode()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="start with '/'"):
        Message("x")


def test_timetags_are_32_32_fixed_point_seconds() -> None:
    assert osc.encode_timetag(0.0) == bytes(8)
    assert osc.encode_timetag(1.0) == bytes.fromhex("0000000100000000")
    assert osc.encode_timetag(1.5) == bytes.fromhex("0000000180000000")
    assert osc.encode_timetag(2.25) == bytes.fromhex("0000000240000000")
    assert osc.decode_timetag(osc.encode_timetag(123.456)) == pytest.approx(123.456, abs=1e-9)
    for bad in (-1.0, math.nan, math.inf, 2.0**32):
        with pytest.raises(ValueError):
            osc.encode_timetag(bad)


def test_bundle_layout() -> None:
    inner = message("/n_set", 1000, "gate", 0.0)
    data = Bundle(1.5, (inner,)).encode()
    encoded = inner.encode()
    assert data == (
        b"#bundle\x00"
        + bytes.fromhex("0000000180000000")
        + struct.pack(">i", len(encoded))
        + encoded
    )
    assert len(data) % 4 == 0
    assert Bundle(0.0).encode() == b"#bundle\x00" + bytes(8)


def test_nested_bundles_round_trip() -> None:
    bundle = Bundle(
        2.0,
        (
            message("/s_new", "sine", 1000, 0, 0, "freq", 220.0),
            Bundle(2.5, (message("/d_recv", b"SCgf\x00\x00\x00\x02"),)),
        ),
    )
    assert osc.decode_packet(bundle.encode()) == bundle


def test_score_file_is_size_prefixed_bundles_in_time_order() -> None:
    late = Bundle(3.0, (message("/c_set", 0, 0.0),))
    early = Bundle(0.0, (message("/d_recv", b"\x01"),))
    same_time = Bundle(0.0, (message("/s_new", "x", 1000, 0, 0),))
    data = osc.encode_score([late, early, same_time])
    expected = b""
    for bundle in (early, same_time, late):  # sorted, ties keep their order
        encoded = bundle.encode()
        expected += struct.pack(">i", len(encoded)) + encoded
    assert data == expected
    assert osc.decode_score(data) == [early, same_time, late]
    assert [(t, m.address) for t, m in osc.score_messages(osc.decode_score(data))] == [
        (0.0, "/d_recv"),
        (0.0, "/s_new"),
        (3.0, "/c_set"),
    ]


def test_decoding_rejects_truncated_data() -> None:
    data = message("/foo", 1, "bar").encode()
    with pytest.raises(ValueError):
        osc.decode_message(data[:-4])
    with pytest.raises(ValueError):
        osc.decode_score(struct.pack(">i", 100) + b"#bundle\x00")
