"""refkmeans.testing passes good plugins and catches each kind of broken one."""

from __future__ import annotations

import random
from array import array
from fractions import Fraction

import pytest

from refkmeans.builtin.initializers import refkmeans_register_initializers
from refkmeans.builtin.netpbm import NetpbmCodec
from refkmeans.codec import Codec
from refkmeans.errors import ImageError
from refkmeans.image import Image
from refkmeans.metric import Metric
from refkmeans.plugins import get_registry
from refkmeans.testing import SIZES, check_codec_roundtrip, check_initializer_determinism, check_metric, sample_images

REGISTRY = get_registry(load_entrypoints=False)


def test_sample_images_cover_every_channel_count_maxval_and_size_with_both_extremes() -> None:
    images = sample_images(channels=(1, 4), maxvals=(1, 65535))
    assert len(images) == 2 * 2 * len(SIZES)
    for image in images:
        assert image.samples[0] == image.maxval
        if len(image.samples) > 1:
            assert image.samples[-1] == 0
    assert {(im.width, im.height) for im in images} == set(SIZES)


def test_the_builtin_codec_metrics_and_initializers_pass() -> None:
    assert check_codec_roundtrip(NetpbmCodec(), sample_images(maxvals=(1, 255, 65535))) > 30
    for name in ("euclidean", "manhattan", "chebyshev"):
        assert check_metric(REGISTRY.metric(name), triangle=True) > 1000
    assert check_metric(REGISTRY.metric("sqeuclidean"), channels=1) > 10
    for name in ("random", "kmeans++", "first"):
        assert check_initializer_determinism(REGISTRY.initializer(name).obj) == 3


class Wrapped(Codec):
    """Netpbm with one fault switched on."""

    name = "faulty"

    def __init__(self, fault: str) -> None:
        self.fault = fault
        self.inner = NetpbmCodec()

    def sniff(self, head: bytes) -> bool:
        return self.fault != "sniff" and self.inner.sniff(head)

    def decode(self, data: bytes, *, index: int = 0, max_pixels: int = 10**9):
        if self.fault == "crash" and len(data) < 12:
            raise IndexError("list index out of range")
        if self.fault == "not-an-image":
            return "pixels"
        if self.fault == "limit":
            max_pixels = 10**9
        image = self.inner.decode(data, index=index, max_pixels=max_pixels)
        if self.fault == "flip":
            samples = array(image.samples.typecode, image.samples)
            samples[-1] = image.maxval - samples[-1]
            return Image(image.width, image.height, image.channels, image.maxval, samples)
        if self.fault == "shape":
            return Image(image.height, image.width, image.channels, image.maxval, image.samples)
        if self.fault == "palette" and image.channels == 3 and self.last_palette:
            return Image(image.width, image.height, 3, image.maxval, [0] * len(image.samples))
        return image

    def encode(self, image: Image, *, palette=None, indices=None, plain: bool = False):
        self.last_palette = palette is not None
        data = self.inner.encode(image)
        return bytearray(data) if self.fault == "bytearray" else data


@pytest.mark.parametrize(
    "fault, message",
    [
        ("sniff", "sniff does not recognise the codec's own output"),
        ("crash", "decode raised IndexError (list index out of range), not ImageError"),
        ("not-an-image", "decode returned str, not an Image"),
        ("limit", "decode ignores max_pixels=5"),
        ("flip", "sample 2 decoded as 1, expected 0"),
        ("shape", "decoded width, height, channels, maxval"),
        ("palette", "with a palette: sample"),
        ("bytearray", "encode returned bytearray, not bytes"),
    ],
)
def test_the_codec_check_catches_each_fault(fault: str, message: str) -> None:
    images = sample_images(channels=(3,), maxvals=(1,))
    with pytest.raises(AssertionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_codec_roundtrip(Wrapped(fault), images)


def test_a_lossy_codec_passes_with_its_declared_error() -> None:
    class Lossy(Wrapped):
        def decode(self, data: bytes, *, index: int = 0, max_pixels: int = 10**9):
            image = self.inner.decode(data, index=index, max_pixels=max_pixels)
            samples = [min(v + 1, image.maxval) for v in image.samples]
            return Image(image.width, image.height, image.channels, image.maxval, samples)

    images = sample_images(channels=(3,))
    with pytest.raises(AssertionError, match="allowed error 0"):
        check_codec_roundtrip(Lossy("none"), images)
    assert check_codec_roundtrip(Lossy("none"), images, max_error=1, malformed=False, palette=False, sniff=False) == 2 * len(images) - 1


class Toy(Metric):
    name = "toy"

    def __init__(self, fault: str, triangle: bool = False) -> None:
        self.fault = fault
        self.triangle = triangle

    def distance(self, a, b):
        d = sum(abs(x - y) for x, y in zip(a, b))
        if self.fault == "asymmetric" and a < b:
            return d + 1.0
        if self.fault == "self" and a == b:
            return 0.5
        if self.fault == "negative":
            return -d
        if self.fault == "nan":
            return float("nan")
        if self.fault == "squared":
            return float(d * d)
        return float(d)

    def key(self, a, b):
        d = sum(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))
        if self.fault == "reversed-key" and a != b:
            return 1000 - d
        if self.fault == "self-key" and a == b:
            return Fraction(10**6)
        return d

    def error_bound(self, d, channels):
        return 1e-9 if self.fault != "no-bound" else None


@pytest.mark.parametrize(
    "fault, triangle, message",
    [
        ("asymmetric", False, "not symmetric"),
        ("self", False, "not 0"),
        ("negative", False, "not a finite non-negative number"),
        ("nan", False, "not a finite non-negative number"),
        ("squared", True, "triangle inequality fails"),
        ("reversed-key", False, "keys disagree"),
        ("self-key", False, "is not the smallest key"),
    ],
)
def test_the_metric_check_catches_each_fault(fault: str, triangle: bool, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_metric(Toy(fault, triangle))


def test_the_metric_check_compares_keys_both_ways_round() -> None:
    with pytest.raises(AssertionError, match=r"floats say \(1, 1, 1\) is nearer to \(0, 0, 0\) than \(9, 9, 9\)"):
        check_metric(Toy("reversed-key"), points=[(0, 0, 0), (9, 9, 9), (1, 1, 1)])


def test_the_metric_check_trusts_claims_and_tolerances() -> None:
    assert check_metric(Toy("squared", triangle=False)) > 0  # no triangle claimed, none checked
    assert check_metric(Toy("none", triangle=True), points=[(0, 0, 0), (1, 2, 3), (Fraction(1, 3), 0, 9)]) == 9 + 27 + 9
    assert check_metric(Toy("no-bound")) > 0  # without an error bound keys cannot be compared to floats

    class Fuzzy(Toy):
        exact = False
        tolerance = 2.0

    assert check_metric(Fuzzy("asymmetric")) > 0  # within the declared tolerance
    with pytest.raises(AssertionError, match="not symmetric"):
        check_metric(Fuzzy("asymmetric"), tolerance=0.5)


def test_the_initializer_check_catches_each_fault() -> None:
    def uses_global_random(dataset, k, rng):
        return random.sample(dataset.colours, k)

    def wrong_count(dataset, k, rng):
        return dataset.colours[: k - 1]

    def bad_centroid(dataset, k, rng):
        return [(-1, 0, 0)] * k

    def mutates(dataset, k, rng):
        dataset.counts.append(0)
        return dataset.colours[:k]

    with pytest.raises(AssertionError, match="different centroids on two runs"):
        check_initializer_determinism(uses_global_random)
    with pytest.raises(AssertionError, match="3 centroids, expected 4"):
        check_initializer_determinism(wrong_count)
    with pytest.raises(AssertionError, match="a bad centroid"):
        check_initializer_determinism(bad_centroid)
    with pytest.raises(AssertionError, match="it changed the dataset"):
        check_initializer_determinism(mutates, seeds=(0,))


def test_the_initializer_check_uses_the_given_generator() -> None:
    found = {}

    def register(name, function, description=""):
        found[name] = function

    refkmeans_register_initializers(register)
    assert check_initializer_determinism(found["kmeans++"], k=2, seeds=(5,), rng="numpy-legacy") == 1


def test_images_of_more_than_256_colours_are_not_offered_a_palette() -> None:
    many = Image(17, 17, 3, 255, [v for i in range(289) for v in (i % 256, i // 256, 7)])

    class Counting(Wrapped):
        palettes = 0

        def encode(self, image: Image, *, palette=None, indices=None, plain: bool = False):
            Counting.palettes += palette is not None
            return super().encode(image, palette=palette, indices=indices, plain=plain)

    assert check_codec_roundtrip(Counting("none"), [many], malformed=False) == 2
    assert Counting.palettes == 0


def test_decode_errors_that_are_image_errors_are_accepted() -> None:
    class Strict(Wrapped):
        def decode(self, data: bytes, *, index: int = 0, max_pixels: int = 10**9):
            if len(data) < 12:
                raise ImageError("too short")
            return super().decode(data, index=index, max_pixels=max_pixels)

    assert check_codec_roundtrip(Strict("none"), sample_images(channels=(1,))) > 0


def test_the_plugin_guide_metric_example_runs_and_passes_its_own_check() -> None:
    import re
    import types
    from pathlib import Path

    from refkmeans import kmeans
    from refkmeans.plugins import Registry

    guide = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", guide, flags=re.S)
    plugin_source = next(block for block in blocks if "class Weighted" in block)
    usage = next(block for block in blocks if "check_metric(Weighted())" in block)
    plugin = types.ModuleType("weighted_plugin")
    exec(plugin_source, plugin.__dict__)
    exec(usage, dict(plugin.__dict__))  # asserts by itself
    registry = Registry(load_entrypoints=False, extra_plugins=[plugin])
    # Green counts double red here: (0, 10, 0) is nearer to (0, 0, 0) by weight 4 * 100 than (15, 0, 0) by 2 * 225.
    result = kmeans([(0, 0, 0), (15, 0, 0), (0, 10, 0)], init=[(0, 0, 0), (15, 10, 0)], max_iter=0, metric="weighted", registry=registry)
    assert result.labels == [0, 1, 0]
