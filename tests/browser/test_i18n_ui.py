"""French and English in Debian's Chromium against the local stack (issue 11 item 1).

A browser whose first language is French gets the whole shopper journey in French: the catalogue,
prices written "12,50 €", a checkout paid on the local provider's page, and an API error in the
catalogue's words rather than the API's English. The FR/EN switch in the header is remembered
across reloads, sent with every API request (Accept-Language) and saved as the account's language
(PUT /me/preferences) so e-mails follow.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import (
    CARD_OK,
    PAID_WITHIN_MS,
    PASSWORD,
    Shopper,
    api,
    click_pay,
    fresh_email,
    frontend,
    offers_from_two_vendors,
    pay_on_provider_page,
    sign_in,
    sign_in_api,
)
from tests.fixtures.artifacts import screenshot_path

pytestmark = pytest.mark.browser

# "12,50 €" (a narrow or plain no-break space before the sign, as Intl writes it), never "€12.50".
FRENCH_PRICE = re.compile(r"^\d{1,3}(?:[\u202f\u00a0]\d{3})*,\d{2}[\u202f\u00a0]€$")
FRENCH_CATALOGUE_SHOT = screenshot_path("i18n-catalogue-fr.png")
FRENCH_CART_SHOT = screenshot_path("i18n-cart-fr.png")


@pytest.fixture
def shopper(live_stack) -> Shopper:
    """A shopper of this test only (its own cart, orders and language)."""
    person = Shopper(fresh_email("i18n"), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": person.email, "password": person.password, "name": "Camille Martin", "role": "shopper"})
    person.token = sign_in_api(live_stack, person.email, person.password)
    return person


@pytest.fixture
def french_page(browser, live_stack):
    """A fresh tab in a browser whose languages are fr-FR, then English."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900},
                                  extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"the page raised: {errors}"


def test_a_french_browser_gets_the_catalogue_in_french_with_french_prices(french_page, live_stack):
    page = french_page
    page.goto(frontend(live_stack, "#/"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("language-fr")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("search-submit")).to_have_text("Rechercher")
    expect(page.get_by_test_id("result-status")).to_contain_text("produits")
    expect(page.get_by_test_id("signin-link")).to_have_text("Se connecter")
    expect(page.locator(".site-footer")).to_contain_text("Tous les prix sont TTC.")
    expect(page.get_by_test_id("category-filter").locator("option[value=kitchen]")).to_have_text("Cuisine & arts de la table")

    # A card without a promotion: its total is the whole text.
    first_total = page.locator('[data-testid="card-price"]').filter(has_not=page.locator(".visually-hidden")).first
    expect(first_total).to_be_visible()
    assert FRENCH_PRICE.match(first_total.inner_text().strip()), first_total.inner_text()
    # The words around each price are French too.
    expect(page.get_by_test_id("card-price-detail").first).to_contain_text(re.compile("livraison"))
    page.screenshot(path=FRENCH_CATALOGUE_SHOT, full_page=True)


def test_the_language_switch_is_remembered_after_reload_and_sent_to_the_api(page, live_stack):
    page.goto(frontend(live_stack, "#/"))
    expect(page.get_by_test_id("search-submit")).to_have_text("Search")  # en-IE browser: English
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_test_id("language-fr").click()
    expect(page.get_by_test_id("search-submit")).to_have_text("Rechercher")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    with page.expect_request(lambda r: "/catalog/products" in r.url) as request:
        page.reload()
    assert request.value.headers.get("accept-language") == "fr"
    expect(page.get_by_test_id("search-submit")).to_have_text("Rechercher")
    expect(page.get_by_test_id("language-fr")).to_have_attribute("aria-pressed", "true")

    page.get_by_test_id("language-en").click()
    expect(page.get_by_test_id("search-submit")).to_have_text("Search")
    page.reload()
    expect(page.get_by_test_id("search-submit")).to_have_text("Search")


def test_a_signed_in_switch_becomes_the_accounts_language_for_emails(page, live_stack, shopper):
    sign_in(page, live_stack, shopper)
    assert api(live_stack, "GET", "/me/preferences", token=shopper.token)["locale"] == "en"

    page.get_by_test_id("language-fr").click()
    expect(page.get_by_test_id("signout")).to_have_text("Se déconnecter")
    assert api(live_stack, "GET", "/me/preferences", token=shopper.token)["locale"] == "fr"


def test_a_language_chosen_before_signing_in_becomes_the_accounts(page, live_stack, shopper):
    page.goto(frontend(live_stack, "#/"))
    page.get_by_test_id("language-fr").click()
    expect(page.get_by_test_id("signin-link")).to_have_text("Se connecter")

    with page.expect_request(lambda r: r.url.endswith("/me/preferences") and r.method == "PUT") as saved:
        sign_in(page, live_stack, shopper)
    assert saved.value.post_data_json == {"locale": "fr"}
    live_stack.wait_for(lambda: api(live_stack, "GET", "/me/preferences", token=shopper.token)["locale"] == "fr",
                        "the account's language is the one chosen before signing in")


def test_an_api_error_is_shown_in_french_not_in_the_apis_english(french_page, live_stack, shopper):
    page = french_page
    status, body, _ = live_stack.call("POST", "/auth/signin", body={"email": shopper.email, "password": "Wrong-password-9"})
    assert status == 401 and body["error"]["code"] == "bad_credentials", body

    page.goto(frontend(live_stack, "#/signin"))
    expect(page.get_by_test_id("auth-submit")).to_have_text("Se connecter")
    page.get_by_test_id("signin-email").fill(shopper.email)
    page.get_by_test_id("signin-password").fill("Wrong-password-9")
    page.get_by_test_id("auth-submit").click()

    expect(page.get_by_test_id("form-error")).to_have_text("L'e-mail ou le mot de passe est incorrect.")
    expect(page.get_by_test_id("form-error")).not_to_contain_text(body["error"]["message"])


def test_a_french_shopper_checks_out_from_two_vendors_in_french(french_page, live_stack, shopper):
    page = french_page
    offers = offers_from_two_vendors(live_stack)
    sign_in(page, live_stack, shopper)
    for offer in offers:
        page.goto(frontend(live_stack, f"#/product/{offer['product_id']}"))
        row = page.locator(f'[data-testid="offer-row"][data-offer-id="{offer["offer_id"]}"]')
        expect(row.get_by_test_id("add-to-cart")).to_have_text("Ajouter au panier")
        row.get_by_test_id("add-to-cart").click()
        expect(row.get_by_test_id("add-status")).to_contain_text("Voir le panier")

    page.get_by_test_id("cart-link").click()
    expect(page.locator("h1")).to_contain_text("Votre panier")
    total = page.get_by_test_id("quote-total")
    expect(total).to_be_visible()
    assert FRENCH_PRICE.match(total.inner_text().strip()), total.inner_text()
    expect(page.get_by_test_id("pay-button")).to_contain_text(f"Payer {total.inner_text().strip()}")
    expect(page.get_by_test_id("quote-vat")).to_be_visible()
    expect(page.locator('[data-testid="quote"]')).to_contain_text("Frais de service")
    page.screenshot(path=FRENCH_CART_SHOT, full_page=True)

    click_pay(page)
    pay_on_provider_page(page, CARD_OK)
    expect(page.get_by_test_id("order-status")).to_have_text("Payée", timeout=PAID_WITHIN_MS)
    expect(page.get_by_test_id("order-total")).to_have_text(re.compile(r",\d{2}[\u202f\u00a0]€$"))


def test_the_vendor_space_speaks_french_too(french_page, live_stack):
    page = french_page
    page.goto(frontend(live_stack, "#/signin?next=%23%2Fvendor%2Forders"))
    page.get_by_test_id("signin-email").fill("alpine@halles.local")
    page.get_by_test_id("signin-password").fill("Halles-demo-1")
    page.get_by_test_id("auth-submit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Espace vendeur")
    expect(page.get_by_test_id("vendor-tab-offers")).to_have_text("Offres")
    expect(page.get_by_test_id("vendor-tab-orders")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("vendor-panel").get_by_role("heading", level=2)).to_have_text("Vos commandes")
    page.get_by_test_id("vendor-tab-offers").click()
    expect(page.get_by_test_id("vendor-offers").locator("th").first).to_have_text("Produit")
