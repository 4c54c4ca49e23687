"""The public vendor page (`GET /vendors/{vendor_id}`) as a shopper's browser reads it, without signing in:
the shop's public profile and return window, its ratings once enough shoppers answered, and nothing a
shopper must not see (legal name, support e-mail, payout account). Unknown, pending and suspended shops
are 404s naming the field."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from chalicelib.domain import surveys as survey_rules
from chalicelib.domain.vendor_pages import MIN_PUBLIC_ANSWERS
from chalicelib.services import onboarding, returns, vendor_admin
from chalicelib.store import surveys as surveys_store
from tests.fixtures.aws import call

PROFILE = {
    "legal_name": "Alpine Outfitters SARL", "country": "FR", "support_email": "help@alpine-secret.example",
    "return_policy": "Unused items come back within 30 days, in their box, at our cost.",
    "shipping_origin": "Annecy, France", "logo_url": "https://cdn.example.com/alpine.png",
}


def page(client, vendor_id: str):
    return call(client, "GET", f"/vendors/{vendor_id}")


def answer_survey(vendor_id: str, *, vendor: int, delivery: int, order: int) -> None:
    """One shopper's answer, through the store's own writes (scheduled, sent, answered) as the survey job does."""
    survey_id, now = uuid.uuid4().hex, datetime.now(UTC).isoformat()
    assert surveys_store.schedule(survey_id, order_id=f"o-{survey_id}", order_number="H-1", vendor_id=vendor_id,
                                  vendor_name="Alpine Test", shopper_id=f"s-{survey_id}", products=[],
                                  delivered_at=now)
    survey = surveys_store.get(survey_id)
    assert surveys_store.mark_sent(survey, at=now)
    given = survey_rules.Answer(order=order, vendor=vendor, delivery=delivery, nps=9, comment="secret words")
    assert surveys_store.record_answer(surveys_store.get(survey_id), given.to_json(), given.increments(), at=now)


def test_an_approved_shop_shows_its_public_profile_and_nothing_private(app_client, catalog):
    vendor_id = catalog.vendor_a.user_id
    onboarding.update_profile(vendor_id, PROFILE)
    returns.put_rules(vendor_id, {"window_days": 30, "restocking_percent": 10})

    status, body, _ = page(app_client, vendor_id)

    assert status == 200, body
    assert body["name"] == "Alpine Test"
    assert (body["country"], body["shipping_origin"]) == ("FR", "Annecy, France")
    assert body["logo_url"] == "https://cdn.example.com/alpine.png"
    assert body["return_policy"] == {"text": PROFILE["return_policy"], "window_days": 30, "restocking_percent": 10}
    assert body["ratings"] is None
    raw = json.dumps(body)
    for private in ("help@alpine-secret.example", "Alpine Outfitters SARL", "acct_", catalog.vendor_a.email):
        assert private not in raw


def test_a_shop_without_a_profile_yet_shows_its_name_and_the_default_return_window(app_client, catalog):
    status, body, _ = page(app_client, catalog.vendor_b.user_id)
    assert status == 200, body
    assert body["name"] == "Bytes Test"
    assert body["country"] is None and body["return_policy"]["text"] is None
    assert body["return_policy"]["window_days"] == 14


def test_ratings_appear_as_averages_only_once_enough_shoppers_answered(app_client, catalog):
    vendor_id = catalog.vendor_a.user_id
    scores = [(5, 4, 5), (4, 4, 3), (3, 5, 4)]
    for vendor, delivery, order in scores[:MIN_PUBLIC_ANSWERS - 1]:
        answer_survey(vendor_id, vendor=vendor, delivery=delivery, order=order)
    assert page(app_client, vendor_id)[1]["ratings"] is None  # too few to stay anonymous

    answer_survey(vendor_id, vendor=3, delivery=5, order=4)
    status, body, _ = page(app_client, vendor_id)

    assert status == 200, body
    ratings = body["ratings"]
    assert ratings["answers"] == MIN_PUBLIC_ANSWERS
    assert ratings["vendor"] == {"average": 4.0, "satisfied_rate": round(2 / 3, 4)}
    assert ratings["delivery"]["average"] == round(13 / 3, 2)
    assert "secret words" not in json.dumps(body) and "distribution" not in json.dumps(body)
    # Another vendor's page counts none of them.
    assert page(app_client, catalog.vendor_b.user_id)[1]["ratings"] is None


@pytest.mark.parametrize("vendor_id", ["no-such-vendor", "bad id with spaces", "x" * 161])
def test_an_unknown_vendor_is_a_404_naming_the_vendor(app_client, catalog, vendor_id):
    status, body, _ = page(app_client, vendor_id.replace(" ", "%20"))
    assert status == 404, body
    assert body["error"]["code"] == "not_found" and "vendor_id" in body["error"]["fields"]


def test_pending_and_suspended_shops_have_no_public_page(app_client, catalog, make_user):
    pending = make_user("vendor", shop_name="Not Yet", ready=False)
    assert page(app_client, pending.user_id)[0] == 404

    vendor_admin.suspend(catalog.vendor_b.user_id, "checking complaints", admin_id="test")
    status, body, _ = page(app_client, catalog.vendor_b.user_id)
    assert status == 404 and body["error"]["fields"] == {"vendor_id": "unknown"}

    vendor_admin.reinstate(catalog.vendor_b.user_id, admin_id="test")
    assert page(app_client, catalog.vendor_b.user_id)[0] == 200
