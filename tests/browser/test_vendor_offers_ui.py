"""The vendor's Offers section: a vendor proposes a product with its offer and an image (the page shows
the API's field errors next to the fields), shoppers see it with that image; the vendor pauses it and
shoppers no longer can buy it; the vendor edits the price with the version read."""

from __future__ import annotations

import struct
import uuid
import zlib

from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, api, fresh_email, frontend, sign_in_api


def tiny_png(rgb: tuple[int, int, int] = (46, 125, 90), size: int = 8) -> bytes:
    """A real PNG (size x size, one colour), so the browser can show the preview."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_a_vendor_adds_a_product_with_an_image_pauses_it_and_shoppers_no_longer_see_it(page, live_stack, tmp_path):
    email = fresh_email("vendor")
    api(live_stack, "POST", "/auth/signup", expected=201, body={
        "email": email, "password": PASSWORD, "name": "Olga Offers", "role": "vendor", "shop_name": "Olga's Lamps"})
    page.goto(frontend(live_stack, "#/signin?next=%23%2Fvendor%2Foffers"))
    page.get_by_test_id("signin-email").fill(email)
    page.get_by_test_id("signin-password").fill(PASSWORD)
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("vendor-offers-status")).to_have_text("You have no offers yet.")

    page.get_by_test_id("new-product").click()
    form = page.get_by_test_id("product-form")
    word = uuid.uuid4().hex[:6]
    form.get_by_test_id("input-title").fill("BEST PRICE LAMP")
    form.get_by_test_id("input-brand").fill("Olga")
    form.get_by_test_id("input-category").select_option("home")
    form.get_by_test_id("input-price").fill("24.90")
    form.get_by_test_id("input-shipping_fee").fill("0")
    form.get_by_test_id("input-stock").fill("7")
    image = tmp_path / "lamp.png"
    image.write_bytes(tiny_png())
    form.get_by_test_id("input-image").set_input_files(str(image))
    form.get_by_test_id("product-save").click()
    expect(form.get_by_test_id("field-error-title")).to_contain_text("capitals")

    title = f"Paper Lantern Lamp {word}"
    form.get_by_test_id("input-title").fill(title)
    form.get_by_test_id("product-save").click()
    row = page.get_by_test_id("vendor-offer").first
    expect(row).to_contain_text(title)
    expect(row.get_by_test_id("offer-status")).to_have_text("Listed")
    offer_id = row.get_attribute("data-offer-id")

    # Shoppers find it, with its image served through the API.
    product = api(live_stack, "GET", f"/catalog/products?q={word}")["items"][0]
    assert product["best_offer"]["offer_id"] == offer_id and product["image"].startswith("/media/vendors/")
    shop = page.context.new_page()
    shop.goto(frontend(live_stack, f"#/product/{product['product_id']}"))
    expect(shop.get_by_test_id("offer-row")).to_have_count(1)
    picture = shop.locator(".product-media img")
    expect(picture).to_have_attribute("src", f"{live_stack.api.rstrip('/')}{product['image']}")
    shop.wait_for_function("img => img.complete && img.naturalWidth === 8", arg=picture.element_handle())

    # Edit the price (If-Match: the version read), then pause.
    row.get_by_test_id("offer-edit").click()
    editor = page.get_by_test_id("offer-edit-form")
    editor.get_by_test_id("input-price").fill("0")
    editor.get_by_test_id("offer-save").click()
    expect(editor.get_by_test_id("field-error-price")).not_to_be_empty()
    editor.get_by_test_id("input-price").fill("22.50")
    editor.get_by_test_id("offer-save").click()
    row = page.locator(f'[data-testid="vendor-offer"][data-offer-id="{offer_id}"]')
    expect(row.get_by_test_id("offer-price")).to_contain_text("22.50")

    row.get_by_test_id("offer-pause").click()
    expect(row.get_by_test_id("offer-status")).to_have_text("Paused")
    shop.reload()
    expect(shop.get_by_test_id("no-offers")).to_be_visible()
    assert api(live_stack, "GET", f"/catalog/products?q={word}")["items"][0]["best_offer"] is None

    row.get_by_test_id("offer-resume").click()
    expect(row.get_by_test_id("offer-status")).to_have_text("Listed")
    shop.reload()
    expect(shop.get_by_test_id("offer-row")).to_have_count(1)
    token = sign_in_api(live_stack, email, PASSWORD)
    mine = api(live_stack, "GET", "/vendor/offers", token=token)["items"]
    assert [(o["offer_id"], o["price"]["amount"], o["status"]) for o in mine] == [(offer_id, 2250, "active")]
