"""The vendor's claims a page at a time (in-memory adapters): newest first, each once
across the pages; a cursor of another vendor or another list is refused naming `cursor`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.services import claims
from tests.usecases.test_claims import deps
from tests.usecases.test_fulfilment import NOW, World


def test_the_vendors_claims_page_open_first_each_once_and_a_foreign_cursor_is_refused():
    world = World()
    opened = []
    for n in range(3):
        world.place(f"ord_{n}", f"2026-11-27T02:5{n}:00Z")
        opened.append(claims.open_claim("s1", f"ord_{n}", vendor_id="alpine", reason="damaged", text="bent",
                                        now=NOW + timedelta(minutes=n), **deps(world))["claim_id"])

    seen, cursor = [], None
    while True:
        page = claims.vendor_cases("alpine", limit=2, cursor=cursor, **deps(world))
        seen += [c["case_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(opened) and len(seen) == len(set(seen))
    assert seen == opened[::-1]  # newest first

    first = claims.vendor_cases("alpine", limit=1, **deps(world))["next_cursor"]
    for vendor_id, open_only in (("bytes", False), ("alpine", True)):
        with pytest.raises(InvalidInput) as refused:
            claims.vendor_cases(vendor_id, open_only=open_only, limit=1, cursor=first, **deps(world))
        assert "cursor" in refused.value.fields
