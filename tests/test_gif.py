"""The GIF codec: LZW both ways, still and animated files, checked against Pillow both ways."""

from __future__ import annotations

import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refkmeans import Image, ImageError, UsageError, quantize, read, write
from refkmeans.builtin.gif import (
    GifCodec,
    encode_animation,
    header,
    image_block,
    lzw_decode,
    lzw_encode,
    parse,
    read_frames,
    to_8bit,
)
from refkmeans.cli.main import main
from refkmeans.plugins import get_registry
from refkmeans.scene import scene

PIL = pytest.importorskip("PIL.Image")
CODEC = GifCodec()


def pillow_rgb(data: bytes, frame: int = 0) -> list:
    im = PIL.open(io.BytesIO(data))
    im.seek(frame)
    raw = im.convert("RGB").tobytes()
    return [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]


def pillow_gif(image, **save) -> bytes:
    out = io.BytesIO()
    image.save(out, format="GIF", **save)
    return out.getvalue()


def random_image(rnd: random.Random, width: int, height: int, colours: int) -> Image:
    palette = [tuple(rnd.randrange(256) for _ in range(3)) for _ in range(colours)]
    pixels = [palette[rnd.randrange(colours)] if rnd.random() < 0.6 else palette[(i // 5) % colours]
              for i in range(width * height)]
    return Image.from_pixels(width, height, pixels)


# -- LZW -------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8).flatmap(lambda bits: st.tuples(
    st.just(bits), st.lists(st.integers(0, (1 << bits) - 1), min_size=1, max_size=3000))))
def test_lzw_decodes_what_it_encodes(case):
    bits, values = case
    data = bytes(values)
    assert lzw_decode(lzw_encode(data, bits), bits, len(data)) == data


def test_lzw_survives_the_table_filling_up_and_clearing_many_times():
    rnd = random.Random(7)
    data = bytes(rnd.randrange(256) for _ in range(60_000))  # noise: the 4096-entry table fills often
    encoded = lzw_encode(data, 8)
    assert lzw_decode(encoded, 8, len(data)) == data
    repetitive = bytes([0, 1, 2, 3] * 50_000)  # long runs: codes reach 12 bits
    assert lzw_decode(lzw_encode(repetitive, 2), 2, len(repetitive)) == repetitive


def test_lzw_of_nothing_is_a_clear_and_an_end_code():
    # clear (4) then end (5), 3 bits each, least significant bit first: 0b101100 = 0x2c
    assert lzw_encode(b"", 2) == bytes([0x2C])
    assert lzw_decode(bytes([0x2C]), 2, 10) == b""


def test_lzw_stream_written_by_hand_decodes():
    # min code size 2: clear(4) 1 1 6(=1,1) end(5), codes of 3 bits: 100 001 001 110 101
    bits = "100" [::-1] + "001"[::-1] + "001"[::-1] + "110"[::-1] + "101"[::-1]
    value = int(bits[::-1], 2)
    stream = value.to_bytes(2, "little")
    assert lzw_decode(stream, 2, 10) == bytes([1, 1, 1, 1])


def test_a_bad_lzw_code_is_an_image_error_with_an_offset():
    # clear(4) then code 7, which no table holds yet
    stream = bytes([0b111100, 0])
    with pytest.raises(ImageError, match=r"LZW code 7 .* at byte \d+"):
        lzw_decode(stream, 2, 4)


# -- encoding, checked by Pillow ---------------------------------------------------


@pytest.mark.parametrize("size, colours", [((1, 1), 1), ((3, 2), 2), ((17, 9), 5), ((64, 64), 3), ((300, 200), 256)])
def test_pillow_reads_the_gif_we_write(size, colours):
    image = random_image(random.Random(size[0]), *size, colours)
    data = CODEC.encode(image)
    assert pillow_rgb(data) == image.pixels()


def test_the_palette_and_indices_of_a_quantized_image_are_written_as_they_are():
    q = quantize(scene(40, 30), 8, max_iter=5)
    data = CODEC.encode(q.image, palette=q.palette, indices=q.indices)
    im = PIL.open(io.BytesIO(data))
    assert im.mode == "P" and list(im.tobytes()) == list(q.indices)  # the indices themselves, not re-derived ones
    assert pillow_rgb(data) == q.image.pixels()


def test_more_than_256_colours_is_refused_with_advice():
    image = Image.from_pixels(300, 1, [(i % 256, i // 256, 0) for i in range(300)])
    with pytest.raises(UsageError, match="more than 256 colours; quantize it first"):
        CODEC.encode(image)


def test_grey_and_sixteen_bit_images_are_scaled_to_eight_bits():
    grey = Image(3, 1, 1, 65535, [0, 32896, 65535])
    assert pillow_rgb(CODEC.encode(grey)) == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]
    assert [to_8bit(v, 65535) for v in (0, 128, 129, 65535)] == [0, 0, 1, 255]
    bits = Image(2, 1, 1, 1, [0, 1])
    assert pillow_rgb(CODEC.encode(bits)) == [(0, 0, 0), (255, 255, 255)]


def test_binary_alpha_becomes_transparency_and_partial_alpha_is_refused():
    rgba = Image(3, 1, 4, 255, [255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255, 255])
    data = CODEC.encode(rgba)
    im = PIL.open(io.BytesIO(data))
    assert im.info["transparency"] == im.tobytes()[1]
    assert CODEC.decode(data).pixels() == [(255, 0, 0, 255), (0, 0, 0, 0), (0, 0, 255, 255)]
    opaque_grey_alpha = Image(2, 1, 2, 255, [10, 255, 20, 255])
    assert CODEC.decode(CODEC.encode(opaque_grey_alpha)).pixels() == [(10, 10, 10), (20, 20, 20)]
    with pytest.raises(ImageError, match="pixel 0 has alpha 100"):
        CODEC.encode(Image(1, 1, 4, 255, [1, 2, 3, 100]))


def test_images_gif_cannot_hold_are_refused():
    with pytest.raises(ImageError, match="cannot write 5-channel"):
        CODEC.encode(Image(1, 1, 5, 255, [0] * 5))
    with pytest.raises(ImageError, match="at least 1x1"):
        CODEC.encode(Image(0, 3, 3, 255, []))
    with pytest.raises(ImageError, match="width must be 1..65535"):
        header(70000, 1)
    with pytest.raises(ImageError, match="1..256 colours"):
        image_block(1, 1, [], b"\0")


# -- decoding, checked against Pillow's files ---------------------------------------


@pytest.mark.parametrize("interlace", [False, True])
def test_we_read_the_gif_pillow_writes(interlace):
    image = random_image(random.Random(3), 37, 23, 40)
    pil = PIL.frombytes("RGB", (37, 23), bytes(image.samples))
    data = pillow_gif(pil, interlace=interlace)
    assert CODEC.decode(data) == image


def test_we_read_pillow_animations_frame_by_frame():
    frames = [random_image(random.Random(n), 20, 10, 6) for n in range(4)]
    pils = [PIL.frombytes("RGB", (20, 10), bytes(f.samples)) for f in frames]
    data = pillow_gif(pils[0], save_all=True, append_images=pils[1:], duration=50, loop=0)
    assert [f.pixels() for f in read_frames(data)] == [f.pixels() for f in frames]
    assert CODEC.decode(data, index=2) == frames[2]
    assert parse(data).loop == 0
    with pytest.raises(ImageError, match="frame 9 requested .* holds 4"):
        CODEC.decode(data, index=9)


def test_disposal_methods_composite_as_a_viewer_shows_them():
    red, blue = (255, 0, 0), (0, 0, 255)
    screen = header(2, 1)
    first = image_block(2, 1, [red], b"\0\0")
    # disposal 2 (restore to background: transparent), then a frame covering the left pixel only
    cleared = image_block(2, 1, [red], b"\0\0", disposal=2)
    left = image_block(1, 1, [blue], b"\0")
    data = screen + cleared + left + b";"
    assert CODEC.decode(data, index=1).pixels() == [(0, 0, 255, 255), (0, 0, 0, 0)]
    # disposal 3 (restore to previous): the first frame comes back under the third
    restored = image_block(2, 1, [blue], b"\0\0", disposal=3)
    data = screen + first + restored + left + b";"
    assert CODEC.decode(data, index=2).pixels() == [blue, red]
    # disposal 1 (leave it): the second frame shows through the third
    kept = image_block(2, 1, [blue], b"\0\0", disposal=1)
    data = screen + first + kept + image_block(1, 1, [red], b"\0") + b";"
    assert CODEC.decode(data, index=2).pixels() == [red, blue]


def test_a_global_colour_table_and_a_frame_past_the_screen_edge():
    gct = bytes([0x80 | 0]) + b"\0\0" + bytes([255, 0, 0, 0, 255, 0])  # 2 colours
    data = bytearray(b"GIF87a" + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + gct)
    block = image_block(2, 1, [(1, 2, 3), (4, 5, 6)], bytes([1, 0]))
    data += block[:9] + bytes([0]) + block[10 + 6 :]  # the same frame without its local table
    data += b";"
    assert CODEC.decode(bytes(data)).pixels() == [(0, 255, 0)]  # clipped to the 1x1 screen


@pytest.mark.parametrize(
    "data, message",
    [
        (b"GIF88a", "not a GIF file"),
        (b"GIF89a\x01\x00", "premature end of file in the logical screen"),
        (header(1, 1), "premature end of file: no trailer"),
        (header(1, 1) + b";", "the file holds no image"),
        (header(1, 1) + b"\x99", "unexpected block type 0x99"),
        (header(1, 1) + b"!", "premature end of file in an extension"),
        (header(1, 1) + b"!\xf9\x02\x00\x00\x00;", "graphic control extension shorter"),
        (header(1, 1) + b"!\x01\x05ab", "premature end of file in a data sub-block"),
        (header(1, 1) + b",\0\0", "premature end of file in an image descriptor"),
        (header(1, 1) + b",\0\0\0\0\x01\0\x01\0\0", "neither a local nor a global colour table"),
        (header(1, 1) + b",\0\0\0\0\x01\0\x01\0\x80\0\0", "premature end of file in a colour table"),
        (header(1, 1) + b",\0\0\0\0\x01\0\x01\0\x80\0\0\0\0\0\0", "before the LZW code size"),
        (header(1, 1) + b",\0\0\0\0\x01\0\x01\0\x80\0\0\0\0\0\0\x0c", "minimum code size must be 1..8"),
        (header(1, 1) + b",\0\0\0\0\x01\0\x01\0\x80\0\0\0\0\0\0\x09", "minimum code size must be 1..8, got 9"),
        (header(1, 1) + b",\0\0\0\0\x02\0\x01\0\x80\0\0\0\0\0\0\x02\x01\x2c\0;", "ends after 0 of 2 pixels"),
        (header(1, 1) + image_block(1, 1, [(0, 0, 0)] * 4, b"\x03")[:-1] + b"\0;", None),
    ],
)
def test_a_malformed_gif_is_an_image_error_that_says_where(data, message):
    if message is None:  # a valid file: index 3 fits a 4-entry table
        assert CODEC.decode(data).pixels() == [(0, 0, 0)]
        return
    with pytest.raises(ImageError, match=message) as info:
        CODEC.decode(data)
    assert str(info.value).startswith("gif: ") and " at byte " in str(info.value)


def test_an_index_beyond_the_colour_table_is_refused():
    colours = [(0, 0, 0), (9, 9, 9)]
    good = header(1, 1) + image_block(1, 1, colours, b"\x01") + b";"
    assert CODEC.decode(good).pixels() == [(9, 9, 9)]
    with pytest.raises(ImageError, match="colour index 2 is beyond the 2-entry colour table"):
        CODEC.decode(header(1, 1) + image_block(1, 1, colours, b"\x02") + b";")


def test_limits_and_arguments_are_checked_before_decoding():
    data = CODEC.encode(random_image(random.Random(1), 10, 10, 3))
    with pytest.raises(ImageError, match="larger than the limit of 50 pixels"):
        CODEC.decode(data, max_pixels=50)
    with pytest.raises(ImageError, match="index must be 0 or more"):
        CODEC.decode(data, index=-1)
    assert CODEC.decode(bytearray(data)) == CODEC.decode(data)


# -- animations --------------------------------------------------------------------


def test_an_animation_has_its_frames_delays_and_loop():
    frames = [([(255, 0, 0), (0, 0, 255)], bytes([0, 1, 1, 0])), ([(0, 255, 0)], bytes(4))]
    data = encode_animation(2, 2, frames, [10, 250])
    im = PIL.open(io.BytesIO(data))
    assert im.n_frames == 2 and im.info["loop"] == 0
    assert pillow_rgb(data, 0) == [(255, 0, 0), (0, 0, 255), (0, 0, 255), (255, 0, 0)]
    assert pillow_rgb(data, 1) == [(0, 255, 0)] * 4
    gif = parse(data)
    assert [f.delay for f in gif.frames] == [10, 250]
    with pytest.raises(ImageError, match="2 frames but 1 delays"):
        encode_animation(2, 2, frames, [10])
    with pytest.raises(ImageError, match="needs 4 indices, got 3"):
        encode_animation(2, 2, [([(0, 0, 0)], bytes(3))], [1])
    with pytest.raises(ImageError, match="at least one frame"):
        encode_animation(2, 2, [], [])


# -- the codec in refkmeans ------------------------------------------------------------


def test_gif_is_a_built_in_codec_chosen_by_extension_and_content(tmp_path):
    registry = get_registry(False)
    assert registry.codec_for_extension(".GIF").name == "gif"
    assert registry.codec_for_data(b"GIF87a...").name == "gif"
    assert not CODEC.sniff(b"P6\n")
    image = random_image(random.Random(2), 8, 8, 4)
    path = str(tmp_path / "x.gif")
    write(path, image)
    assert read(path) == image


def test_quantize_writes_a_gif_and_reads_one_back(tmp_path, capsys):
    source = tmp_path / "scene.ppm"
    write(str(source), scene(32, 24))
    out = tmp_path / "scene-k8.gif"
    assert main(["quantize", str(source), "-k", "8", "-o", str(out), "-q"]) == 0
    q = quantize(scene(32, 24), 8)
    assert read(str(out)) == q.image
    again = tmp_path / "again.gif"
    assert main(["quantize", str(out), "-k", "4", "-o", str(again), "-q"]) == 0
    assert len(set(read(str(again)).pixels())) <= 4


def test_lzw_edge_cases_end_of_data_and_codes_past_the_table():
    # clear (4) then code 0, then the data runs out: what was decoded is returned
    assert lzw_decode(bytes([0x04]), 2, 5) == b"\x00"
    # clear (4), 0, then 7 while the table holds only 6 entries: 4 | 0 << 3 | 7 << 6
    with pytest.raises(ImageError, match="LZW code 7 is beyond the table"):
        lzw_decode((4 | 7 << 6).to_bytes(2, "little"), 2, 5)


def test_a_frame_right_of_the_screen_shows_nothing_and_truncated_extensions_fail():
    off = image_block(1, 1, [(0, 255, 0)], b"\0", left=5)
    data = header(1, 1) + image_block(1, 1, [(9, 9, 9)], b"\0") + off + b";"
    assert CODEC.decode(data, index=1).pixels() == [(9, 9, 9)]
    with pytest.raises(ImageError, match="premature end of file in a data sub-block"):
        CODEC.decode(header(1, 1) + b"!\x01")


def test_a_frame_larger_than_the_pixel_limit_is_refused_before_decoding():
    # a 1x1 screen holding a 60000x60000 frame: LZW could expand a small file to gigabytes
    block = bytearray(image_block(1, 1, [(0, 0, 0)], b"\0"))
    block[5:9] = (60000).to_bytes(2, "little") * 2
    with pytest.raises(ImageError, match="a 60000x60000 frame is larger than the limit of 1000 pixels"):
        CODEC.decode(header(1, 1) + bytes(block) + b";", max_pixels=1000)
