"""refkmeans conform: certify a k-means implementation against the golden vectors.

    refkmeans conform --impl mypackage.kmeans:kmeans        # a Python function
    refkmeans conform --cmd "node kmeans.mjs" --batch       # any program (SPEC.md section C3)
    refkmeans conform --impl mylib:one_step --step          # one iteration at a time (the step protocol)
    refkmeans conform --list                                # the case ids

Exit status 0 when every case passes or is acceptable, 7 when a case fails
or the candidate crashes, 2 for a usage error.  Guide: docs/conformance.md.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..conformance.candidates import candidate_from_options, check_seconds, request
from ..conformance.certify import TIE_RULES, Verdict
from ..conformance.report import summary_line, verdict_lines
from ..conformance.suite import run_suite, select
from ..conformance.tolerance import CLASSES
from ..conformance.vectors import load_suite
from ..errors import ExitCode, UsageError
from ..files import check_writable, write_bytes


def add_parser(sub: argparse._SubParsersAction, help: str) -> None:
    parser = sub.add_parser(
        "conform",
        help=help,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    who = parser.add_argument_group("candidate (one of)")
    who.add_argument("--impl", metavar="MODULE:FUNCTION", help="a Python function f(pixels, init, max_iter)")
    who.add_argument("--cmd", metavar="'PROGRAM ARGS'", help="a program speaking the JSON protocol of SPEC.md")
    parser.add_argument("--case", action="append", default=[], metavar="ID",
                        help="only these cases: an id, a glob, or a group such as 'ties' (repeatable)")
    parser.add_argument("--vectors", metavar="DIR", help="a vectors folder (default: the bundled suite)")
    parser.add_argument("--tolerance", choices=CLASSES,
                        help="the candidate's arithmetic (default: what it declares, else float64)")
    parser.add_argument("--ties", choices=TIE_RULES, default="any",
                        help="'lowest' holds exact ties to the lowest index (default any)")
    parser.add_argument("--core", action="store_true",
                        help="--cmd: only the cases with the default metric and empty-cluster policy")
    parser.add_argument("--batch", action="store_true",
                        help="--cmd: start the program once and send every request as a JSON line")
    parser.add_argument("--step", action="store_true",
                        help="the step protocol: drive the candidate one iteration at a time (centroids in; "
                        "labels and new centroids out)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                        help="seconds per case (default 60); the candidate's process group is killed past it")
    parser.add_argument("--deadline", type=float, metavar="S",
                        help="seconds for the whole run; cases not run by then are errors")
    parser.add_argument("--json", metavar="FILE", help="also write a JSON report (- for stdout)")
    parser.add_argument("--force", "-f", action="store_true", help="replace an existing --json file")
    parser.add_argument("--verbose", "-v", action="store_true", help="show what was verified for every case")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--print-request", metavar="ID", help="print the JSON request of one case and exit")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    cases = select(load_suite(args.vectors), args.case)
    if args.list:
        for case in cases:
            print(f"{case.id:<36} {case.result:<10} {' '.join(case.flags)}")
        print(f"{len(cases)} case(s)")
        return 0
    if args.print_request:
        chosen = [c for c in cases if c.id == args.print_request]
        if not chosen:
            raise UsageError(f"no case has the id {args.print_request!r}")
        print(json.dumps(request(chosen[0])))
        return 0
    check_seconds(args.deadline, "--deadline")
    if args.json not in (None, "-"):
        check_writable(args.json, args.force)  # before the work, like quantize -o
    candidate = candidate_from_options(args.impl, args.cmd, args.timeout, args.core, args.batch, args.step)
    out = sys.stderr if args.json == "-" else sys.stdout

    def show(verdict: Verdict) -> None:
        for line in verdict_lines(verdict, args.verbose):
            print(line, file=out, flush=True)

    result = run_suite(candidate, cases, tolerance=args.tolerance, ties=args.ties, progress=show,
                       deadline=args.deadline)
    for note in result.notes:
        print(f"note: {note}", file=out)
    print(summary_line(result), file=out)
    if args.json:
        text = json.dumps(result.to_json(), indent=1) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            write_bytes(args.json, text.encode("utf-8"), args.force)
    return ExitCode.OK if result.conformant else ExitCode.NOT_CONFORMANT

