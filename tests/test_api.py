"""The public API: images, datasets, exact helpers, and clear errors for bad input."""

from __future__ import annotations

import inspect
import io
from array import array
from dataclasses import FrozenInstanceError, fields, replace
from fractions import Fraction

import pytest

import refkmeans
from refkmeans import Dataset, Image, ImageError, UsageError, kmeans, quantize
from refkmeans.cli.progress import Progress
from refkmeans.kmeans import Options
from refkmeans.rational import as_centroid, as_fraction, palette_colour, round_half_up, to_hex, to_text
from refkmeans.result import Step


def test_image_keeps_samples_in_the_smallest_array_type():
    assert Image(1, 1, 3, 255, [1, 2, 3]).samples.typecode == "B"
    assert Image(1, 1, 3, 65535, [1, 2, 65535]).samples.typecode == "H"


@pytest.mark.parametrize(
    "args, message",
    [
        ((1, 1, 3, 0, [0, 0, 0]), "maxval must be 1..65535"),
        ((1, 1, 3, 65536, [0, 0, 0]), "maxval must be 1..65535"),
        ((1, 1, 0, 255, []), "channels must be 1..8, got 0"),
        ((-1, 1, 3, 255, []), "must not be negative"),
        ((1, 1, 3, 255, [0, 0, -1]), "outside 0..255"),
        ((2, 1, 3, 255, [0, 0, 0]), "needs 6 samples, got 3"),
        ((1, 1, 1, 100, [101]), "sample 101 is above maxval 100"),
    ],
)
def test_a_bad_image_is_an_image_error_that_says_why(args, message):
    with pytest.raises(ImageError, match=message):
        Image(*args)


def test_images_compare_by_content_and_show_their_shape():
    a = Image.from_pixels(2, 1, [(1, 2, 3), (4, 5, 6)])
    assert a == Image(2, 1, 3, 255, array("B", [1, 2, 3, 4, 5, 6]))
    assert a != Image(2, 1, 3, 255, [1, 2, 3, 4, 5, 7])
    assert a.__eq__("not an image") is NotImplemented
    assert repr(a) == "Image(2x1, channels=3, maxval=255)"
    assert list(a.iter_pixels()) == a.pixels() == [(1, 2, 3), (4, 5, 6)]


def test_image_from_pixels_checks_channel_counts():
    with pytest.raises(ImageError, match="does not have 3 channels"):
        Image.from_pixels(2, 1, [(1, 2, 3), (4, 5)])
    with pytest.raises(ImageError, match="cannot infer channels"):
        Image.from_pixels(0, 0, [])


@pytest.mark.parametrize(
    "pixels, message",
    [
        ([], "no pixels"),
        ([[1, 2]], "tuples of integers"),
        ([()], "at least one integer"),
        ([(1, 2), (3,)], "not a tuple of 2 integers"),
        ([(1.5,)], "outside the integers"),
        ([(70000,)], "outside the integers"),
        ([(True,)], "outside the integers"),
    ],
)
def test_a_bad_dataset_is_a_usage_error(pixels, message):
    with pytest.raises(UsageError, match=message):
        Dataset(pixels)


def test_dataset_accepts_any_iterable_and_counts_colours_in_first_occurrence_order():
    d = Dataset(iter([(5,), (1,), (5,)]))
    assert (d.colours, d.counts, repr(d)) == ([(5,), (1,)], [2, 1], "Dataset(3 pixels, 2 colours)")


def test_kmeans_accepts_lists_as_pixels():
    assert kmeans([[0, 0], [10, 10]], init=[(0, 0), (10, 10)]).labels == [0, 1]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"k": 0}, "k must be a positive integer"),
        ({"k": True}, "k must be a positive integer"),
        ({"k": 5, "init": "first"}, "k=5 is more than the 3 pixels"),
        ({"init": [(0,), (1,)], "k": 3}, "k=3 but 2 initial centroids"),
        ({"init": [], "k": None}, "k must be a positive integer"),
        ({"init": 7}, "init must be an initializer name or a list"),
        ({"init": [(0, 1)]}, "has 2 channels, the pixels have 1"),
        ({"init": [("a",)]}, "is not a number"),
        ({"init": [7]}, "is not a sequence of numbers"),
        ({"init": [(float("nan"),)]}, "not a finite number"),
        ({"init": [(-1,)]}, "outside 0..65535"),
        ({"init": [(True,)]}, "is not a number"),
        ({"engine": "gpu", "k": 1}, "unknown engine"),
        ({"empty": "nan", "k": 1}, "unknown empty-cluster policy"),
        ({"max_iter": -1, "k": 1}, "max_iter must be a non-negative integer"),
        ({"rng": "dice", "k": 1}, "dice"),
    ],
)
def test_bad_kmeans_arguments_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        kmeans([(0,), (1,), (2,)], **kwargs)


def test_kmeans_rejects_pixels_that_are_not_sequences():
    with pytest.raises(UsageError, match="sequence of integer tuples"):
        kmeans([1, 2, 3], k=1)


def test_exact_helpers():
    assert as_fraction(Fraction(1, 3)) == Fraction(1, 3)
    assert as_fraction(3) == 3
    with pytest.raises(UsageError):
        as_fraction(object())
    assert as_centroid([0.5, 2], 2) == (Fraction(1, 2), Fraction(2))
    assert round_half_up(Fraction(5, 2)) == 3 and round_half_up(Fraction(-5, 2)) == -2
    assert palette_colour((Fraction(-1), Fraction(511, 2), Fraction(300)), 255) == (0, 255, 255)
    assert to_hex(Fraction(3, 2)) == "0x1.8000000000000p+0"
    assert to_text(Fraction(3, 2)) == "3/2"


def test_result_reports_floats_palette_and_repr():
    r = kmeans([(0,), (3,)], init=[(0,)], max_iter=5)
    assert r.float_centroids() == [(1.5,)]
    assert r.palette(255) == [(2,)]
    assert r.k == 1
    assert repr(r) == "Result(k=1, iterations=2 (converged), inertia=4.5)"
    stopped = kmeans([(0,), (3,)], init=[(0,)], max_iter=1)
    assert "stopped" in repr(stopped)


def test_trace_records_every_step_with_pixel_labels():
    r = kmeans([(0,), (0,), (10,)], init=[(0,), (1,)], trace=True, trace_labels=True)
    f = Fraction
    assert r.steps == [
        # iteration, centroids, counts, inertia ((10 - 1)^2), changed, empty, relocated, labels
        Step(0, ((f(0),), (f(1),)), (2, 1), f(81), None, (), {}, (0, 0, 1)),
        Step(1, ((f(0),), (f(10),)), (2, 1), f(0), 0, (), {}, (0, 0, 1)),
    ]
    assert "Step(0, inertia=81" in repr(r.steps[0])


def test_results_compare_by_value_and_are_not_changed_by_their_copies():
    run = dict(init=[(0,), (10,)], trace=True, trace_labels=True)
    r = kmeans([(0,), (1,), (10,)], **run)
    assert r == kmeans([(0,), (1,), (10,)], **run)
    assert r != kmeans([(0,), (2,), (10,)], **run)
    assert r != replace(r, steps=r.steps[:1])
    labels = [1, 1, 0]
    other = r.with_labels(labels)
    labels[0] = 0  # the copy took its own list
    assert other.labels == [1, 1, 0] and r.labels == [0, 0, 1]
    assert other == replace(r, labels=[1, 1, 0])
    with pytest.raises(FrozenInstanceError):
        r.iterations = 5  # type: ignore[misc]


def test_kmeans_takes_exactly_the_options_that_cluster_takes():
    """One definition of the options: ``kmeans()``'s parameters are :class:`Options`' fields, defaults included."""
    parameters = inspect.signature(kmeans).parameters
    given = {name: p.default for name, p in parameters.items() if name != "pixels"}
    assert given == {f.name: f.default for f in fields(Options)}


def test_quantize_repaints_with_the_rounded_palette_and_reports_psnr():
    image = Image.from_pixels(3, 1, [(0, 0, 0), (1, 1, 1), (255, 255, 255)])
    q = quantize(image, k=2, init=[(0, 0, 0), (255, 255, 255)])
    assert q.palette == [(1, 1, 1), (255, 255, 255)]  # mean 1/2 rounds half up to 1
    assert q.image.pixels() == [(1, 1, 1), (1, 1, 1), (255, 255, 255)]
    assert list(q.indices) == [0, 0, 1]
    assert q.squared_error() == 3
    mse = Fraction(3, 9)
    import math

    assert q.psnr() == pytest.approx(10 * math.log10(255**2 / mse))
    assert "2 colours" in repr(q)
    same = quantize(image, k=3, init="first")
    assert same.psnr() == math.inf


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_progress_shows_iterations_only_after_the_delay(tty):
    stream = FakeStream(tty)
    step = Step(4, (), (), Fraction(0), 12, (), {})
    quiet = Progress(10, delay=3600, stream=stream)
    quiet(step)
    quiet.done()
    assert stream.getvalue() == ""
    progress = Progress(10, delay=0, stream=stream)
    progress(step)
    progress.done()
    assert "iteration 5/10, 12 pixels changed" in stream.getvalue()


def test_package_exports_the_documented_api():
    for name in ("kmeans", "quantize", "read", "write", "Image", "Result", "hookimpl", "__version__"):
        assert hasattr(refkmeans, name)
