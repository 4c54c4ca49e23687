"""The page cursor codec (`chalicelib.store.cursors`): whatever a client sends back as `cursor`
is either a key of the page's own query or a 400 naming `cursor`, never another exception
(which the API would answer with a 500)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.store import cursors

PATH = "vendor:ven_1"
KEY_NAMES = ("offer_id", "vendor_id", "product_key")
FIXED = {"vendor_id": "ven_1"}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def wrapped(key, path=PATH) -> str:
    return b64(json.dumps({"p": path, "k": key}).encode())


def decode(cursor):
    return cursors.decode(cursor, PATH, KEY_NAMES, FIXED)


def refusal_of(cursor) -> dict:
    with pytest.raises(InvalidInput) as refused:
        decode(cursor)
    assert refused.value.code == "invalid_cursor"
    return refused.value.fields


GOOD_KEY = {"offer_id": {"S": "off_1"}, "vendor_id": {"S": "ven_1"}, "product_key": {"S": "tent#prd_1"}}

FORGED = {
    "1536 nested brackets (was a RecursionError, a 500)": b64(b"[" * 1536),
    "nested objects": b64(b'{"p":' * 1000),
    "not base64": "%%%not-base64%%%",
    "non-ascii": "\u00e9t\u00e9",
    "lone surrogate": "\ud800",
    "not json": b64(b"\xff\xfe garbage"),
    "a list": wrapped([]),
    "a bare key (the old orders format)": b64(json.dumps(GOOD_KEY).encode()),
    "a number where DynamoDB wants a string": wrapped(GOOD_KEY | {"offer_id": {"N": "1"}}),
    "an empty string": wrapped(GOOD_KEY | {"offer_id": {"S": ""}}),
    "a lone surrogate in a value": wrapped(GOOD_KEY | {"offer_id": {"S": "\ud800"}}),
    "a missing attribute": wrapped({k: v for k, v in GOOD_KEY.items() if k != "offer_id"}),
    "an extra attribute": wrapped(GOOD_KEY | {"extra": {"S": "x"}}),
    "a two-type value": wrapped(GOOD_KEY | {"offer_id": {"S": "a", "N": "1"}}),
    "a value too long": wrapped(GOOD_KEY | {"offer_id": {"S": "x" * 1025}}),
    "too long": "A" * 2049,
    "extra top-level member": b64(json.dumps({"p": PATH, "k": GOOD_KEY, "x": 1}).encode()),
}


@pytest.mark.parametrize("cursor", FORGED.values(), ids=FORGED.keys())
def test_a_forged_cursor_is_refused_naming_cursor(cursor):
    assert set(refusal_of(cursor)) == {"cursor"}


def test_a_cursor_of_another_query_or_another_vendor_is_refused():
    assert refusal_of(wrapped(GOOD_KEY, path="vendor:ven_2")) == {"cursor": "belongs to another query"}
    other_vendor = GOOD_KEY | {"vendor_id": {"S": "ven_2"}}
    assert refusal_of(wrapped(other_vendor)) == {"cursor": "belongs to another query"}


def test_no_cursor_is_the_first_page():
    assert decode(None) is None and decode("") is None


KEY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60)
JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)


@st.composite
def near_keys(draw):
    """Keys of roughly the right shape, so the property reaches the deep checks."""
    names = draw(st.sets(st.sampled_from([*KEY_NAMES, "extra"]), max_size=4))
    return {name: draw(st.dictionaries(st.sampled_from(["S", "N", "B"]), KEY_TEXT | JSON_VALUES,
                                       min_size=1, max_size=2)) for name in names}


CURSORS = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(b64),
    JSON_VALUES.map(lambda v: b64(json.dumps(v).encode())),
    near_keys().map(wrapped),
    st.integers(min_value=1, max_value=1600).map(lambda depth: b64(b"[" * depth)),
)


@settings(max_examples=600, deadline=None)
@given(cursor=CURSORS)
def test_any_string_is_a_key_of_this_query_or_a_400_naming_cursor(cursor):
    try:
        key = decode(cursor)
    except InvalidInput as refused:
        assert set(refused.fields) == {"cursor"}
        return
    if key is not None:
        assert set(key) == set(KEY_NAMES) and key["vendor_id"] == {"S": "ven_1"}
        for value in key.values():
            assert set(value) == {"S"} and value["S"] and value["S"].encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(offer_id=KEY_TEXT, product_key=KEY_TEXT)
def test_what_we_encode_decodes_to_the_same_key(offer_id, product_key):
    key = {"offer_id": {"S": offer_id}, "vendor_id": {"S": "ven_1"}, "product_key": {"S": product_key}}
    cursor = cursors.encode(PATH, key)
    assert cursor.isascii() and "=" not in cursor
    assert decode(cursor) == key
