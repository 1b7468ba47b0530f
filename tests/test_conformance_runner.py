"""The runner holds up against hostile or broken candidates (issue 11; issue 17 findings 16 and low items).

Tests synchronise on events the candidate causes (a pid file, a lock it holds, a line it prints),
never on sleeping; a short --timeout is used only where the candidate never answers, so the outcome
does not depend on the machine's speed.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest

from refkmeans.cli.main import main
from refkmeans.conformance import load_suite
from refkmeans.conformance.candidates import CommandCandidate, PythonCandidate, answer_limit
from refkmeans.conformance.report import verdict_lines
from refkmeans.conformance.suite import run_case, run_suite

ROOT = Path(__file__).resolve().parents[1]
BY_ID = {c.id: c for c in load_suite()}

#: A correct candidate in Python, for programs that misbehave around correct answers.
ANSWER = f"""
import json, sys, threading
sys.path.insert(0, {str(ROOT)!r})
from refkmeans.conformance.own import plain_float

def answer(req, echo=True):
    out = plain_float(req["pixels"], req["init"], req["max_iter"])
    if echo:
        out["case"] = req["case"]
    return out
"""


def script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(ANSWER + textwrap.dedent(body))
    return f"{sys.executable} {path}"


def lock_is_free(path, within=60.0):
    """Wait (on the lock itself, not the clock) until nobody holds ``path``; False if still held."""
    got = threading.Event()

    def take():
        with open(path, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            got.set()

    threading.Thread(target=take, daemon=True).start()
    return got.wait(within)


def test_a_timeout_kills_the_whole_process_group(tmp_path, capsys):
    # sh starts a grandchild that takes a lock, writes its pid, and waits forever; nobody answers.
    lock, pid_file = tmp_path / "lock", tmp_path / "pid"
    holder = tmp_path / "holder.py"
    holder.write_text(textwrap.dedent(f"""
        import fcntl, os, threading
        f = open({str(lock)!r}, "a")
        fcntl.flock(f, fcntl.LOCK_EX)
        with open({str(pid_file)!r} + ".tmp", "w") as p:
            p.write(str(os.getpid()))
        os.rename({str(pid_file)!r} + ".tmp", {str(pid_file)!r})
        threading.Event().wait()
    """))
    command = f"sh -c '{sys.executable} {holder} & {sys.executable} {holder}.wait'"
    (tmp_path / "holder.py.wait").write_text(
        f"import os, threading\nwhile not os.path.exists({str(pid_file)!r}): threading.Event().wait(0.01)\n"
        "threading.Event().wait()\n"
    )
    try:
        code = main(["conform", "--cmd", command, "--case", "k/one", "--timeout", "3"])
        assert code == 7
        assert "no answer within 3 s (--timeout); its process group was killed" in capsys.readouterr().out
        assert pid_file.exists(), "the grandchild had not started within the timeout"
        assert lock_is_free(lock), "the grandchild outlived conform"
    finally:
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_python_function_that_hangs_is_stopped_by_the_timeout(tmp_path, monkeypatch, capsys):
    (tmp_path / "hangs.py").write_text(textwrap.dedent("""
        import os, threading
        def forever(pixels, init, max_iter):
            threading.Event().wait()
        def dies(pixels, init, max_iter):
            os._exit(3)
        def exits(pixels, init, max_iter):
            raise SystemExit(0)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert main(["conform", "--impl", "hangs:forever", "--case", "k/one", "--timeout", "0.5"]) == 7
    assert "no answer within 0.5 s (--timeout); the worker process was stopped" in capsys.readouterr().out
    assert main(["conform", "--impl", "hangs:dies", "--case", "k/one"]) == 7
    assert "the worker process died (exit status 3)" in capsys.readouterr().out
    assert main(["conform", "--impl", "hangs:exits", "--case", "k/one"]) == 7
    assert "SystemExit: 0" in capsys.readouterr().out


def test_a_worker_runs_every_case_and_the_next_case_gets_a_fresh_one():
    candidate = PythonCandidate("refkmeans.conformance.own:plain_float", timeout=60)
    run = run_suite(candidate, [BY_ID["k/one"], BY_ID["basic/gray-two-groups"]])
    assert run.conformant and candidate._worker is None  # closed at the end


def test_the_deadline_bounds_the_whole_run(tmp_path, capsys):
    hang = script(tmp_path, "hang.py", "threading.Event().wait()\n")
    code = main(["conform", "--cmd", hang, "--case", "k/one", "--case", "basic/gray-two-groups",
                 "--deadline", "0.5"])
    out = capsys.readouterr().out
    assert code == 7
    assert "(--deadline); its process group was killed" in out
    assert "not run: the --deadline for the whole run had passed" in out


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "0", "-1"])
@pytest.mark.parametrize("option", ["--timeout", "--deadline"])
def test_time_limits_must_be_positive_and_finite(option, value, capsys):
    assert main(["conform", "--impl", "refkmeans.conformance.own:plain", "--case", "k/one", option, value]) == 2
    assert f"{option} must be positive, finite and at most" in capsys.readouterr().err


def test_batch_answers_are_matched_by_their_echoed_case_and_stray_lines_are_reported(tmp_path, capsys):
    # Answers in reverse order, after a log line on standard output.
    program = script(tmp_path, "reverse.py", """
        print("loading the model...", flush=True)
        requests = [json.loads(line) for line in sys.stdin if line.strip()]
        for req in reversed(requests):
            print(json.dumps(answer(req)), flush=True)
        print(json.dumps({"case": "no/such-case", "labels": [], "centroids": []}))
    """)
    code = main(["conform", "--cmd", program, "--batch", "--case", "stop", "--case", "k/one"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "note: output line 1 is not an answer: 'loading the model...'" in out
    assert "answers no request" in out


def test_batch_answers_without_an_echo_are_matched_by_position_among_answers(tmp_path, capsys):
    program = script(tmp_path, "noecho.py", """
        for line in sys.stdin:
            if line.strip():
                print("debug: got a request", flush=True)
                print(json.dumps(answer(json.loads(line), echo=False)), flush=True)
    """)
    assert main(["conform", "--cmd", program, "--batch", "--case", "stop"]) == 0
    assert "note: output line 1 is not an answer: 'debug: got a request'" in capsys.readouterr().out


def test_a_batch_crash_marks_only_the_case_that_crashes(tmp_path, capsys):
    program = script(tmp_path, "crashes.py", """
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            if req["case"] == "stop/max-iter-1":
                print("segfault, as it were", file=sys.stderr)
                sys.exit(3)
            print(json.dumps(answer(req)), flush=True)
    """)
    cases = [c for c in load_suite() if c.id.startswith("stop/")]
    candidate = CommandCandidate(program, batch=True)
    run = run_suite(candidate, cases)
    status = {v.case_id: v.status for v in run.verdicts}
    assert status.pop("stop/max-iter-1") == "error"
    assert set(status.values()) == {"pass"}, status
    assert any("after answering 1 of 4 request(s); the other 3 were rerun one process each" in n for n in run.notes)
    crashed = next(v for v in run.verdicts if v.case_id == "stop/max-iter-1")
    assert "exit status 3: segfault, as it were" in crashed.message


def test_a_program_that_answered_but_did_not_exit_is_told_exactly_that(tmp_path):
    program = script(tmp_path, "lingers.py", """
        req = json.loads(sys.stdin.readline())
        print(json.dumps(answer(req)), flush=True)
        threading.Event().wait()
    """)
    verdict = run_case(CommandCandidate(program, timeout=2), BY_ID["k/one"], "float64")
    assert verdict.status == "pass"
    assert verdict.warnings == ["the program answered but did not exit within 2 s (--timeout) after its input "
                                "ended; its process group was killed"]
    assert "  warning: the program answered but did not exit" in "\n".join(verdict_lines(verdict))


def test_output_beyond_what_any_answer_needs_is_stopped_not_buffered(tmp_path):
    program = script(tmp_path, "floods.py", """
        chunk = b"[" * 65536
        while True:
            sys.stdout.buffer.write(chunk)
    """)
    case = BY_ID["k/one"]
    assert answer_limit(case) < 8 * 2**20
    verdict = run_case(CommandCandidate(program), case, "float64")
    assert verdict.status == "error" and "more output than any answer needs" in verdict.message


def test_an_answer_that_is_not_utf8_or_nested_too_deeply_is_an_error(tmp_path):
    raw = script(tmp_path, "latin1.py", 'sys.stdout.buffer.write(b"{\\"labels\\": \\"caf\\xe9\\"}\\n")\n')
    verdict = run_case(CommandCandidate(raw), BY_ID["k/one"], "float64")
    assert verdict.status == "error" and "not UTF-8 text (byte 0xe9 at offset 15)" in verdict.message
    deep = script(tmp_path, "deep.py", 'print("[" * 100000 + "]" * 100000)\n')
    verdict = run_case(CommandCandidate(deep), BY_ID["k/one"], "float64")
    assert verdict.status == "error" and "nested too deeply" in verdict.message


@pytest.mark.parametrize("body", [
    # leaves a read-only folder in the scratch folder, then fails
    "import os\nd = os.path.join(os.path.dirname(sys.argv[-1]), 'ro')\nos.mkdir(d)\n"
    "open(os.path.join(d, 'f'), 'w').close()\nos.chmod(d, 0o500)\nsys.exit(1)\n",
    # never answers
    "threading.Event().wait()\n",
])
def test_the_temporary_folder_is_removed_however_the_run_ends(tmp_path, monkeypatch, body):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    program = script(tmp_path, "files.py", body)
    verdict = run_case(CommandCandidate(program + " {input} {output}", timeout=0.5), BY_ID["k/one"], "float64")
    assert verdict.status == "error"
    assert list(scratch.iterdir()) == []


def test_the_json_report_lists_the_runner_notes(tmp_path, capsys):
    program = script(tmp_path, "chatty.py", """
        print("hello")
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(answer(json.loads(line))), flush=True)
    """)
    assert main(["conform", "--cmd", program, "--batch", "--case", "k/one", "--json", "-"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["runner_notes"] == ["output line 1 is not an answer: 'hello'"]


def test_a_vectors_file_nested_too_deeply_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000)
    assert main(["conform", "--vectors", str(tmp_path), "--list"]) == 2
    assert "nested too deeply to read" in capsys.readouterr().err


def test_a_worker_sends_answers_back_as_plain_values():
    from fractions import Fraction

    from refkmeans.conformance.worker import plain

    class Number:
        def __float__(self):
            return 2.5

    np = pytest.importorskip("numpy")
    answer = {"labels": np.array([0, 1], dtype=np.uint8), "centroids": (np.float32(0.5), Fraction(1, 3)),
              "odd": [Number(), object, None, True, "x"]}
    back = plain(answer)
    assert back["labels"] == [0, 1] and type(back["labels"][0]) is int
    assert back["centroids"] == [0.5, Fraction(1, 3)]
    assert back["odd"][0] == 2.5 and back["odd"][1].startswith("<class") and back["odd"][2:] == [None, True, "x"]
