"""Tests for the ``restarts`` initializer (KM-INIT-5) and quantize's defaults and profiles.

Expected values come from independent computations: Fraction means for the
coarse histogram, the plain per-point engine (not the fast engine the
initializer uses) for the best restart, and tests/oracle.py's KM-INIT-3 for
the k-means++ draws.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from oracle import SplitMix64, init_kmeanspp

from refkmeans import PROFILES, Dataset, Image, UsageError, kmeans, quantize
from refkmeans.builtin import restarts
from refkmeans.builtin.initializers import greedy_kmeans_plus_plus, kmeans_plus_plus
from refkmeans.cli import main as cli_main
from refkmeans.engine.lloyd import lloyd
from refkmeans.plugins import get_registry
from refkmeans.rng import make_generator
from refkmeans.scene import scene


def _random_colours(n: int, seed: int, top: int = 255) -> list:
    r = random.Random(seed)
    return [tuple(r.randint(0, top) for _ in range(3)) for _ in range(n)]


def test_coarse_histogram_cells_hold_rounded_mean_and_total_count() -> None:
    colours = list(dict.fromkeys(_random_colours(600, 1)))
    counts = [1 + i % 5 for i in range(len(colours))]
    coarse = restarts.coarse_histogram(colours, counts, bits=3)
    # Independently: group by value // 32 (3 of 8 bits), mean by Fraction, round half up.
    groups: dict = {}
    for c, n in zip(colours, counts):
        groups.setdefault(tuple(v // 32 for v in c), []).append((c, n))
    expected = []
    for members in groups.values():
        total = sum(n for _, n in members)
        mean = tuple(Fraction(sum(c[i] * n for c, n in members), total) for i in range(3))
        expected.append((tuple(int(m + Fraction(1, 2)) // 1 for m in mean), total))
    assert list(zip(coarse.colours, coarse.counts)) == expected
    assert coarse.pixel_count == sum(counts)


def test_small_images_restart_on_the_exact_histogram() -> None:
    dataset = Dataset(_random_colours(300, 2))
    points = restarts.restart_points(dataset, 4)
    assert points.colours == dataset.colours and points.counts == dataset.counts


def test_large_histograms_restart_on_coarse_cells() -> None:
    dataset = Dataset(_random_colours(restarts.COARSE_MIN + 500, 3))
    points = restarts.restart_points(dataset, 4)
    assert len(points.colours) <= 2 ** (3 * restarts.COARSE_BITS)
    assert len(points.colours) < dataset.colour_count
    assert sum(points.counts) == dataset.pixel_count


def test_restarts_keep_the_run_with_least_exact_inertia() -> None:
    dataset = Dataset(_random_colours(400, 4, top=40))
    k, seed = 5, 7
    got = restarts.best_of_restarts(dataset, k, make_generator("portable", seed))
    # The same starts, run by the plain per-point engine over the weighted colours.
    rng = make_generator("portable", seed)
    metric = get_registry().metric("euclidean")
    runs = []
    for _ in range(restarts.restarts_for(k)):
        start = kmeans_plus_plus(dataset, k, rng)
        result = lloyd(dataset.colours, start, metric, weights=dataset.counts, max_iter=restarts.COARSE_MAX_ITER,
                       tol=restarts.RESTART_TOL)
        runs.append(result)
    best = min(runs, key=lambda r: r.inertia_exact)  # min keeps the first on a tie
    assert list(got) == list(best.centroids)


def test_restarts_are_a_pure_function_of_the_seed() -> None:
    dataset = Dataset(_random_colours(300, 5))
    a = restarts.best_of_restarts(dataset, 6, make_generator("portable", 3))
    b = restarts.best_of_restarts(dataset, 6, make_generator("portable", 3))
    assert a == b


def test_restarts_refuse_more_clusters_than_pixels() -> None:
    with pytest.raises(UsageError, match="more than the 2 pixels"):
        kmeans([(0, 0, 0), (1, 1, 1)], 3, init="restarts")


def test_quantize_defaults_to_restarts_and_ends_at_a_fixed_point() -> None:
    image = scene(48, 32)
    q = quantize(image, 6)
    assert q.result.converged
    assert q.result.centroids == quantize(image, 6, init="restarts", max_iter=300).result.centroids
    # A fixed point: one more exact plain Lloyd step from the result changes nothing.
    again = kmeans(image.pixels(), init=q.result.centroids, engine="plain", max_iter=1)
    assert again.centroids == q.result.centroids


def test_kmeans_api_keeps_the_notebook_random_default() -> None:
    pixels = scene(20, 10).pixels()
    assert kmeans(pixels, 4).centroids == kmeans(pixels, 4, init="random").centroids


def test_notebook_profile_is_the_notebook_settings() -> None:
    assert PROFILES["notebook"] == {"init": "random", "max_iter": 11, "rng": "numpy-legacy", "seed": 0}
    image = scene(30, 20)
    by_profile = quantize(image, 5, **PROFILES["notebook"])
    by_hand = quantize(image, 5, init="random", rng="numpy-legacy", seed=0, max_iter=11)
    assert by_profile.result.centroids == by_hand.result.centroids


def _write_scene(tmp_path, name: str = "in.ppm") -> str:
    image = scene(30, 20)
    path = tmp_path / name
    width, height = image.width, image.height
    path.write_bytes(b"P6\n%d %d\n255\n" % (width, height) + bytes(image.samples))
    return str(path)


def _palette_line(capsys) -> str:  # type: ignore[no-untyped-def]
    out = capsys.readouterr().out
    return next(line for line in out.splitlines() if line.startswith("palette"))


def test_cli_profile_notebook_matches_the_explicit_options(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = _write_scene(tmp_path)
    assert cli_main.main(["quantize", src, "-o", str(tmp_path / "a.ppm"), "-k", "5", "--profile", "notebook"]) == 0
    profile = _palette_line(capsys)
    args = ["quantize", src, "-o", str(tmp_path / "b.ppm"), "-k", "5", "--init", "random"]
    assert cli_main.main(args + ["--rng", "numpy-legacy", "--seed", "0", "--max-iter", "11"]) == 0
    assert _palette_line(capsys) == profile


def test_cli_explicit_options_win_over_the_profile(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = _write_scene(tmp_path)
    assert cli_main.main(["quantize", src, "-o", str(tmp_path / "a.ppm"), "--profile", "notebook", "--max-iter", "1"]) == 0
    out = capsys.readouterr().out
    assert "iterations  1 (stopped at --max-iter)" in out


def test_cli_default_is_restarts_and_reports_psnr_and_inertia_per_pixel(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = _write_scene(tmp_path)
    assert cli_main.main(["quantize", src, "-o", str(tmp_path / "a.ppm"), "-k", "5"]) == 0
    out = capsys.readouterr().out
    expected = quantize(Image(30, 20, 3, 255, list(scene(30, 20).samples)), 5, init="restarts")
    assert f"PSNR        {expected.psnr():.2f} dB" in out
    assert "per pixel)" in out and "(converged)" in out


@pytest.mark.parametrize("k", [1, 3, 8, 40])
def test_kmeans_plus_plus_makes_the_draws_and_choices_of_km_init_3(k: int) -> None:
    colours = _random_colours(150, k, top=2 if k > 27 else 12)  # 27 colours at most: k = 40 hits the zero-potential fallback
    got = kmeans_plus_plus(Dataset(colours), k, make_generator("portable", k))
    assert got == init_kmeanspp(colours, k, SplitMix64(k))


@pytest.mark.parametrize("k", [2, 5, 16])
def test_restarts_draw_km_init_3_on_the_weighted_coarse_cells(k: int) -> None:
    dataset = Dataset(_random_colours(restarts.COARSE_MIN + 300, k))
    points = restarts.restart_points(dataset, k)
    assert len(points.colours) < dataset.colour_count  # really the coarse cells
    # The oracle reads pixels: each cell becomes `count` pixels of its colour.
    pixels = [c for c, n in zip(points.colours, points.counts) for _ in range(n)]
    got = greedy_kmeans_plus_plus(points.colours, points.counts, k, make_generator("portable", 99))
    assert got == init_kmeanspp(pixels, k, SplitMix64(99))
