"""The payment-events queue's message: what the webhook endpoint queues for the consumer."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from chalicelib.schema import ApiModel


class ProviderEvent(ApiModel):
    """A verified, deduplicated provider event."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=100)
    created: int = Field(ge=0)
    livemode: bool
    account: str | None = None  # set for events of connected accounts (the Connect endpoint)
    object: dict
