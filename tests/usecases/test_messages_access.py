"""Who may open a thread on an order, and about which case: derived from the order, never from a body.

A return or claim thread opens only for a case of that order with that vendor (the cases live on the
order aggregate: `Order.returns` / `Order.claims`, each case naming its vendor)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.messages import thread_id_for
from chalicelib.domain.orders import OrderStatus
from chalicelib.services.messages import _open_on, shopper, vendor


@dataclass
class Case:
    vendor_id: str


@dataclass
class FakeOrder:
    status: OrderStatus = OrderStatus.PAID
    order_id: str = "ord_1"
    order_number: str = "H-2611-482319"
    shopper_id: str = "shopper-1"
    lines: list = field(default_factory=lambda: [SimpleNamespace(vendor_id="alpine", vendor_name="Alpine"),
                                                 SimpleNamespace(vendor_id="bytes", vendor_name="Bytes")])
    vendor_orders: dict = field(default_factory=lambda: {"alpine": SimpleNamespace(vendor_name="Alpine Outdoor"),
                                                         "bytes": SimpleNamespace(vendor_name="")})
    returns: dict = field(default_factory=lambda: {"ret_ALPINE000001": Case("alpine")})
    claims: dict = field(default_factory=lambda: {"clm_BYTES0000001": Case("bytes")})

    def vendor_lines(self, vendor_id):
        return [line for line in self.lines if line.vendor_id == vendor_id]


def test_the_shopper_opens_a_thread_with_one_of_the_orders_vendors():
    opened = _open_on(FakeOrder(), shopper("shopper-1"), "alpine", "")
    assert (opened.thread_id, opened.vendor_name, opened.shopper_id) == (
        thread_id_for("ord_1", "alpine"), "Alpine Outdoor", "shopper-1")
    assert _open_on(FakeOrder(), shopper("shopper-1"), "bytes", "").vendor_name == "Bytes"  # the line's name


def test_a_vendor_always_writes_as_itself():
    assert _open_on(FakeOrder(), vendor("bytes"), None, "").vendor_id == "bytes"


@pytest.mark.parametrize(("author", "vendor_id", "field"), [
    (shopper("shopper-2"), "alpine", "order_id"),  # another shopper
    (shopper("shopper-1"), "nordic", "vendor_id"),  # not a vendor of this order
    (vendor("nordic"), None, "order_id"),  # a vendor with no lines in it
], ids=["other-shopper", "shopper-other-vendor", "vendor-without-lines"])
def test_strangers_get_a_404_naming_what_they_tried(author, vendor_id, field):
    with pytest.raises(NotFound) as refused:
        _open_on(FakeOrder(), author, vendor_id, "")
    assert field in refused.value.fields


def test_nobody_opens_a_thread_on_an_unpaid_order():
    for author, vendor_id in ((shopper("shopper-1"), "alpine"), (vendor("alpine"), None)):
        with pytest.raises(NotFound):
            _open_on(FakeOrder(status=OrderStatus.PENDING_PAYMENT), author, vendor_id, "")


def test_a_case_thread_is_for_a_case_of_that_order_with_that_vendor():
    assert _open_on(FakeOrder(), shopper("shopper-1"), "alpine", "ret_ALPINE000001").case_id == "ret_ALPINE000001"
    assert _open_on(FakeOrder(), vendor("bytes"), None, "clm_BYTES0000001").thread_id == thread_id_for(
        "ord_1", "bytes", "clm_BYTES0000001")
    for author, vendor_id, case_id in ((vendor("bytes"), None, "ret_ALPINE000001"),  # another vendor's return
                                       (shopper("shopper-1"), "alpine", "clm_BYTES0000001"),
                                       (shopper("shopper-1"), "alpine", "ret_UNKNOWN00001")):
        with pytest.raises(NotFound) as refused:
            _open_on(FakeOrder(), author, vendor_id, case_id)
        assert refused.value.fields == {"case_id": "not found"}
    with pytest.raises(InvalidInput) as malformed:
        _open_on(FakeOrder(), shopper("shopper-1"), "alpine", "dp_1234567890")
    assert "case_id" in malformed.value.fields
