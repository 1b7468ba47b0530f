"""Tests for the ``refkmeans`` command line: commands, reports, exit codes, files.

Most tests call ``refkmeans.cli.main.main`` in this process through
:func:`run`, which gives it a working folder, an environment and standard
streams and returns what a process would (exit code, stdout and stderr as
bytes).  :func:`run_process` runs a real ``python -m refkmeans`` for what only
a process shows; one test checks that both agree on each kind of outcome.
Signals and interrupted writes are in tests/test_hardening_faults.py.

Images are tiny and made here, byte by byte, so every run takes a fraction of
a second; the output is parsed with a small P6 reader in this file, so the
checks do not depend on the codec under test.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from refkmeans import Image, write
from refkmeans.cli import main as cli_main
from refkmeans.cli import plugins_cmd, quantize_cmd
from refkmeans.cli.progress import Progress
from refkmeans.plugins import LOAD_ENV, reset_registry
from refkmeans.result import Step
from refkmeans.scene import scene

REPO = Path(__file__).resolve().parents[1]

W, H = 8, 6


# -- helpers ----------------------------------------------------------------------


def ppm_bytes(width: int, height: int, pixels: list[tuple[int, int, int]]) -> bytes:
    """A raw P6 file written by hand."""
    assert len(pixels) == width * height
    return b"P6\n%d %d\n255\n" % (width, height) + bytes(v for p in pixels for v in p)


def parse_p6(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """A minimal reader for the raw P6 files refkmeans writes (no comments)."""
    match = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert match, data[:20]
    width, height, maxval = (int(g) for g in match.groups())
    assert maxval == 255
    raster = data[match.end() :]
    assert len(raster) == width * height * 3
    pixels = [tuple(raster[i : i + 3]) for i in range(0, len(raster), 3)]
    return width, height, pixels  # type: ignore[return-value]


def sample_pixels() -> list[tuple[int, int, int]]:
    """48 distinct colours in an 8x6 grid."""
    return [(x * 30, y * 40, (x + y) * 15) for y in range(H) for x in range(W)]


SAMPLE = ppm_bytes(W, H, sample_pixels())


def env() -> dict[str, str]:
    """The environment of a real ``python -m refkmeans`` child."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.pop("REFKMEANS_DEBUG", None)
    # These tests pin the core's own behaviour; the first-party plugins
    # (PNG, Pillow, colour) are tested through the CLI in their own folders.
    e[LOAD_ENV] = ""
    return e


def run_process(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """``python -m refkmeans ARGS`` in a real process: for what only a process shows."""
    return subprocess.run([sys.executable, "-m", "refkmeans", *args], cwd=cwd, input=stdin, capture_output=True, env=env())


def run(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """``refkmeans ARGS`` in this process, seen as a process would be: working folder,
    environment, standard streams (bytes) and exit code; argparse's exits included."""
    saved = os.getcwd(), dict(os.environ), sys.stdin, sys.stdout, sys.stderr
    streams = [io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="\n", write_through=True) for _ in range(2)]
    os.chdir(cwd)
    os.environ.update({LOAD_ENV: ""})
    os.environ.pop("REFKMEANS_DEBUG", None)
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8")
    sys.stdout, sys.stderr = streams
    reset_registry()
    try:
        try:
            code = cli_main.main(list(args))
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        for stream in streams:
            stream.flush()
    finally:
        os.chdir(saved[0])
        os.environ.clear()
        os.environ.update(saved[1])
        sys.stdin, sys.stdout, sys.stderr = saved[2:]
        reset_registry()
    out, err = (stream.buffer.getvalue() for stream in streams)  # type: ignore[attr-defined]
    return subprocess.CompletedProcess(["refkmeans", *args], code, out, err)


def err(proc: subprocess.CompletedProcess) -> str:
    return proc.stderr.decode()


def without_progress(text: str) -> str:
    """``text`` less the progress lines a run prints once it has taken a second (a busy machine's doing)."""
    return "".join(line for line in text.splitlines(keepends=True) if not re.match(r"refkmeans: (iteration \d|.*\.\.\.$)", line))


def out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout.decode()


def assert_one_line_error(proc: subprocess.CompletedProcess) -> str:
    text = err(proc)
    assert "Traceback" not in text
    assert text.endswith("\n") and text.count("\n") == 1, text
    assert text.startswith("refkmeans: error: "), text
    return text


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder holding in.ppm, the 8x6 sample image."""
    (tmp_path / "in.ppm").write_bytes(SAMPLE)
    return tmp_path


def report_value(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.startswith(key + " "):
            return line[len(key) :].strip()
    raise AssertionError(f"no {key!r} line in report:\n{text}")


# -- quantize: the happy paths ------------------------------------------------------


def test_quantize_writes_default_output_name_and_full_report(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "4")
    assert proc.returncode == 0, err(proc)
    output = work / "in-k4.ppm"
    assert output.exists()
    assert listing(work) == ["in-k4.ppm", "in.ppm"]
    text = out(proc)
    assert report_value(text, "image").startswith("8x6, 3 channel(s), maxval 255")
    assert report_value(text, "colours") == "48 -> 4"
    assert re.fullmatch(r"\d+ \((converged|stopped at --max-iter)\)", report_value(text, "iterations"))
    assert re.fullmatch(r"[0-9.e+]+ \([0-9.e+]+ per pixel\)", report_value(text, "inertia"))
    assert re.fullmatch(r"[0-9.]+ dB", report_value(text, "PSNR"))
    assert report_value(text, "bits/pixel") == "2 for the indices vs 24 in the input"
    assert report_value(text, "file size").startswith(f"{len(SAMPLE)} -> {output.stat().st_size} bytes")
    palette = report_value(text, "palette").split()
    assert len(palette) == 4 and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in palette)
    assert report_value(text, "wrote") == "in-k4.ppm"
    assert without_progress(err(proc)) == ""


def test_quantize_output_has_at_most_k_colours_all_from_the_reported_palette(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "5", "--seed", "3", "-o", "out.ppm")
    assert proc.returncode == 0, err(proc)
    width, height, pixels = parse_p6((work / "out.ppm").read_bytes())
    assert (width, height) == (W, H)
    colours = set(pixels)
    assert 1 <= len(colours) <= 5
    palette = {tuple(bytes.fromhex(c[1:])) for c in report_value(out(proc), "palette").split()}
    assert colours <= palette


def test_quantize_reported_psnr_matches_the_written_output(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "3", "-o", "out.ppm")
    assert proc.returncode == 0, err(proc)
    _, _, pixels = parse_p6((work / "out.ppm").read_bytes())
    error = sum((a - b) ** 2 for p, q in zip(sample_pixels(), pixels) for a, b in zip(p, q))
    psnr = 10 * math.log10(255**2 / (error / (W * H * 3)))
    assert report_value(out(proc), "PSNR") == f"{psnr:.2f} dB"


def test_quantize_with_as_many_colours_as_the_image_reports_infinite_psnr(tmp_path: Path) -> None:
    pixels = [(10, 20, 30)] * 24 + [(200, 100, 0)] * 24
    (tmp_path / "two.ppm").write_bytes(ppm_bytes(W, H, pixels))
    proc = run(tmp_path, "quantize", "two.ppm", "-k", "2", "--init", "kmeans++")
    assert proc.returncode == 0, err(proc)
    assert report_value(out(proc), "PSNR") == "inf dB"
    assert report_value(out(proc), "colours") == "2 -> 2"
    assert parse_p6((tmp_path / "two-k2.ppm").read_bytes())[2] == pixels


def test_quantize_output_to_stdout_writes_image_bytes_and_report_to_stderr(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "4", "-o", "-")
    assert proc.returncode == 0, err(proc)
    width, height, pixels = parse_p6(proc.stdout)
    assert (width, height) == (W, H) and len(set(pixels)) <= 4
    assert report_value(err(proc), "colours") == "48 -> 4"
    assert "wrote" not in err(proc)
    assert listing(work) == ["in.ppm"]


def test_quantize_reads_stdin_and_names_the_default_output_quantized_kK(tmp_path: Path) -> None:
    proc = run(tmp_path, "quantize", "-", "-k", "3", stdin=SAMPLE)
    assert proc.returncode == 0, err(proc)
    assert listing(tmp_path) == ["quantized-k3.ppm"]
    assert len(set(parse_p6((tmp_path / "quantized-k3.ppm").read_bytes())[2])) <= 3
    text = out(proc)
    assert report_value(text, "colours") == "48 -> 3"
    assert "file size" not in text  # the input size is unknown on stdin


def test_quantize_stdin_to_stdout(tmp_path: Path) -> None:
    proc = run(tmp_path, "quantize", "-", "-k", "2", "-o", "-", "-q", stdin=SAMPLE)
    assert proc.returncode == 0, err(proc)
    assert err(proc) == ""
    assert len(set(parse_p6(proc.stdout)[2])) <= 2
    assert listing(tmp_path) == []


def test_quantize_quiet_prints_nothing(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-q")
    assert proc.returncode == 0
    assert proc.stdout == b"" and proc.stderr == b""
    assert (work / "in-k2.ppm").exists()


def test_quantize_default_output_goes_beside_an_input_in_another_folder(tmp_path: Path) -> None:
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.ppm").write_bytes(SAMPLE)
    proc = run(tmp_path, "quantize", "pics/a.ppm", "-k", "2", "-q")
    assert proc.returncode == 0, err(proc)
    assert listing(tmp_path / "pics") == ["a-k2.ppm", "a.ppm"]


def test_quantize_default_output_of_an_input_without_extension_is_ppm(tmp_path: Path) -> None:
    (tmp_path / "picture").write_bytes(SAMPLE)
    proc = run(tmp_path, "quantize", "picture", "-k", "2", "-q")
    assert proc.returncode == 0, err(proc)
    assert parse_p6((tmp_path / "picture-k2.ppm").read_bytes())[:2] == (W, H)


def test_quantize_plain_writes_p3(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-q", "--plain", "-o", "out.ppm")
    assert proc.returncode == 0, err(proc)
    assert (work / "out.ppm").read_bytes().startswith(b"P3")


def test_quantize_format_option_allows_any_extension(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-q", "--format", "netpbm", "-o", "out.bin")
    assert proc.returncode == 0, err(proc)
    assert parse_p6((work / "out.bin").read_bytes())[:2] == (W, H)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "manhattan", "chebyshev"])
@pytest.mark.parametrize("init", ["random", "kmeans++", "first"])
def test_quantize_accepts_every_builtin_metric_and_initializer(work: Path, metric: str, init: str) -> None:
    code = cli_main.main(["quantize", str(work / "in.ppm"), "-k", "3", "-q", "--metric", metric,
                          "--init", init, "-o", str(work / "out.ppm")])
    assert code == 0
    assert len(set(parse_p6((work / "out.ppm").read_bytes())[2])) <= 3


# -- quantize: refusing and failing -----------------------------------------------


def test_quantize_refuses_existing_output_without_force_and_leaves_it_untouched(work: Path) -> None:
    (work / "out.ppm").write_bytes(b"precious")
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", "out.ppm")
    assert proc.returncode == 5
    assert "--force" in assert_one_line_error(proc)
    assert (work / "out.ppm").read_bytes() == b"precious"
    assert proc.stdout == b""
    assert temp_files(work) == []


def test_quantize_refuses_existing_default_output_without_force(work: Path) -> None:
    (work / "in-k2.ppm").write_bytes(b"precious")
    proc = run(work, "quantize", "in.ppm", "-k", "2")
    assert proc.returncode == 5
    assert (work / "in-k2.ppm").read_bytes() == b"precious"


def test_quantize_force_replaces_existing_output(work: Path) -> None:
    (work / "out.ppm").write_bytes(b"old")
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", "out.ppm", "--force")
    assert proc.returncode == 0, err(proc)
    assert parse_p6((work / "out.ppm").read_bytes())[:2] == (W, H)
    assert listing(work) == ["in.ppm", "out.ppm"]


def test_quantize_refuses_a_dangling_symlink_as_output_without_force(work: Path) -> None:
    (work / "link.ppm").symlink_to(work / "nowhere.ppm")
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", "link.ppm")
    assert proc.returncode == 5
    assert (work / "link.ppm").is_symlink()


def test_quantize_output_that_is_a_directory_exits_5(work: Path) -> None:
    (work / "d.ppm").mkdir()
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", "d.ppm", "--force")
    assert proc.returncode == 5
    assert "directory" in assert_one_line_error(proc)
    assert listing(work / "d.ppm") == []


def test_quantize_output_in_a_missing_folder_exits_5(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", "no/such/out.ppm")
    assert proc.returncode == 5
    assert "does not exist" in assert_one_line_error(proc)
    assert not (work / "no").exists()


def test_quantize_output_under_a_regular_file_exits_5(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", "in.ppm/out.ppm")
    assert proc.returncode == 5
    assert (work / "in.ppm").read_bytes() == SAMPLE


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_quantize_input_equal_to_output_exits_2_and_input_unchanged(work: Path, force: list[str]) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", "./in.ppm", *force)
    assert proc.returncode == 2
    assert "is the input" in assert_one_line_error(proc)
    assert (work / "in.ppm").read_bytes() == SAMPLE
    assert listing(work) == ["in.ppm"]


def test_quantize_output_symlinked_to_the_input_exits_2(work: Path) -> None:
    (work / "alias.ppm").symlink_to("in.ppm")
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", "alias.ppm", "--force")
    assert proc.returncode == 2
    assert (work / "in.ppm").read_bytes() == SAMPLE
    assert (work / "alias.ppm").is_symlink()


def test_quantize_output_hard_linked_to_the_input_exits_2(work: Path) -> None:
    os.link(work / "in.ppm", work / "same.ppm")
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", "same.ppm", "--force")
    assert proc.returncode == 2
    assert (work / "in.ppm").read_bytes() == SAMPLE


@pytest.mark.parametrize("name", ["out.png", "out", "out.ppm.bak"])
def test_quantize_unknown_output_extension_exits_2_and_writes_nothing(work: Path, name: str) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-o", name)
    assert proc.returncode == 2
    assert "--format" in assert_one_line_error(proc)
    assert listing(work) == ["in.ppm"]


def test_quantize_unknown_format_exits_2_and_writes_nothing(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "2", "--format", "png", "-o", "out.ppm")
    assert proc.returncode == 2
    assert "unknown codec 'png'" in assert_one_line_error(proc)
    assert listing(work) == ["in.ppm"]


def test_quantize_uppercase_extension_is_recognised(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-q", "-o", "OUT.PPM")
    assert proc.returncode == 0, err(proc)
    assert (work / "OUT.PPM").exists()


def test_quantize_missing_input_exits_3(tmp_path: Path) -> None:
    proc = run(tmp_path, "quantize", "missing.ppm", "-k", "2")
    assert proc.returncode == 3
    assert "missing.ppm" in assert_one_line_error(proc)
    assert listing(tmp_path) == []


def test_quantize_missing_input_with_an_existing_output_is_not_an_internal_error(tmp_path: Path) -> None:
    # os.path.samefile() on a missing input used to escape as FileNotFoundError (exit 1).
    (tmp_path / "out.ppm").write_bytes(b"old")
    proc = run(tmp_path, "quantize", "missing.ppm", "-k", "2", "-o", "out.ppm", "--force")
    assert proc.returncode == 3, err(proc)
    assert_one_line_error(proc)
    assert (tmp_path / "out.ppm").read_bytes() == b"old"
    proc = run(tmp_path, "quantize", "missing.ppm", "-k", "2", "-o", "out.ppm")
    assert proc.returncode in (3, 5), err(proc)
    assert_one_line_error(proc)
    assert (tmp_path / "out.ppm").read_bytes() == b"old"


def test_quantize_input_that_is_a_directory_exits_3(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    proc = run(tmp_path, "quantize", "d", "-k", "2", "-o", "out.ppm")
    assert proc.returncode == 3
    assert "directory" in assert_one_line_error(proc)
    assert not (tmp_path / "out.ppm").exists()


@pytest.mark.parametrize(
    "data",
    [
        b"P6\n8 6\n255\nabc",  # truncated raster
        b"P6\n8 x\n255\n",  # bad header number
        b"P6\n8 6\n0\n",  # maxval 0
        b"GIF89a not an image at all",  # no codec recognises it
        b"",  # empty file
    ],
    ids=["truncated", "bad-number", "maxval-0", "unknown-format", "empty"],
)
def test_quantize_malformed_input_exits_3_with_one_line_and_no_output(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "bad.ppm").write_bytes(data)
    proc = run(tmp_path, "quantize", "bad.ppm", "-k", "2")
    assert proc.returncode == 3
    assert "bad.ppm" in assert_one_line_error(proc)
    assert proc.stdout == b""
    assert listing(tmp_path) == ["bad.ppm"]


def test_quantize_malformed_stdin_exits_3(tmp_path: Path) -> None:
    proc = run(tmp_path, "quantize", "-", "-k", "2", "-o", "-", stdin=b"P6\n2 2\n255\n\x00")
    assert proc.returncode == 3
    assert_one_line_error(proc)
    assert proc.stdout == b""


def test_quantize_image_index_beyond_the_file_exits_3(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "--index", "1", "-o", "out.ppm")
    assert proc.returncode == 3
    assert_one_line_error(proc)
    assert listing(work) == ["in.ppm"]


def test_quantize_image_above_max_pixels_exits_3(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "--max-pixels", "47", "-o", "out.ppm")
    assert proc.returncode == 3
    assert "limit" in assert_one_line_error(proc)


@pytest.mark.parametrize(
    "args",
    [["-k", "0"], ["-k", "-3"], ["-k", "49"], ["--max-iter", "-1"], ["--metric", "cosine"], ["--init", "magic"]],
    ids=["k0", "k-negative", "k-above-pixels", "max-iter-negative", "metric", "init"],
)
def test_quantize_bad_kmeans_option_exits_2_with_one_line_and_no_output(work: Path, args: list[str]) -> None:
    proc = run(work, "quantize", "in.ppm", "-o", "out.ppm", *args)
    assert proc.returncode == 2
    assert_one_line_error(proc)
    assert listing(work) == ["in.ppm"]


def test_quantize_unknown_metric_message_lists_the_choices(work: Path) -> None:
    proc = run(work, "quantize", "in.ppm", "--metric", "cosine")
    assert "chebyshev, euclidean, manhattan, sqeuclidean" in err(proc)


@pytest.mark.parametrize(
    "args",
    [["-k", "two"], ["--empty", "panic"], ["--engine", "gpu"], ["--rng", "mt"], ["--bogus"]],
)
def test_quantize_argparse_rejections_exit_2(work: Path, args: list[str]) -> None:
    proc = run(work, "quantize", "in.ppm", "-o", "out.ppm", *args)
    assert proc.returncode == 2
    assert "usage:" in err(proc)
    assert listing(work) == ["in.ppm"]


def test_quantize_without_input_exits_2(tmp_path: Path) -> None:
    proc = run(tmp_path, "quantize")
    assert proc.returncode == 2
    assert "usage:" in err(proc)


def duplicate_image(folder: Path) -> None:
    # Two colours, the first four pixels alike: --init first -k 3 starts with
    # three equal centroids, and the later duplicates lose every tie.
    (folder / "dup.ppm").write_bytes(ppm_bytes(4, 2, [(1, 2, 3)] * 4 + [(9, 9, 9)] * 4))


def test_quantize_empty_cluster_with_empty_error_exits_6_and_writes_nothing(tmp_path: Path) -> None:
    duplicate_image(tmp_path)
    proc = run(tmp_path, "quantize", "dup.ppm", "-k", "3", "--init", "first", "--empty", "error", "-o", "out.ppm")
    assert proc.returncode == 6
    assert "empty" in assert_one_line_error(proc)
    assert listing(tmp_path) == ["dup.ppm"]


@pytest.mark.parametrize("policy", ["keep", "farthest"])
def test_quantize_empty_cluster_under_other_policies_succeeds(tmp_path: Path, policy: str) -> None:
    duplicate_image(tmp_path)
    proc = run(tmp_path, "quantize", "dup.ppm", "-k", "3", "--init", "first", "--empty", policy, "-o", "out.ppm")
    assert proc.returncode == 0, err(proc)
    assert set(parse_p6((tmp_path / "out.ppm").read_bytes())[2]) == {(1, 2, 3), (9, 9, 9)}
    assert report_value(out(proc), "colours") == "2 -> 2"


# -- temp files and modes ---------------------------------------------------------


def test_no_temp_files_left_after_success_or_failure(work: Path) -> None:
    assert run(work, "quantize", "in.ppm", "-k", "2", "-o", "a.ppm").returncode == 0
    assert run(work, "quantize", "in.ppm", "-k", "2", "-o", "a.ppm").returncode == 5
    assert run(work, "quantize", "in.ppm", "-k", "2", "-o", "a.ppm", "--force").returncode == 0
    assert run(work, "quantize", "in.ppm", "-k", "0", "-o", "b.ppm").returncode == 2
    (work / "bad.ppm").write_bytes(b"P6\n8 6\n255\n")
    assert run(work, "quantize", "bad.ppm", "-o", "c.ppm").returncode == 3
    assert temp_files(work) == []
    assert listing(work) == ["a.ppm", "bad.ppm", "in.ppm"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_file_mode_follows_the_umask_not_0600(work: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        proc = run(work, "quantize", "in.ppm", "-k", "2", "-q", "-o", "out.ppm")
    finally:
        os.umask(old)
    assert proc.returncode == 0, err(proc)
    assert stat.S_IMODE((work / "out.ppm").stat().st_mode) == mode


def test_force_keeps_the_mode_of_the_replaced_file(work: Path) -> None:
    target = work / "out.ppm"
    target.write_bytes(b"old")
    target.chmod(0o604)
    proc = run(work, "quantize", "in.ppm", "-k", "2", "-q", "-o", "out.ppm", "--force")
    assert proc.returncode == 0, err(proc)
    assert stat.S_IMODE(target.stat().st_mode) == 0o604
    assert target.read_bytes() != b"old"


# -- top level and plugins ----------------------------------------------------------


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    import refkmeans

    proc = run(tmp_path, "--version")
    assert proc.returncode == 0
    assert out(proc).strip() == f"refkmeans {refkmeans.__version__}"


def test_no_command_prints_help_to_stderr_and_exits_2(tmp_path: Path) -> None:
    proc = run(tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert "usage: refkmeans" in err(proc)
    for command in ("quantize", "demo", "plugins"):
        assert command in err(proc)


def test_unknown_command_exits_2(tmp_path: Path) -> None:
    proc = run(tmp_path, "frobnicate")
    assert proc.returncode == 2
    assert "usage:" in err(proc)


def test_help_exits_0(tmp_path: Path) -> None:
    proc = run(tmp_path, "quantize", "--help")
    assert proc.returncode == 0
    assert "--empty" in out(proc) and "--force" in out(proc)


BUILTIN_INITIALIZERS = {"random", "kmeans++", "first", "restarts"}
BUILTIN_METRICS = {"euclidean", "sqeuclidean", "manhattan", "chebyshev"}


def test_plugins_lists_builtin_initializers_metrics_and_codecs(tmp_path: Path) -> None:
    proc = run(tmp_path, "plugins")
    assert proc.returncode == 0, err(proc)
    lines = out(proc).splitlines()
    sections: dict[str, set[str]] = {}
    current = ""
    for line in lines:
        if not line.startswith(" "):
            current = line.rstrip(":")
            sections[current] = set()
        else:
            sections[current].add(line.split()[0])
    assert BUILTIN_INITIALIZERS <= sections["initializers"]
    assert BUILTIN_METRICS <= sections["metrics"]
    assert "netpbm" in sections["codecs"]
    assert {"refkmeans.builtin.initializers", "refkmeans.builtin.metrics", "refkmeans.builtin.netpbm"} <= sections[
        "plugins"
    ]


def test_plugins_json_is_valid_and_lists_the_builtins(tmp_path: Path) -> None:
    proc = run(tmp_path, "plugins", "--json")
    assert proc.returncode == 0, err(proc)
    info = json.loads(out(proc))
    assert set(info) >= {"plugins", "initializers", "metrics", "codecs", "failures"}
    assert BUILTIN_INITIALIZERS <= {row["name"] for row in info["initializers"]}
    assert BUILTIN_METRICS <= {row["name"] for row in info["metrics"]}
    assert "netpbm" in {row["name"] for row in info["codecs"]}
    for kind in ("initializers", "metrics", "codecs"):
        for row in info[kind]:
            assert set(row) == {"name", "plugin", "description"}
            assert row["description"], row
    assert {p["name"]: p["version"] for p in info["plugins"]}["refkmeans.builtin.netpbm"] == "builtin"


def test_no_plugins_lists_only_the_builtins(tmp_path: Path) -> None:
    proc = run(tmp_path, "--no-plugins", "plugins", "--json")
    assert proc.returncode == 0, err(proc)
    info = json.loads(out(proc))
    assert all(p["version"] == "builtin" for p in info["plugins"])
    assert info["failures"] == []
    assert {row["name"] for row in info["initializers"]} == BUILTIN_INITIALIZERS
    assert {row["name"] for row in info["metrics"]} == BUILTIN_METRICS
    assert {row["name"] for row in info["codecs"]} == {"netpbm", "gif"}


def test_no_plugins_quantize_works(work: Path) -> None:
    proc = run(work, "--no-plugins", "quantize", "in.ppm", "-k", "2", "-q")
    assert proc.returncode == 0, err(proc)
    assert (work / "in-k2.ppm").exists()


# -- demo -------------------------------------------------------------------------


def test_demo_writes_scene_and_quantized_scene(tmp_path: Path) -> None:
    proc = run(tmp_path, "demo", "--out-dir", "D", "--size", "32x24")
    assert proc.returncode == 0, err(proc)
    assert listing(tmp_path / "D") == ["scene-k16.ppm", "scene.ppm"]
    width, height, original = parse_p6((tmp_path / "D" / "scene.ppm").read_bytes())
    assert (width, height) == (32, 24)
    assert original == scene(32, 24).pixels()
    width, height, quantized = parse_p6((tmp_path / "D" / "scene-k16.ppm").read_bytes())
    assert (width, height) == (32, 24) and len(set(quantized)) <= 16
    text = out(proc)
    assert report_value(text, "image").startswith("32x24")
    assert "scene.ppm" in report_value(text, "wrote") and "scene-k16.ppm" in report_value(text, "wrote")

    again = run(tmp_path, "demo", "--out-dir", "D", "--size", "32x24")
    assert again.returncode == 5
    assert "--force" in assert_one_line_error(again)
    assert listing(tmp_path / "D") == ["scene-k16.ppm", "scene.ppm"]

    forced = run(tmp_path, "demo", "--out-dir", "D", "--size", "32x24", "--force", "-k", "4")
    assert forced.returncode == 0, err(forced)
    assert listing(tmp_path / "D") == ["scene-k16.ppm", "scene-k4.ppm", "scene.ppm"]
    assert temp_files(tmp_path / "D") == []


def test_demo_creates_nested_out_dir(tmp_path: Path) -> None:
    proc = run(tmp_path, "demo", "--out-dir", "a/b", "--size", "8x8", "-k", "2", "-q")
    assert proc.returncode == 0, err(proc)
    assert listing(tmp_path / "a" / "b") == ["scene-k2.ppm", "scene.ppm"]


def test_demo_refuses_when_only_the_quantized_file_exists(tmp_path: Path) -> None:
    (tmp_path / "D").mkdir()
    (tmp_path / "D" / "scene-k2.ppm").write_bytes(b"old")
    proc = run(tmp_path, "demo", "--out-dir", "D", "--size", "8x8", "-k", "2")
    assert proc.returncode == 5
    assert listing(tmp_path / "D") == ["scene-k2.ppm"]


def test_demo_out_dir_that_is_a_file_exits_5(tmp_path: Path) -> None:
    (tmp_path / "D").write_bytes(b"a file")
    proc = run(tmp_path, "demo", "--out-dir", "D", "--size", "8x8")
    assert proc.returncode == 5
    assert_one_line_error(proc)


@pytest.mark.parametrize("size", ["big", "32", "32x", "32x24x2", "7x8", "8x4097", "0x0", "-8x8"])
def test_demo_bad_size_exits_2(tmp_path: Path, size: str) -> None:
    proc = run(tmp_path, "demo", "--out-dir", "D", f"--size={size}")
    assert proc.returncode == 2
    assert "--size" in assert_one_line_error(proc)
    assert not (tmp_path / "D").exists()


# -- the parser: every command listed, only the one run imported ---------------------


def test_every_command_is_listed_with_its_help_and_builds_its_own_options() -> None:
    listing_only = cli_main.build_parser("")
    full = cli_main.build_parser()
    choices = [a for a in full._actions if a.dest == "command"][0]
    listed = [a for a in listing_only._actions if a.dest == "command"][0]
    assert [(c.dest, c.help) for c in listed._choices_actions] == [(c.dest, c.help) for c in choices._choices_actions]
    assert [c.dest for c in choices._choices_actions] == [name for name, _, _ in cli_main.COMMANDS]
    for name, _, _ in cli_main.COMMANDS:
        assert len(choices.choices[name]._actions) > 1, name  # more than --help: the module added its options
        assert len(listed.choices[name]._actions) == 1, name  # --help alone: nothing was built
    assert full.format_help() == listing_only.format_help()


LOADED = """
import sys
from refkmeans.cli.main import main
code = main(sys.argv[1:])
print(code, sorted({m for m in sys.modules if m.startswith("refkmeans.cli.") or m.startswith("refkmeans.conformance")}))
"""


def test_a_command_imports_its_own_module_and_not_the_others(work: Path) -> None:
    done = subprocess.run([sys.executable, "-c", LOADED, "quantize", "in.ppm", "-k", "2", "-q"],
                          cwd=work, capture_output=True, text=True, env=env())
    code, modules = done.stdout.split(" ", 1)
    assert code == "0", done.stderr
    assert "'refkmeans.cli.quantize_cmd'" in modules
    for other in ("refkmeans.cli.conform", "refkmeans.cli.vectors", "refkmeans.cli.animate", "refkmeans.conformance"):
        assert f"'{other}'" not in modules, other


# -- a real process ----------------------------------------------------------------


@pytest.mark.parametrize(
    "code, args",
    [
        (0, ("quantize", "in.ppm", "-k", "2", "-o", "-")),  # the image on stdout
        (2, ("quantize", "in.ppm", "-k", "0")),  # refkmeans's own check
        (2, ("quantize", "in.ppm", "--no-such-option")),  # argparse's
        (3, ("quantize", "missing.ppm")),
        (5, ("quantize", "in.ppm", "-o", "no/such/folder/out.ppm")),
        (0, ("--version",)),
    ],
    ids=["success", "usage", "argparse", "input", "output", "version"],
)
def test_a_real_process_and_the_in_process_runner_agree(work: Path, code: int, args: tuple[str, ...]) -> None:
    """Exit code, stdout and stderr byte for byte, and the files left behind."""
    real = run_process(work, *args)
    after_real = listing(work)
    here = run(work, *args)
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)
    assert listing(work) == after_real
    assert real.returncode == code, real.stderr


# -- in-process: main() itself -------------------------------------------------------


def test_main_in_process_quantize_and_report(work: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)
    assert cli_main.main(["quantize", "in.ppm", "-k", "3", "--engine", "histogram"]) == 0
    captured = capsys.readouterr()
    assert report_value(captured.out, "colours") == "48 -> 3"
    assert report_value(captured.out, "wrote") == "in-k3.ppm"
    assert cli_main.main(["quantize", "in.ppm", "-k", "3"]) == 5
    assert capsys.readouterr().err.startswith("refkmeans: error: in-k3.ppm exists")


def test_main_in_process_stdin_to_stdout(work: Path, capsysbinary: pytest.CaptureFixture[bytes],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SAMPLE)))
    assert cli_main.main(["quantize", "-", "-k", "2", "-o", "-"]) == 0
    captured = capsysbinary.readouterr()
    assert len(set(parse_p6(captured.out)[2])) <= 2
    assert b"colours     48 -> 2" in captured.err
    assert listing(work) == ["in.ppm"]


def test_main_with_no_command_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main([]) == 2
    assert "usage: refkmeans" in capsys.readouterr().err


def test_main_version_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli_main.main(["--version"])
    assert caught.value.code == 0
    assert "refkmeans" in capsys.readouterr().out


def test_main_plugins_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["--no-plugins", "plugins"]) == 0
    text = capsys.readouterr().out
    assert "initializers:" in text and "netpbm" in text
    assert cli_main.main(["plugins", "--json"]) == 0
    assert "netpbm" in {row["name"] for row in json.loads(capsys.readouterr().out)["codecs"]}


def test_main_demo_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "D"
    assert cli_main.main(["--no-plugins", "demo", "--out-dir", str(d), "--size", "8x8", "-k", "2"]) == 0
    assert listing(d) == ["scene-k2.ppm", "scene.ppm"]
    assert "wrote" in capsys.readouterr().out
    assert cli_main.main(["demo", "--out-dir", str(d), "--size", "8x8", "-k", "2"]) == 5
    assert cli_main.main(["demo", "--out-dir", str(d), "--size", "8by8"]) == 2


def test_main_turns_an_unexpected_exception_into_exit_1_with_one_line(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(quantize_cmd, "quantize", broken)
    monkeypatch.delenv("REFKMEANS_DEBUG", raising=False)
    assert cli_main.main(["quantize", str(work / "in.ppm"), "-o", str(work / "out.ppm")]) == 1
    text = capsys.readouterr().err
    assert text.count("\n") == 1
    assert "internal error: RuntimeError: boom" in text and "REFKMEANS_DEBUG" in text
    assert "Traceback" not in text
    assert listing(work) == ["in.ppm"]

    monkeypatch.setenv("REFKMEANS_DEBUG", "1")
    assert cli_main.main(["quantize", str(work / "in.ppm"), "-o", str(work / "out.ppm")]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_main_turns_keyboard_interrupt_into_130(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(quantize_cmd, "quantize", interrupted)
    assert cli_main.main(["quantize", str(work / "in.ppm"), "-o", str(work / "out.ppm")]) == 130
    assert capsys.readouterr().err == "refkmeans: interrupted\n"
    assert listing(work) == ["in.ppm"]


def test_main_reports_a_closed_output_pipe_as_exit_5(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(*args: object, **kwargs: object) -> int:
        raise BrokenPipeError

    monkeypatch.setattr(quantize_cmd, "write", closed)
    # The output did not all arrive: that is no success (issue 17, finding 2).
    assert cli_main.main(["quantize", str(work / "in.ppm"), "-o", "-"]) == 5


def test_main_reports_an_empty_cluster_as_exit_6(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    duplicate_image(tmp_path)
    code = cli_main.main(["quantize", str(tmp_path / "dup.ppm"), "-k", "3", "--init", "first",
                          "--empty", "error", "--engine", "plain", "-o", str(tmp_path / "out.ppm")])
    assert code == 6
    assert "empty" in capsys.readouterr().err
    assert listing(tmp_path) == ["dup.ppm"]


def test_closed_stdout_pipe_is_one_line_and_exit_5(work: Path) -> None:
    # The reader goes away before anything is written: no traceback, and no
    # success either, since the output never arrived (issue 17, finding 2).
    reader, writer = os.pipe()
    os.close(reader)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "refkmeans", "quantize", "in.ppm", "-k", "2", "-q", "-o", "-"],
            cwd=work, env=env(), stdout=writer, stderr=subprocess.PIPE,
        )
    finally:
        os.close(writer)
    assert proc.returncode == 5
    assert proc.stderr == b"refkmeans: error: cannot write standard output: the reader closed the pipe\n"


def test_image_helper_round_trip_matches_hand_made_bytes(tmp_path: Path) -> None:
    # Sanity check of this file's helpers against the library's writer.
    write(str(tmp_path / "w.ppm"), Image.from_pixels(W, H, sample_pixels()))
    assert (tmp_path / "w.ppm").read_bytes() == SAMPLE
    assert parse_p6(SAMPLE)[2] == sample_pixels()


def test_main_in_process_refuses_input_as_output_and_names_stdin_output(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    assert cli_main.main(["quantize", "in.ppm", "-o", "in.ppm", "--force"]) == 2
    assert "is the input" in capsys.readouterr().err
    assert (work / "in.ppm").read_bytes() == SAMPLE
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SAMPLE)))
    assert cli_main.main(["quantize", "-", "-k", "2", "-q"]) == 0
    assert listing(work) == ["in.ppm", "quantized-k2.ppm"]


def test_main_demo_out_dir_that_cannot_be_created_exits_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_bytes(b"x")
    assert cli_main.main(["demo", "--out-dir", str(tmp_path / "file" / "D"), "--size", "8x8"]) == 5
    assert "cannot create" in capsys.readouterr().err


def test_plugins_text_lists_failed_plugins(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    class Registry:
        def describe(self) -> dict:
            return {"plugins": [], "initializers": [], "metrics": [], "codecs": [],
                    "failures": [{"name": "broken", "version": "1.2", "message": "failed to load: ImportError: x"}]}

    monkeypatch.setattr(plugins_cmd, "get_registry", lambda load: Registry())
    assert cli_main.main(["plugins"]) == 0
    assert "failed: broken 1.2: failed to load: ImportError: x" in capsys.readouterr().out


def step(iteration: int, changed: int | None) -> Step:
    return Step(iteration, (), (), Fraction(0), changed, (), {})


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_is_silent_before_the_delay_and_when_disabled() -> None:
    stream = FakeStream(tty=False)
    Progress(10, delay=60, stream=stream)(step(0, 5))
    Progress(10, delay=0, stream=stream, enabled=False)(step(0, 5))
    assert stream.getvalue() == ""


def test_progress_prints_lines_when_not_a_terminal() -> None:
    stream = FakeStream(tty=False)
    progress = Progress(10, delay=0, stream=stream)
    progress(step(2, 7))
    progress(step(3, 1))  # within a second of the last line: skipped
    progress.done()
    assert stream.getvalue() == "refkmeans: iteration 3/10, 7 pixels changed\n"


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    stream = FakeStream(tty=True)
    progress = Progress(10, delay=0, stream=stream)
    progress(step(0, None))
    progress.done()
    text = stream.getvalue()
    assert text.startswith("\rrefkmeans: iteration 1/10") and text.endswith("\n")
