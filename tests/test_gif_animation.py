"""Animated GIF on one palette (SPEC.md KM-COL-6): written by refkmeans, read back by Pillow.

Pillow is the independent reader: every frame must come back whole, each
pixel the palette colour its index names, with the delays, disposals and
loop count asked for. The expected mapping is brute force (nearest palette
colour by squared distance, the lowest index on a tie).
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import List, Sequence, Tuple

import pytest

from refkmeans.animation import gif_animation
from refkmeans.builtin import gif
from refkmeans.cli import main as cli_main
from refkmeans.collection import read_collection
from refkmeans.errors import ExitCode, UsageError
from refkmeans.files import write
from refkmeans.image import Image

PIL = pytest.importorskip("PIL.Image")

RGB = Tuple[int, int, int]


def pillow_frames(data: bytes) -> Tuple[List[List[RGB]], List[int], List[int], object]:
    """Each frame's RGB pixels as Pillow shows them, its duration (ms), its disposal, and the loop count."""
    im = PIL.open(io.BytesIO(data))
    pixels, durations, disposals = [], [], []
    for number in range(im.n_frames):
        im.seek(number)
        rgb = im.convert("RGB")
        pixels.append([rgb.getpixel((x, y)) for y in range(im.height) for x in range(im.width)])
        durations.append(im.info.get("duration"))
        disposals.append(im.disposal_method)
    return pixels, durations, disposals, im.info.get("loop")


def nearest(pixel: Sequence[int], palette: Sequence[Sequence[int]]) -> Tuple[int, ...]:
    best = min(range(len(palette)), key=lambda i: (sum((a - b) ** 2 for a, b in zip(pixel, palette[i])), i))
    return tuple(palette[best])


@pytest.mark.parametrize("local", [False, True], ids=["global-palette", "local-palettes"])
def test_pillow_reads_every_frame_of_an_animation_on_one_palette(local: bool) -> None:
    rng = random.Random(6)
    palette = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(13)]
    w, h = 7, 5
    # Frame 1 uses only three colours: its local table is smaller than the global one.
    frames = [bytes(rng.randrange(13) for _ in range(w * h)), bytes(rng.choice((2, 5, 11)) for _ in range(w * h))]
    frames.append(bytes(range(13)) + bytes(w * h - 13))
    timing = gif.Timing(4, [7, 0, 250], [1, 2, 3])
    data = gif.encode_global_animation(w, h, palette, frames, timing, local=local)
    pixels, durations, disposals, loop = pillow_frames(data)
    assert pixels == [[palette[i] for i in frame] for frame in frames]
    assert durations == [70, 0, 2500] and disposals == [1, 2, 3] and loop == 4
    assert gif.timing(data) == timing
    assert gif.read_frames(data) == [Image(w, h, 3, 255, [v for i in frame for v in palette[i]]) for frame in frames]


def test_local_palettes_hold_only_the_colours_each_frame_uses() -> None:
    palette = [(i, i, i) for i in range(0, 256, 2)]  # 128 colours: 7 bits an index globally
    frames = [bytes([3, 9] * 8)]
    timing = gif.Timing(0, [0], [0])
    local = gif.encode_global_animation(4, 4, palette, frames, timing, local=True)
    whole = gif.encode_global_animation(4, 4, palette, frames, timing)
    assert len(whole) - len(local) >= 3 * (128 - 2)
    assert pillow_frames(local)[0] == pillow_frames(whole)[0]


def test_a_gif_with_no_loop_extension_plays_once_and_stays_so() -> None:
    data = gif.encode_global_animation(1, 1, [(1, 2, 3)], [b"\0", b"\0"], gif.Timing(None, [5, 6], [0, 0]))
    assert gif.timing(data) == gif.Timing(None, [5, 6], [0, 0])
    assert b"NETSCAPE2.0" not in data


def pillow_animation(path: Path, count: int, rng: random.Random) -> List[List[RGB]]:
    """An animated GIF written by Pillow (an independent writer) and the RGB pixels of its frames."""
    frames = []
    for number in range(count):
        frame = PIL.new("RGB", (9, 6))
        frame.putdata([(rng.randrange(0, 256, 32), rng.randrange(0, 256, 64), 40 * number) for _ in range(54)])
        frames.append(frame)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[30, 40, 50, 60][:count], loop=2, disposal=2)
    return pillow_frames(path.read_bytes())[0]


def test_the_palette_command_writes_the_animation_with_every_frame_mapped(tmp_path: Path) -> None:
    """`palette anim.gif --gif out.gif`: same frame count, each pixel its nearest palette colour,
    delays, disposals and the loop count carried over."""
    source = pillow_animation(tmp_path / "anim.gif", 4, random.Random(8))
    out = tmp_path / "out.gif"
    code = cli_main.main(["palette", str(tmp_path / "anim.gif"), "-k", "12", "-o", str(tmp_path / "p.json"), "--gif", str(out), "-q"])
    assert code == 0
    palette = json.loads((tmp_path / "p.json").read_text())["colours"]
    pixels, durations, disposals, loop = pillow_frames(out.read_bytes())
    assert len(pixels) == 4
    assert pixels == [[nearest(p, palette) for p in frame] for frame in source]
    assert durations == [30, 40, 50, 60] and disposals == [2, 2, 2, 2] and loop == 2


def test_images_from_other_files_get_the_given_delay_and_play_forever(tmp_path: Path) -> None:
    rng = random.Random(9)
    images = [Image(3, 2, 3, 255, [rng.randrange(0, 256, 85) for _ in range(18)]) for _ in range(2)]
    paths = [str(tmp_path / f"{n}.ppm") for n in range(2)]
    for path, image in zip(paths, images):
        write(path, image)
    out = tmp_path / "out.gif"
    assert cli_main.main(["palette", *paths, "-k", "3", "-o", str(tmp_path / "p.json"), "--gif", str(out), "--delay", "25", "-q"]) == 0
    palette = json.loads((tmp_path / "p.json").read_text())["colours"]
    pixels, durations, disposals, loop = pillow_frames(out.read_bytes())
    assert pixels == [[nearest(p, palette) for p in image.pixels()] for image in images]
    assert durations == [250, 250] and disposals == [1, 1] and loop == 0


def test_frames_of_another_size_are_refused_and_nothing_is_written(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(str(tmp_path / "a.ppm"), Image(2, 2, 3, 255, [0, 0, 0] * 4))
    write(str(tmp_path / "b.ppm"), Image(3, 1, 3, 255, [9, 9, 9] * 3))
    code = cli_main.main(
        ["palette", str(tmp_path / "a.ppm"), str(tmp_path / "b.ppm"), "-k", "2", "-o", str(tmp_path / "p.json"), "--gif", str(tmp_path / "o.gif"), "-q"]
    )
    assert code == ExitCode.USAGE
    assert "b.ppm (image 0) is 3x1" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ppm", "b.ppm"]


def test_what_one_gif_palette_cannot_hold_is_refused_before_the_work(tmp_path: Path) -> None:
    write(str(tmp_path / "a.pam"), Image(2, 1, 4, 255, [0, 0, 0, 255, 9, 9, 9, 0]))
    with pytest.raises(UsageError, match="grey or RGB"):
        gif_animation(read_collection([str(tmp_path / "a.pam")]), [(0, 0, 0, 255)])
    write(str(tmp_path / "b.ppm"), Image(2, 1, 3, 255, [0, 0, 0, 9, 9, 9]))
    code = cli_main.main(["palette", str(tmp_path / "b.ppm"), "-k", "257", "-o", str(tmp_path / "p.json"), "--gif", str(tmp_path / "o.gif"), "-q"])
    assert code == ExitCode.USAGE
    assert not (tmp_path / "p.json").exists()
