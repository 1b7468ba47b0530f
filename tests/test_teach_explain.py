"""``explain``: every number it prints is checked against an independent Fraction computation."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest

from refkmeans import Image, UsageError, kmeans
from refkmeans.cli.main import main
from refkmeans.cli.source import default_scene
from refkmeans.plugins import get_registry
from refkmeans.scene import scene
from refkmeans.teach.explain import Explainer, colour_text, exact_text, explain, number
from refkmeans.teach.sample import thin


def squared(p, c):
    return sum((Fraction(x) - Fraction(v)) ** 2 for x, v in zip(p, c))


def nearest(p, centroids):
    return min(range(len(centroids)), key=lambda j: (squared(p, centroids[j]), j))


def sections(text):
    return re.split(r"\n(?=== )", text)


def test_every_distance_and_every_nearest_centroid_is_right():
    image = scene(32, 24)
    text = explain(image, 3, iterations=2, seed=5)
    result = kmeans(image.pixels(), k=3, seed=5, trace=True)
    assigns = [s for s in sections(text) if s.startswith("== Iteration") and "assign" in s.split("\n")[0]]
    assert len(assigns) == 2
    pixels = image.pixels()
    checked = 0
    for n, block in enumerate(assigns):
        centroids = result.steps[n].centroids
        for match in re.finditer(r"pixel \((\d+), (\d+)\), colour \(([^)]*)\)[^\n]*:\n((?:    .*\n?)+)", block):
            x, y = int(match.group(1)), int(match.group(2))
            p = pixels[y * 32 + x]
            assert match.group(3) == ", ".join(map(str, p))
            lines = match.group(4).splitlines()
            for j, c in enumerate(centroids):
                d = math.sqrt(squared(p, c))
                assert lines[j].startswith(f"    to c{j} ") and lines[j].endswith(f" = {d:.4f}")
            winner = nearest(p, centroids)
            assert re.search(rf"(nearest: c{winner} |the lowest index, c{winner}, wins|c{winner} is nearer)", lines[-1])
            checked += 1
        counts = [sum(1 for p in pixels if nearest(p, centroids) == j) for j in range(3)]
        assert f"Pixels per cluster: c0: {counts[0]}, c1: {counts[1]}, c2: {counts[2]}." in block
        labels = [nearest(p, centroids) for p in pixels]
        inertia = sum(squared(p, centroids[j]) for p, j in zip(pixels, labels))
        assert f"Inertia (sum of squared distances to the own centroid): {exact_text(inertia)}" in block
    assert checked == 6


def test_the_update_shows_one_clusters_sum_count_and_exact_mean():
    image = scene(48, 32)
    text = explain(image, 3, iterations=1, seed=5, cluster=2)
    result = kmeans(image.pixels(), k=3, seed=5, trace=True)
    members = [p for p in image.pixels() if nearest(p, result.steps[0].centroids) == 2]
    total = tuple(sum(ch) for ch in zip(*members))
    assert f"    sum   = ({', '.join(map(str, total))})" in text
    assert f"    count = {len(members)}" in text
    mean = [Fraction(s, len(members)) for s in total]
    assert "    mean  = sum / count = (" + ", ".join(exact_text(v) for v in mean) + ")" in text
    assert f"... ({len(members) - 6} more)" in text


def test_an_exact_tie_is_explained_by_the_lowest_index_rule():
    text = explain(default_scene(), 4, seed=25, iterations=1)
    line = next(line for line in text.splitlines() if "exact tie:" in line)
    assert line.strip() == (
        "exact tie: c0 and c3 are both at exactly the same distance (squared 54); the lowest index, c0, wins (KM-ASN-2)."
    )
    assert "pixel (104, 92), colour (214, 219, 238) (an exact tie):" in text
    small, _ = thin(default_scene(), 4096)
    p = small.pixels()[(92 // 4) * small.width + 104 // 4]
    start = kmeans(small.pixels(), k=4, seed=25, max_iter=0).centroids
    assert squared(p, start[0]) == squared(p, start[3]) == 54


def test_a_near_tie_is_settled_exactly():
    image = Image(2, 1, 1, 255, [1, 5])
    result = kmeans(image.pixels(), init=[(0,), (Fraction(2) + Fraction(1, 10**17),)], max_iter=1, trace=True)
    teller = Explainer(image, result, get_registry().metric("euclidean"), 1, 2)
    centroids = result.steps[0].centroids
    distances = [1.0, 1.0]  # the floats cannot tell 1 from 1 + 1e-17
    winner, how = teller.decision((1,), centroids, distances)
    assert winner == 0 and how.startswith("near tie: c0 at 1.0000 and c1 at 1.0000") and "c0 is nearer" in how
    assert teller.decision((1,), centroids[:1], [1.0])[1] == "nearest: c0, the only centroid."


def test_a_duplicate_start_and_its_empty_cluster_are_pointed_out():
    image = Image.from_pixels(4, 2, [(9, 9, 9), (9, 9, 9), (200, 0, 0), (0, 200, 0)] * 2)
    text = explain(image, 3, init="first", iterations=1)
    assert "c1 is the same colour as c0: every pixel is as near to both, so c0 (the lower index) wins them all" in text
    assert "c1 had no pixels: policy 'keep' leaves it where it was (KM-EMP-1)." in text
    assert "The first initializer chose:" in text
    moved = explain(image, 3, init="first", iterations=1, empty="farthest")
    assert "c1 had no pixels: policy 'farthest' moved it to" in moved


def test_convergence_other_metrics_and_chosen_pixels():
    image = Image.from_pixels(3, 1, [(0, 0, 0), (10, 0, 0), (200, 0, 0)])
    text = explain(image, 2, init="first", iterations=5, metric="manhattan", pixels=[(2, 0)], cluster=1)
    assert "  pixel (2, 0), colour (200, 0, 0):" in text
    assert "    to c0 (5, 0, 0): manhattan distance 195.0000 (exactly 195)" in text
    assert "Nothing moved: the run has converged (KM-STOP-1)." in text
    assert text.count("== Iteration") == 3 * 2  # converged after 3 iterations: only those are narrated
    empty_cluster = explain(image, 3, init="first", iterations=1, cluster=2, pixels=[(0, 0)])
    assert "Cluster 2 in detail" in empty_cluster


def test_a_large_image_is_thinned_and_coordinates_stay_the_originals():
    text = explain(default_scene(), 4, iterations=1, show=5)
    assert "thinned to every 4th row and column: 60x40 = 2400 pixels" in text
    assert text.count("  pixel (") >= 5
    assert all(int(x) % 4 == 0 and int(y) % 4 == 0 for x, y in re.findall(r"  pixel \((\d+), (\d+)\)", text))


def test_sixteen_bit_images_have_no_hex_palette_line():
    image = Image(4, 1, 1, 65535, [0, 1000, 60000, 65535])
    text = explain(image, 2, iterations=0)
    assert "Palette" not in text and "After" in text and "== Iteration" not in text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"iterations": -1}, "iterations must be 0 or more"),
        ({"pixels": [(99, 0)]}, r"pixel \(99, 0\) is outside"),
        ({"cluster": 7}, "cluster 7 does not exist"),
    ],
)
def test_bad_requests_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        explain(scene(16, 8), 2, **kwargs)


def test_number_formatting():
    assert number(Fraction(7)) == "7" and number(Fraction(2, 3), 3) == "0.667"
    assert colour_text((Fraction(1, 2), 3)) == "(0.50, 3)"
    long = exact_text(Fraction(10**40 + 1, 3 * 10**20))
    assert long.endswith("(exactly a ratio of 41- and 21-digit integers)")


def test_explain_command_narrates_the_scene_or_a_file(tmp_path, capsys):
    assert main(["explain", "--iterations", "1", "--pixels", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("refkmeans explain: the built-in scene, 240x160") and "k = 4" in out
    assert out.count("  pixel (") == 2
    assert main(["explain", "--pixels", "0"]) == 2
    with pytest.raises(SystemExit) as usage:
        main(["explain", "--pixel", "oops"])
    assert usage.value.code == 2 and "a pixel is X,Y" in capsys.readouterr().err
    from refkmeans import write

    path = tmp_path / "tiny.ppm"
    write(str(path), scene(12, 8))
    assert main(["explain", str(path), "-k", "2", "--pixel", "3,4", "--cluster", "1", "--iterations", "1"]) == 0
    out = capsys.readouterr().out
    assert f"refkmeans explain: {path}, 12x8" in out and "  pixel (3, 4)" in out and "Cluster 1 in detail" in out
    assert main(["explain", str(tmp_path / "missing.ppm")]) == 3


def test_one_cluster_no_iterations_and_an_empty_cluster_are_narrated():
    image = Image.from_pixels(2, 1, [(1, 2, 3), (5, 6, 7)])
    text = explain(image, 1, iterations=1)
    assert "nearest: c0, the only centroid." in text
    assert "== Iteration" not in explain(image, 2, init="first", max_iter=0)
    doubled = Image.from_pixels(4, 1, [(9, 9, 9), (9, 9, 9), (200, 0, 0), (0, 200, 0)])
    assert "Cluster 1 has no pixels in this iteration." in explain(doubled, 3, init="first", cluster=1, iterations=1)


SNOWMAN = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "images" / "snowman.ppm"


@pytest.mark.skipif(not SNOWMAN.exists(), reason="the shared snowman photo is not beside the project")
def test_explain_narrates_the_notebooks_own_photo(capsys):
    from refkmeans import read

    photo = read(str(SNOWMAN))
    assert main(["explain", str(SNOWMAN), "--iterations", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{photo.width}x{photo.height}" in out and "thinned to every 4th row and column" in out
    first = photo.pixels()[0]
    assert f"  pixel (0, 0), colour ({', '.join(map(str, first))}) (the first pixel):" in out
