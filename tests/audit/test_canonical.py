"""REQ-3.6: the canonical serialisation is stable (property tests) and has no floats."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhenggai.audit.canonical import NotCanonical, canonical_json, clean, utc_iso

json_leaf = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63) | st.text(max_size=20)
)
json_value = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


def shuffled(value, rng: random.Random):
    """The same value with every dict rebuilt in another insertion order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


@settings(max_examples=300, deadline=None)
@given(value=json_value, seed=st.integers(0, 2**32))
def test_the_same_record_with_dicts_in_another_order_serialises_to_the_same_bytes(value, seed):
    record = {"v": 1, "before": clean(value), "after": {"x": clean(value)}}
    assert canonical_json(record) == canonical_json(shuffled(record, random.Random(seed)))


@settings(max_examples=200, deadline=None)
@given(value=json_value)
def test_cleaning_is_idempotent_and_serialises_the_same_twice(value):
    once = clean(value)
    assert clean(once) == once
    assert canonical_json(once) == canonical_json(clean(once))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30))
def test_composed_and_decomposed_forms_of_a_string_serialise_identically(text):
    nfd, nfc = unicodedata.normalize("NFD", text), unicodedata.normalize("NFC", text)
    assert canonical_json({nfd: nfd}) == canonical_json({nfc: nfc})


def test_the_bytes_are_sorted_compact_utf8():
    out = canonical_json({"b": [1, "整改"], "a": {"d": None, "c": True}})
    assert out == '{"a":{"c":true,"d":null},"b":[1,"整改"]}'.encode()


def test_a_float_is_never_serialised():
    with pytest.raises(NotCanonical):
        canonical_json({"x": 1.5})


def test_clean_turns_floats_decimals_dates_and_models_into_exact_text():
    value = clean(
        {
            "f": 0.1,
            "d": Decimal("45400.00"),
            "day": dt.date(2022, 3, 30),
            "at": dt.datetime(2022, 3, 30, 8, 0, 0, 5, tzinfo=dt.UTC),
            "set": {"乙", "甲"},
            "nul": "a\x00b",
            1: "int key",
        }
    )
    assert value == {
        "f": "0.1",
        "d": "45400.00",
        "day": "2022-03-30",
        "at": "2022-03-30T08:00:00.000005Z",
        "set": sorted(["乙", "甲"]),
        "nul": "a\ufffdb",
        "1": "int key",
    }
    canonical_json(value)


def test_timestamps_are_utc_with_microseconds():
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert utc_iso(dt.datetime(2026, 3, 1, 8, 0, tzinfo=beijing)) == "2026-03-01T00:00:00.000000Z"
    with pytest.raises(NotCanonical):
        utc_iso(dt.datetime(2026, 3, 1, 8, 0))  # noqa: DTZ001 - the point of the test
