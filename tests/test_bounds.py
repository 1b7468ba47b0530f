"""The float error bounds the engines rely on, checked against exact arithmetic.

Each test computes the true value with Fractions (Decimal only for square
roots, to 60 digits) and the float value with the engine's own code, and
asserts the written bound holds, at the extremes 0 and 65535 too.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from refkmeans.engine.fast import Assigner, geometry_for, linear_error, linear_ranges
from refkmeans.engine.kdtree import ColourTree
from refkmeans.metric import FLOAT_DISTANCES, error_terms
from refkmeans.plugins import get_registry

M = 65535
EUCLIDEAN = get_registry(load_entrypoints=False).metric("euclidean")

samples = st.one_of(st.sampled_from((0, M)), st.integers(0, M))
coords = st.one_of(
    st.sampled_from((Fraction(0), Fraction(M), Fraction(M) - Fraction(1, 3), Fraction(1, 3))),
    st.fractions(min_value=0, max_value=M, max_denominator=10**9),
)


def _root(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()


def _true(geometry: str, a, b) -> Decimal:
    """The exact distance (60 digits for a square root)."""
    diffs = [Fraction(x) - Fraction(y) for x, y in zip(a, b)]
    if geometry == "euclidean":
        return _root(sum(d * d for d in diffs))
    value = {
        "squared-euclidean": sum(d * d for d in diffs),
        "manhattan": sum(abs(d) for d in diffs),
        "chebyshev": max(abs(d) for d in diffs),
    }[geometry]
    with localcontext() as ctx:
        ctx.prec = 60
        return Decimal(value.numerator) / Decimal(value.denominator)


# -- the declared geometries' error terms (refkmeans.metric) ----------------------


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(FLOAT_DISTANCES)),
    st.sampled_from((1, 2, 3, 4, 8, 16, 64)).flatmap(
        lambda c: st.tuples(st.lists(samples, min_size=c, max_size=c), st.lists(coords, min_size=c, max_size=c))
    ),
)
@example("squared-euclidean", ([0] * 64, [Fraction(M) - Fraction(1, 3)] * 64))
@example("manhattan", ([M] * 64, [Fraction(1, 3)] * 64))
@example("euclidean", ([0] * 16, [Fraction(M) - Fraction(1, 3)] * 16))
def test_each_geometry_float_distance_is_within_its_error_terms(geometry, pair):
    pixel, centroid = pair
    d = FLOAT_DISTANCES[geometry](pixel, [float(c) for c in centroid])
    A, B = error_terms(geometry, len(pixel))
    assert abs(Decimal(d) - _true(geometry, pixel, centroid)) <= Decimal(A) + Decimal(B) * Decimal(d)


# -- the linear test of the fast engine (L2.prune) ---------------------------------


def _linear_floats(y, z, low, high):
    """(float least, float greatest) of d(x, y)^2 - d(x, z)^2 over the box, by the engine's own code."""
    tree = ColourTree.from_colours([tuple(low)], [1])
    assigner = Assigner(tree, EUCLIDEAN, 2)
    assigner.assign([tuple(y), tuple(z)])
    middle = [(lo + hi) * 0.5 for lo, hi in zip(low, high)]
    half = [(hi - lo) * 0.5 for lo, hi in zip(low, high)]
    assert [Fraction(m) for m in middle] == [Fraction(lo + hi, 2) for lo, hi in zip(low, high)]  # exact, as the tree's
    (y_floats, z_floats), squares = assigner.floats, assigner.squares
    lows, highs = linear_ranges(y_floats, squares[0], [(v,) for v in z_floats], (squares[1],), middle, half)
    return lows[0], highs[0]


def _linear_exact(y, z, low, high):
    """The exact least and greatest values: each channel's term is linear, so its extremes are at the box ends."""
    least = greatest = Fraction(0)
    for yc, zc, lo, hi in zip(y, z, low, high):
        ends = [(yc - x) ** 2 - (zc - x) ** 2 for x in (lo, hi)]
        least += min(ends)
        greatest += max(ends)
    return least, greatest


def _box(channels):
    return st.lists(st.tuples(samples, samples), min_size=channels, max_size=channels).map(
        lambda ends: ([min(e) for e in ends], [max(e) for e in ends])
    )


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 10).flatmap(
        lambda c: st.tuples(st.lists(coords, min_size=c, max_size=c), st.lists(coords, min_size=c, max_size=c), _box(c))
    )
)
def test_the_linear_test_float_error_is_below_linear_error(case):
    y, z, (low, high) = case
    floats = _linear_floats(y, z, low, high)
    exact = _linear_exact(y, z, low, high)
    error = linear_error(len(y))
    assert abs(Fraction(floats[0]) - exact[0]) <= error
    assert abs(Fraction(floats[1]) - exact[1]) <= error


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 8, 12])
def test_the_linear_bound_holds_at_the_extremes_where_floats_really_err(channels):
    # Centroids at 65535 - 1/3 and 1/3 are not floats, and the box spans all of 0..65535.
    worst = Fraction(0)
    for y, z in [
        ((Fraction(M) - Fraction(1, 3),) * channels, (Fraction(1, 3),) * channels),
        ((Fraction(0),) * channels, (Fraction(M),) * channels),
    ]:
        for low, high in [
            ([0] * channels, [M] * channels),
            ([M] * channels, [M] * channels),
            ([0] * channels, [0] * channels),
        ]:
            floats = _linear_floats(y, z, low, high)
            exact = _linear_exact(y, z, low, high)
            worst = max(worst, *(abs(Fraction(f) - e) for f, e in zip(floats, exact)))
    assert 0 < worst <= linear_error(channels)  # the floats do err, and within the bound


# -- upper bounds on true distances (Geometry.apart, Geometry.reach) --------------


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(("euclidean", "manhattan", "chebyshev")),
    st.integers(1, 6).flatmap(
        lambda c: st.tuples(st.lists(coords, min_size=c, max_size=c), st.lists(coords, min_size=c, max_size=c))
    ),
)
def test_apart_bounds_the_true_distance_between_exact_centroids(name, pair):
    a, b = pair
    geometry = geometry_for(get_registry(load_entrypoints=False).metric(name), len(a))
    d = geometry.dist([float(v) for v in a], [float(v) for v in b])
    assert _true(geometry.name, a, b) <= Decimal(geometry.apart(d))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda c: st.tuples(st.lists(coords, min_size=c, max_size=c), st.lists(coords, min_size=c, max_size=c), _box(c))
    )
)
def test_reach_bounds_two_true_distances_and_the_box_diameter(case):
    y, z, (low, high) = case
    geometry = geometry_for(EUCLIDEAN, len(y))
    middle = [(lo + hi) * 0.5 for lo, hi in zip(low, high)]
    radius = geometry.dist(low, high) * 0.5  # as the tree computes it
    total = geometry.dist(middle, [float(v) for v in y]) + geometry.dist(middle, [float(v) for v in z]) + 2 * radius
    exact_middle = [Fraction(lo + hi, 2) for lo, hi in zip(low, high)]
    true = _true("euclidean", exact_middle, y) + _true("euclidean", exact_middle, z) + _true("euclidean", low, high)
    assert true <= Decimal(geometry.reach(total))
