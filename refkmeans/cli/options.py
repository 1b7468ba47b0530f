"""Options shared by the commands that run k-means, and turning them into kwargs."""

from __future__ import annotations

import argparse
from typing import Any, Dict

from ..codec import DEFAULT_MAX_PIXELS
from ..engine.lloyd import EMPTY_POLICIES, exact_tol
from ..kmeans import ENGINES
from ..rng import GENERATORS

#: demo and compare show what quantize gives, so they share its start.
QUANTIZE_START = "initializer: restarts (default for quantize, demo and compare: the best of 8 k-means++ runs), random, kmeans++, first, or a plugin's"

#: Why the teaching commands (explain, animate) start from ``random``, not quantize's default.
TEACHING_START = (
    "initializer: random (default: the notebook's start, so the iterations shown are the notebook's; "
    "quantize starts from restarts, which converges in a step or two), restarts, kmeans++, first, or a plugin's"
)


def add_kmeans_options(parser: argparse.ArgumentParser, init: str = "random", init_help: str = "") -> None:
    """-k, --init, --seed, --rng, --metric, --max-iter, --tol, --empty, --engine.

    ``init`` is the default start; ``init_help`` says what it is and why.
    """
    group = parser.add_argument_group("k-means")
    group.add_argument(
        "-k", "--colours", "--colors", dest="k", type=int, default=16, help="number of colours (default 16)"
    )
    group.add_argument(
        "--init", default=init, help=init_help or f"initializer: {init} (default), random, kmeans++, first, or a plugin's"
    )
    group.add_argument("--seed", type=int, default=0, help="seed for the initializer (default 0)")
    group.add_argument("--rng", default="portable", choices=GENERATORS, help="random generator (default portable)")
    group.add_argument("--metric", default="euclidean", help="distance metric (default euclidean)")
    group.add_argument("--max-iter", type=int, default=300, help="most iterations (default 300; the notebook ran 11)")
    group.add_argument(
        "--tol",
        default=None,
        help="stop once the exact inertia changes by less than this fraction of itself in an iteration, "
        "e.g. 1e-5 (SPEC.md KM-STOP-4; default: run to a fixed point or --max-iter)",
    )
    group.add_argument("--empty", default="keep", choices=EMPTY_POLICIES, help="empty-cluster policy (default keep)")
    group.add_argument("--engine", default="auto", choices=ENGINES, help="engine (default auto)")
    group.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="refuse larger images")
    group.add_argument("--quiet", "-q", action="store_true", help="no report and no progress")


def kmeans_kwargs(args: argparse.Namespace) -> Dict[str, Any]:
    """The kmeans() keyword arguments that the parsed options ask for."""
    return {
        "init": args.init,
        "seed": args.seed,
        "rng": args.rng,
        "metric": args.metric,
        "max_iter": args.max_iter,
        "empty": args.empty,
        "engine": args.engine,
        **_tol(args.tol),
    }


def _tol(tol: Any) -> Dict[str, str]:
    """--tol as exact text ("1e-5" -> "1/100000", as a trace records it); nothing when not given (the default)."""
    exact = exact_tol(tol)
    return {} if exact is None else {"tol": str(exact)}
