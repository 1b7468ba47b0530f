"""Tests for the netpbm codec (PBM, PGM, PPM, plain and raw, and PAM).

Expected sample values are written out by hand from the netpbm
specification, not computed with the code under test.
"""

from __future__ import annotations

import io
import sys
import tracemalloc
from array import array

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refkmeans.builtin.netpbm import (
    LINE_WIDTH,
    MAX_PAM_HEADER,
    NetpbmCodec,
    refkmeans_register_codecs,
)
from refkmeans.errors import ImageError
from refkmeans.image import Image

CODEC = NetpbmCodec()


def decode(data: bytes, **kwargs: int) -> Image:
    return CODEC.decode(data, **kwargs)


def samples(image: Image) -> list[int]:
    return list(image.samples)


def error_of(data: bytes, **kwargs: int) -> str:
    """The ImageError message for decoding ``data`` (which must fail)."""
    with pytest.raises(ImageError) as caught:
        decode(data, **kwargs)
    message = str(caught.value)
    assert message.startswith("netpbm: ")
    assert "\n" not in message
    return message


# -- codec attributes -----------------------------------------------------------


def test_codec_describes_itself() -> None:
    assert CODEC.name == "netpbm"
    assert CODEC.extensions == (".ppm", ".pgm", ".pbm", ".pam", ".pnm")
    assert CODEC.description
    assert "netpbm" in repr(CODEC)


def test_hook_registers_one_netpbm_codec() -> None:
    registered: list[object] = []
    refkmeans_register_codecs(registered.append)
    assert len(registered) == 1
    assert isinstance(registered[0], NetpbmCodec)


@pytest.mark.parametrize("head", [b"P1\n", b"P2 ", b"P3\t", b"P4\r", b"P5\n1 1", b"P6\x0b", b"P7\n"])
def test_sniff_accepts_every_magic_followed_by_whitespace(head: bytes) -> None:
    assert CODEC.sniff(head)


@pytest.mark.parametrize("head", [b"", b"P", b"P6", b"P0\n", b"P8\n", b"P6x", b"p6\n", b"GIF89a", b"\x89PNG"])
def test_sniff_rejects_anything_else(head: bytes) -> None:
    assert not CODEC.sniff(head)


# -- decoding each format ---------------------------------------------------------


def test_plain_pbm_decodes_with_black_as_zero() -> None:
    image = decode(b"P1\n3 2\n0 1 0\n1 1 0\n")
    assert (image.width, image.height, image.channels, image.maxval) == (3, 2, 1, 1)
    assert image.tupltype == "BLACKANDWHITE"
    # PBM 1 = black -> sample 0; PBM 0 = white -> sample 1.
    assert samples(image) == [1, 0, 1, 0, 0, 1]


def test_plain_pbm_digits_may_run_together() -> None:
    image = decode(b"P1 4 2 0101\n00 11")
    assert samples(image) == [1, 0, 1, 0, 1, 1, 0, 0]


def test_raw_pbm_rows_are_padded_to_bytes_and_inverted() -> None:
    # Width 10: two bytes a row, the last 6 bits of each row are padding
    # (deliberately set here: their value must not matter).
    data = b"P4\n10 2\n" + bytes([0b10110000, 0b01111111, 0b00000000, 0b11000000])
    image = decode(data)
    assert (image.width, image.height, image.channels, image.maxval) == (10, 2, 1, 1)
    assert samples(image) == [
        0, 1, 0, 0, 1, 1, 1, 1, 1, 0,
        1, 1, 1, 1, 1, 1, 1, 1, 0, 0,
    ]  # fmt: skip


def test_raw_pbm_with_width_a_multiple_of_eight_needs_no_cropping() -> None:
    image = decode(b"P4 8 1\n\x0f")
    assert samples(image) == [1, 1, 1, 1, 0, 0, 0, 0]


def test_plain_pgm_decodes_known_values() -> None:
    image = decode(b"P2\n# a comment\n3 1\n15\n0 7\n15\n")
    assert (image.width, image.height, image.channels, image.maxval) == (3, 1, 1, 15)
    assert image.tupltype == "GRAYSCALE"
    assert samples(image) == [0, 7, 15]


def test_raw_pgm_decodes_known_values() -> None:
    image = decode(b"P5 2 2 200\n\x00\x01\xc7\xc8")
    assert samples(image) == [0, 1, 199, 200]
    assert image.samples.typecode == "B"


def test_plain_ppm_decodes_known_values() -> None:
    image = decode(b"P3\n2 1\n255\n255 0 0   0 0 255\n")
    assert (image.channels, image.tupltype) == (3, "RGB")
    assert image.pixels() == [(255, 0, 0), (0, 0, 255)]


def test_raw_ppm_decodes_known_values() -> None:
    image = decode(b"P6\n1 2\n255\n\x01\x02\x03\xfd\xfe\xff")
    assert image.pixels() == [(1, 2, 3), (253, 254, 255)]


def test_raw_pgm_with_16_bit_samples_is_big_endian() -> None:
    image = decode(b"P5 3 1 65535\n\x01\x02\xff\xfe\x00\x01")
    assert samples(image) == [0x0102, 0xFFFE, 0x0001]
    assert image.samples.typecode == "H"


def test_plain_ppm_with_16_bit_samples() -> None:
    image = decode(b"P3 1 1 1000 1000 0 999")
    assert samples(image) == [1000, 0, 999]
    assert image.samples.typecode == "H"


def test_pam_rgb_alpha_decodes_known_values() -> None:
    data = b"P7\nWIDTH 2\nHEIGHT 1\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n\x0a\x14\x1e\x28\x32\x3c\x46\x50"
    image = decode(data)
    assert (image.width, image.height, image.channels, image.maxval) == (2, 1, 4, 255)
    assert image.tupltype == "RGB_ALPHA"
    assert image.pixels() == [(10, 20, 30, 40), (50, 60, 70, 80)]


def test_pam_16_bit_grayscale_alpha_is_big_endian() -> None:
    data = b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 2\nMAXVAL 300\nTUPLTYPE GRAYSCALE_ALPHA\nENDHDR\n\x01\x2c\x00\x05"
    image = decode(data)
    assert samples(image) == [300, 5]


def test_pam_header_allows_comments_blank_lines_indent_and_crlf() -> None:
    data = (
        b"P7\r\n# made by hand\r\n\r\n  WIDTH   1 \r\n\tHEIGHT 1\r\n   # indented\n"
        b"DEPTH 1\r\nMAXVAL 9\r\nENDHDR\r\n\x09"
    )
    image = decode(data)
    assert samples(image) == [9]
    assert image.tupltype == "GRAYSCALE"  # no TUPLTYPE: the default for depth 1


def test_pam_tupltype_lines_concatenate_with_a_space() -> None:
    data = (
        b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 3\nMAXVAL 255\nTUPLTYPE CIE  LAB\nTUPLTYPE\nTUPLTYPE  D65 \nENDHDR\n\x01\x02\x03"
    )
    assert decode(data).tupltype == "CIE  LAB D65"


def test_pam_unknown_tupltype_is_kept_as_a_string() -> None:
    data = b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 5\nMAXVAL 7\nTUPLTYPE CMYKA\nENDHDR\n" + bytes([1, 2, 3, 4, 5])
    image = decode(data)
    assert image.tupltype == "CMYKA"
    assert image.pixels() == [(1, 2, 3, 4, 5)]


def test_pam_blackandwhite_is_not_inverted() -> None:
    data = b"P7\nWIDTH 2\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nTUPLTYPE BLACKANDWHITE\nENDHDR\n\x00\x01"
    image = decode(data)
    assert samples(image) == [0, 1]
    assert image.tupltype == "BLACKANDWHITE"


def test_comments_may_sit_between_any_header_tokens() -> None:
    data = b"P6#right after magic\n2#after width\n 1 # before maxval\n#x\n255\n\x01\x02\x03\x04\x05\x06"
    assert samples(decode(data)) == [1, 2, 3, 4, 5, 6]


def test_many_header_comments_cost_little_memory() -> None:
    data = b"P5" + b"\n# c" * 100_000 + b"\n1 1 255\n\x07"
    tracemalloc.start()
    try:
        image = decode(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert samples(image) == [7]
    assert peak < 1_000_000


def test_comment_after_maxval_replaces_the_delimiter_byte() -> None:
    # The raster starts right after the comment's LF; the 0x0a after it is data.
    image = decode(b"P5 2 1 255# note\n\x0a\x20")
    assert samples(image) == [10, 32]


def test_comment_may_end_with_a_carriage_return() -> None:
    image = decode(b"P5 1 1#c\r255#d\r\n")
    assert samples(image) == [10]  # CR ends the comment, LF is the sample


def test_single_non_newline_whitespace_ends_the_header() -> None:
    # A TAB delimits; the raster bytes themselves look like whitespace.
    image = decode(b"P5 3 1 255\t\n \t")
    assert samples(image) == [10, 32, 9]


def test_pbm_header_ends_after_height() -> None:
    image = decode(b"P4 1 1 \x80")
    assert samples(image) == [0]


def test_decode_accepts_bytearray_and_memoryview() -> None:
    data = b"P5 1 1 255\n\x07"
    assert samples(decode(bytearray(data))) == [7]  # type: ignore[arg-type]
    assert samples(decode(memoryview(data))) == [7]  # type: ignore[arg-type]


def test_trailing_bytes_after_the_first_image_are_ignored() -> None:
    assert samples(decode(b"P5 1 1 255\n\x07garbage")) == [7]


# -- several images in one file ------------------------------------------------------

MIXED = (
    b"P6 1 1 255\n\x01\x02\x03"
    b"P5 2 1 65535\n\x01\x00\x00\x02\n\n"
    b"P2 2 1 9 4 5 "
    b"P1 3 1 011"
    b"P4 3 1\n\x20"
    b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 2\nMAXVAL 255\nENDHDR\n\x08\x09"
    b"P3 1 1 7 1 2 3\n"
)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, [1, 2, 3]),
        (1, [256, 2]),
        (2, [4, 5]),
        (3, [1, 0, 0]),
        (4, [1, 1, 0]),
        (5, [8, 9]),
        (6, [1, 2, 3]),
    ],
)
def test_index_picks_one_of_several_concatenated_images(index: int, expected: list[int]) -> None:
    assert samples(decode(MIXED, index=index)) == expected


def test_index_past_the_last_image_says_how_many_there_are() -> None:
    message = error_of(MIXED, index=7)
    assert message == (f"netpbm: image 7 requested (counting from 0) but the file holds 7 images at byte {len(MIXED)}")
    message = error_of(b"P5 1 1 255\n\x07\n", index=1)
    assert "image 1 requested" in message
    assert "holds 1 image at byte 13" in message


def test_garbage_where_the_next_image_should_start_is_a_bad_magic() -> None:
    message = error_of(b"P5 1 1 255\n\x07 junk", index=1)
    assert message == "netpbm: bad magic number 'ju' where image 1 should start at byte 13"


def test_skipped_plain_image_must_still_be_valid() -> None:
    assert "exceeds maxval" in error_of(b"P2 1 1 3 4 P2 1 1 3 3", index=1)


def test_negative_index_is_an_image_error() -> None:
    with pytest.raises(ImageError, match="index"):
        decode(b"P5 1 1 255\n\x07", index=-1)


# -- malformed input ------------------------------------------------------------------


def test_truncated_header_reports_where_the_file_ends() -> None:
    assert error_of(b"P6\n3 2") == ("netpbm: premature end of file reading the header at byte 6")
    assert "premature end" in error_of(b"P6\n3 2 255")  # no delimiter byte
    assert "premature end" in error_of(b"P5 1 1 255#no newline")
    assert "premature end" in error_of(b"P6 # only a comment")
    assert error_of(b"P") == ("netpbm: premature end of file reading the magic number at byte 1")
    assert "premature end" in error_of(b"")


def test_truncated_raster_is_refused_before_decoding() -> None:
    data = b"P6\n3 2\n255\n" + bytes(10)
    message = error_of(data)
    assert "premature end of file in the raster" in message
    assert "needs 18 bytes from byte 11, the file has 10" in message
    assert message.endswith(f"at byte {len(data)}")


@pytest.mark.parametrize(
    "data",
    [
        b"P4 9 2\n\x00\x00\x00",
        b"P5 2 1 65535\n\x00\x01\x00",
        b"P7\nWIDTH 2\nHEIGHT 1\nDEPTH 2\nMAXVAL 255\nENDHDR\n\x00\x01\x02",
        b"P1 3 1 0 1",
        b"P2 2 1 255 7",
        b"P3 1 1 255 1 2",
    ],
)
def test_each_truncated_raster_is_an_image_error(data: bytes) -> None:
    assert "premature end" in error_of(data)


def test_truncated_plain_raster_counts_the_samples_found() -> None:
    message = error_of(b"P2 3 1 255 1 2      ")
    assert "2 of 3 samples" in message
    message = error_of(b"P1 5 1 01 0         ")
    assert "3 of 5 samples" in message


def test_huge_declared_size_fails_fast_on_the_pixel_limit() -> None:
    message = error_of(b"P6\n100000 100000\n255\n" + bytes(10))
    assert message == ("netpbm: 100000x100000 image has 10000000000 pixels, above the limit of 100000000 at byte 0")
    assert "limit of 4" in error_of(b"P5 3 2 255\n" + bytes(6), max_pixels=4)


@pytest.mark.parametrize(
    "header",
    [
        b"P6\n100000 100000\n255\n",
        b"P4\n100000 100000\n",
        b"P3\n100000 100000\n255\n",
        b"P1\n100000 100000\n",
        b"P7\nWIDTH 100000\nHEIGHT 100000\nDEPTH 4\nMAXVAL 65535\nENDHDR\n",
    ],
)
def test_huge_declared_size_below_the_limit_fails_without_allocating(
    header: bytes,
) -> None:
    data = header + b"1 " * 8
    tracemalloc.start()
    try:
        message = error_of(data, max_pixels=10**12)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "premature end of file in the raster" in message
    assert peak < 1_000_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"P2 1 1 0\n0", "netpbm: maxval must be 1..65535, got 0 at byte 7"),
        (b"P5 1 1 65536\n\x00\x00", "netpbm: maxval must be 1..65535, got 65536 at byte 7"),
        (
            b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 0\nENDHDR\n\x00",
            "netpbm: MAXVAL must be 1..65535, got 0 at byte 35",
        ),
        (
            b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 65536\nENDHDR\n\x00\x00",
            "netpbm: MAXVAL must be 1..65535, got 65536 at byte 35",
        ),
    ],
)
def test_maxval_outside_1_to_65535_is_refused(data: bytes, message: str) -> None:
    assert error_of(data) == message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"P6 0 1 255\n", "netpbm: width must be at least 1, got 0 at byte 3"),
        (b"P1 1 0\n", "netpbm: height must be at least 1, got 0 at byte 5"),
        (
            b"P7\nWIDTH 0\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nENDHDR\n",
            "netpbm: WIDTH must be at least 1, got 0 at byte 9",
        ),
        (
            b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 0\nMAXVAL 1\nENDHDR\n",
            "netpbm: DEPTH must be 1..8, got 0 at byte 26",
        ),
    ],
)
def test_zero_dimensions_are_refused(data: bytes, message: str) -> None:
    assert error_of(data) == message


def test_raw_8_bit_sample_above_maxval_is_located() -> None:
    data = b"P5 4 1 100\n\x05\x64\x65\xff"
    assert error_of(data) == "netpbm: sample 101 exceeds maxval 100 at byte 13"


def test_raw_16_bit_sample_above_maxval_is_located() -> None:
    data = b"P5 3 1 1000\n\x03\xe8\x03\xe9\x00\x00"
    assert error_of(data) == "netpbm: sample 1001 exceeds maxval 1000 at byte 14"


def test_pam_sample_above_maxval_is_located() -> None:
    data = b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 2\nMAXVAL 3\nENDHDR\n\x03\x04"
    assert error_of(data) == f"netpbm: sample 4 exceeds maxval 3 at byte {len(data) - 1}"


def test_plain_sample_above_maxval_is_located() -> None:
    assert error_of(b"P2 2 1 10 5 11") == ("netpbm: sample 11 exceeds maxval 10 at byte 12")
    assert error_of(b"P3 1 1 255\n1 256 3") == ("netpbm: sample 256 exceeds maxval 255 at byte 13")


def test_plain_pbm_digit_other_than_0_or_1_is_located() -> None:
    assert error_of(b"P1 3 1\n0 2 1") == ("netpbm: plain PBM sample must be 0 or 1, got '2' at byte 9")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a", "netpbm: not a netpbm file: bad magic number 'GI' at byte 0"),
        (b"P8 1 1 1\n", "netpbm: not a netpbm file: bad magic number 'P8' at byte 0"),
        (b"\x00\n", "netpbm: not a netpbm file: bad magic number '\\x00\\n' at byte 0"),
        (
            b"P63 2 255\n",
            "netpbm: magic number 'P6' is not followed by whitespace at byte 2",
        ),
        (b"P7 332\n", "netpbm: unexpected text after the P7 magic number at byte 3"),
    ],
)
def test_bad_magic_is_refused(data: bytes, message: str) -> None:
    assert error_of(data) == message


def test_overlong_header_token_is_refused() -> None:
    data = b"P5 " + b"1" * 25 + b" 1 255\n"
    assert error_of(data) == ("netpbm: token too long reading the width ('11111111111111111111...') at byte 3")


def test_twenty_digit_header_token_is_read_and_then_hits_the_limit() -> None:
    assert "above the limit" in error_of(b"P5 " + b"9" * 20 + b" 1 255\n")


def test_overlong_pam_token_is_refused() -> None:
    data = b"P7\nWIDTH " + b"0" * 21 + b"1\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nENDHDR\n\x00"
    assert error_of(data) == ("netpbm: token too long reading the WIDTH ('00000000000000000000...') at byte 9")


def test_overlong_plain_sample_is_refused_even_with_leading_zeros() -> None:
    # 5000 digits would also be beyond int()'s default digit limit.
    data = b"P2 2 1 255 1 " + b"0" * 5000 + b"7"
    assert error_of(data) == ("netpbm: token too long reading the sample ('00000000000000000000...') at byte 13")


@pytest.mark.parametrize(
    ("data", "token", "offset"),
    [
        (b"P6 -3 1 255\n", "-3", 3),
        (b"P6 +3 1 255\n", "+3", 3),
        (b"P6 3 1_0 255\n", "1_0", 5),
        (b"P6 3 x 255\n", "x", 5),
        (b"P6 1 1 2.5\n", "2.5", 7),
        (b"P6 1 1 \xff\n", "\xff", 7),
        (b"P2 2 1 255 1 -2", "-2", 13),
        (b"P3 1 1 255 1 2 x#", "x#", 15),
        (b"P7\nWIDTH -1\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nENDHDR\n", "-1", 9),
        (b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL ff\nENDHDR\n", "ff", 35),
    ],
)
def test_negative_or_non_numeric_tokens_are_refused(data: bytes, token: str, offset: int) -> None:
    message = error_of(data)
    assert "expected a decimal number for the " in message
    assert f"got {token!r} at byte {offset}" in message


def test_pam_without_endhdr_is_truncated() -> None:
    data = b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\n"
    assert error_of(data) == (f"netpbm: premature end of file reading the PAM header (no ENDHDR) at byte {len(data)}")
    assert "no ENDHDR" in error_of(data + b"ENDHDR")  # the line must end


def test_pam_header_over_64_kib_is_refused() -> None:
    data = b"P7\n" + b"# padding padding padding\n" * 3000 + b"ENDHDR\n"
    assert len(data) > MAX_PAM_HEADER
    assert error_of(data) == (f"netpbm: PAM header longer than {MAX_PAM_HEADER} bytes at byte 0")
    one_long_line = b"P7\n#" + b"x" * MAX_PAM_HEADER
    assert "longer than" in error_of(one_long_line)


def test_pam_depth_must_match_a_standard_tupltype() -> None:
    data = b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n\x00\x00\x00\x00"
    assert error_of(data) == "netpbm: TUPLTYPE RGB needs DEPTH 3, got 4 at byte 48"


def test_pam_blackandwhite_needs_maxval_1() -> None:
    data = b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 3\nTUPLTYPE BLACKANDWHITE\nENDHDR\n\x00"
    assert "needs MAXVAL 1, got 3" in error_of(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nENDHDR\n\x00",
            "netpbm: PAM header lacks MAXVAL at byte 28",
        ),
        (
            b"P7\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nENDHDR\n\x00",
            "netpbm: PAM header lacks WIDTH at byte 29",
        ),
        (
            b"P7\nWIDTH 1\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nENDHDR\n\x00",
            "netpbm: PAM header gives WIDTH twice at byte 11",
        ),
        (
            b"P7\nWIDTH 1 2\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nENDHDR\n\x00",
            "netpbm: PAM WIDTH needs exactly one number at byte 3",
        ),
        (
            b"P7\nWIDTH\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nENDHDR\n\x00",
            "netpbm: PAM WIDTH needs exactly one number at byte 3",
        ),
        (
            b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nCOLOUR red\nENDHDR\n\x00",
            "netpbm: unknown PAM header keyword 'COLOUR' at byte 37",
        ),
        (
            b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nENDHDR now\n\x00",
            "netpbm: unexpected text after ENDHDR at byte 44",
        ),
    ],
)
def test_malformed_pam_headers_are_refused(data: bytes, message: str) -> None:
    assert error_of(data) == message


# -- encoding -----------------------------------------------------------------------


def test_raw_ppm_round_trips_exactly() -> None:
    data = b"P6\n2 1\n255\n\x01\x02\x03\xfd\xfe\xff"
    assert CODEC.encode(decode(data)) == data


def test_encode_writes_the_expected_bytes_for_each_variant() -> None:
    grey = Image(2, 1, 1, 255, [0, 200])
    rgb = Image(1, 1, 3, 65535, [1, 256, 65535])
    assert CODEC.encode(grey) == b"P5\n2 1\n255\n\x00\xc8"
    assert CODEC.encode(grey, plain=True) == b"P2\n2 1\n255\n0 200\n"
    assert CODEC.encode(rgb) == b"P6\n1 1\n65535\n\x00\x01\x01\x00\xff\xff"
    assert CODEC.encode(rgb, plain=True) == b"P3\n1 1\n65535\n1 256 65535\n"


def test_encode_ignores_palette_and_indices() -> None:
    image = Image(2, 1, 3, 255, [9, 9, 9, 0, 0, 0])
    written = CODEC.encode(image, palette=[(1, 1, 1), (2, 2, 2)], indices=array("B", [1, 0]))
    assert written == CODEC.encode(image)


def test_pbm_decoded_image_is_written_back_as_pbm() -> None:
    raw = b"P4\n10 2\n" + bytes([0b10110000, 0b01000000, 0b00000000, 0b11000000])
    assert CODEC.encode(decode(raw)) == raw
    plain = b"P1\n3 2\n010\n110\n"
    assert CODEC.encode(decode(plain), plain=True) == plain
    assert CODEC.encode(decode(plain)) == b"P4\n3 2\n\x40\xc0"


def test_grayscale_maxval_1_image_is_written_as_pgm() -> None:
    image = Image(2, 1, 1, 1, [0, 1])
    assert CODEC.encode(image) == b"P5\n2 1\n1\n\x00\x01"


def test_pam_is_written_for_two_and_four_channels_even_when_plain() -> None:
    image = Image(1, 1, 2, 255, [7, 8])
    expected = b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 2\nMAXVAL 255\nTUPLTYPE GRAYSCALE_ALPHA\nENDHDR\n\x07\x08"
    assert CODEC.encode(image) == expected
    assert CODEC.encode(image, plain=True) == expected


def test_pam_without_a_tupltype_writes_no_tupltype_line() -> None:
    image = Image(1, 1, 5, 255, [1, 2, 3, 4, 5])
    assert image.tupltype is None
    written = CODEC.encode(image)
    assert b"TUPLTYPE" not in written
    assert decode(written) == image


def test_custom_pam_tupltype_survives_a_round_trip() -> None:
    image = Image(1, 1, 4, 255, [1, 2, 3, 4], tupltype="CMYK")
    assert decode(CODEC.encode(image)).tupltype == "CMYK"


@pytest.mark.parametrize(
    ("channels", "maxval", "tupltype", "written"),
    [
        (4, 255, "RGB", "RGB_ALPHA"),
        (2, 255, "BLACKANDWHITE_ALPHA", "GRAYSCALE_ALPHA"),
        (2, 1, "BLACKANDWHITE_ALPHA", "BLACKANDWHITE_ALPHA"),
        (5, 255, "GRAYSCALE", None),
    ],
)
def test_standard_tupltype_that_cannot_fit_is_replaced(
    channels: int, maxval: int, tupltype: str, written: str | None
) -> None:
    image = Image(1, 1, channels, maxval, [1] * channels, tupltype=tupltype)
    decoded = decode(CODEC.encode(image))
    assert decoded == image
    if written is None:
        assert b"TUPLTYPE" not in CODEC.encode(image)
    else:
        assert decoded.tupltype == written


def test_unwritable_tupltypes_are_image_errors() -> None:
    with pytest.raises(ImageError, match="line break"):
        CODEC.encode(Image(1, 1, 2, 255, [1, 2], tupltype="A\nB"))
    with pytest.raises(ImageError, match="Latin-1"):
        CODEC.encode(Image(1, 1, 2, 255, [1, 2], tupltype="ÄLPHA\u20ac"))


def test_latin_1_tupltype_round_trips() -> None:
    image = Image(1, 1, 2, 255, [1, 2], tupltype="ÄLPHA")
    assert decode(CODEC.encode(image)).tupltype == "ÄLPHA"


@pytest.mark.parametrize(("width", "height"), [(0, 1), (1, 0), (0, 0)])
def test_empty_image_cannot_be_written(width: int, height: int) -> None:
    with pytest.raises(ImageError, match="at least 1x1"):
        CODEC.encode(Image(width, height, 3, 255, []))


def test_plain_lines_stay_within_70_characters() -> None:
    wide = Image(60, 2, 3, 65535, [65535, 7, 123] * 120)
    pbm = Image(150, 2, 1, 1, [0, 1, 1] * 100, tupltype="BLACKANDWHITE")
    for image in (wide, pbm, Image(70, 1, 1, 1, [0] * 70, tupltype="BLACKANDWHITE")):
        text = CODEC.encode(image, plain=True)
        assert max(map(len, text.split(b"\n"))) <= LINE_WIDTH
        assert decode(text) == image


# -- properties ----------------------------------------------------------------------


@st.composite
def images(draw: st.DrawFn) -> Image:
    channels = draw(st.integers(1, 4))
    maxval = draw(st.one_of(st.sampled_from([1, 255, 256, 65535]), st.integers(1, 65535)))
    width = draw(st.integers(1, 8))
    height = draw(st.integers(1, 8))
    values = draw(
        st.lists(
            st.integers(0, maxval),
            min_size=width * height * channels,
            max_size=width * height * channels,
        )
    )
    tupltype = None
    if channels == 1 and maxval == 1:
        tupltype = draw(st.sampled_from([None, "BLACKANDWHITE"]))
    return Image(width, height, channels, maxval, values, tupltype=tupltype)


@settings(max_examples=300, deadline=None)
@given(images(), st.booleans())
def test_any_image_round_trips(image: Image, plain: bool) -> None:
    written = CODEC.encode(image, plain=plain)
    assert CODEC.sniff(written[:3])
    decoded = decode(written)
    assert decoded == image
    assert decoded.tupltype == image.tupltype
    if plain and image.channels in (1, 3):  # PAM has no plain form
        assert written[:2] in (b"P1", b"P2", b"P3")
        assert max(map(len, written.split(b"\n"))) <= LINE_WIDTH


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(images(), st.booleans()), min_size=1, max_size=4), st.data())
def test_concatenated_images_decode_by_index(parts: list[tuple[Image, bool]], data: st.DataObject) -> None:
    joined = b"".join(
        CODEC.encode(image, plain=plain) + data.draw(st.sampled_from([b"", b"\n", b" \t\r\n"]))
        for image, plain in parts
    )
    for index, (image, _) in enumerate(parts):
        assert decode(joined, index=index) == image
    with pytest.raises(ImageError, match="requested"):
        decode(joined, index=len(parts))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 20), st.integers(1, 4), st.data())
def test_raw_pbm_matches_a_bit_by_bit_reading(width: int, height: int, data: st.DataObject) -> None:
    row_bytes = (width + 7) // 8
    raster = data.draw(st.binary(min_size=row_bytes * height, max_size=row_bytes * height))
    expected = []
    for y in range(height):
        for x in range(width):
            bit = raster[y * row_bytes + x // 8] >> (7 - x % 8) & 1
            expected.append(0 if bit else 1)
    image = decode(b"P4 %d %d\n" % (width, height) + raster)
    assert samples(image) == expected


def _all_kinds_of_files() -> list[bytes]:
    return [
        b"P1\n3 2\n0 1 0\n1 1 0\n",
        b"P2\n# c\n3 1\n15\n0 7 15\n",
        b"P3 2 1 255 255 0 0 0 0 255\n",
        b"P4\n10 2\n\xb0\x7f\x00\xc0",
        b"P5 2 2 200\n\x00\x01\xc7\xc8",
        b"P6\n1 2\n65535\n\x01\x02\x03\xfd\xfe\xff\x00\x01\x00\x02\x00\x03",
        b"P7\nWIDTH 2\nHEIGHT 1\nDEPTH 2\nMAXVAL 255\nTUPLTYPE GRAYSCALE_ALPHA\nENDHDR\n\x0a\x14\x1e\x28",
        MIXED,
    ]


def _decode_or_image_error(data: bytes, index: int = 0) -> None:
    try:
        image = decode(data, index=index)
    except ImageError as error:
        message = str(error)
        assert message.startswith("netpbm: ") and "\n" not in message
        return
    assert isinstance(image, Image)
    assert len(image.samples) == image.width * image.height * image.channels


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([b"", b"P1", b"P2 ", b"P3\n", b"P4 ", b"P5\n", b"P6 ", b"P7\n"]),
    st.binary(max_size=120),
    st.integers(0, 2),
)
def test_random_bytes_give_an_image_or_an_image_error(prefix: bytes, body: bytes, index: int) -> None:
    _decode_or_image_error(prefix + body, index)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_all_kinds_of_files()), st.data())
def test_mutated_valid_files_give_an_image_or_an_image_error(original: bytes, data: st.DataObject) -> None:
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "digit"]))
        if not mutated:
            break
        at = data.draw(st.integers(0, len(mutated) - 1))
        if action == "flip":
            mutated[at] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "cut":
            del mutated[at:]
        elif action == "insert":
            mutated[at:at] = data.draw(st.binary(min_size=1, max_size=4))
        else:
            mutated[at:at] = data.draw(st.sampled_from([b"9", b"99999", b"0", b"#"]))
    _decode_or_image_error(bytes(mutated), data.draw(st.integers(0, 3)))


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_random_plain_rasters_give_an_image_or_an_image_error(raster: bytes) -> None:
    for header in (b"P1 3 2\n", b"P2 3 2 9\n", b"P3 1 2 300\n"):
        _decode_or_image_error(header + raster.replace(b"\x00", b" "))


# -- independent oracles ----------------------------------------------------------


def test_16_bit_raster_agrees_with_numpy_big_endian_reading() -> None:
    numpy = pytest.importorskip("numpy")
    rng = numpy.random.default_rng(20240601)
    raster = rng.integers(0, 65536, size=7 * 5 * 3, dtype=numpy.uint16).astype(">u2")
    data = b"P6\n7 5\n65535\n" + raster.tobytes()
    oracle = numpy.frombuffer(raster.tobytes(), dtype=">u2").tolist()
    assert samples(decode(data)) == oracle


def test_pillow_written_ppm_and_pgm_decode_to_the_same_samples() -> None:
    pil_image = pytest.importorskip("PIL.Image")
    for mode, channels in (("L", 1), ("RGB", 3)):
        original = pil_image.new(mode, (5, 3))
        original.putdata([(i * 17) % 256 if channels == 1 else (i, 2 * i, 255 - i) for i in range(15)])
        buffer = io.BytesIO()
        original.save(buffer, format="PPM")
        image = decode(buffer.getvalue())
        assert (image.width, image.height, image.channels) == (5, 3, channels)
        assert image.samples.tobytes() == original.tobytes()


def test_a_large_raw_image_is_decoded_in_bulk_not_pixel_by_pixel() -> None:
    """A million pixels in fewer than 10 000 function calls: no Python work per pixel (counted, not timed)."""
    width, height = 1000, 1000
    raster = bytes(range(256)) * (3 * width * height // 256 + 1)
    data = b"P6 %d %d 255\n" % (width, height) + raster
    calls = 0

    def count(frame, event, arg) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        image = decode(data)
    finally:
        sys.setprofile(None)
    assert calls < 10_000, calls
    assert image.samples.tobytes() == raster[: 3 * width * height]
