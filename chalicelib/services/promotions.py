"""Vendor promotion use cases: create (once per Idempotency-Key), list, read, edit, end early; and the
promotions a cart's vendors run, as the pricing function takes them.

The rules are chalicelib/domain/promotions.py. The vendor is always the caller's verified
identity: a promotion is stored under its vendor, so another vendor's id finds nothing (404),
and only the caller's own offers can be targeted (another vendor's offer id is refused as unknown).
Editing one (`revise_promotion`) is conditional on the version the vendor read (a concurrent edit is a
409) and moves the version on: a cart line snapshots the version it saw, the cart lists the change, and
checkout's transaction refuses a line whose promotion was edited since (domain/promotions.py `PromotionHold`).
Creating, editing or ending a promotion recomputes the listing summaries of the products it targets, so
catalogue cards show it at once; a window that starts or ends later is picked up by the read path
(chalicelib/services/product_summaries.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from chalicelib.domain.catalog import is_valid_id
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, Unprocessable
from chalicelib.domain.money import Money
from chalicelib.domain.promotions import Promotion, TargetedOffer, check_targets, revise_terms, validate_terms
from chalicelib.domain.timestamps import now_iso
from chalicelib.observability import count, logger
from chalicelib.services.product_summaries import refresh_product_summary
from chalicelib.services.vendors import registered_vendor
from chalicelib.settings import get_settings
from chalicelib.store import offers as offers_store
from chalicelib.store import promotions as promotions_store

IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 8, 128
VENDOR_OFFERS_PAGE = 100


def status_at(promotion: Promotion, now: str) -> str:
    if promotion.ends_at <= now:
        return "ended"
    return "active" if promotion.starts_at <= now else "scheduled"


def promotion_view(item: promotions_store.PromotionItem, now: str | None = None) -> dict:
    promotion = item.to_promotion()
    return {
        "promotion_id": promotion.promotion_id,
        "name": promotion.name,
        "kind": promotion.kind,
        "value": promotion.value,
        "currency": promotion.currency,
        "starts_at": promotion.starts_at,
        "ends_at": promotion.ends_at,
        "min_quantity": promotion.min_quantity,
        "offer_ids": sorted(promotion.offer_ids),
        "status": status_at(promotion, now or now_iso()),
        "ended_early_at": item.ended_early_at,
        "created_at": item.created_at,
        "version": item.current_version,
    }


def _check_key(key: str | None) -> str:
    if key is None or not (IDEMPOTENCY_KEY_MIN <= len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isprintable():
        raise InvalidInput(
            f"Send an Idempotency-Key header of {IDEMPOTENCY_KEY_MIN} to {IDEMPOTENCY_KEY_MAX} characters (a new "
            "random value per promotion, the same one when retrying it).", code="idempotency_key_required",
            fields={"Idempotency-Key": f"required, {IDEMPOTENCY_KEY_MIN}-{IDEMPOTENCY_KEY_MAX} characters"})
    return key


def _targeted_offers(vendor_id: str, offer_ids: frozenset[str]) -> list:
    """The vendor's offers the promotion names (all of them when it names none); unknown or not theirs: 400."""
    if offer_ids:
        found = offers_store.get_offers(offer_ids, consistent=True) if all(map(is_valid_id, offer_ids)) else {}
        mine = {oid: o for oid, o in found.items() if o.vendor_id == vendor_id}
        missing = sorted(offer_ids - set(mine))
        if missing:
            # Another vendor's offer reads exactly like one that does not exist.
            raise InvalidInput("A promotion can only target your own offers.",
                               fields={"offer_ids": f"not one of your offers: {', '.join(missing[:5])}"})
        return list(mine.values())
    offers, cursor = [], None
    while True:
        page, cursor = offers_store.vendor_offers(vendor_id, VENDOR_OFFERS_PAGE, cursor)
        offers.extend(page)
        if not cursor:
            return offers


def _refresh_listings(offers) -> None:
    for product_id in sorted({o.product_id for o in offers}):
        refresh_product_summary(product_id)


def create_promotion(vendor_id: str, data: Mapping[str, Any], idempotency_key: str | None) -> tuple[dict, bool]:
    """Create a promotion once per (vendor, Idempotency-Key). Returns (promotion, created)."""
    key = _check_key(idempotency_key)
    registered_vendor(vendor_id)
    now = now_iso()
    terms = validate_terms(data, now=now)
    fingerprint = hashlib.sha256(json.dumps(dict(data), sort_keys=True, default=str).encode()).hexdigest()
    promotion_id = "promo_" + hashlib.sha256(f"{vendor_id}\n{key}".encode()).hexdigest()[:20]
    existing = promotions_store.get(vendor_id, promotion_id)
    if existing is None:
        offers = _targeted_offers(vendor_id, terms.offer_ids)
        promotion = Promotion(promotion_id=promotion_id, vendor_id=vendor_id, name=terms.name, kind=terms.kind,
                              value=terms.value, currency=get_settings().currency, starts_at=terms.starts_at,
                              ends_at=terms.ends_at, min_quantity=terms.min_quantity, offer_ids=terms.offer_ids)
        check_targets(promotion, (TargetedOffer(o.offer_id, Money(int(o.price), o.currency),
                                                Money(int(o.shipping_fee), o.currency)) for o in offers))
        item = promotions_store.PromotionItem(
            vendor_id, promotion_id, name=terms.name, kind=terms.kind, value=terms.value,
            currency=promotion.currency, starts_at=terms.starts_at, ends_at=terms.ends_at,
            min_quantity=terms.min_quantity, offer_ids=set(terms.offer_ids) or None, created_at=now,
            request_hash=fingerprint)
        stored = promotions_store.put_new(item)
        if stored is item:
            count("PromotionsCreated", 1)
            logger.info("promotion created", extra={"vendor_id": vendor_id, "promotion_id": promotion_id})
            _refresh_listings(offers)
            return promotion_view(stored, now), True
        existing = stored  # a concurrent repeat of this very request stored it first
    if existing.request_hash != fingerprint:
        raise Unprocessable("This Idempotency-Key was already used for another promotion; use a new key.",
                            code="idempotency_key_reused", fields={"Idempotency-Key": "already used with another body"})
    return promotion_view(existing, now), False


def list_promotions(vendor_id: str) -> dict:
    registered_vendor(vendor_id)
    now = now_iso()
    items = sorted(promotions_store.vendor_promotions(vendor_id), key=lambda i: (i.starts_at, i.promotion_id),
                   reverse=True)
    return {"items": [promotion_view(item, now) for item in items]}


def _own(vendor_id: str, promotion_id: str) -> promotions_store.PromotionItem:
    item = promotions_store.get(vendor_id, promotion_id) if is_valid_id(promotion_id) else None
    if item is None:
        raise NotFound("This promotion does not exist.", fields={"promotion_id": "not found"})
    return item


def get_promotion(vendor_id: str, promotion_id: str) -> dict:
    registered_vendor(vendor_id)
    return promotion_view(_own(vendor_id, promotion_id))


def revise_promotion(vendor_id: str, promotion_id: str, changes: Mapping[str, Any], expected_version: int) -> dict:
    """Edit a scheduled or running promotion's name, value, window or minimum quantity, at the version read."""
    registered_vendor(vendor_id)
    item = _own(vendor_id, promotion_id)
    now = now_iso()
    current = item.to_promotion()
    terms = revise_terms(current, changes, now=now)
    if item.current_version != expected_version:
        raise _changed_meanwhile(item.current_version)
    offers = _targets_still_mine(vendor_id, current)
    revised = Promotion(**{**current.__dict__, "value": terms.value, "starts_at": terms.starts_at,
                           "ends_at": terms.ends_at, "min_quantity": terms.min_quantity})
    check_targets(revised, (TargetedOffer(o.offer_id, Money(int(o.price), o.currency),
                                          Money(int(o.shipping_fee), o.currency)) for o in offers))
    stored = promotions_store.revise(vendor_id, promotion_id, terms, expected_version=expected_version, now=now)
    if stored is None:
        latest = _own(vendor_id, promotion_id)
        if latest.to_promotion().ends_at <= now:
            raise Conflict("This promotion has ended; create a new one.", code="promotion_ended",
                           fields={"promotion_id": "ended"})
        raise _changed_meanwhile(latest.current_version)
    count("PromotionsRevised", 1)
    logger.info("promotion revised", extra={"vendor_id": vendor_id, "promotion_id": promotion_id,
                                            "version": stored.current_version})
    _refresh_listings(offers)
    return promotion_view(stored, now)


def _changed_meanwhile(version: int) -> Conflict:
    return Conflict(f"This promotion was changed meanwhile (now version {version}); reload it and edit again.",
                    code="promotion_changed", fields={"version": f"now {version}"})


def _targets_still_mine(vendor_id: str, promotion: Promotion) -> list:
    """The offers a promotion targets that are still there and still the vendor's (one may have gone since)."""
    if not promotion.offer_ids:
        return _targeted_offers(vendor_id, frozenset())
    return [o for o in offers_store.get_offers(promotion.offer_ids, consistent=True).values()
            if o.vendor_id == vendor_id]


def end_promotion(vendor_id: str, promotion_id: str) -> dict:
    """End it now (a scheduled one never starts). Ending an ended promotion changes nothing."""
    registered_vendor(vendor_id)
    item = _own(vendor_id, promotion_id)
    now = now_iso()
    ended = promotions_store.end_now(vendor_id, promotion_id, now) or item
    _refresh_listings(_targets_still_mine(vendor_id, ended.to_promotion()))
    return promotion_view(ended, now)
