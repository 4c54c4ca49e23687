"""The base of every boundary model (HTTP bodies and answers, queue messages, webhook payloads),
and the shared field types every request model uses for client text and numbers.

`Text` / `MultilineText` are THE types of free text a client sends (names, titles, brands,
descriptions, search words, addresses...). What they store is what a person reading it sees:
- refused (400 naming the field): lone UTF-16 surrogates (they cannot be stored as UTF-8: the
  store's write would fail), NUL and every other control character (`\\n` and `\\t` are allowed in
  `MultilineText` only; `\\r\\n` becomes `\\n`), bidi overrides and isolates (U+202A-202E,
  U+2066-2069), which make text display as something other than what it is;
- removed: zero-width characters (U+200B-200D, U+2060, U+FEFF), so "T\\u200be\\u200bn\\u200bt" is
  stored, deduplicated and searched as "Tent";
- normalised to NFC and trimmed.

`StrictInteger` is THE integer of request bodies: `true`, `1.0`, `1.5` and `"1"` are refused
(JSON has no integer type of its own, and `True == 1` in Python). Query strings are text: their
integers are parsed by pydantic, which refuses "1.5" and "true" there.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator


class ApiModel(BaseModel):
    """A pydantic model whose validator is built on first use instead of at import.

    Building the validators of every route model when `app` is imported was the largest part of
    the cold start above the floor; a Lambda container only ever uses a few of them.
    """

    model_config = ConfigDict(defer_build=True)


class QueryModel(ApiModel):
    """A query string's parameters: unknown ones are ignored and a blank one counts as absent."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}
        return data


# --- text ---------------------------------------------------------------------------------------

ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
SURROGATES = re.compile("[\ud800-\udfff]")
# Cc: C0 and C1 controls, NUL and DEL included. Multi-line text keeps \n and \t.
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """The text as stored, or ValueError saying what is wrong with it (the message a client sees)."""
    if SURROGATES.search(value):
        raise ValueError("contains an invalid character (a lone UTF-16 surrogate)")
    if multiline:
        value = value.replace("\r\n", "\n")
    if (CONTROLS_BUT_LINES if multiline else CONTROLS).search(value):
        raise ValueError("contains a control character" + ("" if multiline else " (it must be a single line)"))
    if BIDI_CONTROLS.search(value):
        raise ValueError("contains a bidirectional override or isolate character")
    return unicodedata.normalize("NFC", ZERO_WIDTH.sub("", value)).strip()


def _single_line(value: str) -> str:
    return clean_text(value)


def _multi_line(value: str) -> str:
    return clean_text(value, multiline=True)


Text = Annotated[str, AfterValidator(_single_line)]
MultilineText = Annotated[str, AfterValidator(_multi_line)]


def bounded(text_type, min_length: int = 0, max_length: int | None = None, **field):
    """`Text` (or `MultilineText`) whose length is checked after cleaning, named in the OpenAPI document."""

    def within(value: str) -> str:
        if len(value) < min_length:
            raise ValueError("must not be blank" if min_length == 1 else f"at least {min_length} characters")
        if max_length is not None and len(value) > max_length:
            raise ValueError(f"at most {max_length} characters")
        return value

    schema = {"minLength": min_length} | ({"maxLength": max_length} if max_length is not None else {})
    return Annotated[text_type, AfterValidator(within), Field(json_schema_extra=schema, **field)]


# --- numbers ------------------------------------------------------------------------------------

# Booleans, floats (even 1.0) and strings are refused in JSON bodies.
StrictInteger = StrictInt


# --- codes --------------------------------------------------------------------------------------


def _country_code(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 2 or not (value.isascii() and value.isalpha()):
        raise ValueError("a two-letter country code")
    return value


# An ISO 3166-1 alpha-2 country code, accepted in any case ("de" -> "DE").
CountryCode = Annotated[str, AfterValidator(_country_code)]
