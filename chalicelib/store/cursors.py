"""The one page cursor codec of every paginated read (catalogue, vendor offers, orders).

A cursor is base64url (unpadded) of `{"p": <access path>, "k": <DynamoDB key to resume after>}`.
The access path names the query it belongs to (`category:tents`, `vendor:<id>`, `orders:<id>`),
so a cursor of one query, or of another caller, is refused on another.

A cursor comes back from the client, so `decode` trusts nothing: anything that is not exactly a
key of the expected shape (the expected attribute names, each a non-empty string DynamoDB can
store: every key attribute of our access paths is a string, so a number would be a DynamoDB
ValidationException, a 500) is refused with `InvalidInput` naming `cursor`, never
passed to DynamoDB and never allowed to raise anything else (deep nesting, bad base64, lone
surrogates, numbers where DynamoDB expects strings...).

`collect_page` reads a query's pages until `limit` hits or the read budget, whichever comes
first: the cursor then resumes after the last item returned when the page was cut short, else
at DynamoDB's LastEvaluatedKey.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence

from chalicelib.domain.errors import InvalidInput

MAX_CURSOR_LENGTH = 2048  # the query models' `max_length` too
MAX_KEY_VALUE_LENGTH = 1024  # DynamoDB's limit on a sort key (partition keys: 2048)
# Reads per request: a page never evaluates more than this many items in total, whatever the filters.
READ_BUDGET = 600


def encode(path: str, key: Mapping[str, Mapping[str, str]]) -> str:
    """The cursor resuming `path` after `key` (a DynamoDB key such as LastEvaluatedKey)."""
    raw = json.dumps({"p": path, "k": key}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def invalid(why: str) -> InvalidInput:
    return InvalidInput("The cursor is not valid for this query; start again without it.",
                        code="invalid_cursor", fields={"cursor": why})


def decode(cursor: str | None, path: str, key_names: Sequence[str],
           fixed: Mapping[str, str] | None = None) -> dict | None:
    """The DynamoDB start key in `cursor` (None without one), or InvalidInput naming `cursor`.

    `fixed` pins key attributes to the query's own values (the caller's vendor or shopper id, the
    category), so a cursor of someone else's listing cannot read it.
    """
    if not cursor:
        return None
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid("too long")
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
    except (UnicodeError, binascii.Error, ValueError, RecursionError):
        # RecursionError: a few hundred nested brackets go deeper than the JSON parser's stack.
        raise invalid("malformed") from None
    if not isinstance(decoded, dict) or set(decoded) != {"p", "k"} or not isinstance(decoded["k"], dict):
        raise invalid("malformed")
    if decoded["p"] != path:
        raise invalid("belongs to another query")
    key = decoded["k"]
    if set(key) != set(key_names) or not all(_is_key_value(value) for value in key.values()):
        raise invalid("malformed")
    if any(key[name] != {"S": value} for name, value in (fixed or {}).items()):
        raise invalid("belongs to another query")
    return key


def _is_key_value(value: object) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (kind, text), = value.items()
    if kind != "S" or not isinstance(text, str) or not 0 < len(text) <= MAX_KEY_VALUE_LENGTH:
        return False
    try:
        text.encode("utf-8")  # a lone surrogate ("\ud800" in the JSON) cannot be sent to DynamoDB
    except UnicodeEncodeError:
        return False
    return True


def collect_page(pages, path: str, key_names: Sequence[str], limit: int,
                 resolve: Callable[[list[dict]], list]) -> tuple[list, str | None]:
    """Read pages until `limit` resolved hits or the read budget; return the hits and the cursor after them.

    `resolve` maps a page's raw items to results aligned with them (None: not a hit).
    """
    hits: list = []
    evaluated = 0
    for page in pages:
        raws = page.get("Items", [])
        resolved = resolve(raws)
        for i, (raw, result) in enumerate(zip(raws, resolved)):
            if result is None:
                continue
            hits.append(result)
            if len(hits) == limit:
                more = any(r is not None for r in resolved[i + 1:]) or pages.last_evaluated_key is not None
                return hits, encode(path, {k: raw[k] for k in key_names}) if more else None
        evaluated += page.get("ScannedCount", len(raws))
        if pages.last_evaluated_key is None:
            return hits, None
        if evaluated >= READ_BUDGET:
            return hits, encode(path, pages.last_evaluated_key)
    return hits, None
