"""What an order transition asks the outside world to do: the effects its methods return.

Stock effects (`ReserveStock`, `SellStock`, `ReleaseStock`) are carried out by the repository in
the same conditional transaction that saves the order, so a transition and its stock move happen
together or not at all. The others (provider calls, the cart, events) are saved with the order
as its outbox and carried out after the save by the effect runner; each is idempotent (its
`key` is its provider idempotency key or event dedup key) and leaves the outbox once done, so a
crash in between is finished by the next delivery of any event about the order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


def quantities(lines) -> tuple[tuple[str, int], ...]:
    """(offer_id, quantity) per offer, summed and sorted: the shape stock moves work on."""
    out: dict[str, int] = {}
    for line in lines:
        out[line.offer_id] = out.get(line.offer_id, 0) + int(line.quantity)
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class Effect:
    """Something the order asks done once it is saved, keyed so it is done once."""

    @property
    def key(self) -> str:
        raise NotImplementedError

    def to_json(self) -> dict:
        return {"effect": type(self).__name__, **_plain(asdict(self))}


@dataclass(frozen=True)
class ReserveStock(Effect):
    """Hold each line's units for the order, at the price and shipping the shopper saw."""

    order_id: str
    lines: tuple[tuple[str, int, int, int], ...]  # (offer_id, quantity, price seen, shipping seen)

    @property
    def key(self) -> str:
        return f"reserve-{self.order_id}"


@dataclass(frozen=True)
class SellStock(Effect):
    """Move the order's reserved units to sold (it is paid)."""

    order_id: str
    quantities: tuple[tuple[str, int], ...]

    @property
    def key(self) -> str:
        return f"sell-{self.order_id}"


@dataclass(frozen=True)
class ReleaseStock(Effect):
    """Put the order's reserved units back on sale (it ended unpaid)."""

    order_id: str
    quantities: tuple[tuple[str, int], ...]

    @property
    def key(self) -> str:
        return f"release-{self.order_id}"


@dataclass(frozen=True)
class RestockSold(Effect):
    """Sold units go back on sale (sold -> available): a line the vendor cancelled after payment, or
    units returned in a case (`case_id`) once the vendor says they can be sold again."""

    order_id: str
    offer_id: str
    quantity: int
    case_id: str = ""

    @property
    def key(self) -> str:
        if self.case_id:
            return f"restock-{self.order_id}-{self.case_id}-{self.offer_id}"
        return f"restock-{self.order_id}-{self.offer_id}"


STOCK_EFFECTS = (ReserveStock, SellStock, ReleaseStock, RestockSold)


@dataclass(frozen=True)
class RefundPayment(Effect):
    """Refund the order's payment, in part or all that is left."""

    order_id: str
    payment_intent_id: str
    amount: int | None  # None: all that is left
    reason: str

    @property
    def key(self) -> str:
        return f"refund-{self.order_id}"


@dataclass(frozen=True)
class RefundLine(Effect):
    """Refund one line a vendor cancelled; recorded as that vendor's refund (its payout shrinks)."""

    order_id: str
    payment_intent_id: str
    vendor_id: str
    offer_id: str
    amount: int
    reason: str

    @property
    def key(self) -> str:
        return f"refund-{self.order_id}-line-{self.offer_id}"


@dataclass(frozen=True)
class RefundCase(Effect):
    """Refund part of one vendor's share for an after-sales case (a return, a claim); recorded as that
    vendor's refund. The idempotency key comes from the case: one refund per case at the provider,
    whoever asks how often; an admin's retry after a failed attempt is a new attempt with its own key."""

    order_id: str
    payment_intent_id: str
    vendor_id: str
    case_id: str
    amount: int
    reason: str
    attempt: int = 0

    @property
    def key(self) -> str:
        return f"refund-{self.case_id}" if not self.attempt else f"refund-{self.case_id}-{self.attempt}"


@dataclass(frozen=True)
class CancelAtProvider(Effect):
    """Cancel the order's PaymentIntent at the payment provider."""

    order_id: str
    payment_intent_id: str

    @property
    def key(self) -> str:
        return f"cancel-{self.order_id}"


@dataclass(frozen=True)
class TransferPayout(Effect):
    """Transfer a vendor's payout for its part of the order."""

    order_id: str
    vendor_id: str
    amount: int
    currency: str
    top_up: int = 0  # 0: the vendor's payout; n: the n-th top-up after it (Order.top_ups_due)
    # Top-ups of this rank the provider refused before (balance_insufficient...): a retry needs a key of
    # its own, the provider replays a refused request's answer to its key.
    attempt: int = 0

    @property
    def key(self) -> str:
        # A top-up is named by its rank and amount: a replay after a crash is the same transfer; two
        # computed from different states are two transfers, both recorded, any excess reversed.
        key = f"tr-{self.order_id}-{self.vendor_id}" + (f"-t{self.top_up}-{self.amount}" if self.top_up else "")
        return key + (f"-a{self.attempt}" if self.attempt else "")


@dataclass(frozen=True)
class ReverseTransfer(Effect):
    """Take back (part of) a vendor's transfer for its part of the order."""

    order_id: str
    vendor_id: str
    transfer_id: str
    amount: int
    net_after: int  # what the vendor keeps once reversed: names the reversal (same state, same key)
    # Reversals of this state refused before (balance_insufficient...): a retry needs a key of its own, the
    # provider replays a refused request's answer to its key.
    attempt: int = 0
    # Top-ups made to the vendor so far: a top-up can bring `net_after` back to a value a reversal had
    # already reached; the count keeps that later reversal's key its own.
    top_ups: int = 0
    # Money settled outside the platform so far (a refused top-up paid by bank transfer...): it moves the
    # vendor's net as a top-up does, so a reversal after it can reach a `net_after` an earlier one had; the
    # provider would replay that one to the same key and move nothing.
    settled_outside: int = 0

    @property
    def key(self) -> str:
        suffix = f"-r{self.attempt}" if self.attempt else ""
        suffix += f"-u{self.top_ups}" if self.top_ups else ""
        suffix += f"-s{self.settled_outside}" if self.settled_outside else ""
        return f"trr-{self.order_id}-{self.vendor_id}-{self.net_after}{suffix}"


@dataclass(frozen=True)
class ClearCartLines(Effect):
    """Remove the ordered quantities from the shopper's cart."""

    order_id: str
    shopper_id: str
    quantities: tuple[tuple[str, int], ...]

    @property
    def key(self) -> str:
        return f"cart-{self.order_id}"


@dataclass(frozen=True)
class ForgetPendingOrder(Effect):
    """The cart stops naming this unpaid order once it ended (cancelled, expired), only if it still names
    it: the shopper's next checkout then need not read an order it would never resume."""

    order_id: str
    shopper_id: str

    @property
    def key(self) -> str:
        return f"forget-{self.order_id}"


@dataclass(frozen=True)
class Publish(Effect):
    """Publish a domain event, once per dedup key."""

    event: str  # the event type (see chalicelib/domain/events.py)
    data: dict = field(default_factory=dict)
    dedup_key: str = ""

    @property
    def key(self) -> str:
        return f"event-{self.event}-{self.dedup_key}"

    @classmethod
    def of(cls, event) -> Publish:
        return cls(event.event_type, event.data(), event.dedup_key)


_KINDS = {cls.__name__: cls for cls in (ReserveStock, SellStock, ReleaseStock, RefundPayment, CancelAtProvider,
                                        TransferPayout, ReverseTransfer, ClearCartLines, ForgetPendingOrder,
                                        Publish, RestockSold, RefundLine, RefundCase)}


def effect_from_json(data: dict) -> Effect:
    data = dict(data)
    cls = _KINDS[data.pop("effect")]
    for name in ("quantities", "lines"):
        if name in data:
            data[name] = tuple(tuple(item) for item in data[name])
    return cls(**data)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
