"""docs/events.md says what the event models say, and every event has a usable example."""

from __future__ import annotations

import json

from chalicelib.domain.order_events import ORDER_EVENTS
from scripts.events_doc import main, render


def test_the_events_document_is_in_step_with_the_models():
    assert main(["--check"]) == 0, "run python scripts/events_doc.py"


def test_every_event_has_a_unique_name_a_version_and_a_json_example():
    names = [event.name for event in ORDER_EVENTS]
    assert len(names) == len(set(names))
    for event in ORDER_EVENTS:
        data = event.example().data()
        assert data["order_id"] and data["version"] == event.version
        assert json.loads(json.dumps(data)) == data
        assert f"`{event.name}` (version {event.version})" in render()
