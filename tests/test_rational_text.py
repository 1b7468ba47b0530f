"""Exact rationals as text: one writer and one reader (rational.to_text, rational.from_text) for every format."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refkmeans import trace
from refkmeans.conformance.candidates import Malformed, parse_number
from refkmeans.conformance.vectors import parse_rational
from refkmeans.errors import UsageError
from refkmeans.rational import from_text, to_text

rationals = st.fractions(min_value=-(2**70), max_value=2**70, max_denominator=2**80)


@given(rationals)
def test_text_reads_back_to_the_same_rational(value):
    text = to_text(value)
    assert from_text(text) == value
    # "p/q" in lowest terms with a positive q, or "p" for an integer, as KM-VEC-3 and KM-TRACE-* write them.
    p, _, q = text.partition("/")
    assert int(p) == value.numerator and (int(q) if q else 1) == value.denominator


@pytest.mark.parametrize("text", ["1/0", "abc", "1/2/3", ""])
def test_from_text_refuses_what_is_not_a_rational_with_a_value_error(text):
    with pytest.raises(ValueError):
        from_text(text)


def test_every_reader_reads_the_same_value_and_refuses_the_same_texts():
    assert parse_rational("-7/3", "here") == parse_number("-7/3", "here") == Fraction(-7, 3)
    assert trace._rational("-7/3", "inertia", 2) == Fraction(-7, 3)
    with pytest.raises(UsageError, match="here: '1/0' is not a rational"):
        parse_rational("1/0", "here")
    with pytest.raises(Malformed, match="'1/0' is not a number"):
        parse_number("1/0", "here")
    with pytest.raises(trace.TraceError, match="trace line 2: 'inertia' holds '1/0', not a rational"):
        trace._rational("1/0", "inertia", 2)
