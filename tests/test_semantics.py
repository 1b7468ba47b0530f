"""Semantics of refkmeans.kmeans checked against SPEC.md.

Two kinds of test:

* property tests (hypothesis) compare refkmeans, for every engine, with the
  brute-force oracle in ``tests/oracle.py`` -- a transcription of SPEC
  sections 3-6 written without reading refkmeans' sources -- on random,
  tie-heavy and near-tie inputs;
* unit tests on small hand-worked examples, one rule each; the expected
  values are derived in the comments, not copied from refkmeans' output.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracle import (
    METRICS,
    POLICIES,
    SplitMix64,
    init_kmeanspp,
    init_random,
    oracle_kmeans,
    palette,
    sq_euclidean,
)

import refkmeans
from refkmeans import EmptyClusterError, UsageError

F = Fraction
ENGINES = ("plain", "histogram")
ALL_ENGINES = ("plain", "histogram", "auto")

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------------------------------------
# Comparing with the oracle
# ---------------------------------------------------------------------------------------------


def check_against_oracle(pixels, init, max_iter, metric, empty, maxval=255, engines=ENGINES):
    """Run refkmeans under every engine and require the oracle's answer exactly."""
    expected = oracle_kmeans(pixels, init, max_iter, metric=metric, empty=empty)
    for engine in engines:
        kwargs = dict(init=list(init), max_iter=max_iter, metric=metric, empty=empty, engine=engine)
        if expected["error"]:
            with pytest.raises(EmptyClusterError):
                refkmeans.kmeans(pixels, **kwargs)
            continue
        r = refkmeans.kmeans(pixels, **kwargs)
        where = f"engine={engine}"
        assert r.labels == expected["labels"], where
        assert [tuple(c) for c in r.centroids] == expected["centroids"], where
        assert all(isinstance(v, Fraction) for c in r.centroids for v in c), where
        assert r.iterations == expected["iterations"], where
        assert r.converged == expected["converged"], where
        assert r.inertia_exact == expected["inertia"], where
        assert r.inertia == float(expected["inertia"]), where
        for mv in {maxval, 1, 255, 65535}:
            assert r.palette(mv) == palette(expected["centroids"], mv), (where, mv)
    return expected


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------


@st.composite
def images(draw, channels=(1, 3, 4), max_size=40):
    c = draw(st.sampled_from(channels))
    maxval = draw(st.sampled_from([255, 65535]))
    sample = st.integers(0, maxval)
    pixels = draw(st.lists(st.tuples(*[sample] * c), min_size=1, max_size=max_size))
    return c, maxval, pixels


def coordinate(maxval):
    """A given centroid coordinate: int, binary float or Fraction, in 0..maxval (KM-CEN-2)."""
    return st.one_of(
        st.integers(0, maxval),
        st.floats(0, maxval, allow_nan=False, allow_infinity=False),
        st.fractions(0, maxval, max_denominator=1000),
    )


@st.composite
def general_cases(draw):
    c, maxval, pixels = draw(images())
    k = draw(st.integers(1, 8))
    centroid = st.one_of(st.sampled_from(pixels), st.tuples(*[coordinate(maxval)] * c))
    init = draw(st.lists(centroid, min_size=k, max_size=k))
    max_iter = draw(st.integers(0, 12))
    metric = draw(st.sampled_from(METRICS))
    empty = draw(st.sampled_from(POLICIES))
    return pixels, init, max_iter, metric, empty, maxval


@st.composite
def tie_heavy_cases(draw):
    """Few distinct values per channel, centroids on a half-integer grid, duplicates, large k."""
    c = draw(st.sampled_from([1, 2, 3, 4]))
    per_channel = [draw(st.lists(st.integers(0, 6), min_size=2, max_size=3, unique=True)) for _ in range(c)]
    pixel = st.tuples(*[st.sampled_from(vs) for vs in per_channel])
    pixels = draw(st.lists(pixel, min_size=1, max_size=30))
    k = draw(st.integers(1, 8))
    grid = st.integers(0, 12).map(lambda m: F(m, 2))  # 0, 1/2, ..., 6: midpoints of the pixel values
    mode = draw(st.sampled_from(["pixels", "grid", "symmetric"]))
    if mode == "pixels":  # duplicates allowed; k may exceed the distinct colours
        init = draw(st.lists(st.sampled_from(pixels), min_size=k, max_size=k))
    elif mode == "grid":
        base = draw(st.lists(st.tuples(*[grid] * c), min_size=1, max_size=k))
        init = draw(st.lists(st.sampled_from(base), min_size=k, max_size=k))  # with repeats
    else:  # centroids mirrored about a pixel: exact ties for that pixel under every metric
        p = draw(st.sampled_from(pixels))
        offs = [draw(st.integers(0, min(v, 12 - v) if v <= 12 else 0)) for v in p]
        lo = tuple(v - o for v, o in zip(p, offs))
        hi = tuple(v + o for v, o in zip(p, offs))
        extra = draw(st.lists(st.tuples(*[grid] * c), max_size=max(0, k - 2)))
        init = [lo, hi] + extra if draw(st.booleans()) else [hi, lo] + extra
    max_iter = draw(st.integers(0, 12))
    metric = draw(st.sampled_from(METRICS))
    empty = draw(st.sampled_from(POLICIES))
    return pixels, init, max_iter, metric, empty


def nudge(x, steps):
    """Move float x by |steps| ulps (up when positive), staying in 0..65535."""
    for _ in range(abs(steps)):
        x = math.nextafter(x, math.inf if steps > 0 else -math.inf)
    return min(max(x, 0.0), 65535.0)


@st.composite
def near_tie_cases(draw):
    """Centroid b is a float within a few ulps of the exact mirror of centroid a about a pixel.

    The mirror swaps and reflects a's offsets (so squared, absolute and max
    distances all nearly tie); floating-point evaluation of the distances then
    often rounds to a tie or to the wrong order, while the exact answer is
    determined.
    """
    c = draw(st.sampled_from([1, 2, 3]))
    maxval = draw(st.sampled_from([255, 65535]))
    p = tuple(draw(st.integers(0, maxval)) for _ in range(c))
    a = tuple(draw(st.floats(0, maxval, allow_nan=False, allow_infinity=False)) for _ in range(c))
    offsets = [F(x) - v for x, v in zip(a, p)]
    perm = draw(st.permutations(range(c)))
    b = []
    for i in range(c):
        o = offsets[perm[i]]
        sign = draw(st.sampled_from([1, -1]))
        target = p[i] + sign * o
        if not 0 <= target <= 65535:
            target = p[i] - sign * o
        if not 0 <= target <= 65535:
            target = F(a[i])
        b.append(float(target))
    j = draw(st.integers(0, c - 1))
    b[j] = nudge(b[j], draw(st.integers(-2, 2)))
    b = tuple(b)
    # the tie pixel, some neighbours, and a few arbitrary pixels
    pixels = [p] + draw(
        st.lists(
            st.one_of(
                st.just(p),
                st.tuples(*[st.integers(max(0, v - 1), min(maxval, v + 1)) for v in p]),
                st.tuples(*[st.integers(0, maxval)] * c),
            ),
            max_size=8,
        )
    )
    pixels = draw(st.permutations(pixels))
    init = [a, b] if draw(st.booleans()) else [b, a]
    init += draw(st.lists(st.tuples(*[coordinate(maxval)] * c), max_size=2))
    max_iter = draw(st.integers(0, 4))
    metric = draw(st.sampled_from(METRICS))
    empty = draw(st.sampled_from(POLICIES))
    return pixels, init, max_iter, metric, empty, maxval


# ---------------------------------------------------------------------------------------------
# Property tests against the oracle
# ---------------------------------------------------------------------------------------------


@settings(max_examples=200, **SETTINGS)
@given(general_cases())
def test_random_images_match_oracle(case):
    """KM-ASN-1..3, KM-UPD-1, KM-EMP-1/2, KM-STOP-1..3, KM-OUT-1/2 on random inputs, every engine."""
    pixels, init, max_iter, metric, empty, maxval = case
    check_against_oracle(pixels, init, max_iter, metric, empty, maxval)


@settings(max_examples=300, **SETTINGS)
@given(tie_heavy_cases())
def test_tie_heavy_images_match_oracle(case):
    """KM-ASN-2 (lowest index on exact ties), KM-EMP-2 (pixel order), duplicates and k > colours."""
    pixels, init, max_iter, metric, empty = case
    check_against_oracle(pixels, init, max_iter, metric, empty, engines=ALL_ENGINES)


@settings(max_examples=300, **SETTINGS)
@given(near_tie_cases())
def test_near_ties_are_decided_exactly(case):
    """KM-CEN-2, KM-ASN-1/3: float centroids a few ulps from a tie are compared as exact rationals."""
    pixels, init, max_iter, metric, empty, maxval = case
    check_against_oracle(pixels, init, max_iter, metric, empty, maxval)


@settings(max_examples=60, **SETTINGS)
@given(general_cases())
def test_error_policy_raises_exactly_when_a_cluster_empties(case):
    """KM-EMP-1 error: refkmeans raises EmptyClusterError iff the oracle meets an empty cluster."""
    pixels, init, max_iter, metric, _, maxval = case
    expected = check_against_oracle(pixels, init, max_iter, metric, "error", maxval)
    if expected["error"]:
        with pytest.raises(EmptyClusterError) as info:
            refkmeans.kmeans(pixels, init=init, max_iter=max_iter, metric=metric, empty="error")
        assert str(expected["cluster"]) in str(info.value)  # the message names the cluster


@settings(max_examples=60, **SETTINGS)
@given(general_cases())
def test_normalising_by_255_changes_no_label(case):
    """KM-IMG-2: the oracle run on pixels/255 (exact Fractions) gives the same labels and scaled means."""
    pixels, init, max_iter, metric, empty, _ = case
    scaled_pixels = [tuple(F(v, 255) for v in x) for x in pixels]
    scaled_init = [tuple(F(v) / 255 for v in c) for c in init]
    expected = oracle_kmeans(scaled_pixels, scaled_init, max_iter, metric=metric, empty=empty)
    if expected["error"]:
        with pytest.raises(EmptyClusterError):
            refkmeans.kmeans(pixels, init=init, max_iter=max_iter, metric=metric, empty=empty)
        return
    r = refkmeans.kmeans(pixels, init=init, max_iter=max_iter, metric=metric, empty=empty)
    assert r.labels == expected["labels"]
    assert [tuple(v / 255 for v in c) for c in r.centroids] == expected["centroids"]
    assert (r.iterations, r.converged) == (expected["iterations"], expected["converged"])
    assert r.inertia_exact == expected["inertia"] * 255 * 255


@settings(max_examples=60, **SETTINGS)
@given(general_cases())
def test_euclidean_and_sqeuclidean_agree(case):
    """KM-ASN-3: euclidean and sqeuclidean always give the same labels (and so the same run)."""
    pixels, init, max_iter, _, empty, _ = case
    try:
        a = refkmeans.kmeans(pixels, init=init, max_iter=max_iter, metric="euclidean", empty=empty)
    except EmptyClusterError:
        with pytest.raises(EmptyClusterError):
            refkmeans.kmeans(pixels, init=init, max_iter=max_iter, metric="sqeuclidean", empty=empty)
        return
    b = refkmeans.kmeans(pixels, init=init, max_iter=max_iter, metric="sqeuclidean", empty=empty)
    assert replace(a, metric="sqeuclidean") == b


@settings(max_examples=60, **SETTINGS)
@given(general_cases())
def test_inertia_is_sum_of_squared_euclidean_distances(case):
    """KM-OUT-2: inertia recomputed from the returned labels and centroids, whatever the metric."""
    pixels, init, max_iter, metric, empty, _ = case
    assume(empty != "error")
    r = refkmeans.kmeans(pixels, init=init, max_iter=max_iter, metric=metric, empty=empty)
    total = F(0)
    for x, j in zip(pixels, r.labels):
        total += sum((F(v) - w) ** 2 for v, w in zip(x, r.centroids[j]))
    assert r.inertia_exact == total
    assert r.inertia == total.numerator / total.denominator  # int / int is correctly rounded


@settings(max_examples=80, **SETTINGS)
@given(general_cases())
def test_trace_has_one_step_per_iteration(case):
    """KM-STOP-2 via trace: ``steps`` has ``iterations`` entries, each matching the oracle's step;
    under euclidean with nothing relocated the step inertia never increases (Lloyd)."""
    pixels, init, max_iter, metric, empty, _ = case
    assume(empty != "error")
    expected = oracle_kmeans(pixels, init, max_iter, metric=metric, empty=empty)
    for engine in ENGINES:
        r = refkmeans.kmeans(pixels, init=init, max_iter=max_iter, metric=metric, empty=empty,
                             engine=engine, trace=True)
        assert r.steps is not None
        assert len(r.steps) == r.iterations == expected["iterations"]
        for step, (cents, labels, inertia, empties) in zip(r.steps, expected["steps"]):
            assert [tuple(c) for c in step.centroids] == list(cents)
            assert step.inertia == inertia
            assert tuple(step.empty) == empties
            if step.labels is not None:
                assert tuple(step.labels) == labels
        relocated = any(e for *_, e in expected["steps"]) and empty == "farthest"
        if metric in ("euclidean", "sqeuclidean") and not relocated:
            inertias = [s.inertia for s in r.steps]
            assert all(b <= a for a, b in zip(inertias, inertias[1:]))
            if r.steps:
                assert r.inertia_exact <= inertias[-1]


@settings(max_examples=40, **SETTINGS)
@given(images(), st.integers(0, 2**64 - 1), st.data())
def test_random_init_is_prefix_of_portable_permutation(image, seed, data):
    """KM-INIT-1, KM-RNG-1..3: the pixels at the first k positions of the SplitMix64 Fisher-Yates prefix."""
    _, _, pixels = image
    k = data.draw(st.integers(1, min(8, len(pixels))))
    init = init_random(pixels, k, SplitMix64(seed))
    r = refkmeans.kmeans(pixels, k=k, init="random", seed=seed, max_iter=0)
    assert [tuple(c) for c in r.centroids] == [tuple(F(v) for v in c) for c in init]
    max_iter = data.draw(st.integers(0, 6))
    expected = oracle_kmeans(pixels, init, max_iter)
    r = refkmeans.kmeans(pixels, k=k, init="random", seed=seed, max_iter=max_iter)
    assert r.labels == expected["labels"]
    assert [tuple(c) for c in r.centroids] == expected["centroids"]
    assert r.iterations == expected["iterations"]


@settings(max_examples=40, **SETTINGS)
@given(images(max_size=30), st.integers(0, 2**64 - 1), st.data())
def test_kmeanspp_init_follows_spec(image, seed, data):
    """KM-INIT-3: greedy k-means++ on the histogram, with the portable generator."""
    _, _, pixels = image
    if data.draw(st.booleans()):  # repeat colours so the histogram weights matter
        pixels = data.draw(st.lists(st.sampled_from(pixels[:3]), min_size=1, max_size=30))
    k = data.draw(st.integers(1, min(8, len(pixels))))
    expected = init_kmeanspp(pixels, k, SplitMix64(seed))
    r = refkmeans.kmeans(pixels, k=k, init="kmeans++", seed=seed, max_iter=0)
    assert [tuple(c) for c in r.centroids] == [tuple(F(v) for v in c) for c in expected]


@settings(max_examples=25, **SETTINGS)
@given(images(), st.integers(0, 2**32 - 1), st.data())
def test_numpy_legacy_random_init_is_numpy_permutation(image, seed, data):
    """KM-INIT-1, KM-RNG-4: positions are numpy.random.seed(seed); numpy.random.permutation(n)[:k]."""
    np = pytest.importorskip("numpy")
    _, _, pixels = image
    k = data.draw(st.integers(1, min(8, len(pixels))))
    rs = np.random.RandomState(seed)  # the same generator numpy.random.seed/permutation use
    positions = [int(i) for i in rs.permutation(len(pixels))[:k]]
    r = refkmeans.kmeans(pixels, k=k, init="random", seed=seed, rng="numpy-legacy", max_iter=0)
    assert [tuple(c) for c in r.centroids] == [tuple(F(v) for v in pixels[i]) for i in positions]


# ---------------------------------------------------------------------------------------------
# Hand-worked unit tests
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ALL_ENGINES)
@pytest.mark.parametrize("metric", METRICS)
def test_exact_tie_goes_to_lowest_index(metric, engine):
    """KM-ASN-2: pixel 1 is at distance 1 from both 0 and 2, so centroid index 0 wins, whichever it is."""
    r = refkmeans.kmeans([(1,)], init=[(0,), (2,)], max_iter=0, metric=metric, engine=engine)
    assert r.labels == [0]
    r = refkmeans.kmeans([(1,)], init=[(2,), (0,)], max_iter=0, metric=metric, engine=engine)
    assert r.labels == [0]
    # 3 channels: (1,1,1) vs (0,1,1) and (1,2,1): one unit off in one channel each -> tie -> 0
    r = refkmeans.kmeans([(1, 1, 1)], init=[(1, 2, 1), (0, 1, 1)], max_iter=0, metric=metric, engine=engine)
    assert r.labels == [0]


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_metrics_rank_centroids_by_their_own_distance(engine):
    """KM-ASN-1/3: pixel (0,0) against A=(3,3), B=(0,5) and against A=(4,0), B=(3,3)."""
    # A=(3,3): sq 18, manhattan 6, max 3.  B=(0,5): sq 25, manhattan 5, max 5.
    expected = {"euclidean": 0, "sqeuclidean": 0, "manhattan": 1, "chebyshev": 0}
    for metric, label in expected.items():
        r = refkmeans.kmeans([(0, 0)], init=[(3, 3), (0, 5)], max_iter=0, metric=metric, engine=engine)
        assert r.labels == [label], metric
    # A=(4,0): sq 16, manhattan 4, max 4.  B=(3,3): sq 18, manhattan 6, max 3.
    expected = {"euclidean": 0, "sqeuclidean": 0, "manhattan": 0, "chebyshev": 1}
    for metric, label in expected.items():
        r = refkmeans.kmeans([(0, 0)], init=[(4, 0), (3, 3)], max_iter=0, metric=metric, engine=engine)
        assert r.labels == [label], metric
    # (0,0) against (3,4) and (5,0): sq 25 = 25 tie -> 0; manhattan 7 > 5 -> 1; max 4 < 5 -> 0
    expected = {"euclidean": 0, "sqeuclidean": 0, "manhattan": 1, "chebyshev": 0}
    for metric, label in expected.items():
        r = refkmeans.kmeans([(0, 0)], init=[(3, 4), (5, 0)], max_iter=0, metric=metric, engine=engine)
        assert r.labels == [label], metric


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_labels_belong_to_returned_centroids_when_max_iter_stops(engine):
    """KM-STOP-3: pixels 0, 3, 10 from centroids 0 and 3, one iteration.

    Iteration 1 assigns 0->c0, 3->c1, 10->c1 and moves c1 to (3+10)/2 = 13/2.
    max_iter stops the run; the extra assignment against (0, 13/2) sends 3 to
    c0 (distance 3 < 7/2).  The step's labels [0, 1, 1] must not be returned.
    """
    r = refkmeans.kmeans([(0,), (3,), (10,)], init=[(0,), (3,)], max_iter=1, engine=engine)
    assert r.centroids == ((F(0),), (F(13, 2),))
    assert r.labels == [0, 0, 1]
    assert (r.iterations, r.converged) == (1, False)
    assert r.inertia_exact == 0 + 9 + F(7, 2) ** 2  # 0² + 3² + (10 - 13/2)²


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_max_iter_zero_assigns_to_initial_centroids(engine):
    """KM-STOP-2/3: max_iter=0 performs no step; labels are those of the initial centroids."""
    r = refkmeans.kmeans([(0,), (3,), (10,)], init=[(0,), (3,)], max_iter=0, engine=engine)
    assert r.centroids == ((F(0),), (F(3),))
    assert r.labels == [0, 1, 1]
    assert (r.iterations, r.converged) == (0, False)
    assert r.inertia_exact == 49  # 0 + 0 + (10-3)²


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_convergence_counts_the_confirming_iteration(engine):
    """KM-STOP-1/2: pixels 0, 3, 10 from 0 and 3 converge after 3 iterations.

    it 1: labels [0,1,1] -> (0, 13/2).  it 2: 3 is nearer 0 -> labels [0,0,1]
    -> (3/2, 10).  it 3: labels [0,0,1] again -> unchanged: converged, 3 steps.
    """
    r = refkmeans.kmeans([(0,), (3,), (10,)], init=[(0,), (3,)], engine=engine)
    assert r.centroids == ((F(3, 2),), (F(10),))
    assert r.labels == [0, 0, 1]
    assert (r.iterations, r.converged) == (3, True)
    assert r.inertia_exact == F(9, 2)  # (3/2)² + (3/2)² + 0
    # the same run cut at max_iter=2 has moved to (3/2, 10) but has not seen it stay
    r = refkmeans.kmeans([(0,), (3,), (10,)], init=[(0,), (3,)], max_iter=2, engine=engine)
    assert r.centroids == ((F(3, 2),), (F(10),))
    assert (r.iterations, r.converged) == (2, False)
    # max_iter=3 is just enough to find convergence
    r = refkmeans.kmeans([(0,), (3,), (10,)], init=[(0,), (3,)], max_iter=3, engine=engine)
    assert (r.iterations, r.converged) == (3, True)


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_mean_update_is_exact_whatever_the_metric(engine):
    """KM-UPD-1: the new centroid is the exact mean, also under manhattan (not the median)."""
    # mean of 0, 1, 1 is 2/3 exactly
    r = refkmeans.kmeans([(0,), (1,), (1,)], init=[(0,)], max_iter=1, engine=engine)
    assert r.centroids == ((F(2, 3),),)
    # manhattan: the median of 0, 0, 9 would be 0; the mean is 3.  it 2 confirms -> converged.
    r = refkmeans.kmeans([(0,), (0,), (9,)], init=[(0,)], metric="manhattan", engine=engine)
    assert r.centroids == ((F(3),),)
    assert (r.iterations, r.converged) == (2, True)
    # per channel: ((1+2+2)/3, (2+2+3)/3, (3+2+3)/3) = (5/3, 7/3, 8/3)
    r = refkmeans.kmeans([(1, 2, 3), (2, 2, 2), (2, 3, 3)], init=[(0, 0, 0)], max_iter=1, engine=engine)
    assert r.centroids == ((F(5, 3), F(7, 3), F(8, 3)),)


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_keep_policy_leaves_empty_centroid_in_place(engine):
    """KM-EMP-1 keep: pixels 0, 1 with centroids 0 and 100; c1 never gets a pixel and stays at 100.

    it 1: both -> c0, c0 = 1/2.  it 2: both -> c0 again, nothing moves: converged.
    """
    r = refkmeans.kmeans([(0,), (1,)], init=[(0,), (100,)], engine=engine)
    assert r.centroids == ((F(1, 2),), (F(100),))
    assert r.labels == [0, 0]
    assert (r.iterations, r.converged) == (2, True)


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_error_policy_raises_on_empty_cluster(engine):
    """KM-EMP-1 error: the same run stops at iteration 1 with an error naming cluster 1."""
    with pytest.raises(EmptyClusterError) as info:
        refkmeans.kmeans([(0,), (1,)], init=[(0,), (100,)], empty="error", engine=engine)
    assert "1" in str(info.value)
    # max_iter=0 makes no update, so there is no empty-cluster step to fail
    r = refkmeans.kmeans([(0,), (1,)], init=[(0,), (100,)], empty="error", max_iter=0, engine=engine)
    assert r.labels == [0, 0]
    # no cluster empties: the policy changes nothing
    r = refkmeans.kmeans([(0,), (1,), (100,)], init=[(0,), (100,)], empty="error", engine=engine)
    assert r.centroids == ((F(1, 2),), (F(100),))
    assert (r.iterations, r.converged) == (2, True)


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_farthest_policy_relocates_farthest_pixel_lowest_index_first(engine):
    """KM-EMP-2: ties in distance go to the lower pixel index; a taken colour is skipped.

    Pixels (0,0), (3,0), (0,3), (0,3), (1,1); four centroids all at (0,0).
    Everything goes to c0 (KM-ASN-2); squared distances 0, 9, 9, 9, 2.
    Order: pixel 1 (9), pixel 2 (9), pixel 3 (9, colour (0,3) taken: skip),
    pixel 4 (2); pixel 0 is at distance 0: skip.  Empty c1, c2, c3 take
    (3,0), (0,3), (1,1).  c0 becomes the mean of all five pixels:
    ((0+3+0+0+1)/5, (0+0+3+3+1)/5) = (4/5, 7/5).
    Final assignment (max_iter=1): (0,0) -> c0 at 65/25 = 2.6 vs c3 at 2 -> 3;
    (3,0) -> 1; (0,3) -> 2; (0,3) -> 2; (1,1) -> 3.
    """
    pixels = [(0, 0), (3, 0), (0, 3), (0, 3), (1, 1)]
    r = refkmeans.kmeans(pixels, init=[(0, 0)] * 4, empty="farthest", max_iter=1, engine=engine)
    assert r.centroids == ((F(4, 5), F(7, 5)), (F(3), F(0)), (F(0), F(3)), (F(1), F(1)))
    assert r.labels == [3, 1, 2, 2, 3]
    assert (r.iterations, r.converged) == (1, False)


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_farthest_policy_keeps_centroid_when_no_colour_remains(engine):
    """KM-EMP-2: pixels (0,0), (5,5) and four centroids at (0,0).

    Only (5,5) is at a distance > 0, so c1 takes it; c2 and c3 keep (0,0);
    c0 becomes (5/2, 5/2).  Final assignment: (0,0) is at 25/2 from c0, 50
    from c1 and 0 from both c2 and c3, a tie -> 2; (5,5) -> c1.
    """
    r = refkmeans.kmeans([(0, 0), (5, 5)], init=[(0, 0)] * 4, empty="farthest", max_iter=1, engine=engine)
    assert r.centroids == ((F(5, 2), F(5, 2)), (F(5), F(5)), (F(0), F(0)), (F(0), F(0)))
    assert r.labels == [2, 1]


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_farthest_policy_orders_pixels_by_the_chosen_metric(engine):
    """KM-EMP-2: distances under the metric: pixels (0,0), (3,3), (0,5); c0=c1=(0,0).

    All go to c0, which becomes ((0+3+0)/3, (0+3+5)/3) = (1, 8/3).
    euclidean/sqeuclidean: 18 < 25, so (0,5) is farthest; manhattan: 6 > 5,
    so (3,3); chebyshev: 3 < 5, so (0,5).
    Final assignment against c0 = (1, 8/3):
      euclidean, c1=(0,5): (0,0): 73/9 vs 25 -> 0; (3,3): 37/9 vs 13 -> 0; (0,5) -> 1.
      manhattan, c1=(3,3): (0,0): 11/3 vs 6 -> 0; (3,3) -> 1; (0,5): 10/3 vs 5 -> 0.
      chebyshev, c1=(0,5): (0,0): 8/3 vs 5 -> 0; (3,3): 2 vs 3 -> 0; (0,5) -> 1.
    """
    pixels = [(0, 0), (3, 3), (0, 5)]
    c0 = (F(1), F(8, 3))
    cases = {
        "euclidean": ((0, 5), [0, 0, 1]),
        "sqeuclidean": ((0, 5), [0, 0, 1]),
        "manhattan": ((3, 3), [0, 1, 0]),
        "chebyshev": ((0, 5), [0, 0, 1]),
    }
    for metric, (c1, labels) in cases.items():
        r = refkmeans.kmeans(pixels, init=[(0, 0), (0, 0)], empty="farthest", max_iter=1,
                             metric=metric, engine=engine)
        assert r.centroids == (c0, tuple(F(v) for v in c1)), metric
        assert r.labels == labels, metric


def test_palette_rounds_halves_up_and_clamps():
    """KM-OUT-1: floor(v + 1/2) then clamp to 0..maxval.

    1/2 -> 1, 5/2 -> 3 (not 2, as round-half-even would give), 7/3 -> 2,
    3/2 -> 2, 511/2 = 255.5 -> 256 (-> 255 at maxval 255), and the float just
    below 0.5 -> 0.
    """
    below_half = math.nextafter(0.5, 0.0)
    init = [(F(1, 2), F(5, 2), F(7, 3)), (F(3, 2), F(511, 2), below_half)]
    r = refkmeans.kmeans([(0, 0, 0)], init=init, max_iter=0)
    assert r.palette(255) == [(1, 3, 2), (2, 255, 0)]
    assert r.palette(65535) == [(1, 3, 2), (2, 256, 0)]
    assert r.palette(2) == [(1, 2, 2), (2, 2, 0)]
    assert r.palette(1) == [(1, 1, 1), (1, 1, 0)]


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_float_centroid_means_its_exact_binary_value(engine):
    """KM-CEN-2: 0.1 is 3602879701896397/2**55, not 1/10.

    Pixel 1 with centroids 0.1 and 1.9: as decimals both are 0.9 away (tie ->
    0), but the binary 0.1 is 0.1 + 5.55e-18 and the binary 1.9 is
    1.9 - 8.88e-17, so 1.9 is nearer and wins.
    """
    r = refkmeans.kmeans([(1,)], init=[(0.1,)], max_iter=0, engine=engine)
    assert r.centroids == ((F(3602879701896397, 2**55),),)
    assert F(1.9) < F(19, 10) and F(0.1) > F(1, 10)
    r = refkmeans.kmeans([(1,)], init=[(0.1,), (1.9,)], max_iter=0, engine=engine)
    assert r.labels == [1]
    # with exact decimals it is a tie, which goes to index 0 (KM-ASN-2)
    r = refkmeans.kmeans([(1,)], init=[(F(1, 10),), (F(19, 10),)], max_iter=0, engine=engine)
    assert r.labels == [0]


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_float_rounding_tie_is_decided_exactly(engine):
    """KM-ASN-1, KM-CEN-2: binary64 arithmetic says these two centroids tie; exactly, b is nearer.

    (Found by a search over mirrored centroids; the assertions below verify
    the claim about floats and the exact order independently.)
    """
    p = (86, 139)
    a = (165.29171516340546, 75.09565816036546)
    b = (149.90434183963453, 59.70828483659455)
    float_da = (p[0] - a[0]) ** 2 + (p[1] - a[1]) ** 2
    float_db = (p[0] - b[0]) ** 2 + (p[1] - b[1]) ** 2
    assert float_da == float_db  # a naive float implementation would pick index 0
    assert sq_euclidean(p, b) < sq_euclidean(p, a)
    for metric in ("euclidean", "sqeuclidean"):
        r = refkmeans.kmeans([p], init=[a, b], max_iter=0, metric=metric, engine=engine)
        assert r.labels == [1], metric


def test_given_coordinates_at_the_range_ends_are_accepted():
    """KM-CEN-2: coordinates 0 and 65535 (int, float, Fraction, and -0.0, which is 0) are valid."""
    r = refkmeans.kmeans([(0, 0)], init=[(0, 65535), (0.0, 65535.0), (F(0), F(65535)), (-0.0, 1)], max_iter=0)
    assert r.centroids == ((0, 65535), (0, 65535), (0, 65535), (0, 1))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(k=0, init="random"),
        dict(k=-1, init="first"),
        dict(init=[(1, 2)]),  # two channels, the pixels have one
        dict(init=[(0,), (1, 1)]),
        dict(init=[(float("nan"),)]),
        dict(init=[(float("inf"),)]),
        dict(init=[(-1,)]),
        dict(init=[(65536,)]),
        dict(init=[(math.nextafter(65535.0, math.inf),)]),
        dict(init=[(F(-1, 2),)]),
        dict(init=[(0,)], metric="cosine"),
        dict(init=[(0,)], empty="nearest"),
        dict(k=1, init="kmeans||"),
        dict(k=3, init="random"),  # k > n = 2
        dict(k=3, init="first"),
    ],
)
def test_bad_input_is_a_usage_error(kwargs):
    """KM-CEN-2 (finite, in 0..65535), KM-INIT-1/2 (k <= n), unknown names, k >= 1, channel count."""
    with pytest.raises(UsageError):
        refkmeans.kmeans([(0,), (1,)], **kwargs)


@pytest.mark.parametrize("engine", ALL_ENGINES)
@pytest.mark.parametrize("empty", POLICIES)
def test_random_init_keeps_duplicate_colours(engine, empty):
    """KM-INIT-1: five pixels of one colour, k=3: three equal centroids, the later two never get a pixel.

    max_iter=0: centroids 3 x (7,7,7), every label 0 (KM-ASN-2).  Running on:
    keep -> c0 stays (7,7,7), nothing moves, converged after 1 iteration;
    farthest -> every distance is 0, no colour to take, same as keep;
    error -> c1 is empty in iteration 1.
    """
    pixels = [(7, 7, 7)] * 5
    seven = (F(7), F(7), F(7))
    r = refkmeans.kmeans(pixels, k=3, init="random", max_iter=0, engine=engine)
    assert r.centroids == (seven,) * 3
    assert r.labels == [0] * 5
    if empty == "error":
        with pytest.raises(EmptyClusterError):
            refkmeans.kmeans(pixels, k=3, init="random", empty=empty, engine=engine)
        return
    r = refkmeans.kmeans(pixels, k=3, init="random", empty=empty, engine=engine)
    assert r.centroids == (seven,) * 3
    assert (r.iterations, r.converged) == (1, True)


def test_random_init_uses_portable_splitmix64():
    """KM-RNG-1..3, KM-INIT-1: seed 0's first SplitMix64 output is 0xE220A8397B1DCDAF (Vigna's
    splitmix64.c), so below(n) draws that mod n; with distinct pixels the chosen colour reveals it."""
    assert SplitMix64(0).next_u64() == 0xE220A8397B1DCDAF
    for n in (1, 2, 3, 7, 10):
        pixels = [(i,) for i in range(n)]
        r = refkmeans.kmeans(pixels, k=1, init="random", seed=0, max_iter=0)
        assert r.centroids == ((F(0xE220A8397B1DCDAF % n),),)  # the limit rejects nothing this large


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_first_init_takes_first_k_pixels_with_duplicates(engine):
    """KM-INIT-2: the first k pixels in raster order, duplicates kept."""
    pixels = [(5, 1), (5, 1), (1, 2), (9, 9)]
    r = refkmeans.kmeans(pixels, k=3, init="first", max_iter=0, engine=engine)
    assert r.centroids == ((5, 1), (5, 1), (1, 2))
    # (9,9): sq 16+64=80 to (5,1), 64+49=113 to (1,2) -> 0
    assert r.labels == [0, 0, 2, 0]


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_inertia_uses_squared_euclidean_whatever_the_metric(engine):
    """KM-OUT-2: (0,0) and (3,4) against centroid (0,0): inertia 0 + 9 + 16 = 25 under every metric
    (not 7, the manhattan sum; not 4, the chebyshev; not 5, the euclidean distance)."""
    for metric in METRICS:
        r = refkmeans.kmeans([(0, 0), (3, 4)], init=[(0, 0)], max_iter=0, metric=metric, engine=engine)
        assert r.inertia_exact == 25
        assert r.inertia == 25.0


def test_inertia_float_is_correctly_rounded():
    """KM-OUT-2: inertia of pixels 0, 1, 1 about 2/3 is 2/9 exactly; the float is its nearest double."""
    # (2/3)² + (1/3)² + (1/3)² = 4/9 + 1/9 + 1/9 = 6/9 = 2/3
    r = refkmeans.kmeans([(0,), (1,), (1,)], init=[(0,)], max_iter=1)
    assert r.inertia_exact == F(2, 3)
    assert r.inertia == 2 / 3
    assert r.float_centroids() == [(2 / 3,)]


@pytest.mark.parametrize("engine", ENGINES)
def test_trace_steps_hand_worked(engine):
    """KM-STOP-2 with trace: pixels 0, 3, 10 from 0 and 3 take 3 steps.

    step 1 from (0, 3): labels [0,1,1], inertia 0 + 0 + 49 = 49.
    step 2 from (0, 13/2): labels [0,0,1], inertia 0 + 9 + (7/2)² = 85/4.
    step 3 from (3/2, 10): labels [0,0,1], inertia 9/4 + 9/4 + 0 = 9/2.
    """
    r = refkmeans.kmeans([(0,), (3,), (10,)], init=[(0,), (3,)], trace=True, engine=engine)
    assert len(r.steps) == r.iterations == 3
    assert [s.inertia for s in r.steps] == [49, F(85, 4), F(9, 2)]
    assert [tuple(s.centroids) for s in r.steps] == [
        ((0,), (3,)), ((0,), (F(13, 2),)), ((F(3, 2),), (10,)),
    ]
    r = refkmeans.kmeans([(0,), (3,), (10,)], init=[(0,), (3,)], trace=True, max_iter=0, engine=engine)
    assert list(r.steps) == []
