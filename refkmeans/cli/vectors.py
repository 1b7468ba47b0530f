"""refkmeans vectors: write the golden vectors, or check that the committed ones are current.

    refkmeans vectors                     # (re)write ./vectors/v1
    refkmeans vectors --out DIR           # somewhere else
    refkmeans vectors --check             # exit 7 if a file differs from what would be written

The files are a pure function of the reference engine and the recipes in
refkmeans/conformance/cases.py, so regenerating them changes nothing unless
one of those changed.
"""

from __future__ import annotations

import argparse
import os

from ..conformance.vectors import SUITE_FOLDER, render_suite
from ..errors import ExitCode, OutputError, UsageError
from ..files import write_atomic


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser(
        "vectors",
        help=help,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", metavar="DIR", default=os.path.join("vectors", SUITE_FOLDER),
                        help=f"the folder to write (default vectors/{SUITE_FOLDER})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 7 if any file would change")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    files = render_suite()
    if args.check:
        if not os.path.isdir(args.out):
            # Outside a checkout there is nothing to compare with: say so, not "out of date".
            raise UsageError(
                f"no folder {args.out} to check; run from a checkout's root or give --out DIR (refkmeans vectors --out DIR writes one)"
            )
        stale = []
        for name, text in files.items():
            path = os.path.join(args.out, name)
            try:
                with open(path, "rb") as f:
                    current = f.read()
            except OSError:
                current = None
            if current != text.encode("utf-8"):
                stale.append(name)
        if stale:
            print(f"{args.out}: out of date: {', '.join(stale)} (run: refkmeans vectors --out {args.out})")
            return ExitCode.NOT_CONFORMANT
        print(f"{args.out}: {len(files)} files up to date")
        return 0
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise OutputError(f"cannot write vectors to {args.out}: it is not a folder")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {args.out}: {exc.strerror or exc}") from None
    size = 0
    for name, text in files.items():
        data = text.encode("utf-8")
        write_atomic(os.path.join(args.out, name), data)
        size += len(data)
    print(f"wrote {len(files)} files ({size:,} bytes) to {args.out}")
    return 0
