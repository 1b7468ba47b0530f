"""The plugin host: registries by name, clear errors naming the plugin at fault."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from fractions import Fraction
from pathlib import Path

import pytest

import refkmeans
from refkmeans import PluginError, UsageError, hookimpl, kmeans
from refkmeans.metric import Metric
from refkmeans.plugins import Registry, get_registry, reset_registry

ROOT = Path(__file__).resolve().parents[1]


def plugin_module(name: str, **hooks) -> types.ModuleType:
    """A throwaway plugin module holding the given hook implementations."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


class Halfway(Metric):
    """A toy exact metric: Manhattan distance counted twice (same argmin as manhattan)."""

    name = "double-manhattan"
    description = "2 x L1"

    def distance(self, a, b):
        return 2.0 * sum(abs(x - y) for x, y in zip(a, b))

    def key(self, a, b):
        return 2 * sum(abs(Fraction(x) - y) for x, y in zip(a, b))


def test_a_plugin_metric_and_initializer_are_usable_by_name():
    def refkmeans_register_metrics(register):
        register(Halfway())

    def refkmeans_register_initializers(register):
        register("darkest", lambda data, k, rng: sorted(data.colours)[:k], "the k darkest colours")

    registry = Registry(
        load_entrypoints=False,
        extra_plugins=[
            plugin_module(
                "toy",
                refkmeans_register_metrics=refkmeans_register_metrics,
                refkmeans_register_initializers=refkmeans_register_initializers,
            )
        ],
    )
    pixels = [(0,), (1,), (7,), (9,), (30,)]
    result = kmeans(pixels, k=2, init="darkest", metric="double-manhattan", registry=registry)
    reference = kmeans(pixels, init=[(0,), (1,)], metric="manhattan", registry=registry)
    assert result.labels == reference.labels
    assert registry.initializers["darkest"].plugin == "toy"
    assert registry.initializers["darkest"].description == "the k darkest colours"


def test_duplicate_names_are_reported_naming_both_plugins_and_the_first_keeps_the_name():
    class Clash(Halfway):
        name = "euclidean"

    def refkmeans_register_metrics(register):
        register(Clash())

    registry = Registry(
        load_entrypoints=False,
        extra_plugins=[plugin_module("clasher", refkmeans_register_metrics=refkmeans_register_metrics)],
    )
    assert [f.name for f in registry.failures] == ["clasher"]
    assert "refkmeans.builtin.metrics" in str(registry.failures[0])
    assert registry.metrics["euclidean"].plugin == "refkmeans.builtin.metrics"


def test_a_plugin_that_raises_in_a_hook_is_reported_and_the_rest_work():
    def refkmeans_register_metrics(register):
        raise RuntimeError("boom")

    registry = Registry(
        load_entrypoints=False,
        extra_plugins=[plugin_module("faulty", refkmeans_register_metrics=refkmeans_register_metrics)],
    )
    assert [f.name for f in registry.failures] == ["faulty"]
    assert "boom" in str(registry.failures[0])
    assert "euclidean" in registry.metrics


@pytest.mark.parametrize(
    "returned, message",
    [
        (lambda data, k, rng: [(0,)] * (k - 1), "returned 2 centroids, expected 3"),
        (lambda data, k, rng: [(0,), (1,), (70000,)], "bad centroid"),
        (lambda data, k, rng: 5, "not a list"),
        (lambda data, k, rng: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_an_initializer_returning_nonsense_is_a_plugin_error_naming_it(returned, message):
    def refkmeans_register_initializers(register):
        register("nonsense", returned)

    registry = Registry(
        load_entrypoints=False,
        extra_plugins=[plugin_module("silly", refkmeans_register_initializers=refkmeans_register_initializers)],
    )
    with pytest.raises(PluginError) as info:
        kmeans([(0,), (1,), (2,), (3,)], k=3, init="nonsense", registry=registry)
    assert "silly" in str(info.value) and message in str(info.value)


def test_a_hook_that_does_not_exist_is_reported_and_the_plugin_left_out():
    def refkmeans_register_colours(register):  # a typo for a real hook
        pass

    registry = Registry(
        load_entrypoints=False,
        extra_plugins=[plugin_module("typo", refkmeans_register_colours=refkmeans_register_colours)],
    )
    assert [f.name for f in registry.failures] == ["typo"]
    assert "does not exist" in str(registry.failures[0])
    assert "typo" not in registry.versions


@pytest.mark.parametrize(
    "thing, message",
    [
        (types.SimpleNamespace(name="", distance=len, key=len), "without a name"),
        (types.SimpleNamespace(name="nokey", distance=len), "without a key"),
    ],
)
def test_a_malformed_metric_is_refused_at_registration(thing, message):
    def refkmeans_register_metrics(register):
        register(thing)

    registry = Registry(
        load_entrypoints=False,
        extra_plugins=[plugin_module("bad", refkmeans_register_metrics=refkmeans_register_metrics)],
    )
    assert [f.name for f in registry.failures] == ["bad"] and message in str(registry.failures[0])


def test_unknown_names_list_the_choices():
    registry = get_registry(load_entrypoints=False)
    with pytest.raises(UsageError, match="chebyshev, euclidean, manhattan, sqeuclidean"):
        registry.metric("cosine")
    with pytest.raises(UsageError, match="first, kmeans\\+\\+, random"):
        registry.initializer("magic")


def test_builtins_are_always_registered_and_described():
    info = get_registry(load_entrypoints=False).describe()
    assert {row["name"] for row in info["metrics"]} == {"euclidean", "sqeuclidean", "manhattan", "chebyshev"}
    assert {row["name"] for row in info["initializers"]} >= {"random", "kmeans++", "first"}
    assert "netpbm" in {row["name"] for row in info["codecs"]}
    assert all(row["description"] for row in info["metrics"] + info["initializers"])


def test_the_registry_is_shared_until_reset(fresh_registry):
    first = get_registry(load_entrypoints=False)
    assert get_registry(load_entrypoints=False) is first
    reset_registry()
    assert get_registry(load_entrypoints=False) is not first


# Entry-point loading is tested in a subprocess with fake installed
# distributions on sys.path, so the test run's own environment is untouched.

def plugins_json(site: Path, *args: str, env_extra=None) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(site)]))
    env.pop("REFKMEANS_LOAD_PLUGINS", None)
    env.update(env_extra or {})
    out = subprocess.run(
        [sys.executable, "-m", "refkmeans", *args, "plugins", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.fixture
def plugins(site, install_plugin):
    """A good plugin and one that fails to import, installed in ``site``."""
    install_plugin("refkmeans-good", "good_plugin", version="1.2.3")
    install_plugin("refkmeans-broken", "broken_plugin", "raise ImportError('no such thing')\n", version="0.0.1")
    return site


def test_a_broken_entry_point_is_reported_with_name_and_version_and_the_rest_load(plugins):
    info = plugins_json(plugins)
    assert "maximum" in {row["name"] for row in info["metrics"]}
    assert info["failures"] == [
        {"name": "refkmeans-broken", "version": "0.0.1", "message": "failed to load: ImportError: no such thing"}
    ]
    assert {"name": "refkmeans-good", "version": "1.2.3"} in info["plugins"]


def test_load_plugins_variable_restricts_and_empty_loads_none(plugins):
    only_good = plugins_json(plugins, env_extra={"REFKMEANS_LOAD_PLUGINS": "refkmeans-good"})
    assert only_good["failures"] == [] and "maximum" in {r["name"] for r in only_good["metrics"]}
    none = plugins_json(plugins, env_extra={"REFKMEANS_LOAD_PLUGINS": ""})
    assert none["failures"] == [] and "maximum" not in {r["name"] for r in none["metrics"]}
    assert "euclidean" in {r["name"] for r in none["metrics"]}  # built-ins cannot be disabled


def test_no_plugins_flag_loads_no_third_party_plugin(plugins):
    info = plugins_json(plugins, "--no-plugins")
    assert info["failures"] == [] and "maximum" not in {r["name"] for r in info["metrics"]}


def test_hookimpl_is_reexported_from_the_package():
    assert refkmeans.hookimpl is hookimpl
