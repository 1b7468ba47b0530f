"""The fast engine gives the plain engine's Result, bit for bit, and its helpers are exact.

Every comparison is against ``engine="plain"`` (lloyd over every pixel, the
reference semantics) or against a brute-force computation written here.
"""

from __future__ import annotations

import io
import math
import random
import threading
from array import array
from collections import Counter
from contextlib import contextmanager
from fractions import Fraction
from itertools import chain

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refkmeans
from refkmeans import Dataset, EmptyClusterError, Image, UsageError, kmeans, quantize
from refkmeans.cli.main import main as cli_main
from refkmeans.cli.progress import Progress
from refkmeans.engine import choose as choose_engine
from refkmeans.engine import fast as fast_engine
from refkmeans.engine import kdtree
from refkmeans.engine.fast import supports
from refkmeans.engine.kdtree import ColourTree
from refkmeans.engine.lloyd import lloyd
from refkmeans.engine.morton import MortonCoder
from refkmeans.hookspecs import hookimpl
from refkmeans.image import expand_palette
from refkmeans.kmeans import Options, cluster
from refkmeans.metric import Metric
from refkmeans.plugins import Registry, get_registry
from refkmeans.quantize import psnr
from refkmeans.scene import scene

METRICS = ("euclidean", "sqeuclidean", "manhattan", "chebyshev")
POLICIES = ("keep", "farthest", "error")
FAST_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(pixels, **options):
    """The whole Result, every step included (or the error raised)."""
    try:
        return kmeans(pixels, trace=True, trace_labels=True, **options)
    except (EmptyClusterError, UsageError) as exc:
        return (type(exc).__name__, str(exc))


def assert_same_as_plain(pixels, **options):
    expected = outcome(pixels, engine="plain", **options)
    assert outcome(pixels, engine="fast", **options) == expected
    return expected


@st.composite
def images(draw, max_colours=12, max_pixels=60):
    """Pixel lists drawn from a small palette (so ties and repeats are common)."""
    channels = draw(st.sampled_from([1, 3, 4]))
    top = draw(st.sampled_from([1, 3, 255, 65535]))
    sample = st.integers(0, top)
    palette = draw(st.lists(st.tuples(*[sample] * channels), min_size=1, max_size=max_colours))
    return draw(st.lists(st.sampled_from(palette), min_size=1, max_size=max_pixels))


@st.composite
def starts(draw, pixels):
    """Initial centroids: pixels (duplicates allowed), exact halves, or floats."""
    channels = len(pixels[0])
    k = draw(st.integers(1, len(set(pixels)) + 3))
    kind = draw(st.sampled_from(["pixels", "halves", "floats"]))
    top = max(max(p) for p in pixels)
    if kind == "pixels":
        return [draw(st.sampled_from(pixels)) for _ in range(k)]
    if kind == "halves":
        value = st.integers(0, 2 * top + 2).map(lambda v: Fraction(v, 2))
    else:
        value = st.floats(0, top + 1, allow_nan=False)
    return [tuple(draw(value) for _ in range(channels)) for _ in range(k)]


@FAST_SETTINGS
@given(st.data())
def test_fast_gives_plains_result_on_random_images(data):
    pixels = data.draw(images())
    init = data.draw(starts(pixels))
    assert_same_as_plain(
        pixels,
        init=init,
        metric=data.draw(st.sampled_from(METRICS)),
        empty=data.draw(st.sampled_from(POLICIES)),
        max_iter=data.draw(st.sampled_from([0, 1, 2, 5, 300])),
    )


@FAST_SETTINGS
@given(st.data())
def test_fast_gives_plains_result_with_named_initializers_and_seeds(data):
    pixels = data.draw(images(max_colours=20))
    k = data.draw(st.integers(1, len(pixels)))
    assert_same_as_plain(
        pixels,
        k=k,
        init=data.draw(st.sampled_from(["random", "first", "kmeans++"])),
        seed=data.draw(st.integers(0, 2**32 - 1)),
        rng=data.draw(st.sampled_from(["portable", "numpy-legacy"])),
        metric=data.draw(st.sampled_from(METRICS)),
        empty=data.draw(st.sampled_from(POLICIES)),
        max_iter=data.draw(st.sampled_from([1, 3, 300])),
    )


@contextmanager
def leaf_size(size):
    """Build trees with leaves of at most ``size`` colours (deep trees from few colours)."""
    saved = kdtree.LEAF_SIZE
    kdtree.LEAF_SIZE = size
    try:
        yield
    finally:
        kdtree.LEAF_SIZE = saved


@FAST_SETTINGS
@given(data=st.data())
def test_fast_gives_plains_result_on_tie_heavy_grids_with_tiny_leaves(data):
    """Colours on a tiny integer grid with integer or half-integer centroids: exact ties everywhere."""
    channels = data.draw(st.sampled_from([1, 2, 3]))
    side = data.draw(st.integers(1, 4))
    grid = [tuple(v) for v in _grid(channels, side)]
    pixels = data.draw(st.lists(st.sampled_from(grid), min_size=1, max_size=80))
    halves = st.integers(0, 2 * side).map(lambda v: Fraction(v, 2))
    init = data.draw(st.lists(st.tuples(*[halves] * channels), min_size=1, max_size=7))
    with leaf_size(data.draw(st.sampled_from([1, 2, 5]))):
        assert_same_as_plain(
            pixels,
            init=init,
            metric=data.draw(st.sampled_from(METRICS)),
            empty=data.draw(st.sampled_from(["keep", "farthest"])),
            max_iter=data.draw(st.sampled_from([0, 1, 300])),
        )


def _grid(channels, side):
    if channels == 0:
        return [[]]
    return [[v] + rest for v in range(side + 1) for rest in _grid(channels - 1, side)]


def test_symmetric_layout_with_duplicate_starts_matches_plain():
    # Mirror-symmetric colours, two equal starting centroids (the later one starts empty)
    # and a centroid exactly between two colours.
    pixels = [(0, 0, 0), (10, 10, 10), (20, 20, 20), (0, 20, 0), (20, 0, 20)] * 3
    for metric in METRICS:
        for empty in ("keep", "farthest"):
            assert_same_as_plain(
                pixels, init=[(10, 10, 10), (10, 10, 10), (5, 5, 5), (15, 15, 15)], metric=metric, empty=empty
            )


def test_error_policy_fails_the_same_way_in_both_engines():
    expected = assert_same_as_plain([(0,), (1,)], init=[(0,), (0,)], empty="error")
    assert expected == ("EmptyClusterError", "cluster 1 is empty at iteration 0 (policy 'error')")


def test_more_centroids_than_colours_and_k_above_256_match_plain():
    rng = random.Random(7)
    pixels = [(rng.randrange(64), rng.randrange(64), rng.randrange(64)) for _ in range(400)]
    assert_same_as_plain(pixels, k=300, init="first", max_iter=4)
    assert_same_as_plain(pixels[:20], init=pixels[:20] + [(1, 2, 3)] * 5, empty="farthest")


def test_a_long_run_reuses_settled_nodes_and_still_matches_plain():
    """Late iterations move centroids little: runs are refiltered one by one, not re-walked."""
    image = scene(64, 48)
    pixels = image.pixels()
    expected = outcome(pixels, engine="plain", k=8, seed=3)
    dataset = Dataset(pixels)
    clustering = cluster(dataset, Options(k=8, seed=3, engine="fast", trace=True, trace_labels=True))
    assert clustering.assigner.refilters > 0 and clustering.assigner.full_walks >= 1
    assert clustering.per_pixel() == expected


@pytest.mark.parametrize("metric", METRICS)
def test_larger_colour_sets_match_the_histogram_engine_for_every_metric(metric):
    """Thousands of colours and deep trees (the histogram engine equals plain, proven above)."""
    rng = random.Random(metric)
    centres = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(6)]
    pixels = [tuple(min(255, max(0, int(rng.gauss(c, 30)))) for c in rng.choice(centres)) for _ in range(1500)]
    options = dict(k=12, seed=1, metric=metric, max_iter=60, empty="farthest")
    fast = kmeans(pixels, engine="fast", **options)
    slow = kmeans(pixels, engine="histogram", **options)
    assert fast == slow


# -- quantize and the compact path ----------------------------------------------


@pytest.mark.parametrize("channels, maxval", [(1, 255), (3, 255), (4, 255), (3, 65535), (1, 1000), (2, 3)])
def test_quantize_with_the_fast_engine_repaints_exactly_like_plain(channels, maxval):
    rng = random.Random(channels * maxval)
    palette = [[rng.randint(0, maxval) for _ in range(channels)] for _ in range(9)]
    samples = list(chain.from_iterable(rng.choice(palette) for _ in range(30 * 20)))
    image = Image(30, 20, channels, maxval, samples)
    fast = quantize(image, 5, engine="fast", seed=2)
    plain = quantize(image, 5, engine="plain", seed=2)
    assert fast.image == plain.image
    assert fast.palette == plain.palette
    assert list(fast.indices) == list(plain.indices) == list(fast.result.labels)
    # The squared error the fast path takes from cluster sums equals the sample-by-sample one.
    brute = sum((a - b) ** 2 for a, b in zip(image.samples, fast.image.samples))
    assert fast.squared_error() == plain.squared_error() == brute
    assert fast.psnr() == pytest.approx(10 * math.log10(maxval**2 / (brute / len(image.samples))))


def test_quantize_keeps_per_pixel_step_labels_when_asked():
    image = scene(16, 12)
    q = quantize(image, 4, init="random", trace=True, trace_labels=True, max_iter=2)
    r = kmeans(image.pixels(), k=4, trace=True, trace_labels=True, max_iter=2, engine="plain")
    assert [s.labels for s in q.result.steps] == [s.labels for s in r.steps]


def test_psnr_is_infinite_when_nothing_changes():
    image = Image(2, 1, 1, 255, [3, 9])
    assert quantize(image, 2).psnr() == math.inf
    assert psnr(image, image) == math.inf


@pytest.mark.parametrize("channels, maxval", [(1, 255), (3, 255), (4, 255), (3, 65535)])
def test_a_dataset_from_an_image_equals_the_one_from_its_pixel_tuples(channels, maxval):
    rng = random.Random(maxval + channels)
    samples = [rng.choice([0, 1, maxval // 2, maxval]) for _ in range(channels * 50)]
    image = Image(10, 5, channels, maxval, samples)
    compact, tuples = Dataset.from_image(image), Dataset(image.pixels())
    assert compact.colours == tuples.colours
    assert compact.counts == tuples.counts
    assert list(compact.pixels) == tuples.pixels and compact.pixel_count == 50
    assert repr(compact) == repr(tuples)
    labels = [i % 3 for i in range(len(compact.colours))]
    expected = [labels[tuples.colours.index(p)] for p in tuples.pixels]
    assert list(compact.pixel_labels(labels)) == list(tuples.pixel_labels(labels)) == expected
    tree = compact.colour_tree()
    by_tree = [labels[tree.first_occurrence_rank(i)] for i in range(tree.size)]
    for typecode in ("B", "H"):
        assert list(compact.pixel_labels_from_tree(tree, by_tree, typecode)) == expected
        assert list(tuples.pixel_labels_from_tree(tuples.colour_tree(), _by_tree(tuples, labels), typecode)) == expected


def _by_tree(dataset, labels):
    tree = dataset.colour_tree()
    return [labels[tree.first_occurrence_rank(i)] for i in range(tree.size)]


def test_an_image_without_pixels_is_a_usage_error():
    with pytest.raises(UsageError, match="no pixels"):
        Dataset.from_image(Image(0, 0, 3, 255, []))


def test_image_colour_count_and_pixel_view_agree_with_tuples():
    image = scene(20, 10)
    view = image.pixel_view()
    pixels = image.pixels()
    assert image.colour_count() == len(set(pixels))
    assert len(view) == len(pixels) and list(view) == pixels
    assert view[0] == pixels[0] and view[-1] == pixels[-1] and view[5:9] == pixels[5:9]
    assert view[1:10:3] == pixels[1:10:3] and view[9:2] == []
    with pytest.raises(IndexError):
        view[len(pixels)]


@pytest.mark.parametrize("maxval, colours", [(255, 3), (65535, 3), (255, 300), (65535, 300)])
def test_expand_palette_paints_each_index_with_its_colour(maxval, colours):
    rng = random.Random(colours)
    palette = [tuple(rng.randint(0, maxval) for _ in range(3)) for _ in range(colours)]
    indices = array("B" if colours <= 256 else "H", [rng.randrange(colours) for _ in range(50)])
    expected = list(chain.from_iterable(palette[i] for i in indices))
    assert list(expand_palette(palette, indices, 3, maxval)) == expected
    assert list(expand_palette(palette, list(indices), 3, maxval)) == expected


# -- the building blocks ----------------------------------------------------------


def _interleave(colour, bits):
    code = 0
    for b in range(bits):
        for c, v in enumerate(colour):
            code |= (v >> b & 1) << (b * len(colour) + c)
    return code


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5, 9])
@pytest.mark.parametrize("sample_bytes", [1, 2])
def test_morton_codes_interleave_bits_and_decode_back(channels, sample_bytes):
    rng = random.Random(channels * 10 + sample_bytes)
    top = 256**sample_bytes - 1
    colours = [tuple(rng.randint(0, top) for _ in range(channels)) for _ in range(40)] + [(top,) * channels]
    coder = MortonCoder(channels, sample_bytes)
    codes = coder.encode_colours(colours)
    assert list(codes) == [_interleave(c, 8 * sample_bytes) for c in colours]
    assert list(zip(*coder.decode(codes))) == colours
    assert [coder.decode_one(code) for code in codes] == colours


def test_a_morton_coder_refuses_unsupported_layouts():
    with pytest.raises(ValueError):
        MortonCoder(3, 3)


def test_tree_nodes_hold_their_colours_and_prefix_sums_are_exact():
    rng = random.Random(5)
    colours = list({(rng.randrange(40), rng.randrange(40), rng.randrange(40)) for _ in range(200)})
    weights = [rng.randint(1, 9) for _ in colours]
    with leaf_size(2):
        tree = ColourTree.from_colours(colours, weights)
        _check_nodes(tree, colours, weights)


def _check_nodes(tree, colours, weights):
    weight_of = dict(zip(colours, weights))
    stack = [(0, tree.size)]
    while stack:
        a, b = stack.pop()
        low, high, split = tree.node(a, b)[:3]
        inside = [tree.colour(i) for i in range(a, b)]
        assert all(all(lo <= v <= hi for v, lo, hi in zip(c, low, high)) for c in inside)
        assert tree.count(a, b) == sum(weight_of[c] for c in inside)
        assert tree.sums(a, b) == tuple(sum(weight_of[c] * c[ch] for c in inside) for ch in range(3))
        if split:
            assert a < split < b
            stack += [(a, split), (split, b)]
    assert tree.square_total == sum(w * sum(v * v for v in c) for c, w in zip(colours, weights))
    assert [tree.colour(p) for p in tree.first_occurrence_order()] == colours


def test_the_fast_engine_runs_lloyds_loop_over_weighted_colours():
    registry = get_registry(False)
    metric = registry.metric("euclidean")
    colours = [(0, 0), (1, 1), (9, 9), (10, 10)]
    start = [(Fraction(0), Fraction(0)), (Fraction(10), Fraction(10))]
    r, _ = fast_engine.run(ColourTree.from_colours(colours, [3, 1, 1, 3]), start, metric)
    assert r.labels == [0, 0, 1, 1]
    assert r.centroids == ((Fraction(1, 4), Fraction(1, 4)), (Fraction(39, 4), Fraction(39, 4)))
    assert r.counts == (4, 4)
    assert r == lloyd(colours, start, metric, weights=[3, 1, 1, 3])


def test_the_fast_engine_labels_each_repeated_point_like_lloyd():
    registry = get_registry(False)
    metric = registry.metric("manhattan")
    points = [(0, 0), (9, 9), (0, 0), (1, 0), (9, 9), (8, 9)]
    start = [(Fraction(0), Fraction(0)), (Fraction(9), Fraction(9))]
    options = dict(trace=True, trace_labels=True, empty="farthest")
    plain = lloyd(points, start, metric, **options)
    assert kmeans(points, init=start, metric="manhattan", engine="fast", **options) == plain


def test_the_fast_engine_validates_its_options_like_lloyd():
    metric = get_registry(False).metric("euclidean")
    tree = ColourTree.from_colours([(0,)], [1])
    with pytest.raises(UsageError, match="empty-cluster policy"):
        fast_engine.run(tree, [(Fraction(0),)], metric, empty="nope")
    with pytest.raises(UsageError, match="max_iter"):
        fast_engine.run(tree, [(Fraction(0),)], metric, max_iter=-1)


# -- engine choice ------------------------------------------------------------------


class Weird(Metric):
    name = "weird"

    def distance(self, a, b):
        return float(sum(abs(x - y) for x, y in zip(a, b)))

    def key(self, a, b):
        return sum(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))


class WeirdPlugin:
    """A plugin with an exact metric whose geometry the fast engine does not know."""

    @hookimpl
    def refkmeans_register_metrics(self, register):
        register(Weird())


def test_auto_picks_fast_for_built_in_metrics_and_histogram_otherwise():
    registry = get_registry(False)
    for name in METRICS:
        assert supports(registry.metric(name)) and choose_engine("auto", registry.metric(name)) == "fast"
    assert not supports(Weird()) and choose_engine("auto", Weird()) == "histogram"
    with pytest.raises(UsageError, match="no box test for metric 'weird'"):
        choose_engine("fast", Weird())
    with pytest.raises(UsageError, match="unknown engine"):
        choose_engine("turbo", Weird())


def test_a_plugin_metric_runs_on_the_histogram_engine_under_auto():
    registry = Registry(load_entrypoints=False, extra_plugins=[WeirdPlugin()])
    pixels = [(0,), (3,), (9,), (10,)]
    got = kmeans(pixels, init=[(0,), (10,)], metric="weird", registry=registry)
    assert got.labels == kmeans(pixels, init=[(0,), (10,)], metric="weird", engine="plain", registry=registry).labels


def test_the_cli_accepts_engine_fast(tmp_path, capsys):
    source = tmp_path / "in.ppm"
    refkmeans.write(str(source), scene(24, 16))
    for engine in ("fast", "plain"):
        out = tmp_path / f"out-{engine}.ppm"
        assert cli_main(["quantize", str(source), "-o", str(out), "-k", "4", "--engine", engine, "-q"]) == 0
    assert (tmp_path / "out-fast.ppm").read_bytes() == (tmp_path / "out-plain.ppm").read_bytes()


# -- progress -------------------------------------------------------------------------


def test_progress_names_each_phase_once_the_run_is_slow():
    stream = io.StringIO()
    progress = Progress(10, delay=0, stream=stream)
    progress.phase("counting colours")
    progress.done()
    assert "refkmeans: counting colours..." in stream.getvalue()
    quiet = io.StringIO()
    off = Progress(10, delay=0, stream=quiet, enabled=False)
    off.phase("counting colours")
    off.done()
    assert quiet.getvalue() == ""


def test_progress_announces_a_long_phase_while_it_runs():
    """The ticker thread, not a later update, shows the phase once the (hand-driven) clock passes the delay."""
    now = [0.0]
    written = threading.Event()

    class Stream(io.StringIO):
        def write(self, text: str) -> int:
            count = super().write(text)
            written.set()
            return count

    stream = Stream()
    progress = Progress(10, delay=0.01, stream=stream, clock=lambda: now[0])
    progress.phase("counting colours")
    assert stream.getvalue() == ""  # the clock has not moved: too early
    now[0] = 5.0
    written.wait()  # the ticker writes; nothing else will
    progress.done()
    assert stream.getvalue() == "refkmeans: counting colours...\n"
    assert not progress._ticker.is_alive()


def test_histogram_counts_match_a_counter():
    image = scene(30, 20)
    dataset = Dataset.from_image(image)
    assert dict(zip(dataset.colours, dataset.counts)) == dict(Counter(image.pixels()))
