"""The local marketplace as a newcomer gets it from `make run`, exercised over real HTTP.

The run's stack (`live_stack`, a real `python -m devstack run --fresh` subprocess, shared with the
other live tests) serves the module; the restart test restarts a stack of its own (`own_stack`).
Every wait polls with a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fixtures.live import ROOT

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
PASSWORD = "Passw0rd!e2e"


def aws(live_stack, service: str):
    import boto3

    return boto3.client(service, endpoint_url=live_stack.moto, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def queue_url(live_stack, name: str) -> str:
    return aws(live_stack, "sqs").get_queue_url(QueueName=f"halles-local-{name}")["QueueUrl"]


def outbox_for(live_stack, address: str) -> list[dict]:
    status, body, _ = live_stack.call("GET", "/_devstack/outbox")
    assert status == 200
    return [m for m in body["messages"] if address in json.dumps(m.get("destinations"))]


def sign_up(live_stack, role: str = "shopper", **extra) -> dict:
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": PASSWORD, "name": "Eve Tester", "role": role, **extra}
    status, answer, _ = live_stack.call("POST", "/auth/signup", body)
    assert status == 201, answer
    # Sign-up never returns the user id (its answer is the same for a taken address): ask the token.
    session = sign_in(live_stack, email, PASSWORD)
    return {**answer, "user_id": session["user"]["user_id"]}


def sign_in(live_stack, email: str, password: str) -> dict:
    status, answer, _ = live_stack.call("POST", "/auth/signin", {"email": email, "password": password})
    assert status == 200, answer
    return answer


def devstack_cli(live_stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "devstack", *args, "--api", live_stack.api,
                           "--data-dir", str(live_stack.data_dir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


# ---- exposure: loopback only, control API behind its secret -----------------------------

LOOPBACK_IN_PROC_NET = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1


def listening_addresses(ports: set[int]) -> dict[int, set[str]]:
    """port -> local addresses in LISTEN state, from the kernel's socket tables."""
    found: dict[int, set[str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(port, 16) in ports:  # 0A: LISTEN
                found.setdefault(int(port, 16), set()).add(address)
    return found


def test_by_default_every_listener_of_the_stack_binds_loopback_only(live_stack):
    # moto's Cognito signing key is public: whoever reaches these ports could mint admin tokens.
    ports = {live_stack.api_port, live_stack.frontend_port, live_stack.moto_port, live_stack.pay_port}
    listening = listening_addresses(ports)
    assert set(listening) == ports
    assert all(addresses <= LOOPBACK_IN_PROC_NET for addresses in listening.values()), listening


def test_the_control_api_wants_the_runs_secret(live_stack):
    status, body, headers = live_stack.call("GET", "/_devstack/outbox", headers={"X-Devstack-Token": "guess"})
    assert (status, list(body["error"]["fields"])) == (401, ["X-Devstack-Token"])
    assert "Access-Control-Allow-Origin" not in headers


# ---- HTTP edge: what API Gateway would answer -------------------------------------------

def test_health_answers_once_the_stack_is_ready(live_stack):
    status, body, _ = live_stack.call("GET", "/health")
    assert (status, body) == (200, {"status": "ok"})


def test_an_unknown_route_is_a_404_in_the_error_shape(live_stack):
    status, body, headers = live_stack.call("GET", "/no/such/thing", headers={"X-Correlation-Id": "e2e-404"})
    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert body["error"]["correlation_id"] == "e2e-404"
    assert headers["X-Correlation-Id"] == "e2e-404"


def test_a_known_path_with_another_method_is_a_405(live_stack):
    for method in ("DELETE", "TRACE"):
        status, body, headers = live_stack.call(method, "/health")
        assert status == 405, method
        assert body["error"]["code"] == "method_not_allowed"
        assert "GET" in headers["Allow"]


def test_an_oversized_body_is_refused_with_413(live_stack):
    status, body, _ = live_stack.call("POST", "/auth/signup", {"email": "big@example.com", "name": "x" * 70_000})
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"


def test_a_body_beyond_api_gateway_limits_is_refused_before_it_is_sent(live_stack):
    port = urlsplit(live_stack.api).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /auth/signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 50000000\r\n\r\n")
        answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413")


def test_the_frontend_is_served_with_a_config_pointing_at_the_api(live_stack):
    import urllib.request

    with urllib.request.urlopen(f"{live_stack.frontend}/config.js", timeout=10) as response:
        script = response.read().decode()
    assert live_stack.api in script
    with urllib.request.urlopen(f"{live_stack.frontend}/", timeout=10) as response:
        assert response.status == 200
        assert "/config.js" in response.read().decode()


# ---- catalogue ------------------------------------------------------------------------

def test_the_seeded_catalogue_can_be_browsed(live_stack):
    status, categories, _ = live_stack.call("GET", "/catalog/categories")
    assert status == 200 and categories["items"]

    status, page, _ = live_stack.call("GET", "/catalog/products?limit=5")
    assert status == 200
    assert 0 < len(page["items"]) <= 5
    assert page["next_cursor"], "the demo catalogue has more than one page of 5"

    status, following, _ = live_stack.call("GET", f"/catalog/products?limit=5&cursor={page['next_cursor']}")
    assert status == 200
    first_ids = {p["product_id"] for p in page["items"]}
    assert first_ids.isdisjoint(p["product_id"] for p in following["items"])

    slug = categories["items"][0]["slug"]
    status, in_category, _ = live_stack.call("GET", f"/catalog/products?category={slug}&limit=50")
    assert status == 200 and in_category["items"]
    assert {p["category"] for p in in_category["items"]} == {slug}


def test_a_product_page_lists_every_offer_cheapest_total_first(live_stack):
    product = multi_offer_product(live_stack)

    status, page, _ = live_stack.call("GET", f"/catalog/products/{product['product_id']}")

    assert status == 200
    assert page["product"]["title"] == product["title"]
    totals = [o["total"]["amount"] for o in page["offers"]]
    assert len(totals) == product["offer_count"] >= 2
    assert totals == sorted(totals)
    for offer in page["offers"]:
        assert offer["total"]["amount"] == offer["price"]["amount"] + offer["shipping_fee"]["amount"]
    best = [o["offer_id"] for o in page["offers"] if o["is_best"]]
    assert best == ([page["best_offer_id"]] if page["best_offer_id"] else [])


def test_an_unknown_product_is_a_404(live_stack):
    status, body, _ = live_stack.call("GET", "/catalog/products/does-not-exist")
    assert status == 404
    assert body["error"]["code"] == "not_found"


def multi_offer_product(live_stack) -> dict:
    status, page, _ = live_stack.call("GET", "/catalog/products?limit=50")
    assert status == 200
    return next(p for p in page["items"] if p["offer_count"] >= 2)


# ---- accounts ---------------------------------------------------------------------------

def test_seeded_vendor_and_shopper_can_sign_in_and_see_themselves(live_stack):
    creds = live_stack.credentials
    assert creds, "the runner wrote no credentials.json (is devstack/seed.py there?)"
    for role in ("vendor", "shopper"):
        account = seeded_account(creds, role)
        session = sign_in(live_stack, account["email"], account["password"])
        assert role in session["user"]["roles"]
        status, me, _ = live_stack.call("GET", "/me", token=session["access_token"])
        assert status == 200
        assert me["user_id"] == session["user"]["user_id"]
        assert role in me["roles"]


def test_a_token_signed_by_another_key_is_refused(live_stack):
    from tests.fixtures.auth import claims, rsa_private_key, sign

    cognito = aws(live_stack, "cognito-idp")
    pool_id = cognito.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client_id = cognito.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"][0]["ClientId"]
    forged = sign(claims(issuer=f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}", app_client_id=client_id,
                         groups=("admins",)), rsa_private_key())

    status, body, _ = live_stack.call("GET", "/me", token=forged)

    assert status == 401
    assert body["error"]["code"]
    assert "correlation_id" in body["error"]


# ---- SQS pumps --------------------------------------------------------------------------

def test_signing_up_sends_the_welcome_mail_through_the_notifications_queue(live_stack):
    ses = aws(live_stack, "ses")
    sent_before = ses.get_send_quota()["SentLast24Hours"]

    user = sign_up(live_stack)

    mails = live_stack.wait_for(lambda: outbox_for(live_stack, user["email"]), f"a welcome mail to {user['email']}")
    assert "Welcome" in mails[0]["subject"]
    assert len(outbox_for(live_stack, user["email"])) == 1
    assert ses.get_send_quota()["SentLast24Hours"] > sent_before  # SES itself counted it


def test_a_poison_message_ends_in_the_dead_letter_queue_after_five_receives(live_stack):
    sqs = aws(live_stack, "sqs")
    marker = f"poison-{uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=queue_url(live_stack, "notifications"), MessageBody=f"{{not json {marker}")
    dlq = queue_url(live_stack, "notifications-dlq")

    def in_dlq():
        messages = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                       AttributeNames=["All"]).get("Messages", [])
        return [m for m in messages if marker in m["Body"]]

    found = live_stack.wait_for(in_dlq, "the poison message in the DLQ", timeout=45)
    assert int(found[0]["Attributes"]["ApproximateReceiveCount"]) >= 5


def test_fire_runs_a_function_of_the_running_stack(live_stack):
    email = f"e2e-fire-{uuid.uuid4().hex[:8]}@example.com"
    envelope = {"event_id": str(uuid.uuid4()), "type": "user.signed_up", "occurred_at": "2026-01-01T00:00:00Z",
                "data": {"user_id": str(uuid.uuid4()), "email": email, "name": "Fired", "role": "shopper"}}
    event = {"Records": [{"messageId": str(uuid.uuid4()), "receiptHandle": "local", "body": json.dumps(envelope),
                          "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                          "md5OfBody": "", "eventSource": "aws:sqs", "awsRegion": REGION,
                          "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:halles-local-notifications"}]}

    result = devstack_cli(live_stack, "fire", "notifications_consumer", "--event", json.dumps(event))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["result"] == {"batchItemFailures": []}
    assert outbox_for(live_stack, email), "the fired consumer sent no mail"

    # Polling the queue now must not wait for the stack's own pump, which long-polls it all the time.
    started = time.monotonic()
    drained = devstack_cli(live_stack, "fire", "notifications_consumer")
    assert time.monotonic() - started < 15, "the fire waited on the running pump"
    assert drained.returncode == 0, drained.stderr
    assert json.loads(drained.stdout)["kind"] == "sqs"


def test_fire_runs_a_scheduled_function_now(live_stack):
    status, listing, _ = live_stack.call("GET", "/_devstack/functions")
    assert status == 200
    scheduled = [f["name"] for f in listing["functions"] if f["kind"] == "schedule"]
    assert "expire_reservations" in scheduled, listing

    result = devstack_cli(live_stack, "fire", scheduled[0])

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kind"] == "schedule"


def stripe_api(live_stack, method: str, path: str, form: dict | None = None) -> dict:
    """The local payment provider, called as the Stripe SDK calls Stripe (the stack's local key)."""
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(f"{live_stack.payments}{path}", data=data, method=method,
                                     headers={"Authorization": "Bearer sk_test_local_halles"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_local_payment_provider_answers_with_the_configured_key(live_stack):
    assert stripe_api(live_stack, "GET", "/v1/events?limit=1")["object"] == "list"


def test_fire_names_the_functions_when_the_name_is_unknown(live_stack):
    result = devstack_cli(live_stack, "fire", "no_such_function")
    assert result.returncode == 2
    assert "notifications_consumer" in result.stdout


# ---- persistence: restarts a stack of its own -----------------------------------------

def seeded_account(credentials: dict, role: str) -> dict:
    """The first seeded account with this role, whatever exact shape seed_demo() returns."""
    def walk(value, key=None):
        if isinstance(value, dict):
            if "email" in value and "password" in value:
                yield key, value
            else:
                for k, v in value.items():
                    yield from walk(v, k)
        elif isinstance(value, list):
            for v in value:
                yield from walk(v, key)

    for key, account in walk(credentials):
        if account.get("role") == role or (key or "").rstrip("s") == role:
            return account
    raise AssertionError(f"no {role} in the seeded credentials: {credentials}")


def test_users_and_data_survive_a_restart(own_stack):
    user = sign_up(own_stack)
    before = sign_in(own_stack, user["email"], PASSWORD)
    vendor = seeded_account(own_stack.credentials, "vendor")
    vendor_token = sign_in(own_stack, vendor["email"], vendor["password"])["access_token"]
    status, offers, _ = own_stack.call("GET", "/vendor/offers", token=vendor_token)
    assert status == 200 and offers["items"]
    offer = offers["items"][0]
    new_price = offer["price"]["amount"] + 123
    status, changed, _ = own_stack.call("PUT", f"/vendor/products/{offer['product_id']}/offer", {
        "price": {"amount": new_price, "currency": "EUR"}, "shipping_fee": offer["shipping_fee"],
        "condition": offer["condition"], "stock": offer["available"], "delivery": offer["delivery"],
    }, token=vendor_token)
    assert status in (200, 201), changed
    customer = stripe_api(own_stack, "POST", "/v1/customers", {"email": user["email"]})

    code = own_stack.restart()

    assert code == 0, f"Ctrl-C should stop the stack cleanly:\n{own_stack.log_tail()}"
    after = sign_in(own_stack, user["email"], PASSWORD)
    assert after["user"]["user_id"] == user["user_id"]
    status, me, _ = own_stack.call("GET", "/me", token=after["access_token"])
    assert (status, me["user_id"]) == (200, user["user_id"])
    # The pool keeps its id across restarts, so a token issued before still works.
    status, _, _ = own_stack.call("GET", "/me", token=before["access_token"])
    assert status == 200
    # The vendor's change survived the restart and the re-seeding that follows it.
    status, page, _ = own_stack.call("GET", f"/catalog/products/{offer['product_id']}")
    assert status == 200
    kept = next(o for o in page["offers"] if o["offer_id"] == offer["offer_id"])
    assert kept["price"]["amount"] == new_price
    # So did what the local payment provider knew.
    assert stripe_api(own_stack, "GET", f"/v1/customers/{customer['id']}")["email"] == user["email"]
