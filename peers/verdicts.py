"""Run every peer adapter over the suite and write docs/peers.md.

The document is generated, never edited by hand: ``python -m peers
docs/peers.md``.  It records the versions it ran with, so a test can tell
whether the committed copy is current for the environment at hand.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from refkmeans.conformance.candidates import Candidate, CommandCandidate, PythonCandidate
from refkmeans.conformance.report import markdown_details, markdown_summary
from refkmeans.conformance.stepping import PythonStepper
from refkmeans.conformance.suite import SuiteRun, run_suite
from refkmeans.conformance.vectors import SUITE_VERSION, Case, load_suite

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "peers" / "js"
ML_KMEANS = "7.0.1"


class Peer:
    """One implementation under test: how to run it and what it needs."""

    def __init__(
        self,
        name: str,
        impl: str = "",
        cmd: str = "",
        tolerance: Optional[str] = None,
        ties: str = "any",
        needs: Sequence[str] = (),
        about: str = "",
        step: bool = False,
    ) -> None:
        self.name = name
        self.impl = impl
        self.cmd = cmd
        #: Driven one iteration at a time (the step protocol, KM-PY-5).
        self.step = step
        self.tolerance = tolerance
        self.ties = ties
        self.needs = tuple(needs)
        self.about = about

    @property
    def command(self) -> str:
        """The ``refkmeans conform`` command line that runs this peer."""
        who = f"--impl {self.impl}" if self.impl else f"--cmd '{self.cmd}' --batch"
        extra = f" --tolerance {self.tolerance}" if self.tolerance and self.tolerance != "float64" else ""
        extra += f" --ties {self.ties}" if self.ties != "any" else ""
        extra += " --step" if self.step else ""
        return f"refkmeans conform {who}{extra}"

    def candidate(self) -> Candidate:
        if self.impl:
            return PythonStepper(self.impl) if self.step else PythonCandidate(self.impl)
        return CommandCandidate(self.cmd, batch=True, cwd=str(ROOT))

    def missing(self) -> Optional[str]:
        """Why this peer cannot run here, or None."""
        for need in self.needs:
            if need == "node" and shutil.which("node") is None:
                return "Node.js is not installed"
            if need == "ml-kmeans" and not (JS / "node_modules" / "ml-kmeans" / "package.json").is_file():
                return "ml-kmeans is not installed (npm install --prefix peers/js)"
            if need not in ("node", "ml-kmeans"):
                try:
                    importlib.import_module(need)
                except ImportError:
                    return f"the Python package {need!r} is not installed"
        return None


PEERS: List[Peer] = [
    Peer("refkmeans, plain engine", impl="refkmeans.conformance.own:plain", tolerance="exact", ties="lowest",
         about="The reference itself, through the public interface, held to exact arithmetic and the tie rule."),
    Peer("refkmeans, histogram engine", impl="refkmeans.conformance.own:histogram", tolerance="exact", ties="lowest",
         about="The per-colour engine, held to the same standard."),
    Peer("refkmeans, auto engine, float answers", impl="refkmeans.conformance.own:auto_float",
         about="The default engine answering with correctly rounded floats, as a float64 implementation would."),
    Peer("notebook, as written", impl="peers.notebook:as_written", needs=["numpy"]),
    Peer("notebook, bugs fixed", impl="peers.notebook:fixed", needs=["numpy"]),
    Peer("scikit-learn KMeans, lloyd", impl="peers.sklearn_kmeans:lloyd", needs=["sklearn"]),
    Peer("scikit-learn KMeans, elkan", impl="peers.sklearn_kmeans:elkan", needs=["sklearn"]),
    Peer("SciPy kmeans2", impl="peers.scipy_kmeans2:kmeans2", needs=["scipy"]),
    Peer("SciPy kmeans2, traced", impl="peers.scipy_kmeans2:kmeans2_steps", needs=["scipy"]),
    Peer("scikit-learn KMeans, lloyd, step by step", impl="peers.sklearn_kmeans:lloyd_step", needs=["sklearn"],
         step=True, about="One KMeans(max_iter=1) iteration per call, driven by the step protocol (--step): "
         "every step certified, so the empty-cluster refill is seen where it happens."),
    Peer("SciPy kmeans2, step by step", impl="peers.scipy_kmeans2:kmeans2_step", needs=["scipy"], step=True,
         about="kmeans2(iter=1) per call, driven by the step protocol (--step): the kit asks for the final "
         "labels itself, so the stale labels of the final-state adapter do not arise."),
    Peer("OpenCV kmeans", impl="peers.opencv_kmeans:kmeans", needs=["cv2"]),
    Peer("JavaScript, peers/js/kmeans.mjs", cmd="node peers/js/kmeans.mjs", needs=["node"],
         about="A 60-line k-means in plain JavaScript (float64), through the --cmd protocol."),
    Peer(f"JavaScript, ml-kmeans {ML_KMEANS} (npm)", cmd="node peers/js/ml-kmeans.mjs", needs=["node", "ml-kmeans"],
         about=f"The npm package ml-kmeans {ML_KMEANS} (mljs), called as its README shows, through the --cmd "
               "protocol; tolerance 0, traced with kmeansGenerator."),
]


def install_ml_kmeans(timeout: float = 120.0) -> Optional[str]:
    """Install the pinned ml-kmeans into peers/js/node_modules (gitignored); None on success, else why not."""
    if (JS / "node_modules" / "ml-kmeans" / "package.json").is_file():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed"
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error",
             "--fetch-retries=1", "--fetch-timeout=30000"],
            cwd=JS, capture_output=True, text=True, timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"npm install failed: {exc}"
    if done.returncode != 0:
        return f"npm install failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}"
    return None


def versions() -> Dict[str, str]:
    """The versions of the peers the verdicts depend on ('-' where absent)."""
    found: Dict[str, str] = {}
    for label, module in (("numpy", "numpy"), ("scikit-learn", "sklearn"), ("scipy", "scipy"), ("opencv", "cv2")):
        try:
            found[label] = str(importlib.import_module(module).__version__)
        except ImportError:
            found[label] = "-"
    node = shutil.which("node")
    found["node"] = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip() if node else "-"
    package = JS / "node_modules" / "ml-kmeans" / "package.json"
    found["ml-kmeans"] = json.loads(package.read_text())["version"] if package.is_file() else "-"
    return found


def about(peer: Peer) -> str:
    """The peer's description as Markdown: its own text, else its adapter's docstrings.

    That is the function's first paragraph, then the module's docstring after
    its title line (which explains how the library is called and what it does
    differently).
    """
    if peer.about or not peer.impl:
        return peer.about
    module_name, function_name = peer.impl.split(":")
    module = importlib.import_module(module_name)
    function = inspect.cleandoc(getattr(module, function_name).__doc__ or "").split("\n\n")[0]
    body = inspect.cleandoc(module.__doc__ or "").split("\n\n")[1:]
    text = "\n\n".join([" ".join(function.split())] + body)
    return text.replace("``", "`").replace("::\n", ":\n")


def run_peers(
    cases: Sequence[Case], peers: Sequence[Peer] = tuple(PEERS), log: Callable[[str], None] = lambda line: None
) -> List[Tuple[Peer, Optional[SuiteRun], str]]:
    """Each peer's run (None and the reason when it cannot run here)."""
    results: List[Tuple[Peer, Optional[SuiteRun], str]] = []
    for peer in peers:
        reason = peer.missing()
        if reason:
            log(f"{peer.name}: not run ({reason})")
            results.append((peer, None, reason))
            continue
        run = run_suite(peer.candidate(), cases, tolerance=peer.tolerance, ties=peer.ties)
        log(f"{peer.name}: {sum(run.counts().values())} cases, {run.counts()}")
        results.append((peer, run, ""))
    return results


def document(results: Sequence[Tuple[Peer, Optional[SuiteRun], str]], env: Dict[str, str]) -> str:
    """docs/peers.md as text."""
    ran = [(p, r) for p, r, _ in results if r is not None]
    lines = [
        "# How other k-means implementations fare",
        "",
        f"<!-- peers-environment: {json.dumps(env, sort_keys=True)} -->",
        "",
        "Generated by `python -m peers docs/peers.md` from the golden vectors "
        f"(suite {SUITE_VERSION}); do not edit by hand. Environment: "
        + ", ".join(f"{k} {v}" for k, v in env.items())
        + ".",
        "",
        "Each implementation runs on every case of the suite through the same interface (docs/conformance.md). "
        "**pass**: certified and identical to the reference. **acceptable**: certified, but exact ties or "
        "near-ties went the other way (each one is shown). **fail**: the first failing check, with its likely "
        "cause. **skip**: the implementation cannot express the case (another metric, another empty-cluster "
        "policy, max_iter 0). Implementations that return a trace are certified step by step; the others on "
        "their final state only.",
        "",
        "## Summary",
        "",
    ]
    lines += markdown_summary([r for _, r in ran], [p.name for p, _ in ran])
    for peer, _, reason in results:
        if reason:
            lines.append(f"\nNot run here: {peer.name} ({reason}).")
    for peer, run in ran:
        lines += ["", f"## {peer.name}", "", about(peer), "", f"Run: `{peer.command}`", ""]
        lines += markdown_details(run)
    return "\n".join(lines).rstrip() + "\n"


def recorded_environment(text: str) -> Optional[Dict[str, str]]:
    """The environment a generated document records."""
    marker = "<!-- peers-environment: "
    start = text.find(marker)
    if start < 0:
        return None
    end = text.index(" -->", start)
    return json.loads(text[start + len(marker):end])  # type: ignore[no-any-return]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m peers [OUT] [--check] [--no-install]``."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m peers", description="Run the peers and write their verdicts.")
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "peers.md"), help="default docs/peers.md")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if OUT would change")
    parser.add_argument("--no-install", action="store_true", help="do not npm-install ml-kmeans")
    args = parser.parse_args(argv)
    if not args.no_install:
        problem = install_ml_kmeans()
        if problem:
            print(f"ml-kmeans: {problem}", file=sys.stderr)
    text = document(run_peers(load_suite(), log=lambda line: print(line, file=sys.stderr)), versions())
    if args.check:
        current = Path(args.out).read_text() if os.path.exists(args.out) else ""
        if current != text:
            print(f"{args.out} is out of date: run python -m peers {args.out}", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    from refkmeans.files import write_atomic

    write_atomic(args.out, text.encode("utf-8"))
    print(f"wrote {args.out}")
    return 0
