"""Delivery addresses: per-country postal codes, phone numbers, every wrong field named."""

from __future__ import annotations

import pytest

from chalicelib.domain.addresses import POSTAL_CODES, address_id_for, parse_address
from chalicelib.domain.errors import InvalidInput
from chalicelib.settings import DEFAULT_VAT_RATES

DEFAULT_COUNTRIES = [part.split(":")[0] for part in DEFAULT_VAT_RATES.split(",")]


def address(**changes) -> dict:
    base = {"name": "Ada Lovelace", "line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin",
            "country": "DE"}
    return {**base, **changes}


def refused(data: dict, countries=DEFAULT_COUNTRIES, prefix="address.") -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        parse_address(data, countries=countries, prefix=prefix)
    return info.value.fields


def test_every_country_of_the_default_vat_table_has_a_postal_code_format():
    assert set(DEFAULT_COUNTRIES) <= set(POSTAL_CODES)


@pytest.mark.parametrize(("country", "typed", "stored"), [
    ("DE", "10117", "10117"), ("FR", "75001", "75001"), ("NL", "1012ab", "1012 AB"), ("BE", "1000", "1000"),
    ("ES", "28001", "28001"), ("IT", "00118", "00118"), ("AT", "1010", "1010"), ("IE", "d02x285", "D02 X285"),
    ("PL", "00950", "00-950"), ("SE", "11122", "111 22"), ("DK", "1050", "1050"), ("PT", "1000001", "1000-001"),
])
def test_postal_codes_are_accepted_as_typed_and_stored_as_the_post_writes_them(country, typed, stored):
    parsed = parse_address(address(country=country, postal_code=typed), countries=DEFAULT_COUNTRIES)
    assert parsed.postal_code == stored and parsed.country == country


@pytest.mark.parametrize(("country", "code"), [
    ("DE", "1011"), ("DE", "101177"), ("FR", "7500A"), ("NL", "0123 AB"), ("NL", "1012 SS"), ("ES", "53001"),
    ("AT", "10100"), ("IE", "12345"), ("PL", "009-50"), ("PT", "1000"), ("SE", "1112"), ("BE", "ABCD"),
])
def test_a_postal_code_of_another_format_is_refused_by_name(country, code):
    fields = refused(address(country=country, postal_code=code))
    assert list(fields) == ["address.postal_code"]
    assert country in fields["address.postal_code"]


def test_every_missing_field_is_named_at_once():
    fields = refused({"country": "DE"})
    assert set(fields) == {"address.name", "address.line1", "address.city", "address.postal_code"}


def test_a_country_we_do_not_deliver_to_is_refused():
    assert set(refused(address(country="US", postal_code="10001"))) == {"address.country"}


def test_phone_numbers_are_optional_and_stored_in_international_form():
    assert parse_address(address(), countries=["DE"]).phone == ""
    assert parse_address(address(phone="+49 (30) 123-4567"), countries=["DE"]).phone == "+49301234567"
    assert parse_address(address(phone="0049 30 1234567"), countries=["DE"]).phone == "+49301234567"


@pytest.mark.parametrize("phone", ["030 1234567", "+49", "+49 30 abc", "+0 30 1234567"])
def test_a_phone_number_without_country_code_is_refused(phone):
    assert list(refused(address(phone=phone))) == ["address.phone"]


def test_multi_line_or_overlong_text_is_refused():
    assert list(refused(address(line1="Street 1\nEvil: header"))) == ["address.line1"]
    assert list(refused(address(city="B" * 61))) == ["address.city"]


def test_fields_are_named_with_the_prefix_asked_for():
    assert list(refused(address(postal_code="x"), prefix="")) == ["postal_code"]


def test_the_same_address_typed_twice_has_the_same_id():
    first = parse_address(address(name="Ada  Lovelace", postal_code="10117"), countries=["DE"])
    second = parse_address(address(name="ada lovelace "), countries=["DE"])
    assert address_id_for(first) == address_id_for(second)
    other = parse_address(address(line2="3rd floor"), countries=["DE"])
    assert address_id_for(other) != address_id_for(first)
