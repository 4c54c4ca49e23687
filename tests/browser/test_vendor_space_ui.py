"""The vendor space shell: a new vendor lands in it after sign-up; it is theirs alone."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, frontend, sign_in, sign_in_api


def test_a_new_vendor_lands_in_the_vendor_space_on_its_onboarding_tab(page, live_stack):
    email = f"vendor-{uuid.uuid4().hex[:10]}@example.com"
    page.goto(frontend(live_stack, "#/signup"))
    page.get_by_test_id("signup-name").fill("Vera Vendor")
    page.get_by_test_id("signup-email").fill(email)
    page.get_by_test_id("signup-password").fill(PASSWORD)
    page.get_by_test_id("signup-role-vendor").check()
    page.get_by_test_id("signup-shop-name").fill("Vera's Attic")
    page.get_by_test_id("auth-submit").click()

    expect(page).to_have_url(frontend(live_stack, "#/vendor"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vendor space")
    expect(page.get_by_test_id("vendor-tab-onboarding")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("onboarding-next-step")).to_contain_text("Fill in your shop profile")
    page.get_by_test_id("vendor-tab-offers").click()
    expect(page.get_by_test_id("vendor-offers-status")).to_have_text("You have no offers yet.")
    expect(page.get_by_test_id("vendor-space-link")).to_be_visible()
    expect(page.get_by_test_id("cart-link")).to_have_count(0)


def test_the_vendor_space_is_closed_to_shoppers_and_visitors(page, live_stack):
    shopper = Shopper(fresh_email(), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": shopper.email, "password": PASSWORD, "name": "Test Shopper", "role": "shopper"})
    shopper.token = sign_in_api(live_stack, shopper.email, PASSWORD)
    page.goto(frontend(live_stack, "#/vendor"))
    expect(page.get_by_test_id("vendor-only")).to_contain_text("Sign in with a vendor account")

    sign_in(page, live_stack, shopper)
    page.goto(frontend(live_stack, "#/vendor/offers"))
    expect(page.get_by_test_id("vendor-only")).to_contain_text("for vendor accounts")
    expect(page.get_by_test_id("vendor-space-link")).to_have_count(0)
    expect(page.get_by_test_id("vendor-offers")).to_have_count(0)


def test_a_seeded_vendor_sees_its_own_offers_only(page, live_stack):
    page.goto(frontend(live_stack, "#/signin?next=%23%2Fvendor%2Foffers"))
    page.get_by_test_id("signin-email").fill("alpine@halles.local")
    page.get_by_test_id("signin-password").fill("Halles-demo-1")
    page.get_by_test_id("auth-submit").click()
    rows = page.get_by_test_id("vendor-offer")
    expect(rows.first).to_be_visible()
    token = sign_in_api(live_stack, "alpine@halles.local", "Halles-demo-1")
    mine = api(live_stack, "GET", "/vendor/offers?limit=100", token=token)["items"]
    shown = rows.evaluate_all("rows => rows.map(r => r.dataset.offerId)")
    assert set(shown) <= {o["offer_id"] for o in mine}
    assert shown, "the seeded vendor has offers"
