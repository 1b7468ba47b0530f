"""Plugins that raise, return nonsense or fail to import: a clear error naming them, and the rest work.

Complements ``tests/test_plugins.py`` (registration, loading, initializer
counts): here the misbehaviour happens *during a run*, and the command line
is checked end to end with installed (fake) distributions.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import types
from array import array
from fractions import Fraction
from pathlib import Path

import pytest

from refkmeans import Image, ImageError, PluginError, hookimpl, kmeans, quantize
from refkmeans.codec import Codec
from refkmeans.files import read, write
from refkmeans.metric import Metric, MetricError
from refkmeans.plugins import Registry

ROOT = Path(__file__).resolve().parents[1]
PIXELS = [(0, 0, 0), (10, 10, 10), (200, 200, 200), (210, 210, 210)]
START = [(0, 0, 0), (210, 210, 210)]


def plugin(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def registry_with_metric(metric: Metric, name: str = "silly") -> Registry:
    def refkmeans_register_metrics(register):
        register(metric)

    return Registry(load_entrypoints=False, extra_plugins=[plugin(name, refkmeans_register_metrics=refkmeans_register_metrics)])


class Returns(Metric):
    """A metric whose distance to centroid ``at`` is ``value``; Manhattan elsewhere."""

    name = "bad"

    def __init__(self, value, at: int = 0) -> None:
        self.value, self.at = value, at

    def distance(self, a, b):
        if tuple(b) == tuple(map(float, START[self.at])):
            return self.value
        return float(sum(abs(x - y) for x, y in zip(a, b)))

    def key(self, a, b):
        return sum(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))

    def error_bound(self, d, channels):
        return 1e-9


@pytest.mark.parametrize("engine", ["plain", "histogram"])
@pytest.mark.parametrize(
    "value, at",
    [
        (math.nan, 0),
        (math.nan, 1),  # a NaN that never wins: min() alone would silently ignore it
        (-1.0, 0),
        (-1e-300, 1),
        (math.inf, 1),
        (-math.inf, 1),
        (None, 0),
        ("1.0", 1),
        (complex(1, 0), 0),
    ],
    ids=["nan-winner", "nan-rival", "negative", "tiny-negative", "inf", "minus-inf", "none", "string", "complex"],
)
def test_a_nonsense_distance_stops_the_run_naming_metric_and_plugin(value, at: int, engine: str) -> None:
    """KM-LIM-5"""
    registry = registry_with_metric(Returns(value, at))
    with pytest.raises(MetricError) as info:
        kmeans(PIXELS, init=START, metric="bad", engine=engine, registry=registry)
    message = str(info.value)
    assert message.startswith("metric 'bad' from silly returned ")
    assert f"as the distance from pixel (0, 0, 0) to centroid {at}" in message
    assert "must be a finite number >= 0" in message and "\n" not in message
    assert isinstance(info.value, PluginError) and info.value.exit_code == 4


def test_huge_but_finite_distances_are_not_nonsense() -> None:
    """KM-LIM-5: the cheap check (a sum) overflows here; the exact re-check lets the run go on."""

    class Huge(Returns):
        def distance(self, a, b):
            return 1e308 * (1 + sum(abs(x - y) for x, y in zip(a, b)) / 1000)

    r = kmeans(PIXELS, init=START, metric="bad", registry=registry_with_metric(Huge(0)))
    assert r.labels == [0, 0, 1, 1]


class ExactOnly(Returns):
    """No error bound: every assignment is settled by ``key`` (the exact path)."""

    def __init__(self, key_value) -> None:
        super().__init__(0.0)
        self.key_value = key_value

    def distance(self, a, b):
        return float(sum(abs(x - y) for x, y in zip(a, b)))

    def key(self, a, b):
        return self.key_value

    def error_bound(self, d, channels):
        return None


@pytest.mark.parametrize("key_value", [math.nan, -1, Fraction(-1, 3), None, "0", math.inf])
def test_a_nonsense_exact_key_stops_the_run(key_value) -> None:
    """KM-LIM-5: keys are checked where they decide (exact ties)."""
    with pytest.raises(MetricError, match=r"metric 'bad' from silly returned .* as the exact key from pixel"):
        kmeans(PIXELS, init=START, metric="bad", registry=registry_with_metric(ExactOnly(key_value)))


def test_a_nonsense_key_is_caught_where_farthest_relocates() -> None:
    """KM-LIM-5: an inexact metric never uses key to assign, but `farthest` orders by it."""

    class Perceptual(ExactOnly):
        exact = False

    registry = registry_with_metric(Perceptual(math.nan))
    with pytest.raises(MetricError, match="as the exact key"):
        kmeans(PIXELS, init=[(0, 0, 0), (0, 0, 0), (210, 210, 210)], metric="bad", empty="farthest", registry=registry)


@pytest.mark.parametrize("bound", [math.nan, -1.0, "tiny"])
def test_a_nonsense_error_bound_stops_the_run(bound) -> None:
    """KM-LIM-5: a NaN or negative bound would make floats decide near-ties they cannot decide."""

    class Bounded(Returns):
        def error_bound(self, d, channels):
            return bound

    with pytest.raises(MetricError, match=r"as the error bound of distance .*must be a number >= 0 or None"):
        kmeans(PIXELS, init=START, metric="bad", registry=registry_with_metric(Bounded(0.0)))


def test_a_metric_that_raises_is_a_plugin_error_with_the_place() -> None:
    """KM-LIM-5"""

    class Raises(Returns):
        def distance(self, a, b):
            return abs(1 / (a[0] - 10))

    with pytest.raises(MetricError) as info:
        kmeans(PIXELS, init=START, metric="bad", registry=registry_with_metric(Raises(0)))
    message = str(info.value)
    assert message.startswith("metric 'bad' from silly raised ZeroDivisionError: division by zero (at ")
    assert "test_hardening_plugins.py:" in message


def test_a_metric_helper_in_the_plugin_module_is_blamed_on_the_plugin() -> None:
    """KM-LIM-5: the failing code is a module-level helper, not a method."""
    source = textwrap.dedent(
        """
        from refkmeans import hookimpl
        from refkmeans.metric import Metric

        def helper(a, b):
            return {}["missing"]

        class Helper(Metric):
            name = "helper"
            def distance(self, a, b):
                return helper(a, b)
            def key(self, a, b):
                return 0

        @hookimpl
        def refkmeans_register_metrics(register):
            register(Helper())
        """
    )
    module = types.ModuleType("helper_plugin")
    exec(compile(source, "helper_plugin.py", "exec"), module.__dict__)
    registry = Registry(load_entrypoints=False, extra_plugins=[module])
    with pytest.raises(MetricError, match="metric 'helper' from helper_plugin raised KeyError"):
        kmeans(PIXELS, init=START, metric="helper", registry=registry)


def test_a_bug_outside_the_metric_is_not_blamed_on_it(monkeypatch) -> None:
    """The guard blames a plugin only when its code is on the traceback."""
    import refkmeans.engine.lloyd

    # A C function raising TypeError: no frame of this module (the metric's) is on the traceback.
    monkeypatch.setattr(refkmeans.engine.lloyd, "accumulate", math.sqrt)
    with pytest.raises(TypeError):
        kmeans(PIXELS, init=START, metric="bad", registry=registry_with_metric(Returns(1.0)))


def test_after_a_metric_fails_the_other_metrics_still_work() -> None:
    """The registry is untouched by a failed run."""
    good = Returns(0.0)
    good.name = "good"

    def refkmeans_register_metrics(register):
        register(Returns(math.nan))
        register(good)

    registry = Registry(load_entrypoints=False, extra_plugins=[plugin("mixed", refkmeans_register_metrics=refkmeans_register_metrics)])
    with pytest.raises(MetricError):
        kmeans(PIXELS, init=START, metric="bad", registry=registry)
    assert kmeans(PIXELS, init=START, metric="euclidean", registry=registry).labels == [0, 0, 1, 1]
    assert kmeans(PIXELS, init=START, metric="good", registry=registry).iterations >= 1


def test_a_metric_error_raised_outside_kmeans_names_only_the_metric() -> None:
    from refkmeans.engine.lloyd import lloyd

    with pytest.raises(MetricError, match="^metric 'bad' returned nan"):
        lloyd(PIXELS, [tuple(map(Fraction, c)) for c in START], Returns(math.nan))


# -- initializers (counts, ranges and raising are in tests/test_plugins.py) ---------------------------


@pytest.mark.parametrize(
    "returned, message",
    [
        (lambda data, k, rng: [(0, 0, math.nan)] * k, "not a finite number"),
        (lambda data, k, rng: [(0, 0)] * k, "has 2 channels, the pixels have 3"),
        (lambda data, k, rng: [("red", 0, 0)] * k, "is not a number"),
        (lambda data, k, rng: [None] * k, "is not a sequence of numbers"),
        (lambda data, k, rng: [(0, 0, -0.5)] * k, "outside 0..65535"),
        (lambda data, k, rng: None, "not a list"),
    ],
)
def test_an_initializer_returning_nonsense_names_itself_and_its_plugin(returned, message) -> None:
    """KM-LIM-6"""

    def refkmeans_register_initializers(register):
        register("nonsense", returned)

    registry = Registry(
        load_entrypoints=False, extra_plugins=[plugin("starter", refkmeans_register_initializers=refkmeans_register_initializers)]
    )
    with pytest.raises(PluginError) as info:
        kmeans(PIXELS, k=2, init="nonsense", registry=registry)
    assert "initializer 'nonsense' from starter" in str(info.value) and message in str(info.value)
    assert kmeans(PIXELS, k=2, init="first", registry=registry).k == 2  # the others still work


def test_an_initializer_may_return_any_iterable() -> None:
    def refkmeans_register_initializers(register):
        register("lazy", lambda data, k, rng: (c for c in data.colours[:k]))

    registry = Registry(load_entrypoints=False, extra_plugins=[plugin("lazy", refkmeans_register_initializers=refkmeans_register_initializers)])
    assert kmeans(PIXELS, k=2, init="lazy", registry=registry).centroids[0] == (5, 5, 5)


# -- codecs --------------------------------------------------------------------------------------


class Faulty(Codec):
    """Claims every '.fau' file and misbehaves as ``how`` says."""

    name = "faulty"
    extensions = (".fau",)

    def __init__(self, how: str) -> None:
        self.how = how

    def sniff(self, head):
        if self.how == "sniff":
            raise ValueError("cannot sniff")
        return head.startswith(b"FAU")

    def decode(self, data, *, index=0, max_pixels=100):
        if self.how == "crash":
            return {}["width"]
        if self.how == "none":
            return None
        if self.how == "too-big":
            return Image(max_pixels + 1, 1, 1, 255, bytes(max_pixels + 1))
        if self.how == "inconsistent":
            image = Image(1, 1, 1, 255, [0])
            image.samples = array("B", [0, 0, 0])
            return image
        if self.how == "memory":
            raise MemoryError()
        if self.how == "multiline":
            raise ImageError("faulty: first line\nsecond line")
        return Image(1, 1, 1, 255, [7])

    def encode(self, image, *, palette=None, indices=None, plain=False):
        if self.how == "encode-crash":
            raise OSError("the encoder fell over")
        if self.how == "encode-text":
            return "not bytes"
        return b"FAU"


def codec_registry(how: str) -> Registry:
    def refkmeans_register_codecs(register):
        register(Faulty(how))

    return Registry(load_entrypoints=False, extra_plugins=[plugin("faulty_plugin", refkmeans_register_codecs=refkmeans_register_codecs)])


@pytest.mark.parametrize(
    "how, error, message",
    [
        ("none", PluginError, "codec 'faulty' returned NoneType for"),
        ("too-big", PluginError, "codec 'faulty' ignored the pixel limit: it returned a 101x1 image"),
        ("inconsistent", PluginError, "codec 'faulty' returned an inconsistent image"),
        ("sniff", PluginError, "codec 'faulty' from faulty_plugin failed to sniff"),
    ],
)
def test_a_decoder_misbehaving_is_an_error_naming_the_codec(tmp_path: Path, how: str, error, message: str) -> None:
    """KM-LIM-7 and KM-LIM-1 (the host enforces the pixel limit on what a codec returns)."""
    path = tmp_path / "x.fau"
    path.write_bytes(b"FAU")
    with pytest.raises(error, match=message):
        read(str(path), max_pixels=100, registry=codec_registry(how))


def test_a_codec_whose_sniff_raises_does_not_stop_the_others(tmp_path: Path) -> None:
    """Netpbm still reads its files; the broken codec is named only when nobody recognises a file."""
    path = tmp_path / "ok.pgm"
    path.write_bytes(b"P5 1 1 255\n\x07")
    registry = codec_registry("sniff")
    assert list(read(str(path), registry=registry).samples) == [7]
    (tmp_path / "what.bin").write_bytes(b"????")
    with pytest.raises(PluginError, match="codec 'faulty' from faulty_plugin failed to sniff: cannot sniff"):
        read(str(tmp_path / "what.bin"), registry=registry)


@pytest.mark.parametrize("how, message", [("encode-crash", "failed to encode: OSError"), ("encode-text", "returned str, not bytes")])
def test_an_encoder_misbehaving_writes_nothing(tmp_path: Path, how: str, message: str) -> None:
    out = tmp_path / "out.fau"
    with pytest.raises(PluginError, match=message):
        write(str(out), Image(1, 1, 1, 255, [7]), registry=codec_registry(how))
    assert list(tmp_path.iterdir()) == []


def test_a_multi_line_message_from_a_plugin_is_printed_on_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    from refkmeans.cli import quantize_cmd
    from refkmeans.cli.main import main

    path = tmp_path / "x.fau"
    path.write_bytes(b"FAU")
    monkeypatch.setattr(quantize_cmd, "get_registry", lambda load: codec_registry("multiline"))
    assert main(["quantize", str(path), "-o", str(tmp_path / "o.ppm")]) == 3
    assert capsys.readouterr().err == f"refkmeans: error: {path}: faulty: first line\\nsecond line\n"


# -- end to end: installed plugins and the command line --------------------------------------------

NAN_PLUGIN = """
    import math
    from fractions import Fraction
    from refkmeans import hookimpl
    from refkmeans.metric import Metric

    class NotANumber(Metric):
        name = "nan"
        def distance(self, a, b):
            return math.nan
        def key(self, a, b):
            return 0

    @hookimpl
    def refkmeans_register_metrics(register):
        register(NotANumber())
"""

HOOK_RAISES_PLUGIN = """
    from refkmeans import hookimpl

    @hookimpl
    def refkmeans_register_initializers(register):
        raise RuntimeError("cannot start")
"""


@pytest.fixture
def plugins(site: Path, install_plugin) -> Path:
    """Three misbehaving plugins and a good one, installed in ``site``."""
    install_plugin("refkmeans-nan", "nan_plugin", NAN_PLUGIN)
    install_plugin("refkmeans-good", "good_plugin")
    install_plugin("refkmeans-broken", "broken_plugin", "import no_such_module_anywhere\n")
    install_plugin("refkmeans-raises", "raises_plugin", HOOK_RAISES_PLUGIN)
    return site


def cli(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(site)]))
    env.pop("REFKMEANS_LOAD_PLUGINS", None)
    return subprocess.run([sys.executable, "-m", "refkmeans", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_cli_names_the_plugin_whose_metric_returns_nan_and_writes_nothing(plugins: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.ppm"
    write(str(source), quantize(Image(2, 2, 3, 255, bytes(range(12))), k=4, init="first").image)
    run = cli(plugins, tmp_path, "quantize", "in.ppm", "-k", "2", "--metric", "nan", "-o", "out.ppm")
    assert run.returncode == 4
    assert run.stderr == (
        "refkmeans: error: metric 'nan' from refkmeans-nan returned nan as the distance from pixel (0, 1, 2) "
        "to centroid 0; it must be a finite number >= 0\n"
    )
    assert not (tmp_path / "out.ppm").exists()


def test_cli_keeps_working_beside_broken_plugins(plugins: Path, tmp_path: Path) -> None:
    """A plugin that fails to import and one whose hook raises are reported; the rest work."""
    source = tmp_path / "in.pgm"
    source.write_bytes(b"P5 4 1 255\n\x00\x0a\xc8\xd2")
    good = cli(plugins, tmp_path, "quantize", "in.pgm", "-k", "2", "--init", "first", "--metric", "maximum", "-o", "out.pgm", "-q")
    assert good.returncode == 0, good.stderr
    assert (tmp_path / "out.pgm").read_bytes() == b"P5\n4 1\n255\n\x05\x05\xcd\xcd"
    listing = cli(plugins, tmp_path, "plugins")
    assert listing.returncode == 0
    assert "failed: refkmeans-broken 1.0: failed to load: ModuleNotFoundError: No module named 'no_such_module_anywhere'" in listing.stdout
    assert "failed: refkmeans-raises 1.0: raised in its initializer hook: RuntimeError: cannot start" in listing.stdout
    assert "maximum" in listing.stdout and "nan" in listing.stdout
