"""The PNG decoder refuses malformed files with one line naming the chunk and byte offset."""

from __future__ import annotations

import struct
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

refkmeans_png = pytest.importorskip("refkmeans_png")

from pngtools import SIGNATURE, build, chunk, chunk_offsets, ihdr, lcg_samples, png_file  # noqa: E402

from refkmeans.errors import ImageError  # noqa: E402

decode_png = refkmeans_png.decode_png
GOOD = build(lcg_samples(4 * 3 * 3, 255, 1), 4, 3, 8, 2)
IDAT = zlib.compress(b"\x00" + bytes(12))  # one 4x1 RGB row, filter 0


def error_of(data: bytes, **kwargs: int) -> str:
    with pytest.raises(ImageError) as caught:
        decode_png(data, **kwargs)
    message = str(caught.value)
    assert message.startswith("png: ") and "\n" not in message
    return message


def offset_of(data: bytes, kind: bytes, nth: int = 0) -> int:
    return [pos for k, pos, _ in chunk_offsets(data) if k == kind][nth]


def test_a_bad_signature_is_refused_at_byte_0() -> None:
    assert error_of(b"GIF89a" + bytes(30)) == "png: not a PNG file: bad signature at byte 0"
    assert "ends inside the signature at byte 4" in error_of(SIGNATURE[:4])
    assert error_of(b"") == "png: file ends inside the signature at byte 0"


@pytest.mark.parametrize("kind", [b"IHDR", b"IDAT", b"IEND"])
def test_a_bad_crc_names_the_chunk_and_its_offset(kind: bytes) -> None:
    position = offset_of(GOOD, kind)
    _, _, length = next(c for c in chunk_offsets(GOOD) if c[0] == kind)
    broken = bytearray(GOOD)
    broken[position + 8 + length] ^= 1  # first CRC byte
    message = error_of(bytes(broken))
    assert "bad CRC" in message and message.endswith(f"in chunk {kind.decode()} at byte {position}")


def test_a_bad_crc_in_an_ancillary_chunk_is_refused_too() -> None:
    data = build([1, 2, 3], 1, 1, 8, 2, extra=[chunk(b"tEXt", b"a\x00b")])
    position = offset_of(data, b"tEXt")
    broken = bytearray(data)
    broken[position + 8] ^= 0xFF
    assert error_of(bytes(broken)).endswith(f"in chunk tEXt at byte {position}")


def test_truncation_inside_a_chunk_or_before_iend_is_refused() -> None:
    position = offset_of(GOOD, b"IDAT")
    message = error_of(GOOD[: position + 20])
    assert "truncated" in message and f"in chunk IDAT at byte {position}" in message
    iend = offset_of(GOOD, b"IEND")
    assert error_of(GOOD[:iend]) == f"png: file ends before IEND (truncated) at byte {iend}"


def test_chunk_type_must_be_four_letters() -> None:
    data = png_file(ihdr(4, 1, 8, 2), b"\x00\x00\x00\x00" + b"ID4T" + b"\x00\x00\x00\x00")
    assert "invalid chunk type b'ID4T' at byte 37" in error_of(data)


def test_a_chunk_length_above_2_31_is_refused() -> None:
    data = png_file(ihdr(4, 1, 8, 2)) + struct.pack(">I4s", 2**31, b"IDAT")
    assert "chunk length 2147483648 exceeds 2^31-1 in chunk IDAT at byte 33" in error_of(data)


@pytest.mark.parametrize(
    "header, expected",
    [
        (ihdr(0, 1, 8, 2), "width must be 1..2^31-1, got 0"),
        (ihdr(1, 2**31, 8, 2), "height must be 1..2^31-1"),
        (ihdr(1, 1, 8, 5), "unknown colour type 5"),
        (ihdr(1, 1, 4, 2), "bit depth 4 is not allowed for colour type 2 (truecolour)"),
        (ihdr(1, 1, 16, 3), "bit depth 16 is not allowed for colour type 3"),
        (ihdr(1, 1, 8, 2, compression=1), "unknown compression method 1"),
        (ihdr(1, 1, 8, 2, filtering=1), "unknown filter method 1"),
        (ihdr(1, 1, 8, 2, interlace=2), "unknown interlace method 2"),
        (chunk(b"IHDR", bytes(12)), "IHDR must hold 13 bytes, it holds 12"),
    ],
)
def test_bad_headers_are_refused_in_ihdr_at_byte_8(header: bytes, expected: str) -> None:
    message = error_of(png_file(header, chunk(b"IDAT", IDAT), chunk(b"IEND")))
    assert expected in message and message.endswith("in chunk IHDR at byte 8")


def test_ihdr_must_come_first() -> None:
    message = error_of(png_file(chunk(b"gAMA", bytes(4)), ihdr(4, 1, 8, 2), chunk(b"IEND")))
    assert message == "png: the first chunk must be IHDR, found gAMA in chunk gAMA at byte 8"


def test_the_pixel_limit_is_checked_on_ihdr_before_anything_is_inflated() -> None:
    # 60000 x 60000 RGB would need 10.8 GB; the file is tiny and must cost nothing.
    bomb = png_file(ihdr(60000, 60000, 8, 2), chunk(b"IDAT", zlib.compress(bytes(10**6))), chunk(b"IEND"))
    tracemalloc.start()
    try:
        message = error_of(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "60000x60000 image has 3600000000 pixels, above the limit of 100000000 in chunk IHDR at byte 8" in message
    assert peak < 2 * 10**6
    assert "above the limit of 11" in error_of(GOOD, max_pixels=11)
    assert decode_png(GOOD, max_pixels=12).pixel_count == 12


def test_a_zlib_bomb_inside_a_small_image_stops_at_the_size_the_header_allows() -> None:
    bomb = png_file(ihdr(4, 1, 8, 2), chunk(b"IDAT", zlib.compress(bytes(30 * 10**6), 9)), chunk(b"IEND"))
    assert len(bomb) < 40_000  # 30 MB of zeros inflate from 30 kB
    tracemalloc.start()
    try:
        message = error_of(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "more image data than the 13 bytes the header needs in chunk IDAT at byte 33" in message
    assert peak < 5 * 10**6


@pytest.mark.parametrize(
    "chunks, expected",
    [
        ([chunk(b"PLTE", bytes(6))], "a greyscale image cannot have a PLTE chunk in chunk PLTE at byte 33"),
        ([chunk(b"tRNS", bytes(3))], "tRNS for colour type 0 must hold 2 bytes, it holds 3 in chunk tRNS at byte 33"),
    ],
)
def test_chunks_the_greyscale_type_forbids(chunks: list, expected: str) -> None:
    data = png_file(ihdr(4, 1, 8, 0), *chunks, chunk(b"IDAT", zlib.compress(bytes(5))), chunk(b"IEND"))
    assert error_of(data) == "png: " + expected


def test_palette_rules() -> None:
    def indexed(*chunks: bytes, depth: int = 2) -> bytes:
        return png_file(ihdr(4, 1, depth, 3), *chunks, chunk(b"IDAT", zlib.compress(b"\x00\x1b")), chunk(b"IEND"))

    plte = chunk(b"PLTE", bytes(range(12)))
    assert "PLTE must hold 1..256 entries of 3 bytes, it holds 7 bytes in chunk PLTE at byte 33" in error_of(indexed(chunk(b"PLTE", bytes(7))))
    assert "PLTE must hold 1..256 entries" in error_of(indexed(chunk(b"PLTE", b"")))
    assert "5 PLTE entries do not fit bit depth 2" in error_of(indexed(chunk(b"PLTE", bytes(15))))
    assert "a second PLTE chunk (the first is at byte 33) in chunk PLTE at byte 57" in error_of(indexed(plte, plte))
    assert "an indexed image needs a PLTE chunk before IDAT in chunk IDAT at byte 33" in error_of(indexed())
    assert "tRNS must come after PLTE in chunk tRNS" in error_of(indexed(chunk(b"tRNS", b"\x00"), plte))
    assert "tRNS holds 5 alpha values for 4 palette entries" in error_of(indexed(plte, chunk(b"tRNS", bytes(5))))
    # indices 0,1,2,3 (0x1b = 00 01 10 11) with a 3-entry palette: index 3 is past the end
    message = error_of(indexed(chunk(b"PLTE", bytes(9))))
    assert "palette index 3 at pixel 3 is past the 3-entry PLTE in chunk IDAT at byte 54" in message
    assert decode_png(indexed(plte, chunk(b"tRNS", b"\x00\x80"))).channels == 4


def test_trns_with_an_alpha_channel_or_after_idat_is_refused() -> None:
    rgba = png_file(ihdr(1, 1, 8, 6), chunk(b"tRNS", bytes(6)), chunk(b"IDAT", zlib.compress(bytes(5))), chunk(b"IEND"))
    assert "an image with an alpha channel cannot have a tRNS chunk" in error_of(rgba)
    late = png_file(ihdr(4, 1, 8, 2), chunk(b"IDAT", IDAT), chunk(b"tRNS", bytes(6)), chunk(b"IEND"))
    assert "tRNS must come before IDAT in chunk tRNS at byte 56" in error_of(late)


def test_idat_chunks_must_be_consecutive_and_present() -> None:
    half = len(IDAT) // 2
    split = png_file(ihdr(4, 1, 8, 2), chunk(b"IDAT", IDAT[:half]), chunk(b"tEXt", b"a\x00b"), chunk(b"IDAT", IDAT[half:]), chunk(b"IEND"))
    assert "IDAT chunks must be consecutive, but tEXt came between them" in error_of(split)
    none = png_file(ihdr(4, 1, 8, 2), chunk(b"IEND"))
    assert error_of(none) == "png: no IDAT chunk in chunk IEND at byte 33"


@pytest.mark.parametrize(
    "stream, expected",
    [
        (b"\x78\x9c\xff\xff\xff", "corrupt zlib data"),
        (zlib.compress(b"\x00" + bytes(5)), "image data ends after 6 of 13 bytes"),
        (zlib.compress(b"\x00" + bytes(12))[:-4], "the zlib stream is not finished"),
        (zlib.compress(b"\x00" + bytes(12)) + b"extra", "data after the end of the zlib stream"),
        (zlib.compress(b"\x07" + bytes(12)), "invalid filter type 7 in row 0 (inflated byte 0)"),
    ],
)
def test_bad_image_data_is_refused_in_idat(stream: bytes, expected: str) -> None:
    message = error_of(png_file(ihdr(4, 1, 8, 2), chunk(b"IDAT", stream), chunk(b"IEND")))
    assert expected in message and message.endswith("in chunk IDAT at byte 33")


def test_more_data_in_a_later_idat_after_the_stream_ended_is_refused() -> None:
    data = png_file(ihdr(4, 1, 8, 2), chunk(b"IDAT", IDAT), chunk(b"IDAT", b"junk"), chunk(b"IEND"))
    assert "data after the end of the zlib stream in chunk IDAT at byte" in error_of(data)
    fine = png_file(ihdr(4, 1, 8, 2), chunk(b"IDAT", IDAT), chunk(b"IDAT", b""), chunk(b"IEND"))
    assert decode_png(fine).pixel_count == 4


def test_an_invalid_filter_in_an_interlaced_image_names_the_pass() -> None:
    stream = zlib.compress(b"\x09\x00\x00\x00")  # pass 1 of a 1x1 RGB image
    data = png_file(ihdr(1, 1, 8, 2, interlace=1), chunk(b"IDAT", stream), chunk(b"IEND"))
    assert "invalid filter type 9 in row 0 of pass 1" in error_of(data)


def test_unknown_critical_chunks_are_refused_and_iend_must_be_empty() -> None:
    data = png_file(ihdr(4, 1, 8, 2), chunk(b"ABCD", b"x"), chunk(b"IDAT", IDAT), chunk(b"IEND"))
    assert error_of(data) == "png: unknown critical chunk ABCD in chunk ABCD at byte 33"
    data = png_file(ihdr(4, 1, 8, 2), chunk(b"IDAT", IDAT), chunk(b"IEND", b"x"))
    assert "IEND must be empty" in error_of(data)
    data = png_file(ihdr(4, 1, 8, 2), ihdr(4, 1, 8, 2), chunk(b"IDAT", IDAT), chunk(b"IEND"))
    assert "a second IHDR chunk (the first is at byte 8)" in error_of(data)


def test_bytes_after_iend_are_ignored() -> None:
    assert decode_png(GOOD + b"trailing garbage").pixel_count == 12


def test_the_codec_holds_one_image_only() -> None:
    codec = refkmeans_png.PngCodec()
    with pytest.raises(ImageError, match="image 1 requested"):
        codec.decode(GOOD, index=1)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_corruption_gives_an_image_or_one_image_error(data: st.DataObject) -> None:
    original = build(lcg_samples(5 * 4, 3, 2), 5, 4, 4, 3, interlaced=True, palette=[(1, 2, 3)] * 4, trns=b"\x00")
    broken = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(broken) - 1))
        broken[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(broken)))
    try:
        decode_png(bytes(broken[:cut]) if cut < len(broken) else bytes(broken))
    except ImageError as exc:
        assert str(exc).startswith("png: ") and "\n" not in str(exc)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([(8, 2), (1, 0), (16, 6), (2, 3)]), st.booleans(), st.data())
def test_random_image_data_with_valid_chunks_decodes_or_fails_cleanly(mode, interlace: bool, data: st.DataObject) -> None:
    depth, colour_type = mode
    planes = {0: 1, 2: 3, 3: 1, 6: 4}[colour_type]
    exact = 5 * (1 + (3 * planes * depth + 7) // 8)  # the size a non-interlaced 3x5 image needs
    size = data.draw(st.sampled_from([exact, exact - 1, exact + 1]) if not interlace else st.integers(0, 90))
    # Filter bytes mostly valid, so that decoding gets past them.
    stream = bytes(data.draw(st.lists(st.integers(0, 5), min_size=size, max_size=size)))
    chunks = [ihdr(3, 5, depth, colour_type, int(interlace))]
    if colour_type == 3:
        chunks.append(chunk(b"PLTE", bytes(range(9))))
    try:
        image = decode_png(png_file(*chunks, chunk(b"IDAT", zlib.compress(stream)), chunk(b"IEND")))
    except ImageError as exc:
        assert str(exc).startswith("png: ")
    else:
        assert image.pixel_count == 15
