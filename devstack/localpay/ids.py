"""Stripe-style object ids and amounts as Stripe's messages write them."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "xof", "xaf", "ugx", "rwf", "pyg", "mga", "kmf", "gnf", "djf", "bif"}
SYMBOLS = {"eur": "€", "usd": "$", "gbp": "£", "chf": "CHF ", "sek": "SEK ", "dkk": "DKK ", "pln": "PLN "}


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_{random_token(length)}"


def format_money(amount: int, currency: str) -> str:
    currency = currency.lower()
    symbol = SYMBOLS.get(currency, currency.upper() + " ")
    if currency in ZERO_DECIMAL:
        return f"{symbol}{amount}"
    return f"{symbol}{amount // 100}.{amount % 100:02d}"
