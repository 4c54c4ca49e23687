"""docs/events.md says what the event models say, every event has a usable example, and the publisher
takes only these typed events."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.events import EVENTS, EVENTS_BY_TYPE, UserSignedUp, event_from_data
from chalicelib.events import envelope
from scripts.events_doc import main, render


def test_the_events_document_is_in_step_with_the_models():
    assert main(["--check"]) == 0, "run python scripts/events_doc.py"


def test_every_event_has_a_unique_type_a_version_and_a_json_example_that_reads_back():
    assert len(EVENTS_BY_TYPE) == len(EVENTS)
    for event in EVENTS:
        example = event.example()
        data = example.data()
        assert data["version"] == event.version
        assert json.loads(json.dumps(data)) == data
        read_back = event_from_data(event.event_type, data)  # events compare by identity (eq=False)
        assert type(read_back) is event and read_back.data() == data
        assert f"`{event.event_type}` (version {event.version})" in render()


def test_the_account_events_are_listed_with_the_order_events():
    assert {"user.signed_up", "account.signup_repeated", "order.placed", "order.paid", "order.cancelled",
            "payment.failed"} <= set(EVENTS_BY_TYPE)


def test_the_publisher_takes_only_typed_events():
    """A dict with a type string would be a second, unlisted contract."""
    with pytest.raises(TypeError):
        envelope("user.signed_up", {"user_id": "u1"})  # type: ignore[arg-type]
    message = envelope(UserSignedUp.example())
    assert message["type"] == "user.signed_up" and message["data"]["email"] == "ada@example.com"
    assert message["event_id"] == envelope(UserSignedUp.example())["event_id"]  # one fact, one id
