"""Claims on in-memory adapters: the escalation schedule reads the due index, escalates each overdue claim
once and leaves answered ones alone; an accepted refund proposal refunds the shopper once at the provider
whoever repeats it; a claim is found by id only by its shopper, its vendor and admins."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.services import claims
from chalicelib.store.cases import InMemoryCases
from tests.usecases.test_fulfilment import NOW, World


@pytest.fixture
def world():
    shop = World()
    shop.place("ord_1", "2026-11-27T02:50:00Z")
    shop.place("ord_2", "2026-11-27T02:51:00Z")
    return shop


def deps(world: World) -> dict:
    return {"orders": world.repo, "effects": world.runner, "cases": InMemoryCases(world.repo)}


def test_the_schedule_escalates_only_overdue_unanswered_claims_once(world):
    waiting = claims.open_claim("s1", "ord_1", vendor_id="alpine", reason="damaged", text="bent", now=NOW,
                                **deps(world))
    answered = claims.open_claim("s1", "ord_2", vendor_id="alpine", reason="damaged", text="bent", now=NOW,
                                 **deps(world))
    claims.answer("alpine", answered["claim_id"], resolution="replacement", now=NOW + timedelta(days=1),
                  **deps(world))

    assert claims.escalate_overdue_claims(now=NOW + timedelta(days=3) - timedelta(seconds=1),
                                          **deps(world)) == {"escalated": 0}
    assert claims.escalate_overdue_claims(now=NOW + timedelta(days=3), **deps(world)) == {"escalated": 1}
    assert claims.escalate_overdue_claims(now=NOW + timedelta(days=4), **deps(world)) == {"escalated": 0}

    assert claims.get_claim("s1", "shopper", waiting["claim_id"], **deps(world))["state"] == "escalated"
    assert claims.get_claim("s1", "shopper", answered["claim_id"], **deps(world))["state"] == "answered"
    assert world.published.count("claim.escalated") == 1
    queue = claims.admin_cases(kind="claim", state="escalated", **deps(world))["items"]
    assert [c["case_id"] for c in queue] == [waiting["claim_id"]]


def test_an_accepted_refund_is_made_once_at_the_provider(world):
    claim = claims.open_claim("s1", "ord_1", vendor_id="alpine", reason="not_as_described", text="blue, not red",
                              now=NOW, **deps(world))
    claims.answer("alpine", claim["claim_id"], resolution="refund", lines=[{"offer_id": "stove", "quantity": 1}],
                  now=NOW, **deps(world))
    first = claims.accept("s1", claim["claim_id"], now=NOW, **deps(world))
    again = claims.accept("s1", claim["claim_id"], now=NOW + timedelta(minutes=1), **deps(world))

    assert first["resolution"]["amount"] == again["resolution"]["amount"] == 1000
    assert list(world.provider.refunds.values()) == [1000]
    assert world.repo.get("ord_1").vendor_refundable("alpine") == 3500 - 1000


def test_a_claim_is_not_found_by_anyone_else(world):
    claim = claims.open_claim("s1", "ord_1", vendor_id="alpine", reason="damaged", text="bent", now=NOW,
                              **deps(world))
    for user_id, role in (("s2", "shopper"), ("bytes", "vendor")):
        with pytest.raises(NotFound):
            claims.get_claim(user_id, role, claim["claim_id"], **deps(world))
    with pytest.raises(NotFound):
        claims.answer("bytes", claim["claim_id"], resolution="replacement", **deps(world))
    with pytest.raises(NotFound):
        claims.open_claim("s2", "ord_1", vendor_id="alpine", reason="damaged", text="", **deps(world))
    assert claims.get_claim("admin-1", "admin", claim["claim_id"], **deps(world))["state"] == "opened"


def test_a_charge_refunded_webhook_arriving_before_the_case_refund_is_recorded_counts_it_once(world):
    """Locally the provider's `charge.refunded` (without its `refunds` list, as recent API versions send
    it) can be consumed while the claim's refund is still being made: it must not be counted twice."""
    from chalicelib.domain import claims as rules
    from chalicelib.services.payment_messages import ProviderEvent
    from chalicelib.services.refunds_and_disputes import on_charge_refunded

    claim = claims.open_claim("s1", "ord_1", vendor_id="alpine", reason="damaged", text="bent", now=NOW,
                              **deps(world))
    order = world.repo.get("ord_1")
    decision = rules.decision_for(order, "alpine", rules.Resolution.REFUND, lines=(("stove", 1),))
    rules.answer(order, claim["claim_id"], "alpine", decision, at="2026-11-27T04:00:00Z")
    effects = rules.accept(order, claim["claim_id"], at="2026-11-27T04:00:00Z")
    world.repo.save(order, effects=effects)  # saved with its refund asked for, not made yet

    event = ProviderEvent(event_id="evt_1", type="charge.refunded", created=1, livemode=False, object={
        "id": "ch_1", "object": "charge", "amount": 4200, "amount_refunded": 1000, "currency": "eur",
        "payment_intent": "pi_ord_1", "metadata": {"order_id": "ord_1"}})
    on_charge_refunded(event, orders=world.repo, effects=world.runner, now=NOW + timedelta(hours=1))
    world.runner.run(world.repo.get("ord_1"), world.repo)  # then the request that asked for it makes it

    settled = world.repo.get("ord_1")
    assert settled.refunded == 1000
    assert settled.vendor_refundable("alpine") == 3500 - 1000


def test_the_admin_cases_list_pages_through_claims_and_disputes_nearest_deadline_first_once_each():
    from chalicelib.domain.errors import InvalidInput
    from chalicelib.domain.orders import Dispute

    world = World()
    opened = []
    for n in range(4):  # one claim per order, a minute apart
        world.place(f"ord_{n}", f"2026-11-27T02:5{n}:00Z")
        opened.append(claims.open_claim("s1", f"ord_{n}", vendor_id="alpine", reason="damaged", text="bent",
                                        now=NOW + timedelta(minutes=4 - n), **deps(world))["claim_id"])
    order = world.repo.get("ord_0")
    order.record_dispute(Dispute("dp_1", 4200, "EUR", "needs_response", "fraudulent", "ch_1", 1,
                                 "2026-11-27T00:00:00Z"), stage="created", at="2026-11-27T03:00:00Z")
    world.repo.save(order, effects=[])
    claims.escalate_overdue_claims(now=NOW + timedelta(days=3, minutes=1), **deps(world))  # the two oldest

    pages, cursor = [], None
    while True:
        page = claims.admin_cases(kind="all", state="open", limit=2, cursor=cursor, **deps(world))
        pages.append([c["case_id"] for c in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            break

    listed = [case_id for page in pages for case_id in page]
    everything = claims.admin_cases(kind="all", state="open", limit=100, **deps(world))
    assert [c["case_id"] for c in everything["items"]] == listed and everything["next_cursor"] is None
    assert sorted(listed) == sorted(["dp_1", *opened])  # every case of the three queues, once
    deadlines = [c["deadline"] for c in everything["items"]]
    assert deadlines == sorted(deadlines, key=lambda d: (d is None, d or ""))  # nearest first, none last
    assert listed[0] == "dp_1" and [len(page) for page in pages] == [2, 2, 1]
    assert {c["state"] for c in everything["items"]} >= {"escalated", "opened"}
    first = claims.admin_cases(kind="claim", state="open", limit=1, **deps(world))["next_cursor"]
    for bad in ("not-a-cursor", first):  # garbage, or another listing's cursor
        with pytest.raises(InvalidInput) as caught:
            claims.admin_cases(kind="all", state="open", limit=2, cursor=bad, **deps(world))
        assert "cursor" in caught.value.fields
