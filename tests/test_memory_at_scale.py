"""Large k and large palettes: the fast engine's answers, and its memory under a hard limit.

The fast engine once kept k x k tables of centroid pairs: a palette of 6,000
colours took 2.6 GB.  Here the answers at large k are checked against the
histogram engine and a brute-force nearest-colour search, and the memory
promise is enforced by the kernel (RLIMIT_AS in a subprocess), not measured.
"""

from __future__ import annotations

import random
import subprocess
import sys
from fractions import Fraction

import pytest

from refkmeans import kmeans

METRICS = ("euclidean", "manhattan", "chebyshev")


def _clumped(rng, n, spread=12):
    """n pixels around a few centres: many repeats and many near-ties."""
    centres = [tuple(rng.randrange(256) for _ in range(3)) for _ in range(8)]
    return [
        tuple(min(255, max(0, v + rng.randrange(-spread, spread + 1))) for v in rng.choice(centres)) for _ in range(n)
    ]


def _distance(metric, x, c):
    """Twice the exact distance (its square for euclidean: the same order), in integers.

    The palette's coordinates are integers or halves, so doubling makes every difference an integer.
    """
    diffs = [abs(2 * a - int(2 * b)) for a, b in zip(x, c)]
    if metric == "euclidean":
        return sum(d * d for d in diffs)
    return sum(diffs) if metric == "manhattan" else max(diffs)


def _nearest(metric, x, palette):
    """Brute force: the lowest index among the nearest (KM-ASN-2)."""
    ds = [_distance(metric, x, c) for c in palette]
    return ds.index(min(ds))


@pytest.mark.parametrize("metric", METRICS)
def test_mapping_onto_a_palette_of_thousands_is_the_brute_force_nearest_colour(metric):
    rng = random.Random(metric)
    pixels = _clumped(rng, 400)
    # 1,200 palette colours: some of the pixels themselves (distance 0), repeats
    # (a repeat never wins), exact midpoints (ties), and random colours.
    palette = [rng.choice(pixels) for _ in range(300)]
    palette += [palette[rng.randrange(300)] for _ in range(100)]
    palette += [tuple(Fraction(a + b, 2) for a, b in zip(rng.choice(pixels), rng.choice(pixels))) for _ in range(300)]
    palette += [tuple(rng.randrange(256) for _ in range(3)) for _ in range(500)]
    result = kmeans(pixels, init=palette, max_iter=0, metric=metric, engine="fast")
    assert result.labels == [_nearest(metric, x, palette) for x in pixels]
    assert sum(c > 0 for c in result.counts) < len(palette)  # most of the palette is empty: the edge is exercised


@pytest.mark.parametrize("metric", METRICS)
def test_k_near_the_colour_count_matches_the_histogram_engine(metric):
    rng = random.Random(metric)
    pixels = _clumped(rng, 700, spread=40)
    colours = len(set(pixels))
    for k, init, empty in [(colours - 5, "first", "keep"), (400, "random", "farthest")]:
        options = dict(k=k, init=init, seed=2, metric=metric, max_iter=3, empty=empty)
        assert kmeans(pixels, engine="fast", **options) == kmeans(pixels, engine="histogram", **options)


_CHILD = """
import random, sys
from refkmeans import Image, quantize
n, k, iters = map(int, sys.argv[1:])
rng = random.Random(13)
image = Image(n, 1, 3, 255, [rng.randrange(256) for _ in range(3 * n)])
if iters == 0:
    q = quantize(image, k, init=[tuple(rng.randrange(256) for _ in range(3)) for _ in range(k)], max_iter=0)
else:
    q = quantize(image, k, init="first", max_iter=iters)
print(len(q.palette), len(q.indices))
"""

#: The address-space limit for the child: a Python with refkmeans needs about 60 MB
#: here; the old pair tables needed 2.6 GB for the palette case, 1.7 GB for the k case.
LIMIT = 300 * 2**20


def _run_limited(*args):
    def limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    return subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, args)], preexec_fn=limit, capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced as documented on Linux")
@pytest.mark.parametrize(
    "n, k, iters",
    [
        (20000, 6000, 0),  # mapping 20,000 colours onto a fixed palette of 6,000
        (20000, 4000, 2),  # k = 4,000 with iterations
    ],
)
def test_memory_stays_bounded_under_a_hard_limit_with_large_k_and_palettes(n, k, iters):
    done = _run_limited(n, k, iters)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(k), str(n)]
