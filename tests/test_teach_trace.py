"""The trace (SPEC.md section 11): what it records, that it reads back, and what it promises."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refkmeans import UsageError, kmeans, quantize, write
from refkmeans.cli.main import main
from refkmeans.scene import scene
from refkmeans.trace import (
    TraceError,
    TraceRecorder,
    dumps,
    parse_lines,
    read_trace,
    trace_records,
    write_trace,
)


def brute_inertia(pixels, centroids, labels):
    return sum(sum((Fraction(x) - c) ** 2 for x, c in zip(p, centroids[j])) for p, j in zip(pixels, labels))


def brute_labels(pixels, centroids):
    def key(p, c):
        return sum((Fraction(x) - v) ** 2 for x, v in zip(p, c))

    return [min(range(len(centroids)), key=lambda j: (key(p, centroids[j]), j)) for p in pixels]


PIXELS = [(0, 0), (1, 0), (0, 1), (10, 10), (11, 10), (30, 0), (30, 0)]
START = [(0, 0), (0, 0), (12, 12)]  # a duplicate: centroid 1 starts empty


def test_every_step_line_describes_its_assignment_exactly():
    result = kmeans(PIXELS, init=START, trace=True, trace_labels=True)
    records = trace_records(result, labels=True)
    steps = [r for r in records if r["type"] == "step"]
    assert [r["iteration"] for r in steps] == list(range(result.iterations))
    for record in steps:
        centroids = [tuple(Fraction(v) for v in c) for c in record["centroids"]]
        labels = brute_labels(PIXELS, centroids)
        assert record["labels"] == labels
        assert record["counts"] == [labels.count(j) for j in range(3)]
        exact = brute_inertia(PIXELS, centroids, labels)
        assert Fraction(record["inertia_exact"]) == exact
        assert record["inertia"] == float(exact)
        assert record["centroids_float"] == [[float(v) for v in c] for c in centroids]
        assert record["empty"] == [j for j in range(3) if j not in labels]
    assert steps[0]["changed"] is None
    assert steps[0]["empty"] == [1] and steps[0]["empty_actions"] == [{"cluster": 1, "action": "kept"}]


def test_changed_and_moved_count_what_the_steps_did():
    result = kmeans(PIXELS, init=START, trace=True, trace_labels=True)
    steps = [r for r in trace_records(result, labels=True) if r["type"] == "step"]
    for before, after in zip(steps, steps[1:]):
        assert after["changed"] == sum(a != b for a, b in zip(before["labels"], after["labels"]))
        assert before["moved"] == sum(a != b for a, b in zip(before["centroids"], after["centroids"]))
    assert steps[-1]["moved"] == 0  # converged: the last update moved nothing


def test_the_farthest_policy_says_where_it_moved_an_empty_centroid():
    result = kmeans(PIXELS, init=START, empty="farthest", trace=True)
    step = trace_records(result)[1]
    # (30, 0) is the farthest pixel from its centroid (12, 12): squared distance 468
    assert step["empty_actions"] == [{"cluster": 1, "action": "relocated", "to": ["30", "0"], "to_float": [30.0, 0.0]}]


def test_the_run_and_end_lines_say_what_ran_and_how_it_ended():
    result = kmeans(PIXELS, init=START, max_iter=1, trace=True)
    records = trace_records(result, maxval=255, seed=3, source="x.ppm")
    run, end = records[0], records[-1]
    assert (run["format"], run["version"], run["k"], run["metric"], run["seed"]) == ("refkmeans-trace", 1, 3, "euclidean", 3)
    assert run["maxval"] == 255 and run["source"] == "x.ppm"
    assert end["status"] == "max_iter" and end["iterations"] == 1 and end["converged"] is False
    finals = [tuple(Fraction(v) for v in c) for c in end["centroids"]]
    assert finals == list(result.centroids)
    assert Fraction(end["inertia_exact"]) == brute_inertia(PIXELS, finals, brute_labels(PIXELS, finals))
    assert end["palette"] == [list(c) for c in result.palette(255)]


def test_a_converged_run_ends_where_its_last_step_began():
    result = kmeans(PIXELS, init=START, trace=True)
    records = trace_records(result)
    assert records[-1]["status"] == "converged"
    assert records[-1]["centroids"] == records[-2]["centroids"]


def test_a_result_without_a_trace_cannot_be_written():
    with pytest.raises(UsageError, match="trace=True"):
        trace_records(kmeans(PIXELS, init=START))
    with pytest.raises(UsageError, match="expected a Result or a Quantized"):
        write_trace("x.jsonl", "not a run")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)), min_size=3, max_size=40),
    st.integers(1, 5),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["euclidean", "sqeuclidean"]),
    st.sampled_from(["keep", "farthest"]),
)
def test_inertia_never_increases_under_a_euclidean_metric(pixels, k, seed, metric, empty):
    k = min(k, len(pixels))
    result = kmeans(pixels, k=k, seed=seed, metric=metric, empty=empty, trace=True)
    trace = parse_lines(dumps(r) for r in trace_records(result))
    exact = trace.exact_inertias()
    assert all(a >= b for a, b in zip(exact, exact[1:]))
    assert all(a >= b for a, b in zip(trace.inertias(), trace.inertias()[1:]))
    assert Fraction(trace.end["inertia_exact"]) <= exact[-1]


def test_a_trace_reads_back_exactly(tmp_path):
    q = quantize(scene(24, 16), 5, init="random", max_iter=4, trace=True, trace_labels=True)
    path = str(tmp_path / "run.jsonl")
    size = write_trace(path, q, labels=True, seed=0)
    text = open(path, encoding="utf-8").read()
    assert size == len(text.encode()) and text.count("\n") == len(text.splitlines()) == 4 + 2
    trace = read_trace(path)
    assert trace.run["width"] == 24 and trace.run["maxval"] == 255 and trace.run["seed"] == 0
    for read_back, step in zip(trace.steps, q.result.steps):
        assert read_back.centroids == list(step.centroids)
        assert read_back.inertia_exact == step.inertia
        assert read_back.counts == list(step.counts)
        assert read_back.labels == list(step.labels)
    assert trace.final_centroids() == list(q.result.centroids)
    assert trace.final_counts() == list(q.result.counts)
    assert "4 steps" in repr(trace) and "TraceStep(0" in repr(trace.steps[0])
    with pytest.raises(Exception, match="exists; use --force"):
        write_trace(path, q)
    write_trace(path, q, force=True)


def test_the_smallest_trace_another_implementation_can_write_is_read():
    trace = parse_lines(['{"iteration": 0, "inertia": 10}', "", '{"iteration": 1, "inertia": 4.5}'])
    assert trace.inertias() == [10.0, 4.5] and trace.run == {} and trace.end is None
    assert trace.exact_inertias() == [None, None]
    assert trace.final_centroids() is None and trace.final_counts() is None
    with_centroids = parse_lines(['{"iteration": 0, "inertia": 1, "centroids": [["1/2", 3]], "counts": [2]}'])
    assert with_centroids.final_centroids() == [(Fraction(1, 2), Fraction(3))]
    assert with_centroids.final_counts() == [2]


@pytest.mark.parametrize(
    "lines, message",
    [
        (["not json"], "line 1: not JSON"),
        (["[1, 2]"], "expected a JSON object"),
        (['{"type": "step", "inertia": 1}'], "a step needs 'iteration'"),
        (['{"iteration": 0}'], "a step needs 'inertia'"),
        (['{"iteration": -1, "inertia": 1}'], "'iteration' must be a non-negative integer"),
        (['{"iteration": 0, "inertia": "1"}'], "'inertia' must be a number"),
        (['{"iteration": 1, "inertia": 1}'], "expected iteration 0, got 1"),
        (['{"iteration": 0, "inertia": 1, "changed": 1.5}'], "'changed' must be an integer or null"),
        (['{"iteration": 0, "inertia": 1, "counts": [1, true]}'], "'counts' must be a list of integers"),
        (['{"iteration": 0, "inertia": 1, "centroids": [1]}'], "'centroids' must be a list of lists"),
        (['{"iteration": 0, "inertia": 1, "centroids": [[1.5]]}'], "exact rationals as text"),
        (['{"iteration": 0, "inertia": 1, "centroids": [["1/0"]]}'], "not a rational"),
        (['{"iteration": 0, "inertia": 1, "inertia_exact": "x"}'], "not a rational"),
        (['{"type": "end"}', '{"iteration": 0, "inertia": 1}'], "nothing may follow the end line"),
        (['{"iteration": 0, "inertia": 1}', '{"type": "run"}'], "the run line must come first"),
        (['{"type": "run", "format": "other"}'], "format 'other' is not"),
        (['{"type": "run", "version": 2}'], "version 2 is not supported"),
        (['{"type": "bogus"}'], "unknown line type 'bogus'"),
        (['{"type": "run"}'], "the trace holds no step"),
    ],
)
def test_a_malformed_trace_is_a_trace_error_naming_the_line(lines, message):
    with pytest.raises(TraceError, match=message):
        parse_lines(lines)


def test_reading_a_missing_or_binary_trace_fails_in_one_line(tmp_path):
    with pytest.raises(TraceError, match="cannot read .*missing.jsonl"):
        read_trace(str(tmp_path / "missing.jsonl"))
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TraceError, match="a trace is UTF-8 text"):
        read_trace(str(binary))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"iteration": 3, "inertia": 1}\n')
    with pytest.raises(TraceError, match=r"bad.jsonl: trace line 1: expected iteration 0") as info:
        read_trace(str(bad))
    assert info.value.exit_code == 3


# -- the command line ------------------------------------------------------------------


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "scene.ppm"
    write(str(path), scene(24, 16))
    return path


def test_quantize_trace_records_the_same_run_as_the_api(picture, tmp_path):
    trace_path = tmp_path / "run.jsonl"
    out = tmp_path / "out.ppm"
    assert main(["quantize", str(picture), "-o", str(out), "-k", "4", "--init", "random", "--seed", "2", "--trace", str(trace_path), "-q"]) == 0
    trace = read_trace(str(trace_path))
    expected = kmeans(scene(24, 16).pixels(), k=4, seed=2, trace=True)
    assert [s.inertia_exact for s in trace.steps] == [s.inertia for s in expected.steps]
    assert trace.run["k"] == 4 and trace.run["seed"] == 2 and trace.run["source"] == str(picture)
    assert trace.end["status"] == "converged" and trace.end["iterations"] == expected.iterations


def test_quantize_trace_to_standard_output_moves_the_report_to_stderr(picture, tmp_path, capsys):
    assert main(["quantize", str(picture), "-o", str(tmp_path / "o.ppm"), "-k", "3", "--trace", "-"]) == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert records[0]["type"] == "run" and records[-1]["type"] == "end"
    assert "PSNR" in captured.err


def test_an_empty_cluster_under_error_still_leaves_the_trace_up_to_it(tmp_path):
    path = tmp_path / "dup.ppm"
    write(str(path), scene(16, 8))
    trace_path = tmp_path / "t.jsonl"
    from refkmeans import EmptyClusterError

    for seed in range(200):
        try:
            kmeans(scene(16, 8).pixels(), k=12, seed=seed, empty="error")
        except EmptyClusterError as exc:
            expected = str(exc)
            break
    else:  # pragma: no cover - the scene has few enough colours
        pytest.fail("no seed gives an empty cluster")
    code = main(["quantize", str(path), "-o", str(tmp_path / "o.ppm"), "-k", "12", "--init", "random", "--seed", str(seed),
                 "--empty", "error", "--trace", str(trace_path), "-q"])
    assert code == 6
    trace = read_trace(str(trace_path))
    assert trace.end["status"] == "error" and trace.end["error"] == expected
    assert trace.end["iterations"] == len(trace.steps)
    assert not (tmp_path / "o.ppm").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["-o", "-", "--trace", "-"], "cannot both use standard output"),
        (["--trace", "SAME"], "would overwrite"),
        (["--trace", "INPUT"], "would overwrite"),
    ],
)
def test_a_trace_that_would_clobber_another_file_is_refused_before_any_work(picture, tmp_path, capsys, extra, message):
    out = str(tmp_path / "o.ppm")
    extra = [out if e == "SAME" else str(picture) if e == "INPUT" else e for e in extra]
    argv = ["quantize", str(picture), *(["-o", out] if "-o" not in extra else []), *extra, "-f"]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_an_existing_trace_needs_force(picture, tmp_path, capsys):
    trace_path = tmp_path / "t.jsonl"
    trace_path.write_text("keep me")
    assert main(["quantize", str(picture), "-o", str(tmp_path / "o.ppm"), "--trace", str(trace_path), "-q"]) == 5
    assert trace_path.read_text() == "keep me"


def test_a_recorder_without_a_path_does_nothing():
    recorder = TraceRecorder(None)
    seen = []
    with recorder.recording(seen.append) as callback:
        assert callback == seen.append
    recorder.finish(kmeans(PIXELS, init=START))


def test_plot_draws_a_trace_as_inertia_or_palette(picture, tmp_path, capsys):
    import xml.etree.ElementTree as ET

    trace_path = tmp_path / "run.jsonl"
    assert main(["quantize", str(picture), "-o", str(tmp_path / "o.ppm"), "-k", "4", "--trace", str(trace_path), "-q"]) == 0
    trace = read_trace(str(trace_path))
    assert main(["plot", str(trace_path)]) == 0
    svg = ET.parse(str(tmp_path / "run-inertia.svg")).getroot()
    points = [c for c in svg.iter("{http://www.w3.org/2000/svg}circle") if "iteration" in c.get("class", "")]
    assert [float(c.get("data-y")) for c in points] == trace.inertias()
    out = tmp_path / "pal.svg"
    assert main(["plot", str(trace_path), "--kind", "palette", "-o", str(out)]) == 0
    swatches = [r for r in ET.parse(str(out)).getroot().iter("{http://www.w3.org/2000/svg}rect") if r.get("class") == "swatch"]
    assert [int(r.get("data-count")) for r in swatches] == trace.end["counts"]
    assert [r.get("data-colour") for r in swatches] == ["#" + "".join(f"{v:02x}" for v in c) for c in trace.end["palette"]]


def test_plot_refuses_what_it_cannot_draw(tmp_path, capsys):
    minimal = tmp_path / "m.jsonl"
    minimal.write_text('{"iteration": 0, "inertia": 5}\n')
    assert main(["plot", str(minimal), "--kind", "palette"]) == 3
    assert "no centroids and counts" in capsys.readouterr().err
    assert main(["plot", str(minimal), "-o", str(minimal)]) == 2
    assert main(["plot", str(minimal), "-o", str(tmp_path / "x.png")]) == 2
    assert main(["plot", str(minimal)]) == 0
    ended = tmp_path / "e.jsonl"
    ended.write_text('{"type": "end", "status": "error"}\n')
    assert main(["plot", str(ended)]) == 3
    badmax = tmp_path / "b.jsonl"
    badmax.write_text('{"type": "run", "maxval": 0}\n{"iteration": 0, "inertia": 1, "centroids": [["1"]], "counts": [1]}\n')
    assert main(["plot", str(badmax), "--kind", "palette"]) == 3
    assert "maxval 0" in capsys.readouterr().err


def test_a_result_can_be_written_and_a_trace_read_from_standard_input(tmp_path, monkeypatch):
    import io as _io

    result = kmeans(PIXELS, init=START, trace=True)
    path = tmp_path / "r.jsonl"
    write_trace(str(path), result)
    monkeypatch.setattr("sys.stdin", _io.StringIO(path.read_text()))
    trace = read_trace("-")
    assert trace.run["k"] == 3 and "width" not in trace.run
    assert [s.inertia_exact for s in trace.steps] == [s.inertia for s in result.steps]


def test_plot_will_not_overwrite_its_own_input(tmp_path, capsys):
    odd = tmp_path / "trace.svg"
    odd.write_text('{"iteration": 0, "inertia": 5}\n')
    assert main(["plot", str(odd), "-o", str(odd), "-f"]) == 2
    assert "is the input" in capsys.readouterr().err
