"""A new vendor's way to its first sale, in the browser: sign up, fill the shop profile, complete the
simulated Stripe onboarding, be approved by the admin on the admin page; then its offer is in the catalogue."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, api, frontend

ADMIN = ("admin@halles.local", "Halles-demo-1")
GTIN_PAYLOAD = "400638133"  # + 3 random digits + the check digit: a product nobody else offers


def _gtin() -> str:
    body = GTIN_PAYLOAD + f"{uuid.uuid4().int % 1000:03d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def _sign_up_vendor(page, live_stack, email: str) -> None:
    page.goto(frontend(live_stack, "#/signup"))
    page.get_by_test_id("signup-name").fill("Olga Onboarding")
    page.get_by_test_id("signup-email").fill(email)
    page.get_by_test_id("signup-password").fill(PASSWORD)
    page.get_by_test_id("signup-role-vendor").check()
    page.get_by_test_id("signup-shop-name").fill(f"Olga's Outdoor {email[7:12]}")
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("vendor-tab-onboarding")).to_have_attribute("aria-current", "page")


def _sign_in(page, live_stack, email: str, password: str, next_hash: str) -> None:
    page.goto(frontend(live_stack, "#/signin?next=" + next_hash.replace("#", "%23").replace("/", "%2F")))
    page.get_by_test_id("signin-email").fill(email)
    page.get_by_test_id("signin-password").fill(password)
    page.get_by_test_id("auth-submit").click()


def test_a_new_vendor_onboards_is_approved_and_its_offer_appears_in_the_catalogue(page, live_stack):
    email = f"vendor-{uuid.uuid4().hex[:10]}@example.com"
    _sign_up_vendor(page, live_stack, email)
    expect(page.get_by_test_id("onboarding-next-step")).to_contain_text("Fill in your shop profile")

    # Onboarding before the profile says what is missing, beside the form.
    page.get_by_test_id("continue-onboarding").click()
    expect(page.get_by_test_id("onboarding-error")).to_contain_text("Fill in and save your shop profile first")
    page.get_by_test_id("profile-legal_name").fill("Olga Outdoor GmbH")
    page.get_by_test_id("profile-country").fill("DE")
    page.get_by_test_id("profile-support_email").fill("not-an-email")
    page.get_by_test_id("profile-shipping_origin").fill("Munich, Germany")
    page.get_by_test_id("profile-return_policy").fill("Returns within 30 days, unused, in the original box.")
    page.get_by_test_id("profile-save").click()
    expect(page.get_by_test_id("field-error-support_email")).to_have_text("Not an e-mail address.")
    page.get_by_test_id("profile-support_email").fill("help@olga.example")
    page.get_by_test_id("profile-save").click()
    expect(page.get_by_test_id("profile-saved")).to_have_text("Profile saved.")

    # The vendor's offer exists but is not live yet.
    session = api(live_stack, "POST", "/auth/signin", body={"email": email, "password": PASSWORD})
    token, vendor_id = session["access_token"], session["user"]["user_id"]
    product = api(live_stack, "POST", "/vendor/products", token=token, expected=201, body={
        "title": f"Alpine Bivvy Bag {uuid.uuid4().hex[:6]}", "brand": "Olga", "category": "outdoor",
        "description": "A waterproof, breathable bivvy bag for fast alpine nights.", "gtin": _gtin(),
        "attributes": {"weight": "480 g"}})
    offer = api(live_stack, "PUT", f"/vendor/products/{product['product_id']}/offer", token=token, expected=201,
                body={"condition": "new", "price": {"amount": 14900, "currency": "EUR"},
                      "shipping_fee": {"amount": 0, "currency": "EUR"}, "stock": 3,
                      "delivery": {"min_days": 2, "max_days": 5}})

    # Stripe's hosted onboarding (the local provider's page), and back.
    page.get_by_test_id("continue-onboarding").click()
    page.get_by_role("button", name="Complete onboarding").click()
    expect(page).to_have_url(frontend(live_stack, "#/vendor/onboarding?return=1"))
    expect(page.get_by_test_id("onboarding-next-step")).to_have_attribute("data-step", "wait_for_approval",
                                                                          timeout=30_000)
    page.goto(frontend(live_stack, f"#/product/{product['product_id']}"))
    expect(page.get_by_test_id("best-offer-summary")).to_be_visible()
    expect(page.locator(f'[data-testid="offer-row"][data-offer-id="{offer["offer_id"]}"]')).to_have_count(0)

    # The admin approves it on the admin page.
    page.get_by_test_id("signout").click()
    _sign_in(page, live_stack, *ADMIN, "#/admin/vendors")
    page.get_by_test_id("admin-vendors-filter").select_option("pending")
    row = page.locator(f'[data-testid="admin-vendor"][data-vendor-id="{vendor_id}"]')
    expect(row.get_by_test_id("admin-vendor-onboarding")).to_have_text("Wait for approval")
    row.get_by_test_id("admin-vendor-approve").click()
    expect(row.get_by_test_id("admin-vendor-approval")).to_have_text("Approved")
    expect(row.get_by_test_id("admin-vendor-live")).to_have_text("Live")

    # Shoppers now see the offer.
    page.goto(frontend(live_stack, f"#/product/{product['product_id']}"))
    expect(page.locator(f'[data-testid="offer-row"][data-offer-id="{offer["offer_id"]}"]')).to_be_visible()
