"""Tests for refkmeans.files: reading through codecs and safe, atomic writes."""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path

import pytest

from refkmeans import files
from refkmeans.codec import Codec
from refkmeans.errors import ImageError, OutputError, PluginError, UsageError
from refkmeans.image import Image
from refkmeans.plugins import get_registry

P6 = b"P6\n2 1\n255\n\xff\x00\x00\x00\x00\xff"
IMAGE = Image(2, 1, 3, 255, [255, 0, 0, 0, 0, 255])


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class FakeCodec(Codec):
    """A codec whose decode and encode do whatever the test says."""

    name = "fake"
    extensions = (".fake",)

    def __init__(self, decode_result: object = None, encode_result: object = b"") -> None:
        self.decode_result = decode_result
        self.encode_result = encode_result

    def decode(self, data: bytes, *, index: int = 0, max_pixels: int = 0) -> Image:
        if isinstance(self.decode_result, BaseException):
            raise self.decode_result
        return self.decode_result  # type: ignore[return-value]

    def encode(self, image, *, palette=None, indices=None, plain=False) -> bytes:  # type: ignore[no-untyped-def]
        if isinstance(self.encode_result, BaseException):
            raise self.encode_result
        return self.encode_result  # type: ignore[return-value]


# -- write_atomic ---------------------------------------------------------------------


def test_write_atomic_writes_a_new_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "new.bin"
    files.write_atomic(str(target), b"hello")
    assert target.read_bytes() == b"hello"
    assert listing(tmp_path) == ["new.bin"]


def test_write_atomic_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    files.write_atomic(str(target), b"new")
    assert target.read_bytes() == b"new"
    assert listing(tmp_path) == ["f.bin"]


def test_write_atomic_leaves_old_file_intact_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    def failing_replace(src: str, dst: str) -> None:
        assert Path(src).read_bytes() == b"new"  # the temp file was complete
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OutputError) as caught:
        files.write_atomic(str(target), b"new")
    assert "No space left on device" in str(caught.value)
    assert caught.value.exit_code == 5
    assert target.read_bytes() == b"old"
    assert temp_files(tmp_path) == []
    assert listing(tmp_path) == ["f.bin"]


def test_write_atomic_failure_during_write_leaves_no_new_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files.os, "fsync", failing_fsync)
    with pytest.raises(OutputError, match="Input/output error"):
        files.write_atomic(str(tmp_path / "f.bin"), b"data")
    assert listing(tmp_path) == []


def test_write_atomic_cleans_up_and_reraises_keyboard_interrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    def interrupted_fsync(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert temp_files(tmp_path) == []
    assert listing(tmp_path) == ["f.bin"]


def test_write_atomic_keyboard_interrupt_at_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted_replace(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(str(tmp_path / "f.bin"), b"new")
    assert listing(tmp_path) == []


def test_write_atomic_into_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write"):
        files.write_atomic(str(tmp_path / "no" / "f.bin"), b"x")
    assert listing(tmp_path) == []


def test_write_atomic_temp_file_is_hidden_beside_the_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spying_replace(src: str, dst: str) -> None:
        seen.append(src)
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", spying_replace)
    files.write_atomic(str(tmp_path / "f.bin"), b"x")
    (temp,) = seen
    assert Path(temp).parent == tmp_path
    assert Path(temp).name.startswith(".f.bin.") and temp.endswith(".tmp")


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_write_atomic_new_file_mode_follows_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        files.write_atomic(str(tmp_path / "f.bin"), b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.bin").stat().st_mode) == mode


def test_write_atomic_keeps_the_mode_of_a_replaced_file(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    target.chmod(0o640)
    old = os.umask(0o022)
    try:
        files.write_atomic(str(target), b"new")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_write_atomic_umask_is_restored(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        files.write_atomic(str(tmp_path / "f.bin"), b"x")
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)


# -- check_writable and write -----------------------------------------------------------


def test_check_writable_accepts_a_new_file(tmp_path: Path) -> None:
    files.check_writable(str(tmp_path / "new.ppm"), force=False)


def test_check_writable_refuses_an_existing_file_without_force(tmp_path: Path) -> None:
    (tmp_path / "f.ppm").write_bytes(b"x")
    with pytest.raises(OutputError, match="--force"):
        files.check_writable(str(tmp_path / "f.ppm"), force=False)
    files.check_writable(str(tmp_path / "f.ppm"), force=True)


def test_check_writable_refuses_a_dangling_symlink_without_force(tmp_path: Path) -> None:
    (tmp_path / "link.ppm").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError):
        files.check_writable(str(tmp_path / "link.ppm"), force=False)


@pytest.mark.parametrize("force", [False, True])
def test_check_writable_refuses_a_directory(tmp_path: Path, force: bool) -> None:
    with pytest.raises(OutputError, match="directory"):
        files.check_writable(str(tmp_path), force=force)


def test_check_writable_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        files.check_writable(str(tmp_path / "no" / "f.ppm"), force=True)


def test_write_encodes_by_extension_and_returns_the_byte_count(tmp_path: Path) -> None:
    n = files.write(str(tmp_path / "f.ppm"), IMAGE)
    assert (tmp_path / "f.ppm").read_bytes() == P6
    assert n == len(P6)


def test_write_refuses_an_existing_file_without_force(tmp_path: Path) -> None:
    (tmp_path / "f.ppm").write_bytes(b"old")
    with pytest.raises(OutputError):
        files.write(str(tmp_path / "f.ppm"), IMAGE)
    assert (tmp_path / "f.ppm").read_bytes() == b"old"
    files.write(str(tmp_path / "f.ppm"), IMAGE, force=True)
    assert (tmp_path / "f.ppm").read_bytes() == P6


def test_write_unknown_extension_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--format"):
        files.write(str(tmp_path / "f.xyz"), IMAGE)
    assert listing(tmp_path) == []


def test_write_with_format_ignores_the_extension(tmp_path: Path) -> None:
    files.write(str(tmp_path / "f.dat"), IMAGE, format="netpbm")
    assert (tmp_path / "f.dat").read_bytes() == P6


def test_write_dash_goes_to_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert files.write("-", IMAGE) == len(P6)
    assert capsysbinary.readouterr().out == P6


def test_write_plain(tmp_path: Path) -> None:
    files.write(str(tmp_path / "f.ppm"), IMAGE, plain=True)
    assert (tmp_path / "f.ppm").read_bytes().startswith(b"P3")


def test_write_failed_encoding_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError):
        files.write(str(tmp_path / "f.ppm"), Image(0, 0, 3, 255, []))
    assert listing(tmp_path) == []


def test_codec_for_path_is_case_insensitive_and_needs_an_extension() -> None:
    registry = get_registry()
    assert files.codec_for_path("X.PPM", registry).name == "netpbm"
    assert files.codec_for_path("x.pgm", registry).name == "netpbm"
    with pytest.raises(UsageError):
        files.codec_for_path("noextension", registry)
    with pytest.raises(UsageError, match="unknown codec"):
        files.codec_for_path("x.ppm", registry, "nope")


# -- encode / decode guards -------------------------------------------------------------


def test_encode_turns_a_crash_into_a_plugin_error() -> None:
    with pytest.raises(PluginError, match="fake.*RuntimeError: bad"):
        files.encode(IMAGE, FakeCodec(encode_result=RuntimeError("bad")))


def test_encode_passes_refkmeans_errors_through() -> None:
    with pytest.raises(ImageError, match="too odd"):
        files.encode(IMAGE, FakeCodec(encode_result=ImageError("too odd")))


def test_encode_rejects_a_result_that_is_not_bytes() -> None:
    with pytest.raises(PluginError, match="returned str"):
        files.encode(IMAGE, FakeCodec(encode_result="P6"))


def test_encode_accepts_a_bytearray() -> None:
    data = files.encode(IMAGE, FakeCodec(encode_result=bytearray(b"ab")))
    assert data == b"ab" and type(data) is bytes


def test_decode_prefixes_image_errors_with_the_path() -> None:
    with pytest.raises(ImageError, match=r"^pic\.x: broken at byte 3$"):
        files.decode(FakeCodec(decode_result=ImageError("broken at byte 3")), b"", "pic.x", index=0, max_pixels=10)


def test_decode_turns_a_crash_into_a_plugin_error() -> None:
    with pytest.raises(PluginError, match="'fake' crashed on pic.x: ZeroDivisionError"):
        files.decode(FakeCodec(decode_result=ZeroDivisionError("x")), b"", "pic.x", index=0, max_pixels=10)


def test_decode_passes_memory_error_on_to_the_one_out_of_memory_report() -> None:
    # cli.main turns it into exit 8, whoever ran out (finding 14).
    with pytest.raises(MemoryError):
        files.decode(FakeCodec(decode_result=MemoryError()), b"", "pic.x", index=0, max_pixels=10)


def test_decode_passes_other_refkmeans_errors_through() -> None:
    with pytest.raises(UsageError, match="no such thing"):
        files.decode(FakeCodec(decode_result=UsageError("no such thing")), b"", "pic.x", index=0, max_pixels=10)


# -- read and read_bytes ----------------------------------------------------------------


def test_read_decodes_by_content(tmp_path: Path) -> None:
    (tmp_path / "picture.whatever").write_bytes(P6)
    assert files.read(str(tmp_path / "picture.whatever")) == IMAGE


def test_read_with_an_explicit_codec(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(P6)
    assert files.read(str(tmp_path / "f"), codec="netpbm") == IMAGE
    with pytest.raises(UsageError):
        files.read(str(tmp_path / "f"), codec="nope")


def test_read_of_an_unrecognised_format_names_the_codecs(tmp_path: Path) -> None:
    (tmp_path / "f.gif").write_bytes(b"BM\x1e\x00\x00\x00")  # a BMP header: no built-in codec
    with pytest.raises(ImageError) as caught:
        files.read(str(tmp_path / "f.gif"), registry=get_registry(load_entrypoints=False))
    message = str(caught.value)
    assert "f.gif" in message and "netpbm" in message
    assert "\n" not in message
    assert caught.value.exit_code == 3


def test_read_of_an_empty_file_is_an_image_error(tmp_path: Path) -> None:
    (tmp_path / "empty.ppm").write_bytes(b"")
    with pytest.raises(ImageError):
        files.read(str(tmp_path / "empty.ppm"))


def test_read_errors_carry_the_path(tmp_path: Path) -> None:
    (tmp_path / "t.ppm").write_bytes(P6[:-1])
    with pytest.raises(ImageError, match=r"t\.ppm: netpbm: "):
        files.read(str(tmp_path / "t.ppm"))


def test_read_honours_max_pixels_and_index(tmp_path: Path) -> None:
    (tmp_path / "two.ppm").write_bytes(P6 + P6.replace(b"\xff", b"\x80"))
    assert files.read(str(tmp_path / "two.ppm"), index=1).samples[0] == 0x80
    with pytest.raises(ImageError):
        files.read(str(tmp_path / "two.ppm"), max_pixels=1)


def test_read_only_sniffs_the_first_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    heads: list[bytes] = []
    registry = get_registry()
    real = registry.codec_for_data

    def spy(head: bytes):  # type: ignore[no-untyped-def]
        heads.append(head)
        return real(head)

    monkeypatch.setattr(registry, "codec_for_data", spy)
    (tmp_path / "f.ppm").write_bytes(P6 + b"\n" * 200)
    files.read(str(tmp_path / "f.ppm"), registry=registry)
    assert heads and len(heads[0]) == files.SNIFF_BYTES


def test_read_bytes_of_a_directory_is_an_image_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="is a directory") as caught:
        files.read_bytes(str(tmp_path))
    assert caught.value.exit_code == 3


def test_read_bytes_of_a_missing_file_is_an_image_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="No such file"):
        files.read_bytes(str(tmp_path / "missing.ppm"))


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_read_bytes_of_an_unreadable_file_is_an_image_error(tmp_path: Path) -> None:
    target = tmp_path / "secret.ppm"
    target.write_bytes(P6)
    target.chmod(0)
    with pytest.raises(ImageError, match="Permission denied"):
        files.read_bytes(str(target))


def test_read_bytes_dash_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(P6)))
    assert files.read_bytes("-") == P6


def test_read_dash_decodes_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(P6)))
    assert files.read("-") == IMAGE


def test_round_trip_through_write_and_read(tmp_path: Path) -> None:
    image = Image(3, 2, 1, 1000, [0, 1, 999, 1000, 500, 7])
    files.write(str(tmp_path / "g.pgm"), image)
    assert files.read(str(tmp_path / "g.pgm")) == image


def test_write_atomic_failure_after_the_temp_file_vanished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def replace_that_loses_the_temp(src: str, dst: str) -> None:
        os.unlink(src)
        raise OSError(2, "No such file or directory")

    monkeypatch.setattr(files.os, "replace", replace_that_loses_the_temp)
    with pytest.raises(OutputError, match="No such file"):
        files.write_atomic(str(tmp_path / "f.bin"), b"x")
    assert listing(tmp_path) == []
