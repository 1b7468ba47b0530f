"""The pluggy hook specifications: how plugins add initializers, metrics and codecs.

Every hook hands the plugin a ``register`` callback.  The host keeps
registries keyed by name, refuses duplicate names, and so no result ever
depends on the order in which plugins are called.

A plugin module looks like this::

    from refkmeans import hookimpl

    @hookimpl
    def refkmeans_register_metrics(register):
        register(MyMetric())
"""

from __future__ import annotations

from typing import Callable

import pluggy

PROJECT = "refkmeans"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def refkmeans_register_initializers(register: Callable[..., None]) -> None:
    """Register initializers: ``register(name, function, description="")``.

    ``function(dataset, k, rng)`` returns a list of k centroids (tuples of
    ints, Fractions or floats).  ``dataset`` is a
    :class:`refkmeans.dataset.Dataset`; ``rng`` has ``below(n)`` and
    ``permutation_prefix(n, k)`` (see :mod:`refkmeans.rng`).
    """


@hookspec
def refkmeans_register_metrics(register: Callable[..., None]) -> None:
    """Register distance metrics: ``register(metric)``.

    ``metric`` has ``name``, ``description``, ``distance(a, b) -> float``,
    ``key(a, b)`` (exact, monotone in the distance), optionally ``exact``,
    ``geometry`` (which known distance it is), ``error_terms(channels)`` or
    ``error_bound(d, channels) -> float`` (see :mod:`refkmeans.metric`).
    A bad ``geometry`` or ``error_terms`` is refused here, naming the plugin.
    """


@hookspec
def refkmeans_register_codecs(register: Callable[..., None]) -> None:
    """Register image codecs: ``register(codec)``.

    ``codec`` has ``name``, ``extensions``, ``sniff(head) -> bool``,
    ``decode(data, *, index=0, max_pixels=...) -> Image`` and
    ``encode(image, *, palette=None, indices=None, plain=False) -> bytes``
    (see :mod:`refkmeans.codec`).
    """
