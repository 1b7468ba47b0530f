"""refkmeans-colour: CIEDE2000 against the published test data, sRGB to Lab against a 40-digit evaluation."""

from __future__ import annotations

import itertools
from decimal import Decimal, getcontext
from fractions import Fraction
from typing import List, Tuple

import pytest

refkmeans_colour = pytest.importorskip("refkmeans_colour")

from refkmeans_colour import CIE76, CIEDE2000, ciede2000, srgb_to_lab  # noqa: E402
from refkmeans_colour import lab as lab_module  # noqa: E402
from refkmeans_colour import metrics as metrics_module  # noqa: E402

from refkmeans import kmeans  # noqa: E402
from refkmeans.errors import UsageError  # noqa: E402
from refkmeans.plugins import Registry  # noqa: E402
from refkmeans.testing import check_metric  # noqa: E402

# G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 color-difference formula:
# implementation notes, supplementary test data, and mathematical
# observations", Color Research and Application 30(1):21-30, 2005, Table 1.
# Each row: L1, a1, b1, L2, a2, b2, ΔE00 (published to four decimals).
SHARMA_2005 = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


def test_the_published_table_has_34_pairs() -> None:
    assert len(SHARMA_2005) == 34


@pytest.mark.parametrize("row", SHARMA_2005, ids=[f"pair{i + 1}" for i in range(34)])
def test_ciede2000_matches_sharma_wu_dalal_to_the_published_four_decimals(row) -> None:
    lab1, lab2, expected = row[:3], row[3:6], row[6]
    forward, backward = ciede2000(lab1, lab2), ciede2000(lab2, lab1)
    assert abs(forward - expected) <= 0.00005
    assert forward == backward


# -- sRGB to CIELAB, checked against the pinned formulas evaluated to 40 digits --

getcontext().prec = 40
MATRIX_D = [[Decimal("0.4124"), Decimal("0.3576"), Decimal("0.1805")],
            [Decimal("0.2126"), Decimal("0.7152"), Decimal("0.0722")],
            [Decimal("0.0193"), Decimal("0.1192"), Decimal("0.9505")]]
WHITE_D = [sum(row) for row in MATRIX_D]
EPSILON_D = Decimal(216) / Decimal(24389)
KAPPA_D = Decimal(24389) / Decimal(27)


def lab_40_digits(rgb: Tuple[int, int, int]) -> List[Decimal]:
    linear = []
    for v in rgb:
        c = Decimal(v) / 255
        linear.append(c / Decimal("12.92") if c <= Decimal("0.04045") else ((c + Decimal("0.055")) / Decimal("1.055")) ** Decimal("2.4"))
    f = []
    for row, white in zip(MATRIX_D, WHITE_D):
        t = sum(m * x for m, x in zip(row, linear)) / white
        f.append(t ** (Decimal(1) / 3) if t > EPSILON_D else (KAPPA_D * t + 16) / 116)
    return [116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])]


def test_srgb_to_lab_agrees_with_a_40_digit_evaluation_of_the_pinned_constants() -> None:
    colours = list(itertools.product((0, 1, 10, 11, 12, 64, 128, 200, 254, 255), repeat=3))
    for rgb in colours:
        got = srgb_to_lab(rgb)
        want = lab_40_digits(rgb)
        assert all(abs(Decimal(g) - w) < Decimal("1e-10") for g, w in zip(got, want)), rgb


def test_white_is_l_100_and_greys_are_neutral() -> None:
    assert srgb_to_lab((255, 255, 255)) == pytest.approx((100.0, 0.0, 0.0), abs=1e-12)
    assert srgb_to_lab((0, 0, 0)) == (0.0, 0.0, 0.0)
    for v in range(0, 256, 15):
        L, a, b = srgb_to_lab((v, v, v))
        assert abs(a) < 1e-12 and abs(b) < 1e-12


def test_srgb_red_is_near_the_usual_textbook_value() -> None:
    # Textbooks give (53.24, 80.09, 67.20) with a slightly different D65 white.
    assert srgb_to_lab((255, 0, 0)) == pytest.approx((53.24, 80.09, 67.20), abs=0.03)


def test_the_exact_epsilon_and_kappa_make_the_two_branches_meet() -> None:
    epsilon, kappa = Fraction(216, 24389), Fraction(24389, 27)
    assert (kappa * epsilon + 16) / 116 == Fraction(6, 29) and Fraction(6, 29) ** 3 == epsilon
    assert lab_module.EPSILON == 216 / 24389 and lab_module.KAPPA == 24389 / 27
    assert lab_module.WHITE == pytest.approx((0.9505, 1.0, 1.0890), abs=1e-15)


# -- the metrics --


def test_the_metrics_declare_themselves_float_defined_for_8_bit_rgb() -> None:
    for metric in (CIE76(), CIEDE2000()):
        assert metric.exact is False and 0 < metric.tolerance < 1e-6
        assert metric.channels == 3 and metric.maxval == 255
        assert "KM-UPD-1" in metric.update
    assert CIE76().triangle is True and CIEDE2000().triangle is False


def test_both_metrics_pass_the_plugin_authors_check() -> None:
    assert check_metric(CIE76()) > 10000  # triangle inequality included
    assert check_metric(CIEDE2000()) > 100


def test_ciede2000_is_not_a_metric_in_the_strict_sense() -> None:
    # Lab colours chosen near the blue region, where the rotation term bends the space.
    points = [(0, 0, 255), (0, 60, 255), (70, 0, 255), (0, 0, 128), (30, 30, 255), (100, 100, 255), (50, 0, 200)]
    d = CIEDE2000().distance
    violated = any(d(a, c) > d(a, b) + d(b, c) for a, b, c in itertools.permutations(points, 3))
    if not violated:  # search a small grid, deterministically
        grid = [(r, g, b) for r in (0, 128, 255) for g in (0, 128, 255) for b in (0, 128, 255)]
        violated = any(d(a, c) > d(a, b) + d(b, c) + 1e-9 for a, b, c in itertools.permutations(grid, 3))
    assert violated
    with pytest.raises(AssertionError, match="triangle inequality fails"):
        check_metric(CIEDE2000(), points=[(r, g, b) for r in (0, 128, 255) for g in (0, 128, 255) for b in (0, 128, 255)], triangle=True)


def test_assignment_with_cie76_picks_the_nearest_colour_in_lab() -> None:
    registry = Registry(load_entrypoints=False, extra_plugins=[metrics_module])
    pixels = [tuple((i * 53 + c * 91) % 256 for c in range(3)) for i in range(200)]
    palette = [(0, 0, 0), (255, 255, 255), (200, 30, 30), (30, 160, 60), (40, 60, 200), (128, 128, 128)]
    result = kmeans(pixels, init=palette, max_iter=0, metric="cie76", registry=registry)
    palette_labs = [lab_40_digits(colour) for colour in palette]
    for pixel, label in zip(pixels, result.labels):
        here = lab_40_digits(pixel)
        want = [sum((x - y) ** 2 for x, y in zip(here, there)) for there in palette_labs]
        assert label == want.index(min(want))
    euclidean = kmeans(pixels, init=palette, max_iter=0, registry=registry).labels
    assert euclidean != result.labels  # perceptual distance really changes assignments


def test_a_run_with_ciede2000_moves_centroids_to_srgb_means() -> None:
    registry = Registry(load_entrypoints=False, extra_plugins=[metrics_module])
    pixels = [(10, 10, 10), (20, 20, 20), (240, 240, 240), (250, 200, 250)]
    result = kmeans(pixels, init=[(0, 0, 0), (255, 255, 255)], max_iter=1, metric="ciede2000", registry=registry)
    assert result.centroids[0] == (Fraction(15),) * 3
    assert result.centroids[1] == (Fraction(245), Fraction(220), Fraction(245))


def test_the_metrics_refuse_pixels_that_are_not_rgb() -> None:
    with pytest.raises(UsageError, match="metric cie76 needs RGB pixels"):
        CIE76().distance((1, 2), (3, 4))
    assert CIE76().key((Fraction(1, 2), 0, 0), (0, 0, 0)) == CIE76().distance((0.5, 0, 0), (0, 0, 0))


def test_the_hook_registers_both_metrics() -> None:
    found = []
    refkmeans_colour.refkmeans_register_metrics(found.append)
    assert [m.name for m in found] == ["cie76", "ciede2000"]
