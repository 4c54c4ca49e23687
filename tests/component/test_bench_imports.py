"""What `csv_import_dynamodb_wru_per_row` counts (scripts/bench_imports.py): write units as AWS bills them
(`csv_import_dynamodb_writes_per_row` counts the items written: `usage.writes`).

A put into a table with two indexes is billed three units (the item and its image in each index), not one
item; an update that changes nothing an index projects is billed the item alone.
"""

from __future__ import annotations

import sys

import boto3
import pytest
from moto import mock_aws

from scripts.bench_imports import _BilledWrites

REGION = "eu-west-1"
TABLE = "halles-bench-offers"


@pytest.fixture
def billed():
    writes = _BilledWrites()
    writes.install()
    # The meter names tables without the app's table prefix (from its settings): this stack is not the app's.
    writes.meter.short_name = lambda table: table.removeprefix("halles-bench-")
    try:
        with mock_aws():
            client = boto3.Session(region_name=REGION).client("dynamodb")  # a new session: it sees the hooks
            client.create_table(
                TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                                      for name in ("offer_id", "product_id", "vendor_id", "gtin")],
                KeySchema=[{"AttributeName": "offer_id", "KeyType": "HASH"}],
                GlobalSecondaryIndexes=[
                    {"IndexName": "by_product", "KeySchema": [{"AttributeName": "product_id", "KeyType": "HASH"}],
                     "Projection": {"ProjectionType": "ALL"}},
                    {"IndexName": "by_vendor", "KeySchema": [{"AttributeName": "vendor_id", "KeyType": "HASH"}],
                     "Projection": {"ProjectionType": "ALL"}},
                    {"IndexName": "by_gtin", "KeySchema": [{"AttributeName": "gtin", "KeyType": "HASH"}],
                     "Projection": {"ProjectionType": "KEYS_ONLY"}},
                ])
            writes.know_tables(REGION)
            yield writes, client
    finally:
        writes.uninstall()


def _offer(**extra) -> dict:
    return {"offer_id": {"S": "off_1"}, "product_id": {"S": "p1"}, "vendor_id": {"S": "v1"},
            "price": {"N": "1999"}, **extra}


def test_a_new_offer_is_billed_for_the_item_and_each_index_it_enters(billed):
    writes, client = billed
    with writes.measure() as usage:
        client.put_item(TableName=TABLE, Item=_offer())
    assert usage.wru["offers"] == 3  # the item, by_product, by_vendor (no gtin: not in by_gtin)
    assert usage.writes["offers"] == 1


def test_an_update_is_billed_for_the_indexes_whose_image_changed_only(billed):
    writes, client = billed
    client.put_item(TableName=TABLE, Item=_offer(gtin={"S": "4006381333931"}))
    with writes.measure() as usage:
        client.update_item(TableName=TABLE, Key={"offer_id": {"S": "off_1"}},
                           UpdateExpression="SET price = :p", ExpressionAttributeValues={":p": {"N": "1899"}})
    assert usage.wru["offers"] == 3  # the item and the two ALL indexes; by_gtin projects keys only
    with writes.measure() as unmeasured:
        pass
    assert sum(unmeasured.wru.values()) == 0


def test_a_large_item_is_billed_per_started_kilobyte_in_the_table_and_in_each_index(billed):
    writes, client = billed
    with writes.measure() as usage:
        client.put_item(TableName=TABLE, Item=_offer(description={"S": "x" * 1500}))
    assert usage.wru["offers"] == 2 + 2 + 2


def test_writes_from_several_threads_are_all_counted(billed):
    """The import consumer writes a chunk's rows from 8 threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    writes, client = billed
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: a count read before another's add is lost
    try:
        with writes.measure() as usage, ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda n: client.put_item(TableName=TABLE, Item=_offer(offer_id={"S": f"off_{n}"})),
                          range(300)))
    finally:
        sys.setswitchinterval(interval)
    assert (usage.writes["offers"], usage.wru["offers"]) == (300, 900)
