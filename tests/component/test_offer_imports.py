"""Bulk CSV import of offers and stock through the offer-imports queue (issue 8, items 3 and 4):
progress, per-row error report, re-import and redelivery change nothing, a malformed file is a 400
that writes nothing, and a vendor never sees another vendor's imports."""

from __future__ import annotations

import base64
import uuid

import pytest

from chalicelib.domain.catalog import offer_id_for
from chalicelib.store import offers as offers_store
from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import call

HEADER = "gtin,condition,price,shipping_fee,stock,min_days,max_days\n"
TENT_GTIN, KETTLE_GTIN = "4006381333931", "5012345678900"


def upload(client, vendor, text: str | bytes, name: str = "offers.csv"):
    raw = text.encode() if isinstance(text, str) else text
    return call(client, "POST", "/vendor/imports",
                {"file_name": name, "content_base64": base64.b64encode(raw).decode()}, token=vendor.access_token)


def progress(client, vendor, import_id: str) -> dict:
    status, body, _ = call(client, "GET", f"/vendor/imports/{import_id}", token=vendor.access_token)
    assert status == 200, body
    return body


def error_report(client, vendor, import_id: str) -> list[list[str]]:
    response = client.http.get(f"/vendor/imports/{import_id}/errors.csv",
                               headers={"Authorization": f"Bearer {vendor.access_token}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    return [line.split(",", 2) for line in response.body.decode().splitlines()]


def product_page(client, product_id: str) -> dict:
    status, body, _ = call(client, "GET", f"/catalog/products/{product_id}")
    assert status == 200, body
    return body


def offer(vendor, product_id: str, condition: str = "new"):
    return offers_store.get_offer(offer_id_for(vendor.user_id, product_id, condition))


@pytest.fixture
def import_table_items(stack):
    def count() -> int:
        from chalicelib.store.imports import ImportItem

        return sum(1 for _ in ImportItem.scan())

    return count


def test_an_import_goes_through_the_queue_to_done_and_shoppers_see_the_stock_at_once(app_client, catalog, drain):
    vendor = catalog.vendor_a
    tent, kettle = catalog.products["tent"], catalog.products["kettle"]
    csv_text = HEADER + f"{TENT_GTIN},new,189.00,0,12,1,3\n{KETTLE_GTIN},new,39.99,4.99,6,2,4\n"
    status, job, _ = upload(app_client, vendor, csv_text)
    assert status == 202, job
    assert (job["status"], job["rows_total"], job["rows_done"]) == ("queued", 2, 0)

    drained = drain("offer-imports")
    assert drained.processed == 1 and not drained.errors

    done = progress(app_client, vendor, job["import_id"])
    assert (done["status"], done["rows_done"], done["rows_failed"], done["rows_imported"]) == ("done", 2, 0, 2)
    page = product_page(app_client, tent)
    mine = next(o for o in page["offers"] if o["vendor_id"] == vendor.user_id)
    assert (mine["price"]["amount"], mine["available"]) == (18900, 12)
    # The kettle was out of stock at vendor a: now in stock, and the listing (summary) says so too.
    status, listing, _ = call(app_client, "GET", "/catalog/products?category=kitchen&in_stock=true")
    kettle_card = next(p for p in listing["items"] if p["product_id"] == kettle)
    assert kettle_card["in_stock"] is True
    assert int(offer(vendor, kettle).available) == 6


def test_bad_rows_are_reported_by_row_and_column_and_the_others_imported(app_client, catalog, drain):
    vendor = catalog.vendor_a
    csv_text = (HEADER + f"{TENT_GTIN},new,189.00,0,12,1,3\n"
                f"{KETTLE_GTIN},new,abc,0,6,2,4\n"
                "4006381333948,new,10,0,1,2,4\n"    # a valid GTIN no product has
                f"{KETTLE_GTIN},used,9.99,0,2,6,3\n")
    status, job, _ = upload(app_client, vendor, csv_text, name="spring.csv")
    assert status == 202
    drain("offer-imports")

    done = progress(app_client, vendor, job["import_id"])
    assert (done["status"], done["rows_total"], done["rows_done"], done["rows_failed"]) == ("done", 4, 4, 3)
    report = error_report(app_client, vendor, job["import_id"])
    assert report[0] == ["row", "column", "message"]
    assert [(r[0], r[1]) for r in report[1:]] == [("3", "price"), ("4", "product_id"), ("5", "max_days")]
    assert int(offer(vendor, catalog.products["tent"]).available) == 12
    assert offer(vendor, catalog.products["kettle"], "used") is None


def test_the_same_file_again_is_the_same_import_and_changes_nothing(app_client, catalog, drain, dynamodb_calls):
    vendor = catalog.vendor_a
    csv_text = HEADER + f"{TENT_GTIN},new,189.00,0,12,1,3\n"
    _, first, _ = upload(app_client, vendor, csv_text)
    drain("offer-imports")
    version = int(offer(vendor, catalog.products["tent"]).version)

    status, again, _ = upload(app_client, vendor, csv_text)
    assert status == 200 and again["import_id"] == first["import_id"] and again["status"] == "done"
    assert drain("offer-imports").processed == 0
    assert int(offer(vendor, catalog.products["tent"]).version) == version

    # The same content after another import is a new import, whose rows are no-ops where the terms match.
    upload(app_client, vendor, HEADER + f"{KETTLE_GTIN},new,39.99,0,6,2,4\n")
    drain("offer-imports")
    status, third, _ = upload(app_client, vendor, csv_text)
    assert status == 202 and third["import_id"] != first["import_id"]
    with dynamodb_calls() as calls:
        drain("offer-imports")
    writes = sorted(c for c in calls if c in {"PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"})
    assert writes == ["TransactWriteItems", "UpdateItem"]  # the chunk's record + counters, the job's end stamp
    assert int(offer(vendor, catalog.products["tent"]).version) == version
    assert progress(app_client, vendor, third["import_id"])["status"] == "done"


def test_a_redelivered_chunk_counts_once_and_writes_nothing_twice(app_client, catalog, drain, stack):
    import boto3

    from tests.fixtures.aws import REGION

    vendor = catalog.vendor_a
    _, job, _ = upload(app_client, vendor, HEADER + f"{TENT_GTIN},new,189.00,0,12,1,3\n")
    sqs = boto3.client("sqs", region_name=REGION)
    url = stack.queues["offer-imports"]
    body = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"][0]["Body"]
    sqs.send_message(QueueUrl=url, MessageBody=body)  # SQS delivers at least once: the same chunk twice
    drained = drain("offer-imports")
    assert drained.processed == 2 and not drained.errors

    done = progress(app_client, vendor, job["import_id"])
    assert (done["rows_total"], done["rows_done"], done["rows_failed"]) == (1, 1, 0)
    item = offer(vendor, catalog.products["tent"])
    assert (int(item.available), int(item.version)) == (12, 2)  # the fixture's offer (v1) changed once


@pytest.mark.parametrize("content, field", [
    (HEADER.replace("stock,", ""), "header"),
    ("not,a,csv\n\x00\x01", "file"),
    (HEADER + "x\n" * 10_001, "file"),
    (HEADER.encode() + b"4006381333931,new,\xe9,0,1,2,4\n", "file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "file"),
])
def test_a_malformed_file_is_a_400_naming_the_problem_and_writes_nothing(app_client, catalog, take_messages,
                                                                        import_table_items, content, field):
    status, body, _ = upload(app_client, catalog.vendor_a, content)
    assert status == 400, body
    assert field in body["error"]["fields"]
    assert import_table_items() == 0
    assert take_messages("offer-imports") == []


def test_an_upload_that_is_not_base64_is_a_400_naming_it(app_client, catalog):
    status, body, _ = call(app_client, "POST", "/vendor/imports", {"content_base64": "%%%"},
                           token=catalog.vendor_a.access_token)
    assert status == 400 and "content_base64" in body["error"]["fields"]


def test_a_vendor_never_reads_another_vendors_imports(app_client, catalog, make_user, drain):
    a, b = catalog.vendor_a, catalog.vendor_b
    _, job, _ = upload(app_client, a, HEADER + f"{KETTLE_GTIN},new,1,0,1,2,4\n")  # a row error: a report to leak
    drain("offer-imports")
    for path in (f"/vendor/imports/{job['import_id']}", f"/vendor/imports/{job['import_id']}/errors.csv"):
        status, body, _ = call(app_client, "GET", path, token=b.access_token)
        assert status == 404, body
    status, listing, _ = call(app_client, "GET", "/vendor/imports", token=b.access_token)
    assert status == 200 and listing["items"] == []
    status, listing, _ = call(app_client, "GET", "/vendor/imports", token=a.access_token)
    assert [i["import_id"] for i in listing["items"]] == [job["import_id"]]
    shopper = make_user("shopper")
    assert call(app_client, "GET", "/vendor/imports", token=shopper.access_token)[0] == 403
    assert call(app_client, "GET", "/vendor/imports")[0] == 401
    status, body, _ = call(app_client, "POST", "/vendor/imports",
                           {"content_base64": "eA==", "vendor_id": a.user_id}, token=b.access_token)
    assert status == 400 and "vendor_id" in body["error"]["fields"]


def test_an_import_never_sets_stock_below_what_unpaid_orders_hold(app_client, catalog, drain, make_user, payments):
    """Stock declares units on hand: 3 units held by an unpaid order, the file says 2 -> the row fails on stock."""
    vendor = catalog.vendor_a
    tent = catalog.products["tent"]
    tent_offer = offer_id_for(vendor.user_id, tent, "new")
    shopper = make_user("shopper")
    assert call(app_client, "PUT", f"/cart/lines/{tent_offer}", {"quantity": 3}, token=shopper.access_token)[0] == 200
    status, body, _ = call(app_client, "POST", "/checkout", checkout_body(), token=shopper.access_token,
                           headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, body

    _, job, _ = upload(app_client, vendor, HEADER + f"{TENT_GTIN},new,199.00,0,2,2,4\n")
    drain("offer-imports")
    report = error_report(app_client, vendor, job["import_id"])
    assert [(r[0], r[1]) for r in report[1:]] == [("2", "stock")]
    item = offer(vendor, tent)
    assert (int(item.available), int(item.reserved)) == (2, 3)  # 5 on hand before: untouched

    _, job, _ = upload(app_client, vendor, HEADER + f"{TENT_GTIN},new,199.00,0,4,2,4\n")
    drain("offer-imports")
    item = offer(vendor, tent)
    assert (int(item.available), int(item.reserved)) == (1, 3)
    assert progress(app_client, vendor, job["import_id"])["rows_failed"] == 0


class SqsWithItsLimits:
    """The real (moto) client, refusing a SendMessageBatch over 256 KB in all as SQS does (moto does not)."""

    def __init__(self, client):
        self.client = client

    def send_message_batch(self, **kwargs):
        from botocore.exceptions import ClientError

        if sum(len(e["MessageBody"].encode()) for e in kwargs["Entries"]) > 262_144:
            raise ClientError({"Error": {"Code": "AWS.SimpleQueueService.BatchRequestTooLong"}}, "SendMessageBatch")
        return self.client.send_message_batch(**kwargs)


def test_ten_thousand_rows_all_wrong_are_queued_and_reported(app_client, catalog, drain, monkeypatch):
    """Chunks full of row errors are large messages: they are still queued (SQS takes 256 KB a batch)."""
    import chalicelib.events

    real = chalicelib.events._sqs_for
    monkeypatch.setattr(chalicelib.events, "_sqs_for", lambda *args: SqsWithItsLimits(real(*args)))
    vendor = catalog.vendor_a
    status, job, _ = upload(app_client, vendor, HEADER + "12345,mint,abc,abc,abc,abc,abc\n" * 10_000)
    assert status == 202, job
    drained = drain("offer-imports", max_batches=60)
    assert drained.processed == 50 and not drained.errors
    done = progress(app_client, vendor, job["import_id"])
    assert (done["status"], done["rows_done"], done["rows_failed"]) == ("done", 10_000, 10_000)
    report = error_report(app_client, vendor, job["import_id"])
    assert len(report) == 1 + 10_000 * 7


def test_the_product_page_shows_imported_stock_even_while_the_index_lags(app_client, catalog, drain, monkeypatch):
    """DynamoDB's by_product index is eventually consistent (moto's is not): the page must not show its old copy."""
    vendor = catalog.vendor_a
    tent = catalog.products["tent"]
    index_before = offers_store.product_offers(tent)  # what a lagging index still answers
    monkeypatch.setattr(offers_store, "product_offers", lambda product_id, **_: list(index_before))
    upload(app_client, vendor, HEADER + f"{TENT_GTIN},new,189.00,0,40,1,3\n")
    drain("offer-imports")

    mine = next(o for o in product_page(app_client, tent)["offers"] if o["vendor_id"] == vendor.user_id)
    assert (mine["available"], mine["price"]["amount"]) == (40, 18900)


def test_the_contract_says_the_error_report_is_csv_and_the_upload_json(shared_catalog):
    status, document, _ = call(shared_catalog.client, "GET", "/openapi.json")
    assert status == 200
    report = document["paths"]["/vendor/imports/{import_id}/errors.csv"]["get"]["responses"]["200"]["content"]
    assert list(report) == ["text/csv"]
    upload_body = document["paths"]["/vendor/imports"]["post"]["requestBody"]["content"]["application/json"]
    assert upload_body["schema"]


def test_an_import_that_leaves_a_listing_as_it_was_does_not_rewrite_it(app_client, catalog, drain):
    """Vendor b's tent is not the best offer (a's is): more of it in stock changes nothing shoppers see in
    the listing, so the product's listing entry is not written again; a cheaper total makes it the best at
    once, and the entry moves onto it (one holder)."""
    from chalicelib.store.listings import entry_holders

    tent = catalog.products["tent"]
    (before,) = entry_holders(tent)
    upload(app_client, catalog.vendor_b, HEADER + f"{TENT_GTIN},new,189.00,15.00,9,2,4\n")
    drain("offer-imports")
    assert int(offer(catalog.vendor_b, tent).available) == 9
    (after,) = entry_holders(tent)
    assert after.listing_at == before.listing_at and after.offer_id == catalog.offers[("tent", "a")]

    upload(app_client, catalog.vendor_b, HEADER + f"{TENT_GTIN},new,170.00,15.00,9,2,4\n")
    drain("offer-imports")
    status, listing, _ = call(app_client, "GET", "/catalog/products?category=outdoor")
    card = next(p for p in listing["items"] if p["product_id"] == tent)
    assert card["best_offer"]["offer_id"] == catalog.offers[("tent", "b")]
    assert card["best_offer"]["total"]["amount"] == 18500
    assert [h.offer_id for h in entry_holders(tent)] == [catalog.offers[("tent", "b")]]
