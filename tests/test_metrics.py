"""The built-in metrics: exact keys, and float error bounds that really bound."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refkmeans.engine.lloyd import assign, exact_nearest
from refkmeans.metric import Metric, nearest
from refkmeans.plugins import get_registry

REGISTRY = get_registry(load_entrypoints=False)
METRICS = ["euclidean", "sqeuclidean", "manhattan", "chebyshev"]

samples = st.integers(0, 65535)
coords = st.fractions(min_value=0, max_value=65535, max_denominator=10**6)


def true_distance(name: str, pixel, centroid) -> Decimal:
    """The exact distance, to 60 digits (Decimal only for the square root)."""
    diffs = [Fraction(x) - c for x, c in zip(pixel, centroid)]
    if name == "sqeuclidean":
        value = sum(d * d for d in diffs)
    elif name == "euclidean":
        getcontext().prec = 60
        square = sum(d * d for d in diffs)
        return (Decimal(square.numerator) / Decimal(square.denominator)).sqrt()
    elif name == "manhattan":
        value = sum(abs(d) for d in diffs)
    else:
        value = max(abs(d) for d in diffs)
    getcontext().prec = 60
    return Decimal(value.numerator) / Decimal(value.denominator)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(METRICS),
    st.integers(1, 4).flatmap(lambda c: st.tuples(st.tuples(*[samples] * c), st.tuples(*[coords] * c))),
)
def test_float_distance_stays_within_the_stated_error_bound(name, pair):
    pixel, centroid = pair
    metric = REGISTRY.metric(name)
    d = metric.distance(pixel, tuple(float(c) for c in centroid))
    bound = metric.error_bound(d, len(pixel))
    assert abs(Decimal(d) - true_distance(name, pixel, centroid)) <= Decimal(bound)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(METRICS),
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=20),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 4)), min_size=1, max_size=6),
)
def test_assign_is_the_exact_argmin_with_lowest_index_on_ties(name, pixels, raw_centroids):
    # Halves and quarters make exact ties common.
    centroids = [(Fraction(a, d), Fraction(b, d)) for a, b, d in raw_centroids]
    metric = REGISTRY.metric(name)
    expected = [min(range(len(centroids)), key=lambda j: (metric.key(p, centroids[j]), j)) for p in pixels]
    assert assign(pixels, centroids, metric) == expected


def test_a_near_tie_beyond_float_resolution_is_settled_exactly():
    # Centroids straddle 1 + 2**-40 around pixel 1: distances differ by about
    # 1e-12, a gap that float64 of 65535-sized values cannot be trusted on.
    metric = REGISTRY.metric("euclidean")
    pixel = (40000,)
    low = (Fraction(40000) - Fraction(1) - Fraction(1, 2**44),)
    high = (Fraction(40001),)
    assert exact_nearest(pixel, [low, high], metric) == 1
    assert assign([pixel], [low, high], metric) == [1]


class Bounded(Metric):
    """A metric whose float error bound is a fixed ``e`` (None: no bound)."""

    name = "bounded"

    def __init__(self, e, exact=True) -> None:
        self.e, self.exact = e, exact

    def error_bound(self, d, channels):
        return self.e


@pytest.mark.parametrize(
    "metric, distances, expected",
    [
        (Bounded(0.5), [3.0, 1.0, 9.0], (1.0, False)),  # 3 - 0.5 > 1 + 0.5: floats decide
        (Bounded(1.0), [3.0, 1.0, 9.0], (1.0, True)),  # 3 - 1 <= 1 + 1: too close to call
        (Bounded(0.0), [2.0, 2.0], (2.0, True)),  # an exact float tie is always too close
        (Bounded(None), [3.0, 1.0], (1.0, True)),  # no bound: the exact key decides every time
        (Bounded(1.0, exact=False), [2.0, 2.0], (2.0, False)),  # a float-defined metric: floats decide
        (Bounded(1.0), [5.0], (5.0, False)),  # one centroid has no rival
    ],
)
def test_nearest_gives_the_float_winner_and_whether_it_is_too_close_to_call(metric, distances, expected):
    assert nearest(metric, (0,), distances) == expected


@pytest.mark.parametrize("name", METRICS)
def test_metric_identity_and_symmetry(name):
    metric = REGISTRY.metric(name)
    a, b = (3, 4, 5), (9, 1, 5)
    assert metric.key(a, a) == 0 and metric.distance(a, a) == 0
    assert metric.key(a, b) == metric.key(b, a)
    assert math.isclose(metric.distance(a, b), float(true_distance(name, a, b)))
