"""Real compression from the command line: PNG output, sizes in the report, --palette and --dither."""

from __future__ import annotations

import os
import re
import struct
from importlib import metadata
from pathlib import Path

import pytest

from refkmeans import read
from refkmeans.cli.main import main
from refkmeans.files import write
from refkmeans.image import Image
from refkmeans.plugins import get_registry, reset_registry
from refkmeans.scene import scene

FIRST_PARTY = {"png": "refkmeans-png", "pillow": "refkmeans-pillow", "colour": "refkmeans-colour"}


@pytest.fixture(autouse=True)
def fresh_registry():
    reset_registry()
    yield
    reset_registry()


def needs_png() -> None:
    pytest.importorskip("refkmeans_png")


def scene_file(tmp_path: Path, size=(48, 32)) -> Path:
    path = tmp_path / "scene.ppm"
    write(str(path), scene(*size), registry=get_registry(False))
    return path


def test_the_first_party_plugins_are_installed_and_registered() -> None:
    found = {ep.name: dist.metadata["Name"] for dist in metadata.distributions() for ep in dist.entry_points if ep.group == "refkmeans"}
    if os.environ.get("REFKMEANS_REQUIRE_PLUGINS") != "1" and not set(FIRST_PARTY) <= set(found):
        pytest.skip("the first-party plugins are not installed here (make test installs them)")
    for name, distribution in FIRST_PARTY.items():
        assert found.get(name) == distribution
    registry = get_registry()
    assert registry.failures == []
    assert {"png", "pillow-jpeg"} <= set(registry.codecs) and {"cie76", "ciede2000"} <= set(registry.metrics)


def test_quantize_to_png_writes_a_4_bit_indexed_file_and_reports_real_sizes(tmp_path: Path, capsys) -> None:
    needs_png()
    source = scene_file(tmp_path)
    out = tmp_path / "scene16.png"
    assert main(["quantize", str(source), "-o", str(out)]) == 0
    data = out.read_bytes()
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, colour_type) == (48, 32, 4, 3)
    report = capsys.readouterr().out
    in_size, out_size = source.stat().st_size, len(data)
    assert f"file size   {in_size} -> {out_size} bytes ({in_size / out_size:.2f}x, {8 * out_size / (48 * 32):.2f} bits/pixel)" in report
    assert out_size * 4 < in_size
    ppm = tmp_path / "scene16.ppm"
    assert main(["quantize", str(source), "-o", str(ppm), "-q"]) == 0
    assert read(str(out)) == read(str(ppm))  # the same pixels, a fraction of the bytes


def test_a_png_input_is_quantized_like_its_netpbm_twin(tmp_path: Path) -> None:
    needs_png()
    source = scene_file(tmp_path)
    as_png = tmp_path / "scene.png"
    write(str(as_png), read(str(source)))
    main(["quantize", str(source), "-o", str(tmp_path / "a.ppm"), "-k", "6", "-q"])
    main(["quantize", str(as_png), "-o", str(tmp_path / "b.ppm"), "-k", "6", "-q"])
    assert (tmp_path / "a.ppm").read_bytes() == (tmp_path / "b.ppm").read_bytes()
    main(["quantize", str(as_png), "-k", "6", "-q"])
    assert (tmp_path / "scene-k6.png").exists()


def test_palette_remaps_onto_a_fixed_palette_without_iterating(tmp_path: Path, capsys) -> None:
    source = scene_file(tmp_path)
    palette = tmp_path / "palette.txt"
    palette.write_text("#000000\n#ffffff\n#4060c0\n")
    out = tmp_path / "mapped.ppm"
    assert main(["quantize", str(source), "-o", str(out), "--palette", str(palette)]) == 0
    report = capsys.readouterr().out
    assert f"iterations  0 (fixed palette of 3 colours from {palette})" in report
    assert "palette     #000000 #ffffff #4060c0" in report
    image, mapped = read(str(source)), read(str(out))
    colours = [(0, 0, 0), (255, 255, 255), (0x40, 0x60, 0xC0)]
    for pixel, got in zip(image.pixels(), mapped.pixels()):
        best = min(colours, key=lambda c: (sum((a - b) ** 2 for a, b in zip(pixel, c)), colours.index(c)))
        assert got == best


def test_palette_output_is_named_after_the_mapping(tmp_path: Path, monkeypatch) -> None:
    source = scene_file(tmp_path)
    palette = tmp_path / "palette.json"
    palette.write_text('["#000000", "#ffffff"]')
    assert main(["quantize", str(source), "--palette", str(palette), "-q"]) == 0
    assert set(read(str(tmp_path / "scene-mapped.ppm")).pixels()) <= {(0, 0, 0), (255, 255, 255)}
    import io
    import sys

    ppm = (tmp_path / "scene.ppm").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ppm)))
    monkeypatch.chdir(tmp_path)
    assert main(["quantize", "-", "--palette", str(palette), "-q"]) == 0
    assert (tmp_path / "mapped.ppm").exists()


def test_palette_from_an_image_file_and_dithering(tmp_path: Path, capsys) -> None:
    source = scene_file(tmp_path)
    palette_image = tmp_path / "palette.ppm"
    write(str(palette_image), Image(2, 1, 3, 255, [0, 0, 0, 255, 255, 255]), registry=get_registry(False))
    out = tmp_path / "dithered.ppm"
    argv = ["quantize", str(source), "-o", str(out), "--palette", str(palette_image), "--dither", "floyd-steinberg", "--dither-strength", "0.5"]
    assert main(argv) == 0
    assert "dither      floyd-steinberg, strength 1/2" in capsys.readouterr().out
    assert set(read(str(out)).pixels()) == {(0, 0, 0), (255, 255, 255)}


def test_dither_on_kmeans_output_keeps_the_palette(tmp_path: Path) -> None:
    source = scene_file(tmp_path)
    plain, dithered = tmp_path / "plain.ppm", tmp_path / "dithered.ppm"
    main(["quantize", str(source), "-o", str(plain), "-k", "4", "-q"])
    main(["quantize", str(source), "-o", str(dithered), "-k", "4", "-q", "--dither", "floyd-steinberg"])
    assert set(read(str(dithered)).pixels()) <= set(read(str(plain)).pixels())
    assert read(str(dithered)) != read(str(plain))


@pytest.mark.parametrize(
    "extra, message, code",
    [
        (["--dither-strength", "2"], "dither strength must be in 0..1", 2),
        (["--palette", "/nonexistent/palette.txt"], "cannot read /nonexistent/palette.txt", 3),
    ],
)
def test_bad_stage_options_fail_with_one_line(tmp_path: Path, capsys, extra, message: str, code: int) -> None:
    source = scene_file(tmp_path)
    assert main(["quantize", str(source), "-o", str(tmp_path / "x.ppm"), *extra]) == code
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.ppm").exists()


def test_a_metric_for_8_bit_rgb_refuses_other_images(tmp_path: Path, capsys) -> None:
    pytest.importorskip("refkmeans_colour")
    grey = tmp_path / "grey.pgm"
    write(str(grey), Image(4, 1, 1, 255, [0, 50, 100, 200]), registry=get_registry(False))
    assert main(["quantize", str(grey), "-k", "2", "--metric", "cie76"]) == 2
    assert "metric cie76 is defined for 3-channel images, this one has 1" in capsys.readouterr().err
    wide = tmp_path / "wide.ppm"
    write(str(wide), Image(2, 1, 3, 65535, [0, 0, 0, 65535, 65535, 65535]), registry=get_registry(False))
    assert main(["quantize", str(wide), "-k", "2", "--metric", "ciede2000"]) == 2
    assert "defined for maxval 255 (8-bit sRGB), this image has maxval 65535" in capsys.readouterr().err


def test_the_demo_writes_a_png_beside_the_ppm_files(tmp_path: Path, capsys) -> None:
    needs_png()
    assert main(["demo", "--out-dir", str(tmp_path), "--size", "48x32", "-k", "8"]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {"scene.ppm", "scene-k8.ppm", "scene-k8.png"}
    assert read(str(tmp_path / "scene-k8.png")) == read(str(tmp_path / "scene-k8.ppm"))
    assert "indexed PNG" in capsys.readouterr().out


def test_refkmeans_plugins_lists_what_the_first_party_plugins_register(capsys) -> None:
    pytest.importorskip("refkmeans_png")
    pytest.importorskip("refkmeans_colour")
    assert main(["plugins"]) == 0
    text = capsys.readouterr().out
    # The name column is as wide as the longest name (tests/test_newcomer.py checks the alignment).
    assert re.search(r"^  png +PNG \(pure Python", text, re.M) and re.search(r"^  cie76 +CIE76", text, re.M)
    assert main(["plugins", "--json"]) == 0
    import json

    info = json.loads(capsys.readouterr().out)
    assert {"png": "png", "cie76": "colour"}.items() <= {row["name"]: row["plugin"] for row in info["codecs"] + info["metrics"]}.items()
    assert main(["--no-plugins", "plugins", "--json"]) == 0
    assert "png" not in {row["name"] for row in json.loads(capsys.readouterr().out)["codecs"]}


def test_a_png_on_standard_input_is_recognised_by_its_signature(tmp_path: Path, monkeypatch) -> None:
    needs_png()
    import io
    import sys

    from refkmeans_png import encode_png

    image = scene(24, 16)
    stdin = io.TextIOWrapper(io.BytesIO(encode_png(image)))
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.chdir(tmp_path)
    assert main(["quantize", "-", "-k", "4", "-q"]) == 0
    assert read(str(tmp_path / "quantized-k4.ppm")).pixel_count == 24 * 16


def test_writing_a_png_over_its_own_input_is_refused(tmp_path: Path, capsys) -> None:
    needs_png()
    source = tmp_path / "photo.png"
    write(str(source), scene(16, 8))
    before = source.read_bytes()
    assert main(["quantize", str(source), "-o", str(source), "--force"]) == 2
    assert "is the input" in capsys.readouterr().err
    assert source.read_bytes() == before
