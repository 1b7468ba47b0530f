"""The PNG decoder reads every valid PNG exactly as independent writers and readers say.

A PngSuite-like corpus is built at test time: files written by pypng and by
Pillow (every colour type, bit depth, interlacing, tRNS, IDAT split over many
chunks) and files assembled by ``pngtools`` from the specification alone
(every filter type, mixed per row).  The expected samples are the ones each
file was made from; Pillow and pypng also read every file as a cross-check.
"""

from __future__ import annotations

import io
import itertools
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

png = pytest.importorskip("png")  # pypng, a test-only peer
PIL = pytest.importorskip("PIL.Image")
refkmeans_png = pytest.importorskip("refkmeans_png")

from pngtools import PLANES, build, chunk, chunk_offsets, header_of, lcg_samples, row_filters  # noqa: E402

from refkmeans.image import Image  # noqa: E402

decode_png = refkmeans_png.decode_png

SIZES = ((13, 9), (1, 1), (3, 2), (9, 17))


class Case:
    """A corpus file and the image it must decode to."""

    def __init__(self, name: str, data: bytes, channels: int, maxval: int, samples: Sequence[int], width: int, height: int) -> None:
        self.name, self.data = name, data
        self.channels, self.maxval, self.samples = channels, maxval, list(samples)
        self.width, self.height = width, height

    def __repr__(self) -> str:
        return self.name


def _with_key_alpha(samples: Sequence[int], planes: int, key: Tuple[int, ...], maxval: int) -> List[int]:
    out: List[int] = []
    for i in range(0, len(samples), planes):
        pixel = tuple(samples[i : i + planes])
        out.extend(pixel)
        out.append(0 if pixel == key else maxval)
    return out


def _expand(indices: Sequence[int], palette: Sequence[Tuple[int, ...]]) -> List[int]:
    return [v for i in indices for v in palette[i]]


def _pypng_corpus() -> List[Case]:
    cases = []
    modes = [("grey", 0, d) for d in (1, 2, 4, 8, 16)] + [("grey-alpha", 4, 8), ("grey-alpha", 4, 16)]
    modes += [("rgb", 2, 8), ("rgb", 2, 16), ("rgba", 6, 8), ("rgba", 6, 16)]
    modes += [("palette", 3, d) for d in (1, 2, 4, 8)] + [("palette-trns", 3, 4), ("grey-key", 0, 4), ("grey-key", 0, 16), ("rgb-key", 2, 8)]
    for (label, colour_type, depth), (w, h), interlace in itertools.product(modes, SIZES, (False, True)):
        planes = PLANES[colour_type]
        seed = hash((label, depth, w, h, interlace)) % 1000
        name = f"pypng-{label}-{depth}bit-{w}x{h}{'-adam7' if interlace else ''}"
        options = dict(width=w, height=h, bitdepth=depth, interlace=interlace, chunk_limit=24 if w == 13 else 2**20)
        if colour_type == 3:
            entries = min(2**depth, 40)
            palette = [tuple(lcg_samples(3, 255, seed + e)) for e in range(entries)]
            if label == "palette-trns":
                palette = [colour + ((e * 37) % 256,) for e, colour in enumerate(palette)]
            indices = [v % entries for v in lcg_samples(w * h, entries - 1, seed)]
            writer = png.Writer(palette=palette, **options)
            rows = [indices[r * w : (r + 1) * w] for r in range(h)]
            expected, channels, maxval = _expand(indices, palette), len(palette[0]), 255
        else:
            maxval = 2**depth - 1
            samples = lcg_samples(w * h * planes, maxval, seed)
            rows = [samples[r * w * planes : (r + 1) * w * planes] for r in range(h)]
            greyscale = colour_type in (0, 4)
            key: Optional[Tuple[int, ...]] = None
            if label.endswith("-key"):
                key = tuple(samples[planes : 2 * planes]) if len(samples) > planes else tuple(samples[:planes])
                options["transparent"] = key[0] if greyscale else key
            writer = png.Writer(greyscale=greyscale, alpha=colour_type in (4, 6), **options)
            expected, channels = list(samples), planes
            if key is not None:
                expected, channels = _with_key_alpha(samples, planes, key, maxval), planes + 1
        out = io.BytesIO()
        writer.write(out, rows)
        cases.append(Case(name, out.getvalue(), channels, maxval, expected, w, h))
    return cases


def _pillow_corpus() -> List[Case]:
    cases = []
    for (w, h), mode in itertools.product(((13, 9), (40, 7)), ("1", "L", "LA", "RGB", "RGBA", "I;16", "P2", "P4", "P8")):
        seed = hash((mode, w, h)) % 1000
        if mode.startswith("P"):
            bits = int(mode[1:])
            entries = 2**bits
            palette = [tuple(lcg_samples(3, 255, seed + e)) for e in range(entries)]
            indices = lcg_samples(w * h, entries - 1, seed)
            picture = PIL.frombytes("P", (w, h), bytes(indices))
            picture.putpalette([v for c in palette for v in c])
            out = io.BytesIO()
            picture.save(out, "PNG", bits=bits)
            cases.append(Case(f"pillow-P-{bits}bit-{w}x{h}", out.getvalue(), 3, 255, _expand(indices, palette), w, h))
            continue
        if mode == "1":
            bits = lcg_samples(w * h, 1, seed)
            picture = PIL.frombytes("L", (w, h), bytes(255 * b for b in bits)).convert("1")
            expected, channels, maxval = bits, 1, 1
        elif mode == "I;16":
            samples = lcg_samples(w * h, 65535, seed)
            picture = PIL.frombytes("I;16", (w, h), b"".join(v.to_bytes(2, "little") for v in samples))
            expected, channels, maxval = samples, 1, 65535
        else:
            channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
            expected, maxval = lcg_samples(w * h * channels, 255, seed), 255
            # A smooth ramp plus noise, so that Pillow's adaptive filtering picks several filters.
            expected = [(v // 8 + (i // channels) % w * 5) % 256 for i, v in enumerate(expected)]
            picture = PIL.frombytes(mode, (w, h), bytes(expected))
        out = io.BytesIO()
        picture.save(out, "PNG")
        cases.append(Case(f"pillow-{mode}-{w}x{h}", out.getvalue(), channels, maxval, expected, w, h))
    return cases


def _crafted_corpus() -> List[Case]:
    """Every filter type on its own, and all five mixed, in several colour types and depths."""
    cases = []
    layouts = [(2, 8, 3), (6, 16, 4), (0, 1, 1), (0, 4, 1), (4, 8, 2), (0, 16, 1)]
    for (colour_type, depth, planes), filters, interlaced in itertools.product(layouts, ([0], [1], [2], [3], [4], [0, 1, 2, 3, 4]), (False, True)):
        w, h = 11, 10
        maxval = 2**depth - 1
        # A gradient with noise: predictions matter and every filter is exercised.
        noise = lcg_samples(w * h * planes, 255, colour_type * 31 + depth)
        samples = [((i // planes) % w * 23 + (i // planes) // w * 17 + n % 9) * (maxval + 1) // 256 for i, n in enumerate(noise)]
        samples = [min(v, maxval) for v in samples]
        data = build(samples, w, h, depth, colour_type, interlaced=interlaced, filters=filters, idat_pieces=7)
        name = f"crafted-type{colour_type}-{depth}bit-filters{''.join(map(str, filters))}{'-adam7' if interlaced else ''}"
        cases.append(Case(name, data, planes, maxval, samples, w, h))
    return cases


CORPUS: Dict[str, List[Case]] = {}


def corpus(kind: str) -> List[Case]:
    if kind not in CORPUS:
        CORPUS[kind] = {"pypng": _pypng_corpus, "pillow": _pillow_corpus, "crafted": _crafted_corpus}[kind]()
    return CORPUS[kind]


def check(case: Case) -> Image:
    image = decode_png(case.data)
    assert (image.width, image.height, image.channels, image.maxval) == (case.width, case.height, case.channels, case.maxval), case
    assert list(image.samples) == case.samples, case
    return image


@pytest.mark.parametrize("kind", ["pypng", "pillow", "crafted"])
def test_every_sample_of_every_corpus_file_decodes_as_written(kind: str) -> None:
    cases = corpus(kind)
    assert len(cases) > 15
    for case in cases:
        check(case)


def test_the_corpus_covers_every_colour_type_depth_and_interlace() -> None:
    seen = {header_of(case.data)[2:] for kind in ("pypng", "pillow", "crafted") for case in corpus(kind)}
    for colour_type, depths in {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}.items():
        for depth in depths:
            for interlace in (0, 1):
                assert (depth, colour_type, interlace) in seen, (depth, colour_type, interlace)


def test_the_corpus_covers_all_five_filters_split_idat_and_trns() -> None:
    filters = set()
    for case in corpus("crafted") + corpus("pillow"):
        if header_of(case.data)[4] == 0:
            filters.update(row_filters(case.data))
    assert filters == {0, 1, 2, 3, 4}
    assert all(sum(kind == b"IDAT" for kind, _, _ in chunk_offsets(case.data)) >= 5 for case in corpus("crafted"))
    assert any(sum(kind == b"IDAT" for kind, _, _ in chunk_offsets(case.data)) > 1 for case in corpus("pypng"))
    assert sum(any(kind == b"tRNS" for kind, _, _ in chunk_offsets(case.data)) for case in corpus("pypng")) >= 20


def _pillow_view(case: Case) -> List[int]:
    """What Pillow reads from a corpus file, put in the decoder's terms."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        picture = PIL.open(io.BytesIO(case.data))
        picture.load()
    depth, colour_type = header_of(case.data)[2:4]
    if colour_type == 3 or case.channels != PLANES[colour_type]:
        picture = picture.convert("RGBA" if case.channels == 4 else ("LA" if case.channels == 2 else "RGB"))
    if picture.mode in ("I;16", "I"):
        wide = picture.convert("I;16").tobytes("raw", "I;16")
        return [int.from_bytes(wide[i : i + 2], "little") for i in range(0, len(wide), 2)]
    raw = list(picture.tobytes())
    if picture.mode == "1":
        return [1 if v else 0 for v in picture.convert("L").tobytes()]
    if colour_type in (0, 4) and depth < 8 and picture.mode in ("L", "LA"):
        scale = 255 // (2**depth - 1)
        return [v // scale if (i % case.channels == 0) else v // (255 // case.maxval) for i, v in enumerate(raw)]
    return raw


def test_pillow_reads_the_corpus_the_same_way() -> None:
    compared = 0
    for case in corpus("pypng") + corpus("crafted"):
        depth, colour_type = header_of(case.data)[2:4]
        if depth == 16 and colour_type != 0 or case.channels != PLANES[colour_type] and colour_type != 3:
            continue  # Pillow keeps 16-bit colour at 8 bits, and tRNS keys as info: compared with pypng below
        assert _pillow_view(case) == case.samples, case
        compared += 1
    assert compared > 50


def test_pypng_reads_the_corpus_the_same_way() -> None:
    for case in corpus("pillow") + corpus("crafted") + corpus("pypng"):
        width, height, rows, info = png.Reader(bytes=case.data).asDirect()
        flat = [v for row in rows for v in row]
        assert flat == case.samples, case


def test_unknown_ancillary_chunks_are_skipped() -> None:
    samples = lcg_samples(12, 255, 5)
    extra = [chunk(b"tEXt", b"Comment\x00hello"), chunk(b"prIv", b"\x00\x01"), chunk(b"gAMA", b"\x00\x00\xb1\x8f")]
    image = decode_png(build(samples, 4, 1, 8, 2, extra=extra))
    assert list(image.samples) == samples


def test_a_one_bit_greyscale_png_is_black_and_white() -> None:
    image = decode_png(build([0, 1, 1, 0], 4, 1, 1, 0))
    assert image.tupltype == "BLACKANDWHITE" and image.maxval == 1


def test_empty_idat_chunks_between_data_are_fine() -> None:
    data = build(lcg_samples(30, 255, 9), 10, 1, 8, 2, idat_pieces=2)
    pieces = chunk_offsets(data)
    first_idat = next(pos for kind, pos, _ in pieces if kind == b"IDAT")
    data = data[:first_idat] + chunk(b"IDAT", b"") + data[first_idat:]
    assert list(decode_png(data).samples) == lcg_samples(30, 255, 9)
