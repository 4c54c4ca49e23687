import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.orders import OrderStatus, PaymentOutcome, StockLevel, StockMove, decide


def test_success_on_a_pending_order_sells_the_reserved_stock():
    d = decide(OrderStatus.PENDING_PAYMENT, PaymentOutcome.SUCCEEDED)
    assert d.new_status is OrderStatus.PAID and d.stock is StockMove.SELL and not d.refund


@pytest.mark.parametrize("outcome,status", [
    (PaymentOutcome.FAILED, OrderStatus.PAYMENT_FAILED),
    (PaymentOutcome.CANCELED, OrderStatus.CANCELLED),
    (PaymentOutcome.EXPIRED, OrderStatus.CANCELLED),
])
def test_failure_cancel_and_expiry_release_stock(outcome, status):
    d = decide(OrderStatus.PENDING_PAYMENT, outcome)
    assert d.new_status is status and d.stock is StockMove.RELEASE


def test_duplicates_change_nothing():
    assert decide(OrderStatus.PAID, PaymentOutcome.SUCCEEDED).new_status is None
    assert decide(OrderStatus.PAID, PaymentOutcome.FAILED).new_status is None
    assert decide(OrderStatus.CANCELLED, PaymentOutcome.EXPIRED).new_status is None


def test_a_late_success_after_release_is_refunded_once():
    d = decide(OrderStatus.CANCELLED, PaymentOutcome.SUCCEEDED)
    assert d.refund and d.stock is StockMove.NONE and d.new_status is OrderStatus.REFUNDED
    assert decide(OrderStatus.REFUNDED, PaymentOutcome.SUCCEEDED).new_status is None


def test_stock_never_goes_negative():
    level = StockLevel(available=2)
    level.reserve(2)
    with pytest.raises(InvalidInput):
        level.reserve(1)
    level.apply(StockMove.SELL, 1)
    level.apply(StockMove.RELEASE, 1)
    assert (level.available, level.reserved, level.sold, level.total) == (1, 0, 1, 2)
