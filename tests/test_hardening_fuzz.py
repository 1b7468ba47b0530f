"""Every decoder, fed damaged files, gives an image or its documented error: nothing else.

The decoders and their mutators are listed once, in ``tests/fuzz/targets.py``;
each test here runs over all of them (a decoder whose plugin is not
installed is skipped).  ``tests/fuzz/run.py`` runs the same checks for as
long as you like, with atheris when it is installed.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import random
import re
import subprocess
import sys
import time
import tracemalloc
from array import array
from pathlib import Path

import pytest
from fuzz import mutators
from fuzz.netpbm_samples import one_image
from fuzz.run import CORPUS, loop, save_crash
from fuzz.targets import (
    FUZZ_MAX_PIXELS,
    NOT_FUZZED,
    TARGETS,
    Crash,
    Target,
    allocation_allowance,
    check_decode,
    codec_for,
    installed_targets,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from refkmeans.codec import Codec
from refkmeans.errors import ImageError
from refkmeans.image import Image

ROOT = Path(__file__).resolve().parents[1]
FUZZED = installed_targets()
IDS = [t.codec for t in FUZZED]


@pytest.fixture
def traced():
    """Measure allocations (check_decode then enforces its allowance)."""
    tracemalloc.start()
    yield
    tracemalloc.stop()


def traced_check(codec, data: bytes, target: Target, **kwargs) -> str:
    """check_decode with allocations measured (traced per call: tracing hypothesis too is slow)."""
    if not target.traced:
        return check_decode(codec, data, roundtrip=target.roundtrip, traced=False, **kwargs)
    tracemalloc.start()
    try:
        return check_decode(codec, data, roundtrip=target.roundtrip, **kwargs)
    finally:
        tracemalloc.stop()


def test_every_registered_codec_is_fuzzed() -> None:
    """A decoder added without a line in TARGETS fails here, so none is forgotten."""
    from refkmeans.plugins import get_registry

    assert {"netpbm", "gif"} <= set(IDS)
    forgotten = [
        name for name, entry in get_registry().codecs.items() if name not in {t.codec for t in TARGETS} and entry.plugin not in NOT_FUZZED
    ]
    assert forgotten == []


@pytest.mark.parametrize("target", FUZZED, ids=IDS)
def test_valid_samples_decode_and_round_trip(target: Target) -> None:
    codec = codec_for(target)
    rnd = random.Random(0)
    for _ in range(200):
        assert check_decode(codec, target.valid_file(rnd), roundtrip=target.roundtrip) == "image"


#: A mutation: which of the target's mutators, and the seed of the generator it gets.
MUTATIONS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 2**32)), min_size=1, max_size=4)


@pytest.mark.parametrize("target", FUZZED, ids=IDS)
@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), mutations=MUTATIONS, index=st.sampled_from([0, 0, 0, 1, 2]))
def test_mutated_files_give_an_image_or_the_documented_error(target: Target, seed, mutations, index) -> None:
    """Bit flips, truncations, insertions, huge numbers, wrong lengths and counts, broken headers."""
    data = target.valid_file(random.Random(seed))
    for which, mutation_seed in mutations:
        data = target.mutators[which % len(target.mutators)](data, random.Random(mutation_seed))
    traced_check(codec_for(target), data, target, index=index)


@pytest.mark.parametrize("target", FUZZED, ids=IDS)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_every_truncation_of_a_valid_file_is_survived(target: Target, seed: int) -> None:
    codec = codec_for(target)
    data = target.valid_file(random.Random(seed))
    for end in range(len(data)):
        traced_check(codec, data[:end], target)


@pytest.mark.parametrize("target", FUZZED, ids=IDS)
@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_give_an_image_or_the_documented_error(target: Target, data: bytes) -> None:
    traced_check(codec_for(target), data, target)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_a_truncated_raw_netpbm_image_is_always_an_error(seed: int) -> None:
    """Raw rasters have a known length: no strict prefix may decode (silently shorter images)."""
    codec = codec_for(TARGETS[0])
    rnd = random.Random(seed)
    data = one_image(rnd)
    while data[:2] in (b"P1", b"P2", b"P3"):  # plain rasters can end early and still be valid
        data = one_image(rnd)
    for end in range(len(data)):
        assert check_decode(codec, data[:end]) == "error"


@pytest.mark.parametrize("target", FUZZED, ids=IDS)
def test_the_random_mutation_loop_runs_without_a_crash(target: Target, capsys) -> None:
    """The same loop as ``tests/fuzz/run.py``, 600 inputs a decoder, allocations measured (however long it takes)."""
    assert loop(target, runs=600, seed=20240601, seconds=math.inf, save=False, measure=True, time_limit=None) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith(f"{target.codec}: 600 inputs")
    images, errors = map(int, re.search(r"(\d+) images, (\d+) errors", summary).groups())
    # Both outcomes occur, so the mutations neither leave files intact nor only destroy them
    # (checksummed formats such as PNG survive mutation least often).
    assert images > 12 and errors > 12, summary


def corpus_files():
    return sorted(p for p in CORPUS.glob("*/*") if p.is_file() and p.parent.name in {t.codec for t in TARGETS})


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_regression_corpus_replays_cleanly(path: Path) -> None:
    """Every input that ever crashed a decoder (tests/corpus/<codec>/) now decodes or errors cleanly."""
    target = next(t for t in TARGETS if t.codec == path.parent.name)
    codec = codec_for(target)
    if codec is None:
        pytest.skip(f"codec {target.codec} is not installed")
    traced_check(codec, path.read_bytes(), target)


@pytest.mark.parametrize("target", FUZZED, ids=IDS)
def test_the_coverage_corpus_replays_cleanly(target: Target) -> None:
    """tests/corpus/<codec>/coverage: atheris's minimised corpus, one input for each code path it reached."""
    folder = CORPUS / target.codec / "coverage"
    inputs = sorted(folder.iterdir()) if folder.is_dir() else []
    if not inputs:
        pytest.skip(f"no coverage corpus for {target.codec} yet")
    codec = codec_for(target)
    outcomes = {traced_check(codec, path.read_bytes(), target) for path in inputs}
    assert outcomes == {"image", "error"}


def test_run_py_works_as_a_plain_loop_without_atheris(tmp_path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fuzz" / "run.py"), "netpbm", "--runs", "200", "--no-save", "--decode-limit", "0"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert out.stdout.strip().splitlines()[-1].startswith("netpbm: 200 inputs")


def test_crashes_are_saved_under_their_hash(tmp_path) -> None:
    path = save_crash("netpbm", b"P6 1 1", tmp_path / "netpbm")
    assert path == tmp_path / "netpbm" / ("crash-" + hashlib.sha1(b"P6 1 1").hexdigest())
    assert path.read_bytes() == b"P6 1 1"


def test_a_pam_tupltype_holding_a_carriage_return_decodes_and_writes_back() -> None:
    """It used to decode but not write back; the input is kept in the netpbm crash corpus."""
    assert any(p.name.startswith("crash-") for p in (CORPUS / "netpbm").iterdir())
    data = b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 255\nTUPLTYPE A\rB\nENDHDR\n\x05"
    codec = codec_for(TARGETS[0])
    assert codec.decode(data).tupltype == "A B"
    assert check_decode(codec, data) == "image"


def test_an_lzw_code_size_above_8_is_an_image_error() -> None:
    """A code size of 9 to 11 used to raise ValueError; the input is kept in the gif crash corpus."""
    crashes = [p for p in (CORPUS / "gif").iterdir() if p.name.startswith("crash-")]
    assert crashes
    codec = codec_for(next(t for t in TARGETS if t.codec == "gif"))
    with pytest.raises(ImageError, match="LZW minimum code size must be 1..8, got 1[01]"):
        codec.decode(crashes[0].read_bytes())


# -- the oracle itself must be able to fail ------------------------------------------------


class Broken(Codec):
    """A codec that misbehaves in the way ``how`` says."""

    name = "broken"

    def __init__(self, how: str) -> None:
        self.how = how

    def decode(self, data, *, index=0, max_pixels=FUZZ_MAX_PIXELS):
        if self.how == "keyerror":
            return {}["width"]
        if self.how == "two-lines":
            raise ImageError("broken: bad\nthing")
        if self.how == "not-an-image":
            return [1, 2, 3]
        if self.how == "over-the-limit":
            return Image(max_pixels + 1, 1, 1, 255, bytes(max_pixels + 1))
        if self.how == "bad-samples":
            image = Image(1, 1, 1, 255, [0])
            image.samples = array("B", [0, 0])
            return image
        if self.how == "greedy":
            hoard = bytearray(allocation_allowance(len(data)) + 1)
            raise ImageError(f"broken: wasted {len(hoard)} bytes")
        if self.how == "slow":
            raise ImageError("broken: slow")  # the test's clock says this took a minute
        if self.how == "lossy":
            return Image(1, 1, 1, 255, [len(data) % 256])
        raise AssertionError(self.how)

    def encode(self, image, *, palette=None, indices=None, plain=False):
        return b"x"


@pytest.mark.parametrize(
    "how, message",
    [
        ("keyerror", "KeyError"),
        ("two-lines", "not one non-empty line"),
        ("not-an-image", "not an Image"),
        ("over-the-limit", "above the pixel limit"),
        ("bad-samples", "inconsistent samples"),
        ("greedy", "allocated"),
        ("slow", "slow"),
        ("lossy", "round trip changed the image"),
    ],
)
def test_the_oracle_catches_each_kind_of_misbehaviour(how: str, message: str, traced, monkeypatch) -> None:
    # The clock, driven here: the slow decode starts at 0 s and ends at 60 s, the others take no time.
    readings = iter([0.0, 60.0]) if how == "slow" else itertools.repeat(0.0)
    monkeypatch.setattr("fuzz.targets.clock", lambda: next(readings))
    with pytest.raises(Crash, match=message):
        check_decode(Broken(how), b"P5 1 1 255\n\x00", time_limit=2.0)


def test_the_oracle_turns_a_hang_into_a_crash() -> None:
    class Hangs(Broken):
        def decode(self, data, *, index=0, max_pixels=FUZZ_MAX_PIXELS):
            while True:
                pass

    with pytest.raises(Crash, match="hang"):
        check_decode(Hangs("hang"), b"", time_limit=0.05)


def test_mutators_change_files_and_keep_them_bytes() -> None:
    rnd = random.Random(5)
    sample = b"P6 2 1 255\n\x01\x02\x03\x04\x05\x06"
    for mutate in mutators.GENERIC:
        outputs = {mutate(sample, rnd) for _ in range(30)}
        assert all(isinstance(o, bytes) for o in outputs)
        assert outputs != {sample}, mutate.__name__
        assert mutate(b"", rnd) in (b"",) or isinstance(mutate(b"", rnd), bytes)


@pytest.mark.skipif(os.environ.get("REFKMEANS_FUZZ_SECONDS") is None, reason="set REFKMEANS_FUZZ_SECONDS for a long run")
@pytest.mark.parametrize("target", FUZZED, ids=IDS)
def test_long_fuzz_run(target: Target) -> None:
    """Opt-in: fuzz each decoder for REFKMEANS_FUZZ_SECONDS seconds (crashes saved to the corpus)."""
    seconds = float(os.environ["REFKMEANS_FUZZ_SECONDS"])
    assert loop(target, runs=10**12, seed=int(time.time()), seconds=seconds, save=True, measure=True) == 0
