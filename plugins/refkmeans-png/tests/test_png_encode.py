"""The PNG encoder writes what independent readers (pypng, Pillow) read back sample for sample."""

from __future__ import annotations

import io
import itertools
import warnings
from array import array
from typing import List, Sequence, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

png = pytest.importorskip("png")
PIL = pytest.importorskip("PIL.Image")
refkmeans_png = pytest.importorskip("refkmeans_png")

from pngtools import chunk_offsets, header_of, lcg_samples, row_filters  # noqa: E402

from refkmeans import quantize  # noqa: E402
from refkmeans.errors import ImageError, UsageError  # noqa: E402
from refkmeans.image import Image  # noqa: E402
from refkmeans.scene import scene  # noqa: E402
from refkmeans.testing import check_codec_roundtrip, sample_images  # noqa: E402

encode_png, decode_png, PngCodec = refkmeans_png.encode_png, refkmeans_png.decode_png, refkmeans_png.PngCodec


def pypng_samples(data: bytes) -> Tuple[int, int, int, List[int]]:
    """(planes, maxval, width, samples) as pypng reads the file (palette and tRNS applied)."""
    width, height, rows, info = png.Reader(bytes=data).asDirect()
    return info["planes"], 2 ** info["bitdepth"] - 1, width, [v for row in rows for v in row]


def pillow_samples(data: bytes, mode: str) -> List[int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        picture = PIL.open(io.BytesIO(data)).convert(mode)
    return list(picture.tobytes())


def image_with_colours(colours: int, width: int = 13, height: int = 7, alpha: bool = False) -> Tuple[Image, List[Tuple[int, ...]], array]:
    channels = 4 if alpha else 3
    palette = [tuple(lcg_samples(channels, 255, 100 + c)) for c in range(colours)]
    indices = array("B", [i % colours for i in range(width * height)])
    flat = [v for i in indices for v in palette[i]]
    return Image(width, height, channels, 255, flat), palette, indices


@pytest.mark.parametrize("colours, depth", [(1, 1), (2, 1), (3, 2), (4, 2), (5, 4), (16, 4), (17, 8), (256, 8)])
def test_indexed_output_uses_the_smallest_bit_depth_that_holds_the_palette(colours: int, depth: int) -> None:
    image, palette, indices = image_with_colours(colours, width=32, height=9)
    data = encode_png(image, palette=palette, indices=indices)
    assert header_of(data)[2:4] == (depth, 3)
    assert pypng_samples(data)[3] == list(image.samples)
    assert pillow_samples(data, "RGB") == list(image.samples)
    assert decode_png(data) == image


def test_a_palette_with_alpha_gets_a_short_trns_and_reads_back_in_both_peers() -> None:
    image, palette, indices = image_with_colours(6, alpha=True)
    palette = [c[:3] + ((255,) if i % 2 else (i * 40,)) for i, c in enumerate(palette)]
    image = Image(13, 7, 4, 255, [v for i in indices for v in palette[i]])
    data = encode_png(image, palette=palette, indices=indices)
    kinds = [kind for kind, _, _ in chunk_offsets(data)]
    assert kinds == [b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"]
    trns = next(n for kind, _, n in chunk_offsets(data) if kind == b"tRNS")
    assert trns == 3  # the three translucent entries go first; the opaque rest need no entry
    assert pypng_samples(data)[3] == list(image.samples)
    assert pillow_samples(data, "RGBA") == list(image.samples)


def test_an_opaque_palette_writes_no_trns_and_unused_or_repeated_entries_are_dropped() -> None:
    image, palette, indices = image_with_colours(3)
    big_palette = palette + [(1, 2, 3)] * 10 + [palette[0]]  # 14 entries, 3 distinct colours used
    indices = array("B", [13 if i == 0 else i for i in indices])  # the repeated colour under another index
    data = encode_png(image, palette=big_palette, indices=indices)
    assert header_of(data)[2] == 2
    assert b"tRNS" not in [kind for kind, _, _ in chunk_offsets(data)]
    assert decode_png(data) == image


def test_few_colours_without_a_palette_are_still_written_indexed() -> None:
    image, _, _ = image_with_colours(9)
    data = PngCodec().encode(image)
    assert header_of(data)[2:4] == (4, 3)
    assert decode_png(data) == image


@pytest.mark.parametrize(
    "channels, maxval, colour_type, depth",
    [(1, 1, 0, 1), (1, 3, 0, 2), (1, 15, 0, 4), (1, 255, 0, 8), (1, 65535, 0, 16), (2, 255, 4, 8), (2, 65535, 4, 16),
     (3, 255, 2, 8), (3, 65535, 2, 16), (4, 255, 6, 8), (4, 65535, 6, 16)],
)
def test_greyscale_and_truecolour_keep_every_sample(channels: int, maxval: int, colour_type: int, depth: int) -> None:
    w, h = 23, 5
    samples = lcg_samples(w * h * channels, maxval, channels * 7 + depth)
    image = Image(w, h, channels, maxval, samples)
    for interlace in (False, True):
        colour = {2: 3, 6: 4}.get(colour_type)
        data = encode_png(image, colour_type=colour_type, interlace=interlace) if colour else encode_png(image, interlace=interlace)
        assert header_of(data)[2:] == (depth, colour_type, int(interlace))
        planes, peer_maxval, width, peer = pypng_samples(data)
        assert (planes, peer_maxval, peer) == (channels, maxval, samples)
        assert decode_png(data) == image
        assert pillow_reads(data, channels, depth) == pillow_view(samples, channels, maxval, depth)


def pillow_reads(data: bytes, channels: int, depth: int) -> List[int]:
    """The samples as Pillow decodes the file, in its own mode."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        picture = PIL.open(io.BytesIO(data))
        picture.load()
    if picture.mode in ("I;16", "I"):
        wide = picture.convert("I;16").tobytes("raw", "I;16")
        return [int.from_bytes(wide[i : i + 2], "little") for i in range(0, len(wide), 2)]
    return list(picture.convert({1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]).tobytes())


def pillow_view(samples: Sequence[int], channels: int, maxval: int, depth: int) -> List[int]:
    """What Pillow is known to make of our samples: low-depth grey scaled to 0..255,
    16-bit colour cut to its high byte (Pillow has no 16-bit colour mode), 16-bit grey kept."""
    if depth < 8:
        return [v * 255 // maxval for v in samples]
    if depth == 16 and channels > 1:
        return [v >> 8 for v in samples]
    return list(samples)


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4, "adaptive"])
def test_every_filter_choice_reads_back_in_pypng(kind: object) -> None:
    image = scene(37, 11)
    data = encode_png(image, colour_type=2, filter=kind)  # type: ignore[arg-type]
    if kind != "adaptive":
        assert set(row_filters(data)) == {kind}
    assert pypng_samples(data)[3] == list(image.samples)
    assert pillow_samples(data, "RGB") == list(image.samples)


def test_the_automatic_choice_is_no_larger_than_any_single_filter() -> None:
    image = scene(60, 40)
    auto = len(encode_png(image, colour_type=2))
    assert all(auto <= len(encode_png(image, colour_type=2, filter=kind)) for kind in range(5))


def test_idat_can_be_split_and_still_reads_back() -> None:
    image = scene(30, 20)
    data = encode_png(image, idat_size=100)
    assert sum(kind == b"IDAT" for kind, _, _ in chunk_offsets(data)) > 3
    assert pypng_samples(data)[3] == list(image.samples)


def test_other_maxvals_are_rescaled_halves_up_with_sbit_where_it_applies() -> None:
    image = Image(4, 1, 1, 1023, [0, 511, 512, 1023])
    data = encode_png(image)
    assert header_of(data)[2] == 16
    sbit = [pos for kind, pos, _ in chunk_offsets(data) if kind == b"sBIT"]
    assert len(sbit) == 1 and data[sbit[0] + 8] == 10
    # v * 65535 / 1023 rounded: 511 -> 32735.47 -> 32735, 512 -> 32799.53 -> 32800
    stored = [v for row in png.Reader(bytes=data).read()[2] for v in row]
    assert stored == [0, 32735, 32800, 65535] == list(decode_png(data).samples)
    assert pypng_samples(data)[3] == [0, 511, 512, 1023]  # pypng applies sBIT: the originals, exactly
    grey = encode_png(Image(3, 1, 3, 100, [0, 50, 100, 1, 2, 3, 99, 98, 97]), colour_type=2)
    assert header_of(grey)[2] == 8 and b"sBIT" not in [kind for kind, _, _ in chunk_offsets(grey)]
    # 50 * 255 / 100 = 127.5 -> 128 (half up); 1 -> 2.55 -> 3; 99 -> 252.45 -> 252
    assert pypng_samples(grey)[3] == [0, 128, 255, 3, 5, 8, 252, 250, 247]


def test_an_8_bit_image_can_be_written_at_16_bits_exactly() -> None:
    image = Image(2, 1, 1, 255, [0, 255])
    data = encode_png(image, bit_depth=16)
    assert [v for row in png.Reader(bytes=data).read()[2] for v in row] == [0, 65535]
    assert pypng_samples(data)[3] == [0, 255]  # sBIT 8 lets pypng give the 8-bit values back


def test_sbit_is_written_only_when_it_is_smaller_than_the_depth() -> None:
    wide = Image(2, 1, 1, 1023, [0, 1023])
    assert b"sBIT" not in [kind for kind, _, _ in chunk_offsets(encode_png(wide, bit_depth=8))]
    grey = Image(2, 1, 1, 1, [0, 1])
    data = encode_png(grey, bit_depth=8)
    sbit = [pos for kind, pos, _ in chunk_offsets(data) if kind == b"sBIT"]
    assert len(sbit) == 1 and data[sbit[0] + 8] == 1
    assert list(decode_png(data).samples) == [0, 255]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"colour_type": 7}, "unknown colour type 7"),
        ({"colour_type": 0}, "colour type 0 (greyscale) needs 1 channel(s), the image has 3"),
        ({"bit_depth": 4, "colour_type": 2}, "bit depth 4 is not allowed for colour type 2"),
        ({"filter": 9}, "filter must be 0..4 or 'adaptive'"),
    ],
)
def test_impossible_requests_are_usage_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        encode_png(scene(8, 8), **kwargs)


def test_indexed_requests_that_cannot_be_met_are_usage_errors() -> None:
    image, palette, indices = image_with_colours(5, width=20, height=20)
    with pytest.raises(UsageError, match="bit depth 2 cannot hold 5 palette entries"):
        encode_png(image, palette=palette, indices=indices, bit_depth=2)
    with pytest.raises(UsageError, match="399 indices for 400 pixels"):
        encode_png(image, palette=palette, indices=indices[:-1])
    with pytest.raises(UsageError, match="index 4 is past the 4-colour palette"):
        encode_png(image, palette=palette[:4], indices=indices)
    with pytest.raises(UsageError, match="does not have 3 channels"):
        encode_png(image, palette=[(1, 2)] * 5, indices=indices)
    with pytest.raises(UsageError, match="needs RGB or RGBA at maxval 255"):
        encode_png(Image(2, 1, 1, 255, [1, 2]), colour_type=3)
    many = Image(300, 1, 3, 255, [v for i in range(300) for v in (i % 256, i // 256, 0)])
    with pytest.raises(UsageError, match="300 colours do not fit an indexed PNG"):
        encode_png(many, colour_type=3)
    assert header_of(encode_png(many))[3] == 2


def test_images_png_cannot_hold_are_image_errors() -> None:
    with pytest.raises(ImageError, match="cannot write a 0x3 image"):
        encode_png(Image(0, 3, 3, 255, []))
    with pytest.raises(ImageError, match="cannot write 5 channels"):
        encode_png(Image(1, 1, 5, 255, [1, 2, 3, 4, 5]))


def test_the_codec_passes_the_plugin_authors_round_trip_check() -> None:
    codec = PngCodec()
    assert check_codec_roundtrip(codec, sample_images(maxvals=(255, 65535))) >= 32
    assert check_codec_roundtrip(codec, sample_images(channels=(1,), maxvals=(1, 3, 15))) >= 12


def test_a_quantized_scene_is_a_small_4_bit_png() -> None:
    image = scene(120, 80)
    q = quantize(image, k=16, init="kmeans++")
    data = PngCodec().encode(q.image, palette=q.palette, indices=q.indices)
    assert header_of(data)[2:4] == (4, 3)
    assert decode_png(data) == q.image
    # 4 bits per pixel before deflate; the scene's flat regions must compress well below that.
    assert 8 * len(data) / image.pixel_count < 2.5


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 9),
    st.integers(1, 9),
    st.sampled_from([(1, 1), (1, 15), (1, 255), (1, 65535), (2, 255), (3, 255), (3, 65535), (4, 255)]),
    st.booleans(),
    st.data(),
)
def test_any_small_image_round_trips_through_ours_and_pypng(w: int, h: int, shape: Tuple[int, int], interlace: bool, data: st.DataObject) -> None:
    channels, maxval = shape
    samples: Sequence[int] = data.draw(st.lists(st.integers(0, maxval), min_size=w * h * channels, max_size=w * h * channels))
    image = Image(w, h, channels, maxval, samples)
    encoded = encode_png(image, interlace=interlace)
    decoded = decode_png(encoded)
    if channels == 4 and decoded.channels == 3:
        # G-DEC-2: an all-opaque alpha may be dropped (an indexed file needs no tRNS then).
        assert all(a == maxval for a in samples[3::4])
        samples = [v for i, v in enumerate(samples) if i % 4 != 3]
        image = Image(w, h, 3, maxval, samples)
    assert decoded == image
    planes, _, _, peer = pypng_samples(encoded)
    assert peer == list(samples)


def test_row_packing_matches_the_specification_for_every_low_depth() -> None:
    for depth, width in itertools.product((1, 2, 4), (1, 7, 8, 9)):
        samples = lcg_samples(width * 3, 2**depth - 1, depth * width)
        image = Image(width, 3, 1, 2**depth - 1, samples)
        assert pypng_samples(encode_png(image))[3] == samples
