"""Tests for refkmeans.rng: the portable SplitMix64 generator and the numpy-legacy one."""

from __future__ import annotations

import random
from typing import Dict, Iterator, List, Optional

import pytest

from refkmeans import rng
from refkmeans.errors import UsageError
from refkmeans.rng import (
    GENERATORS,
    Generator,
    NumpyLegacyGenerator,
    PortableGenerator,
    make_generator,
)

TWO64 = 2**64


# --- an independent SplitMix64, written from the published description ---------------------


def reference_splitmix64(seed: int) -> Iterator[int]:
    """SplitMix64 as a Python generator, reducing with ``%`` instead of masks."""
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) % TWO64
        mixed = state
        mixed = ((mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9) % TWO64
        mixed = ((mixed ^ (mixed >> 27)) * 0x94D049BB133111EB) % TWO64
        yield mixed ^ (mixed >> 31)


def reference_below(stream: Iterator[int], n: int) -> int:
    accepted_below = TWO64 - TWO64 % n
    for x in stream:
        if x < accepted_below:
            return x % n
    raise AssertionError("unreachable")  # pragma: no cover


def naive_fisher_yates(seed: int, n: int, steps: int, stream: Optional[Iterator[int]] = None) -> List[int]:
    """A real list, shuffled forwards for ``steps`` steps with the reference draws."""
    if stream is None:
        stream = reference_splitmix64(seed)
    values = list(range(n))
    for i in range(steps):
        j = i + reference_below(stream, n - i)
        values[i], values[j] = values[j], values[i]
    return values


# --- portable: the raw stream ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 42, 1234567, 2**63, TWO64 - 1, 0x9E3779B97F4A7C15])
def test_portable_stream_matches_independent_splitmix64_for_1000_outputs(seed):
    generator = PortableGenerator(seed)
    reference = reference_splitmix64(seed)
    assert [generator.next_u64() for _ in range(1000)] == [next(reference) for _ in range(1000)]


@pytest.mark.parametrize("seed", [0, 7, 99991, TWO64 - 5])
def test_portable_stream_matches_vectorised_numpy_uint64_splitmix64(seed):
    np = pytest.importorskip("numpy")
    with np.errstate(over="ignore"):
        # The k-th state is seed + k * gamma: compute all 1000 at once in wrapping uint64.
        steps = np.arange(1, 1001, dtype=np.uint64)
        z = np.uint64(seed) + steps * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    generator = PortableGenerator(seed)
    assert [generator.next_u64() for _ in range(1000)] == [int(v) for v in z]


def test_portable_matches_published_splitmix64_vector_for_seed_1234567():
    # The widely published first outputs of the reference splitmix64.c for seed 1234567.
    generator = PortableGenerator(1234567)
    assert [generator.next_u64() for _ in range(5)] == [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]


def test_documented_test_vectors_match_the_independent_implementation():
    for seed, documented in [
        (0, [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC, 0x1B39896A51A8749B]),
        (42, [0xBDD732262FEB6E95, 0x28EFE333B266F103, 0x47526757130F9F52, 0x581CE1FF0E4AE394, 0x09BC585A244823F2]),
    ]:
        stream = reference_splitmix64(seed)
        assert [next(stream) for _ in range(5)] == documented
        generator = PortableGenerator(seed)
        assert [generator.next_u64() for _ in range(5)] == documented
    stream = reference_splitmix64(0)
    assert [reference_below(stream, 10) for _ in range(5)] == [5, 0, 9, 4, 7]
    assert naive_fisher_yates(7, 10, 4)[:4] == [7, 0, 4, 6]
    assert PortableGenerator(7).permutation_prefix(10, 4) == [7, 0, 4, 6]
    for value in ["0xe220a8397b1dcdaf", "5, 0, 9, 4, 7", "7, 0, 4, 6", "6457827717110365317"]:
        assert value in (rng.__doc__ or "")


def test_portable_state_is_the_seed_plus_gamma_per_draw():
    generator = PortableGenerator(5)
    assert generator.state == 5
    generator.next_u64()
    generator.next_u64()
    assert generator.state == (5 + 2 * 0x9E3779B97F4A7C15) % TWO64


# --- portable: below ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1000, 2**32 + 1, 2**63 + 1, TWO64 - 1])
def test_portable_below_rejects_and_reduces_exactly_like_the_specification(n):
    generator = PortableGenerator(2024)
    stream = reference_splitmix64(2024)
    for _ in range(300):
        value = generator.below(n)
        assert 0 <= value < n
        assert value == reference_below(stream, n)
    # Same number of draws consumed, rejections included.
    assert generator.next_u64() == next(stream)


def test_portable_below_rejects_often_just_above_two_to_the_63():
    # limit = 2**63 + 1 here, so about half of the draws are rejected.
    generator = PortableGenerator(3)
    for _ in range(100):
        generator.below(2**63 + 1)
    draws = (generator.state - 3) % TWO64 * pow(0x9E3779B97F4A7C15, -1, TWO64) % TWO64
    assert 140 < draws < 260


def test_portable_below_one_returns_zero_but_still_consumes_a_draw():
    generator = PortableGenerator(11)
    stream = reference_splitmix64(11)
    assert [generator.below(1) for _ in range(3)] == [0, 0, 0]
    for _ in range(3):
        next(stream)
    assert generator.next_u64() == next(stream)


def test_portable_below_is_roughly_uniform():
    generator = PortableGenerator(31337)
    n, draws = 10, 20000
    counts = [0] * n
    for _ in range(draws):
        counts[generator.below(n)] += 1
    expected = draws / n
    chi_square = sum((c - expected) ** 2 / expected for c in counts)
    assert chi_square < 40  # 9 degrees of freedom: p ~ 1e-5 at 40


# --- portable: permutation_prefix -------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7, 123456789, TWO64 - 1])
@pytest.mark.parametrize(("n", "k"), [(1, 1), (2, 1), (2, 2), (5, 3), (10, 4), (10, 10), (100, 37), (257, 256)])
def test_portable_prefix_equals_naive_full_fisher_yates_prefix(seed, n, k):
    assert PortableGenerator(seed).permutation_prefix(n, k) == naive_fisher_yates(seed, n, k)[:k]


def test_portable_prefix_values_are_distinct_and_in_range():
    generator = PortableGenerator(99)
    for n, k in [(50, 50), (1000, 500), (10**9, 1000)]:
        prefix = generator.permutation_prefix(n, k)
        assert len(prefix) == k
        assert len(set(prefix)) == k
        assert all(0 <= v < n for v in prefix)


def test_portable_full_prefix_is_a_permutation():
    prefix = PortableGenerator(5).permutation_prefix(300, 300)
    assert sorted(prefix) == list(range(300))


def test_portable_prefix_of_length_zero_is_empty_and_draws_nothing():
    generator = PortableGenerator(8)
    assert generator.permutation_prefix(10, 0) == []
    assert generator.permutation_prefix(0, 0) == []
    assert generator.state == 8


def test_portable_prefix_of_a_single_element_draws_once():
    generator = PortableGenerator(8)
    assert generator.permutation_prefix(1, 1) == [0]
    assert generator.state == (8 + 0x9E3779B97F4A7C15) % TWO64


def test_portable_prefix_continues_the_stream():
    generator = PortableGenerator(17)
    first = generator.permutation_prefix(20, 5)
    second = generator.permutation_prefix(20, 5)
    stream = reference_splitmix64(17)
    assert first == naive_fisher_yates(17, 20, 5, stream)[:5]
    assert second == naive_fisher_yates(17, 20, 5, stream)[:5]
    assert first != second
    assert generator.below(1000) == reference_below(stream, 1000)


def test_portable_prefix_is_cheap_for_huge_n():
    prefix = PortableGenerator(1).permutation_prefix(50_000_000, 8)
    assert len(set(prefix)) == 8
    assert PortableGenerator(1).permutation_prefix(TWO64 - 1, 3) == naive_prefix_sparse(1, TWO64 - 1, 3)


def naive_prefix_sparse(seed: int, n: int, k: int) -> List[int]:
    """Fisher-Yates over a virtual array, written with a dict of every touched position."""
    stream = reference_splitmix64(seed)
    array: Dict[int, int] = {}
    for i in range(k):
        j = i + reference_below(stream, n - i)
        array[i], array[j] = array.get(j, j), array.get(i, i)
    return [array[i] for i in range(k)]


# --- numpy-legacy ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 - 1, 12345])
@pytest.mark.parametrize("n", [1, 2, 3, 10, 1000, 59392])
def test_numpy_legacy_permutation_equals_numpy(seed, n):
    np = pytest.importorskip("numpy")
    expected = np.random.RandomState(seed).permutation(n).tolist()
    assert NumpyLegacyGenerator(seed).permutation(n) == expected
    assert NumpyLegacyGenerator(seed).permutation_prefix(n, min(n, 7)) == expected[:7]


@pytest.mark.parametrize("seed", [0, 42, 2**32 - 1])
@pytest.mark.parametrize("n", [0, 1, 2, 10, 1000, 4099])
def test_numpy_legacy_pure_python_twister_gives_the_same_permutation(seed, n):
    np = pytest.importorskip("numpy")
    generator = NumpyLegacyGenerator(seed, pure=True)
    assert generator.backend == "python"
    assert generator.permutation(n) == np.random.RandomState(seed).permutation(n).tolist()


def test_numpy_legacy_matches_the_global_numpy_seed_and_permutation():
    np = pytest.importorskip("numpy")
    saved = np.random.get_state()
    try:
        np.random.seed(2718)
        expected = np.random.permutation(60000).tolist()
    finally:
        np.random.set_state(saved)
    assert make_generator("numpy-legacy", 2718).permutation_prefix(60000, 60000) == expected


@pytest.mark.parametrize("k", [0, 1, 5, 511, 512, 513, 999, 1000])
def test_numpy_legacy_prefix_is_the_start_of_the_full_permutation(k):
    np = pytest.importorskip("numpy")
    expected = np.random.RandomState(77).permutation(1000).tolist()
    assert NumpyLegacyGenerator(77).permutation_prefix(1000, k) == expected[:k]


def test_numpy_legacy_large_arrays_use_the_compact_array_path(monkeypatch):
    np = pytest.importorskip("numpy")
    monkeypatch.setattr(rng, "_LIST_LIMIT", 100)
    expected = np.random.RandomState(5).permutation(3000).tolist()
    assert NumpyLegacyGenerator(5).permutation(3000) == expected
    assert NumpyLegacyGenerator(5).permutation_prefix(3000, 10) == expected[:10]
    assert NumpyLegacyGenerator(5).permutation_prefix(3000, 0) == []


def test_numpy_legacy_successive_calls_continue_one_stream_like_randomstate():
    np = pytest.importorskip("numpy")
    state = np.random.RandomState(9)
    generator = NumpyLegacyGenerator(9)
    for n in [5, 700, 1, 0, 33]:
        assert generator.permutation(n) == state.permutation(n).tolist()
        assert generator.below(n + 1) == int(state.randint(0, n + 1, dtype=np.int64))


@pytest.mark.parametrize("n", [1, 2, 7, 1000, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40 + 3, 2**63])
def test_numpy_legacy_below_draws_like_randint(n):
    np = pytest.importorskip("numpy")
    state = np.random.RandomState(123)
    generator = NumpyLegacyGenerator(123)
    values = [generator.below(n) for _ in range(200)]
    assert values == state.randint(0, n, size=200, dtype=np.int64).tolist()
    assert all(0 <= v < n for v in values)
    assert generator.next_u32() == int(state.randint(0, 2**32, dtype=np.uint64))


def test_numpy_legacy_below_one_consumes_nothing():
    generator = NumpyLegacyGenerator(4)
    fresh = NumpyLegacyGenerator(4)
    assert [generator.below(1) for _ in range(10)] == [0] * 10
    assert generator.next_u32() == fresh.next_u32()


def test_numpy_legacy_below_accepts_up_to_two_to_the_64():
    generator = NumpyLegacyGenerator(4)
    assert 0 <= generator.below(2**64) < 2**64
    with pytest.raises(UsageError):
        generator.below(2**65)


@pytest.mark.parametrize("pure", [False, True])
def test_numpy_legacy_raw_words_are_standard_mt19937(pure):
    # init_genrand(5489) is the reference seed of mt19937ar.c and std::mt19937.
    generator = NumpyLegacyGenerator(5489, pure=pure)
    words = [generator.next_u32() for _ in range(10000)]
    assert words[:3] == [3499211612, 581869302, 3890346734]
    assert words[-1] == 4123659995  # required of std::mt19937 by the C++ standard


def test_numpy_legacy_uses_the_checked_stdlib_twister_by_default():
    assert rng._stdlib_twister_ok() is True
    assert NumpyLegacyGenerator(1).backend == "stdlib"


def test_numpy_legacy_falls_back_when_the_stdlib_twister_cannot_be_loaded(monkeypatch):
    def refuse(self, state):
        raise TypeError("no such state format here")

    monkeypatch.setattr(rng, "_stdlib_ok", None)
    monkeypatch.setattr(random.Random, "setstate", refuse)
    generator = NumpyLegacyGenerator(5489)
    assert generator.backend == "python"
    assert generator.next_u32() == 3499211612


def test_numpy_legacy_falls_back_when_the_stdlib_twister_disagrees(monkeypatch):
    monkeypatch.setattr(rng, "_stdlib_ok", None)
    monkeypatch.setattr(rng, "_stdlib_batches", lambda state: lambda: [0] * 624)
    assert NumpyLegacyGenerator(0).backend == "python"
    assert rng._stdlib_ok is False


def test_numpy_legacy_refuses_arrays_beyond_32_bit_indices():
    with pytest.raises(UsageError, match="4294967297"):
        NumpyLegacyGenerator(0).permutation(2**32 + 1)


# --- argument checking ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [-1, 2**64, 2**70, 1.5, 2.0, "3", None, True, [1]])
def test_portable_rejects_bad_seeds(seed):
    with pytest.raises(UsageError, match="seed") as excinfo:
        PortableGenerator(seed)
    assert repr(seed) in str(excinfo.value) or str(seed) in str(excinfo.value)


@pytest.mark.parametrize("seed", [-1, 2**32, 2**64, 1.5, "3", None, False])
def test_numpy_legacy_rejects_bad_seeds(seed):
    with pytest.raises(UsageError, match="seed") as excinfo:
        NumpyLegacyGenerator(seed)
    assert repr(seed) in str(excinfo.value) or str(seed) in str(excinfo.value)


def test_seeds_may_be_any_integer_like_object():
    class Index:
        def __index__(self) -> int:
            return 42

    assert PortableGenerator(Index()).seed == 42  # type: ignore[arg-type]
    assert NumpyLegacyGenerator(Index()).seed == 42  # type: ignore[arg-type]
    assert PortableGenerator(2**64 - 1).seed == 2**64 - 1
    assert NumpyLegacyGenerator(2**32 - 1).seed == 2**32 - 1


@pytest.mark.parametrize("name", GENERATORS)
def test_bad_sizes_are_usage_errors(name):
    generator = make_generator(name, 0)
    for call in [
        lambda: generator.below(0),
        lambda: generator.below(-3),
        lambda: generator.below(2.5),
        lambda: generator.permutation_prefix(3, 4),
        lambda: generator.permutation_prefix(3, -1),
        lambda: generator.permutation_prefix(-1, 0),
        lambda: generator.permutation_prefix("10", 1),
    ]:
        with pytest.raises(UsageError):
            call()


# --- the registry ----------------------------------------------------------------------------------


def test_registry_names_both_generators():
    assert GENERATORS == ("portable", "numpy-legacy")
    assert isinstance(make_generator("portable", 3), PortableGenerator)
    assert isinstance(make_generator("numpy-legacy", 3), NumpyLegacyGenerator)
    assert make_generator("portable", 3).name == "portable"
    assert make_generator("numpy-legacy", 3).name == "numpy-legacy"


@pytest.mark.parametrize("name", ["", "numpy", "Portable", None, ["portable"]])
def test_unknown_generator_name_lists_the_valid_names(name):
    with pytest.raises(UsageError) as excinfo:
        make_generator(name, 0)  # type: ignore[arg-type]
    message = str(excinfo.value)
    assert "portable" in message and "numpy-legacy" in message


def test_registry_passes_bad_seeds_through_as_usage_errors():
    with pytest.raises(UsageError):
        make_generator("portable", -1)
    with pytest.raises(UsageError):
        make_generator("numpy-legacy", 2**32)


def test_base_generator_declares_the_interface():
    generator = Generator()
    with pytest.raises(NotImplementedError):
        generator.below(3)
    with pytest.raises(NotImplementedError):
        generator.permutation_prefix(3, 1)


def test_repr_names_the_generator_and_seed():
    assert repr(PortableGenerator(5)) == "<PortableGenerator 'portable' seed=5>"
    assert repr(NumpyLegacyGenerator(6)) == "<NumpyLegacyGenerator 'numpy-legacy' seed=6>"


@pytest.mark.parametrize("n", [2**64, 2**64 + 1, 3 * 2**70 + 5, 2**128 + 12345])
def test_portable_below_beyond_64_bits_joins_words_high_first_and_rejects(n):
    words = -(-n.bit_length() // 64)
    span = 2 ** (64 * words)
    limit = span - span % n
    stream = reference_splitmix64(11)
    while True:
        x = 0
        for _ in range(words):
            x = x * 2**64 + next(stream)
        if x < limit:
            break
    assert PortableGenerator(11).below(n) == x % n
