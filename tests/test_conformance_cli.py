"""``refkmeans conform`` from the command line: Python functions, programs, reports, exit codes."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from refkmeans.cli.main import main
from refkmeans.conformance import load_suite
from refkmeans.conformance.candidates import CommandCandidate, Crash, request
from refkmeans.conformance.suite import run_case

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = textwrap.dedent(
    '''
    import json, sys, threading
    from refkmeans.conformance.own import plain_float

    mode = sys.argv[1]

    def answer(req):
        if mode == "crash":
            print("boom: no such thing", file=sys.stderr)
            sys.exit(3)
        if mode == "hang":
            threading.Event().wait()  # never answers, however long the candidate waits
        if req["metric"] not in ("euclidean", "sqeuclidean") or req["empty"] != "keep":
            return {"unsupported": "only euclidean and keep"}
        if mode == "stale":
            out = plain_float(req["pixels"], req["init"], req["max_iter"])
            out["labels"] = out["trace"][-1]["labels"] if out["trace"] else out["labels"]
            del out["trace"]
            return out
        return plain_float(req["pixels"], req["init"], req["max_iter"])

    if mode == "garbage":
        print("this is not JSON")
    elif mode == "files":
        with open(sys.argv[2]) as f:
            req = json.load(f)
        with open(sys.argv[3], "w") as f:
            json.dump(answer(req), f)
    elif mode == "forget":
        pass
    else:
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(answer(json.loads(line))), flush=True)
    '''
)


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("prog") / "candidate.py"
    path.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n" + PROGRAM)
    return f"{sys.executable} {path}"


def test_list_shows_every_case_with_its_result_and_flags(capsys):
    assert main(["conform", "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"{len(load_suite())} case(s)"
    assert any(line.startswith("ties/gray-midpoint") and "acceptable" in line and "ExactTie" in line for line in out)


def test_print_request_gives_the_json_a_program_receives(capsys):
    assert main(["conform", "--print-request", "ties/gray-midpoint"]) == 0
    req = json.loads(capsys.readouterr().out)
    assert req == {"protocol": "refkmeans-conform/1", "case": "ties/gray-midpoint", "pixels": [[0], [5], [10]],
                   "init": [[0.0], [10.0]], "max_iter": 300, "metric": "euclidean", "empty": "keep",
                   "channels": 1, "maxval": 255}
    assert main(["conform", "--print-request", "nope/none"]) == 2


def test_a_conformant_function_exits_0(capsys):
    code = main(["conform", "--impl", "refkmeans.conformance.own:plain", "--case", "ties", "--tolerance", "exact",
                 "--ties", "lowest", "-v"])
    out = capsys.readouterr().out
    n = sum(1 for c in load_suite() if c.id.startswith("ties/"))
    assert code == 0, out
    assert f"{n} case(s): {n} pass -> CONFORMANT" in out and "verified: start" in out


def test_a_non_conformant_function_exits_7_with_the_diagnosis(capsys):
    code = main(["conform", "--impl", "peers.notebook:as_written", "--case", "notebook/uint8-trap"])
    out = capsys.readouterr().out
    assert code == 7
    assert "likely cause: wraparound" in out and "refkmeans conform --impl peers.notebook:as_written" in out


def test_the_json_report_goes_to_a_file_or_to_stdout(tmp_path, capsys):
    report = tmp_path / "report.json"
    assert main(["conform", "--impl", "refkmeans.conformance.own:plain_float", "--case", "k", "--json",
                 str(report)]) == 0
    doc = json.loads(report.read_text())
    assert doc["conformant"] and doc["summary"]["pass"] == 3 and doc["tolerance"] == "float64"
    assert [c["case"] for c in doc["cases"]] == ["k/one", "k/above-colours-first", "k/above-colours-given"]
    capsys.readouterr()
    assert main(["conform", "--impl", "refkmeans.conformance.own:plain_float", "--case", "k/one", "--json", "-"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["cases"][0]["status"] == "pass"
    assert "CONFORMANT" in captured.err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["conform"], "give exactly one of --impl"),
        (["conform", "--impl", "a:b", "--cmd", "x"], "give exactly one of --impl"),
        (["conform", "--cmd", "x", "--timeout", "0"], "--timeout must be positive"),
        (["conform", "--cmd", "'unclosed"], "cannot parse --cmd"),
        (["conform", "--cmd", "  "], "needs a program"),
        (["conform", "--cmd", "no-such-program-anywhere", "--case", "k/one"], "not found"),
        (["conform", "--case", "zzz", "--list"], "no case matches 'zzz'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_program_on_stdin_and_stdout_is_certified(program, capsys):
    assert main(["conform", "--cmd", f"{program} stdio", "--case", "basic", "--case", "metric/manhattan"]) == 0
    out = capsys.readouterr().out
    assert "3 pass, 1 skip -> CONFORMANT" in out and "only euclidean and keep" in out


def test_a_program_may_exchange_files_instead(program, capsys):
    assert main(["conform", "--cmd", f"{program} files {{input}} {{output}}", "--case", "ties/gray-midpoint"]) == 0


def test_batch_mode_starts_the_program_once(program, capsys):
    assert main(["conform", "--cmd", f"{program} stdio", "--batch", "--case", "stop", "--core"]) == 0
    assert "4 pass -> CONFORMANT" in capsys.readouterr().out


def test_core_skips_the_cases_with_other_metrics_or_policies(program, capsys):
    assert main(["conform", "--cmd", f"{program} stdio", "--core", "--case", "metric"]) == 0
    out = capsys.readouterr().out
    assert "1 pass, 2 skip" in out and "--core: metric 'manhattan'" in out


def test_a_program_that_answers_wrong_is_diagnosed_with_a_reproduction(program, capsys):
    assert main(["conform", "--cmd", f"{program} stale", "--case", "stop/max-iter-2"]) == 7
    out = capsys.readouterr().out
    assert "likely cause: stale-labels" in out
    assert f"refkmeans conform --cmd '{program} stale' --case stop/max-iter-2" in out


@pytest.mark.parametrize(
    "mode, message",
    [
        ("crash", "exit status 3: boom: no such thing"),
        ("garbage", "the answer is not JSON"),
        ("forget", "the answer is not JSON"),
    ],
)
def test_a_program_that_crashes_or_babbles_is_an_error(program, mode, message, capsys):
    assert main(["conform", "--cmd", f"{program} {mode}", "--case", "k/one"]) == 7
    out = capsys.readouterr().out
    assert out.startswith("ERROR") and message in out


def test_a_program_that_never_answers_times_out(program):
    case = next(c for c in load_suite() if c.id == "k/one")
    verdict = run_case(CommandCandidate(f"{program} hang", timeout=0.5), case, "float64")
    assert verdict.status == "error" and "no answer within 0.5 s" in verdict.message


def test_a_batch_that_crashes_or_answers_too_little_errors_every_case(program):
    cases = [c for c in load_suite() if c.id.startswith("stop/")]
    crashing = CommandCandidate(f"{program} crash", batch=True)
    crashing.prepare(cases)
    with pytest.raises(Crash, match="exit status 3"):
        crashing.answer(cases[0])
    silent = CommandCandidate(f"{program} forget", batch=True)
    silent.prepare(cases)
    with pytest.raises(Crash, match="no answer line for request 1 of 4"):
        silent.answer(cases[0])
    with pytest.raises(Crash, match="did not answer this case"):
        silent.answer(next(c for c in load_suite() if c.id == "k/one"))
    core = CommandCandidate(f"{program} stdio", batch=True, core_only=True)
    core.prepare([c for c in load_suite() if c.metric == "manhattan"])  # nothing to run
    assert core.option.endswith("--core --batch")


def test_a_program_that_forgets_its_output_file_is_an_error(program):
    case = next(c for c in load_suite() if c.id == "k/one")
    verdict = run_case(CommandCandidate(f"{program} forget {{input}} {{output}}"), case, "float64")
    assert verdict.status == "error" and "did not write the {output} file" in verdict.message


def test_a_program_that_is_not_executable_is_a_usage_error(tmp_path, capsys):
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\n")
    assert main(["conform", "--cmd", str(script), "--case", "k/one"]) == 2
    assert "is not executable" in capsys.readouterr().err


def test_the_request_holds_exact_floats_for_the_start():
    case = next(c for c in load_suite() if c.id == "ties/float64-one-ulp")
    assert request(case)["init"] == [[1.0], [3.0000000000000004]]


def test_another_vectors_folder_can_be_used(tmp_path, capsys):
    shutil.copy(ROOT / "vectors" / "v1" / "k.json", tmp_path / "k.json")
    assert main(["conform", "--vectors", str(tmp_path), "--list"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "3 case(s)"
