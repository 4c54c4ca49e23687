"""Bad input and other people's identities get nothing: regressions found by fuzzing the API
(schemathesis against /openapi.json, plus hand-made requests) and by an authorization audit.

Each test names what a caller tried; the answer must be the one JSON error shape (never a 500,
never a framework's own body) and nobody else's data may change.
"""

from __future__ import annotations

import base64
import json
import os
import uuid

import pytest

from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import call
from tests.fixtures.catalog import offer as offer_terms

GOOD_CARD = "4242424242424242"


def assert_error_shape(body) -> None:
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields", "correlation_id"}, body


def cursor_of(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


# --- malformed requests ---------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_not_a_500(app_client, make_user):
    shopper = make_user("shopper")
    depth = 5000  # ~30 KB, under the body limit, deeper than the JSON parser's stack
    nested = '{"a":' * depth + "1" + "}" * depth
    for method, path in (("PUT", "/cart/lines/off_x"), ("POST", "/auth/signin")):
        status, body, _ = call(app_client, method, path, nested, token=shopper.access_token)
        assert status == 400, (path, body)
        assert_error_shape(body)
        assert body["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_gets_415_in_the_error_shape(app_client, make_user, content_type):
    shopper = make_user("shopper")
    status, body, headers = call(app_client, "PUT", "/cart/lines/off_x", '{"quantity": 1}',
                                 token=shopper.access_token, headers={"Content-Type": content_type})
    assert status == 415
    assert_error_shape(body)
    assert body["error"]["code"] == "unsupported_media_type"
    assert body["error"]["correlation_id"] == headers["X-Correlation-Id"]


def test_a_method_the_route_lacks_gets_405_in_the_error_shape(app_client, make_user):
    status, body, _ = call(app_client, "PATCH", "/cart", {}, token=make_user("shopper").access_token)
    assert status == 405
    assert_error_shape(body)


@pytest.mark.parametrize("key", [
    {"shopper_id": "not-a-dynamodb-value"},       # crashed reading it (500)
    {"shopper_id": {"S": "<me>"}},                 # a partial key: DynamoDB refuses it (500 on AWS)
    {"shopper_id": {"S": "<me>"}, "order_id": {"N": "1"}, "created_at": {"S": "x"}},
    {"shopper_id": {"S": "<me>"}, "order_id": {"S": "o"}, "created_at": {"S": "x"}, "extra": {"S": "x"}},
    [],
    "text",
])
def test_a_forged_orders_cursor_is_a_400(app_client, make_user, key):
    shopper = make_user("shopper")
    key = json.loads(json.dumps(key).replace("<me>", shopper.user_id))
    status, body, _ = call(app_client, "GET", f"/orders?cursor={cursor_of(key)}", token=shopper.access_token)
    assert status == 400, body
    assert_error_shape(body)
    assert "cursor" in body["error"]["fields"]


# --- other people's things -----------------------------------------------------------------


def test_another_shoppers_orders_cursor_is_refused(app_client, make_user):
    from chalicelib.store import cursors

    me, victim = make_user("shopper"), make_user("shopper")
    key = {"shopper_id": {"S": victim.user_id}, "order_id": {"S": "ord_" + "0" * 24},
           "created_at": {"S": "2030-01-01T00:00:00Z"}}
    for forged in (cursors.encode(f"orders:{victim.user_id}", key), cursors.encode(f"orders:{me.user_id}", key)):
        status, body, _ = call(app_client, "GET", f"/orders?cursor={forged}", token=me.access_token)
        assert status == 400 and body["error"]["fields"] == {"cursor": "belongs to another query"}


@pytest.mark.parametrize("route", ["/catalog/products", "/catalog/products?category=outdoor", "/catalog/products?q=tent",
                                   "/vendor/offers", "/orders"])
def test_a_deeply_nested_cursor_is_a_400_naming_cursor(app_client, catalog, make_user, route):
    """1536 '[' decoded into a RecursionError that escaped as a 500 on the catalogue and vendor routes."""
    token = {"/vendor/offers": catalog.vendor_a.access_token, "/orders": make_user("shopper").access_token}.get(route)
    forged = base64.urlsafe_b64encode(b"[" * 1536).decode()
    status, body, _ = call(app_client, "GET", f"{route}{'&' if '?' in route else '?'}cursor={forged}", token=token)
    assert status == 400, body
    assert_error_shape(body)
    assert set(body["error"]["fields"]) == {"cursor"}


def test_another_vendors_offers_cursor_is_refused(app_client, catalog):
    status, page, _ = call(app_client, "GET", "/vendor/offers?limit=1", token=catalog.vendor_a.access_token)
    assert status == 200 and page["next_cursor"]
    status, body, _ = call(app_client, "GET", f"/vendor/offers?limit=1&cursor={page['next_cursor']}",
                           token=catalog.vendor_b.access_token)
    assert status == 400 and body["error"]["code"] == "invalid_cursor"


def test_an_admin_is_neither_a_shopper_nor_a_vendor(app_client, catalog, make_user):
    admin = make_user("admin").access_token
    lamp = catalog.products["lamp"]
    for method, path, body in [("GET", "/cart", None), ("GET", "/orders", None), ("GET", "/me/payment-methods", None),
                               ("GET", "/vendor/offers", None), ("PUT", f"/vendor/products/{lamp}/offer",
                                                                 offer_terms(1, 0, 1))]:
        status, answer, _ = call(app_client, method, path, body, token=admin)
        assert status == 403, (path, answer)
        assert_error_shape(answer)


def test_a_connected_accounts_refund_or_dispute_never_marks_a_platform_order(app_client, catalog, make_user, payments,
                                                                            drain, stack):
    """A vendor controls the metadata of charges on its own connected account and knows its orders'
    ids (they name its transfers): a refund or dispute there must not be recorded on our order."""
    import stripe

    shopper = make_user("shopper")
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    assert call(app_client, "PUT", f"/cart/lines/{catalog.offers[('tent', 'a')]}", {"quantity": 1},
                token=shopper.access_token)[0] == 200
    status, placed, _ = call(app_client, "POST", "/checkout", checkout_body(), token=shopper.access_token,
                             headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, placed
    order_id = placed["order"]["order_id"]
    payments.complete_payment(placed["payment"]["payment_intent_id"], GOOD_CARD)
    payments.deliver_webhooks()
    assert not drain("payment-events").errors

    account, total = "acct_vendorcontrolled1", placed["order"]["totals"]["total"]["amount"]
    forged_objects = {
        "charge.refunded": {"id": "ch_vendor_1", "object": "charge", "amount": total, "amount_refunded": total,
                            "currency": "eur", "payment_intent": "pi_vendor_1", "metadata": {"order_id": order_id}},
        "charge.dispute.created": {"id": "dp_vendor_1", "object": "dispute", "amount": total, "currency": "eur",
                                   "status": "needs_response", "charge": "ch_vendor_1",
                                   "payment_intent": "pi_vendor_1", "metadata": {"order_id": order_id}},
    }
    for event_type, obj in forged_objects.items():
        event = {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "created": 1, "livemode": False,
                 "account": account, "type": event_type, "data": {"object": obj}}
        body = json.dumps(event).encode()
        header = stripe.WebhookSignature.generate_signature_header(
            body.decode(), os.environ["STRIPE_CONNECT_WEBHOOK_SECRET"])
        response = app_client.http.post("/webhooks/stripe/connect", body=body,
                                        headers={"Content-Type": "application/json", "Stripe-Signature": header})
        assert response.status_code == 200, response.body  # genuinely signed: acknowledged
    drained = drain("payment-events")
    assert drained.processed == 2 and not drained.errors

    status, seen, _ = call(app_client, "GET", f"/orders/{order_id}", token=shopper.access_token)
    assert status == 200 and seen["status"] == "paid"
    assert seen["payment"]["refunded"]["amount"] == 0
    assert seen["payment"]["disputed"] is False
    assert not {"refund", "dispute"} & {e["kind"] for e in seen["timeline"]}


# --- the contract says what the API answers ---------------------------------------------------


def test_the_openapi_document_lists_every_status_a_route_declares(app_client):
    status, doc, _ = call(app_client, "GET", "/openapi.json")
    assert status == 200
    assert "401" in doc["paths"]["/auth/signin"]["post"]["responses"]  # wrong password
    assert "401" in doc["paths"]["/auth/refresh"]["post"]["responses"]  # revoked refresh token
    assert {"402", "502", "503"} <= set(doc["paths"]["/checkout"]["post"]["responses"])
    assert {"502", "503"} <= set(doc["paths"]["/me/payment-methods"]["get"]["responses"])
