"""An order change whose transaction DynamoDB cancels for a TransactionConflict is applied, not a 500.

DynamoDB cancels a transaction with reason `TransactionConflict` when another transaction holds
one of its items at that moment (the payment consumer and a vendor's click on the same order, a
stock move on a busy offer). Nothing was written: it is the same lost race as a version that
moved, and the change is re-applied to the order as stored now. The chaos run of the local stack
(`devstack run --faults=ddb_tx_cancel=...`) found order changes (confirm receipt, cancel, the
reservation sweeper) answering 500 on it instead.
"""

from __future__ import annotations

import json

import pytest
from botocore.awsrequest import AWSResponse

from chalicelib.store.stock import Reservation
from tests.component.test_order_store import _fresh_ids, _id, _place, _stock, bound, module_tables  # noqa: F401

pytestmark = pytest.mark.usefixtures("bound")  # the offers of tests/component/test_order_store.py


class _Body:
    def __init__(self, content: bytes):
        self.content = content

    def stream(self, **_):
        yield self.content


def _conflict_on_the_next_transactions(times: int):
    """Make DynamoDB cancel the order store's next `times` transactions (TransactionConflict on the first item)."""
    from chalicelib.store import orders as tables

    left = [times]

    def cancel(request, **_):
        if left[0] <= 0:
            return None
        left[0] -= 1
        items = len(json.loads(request.body)["TransactItems"])
        body = json.dumps({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
            "CancellationReasons": [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
            + [{"Code": "None"}] * (items - 1)}).encode()
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Body(body))

    events = tables._connection().client.meta.events
    events.register_first("before-send.dynamodb.TransactWriteItems", cancel)
    return lambda: events.unregister("before-send.dynamodb.TransactWriteItems", cancel)


def test_a_transaction_conflict_on_an_order_change_is_retried_and_the_change_applied_once():
    from chalicelib.domain.orders import CancelReason
    from chalicelib.services.order_changes import change_order
    from chalicelib.store.order_repository import DynamoOrderRepository

    class NoEffects:
        def run(self, order, orders):
            return order

    repo = DynamoOrderRepository()
    _place(_id("ord1"), [Reservation(_id("o1"), 2, 1000, 300)])
    stop = _conflict_on_the_next_transactions(1)
    try:
        saved = change_order(_id("ord1"), lambda order: order.cancel(CancelReason.SHOPPER, at="x"),
                             orders=repo, effects=NoEffects())
    finally:
        stop()

    assert saved.status.value == "cancelled"
    assert repo.get(_id("ord1")).status.value == "cancelled"
    assert _stock(_id("o1")) == (5, 0, 0)  # released once


def test_a_transaction_conflict_on_a_save_that_only_moves_the_outbox_is_a_lost_race_not_an_error(monkeypatch):
    """Carrying out effects saves the outbox alone with one conditional UpdateItem; DynamoDB refuses
    it with TransactionConflictException while a transaction holds the order item: retried like a
    moved version (ConcurrentUpdate), never a 500."""
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import UpdateError

    from chalicelib.domain.ports import ConcurrentUpdate
    from chalicelib.store import orders as tables
    from chalicelib.store.order_repository import DynamoOrderRepository

    repo = DynamoOrderRepository()
    _place(_id("ord2"), [Reservation(_id("o1"), 1, 1000, 300)])
    tables.OrderModel(_id("ord2")).update(actions=[tables.OrderModel.version.set(1)])  # as the checkout places it
    order = repo.get(_id("ord2"))
    real_update = tables.OrderModel.update

    def held_by_a_transaction(self, *args, **kwargs):
        raise UpdateError("Failed to update item", cause=ClientError(
            {"Error": {"Code": "TransactionConflictException", "Message": "Transaction is ongoing for the item"}},
            "UpdateItem"))

    monkeypatch.setattr(tables.OrderModel, "update", held_by_a_transaction)
    with pytest.raises(ConcurrentUpdate):
        repo.save(order, effects=[])
    monkeypatch.setattr(tables.OrderModel, "update", real_update)
    repo.save(order, effects=[])  # the retry goes through
    assert repo.get(_id("ord2")).version == 2
