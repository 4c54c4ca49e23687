"""The vendor edits a product it proposed, from its Offers section: the form shows the product as it is,
the API's field errors land next to the fields, a saved title reaches the offer row and the shoppers'
product page. A product another vendor proposed has no "Edit product" button."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, api, fresh_email, frontend, sign_in_api
from tests.fixtures.vendor_ready import make_vendor_ready_live


def _vendor(live_stack, name: str) -> tuple[str, str]:
    email = fresh_email("vendor")
    api(live_stack, "POST", "/auth/signup", expected=201, body={
        "email": email, "password": PASSWORD, "name": name, "role": "vendor", "shop_name": f"{name} Shop"})
    make_vendor_ready_live(live_stack, email, PASSWORD)
    return email, sign_in_api(live_stack, email, PASSWORD)


def test_a_vendor_edits_its_own_product_from_the_offers_section(page, live_stack):
    email, token = _vendor(live_stack, "Petra Products")
    other_email, other_token = _vendor(live_stack, "Otto Other")
    word = uuid.uuid4().hex[:6]
    terms = {"price": 3900, "shipping_fee": 0, "condition": "new", "stock": 3, "delivery": {"min_days": 1, "max_days": 3}}
    mine = api(live_stack, "POST", "/vendor/products", token=token, expected=201, body={
        "title": f"Stoneware Serving Bowl {word}", "brand": "Petra", "category": "home"})
    api(live_stack, "PUT", f"/vendor/products/{mine['product_id']}/offer", token=token, expected=201, body=terms)
    theirs = api(live_stack, "POST", "/vendor/products", token=other_token, expected=201, body={
        "title": f"Walnut Cutting Board {word}", "brand": "Otto", "category": "home"})
    api(live_stack, "PUT", f"/vendor/products/{theirs['product_id']}/offer", token=token, expected=201, body=terms)
    assert other_email != email

    page.goto(frontend(live_stack, "#/signin?next=%23%2Fvendor%2Foffers"))
    page.get_by_test_id("signin-email").fill(email)
    page.get_by_test_id("signin-password").fill(PASSWORD)
    page.get_by_test_id("auth-submit").click()
    own_row = page.get_by_test_id("vendor-offer").filter(has_text="Stoneware Serving Bowl")
    other_row = page.get_by_test_id("vendor-offer").filter(has_text="Walnut Cutting Board")
    expect(own_row.get_by_test_id("product-edit")).to_be_visible()
    expect(other_row.get_by_test_id("product-edit")).to_have_count(0)  # another vendor's product

    own_row.get_by_test_id("product-edit").click()
    form = page.get_by_test_id("product-edit-form")
    expect(form.get_by_test_id("product-edit-title")).to_have_value(f"Stoneware Serving Bowl {word}")
    expect(form.get_by_test_id("product-edit-category")).to_have_value("home")
    form.get_by_test_id("product-edit-title").fill("BOWL!!")
    form.get_by_test_id("product-edit-save").click()
    expect(form.get_by_test_id("field-error-title")).not_to_be_empty()  # the API names the field

    new_title = f"Stoneware Salad Bowl {word}"
    form.get_by_test_id("product-edit-title").fill(new_title)
    form.get_by_test_id("product-edit-attributes").fill("diameter: 28 cm")
    form.get_by_test_id("product-edit-description").fill("Glazed inside, raw outside.")
    form.get_by_test_id("product-edit-save").click()

    expect(form).to_have_count(0)
    expect(page.get_by_test_id("vendor-offer").filter(has_text=new_title)).to_have_count(1)
    product = api(live_stack, "GET", f"/catalog/products/{mine['product_id']}")["product"]
    assert (product["title"], product["attributes"], product["description"]) == (
        new_title, {"diameter": "28 cm"}, "Glazed inside, raw outside.")

    # The shopper's product page shows the new title.
    page.goto(frontend(live_stack, f"#/product/{mine['product_id']}"))
    expect(page.get_by_role("heading", name=new_title)).to_be_visible()
