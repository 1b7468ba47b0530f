"""The first hour of a new user (issue 14): errors that name the plugin, defaults that keep their promise.

Every test goes through the real command line (``main``) or the public API.
Files are made here with Pillow (a test dependency), and every expected
figure is recomputed here from the pixels, not taken from refkmeans' report.
"""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from fractions import Fraction
from pathlib import Path

import pytest

import refkmeans
from refkmeans import Image, OutputError, UsageError
from refkmeans.cli.main import main
from refkmeans.scene import scene

PILImage = pytest.importorskip("PIL.Image")


def photo(width: int = 40, height: int = 30) -> PILImage.Image:
    """A noisy gradient: many colours, like a photo."""
    pixels = [((x * 37 + y * 11) % 256, x * 6, y * 8) for y in range(height) for x in range(width)]
    picture = PILImage.new("RGB", (width, height))
    picture.putdata(pixels)
    return picture


def saved(picture: PILImage.Image, path: Path, **options: object) -> Path:
    picture.save(path, **options)
    return path


def report_value(text: str, label: str) -> str:
    match = re.search(rf"^{label}\s+(.*)$", text, flags=re.M)
    assert match, f"no {label!r} line in:\n{text}"
    return match.group(1)


def psnr_of(a: bytes, b: bytes) -> float:
    """10 log10(255^2 / MSE), MSE exact over every sample."""
    error = sum((x - y) * (x - y) for x, y in zip(a, b))
    return math.inf if error == 0 else 10 * math.log10(Fraction(255 * 255 * len(a), error))


def ppm(path: Path, image: Image) -> Path:
    refkmeans.write(str(path), image, registry=refkmeans.plugins.get_registry(False), force=True)
    return path


# -- with only the core installed, an error names the plugin to install ------------------


@pytest.mark.parametrize(
    ("name", "options", "plugin", "looks"),
    [
        ("photo.jpg", {"quality": 90}, "refkmeans-pillow", "JPEG"),
        ("photo.png", {}, "refkmeans-png", "PNG"),
        ("photo.webp", {"quality": 80}, "refkmeans-pillow", "WebP"),
        ("photo.tif", {}, "refkmeans-pillow", "TIFF"),
    ],
)
def test_core_only_an_unreadable_input_names_the_plugin_before_any_output_problem(
    tmp_path, monkeypatch, capsys, name, options, plugin, looks
):
    monkeypatch.chdir(tmp_path)
    saved(photo(), tmp_path / name, **options)
    # The default output (photo-k16.png or .jpg) has no codec either: the input is reported first.
    assert main(["--no-plugins", "quantize", name]) == 3
    err = capsys.readouterr().err
    assert f"it looks like {looks}" in err and f"pip install ./plugins/{plugin}" in err
    assert "output format" not in err
    assert list(tmp_path.iterdir()) == [tmp_path / name]


def test_core_only_an_output_extension_names_the_plugin(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ppm(tmp_path / "in.ppm", scene(12, 8))
    assert main(["--no-plugins", "quantize", "in.ppm", "-o", "out.png"]) == 2
    err = capsys.readouterr().err
    assert "PNG needs a plugin" in err and "pip install ./plugins/refkmeans-png" in err
    assert main(["--no-plugins", "quantize", "in.ppm", "-o", "out.jpeg"]) == 2
    assert "pip install ./plugins/refkmeans-pillow" in capsys.readouterr().err


def test_core_only_a_plugin_metric_names_the_plugin(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ppm(tmp_path / "in.ppm", scene(12, 8))
    assert main(["--no-plugins", "quantize", "in.ppm", "-o", "out.ppm", "--metric", "ciede2000"]) == 2
    err = capsys.readouterr().err
    assert "unknown metric 'ciede2000'" in err and "pip install ./plugins/refkmeans-colour" in err
    assert main(["--no-plugins", "quantize", "in.ppm", "-o", "out.ppm", "--metric", "nonesuch"]) == 2
    assert "plugin" not in capsys.readouterr().err  # no advice where no plugin would help


# -- a lossy input gets a lossless output by default --------------------------------------


@pytest.mark.parametrize(("name", "options"), [("photo.jpg", {"quality": 85}), ("photo.webp", {"quality": 80})])
def test_a_lossy_input_is_written_as_png_by_default(tmp_path, monkeypatch, capsys, name, options):
    pytest.importorskip("refkmeans_png")
    pytest.importorskip("refkmeans_pillow")
    monkeypatch.chdir(tmp_path)
    saved(photo(), tmp_path / name, **options)
    assert main(["quantize", name, "-k", "8"]) == 0
    out = capsys.readouterr().out
    assert report_value(out, "wrote") == "photo-k8.png"
    written = PILImage.open(tmp_path / "photo-k8.png")
    assert written.format == "PNG"
    colours = written.convert("RGB").getcolors(1 << 16)
    assert len(colours) == int(report_value(out, "colours").split("-> ")[1]) <= 8
    assert "lossy" not in out


def test_a_lossless_webp_keeps_its_format(tmp_path, monkeypatch, capsys):
    pytest.importorskip("refkmeans_pillow")
    if not PILImage.registered_extensions().get(".webp"):
        pytest.skip("Pillow without WebP")
    monkeypatch.chdir(tmp_path)
    saved(photo(), tmp_path / "photo.webp", lossless=True)
    assert main(["quantize", "photo.webp", "-k", "4", "-q"]) == 0
    assert (tmp_path / "photo-k4.webp").is_file()


def test_an_explicit_lossy_output_reports_the_files_real_figures(tmp_path, monkeypatch, capsys):
    pytest.importorskip("refkmeans_pillow")
    monkeypatch.chdir(tmp_path)
    saved(photo(), tmp_path / "photo.jpg", quality=85)
    assert main(["quantize", "photo.jpg", "-k", "8", "-o", "out.jpg"]) == 0
    out = capsys.readouterr().out
    original = PILImage.open(tmp_path / "photo.jpg").convert("RGB")
    written = PILImage.open(tmp_path / "out.jpg").convert("RGB")
    colours = len(written.getcolors(1 << 24))
    assert colours > 8  # JPEG adds colours: the point of the report line
    expected = psnr_of(original.tobytes(), written.tobytes())
    line = report_value(out, "lossy file")
    assert line.startswith("pillow-jpeg: ")
    assert f"holds {colours} colours, not the palette's 8" in line
    assert f"PSNR is {expected:.2f} dB" in line


def test_format_jpeg_names_pillow_jpeg(tmp_path, monkeypatch, capsys):
    pytest.importorskip("refkmeans_pillow")
    monkeypatch.chdir(tmp_path)
    ppm(tmp_path / "in.ppm", scene(16, 12))
    for name in ("jpeg", "JPG"):
        assert main(["quantize", "in.ppm", "-k", "4", "-o", f"out-{name}", "--format", name, "-q"]) == 0
        assert (tmp_path / f"out-{name}").read_bytes()[:3] == b"\xff\xd8\xff"


# -- one default start, or help that says which ------------------------------------------


def test_demo_and_compare_share_quantizes_default_start(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["--no-plugins", "demo", "--out-dir", "D", "--size", "24x16", "-k", "4"]) == 0
    demo = capsys.readouterr().out
    assert main(["--no-plugins", "quantize", "D/scene.ppm", "-k", "4", "-o", "q.ppm"]) == 0
    quantized = capsys.readouterr().out
    assert main(["--no-plugins", "compare", "D/scene.ppm", "-k", "4", "-o", "c.png"]) == 0
    compared = capsys.readouterr().out
    for label in ("palette", "PSNR", "inertia"):
        assert report_value(demo, label) == report_value(quantized, label) == report_value(compared, label)
    # and that start is quantize's, not the notebook's random one
    expected = refkmeans.quantize(scene(24, 16), 4)
    assert report_value(quantized, "PSNR") == f"{expected.psnr():.2f} dB"


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("quantize", "restarts (default for quantize, demo and compare"),
        ("demo", "restarts (default for quantize, demo and compare"),
        ("compare", "restarts (default for quantize, demo and compare"),
        ("animate", "random (default: the notebook's start"),
        ("explain", "random (default: the notebook's start"),
    ],
)
def test_each_commands_help_says_which_start_it_uses(capsys, command, says):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert says in text
    assert "``" not in text  # no raw reStructuredText


# -- the Python API ------------------------------------------------------------------------


def test_quantize_takes_a_file_name_or_a_path(tmp_path):
    image = scene(16, 12)
    path = ppm(tmp_path / "in.ppm", image)
    expected = refkmeans.quantize(image, 4)
    for given in (str(path), path):
        q = refkmeans.quantize(given, 4)
        assert q.palette == expected.palette and list(q.indices) == list(expected.indices)


def test_quantize_refuses_a_pillow_image_with_the_way_to_convert_it():
    with pytest.raises(UsageError, match=r"not <PIL\.Image\.Image image mode=RGB size=40x30 .*; README, Python API"):
        refkmeans.quantize(photo())


def test_the_readmes_conversions_to_and_from_pillow_and_numpy_run():
    pytest.importorskip("numpy")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.search(r"<!-- conversions -->\n```python\n(.*?)```", readme, flags=re.S)
    assert block, "README lost its conversions block"
    exec(compile(block.group(1), "README conversions", "exec"), {})


def test_write_onto_an_existing_file_names_the_python_argument(tmp_path):
    path = ppm(tmp_path / "out.ppm", scene(8, 8))
    with pytest.raises(OutputError, match=r"force=True"):
        refkmeans.write(str(path), scene(8, 8))


def test_a_photos_notebook_preview_is_downscaled():
    # Two colours in stripes: quick to quantize, yet 800x400 = 320 000 pixels.
    samples = bytes(v for y in range(400) for x in range(800) for v in ((255, 0, 0) if (x // 7 + y // 5) % 2 else (0, 0, 255)))
    q = refkmeans.quantize(Image(800, 400, 3, 255, samples), 2)
    html = q._repr_html_()
    sizes = []
    for data in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html):
        png = base64.b64decode(data)
        sizes.append(struct.unpack(">II", png[16:24]))  # IHDR width, height
    # Thinned by the smallest stride s with ceil(800/s) x ceil(400/s) <= 512 x 512: s = 2.
    assert sizes == [(400, 200), (400, 200)]
    assert "1 pixel in 2 across and down" in html


# -- the smaller items ---------------------------------------------------------------------


def test_explain_says_which_pixel_stands_for_the_one_asked_for(capsys):
    # The 240x160 scene thinned to 4096 pixels keeps every 4th row and column.
    assert main(["explain", "--pixel", "10,10", "--pixel", "8,8", "--iterations", "1"]) == 0
    out = capsys.readouterr().out
    assert "pixel (10, 10) is not in the thinned image; its place is taken by pixel (8, 8)" in out
    assert "pixel (8, 8) is not" not in out


def test_vectors_check_outside_a_checkout_says_there_is_nothing_to_check(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["vectors", "--check"]) == 2
    err = capsys.readouterr().err
    assert "no folder vectors/v1 to check" in err and "out of date" not in err


def test_plugins_columns_line_up(capsys):
    assert main(["plugins"]) == 0
    text = capsys.readouterr().out.split("\ninitializers:\n", 1)[1]  # the tables, not the plugin list
    assert main(["plugins", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    starts = set()
    for kind in ("initializers", "metrics", "codecs"):
        for row in info[kind]:
            line = next(line for line in text.splitlines() if line.startswith(f"  {row['name']} "))
            starts.add(line.index(row["description"], len(row["name"]) + 2))
    assert len(starts) == 1, starts


def test_elbow_names_its_flag_as_it_is_spelled(capsys):
    assert main(["elbow", "-k", "two"]) == 2
    assert "-k (--ks) must" in capsys.readouterr().err


def test_dithered_report_says_what_inertia_and_psnr_measure(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    image = scene(24, 16)
    ppm(tmp_path / "in.ppm", image)
    assert main(["--no-plugins", "quantize", "in.ppm", "-k", "4", "-o", "out.ppm", "--dither", "floyd-steinberg"]) == 0
    out = capsys.readouterr().out
    written = refkmeans.read(str(tmp_path / "out.ppm"))
    plain = refkmeans.quantize(image, 4)
    assert report_value(out, "inertia").endswith("each pixel to its nearest palette colour, before dithering")
    assert report_value(out, "inertia").startswith(f"{plain.result.inertia:.6g} ")
    expected = psnr_of(bytes(image.samples), bytes(written.samples))
    assert report_value(out, "PSNR") == f"{expected:.2f} dB (of the floyd-steinberg-dithered image written)"


def test_a_netpbm_extension_that_cannot_hold_the_image_is_refused_before_the_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ppm(tmp_path / "in.ppm", scene(12, 8))
    assert main(["--no-plugins", "quantize", "in.ppm", "-k", "2", "-o", "x.pgm"]) == 2
    assert "x.pgm: PGM holds greyscale images, this one has 3 channel(s)" in capsys.readouterr().err
    assert not (tmp_path / "x.pgm").exists()
    assert main(["--no-plugins", "quantize", "in.ppm", "-k", "2", "-o", "x.pnm", "-q"]) == 0
    assert (tmp_path / "x.pnm").read_bytes()[:2] == b"P6"


def test_an_output_that_cannot_hold_the_image_is_a_usage_error_not_an_input_error(tmp_path, monkeypatch, capsys):
    pytest.importorskip("refkmeans_pillow")
    monkeypatch.chdir(tmp_path)
    rgba = Image.from_pixels(4, 2, [(i * 30, 0, 0, 255 if i % 2 else 0) for i in range(8)])
    refkmeans.write("in.pam", rgba, registry=refkmeans.plugins.get_registry(False))
    assert main(["quantize", "in.pam", "-k", "2", "-o", "out.jpg"]) == 2
    assert "choose another format such as .png" in capsys.readouterr().err
    many = Image.from_pixels(300, 1, [(i % 256, i // 256, 0) for i in range(300)])
    refkmeans.write("many.ppm", many, registry=refkmeans.plugins.get_registry(False))
    assert main(["--no-plugins", "quantize", "many.ppm", "-k", "300", "-o", "out.gif", "--init", "first"]) == 2
    assert "more than 256 colours" in capsys.readouterr().err
