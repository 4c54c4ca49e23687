"""Every decoder that reads client input answers a value or the client's error, never another
exception (which the API would turn into a 500): the request body, the shared text type, the
Idempotency-Key, the return URL and the Authorization header. (The cursor codec and the
Stripe-Signature header have their own properties: test_cursors.py, test_webhook_signature.py.)
"""

from __future__ import annotations

import base64
import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.api import parse_body
from chalicelib.domain.errors import InvalidInput, Unauthorized
from chalicelib.schema import BIDI_CONTROLS, CONTROLS, ZERO_WIDTH, clean_text


@pytest.fixture(scope="module", autouse=True)
def local_settings():
    """The local stack's settings, with a user pool configured (the token check needs one)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HALLES_LOCAL_MODE", "1")
        env.setenv("HALLES_USER_POOL_ID", "eu-west-1_TestPool")
        env.setenv("HALLES_USER_POOL_CLIENT_ID", "test-client-id")
        yield


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=25)
PRODUCT_FIELDS = ["title", "brand", "category", "description", "attributes", "images", "gtin", "other"]


def jsonish_bytes():
    shaped = st.dictionaries(st.sampled_from(PRODUCT_FIELDS), JSON_VALUES, max_size=6)
    return st.one_of(
        st.binary(max_size=300),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        shaped.map(lambda v: json.dumps(v).encode()),
        # Escapes json.dumps never writes: lone surrogates and controls, as an attacker's client sends them.
        st.tuples(st.sampled_from(PRODUCT_FIELDS), st.sampled_from(["\\ud800", "\\udfff", "\\u0000", "\\u202e", "x"]))
        .map(lambda f: ('{"' + f[0] + '": "a' + f[1] + 'b"}').encode()),
        st.integers(min_value=1, max_value=3000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    )


@settings(max_examples=400, deadline=None)
@given(raw=jsonish_bytes())
def test_any_request_body_is_the_model_or_a_400_naming_fields(raw):
    from chalicelib.handlers.catalog_models import ProductIn

    try:
        product = parse_body(raw, ProductIn)
    except InvalidInput as refused:
        assert refused.fields and all(isinstance(name, str) for name in refused.fields)
        return
    for text in (product.title, product.brand, product.description, *product.attributes, *product.images):
        text.encode("utf-8")  # storable


@settings(max_examples=600, deadline=None)
@given(value=st.text() | st.text(alphabet="ab \t\n\r\x00\u200b\u200d\u2060\ufeff\u202e\u2066\u0301e\ud800"),
       multiline=st.booleans())
def test_clean_text_refuses_or_answers_visible_normalised_text(value, multiline):
    try:
        cleaned = clean_text(value, multiline=multiline)
    except ValueError:
        return
    cleaned.encode("utf-8")
    controls = [c for c in cleaned if CONTROLS.match(c) and not (multiline and c in "\n\t")]
    assert not controls and not BIDI_CONTROLS.search(cleaned) and not ZERO_WIDTH.search(cleaned)
    assert unicodedata.is_normalized("NFC", cleaned) and cleaned == cleaned.strip()
    assert clean_text(cleaned, multiline=multiline) == cleaned  # cleaning twice changes nothing


def test_invisible_characters_do_not_make_another_name():
    assert clean_text("T\u200be\u200bn\u200bt") == "Tent"
    assert clean_text("\ufeffCafe\u0301 ") == "Caf\u00e9"


@settings(max_examples=400, deadline=None)
@given(key=st.none() | st.text(max_size=300))
def test_any_idempotency_key_is_usable_or_a_400_naming_it(key):
    from chalicelib.services.checkout import order_id_for, validate_idempotency_key

    try:
        accepted = validate_idempotency_key(key)
    except InvalidInput as refused:
        assert set(refused.fields) == {"Idempotency-Key"}
        return
    assert order_id_for("shopper-1", accepted).startswith("ord_")


URLISH = st.one_of(
    st.text(max_size=80),
    st.builds("{}://{}{}".format, st.sampled_from(["http", "https", "javascript", ""]),
              st.sampled_from(["127.0.0.1:8080", "[::1", "[zz]", "localhost", "evil.example", "127.0.0.1:99999", ""]),
              st.text(max_size=20)),
)


@settings(max_examples=400, deadline=None)
@given(url=st.none() | URLISH)
def test_any_return_url_is_ours_or_a_400_naming_it(url):
    from chalicelib.services.checkout import validate_return_url

    try:
        validate_return_url(url)
    except InvalidInput as refused:
        assert set(refused.fields) == {"return_url"}


@pytest.mark.parametrize("url", ["http://[::1", "http://[zz]/back", "http://127.0.0.1:99999/"])
def test_a_url_python_cannot_split_is_a_400(url):
    from chalicelib.services.checkout import validate_return_url

    with pytest.raises(InvalidInput):
        validate_return_url(url)


def b64json(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


class NoKeys:
    def key_for(self, kid):
        return None


TOKENS = st.one_of(
    st.text(max_size=200),
    st.tuples(JSON_VALUES.map(b64json), JSON_VALUES.map(b64json), st.text(max_size=20)).map(".".join),
    st.tuples(st.fixed_dictionaries({"alg": JSON_VALUES, "kid": JSON_VALUES}).map(b64json),
              JSON_VALUES.map(b64json)).map(lambda parts: f"{parts[0]}.{parts[1]}.c2ln"),
)


@settings(max_examples=400, deadline=None)
@given(header=st.none() | st.text(max_size=50) | TOKENS.map(lambda t: f"Bearer {t}"))
def test_any_authorization_header_is_a_principal_or_a_401(header):
    from chalicelib.auth.tokens import principal_from_header

    try:
        principal_from_header(header, keys=NoKeys())
    except Unauthorized:
        return
    raise AssertionError("no token can be verified without a key")
