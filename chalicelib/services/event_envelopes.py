"""The envelope every published event travels in (chalicelib/events.py), read back by the queue
consumers: validated, then its payload turned into the typed event of chalicelib/domain/events.py.

An unknown type, another version of the payload, or a payload its model refuses raises
`InvalidEvent`: the record fails and, after the queue's retries, lands in its DLQ for an operator.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from chalicelib.domain.events import EVENTS_BY_TYPE, DomainEvent
from chalicelib.schema import ApiModel


class EventEnvelope(ApiModel):
    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=128)
    type: str = Field(min_length=1, max_length=100)
    occurred_at: datetime
    data: dict


class InvalidEvent(ValueError):
    """Not an event this system publishes, or not the shape its model says: the record fails."""


@cache
def _validator(event_class: type[DomainEvent]) -> TypeAdapter:
    return TypeAdapter(event_class)


def parse_event(envelope: EventEnvelope) -> DomainEvent:
    """The envelope's payload as its typed event, validated against the event's model."""
    event_class = EVENTS_BY_TYPE.get(envelope.type)
    if event_class is None:
        raise InvalidEvent(f"unknown event type {envelope.type!r}")
    version = envelope.data.get("version", event_class.version)  # published before payloads had one
    if version != event_class.version:
        raise InvalidEvent(f"{envelope.type} version {version!r}: this consumer reads {event_class.version}")
    try:
        return _validator(event_class).validate_python(event_class.fields_of(envelope.data))
    except ValidationError as err:
        # Field names and error kinds only: the values may be personal data.
        fields = ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in err.errors())
        raise InvalidEvent(f"malformed {envelope.type}: {fields}") from None
