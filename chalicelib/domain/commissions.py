"""Commission rules: what the platform keeps of a vendor's items, in basis points (1000 = 10 %).

Three levels, the most specific wins: a vendor's own rate (negotiated), else its product's category
rate, else the platform default. The admin edits the rules (`GET/PUT /admin/commissions`); checkout
resolves the rate of every line once and freezes rate and amount on the vendor sub-order, so a later
change of the rules never touches an order already placed.

Pure: the rules and each line's category come in as data (chalicelib/services/commissions.py reads
them); pricing (chalicelib/domain/pricing.py) applies the resolved rates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chalicelib.domain.errors import InvalidInput

MAX_COMMISSION_BPS = 5000  # 50 %: above that a typo, not a business decision
DEFAULT_COMMISSION_BPS = 1000
MAX_RULES = 500  # per map: the rules are one item, read at every checkout
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


@dataclass(frozen=True)
class AppliedRate:
    """The rate a line was charged and which rule gave it: `vendor`, `category:<name>` or `default`."""

    bps: int
    rule: str


def check_bps(value: object, field_name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COMMISSION_BPS:
        raise InvalidInput(f"A commission is a whole number of basis points from 0 to {MAX_COMMISSION_BPS}.",
                           fields={field_name: f"0..{MAX_COMMISSION_BPS} basis points"})
    return value


def _check_map(values: dict, name: str) -> dict[str, int]:
    if len(values) > MAX_RULES:
        raise InvalidInput(f"At most {MAX_RULES} {name} rules.", fields={name: f"at most {MAX_RULES} entries"})
    checked = {}
    for key, bps in values.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise InvalidInput("Rule keys are ids: letters, digits and _ . : - (at most 128).",
                               fields={f"{name}.{key}": "invalid id"})
        checked[key] = check_bps(bps, f"{name}.{key}")
    return checked


@dataclass(frozen=True)
class CommissionRules:
    """The platform's commission in basis points: its default, per category and per vendor."""

    default_bps: int = DEFAULT_COMMISSION_BPS
    categories: dict[str, int] = field(default_factory=dict)  # category -> bps
    vendors: dict[str, int] = field(default_factory=dict)  # vendor_id -> bps (override)

    def __post_init__(self) -> None:
        check_bps(self.default_bps, "default_bps")
        object.__setattr__(self, "categories", _check_map(dict(self.categories), "categories"))
        object.__setattr__(self, "vendors", _check_map(dict(self.vendors), "vendors"))

    def resolve(self, vendor_id: str, category: str | None) -> AppliedRate:
        """The most specific rule: the vendor's override, its category's rate, the platform default."""
        if vendor_id in self.vendors:
            return AppliedRate(self.vendors[vendor_id], "vendor")
        if category and category in self.categories:
            return AppliedRate(self.categories[category], f"category:{category}")
        return AppliedRate(self.default_bps, "default")

    def to_json(self) -> dict:
        return {"default_bps": self.default_bps, "categories": dict(sorted(self.categories.items())),
                "vendors": dict(sorted(self.vendors.items()))}


@dataclass(frozen=True)
class CommissionRates:
    """The rate resolved for each offer of a cart (by offer id); pricing applies it. Offers absent
    fall back to `default` (the quote, which never freezes anything, prices with the default alone)."""

    default: AppliedRate
    by_offer: dict[str, AppliedRate] = field(default_factory=dict)

    @classmethod
    def flat(cls, bps: int) -> CommissionRates:
        return cls(AppliedRate(bps, "default"))

    @classmethod
    def resolve(cls, rules: CommissionRules, lines: list[tuple[str, str, str | None]]) -> CommissionRates:
        """`lines`: (offer_id, vendor_id, category or None) of each line."""
        return cls(AppliedRate(rules.default_bps, "default"),
                   {offer_id: rules.resolve(vendor_id, category) for offer_id, vendor_id, category in lines})

    def for_offer(self, offer_id: str) -> AppliedRate:
        return self.by_offer.get(offer_id, self.default)
