"""What each vendor of an order may be paid, and what must be taken back, given refunds and disputes.

Halles charges the shopper once on the platform's Stripe account and later pays each vendor with a
Transfer to its connected account ("separate charges and transfers"). In that model Stripe keeps the
two sides apart, and that is why these rules exist:

* A refund is taken from the platform's balance only. It does NOT reverse a transfer already made
  (only destination charges have `reverse_transfer`); the platform must create a Transfer Reversal
  itself, and can do so at most up to what was transferred and not yet reversed.
* A dispute withdraws the disputed amount (plus a fee) from the platform's balance as soon as it is
  opened (`needs_response`); inquiries (`warning_*`) withdraw nothing yet but may turn into one. The
  funds come back if the dispute is `won`; if it is `lost` they are gone for good, exactly as if that
  amount had been refunded.

So nothing in Stripe stops a platform from paying a vendor for an order already refunded or charged
back: the rules below do. They are pure functions of an `OrderMoney` snapshot (ints in minor units,
one currency per order), so they give the same answer whatever order the events arrived in, and
retrying a payout or a reversal computed from them can never pay twice.

Rules
-----
* A vendor's share of the shopper's money is its `total` (its items - discount + shipping). What it
  keeps of that, before refunds, is `payout` (total - commission, as priced at checkout).
* Refunds attributed to a vendor (its returns) come off that vendor's total only.
* Everything else that left the platform for the order as a whole -- unattributed refunds (a refund
  from the Stripe Dashboard, a whole-order refund), lost disputes, money never captured
  (`charged` below the sum of the totals) and any attributed refund beyond its vendor's total -- is
  allocated to the vendors pro rata of what is left of their totals after their own refunds. With no
  attributed refunds that is exactly pro rata of `total`; taking the remainder instead means a
  dashboard refund of "the rest" after one vendor's full return falls on the vendors whose goods the
  shopper kept, and the platform is never left paying for goods it already refunded.
  Allocation rounds up (ceil), so rounding never makes the platform pay more than it holds.
* Commission on refunds follows the policy frozen on the vendor-order at checkout
  (HALLES_REFUND_COMMISSION; an order keeps the policy it was sold under):
  - `refund_commission` (default): the platform gives back its commission pro rata, so
    entitlement = floor(payout * (total - refunds allocated to the vendor) / total);
  - `keep_commission`: the vendor bears the whole refund and the platform keeps its commission,
    entitlement = payout - refunds allocated to the vendor.
  Either way never below 0 (a vendor never owes more than its share) and never above its payout;
  `keep_commission` never gives a vendor more than `refund_commission` would, so the invariant
  below holds under both.
* payable_now = entitlement - net transferred, but 0 while the order is not charged or while any
  dispute on the charge is open (the money may still be lost; Stripe already withdrew it).
* reversal_due = net transferred - entitlement - written off, when positive: a refund or a lost dispute
  after a transfer takes the vendor's share back (an open dispute alone does not: it may be won). What
  an admin wrote off (`written_off`: the platform forgave an excess it could not take back) is never
  asked again, but it is NOT money taken back: payable_now ignores it, so a refund that fails later
  never pays the vendor back what it was never asked to return.

Invariant (tests/unit/test_ledger.py, Hypothesis over random event sequences): once every payable
transfer and every reversal due is carried out, `platform_net >= 0` and no vendor holds more than its
entitlement -- provided refunds and lost disputes never exceed what was charged, which Stripe enforces.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput

# Stripe's dispute statuses. Inquiries (`warning_*`) and formal disputes both block payouts while open.
OPEN_DISPUTE_STATUSES = frozenset({"warning_needs_response", "warning_under_review", "needs_response", "under_review"})
LOST_DISPUTE_STATUSES = frozenset({"lost"})
# Closed without losing the money: won, an inquiry that closed, a dispute Stripe prevented.
CLOSED_KEPT_DISPUTE_STATUSES = frozenset({"won", "warning_closed", "prevented"})
KNOWN_DISPUTE_STATUSES = OPEN_DISPUTE_STATUSES | LOST_DISPUTE_STATUSES | CLOSED_KEPT_DISPUTE_STATUSES


REFUND_COMMISSION = "refund_commission"  # the platform gives back its commission pro rata (default)
KEEP_COMMISSION = "keep_commission"  # the vendor bears the whole refund; the platform keeps its commission
COMMISSION_POLICIES = (REFUND_COMMISSION, KEEP_COMMISSION)


def _amount(value: object, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{name} must be a non-negative integer in minor units.", fields={name: "invalid amount"})


@dataclass(frozen=True)
class VendorShare:
    """One vendor's share of an order's money: paid, payout, refunded (minor units)."""

    vendor_id: str
    total: int  # what the shopper paid for this vendor's lines: items - discount + shipping
    payout: int  # total - commission, as priced at checkout (<= total)
    refunded: int = 0  # refunds attributed to this vendor (its returns, a vendor-initiated refund)
    transferred: int = 0  # transfers made to the vendor minus reversals already made (net)
    commission_policy: str = REFUND_COMMISSION  # who bears the commission on refunds (COMMISSION_POLICIES)
    written_off: int = 0  # an excess the vendor holds that the platform forgave: never reversed, never paid back

    def __post_init__(self) -> None:
        for name in ("total", "payout", "refunded", "transferred", "written_off"):
            _amount(getattr(self, name), name)
        if self.commission_policy not in COMMISSION_POLICIES:
            raise InvalidInput("Unknown commission policy on refunds.", fields={"commission_policy": "unknown"})
        if self.payout > self.total:
            raise InvalidInput("A vendor's payout cannot exceed its total.", fields={"payout": "exceeds total"})


@dataclass(frozen=True)
class DisputeState:
    """A dispute on the order's charge: its amount and Stripe status."""

    dispute_id: str
    amount: int
    status: str  # warning_needs_response, warning_under_review, warning_closed, needs_response, under_review, won, lost

    def __post_init__(self) -> None:
        _amount(self.amount, "amount")

    @property
    def is_open(self) -> bool:
        # A status this module does not know (Stripe adds some now and then) is treated as open:
        # blocking a payout until someone looks is cheaper than paying one that must be clawed back.
        return self.status not in LOST_DISPUTE_STATUSES | CLOSED_KEPT_DISPUTE_STATUSES

    @property
    def is_lost(self) -> bool:
        return self.status in LOST_DISPUTE_STATUSES


@dataclass(frozen=True)
class OrderMoney:
    """An order's money as charged, refunded, disputed and shared among its vendors."""

    charged: int  # captured on the platform's charge (0 until paid)
    unattributed_refunded: int  # refunds not tied to one vendor (dashboard refund, whole-order refund)
    disputes: tuple[DisputeState, ...]
    vendors: tuple[VendorShare, ...]

    def __post_init__(self) -> None:
        _amount(self.charged, "charged")
        _amount(self.unattributed_refunded, "unattributed_refunded")
        ids = [v.vendor_id for v in self.vendors]
        if len(set(ids)) != len(ids):
            raise InvalidInput("Each vendor appears once in an order's money.", fields={"vendors": "duplicate vendor"})

    def vendor(self, vendor_id: str) -> VendorShare:
        for share in self.vendors:
            if share.vendor_id == vendor_id:
                return share
        raise InvalidInput(f"Vendor {vendor_id!r} has no share in this order.", fields={"vendor_id": "not in order"})

    @property
    def lost_to_disputes(self) -> int:
        return sum(d.amount for d in self.disputes if d.is_lost)

    @property
    def refunded(self) -> int:
        """Every refund on the charge, attributed or not."""
        return self.unattributed_refunded + sum(v.refunded for v in self.vendors)


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _remaining(share: VendorShare) -> int:
    """What is left of the vendor's total after the refunds attributed to it."""
    return share.total - min(share.refunded, share.total)


def allocated_refunds(money: OrderMoney, vendor_id: str) -> int:
    """All the refunds borne by the vendor: its own plus its (rounded up) part of the order-wide ones."""
    share = money.vendor(vendor_id)
    own = min(share.refunded, share.total)
    sum_totals = sum(v.total for v in money.vendors)
    order_wide = (
        money.unattributed_refunded
        + money.lost_to_disputes
        + max(0, sum_totals - money.charged)  # money never captured is money the vendors cannot be paid from
        + sum(max(0, v.refunded - v.total) for v in money.vendors)  # over-attribution spills onto the others
    )
    remaining_all = sum(_remaining(v) for v in money.vendors)
    if order_wide <= 0:
        return own
    if order_wide >= remaining_all:
        return share.total
    return own + _ceil_div(order_wide * _remaining(share), remaining_all)


def entitlement(money: OrderMoney, vendor_id: str) -> int:
    """What the vendor may keep in total, net of refunds and lost disputes."""
    share = money.vendor(vendor_id)
    if share.total == 0:
        return 0
    allocated = min(allocated_refunds(money, vendor_id), share.total)
    if share.commission_policy == KEEP_COMMISSION:
        return max(0, share.payout - allocated)
    return max(0, share.payout * (share.total - allocated) // share.total)


def dispute_open(money: OrderMoney) -> bool:
    return any(d.is_open for d in money.disputes)


def payable_now(money: OrderMoney, vendor_id: str) -> int:
    """How much more may be transferred to the vendor now: 0 until charged and while a dispute is open."""
    if money.charged == 0 or dispute_open(money):
        return 0
    share = money.vendor(vendor_id)
    return max(0, entitlement(money, vendor_id) - share.transferred)


def reversal_due(money: OrderMoney, vendor_id: str) -> int:
    """How much of what was transferred must be reversed (a refund or lost dispute after the transfer)."""
    share = money.vendor(vendor_id)
    return max(0, share.transferred - entitlement(money, vendor_id) - share.written_off)


def platform_net(money: OrderMoney) -> int:
    """What the platform holds for the order: charged - refunds - lost disputes - net transferred."""
    return money.charged - money.refunded - money.lost_to_disputes - sum(v.transferred for v in money.vendors)
