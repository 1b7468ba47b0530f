"""Every picture type, rendered and checked for what it contains (not for how it looks)."""

from __future__ import annotations

import io
import math
import struct
import sys
import xml.etree.ElementTree as ET
import zlib
from fractions import Fraction

import pytest

from refkmeans import Image, UsageError, kmeans, quantize, read, write
from refkmeans.builtin.gif import GifCodec, parse, read_frames
from refkmeans.cli.main import main
from refkmeans.scene import scene
from refkmeans.teach import animate as anim
from refkmeans.teach.compare import MARGIN, SCALE, before_after, compare, compare_quantized
from refkmeans.teach.elbow import inertia_by_k, parse_ks
from refkmeans.teach.png import encode_png
from refkmeans.teach.projection import default_projection, projection
from refkmeans.teach.raster import GLYPHS, Canvas, display_rgb, text_width
from refkmeans.teach.sample import spread, stride_for, thin
from refkmeans.teach.svg import compact, elbow_index, elbow_svg, inertia_svg, nice_ticks, palette_svg

SVG = "{http://www.w3.org/2000/svg}"
PIL = pytest.importorskip("PIL.Image")


def round_half_up(v):
    return math.floor(Fraction(v) + Fraction(1, 2))


def brute_labels(pixels, centroids):
    def key(p, c):
        return sum((Fraction(x) - Fraction(v)) ** 2 for x, v in zip(p, c))

    return [min(range(len(centroids)), key=lambda j: (key(p, centroids[j]), j)) for p in pixels]


def pillow_pixels(data: bytes, frame: int = 0):
    im = PIL.open(io.BytesIO(data))
    im.seek(frame)
    raw = im.convert("RGB").tobytes()
    return im.size, [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]


# -- SVG plots ---------------------------------------------------------------------


def test_the_palette_is_well_formed_svg_with_one_swatch_per_cluster():
    palette = [(255, 0, 0), (0, 128, 255), (10, 20, 30)]
    counts = [70, 0, 30]
    root = ET.fromstring(palette_svg(palette, counts).encode())
    swatches = [r for r in root.iter(SVG + "rect") if r.get("class") == "swatch"]
    assert [int(r.get("data-cluster")) for r in swatches] == [0, 1, 2]
    assert [r.get("fill") for r in swatches] == ["#ff0000", "#0080ff", "#0a141e"]
    assert [int(r.get("data-count")) for r in swatches] == counts
    assert swatches[1].get("stroke-dasharray") and not swatches[0].get("stroke-dasharray")
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "70 (70.0%)" in texts and "0 (empty)" in texts
    assert root.find(SVG + "title").text == "Palette"


def test_a_sixteen_bit_palette_keeps_its_values_and_shows_eight_bit_colours():
    root = ET.fromstring(palette_svg([(65535, 0, 32896)], [5], maxval=65535))
    (swatch,) = [r for r in root.iter(SVG + "rect") if r.get("class") == "swatch"]
    assert swatch.get("data-colour") == "#ffff00008080" and swatch.get("fill") == "#ff0080"


def test_the_inertia_plot_has_a_point_per_iteration_and_flags_empty_clusters():
    values = [900.0, 400.0, 350.5, 350.5]
    root = ET.fromstring(inertia_svg(values, empty=[(), (2,), (), ()]))
    points = [c for c in root.iter(SVG + "circle") if "iteration" in (c.get("class") or "")]
    assert [float(c.get("data-y")) for c in points] == values
    assert [c.get("class") for c in points] == ["iteration", "iteration flagged", "iteration", "iteration"]
    assert points[1].find(SVG + "title").text == "iteration 1: inertia 400; empty: 2"
    ys = [float(c.get("cy")) for c in points]
    assert ys[0] < ys[1] < ys[2] == ys[3]  # higher inertia is drawn higher (smaller y)
    assert any(t.text == "a cluster was empty" for t in root.iter(SVG + "text"))


def test_the_elbow_is_the_point_farthest_below_the_chord():
    ks, inertias = [1, 2, 3, 4, 5, 6], [100.0, 40.0, 15.0, 12.0, 10.0, 9.0]
    # the chord from (1, 100) to (6, 9), both axes scaled to 0..1: gap = (1 - t) - (y - 9) / 91
    gaps = [(1 - (k - 1) / 5) - (y - 9) / 91 for k, y in zip(ks, inertias)]
    assert elbow_index(ks, inertias) == gaps.index(max(gaps)) == 2
    assert elbow_index([1, 2], [5.0, 1.0]) is None
    root = ET.fromstring(elbow_svg(ks, inertias))
    assert [t.text for t in root.iter(SVG + "text") if t.get("class") == "annotation"] == ["elbow? k = 3"]
    points = [c for c in root.iter(SVG + "circle") if (c.get("class") or "").startswith("k")]
    assert [float(c.get("data-x")) for c in points] == ks


@pytest.mark.parametrize("low, high", [(0, 1), (0, 7), (2, 32), (0, 4_135_540), (3.5, 3.5), (0, 0.03)])
def test_ticks_are_round_evenly_spaced_and_cover_the_range(low, high):
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 5, 10)


def test_compact_labels():
    assert [compact(v) for v in (0, 12, 1500, 2_500_000, 3e9, 4e12)] == ["0", "12", "1.5k", "2.5M", "3G", "4T"]


# -- sampling, projection, raster --------------------------------------------------


@pytest.mark.parametrize("w, h, limit", [(240, 160, 4096), (7, 5, 6), (10, 1, 3), (5, 5, 25), (9, 9, 1)])
def test_thinning_keeps_every_sth_row_and_column_with_the_smallest_s(w, h, limit):
    image = Image(w, h, 2, 65535, [(i * 7919) % 65536 for i in range(w * h * 2)])
    small, s = thin(image, limit)
    assert s == stride_for(w, h, limit)
    assert small.pixel_count <= limit
    if s > 1:
        assert math.ceil(w / (s - 1)) * math.ceil(h / (s - 1)) > limit
    big = image.pixels()
    for y in range(small.height):
        for x in range(small.width):
            assert small.pixels()[y * small.width + x] == big[(s * y) * w + s * x]
    assert thin(image, 0) == (image, 1)
    with pytest.raises(UsageError, match="sample size"):
        thin(image, -1)


def test_spread_is_even_and_deterministic():
    assert spread(10, 3) == [0, 3, 6] and spread(2, 9) == [0, 1]


def test_projections_by_name():
    assert projection("r,g", 3)((1, 2, 3)) == (1.0, 2.0)
    assert projection("B-R", 4)((1, 2, 3, 4)) == (3.0, 1.0)
    p = projection("0,1", 2)
    assert (p.x_label, p.y_label, p.bounds(100)) == ("0", "1", (0.0, 100.0, 0.0, 100.0))
    assert projection("R,G", 1)((7,)) == (7.0, 7.0)
    assert projection("opponent", 3)((10, 30, 5)) == (-20.0, 15.0)
    assert [default_projection(c) for c in (1, 2, 3, 4)] == ["0,0", "0,1", "R,G", "R,G"]
    assert "opponent" in repr(projection("opponent", 3))
    for spec, channels, message in [("R", 3, "two channels"), ("R,Q", 3, "not one of"), ("0,3", 3, "not one of"),
                                    ("opponent", 2, "needs 3 colour channels")]:
        with pytest.raises(UsageError, match=message):
            projection(spec, channels)


def test_a_canvas_draws_lines_text_and_markers_with_a_colour_table():
    c = Canvas(20, 12)
    c.line(0, 0, 19, 11, (0, 0, 0))
    black = c.colour((0, 0, 0))
    on = [(i % 20, i // 20) for i, v in enumerate(c.pixels) if v == black]
    assert (0, 0) in on and (19, 11) in on and len(on) == 20  # one pixel per column of a shallow line
    assert all(abs(y - x * 11 / 19) <= 0.5 for x, y in on)
    c.text(0, 0, "a~", (9, 9, 9))  # lower case prints as upper case, unknown as '?'
    grey = c.colour((9, 9, 9))
    lit = {(i % 20, i // 20) for i, v in enumerate(c.pixels) if v == grey}
    assert lit == set(GLYPHS["A"]) | {(x + 4, y) for x, y in GLYPHS["?"]}
    assert text_width("AB", 2) == 14
    c.marker(10, 6, (1, 2, 3), radius=2)
    assert c.pixels[6 * 20 + 10] == c.colour((1, 2, 3))
    c.rect(-5, -5, 3, 3, (7, 7, 7))  # fully outside: nothing
    c.point(99, 99, (7, 7, 7))
    assert (7, 7, 7) not in c.colours
    image = c.to_image()
    assert image.width == 20 and image.pixels()[6 * 20 + 10] == (1, 2, 3)
    with pytest.raises(UsageError, match="at least 1x1"):
        Canvas(0, 4)
    with pytest.raises(UsageError, match="cannot place"):
        c.blit(25, 0, 3, [b"\0\0\0"])
    with pytest.raises(UsageError, match="cannot fill"):
        c.blit(0, 0, 3, [b"\0"])


def test_a_gif_canvas_holds_at_most_256_colours_and_a_picture_canvas_more():
    c = Canvas(4, 4)
    for v in range(255):
        c.colour((v, 0, 1))
    with pytest.raises(UsageError, match="at most 256 colours"):
        c.colour((0, 9, 9))
    big = Canvas(30, 30, max_colours=None)
    big.paint(0, 0, [[(x, y, 0) for x in range(30)] for y in range(30)])
    assert big.to_image().pixels()[31] == (1, 1, 0)


def test_display_colours_scale_to_eight_bits():
    assert display_rgb((65535, 0, 32768), 65535) == (255, 0, 128)
    assert display_rgb((3, 9), 15) == (51, 51, 51)


# -- PNG -----------------------------------------------------------------------------


def png_samples(data: bytes):
    """An independent reading of a filter-0 PNG: (width, height, depth, colour type, samples)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, head = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    w, h, depth, colour_type = head[:4]
    raw = zlib.decompress(idat)
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[colour_type]
    row = 1 + w * channels * depth // 8
    samples = []
    for y in range(h):
        line = raw[y * row : (y + 1) * row]
        assert line[0] == 0
        if depth == 8:
            samples += list(line[1:])
        else:
            samples += [int.from_bytes(line[i : i + 2], "big") for i in range(1, len(line), 2)]
    return w, h, depth, colour_type, samples


@pytest.mark.parametrize("channels, maxval", [(1, 255), (2, 255), (3, 255), (4, 255), (3, 65535), (1, 1), (3, 1000)])
def test_png_holds_the_samples_exactly_or_scaled_to_the_full_depth(channels, maxval):
    samples = [(i * 37) % (maxval + 1) for i in range(5 * 3 * channels)]
    w, h, depth, colour_type, got = png_samples(encode_png(Image(5, 3, channels, maxval, samples)))
    top = 255 if maxval < 256 else 65535
    assert (w, h, depth, colour_type) == (5, 3, 8 if top == 255 else 16, {1: 0, 2: 4, 3: 2, 4: 6}[channels])
    assert got == [round_half_up(Fraction(v * top, maxval)) for v in samples]


def test_pillow_agrees_with_the_png_writer():
    image = scene(30, 20)
    size, pixels = pillow_pixels(encode_png(image))
    assert size == (30, 20) and pixels == image.pixels()
    with pytest.raises(Exception, match="5-channel"):
        encode_png(Image(1, 1, 5, 255, [0] * 5))
    with pytest.raises(Exception, match="0x0"):
        encode_png(Image(0, 0, 3, 255, []))


# -- the animation ---------------------------------------------------------------------


def check_frame(frame_pixels, width, layout, labels, centroids, maxval=255):
    """The image panel shows each pixel in its centroid's rounded colour; markers sit where centroids are."""
    image = layout.image
    colours = [display_rgb(tuple(min(max(round_half_up(v), 0), maxval) for v in c), maxval) for c in centroids]
    s, f = layout.stride, layout.scale
    for y in range(0, image.height, max(1, image.height // 5)):
        for x in range(0, image.width, max(1, image.width // 7)):
            if x % s or y % s:
                continue
            shown = frame_pixels[(layout.top + (y // s) * f) * width + anim.MARGIN + (x // s) * f]
            assert shown == colours[labels[y * image.width + x]]
    for c in centroids:
        px, py = layout.place(c)
        assert frame_pixels[py * width + px] in colours  # the marker's fill (another may sit on top)
    return set(colours)


def test_the_animation_has_a_frame_per_iteration_showing_each_assignment():
    image = scene(24, 16)
    result = kmeans(image.pixels(), k=4, seed=2, trace=True, trace_labels=True)
    assert result.converged and result.iterations == 3
    data = anim.animation(image, result, points=300)
    frames = read_frames(data)
    assert len(frames) == result.iterations == PIL.open(io.BytesIO(data)).n_frames
    layout = anim.Layout(image, projection("R,G", 3), 300)
    for n in (0, 1, result.iterations - 1):
        frame, step = frames[n], result.steps[n]
        labels = brute_labels(image.pixels(), step.centroids)
        assert labels == list(step.labels)
        wanted = check_frame(frame.pixels(), frame.width, layout, labels, step.centroids)
        assert wanted <= set(frame.pixels())
    size, first = pillow_pixels(data, 0)
    assert size == (frames[0].width, frames[0].height) and first == frames[0].pixels()


def test_a_run_stopped_by_max_iter_gets_a_final_frame():
    image = scene(24, 16)
    result = kmeans(image.pixels(), k=4, max_iter=2, trace=True, trace_labels=True)
    assert not result.converged
    frames = read_frames(anim.animation(image, result, axes="opponent", delay=7, last_delay=99))
    assert len(frames) == 3
    layout = anim.Layout(image, projection("opponent", 3), 4000)
    check_frame(frames[-1].pixels(), frames[-1].width, layout, result.labels, result.centroids)
    delays = [f.delay for f in parse(anim.animation(image, result, delay=7, last_delay=99)).frames]
    assert delays == [7, 7, 99]


def test_grey_and_sixteen_bit_images_animate_too():
    grey = Image(12, 8, 1, 65535, [(i * 997) % 65536 for i in range(96)])
    result = kmeans(grey.pixels(), k=3, trace=True, trace_labels=True)
    first = GifCodec().decode(anim.animation(grey, result))
    layout = anim.Layout(grey, projection("0,0", 1), 4000)
    check_frame(first.pixels(), first.width, layout, result.steps[0].labels, result.steps[0].centroids, 65535)


def test_an_animation_needs_labels_and_at_most_256_colours():
    image = scene(16, 12)
    with pytest.raises(UsageError, match="trace_labels=True"):
        anim.animation(image, kmeans(image.pixels(), k=2, trace=True))
    many = Image.from_pixels(20, 15, [(i % 256, 50 * (i // 256), 7) for i in range(300)])
    result = kmeans(many.pixels(), k=251, max_iter=1, init="first", trace=True, trace_labels=True)
    with pytest.raises(UsageError, match="at most 250 clusters"):
        anim.animation(many, result)
    assert main(["animate", "-k", "251"]) == 2
    result = kmeans(many.pixels(), k=250, max_iter=1, init="first", trace=True, trace_labels=True)
    assert len(read_frames(anim.animation(many, result))) == 2  # 250 clusters just fit


def test_animate_runs_and_returns_the_result():
    data, result = anim.animate(scene(20, 14), 3, max_iter=3, seed=1)
    assert len(read_frames(data)) == result.iterations + (0 if result.converged else 1)


# -- before/after -------------------------------------------------------------------------


def test_the_comparison_shows_both_images_and_the_palette_by_share():
    image = scene(40, 30)
    q = quantize(image, 4, seed=2)
    picture = compare_quantized(q, min_height=60)
    pixels, width = picture.pixels(), picture.width
    f = 2  # 30 rows enlarged to at least 60
    top = MARGIN + 5 * SCALE + 6
    column = (width - 3 * MARGIN) // 2
    for y in range(0, 30, 7):
        for x in range(0, 40, 9):
            assert pixels[(top + y * f) * width + MARGIN + x * f] == image.pixels()[y * 40 + x]
            assert pixels[(top + y * f) * width + 2 * MARGIN + column + x * f] == q.image.pixels()[y * 40 + x]
    strip = pixels[(top + 30 * f + 10) * width + 2 * MARGIN + column : (top + 30 * f + 10) * width + 2 * MARGIN + column + 40 * f]
    shares = {c: strip.count(c) for c in set(strip)}
    for colour, count in zip(q.palette, q.result.counts):
        if count:
            assert abs(shares[colour] - count * 80 / 1200) <= 1.5
    with pytest.raises(ValueError, match="same size"):
        before_after(image, scene(8, 8), [], [])


def test_compare_quantizes_with_the_given_options():
    picture, q = compare(scene(20, 12), 3, seed=5)
    assert q.result.k == 3 and picture.channels == 3 and picture.maxval == 255


# -- Jupyter ----------------------------------------------------------------------------


def test_images_results_and_quantized_images_display_themselves_without_jupyter():
    image = scene(24, 16)
    size, pixels = pillow_pixels(image._repr_png_())
    assert size == (24, 16) and pixels == image.pixels()
    assert Image(1, 1, 5, 255, [0] * 5)._repr_png_() is None
    q = quantize(image, 3, trace=True)
    html = q.result._repr_html_()
    assert html.count('class="swatch"') == 3 and "Inertia against iteration" in html
    assert "Inertia" not in kmeans(image.pixels(), k=2)._repr_html_()
    page = q._repr_html_()
    assert page.count("<img") == 2 and page.count('class="swatch"') == 3 and "PSNR" in page
    wide = Image(1, 1, 5, 255, [0] * 5)
    assert "<em>" in __import__("refkmeans.teach.jupyter", fromlist=["_img_tag"])._img_tag(wide, "x")
    assert "IPython" not in sys.modules
    sixteen = kmeans([(60000, 0, 0), (0, 0, 0)], k=2, init="first")
    assert 'data-colour="#ea6000000000"' in sixteen._repr_html_()  # 60000 = 0xea60: shown as 16-bit


# -- elbow ------------------------------------------------------------------------------


def test_k_ranges_parse_and_bad_ones_say_how_to_write_them():
    assert parse_ks("2..5") == [2, 3, 4, 5] and parse_ks("4,2,4") == [2, 4] and parse_ks("1..9:4") == [1, 5, 9]
    for bad in ("x", "2..", "0..3", ""):
        with pytest.raises(UsageError):
            parse_ks(bad)


def test_inertia_by_k_matches_independent_runs_and_skips_impossible_ks():
    pixels = [(0,), (1,), (10,), (11,), (20,)] * 2
    seen = []
    runs = inertia_by_k(pixels, [3, 1, 7], progress=lambda k, r: seen.append(k))
    assert [k for k, _ in runs] == seen == [1, 3]  # 7 > 5 distinct colours
    assert runs[0][1].inertia_exact == sum((Fraction(p[0]) - Fraction(84, 10)) ** 2 for p in pixels)
    with pytest.raises(UsageError, match="above the 5 distinct colours"):
        inertia_by_k(pixels, [6, 9])


# -- the commands ----------------------------------------------------------------------------


def test_animate_command_writes_a_gif_of_the_scene(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["animate", "-k", "4", "--max-iter", "3", "--sample", "600", "--points", "300"]) == 0
    frames = read_frames((tmp_path / "scene-k4-animation.gif").read_bytes())
    assert len(frames) in (3, 4)
    out = capsys.readouterr().out
    assert f"{len(frames)} frames" in out and "thinned to" in out
    assert main(["animate", "-o", "x.png"]) == 2
    assert main(["animate", "--points", "0"]) == 2
    assert main(["animate", "-k", "4", "--max-iter", "3", "--sample", "600"]) == 5  # exists: --force needed


def test_animate_command_reads_a_file_and_writes_to_stdout(tmp_path, capsysbinary):
    path = tmp_path / "small.ppm"
    write(str(path), scene(20, 12))
    assert main(["animate", str(path), "-o", "-", "-k", "3", "--max-iter", "2", "--axes", "G,B"]) == 0
    captured = capsysbinary.readouterr()
    assert captured.out.startswith(b"GIF89a") and b"frames" in captured.err


def test_elbow_command_writes_the_plot_and_a_table(tmp_path, capsys):
    out = tmp_path / "e.svg"
    assert main(["elbow", "-o", str(out), "-k", "2..4", "--sample", "300"]) == 0
    root = ET.parse(str(out)).getroot()
    points = [c for c in root.iter(SVG + "circle") if (c.get("class") or "").startswith("k")]
    assert [int(float(c.get("data-x"))) for c in points] == [2, 3, 4]
    printed = capsys.readouterr().out
    assert "inertia" in printed and "wrote" in printed
    assert main(["elbow", "-o", "-", "-k", "2,3", "--sample", "300", "--json"]) == 0
    captured = capsys.readouterr()
    import json

    table = json.loads(captured.err)
    assert [row["k"] for row in table["runs"]] == [2, 3] and captured.out.startswith("<?xml")
    small = small_file(tmp_path)
    assert main(["elbow", str(small), "-o", str(tmp_path / "s.svg"), "-k", "1..9"]) == 0
    assert "skipped" in capsys.readouterr().out
    assert main(["elbow", "-o", str(tmp_path / "q.svg"), "-k", "2..3", "--sample", "100", "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["elbow", "-o", "x.gif"]) == 2


def small_file(tmp_path):
    path = tmp_path / "four.ppm"
    write(str(path), Image.from_pixels(2, 2, [(0, 0, 0), (9, 9, 9), (90, 0, 0), (0, 90, 0)]))
    return path


def test_compare_command_quantizes_or_compares_with_an_existing_file(tmp_path, capsys):
    source = tmp_path / "scene.ppm"
    write(str(source), scene(30, 20))
    assert main(["compare", str(source), "-k", "4", "-q"]) == 0
    size, pixels = pillow_pixels((tmp_path / "scene-k4-compare.png").read_bytes())
    assert size[0] > 60
    after = tmp_path / "after.ppm"
    write(str(after), quantize(scene(30, 20), 3).image)
    out = tmp_path / "c.ppm"
    assert main(["compare", str(source), "--after", str(after), "-o", str(out)]) == 0
    assert "PSNR" in capsys.readouterr().out
    assert read(str(out)).width == size[0]
    wrong = tmp_path / "wrong.ppm"
    write(str(wrong), scene(10, 10))
    assert main(["compare", str(source), "--after", str(wrong), "-o", str(tmp_path / "w.png")]) == 2
    assert "is 10x10x3" in capsys.readouterr().err
    assert main(["compare", str(source), "-o", str(source), "-f"]) == 2
    assert main(["compare", str(source), "-o", str(tmp_path / "x.unknown")]) == 2


def test_compare_command_writes_the_scene_to_standard_output(capsysbinary):
    assert main(["compare", "-o", "-", "-k", "2", "--max-iter", "2"]) == 0
    captured = capsysbinary.readouterr()
    assert captured.out.startswith(b"\x89PNG") and b"PSNR" in captured.err


def test_a_tall_image_is_shown_thinned_and_empty_clusters_get_a_red_ring():
    tall = Image(3, 420, 3, 255, [(i * 31) % 256 for i in range(3 * 420 * 3)])
    layout = anim.Layout(tall, projection("R,G", 3), 100)
    assert (layout.stride, layout.scale, layout.panel_h) == (3, 1, 140)
    pixels = [(9, 9, 9)] * 4 + [(200, 0, 0)] * 4
    image = Image.from_pixels(4, 2, pixels)
    result = kmeans(pixels, init=[(9, 9, 9), (9, 9, 9)], max_iter=1, trace=True, trace_labels=True)
    assert result.steps[0].empty == (1,)
    first = GifCodec().decode(anim.animation(image, result))
    layout = anim.Layout(image, projection("R,G", 3), 4000)
    x, y = layout.place(result.steps[0].centroids[1])
    assert first.pixels()[(y - 4) * first.width + x] == anim.RED


def test_the_palette_strip_skips_empty_clusters():
    pixels = [(9, 9, 9)] * 6 + [(200, 0, 0)] * 2
    image = Image.from_pixels(4, 2, pixels)
    q = quantize(image, 3, init=[(9, 9, 9), (9, 9, 9), (200, 0, 0)], max_iter=1)
    assert q.result.counts == (6, 0, 2)
    picture = compare_quantized(q, min_height=2)
    assert picture.width > 8


def test_series_must_pair_up():
    from refkmeans.teach.svg import Series

    with pytest.raises(ValueError, match="differ in length"):
        Series([1, 2], [1.0])


def test_the_picture_generator_writes_checks_and_reports_stale_files(tmp_path, monkeypatch, capsys):
    from refkmeans.teach import pictures

    image = scene(8, 8)
    fake = {"a.png": encode_png(image), "b.svg": b"<svg/>"}
    monkeypatch.setattr(pictures, "draw_all", lambda: dict(fake))
    folder = str(tmp_path / "pics")
    assert pictures.main(["--out", folder]) == 0
    assert "wrote" in capsys.readouterr().out
    assert pictures.main(["--out", folder, "--check"]) == 0
    # the same pixels compressed differently are still current; other pixels are not
    recompressed = encode_png(image, level=1)
    assert recompressed != fake["a.png"] and pictures.same_picture("a.png", recompressed, fake["a.png"])
    assert not pictures.same_picture("a.png", encode_png(scene(8, 9)), fake["a.png"])
    assert not pictures.same_picture("a.png", b"not a png", fake["a.png"])
    assert pictures.png_content(b"\x89PNG\r\n\x1a\n" + b"\0\0\0\0IDAT" + b"\0\0\0\0") is None
    (tmp_path / "pics" / "b.svg").write_bytes(b"<svg>changed</svg>")
    (tmp_path / "pics" / "a.png").unlink()
    assert pictures.main(["--out", folder, "--check"]) == 1
    err = capsys.readouterr().err
    assert "a.png" in err and "b.svg" in err and "python -m refkmeans.teach.pictures" in err


def test_elbow_reports_progress_on_long_runs(tmp_path, capsys, monkeypatch):
    from refkmeans.cli import elbow as elbow_cmd

    clock = iter(range(0, 1000, 5))
    monkeypatch.setattr(elbow_cmd.time, "monotonic", lambda: next(clock))
    assert main(["elbow", str(small_file(tmp_path)), "-o", str(tmp_path / "p.svg"), "-k", "2,3"]) == 0
    assert "refkmeans: k = 3 done" in capsys.readouterr().err


def test_commands_read_an_image_from_standard_input(tmp_path, monkeypatch, capsys):
    import io as _io

    from refkmeans.builtin.netpbm import NetpbmCodec

    data = NetpbmCodec().encode(scene(12, 8))
    monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": _io.BytesIO(data)})())
    assert main(["explain", "-", "-k", "2", "--iterations", "0"]) == 0
    assert capsys.readouterr().out.startswith("refkmeans explain: standard input, 12x8")
