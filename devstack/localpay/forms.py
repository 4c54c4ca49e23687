"""Stripe's wire format: form-encoded parameters in bracket notation, and Stripe-shaped errors.

The SDK sends `metadata[order_id]=o1&payment_method_types[0]=card&confirm=true`; the API
answers errors as `{"error": {"type", "code", "decline_code", "message", "param", ...}}`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
# Hashes whose keys are user-chosen: never turned into lists even when keys look like indexes.
_FREE_FORM = {"metadata"}


class StripeAPIError(Exception):
    """An error answered the way Stripe answers it.

    `saved` says whether an idempotent request that failed this way keeps the result under its
    key: Stripe saves a result once the endpoint started executing, but not when the
    parameters failed validation.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict | None = None,
        saved: bool = True,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}
        self.saved = saved

    def body(self) -> dict:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.decline_code:
            error["decline_code"] = self.decline_code
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeAPIError:
    """A parameter validation error (not saved under an idempotency key)."""
    return StripeAPIError(400, message, param=param, code=code, saved=False)


def missing(kind: str, object_id: str, *, param: str | None = None) -> StripeAPIError:
    return StripeAPIError(404 if param is None else 400, f"No such {kind}: '{object_id}'", code="resource_missing",
                          param=param or "id", saved=False)


def parse_form(raw: str) -> dict[str, Any]:
    """`a[b][c]=1&l[0]=x&l[1]=y&e[]=z` -> {"a": {"b": {"c": "1"}}, "l": ["x", "y"], "e": ["z"]}."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        match = _KEY.match(key)
        path = [match.group(1), *_SEGMENT.findall(match.group(2))] if match else [key]
        node = root
        for depth, segment in enumerate(path):
            if segment == "":  # `e[]`: append
                segment = str(len(node))
            if depth == len(path) - 1:
                node[segment] = value
            else:
                child = node.get(segment)
                if not isinstance(child, dict):
                    child = node[segment] = {}
                node = child
    return _listify(root)


def _listify(node: Any, key: str | None = None) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v, k) for k, v in node.items()}
    if key not in _FREE_FORM and converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


# -- typed access to parsed parameters (Stripe's own error codes and messages) -----------------


def check_known(params: dict, allowed: set[str]) -> None:
    for name in params:
        if name not in allowed and name != "expand":
            raise invalid(f"Received unknown parameter: {name}", param=name, code="parameter_unknown")


def get_str(params: dict, name: str, *, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {value!r}", param=name)
    return value


def get_int(params: dict, name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
    raw = get_str(params, name, required=required)
    if raw is None:
        return None
    if not re.fullmatch(r"-?\d+", raw):
        raise invalid(f"Invalid integer: {raw}", param=name, code="parameter_invalid_integer")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise invalid(f"This value must be greater than or equal to {minimum}.", param=name,
                      code="parameter_invalid_integer")
    return value


def get_bool(params: dict, name: str, default: bool = False) -> bool:
    raw = get_str(params, name)
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise invalid(f"Invalid boolean: {raw}", param=name)
    return raw == "true"


def get_choice(params: dict, name: str, choices: tuple[str, ...]) -> str | None:
    raw = get_str(params, name)
    if raw is not None and raw not in choices:
        raise invalid(f"Invalid {name}: must be one of {', '.join(choices)}", param=name)
    return raw


def get_metadata(params: dict, current: dict | None = None) -> dict[str, str]:
    """Stripe's metadata rules: <= 50 keys, key <= 40 chars, value <= 500; an empty value unsets a key."""
    raw = params.get("metadata")
    result = dict(current or {})
    if raw in (None, ""):
        return {} if raw == "" else result
    if not isinstance(raw, dict):
        raise invalid("Invalid object", param="metadata")
    for key, value in raw.items():
        if len(key) > 40:
            raise invalid(f"Metadata key length must be less than or equal to 40 characters: {key}", param=f"metadata[{key}]")
        if not isinstance(value, str):
            raise invalid("Invalid string", param=f"metadata[{key}]")
        if len(value) > 500:
            raise invalid("Metadata values can have up to 500 characters", param=f"metadata[{key}]")
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    if len(result) > 50:
        raise invalid("You can have up to 50 metadata keys", param="metadata")
    return result


def get_currency(params: dict, *, required: bool = True) -> str | None:
    raw = get_str(params, "currency", required=required)
    if raw is None:
        return None
    if not re.fullmatch(r"[A-Za-z]{3}", raw):
        raise invalid(f"Invalid currency: {raw.lower()}. Stripe currently supports these currencies: eur, usd, gbp, ...",
                      param="currency")
    return raw.lower()
