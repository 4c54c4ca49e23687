"""The order item's stored layout (chalicelib/store/order_packing.py): what stays an attribute, what
goes into the compressed document, and that every layout ever written reads back the same."""

from __future__ import annotations

import json
import zlib

import pytest

from chalicelib.store import order_packing as packing

ORDER = {
    "order_id": "ord_880155beeba1f451c49f6641", "shopper_id": "ce15e098-1804-479b-9c60-807d574afbba",
    "created_at": "2026-11-27T17:34:02Z", "status": "paid", "payment_intent_id": "pi_3Q", "version": 7,
    "reserved_until": "2026-11-27T17:49:02Z", "order_number": "H-2611-157977", "payment_status": "paid",
    "charge_id": "ch_XBdCoZI2azweAXsgflrTuMsW", "client_secret": "pi_3Q_secret_x", "total": 32800,
    "currency": "EUR", "country": "DE", "lines": [{"offer_id": "off_1", "quantity": 1}],
    "timeline": [{"id": "placed", "at": "2026-11-27T17:34:02Z", "label": "Order placed"}],
    "ledger_ids": {"ord_880155beeba1f451c49f6641:v1:sale"},
}


def _read(stored: dict) -> dict:
    return packing.unpacked(dict(stored))


def test_only_keys_index_keys_and_conditions_stay_attributes_and_all_reads_back():
    stored = packing.packed(ORDER)

    assert sorted(stored) == ["created_at", "order_id", "packed", "payment_intent_id", "shopper_id", "status",
                              "version"]
    assert _read(stored) == {**ORDER, "ledger_ids": sorted(ORDER["ledger_ids"])}


def test_the_reservation_time_is_an_attribute_only_while_the_order_is_pending():
    pending = packing.packed({**ORDER, "status": "pending_payment"})
    assert pending["reserved_until"] == ORDER["reserved_until"]
    assert _read(pending)["reserved_until"] == ORDER["reserved_until"]


def test_the_dictionary_and_the_orders_own_ids_make_the_document_smaller():
    document = json.dumps({k: v for k, v in ORDER.items() if k != "ledger_ids"}, sort_keys=True).encode()
    assert len(packing.compress(document, ORDER)) < len(zlib.compress(document, 9)) * 0.8


@pytest.mark.parametrize("written_with", ["no dictionary", "the dictionary alone"])
def test_documents_written_before_read_the_same(written_with):
    document = json.dumps({"lines": ORDER["lines"], "total": 32800}).encode()
    if written_with == "no dictionary":
        blob = zlib.compress(document, 9)
    else:
        packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, packing.WRITE_WITH)
        blob = packer.compress(document) + packer.flush()
    stored = {"order_id": ORDER["order_id"], "shopper_id": ORDER["shopper_id"], "total": 1, "packed": blob}

    assert _read(stored) == {"order_id": ORDER["order_id"], "shopper_id": ORDER["shopper_id"], "total": 32800,
                             "lines": ORDER["lines"]}


def test_a_document_naming_a_dictionary_nobody_knows_is_an_error_not_garbage():
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, b"another dictionary")
    blob = packer.compress(b"{}") + packer.flush()
    with pytest.raises(ValueError, match="unknown dictionary"):
        _read({"order_id": "ord_1", "packed": blob})
