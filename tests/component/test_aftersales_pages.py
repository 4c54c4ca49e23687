"""After-sales lists a page at a time (moto, the local payment provider): the shopper's, the vendor's
and the admin's return lists give `next_cursor` until the last page, every return once across the
pages; a cursor of another list, of another vendor, or garbage is a 400 naming `cursor`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.component.test_returns import ask, delivered_order, market  # noqa: F401 - the fixture
from tests.fixtures.aws import call


def every_page(get, path: str) -> tuple[list[str], int]:
    """All the ids a list gives, following next_cursor with pages of one; and how many pages it took."""
    seen, cursor, pages = [], None, 0
    while True:
        status, body, _ = get(path + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, body
        pages += 1
        seen += [r["return_id"] for r in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return seen, pages


def test_return_lists_page_with_cursors_and_refuse_a_cursor_of_another_list(market, make_user):  # noqa: F811
    from chalicelib.services import returns

    vendor, admin = market.catalog.vendor_a, make_user("admin")
    asked = [ask(market, delivered_order(market)["order_id"])[1]["return_id"] for _ in range(2)]

    def as_shopper(path):
        return market.call("GET", path)

    def as_vendor(path):
        return call(market.client, "GET", path, token=vendor.access_token)

    def as_admin(path):
        return call(market.client, "GET", path, token=admin.access_token)

    mine, pages = every_page(as_shopper, "/returns?limit=1")
    assert sorted(mine) == sorted(asked) and pages >= 2
    theirs, pages = every_page(as_vendor, "/vendor/returns?state=requested&limit=1")
    assert sorted(theirs) == sorted(asked) and pages >= 2

    assert returns.escalate_overdue_returns(datetime.now(UTC) + timedelta(days=30)) == {"escalated": 2}
    queued, pages = every_page(as_admin, "/admin/returns?state=escalated&limit=1")
    assert sorted(queued) == sorted(asked) and pages >= 2

    vendors_cursor = as_vendor("/vendor/returns?limit=1")[1]["next_cursor"]
    for status, body, _ in (as_shopper(f"/returns?limit=1&cursor={vendors_cursor}"),
                            as_admin(f"/admin/returns?limit=1&cursor={vendors_cursor}"),
                            as_shopper("/returns?cursor=not-a-cursor"),
                            as_vendor("/vendor/returns?limit=0")):
        assert status == 400, body
        assert set(body["error"]["fields"]) & {"cursor", "limit"}
