"""What the reading side refuses as arguments, and what it no longer lets a codec get away with.

Findings of issue 17's Low list about input: negative or non-integer image
indices, file descriptors as file names, device inputs naming the default
output, Image fields that are not integers, codecs that return or build an
inconsistent Image, and codecs that claim what another codec has.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from array import array
from pathlib import Path
from typing import Any, Callable

import pytest

from refkmeans import Image, ImageError, PluginError, UsageError, hookimpl, read
from refkmeans.cli.main import main
from refkmeans.codec import Codec
from refkmeans.palette_file import read_palette
from refkmeans.plugins import Registry

GREY = b"P5\n2 1\n255\n\x07\x09"


@pytest.fixture
def grey(tmp_path: Path) -> Path:
    path = tmp_path / "in.pgm"
    path.write_bytes(GREY)
    return path


# -- the index and the file name ---------------------------------------------------------


def test_a_negative_index_on_the_command_line_is_a_usage_error(grey: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quantize", str(grey), "--index", "-1", "-k", "1", "-o", str(grey.with_name("out.pgm"))]) == 2
    err = capsys.readouterr().err
    assert err == "refkmeans: error: the image index must be an integer, 0 or more (0 is the first image), got -1\n"
    assert sorted(p.name for p in grey.parent.iterdir()) == ["in.pgm"]


@pytest.mark.parametrize("index", ["0", 1.0, True, None, -1])
def test_an_index_that_is_not_a_non_negative_integer_is_a_usage_error_from_the_api(grey: Path, index: Any) -> None:
    with pytest.raises(UsageError, match=f"the image index must be an integer, 0 or more .*got {index!r}$"):
        read(str(grey), index=index)


@pytest.fixture
def fd0_holds_an_image():
    """Standard input's descriptor replaced by a pipe holding a valid image; restored afterwards."""
    saved = os.dup(0)
    readable, writable = os.pipe()
    os.write(writable, GREY)
    os.close(writable)
    os.dup2(readable, 0)
    os.close(readable)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        os.close(saved)


@pytest.mark.parametrize("reader", [read, lambda path: read_palette(path, channels=1, maxval=255)])
def test_a_file_descriptor_is_not_taken_for_a_file_name(fd0_holds_an_image: None, reader: Callable[[Any], Any]) -> None:
    """read(0) used to read standard input through open(0), then close descriptor 0."""
    with pytest.raises(UsageError, match="a file name .* is needed, got int 0"):
        reader(0)
    os.fstat(0)  # still open
    assert os.read(0, 100) == GREY  # and unread
    with pytest.raises(UsageError, match="got NoneType None"):
        reader(None)


def test_a_path_object_is_a_file_name(grey: Path) -> None:
    assert read(grey).samples.tolist() == [7, 9]


@pytest.mark.skipif(not Path("/dev/stdin").exists(), reason="needs /dev/stdin")
def test_dev_stdin_as_input_writes_the_default_output_in_the_current_folder(grey: Path, tmp_path: Path) -> None:
    """The default output name used to be /dev/stdin-k1.ppm (created in /dev when run as root)."""
    work = tmp_path / "work"
    work.mkdir()
    with open(grey, "rb") as stdin:
        run = subprocess.run(
            [sys.executable, "-m", "refkmeans", "quantize", "/dev/stdin", "-k", "1", "-q"],
            stdin=stdin, cwd=work, capture_output=True, text=True,
        )
    leftover = Path("/dev/stdin-k1.ppm")
    if leftover.exists() and leftover.is_file():  # only a failing run creates it
        leftover.unlink()
    assert run.returncode == 0, run.stderr
    assert [p.name for p in work.iterdir()] == ["quantized-k1.ppm"]
    assert read(str(work / "quantized-k1.ppm")).samples.tolist() == [8, 8]  # the mean of 7 and 9


# -- Image fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        ((1, 1, 1, 1.5, [1]), "maxval must be an integer, got float 1.5"),
        ((1, 1, True, 255, [1]), "channels must be an integer, got bool True"),
        ((1.0, 1, 1, 255, [1]), "width must be an integer, got float 1.0"),
        ((1, "1", 1, 255, [1]), "height must be an integer, got str '1'"),
        ((1, 1, 1, 255, [1], 7), "tupltype must be a string or None, got int"),
    ],
)
def test_image_fields_must_be_integers(args: tuple, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        Image(*args)


# -- codecs that misbehave -----------------------------------------------------------------


def codec_plugin(codec: Codec) -> types.SimpleNamespace:
    @hookimpl
    def refkmeans_register_codecs(register: Callable[[Codec], None]) -> None:
        register(codec)

    return types.SimpleNamespace(__name__=f"{codec.name}_plugin", refkmeans_register_codecs=refkmeans_register_codecs)


class Bent(Codec):
    """Returns a valid Image and then bends one of its fields, or builds an impossible one."""

    name = "bent"
    extensions = (".bent",)

    def __init__(self, how: str) -> None:
        self.how = how

    def sniff(self, head: bytes) -> bool:
        return head.startswith(b"BENT")

    def decode(self, data: bytes, *, index: int = 0, max_pixels: int = 1) -> Image:
        if self.how == "build":
            return Image(2, 1, 1, 100, [7, 200])  # a sample above maxval: the codec's own bug
        image = Image(2, 1, 1, 255, [7, 200])
        if self.how == "maxval":
            image.maxval = 100  # same typecode, so only the samples betray it
        elif self.how == "float":
            image.maxval = 255.0  # type: ignore[assignment]
        elif self.how == "channels":
            image.channels = True  # type: ignore[assignment]
        elif self.how == "samples":
            image.samples = [7, 200]  # type: ignore[assignment]
        return image


@pytest.mark.parametrize(
    "how, message",
    [
        ("maxval", "returned an inconsistent image .*: sample 200 is above maxval 100"),
        ("float", "returned an inconsistent image .*: maxval must be an integer, got float 255.0"),
        ("channels", "returned an inconsistent image .*: channels must be an integer, got bool True"),
        ("samples", r"returned an inconsistent image .*: samples must be an array\('B'\) for maxval 255"),
        ("build", "built an inconsistent image .*: sample 200 is above maxval 100"),
    ],
)
def test_a_codec_returning_an_inconsistent_image_is_a_plugin_error(tmp_path: Path, how: str, message: str) -> None:
    """Accepted, or (when the codec's own Image call failed) blamed on the input with exit 3, before."""
    path = tmp_path / "x.bent"
    path.write_bytes(b"BENT")
    registry = Registry(load_entrypoints=False, extra_plugins=[codec_plugin(Bent(how))])
    with pytest.raises(PluginError, match=f"^codec 'bent' {message}$"):
        read(str(path), registry=registry)


class Greedy(Codec):
    """Recognises anything and claims the extensions of the built-in codecs."""

    name = "aaa-greedy"
    extensions = (".ppm", ".gif", ".greedy")

    def sniff(self, head: bytes) -> bool:
        return True

    def decode(self, data: bytes, *, index: int = 0, max_pixels: int = 1) -> Image:
        return Image(1, 1, 1, 255, array("B", [42]))


def test_a_codec_that_recognises_anything_takes_over_nothing_and_is_reported(tmp_path: Path) -> None:
    registry = Registry(load_entrypoints=False, extra_plugins=[codec_plugin(Greedy())])
    ppm = tmp_path / "x.ppm"
    ppm.write_bytes(b"P6\n1 1\n255\n\x01\x02\x03")
    assert read(str(ppm), registry=registry).samples.tolist() == [1, 2, 3]  # netpbm still reads it
    assert registry.codec_for_extension(".ppm").name == "netpbm"
    assert registry.codec_for_extension(".greedy").name == "aaa-greedy"  # what nobody else claims is its own
    (tmp_path / "x.txt").write_bytes(b"nothing")
    with pytest.raises(ImageError, match="not a format any codec recognises"):
        read(str(tmp_path / "x.txt"), registry=registry)
    assert read(str(tmp_path / "x.txt"), codec="aaa-greedy", registry=registry).samples.tolist() == [42]
    conflicts = registry.describe()["conflicts"]
    assert conflicts == [
        "codec 'aaa-greedy' from aaa-greedy_plugin recognises any data (its sniff accepts an empty file); "
        "it reads only files it is named for",
        "codec 'aaa-greedy' from aaa-greedy_plugin also claims .ppm, which 'netpbm' from refkmeans.builtin.netpbm keeps; "
        "name 'aaa-greedy' to use it",
        "codec 'aaa-greedy' from aaa-greedy_plugin also claims .gif, which 'gif' from refkmeans.builtin.gif keeps; "
        "name 'aaa-greedy' to use it",
    ]


def test_the_plugins_command_prints_the_conflicts(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from refkmeans.cli import plugins_cmd

    registry = Registry(load_entrypoints=False, extra_plugins=[codec_plugin(Greedy())])
    monkeypatch.setattr(plugins_cmd, "get_registry", lambda load: registry)
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "conflict: codec 'aaa-greedy' from aaa-greedy_plugin also claims .ppm, which 'netpbm'" in out


def test_numpy_integers_are_integers() -> None:
    np = pytest.importorskip("numpy")
    image = Image(np.int64(2), np.int32(1), np.uint8(1), np.uint16(255), [3, 4])
    assert (image.width, image.height, image.channels, image.maxval) == (2, 1, 1, 255)
    assert all(type(v) is int for v in (image.width, image.height, image.channels, image.maxval))
