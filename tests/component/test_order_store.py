"""The order store's transactions: reservation conditions, exactly-once transitions, idempotent records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from chalicelib.store import orders as store
from chalicelib.store import vendor_orders
from chalicelib.store.offers import OfferItem
from chalicelib.store.stock import CartChanged, Reservation


def _offer(offer_id: str, *, price: int = 1000, shipping: int = 300, available: int = 5, vendor: str = "v1") -> None:
    now = datetime.now(UTC)
    OfferItem(
        offer_id, product_id=f"p-{offer_id}", product_key=f"k-{offer_id}", product_title="Thing", vendor_id=vendor,
        condition="new", currency="EUR", price=price, shipping_fee=shipping, total_minor=price + shipping,
        min_days=1, max_days=3, available=available, reserved=0, sold=0, version=1, created_at=now, updated_at=now,
    ).save()


def _stock(offer_id: str) -> tuple[int, int, int]:
    item = OfferItem.get(offer_id, consistent_read=True)
    return int(item.available), int(item.reserved), int(item.sold)


def _order(order_id: str, lines: list[dict], *, reserved_until: str = "2099-01-01T00:00:00Z") -> dict:
    return {
        "order_id": order_id, "shopper_id": _id("s1"), "status": "pending_payment", "created_at": "2024-01-01T00:00:00Z",
        "reserved_until": reserved_until, "currency": "EUR", "country": "DE", "quote": {"total": 1},
        "lines": lines, "total": 1300,
        "timeline": [{"id": "placed", "at": "2024-01-01T00:00:00Z", "status": "pending_payment", "label": "placed"}],
    }


def _vendor_order(order_id: str, vendor_id: str = "v1") -> dict:
    return {"order_id": order_id, "vendor_id": vendor_id, "vendor_created": f"2024-01-01T00:00:00Z#{order_id}",
            "status": "pending_payment", "currency": "EUR", "items": 1000, "shipping": 300, "discount": 0,
            "commission": 100, "payout": 1200, "lines": []}


@pytest.fixture(scope="module")
def module_tables():
    from tests.fixtures.catalog import module_stack

    with module_stack() as deployment:
        yield deployment


@pytest.fixture
def bound(module_tables):
    """Offers o1 (5 in stock) and o2 (1 in stock) in the module's tables, under ids unique to this test."""
    from chalicelib.store.base import bind

    bind()
    _offer(_id("o1"), available=5)
    _offer(_id("o2"), available=1, price=500, vendor="v2")
    return module_tables


_test_ids: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _fresh_ids():
    _test_ids.clear()
    _test_ids["#"] = uuid.uuid4().hex[:8]


def _id(name: str) -> str:
    """`name` made unique to the running test: tests share one stack."""
    return f"{name}-{_test_ids['#']}"


def _place(order_id: str, reservations: list[store.Reservation]) -> None:
    lines = [{"offer_id": r.offer_id, "vendor_id": "v1", "quantity": r.quantity} for r in reservations]
    store.place_order(_order(order_id, lines), [_vendor_order(order_id)], reservations, f"tok-{order_id}")


def test_placing_an_order_reserves_every_line_and_writes_the_order(bound):
    _place(_id("ord1"), [Reservation(_id("o1"), 2, 1000, 300), Reservation(_id("o2"), 1, 500, 300)])

    assert _stock(_id("o1")) == (3, 2, 0)
    assert _stock(_id("o2")) == (0, 1, 0)
    order = store.get_order(_id("ord1"))
    assert order["status"] == "pending_payment" and order["lines"][0]["quantity"] == 2
    assert [v["vendor_id"] for v in vendor_orders.list_vendor_orders(_id("ord1"))] == ["v1"]


def test_a_changed_price_or_missing_stock_names_the_line_and_reserves_nothing(bound):
    with pytest.raises(CartChanged) as caught:
        _place(_id("ord1"), [Reservation(_id("o1"), 2, 999, 300), Reservation(_id("o2"), 2, 500, 300),
                        Reservation(_id("gone"), 1, 100, 0)])

    # The cart's own reasons and sentences (domain/cart_changes.py), whichever noticed the change.
    assert caught.value.fields == {
        f"lines.{_id('o1')}": "The price changed from 9.99 EUR to 10.00 EUR.",
        f"lines.{_id('o2')}": "Only 1 left.",
        f"lines.{_id('gone')}": "This offer is no longer available.",
    }
    assert {(c["offer_id"], c["reason"]) for c in caught.value.changes} == {
        (_id("o1"), "price_changed"), (_id("o2"), "out_of_stock"), (_id("gone"), "gone")}
    assert _stock(_id("o1")) == (5, 0, 0) and _stock(_id("o2")) == (1, 0, 0)
    assert store.get_order(_id("ord1")) is None


def test_placing_the_same_order_twice_says_it_exists(bound):
    _place(_id("ord1"), [Reservation(_id("o1"), 1, 1000, 300)])
    with pytest.raises(store.OrderExists):
        store.place_order(_order(_id("ord1"), []), [], [Reservation(_id("o1"), 1, 1000, 300)], "another-token")
    assert _stock(_id("o1")) == (4, 1, 0)


def test_a_transition_saves_with_its_stock_move_once_and_a_stale_copy_is_refused(bound):
    from chalicelib.domain.orders import CancelReason, PaymentOutcome
    from chalicelib.domain.ports import ConcurrentUpdate
    from chalicelib.store.order_repository import DynamoOrderRepository

    repo = DynamoOrderRepository()
    _place(_id("ord1"), [Reservation(_id("o1"), 2, 1000, 300)])
    order, stale = repo.get(_id("ord1")), repo.get(_id("ord1"))

    repo.save(order, effects=order.apply_payment(PaymentOutcome.SUCCEEDED, at="2024-01-01T00:01:00Z"))
    with pytest.raises(ConcurrentUpdate):
        repo.save(stale, effects=stale.cancel(CancelReason.RESERVATION_EXPIRED, at="2024-01-01T00:01:00Z"))

    assert _stock(_id("o1")) == (3, 0, 2)
    again = repo.get(_id("ord1"))
    assert again.status.value == "paid" and again.version == order.version
    assert [e.id for e in again.timeline if e.status] == ["placed", "paid"]
    assert [type(e).__name__ for e in again.outbox] == ["ClearCartLines", "Publish"]  # to carry out next
    assert again.apply_payment(PaymentOutcome.SUCCEEDED, at="later") == []


def test_releasing_returns_stock_to_available(bound):
    from chalicelib.domain.orders import CancelReason
    from chalicelib.store.order_repository import DynamoOrderRepository

    repo = DynamoOrderRepository()
    _place(_id("ord1"), [Reservation(_id("o1"), 2, 1000, 300)])
    order = repo.get(_id("ord1"))
    repo.save(order, effects=order.cancel(CancelReason.SHOPPER, at="x"))
    assert _stock(_id("o1")) == (5, 0, 0)
    assert [v.state.value for v in repo.get(_id("ord1")).vendor_orders.values()] == ["cancelled"]


def test_an_order_number_is_never_given_to_two_orders(bound):
    first = _order(_id("ord1"), [])
    second = _order(_id("ord2"), [])
    first["order_number"] = second["order_number"] = f"H-2401-{_test_ids['#']}"
    store.place_order(first, [], [Reservation(_id("o1"), 1, 1000, 300)], "t1")
    with pytest.raises(store.OrderNumberTaken):
        store.place_order(second, [], [Reservation(_id("o1"), 1, 1000, 300)], "t2")
    assert store.get_order(_id("ord2")) is None and _stock(_id("o1")) == (4, 1, 0)


def test_lookups_by_payment_intent_status_and_shopper(bound):
    _place(_id("ord1"), [Reservation(_id("o1"), 1, 1000, 300)])
    store.place_order(_order(_id("ord2"), [], reserved_until="2000-01-01T00:00:00Z"), [], [], _id("tok-ord2"))
    store.set_payment_intent(_id("ord1"), _id("pi_1"), "pi_1_secret")
    store.set_payment_intent(_id("ord1"), _id("pi_1"), "pi_1_secret")  # idempotent

    assert store.find_order_id_by_payment_intent(_id("pi_1")) == _id("ord1")
    assert store.find_order_id_by_payment_intent("pi_unknown") is None
    assert _id("ord2") in store.list_expired_pending("2024-01-01T00:00:00Z", 100)
    orders, cursor = store.list_orders_for_shopper(_id("s1"), 1)
    assert len(orders) == 1 and cursor
    more, _ = store.list_orders_for_shopper(_id("s1"), 1, cursor)
    assert {orders[0]["order_id"], more[0]["order_id"]} == {_id("ord1"), _id("ord2")}


def _stored_order(order_id: str) -> dict:
    import boto3

    from chalicelib.settings import get_settings

    return boto3.client("dynamodb", region_name=get_settings().region).get_item(
        TableName=get_settings().table_name("orders"), Key={"order_id": {"S": order_id}}, ConsistentRead=True)["Item"]


def _grown_order(order_id: str, lines: list[dict]) -> dict:
    """An order well into its life: a quote per line, a timeline of thirty entries, an address."""
    order = _order(order_id, lines)
    order["quote"] = {"currency": "EUR", "vendors": [
        {"vendor_id": line["vendor_id"], "lines": [{**line, "unit_price": {"amount": 1000, "currency": "EUR"},
                                                    "subtotal": {"amount": 1000, "currency": "EUR"}}]}
        for line in lines], "total": {"amount": 1300, "currency": "EUR"}}
    order["timeline"] = [{"id": f"step-{n}", "at": f"2024-01-01T00:{n:02d}:00Z", "label": f"Something happened ({n})",
                          "audience": "shopper", "status": "paid", "details": {"charge_id": f"ch_{n:024d}"}}
                         for n in range(30)]
    order["shipping_address"] = {"name": "Jo Doe", "line1": "1 Long Street Name", "postal_code": "10115",
                                 "city": "Berlin", "country": "DE"}
    return order


def test_a_grown_order_is_stored_in_two_kilobytes_and_reads_back_whole(bound):
    # A write is billed 1 WRU per KB of the whole item, and an order is rewritten on every transition:
    # its bulky parts are stored compressed (about 6 KB of JSON here, written as attributes).
    from scripts.bench_cost import item_size

    lines = [{"offer_id": _id("o1"), "vendor_id": "v1", "quantity": 2, "title": "A tent with a long name"}]
    order = _grown_order(_id("ord1"), lines)
    store.place_order(order, [_vendor_order(_id("ord1"))], [Reservation(_id("o1"), 2, 1000, 300)], "tok-grown")

    assert item_size(_stored_order(_id("ord1"))) <= 2048
    read = store.get_order(_id("ord1"))
    assert (read["quote"], read["lines"], read["timeline"], read["shipping_address"]) == (
        order["quote"], lines, order["timeline"], order["shipping_address"])
    assert store.find_order_id_by_payment_intent("pi_none") is None


def test_an_order_stored_before_the_packed_layout_reads_the_same(bound):
    from chalicelib.store.order_repository import DynamoOrderRepository

    lines = [{"offer_id": _id("o1"), "vendor_id": "v1", "quantity": 1}]
    legacy = {**_order(_id("ord1"), lines), "refunds": {}, "disputes": {}, "version": 1}
    store.OrderModel(**legacy).save()  # every part an attribute of its own, as orders were stored before
    vendor_orders.VendorOrderModel(**_vendor_order(_id("ord1"))).save()

    assert store.get_order(_id("ord1"))["lines"] == lines
    order = DynamoOrderRepository().get(_id("ord1"))
    assert [line.offer_id for line in order.lines] == [_id("o1")] and [e.id for e in order.timeline] == ["placed"]
    assert order.quote == {"total": 1}


def _order_well_into_its_life(order_id: str) -> dict:
    """Two vendors' lines, paid, each part shipped and delivered, each vendor paid out: the shape and
    size of the orders a marketplace keeps rewriting (ids and labels as the app writes them)."""
    vendors = [str(uuid.uuid4()) for _ in range(2)]
    lines = [{"offer_id": f"off_{uuid.uuid4().hex[:20]}", "product_id": f"prd_{n:014d}", "vendor_id": v,
              "vendor_name": f"Shop {n}", "title": f"A product with a name {n}", "condition": "new",
              "quantity": 1, "unit_price": 19900, "shipping_fee": 0, "promotion_id": "", "unit_discount": 0}
             for n, v in enumerate(vendors)]
    amount = {"amount": 19900, "currency": "EUR"}
    order = _order(order_id, lines)
    order.update(status="paid", payment_status="paid", order_number=f"H-2611-{_test_ids['#']}",
                 charge_id=f"ch_{uuid.uuid4().hex[:24]}", client_secret=f"pi_{uuid.uuid4().hex[:24]}_secret_x",
                 shipping_address={"name": "Ada Lovelace", "line1": "Main Street 1", "line2": "", "postal_code": "10115",
                                   "city": "Capital", "country": "DE", "phone": ""},
                 quote={"currency": "EUR", "country": "DE", "items": amount, "total": amount, "vat_rate_bps": 1900,
                        "vendors": [{"vendor_id": line["vendor_id"], "items": amount, "total": amount,
                                     "lines": [{"offer_id": line["offer_id"], "product_id": line["product_id"],
                                                "quantity": 1, "title": line["title"], "unit_price": amount,
                                                "subtotal": amount}]} for line in lines]},
                 ledger_ids={f"{order_id}:{v}:{kind}" for v in vendors for kind in ("sale", "commission")})
    at = "2026-11-27T17:34:0{}Z".format
    order["timeline"] += [{"id": "paid", "at": at(3), "label": "Payment received", "audience": "shopper",
                           "status": "paid"}]
    for v in vendors:
        order["timeline"] += [
            {"id": f"accepted:{v}", "at": at(5), "label": "Accepted by the shop", "audience": "internal",
             "kind": "fulfilment", "details": {"vendor_id": v}},
            {"id": f"shipped:{v}", "at": at(6), "label": "Shipped with DHL", "audience": "shopper", "kind": "shipment",
             "details": {"vendor_id": v, "carrier": "DHL", "tracking_number": "JD014600003828"}},
            {"id": f"delivered:{v}", "at": at(7), "label": "Delivered", "audience": "shopper", "kind": "delivery",
             "details": {"vendor_id": v, "by": "shopper"}},
            {"id": f"transfer:{v}", "at": at(8), "label": "Vendor payout sent", "audience": "internal",
             "kind": "transfer", "details": {"vendor_id": v, "amount": 17910, "transfer_id": f"tr_{uuid.uuid4().hex[:24]}"}}]
    return order


def _stored_in_one_kb_and_read_back_whole(order: dict, token: str) -> None:
    from scripts.bench_cost import item_size

    store.place_order(order, [], [], token)
    assert item_size(_stored_order(order["order_id"])) <= 1024
    read = store.get_order(order["order_id"])
    assert {k: read[k] for k in order if k != "ledger_ids"} == {k: v for k, v in order.items() if k != "ledger_ids"}


def test_an_order_well_into_its_life_is_one_write_unit_and_reads_back_whole(bound):
    # DynamoDB bills 1 WRU per KB of the whole item on every save (twice in the save's transaction):
    # the order's document is compressed against a dictionary of what every order repeats.

    _stored_in_one_kb_and_read_back_whole(_order_well_into_its_life(_id("ord1")), "tok-life")


def test_a_paid_order_leaves_the_expiry_index_and_keeps_its_reservation_time(bound):
    # The sweeper reads `by_status` for orders pending payment only: a paid order is not written there.
    order = _order_well_into_its_life(_id("ord1"))
    order["reserved_until"] = "2000-01-01T00:00:00Z"
    store.place_order(order, [], [], "tok-paid")

    assert "reserved_until" not in _stored_order(_id("ord1"))
    assert store.get_order(_id("ord1"))["reserved_until"] == "2000-01-01T00:00:00Z"
    assert _id("ord1") not in store.list_expired_pending("2024-01-01T00:00:00Z", 1000)


def test_orders_stored_compressed_without_a_dictionary_or_with_scalars_apart_read_the_same(bound):
    # Orders written before the dictionary and before the scalars moved into the document.
    import json
    import zlib

    lines = [{"offer_id": _id("o1"), "vendor_id": "v1", "quantity": 1}]
    before = {**_order(_id("ord1"), lines), "refunds": {}, "disputes": {}, "version": 3, "order_number": "H-1",
              "payment_status": "awaiting_payment", "client_secret": "pi_1_secret"}
    bulky = ("quote", "lines", "timeline", "refunds", "disputes")
    stored = {k: v for k, v in before.items() if k not in bulky}
    stored["packed"] = zlib.compress(json.dumps({k: before[k] for k in bulky}).encode(), 9)
    store.OrderModel(**stored).save()

    assert store.get_order(_id("ord1")) == {**before, "payment_intent_id": None}


def test_a_client_secret_set_on_its_own_reads_back_before_and_after_a_save(bound):
    from chalicelib.domain.orders import PaymentOutcome
    from chalicelib.store.order_repository import DynamoOrderRepository

    repo = DynamoOrderRepository()
    _place(_id("ord1"), [Reservation(_id("o1"), 1, 1000, 300)])
    store.set_payment_intent(_id("ord1"), _id("pi_1"), "pi_1_secret")
    assert store.get_order(_id("ord1"))["client_secret"] == "pi_1_secret"

    order = repo.get(_id("ord1"))
    repo.save(order, effects=order.apply_payment(PaymentOutcome.SUCCEEDED, at="2024-01-01T00:01:00Z"))
    again = repo.get(_id("ord1"))
    assert (again.client_secret, again.payment_intent_id, again.total) == ("pi_1_secret", _id("pi_1"), 1300)
    assert store.get_order(_id("ord1"))["client_secret"] == "pi_1_secret"


def test_the_vendor_list_index_holds_only_what_the_list_filters_on(bound):
    # The vendor's list reads each order whole through the repository; an index image of the whole
    # vendor-order would be rewritten (and billed) on every save of it, not only when its status moves.
    import boto3

    from chalicelib.settings import get_settings

    _place(_id("ord1"), [Reservation(_id("o1"), 1, 1000, 300)])
    found = boto3.client("dynamodb", region_name=get_settings().region).query(
        TableName=get_settings().table_name("vendor-orders"), IndexName="by_vendor",
        KeyConditionExpression="vendor_id = :v", ExpressionAttributeValues={":v": {"S": "v1"}})["Items"]
    mine = [item for item in found if item["order_id"]["S"] == _id("ord1")]
    assert [sorted(item) for item in mine] == [["order_id", "status", "vendor_created", "vendor_id"]]


def test_a_stock_move_rewrites_no_offer_index_image_and_both_offer_lists_still_show_the_stock(bound):
    # by_product and by_vendor hold no stock (chalicelib/store/offers.py STOCK_ATTRIBUTES): a reservation,
    # a sale or a release writes the offer item alone, not two index images besides. The product page's
    # and the vendor's lists read the stock from the items.
    import boto3

    from chalicelib.store import offers

    vendor = _id("v9")
    _offer(_id("o9"), available=5, vendor=vendor)
    _place(_id("ord1"), [Reservation(_id("o9"), 2, 1000, 300)])

    (on_product_page,) = offers.product_offers(f"p-{_id('o9')}")
    (on_vendor_list,), _ = offers.vendor_offers(vendor, 20, None)
    for offer in (on_product_page, on_vendor_list):
        assert (int(offer.available), int(offer.reserved), int(offer.sold)) == (3, 2, 0)
    client = boto3.client("dynamodb", region_name="eu-west-1")
    for index, key, value in (("by_product", "product_id", f"p-{_id('o9')}"), ("by_vendor", "vendor_id", vendor)):
        (image,) = client.query(TableName=OfferItem.Meta.table_name, IndexName=index,
                                KeyConditionExpression="#k = :v", ExpressionAttributeNames={"#k": key},
                                ExpressionAttributeValues={":v": {"S": value}})["Items"]
        assert not {"available", "reserved", "sold"} & set(image), index
        assert image["price"] == {"N": "1000"}  # the offer's terms are still there


def _provider_id(prefix: str) -> str:
    import secrets
    import string

    return prefix + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))


def _order_at_the_end_of_its_life(order_id: str) -> dict:
    """`_order_well_into_its_life` with everything the app adds by the end: the reservation's and the sale's
    timeline entries, each receipt, the full quote, both vendors' payout ledger ids, the payment intent."""
    order = _order_well_into_its_life(order_id)
    vendors = [line["vendor_id"] for line in order["lines"]]
    titles = (("Trailhead Dome Tent 2P", "Alpine Outdoor"), ("Wireless Noise Cancelling Headphones", "Bytes Audio"))
    for line, quoted, (title, shop) in zip(order["lines"], order["quote"]["vendors"], titles):
        line["product_id"] = quoted["lines"][0]["product_id"] = f"prd_{uuid.uuid4().int % 10**14:014d}"  # a GTIN
        line["title"] = quoted["lines"][0]["title"] = title
        line["vendor_name"] = shop
    # The payment provider's ids are 24 letters and digits (less compressible than hex).
    order["client_secret"] = f"{_provider_id('pi_')}_secret_{_provider_id('')[:25]}"
    order["charge_id"] = _provider_id("ch_")
    next(e for e in order["timeline"] if e["id"] == "paid")["details"] = {"charge_id": order["charge_id"]}
    for entry in order["timeline"]:
        if entry["id"].startswith("transfer:"):
            entry["details"]["transfer_id"] = _provider_id("tr_")
    order["shopper_id"] = str(uuid.uuid4())
    zero = {"amount": 0, "currency": "EUR"}
    order["quote"].update(discount=zero, shipping=zero, service_fee=zero,
                          vat_included={"amount": 6355, "currency": "EUR"},
                          total={"amount": 39800, "currency": "EUR"}, items={"amount": 39800, "currency": "EUR"})
    for part in order["quote"]["vendors"]:
        part.update(discount=zero, shipping=zero)
        part["lines"][0].update(promoted_unit_price=None, promotion_id=None)
    order["payment_intent_id"] = f"pi_{uuid.uuid4().hex[:24]}"
    transfers = {e["details"]["vendor_id"]: e["details"]["transfer_id"] for e in order["timeline"]
                 if e["id"].startswith("transfer:")}
    order["ledger_ids"] |= {f"{order_id}:{v}:{kind}" for v in vendors
                            for kind in ("payout_release", f"transfer:{transfers[v]}")}
    at = "2026-11-27T17:34:0{}Z".format
    order["timeline"][1:1] = [{"id": "stock:reserved", "at": at(1), "label": "Stock reserved", "audience": "internal",
                               "kind": "stock"}]
    order["timeline"] += [{"id": "stock:sold", "at": at(3), "label": "Stock sold", "audience": "internal", "kind": "stock"}]
    order["timeline"] += [{"id": f"receipt:{v}", "at": at(7), "label": "Receipt confirmed", "audience": "internal",
                           "kind": "delivery", "details": {"vendor_id": v, "by": "shopper"}} for v in vendors]
    names = {line["vendor_id"]: line["vendor_name"] for line in order["lines"]}
    for entry in order["timeline"]:  # the labels and details as the app writes them
        vendor = (entry.get("details") or {}).get("vendor_id")
        if entry["id"].startswith("accepted:"):
            entry["label"] = f"Accepted by {names[vendor]}"
        elif entry["id"].startswith("shipped:"):
            entry["label"] = f"Shipped by {names[vendor]} with DHL"
            entry["details"]["tracking_url"] = "https://www.dhl.com/track?id=JD014600003828"
        elif entry["id"].startswith("delivered:"):
            entry["label"] = f"Delivered ({names[vendor]})"
    return order


def test_an_order_at_the_end_of_its_life_is_still_one_write_unit_and_reads_back_whole(bound):
    # Its last saves (receipts, payouts) are transactions: 2 WRU each under 1 KB, 4 over it.
    from chalicelib.store.order_repository import DynamoOrderRepository

    order = _order_at_the_end_of_its_life(_id("ord1"))
    _stored_in_one_kb_and_read_back_whole(order, "tok-end")
    assert DynamoOrderRepository().get(_id("ord1")).ledger_ids == order["ledger_ids"]


def test_an_order_packed_with_the_first_dictionary_reads_the_same_after_a_newer_one(bound, monkeypatch):
    from chalicelib.store import order_packing

    order = _order_at_the_end_of_its_life(_id("ord1"))
    monkeypatch.setattr(order_packing, "WRITE_WITH", order_packing.DICTIONARIES[0])
    store.place_order(order, [], [], "tok-dict1")
    monkeypatch.undo()

    read = store.get_order(_id("ord1"))
    assert {k: read[k] for k in order if k != "ledger_ids"} == {k: v for k, v in order.items() if k != "ledger_ids"}
