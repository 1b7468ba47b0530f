"""Palette files for --palette: images, JSON, GIMP palettes and text lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from refkmeans.errors import ImageError, UsageError
from refkmeans.image import Image
from refkmeans.palette_file import read_palette, rescale
from refkmeans.plugins import get_registry

REGISTRY = get_registry(load_entrypoints=False)


def palette_of(tmp_path: Path, content, channels: int = 3, maxval: int = 255, name: str = "palette"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return read_palette(str(path), channels=channels, maxval=maxval, registry=REGISTRY)


def test_an_image_gives_its_distinct_colours_in_order_of_first_appearance(tmp_path: Path) -> None:
    ppm = b"P6\n4 1\n255\n" + bytes([9, 9, 9, 200, 0, 0, 9, 9, 9, 0, 0, 255])
    assert palette_of(tmp_path, ppm) == [(9, 9, 9), (200, 0, 0), (0, 0, 255)]


def test_an_image_palette_at_another_maxval_is_rescaled_halves_up(tmp_path: Path) -> None:
    pgm = b"P2\n3 1\n15\n0 7 15\n"
    # 7 * 255 / 15 = 119 exactly; to maxval 4: 7 * 4 / 15 = 1.87 -> 2
    assert palette_of(tmp_path, pgm, channels=1) == [(0,), (119,), (255,)]
    assert palette_of(tmp_path, pgm, channels=1, maxval=4, name="p2") == [(0,), (2,), (4,)]
    assert rescale((1,), 2, 255) == (128,)  # 127.5 rounds up


def test_json_lists_of_integers_or_hex_strings(tmp_path: Path) -> None:
    assert palette_of(tmp_path, "[[1, 2, 3], [4, 5, 6], [1, 2, 3]]") == [(1, 2, 3), (4, 5, 6)]
    assert palette_of(tmp_path, '["#ff0000", "#0f0"]', name="hex.json") == [(255, 0, 0), (0, 255, 0)]
    assert palette_of(tmp_path, '{"colours": [[0, 0, 0], [15, 15, 15]], "maxval": 15}', name="obj.json") == [(0, 0, 0), (255, 255, 255)]
    assert palette_of(tmp_path, '["#ff000080"]', channels=4, name="rgba.json") == [(255, 0, 0, 128)]
    assert palette_of(tmp_path, '["#ffffff"]', maxval=65535, name="wide.json") == [(65535, 65535, 65535)]


def test_gimp_palettes_are_8_bit_with_names(tmp_path: Path) -> None:
    gpl = "GIMP Palette\nName: Test\nColumns: 4\n#\n  0   0   0\tBlack\n255 255 255\tWhite\n"
    assert palette_of(tmp_path, gpl) == [(0, 0, 0), (255, 255, 255)]
    assert palette_of(tmp_path, gpl, maxval=65535, name="wide.gpl") == [(0, 0, 0), (65535, 65535, 65535)]


def test_text_lists_mix_hex_and_integers_with_comments(tmp_path: Path) -> None:
    text = "# my palette\n\n#102030\n1, 2, 3\n# another comment\n4 5 6\n"
    assert palette_of(tmp_path, text) == [(16, 32, 48), (1, 2, 3), (4, 5, 6)]
    assert palette_of(tmp_path, "0\n1000\n", channels=1, maxval=1000, name="grey.txt") == [(0,), (1000,)]


@pytest.mark.parametrize(
    "content, message",
    [
        ("[[1, 2]]", r"palette colour 0 \(1, 2\) has 2 channels, the image has 3"),
        ("[[1, 2, 300]]", r"palette colour 0 \(1, 2, 300\) is outside 0..255"),
        ("[]", "the palette holds no colours"),
        ("# nothing\n", "the palette holds no colours"),
        ("[1, 2", "not valid JSON"),
        ('{"colours": [[1, 2, 3]], "maxval": 0}', '"maxval" must be an integer in 1..65535'),
        ('{"maxval": 255}', "expected a list of colours"),
        ('[[1, 2, 3], "red"]', 'colour 1 must be a list of integers or "#rrggbb"'),
        ('[[1, 2, 3], "#ff0000"]', "do not mix"),
        ("1 2 three\n", "line 1: expected a colour"),
        ("1 2 3\nred\n", "line 2: expected a colour"),
    ],
)
def test_bad_palette_files_are_usage_errors_naming_the_problem(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        palette_of(tmp_path, content)


def test_binary_garbage_and_broken_images_are_image_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="nor a text palette"):
        palette_of(tmp_path, b"\xff\xfe\x00\x81garbage")
    with pytest.raises(ImageError, match="netpbm"):
        palette_of(tmp_path, b"P6\n4 1\n255\n\x00", name="short.ppm")
    with pytest.raises(ImageError, match="cannot read"):
        read_palette(str(tmp_path / "missing"), channels=3, maxval=255, registry=REGISTRY)


def test_the_pixel_limit_applies_to_palette_images(tmp_path: Path) -> None:
    path = tmp_path / "big.ppm"
    path.write_bytes(b"P6\n4 1\n255\n" + bytes(12))
    with pytest.raises(ImageError, match="above the limit of 3"):
        read_palette(str(path), channels=3, maxval=255, max_pixels=3, registry=REGISTRY)
    image = Image(1, 1, 3, 255, [0, 0, 0])
    assert read_palette(str(path), channels=image.channels, maxval=image.maxval, registry=REGISTRY) == [(0, 0, 0)]
