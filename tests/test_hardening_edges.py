"""The edge cases of SPEC.md section 12 (KM-EDGE-*), each against an independent oracle.

The oracle is ``tests/oracle.py``: Lloyd's algorithm transcribed from
SPEC.md alone, in Fraction arithmetic, over every pixel, sharing no code
with refkmeans.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import List, Sequence, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import oracle_kmeans

from refkmeans import EmptyClusterError, Image, UsageError, kmeans, quantize
from refkmeans.cli.main import main
from refkmeans.files import read, write
from refkmeans.kmeans import MAX_K

Pixel = Tuple[int, ...]
POLICIES = ("keep", "farthest", "error")
ENGINES = ("plain", "histogram")


class OracleEmpty(Exception):
    def __init__(self, cluster: int, iteration: int) -> None:
        super().__init__(cluster, iteration)
        self.cluster, self.iteration = cluster, iteration


def sq(p: Sequence, c: Sequence) -> Fraction:
    return sum(((Fraction(a) - Fraction(b)) ** 2 for a, b in zip(p, c)), Fraction(0))


def oracle(pixels: List[Pixel], start: Sequence[Sequence], max_iter: int = 300, empty: str = "keep"):
    """(centroids, labels, iterations, converged, counts) from tests/oracle.py; OracleEmpty under `error`."""
    r = oracle_kmeans(pixels, start, max_iter, "euclidean", empty)
    if r["error"]:
        raise OracleEmpty(r["cluster"], r["iterations"] - 1)  # refkmeans counts iterations from 0 in messages
    counts = [r["labels"].count(j) for j in range(len(start))]
    return r["centroids"], r["labels"], r["iterations"], r["converged"], counts


def same_as_oracle(pixels, start, max_iter=300, empty="keep", **kwargs):
    """Run refkmeans from ``start`` with both engines and compare every output with the oracle."""
    expected = oracle(pixels, start, max_iter, empty)
    for engine in ENGINES:
        r = kmeans(pixels, init=[list(c) for c in start], max_iter=max_iter, empty=empty, engine=engine, **kwargs)
        assert (list(r.centroids), r.labels, r.iterations, r.converged, list(r.counts)) == (
            expected[0],
            expected[1],
            expected[2],
            expected[3],
            expected[4],
        ), engine
    return expected


def few_colour_pixels(max_colours: int = 4, max_pixels: int = 12, channels: int = 3):
    """Pixels drawn from a handful of colours, so that repeats are common."""
    colour = st.tuples(*[st.integers(0, 255)] * channels)
    return st.lists(colour, min_size=1, max_size=max_colours).flatmap(
        lambda palette: st.lists(st.sampled_from(palette), min_size=1, max_size=max_pixels)
    )


# -- KM-EDGE-1: k = 0 ---------------------------------------------------------------------


@pytest.mark.parametrize("init", ["random", "first", "kmeans++"])
@pytest.mark.parametrize("k", [0, -1, -65536])
def test_k_zero_or_negative_is_a_usage_error_for_every_initializer(init: str, k: int) -> None:
    """KM-EDGE-1"""
    with pytest.raises(UsageError, match="k must be a positive integer"):
        kmeans([(1, 2, 3)], k=k, init=init)


@pytest.mark.parametrize("k", [True, 1.0, "3", None])
def test_k_that_is_not_an_integer_is_a_usage_error(k) -> None:
    """KM-EDGE-1 (None means the default 16 elsewhere, so it is only refused for given centroids)."""
    if k is None:
        with pytest.raises(UsageError, match="k must be a positive integer"):
            kmeans([(1,)], init=[])
        return
    with pytest.raises(UsageError, match="k must be a positive integer"):
        kmeans([(1,)], k=k)


def test_k_zero_on_the_command_line_exits_2_without_output(tmp_path: Path, capsys) -> None:
    """KM-EDGE-1"""
    source = tmp_path / "in.ppm"
    source.write_bytes(b"P6 1 1 255\n\x01\x02\x03")
    assert main(["quantize", str(source), "-k", "0", "-o", str(tmp_path / "out.ppm")]) == 2
    assert capsys.readouterr().err == "refkmeans: error: k must be a positive integer, got 0\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ppm"]


# -- KM-EDGE-2: k = 1 ---------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(pixels=few_colour_pixels(max_colours=6, max_pixels=20), init=st.sampled_from(["random", "first", "kmeans++"]))
def test_k_one_gives_the_exact_mean_of_all_pixels(pixels: List[Pixel], init: str) -> None:
    """KM-EDGE-2"""
    n = len(pixels)
    mean = tuple(Fraction(sum(ch), n) for ch in zip(*pixels))
    inertia = sum(sq(p, mean) for p in pixels)
    for engine in ENGINES:
        r = kmeans(pixels, k=1, init=init, engine=engine, seed=3)
        assert r.centroids == (mean,)
        assert r.labels == [0] * n
        assert r.converged and r.iterations == (1 if len(set(pixels)) == 1 else 2)
        assert r.inertia_exact == inertia


# -- KM-EDGE-3: k > n ---------------------------------------------------------------------


@pytest.mark.parametrize("init", ["random", "first", "kmeans++"])
def test_pixel_initializers_refuse_more_clusters_than_pixels(init: str) -> None:
    """KM-EDGE-3"""
    with pytest.raises(UsageError, match="k=4 is more than the 3 pixels"):
        kmeans([(0,), (5,), (9,)], k=4, init=init)


@pytest.mark.parametrize("empty", ["keep", "farthest"])
def test_given_centroids_may_outnumber_the_pixels(empty: str) -> None:
    """KM-EDGE-3: two pixels, five centroids: three or more clusters start empty."""
    pixels = [(10, 10, 10), (200, 0, 50)]
    start = [(0, 0, 0), (255, 255, 255), (10, 10, 10), (100, 100, 100), (200, 0, 50)]
    centroids, labels, iterations, converged, counts = same_as_oracle(pixels, start, empty=empty)
    assert counts.count(0) >= 3


def test_given_centroids_outnumbering_the_pixels_fail_at_iteration_0_under_error() -> None:
    """KM-EDGE-3"""
    with pytest.raises(EmptyClusterError, match="cluster 0 is empty at iteration 0"):
        kmeans([(7,)], init=[(0,), (7,)], empty="error")


# -- KM-EDGE-4: k > distinct colours ----------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(pixels=few_colour_pixels(max_colours=3, max_pixels=10), extra=st.integers(1, 4), empty=st.sampled_from(POLICIES))
def test_more_clusters_than_colours_follow_the_policy_exactly(pixels: List[Pixel], extra: int, empty: str) -> None:
    """KM-EDGE-4, with the `first` initializer (its k centroids are the first k pixels)."""
    k = min(len(set(pixels)) + extra, len(pixels))
    start = pixels[:k]
    try:
        expected = oracle(pixels, start, empty=empty)
    except OracleEmpty as exc:
        with pytest.raises(EmptyClusterError, match=f"cluster {exc.cluster} is empty at iteration {exc.iteration}"):
            kmeans(pixels, k=k, init="first", empty=empty)
        return
    for engine in ENGINES:
        r = kmeans(pixels, k=k, init="first", empty=empty, engine=engine)
        assert (list(r.centroids), r.labels, r.iterations, r.converged) == expected[:4]


@settings(max_examples=40, deadline=None)
@given(pixels=few_colour_pixels(max_colours=3, max_pixels=12), seed=st.integers(0, 2**32))
def test_repeated_random_centroids_start_empty_and_keep_their_colour(pixels: List[Pixel], seed: int) -> None:
    """KM-EDGE-4: under `keep` every later copy of a colour is empty at step 0, and the output has <= u colours."""
    u = len(set(pixels))
    k = len(pixels)  # as many clusters as pixels: repeats are certain whenever u < n
    image = Image.from_pixels(len(pixels), 1, pixels)
    q = quantize(image, k=k, init="random", seed=seed, trace=True)
    start = q.result.steps[0].centroids
    for j, c in enumerate(start):
        if c in start[:j]:
            assert q.result.steps[0].counts[j] == 0
    assert len(set(q.image.pixels())) <= u
    assert q.image.pixels() == pixels  # every colour is a centroid, so nothing moves


# -- KM-EDGE-5 and -6: a 1x1 image, a single colour ----------------------------------------------


def test_a_one_pixel_image_comes_back_unchanged(tmp_path: Path) -> None:
    """KM-EDGE-5"""
    source = tmp_path / "dot.ppm"
    source.write_bytes(b"P6\n1 1\n255\n\x0c\x22\x38")
    r = kmeans([(12, 34, 56)], k=1)
    assert (r.centroids, r.labels, r.iterations, r.converged, r.inertia_exact) == (((12, 34, 56),), [0], 1, True, 0)
    out = tmp_path / "out.ppm"
    assert main(["quantize", str(source), "-k", "1", "-o", str(out), "-q"]) == 0
    assert out.read_bytes() == source.read_bytes()


def test_a_one_pixel_image_refuses_two_colours_on_the_command_line(tmp_path: Path, capsys) -> None:
    """KM-EDGE-5 through KM-EDGE-3"""
    source = tmp_path / "dot.ppm"
    source.write_bytes(b"P6\n1 1\n255\n\x0c\x22\x38")
    assert main(["quantize", str(source), "-k", "2", "-o", str(tmp_path / "out.ppm")]) == 2
    assert "k=2 is more than the 1 pixels" in capsys.readouterr().err
    assert not (tmp_path / "out.ppm").exists()


@pytest.mark.parametrize("init", ["random", "first", "kmeans++"])
@pytest.mark.parametrize("empty", ["keep", "farthest"])
@pytest.mark.parametrize("k", [1, 2, 5, 12])
def test_a_single_colour_image_is_returned_unchanged(init: str, empty: str, k: int) -> None:
    """KM-EDGE-6"""
    image = Image(4, 3, 3, 255, [9, 99, 199] * 12)
    q = quantize(image, k=k, init=init, empty=empty, seed=k)
    assert q.image == image and math.isinf(q.psnr())
    assert q.result.iterations == 1 and q.result.converged and q.result.inertia_exact == 0
    assert set(q.result.labels) == {0} and q.palette == [(9, 99, 199)] * k


def test_a_single_colour_image_under_error_fails_with_exit_6(tmp_path: Path, capsys) -> None:
    """KM-EDGE-6"""
    source = tmp_path / "flat.pgm"
    source.write_bytes(b"P5 3 2 255\n" + bytes([42]) * 6)
    assert main(["quantize", str(source), "-k", "2", "--empty", "error", "-o", str(tmp_path / "o.pgm")]) == 6
    assert capsys.readouterr().err == "refkmeans: error: cluster 1 is empty at iteration 0 (policy 'error')\n"
    assert not (tmp_path / "o.pgm").exists()


# -- KM-EDGE-7: the empty-cluster policies at the edges ---------------------------------------------


def test_no_policy_runs_in_the_final_assignment_so_error_with_max_iter_0_never_fails() -> None:
    """KM-EDGE-7"""
    r = kmeans([(1,), (2,)], init=[(1,), (2,), (200,)], max_iter=0, empty="error")
    assert (r.iterations, r.converged, r.labels, r.counts) == (0, False, [0, 1], (1, 1, 0))


def test_an_empty_cluster_after_the_last_iteration_is_reported_not_refused() -> None:
    """KM-EDGE-7: max_iter stops the run; the relabel may empty a cluster under `error`."""
    pixels = [(0,), (10,), (11,)]
    start = [(0,), (5,)]
    expected = oracle(pixels, start, max_iter=1, empty="error")
    r = kmeans(pixels, init=start, max_iter=1, empty="error")
    assert (list(r.centroids), r.labels, list(r.counts)) == (expected[0], expected[1], expected[4])


@settings(max_examples=80, deadline=None)
@given(
    pixels=few_colour_pixels(max_colours=5, max_pixels=10, channels=1),
    start=st.lists(st.tuples(st.integers(0, 255)), min_size=1, max_size=8),
)
def test_farthest_fills_what_it_can_in_cluster_order(pixels: List[Pixel], start: List[Pixel]) -> None:
    """KM-EDGE-7 / KM-EMP-2 against the oracle, including more empties than colours."""
    same_as_oracle(pixels, start, empty="farthest")


@settings(max_examples=60, deadline=None)
@given(
    pixels=few_colour_pixels(max_colours=5, max_pixels=10, channels=2),
    start=st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), min_size=1, max_size=6),
    empty=st.sampled_from(POLICIES),
    max_iter=st.integers(0, 6),
)
def test_every_policy_matches_the_oracle(pixels, start, empty, max_iter) -> None:
    """KM-EDGE-7 and KM-EMP-1 for every policy, with and without max_iter cutting the run."""
    try:
        oracle(pixels, start, max_iter, empty)
    except OracleEmpty as exc:
        with pytest.raises(EmptyClusterError, match=f"cluster {exc.cluster} is empty at iteration {exc.iteration}"):
            kmeans(pixels, init=start, max_iter=max_iter, empty=empty)
        return
    same_as_oracle(pixels, start, max_iter=max_iter, empty=empty)


# -- KM-EDGE-8 and -9: maxval 1 and 65535 -----------------------------------------------------------


def test_maxval_1_rounds_one_half_up_and_stays_bilevel() -> None:
    """KM-EDGE-8"""
    q = quantize(Image(2, 1, 1, 1, [0, 1], "BLACKANDWHITE"), k=1)
    assert q.result.centroids == ((Fraction(1, 2),),) and q.palette == [(1,)]
    assert list(q.image.samples) == [1, 1]


def test_a_pbm_is_quantized_and_written_back_as_pbm(tmp_path: Path) -> None:
    """KM-EDGE-8: a 16x4 PBM with a left black and a right white half."""
    row = bytes([0xFF, 0x00])  # 8 black pixels (bit 1), 8 white
    source = tmp_path / "bw.pbm"
    source.write_bytes(b"P4\n16 4\n" + row * 4)
    out = tmp_path / "bw2.pbm"
    assert main(["quantize", str(source), "-k", "2", "--init", "first", "-o", str(out), "-q"]) == 0
    assert out.read_bytes() == source.read_bytes()
    assert read(str(out)).maxval == 1


def test_maxval_65535_is_exact_and_keeps_two_bytes_per_sample(tmp_path: Path) -> None:
    """KM-EDGE-9: sums of many 16-bit samples, a mean ending in one half, 2-byte output."""
    pixels = [(65535, 0, 65534)] * 1000 + [(65534, 1, 65535)] * 1000 + [(0, 65535, 0)]
    image = Image.from_pixels(len(pixels), 1, pixels, maxval=65535)
    start = [(65535, 0, 65535), (0, 65535, 0)]
    expected = oracle(pixels, start)
    q = quantize(image, init=[list(c) for c in start])
    assert list(q.result.centroids) == expected[0]
    assert expected[0][0] == (Fraction(131069, 2), Fraction(1, 2), Fraction(131069, 2))
    assert q.palette == [(65535, 1, 65535), (0, 65535, 0)]  # 65534.5 rounds up to 65535, 1/2 to 1
    path = tmp_path / "deep.ppm"
    write(str(path), q.image)
    data = path.read_bytes()
    assert data.startswith(b"P6\n2001 1\n65535\n") and len(data) == len(b"P6\n2001 1\n65535\n") + 2001 * 3 * 2
    assert read(str(path)) == q.image


# -- KM-EDGE-10: four channels ------------------------------------------------------------------


def test_alpha_counts_like_any_channel() -> None:
    """KM-EDGE-10: with alpha the pixel goes to one centroid, without it to the other."""
    pixels = [(110, 110, 110, 0), (0, 0, 0, 0), (200, 200, 200, 255)]
    start = [(0, 0, 0, 0), (200, 200, 200, 255)]
    with_alpha = same_as_oracle(pixels, start, max_iter=1)
    without_alpha = oracle([p[:3] for p in pixels], [c[:3] for c in start], max_iter=1)
    assert (with_alpha[1][0], without_alpha[1][0]) == (0, 1)


def test_four_channel_pam_keeps_its_four_channels(tmp_path: Path) -> None:
    """KM-EDGE-10"""
    raster = bytes([255, 0, 0, 255, 250, 5, 0, 128, 0, 0, 255, 0, 0, 5, 250, 10])
    source = tmp_path / "rgba.pam"
    source.write_bytes(b"P7\nWIDTH 2\nHEIGHT 2\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n" + raster)
    out = tmp_path / "rgba2.pam"
    assert main(["quantize", str(source), "-k", "2", "--init", "first", "-o", str(out), "-q"]) == 0
    result = read(str(out))
    assert (result.channels, result.tupltype) == (4, "RGB_ALPHA")
    pixels = [tuple(raster[i : i + 4]) for i in range(0, 16, 4)]
    centroids, labels, *_ = oracle(pixels, pixels[:2])
    rounded = [tuple(math.floor(v + Fraction(1, 2)) for v in c) for c in centroids]
    assert result.pixels() == [rounded[j] for j in labels]


# -- KM-EDGE-11: no pixels -------------------------------------------------------------------------


@pytest.mark.parametrize("width, height", [(0, 3), (3, 0), (0, 0)])
def test_an_image_without_pixels_cannot_be_clustered(width: int, height: int) -> None:
    """KM-EDGE-11"""
    with pytest.raises(UsageError, match="no pixels"):
        quantize(Image(width, height, 3, 255, []), k=1)


# -- KM-LIM-3: the upper bound on k --------------------------------------------------------------


def test_k_above_65536_is_refused_before_any_work() -> None:
    """KM-LIM-3: checked before the 65537 given centroids are converted (they are not even valid)."""
    assert MAX_K == 65536
    with pytest.raises(UsageError, match="k=65537 is above the limit of 65536"):
        kmeans([(0,)], k=MAX_K + 1, init="random")
    with pytest.raises(UsageError, match="k=65537 is above the limit of 65536"):
        kmeans([(0,)], init=[("not a number",)] * (MAX_K + 1))


def test_k_of_exactly_65536_given_centroids_is_allowed() -> None:
    """KM-LIM-3: the limit itself is allowed; every pixel lands in its own colour's cluster."""
    pixels = [(0,), (40000,), (65535,)]
    r = kmeans(pixels, init=[(v,) for v in range(MAX_K)], max_iter=0, engine="histogram")
    assert r.k == MAX_K and r.labels == [0, 40000, 65535]


def test_k_above_the_limit_on_the_command_line_exits_2(tmp_path: Path, capsys) -> None:
    """KM-LIM-3"""
    source = tmp_path / "in.pgm"
    source.write_bytes(b"P5 1 1 255\n\x00")
    assert main(["quantize", str(source), "-k", "65537", "-o", str(tmp_path / "o.pgm")]) == 2
    assert "above the limit of 65536" in capsys.readouterr().err


