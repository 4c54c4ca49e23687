"""PynamoDB attribute values as plain Python values (maps to dicts, sets sorted, whole floats as ints)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute


def plain(value: Any) -> Any:
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
