"""PynamoDB plumbing shared by the repositories.

Table names come from settings at call time (never at import): `bind()` points every
registered model at `<HALLES_TABLE_PREFIX><short name>` and the current region, and is
cheap to call before each use. The endpoint comes from botocore's own `AWS_ENDPOINT_URL`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.models import Model

from chalicelib.settings import get_settings

MODELS: list[type[Model]] = []
_bound: tuple | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def conditional_failed(err: Exception) -> bool:
    """True when a PutError/UpdateError was a failed condition (not a throttle or a bug)."""
    return getattr(err, "cause_response_code", None) == "ConditionalCheckFailedException"


def register(model: type[Model]) -> type[Model]:
    """Class decorator: the model's `Meta.short_name` is its table's name without the prefix."""
    MODELS.append(model)
    return model


def drop_connections() -> None:
    """Every model opens a new connection (new botocore session, credentials, sockets) on its next use.

    For an environment restored from a SnapStart snapshot (chalicelib/snapstart.py)."""
    global _bound
    for model in MODELS:
        model._connection = None
    _bound = None


def bind() -> None:
    global _bound
    settings = get_settings()
    # The model count is part of the key: a store module imported lazily (after a first bind) gets bound too.
    key = (settings.table_prefix, settings.region, settings.endpoint_url, len(MODELS))
    if key == _bound:
        return
    for model in MODELS:
        model.Meta.table_name = settings.table_name(model.Meta.short_name)
        model.Meta.region = settings.region
        model._connection = None
    _bound = key
