"""The vendor space's Imports section: upload a CSV, watch the progress bar reach done, download the
error report, see the import in the list of past imports."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, frontend, sign_in, sign_in_api


def test_a_vendor_imports_a_csv_watches_it_finish_and_downloads_the_error_report(page, live_stack):
    vendor = Shopper(fresh_email("vendor"), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201, body={
        "email": vendor.email, "password": PASSWORD, "name": "Ivo Importer", "role": "vendor",
        "shop_name": "Ivo's Imports"})
    token = sign_in_api(live_stack, vendor.email, PASSWORD)
    products = api(live_stack, "GET", "/catalog/products?limit=2")["items"]
    # Dear prices: this vendor's offers never become the best ones other tests expect.
    csv_text = ("product_id;condition;price;shipping_fee;stock;min_days;max_days\n"
                f"{products[0]['product_id']};new;999,00;0;4;2;5\n"
                f"{products[1]['product_id']};new;999,00;0;lots;2;5\n")

    sign_in(page, live_stack, vendor)
    page.goto(frontend(live_stack, "#/vendor/imports"))
    page.get_by_test_id("import-file").set_input_files(
        files=[{"name": "spring.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}])
    page.get_by_test_id("import-submit").click()

    progress = page.get_by_role("progressbar")
    expect(progress).to_have_attribute("aria-valuemax", "2")
    expect(progress).to_have_attribute("aria-valuenow", "2", timeout=30_000)
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("import-status")).to_contain_text("1 of 2 rows imported, 1 failed")

    with page.expect_download() as download_info:
        page.get_by_test_id("import-current").get_by_test_id("import-error-report").click()
    report = download_info.value
    assert report.suggested_filename == "spring-errors.csv"
    lines = open(report.path(), encoding="utf-8").read().splitlines()
    assert lines[0] == "row,column,message"
    assert lines[1].startswith("3,stock,")

    past = page.get_by_test_id("import-row")
    expect(past).to_have_count(1)
    expect(past.first).to_contain_text("spring.csv")
    mine = api(live_stack, "GET", "/vendor/offers", token=token)["items"]
    assert [(o["product_id"], o["stock"]) for o in mine] == [(products[0]["product_id"], 4)]


def test_a_malformed_file_is_refused_with_the_reason_and_nothing_is_imported(page, live_stack):
    vendor = Shopper(fresh_email("vendor"), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201, body={
        "email": vendor.email, "password": PASSWORD, "name": "Mia Malformed", "role": "vendor",
        "shop_name": "Mia's Misc"})
    sign_in(page, live_stack, vendor)
    page.goto(frontend(live_stack, "#/vendor/imports"))
    page.get_by_test_id("import-file").set_input_files(
        files=[{"name": "prices.csv", "mimeType": "text/csv", "buffer": b"gtin,price\n4006381333931,10\n"}])
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-error")).to_contain_text("Missing column(s): stock, min_days, max_days")
    expect(page.get_by_test_id("imports-status")).to_have_text("No imports yet.")
    expect(page.get_by_role("progressbar")).to_have_count(0)
