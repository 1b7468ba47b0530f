"""A metric declares its geometry once; every consumer reads the declaration, never the class, module or name.

A plugin metric that is Euclidean (or Manhattan) in all but name must get
what the built-in one gets: the fast engine under ``engine="auto"``, the
certifier's float filter, dithering's integer shortcut, ``explain``'s square
roots, and the very same answers.  A metric that declares nothing must fall
back as before, and a bad declaration must stop at the plugin boundary.
"""

from __future__ import annotations

import ast
import math
import random
import re
from fractions import Fraction
from pathlib import Path

import pytest

import refkmeans
from refkmeans import kmeans
from refkmeans.conformance.exact import Judge, _float_filter
from refkmeans.dataset import Dataset
from refkmeans.dither import floyd_steinberg
from refkmeans.engine import choose as choose_engine
from refkmeans.hookspecs import hookimpl
from refkmeans.image import Image
from refkmeans.kmeans import Options, cluster
from refkmeans.metric import Metric, error_terms
from refkmeans.plugins import Registry
from refkmeans.teach.explain import explain
from refkmeans.testing import check_metric


class Straight(Metric):
    """Euclidean in all but name, class and module."""

    name = "straight"
    geometry = "euclidean"

    def distance(self, a, b):
        return math.dist(a, b)

    def key(self, a, b):
        return sum((Fraction(x) - Fraction(y)) ** 2 for x, y in zip(a, b))


class Blocks:
    """Manhattan, duck-typed: not a Metric subclass, no error_bound of its own."""

    name = "blocks"
    geometry = "manhattan"

    def distance(self, a, b):
        return sum(map(abs, (x - y for x, y in zip(a, b))))

    def key(self, a, b):
        return sum(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))


class Undeclared(Metric):
    """Manhattan too, but it says nothing about it."""

    name = "undeclared"

    def distance(self, a, b):
        return float(sum(abs(x - y) for x, y in zip(a, b)))

    def key(self, a, b):
        return sum(abs(Fraction(x) - Fraction(y)) for x, y in zip(a, b))


class Plugin:
    def __init__(self, *metrics):
        self.metrics = metrics

    @hookimpl
    def refkmeans_register_metrics(self, register):
        for metric in self.metrics:
            register(metric)


REGISTRY = Registry(load_entrypoints=False, extra_plugins=[Plugin(Straight(), Blocks(), Undeclared())])


def _pixels(n=600, seed=3):
    rnd = random.Random(seed)
    centres = [(40, 200, 90), (220, 30, 60), (128, 128, 128), (10, 10, 250)]
    return [tuple(min(255, max(0, c + rnd.randrange(-40, 41))) for c in rnd.choice(centres)) for _ in range(n)]


def _answer(result):
    """Everything a Result says except the metric's name."""
    steps = [
        (s.iteration, s.centroids, s.counts, s.inertia, s.changed, s.empty, s.relocated, s.labels)
        for s in result.steps or []
    ]
    return (
        result.centroids,
        result.labels,
        result.iterations,
        result.converged,
        result.inertia_exact,
        result.counts,
        steps,
    )


@pytest.mark.parametrize(("plugin", "builtin"), [("straight", "euclidean"), ("blocks", "manhattan")])
def test_a_metric_declaring_a_geometry_gets_the_fast_engine_and_the_built_in_answer(plugin, builtin):
    dataset = Dataset(_pixels())
    options = dict(k=5, init="kmeans++", seed=4, trace=True, trace_labels=True, registry=REGISTRY)
    assert choose_engine("auto", REGISTRY.metric(plugin)) == "fast"
    assert cluster(dataset, Options(metric=plugin, **options)).engine == "fast"
    fast = kmeans(dataset, metric=plugin, **options)
    assert _answer(fast) == _answer(kmeans(dataset, metric=builtin, **options))
    # ... and the reference loop, which calls the plugin's own distance, key and error_bound, agrees.
    assert _answer(fast) == _answer(kmeans(dataset, metric=plugin, engine="plain", **options))


def test_a_duck_typed_declaration_gets_its_error_bound_from_the_geometry():
    metric = REGISTRY.metric("blocks")
    A, B = error_terms("manhattan", 3)
    assert metric.error_bound(10.0, 3) == A + B * 10.0
    assert REGISTRY.metric("undeclared").error_bound(10.0, 3) is None


def test_a_metric_declaring_nothing_falls_back_as_before():
    metric = REGISTRY.metric("undeclared")
    assert metric.geometry is None and metric.error_bound(1.0, 3) is None
    assert choose_engine("auto", metric) == "histogram"
    assert _float_filter(metric) is None
    dataset = Dataset(_pixels(300))
    options = dict(k=4, init="first", trace=True, registry=REGISTRY)
    assert cluster(dataset, Options(metric="undeclared", **options)).engine == "histogram"
    # Manhattan decided by exact keys every time: the answer of the declared manhattan.
    assert _answer(kmeans(dataset, metric="undeclared", **options)) == _answer(
        kmeans(dataset, metric="manhattan", **options)
    )


def test_the_certifier_filters_a_declared_metric_with_floats_and_agrees_with_exact_keys():
    rnd = random.Random(8)
    centroids = [tuple(Fraction(rnd.randrange(255 * 7), 7) for _ in range(3)) for _ in range(6)]
    centroids.append(centroids[2])  # an exact tie
    slack = Fraction(1, 3)
    judges = {name: Judge(centroids, REGISTRY.metric(name), slack) for name in ("euclidean", "straight", "undeclared")}
    assert _float_filter(REGISTRY.metric("straight")) is not None
    for point in _pixels(200, seed=9):
        keys = [Straight().key(point, c) for c in centroids]
        best = min(range(len(keys)), key=lambda j: (keys[j], j))
        rivals = tuple(
            sorted((j, keys[j] - keys[best]) for j in range(len(keys)) if j != best and keys[j] - keys[best] <= slack)
        )
        for name in ("euclidean", "straight"):
            found = judges[name].nearest(point)
            assert (found.best, tuple(sorted(found.rivals))) == (best, rivals)


def test_dithering_treats_a_declared_euclidean_metric_as_euclidean():
    rnd = random.Random(2)
    image = Image(9, 7, 3, 255, [rnd.randrange(256) for _ in range(9 * 7 * 3)])
    palette = [(0, 0, 0), (255, 255, 255), (200, 30, 30), (30, 200, 30), (128, 128, 128)]
    expected = list(floyd_steinberg(image, palette))  # no metric: Euclidean
    assert list(floyd_steinberg(image, palette, metric=REGISTRY.metric("straight"))) == expected
    assert list(floyd_steinberg(image, palette, metric=REGISTRY.metric("blocks"))) == list(
        floyd_steinberg(image, palette, metric=REGISTRY.metric("undeclared"))
    )


def test_explain_writes_square_roots_for_a_declared_euclidean_metric():
    image = Image(6, 4, 3, 255, [(i * 37) % 256 for i in range(6 * 4 * 3)])
    text = explain(image, 3, iterations=1, init="first", metric="straight", registry=REGISTRY)
    assert "sqrt(" in text
    assert "sqrt(" not in explain(image, 3, iterations=1, init="first", metric="blocks", registry=REGISTRY)


def test_the_plugin_guide_declaration_example_is_true_and_runs_fast():
    guide = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
    source = next(block for block in re.findall(r"```python\n(.*?)```", guide, flags=re.S) if "class Straight" in block)
    namespace: dict = {}
    exec(source, namespace)
    metric = namespace["Straight"]()
    assert check_metric(metric) > 0
    registry = Registry(load_entrypoints=False, extra_plugins=[Plugin(metric)])
    assert choose_engine("auto", registry.metric("straight")) == "fast"


# -- the plugin boundary ---------------------------------------------------------


def _register(metric):
    return Registry(load_entrypoints=False, extra_plugins=[Plugin(metric)])


def _refused(metric, pattern):
    """The metric is reported and left out (issue 17: one bad plugin does not stop the others)."""
    registry = _register(metric)
    assert "declared" not in registry.metrics
    assert len(registry.failures) == 1
    assert re.search(pattern, registry.failures[0].message), registry.failures[0].message


def _declaring(geometry="euclidean", terms=None, exact=True):
    class Declared(Straight):
        name = "declared"

        def error_terms(self, channels):
            return terms if terms != "raise" else 1 / 0

    Declared.geometry = geometry
    Declared.exact = exact
    if terms is None:
        del Declared.error_terms
    return Declared()


def test_an_unknown_geometry_is_refused_naming_the_metric_and_the_geometry():
    _refused(_declaring("hyperbolic"), "registered metric 'declared' that declares geometry 'hyperbolic'; known: euclidean")


def test_a_geometry_on_a_float_defined_metric_is_refused():
    _refused(_declaring(exact=False), "'declared' that declares geometry 'euclidean' but exact = False")


@pytest.mark.parametrize(
    "terms", [(-1.0, 0.0), (float("nan"), 0.0), (0.0, float("inf")), (1.0,), "small", [1e-9, 1e-16]]
)
def test_bad_error_terms_are_refused(terms):
    _refused(_declaring(terms=terms), r"metric 'declared' that returned .* as its error terms for 1 channels")


def test_error_terms_that_raise_are_refused():
    _refused(_declaring(terms="raise"), r"metric 'declared' that raised ZeroDivisionError in error_terms\(1\)")


def test_own_error_terms_are_accepted_and_bound_the_metric():
    metric = _register(_declaring(terms=(1e-6, 1e-12))).metric("declared")
    assert metric.error_bound(2.0, 3) == 1e-6 + 1e-12 * 2.0


def test_check_metric_accepts_true_declarations_and_catches_false_ones():
    assert check_metric(Straight()) > 0 and check_metric(Blocks()) > 0

    class Liar(Straight):
        geometry = "manhattan"  # but its key is the squared Euclidean distance

    with pytest.raises(AssertionError, match="declares geometry 'manhattan', but its keys"):
        check_metric(Liar())

    class Sloppy(Straight):
        def distance(self, a, b):
            return math.dist(a, b) * (1 + 1e-9)

    with pytest.raises(AssertionError, match="farther than .* from the true euclidean distance"):
        check_metric(Sloppy())


# -- nobody asks "is this Euclidean?" by class, module or name ---------------------

ROOT = Path(refkmeans.__file__).parent
#: The modules that consume a metric's declaration.
CONSUMERS = sorted(
    [*ROOT.glob("engine/*.py"), *ROOT.glob("conformance/*.py"), *ROOT.glob("teach/*.py")]
    + [ROOT / "dither.py", ROOT / "kmeans.py", ROOT / "quantize.py"]
)
BUILTIN_CLASSES = {"Euclidean", "SquaredEuclidean", "Manhattan", "Chebyshev"}
BUILTIN_NAMES = {"euclidean", "sqeuclidean", "manhattan", "chebyshev"}
#: Places where a built-in metric's *name* is data, not a question about a metric:
#: (module, function) -> why.
NAME_AS_DATA = {
    ("conformance/tolerance.py", "key_scale"): "KM-TOL-1 states each vector metric's key scale by name",
}


def _questions(path):
    """(line, what) for every comparison of a metric's class, module or name with a built-in one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in BUILTIN_CLASSES:
            found.append((node.lineno, f"refers to the built-in class {node.id}"))
        elif isinstance(node, ast.Attribute) and node.attr == "__module__":
            found.append((node.lineno, "reads a __module__"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "builtin.metrics" in node.value:
            found.append((node.lineno, "names the built-in metrics module"))
        elif isinstance(node, ast.ImportFrom) and _imports_builtin_metrics(node):
            found.append((node.lineno, "imports the built-in metrics"))
        elif isinstance(node, ast.Compare) and not any(map(_reads_declaration, [node.left, *node.comparators])):
            literals = {
                c.value
                for part in [node.left, *node.comparators]
                for c in ast.walk(part)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
            if literals & BUILTIN_NAMES:
                found.append((node.lineno, f"compares with the metric name(s) {sorted(literals & BUILTIN_NAMES)}"))
    return found


def _imports_builtin_metrics(node):
    module = node.module or ""
    return "builtin.metrics" in module or (module.endswith("builtin") and any(a.name == "metrics" for a in node.names))


def _reads_declaration(node):
    """True for ``geometry``, ``x.geometry`` or a call of declared_geometry / compared_geometry (geometry names
    such as "euclidean" are spelled like the built-in metrics)."""
    if isinstance(node, ast.Call):
        node = node.func
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name in ("geometry", "declared_geometry", "compared_geometry")


def _allowed(path, line):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative = path.relative_to(ROOT).as_posix()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and (relative, node.name) in NAME_AS_DATA:
            if node.lineno <= line <= (node.end_lineno or node.lineno):
                return True
    return False


def test_no_consumer_asks_which_metric_it_has_by_class_module_or_name():
    questions = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in CONSUMERS
        for line, what in _questions(path)
        if not _allowed(path, line)
    ]
    assert questions == [], "read the metric's declared geometry instead (refkmeans.metric):\n" + "\n".join(questions)


def test_every_name_as_data_exception_is_still_needed():
    used = set()
    for path in CONSUMERS:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and (relative, node.name) in NAME_AS_DATA:
                if any(node.lineno <= line <= (node.end_lineno or node.lineno) for line, _ in _questions(path)):
                    used.add((relative, node.name))
    assert used == set(NAME_AS_DATA)


def test_the_question_finder_finds_each_way_of_asking(tmp_path):
    source = tmp_path / "asks.py"
    source.write_text(
        "from refkmeans.builtin.metrics import Euclidean\n"
        "a = isinstance(m, Euclidean)\n"
        "b = type(m).__module__ == 'refkmeans.builtin.metrics'\n"
        "c = m.name in ('euclidean', 'sqeuclidean')\n"
        "d = 'chebyshev' == m.name\n"
        "e = geometry == 'euclidean' or declared_geometry(m) in SQUARED_ORDER\n",
        encoding="utf-8",
    )
    lines = {line for line, _ in _questions(source)}
    assert lines == {1, 2, 3, 4, 5}  # line 6 reads the declaration
