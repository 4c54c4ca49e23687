"""Commission rules: the admin's view and edit, and the rates checkout freezes on each sub-order.

`checkout_policy` is the one call checkout makes: it reads the rules and the categories of the cart's
products, resolves each line's rate (chalicelib/domain/commissions.py) and hands pricing a policy
carrying them, so pricing stays pure and the sub-orders keep the rate and amount priced.
"""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.commissions import CommissionRates, CommissionRules
from chalicelib.domain.ports import CommissionRuleStore
from chalicelib.domain.pricing import PricedLine, PricingPolicy
from chalicelib.domain.timestamps import now_iso
from chalicelib.observability import logger


def _rules_store(store: CommissionRuleStore | None) -> CommissionRuleStore:
    if store is not None:
        return store
    from chalicelib.services.wiring import commission_rules

    return commission_rules()


def view(store: CommissionRuleStore | None = None) -> dict:
    rules, version, updated_at = _rules_store(store).get()
    return {**rules.to_json(), "version": version, "updated_at": updated_at}


def update(admin_id: str, body: dict, *, store: CommissionRuleStore | None = None) -> dict:
    """Replace the rules (validated: 0..5000 bps each, field named); `version` guards a concurrent edit."""
    store = _rules_store(store)
    rules = CommissionRules(default_bps=body["default_bps"], categories=body.get("categories") or {},
                            vendors=body.get("vendors") or {})
    store.put(rules, expected_version=body.get("version"), at=now_iso(), by=admin_id)
    logger.info("commission rules changed", extra={"admin_id": admin_id, "default_bps": rules.default_bps,
                                                   "categories": len(rules.categories),
                                                   "vendors": len(rules.vendors)})
    return view(store)


def checkout_policy(policy: PricingPolicy, lines: list[PricedLine], *, store: CommissionRuleStore | None = None,
                    categories: dict[str, str] | None = None) -> PricingPolicy:
    """`policy` with the rate of every line resolved from the rules now (vendor, category, default).

    `categories`: product id -> category (read from the products table when not given)."""
    rules = _rules_store(store).get()[0]
    if categories is None:
        from chalicelib.store import products as product_store

        products = product_store.get_products(line.product_id for line in lines)
        categories = {pid: product.category for pid, product in products.items()}
    rates = CommissionRates.resolve(rules, [(line.offer_id, line.vendor_id, categories.get(line.product_id))
                                            for line in lines])
    return replace(policy, commission_bps=rules.default_bps, commission_rates=rates)
