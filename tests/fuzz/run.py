"""Fuzz one decoder from the command line; crashes go to the regression corpus.

    python tests/fuzz/run.py netpbm --runs 100000            # seeded random-mutation loop
    python tests/fuzz/run.py netpbm --atheris --time 600     # coverage-guided (pip install atheris)

Both modes feed :func:`fuzz.targets.check_decode` with mutated valid files
(the target's generator and mutators); atheris also mixes in libFuzzer's own
mutations and keeps the inputs that reach new code.  A crash is written to
``tests/corpus/<codec>/crash-<sha1>`` (the loop mode does it itself; atheris
through ``-artifact_prefix``); ``tests/test_hardening_fuzz.py`` replays every
file there on each test run, and the minimised corpus in
``tests/corpus/<codec>/coverage/`` too.  To refresh that one after a long
run, merge with libFuzzer's ``-merge=1 tests/corpus/<codec>/coverage DIR``.
The loop mode prints the input count last; atheris prints ``Done N runs``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path[:0] = [p for p in (str(TESTS), str(TESTS.parent)) if p not in sys.path]  # run from anywhere

from fuzz.mutators import mutate, splice  # noqa: E402
from fuzz.targets import TARGETS, TIME_LIMIT, Crash, Target, check_decode, codec_for  # noqa: E402

CORPUS = TESTS / "corpus"


def save_crash(codec: str, data: bytes, folder: Optional[Path] = None) -> Path:
    """Write a crashing input to the regression corpus under its SHA-1."""
    folder = folder or CORPUS / codec
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{hashlib.sha1(data).hexdigest()}"
    path.write_bytes(data)
    return path


def fuzz_input(target: Target, rnd: random.Random) -> bytes:
    """One input: a valid file, usually mutated, sometimes spliced with another."""
    data = target.valid_file(rnd)
    if rnd.random() < 0.1:
        data = splice(data, target.valid_file(rnd), rnd)
    if rnd.random() < 0.95:
        data = mutate(data, rnd, target.mutators)
    return data


def loop(
    target: Target, runs: int, seed: int, seconds: float, save: bool, measure: bool, time_limit: Optional[float] = TIME_LIMIT
) -> int:
    """The plain random-mutation loop, ``runs`` inputs or ``seconds``, whichever ends first; returns the number of crashes.

    ``time_limit``: seconds one decode may take (None: no limit, as in the test suite).
    """
    codec = codec_for(target)
    assert codec is not None
    rnd = random.Random(seed)
    counts = {"image": 0, "error": 0}
    crashes = 0
    started = time.monotonic()
    measure = measure and target.traced
    if measure:
        tracemalloc.start()
    done = 0
    while done < runs and time.monotonic() - started < seconds:
        data = fuzz_input(target, rnd)
        index = 0 if rnd.random() < 0.8 else rnd.randint(1, 2)
        done += 1
        try:
            counts[check_decode(codec, data, index=index, roundtrip=target.roundtrip, traced=target.traced, time_limit=time_limit)] += 1
        except Crash as exc:
            crashes += 1
            where = save_crash(target.codec, data) if save else "(not saved)"
            print(f"CRASH {exc} -> {where}", flush=True)
    if measure:
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    print(
        f"{target.codec}: {done} inputs in {elapsed:.1f} s (seed {seed}): "
        f"{counts['image']} images, {counts['error']} errors, {crashes} crashes"
    )
    return crashes


def run_atheris(target: Target, args: argparse.Namespace, rest: List[str]) -> None:
    """Coverage-guided fuzzing with atheris (libFuzzer); never returns."""
    import atheris  # only here: the loop mode and the test suite do not need it

    codec = codec_for(target)
    assert codec is not None
    atheris.instrument_all()
    if args.tracemalloc and target.traced:
        tracemalloc.start()

    def test_one_input(data: bytes) -> None:
        check_decode(codec, data, roundtrip=target.roundtrip, time_limit=TIME_LIMIT)

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rnd = random.Random(seed)
        choice = rnd.random()
        if choice < 0.1:
            data = target.valid_file(rnd)
        if choice < 0.6:
            data = mutate(data, rnd, target.mutators)
        else:
            data = atheris.Mutate(data, max_size)
        return data[:max_size]

    seeds = Path(tempfile.mkdtemp(prefix=f"fuzz-{target.codec}-"))
    rnd = random.Random(args.seed)
    for i in range(200):
        (seeds / f"seed-{i}").write_bytes(target.valid_file(rnd))
    crashes = CORPUS / target.codec
    crashes.mkdir(parents=True, exist_ok=True)
    # New inputs go to the first folder (a temporary one); the committed
    # coverage corpus, if any, only seeds the run.
    known = [str(d) for d in [crashes / "coverage"] if d.is_dir()]
    argv = [sys.argv[0], str(seeds), *known, f"-artifact_prefix={crashes}{os.sep}", "-max_len=4096", f"-seed={args.seed}"]
    if args.runs:
        argv.append(f"-runs={args.runs}")
    if args.time:
        argv.append(f"-max_total_time={int(args.time)}")
    atheris.Setup(argv + rest, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("codec", choices=[t.codec for t in TARGETS])
    parser.add_argument("--runs", type=int, default=0, help="inputs to run (loop default 10000)")
    parser.add_argument("--time", type=float, default=0, help="seconds to run (0: no limit)")
    parser.add_argument("--decode-limit", type=float, default=TIME_LIMIT,
                        help=f"seconds one decode may take (default {TIME_LIMIT:g}; 0: no limit)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--atheris", action="store_true", help="coverage-guided with atheris")
    parser.add_argument("--no-tracemalloc", dest="tracemalloc", action="store_false", help="skip allocation checks")
    parser.add_argument("--no-save", dest="save", action="store_false", help="do not write crashes to the corpus")
    args, rest = parser.parse_known_args(argv)
    target = next(t for t in TARGETS if t.codec == args.codec)
    if codec_for(target) is None:
        print(f"codec {args.codec!r} is not installed", file=sys.stderr)
        return 2
    if args.atheris:
        run_atheris(target, args, rest)
        return 0
    runs = args.runs or (10**12 if args.time else 10000)
    limit = args.decode_limit or None
    return 1 if loop(target, runs, args.seed, args.time or float("inf"), args.save, args.tracemalloc, limit) else 0


if __name__ == "__main__":
    sys.exit(main())
