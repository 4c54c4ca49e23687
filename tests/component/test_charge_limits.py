"""Issue 7, item 3: what the provider cannot charge is refused before anything is held, and each
provider error keeps its own meaning (code, message, status) up to the shopper.

Provider errors are real ones where the local provider can produce them (amount limits, an
unknown saved card, a declined card, a refused key, 429/5xx answers, an unreachable host)."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.domain.catalog import OfferTerms
from chalicelib.domain.money import Money
from chalicelib.store import offers as offers_store
from chalicelib.store import products as products_store
from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import call
from tests.fixtures.catalog import offer


@pytest.fixture(scope="module")
def world():
    from chalice.test import Client

    import app as halles
    from tests.fixtures.catalog import module_stack
    from tests.fixtures.payments import local_payment_provider

    with module_stack(), local_payment_provider() as provider:
        with Client(halles.app, stage_name="dev") as client:
            yield client, provider


def _user(role: str, shop_name: str | None = None):
    from chalicelib.services import accounts
    from tests.fixtures.auth import TestUser

    email, password = f"{role}-{uuid.uuid4().hex[:10]}@example.com", "Passw0rd!x"
    accounts.sign_up(email, password, "Test", role, shop_name=shop_name)
    session = accounts.sign_in(email, password)
    if role == "vendor":
        from tests.fixtures.auth import make_vendor_ready

        make_vendor_ready(session["user"]["user_id"])  # its offers are live
    return TestUser(session["user"]["user_id"], email, password, role, session["access_token"],
                    session["id_token"], session["refresh_token"])


class Till:
    """One vendor with one product, one shopper; offers at any price, even ones listing refuses now."""

    def __init__(self, client, provider):
        from chalicelib.services import catalog as use_cases

        self.client, self.provider = client, provider
        self.vendor, self.shopper = _user("vendor", f"Till {uuid.uuid4().hex[:6]}"), _user("shopper")
        product, _ = use_cases.create_product(self.vendor.user_id, {
            "title": f"Sticker {uuid.uuid4().hex[:8]}", "brand": "Tiny", "category": "home"})
        self.product_id = product["product_id"]

    def list_offer(self, price: int, stock: int = 20):
        return call(self.client, "PUT", f"/vendor/products/{self.product_id}/offer", offer(price, 0, stock),
                    token=self.vendor.access_token)

    def legacy_offer(self, price: int, stock: int = 20) -> str:
        """An offer written before the minimum was enforced (straight into the store)."""
        from chalicelib.domain.catalog import offer_id_for

        offer_id = offer_id_for(self.vendor.user_id, self.product_id, "new")
        terms = OfferTerms(Money(price, "EUR"), Money(0, "EUR"), "new", stock, 1, 2)
        assert offers_store.insert_offer(offer_id, self.vendor.user_id, products_store.get_product(self.product_id),
                                          terms) is not None
        return offer_id

    def add(self, offer_id: str, quantity: int):
        status, body, _ = call(self.client, "PUT", f"/cart/lines/{offer_id}", {"quantity": quantity},
                               token=self.shopper.access_token)
        assert status == 200, body

    def quote(self):
        return call(self.client, "GET", "/cart/quote?country=DE", token=self.shopper.access_token)

    def checkout(self, body: dict | None = None):
        return call(self.client, "POST", "/checkout", body or checkout_body(), token=self.shopper.access_token,
                    headers={"Idempotency-Key": uuid.uuid4().hex})

    def intents(self) -> int:
        with self.provider.ledger.lock:
            return len(self.provider.ledger.of_kind("payment_intent"))

    def stock(self, offer_id: str) -> tuple[int, int, int]:
        item = offers_store.get_offer(offer_id)
        return int(item.available), int(item.reserved), int(item.sold)

    def orders(self) -> list[dict]:
        return call(self.client, "GET", "/orders", token=self.shopper.access_token)[1]["items"]


@pytest.fixture
def till(world):
    yield Till(*world)
    world[1].faults.clear()  # faults the SDK did not use up (it does not retry a 429) must not leak


def test_an_offer_below_the_minimum_charge_cannot_be_listed(till):
    status, err, _ = till.list_offer(1)
    assert status == 400 and "0.50 EUR" in err["error"]["fields"]["price"]
    assert till.list_offer(50)[0] == 201


def test_a_cart_below_the_minimum_is_refused_by_quote_and_checkout_before_anything_is_held(till):
    offer_id = till.legacy_offer(10)
    till.add(offer_id, 2)
    before = till.intents()

    status, err, _ = till.quote()
    assert status == 422 and err["error"]["code"] == "amount_too_small" and "0.50 EUR" in err["error"]["fields"]["total"]
    status, err, _ = till.checkout()
    assert status == 422 and err["error"]["code"] == "amount_too_small" and "total" in err["error"]["fields"]
    assert "saved card" not in err["error"]["message"]
    assert till.stock(offer_id) == (20, 0, 0) and till.intents() == before and till.orders() == []

    till.add(offer_id, 5)  # 0.50 EUR: now it can be paid
    assert till.quote()[0] == 200 and till.checkout()[0] == 201


def test_a_cart_above_the_maximum_is_refused_before_anything_is_held(till):
    status, listed, _ = till.list_offer(10_000_000)  # 100,000.00 EUR
    assert status == 201
    till.add(listed["offer_id"], 10)
    before = till.intents()

    status, err, _ = till.quote()
    assert status == 422 and err["error"]["code"] == "amount_too_large" and "999999.99 EUR" in err["error"]["fields"]["total"]
    status, err, _ = till.checkout()
    assert status == 422 and err["error"]["code"] == "amount_too_large"
    assert till.stock(listed["offer_id"]) == (20, 0, 0) and till.intents() == before and till.orders() == []


# --- the provider's own refusals and failures, one meaning each ------------------------------------


def _provider_amount_limit(till, monkeypatch, code: str):
    """Our table made laxer than the provider's: the provider itself refuses the amount."""
    from chalicelib.domain import charge_limits

    if code == "amount_too_small":
        monkeypatch.setitem(charge_limits.MINIMUM_CHARGE, "EUR", 1)
        offer_id, quantity = till.legacy_offer(10), 1
    else:
        monkeypatch.setitem(charge_limits.MAXIMUM_CHARGE, "EUR", 10**10)
        offer_id, quantity = till.list_offer(10_000_000)[1]["offer_id"], 10
    till.add(offer_id, quantity)
    return offer_id


@pytest.mark.parametrize("code", ["amount_too_small", "amount_too_large"])
def test_the_providers_amount_refusals_keep_their_meaning_and_release_the_stock(till, monkeypatch, code):
    offer_id = _provider_amount_limit(till, monkeypatch, code)

    status, err, _ = till.checkout()

    assert status == 422 and err["error"]["code"] == code and "total" in err["error"]["fields"]
    assert "saved card" not in err["error"]["message"]
    assert till.stock(offer_id) == (20, 0, 0)
    assert [o["status"] for o in till.orders()] == ["cancelled"]


def _gateway(monkeypatch, **kwargs):
    import chalicelib.payments as payments_module
    from chalicelib.payments.stripe_gateway import StripeGateway
    from chalicelib.settings import get_settings

    settings = get_settings()
    options = {"api_key": settings.stripe_secret_key, "api_base": settings.stripe_api_base, **kwargs}
    gateway = StripeGateway(options.pop("api_key"), **options)
    monkeypatch.setattr(payments_module, "get_gateway", lambda: gateway)


CAUSES = {
    # cause -> (status, code, field or None, Retry-After)
    "unknown_saved_card": (400, "invalid_payment_method", "payment_method_id", None),
    "declined_saved_card": (402, "card_declined", "payment_method_id", None),
    "rate_limited": (503, "provider_busy", None, "5"),
    "refused_credentials": (500, "payments_misconfigured", None, None),
    "provider_5xx": (503, "provider_error", None, "5"),
    "unreachable": (503, "provider_unavailable", None, "5"),
}


def _provoke(till, monkeypatch, cause: str) -> dict:
    body = checkout_body()
    if cause == "unknown_saved_card":
        body["payment_method_id"] = "pm_doesNotExist"
    elif cause == "declined_saved_card":
        body["payment_method_id"] = "pm_card_chargeDeclined"
    elif cause == "rate_limited":
        till.provider.fail_next("POST", "/v1/payment_intents", 429, times=5)
    elif cause == "provider_5xx":
        till.provider.fail_next("POST", "/v1/payment_intents", 500, times=5)
    elif cause == "refused_credentials":
        _gateway(monkeypatch, api_key="sk_test_revoked", max_network_retries=0)
    elif cause == "unreachable":
        _gateway(monkeypatch, api_base="http://127.0.0.1:9", max_network_retries=0, timeout=2)
    return body


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_each_provider_error_has_its_own_code_and_message(till, monkeypatch, cause):
    status_code, code, field, retry_after = CAUSES[cause]
    listed = till.list_offer(1500)[1]
    till.add(listed["offer_id"], 2)
    body = _provoke(till, monkeypatch, cause)

    status, err, headers = till.checkout(body)

    assert (status, err["error"]["code"]) == (status_code, code), err
    assert headers.get("Retry-After") == retry_after
    if field:
        assert field in err["error"]["fields"]
    if cause != "unknown_saved_card":
        assert "saved card" not in err["error"]["message"]
    if cause == "declined_saved_card":
        # A decline keeps the order payable (Stripe leaves the intent retryable): its stock stays held for the retry.
        assert till.stock(listed["offer_id"]) == (18, 2, 0), "the declined order keeps its units for the retry"
    else:
        assert till.stock(listed["offer_id"]) == (20, 0, 0), "nothing stays held"
    MESSAGES.setdefault(err["error"]["message"], set()).add(cause)


MESSAGES: dict[str, set[str]] = {}


def test_no_two_causes_share_a_message():
    """Runs after the parametrized test above (same module, file order)."""
    assert MESSAGES, "run with the test above"
    assert all(len(causes) == 1 for causes in MESSAGES.values()), MESSAGES
