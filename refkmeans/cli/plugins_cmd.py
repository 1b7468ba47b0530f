"""``refkmeans plugins``: list the registered initializers, metrics and codecs."""

from __future__ import annotations

import argparse
import json

from ..plugins import get_registry


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser("plugins", help=help, description=__doc__)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = get_registry(not args.no_plugins)
    info = registry.describe()
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    print("plugins:")
    for p in info["plugins"]:
        print(f"  {p['name']} {p['version']}")
    # One name column for every table, as wide as the longest name ("pillow-jpeg2000" is 15).
    width = max((len(row["name"]) for kind in ("initializers", "metrics", "codecs") for row in info[kind]), default=0)
    for kind in ("initializers", "metrics", "codecs"):
        print(f"{kind}:")
        for row in info[kind]:
            print(f"  {row['name']:<{width}}  {row['description']}  [{row['plugin']}]")
    for f in info["failures"]:
        print(f"failed: {f['name']} {f['version']}: {f['message']}")
    for note in info.get("conflicts", []):
        print(f"conflict: {note}")
    return 0
