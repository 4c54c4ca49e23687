"""Delivery addresses: what a parcel needs to arrive, checked per destination country.

Pure rules (no I/O). `parse_address` turns what a shopper typed into an `Address` in one
canonical spelling (postal codes upper-cased and spaced the way the country's post writes
them, phone numbers as `+<digits>`), or raises `InvalidInput` naming every wrong field
(`address.postal_code`, ...), so the form can show each message next to its field.

An address's id in the book is derived from its content (`address_id_for`): saving the same
address twice, e.g. on every checkout, keeps one entry instead of piling up copies.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib.domain.errors import InvalidInput

NAME_MAX, LINE_MAX, CITY_MAX = 100, 100, 60
MAX_ADDRESSES = 20  # per shopper's address book

# Postal code formats of the EU countries we may deliver to (at least every country of the
# default VAT table, settings.DEFAULT_VAT_RATES). Checked on the canonical spelling: upper case,
# runs of spaces collapsed; `_CANONICAL` first rewrites the common variants ("1234ab" -> "1234 AB").
POSTAL_CODES: dict[str, tuple[re.Pattern[str], str]] = {
    code: (re.compile(pattern), example)
    for code, pattern, example in (
        ("AT", r"^\d{4}$", "1010"),
        ("BE", r"^\d{4}$", "1000"),
        ("BG", r"^\d{4}$", "1000"),
        ("CY", r"^\d{4}$", "1010"),
        ("CZ", r"^\d{3} \d{2}$", "110 00"),
        ("DE", r"^\d{5}$", "10115"),
        ("DK", r"^\d{4}$", "1050"),
        ("EE", r"^\d{5}$", "10111"),
        ("ES", r"^(0[1-9]|[1-4]\d|5[0-2])\d{3}$", "28001"),
        ("FI", r"^\d{5}$", "00100"),
        ("FR", r"^\d{5}$", "75001"),
        ("GR", r"^\d{3} \d{2}$", "105 57"),
        ("HR", r"^\d{5}$", "10000"),
        ("HU", r"^\d{4}$", "1011"),
        # Eircode: a routing key (a letter and two digits, or D6W) and four characters.
        ("IE", r"^([AC-FHKNPRTV-Y]\d{2}|D6W) [0-9AC-FHKNPRTV-Y]{4}$", "D02 X285"),
        ("IT", r"^\d{5}$", "00118"),
        ("LT", r"^LT-\d{5}$", "LT-01100"),
        ("LU", r"^\d{4}$", "1111"),
        ("LV", r"^LV-\d{4}$", "LV-1050"),
        ("MT", r"^[A-Z]{3} \d{4}$", "VLT 1117"),
        ("NL", r"^[1-9]\d{3} (?!SA|SD|SS)[A-Z]{2}$", "1012 AB"),
        ("PL", r"^\d{2}-\d{3}$", "00-950"),
        ("PT", r"^\d{4}-\d{3}$", "1000-001"),
        ("RO", r"^\d{6}$", "010011"),
        ("SE", r"^\d{3} \d{2}$", "111 22"),
        ("SI", r"^\d{4}$", "1000"),
        ("SK", r"^\d{3} \d{2}$", "811 01"),
    )
}

# Variants people type, rewritten to the post's spelling before the format check.
_CANONICAL: dict[str, tuple[re.Pattern[str], str]] = {
    "CZ": (re.compile(r"^(\d{3}) ?(\d{2})$"), r"\1 \2"),
    "GR": (re.compile(r"^(\d{3}) ?(\d{2})$"), r"\1 \2"),
    "SE": (re.compile(r"^(?:SE-?)?(\d{3}) ?(\d{2})$"), r"\1 \2"),
    "SK": (re.compile(r"^(\d{3}) ?(\d{2})$"), r"\1 \2"),
    "NL": (re.compile(r"^(\d{4}) ?([A-Z]{2})$"), r"\1 \2"),
    "IE": (re.compile(r"^([A-Z0-9]{3}) ?([A-Z0-9]{4})$"), r"\1 \2"),
    "MT": (re.compile(r"^([A-Z]{3}) ?(\d{4})$"), r"\1 \2"),
    "PL": (re.compile(r"^(\d{2})-?(\d{3})$"), r"\1-\2"),
    "PT": (re.compile(r"^(\d{4})-?(\d{3})$"), r"\1-\2"),
    "LT": (re.compile(r"^(?:LT-?)?(\d{5})$"), r"LT-\1"),
    "LV": (re.compile(r"^(?:LV-?)?(\d{4})$"), r"LV-\1"),
    "LU": (re.compile(r"^(?:L-?)?(\d{4})$"), r"\1"),
}

# "E.164-ish": a leading + and country code, then 6 to 14 more digits; spaces, dots, dashes and
# parentheses are accepted while typing and dropped.
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class Address:
    """A delivery address, checked for its country (postal code format, phone in international form)."""

    name: str
    line1: str
    postal_code: str
    city: str
    country: str
    line2: str = ""
    phone: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @property
    def address_id(self) -> str:
        return address_id_for(self)


def address_id_for(address: Address) -> str:
    """Derived from the content: the same address saved twice is the same book entry."""
    canonical = "\n".join((address.name.casefold(), address.line1.casefold(), address.line2.casefold(),
                           address.postal_code, address.city.casefold(), address.country, address.phone))
    return "adr_" + hashlib.sha256(canonical.encode()).hexdigest()[:20]


def _text(value: Any, limit: int, *, required: bool) -> tuple[str, str | None]:
    """(cleaned text, error or None): one line, no control characters, spaces collapsed."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", "must be text"
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        return "", "must be one line of text"
    cleaned = " ".join(value.split())
    if required and not cleaned:
        return "", "required"
    if len(cleaned) > limit:
        return "", f"at most {limit} characters"
    return cleaned, None


def normalize_postal_code(country: str, raw: str) -> str:
    code = " ".join(raw.upper().split())
    rewrite = _CANONICAL.get(country)
    if rewrite:
        pattern, replacement = rewrite
        code = pattern.sub(replacement, code)
    return code


def postal_code_error(country: str, code: str) -> str | None:
    """None when `code` (canonical) is a postal code of `country`, else the message to show."""
    rule = POSTAL_CODES.get(country)
    if rule is None:
        return None if 1 <= len(code) <= 12 and re.fullmatch(r"[A-Z0-9 -]+", code) else "not a valid postal code"
    pattern, example = rule
    return None if pattern.match(code) else f"not a postal code of {country} (like {example})"


def normalize_phone(raw: str) -> str:
    digits = _PHONE_SEPARATORS.sub("", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    return digits


def parse_address(data: Mapping[str, Any], *, countries: Collection[str], prefix: str = "address.") -> Address:
    """Validate and canonicalise an address for delivery to one of `countries`.

    Raises `InvalidInput` whose `fields` name every wrong field as `<prefix><field>`.
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("The address is invalid.", fields={prefix.rstrip(".") or "address": "expected an object"})
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, limit, required in (("name", NAME_MAX, True), ("line1", LINE_MAX, True), ("line2", LINE_MAX, False),
                                  ("city", CITY_MAX, True), ("postal_code", 16, True), ("phone", 32, False)):
        values[name], error = _text(data.get(name), limit, required=required)
        if error:
            errors[name] = error
    country, error = _text(data.get("country"), 2, required=True)
    country = country.upper()
    if not error and country not in countries:
        error = f"we deliver to {', '.join(sorted(countries))}"
    if error:
        errors["country"] = error
    if "postal_code" not in errors and "country" not in errors:
        values["postal_code"] = normalize_postal_code(country, values["postal_code"])
        error = postal_code_error(country, values["postal_code"])
        if error:
            errors["postal_code"] = error
    if values.get("phone") and "phone" not in errors:
        values["phone"] = normalize_phone(values["phone"])
        if not _E164.match(values["phone"]):
            errors["phone"] = "an international number like +49 30 1234567"
    if errors:
        fields = {f"{prefix}{name}": message for name, message in errors.items()}
        raise InvalidInput("The delivery address is incomplete or invalid.", code="invalid_address", fields=fields)
    return Address(name=values["name"], line1=values["line1"], line2=values["line2"], postal_code=values["postal_code"],
                   city=values["city"], country=country, phone=values["phone"])


def address_from_json(data: Mapping[str, Any]) -> Address:
    """An address already validated (read back from the store or an order): no checks."""
    return Address(name=str(data.get("name", "")), line1=str(data.get("line1", "")), line2=str(data.get("line2", "")),
                   postal_code=str(data.get("postal_code", "")), city=str(data.get("city", "")),
                   country=str(data.get("country", "")), phone=str(data.get("phone", "")))
