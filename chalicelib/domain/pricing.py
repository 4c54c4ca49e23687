"""Pricing of a cart: the one function that prices both the quote and the order.

Rules (all amounts integer minor units, one currency per order):
- Offer prices are VAT-included, as EU shoppers expect; the VAT shown is the part of the
  gross total that is VAT at the destination country's rate: gross * rate / (100% + rate).
- Lines are grouped by vendor: each vendor ships one parcel, so its shipping is the highest
  shipping fee among its lines (not the sum), and free above the vendor's threshold if any.
- Promotions (chalicelib/domain/promotions.py) are resolved by the use case and passed in as
  data with the moment `at` they are judged at; each line gets the best one that applies to it,
  per unit. A line keeps its original `unit_price` (what the offer lists, what checkout's stock
  condition re-checks) beside `unit_discount` and `promotion_id`; a group's `items` is the sum of
  original prices and its `discount` the sum of the lines' discounts.
- The platform may charge the shopper a service fee per order (config; 0 by default).
- Commission is what the platform keeps from each vendor: the rate resolved for each line
  (chalicelib/domain/commissions.py: vendor override, else category, else platform default;
  passed in as `policy.commission_rates`) applied to the vendor's items after promotions
  (shipping passes through to the vendor). Lines sharing a rate are summed before rounding, so
  a vendor with one rate pays exactly `rate x (items - discount)`. The transfer to the vendor
  is the vendor total minus commission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from chalicelib.domain.commissions import AppliedRate, CommissionRates
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.limits import check_line_count, check_quantity
from chalicelib.domain.money import Money
from chalicelib.domain.promotions import Promotion, best_promotion

__all__ = ["PricedLine", "PricingPolicy", "Promotion", "Quote", "price_cart"]


@dataclass(frozen=True)
class PricedLine:
    """A cart line with the offer's current terms."""

    offer_id: str
    product_id: str
    vendor_id: str
    title: str
    quantity: int
    unit_price: Money  # the offer's own price, before any promotion
    shipping_fee: Money
    promotion_id: str | None = None  # set by price_cart when a promotion applies
    unit_discount: int = 0  # minor units off each unit

    @property
    def subtotal(self) -> Money:
        """At the original price (a group's `items`)."""
        return self.unit_price.times(self.quantity)

    @property
    def promoted_unit_price(self) -> Money:
        return Money(self.unit_price.amount - self.unit_discount, self.unit_price.currency)

    @property
    def discount(self) -> Money:
        return Money(self.unit_discount * self.quantity, self.unit_price.currency)


@dataclass(frozen=True)
class PricingPolicy:
    """How orders are priced: currency, VAT rates per country, service fee, commission."""

    currency: str
    vat_rates_bps: dict[str, int]  # country code -> rate in basis points (2000 = 20 %)
    service_fee: int = 0  # minor units per order, charged to the shopper
    commission_bps: int = 1000  # the platform default, used when no resolved rates are given
    commission_rates: CommissionRates | None = None  # each line's rate, resolved from the rules at checkout

    def commission_for(self, offer_id: str) -> AppliedRate:
        rates = self.commission_rates or CommissionRates.flat(self.commission_bps)
        return rates.for_offer(offer_id)

    def vat_rate_bps(self, country: str) -> int:
        try:
            return self.vat_rates_bps[country]
        except KeyError:
            raise InvalidInput(
                f"We do not deliver to {country!r} yet.",
                fields={"country": f"one of {', '.join(sorted(self.vat_rates_bps))}"},
            ) from None


@dataclass(frozen=True)
class VendorGroup:
    """One vendor's lines of a quote with its items, discount, shipping and VAT."""

    vendor_id: str
    lines: tuple[PricedLine, ...]
    items: Money
    discount: Money
    shipping: Money
    commission: Money
    commission_rates: tuple[tuple[str, AppliedRate], ...] = ()  # (offer_id, rate applied), frozen on the order

    @property
    def commission_bps(self) -> int:
        """The one rate of the vendor's lines, or the effective blended rate when they differ."""
        rates = {rate.bps for _, rate in self.commission_rates}
        if len(rates) == 1:
            return rates.pop()
        base = (self.items - self.discount).amount
        return (self.commission.amount * 10000 + base // 2) // base if base > 0 else 0

    @property
    def total(self) -> Money:
        return self.items - self.discount + self.shipping

    @property
    def payout(self) -> Money:
        return self.total - self.commission


@dataclass(frozen=True)
class Quote:
    """What the shopper pays, per vendor and in total: the quote and the order share it."""

    currency: str
    country: str
    groups: tuple[VendorGroup, ...]
    service_fee: Money
    vat_rate_bps: int
    items: Money = field(init=False)
    discount: Money = field(init=False)
    shipping: Money = field(init=False)
    total: Money = field(init=False)
    vat_included: Money = field(init=False)

    def __post_init__(self) -> None:
        zero = Money.zero(self.currency)
        items = sum((g.items for g in self.groups), zero)
        discount = sum((g.discount for g in self.groups), zero)
        shipping = sum((g.shipping for g in self.groups), zero)
        total = items - discount + shipping + self.service_fee
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "discount", discount)
        object.__setattr__(self, "shipping", shipping)
        object.__setattr__(self, "total", total)
        vat = (total.amount * self.vat_rate_bps + (10000 + self.vat_rate_bps) // 2) // (10000 + self.vat_rate_bps)
        object.__setattr__(self, "vat_included", Money(vat, self.currency))

    def to_json(self) -> dict:
        return {
            "currency": self.currency,
            "country": self.country,
            "vendors": [
                {
                    "vendor_id": g.vendor_id,
                    "lines": [
                        {
                            "offer_id": line.offer_id,
                            "product_id": line.product_id,
                            "title": line.title,
                            "quantity": line.quantity,
                            "unit_price": line.unit_price.to_json(),
                            "promotion_id": line.promotion_id,
                            "promoted_unit_price": line.promoted_unit_price.to_json() if line.promotion_id else None,
                            "subtotal": (line.subtotal - line.discount).to_json(),
                        }
                        for line in g.lines
                    ],
                    "items": g.items.to_json(),
                    "discount": g.discount.to_json(),
                    "shipping": g.shipping.to_json(),
                    "total": g.total.to_json(),
                }
                for g in self.groups
            ],
            "items": self.items.to_json(),
            "discount": self.discount.to_json(),
            "shipping": self.shipping.to_json(),
            "service_fee": self.service_fee.to_json(),
            "vat_rate_bps": self.vat_rate_bps,
            "vat_included": self.vat_included.to_json(),
            "total": self.total.to_json(),
        }


def _promoted(line: PricedLine, promotions: Sequence[Promotion], at: str | None) -> PricedLine:
    applied = None if at is None else best_promotion(
        promotions, vendor_id=line.vendor_id, offer_id=line.offer_id, quantity=line.quantity,
        unit_price=line.unit_price.amount, at=at)
    if applied is None:
        return replace(line, promotion_id=None, unit_discount=0)
    return replace(line, promotion_id=applied.promotion_id, unit_discount=applied.unit_discount)


def _commission(lines: list[PricedLine], rates: tuple[tuple[str, AppliedRate], ...], currency: str) -> Money:
    """Sum of each rate's share of what its lines sell for after their promotions (lines sharing a rate
    are summed before rounding)."""
    by_bps: dict[int, int] = {}
    for line, (_, rate) in zip(lines, rates):
        by_bps[rate.bps] = by_bps.get(rate.bps, 0) + (line.subtotal - line.discount).amount
    return Money(sum(Money(net, currency).share(bps).amount for bps, net in sorted(by_bps.items())), currency)


def price_cart(
    lines: list[PricedLine],
    policy: PricingPolicy,
    country: str,
    promotions: Sequence[Promotion] = (),
    at: str | None = None,
) -> Quote:
    """Price lines for delivery to `country`. Pure: the quote and the order both come from here.

    `promotions` (any vendor's, active or not) are judged at `at` (ISO UTC); without `at` none applies.
    """
    if not lines:
        raise InvalidInput("Your cart is empty.", code="empty_cart", fields={"cart": "no lines"})
    check_line_count(len(lines))
    vat_bps = policy.vat_rate_bps(country)
    for line in lines:
        check_quantity(line.quantity)
        if line.unit_price.currency != policy.currency or line.shipping_fee.currency != policy.currency:
            raise InvalidInput("All offers in an order must be in the platform currency.", fields={"currency": "mixed"})
    by_vendor: dict[str, list[PricedLine]] = {}
    for line in sorted(lines, key=lambda item: (item.vendor_id, item.offer_id)):
        by_vendor.setdefault(line.vendor_id, []).append(_promoted(line, promotions, at))
    groups = []
    for vendor_id, vendor_lines in by_vendor.items():
        zero = Money.zero(policy.currency)
        items = sum((line.subtotal for line in vendor_lines), zero)
        discount = sum((line.discount for line in vendor_lines), zero)
        shipping = max((line.shipping_fee for line in vendor_lines), key=lambda m: m.amount)
        rates = tuple((line.offer_id, policy.commission_for(line.offer_id)) for line in vendor_lines)
        commission = _commission(vendor_lines, rates, policy.currency)
        groups.append(VendorGroup(vendor_id, tuple(vendor_lines), items, discount, shipping, commission, rates))
    return Quote(
        currency=policy.currency,
        country=country,
        groups=tuple(groups),
        service_fee=Money(policy.service_fee, policy.currency),
        vat_rate_bps=vat_bps,
    )
