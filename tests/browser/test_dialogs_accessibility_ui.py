"""axe-core (tests/fixtures/axe.py) with each thing that opens on a click open: the confirm dialogs before
cancelling an order and delisting an offer, the phone menu and the sign-in form reached through it, the catalogue's filters on a
phone, the return and problem-report forms of a delivered order, the vendor's new-product form, promotion
editor and new API key box, and every folded section (`<details>`) of the vendor and admin spaces unfolded.

A page that passes axe closed can fail it open (a dialog without a name, a form whose fields have no
label, a menu whose links are hidden from the accessibility tree), so each is opened as a user would and
axe runs on the page with it open. No rule is disabled: a violation is fixed in the frontend.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility_ui import (
    ADMIN_SECTIONS,
    VENDOR_SECTIONS,
    open_page,
    people,  # noqa: F401 - the fixture, reused
    signed_in_session,
)
from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, frontend, sign_in_api
from tests.browser.test_surveys_ui import delivered_to_a_consenting_shopper
from tests.browser.test_vendor_orders_ui import new_offer, seeded_vendor
from tests.fixtures.addresses import checkout_body
from tests.fixtures.axe import assert_no_axe_violations

pytestmark = pytest.mark.browser

LANGUAGES = ["en-IE", "fr-FR"]


def unpaid_order_of_a_new_shopper(live_stack) -> tuple[dict, str]:
    """(session, order id) of a shopper whose order waits for payment (so it can be cancelled)."""
    shopper = Shopper(fresh_email("dialogs"), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": shopper.email, "password": PASSWORD, "name": "Dialog Shopper", "role": "shopper"})
    shopper.token = sign_in_api(live_stack, shopper.email, PASSWORD)
    offer = new_offer(live_stack, seeded_vendor(live_stack).token)
    api(live_stack, "PUT", f"/cart/lines/{offer['offer_id']}", token=shopper.token, body={"quantity": 1})
    status, answer, _ = live_stack.call("POST", "/checkout", body=checkout_body(), token=shopper.token,
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, answer
    return signed_in_session(live_stack, shopper.email, PASSWORD), answer["order"]["order_id"]


@pytest.fixture(scope="module")
def dialog_people(live_stack, people):  # noqa: F811
    """`people` plus a shopper with an unpaid order and one with a delivered order."""
    unpaid_session, unpaid_order = unpaid_order_of_a_new_shopper(live_stack)
    delivered_shopper, delivered = delivered_to_a_consenting_shopper(live_stack, seeded_vendor(live_stack))
    return {
        "sessions": {**people["sessions"], "unpaid": unpaid_session,
                     "delivered": signed_in_session(live_stack, delivered_shopper.email, PASSWORD)},
        "ids": {**people["ids"], "unpaid_order": unpaid_order, "delivered_order": delivered["order_id"]},
    }


def check(tab, errors, where: str) -> None:
    assert_no_axe_violations(tab, where)
    assert not errors, f"the page raised: {errors}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_cancel_order_dialog_passes_axe_open(browser, live_stack, dialog_people, language):
    context, tab, errors = open_page(browser, live_stack, dialog_people, "unpaid", "#/orders/{unpaid_order}",
                                     locale=language)
    try:
        tab.get_by_test_id("cancel-order").click()
        dialog = tab.get_by_test_id("cancel-dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_have_accessible_name(tab.locator("#cancel-dialog-title").inner_text())
        check(tab, errors, f"the cancel dialog ({language})")
        dialog.get_by_test_id("keep-order").click()
        expect(dialog).to_be_hidden()
        expect(tab.get_by_test_id("cancel-order")).to_be_focused()  # <dialog> gives focus back to its opener
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_phone_menu_and_the_sign_in_form_it_leads_to_pass_axe(browser, live_stack, dialog_people, language):
    context, tab, errors = open_page(browser, live_stack, dialog_people, None, "#/", locale=language,
                                     width=390, height=844)
    try:
        tab.get_by_test_id("menu-toggle").click()
        menu = tab.get_by_test_id("site-menu")
        expect(menu).to_be_visible()
        check(tab, errors, f"the phone menu ({language})")
        menu.locator('a[href^="#/signin"]').first.click()
        expect(tab.locator('[data-testid="signin-email"]')).to_be_visible()
        check(tab, errors, f"the sign-in form from the phone menu ({language})")
        tab.get_by_test_id("menu-toggle").click()
        expect(menu).to_be_visible()
        check(tab, errors, f"the phone menu over the sign-in form ({language})")
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_filters_opened_on_a_phone_pass_axe(browser, live_stack, dialog_people, language):
    context, tab, errors = open_page(browser, live_stack, dialog_people, None, "#/?q=bottle", locale=language,
                                     width=390, height=844)
    try:
        toggle = tab.get_by_test_id("filters-toggle")
        expect(toggle).to_be_visible()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        check(tab, errors, f"the catalogue filters open ({language})")
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_return_and_problem_forms_of_a_delivered_order_pass_axe_open(browser, live_stack, dialog_people, language):
    context, tab, errors = open_page(browser, live_stack, dialog_people, "delivered", "#/orders/{delivered_order}",
                                     locale=language)
    try:
        returns = tab.get_by_test_id("order-returns")
        returns.get_by_test_id("return-items").click()
        expect(returns.get_by_test_id("return-submit")).to_be_visible()
        check(tab, errors, f"the return form ({language})")
        claims = tab.get_by_test_id("order-claims")
        claims.get_by_test_id("report-problem").click()
        expect(claims.get_by_test_id("claim-submit")).to_be_visible()
        check(tab, errors, f"the return and problem forms ({language})")
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_vendors_new_product_form_and_new_api_key_box_pass_axe_open(browser, live_stack, dialog_people,
                                                                        language):
    context, tab, errors = open_page(browser, live_stack, dialog_people, "vendor", "#/vendor/offers", locale=language)
    try:
        tab.get_by_test_id("new-product").click()
        expect(tab.locator("main form").first).to_be_visible()
        check(tab, errors, f"the new product form ({language})")

        tab.goto(frontend(live_stack, "#/vendor/api-keys"))
        tab.get_by_test_id("api-key-name").fill(f"axe {language} {uuid.uuid4().hex[:6]}")
        tab.get_by_test_id("api-key-create").click()
        expect(tab.get_by_test_id("api-key-secret")).to_be_visible()
        check(tab, errors, f"the new API key box ({language})")

        tab.goto(frontend(live_stack, "#/vendor/promotions"))
        expect(tab.locator("main h1")).to_be_visible()
        tab.wait_for_load_state("networkidle")
        edit = tab.get_by_test_id("promotion-edit")
        if edit.count():  # the seeded vendor's promotions, when the seed has any
            edit.first.click()
            expect(tab.get_by_test_id("promotion-edit-cancel")).to_be_visible()
            check(tab, errors, f"the promotion editor ({language})")
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_delisting_asks_in_a_dialog_that_passes_axe_and_keep_changes_nothing(browser, live_stack, dialog_people,
                                                                             language):
    vendor = seeded_vendor(live_stack)
    offer = new_offer(live_stack, vendor.token)
    context, tab, errors = open_page(browser, live_stack, dialog_people, "vendor", "#/vendor/offers", locale=language)
    try:
        row = tab.locator(f'[data-testid="vendor-offer"][data-offer-id="{offer["offer_id"]}"]')
        row.get_by_test_id("offer-delist").click()
        dialog = tab.get_by_test_id("delist-dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_have_accessible_name(dialog.locator("h2").inner_text())
        check(tab, errors, f"the delist dialog ({language})")
        dialog.get_by_test_id("confirm-no").click()
        expect(dialog).to_have_count(0)
        expect(row.get_by_test_id("offer-delist")).to_be_focused()  # back where the vendor was
        expect(row).not_to_have_attribute("data-status", "delisted")

        row.get_by_test_id("offer-delist").click()
        tab.get_by_test_id("delist-dialog").get_by_test_id("confirm-yes").click()
        expect(tab.locator(f'[data-testid="vendor-offer"][data-offer-id="{offer["offer_id"]}"]')).to_have_attribute(
            "data-status", "delisted")
    finally:
        context.close()


SPACES = [*[("vendor", f"#/vendor/{s}") for s in VENDOR_SECTIONS], *[("admin", f"#/admin/{s}") for s in ADMIN_SECTIONS]]


@pytest.mark.parametrize(("who", "route"), SPACES, ids=[f"{w}:{r}" for w, r in SPACES])
def test_every_folded_section_of_the_vendor_and_admin_spaces_passes_axe_unfolded(browser, live_stack, dialog_people,
                                                                                 who, route):
    context, tab, errors = open_page(browser, live_stack, dialog_people, who, route, locale="fr-FR")
    try:
        folded = tab.locator("main details:not([open]) > summary")
        for _ in range(folded.count()):  # each click unfolds one: the next folded one is then the first
            folded.first.click()
        expect(folded).to_have_count(0)
        check(tab, errors, f"{route} with every section unfolded")
    finally:
        context.close()
