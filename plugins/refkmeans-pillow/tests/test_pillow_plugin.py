"""refkmeans-pillow: Pillow's formats become codecs; PNG and Netpbm stay with the pure-Python codecs."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest

PIL = pytest.importorskip("PIL.Image")
refkmeans_pillow = pytest.importorskip("refkmeans_pillow")

from refkmeans_pillow import PillowCodec, pillow_codecs, to_image  # noqa: E402
from refkmeans_pillow import plugin as pillow_plugin  # noqa: E402

from refkmeans import quantize, read  # noqa: E402
from refkmeans.builtin.netpbm import NetpbmCodec  # noqa: E402
from refkmeans.cli.main import main  # noqa: E402
from refkmeans.errors import ImageError, UsageError  # noqa: E402
from refkmeans.image import Image  # noqa: E402
from refkmeans.plugins import Registry, reset_registry  # noqa: E402
from refkmeans.scene import scene  # noqa: E402
from refkmeans.testing import check_codec_roundtrip, sample_images  # noqa: E402

CODECS = {codec.name: codec for codec in pillow_codecs()}


def pillow_bytes(picture, format: str, **options) -> bytes:
    out = io.BytesIO()
    picture.save(out, format, **options)
    return out.getvalue()


def test_every_pillow_format_but_png_and_netpbm_becomes_a_codec() -> None:
    assert {"pillow-jpeg", "pillow-tiff", "pillow-bmp", "pillow-gif"} <= set(CODECS)
    assert not {"pillow-png", "pillow-ppm"} & set(CODECS)
    assert ".jpg" in CODECS["pillow-jpeg"].extensions and ".tif" in CODECS["pillow-tiff"].extensions
    claimed = {ext for codec in CODECS.values() for ext in codec.extensions}
    assert not claimed & {".png", ".ppm", ".pgm", ".pbm", ".pnm"}
    png_signature = b"\x89PNG\r\n\x1a\n" + bytes(56)
    assert not any(codec.sniff(png_signature) for codec in CODECS.values())
    assert not any(codec.sniff(b"P6\n1 1\n255\n") for codec in CODECS.values())


def test_the_plugin_registers_them_beside_the_builtins_without_clashes() -> None:
    registry = Registry(load_entrypoints=False, extra_plugins=[pillow_plugin])
    assert registry.failures == []
    assert registry.codec_for_extension(".jpeg").name == "pillow-jpeg"
    assert registry.codec_for_extension(".ppm").name == "netpbm"
    jpeg = pillow_bytes(PIL.new("RGB", (4, 4), (200, 10, 10)), "JPEG")
    assert registry.codec_for_data(jpeg[:64]).name == "pillow-jpeg"


@pytest.mark.parametrize(
    "name, channels, maxvals",
    [
        ("pillow-tiff", (1, 2, 3, 4), (255,)),
        ("pillow-tiff", (1,), (1, 65535)),
        ("pillow-bmp", (1, 3), (255,)),
        ("pillow-bmp", (1,), (1,)),
        ("pillow-pcx", (1, 3), (255,)),
        ("pillow-qoi", (3, 4), (255,)),
        ("pillow-gif", (3,), (255,)),
    ],
)
def test_lossless_formats_pass_the_plugin_authors_round_trip(name: str, channels, maxvals) -> None:
    if name not in CODECS:
        pytest.skip(f"this Pillow has no {name}")
    assert check_codec_roundtrip(CODECS[name], sample_images(channels=channels, maxvals=maxvals)) > 0


def test_jpeg_is_lossy_but_close_on_a_smooth_picture() -> None:
    picture = scene(64, 48)
    codec = CODECS["pillow-jpeg"]
    back = codec.decode(codec.encode(picture))
    assert (back.width, back.height, back.channels, back.maxval) == (64, 48, 3, 255)
    error = sum((a - b) ** 2 for a, b in zip(picture.samples, back.samples)) / len(picture.samples)
    assert 0 < error < 200  # lossy, but PSNR above 25 dB at Pillow's default quality, hard edges and all


def test_a_camera_jpeg_is_read_upright_and_quantized_straight_to_png(tmp_path: Path, capsys) -> None:
    pytest.importorskip("refkmeans_png")
    reset_registry()
    picture = PIL.frombytes("RGB", (64, 48), bytes(scene(64, 48).samples))
    exif = PIL.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    source = tmp_path / "camera.jpg"
    source.write_bytes(pillow_bytes(picture, "JPEG", exif=exif.tobytes(), quality=95))
    out = tmp_path / "camera16.png"
    try:
        assert main(["quantize", str(source), "-o", str(out), "-k", "16", "-q"]) == 0
    finally:
        reset_registry()
    result = read(str(out))
    assert (result.width, result.height) == (48, 64)  # upright
    assert len(set(result.pixels())) <= 16


def test_frames_of_an_animated_gif_are_chosen_by_index() -> None:
    frames = [PIL.new("P", (3, 2), i) for i in range(3)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
    data = pillow_bytes(frames[0], "GIF", save_all=True, append_images=frames[1:])
    codec = CODECS["pillow-gif"]
    assert set(codec.decode(data, index=1).pixels()) == {(255, 0, 0)}
    assert set(codec.decode(data, index=2).pixels()) == {(0, 255, 0)}
    with pytest.raises(ImageError, match="image 7 requested .* holds 3"):
        codec.decode(data, index=7)


def test_the_pixel_limit_is_checked_before_decoding() -> None:
    data = pillow_bytes(PIL.new("RGB", (50, 40)), "BMP")
    with pytest.raises(ImageError, match="50x40 image has 2000 pixels, above the limit of 1999"):
        CODECS["pillow-bmp"].decode(data, max_pixels=1999)
    with pytest.raises(ImageError, match="pillow-bmp: .*"):
        CODECS["pillow-bmp"].decode(data, max_pixels=900)  # Pillow's own bomb check, at twice the limit
    assert CODECS["pillow-bmp"].decode(data, max_pixels=2000).pixel_count == 2000


def test_corrupt_files_are_image_errors() -> None:
    good = pillow_bytes(PIL.new("RGB", (16, 16), (1, 2, 3)), "JPEG")
    with pytest.raises(ImageError, match="pillow-jpeg: cannot (read|decode)"):
        CODECS["pillow-jpeg"].decode(good[: len(good) // 3])
    with pytest.raises(ImageError, match="pillow-tiff: cannot read the file"):
        CODECS["pillow-tiff"].decode(b"II*\x00garbage")


@pytest.mark.parametrize(
    "mode, expected_channels, expected_maxval",
    [("1", 1, 1), ("L", 1, 255), ("LA", 2, 255), ("RGB", 3, 255), ("RGBA", 4, 255), ("CMYK", 3, 255), ("I;16", 1, 65535), ("I", 1, 65535), ("YCbCr", 3, 255), ("PA", 4, 255)],
)
def test_pillow_modes_become_samples(mode: str, expected_channels: int, expected_maxval: int) -> None:
    picture = PIL.new(mode, (3, 2))
    image = to_image(picture, "test")
    assert (image.channels, image.maxval, image.pixel_count) == (expected_channels, expected_maxval, 6)
    if mode == "1":
        assert image.tupltype == "BLACKANDWHITE"


def test_palette_images_keep_their_colours_and_transparency() -> None:
    picture = PIL.new("P", (2, 1))
    picture.putpalette([10, 20, 30, 40, 50, 60])
    picture.putpixel((1, 0), 1)
    assert to_image(picture, "t").pixels() == [(10, 20, 30), (40, 50, 60)]
    picture.info["transparency"] = 0
    assert to_image(picture, "t").pixels() == [(10, 20, 30, 0), (40, 50, 60, 255)]


def test_unsupported_modes_and_ranges_are_image_errors() -> None:
    with pytest.raises(ImageError, match="mode F is not supported"):
        to_image(PIL.new("F", (1, 1)), "test")
    with pytest.raises(ImageError, match="32-bit samples -5..-5 do not fit 0..65535"):
        to_image(PIL.new("I", (1, 1), -5), "test")


def test_a_palette_is_written_as_pillow_p_mode_so_gif_keeps_it_exactly() -> None:
    image = scene(40, 30)
    q = quantize(image, k=8)
    data = CODECS["pillow-gif"].encode(q.image, palette=q.palette, indices=q.indices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        picture = PIL.open(io.BytesIO(data))
        picture.load()
    assert picture.mode == "P"
    assert CODECS["pillow-gif"].decode(data) == q.image


def test_what_a_format_cannot_hold_is_a_usage_error_not_a_silent_loss() -> None:
    # The output cannot hold the image: a usage error (exit 2), not an unreadable input (exit 3).
    with pytest.raises(UsageError, match="pillow-jpeg: cannot write this 4-channel image: RGBA"):
        CODECS["pillow-jpeg"].encode(Image(1, 1, 4, 255, [1, 2, 3, 4]))
    with pytest.raises(UsageError, match="8 bits only, this one has maxval 65535"):
        CODECS["pillow-tiff"].encode(Image(1, 1, 3, 65535, [1, 2, 3]))
    with pytest.raises(UsageError, match="cannot hold 5 channels"):
        CODECS["pillow-tiff"].encode(Image(1, 1, 5, 255, [1, 2, 3, 4, 5]))


def test_samples_below_255_are_rescaled_halves_up() -> None:
    data = CODECS["pillow-tiff"].encode(Image(3, 1, 3, 10, [0, 5, 10, 1, 2, 3, 7, 8, 9]))
    # 5 * 255 / 10 = 127.5 -> 128; 1 -> 25.5 -> 26; 7 -> 178.5 -> 179
    assert list(CODECS["pillow-tiff"].decode(data).samples) == [0, 128, 255, 26, 51, 77, 179, 204, 230]


def test_read_only_and_write_only_formats_say_so() -> None:
    read_only = next(c for c in CODECS.values() if c.readable and not c.writable)
    write_only = next(c for c in CODECS.values() if c.writable and not c.readable)
    with pytest.raises(ImageError, match="Pillow cannot write"):
        read_only.encode(Image(1, 1, 3, 255, [1, 2, 3]))
    with pytest.raises(ImageError, match="Pillow cannot read"):
        write_only.decode(b"anything")
    assert not write_only.sniff(b"%PDF-1.4")


def test_sniff_is_false_when_pillow_has_no_signature_check_or_it_fails() -> None:
    codec = PillowCodec("TGA", [".tga"])
    assert codec.sniff(b"\x00" * 64) is False

    class Broken(PillowCodec):
        pass

    broken = Broken("JPEG", [".jpg"])
    original = PIL.OPEN["JPEG"]
    PIL.OPEN["JPEG"] = (original[0], lambda head: head[100])
    try:
        assert broken.sniff(b"\xff\xd8\xff") is False
    finally:
        PIL.OPEN["JPEG"] = original


def test_pillow_and_the_pure_python_codecs_agree_on_a_netpbm_picture(tmp_path: Path) -> None:
    image = scene(20, 10)
    tiff = CODECS["pillow-tiff"].encode(image)
    assert CODECS["pillow-tiff"].decode(tiff) == NetpbmCodec().decode(NetpbmCodec().encode(image))


def test_the_core_never_imports_pillow(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]  # the checkout: plugins/refkmeans-pillow/tests/this file
    for source in (root / "refkmeans").rglob("*.py"):
        text = source.read_text()
        assert "import PIL" not in text and "from PIL" not in text, source
    script = (
        "import sys, refkmeans\n"
        "from refkmeans.scene import scene\n"
        f"q = refkmeans.quantize(scene(16, 8), k=4)\n"
        f"refkmeans.write({str(tmp_path / 'out.ppm')!r}, q.image)\n"
        "assert 'PIL' not in sys.modules, 'PIL imported'\n"
    )
    env = dict(os.environ, REFKMEANS_LOAD_PLUGINS="png,colour")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr
