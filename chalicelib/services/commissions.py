"""Commission rules: the admin's view and edit, and the rates checkout freezes on each sub-order.

`checkout_policy` is the one call checkout makes: it reads the rules and the categories of the cart's
products, resolves each line's rate (chalicelib/domain/commissions.py) and hands pricing a policy
carrying them, so pricing stays pure and the sub-orders keep the rate and amount priced.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from chalicelib.domain.commissions import CommissionRates, CommissionRules
from chalicelib.domain.ports import CommissionRuleStore
from chalicelib.domain.pricing import PricedLine, PricingPolicy
from chalicelib.domain.timestamps import now_iso
from chalicelib.observability import logger
from chalicelib.settings import get_settings


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
    production = store is None
    store = _rules_store(store)
    rules = CommissionRules(default_bps=body["default_bps"], categories=body.get("categories") or {},
                            vendors=body.get("vendors") or {})
    store.put(rules, expected_version=body.get("version"), at=now_iso(), by=admin_id)
    if production:
        _remember_rules(rules)  # this container's checkouts use them at once
    logger.info("commission rules changed", extra={"admin_id": admin_id, "default_bps": rules.default_bps,
                                                   "categories": len(rules.categories),
                                                   "vendors": len(rules.vendors)})
    return view(store)


# Checkout reads the rules and its products' categories at most once per container and period: the rules
# for RULES_TTL seconds (an admin's change reaches every Lambda container within that; this container at
# once), the categories (which practically never change) for CATEGORY_TTL. Keyed by table prefix (stage).
RULES_TTL = 30.0
CATEGORY_TTL = 600.0
MAX_CACHED_CATEGORIES = 20_000
_rules_cache: dict[str, tuple[CommissionRules, float]] = {}
_category_cache: dict[tuple[str, str], tuple[str | None, float]] = {}


def _remember_rules(rules: CommissionRules) -> None:
    _rules_cache[get_settings().table_prefix] = (rules, time.monotonic() + RULES_TTL)


def dynamo_checkout_rates(lines: list[PricedLine]) -> CommissionRates:
    """The rate of each line from the rules in DynamoDB (production checkout): one BatchGetItem at most."""
    from chalicelib.store import commission_rules as store

    settings = get_settings()
    prefix, now = settings.table_prefix, time.monotonic()
    cached_rules = _rules_cache.get(prefix)
    rules = cached_rules[0] if cached_rules and cached_rules[1] > now else None
    categories: dict[str, str | None] = {}
    missing = []
    for line in lines:
        hit = _category_cache.get((prefix, line.product_id))
        if hit and hit[1] > now:
            categories[line.product_id] = hit[0]
        else:
            missing.append(line.product_id)
    if rules is None or missing:
        read_rules, read = store.read_for_checkout(missing, with_rules=rules is None,
                                                   default_bps=settings.commission_bps)
        if rules is None:
            rules = read_rules
            _remember_rules(rules)
        if len(_category_cache) > MAX_CACHED_CATEGORIES:
            _category_cache.clear()
        for product_id in missing:
            categories[product_id] = read.get(product_id)
            _category_cache[(prefix, product_id)] = (read.get(product_id), now + CATEGORY_TTL)
    return CommissionRates.resolve(rules, [(line.offer_id, line.vendor_id, categories.get(line.product_id))
                                           for line in lines])


def rates_from(store: CommissionRuleStore, categories: dict[str, str]) -> Callable[[list[PricedLine]], CommissionRates]:
    """Checkout's commission source over a rule store and known categories (use-case tests, in memory)."""
    def rates(lines: list[PricedLine]) -> CommissionRates:
        return CommissionRates.resolve(store.get()[0], [(line.offer_id, line.vendor_id,
                                                         categories.get(line.product_id)) for line in lines])
    return rates


def checkout_policy(policy: PricingPolicy, lines: list[PricedLine],
                    rates: Callable[[list[PricedLine]], CommissionRates] | None = None) -> PricingPolicy:
    """`policy` with the rate of every line resolved from the rules now (vendor, category, default);
    without a source of rates, the platform default of `policy` for every line."""
    if rates is None:
        return policy
    resolved = rates(lines)
    return replace(policy, commission_bps=resolved.default.bps, commission_rates=resolved)
