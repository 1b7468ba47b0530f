"""One palette for many images (SPEC.md KM-COL-*): the union histogram and the ``palette`` command.

Every expected value is built independently of refkmeans.collection: the
union histogram is counted here from the pixel tuples of the images as they
were generated, and the palette is compared with ``quantize`` on the images
put end to end (one row), built here sample by sample.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import List, Sequence, Tuple

import pytest

from refkmeans.builtin import gif
from refkmeans.cli import main as cli_main
from refkmeans.collection import collection_palette, frames, read_collection
from refkmeans.dataset import Dataset
from refkmeans.errors import ExitCode, ImageError, UsageError
from refkmeans.files import encode, read, write
from refkmeans.image import Image
from refkmeans.kmeans import Options, cluster
from refkmeans.palette_file import read_palette
from refkmeans.plugins import get_registry
from refkmeans.quantize import quantize


def random_image(rng: random.Random, width: int, height: int, channels: int = 3, maxval: int = 255, step: int = 17) -> Image:
    """Samples on a coarse grid, so colours repeat within and across images."""
    samples = [rng.randrange(0, maxval + 1, step) for _ in range(width * height * channels)]
    return Image(width, height, channels, maxval, samples)


def gif_frames(rng: random.Random, width: int, height: int, count: int) -> Tuple[bytes, List[Image]]:
    """An animated GIF of full-screen frames and the RGB images it shows, built from the same indices."""
    table = [(rng.randrange(0, 256, 51), rng.randrange(0, 256, 51), rng.randrange(0, 256, 51)) for _ in range(6)]
    encoded = []
    shown = []
    for _ in range(count):
        indices = bytes(rng.randrange(len(table)) for _ in range(width * height))
        encoded.append((table, indices))
        shown.append(Image(width, height, 3, 255, [v for i in indices for v in table[i]]))
    return gif.encode_animation(width, height, encoded, [5] * count), shown


def end_to_end(images: Sequence[Image]) -> Image:
    """The images' rasters one after another, as one row (KM-COL-2's S)."""
    first = images[0]
    samples = [v for image in images for v in image.samples]
    return Image(len(samples) // first.channels, 1, first.channels, first.maxval, samples, first.tupltype)


@pytest.fixture
def inputs(tmp_path: Path) -> Tuple[List[str], List[Image]]:
    """Three inputs: a PPM, a two-image PPM file, a three-frame GIF; and every image in order."""
    rng = random.Random(16)
    single = random_image(rng, 5, 4)
    pair = [random_image(rng, 3, 7), random_image(rng, 6, 2)]
    animation, shown = gif_frames(rng, 4, 3, 3)
    netpbm = get_registry().codec("netpbm")
    (tmp_path / "one.ppm").write_bytes(encode(single, netpbm))
    (tmp_path / "two.ppm").write_bytes(encode(pair[0], netpbm) + encode(pair[1], netpbm))
    (tmp_path / "anim.gif").write_bytes(animation)
    paths = [str(tmp_path / name) for name in ("one.ppm", "two.ppm", "anim.gif")]
    return paths, [single, *pair, *shown]


def test_every_image_of_every_input_is_read_in_order(inputs: Tuple[List[str], List[Image]]) -> None:
    """KM-COL-1: index 0, 1, ... until the codec says there is no such image."""
    paths, images = inputs
    assert [list(frames(path)) for path in paths] == [images[:1], images[1:3], images[3:]]
    collection = read_collection(paths)
    assert [(part.frames, part.pixels) for part in collection.parts] == [(1, 20), (2, 33), (3, 36)]
    assert collection.frame_count == 6 and collection.pixel_count == 89


def test_the_union_histogram_counts_the_images_end_to_end(inputs: Tuple[List[str], List[Image]]) -> None:
    """KM-COL-2: colours in order of first occurrence over the concatenation, counts summed."""
    paths, images = inputs
    expected = Counter(pixel for image in images for pixel in image.pixels())
    dataset = read_collection(paths).dataset()
    assert dataset.colours == list(expected)
    assert dataset.counts == list(expected.values())
    assert dataset.pixel_count == sum(expected.values())


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"init": "kmeans++", "seed": 3},
        {"init": "restarts", "seed": 7, "engine": "histogram"},
        {"init": [(0, 0, 0), (255, 255, 255), (0, 255, 0)], "max_iter": 2},
    ],
    ids=["default", "kmeans++", "histogram-engine", "given-centroids"],
)
def test_the_palette_equals_quantize_on_the_images_end_to_end(inputs: Tuple[List[str], List[Image]], options: dict) -> None:
    """KM-COL-5: every field of the Result, the palette and the squared error."""
    paths, images = inputs
    stacked = end_to_end(images)
    found = collection_palette(read_collection(paths), k=3, trace=True, **options)
    q = quantize(stacked, k=3, trace=True, **options)
    assert found.palette == q.palette
    assert replace(found.result, labels=()) == replace(q.result, labels=())
    assert found.squared_error() == q.squared_error()
    # Per colour, the labels too equal those of the stacked image's histogram.
    init = options.get("init", "restarts")
    alone = cluster(Dataset.from_image(stacked), Options(k=None if not isinstance(init, str) else 3, trace=True, **{**options, "init": init}))
    assert found.result == alone.result


def test_counting_in_worker_processes_gives_the_identical_answer(inputs: Tuple[List[str], List[Image]]) -> None:
    """KM-COL-4: -j 2 sums the same histograms in the same order."""
    paths, _ = inputs
    one = read_collection(paths)
    two = read_collection(paths, jobs=2)
    assert list(two.histogram.items()) == list(one.histogram.items())
    assert two.kind == one.kind
    assert collection_palette(two, k=4).result == collection_palette(one, k=4).result


def test_rgb_beside_rgb_with_alpha_gains_an_opaque_alpha(tmp_path: Path) -> None:
    """KM-COL-3's one promotion: alpha = maxval for the images without alpha."""
    rng = random.Random(3)
    rgb = random_image(rng, 4, 4)
    rgba = Image(3, 2, 4, 255, [v for _ in range(6) for v in (rng.randrange(0, 256, 85),) * 3 + (rng.choice((0, 255)),)])
    write(str(tmp_path / "a.ppm"), rgb)
    write(str(tmp_path / "b.pam"), rgba)
    collection = read_collection([str(tmp_path / "a.ppm"), str(tmp_path / "b.pam")])
    promoted = Image(4, 4, 4, 255, [v for p in rgb.pixels() for v in (*p, 255)], "RGB_ALPHA")
    stacked = end_to_end([promoted, rgba])
    assert collection.kind == (4, 255, "RGB_ALPHA")
    assert collection.dataset().colours == list(Counter(stacked.pixels()))
    assert collection_palette(collection, k=3).palette == quantize(stacked, k=3).palette


@pytest.mark.parametrize(
    "other",
    [Image(2, 2, 1, 255, [1, 2, 3, 4]), Image(2, 2, 3, 1023, [0, 5, 9] * 4)],
    ids=["grey-beside-rgb", "two-maxvals"],
)
def test_images_of_kinds_that_do_not_combine_are_refused_naming_both(tmp_path: Path, other: Image) -> None:
    """KM-COL-3: a usage error naming the first image and the first of another kind."""
    first = tmp_path / "first.ppm"
    second = tmp_path / "second.pam"
    write(str(first), Image(2, 2, 3, 255, [0, 0, 0] * 4))
    write(str(second), other)
    with pytest.raises(UsageError, match=r"first\.ppm .*second\.pam"):
        read_collection([str(first), str(second)])


@pytest.mark.parametrize("options", [{"init": "random"}, {"init": "first"}, {"init": "kmeans++", "engine": "plain"}])
def test_what_needs_pixel_positions_is_refused(inputs: Tuple[List[str], List[Image]], options: dict) -> None:
    """KM-COL-5: a histogram has no pixel positions."""
    collection = read_collection(inputs[0])
    with pytest.raises(UsageError, match="no positions"):
        collection_palette(collection, k=3, **options)


def test_an_input_that_fails_halfway_fails_the_run_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """KM-COL-1: a broken second image of a file is the file's error, not the end of its images."""
    rng = random.Random(5)
    good = tmp_path / "good.ppm"
    write(str(good), random_image(rng, 3, 3))
    broken = tmp_path / "broken.ppm"
    broken.write_bytes(good.read_bytes() + b"P6 9 9 255\n\x00")
    with pytest.raises(ImageError, match="broken.ppm"):
        list(frames(str(broken)))
    out = tmp_path / "p.gpl"
    code = cli_main.main(["palette", str(good), str(broken), "-k", "2", "-o", str(out), "-q"])
    assert code == ExitCode.INPUT
    assert "broken.ppm" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.ppm", "good.ppm"]


def test_a_stream_is_refused_as_an_input() -> None:
    with pytest.raises(UsageError, match="not a stream"):
        read_collection(["-"])


@pytest.mark.parametrize("name", ["palette.gpl", "palette.json", "palette.ppm", "palette.png"])
def test_the_palette_command_writes_what_quantize_palette_reads_back(
    inputs: Tuple[List[str], List[Image]], tmp_path: Path, name: str
) -> None:
    """The written palette reads back (KM-MAP-2) to quantize's palette on the images end to end,
    and ``quantize --palette`` maps an input onto its nearest colours."""
    if name.endswith(".png") and "png" not in get_registry().codecs:
        pytest.skip("the refkmeans-png plugin is not installed")
    paths, images = inputs
    expected = quantize(end_to_end(images), k=5).palette
    out = tmp_path / name
    assert cli_main.main(["palette", *paths, "-k", "5", "-o", str(out), "-q"]) == 0
    assert read_palette(str(out), channels=3, maxval=255) == list(dict.fromkeys(expected))
    mapped = tmp_path / "mapped.ppm"
    assert cli_main.main(["quantize", paths[0], "--palette", str(out), "-o", str(mapped), "-q"]) == 0

    def nearest(pixel: Tuple[int, ...]) -> Tuple[int, ...]:
        return min(expected, key=lambda c: sum((a - b) ** 2 for a, b in zip(pixel, c)))

    assert read(str(mapped)).pixels() == [nearest(p) for p in images[0].pixels()]


def test_the_palette_command_with_jobs_writes_the_same_bytes(inputs: Tuple[List[str], List[Image]], tmp_path: Path) -> None:
    paths, _ = inputs
    assert cli_main.main(["palette", *paths, "-k", "4", "-o", str(tmp_path / "one.json"), "-q"]) == 0
    assert cli_main.main(["palette", *paths, "-k", "4", "-j", "2", "-o", str(tmp_path / "two.json"), "-q"]) == 0
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_the_palette_command_reports_and_refuses_an_existing_output(
    inputs: Tuple[List[str], List[Image]], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    paths, _ = inputs
    out = tmp_path / "p.json"
    assert cli_main.main(["palette", *paths, "-k", "2", "-o", str(out)]) == 0
    report = capsys.readouterr().out
    assert "3 file(s), 6 image(s), 89 pixels" in report and f"wrote       {out}" in report
    assert cli_main.main(["palette", *paths, "-k", "2", "-o", str(out)]) == ExitCode.OUTPUT
    assert cli_main.main(["palette", *paths, "-k", "2", "-o", str(out), "--force", "-q"]) == 0


def test_a_gimp_palette_is_refused_for_what_it_cannot_hold(tmp_path: Path) -> None:
    grey = tmp_path / "grey.pgm"
    write(str(grey), Image(2, 2, 1, 255, [0, 50, 100, 200]))
    out = tmp_path / "p.gpl"
    assert cli_main.main(["palette", str(grey), "-k", "2", "-o", str(out), "-q"]) == ExitCode.USAGE
    assert not out.exists()
    assert cli_main.main(["palette", str(grey), "-k", "2", "-o", str(tmp_path / "p.json"), "-q"]) == 0
    assert read_palette(str(tmp_path / "p.json"), channels=1, maxval=255) == quantize(read(str(grey)), k=2).palette
