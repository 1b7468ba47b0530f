"""KM-STOP-4 (the exact relative-inertia stop), quantize's default that uses it, and KM-INIT-5's scaling in k.

Expected stops come from tests/oracle.py's Lloyd run (SPEC sections 3-5
written out literally) and the rule computed here with Fractions; the
restarts' work is counted in generator draws, never in seconds.
"""

from __future__ import annotations

import inspect
import io
import math
import random
from fractions import Fraction
from typing import List

import pytest
from oracle import oracle_kmeans

from refkmeans import Dataset, UsageError, kmeans, quantize
from refkmeans.builtin import restarts
from refkmeans.cli.progress import Progress
from refkmeans.engine.lloyd import Loop
from refkmeans.quantize import DEFAULT_TOL, PROFILES
from refkmeans.result import Step
from refkmeans.rng import make_generator
from refkmeans.scene import scene


def _points(n: int, seed: int) -> list:
    r = random.Random(seed)
    return [tuple(r.randint(0, 255) for _ in range(3)) for _ in range(n)]


PIXELS = _points(240, 11)
START = PIXELS[:6]  # KM-INIT-2's start, given as centroids
REFERENCE = oracle_kmeans(PIXELS, START, 300)
INERTIAS = [inertia for _c, _l, inertia, _e in REFERENCE["steps"]]
#: r_i: the exact relative fall of the inertia in iteration i (i >= 1).
FALLS = [(a - b) / a for a, b in zip(INERTIAS, INERTIAS[1:])]


def _first_stop(tol: Fraction) -> int:
    """The iteration (0-based) after which KM-STOP-4 stops, by the rule as SPEC.md states it."""
    return next(i + 1 for i, fall in enumerate(FALLS) if fall < tol)


def test_the_reference_run_is_long_enough_to_stop_early() -> None:
    assert REFERENCE["converged"] and len(INERTIAS) >= 6


@pytest.mark.parametrize("tol", [Fraction(1, 2), Fraction(1, 10), Fraction(1, 50), Fraction(1, 80), Fraction(1, 100)])
def test_tol_stops_after_the_first_iteration_whose_relative_fall_is_below_tol(tol: Fraction) -> None:
    i = _first_stop(tol)
    got = kmeans(PIXELS, init=START, tol=tol, engine="plain")
    # Stopped after iteration i's update; labels belong to those centroids (KM-STOP-3).
    # When iteration i is the one that finds the fixed point, KM-STOP-1 names the stop.
    expected = oracle_kmeans(PIXELS, START, i + 1)
    fixed_point = i + 1 == REFERENCE["iterations"]
    assert (got.iterations, got.converged, got.settled) == (i + 1, fixed_point, not fixed_point)
    assert list(got.centroids) == list(expected["centroids"])
    assert got.labels == list(expected["labels"])
    assert got.inertia_exact == expected["inertia"]


def test_tol_exactly_at_a_fall_continues_and_just_above_it_stops() -> None:
    # An iteration j whose fall is below every earlier one: tol = r_j must not stop there (strict <),
    # a tol between r_j and the earlier falls must.
    j = next(j for j in range(1, len(FALLS)) if FALLS[j] < min(FALLS[:j]) and FALLS[j] > 0)
    at, above = FALLS[j], (FALLS[j] + min(FALLS[:j])) / 2
    stopped = kmeans(PIXELS, init=START, tol=above, engine="fast")
    assert stopped.iterations == j + 2 and stopped.settled
    going = kmeans(PIXELS, init=START, tol=at, engine="histogram")
    assert going.iterations > j + 2


def test_tol_zero_and_none_run_to_the_fixed_point() -> None:
    for tol in (None, 0):
        got = kmeans(PIXELS, init=START, tol=tol)
        assert got.converged and not got.settled
        assert list(got.centroids) == list(REFERENCE["centroids"])


def test_tol_is_read_exactly_from_text_floats_and_fractions() -> None:
    tol = Fraction(FALLS[2]) * 2
    by_fraction = kmeans(PIXELS, init=START, tol=tol)
    by_text = kmeans(PIXELS, init=START, tol=str(tol))
    assert by_fraction == by_text
    assert Loop(tol="1e-5").settled(Fraction(100000), Fraction(99999) + Fraction(1, 10**9))
    assert not Loop(tol="1e-5").settled(Fraction(100000), Fraction(99999))  # a fall of exactly 1e-5
    # A rise (possible under the perceptual metrics) counts by its size too.
    assert Loop(tol="1e-5").settled(Fraction(100000), Fraction(100001) - Fraction(1, 10**9))
    assert not Loop(tol="1e-5").settled(Fraction(100000), Fraction(100001))
    assert not Loop(tol=0).settled(Fraction(100000), Fraction(100000))


@pytest.mark.parametrize("bad", [-1, "-1e-5", "abc", True, [1], float("nan")])
def test_a_bad_tol_is_a_usage_error(bad: object) -> None:
    with pytest.raises(UsageError, match="tol"):
        kmeans(PIXELS, 3, tol=bad)


def test_kmeans_and_its_loop_keep_running_to_the_fixed_point_by_default() -> None:
    assert inspect.signature(kmeans).parameters["tol"].default is None
    assert Loop().tol is None
    got = kmeans(PIXELS, init=START)
    assert got.converged and got.iterations == REFERENCE["iterations"]


def test_quantize_default_stops_by_default_tol_and_other_starts_do_not() -> None:
    image = scene(48, 32)
    assert DEFAULT_TOL == Fraction(1, 100000)
    default = quantize(image, 6)
    assert default.result == quantize(image, 6, init="restarts", tol=DEFAULT_TOL).result
    fixed = quantize(image, 6, init="restarts", tol=None).result
    assert fixed.converged
    notebook = quantize(image, 6, **PROFILES["notebook"]).result
    assert notebook == quantize(image, 6, init="random", rng="numpy-legacy", seed=0, max_iter=11, tol=None).result


# -- KM-INIT-5: the restarts' work grows like one k-means++ start's ----------------------------


class CountingGenerator:
    """A generator that counts the draws made from it (the work of k-means++: one draw per candidate)."""

    def __init__(self, seed: int) -> None:
        self.inner = make_generator("portable", seed)
        self.draws = 0

    def below(self, n: int) -> int:
        self.draws += 1
        return self.inner.below(n)  # type: ignore[no-any-return]


@pytest.mark.parametrize("k, runs", [(1, 8), (2, 8), (16, 8), (17, 7), (32, 4), (43, 2), (64, 2), (128, 2), (256, 2), (4096, 2)])
def test_restarts_shrink_as_k_grows(k: int, runs: int) -> None:
    assert restarts.restarts_for(k) == runs


@pytest.mark.parametrize("k", [2, 8, 16, 32, 64, 100])
def test_restarts_draw_one_k_means_plus_plus_worth_of_centres(k: int) -> None:
    dataset = Dataset(_points(400, k))
    rng = CountingGenerator(k)
    restarts.best_of_restarts(dataset, k, rng)
    trials = 2 + int(math.log(k))
    per_start = 1 + (k - 1) * trials  # KM-INIT-3: one draw for the first centre, `trials` for each later one
    assert rng.draws == restarts.restarts_for(k) * per_start
    # Centres drawn over all restarts: at most max(128, 2k), so the work is linear in k (times ln k trials).
    assert restarts.restarts_for(k) * k <= max(128, 2 * k)


def test_restarts_report_each_run_with_a_count() -> None:
    messages: List[str] = []

    class Listener:
        def __call__(self, step: Step) -> None:
            pass

        def phase(self, text: str) -> None:
            messages.append(text)

    quantize(scene(40, 30), 32, progress=Listener())
    runs = [m for m in messages if m.startswith("restart ")]
    assert [m.split(" on ")[0] for m in runs] == [f"restart {i}/4" for i in range(1, 5)]
    assert all("s left" in m for m in runs[1:]) and "left" not in runs[0]
    assert restarts.REPORT.get() is None  # reset after the run


def test_progress_shows_the_fall_against_tol() -> None:
    stream = io.StringIO()
    progress = Progress(300, delay=0, stream=stream, clock=iter(range(0, 100, 2)).__next__, tol="1e-5")
    for i, inertia in enumerate([Fraction(1000), Fraction(500)]):
        progress(Step(i, (), (), inertia, None if i == 0 else 3, (), {}))
    lines = stream.getvalue().splitlines()
    assert lines[-1] == "refkmeans: iteration 2/300, 3 pixels changed, inertia moved 5.0e-01 (stops below 1e-05)"


# -- the command line -------------------------------------------------------------------------


def _scene_file(tmp_path) -> str:  # type: ignore[no-untyped-def]
    image = scene(40, 30)
    path = tmp_path / "in.ppm"
    path.write_bytes(b"P6\n%d %d\n255\n" % (image.width, image.height) + bytes(image.samples))
    return str(path)


def test_cli_tol_is_recorded_in_the_trace_and_the_report(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from refkmeans.cli import main as cli_main
    from refkmeans.trace import read_trace

    src, trace = _scene_file(tmp_path), str(tmp_path / "t.jsonl")
    expected = quantize(scene(40, 30), 6, init="first", tol=Fraction(1, 10)).result
    assert expected.settled  # a tolerance of a tenth stops this run early
    args = ["quantize", src, "-o", str(tmp_path / "a.ppm"), "-k", "6", "--init", "first", "--tol", "0.1", "--trace", trace]
    assert cli_main.main(args) == 0
    assert f"iterations  {expected.iterations} (settled" in capsys.readouterr().out
    got = read_trace(trace)
    assert got.run["tol"] == "1/10" and got.end["status"] == "settled"
    assert len(got.steps) == expected.iterations


def test_cli_default_trace_records_the_default_tol(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from refkmeans.cli import main as cli_main
    from refkmeans.trace import read_trace

    src, trace = _scene_file(tmp_path), str(tmp_path / "t.jsonl")
    assert cli_main.main(["quantize", src, "-o", str(tmp_path / "a.ppm"), "-k", "4", "-q", "--trace", trace]) == 0
    assert read_trace(trace).run["tol"] == "1/100000"
    assert cli_main.main(["quantize", src, "-o", str(tmp_path / "b.ppm"), "-f", "-q", "--init", "random", "--trace", trace, "--force"]) == 0
    assert "tol" not in read_trace(trace).run


def test_cli_refuses_a_bad_tol(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from refkmeans.cli import main as cli_main

    assert cli_main.main(["quantize", _scene_file(tmp_path), "-o", str(tmp_path / "a.ppm"), "--tol", "lots"]) == 2
