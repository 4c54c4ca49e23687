"""Notification texts: Jinja2 templates per event and locale, plain text and HTML, money and dates in
the recipient's locale (Babel).

Templates live in chalicelib/templates/notifications/ as `<template>.<locale>.txt.j2` (its first line
is the subject) and `<template>.<locale>.html.j2` (HTML, autoescaped). A template name without files
falls back to `generic`. Undefined variables raise (StrictUndefined): a template that names a field
the context lacks fails its test instead of mailing a blank.

The Jinja2 environment is built once per container and compiles each template on first use; Babel
is imported by the first filter that formats something (its locale data loads per locale, lazily).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "notifications"
GENERIC = "generic"


@dataclass(frozen=True)
class Rendered:
    """A notification rendered: subject, text and HTML."""

    subject: str
    text: str
    html: str


def _babel_locale(locale: str) -> str:
    return {"fr": "fr_FR", "en": "en_GB"}.get(locale, "en_GB")


def money(value, locale: str, currency: str | None = None) -> str:
    """`{"amount": 5480, "currency": "EUR"}` or minor units -> "€54.80" / "54,80 €"."""
    from babel.numbers import format_currency

    if isinstance(value, dict):
        amount, currency = value.get("amount", 0), value.get("currency") or currency
    else:
        amount = value
    currency = (currency or "EUR").upper()
    return format_currency((amount or 0) / 100, currency, locale=_babel_locale(locale))


def _parse_moment(value) -> datetime | date | None:
    if isinstance(value, (datetime, date)):
        return value
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def day(value, locale: str) -> str:
    from babel.dates import format_date

    moment = _parse_moment(value)
    return format_date(moment, format="long", locale=_babel_locale(locale)) if moment else ""


def moment(value, locale: str) -> str:
    from babel.dates import format_datetime

    parsed = _parse_moment(value)
    if not isinstance(parsed, datetime):
        return day(value, locale)
    return format_datetime(parsed, format="medium", tzinfo="Europe/Paris", locale=_babel_locale(locale))


def _autoescape(name: str | None) -> bool:
    return bool(name) and name.endswith(".html.j2")


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=_autoescape, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False)
    return env


@lru_cache(maxsize=512)
def template_name(template: str, locale: str, kind: str) -> str:
    """The file rendering `template` in `locale` (`kind`: txt | html); the generic one when it has none."""
    name = f"{template}.{locale}.{kind}.j2"
    return name if (TEMPLATES / name).is_file() else f"{GENERIC}.{locale}.{kind}.j2"


def has_template(template: str, locale: str) -> bool:
    return template_name(template, locale, "txt") != f"{GENERIC}.{locale}.txt.j2"


def render(template: str, locale: str, context: dict) -> Rendered:
    env = environment()
    variables = {**context, "locale": locale,
                 "money": lambda value, currency=None: money(value, locale, currency),
                 "day": lambda value: day(value, locale),
                 "moment": lambda value: moment(value, locale)}
    text = env.get_template(template_name(template, locale, "txt")).render(variables)
    subject, _, body = text.partition("\n")
    html = env.get_template(template_name(template, locale, "html")).render({**variables, "subject": subject.strip()})
    return Rendered(subject=subject.strip(), text=body.lstrip("\n"), html=html)
