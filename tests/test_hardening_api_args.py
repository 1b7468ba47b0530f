"""Issue 17, API arguments: a NumPy array of uint8 is pixels; quantize() of a non-Image is a usage error."""

from __future__ import annotations

from fractions import Fraction

import pytest

from refkmeans import UsageError, kmeans, quantize


def test_kmeans_takes_a_numpy_uint8_array_without_wraparound() -> None:
    """np.uint8 samples used to be refused; summed as uint8 they would wrap (200 + 210 = 154)."""
    np = pytest.importorskip("numpy")
    pixels = np.array([[0, 0, 0], [10, 10, 10], [200, 200, 200], [210, 210, 210]], dtype=np.uint8)
    result = kmeans(pixels, k=2, init="first")
    # The means by hand: (0 + 10) / 2 and (200 + 210) / 2.
    assert [tuple(c) for c in result.centroids] == [(Fraction(5),) * 3, (Fraction(205),) * 3]
    assert list(result.labels) == [0, 0, 1, 1]


@pytest.mark.parametrize("thing", [None, [(0, 0, 0)], b"P6"])
def test_quantize_of_something_that_is_not_an_image_is_a_usage_error(thing) -> None:
    """quantize(None) used to raise AttributeError."""
    with pytest.raises(UsageError, match="takes a refkmeans Image or a file name"):
        quantize(thing)
